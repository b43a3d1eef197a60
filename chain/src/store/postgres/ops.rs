//! The [`Store`] operations on PostgreSQL. Every read is one statement
//! (one snapshot, one round trip on a prepared statement); every write is
//! one transaction that locks the chain row first and then re-reads what
//! it depends on (see the module above). Batches go in as arrays
//! (`UNNEST`), so a block's body or a batch of admissions is one statement
//! whatever its size.

use std::collections::HashSet;

use protocol::{BlockHeader, HEADER_LEN, Hash256};

use super::pool::Conn;
use super::{
    ADMISSION_LOCK, CHANNEL, PgStore, TURN_WAIT, WRITE_ATTEMPTS, is_retryable, is_unique_violation,
};
use crate::api::Block;
use crate::ledger::{Address, Amount, Price, Side, Trade, Tx, TxId};
use crate::rules::MEDIAN_SPAN;
use crate::store::sqlite::rows::{
    blob_body, body_blob, confirmed_ids, confirmed_text, height_of, sql_u64, to_array, to_id,
    to_tx, u64_of,
};
use crate::store::{
    AdmissionTurn, AdmitError, AppendError, ChainParams, Dropped, MAX_DROPPED, MAX_TEMPLATES,
    MempoolMark, MempoolRead, NewBlock, Pending, Store, StoreError, TemplateBody, TipState,
    TxStatus,
};

const LOCK: &str = "SELECT mempool_seq FROM chain WHERE id = 1 FOR UPDATE";
const TIP: &str = "SELECT height, hash FROM blocks ORDER BY height DESC LIMIT 1";
const INSERT_BLOCK: &str = "INSERT INTO blocks \
     (height, hash, header, miner, received_at, confirmed_by) VALUES ($1, $2, $3, $4, $5, $6)";
const RECENT: &str = "SELECT height, hash, header, miner, received_at, confirmed_by FROM blocks \
     ORDER BY height DESC LIMIT $1";
const BLOCK: &str = "SELECT height, hash, header, miner, received_at, confirmed_by FROM blocks \
     WHERE height = $1";
const BLOCKS: &str = "SELECT height, hash, header, miner, received_at, confirmed_by FROM blocks \
     WHERE height >= $1 ORDER BY height LIMIT $2";
const BLOCKS_COUNTED: &str = "SELECT b.height, b.hash, b.header, b.miner, b.received_at, \
     b.confirmed_by, (SELECT count(*) FROM block_txs t WHERE t.height = b.height) \
     FROM blocks b WHERE b.height >= $1 ORDER BY b.height LIMIT $2";
const BODIES: &str = "SELECT height, raw FROM block_txs WHERE height BETWEEN $1 AND $2 \
     ORDER BY height, position";
const HEIGHT_OF: &str = "SELECT height FROM blocks WHERE hash = $1";
const INSERT_BODY: &str = "INSERT INTO block_txs (id, height, position, raw) \
     SELECT t.id, $2, (t.n - 1)::integer, t.raw \
     FROM UNNEST($1::bytea[], $3::bytea[]) WITH ORDINALITY AS t(id, raw, n)";
const UNPEND: &str = "DELETE FROM mempool WHERE id = ANY($1::bytea[])";
const INSERT_TRADES: &str = "INSERT INTO trades \
     (seq, height, taker, maker, taker_side, buyer, seller, price, amount) \
     SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[], \
     $5::smallint[], $6::bytea[], $7::bytea[], $8::bigint[], $9::bigint[])";
const CLEAR_TEMPLATES: &str = "DELETE FROM templates";
const NOTIFY: &str = "SELECT pg_notify($1, $2)";
const MEMPOOL: &str = "SELECT \
     (SELECT hash FROM blocks ORDER BY height DESC LIMIT 1), \
     (SELECT mempool_seq FROM chain WHERE id = 1), \
     m.seq, m.raw, m.received_at \
     FROM (SELECT 1) AS one \
     LEFT JOIN (SELECT seq, raw, received_at FROM mempool WHERE seq > $1) AS m ON true \
     ORDER BY m.seq";
