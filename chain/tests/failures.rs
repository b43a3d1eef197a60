//! When the store fails, the service answers 503 (retry later) or 500 as
//! JSON, changes nothing, and keeps serving.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use chain::api::Block;
use chain::ledger::{Trade, Tx, TxId};
use chain::store::{
    AdmitError, AppendError, ChainParams, Dropped, MempoolMark, MempoolRead, TemplateBody,
    TipState, TxStatus,
};
use chain::{ChainClient, ClientError, ServiceConfig, SqliteStore, Store, StoreError};
use protocol::Hash256;
use tokio::net::TcpListener;

const WORK: u8 = 0;
const FAIL: u8 = 1;
const PANIC: u8 = 2;

/// A real store whose appends can be made to fail or panic.
#[derive(Debug)]
struct Faulty {
    inner: SqliteStore,
    mode: AtomicU8,
}

impl Store for Faulty {
    fn params(&self) -> ChainParams {
        self.inner.params()
    }
    fn tip_state(&self) -> Result<TipState, StoreError> {
        self.inner.tip_state()
    }
    fn block(&self, height: u64) -> Result<Option<Block>, StoreError> {
        self.inner.block(height)
    }
    fn blocks(&self, from: u64, limit: usize) -> Result<Vec<Block>, StoreError> {
        self.inner.blocks(from, limit)
    }
    fn height_of(&self, hash: &Hash256) -> Result<Option<u64>, StoreError> {
        self.inner.height_of(hash)
    }
    fn blocks_with_bodies(
        &self,
        from: u64,
        limit: usize,
        max_txs: usize,
    ) -> Result<Vec<(Block, Vec<Tx>)>, StoreError> {
        self.inner.blocks_with_bodies(from, limit, max_txs)
    }
    fn append(&self, block: &Block, body: &[Tx], trades: &[Trade]) -> Result<(), AppendError> {
        match self.mode.load(Ordering::SeqCst) {
            FAIL => Err(io_error().into()),
            PANIC => panic!("simulated bug"),
            _ => self.inner.append(block, body, trades),
        }
    }
    fn append_all(&self, blocks: &[chain::store::NewBlock<'_>]) -> Result<(), AppendError> {
        match self.mode.load(Ordering::SeqCst) {
            FAIL => Err(io_error().into()),
            PANIC => panic!("simulated bug"),
            _ => self.inner.append_all(blocks),
        }
    }
    fn mempool(&self, after: u64) -> Result<MempoolRead, StoreError> {
        self.inner.mempool(after)
    }
    fn admit(&self, mark: MempoolMark, txs: &[Tx], now: u64) -> Result<Vec<u64>, AdmitError> {
        match self.mode.load(Ordering::SeqCst) {
            FAIL => Err(io_error().into()),
            _ => self.inner.admit(mark, txs, now),
        }
    }
    fn drop_pending(&self, tip: Hash256, dropped: &[Dropped]) -> Result<bool, StoreError> {
        self.inner.drop_pending(tip, dropped)
    }
    fn put_template(&self, template: &TemplateBody) -> Result<bool, StoreError> {
        self.inner.put_template(template)
    }
    fn template(&self, merkle_root: &Hash256) -> Result<Option<TemplateBody>, StoreError> {
        self.inner.template(merkle_root)
    }
    fn transaction(&self, id: &TxId) -> Result<Option<(Tx, TxStatus)>, StoreError> {
        self.inner.transaction(id)
    }
    fn trades(&self, from: u64, limit: usize) -> Result<Vec<Trade>, StoreError> {
        self.inner.trades(from, limit)
    }
}

fn io_error() -> StoreError {
    StoreError::Database(rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_IOERR),
        Some("disk I/O error".into()),
    ))
}

#[tokio::test]
async fn store_failures_are_503_or_500_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let inner = SqliteStore::open(&dir.path().join("c.db"), Some(common::ZERO_BITS)).unwrap();
    let store = Arc::new(Faulty {
        inner,
        mode: AtomicU8::new(FAIL),
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let shared: Arc<dyn Store> = store.clone();
    tokio::spawn(chain::serve(
        listener,
        shared,
        ServiceConfig::default(),
        std::future::pending(),
    ));
    let client = ChainClient::new(&url).unwrap();
    let template = client.template(&common::PAYOUT).await.unwrap();
    let header = common::solve(&template, template.time_for(now()), 0);

    match client.submit(&header, "m").await {
        Err(e @ ClientError::Unavailable { status: 503, .. }) => {
            assert!(e.is_retryable());
            assert!(e.to_string().contains("retry"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    store.mode.store(PANIC, Ordering::SeqCst);
    match client.submit(&header, "m").await {
        Err(ClientError::Unavailable { status: 500, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(client.tip().await.unwrap().height, 0);

    // Once the store works again, the same block goes in.
    store.mode.store(WORK, Ordering::SeqCst);
    assert_eq!(client.submit(&header, "m").await.unwrap().height, 1);
    let stats = client.stats().await.unwrap();
    assert_eq!(stats.errors.get("store_unavailable"), Some(&1));
    assert_eq!(stats.errors.get("internal"), Some(&1));
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
