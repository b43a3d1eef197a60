//! Between rows and values: a block and a trade read from a row, and a
//! block and a block's trades written. Shared by the operations and by
//! creating the genesis block, so a column's encoding is decided once.

use protocol::{BlockHeader, HEADER_LEN, Hash256};

use super::sql::{INSERT_BLOCK, INSERT_TRADES};
use super::txn::Abort;
use crate::api::Block;
use crate::ledger::{Address, Amount, Price, Side, Trade};
use crate::store::StoreError;
use crate::store::postgres::pool::Conn;
use crate::store::sqlite::rows::{
    confirmed_ids, confirmed_text, height_of, sql_u64, to_array, to_id, u64_of,
};

pub(in crate::store::postgres) fn insert_block(
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

pub(super) fn block_of(row: &postgres::Row) -> Result<Block, StoreError> {
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

pub(super) fn trade_of(row: &postgres::Row) -> Result<Trade, StoreError> {
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

pub(super) fn sql_i64(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(super) fn insert_trades(conn: &mut Conn, trades: &[Trade]) -> Result<(), Abort> {
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