const ADMIT: &str = "INSERT INTO mempool (seq, id, raw, received_at) \
     SELECT * FROM UNNEST($1::bigint[], $2::bytea[], $3::bytea[], $4::bigint[])";
const SET_SEQ: &str = "UPDATE chain SET mempool_seq = $1 WHERE id = 1";
const KEEP_DROPPED: &str = "INSERT INTO dropped (id, raw, code, reason, height) \
     SELECT m.id, m.raw, d.code, d.reason, $4 \
     FROM UNNEST($1::bytea[], $2::text[], $3::text[]) AS d(id, code, reason) \
     JOIN mempool m ON m.id = d.id \
     ON CONFLICT (id) DO UPDATE SET raw = excluded.raw, code = excluded.code, \
     reason = excluded.reason, height = excluded.height";
const PRUNE_DROPPED: &str = "DELETE FROM dropped WHERE n <= (SELECT max(n) FROM dropped) - $1";
const TEMPLATE_SEQ: &str =
    "UPDATE chain SET template_seq = template_seq + 1 WHERE id = 1 RETURNING template_seq";
const OTHER_TEMPLATES: &str = "DELETE FROM templates WHERE parent <> $1";
const PUT_TEMPLATE: &str = "INSERT INTO templates (merkle_root, parent, seq, body) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (merkle_root) DO UPDATE SET seq = excluded.seq";
const OLD_TEMPLATES: &str = "DELETE FROM templates WHERE seq <= $1";
const TEMPLATE: &str = "SELECT parent, body FROM templates WHERE merkle_root = $1";
const TRANSACTION: &str = "\
     SELECT 0 AS place, raw, height AS n, position, NULL::text AS code, NULL::text AS reason \
       FROM block_txs WHERE id = $1 \
     UNION ALL SELECT 1, raw, seq, 0, NULL, NULL FROM mempool WHERE id = $1 \
     UNION ALL SELECT 2, raw, height, 0, code, reason FROM dropped WHERE id = $1 \
     ORDER BY place LIMIT 1";
const TRADES: &str = "SELECT seq, height, taker, maker, taker_side, buyer, seller, price, amount \
     FROM trades WHERE seq >= $1 ORDER BY seq LIMIT $2";

/// Byte strings bound as one array parameter.
type Blobs = Vec<Vec<u8>>;

