//! The [`Store`] operations on SQLite. Reads go through the read-only
//! connection (several statements in one read transaction where they must
//! agree); writes are one `BEGIN IMMEDIATE` transaction each, which first
//! re-reads what the write depends on.

use protocol::Hash256;
use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, params};

use super::SqliteStore;
use super::rows::{
    self, BLOCK_COLUMNS, TRADE_COLUMNS, blob_body, body_blob, height_of, insert_block,
    insert_trade, raw_block, raw_trade, sql_u64, to_block, to_trade, to_tx, u64_of,
};
use crate::api::Block;
use crate::ledger::{Trade, Tx, TxId};
use crate::rules::MEDIAN_SPAN;
use crate::store::{
    AdmissionTurn, AdmitError, AppendError, ChainParams, Dropped, MAX_DROPPED, MAX_TEMPLATES,
    MempoolMark, MempoolRead, NewBlock, Pending, Store, StoreError, TemplateBody, TipState,
    TxStatus,
};

/// Inserts one block, its body and trades, if it extends `(tip_height,
/// tip_hash)`; its transactions leave the mempool.
fn append_one(
    tx: &Connection,
    (tip_height, tip_hash): (u64, Hash256),
    &NewBlock {
        block,
        body,
        trades,
    }: &NewBlock<'_>,
) -> Result<(), AppendError> {
    let extends =
        tip_height.checked_add(1) == Some(block.height) && tip_hash == block.header.prev_hash;
    if !extends {
        return Err(AppendError::NotOnTip);
    }
    match insert_block(tx, block) {
        // Unreachable after the check above; kept so that the schema,
        // not only the check, has the last word.
        Err(StoreError::Database(e)) if is_constraint(&e) => {
            return Err(AppendError::NotOnTip);
        }
        other => other?,
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO block_txs (id, height, position, raw) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut unpend = tx.prepare_cached("DELETE FROM mempool WHERE id = ?1")?;
    for (position, t) in body.iter().enumerate() {
        let id = &t.id().0.0[..];
        insert.execute(params![
            id,
            sql_u64(block.height),
            position as i64,
            t.encode()
        ])?;
        unpend.execute([id])?;
    }
    for trade in trades {
        insert_trade(tx, trade)?;
    }
    Ok(())
}

/// The tip's height and hash, inside a transaction.
fn tip(conn: &Connection) -> Result<(u64, Hash256), StoreError> {
    let (height, hash): (i64, Vec<u8>) = conn.query_row(
        "SELECT height, hash FROM blocks ORDER BY height DESC LIMIT 1",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    Ok((height_of(height)?, Hash256(rows::to_array(hash, "hash")?)))
}

fn mempool_seq(conn: &Connection) -> Result<u64, StoreError> {
    let seq: i64 = conn.query_row("SELECT mempool_seq FROM chain WHERE id = 1", [], |r| {
        r.get(0)
    })?;
    Ok(u64_of(seq))
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
}

impl Store for SqliteStore {
    fn params(&self) -> ChainParams {
        self.params
    }

    fn admission_turn(&self) -> Result<AdmissionTurn<'_>, StoreError> {
        self.lock_turn().map(AdmissionTurn::holding)
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

    fn blocks_with_bodies(
        &self,
        from: u64,
        limit: usize,
        max_txs: usize,
    ) -> Result<Vec<(Block, Vec<Tx>)>, StoreError> {
        let Ok(from_sql) = i64::try_from(from) else {
            return Ok(Vec::new());
        };
        let mut conn = self.reader();
        let read = conn.transaction()?;
        let blocks: Vec<Block> = {
            let mut stmt = read.prepare_cached(&format!(
                "SELECT {BLOCK_COLUMNS} FROM blocks WHERE height >= ?1 ORDER BY height LIMIT ?2"
            ))?;
            stmt.query_map(
                [from_sql, i64::try_from(limit).unwrap_or(i64::MAX)],
                raw_block,
            )?
            .map(|raw| to_block(raw?))
            .collect::<Result<_, _>>()?
        };
        let mut out = Vec::with_capacity(blocks.len());
        let mut txs = 0usize;
        let mut stmt =
            read.prepare_cached("SELECT raw FROM block_txs WHERE height = ?1 ORDER BY position")?;
        for block in blocks {
            if !out.is_empty() && txs >= max_txs {
                break;
            }
            let body = stmt
                .query_map([sql_u64(block.height)], |row| row.get::<_, Vec<u8>>(0))?
                .map(|raw| to_tx(&raw?))
                .collect::<Result<Vec<Tx>, StoreError>>()?;
            txs += body.len();
            out.push((block, body));
        }
        Ok(out)
    }

    fn height_of(&self, hash: &Hash256) -> Result<Option<u64>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached("SELECT height FROM blocks WHERE hash = ?1")?;
        let height: Option<i64> = stmt.query_row([&hash.0[..]], |row| row.get(0)).optional()?;
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
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut tip = tip(&tx)?;
        for new in blocks {
            append_one(&tx, tip, new)?;
            tip = (new.block.height, new.block.hash);
        }
        tx.execute("DELETE FROM templates", [])?;
        tx.commit()?;
        Ok(())
    }

    fn mempool(&self, after: u64) -> Result<MempoolRead, StoreError> {
        let mut conn = self.reader();
        let read = conn.transaction()?;
        let (_, tip_hash) = tip(&read)?;
        let last_seq = mempool_seq(&read)?;
        let entries = {
            let mut stmt = read.prepare_cached(
                "SELECT seq, raw, received_at FROM mempool WHERE seq > ?1 ORDER BY seq",
            )?;
            stmt.query_map([sql_u64(after)], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, Vec<u8>>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            })?
            .map(|r| {
                let (seq, raw, received_at) = r?;
                Ok(Pending {
                    seq: u64_of(seq),
                    tx: to_tx(&raw)?,
                    received_at: u64::try_from(received_at).unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?
        };
        Ok(MempoolRead {
            mark: MempoolMark {
                tip: tip_hash,
                last_seq,
            },
            entries,
        })
    }

    fn admit(&self, mark: MempoolMark, txs: &[Tx], now: u64) -> Result<Vec<u64>, AdmitError> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (_, tip_hash) = tip(&tx)?;
        let mut seq = mempool_seq(&tx)?;
        if tip_hash != mark.tip || seq != mark.last_seq {
            return Err(AdmitError::Moved);
        }
        let mut seqs = Vec::with_capacity(txs.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO mempool (seq, id, raw, received_at) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for t in txs {
                seq += 1;
                let now = i64::try_from(now).unwrap_or(i64::MAX);
                match insert.execute(params![sql_u64(seq), &t.id().0.0[..], t.encode(), now]) {
                    // Another writer admitted the same id: the caller's
                    // view is out of date.
                    Err(e) if is_constraint(&e) => return Err(AdmitError::Moved),
                    other => other?,
                };
                seqs.push(seq);
            }
        }
        tx.execute(
            "UPDATE chain SET mempool_seq = ?1 WHERE id = 1",
            [sql_u64(seq)],
        )?;
        tx.commit()?;
        Ok(seqs)
    }

    fn drop_pending(&self, tip_hash: Hash256, dropped: &[Dropped]) -> Result<bool, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (height, hash) = tip(&tx)?;
        if hash != tip_hash {
            return Ok(false);
        }
        {
            let mut keep = tx.prepare_cached(
                "INSERT OR REPLACE INTO dropped (id, raw, code, reason, height)
                 SELECT id, raw, ?2, ?3, ?4 FROM mempool WHERE id = ?1",
            )?;
            let mut gone = tx.prepare_cached("DELETE FROM mempool WHERE id = ?1")?;
            for d in dropped {
                let id = &d.id.0.0[..];
                keep.execute(params![id, d.code, d.reason, sql_u64(height)])?;
                gone.execute([id])?;
            }
        }
        tx.execute(
            "DELETE FROM dropped WHERE rowid <= (SELECT max(rowid) FROM dropped) - ?1",
            [MAX_DROPPED],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn put_template(&self, template: &TemplateBody) -> Result<bool, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (_, hash) = tip(&tx)?;
        tx.execute("DELETE FROM templates WHERE parent != ?1", [&hash.0[..]])?;
        if hash != template.parent {
            tx.commit()?;
            return Ok(false);
        }
        let seq: i64 = tx.query_row(
            "UPDATE chain SET template_seq = template_seq + 1 WHERE id = 1 RETURNING template_seq",
            [],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO templates (merkle_root, parent, seq, body) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (merkle_root) DO UPDATE SET seq = excluded.seq",
            params![
                &template.merkle_root.0[..],
                &template.parent.0[..],
                seq,
                body_blob(&template.body)
            ],
        )?;
        tx.execute(
            "DELETE FROM templates WHERE seq <= ?1",
            [seq - MAX_TEMPLATES as i64],
        )?;
        tx.commit()?;
        Ok(true)
    }

    fn template(&self, merkle_root: &Hash256) -> Result<Option<TemplateBody>, StoreError> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare_cached("SELECT parent, body FROM templates WHERE merkle_root = ?1")?;
        let row: Option<(Vec<u8>, Vec<u8>)> = stmt
            .query_row([&merkle_root.0[..]], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(parent, body)| {
            Ok(TemplateBody {
                merkle_root: *merkle_root,
                parent: Hash256(rows::to_array(parent, "template parent")?),
                body: blob_body(&body)?,
            })
        })
        .transpose()
    }

    fn transaction(&self, id: &TxId) -> Result<Option<(Tx, TxStatus)>, StoreError> {
        let mut conn = self.reader();
        let read = conn.transaction()?;
        let key = &id.0.0[..];
        let in_block: Option<(Vec<u8>, i64, i64)> = read
            .prepare_cached("SELECT raw, height, position FROM block_txs WHERE id = ?1")?
            .query_row([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        if let Some((raw, height, position)) = in_block {
            let status = TxStatus::InBlock {
                height: height_of(height)?,
                position: u32::try_from(position).unwrap_or(u32::MAX),
            };
            return Ok(Some((to_tx(&raw)?, status)));
        }
        let pending: Option<(Vec<u8>, i64)> = read
            .prepare_cached("SELECT raw, seq FROM mempool WHERE id = ?1")?
            .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((raw, seq)) = pending {
            let status = TxStatus::Pending { seq: u64_of(seq) };
            return Ok(Some((to_tx(&raw)?, status)));
        }
        let dropped: Option<(Vec<u8>, String, String, i64)> = read
            .prepare_cached("SELECT raw, code, reason, height FROM dropped WHERE id = ?1")?
            .query_row([key], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        dropped
            .map(|(raw, code, reason, height)| {
                let status = TxStatus::Dropped {
                    code,
                    reason,
                    height: height_of(height)?,
                };
                Ok((to_tx(&raw)?, status))
            })
            .transpose()
    }

    fn trades(&self, from: u64, limit: usize) -> Result<Vec<Trade>, StoreError> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {TRADE_COLUMNS} FROM trades WHERE seq >= ?1 ORDER BY seq LIMIT ?2"
        ))?;
        let Ok(from) = i64::try_from(from) else {
            return Ok(Vec::new());
        };
        stmt.query_map([from, i64::try_from(limit).unwrap_or(i64::MAX)], raw_trade)?
            .map(|raw| to_trade(raw?))
            .collect()
    }
}
