//! A chain service on `127.0.0.1:0` over a fresh SQLite file, and helpers
//! to mine and send requests to it. Shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use chain::api::Template;
use chain::{ChainClient, Clock, ServiceConfig, SqliteStore, Store};
use protocol::kernel::{Kernel, ScanJob};
use protocol::{BlockHeader, NonceRange};
use serde_json::Value;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Difficulty of the test chains: a block takes ~256 hashes.
pub const ZERO_BITS: u8 = 8;

/// The service's clock in these tests (2027-01-15), far past genesis.
pub const NOW: u64 = 1_800_000_000;

/// The chain operator's key in the ledger tests.
pub fn operator() -> chain::ledger::SigningKey {
    chain::ledger::SigningKey::from_bytes(&[0xAA; 32])
}

/// A trader's key.
pub fn trader(n: u8) -> chain::ledger::SigningKey {
    chain::ledger::SigningKey::from_bytes(&[n; 32])
}

/// The payout address the tests' templates name.
pub const PAYOUT: chain::ledger::Address = chain::ledger::Address([7; 20]);

/// A running service and what talks to it.
pub struct Service {
    pub url: String,
    pub client: ChainClient,
    pub http: reqwest::Client,
    pub store: Arc<SqliteStore>,
    pub db: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: TempDir,
}

impl Service {
    /// A new chain of [`ZERO_BITS`] served with the clock fixed at [`NOW`].
    pub async fn start() -> Service {
        Service::start_with(ServiceConfig {
            clock: Clock::fixed(NOW),
            ..ServiceConfig::default()
        })
        .await
    }

    pub async fn start_with(config: ServiceConfig) -> Service {
        Service::start_full(config, None).await
    }

    /// A new chain whose deposits [`operator`] signs.
    pub async fn start_ledger() -> Service {
        Service::start_full(
            ServiceConfig {
                clock: Clock::fixed(NOW),
                ..ServiceConfig::default()
            },
            Some(chain::ledger::public_key(&operator())),
        )
        .await
    }

    pub async fn start_full(
        config: ServiceConfig,
        operator: Option<chain::ledger::PublicKey>,
    ) -> Service {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("chain.db");
        let params = chain::store::CreateParams {
            zero_bits: Some(ZERO_BITS),
            operator,
        };
        let store = Arc::new(SqliteStore::open_with(&db, params).unwrap());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let shared: Arc<dyn Store> = store.clone();
        let task = tokio::spawn(chain::serve(listener, shared, config, async {
            let _ = stopped.await;
        }));
        Service {
            client: ChainClient::new(&url).unwrap(),
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            url,
            store,
            db,
            stop: Some(stop),
            task: Some(task),
            _dir: dir,
        }
    }

    /// Stops serving and waits until the server has returned.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }

    /// `GET path`: status and JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    /// `method path` with `body` and an optional content type.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: Option<&str>,
        body: impl Into<reqwest::Body>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        answer(request.body(body).send().await.unwrap()).await
    }

    /// `POST /v1/blocks` with a JSON body.
    pub async fn post_block(&self, body: &str) -> (u16, Value) {
        self.send(
            reqwest::Method::POST,
            "/v1/blocks",
            Some("application/json"),
            body.to_owned(),
        )
        .await
    }

    /// Mines and submits the next block; returns its header.
    pub async fn mine_next(&self) -> BlockHeader {
        let template = self.client.template(&PAYOUT).await.unwrap();
        let header = solve(&template, template.min_time, 0);
        self.client.submit(&header, "test-miner").await.unwrap();
        header
    }
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.bytes().await.unwrap();
    assert_eq!(
        content_type.as_deref(),
        Some("application/json"),
        "status {status}, body {bytes:?}"
    );
    (status, serde_json::from_slice(&bytes).unwrap())
}

/// The lowest nonce from `from` up that solves `template` at `time`.
pub fn solve(template: &Template, time: u32, from: u32) -> BlockHeader {
    let header = template.header(time);
    let job = ScanJob::new(&header.to_bytes());
    let range = NonceRange::new(from, u32::MAX).unwrap();
    let found = Kernel::portable()
        .scan(&job, range, template.zero_bits)
        .found;
    header.with_nonce(found.expect("a solution"))
}

/// A header for `template` at `time` whose hash falls short of the work.
pub fn unsolved(template: &Template, time: u32) -> BlockHeader {
    let header = template.header(time);
    (0..)
        .map(|n| header.with_nonce(n))
        .find(|h| !h.hash().meets(template.zero_bits))
        .unwrap()
}

/// A submission body.
pub fn body(header: &BlockHeader, miner: &str) -> String {
    serde_json::json!({
        "header": protocol::hex::Hex(&header.to_bytes()).to_string(),
        "miner": miner,
    })
    .to_string()
}

/// A valid next block for `store` with an empty body (the reward only),
/// `offset` seconds past the minimum time (different offsets make rival
/// blocks).
pub fn next_block(store: &dyn Store, offset: u32, miner: &str) -> NextBlock {
    let state = store.tip_state().unwrap();
    let body = chain::rules::body(&state, PAYOUT, []);
    let template = chain::rules::template(store.params().zero_bits, &state, &body);
    let header = solve(&template, template.min_time + offset, 0);
    NextBlock {
        block: chain::api::Block {
            height: template.height,
            hash: header.hash(),
            header,
            miner: miner.to_owned(),
            received_at: NOW,
            confirmed_by: Vec::new(),
        },
        body,
    }
}

/// A block and its body.
#[derive(Clone, Debug)]
pub struct NextBlock {
    pub block: chain::api::Block,
    pub body: Vec<chain::ledger::Tx>,
}

impl NextBlock {
    /// Appends it to `store` directly.
    pub fn append(&self, store: &dyn Store) -> Result<(), chain::store::AppendError> {
        store.append(&self.block, &self.body, &[])
    }
}