/// How a write transaction ended without committing its change.
enum Abort {
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
fn in_transaction<T>(
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
struct PgTurn(r2d2::PooledConnection<super::pool::Manager>);

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
    fn write<T>(&self, mut f: impl FnMut(&mut Conn) -> Result<T, Abort>) -> Result<T, Abort> {
        let mut conn = self.pool.get()?;
        let mut attempt = 1;
        loop {
            match in_transaction(&mut conn, &mut f) {
                Err(Abort::Db(e)) if is_retryable(&e) && attempt < WRITE_ATTEMPTS => attempt += 1,
                other => return other,
            }
        }
    }

    fn read(&self) -> Result<r2d2::PooledConnection<super::pool::Manager>, StoreError> {
        self.pool.get()
    }
}

fn store_error(e: Abort) -> StoreError {
    match e {
        Abort::Db(e) => StoreError::Postgres(e),
        Abort::Store(e) => e,
        Abort::Refused => StoreError::Corrupt("a refused write was not handled".into()),
    }
}

/// Locks the chain row and reads the tip: (height, hash, mempool counter).
fn lock_and_tip(conn: &mut Conn) -> Result<(u64, Hash256, u64), Abort> {
    let lock = conn.statement(LOCK)?;
    let seq: i64 = conn.query_one(&lock, &[])?.try_get(0)?;
    let tip = conn.statement(TIP)?;
    let row = conn.query_one(&tip, &[])?;
    let height = height_of(row.try_get(0)?)?;
    let hash = Hash256(to_array(row.try_get(1)?, "hash")?);
    Ok((height, hash, u64_of(seq)))
}

fn notify(conn: &mut Conn, what: &str) -> Result<(), Abort> {
    let s = conn.statement(NOTIFY)?;
    conn.query_one(&s, &[&CHANNEL, &what])?;
    Ok(())
}

pub(super) fn insert_block(
    conn: &mut impl postgres::GenericClient,
    block: &Block,
) -> Result<(), StoreError> {
    let height = i64::try_from(block.height)
        .map_err(|_| StoreError::Corrupt(format!("height {} out of range", block.height)))?;
    let received_at = i64::try_from(block.received_at).unwrap_or(i64::MAX);
    conn.execute(
        INSERT_BLOCK,
        &[
            &height,
            &&block.hash.0[..],
            &&block.header.to_bytes()[..],
            &block.miner,
            &received_at,
            &confirmed_text(&block.confirmed_by),
        ],
    )?;
    Ok(())
}

fn block_of(row: &postgres::Row) -> Result<Block, StoreError> {
    let header: [u8; HEADER_LEN] = to_array(row.try_get(2)?, "header")?;
    Ok(Block {
        height: height_of(row.try_get(0)?)?,
        hash: Hash256(to_array(row.try_get(1)?, "hash")?),
        header: BlockHeader::from_bytes(&header),
        miner: row.try_get(3)?,
        received_at: u64::try_from(row.try_get::<_, i64>(4)?).unwrap_or(0),
        confirmed_by: confirmed_ids(row.try_get(5)?)?,
    })
}

fn trade_of(row: &postgres::Row) -> Result<Trade, StoreError> {
    let side: i16 = row.try_get(4)?;
    Ok(Trade {
        seq: u64_of(row.try_get(0)?),
        height: height_of(row.try_get(1)?)?,
        taker: to_id(row.try_get(2)?)?,
        maker: to_id(row.try_get(3)?)?,
        taker_side: u8::try_from(side)
            .ok()
            .and_then(Side::from_code)
            .ok_or_else(|| StoreError::Corrupt(format!("trade side {side}")))?,
        buyer: Address(to_array(row.try_get(5)?, "buyer")?),
        seller: Address(to_array(row.try_get(6)?, "seller")?),
        price: Price(u64_of(row.try_get(7)?)),
        amount: Amount(u64_of(row.try_get(8)?)),
    })
}

fn sql_i64(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Store for PgStore {
    /// A transaction-level advisory lock, which PostgreSQL grants in the
    /// order it was asked for, and releases if the instance holding it
    /// dies (its session ends).
    fn admission_turn(&self) -> Result<AdmissionTurn<'_>, StoreError> {
        let mut conn = self.pool.get()?;
        let take = format!(
            "BEGIN; SET LOCAL lock_timeout = {}; SELECT pg_advisory_xact_lock({ADMISSION_LOCK})",
            TURN_WAIT.as_millis()
        );
        if let Err(e) = conn.batch_execute(&take) {
            let _ = conn.batch_execute("ROLLBACK");
            return Err(e.into());
        }
        Ok(AdmissionTurn::holding(PgTurn(conn)))
    }

    fn params(&self) -> ChainParams {
        self.params
    }

    fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        Some(self.changes.clone())
    }

    fn tip_state(&self) -> Result<TipState, StoreError> {
        let mut conn = self.read()?;
        let s = conn.statement(RECENT)?;
        let recent = conn
            .query(&s, &[&sql_i64(MEDIAN_SPAN)])?
            .iter()
            .map(block_of)
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
        let mut conn = self.read()?;
        let s = conn.statement(BLOCK)?;
        conn.query_opt(&s, &[&height])?
            .as_ref()
            .map(block_of)
            .transpose()
    }

    fn blocks(&self, from: u64, limit: usize) -> Result<Vec<Block>, StoreError> {
        let Ok(from) = i64::try_from(from) else {
            return Ok(Vec::new());
        };
        let mut conn = self.read()?;
        let s = conn.statement(BLOCKS)?;
        conn.query(&s, &[&from, &sql_i64(limit)])?
            .iter()
            .map(block_of)
            .collect()
    }

