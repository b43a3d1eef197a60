//! A typed client for the chain service's API, as coordinators use it:
//! fetch a template, hand its header out, submit the solved header.
//!
//! Errors are sorted by what the caller should do ([`ClientError`]):
//! retry later ([`ClientError::is_retryable`]), fetch a new template
//! (`Stale`), count the block as accepted (`Duplicate`), or give up on this
//! header (`Rejected`, `BadRequest`). Submitting is safe to retry: if an
//! answer was lost after the service committed the block, the retry gets
//! `Duplicate` naming it.

use std::time::Duration;

use protocol::hex::Hex;
use protocol::{BlockHeader, Hash256};
use reqwest::{Response, StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::api::{
    Accepted, AccountView, Block, BlockView, BookView, ErrorBody, Stats, Submission, Template, Tip,
    TradeView, TxAccepted, TxBatch, TxBatchAccepted, TxOutcome, TxRecord, TxSubmission,
};
use crate::ledger::{Address, Tx, TxId};

/// Largest answer read, in bytes (a page of blocks with their
/// transactions is at most a few MB).
const MAX_RESPONSE: usize = 16 << 20;

/// Why a call did not succeed, by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL is unusable.
    #[error("invalid chain service URL {url:?}: {reason}")]
    InvalidUrl {
        /// As given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No answer: refused connection, timeout, reset. Retry; after a
    /// submission, the block may or may not have been committed (a retry
    /// tells: `Duplicate` means it was).
    #[error("chain service unreachable: {0}")]
    Unreachable(#[source] reqwest::Error),
    /// The service answered that it cannot serve now (5xx). Retry.
    #[error("chain service unavailable (HTTP {status}): {message}")]
    Unavailable {
        /// HTTP status.
        status: u16,
        /// The service's explanation.
        message: String,
    },
    /// 409: the block does not extend the tip (it is stale, or its parent
    /// is unknown). Fetch a new template.
    #[error("block not accepted, the chain has moved on: {message}")]
    Stale {
        /// The service's explanation.
        message: String,
        /// The current tip (height, hash), when the service named it.
        tip: Option<(u64, Hash256)>,
    },
    /// 409: this very header is already in the chain, at `height`.
    #[error("block {hash} is already in the chain at height {height}")]
    Duplicate {
        /// Its height.
        height: u64,
        /// Its hash.
        hash: Hash256,
    },
    /// 422: the header breaks a rule (fields, time, work). Do not resubmit.
    #[error("block rejected ({code}): {message}")]
    Rejected {
        /// Stable cause (`insufficient_work`, `time_too_early`, ...).
        code: String,
        /// The service's explanation.
        message: String,
    },
    /// Another 4xx: the request was malformed. A bug on the calling side.
    #[error("request refused (HTTP {status}, {code}): {message}")]
    BadRequest {
        /// HTTP status.
        status: u16,
        /// Stable cause.
        code: String,
        /// The service's explanation.
        message: String,
    },
    /// The answer was not what the API promises.
    #[error("unexpected answer from the chain service: {0}")]
    Protocol(String),
}

impl ClientError {
    /// Whether the same call may succeed later unchanged: the service was
    /// unreachable or unavailable.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ClientError::Unreachable(_) | ClientError::Unavailable { .. }
        )
    }
}

/// A client for one chain service. Cheap to clone; clones share one
/// connection pool.
#[derive(Clone, Debug)]
pub struct ChainClient {
    http: reqwest::Client,
    base: String,
}

impl ChainClient {
    /// Time allowed to connect, by default.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
    /// Time allowed for a whole call, by default.
    pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

    /// A client for the service at `base_url` (`http://host:port`), with the
    /// default timeouts.
    pub fn new(base_url: &str) -> Result<ChainClient, ClientError> {
        ChainClient::with_timeouts(base_url, Self::CONNECT_TIMEOUT, Self::REQUEST_TIMEOUT)
    }

