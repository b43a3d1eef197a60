//! The chain as text, one block per line, like the original master that
//! kept its last block in a file: `height TAB hash TAB header TAB miner`,
//! lowest height first, each line ending in `\n`. The hash is in display
//! order (64 hex characters), the header in wire order (160); miner names
//! hold no control characters, so tabs and newlines only separate.

use std::io::{self, Write};

use protocol::hex::Hex;

use crate::api::Block;
use crate::store::{Store, StoreError};

/// Blocks read per query while exporting.
const PAGE: usize = 1000;

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

/// One block's line, without the newline.
pub fn line(block: &Block) -> String {
    format!(
        "{}\t{}\t{}\t{}",
        block.height,
        block.hash,
        Hex(&block.header.to_bytes()),
        block.miner
    )
}

/// Writes every block of `store` to `out`; returns how many. The chain only
/// grows, so an export taken while the service runs is the chain as it was
/// at some moment, possibly with blocks added meanwhile at the end.
pub fn export(store: &dyn Store, out: &mut dyn Write) -> Result<u64, ExportError> {
    let mut next = 0u64;
    loop {
        let page = store.blocks(next, PAGE)?;
        let Some(last) = page.last() else {
            break;
        };
        next = last.height + 1;
        for block in &page {
            writeln!(out, "{}", line(block))?;
        }
    }
    out.flush()?;
    Ok(next)
}