    fn blocks_with_bodies(
        &self,
        from: u64,
        limit: usize,
        max_txs: usize,
    ) -> Result<Vec<(Block, Vec<Tx>)>, StoreError> {
        let Ok(from_sql) = i64::try_from(from) else {
            return Ok(Vec::new());
        };
        let mut conn = self.read()?;
        let s = conn.statement(BLOCKS_COUNTED)?;
        let rows = conn.query(&s, &[&from_sql, &sql_i64(limit)])?;
        let mut blocks = Vec::new();
        let mut txs = 0usize;
        for row in &rows {
            if !blocks.is_empty() && txs >= max_txs {
                break;
            }
            txs += usize::try_from(row.try_get::<_, i64>(6)?).unwrap_or(0);
            blocks.push((block_of(row)?, Vec::new()));
        }
        let (Some(first), Some(last)) = (blocks.first(), blocks.last()) else {
            return Ok(blocks);
        };
        let (low, high) = (sql_u64(first.0.height), sql_u64(last.0.height));
        // Blocks never change once committed, so their bodies may be read
        // in a second statement.
        let s = conn.statement(BODIES)?;
        let bodies = conn.query(&s, &[&low, &high])?;
        let mut at = 0;
        for row in &bodies {
            let height = height_of(row.try_get(0)?)?;
            while blocks.get(at).is_some_and(|(b, _)| b.height < height) {
                at += 1;
            }
            let Some((block, body)) = blocks.get_mut(at) else {
                break;
            };
            if block.height != height {
                return Err(StoreError::Corrupt(format!(
                    "a transaction of height {height} has no block"
                )));
            }
            body.push(to_tx(row.try_get(1)?)?);
        }
        Ok(blocks)
    }

    fn height_of(&self, hash: &Hash256) -> Result<Option<u64>, StoreError> {
        let mut conn = self.read()?;
        let s = conn.statement(HEIGHT_OF)?;
        let height: Option<i64> = conn
            .query_opt(&s, &[&&hash.0[..]])?
            .map(|r| r.try_get(0))
            .transpose()?;
        Ok(height.and_then(|h| u64::try_from(h).ok()))
    }

    fn append(&self, block: &Block, body: &[Tx], trades: &[Trade]) -> Result<(), AppendError> {
        self.append_all(&[NewBlock {
            block,
            body,
            trades,
        }])
    }

    fn append_all(&self, blocks: &[NewBlock<'_>]) -> Result<(), AppendError> {
        let bodies: Vec<(Blobs, Blobs)> = blocks
            .iter()
            .map(|new| {
                let ids = new.body.iter().map(|t| t.id().0.0.to_vec()).collect();
                (ids, new.body.iter().map(Tx::encode).collect())
            })
            .collect();
        let outcome = self.write(|conn| {
            let (mut height, mut hash, _) = lock_and_tip(conn)?;
            for (new, (ids, raws)) in blocks.iter().zip(&bodies) {
                let block = new.block;
                if height.checked_add(1) != Some(block.height) || hash != block.header.prev_hash {
                    return Err(Abort::Refused);
                }
                match insert_block(&mut **conn, block) {
                    // Unreachable after the check; the schema has the last word.
                    Err(StoreError::Postgres(e)) if is_unique_violation(&e) => {
                        return Err(Abort::Refused);
                    }
                    other => other?,
                }
                let s = conn.statement(INSERT_BODY)?;
                conn.execute(&s, &[ids, &sql_u64(block.height), raws])?;
                let s = conn.statement(UNPEND)?;
                conn.execute(&s, &[ids])?;
                if !new.trades.is_empty() {
                    insert_trades(conn, new.trades)?;
                }
                (height, hash) = (block.height, block.hash);
            }
            let s = conn.statement(CLEAR_TEMPLATES)?;
            conn.execute(&s, &[])?;
            notify(conn, "block")?;
            Ok(())
        });
        match outcome {
            Ok(()) => Ok(()),
            Err(Abort::Refused) => Err(AppendError::NotOnTip),
            Err(e) => Err(AppendError::Store(store_error(e))),
        }
    }

    fn mempool(&self, after: u64) -> Result<MempoolRead, StoreError> {
        let mut conn = self.read()?;
        let s = conn.statement(MEMPOOL)?;
        let rows = conn.query(&s, &[&sql_u64(after)])?;
        let first = rows
            .first()
            .ok_or_else(|| StoreError::Corrupt("the mempool query returned nothing".into()))?;
        let tip: Option<Vec<u8>> = first.try_get(0)?;
        let tip = Hash256(to_array(
            tip.ok_or_else(|| StoreError::Corrupt("the chain has no blocks".into()))?,
            "hash",
        )?);
        let last_seq: Option<i64> = first.try_get(1)?;
        let last_seq =
            u64_of(last_seq.ok_or_else(|| StoreError::Corrupt("the chain table is empty".into()))?);
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            let Some(seq) = row.try_get::<_, Option<i64>>(2)? else {
                continue;
            };
            let raw: Vec<u8> = row.try_get(3)?;
            let received_at: i64 = row.try_get(4)?;
            entries.push(Pending {
                seq: u64_of(seq),
                tx: to_tx(&raw)?,
                received_at: u64::try_from(received_at).unwrap_or(0),
            });
        }
        Ok(MempoolRead {
            mark: MempoolMark { tip, last_seq },
            entries,
        })
    }

