//! Where the chain lives: the single persistence boundary. [`Store`] is
//! the interface the service needs; [`SqliteStore`] implements it on one
//! SQLite file (one machine), [`PgStore`] on a PostgreSQL database that
//! several service instances share. The same tests run against both.
//! [`Location`] names either and opens it; `schema.rs` is the tables'
//! version and the migrations, one list for both.
//!
//! Every method that writes is one whole transaction that checks what it
//! depends on inside that transaction (the tip, the mempool's counter), so
//! that instances sharing a database cannot interleave badly:
//!
//! - [`Store::append`]: a block with its body and its trades, only if it
//!   extends the tip; its transactions leave the mempool and every
//!   template body is dropped (their parent is no longer the tip).
//! - [`Store::admit`]: a batch of transactions into the mempool, only if
//!   neither the tip nor the mempool changed since the caller read them.
//! - [`Store::put_template`]: a template body, only while its parent is
//!   the tip.
//! - [`Store::drop_pending`]: mempool entries that no longer apply, only
//!   if the tip is still the one they were judged against.
//!
//! The store holds facts (blocks, bodies, the mempool in arrival order,
//! template bodies, trades as blocks produced them); the ledger's balances
//! and book are derived from the blocks by whoever serves them
//! ([`crate::replica`]).

mod location;
mod postgres;
pub mod schema;
pub(crate) mod sqlite;

use std::path::PathBuf;

use protocol::Hash256;

pub use self::postgres::{PgStore, PgUrl};
pub use location::Location;
pub use sqlite::SqliteStore;

use crate::api::Block;
use crate::ledger::{PublicKey, Trade, Tx, TxId};

/// The chain's fixed parameters, chosen when it was created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainParams {
    /// Difficulty: leading zero bits every block after genesis needs.
    pub zero_bits: u8,
    /// The key that may sign deposits (none: no usd can be created).
    pub operator: Option<PublicKey>,
}

/// What a chain is created with: both are kept, and an existing chain
/// refuses other values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CreateParams {
    /// Difficulty; default [`crate::rules::DEFAULT_ZERO_BITS`].
    pub zero_bits: Option<u8>,
    /// Operator key; default none.
    pub operator: Option<PublicKey>,
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

/// Where the mempool stood when it was read: the tip it was read at and
/// the number of the last transaction ever admitted. [`Store::admit`]
/// writes only if both are unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MempoolMark {
    /// The tip's hash.
    pub tip: Hash256,
    /// The last admission number handed out (0: none yet).
    pub last_seq: u64,
}

/// A transaction waiting in the mempool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// Its admission number: the mempool's order.
    pub seq: u64,
    /// The transaction.
    pub tx: Tx,
    /// When it was admitted (Unix seconds).
    pub received_at: u64,
}

/// The mempool's entries after some admission number, and where it stood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MempoolRead {
    /// Where it stood.
    pub mark: MempoolMark,
    /// The entries, in admission order.
    pub entries: Vec<Pending>,
}

/// A transaction taken out of the mempool without entering a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// Its id.
    pub id: TxId,
    /// The stable code of why.
    pub code: String,
    /// Why, for people.
    pub reason: String,
}

/// Where a transaction the store knows of stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxStatus {
    /// In the mempool.
    Pending {
        /// Its admission number.
        seq: u64,
    },
    /// In a block.
    InBlock {
        /// The block's height.
        height: u64,
        /// Its position in the body (0: the reward).
        position: u32,
    },
    /// Dropped from the mempool.
    Dropped {
        /// The stable code of why.
        code: String,
        /// Why.
        reason: String,
        /// The tip's height when it was dropped.
        height: u64,
    },
}

/// A template body kept until a header that commits to it arrives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateBody {
    /// The merkle root of the body's ids.
    pub merkle_root: Hash256,
    /// The block it builds on.
    pub parent: Hash256,
    /// The body, the reward first.
    pub body: Vec<Tx>,
}

