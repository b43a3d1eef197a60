//! [`Store`] on one SQLite file, in WAL mode with `synchronous = FULL`: a
//! commit returns once the write-ahead log is on disk, so an acknowledged
//! block survives a crash of the process or the machine.
//!
//! Two connections: appends go through the writer, everything else through
//! a read-only one, so reads never wait behind a commit's fsync. Appends are
//! serialized by the writer's mutex within a process and by `BEGIN
//! IMMEDIATE` (SQLite's write lock) between processes; the tip check and the
//! insert happen inside that one transaction, and `height` is the primary
//! key, so no two blocks can ever share a height.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use protocol::{BlockHeader, HEADER_LEN, Hash256};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Row, TransactionBehavior};

use super::{AppendError, ChainParams, Store, StoreError, TipState};
use crate::api::Block;
use crate::rules::{DEFAULT_ZERO_BITS, MEDIAN_SPAN, genesis_hash, genesis_header};

/// Version of the tables below; stored in the file.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE chain (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    schema_version INTEGER NOT NULL,
    zero_bits INTEGER NOT NULL CHECK (zero_bits BETWEEN 0 AND 255),
    genesis_hash BLOB NOT NULL CHECK (length(genesis_hash) = 32)
) STRICT;
CREATE TABLE blocks (
    height INTEGER PRIMARY KEY CHECK (height >= 0),
    hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
    header BLOB NOT NULL CHECK (length(header) = 80),
    miner TEXT NOT NULL,
    received_at INTEGER NOT NULL
) STRICT;
";

const BLOCK_COLUMNS: &str = "height, hash, header, miner, received_at";

/// How long a connection waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The chain in one SQLite file.
pub struct SqliteStore {
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    params: ChainParams,
    path: PathBuf,
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
    /// [`DEFAULT_ZERO_BITS`]). An existing chain keeps its difficulty:
    /// asking for another one is [`StoreError::ZeroBitsMismatch`].
    pub fn open(path: &Path, zero_bits: Option<u8>) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(path, zero_bits, true)
    }

    /// Opens an existing chain (for export and tools); never creates one.
    pub fn open_existing(path: &Path) -> Result<SqliteStore, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing(path.to_owned()));
        }
        SqliteStore::open_with(path, None, false)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn open_with(
        path: &Path,
        zero_bits: Option<u8>,
        create: bool,
    ) -> Result<SqliteStore, StoreError> {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let mut writer = connect(path, flags)?;
        let params = init(&mut writer, path, zero_bits, create)?;
        let reader = connect(path, flags)?;
        reader.pragma_update(None, "query_only", true)?;
        Ok(SqliteStore {
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            params,
            path: path.to_owned(),
        })
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        // A panic cannot leave a connection mid-transaction (the
        // transaction rolls back when dropped), so a poisoned lock is safe.
        self.reader.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn connect(path: &Path, flags: OpenFlags) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

/// Checks the file's chain against the arguments, or creates it.
fn init(
    conn: &mut Connection,
    path: &Path,
    zero_bits: Option<u8>,
    create: bool,
) -> Result<ChainParams, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let tables: Vec<String> = tx
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let ours = |t: &String| t == "chain" || t == "blocks";
    if tables.iter().any(|t| !ours(t)) || (!tables.is_empty() && tables.len() != 2) {
        return Err(StoreError::NotAChain(path.to_owned()));
    }
    if tables.is_empty() {
        if !create {
            return Err(StoreError::NotAChain(path.to_owned()));
        }
        let zero_bits = zero_bits.unwrap_or(DEFAULT_ZERO_BITS);
        tx.execute_batch(SCHEMA)?;
        tx.execute(
            "INSERT INTO chain (id, schema_version, zero_bits, genesis_hash) VALUES (1, ?1, ?2, ?3)",
            (SCHEMA_VERSION, zero_bits, &genesis_hash().0[..]),
        )?;
        let genesis = genesis_header();
        insert(
            &tx,
            &Block {
                height: 0,
                hash: genesis.hash(),
                header: genesis,
                miner: "genesis".into(),
                received_at: u64::from(genesis.time),
            },
        )?;
        tx.commit()?;
        return Ok(ChainParams { zero_bits });
    }
    let (version, stored, genesis): (i64, u8, Vec<u8>) = tx
        .query_row(
            "SELECT schema_version, zero_bits, genesis_hash FROM chain WHERE id = 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| StoreError::Corrupt("the chain table is empty".into()))?;
    if version != SCHEMA_VERSION {
        return Err(StoreError::Schema {
            path: path.to_owned(),
            found: version,
            expected: SCHEMA_VERSION,
        });
    }
    let found = Hash256(to_array(genesis, "genesis hash")?);
    if found != genesis_hash() {
        return Err(StoreError::GenesisMismatch {
            path: path.to_owned(),
            found,
            expected: genesis_hash(),
        });
    }
    if let Some(requested) = zero_bits.filter(|&z| z != stored) {
        return Err(StoreError::ZeroBitsMismatch {
            path: path.to_owned(),
            stored,
            requested,
        });
    }
    Ok(ChainParams { zero_bits: stored })
}

fn insert(conn: &Connection, block: &Block) -> Result<(), StoreError> {
    let height = i64::try_from(block.height)
        .map_err(|_| StoreError::Corrupt(format!("height {} out of range", block.height)))?;
    let received_at = i64::try_from(block.received_at).unwrap_or(i64::MAX);
    conn.execute(
        "INSERT INTO blocks (height, hash, header, miner, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        (
            height,
            &block.hash.0[..],
            &block.header.to_bytes()[..],
            &block.miner,
            received_at,
        ),
    )?;
    Ok(())
}

