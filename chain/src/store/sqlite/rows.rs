//! Rows to values and back. Every stored value is checked as it is read:
//! a row that breaks an invariant is [`StoreError::Corrupt`], never a
//! panic.

use protocol::{BlockHeader, HEADER_LEN, Hash256};
use rusqlite::{Connection, Row};

use crate::api::Block;
use crate::ledger::{Address, Amount, Price, Side, Trade, Tx, TxId};
use crate::store::StoreError;

pub(super) const BLOCK_COLUMNS: &str = "height, hash, header, miner, received_at, confirmed_by";
pub(super) const TRADE_COLUMNS: &str =
    "seq, height, taker, maker, taker_side, buyer, seller, price, amount";

/// A u64 as the i64 with the same bits (SQLite integers are signed).
pub(in crate::store) fn sql_u64(v: u64) -> i64 {
    i64::from_ne_bytes(v.to_ne_bytes())
}

/// The u64 [`sql_u64`] stored.
pub(in crate::store) fn u64_of(v: i64) -> u64 {
    u64::from_ne_bytes(v.to_ne_bytes())
}

/// A height or count, which the schema keeps at or above zero.
pub(in crate::store) fn height_of(v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative height {v}")))
}

pub(in crate::store) fn to_array<const N: usize>(
    bytes: Vec<u8>,
    what: &str,
) -> Result<[u8; N], StoreError> {
    let len = bytes.len();
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what} has {len} bytes, not {N}")))
}

pub(super) fn insert_block(conn: &Connection, block: &Block) -> Result<(), StoreError> {
    let height = i64::try_from(block.height)
        .map_err(|_| StoreError::Corrupt(format!("height {} out of range", block.height)))?;
    let received_at = i64::try_from(block.received_at).unwrap_or(i64::MAX);
    conn.execute(
        "INSERT INTO blocks (height, hash, header, miner, received_at, confirmed_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        (
            height,
            &block.hash.0[..],
            &block.header.to_bytes()[..],
            &block.miner,
            received_at,
            confirmed_text(&block.confirmed_by),
        ),
    )?;
    Ok(())
}

/// Coordinator ids as stored: decimal, comma-separated (`"1,2"`; `""` for
/// none).
pub(in crate::store) fn confirmed_text(ids: &[u16]) -> String {
    ids.iter().map(u16::to_string).collect::<Vec<_>>().join(",")
}

pub(in crate::store) fn confirmed_ids(text: &str) -> Result<Vec<u16>, StoreError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|id| {
            id.parse::<u16>()
                .ok()
                .filter(|&id| id > 0)
                .ok_or_else(|| StoreError::Corrupt(format!("confirmed_by {text:?}")))
        })
        .collect()
}

/// A block row as stored, before its values are checked.
pub(super) type RawBlock = (i64, Vec<u8>, Vec<u8>, String, i64, String);

pub(super) fn raw_block(row: &Row<'_>) -> rusqlite::Result<RawBlock> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

pub(super) fn to_block(
    (height, hash, header, miner, received_at, confirmed_by): RawBlock,
) -> Result<Block, StoreError> {
    let header: [u8; HEADER_LEN] = to_array(header, "header")?;
    Ok(Block {
        height: height_of(height)?,
        hash: Hash256(to_array(hash, "hash")?),
        header: BlockHeader::from_bytes(&header),
        miner,
        received_at: u64::try_from(received_at).unwrap_or(0),
        confirmed_by: confirmed_ids(&confirmed_by)?,
    })
}

/// A stored transaction's bytes, decoded.
pub(in crate::store) fn to_tx(raw: &[u8]) -> Result<Tx, StoreError> {
    Tx::decode(raw).map_err(|e| StoreError::Corrupt(format!("a stored transaction: {e}")))
}

pub(in crate::store) fn to_id(bytes: Vec<u8>) -> Result<TxId, StoreError> {
    Ok(TxId(Hash256(to_array(bytes, "transaction id")?)))
}

/// A template body as one blob: each transaction as a 2-byte
/// little-endian length and its encoding.
pub(in crate::store) fn body_blob(body: &[Tx]) -> Vec<u8> {
    let mut out = Vec::new();
    for tx in body {
        let bytes = tx.encode();
        // Transactions are at most `MAX_TX_LEN` bytes.
        out.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

/// The body [`body_blob`] wrote.
pub(in crate::store) fn blob_body(mut blob: &[u8]) -> Result<Vec<Tx>, StoreError> {
    let corrupt = || StoreError::Corrupt("a template body is cut short".into());
    let mut body = Vec::new();
    while !blob.is_empty() {
        let (len, rest) = blob.split_first_chunk::<2>().ok_or_else(corrupt)?;
        let len = usize::from(u16::from_le_bytes(*len));
        let (tx, rest) = rest.split_at_checked(len).ok_or_else(corrupt)?;
        body.push(to_tx(tx)?);
        blob = rest;
    }
    Ok(body)
}

pub(super) fn insert_trade(conn: &Connection, t: &Trade) -> Result<(), StoreError> {
    conn.prepare_cached(&format!(
        "INSERT INTO trades ({TRADE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    ))?
    .execute((
        sql_u64(t.seq),
        sql_u64(t.height),
        &t.taker.0.0[..],
        &t.maker.0.0[..],
        t.taker_side.code(),
        &t.buyer.0[..],
        &t.seller.0[..],
        sql_u64(t.price.0),
        sql_u64(t.amount.0),
    ))?;
    Ok(())
}

type RawTrade = (i64, i64, Vec<u8>, Vec<u8>, u8, Vec<u8>, Vec<u8>, i64, i64);

pub(super) fn raw_trade(row: &Row<'_>) -> rusqlite::Result<RawTrade> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

pub(super) fn to_trade(raw: RawTrade) -> Result<Trade, StoreError> {
    let (seq, height, taker, maker, side, buyer, seller, price, amount) = raw;
    Ok(Trade {
        seq: u64_of(seq),
        height: height_of(height)?,
        taker: to_id(taker)?,
        maker: to_id(maker)?,
        taker_side: Side::from_code(side)
            .ok_or_else(|| StoreError::Corrupt(format!("trade side {side}")))?,
        buyer: Address(to_array(buyer, "buyer")?),
        seller: Address(to_array(seller, "seller")?),
        price: Price(u64_of(price)),
        amount: Amount(u64_of(amount)),
    })
}
