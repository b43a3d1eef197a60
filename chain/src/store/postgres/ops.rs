//! The [`Store`] operations on PostgreSQL. Every read is one statement
//! (one snapshot, one round trip on a prepared statement); every write is
//! one transaction that locks the chain row first and then re-reads what
//! it depends on (see the module above). Batches go in as arrays
//! (`UNNEST`), so a block's body or a batch of admissions is one statement
//! whatever its size.
//!
//! This file is the trait's implementation; what every operation shares
//! is beside it: `sql.rs` (the statements), `txn.rs` (how a write runs)
//! and `rows.rs` (rows to values and back).

mod rows;
mod sql;
mod txn;

pub(super) use rows::insert_block;

use std::collections::HashSet;

use protocol::Hash256;

use super::{ADMISSION_LOCK, PgStore, TURN_WAIT, is_unique_violation};
use crate::api::Block;
use crate::ledger::{Trade, Tx, TxId};
use crate::rules::MEDIAN_SPAN;
use crate::store::sqlite::rows::{
    blob_body, body_blob, height_of, sql_u64, to_array, to_tx, u64_of,
};
use crate::store::{
    AdmissionTurn, AdmitError, AppendError, ChainParams, Dropped, MAX_DROPPED, MAX_TEMPLATES,
    MempoolMark, MempoolRead, NewBlock, Pending, Store, StoreError, TemplateBody, TipState,
    TxStatus,
};
use rows::{block_of, insert_trades, sql_i64, trade_of};
use sql::*;
use txn::{Abort, Blobs, PgTurn, lock_and_tip, notify, store_error};

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