    fn admit(&self, mark: MempoolMark, txs: &[Tx], now: u64) -> Result<Vec<u64>, AdmitError> {
        let ids: Vec<Vec<u8>> = txs.iter().map(|t| t.id().0.0.to_vec()).collect();
        let raws: Vec<Vec<u8>> = txs.iter().map(Tx::encode).collect();
        let now = i64::try_from(now).unwrap_or(i64::MAX);
        let outcome = self.write(|conn| {
            let (_, hash, seq) = lock_and_tip(conn)?;
            if hash != mark.tip || seq != mark.last_seq {
                return Err(Abort::Refused);
            }
            let seqs: Vec<u64> = (1..=txs.len() as u64).map(|i| seq + i).collect();
            let sql_seqs: Vec<i64> = seqs.iter().copied().map(sql_u64).collect();
            let times = vec![now; txs.len()];
            let s = conn.statement(ADMIT)?;
            match conn.execute(&s, &[&sql_seqs, &ids, &raws, &times]) {
                // Another writer admitted one of them: the caller's view is
                // out of date.
                Err(e) if is_unique_violation(&e) => return Err(Abort::Refused),
                other => other?,
            };
            let last = seqs.last().copied().unwrap_or(seq);
            let s = conn.statement(SET_SEQ)?;
            conn.execute(&s, &[&sql_u64(last)])?;
            notify(conn, "admit")?;
            Ok(seqs)
        });
        match outcome {
            Ok(seqs) => Ok(seqs),
            Err(Abort::Refused) => Err(AdmitError::Moved),
            Err(e) => Err(AdmitError::Store(store_error(e))),
        }
    }

    fn drop_pending(&self, tip_hash: Hash256, dropped: &[Dropped]) -> Result<bool, StoreError> {
        let mut seen = HashSet::new();
        let unique: Vec<&Dropped> = dropped.iter().filter(|d| seen.insert(d.id)).collect();
        let ids: Vec<Vec<u8>> = unique.iter().map(|d| d.id.0.0.to_vec()).collect();
        let codes: Vec<&str> = unique.iter().map(|d| d.code.as_str()).collect();
        let reasons: Vec<&str> = unique.iter().map(|d| d.reason.as_str()).collect();
        self.write(|conn| {
            let (height, hash, _) = lock_and_tip(conn)?;
            if hash != tip_hash {
                return Ok(false);
            }
            let s = conn.statement(KEEP_DROPPED)?;
            conn.execute(&s, &[&ids, &codes, &reasons, &sql_u64(height)])?;
            let s = conn.statement(UNPEND)?;
            conn.execute(&s, &[&ids])?;
            let s = conn.statement(PRUNE_DROPPED)?;
            conn.execute(&s, &[&MAX_DROPPED])?;
            Ok(true)
        })
        .map_err(store_error)
    }

