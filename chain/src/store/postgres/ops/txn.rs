//! How a write runs: one transaction, retried when the database asks for
//! it, that locks the chain row and reads the tip first, and announces
//! its commit; and the admission turn's session. Apart from the operations
//! so that every write follows the same discipline without restating it.

use protocol::Hash256;

use super::sql::{LOCK, NOTIFY, TIP};
use crate::store::StoreError;
use crate::store::postgres::pool::{Conn, Manager};
use crate::store::postgres::{CHANNEL, PgStore, WRITE_ATTEMPTS, is_retryable};
use crate::store::sqlite::rows::{height_of, to_array, u64_of};

/// Byte strings bound as one array parameter.
pub(super) type Blobs = Vec<Vec<u8>>;

/// How a write transaction ended without committing its change.
pub(super) enum Abort {
    /// The database failed (retried when it says so).
    Db(postgres::Error),
    /// A stored value is wrong.
    Store(StoreError),
    /// What the write depends on has moved: nothing changes.
    Refused,
}

impl From<postgres::Error> for Abort {
    fn from(e: postgres::Error) -> Self {
        Abort::Db(e)
    }
}

impl From<StoreError> for Abort {
    fn from(e: StoreError) -> Self {
        Abort::Store(e)
    }
}

/// Runs `f` in a transaction on `conn`: committed if it returns `Ok`,
/// rolled back otherwise.
pub(super) fn in_transaction<T>(
    conn: &mut Conn,
    f: &mut dyn FnMut(&mut Conn) -> Result<T, Abort>,
) -> Result<T, Abort> {
    conn.batch_execute("BEGIN")?;
    match f(conn) {
        Ok(value) => {
            conn.batch_execute("COMMIT")?;
            Ok(value)
        }
        Err(e) => {
            // A broken connection is dropped by the pool instead.
            let _ = conn.batch_execute("ROLLBACK");
            Err(e)
        }
    }
}

/// A session in a transaction that holds the admission lock; the
/// rollback at its end releases it (and a session that cannot roll back
/// is closed, which does too).
pub(super) struct PgTurn(pub(super) r2d2::PooledConnection<Manager>);

impl Drop for PgTurn {
    fn drop(&mut self) {
        if self.0.batch_execute("ROLLBACK").is_err() {
            self.0.broken = true;
        }
    }
}

impl PgStore {
    /// Runs `f` as one write transaction, again when the database asks
    /// for it (a serialization failure, a deadlock).
    pub(super) fn write<T>(
        &self,
        mut f: impl FnMut(&mut Conn) -> Result<T, Abort>,
    ) -> Result<T, Abort> {
        let mut conn = self.pool.get()?;
        let mut attempt = 1;
        loop {
            match in_transaction(&mut conn, &mut f) {
                Err(Abort::Db(e)) if is_retryable(&e) && attempt < WRITE_ATTEMPTS => attempt += 1,
                other => return other,
            }
        }
    }

    pub(super) fn read(&self) -> Result<r2d2::PooledConnection<Manager>, StoreError> {
        self.pool.get()
    }
}

pub(super) fn store_error(e: Abort) -> StoreError {
    match e {
        Abort::Db(e) => StoreError::Postgres(e),
        Abort::Store(e) => e,
        Abort::Refused => StoreError::Corrupt("a refused write was not handled".into()),
    }
}

/// Locks the chain row and reads the tip: (height, hash, mempool counter).
pub(super) fn lock_and_tip(conn: &mut Conn) -> Result<(u64, Hash256, u64), Abort> {
    let lock = conn.statement(LOCK)?;
    let seq: i64 = conn.query_one(&lock, &[])?.try_get(0)?;
    let tip = conn.statement(TIP)?;
    let row = conn.query_one(&tip, &[])?;
    let height = height_of(row.try_get(0)?)?;
    let hash = Hash256(to_array(row.try_get(1)?, "hash")?);
    Ok((height, hash, u64_of(seq)))
}

pub(super) fn notify(conn: &mut Conn, what: &str) -> Result<(), Abort> {
    let s = conn.statement(NOTIFY)?;
    conn.query_one(&s, &[&CHANNEL, &what])?;
    Ok(())
}
