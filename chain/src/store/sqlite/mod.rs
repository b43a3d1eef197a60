//! [`Store`](super::Store) on one SQLite file, in WAL mode with
//! `synchronous = FULL`: a commit returns once the write-ahead log is on
//! disk, so an acknowledged block or admission survives a crash of the
//! process or the machine.
//!
//! Two connections: writes go through the writer, everything else through
//! a read-only one, so reads never wait behind a commit's fsync. Writes are
//! serialized by the writer's mutex within a process and by `BEGIN
//! IMMEDIATE` (SQLite's write lock) between processes; each checks what it
//! depends on (the tip, the mempool's counter) inside its transaction, and
//! `height` is the primary key, so no two blocks can ever share a height.
//!
//! Admissions of several processes on one file take turns
//! ([`Store::admission_turn`](super::Store::admission_turn)) by an
//! exclusive lock on `<file>-admit` beside it, which the system releases
//! when a process dies.
//!
//! `rows.rs` turns rows into values and back; `ops.rs` is the trait's
//! implementation.

mod ops;
pub(super) mod rows;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::schema::{self, SCHEMA_VERSION};
use super::{ChainParams, CreateParams, StoreError};
use crate::rules::{DEFAULT_ZERO_BITS, genesis_hash};

/// The tables (version [`SCHEMA_VERSION`]). The mempool has one index besides its order (`id`):
/// every other index on it costs a random page write per admission, and
/// two entries of one signer with one sequence number cannot both be
/// admitted anyway, since an admission writes only if the mempool is as
/// its checks saw it. Unsigned 64-bit values (amounts, prices, sequence numbers)
/// are stored as the signed integer with the same bits.
const SCHEMA: &str = "
CREATE TABLE chain (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    schema_version INTEGER NOT NULL,
    zero_bits INTEGER NOT NULL CHECK (zero_bits BETWEEN 0 AND 255),
    genesis_hash BLOB NOT NULL CHECK (length(genesis_hash) = 32),
    operator BLOB CHECK (operator IS NULL OR length(operator) = 32),
    mempool_seq INTEGER NOT NULL DEFAULT 0,
    template_seq INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE blocks (
    height INTEGER PRIMARY KEY CHECK (height >= 0),
    hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
    header BLOB NOT NULL CHECK (length(header) = 80),
    miner TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    confirmed_by TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE TABLE block_txs (
    id BLOB PRIMARY KEY CHECK (length(id) = 32),
    height INTEGER NOT NULL REFERENCES blocks (height),
    position INTEGER NOT NULL,
    raw BLOB NOT NULL,
    UNIQUE (height, position)
) STRICT;
CREATE TABLE mempool (
    seq INTEGER PRIMARY KEY,
    id BLOB NOT NULL UNIQUE CHECK (length(id) = 32),
    raw BLOB NOT NULL,
    received_at INTEGER NOT NULL
) STRICT;
CREATE TABLE dropped (
    id BLOB PRIMARY KEY CHECK (length(id) = 32),
    raw BLOB NOT NULL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    height INTEGER NOT NULL
) STRICT;
CREATE TABLE templates (
    merkle_root BLOB PRIMARY KEY CHECK (length(merkle_root) = 32),
    parent BLOB NOT NULL,
    seq INTEGER NOT NULL,
    body BLOB NOT NULL
) STRICT;
CREATE TABLE trades (
    seq INTEGER PRIMARY KEY,
    height INTEGER NOT NULL,
    taker BLOB NOT NULL,
    maker BLOB NOT NULL,
    taker_side INTEGER NOT NULL,
    buyer BLOB NOT NULL,
    seller BLOB NOT NULL,
    price INTEGER NOT NULL,
    amount INTEGER NOT NULL
) STRICT;
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

/// How long a connection waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The chain in one SQLite file.
pub struct SqliteStore {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    params: ChainParams,
    path: PathBuf,
    /// `<file>-admit`, opened at the first admission.
    turn: OnceLock<File>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the chain at `path`, creating the file, the tables and the
    /// genesis block if there is none, with `zero_bits` (default
    /// [`DEFAULT_ZERO_BITS`]) and no operator. An existing chain keeps its
    /// difficulty: asking for another one is [`StoreError::ZeroBitsMismatch`].
    pub fn open(path: &Path, zero_bits: Option<u8>) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(
            path,
            CreateParams {
                zero_bits,
                operator: None,
            },
        )
    }

    /// Opens or creates the chain at `path` with `params`: a new chain takes
    /// them; an existing one refuses values other than its own (a `None`
    /// asks for nothing).
    pub fn open_with(path: &Path, params: CreateParams) -> Result<SqliteStore, StoreError> {
        SqliteStore::connect_all(path, params, true)
    }

    /// Opens an existing chain (for export and tools); never creates one.
    pub fn open_existing(path: &Path) -> Result<SqliteStore, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing(path.to_owned()));
        }
        SqliteStore::connect_all(path, CreateParams::default(), false)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn connect_all(
        path: &Path,
        params: CreateParams,
        create: bool,
    ) -> Result<SqliteStore, StoreError> {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let mut writer = connect(path, flags)?;
        let params = init(&mut writer, path, params, create)?;
        let reader = connect(path, flags)?;
        reader.pragma_update(None, "query_only", true)?;
        Ok(SqliteStore {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            params,
            path: path.to_owned(),
            turn: OnceLock::new(),
        })
    }

    /// The lock file of the admission turn, beside the database.
    fn turn_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push("-admit");
        PathBuf::from(name)
    }

    /// Waits for the exclusive lock on the turn file; held until the
    /// answer is dropped.
    fn lock_turn(&self) -> Result<TurnLock<'_>, StoreError> {
        let lock_error = |source| StoreError::Lock {
            path: self.turn_path(),
            source,
        };
        let file = match self.turn.get() {
            Some(file) => file,
            None => {
                let file = OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(self.turn_path())
                    .map_err(lock_error)?;
                self.turn.get_or_init(|| file)
            }
        };
        file.lock().map_err(lock_error)?;
        Ok(TurnLock(file))
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        // A panic cannot leave a connection mid-transaction (the
        // transaction rolls back when dropped), so a poisoned lock is safe.
        self.reader.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An exclusive lock on the turn file, released when dropped.
