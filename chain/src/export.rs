//! The chain as text, one block per line, like the original master that
//! kept its last block in a file: `height TAB hash TAB header TAB miner TAB
//! confirmed_by TAB transactions`, lowest height first, each line ending in
//! `\n`. The hash is in display order (64 hex characters), the header in
//! wire order (160); `confirmed_by` is the coordinator ids, decimal,
//! comma-separated; `transactions` the body, each transaction's encoding
//! in hex, comma-separated, the reward first (both fields empty when there
//! are none). Miner names hold no control characters, so tabs and newlines
//! only separate. The first four fields are the whole line of the format
//! before the ledger, and keep their places; `chain import` (`import.rs`)
//! reads the lines back.

use std::io::{self, Write};

use protocol::hex::Hex;

use crate::api::Block;
use crate::ledger::Tx;
use crate::store::{Store, StoreError};

/// Blocks read per query while exporting.
const PAGE: usize = 1000;

/// Transactions read per query while exporting (a page ends after the
/// block that reaches it).
const PAGE_TXS: usize = 50_000;

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the chain failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the text failed (a closed pipe, a full disk).
    #[error("writing the export: {0}")]
    Write(#[from] io::Error),
}

/// One block's first four fields (height, hash, header, miner), without
/// the newline: what the demo prints of each block.
pub fn line(block: &Block) -> String {
    format!(
        "{}\t{}\t{}\t{}",
        block.height,
        block.hash,
        Hex(&block.header.to_bytes()),
        block.miner
    )
}

/// One block's whole line with its body, without the newline.
pub fn record(block: &Block, body: &[Tx]) -> String {
    let confirmed: Vec<String> = block.confirmed_by.iter().map(u16::to_string).collect();
    let txs: Vec<String> = body.iter().map(|t| Hex(&t.encode()).to_string()).collect();
    format!(
        "{}\t{}\t{}",
        line(block),
        confirmed.join(","),
        txs.join(",")
    )
}

/// Writes every block of `store` to `out`; returns how many. The chain only
/// grows, so an export taken while the service runs is the chain as it was
/// at some moment, possibly with blocks added meanwhile at the end.
pub fn export(store: &dyn Store, out: &mut dyn Write) -> Result<u64, ExportError> {
    let mut next = 0u64;
    loop {
        let page = store.blocks_with_bodies(next, PAGE, PAGE_TXS)?;
        let Some((last, _)) = page.last() else {
            break;
        };
        next = last.height + 1;
        for (block, body) in &page {
            writeln!(out, "{}", record(block, body))?;
        }
    }
    out.flush()?;
    Ok(next)
}
