//! The export format read back (`coordinator chain import`): every line
//! checked as the service checks a submission, then every new block
//! written in one transaction, or nothing at all.
//!
//! A file is the chain from genesis, one block a line, heights in order
//! (`export.rs` has the format). Reading stops at the first line that is
//! not right, naming it: a malformed field, a height out of order, a hash
//! that is not its header's, a header that does not link to the line
//! before, or a block the rules refuse (bits, time, work, a body that does
//! not match the merkle root, exceeds the limits, carries a bad signature
//! or does not apply to the ledger). Lines for heights the store already
//! holds must be exactly its blocks; the rest is appended, all at once, so
//! an import that fails has written nothing. Importing a file twice adds
//! nothing the second time; export, import into a new file and export
//! again give the same bytes.

use std::io::{BufRead, Read};

use protocol::{BlockHeader, HEADER_LEN, Hash256};

use crate::api::{Block, MAX_CONFIRMED_BY, MAX_MINER_LEN};
use crate::ledger::{BlockEffects, Ledger, Tx};
use crate::replica::Check;
use crate::rules::{self, BodyLimits};
use crate::store::{ChainParams, NewBlock, Store, StoreError, TipState};

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A line does not verify.
    #[error("line {line}: {why}; nothing was imported")]
    Line {
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        why: String,
    },
    /// The input holds no line.
    #[error("the input is empty: a chain starts with its genesis line")]
    Empty,
    /// Reading the input failed.
    #[error("reading the input: {0}")]
    Read(#[from] std::io::Error),
    /// The store failed, or changed while the file was checked.
    #[error("the chain database: {0}; nothing was imported")]
    Store(#[from] StoreError),
    /// Another writer extended the chain while the file was checked.
    #[error("the chain grew while the file was checked; nothing was imported, run it again")]
    Moved,
}

/// What an import did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Imported {
    /// Lines read (genesis included).
    pub lines: u64,
    /// Blocks the store already held.
    pub known: u64,
    /// Blocks appended.
    pub added: u64,
    /// The tip after the import.
    pub tip: (u64, Hash256),
}

/// One line, parsed.
#[derive(Clone, Debug)]
struct Line {
    height: u64,
    hash: Hash256,
    header: BlockHeader,
    miner: String,
    confirmed_by: Vec<u16>,
    body: Vec<Tx>,
}

/// The longest line read: a block at `limits` in hex, and room for the rest.
fn max_line(limits: BodyLimits) -> usize {
    2 * limits.max_bytes + 3 * limits.max_txs + 8 * MAX_CONFIRMED_BY + 2 * HEADER_LEN + 4096
}

/// Reads the lines of `input`, each checked for form (not yet against the
/// chain).
fn read_lines(mut input: impl BufRead, limits: BodyLimits) -> Result<Vec<Line>, ImportError> {
    let max = max_line(limits);
    let mut lines = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = Read::take(&mut input, max as u64 + 1).read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Ok(lines);
        }
        let number = lines.len() + 1;
        let bad = |why: String| ImportError::Line { line: number, why };
        if buf.last() != Some(&b'\n') {
            return Err(bad(if buf.len() > max {
                format!("longer than {max} bytes")
            } else {
                "does not end with a newline (a truncated file?)".into()
            }));
        }
        buf.pop();
        let text = std::str::from_utf8(&buf).map_err(|_| bad("not UTF-8".into()))?;
        lines.push(parse(text).map_err(bad)?);
    }
}

/// One line's fields.
fn parse(text: &str) -> Result<Line, String> {
    let fields: Vec<&str> = text.split('\t').collect();
    let [height, hash, header, miner, confirmed, txs] = fields[..] else {
        return Err(format!(
            "{} tab-separated fields, not 6 (height, hash, header, miner, confirmed_by, transactions)",
            fields.len()
        ));
    };
    let height: u64 = height
        .parse()
        .map_err(|_| format!("height {height:?} is not a whole number"))?;
    let hash = Hash256::from_display_hex(hash)
        .map_err(|e| format!("hash: {e}; it must be 64 hex characters"))?;
    let header = BlockHeader::from_hex(header)
        .map_err(|e| format!("header: {e}; it must be 160 hex characters"))?;
    let chars = miner.chars().count();
    if chars == 0 || chars > MAX_MINER_LEN || miner.chars().any(char::is_control) {
        return Err(format!(
            "miner {miner:?} is not 1 to {MAX_MINER_LEN} characters without control characters"
        ));
    }
    let confirmed_by = if confirmed.is_empty() {
        Vec::new()
    } else {
        confirmed
            .split(',')
            .map(|id| id.parse::<u16>().ok().filter(|&id| id > 0))
            .collect::<Option<Vec<u16>>>()
            .filter(|ids| ids.len() <= MAX_CONFIRMED_BY && ids.windows(2).all(|w| w[0] < w[1]))
            .ok_or_else(|| {
                format!(
                    "confirmed_by {confirmed:?} is not increasing coordinator ids (1 to 65535), comma-separated"
                )
            })?
    };
    let body = if txs.is_empty() {
        Vec::new()
    } else {
        txs.split(',')
            .enumerate()
            .map(|(i, t)| {
                let bytes = hex_bytes(t).ok_or_else(|| format!("transaction {i} is not hex"))?;
                Tx::decode(&bytes).map_err(|e| format!("transaction {i}: {e}"))
            })
            .collect::<Result<Vec<Tx>, String>>()?
    };
    Ok(Line {
        height,
        hash,
        header,
        miner: miner.to_owned(),
        confirmed_by,
        body,
    })
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digit = |c: u8| (c as char).to_digit(16);
            Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
        })
        .collect()
}

