//! A chain service on `127.0.0.1:0` over a fresh store (an SQLite file,
//! or a database of the tests' own PostgreSQL server), and helpers to mine
//! and send requests to it. Shared by the integration tests.
//!
//! [`Backend`] names a store; [`on_both_stores!`] turns a test taking one
//! into a test per store (`NAME::sqlite`, `NAME::postgres`), so every
//! store test runs against both implementations.
#![allow(
    dead_code,
    unused_macros,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used
)]

#[path = "../support/postgres.rs"]
pub mod pg;

pub mod ledger;

use std::sync::Arc;

use chain::api::Template;
use chain::store::CreateParams;
use chain::{ChainClient, Clock, Location, ServiceConfig, Store};
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

/// Which store a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file.
    Sqlite,
    /// A fresh database on the test binary's PostgreSQL server.
    Postgres,
}

/// A place for one test's chain, and what keeps it there.
pub struct Db {
    pub location: Location,
    pub backend: Backend,
    _dir: Option<TempDir>,
}

impl Backend {
    /// A new, empty place for a chain; `None` (after printing `SKIPPED`)
    /// when this backend cannot run here.
    pub fn fresh(self, test: &str) -> Option<Db> {
        match self {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                Some(Db {
                    location: Location::Sqlite(dir.path().join("chain.db")),
                    backend: self,
                    _dir: Some(dir),
                })
            }
            Backend::Postgres => {
                if !pg::available(test) {
                    return None;
                }
                Some(Db {
                    location: Location::parse(&pg::shared().database()).unwrap(),
                    backend: self,
                    _dir: None,
                })
            }
        }
    }
}

impl Db {
    /// Opens (creating) the chain with `zero_bits`.
    pub fn open(&self, zero_bits: Option<u8>) -> Arc<dyn Store> {
        self.open_with(CreateParams {
            zero_bits,
            operator: None,
        })
        .unwrap()
    }

    /// Opens (creating) the chain with `params`.
    pub fn open_with(&self, params: CreateParams) -> Result<Arc<dyn Store>, chain::StoreError> {
        self.location.open(params)
    }
}

/// `fn NAME(backend: Backend)` for each NAME, run as `NAME::sqlite` and
/// `NAME::postgres`.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(crate::common::Backend::Sqlite);
            }
            #[test]
            fn postgres() {
                super::$name(crate::common::Backend::Postgres);
            }
        }
    )*};
}
pub(crate) use on_both_stores;

/// `async fn NAME(backend: Backend)` for each NAME, run as `NAME::sqlite`
/// and `NAME::postgres` on a runtime of two threads.
macro_rules! on_both_stores_async {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(crate::common::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(crate::common::Backend::Postgres).await;
            }
        }
    )*};
}
pub(crate) use on_both_stores_async;

/// A running service and what talks to it.
pub struct Service {
    pub url: String,
    pub client: ChainClient,
    pub http: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub db: Location,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _db: Db,
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
        Service::start_on(Backend::Sqlite, "", config, operator)
            .await
            .unwrap()
    }

    /// [`Service::start_ledger`] on `backend`; `None` when it cannot run
    /// here (`test` is named in the `SKIPPED` line).
    pub async fn ledger_on(backend: Backend, test: &str) -> Option<Service> {
        Service::start_on(
            backend,
            test,
            ServiceConfig {
                clock: Clock::fixed(NOW),
                ..ServiceConfig::default()
            },
            Some(chain::ledger::public_key(&operator())),
        )
        .await
    }

    /// A new chain of [`ZERO_BITS`] on `backend`, served with `config`.
    pub async fn start_on(
        backend: Backend,
        test: &str,
        config: ServiceConfig,
        operator: Option<chain::ledger::PublicKey>,
    ) -> Option<Service> {
        let db = backend.fresh(test)?;
        let params = CreateParams {
            zero_bits: Some(ZERO_BITS),
            operator,
        };
        let store = db.open_with(params).unwrap();
        Some(Service::serve(store, db, config).await)
    }

    /// Serves `store` (kept at `db`).
    pub async fn serve(store: Arc<dyn Store>, db: Db, config: ServiceConfig) -> Service {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(chain::serve(listener, store.clone(), config, async {
            let _ = stopped.await;
        }));
        Service {
            client: ChainClient::new(&url).unwrap(),
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            url,
            store,
            db: db.location.clone(),
            stop: Some(stop),
            task: Some(task),
            _db: db,
        }
    }

    /// The store's tip state, read off the runtime's threads (the
    /// PostgreSQL client blocks).
    pub async fn tip_state(&self) -> chain::store::TipState {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.tip_state().unwrap())
            .await
            .unwrap()
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
