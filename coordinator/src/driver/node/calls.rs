//! The node's chain calls, each run as a task of its own so that a slow or
//! dead chain service never stalls the socket loop; each call's latency and
//! error go to the telemetry as it ends.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::driver::chain::ChainApi;
use crate::driver::web::Telemetry;
use crate::node::{ChainCall, ChainReply};

pub(super) fn spawn_call<C: ChainApi>(
    chain: &Arc<C>,
    telemetry: &Arc<Telemetry>,
    call: ChainCall,
    tx: mpsc::UnboundedSender<ChainReply>,
) {
    let (chain, telemetry) = (Arc::clone(chain), Arc::clone(telemetry));
    tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        let reply = match call {
            ChainCall::Template { seq, payout } => ChainReply::Template {
                seq,
                result: chain.template(payout).await,
            },
            ChainCall::Submit {
                seq,
                header,
                height,
                miner,
                confirmed_by,
            } => ChainReply::Submit {
                seq,
                result: chain.submit(header, height, miner, confirmed_by).await,
            },
            ChainCall::Tip { seq } => ChainReply::Tip {
                seq,
                result: chain.tip().await,
            },
        };
        let (name, error) = match &reply {
            ChainReply::Template { result, .. } => ("template", result.as_ref().err()),
            ChainReply::Submit { result, .. } => ("submit", result.as_ref().err()),
            ChainReply::Tip { result, .. } => ("tip", result.as_ref().err()),
        };
        telemetry.chain_call(name, started.elapsed(), error);
        // The node may have stopped; then nobody needs the reply.
        let _ = tx.send(reply);
    });
}
