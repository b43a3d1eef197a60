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
//! the connections and their cached statements.

mod listen;
mod ops;
mod pool;

use std::path::PathBuf;
use std::time::Duration;

use postgres::error::SqlState;
use tokio::sync::watch;

use super::schema::{self, SCHEMA_VERSION};
use super::{ChainParams, CreateParams, StoreError};
use crate::api::Block;
use crate::ledger::PublicKey;
use crate::rules::{DEFAULT_ZERO_BITS, genesis_hash, genesis_header};
use pool::Pool;

/// The tables (version [`SCHEMA_VERSION`]), PostgreSQL's twin of the
/// SQLite schema: the same columns, `BYTEA` for blobs, `BIGINT` for
/// integers (unsigned 64-bit values stored as the signed integer with the
/// same bits).
const SCHEMA: &str = "
CREATE TABLE chain (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    schema_version BIGINT NOT NULL,
    zero_bits SMALLINT NOT NULL CHECK (zero_bits BETWEEN 0 AND 255),
    genesis_hash BYTEA NOT NULL CHECK (length(genesis_hash) = 32),
    operator BYTEA CHECK (operator IS NULL OR length(operator) = 32),
    mempool_seq BIGINT NOT NULL DEFAULT 0,
    template_seq BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE blocks (
    height BIGINT PRIMARY KEY CHECK (height >= 0),
    hash BYTEA NOT NULL UNIQUE CHECK (length(hash) = 32),
    header BYTEA NOT NULL CHECK (length(header) = 80),
    miner TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    confirmed_by TEXT NOT NULL DEFAULT ''
);
CREATE TABLE block_txs (
    id BYTEA PRIMARY KEY CHECK (length(id) = 32),
    height BIGINT NOT NULL REFERENCES blocks (height),
    position INTEGER NOT NULL,
    raw BYTEA NOT NULL,
    UNIQUE (height, position)
);
CREATE TABLE mempool (
    seq BIGINT PRIMARY KEY,
    id BYTEA NOT NULL UNIQUE CHECK (length(id) = 32),
    raw BYTEA NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE TABLE dropped (
    id BYTEA PRIMARY KEY CHECK (length(id) = 32),
    n BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    raw BYTEA NOT NULL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    height BIGINT NOT NULL
);
CREATE TABLE templates (
    merkle_root BYTEA PRIMARY KEY CHECK (length(merkle_root) = 32),
    parent BYTEA NOT NULL,
    seq BIGINT NOT NULL,
    body BYTEA NOT NULL
);
CREATE TABLE trades (
    seq BIGINT PRIMARY KEY,
    height BIGINT NOT NULL,
    taker BYTEA NOT NULL,
    maker BYTEA NOT NULL,
    taker_side SMALLINT NOT NULL,
    buyer BYTEA NOT NULL,
    seller BYTEA NOT NULL,
    price BIGINT NOT NULL,
    amount BIGINT NOT NULL
);
";

/// The tables of [`SCHEMA`].
const TABLES: [&str; 7] = [
    "chain",
    "blocks",
    "block_txs",
    "mempool",
    "dropped",
    "templates",
    "trades",
];

/// The channel commits are announced on.
const CHANNEL: &str = "chain_changes";

/// Key of the advisory lock that serializes creating the tables, so two
/// instances started at once on an empty database create them once.
const INIT_LOCK: i64 = 0x6368_6169_6e00;

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

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long sent data may stay unacknowledged before the connection is
/// taken for dead (a server machine that vanished, not one that refused).
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(5);

/// Times a write is tried when the database reports a serialization
/// failure or a deadlock.
const WRITE_ATTEMPTS: usize = 5;

/// A PostgreSQL connection URL, as given and as shown (without its
/// password).
#[derive(Clone)]
pub struct PgUrl {
    config: postgres::Config,
    shown: String,
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl std::fmt::Display for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl PgUrl {
    /// Whether `text` names a PostgreSQL database (`postgres://` or
    /// `postgresql://`).
    pub fn is_url(text: &str) -> bool {
        text.starts_with("postgres://") || text.starts_with("postgresql://")
    }

    /// Parses `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAMS]` (the
    /// libpq URL form). Without a password in the URL, `PGPASSWORD` is
    /// used if set.
    pub fn parse(text: &str) -> Result<PgUrl, String> {
        if !PgUrl::is_url(text) {
            return Err("a PostgreSQL URL starts with postgres:// or postgresql://".into());
        }
        let mut config: postgres::Config = text.parse().map_err(|e| format!("{e}"))?;
        if config.get_hosts().is_empty() {
            return Err("the URL names no host (postgres://USER@HOST[:PORT]/DB)".into());
        }
        if config.get_user().is_none() {
            return Err("the URL names no user (postgres://USER@HOST[:PORT]/DB)".into());
        }
        if config.get_dbname().is_none() {
            return Err("the URL names no database (postgres://USER@HOST[:PORT]/DB)".into());
        }
        if config.get_password().is_none()
            && let Ok(password) = std::env::var("PGPASSWORD")
        {
            config.password(password);
        }
        Ok(PgUrl {
            config,
            shown: without_password(text),
        })
    }

    /// The URL without its password.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// As a path-like location, for the errors that name the chain's place.
    fn location(&self) -> PathBuf {
        PathBuf::from(&self.shown)
    }

    /// The settings every connection uses.
    fn settings(&self, application: &str) -> postgres::Config {
        let mut config = self.config.clone();
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        config
            .keepalives_idle(Duration::from_secs(10))
            .application_name(application)
            .options("-c synchronous_commit=on -c client_min_messages=warning");
        config
    }
}

/// `scheme://user:password@rest` without `:password`.
fn without_password(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => text.to_owned(),
    }
}

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
            .connect(postgres::NoTls)
            .map_err(|e| StoreError::Unreachable(format!("{url}: {e}")))?;
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

/// Says so when the server does not flush its log at commit: then no
/// answer of this service is durable.
fn warn_if_not_durable(client: &mut postgres::Client, url: &PgUrl) {
    let setting = client
        .query_one("SELECT current_setting('fsync')", &[])
        .and_then(|row| row.try_get::<_, String>(0));
    match setting {
        Ok(on) if on == "on" => {}
        Ok(other) => tracing::warn!(
            "{url}: the server runs with fsync = {other}: a crash of its machine can lose \
             blocks this service acknowledged; set fsync = on"
        ),
        Err(e) => tracing::warn!("{url}: cannot read the server's fsync setting: {e}"),
    }
}

/// Checks the database's chain against the arguments, or creates it.
fn init(
    client: &mut postgres::Client,
    url: &PgUrl,
    wanted: CreateParams,
    create: bool,
) -> Result<ChainParams, StoreError> {
    let location = url.location();
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INIT_LOCK])?;
    let tables: Vec<String> = tx
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            &[],
        )?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    let ours = tables
        .iter()
        .filter(|t| TABLES.contains(&t.as_str()))
        .count();
    if ours == 0 {
        if !create {
            return Err(StoreError::NotAChain(location));
        }
        if !tables.is_empty() {
            return Err(StoreError::ForeignTables {
                location,
                tables: tables.join(", "),
            });
        }
        let zero_bits = wanted.zero_bits.unwrap_or(DEFAULT_ZERO_BITS);
        tx.batch_execute(SCHEMA)?;
        tx.execute(
            "INSERT INTO chain (id, schema_version, zero_bits, genesis_hash, operator)
             VALUES (1, $1, $2, $3, $4)",
            &[
                &SCHEMA_VERSION,
                &i16::from(zero_bits),
                &&genesis_hash().0[..],
                &wanted.operator.map(|k| k.0.to_vec()),
            ],
        )?;
        let genesis = genesis_header();
        ops::insert_block(
            &mut tx,
            &Block {
                height: 0,
                hash: genesis.hash(),
                header: genesis,
                miner: "genesis".into(),
                received_at: u64::from(genesis.time),
                confirmed_by: Vec::new(),
            },
        )?;
        tx.commit()?;
        return Ok(ChainParams {
            zero_bits,
            operator: wanted.operator,
        });
    }
    if !tables.iter().any(|t| t == "chain") {
        return Err(StoreError::NotAChain(location));
    }
    let version: i64 = tx
        .query_opt("SELECT schema_version::bigint FROM chain WHERE id = 1", &[])?
        .map(|row| row.try_get(0))
        .transpose()
        .map_err(|_| StoreError::Schema {
            path: location.clone(),
            found: -1,
            expected: SCHEMA_VERSION,
        })?
        .ok_or_else(|| StoreError::Corrupt("the chain table is empty".into()))?;
    for step in schema::steps(version, &location)? {
        tx.batch_execute(step.postgres)?;
        tx.execute(
            "UPDATE chain SET schema_version = $1 WHERE id = 1",
            &[&(step.from + 1)],
        )?;
    }
    if ours != TABLES.len() {
        return Err(StoreError::NotAChain(location));
    }
    let row = tx.query_one(
        "SELECT zero_bits, genesis_hash, operator FROM chain WHERE id = 1",
        &[],
    )?;
    let stored = u8::try_from(row.try_get::<_, i16>(0)?)
        .map_err(|_| StoreError::Corrupt("zero_bits out of range".into()))?;
    let found = protocol::Hash256(super::sqlite::rows::to_array(
        row.try_get::<_, Vec<u8>>(1)?,
        "genesis hash",
    )?);
    if found != genesis_hash() {
        return Err(StoreError::GenesisMismatch {
            path: location,
            found,
            expected: genesis_hash(),
        });
    }
    if let Some(requested) = wanted.zero_bits.filter(|&z| z != stored) {
        return Err(StoreError::ZeroBitsMismatch {
            path: location,
            stored,
            requested,
        });
    }
    let operator = row
        .get::<_, Option<Vec<u8>>>(2)
        .map(|k| super::sqlite::rows::to_array(k, "operator key").map(PublicKey))
        .transpose()?;
    if let Some(requested) = wanted.operator.filter(|&k| Some(k) != operator) {
        return Err(StoreError::OperatorMismatch {
            path: location,
            stored: operator.map_or("none".into(), |k| k.to_string()),
            requested,
        });
    }
    tx.commit()?;
    Ok(ChainParams {
        zero_bits: stored,
        operator,
    })
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
