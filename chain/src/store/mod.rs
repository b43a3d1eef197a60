//! Where the chain lives. [`Store`] is the small interface the service
//! needs; [`SqliteStore`] implements it on one SQLite file. A PostgreSQL
//! store for several service instances sharing one database implements the
//! same trait: the one hard requirement is that [`Store::append`] checks the
//! tip and inserts in one serializable step.

mod sqlite;

use std::path::PathBuf;

use protocol::Hash256;

pub use sqlite::SqliteStore;

use crate::api::Block;

/// The chain's fixed parameters, chosen when it was created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainParams {
    /// Difficulty: leading zero bits every block after genesis needs.
    pub zero_bits: u8,
}

/// The tip and what the next template depends on, read at one instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TipState {
    /// The last block.
    pub tip: Block,
    /// Header times of the last [`MEDIAN_SPAN`](crate::rules::MEDIAN_SPAN) blocks (fewer near genesis),
    /// newest first; never empty.
    pub recent_times: Vec<u32>,
}

/// The chain's storage. Methods block (the server calls them from
/// `spawn_blocking`); every one is safe to call from many threads at once.
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// The chain's parameters.
    fn params(&self) -> ChainParams;

    /// The tip and the times of the blocks before it, consistently.
    fn tip_state(&self) -> Result<TipState, StoreError>;

    /// The block at `height`, if the chain is that long.
    fn block(&self, height: u64) -> Result<Option<Block>, StoreError>;

    /// Up to `limit` blocks from `from` upwards, in height order.
    fn blocks(&self, from: u64, limit: usize) -> Result<Vec<Block>, StoreError>;

    /// The height of the block with this hash, if it is in the chain.
    fn height_of(&self, hash: &Hash256) -> Result<Option<u64>, StoreError>;

    /// Appends `block` if, at the moment of writing, it extends the tip:
    /// `block.height` is the tip's height + 1 and `block.header.prev_hash`
    /// the tip's hash. Otherwise nothing changes and the answer is
    /// [`AppendError::NotOnTip`]. Returns only once the block is durable.
    fn append(&self, block: &Block) -> Result<(), AppendError>;
}

/// Why the store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed an operation.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// `open_existing` on a path where no file is.
    #[error("no chain database at {0} (start `coordinator chain --db` on it first)")]
    Missing(PathBuf),
    /// The file holds other tables: not ours to write to.
    #[error("{0} is an SQLite database, but not a chain database")]
    NotAChain(PathBuf),
    /// The file was written by a different schema version.
    #[error("{path} has schema version {found}; this build reads version {expected}")]
    Schema {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// The version this build writes.
        expected: i64,
    },
    /// The chain was created with another difficulty.
    #[error(
        "{path} holds a chain of {stored} zero bits; it cannot be served with --zero-bits {requested} (omit --zero-bits, or use another --db)"
    )]
    ZeroBitsMismatch {
        /// The file.
        path: PathBuf,
        /// The chain's difficulty.
        stored: u8,
        /// What was asked for.
        requested: u8,
    },
    /// The file's genesis block is not this build's.
    #[error("{path} starts from genesis {found}, not this build's {expected}")]
    GenesisMismatch {
        /// The file.
        path: PathBuf,
        /// Its genesis hash.
        found: Hash256,
        /// This build's.
        expected: Hash256,
    },
    /// A stored value breaks an invariant the schema cannot express.
    #[error("corrupt chain database: {0}")]
    Corrupt(String),
}

/// Why [`Store::append`] did not append.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// The block does not extend the tip (any more).
    #[error("the block does not extend the current tip")]
    NotOnTip,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for AppendError {
    fn from(e: rusqlite::Error) -> Self {
        AppendError::Store(StoreError::Database(e))
    }
}
