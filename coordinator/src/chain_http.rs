//! The coordinator's chain access over HTTP: `ChainApi` on top of the
//! `chain` crate's client, with its errors sorted the way the node acts on
//! them (retry later, fetch a new template, or give up on a header).

use chain::ledger::Address;
use chain::{ChainClient, ClientError};
use protocol::{BlockHeader, CoordinatorId};

use crate::driver::ChainApi;
use crate::node::{ChainError, Submitted, Template, Tip};

/// The chain service at a URL.
#[derive(Clone, Debug)]
pub struct HttpChain {
    client: ChainClient,
    url: String,
}

impl HttpChain {
    /// A client for `url` (`http://host:port`).
    pub fn new(url: &str) -> Result<HttpChain, ClientError> {
        Ok(HttpChain {
            client: ChainClient::new(url)?,
            url: url.to_owned(),
        })
    }

    /// A client for `url` whose calls (connecting included) take at most
    /// `timeout`.
    pub fn with_timeout(url: &str, timeout: std::time::Duration) -> Result<HttpChain, ClientError> {
        Ok(HttpChain {
            client: ChainClient::with_timeouts(url, timeout, timeout)?,
            url: url.to_owned(),
        })
    }

    /// The underlying client.
    pub fn client(&self) -> &ChainClient {
        &self.client
    }
}

fn sort(e: ClientError) -> ChainError {
    match e {
        ClientError::Rejected { .. } | ClientError::BadRequest { .. } => {
            ChainError::Rejected(e.to_string())
        }
        _ => ChainError::Unavailable(e.to_string()),
    }
}

impl ChainApi for HttpChain {
    fn describe(&self) -> String {
        format!("the chain service at {}", self.url)
    }

    async fn template(&self, payout: Address) -> Result<Template, ChainError> {
        let t = self.client.template(&payout).await.map_err(sort)?;
        Ok(Template {
            height: t.height,
            prev_hash: t.prev_hash,
            version: t.version,
            merkle_root: t.merkle_root,
            bits: t.bits,
            min_time: t.min_time,
            zero_bits: t.zero_bits,
        })
    }

    async fn submit(
        &self,
        header: BlockHeader,
        _height: u64,
        miner: String,
        confirmed_by: Vec<CoordinatorId>,
    ) -> Result<Submitted, ChainError> {
        let ids: Vec<u16> = confirmed_by.iter().map(|c| c.0).collect();
        match self.client.submit_confirmed(&header, &miner, &ids).await {
            Ok(a) => Ok(Submitted::Accepted {
                height: a.height,
                hash: a.hash,
            }),
            // An earlier attempt got through but its answer was lost.
            Err(ClientError::Duplicate { height, hash }) if hash == header.hash() => {
                Ok(Submitted::Accepted { height, hash })
            }
            Err(e @ (ClientError::Duplicate { .. } | ClientError::Stale { .. })) => {
                Ok(Submitted::Stale(e.to_string()))
            }
            Err(e) => Err(sort(e)),
        }
    }

    async fn tip(&self) -> Result<Tip, ChainError> {
        let t = self.client.tip().await.map_err(sort)?;
        Ok(Tip {
            height: t.height,
            hash: t.hash,
        })
    }
}