/// The difficulty a file's chain was mined at: the one whose target its
/// first block after genesis carries (`None`: genesis alone, or a `bits`
/// field that is no difficulty's target).
pub fn zero_bits_of(input: &[u8]) -> Option<u8> {
    let second = input.split(|&b| b == b'\n').nth(1)?;
    let header = std::str::from_utf8(second).ok()?.split('\t').nth(2)?;
    let bits = BlockHeader::from_hex(header).ok()?.bits;
    (1..=255).find(|&d| rules::compact_bits(d) == bits)
}

/// Checks every line of `input` against `store` (and the clock `now`, for
/// the time bounds; bodies within `limits`) and appends the blocks it does
/// not hold in one transaction. Nothing is written unless every line
/// verifies.
pub fn import(
    store: &dyn Store,
    input: impl BufRead,
    now: u64,
    limits: BodyLimits,
) -> Result<Imported, ImportError> {
    let lines = read_lines(input, limits)?;
    let params = store.params();
    let (state, new) = verify(&lines, store, params, now, limits)?;
    let added = new.len() as u64;
    let blocks: Vec<NewBlock<'_>> = new
        .iter()
        .map(|(block, body, effects)| NewBlock {
            block,
            body,
            trades: &effects.trades,
        })
        .collect();
    if !blocks.is_empty() {
        store.append_all(&blocks).map_err(|e| match e {
            crate::store::AppendError::NotOnTip => ImportError::Moved,
            crate::store::AppendError::Store(e) => ImportError::Store(e),
        })?;
    }
    Ok(Imported {
        lines: lines.len() as u64,
        known: lines.len() as u64 - 1 - added,
        added,
        tip: (state.tip.height, state.tip.hash),
    })
}

/// A block to append, with its body and what applying it did.
type Verified = (Block, Vec<Tx>, BlockEffects);

/// Replays `lines` from genesis, as the service would have taken them.
fn verify(
    lines: &[Line],
    store: &dyn Store,
    params: ChainParams,
    now: u64,
    limits: BodyLimits,
) -> Result<(TipState, Vec<Verified>), ImportError> {
    let Some(first) = lines.first() else {
        return Err(ImportError::Empty);
    };
    let genesis = store
        .block(0)?
        .ok_or_else(|| StoreError::Corrupt("the chain has no genesis block".into()))?;
    let same = first.height == 0
        && first.hash == genesis.hash
        && first.header == genesis.header
        && first.miner == genesis.miner
        && first.confirmed_by.is_empty()
        && first.body.is_empty();
    if !same {
        return Err(ImportError::Line {
            line: 1,
            why: format!(
                "not this chain's genesis block (height 0, hash {})",
                genesis.hash
            ),
        });
    }
    let mut tip = TipState {
        recent_times: vec![genesis.header.time],
        tip: genesis,
    };
    let operator = params.operator.map(|k| crate::ledger::Address::of_key(&k));
    let mut ledger = Ledger::new(operator);
    let check = Check {
        zero_bits: params.zero_bits,
        now,
        limits,
        signatures: true,
    };
    let mut new = Vec::new();
    for (i, line) in lines.iter().enumerate().skip(1) {
        let bad = |why: String| ImportError::Line { line: i + 1, why };
        let height = tip.tip.height + 1;
        if line.height != height {
            return Err(bad(format!(
                "height {}, where {height} comes next",
                line.height
            )));
        }
        if line.header.hash() != line.hash {
            return Err(bad(format!(
                "the hash is not the header's ({})",
                line.header.hash()
            )));
        }
        if line.header.prev_hash != tip.tip.hash {
            return Err(bad(format!(
                "the header does not extend block {} ({})",
                tip.tip.height, tip.tip.hash
            )));
        }
        let known = if new.is_empty() {
            store.block(height)?
        } else {
            None
        };
        let block = Block {
            height,
            hash: line.hash,
            header: line.header,
            miner: line.miner.clone(),
            received_at: known.as_ref().map_or(now, |b| b.received_at),
            confirmed_by: line.confirmed_by.clone(),
        };
        if let Some(held) = &known
            && *held != block
        {
            return Err(bad(format!(
                "the database's block {height} is another one ({}, by {:?}): this file is another chain",
                held.hash, held.miner
            )));
        }
        let (_, next, effects) = check
            .block(&tip, &ledger, &line.header, &line.body)
            .map_err(|r| bad(format!("{r} ({})", r.code())))?;
        ledger = next;
        tip.recent_times.insert(0, block.header.time);
        tip.recent_times.truncate(rules::MEDIAN_SPAN);
        tip.tip = block.clone();
        if known.is_none() {
            new.push((block, line.body.clone(), effects));
        }
    }
    Ok((tip, new))
}
