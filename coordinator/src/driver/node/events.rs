//! What the driver does with the node's events besides passing them on: a
//! log line each, and a warning for those that say something is wrong.
//! Apart from the loop so that the words for every event are in one place.

use protocol::CoordinatorId;

use crate::driver::warnings::{WarningKind, Warnings};
use crate::node::NodeEvent;

/// The events that say something is wrong, as warnings.
pub(super) fn warn_event(warnings: &Warnings, chain: &str, e: &NodeEvent) {
    match e {
        NodeEvent::ChainDown { error } => warnings.raise(
            WarningKind::ChainFailing,
            chain,
            format!("{chain} fails: {error}; retrying with backoff, mining goes on"),
        ),
        NodeEvent::BlockRejected { reason } => warnings.raise(
            WarningKind::ChainFailing,
            chain,
            format!("{chain} refused a block: {reason}"),
        ),
        NodeEvent::MinerBanned {
            miner,
            claims,
            reason,
        } => warnings.raise(
            WarningKind::MinerBanned,
            miner.to_string(),
            format!("miner {miner} banned after {claims} failed claims; the last: {reason}"),
        ),
        NodeEvent::TwoLeaders { epoch, leaders } => warnings.raise(
            WarningKind::TwoLeaders,
            format!("epoch {epoch}"),
            format!(
                "coordinators {} and {} both claim to lead epoch {epoch}: \
                 two nodes with one id, or a network split that healed",
                leaders[0].0, leaders[1].0
            ),
        ),
        _ => {}
    }
}

pub(super) fn log_event(id: CoordinatorId, e: &NodeEvent) {
    match e {
        NodeEvent::BecameLeader { epoch } => tracing::info!(%id, %epoch, "leading"),
        NodeEvent::SteppedDown { leader } => {
            tracing::info!(%id, leader = ?leader.map(|l| l.0), "following")
        }
        NodeEvent::JobStarted {
            job,
            height,
            time,
            zero_bits,
        } => tracing::info!(%id, %job, height, time, zero_bits, "job started"),
        NodeEvent::JobExhausted { job } => {
            tracing::info!(%id, %job, "range exhausted, new timestamp")
        }
        NodeEvent::JobStale { job } => tracing::info!(%id, %job, "tip moved, job stale"),
        NodeEvent::SolutionFound {
            job,
            miner,
            nonce,
            hash,
        } => tracing::info!(%id, %job, %miner, nonce, %hash, "solution verified"),
        NodeEvent::BlockAccepted {
            height,
            hash,
            miner,
        } => {
            tracing::info!(%id, height, %hash, %miner, "block accepted")
        }
        NodeEvent::BlockStale { reason } => tracing::warn!(%id, %reason, "block stale"),
        NodeEvent::BlockRejected { reason } => tracing::error!(%id, %reason, "block rejected"),
        NodeEvent::ChainDown { error } => {
            tracing::debug!(%id, %error, "chain service unavailable, retrying with backoff")
        }
        NodeEvent::ChainUp { after } => {
            tracing::info!(%id, down_for = ?after, "chain service available again")
        }
        // Said by `warn_event`.
        NodeEvent::MinerBanned { .. } | NodeEvent::TwoLeaders { .. } => {}
        NodeEvent::LeaseExpired { miner, range } => {
            tracing::debug!(%id, %miner, %range, "lease expired")
        }
        NodeEvent::QuorumWaiting { .. }
        | NodeEvent::QuorumMet { .. }
        | NodeEvent::VoteStarted { .. }
        | NodeEvent::VoteDecided { .. }
        | NodeEvent::VoteCast { .. } => log_quorum_or_vote(id, e),
    }
}

/// The quorum's and the vote's events.
fn log_quorum_or_vote(id: CoordinatorId, e: &NodeEvent) {
    let names = |ids: &[CoordinatorId]| {
        ids.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    match e {
        NodeEvent::QuorumWaiting { waiting_for } => {
            tracing::warn!(%id, %waiting_for, "waiting for the quorum: no new leases")
        }
        NodeEvent::QuorumMet {
            miners,
            coordinators,
        } => tracing::info!(%id, miners, coordinators, "quorum reached"),
        NodeEvent::VoteStarted { job, nonce, asked } => {
            tracing::debug!(%id, %job, nonce, asked = %names(asked), "vote started")
        }
        NodeEvent::VoteDecided {
            job,
            nonce,
            miner,
            decision,
            yes,
            no,
            absent,
            took,
        } => {
            let no: Vec<String> = no
                .iter()
                .map(|(c, v)| format!("{c}:{}", v.name()))
                .collect();
            let (yes, absent, no) = (names(yes), names(absent), no.join(","));
            let decision = decision.name();
            if decision == "submit" {
                tracing::info!(%id, %job, nonce, %miner, decision, %yes, %no, %absent, ?took, "vote")
            } else {
                tracing::warn!(%id, %job, nonce, %miner, decision, %yes, %no, %absent, ?took, "vote: solution dropped")
            }
        }
        NodeEvent::VoteCast {
            leader,
            job,
            nonce,
            vote,
        } => tracing::debug!(%id, %leader, %job, nonce, vote = vote.name(), "voted"),
        _ => {}
    }
}