struct TurnLock<'a>(&'a File);

impl Drop for TurnLock<'_> {
    fn drop(&mut self) {
        // Unlocking a locked file does not fail; closing it (at the
        // store's end, or the process's) would release it anyway.
        let _ = self.0.unlock();
    }
}

fn connect(path: &Path, flags: OpenFlags) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // Index pages of a large mempool stay in memory (64 MiB).
    conn.pragma_update(None, "cache_size", -65_536)?;
    Ok(conn)
}

/// Checks the file's chain against the arguments, or creates it.
fn init(
    conn: &mut Connection,
    path: &Path,
    wanted: CreateParams,
    create: bool,
) -> Result<ChainParams, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let tables: Vec<String> = tx
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    if tables.iter().any(|t| !TABLES.contains(&t.as_str())) {
        return Err(StoreError::NotAChain(path.to_owned()));
    }
    if tables.is_empty() {
        if !create {
            return Err(StoreError::NotAChain(path.to_owned()));
        }
        let zero_bits = wanted.zero_bits.unwrap_or(DEFAULT_ZERO_BITS);
        tx.execute_batch(SCHEMA)?;
        tx.execute(
            "INSERT INTO chain (id, schema_version, zero_bits, genesis_hash, operator) VALUES (1, ?1, ?2, ?3, ?4)",
            (
                SCHEMA_VERSION,
                zero_bits,
                &genesis_hash().0[..],
                wanted.operator.map(|k| k.0.to_vec()),
            ),
        )?;
        rows::insert_block(&tx, &schema::genesis_block())?;
        tx.commit()?;
        return Ok(ChainParams {
            zero_bits,
            operator: wanted.operator,
        });
    }
    if !tables.iter().any(|t| t == "chain") {
        return Err(StoreError::NotAChain(path.to_owned()));
    }
    let version: i64 = tx
        .query_row("SELECT schema_version FROM chain WHERE id = 1", [], |row| {
            row.get(0)
        })
        .optional()?
        .ok_or_else(|| StoreError::Corrupt("the chain table is empty".into()))?;
    for step in schema::steps(version, path)? {
        tx.execute_batch(step.sqlite)?;
        tx.execute(
            "UPDATE chain SET schema_version = ?1 WHERE id = 1",
            [step.from + 1],
        )?;
    }
    if tables.len() != TABLES.len() {
        return Err(StoreError::NotAChain(path.to_owned()));
    }
    let (stored, genesis, operator): (u8, Vec<u8>, Option<Vec<u8>>) = tx.query_row(
        "SELECT zero_bits, genesis_hash, operator FROM chain WHERE id = 1",
        [],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
    )?;
    let params = schema::check_params(path, wanted, stored, genesis, operator)?;
    // Keeps a migration; otherwise there is nothing to commit.
    tx.commit()?;
    Ok(params)
}