    fn put_template(&self, template: &TemplateBody) -> Result<bool, StoreError> {
        let body = body_blob(&template.body);
        self.write(|conn| {
            let s = conn.statement(TEMPLATE_SEQ)?;
            let seq: i64 = conn.query_one(&s, &[])?.try_get(0)?;
            let s = conn.statement(TIP)?;
            let hash = Hash256(to_array(conn.query_one(&s, &[])?.try_get(1)?, "hash")?);
            let s = conn.statement(OTHER_TEMPLATES)?;
            conn.execute(&s, &[&&hash.0[..]])?;
            if hash != template.parent {
                return Ok(false);
            }
            let s = conn.statement(PUT_TEMPLATE)?;
            conn.execute(
                &s,
                &[
                    &&template.merkle_root.0[..],
                    &&template.parent.0[..],
                    &seq,
                    &body,
                ],
            )?;
            let s = conn.statement(OLD_TEMPLATES)?;
            conn.execute(&s, &[&(seq - MAX_TEMPLATES as i64)])?;
            Ok(true)
        })
        .map_err(store_error)
    }

    fn template(&self, merkle_root: &Hash256) -> Result<Option<TemplateBody>, StoreError> {
        let mut conn = self.read()?;
        let s = conn.statement(TEMPLATE)?;
        let Some(row) = conn.query_opt(&s, &[&&merkle_root.0[..]])? else {
            return Ok(None);
        };
        Ok(Some(TemplateBody {
            merkle_root: *merkle_root,
            parent: Hash256(to_array(row.try_get(0)?, "template parent")?),
            body: blob_body(row.try_get(1)?)?,
        }))
    }

    fn transaction(&self, id: &TxId) -> Result<Option<(Tx, TxStatus)>, StoreError> {
        let mut conn = self.read()?;
        let s = conn.statement(TRANSACTION)?;
        let Some(row) = conn.query_opt(&s, &[&&id.0.0[..]])? else {
            return Ok(None);
        };
        let tx = to_tx(row.try_get(1)?)?;
        let n: i64 = row.try_get(2)?;
        let status = match row.try_get::<_, i32>(0)? {
            0 => TxStatus::InBlock {
                height: height_of(n)?,
                position: u32::try_from(row.try_get::<_, i32>(3)?).unwrap_or(u32::MAX),
            },
            1 => TxStatus::Pending { seq: u64_of(n) },
            _ => TxStatus::Dropped {
                code: row.try_get::<_, Option<String>>(4)?.unwrap_or_default(),
                reason: row.try_get::<_, Option<String>>(5)?.unwrap_or_default(),
                height: height_of(n)?,
            },
        };
        Ok(Some((tx, status)))
    }

    fn trades(&self, from: u64, limit: usize) -> Result<Vec<Trade>, StoreError> {
        let Ok(from) = i64::try_from(from) else {
            return Ok(Vec::new());
        };
        let mut conn = self.read()?;
        let s = conn.statement(TRADES)?;
        conn.query(&s, &[&from, &sql_i64(limit)])?
            .iter()
            .map(trade_of)
            .collect()
    }
}

fn insert_trades(conn: &mut Conn, trades: &[Trade]) -> Result<(), Abort> {
    let seq: Vec<i64> = trades.iter().map(|t| sql_u64(t.seq)).collect();
    let height: Vec<i64> = trades.iter().map(|t| sql_u64(t.height)).collect();
    let taker: Vec<Vec<u8>> = trades.iter().map(|t| t.taker.0.0.to_vec()).collect();
    let maker: Vec<Vec<u8>> = trades.iter().map(|t| t.maker.0.0.to_vec()).collect();
    let side: Vec<i16> = trades
        .iter()
        .map(|t| i16::from(t.taker_side.code()))
        .collect();
    let buyer: Vec<Vec<u8>> = trades.iter().map(|t| t.buyer.0.to_vec()).collect();
    let seller: Vec<Vec<u8>> = trades.iter().map(|t| t.seller.0.to_vec()).collect();
    let price: Vec<i64> = trades.iter().map(|t| sql_u64(t.price.0)).collect();
    let amount: Vec<i64> = trades.iter().map(|t| sql_u64(t.amount.0)).collect();
    let s = conn.statement(INSERT_TRADES)?;
    conn.execute(
        &s,
        &[
            &seq, &height, &taker, &maker, &side, &buyer, &seller, &price, &amount,
        ],
    )?;
    Ok(())
}