/// A row as stored, before its values are checked.
type RawBlock = (i64, Vec<u8>, Vec<u8>, String, i64);

fn raw_block(row: &Row<'_>) -> rusqlite::Result<RawBlock> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn to_block((height, hash, header, miner, received_at): RawBlock) -> Result<Block, StoreError> {
    let header: [u8; HEADER_LEN] = to_array(header, "header")?;
    Ok(Block {
        height: u64::try_from(height)
            .map_err(|_| StoreError::Corrupt(format!("negative height {height}")))?,
        hash: Hash256(to_array(hash, "hash")?),
        header: BlockHeader::from_bytes(&header),
        miner,
        received_at: u64::try_from(received_at).unwrap_or(0),
    })
}

fn to_array<const N: usize>(bytes: Vec<u8>, what: &str) -> Result<[u8; N], StoreError> {
    let len = bytes.len();
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what} has {len} bytes, not {N}")))
}

impl Store for SqliteStore {
    fn params(&self) -> ChainParams {
        self.params
    }

    fn tip_state(&self) -> Result<TipState, StoreError> {
        let conn = self.reader();
        // One statement reads one snapshot: the tip and its predecessors.
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {BLOCK_COLUMNS} FROM blocks ORDER BY height DESC LIMIT {MEDIAN_SPAN}"
        ))?;
        let recent = stmt
            .query_map([], raw_block)?
            .map(|raw| to_block(raw?))
            .collect::<Result<Vec<Block>, StoreError>>()?;
        let recent_times = recent.iter().map(|b| b.header.time).collect();
        let tip = recent
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Corrupt("the chain has no blocks".into()))?;
        Ok(TipState { tip, recent_times })
    }

    fn block(&self, height: u64) -> Result<Option<Block>, StoreError> {
        let Ok(height) = i64::try_from(height) else {
            return Ok(None);
        };
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {BLOCK_COLUMNS} FROM blocks WHERE height = ?1"
        ))?;
        stmt.query_row([height], raw_block)
            .optional()?
            .map(to_block)
            .transpose()
    }

    fn blocks(&self, from: u64, limit: usize) -> Result<Vec<Block>, StoreError> {
        let Ok(from) = i64::try_from(from) else {
            return Ok(Vec::new());
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {BLOCK_COLUMNS} FROM blocks WHERE height >= ?1 ORDER BY height LIMIT ?2"
        ))?;
        stmt.query_map([from, limit], raw_block)?
            .map(|raw| to_block(raw?))
            .collect()
    }

    fn height_of(&self, hash: &Hash256) -> Result<Option<u64>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached("SELECT height FROM blocks WHERE hash = ?1")?;
        let height: Option<i64> = stmt.query_row([&hash.0[..]], |row| row.get(0)).optional()?;
        Ok(height.and_then(|h| u64::try_from(h).ok()))
    }

    fn append(&self, block: &Block) -> Result<(), AppendError> {
        let mut conn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (tip_height, tip_hash): (i64, Vec<u8>) = tx.query_row(
            "SELECT height, hash FROM blocks ORDER BY height DESC LIMIT 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        let extends = u64::try_from(tip_height)
            .is_ok_and(|h| h.checked_add(1) == Some(block.height))
            && tip_hash == block.header.prev_hash.0;
        if !extends {
            return Err(AppendError::NotOnTip);
        }
        match insert(&tx, block) {
            // Unreachable after the check above within this process; kept
            // so that the schema, not only the check, has the last word.
            Err(StoreError::Database(e))
                if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) =>
            {
                return Err(AppendError::NotOnTip);
            }
            other => other?,
        }
        tx.commit()?;
        Ok(())
    }
}