    /// A client with the given connect and whole-call timeouts.
    pub fn with_timeouts(
        base_url: &str,
        connect: Duration,
        request: Duration,
    ) -> Result<ChainClient, ClientError> {
        let invalid = |reason: &str| ClientError::InvalidUrl {
            url: base_url.to_owned(),
            reason: reason.to_owned(),
        };
        let url = Url::parse(base_url).map_err(|e| invalid(&e.to_string()))?;
        if url.scheme() != "http" {
            return Err(invalid("the scheme must be http"));
        }
        if url.host().is_none() || url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("expected http://host:port"));
        }
        let http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(connect)
            .timeout(request)
            .build()
            .map_err(|e| invalid(&e.to_string()))?;
        Ok(ChainClient {
            http,
            base: url.as_str().trim_end_matches('/').to_owned(),
        })
    }

    /// The service's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET /v1/template?payout=ADDR`: what the next block must carry,
    /// its reward paying `payout`.
    pub async fn template(&self, payout: &Address) -> Result<Template, ClientError> {
        self.get(&format!("/v1/template?payout={payout}")).await
    }

    /// `GET /v1/tip`.
    pub async fn tip(&self) -> Result<Tip, ClientError> {
        self.get("/v1/tip").await
    }

    /// `GET /v1/stats`.
    pub async fn stats(&self) -> Result<Stats, ClientError> {
        self.get("/v1/stats").await
    }

    /// `POST /v1/blocks`: submits a solved header on behalf of `miner`.
    pub async fn submit(&self, header: &BlockHeader, miner: &str) -> Result<Accepted, ClientError> {
        self.submit_confirmed(header, miner, &[]).await
    }

    /// `POST /v1/blocks`, recording the coordinators that confirmed the
    /// block (ids in increasing order).
    pub async fn submit_confirmed(
        &self,
        header: &BlockHeader,
        miner: &str,
        confirmed_by: &[u16],
    ) -> Result<Accepted, ClientError> {
        let body = Submission {
            header: Hex(&header.to_bytes()).to_string(),
            miner: miner.to_owned(),
            transactions: None,
            confirmed_by: confirmed_by.to_vec(),
        };
        let request = self.http.post(self.url("/v1/blocks")).json(&body);
        let response = request.send().await.map_err(ClientError::Unreachable)?;
        read(response, StatusCode::CREATED).await
    }

    /// `GET /v1/blocks/{height}`; `None` past the tip.
    pub async fn block(&self, height: u64) -> Result<Option<Block>, ClientError> {
        match self.get(&format!("/v1/blocks/{height}")).await {
            Ok(block) => Ok(Some(block)),
            Err(ClientError::BadRequest {
                status: 404, code, ..
            }) if code == "no_such_block" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /v1/blocks?from=H&limit=N`: up to `limit` blocks from height
    /// `from` (the service allows 1 to 1000 by default).
    pub async fn blocks(&self, from: u64, limit: usize) -> Result<Vec<Block>, ClientError> {
        self.get(&format!("/v1/blocks?from={from}&limit={limit}"))
            .await
    }

    /// `GET /v1/blocks?from=H&limit=N` with each block's transactions.
    pub async fn blocks_with_transactions(
        &self,
        from: u64,
        limit: usize,
    ) -> Result<Vec<BlockView>, ClientError> {
        self.get(&format!("/v1/blocks?from={from}&limit={limit}"))
            .await
    }

    /// `POST /v1/transactions`: `tx` is durably in the mempool when this
    /// returns `Ok` (or was already known: `duplicate`). A refusal is
    /// `Rejected` (422, with the cause's code) or `BadRequest`.
    pub async fn submit_transaction(&self, tx: &Tx) -> Result<TxAccepted, ClientError> {
        let body = TxSubmission {
            tx: Hex(&tx.encode()).to_string(),
        };
        let request = self.http.post(self.url("/v1/transactions")).json(&body);
        let response = request.send().await.map_err(ClientError::Unreachable)?;
        read(response, StatusCode::ACCEPTED).await
    }

    /// `POST /v1/transactions` with many (at most
    /// [`crate::api::MAX_TX_BATCH`]): one outcome per transaction, in
    /// order, each admitted durably or refused on its own.
    pub async fn submit_transactions(&self, txs: &[Tx]) -> Result<Vec<TxOutcome>, ClientError> {
        let body = TxBatch {
            txs: txs.iter().map(|t| Hex(&t.encode()).to_string()).collect(),
        };
        let request = self.http.post(self.url("/v1/transactions")).json(&body);
        let response = request.send().await.map_err(ClientError::Unreachable)?;
        let answer: TxBatchAccepted = read(response, StatusCode::ACCEPTED).await?;
        Ok(answer.results)
    }

    /// `GET /v1/transactions/{id}`; `None` if the service does not know it.
    pub async fn transaction(&self, id: &TxId) -> Result<Option<TxRecord>, ClientError> {
        match self.get(&format!("/v1/transactions/{id}")).await {
            Ok(record) => Ok(Some(record)),
            Err(ClientError::BadRequest {
                status: 404, code, ..
            }) if code == "no_such_transaction" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /v1/accounts/{address}`.
    pub async fn account(&self, address: &Address) -> Result<AccountView, ClientError> {
        self.get(&format!("/v1/accounts/{address}")).await
    }

    /// `GET /v1/book?depth=N`.
    pub async fn book(&self, depth: usize) -> Result<BookView, ClientError> {
        self.get(&format!("/v1/book?depth={depth}")).await
    }

    /// `GET /v1/trades?from=N&limit=M`.
    pub async fn trades(&self, from: u64, limit: usize) -> Result<Vec<TradeView>, ClientError> {
        self.get(&format!("/v1/trades?from={from}&limit={limit}"))
            .await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let response = self
            .http
            .get(self.url(path))
            .send()
            .await
            .map_err(ClientError::Unreachable)?;
        read(response, StatusCode::OK).await
    }
}

/// Reads an answer: `T` if the status is `expected`, else the error it
/// carries, sorted by cause.
async fn read<T: DeserializeOwned>(
    mut response: Response,
    expected: StatusCode,
) -> Result<T, ClientError> {
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ClientError::Unreachable)? {
        if body.len() + chunk.len() > MAX_RESPONSE {
            return Err(ClientError::Protocol(format!(
                "answer larger than {MAX_RESPONSE} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    if status == expected {
        return serde_json::from_slice(&body).map_err(|e| {
            ClientError::Protocol(format!(
                "HTTP {status} with a body that does not parse: {e}"
            ))
        });
    }
    let error = serde_json::from_slice::<ErrorBody>(&body).unwrap_or_else(|_| ErrorBody {
        error: String::from_utf8_lossy(&body).chars().take(200).collect(),
        code: String::new(),
        height: None,
        hash: None,
    });
    let block = error.height.zip(error.hash);
    Err(match status.as_u16() {
        409 => match (error.code.as_str(), block) {
            ("duplicate", Some((height, hash))) => ClientError::Duplicate { height, hash },
            _ => ClientError::Stale {
                message: error.error,
                tip: block,
            },
        },
        422 => ClientError::Rejected {
            code: error.code,
            message: error.error,
        },
        429 | 500..=599 => ClientError::Unavailable {
            status: status.as_u16(),
            message: error.error,
        },
        400..=499 => ClientError::BadRequest {
            status: status.as_u16(),
            code: error.code,
            message: error.error,
        },
        _ => ClientError::Protocol(format!("HTTP {status}: {}", error.error)),
    })
}