/// The chain's storage. Methods block (the server calls them from the
/// blocking pool); every one is safe to call from many threads at once.
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// The chain's parameters.
    fn params(&self) -> ChainParams;

    /// The tip and the times of the blocks before it, consistently.
    fn tip_state(&self) -> Result<TipState, StoreError>;

    /// The block at `height`, if the chain is that long.
    fn block(&self, height: u64) -> Result<Option<Block>, StoreError>;

    /// Up to `limit` blocks from `from` upwards, in height order.
    fn blocks(&self, from: u64, limit: usize) -> Result<Vec<Block>, StoreError>;

    /// Blocks from `from` upwards with their bodies, in height order: at
    /// most `limit` blocks, and no more blocks once `max_txs` transactions
    /// are reached (at least one block if any is there).
    fn blocks_with_bodies(
        &self,
        from: u64,
        limit: usize,
        max_txs: usize,
    ) -> Result<Vec<(Block, Vec<Tx>)>, StoreError>;

    /// The height of the block with this hash, if it is in the chain.
    fn height_of(&self, hash: &Hash256) -> Result<Option<u64>, StoreError>;

    /// Appends `block` with `body` and the `trades` applying it produced,
    /// if at the moment of writing it extends the tip: `block.height` is
    /// the tip's height + 1 and `block.header.prev_hash` the tip's hash.
    /// Otherwise nothing changes and the answer is
    /// [`AppendError::NotOnTip`]. In the same transaction the body's
    /// transactions leave the mempool and every template body is dropped.
    /// Returns only once the block is durable.
    fn append(&self, block: &Block, body: &[Tx], trades: &[Trade]) -> Result<(), AppendError>;

    /// Appends `blocks` in order in one transaction, as [`Store::append`]
    /// appends one: all of them if the first extends the tip at the
    /// moment of writing (and each the one before), or none. Returns only
    /// once they are durable. `chain import` writes through it.
    fn append_all(&self, blocks: &[NewBlock<'_>]) -> Result<(), AppendError>;

    /// The mempool's entries admitted after `after` (an admission number;
    /// 0 for all), oldest first, and where the mempool stands, read in one
    /// snapshot.
    fn mempool(&self, after: u64) -> Result<MempoolRead, StoreError>;

    /// Adds `txs`, in order, to the mempool if it still stands at `mark`;
    /// returns their admission numbers. Otherwise nothing changes and the
    /// answer is [`AdmitError::Moved`]: read again and re-check. Returns
    /// only once the batch is durable.
    fn admit(&self, mark: MempoolMark, txs: &[Tx], now: u64) -> Result<Vec<u64>, AdmitError>;

    /// Waits for this chain's admission turn and holds it until the
    /// answer is dropped: the admitters of every instance sharing the
    /// store take turns, in the order they asked, each checking its batch
    /// against the mempool and writing it within its turn. Without turns,
    /// an instance whose view another busy instance keeps moving fails its
    /// re-checks again and again ([`AdmitError::Moved`]). A turn lasts one
    /// batch (a read of what is new and a commit). The default is no turn
    /// at all, for a store no other process writes.
    fn admission_turn(&self) -> Result<AdmissionTurn<'_>, StoreError> {
        Ok(AdmissionTurn::free())
    }

    /// Takes `dropped` out of the mempool (keeping why), if the tip is
    /// still `tip`; returns whether it did. Entries already gone are
    /// skipped.
    fn drop_pending(&self, tip: Hash256, dropped: &[Dropped]) -> Result<bool, StoreError>;

    /// Keeps a template body, if its parent is the tip (returns whether it
    /// was kept). Bodies of other parents are dropped; at most
    /// [`MAX_TEMPLATES`] are kept, the oldest dropped first.
    fn put_template(&self, template: &TemplateBody) -> Result<bool, StoreError>;

    /// The template body with this merkle root, if kept.
    fn template(&self, merkle_root: &Hash256) -> Result<Option<TemplateBody>, StoreError>;

    /// A transaction and where it stands, if the store knows it.
    fn transaction(&self, id: &TxId) -> Result<Option<(Tx, TxStatus)>, StoreError>;

    /// Up to `limit` trades from number `from` upwards.
    fn trades(&self, from: u64, limit: usize) -> Result<Vec<Trade>, StoreError>;

    /// A counter that moves soon after anything is committed to the
    /// store, through any instance sharing it (PostgreSQL's notifications),
    /// so that a follower need not wait for its next poll; `None` where
    /// the store cannot tell (SQLite: other processes are only seen by
    /// polling).
    fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
}

