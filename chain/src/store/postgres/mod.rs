//! [`Store`](super::Store) on a PostgreSQL database, for several service
//! instances (on one machine or several) that share one chain.
//!
//! Durability: every session runs with `synchronous_commit = on`, so a
//! commit returns once its write-ahead log is flushed (the server's `fsync`
//! is checked at open, and a server without it is warned about).
//!
//! One block per height across instances: every write transaction first
//! locks the one row of `chain` (`SELECT ... FOR UPDATE`), then, in its
//! next statement (a fresh snapshot under READ COMMITTED, so it sees what
//! the previous lock holder committed), reads what it depends on: the tip,
//! the mempool's counter. Writers are thus serialized on the database, and
//! mempool numbers are handed out under the lock, so they become visible
//! in order. `height` is the primary key besides: the schema, not only the
//! check, has the last word. A serialization failure or deadlock (neither
//! expected under the lock) is retried.
//!
//! Admissions of all instances take turns by an advisory lock (granted in
//! the order asked), so that a busy instance cannot starve another's.
//!
//! Reads are single statements (one snapshot each) on a pool of
//! connections; writes that commit send a notification (`NOTIFY`), which
//! `listen.rs` turns into [`Store::changes`](super::Store::changes) for the
//! service's follower. `ops.rs` is the trait's implementation; `pool.rs`
//! the connections and their cached statements; `init.rs` the schema and
//! opening a database; `url.rs` the connection URL; `tls.rs` its TLS.

mod client_key;
mod init;
mod listen;
mod ops;
mod pool;
mod tls;
mod url;

use std::time::Duration;

use postgres::error::SqlState;
use tokio::sync::watch;

use super::{ChainParams, CreateParams, StoreError};
use init::{init, warn_if_not_durable};
use pool::Pool;
pub use url::PgUrl;

/// The channel commits are announced on.
const CHANNEL: &str = "chain_changes";

/// Key of the advisory lock whose holder has the admission turn
/// ([`Store::admission_turn`](super::Store::admission_turn)).
const ADMISSION_LOCK: i64 = 0x6368_6169_6e01;

/// How long an instance waits for its admission turn before the batch is
/// answered `503 store_unavailable` (a turn lasts one batch: milliseconds).
const TURN_WAIT: Duration = Duration::from_secs(5);

/// Connections kept per instance at most.
const POOL_SIZE: u32 = 16;

/// How long a request waits for a connection before the store answers
/// that it is unavailable (the service then answers `503`).
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(1);

/// Times a write is tried when the database reports a serialization
/// failure or a deadlock.
const WRITE_ATTEMPTS: usize = 5;

/// The chain in a PostgreSQL database.
pub struct PgStore {
    pool: Pool,
    params: ChainParams,
    url: PgUrl,
    changes: watch::Receiver<u64>,
    _listener: listen::Listener,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &self.url)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Opens the chain in the database at `url`, creating the tables and
    /// the genesis block in an empty database, with `params`; an existing
    /// chain refuses values other than its own (a `None` asks for nothing),
    /// as [`SqliteStore`](super::SqliteStore) does.
    pub fn open(url: &PgUrl, params: CreateParams) -> Result<PgStore, StoreError> {
        PgStore::connect_all(url, params, true)
    }

    /// Opens an existing chain (for export and tools); never creates one.
    pub fn open_existing(url: &PgUrl) -> Result<PgStore, StoreError> {
        PgStore::connect_all(url, CreateParams::default(), false)
    }

    /// The database, as shown (no password).
    pub fn url(&self) -> &PgUrl {
        &self.url
    }

    fn connect_all(url: &PgUrl, wanted: CreateParams, create: bool) -> Result<PgStore, StoreError> {
        // The client blocks on a runtime of its own, which it may not do
        // on a thread that drives asynchronous tasks: then it connects on
        // a thread of its own.
        if tokio::runtime::Handle::try_current().is_ok() {
            return std::thread::scope(|s| {
                s.spawn(|| PgStore::connect_here(url, wanted, create))
                    .join()
                    .unwrap_or_else(|_| {
                        Err(StoreError::Corrupt("opening the store panicked".into()))
                    })
            });
        }
        PgStore::connect_here(url, wanted, create)
    }

    fn connect_here(
        url: &PgUrl,
        wanted: CreateParams,
        create: bool,
    ) -> Result<PgStore, StoreError> {
        let settings = url.settings("coordinator chain");
        let mut first = settings
            .connect()
            .map_err(|e| StoreError::Unreachable(format!("{url}: {}", Cause(&e))))?;
        warn_if_not_durable(&mut first, url);
        let params = init(&mut first, url, wanted, create)?;
        drop(first);
        let pool = Pool::new(settings.clone(), POOL_SIZE, CONNECTION_TIMEOUT);
        let (listener, changes) = listen::Listener::start(settings, CHANNEL)
            .map_err(|e| StoreError::Corrupt(format!("cannot start the listener: {e}")))?;
        Ok(PgStore {
            pool,
            params,
            url: url.clone(),
            changes,
            _listener: listener,
        })
    }
}

/// A client error with its causes, which its own text leaves out (`db
/// error`, `error performing TLS handshake`): the server's message, the
/// certificate's fault, the socket's.
pub(crate) struct Cause<'a>(pub(crate) &'a postgres::Error);

impl std::fmt::Display for Cause<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = std::error::Error::source(self.0);
        while let Some(e) = source {
            write!(f, ": {e}")?;
            source = e.source();
        }
        Ok(())
    }
}

/// Whether a failed write may simply be tried again.
fn is_retryable(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(&SqlState::T_R_SERIALIZATION_FAILURE | &SqlState::T_R_DEADLOCK_DETECTED)
    )
}

/// Whether the database refused a write for a unique key.
fn is_unique_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}