/// One instance's turn to admit ([`Store::admission_turn`]); it ends
/// when this is dropped.
#[must_use = "the turn ends when this is dropped"]
pub struct AdmissionTurn<'a> {
    _held: Option<Box<dyn Send + 'a>>,
}

impl<'a> AdmissionTurn<'a> {
    /// A turn that ends when `held` is dropped.
    pub fn holding(held: impl Send + 'a) -> AdmissionTurn<'a> {
        AdmissionTurn {
            _held: Some(Box::new(held)),
        }
    }

    /// A turn that holds nothing.
    pub fn free() -> AdmissionTurn<'a> {
        AdmissionTurn { _held: None }
    }
}

impl std::fmt::Debug for AdmissionTurn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdmissionTurn").finish_non_exhaustive()
    }
}

/// A block to append, with its body and the trades applying it produced.
#[derive(Clone, Copy, Debug)]
pub struct NewBlock<'a> {
    /// The block.
    pub block: &'a Block,
    /// Its body.
    pub body: &'a [Tx],
    /// Its trades.
    pub trades: &'a [Trade],
}

/// Template bodies kept at once (for the one parent that is the tip).
pub const MAX_TEMPLATES: usize = 64;

/// Dropped transactions remembered (for `GET /v1/transactions/{id}`).
pub const MAX_DROPPED: i64 = 100_000;

/// Why the store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed an operation.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// The PostgreSQL server refused or failed an operation, or the
    /// connection broke.
    #[error("database error: {}", self::postgres::Cause(.0))]
    Postgres(#[from] ::postgres::Error),
    /// The PostgreSQL server cannot be reached (no connection within the
    /// wait).
    #[error("database unreachable: {0}")]
    Unreachable(String),
    /// The file whose lock is the admission turn of an SQLite chain
    /// could not be opened or locked.
    #[error("cannot lock {path}: {source}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A database with other tables and no chain: not ours to write to.
    #[error(
        "{location} holds tables of something else ({tables}) and no chain; give the chain a database of its own (CREATE DATABASE ...)"
    )]
    ForeignTables {
        /// The database.
        location: PathBuf,
        /// Its tables.
        tables: String,
    },
    /// `open_existing` on a path where no file is.
    #[error("no chain database at {0} (start `coordinator chain --db` on it first)")]
    Missing(PathBuf),
    /// The file or database holds other tables: not ours to write to.
    #[error("{0} is a database, but not a chain database")]
    NotAChain(PathBuf),
    /// The chain was written by a schema version this build cannot read or
    /// upgrade.
    #[error(
        "{path} has schema version {found}; this build reads version {expected} (a chain of another version is served by the build that wrote it)"
    )]
    Schema {
        /// The file or database.
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
        /// The file or database.
        path: PathBuf,
        /// The chain's difficulty.
        stored: u8,
        /// What was asked for.
        requested: u8,
    },
    /// The chain was created with another operator key.
    #[error(
        "{path} was created with operator key {stored}; it cannot be served with --operator {requested} (omit --operator, or use another --db)"
    )]
    OperatorMismatch {
        /// The file or database.
        path: PathBuf,
        /// The chain's operator key, or "none".
        stored: String,
        /// What was asked for.
        requested: PublicKey,
    },
    /// The file's genesis block is not this build's.
    #[error("{path} starts from genesis {found}, not this build's {expected}")]
    GenesisMismatch {
        /// The file or database.
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

/// Why [`Store::admit`] did not admit.
#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    /// The tip or the mempool changed since the mark was read.
    #[error("the mempool or the tip changed since it was read")]
    Moved,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for AdmitError {
    fn from(e: rusqlite::Error) -> Self {
        AdmitError::Store(StoreError::Database(e))
    }
}
