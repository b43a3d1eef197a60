//! The chain's consensus rules: the genesis block, what the template for
//! the next height holds, and the checks a submitted header and its body
//! must pass. Pure functions; the store supplies the tip, the server the
//! clock, and the ledger ([`crate::ledger`]) whether a body applies.

use std::sync::LazyLock;

use protocol::header::sha256d;
use protocol::{BlockHeader, Hash256};

use crate::api::Template;
use crate::ledger::{Address, BlockError, REWARD, Tx, TxBody, merkle_root};
use crate::store::TipState;

/// Block version every header carries.
pub const BLOCK_VERSION: u32 = 1;

/// Difficulty of a new chain unless configured: at 5-40 MH/s (a laptop's
/// CPU miners) a block takes 2^24 / rate, 0.4 to 3.4 seconds on average.
pub const DEFAULT_ZERO_BITS: u8 = 24;

/// How far past the service's clock a header's time may be, in seconds.
pub const MAX_FUTURE_SECS: u64 = 2 * 60 * 60;

/// How many recent blocks the minimum time is the median of.
pub const MEDIAN_SPAN: usize = 11;

/// Time of the genesis block: 2025-01-01T00:00:00Z.
pub const GENESIS_TIME: u32 = 1_735_689_600;

/// The text whose sha256d is the genesis block's merkle root.
pub const GENESIS_MESSAGE: &[u8] = b"distributed proof-of-work mining: genesis";

/// The genesis block's header, fixed for every chain: version 1, previous
/// hash zero, merkle root `sha256d(GENESIS_MESSAGE)`, time [`GENESIS_TIME`],
/// bits 0, nonce 0. It is given, not mined: its work is never checked.
pub fn genesis_header() -> BlockHeader {
    BlockHeader {
        version: BLOCK_VERSION,
        prev_hash: Hash256::ZERO,
        merkle_root: sha256d(GENESIS_MESSAGE),
        time: GENESIS_TIME,
        bits: 0,
        nonce: 0,
    }
}

/// The genesis block's hash: the chain's identity.
pub fn genesis_hash() -> Hash256 {
    static HASH: LazyLock<Hash256> = LazyLock::new(|| genesis_header().hash());
    *HASH
}

/// The header's `bits` for a difficulty of `zero_bits`: Bitcoin's compact
/// encoding of the target `2^(256 - zero_bits)`. A hash, read as a 256-bit
/// number, has at least `zero_bits` leading zero bits exactly when it is
/// below that target, so the field states the rule exactly (Bitcoin's
/// `hash <= target` differs only for a hash equal to the power of two).
/// Compact form: the top byte is the target's length in bytes, the low three
/// its most significant bytes, kept below 0x800000 (Bitcoin's sign bit).
/// Examples: 24 zero bits -> 0x1e010000, 32 -> 0x1d010000.
pub fn compact_bits(zero_bits: u8) -> u32 {
    // The target is 2^n: one bit set, at position n.
    let n = 256 - u32::from(zero_bits);
    let (mut size, mut mantissa) = (n / 8 + 1, 1u32 << (16 + n % 8));
    if mantissa >= 0x0080_0000 {
        mantissa >>= 8;
        size += 1;
    }
    (size << 24) | mantissa
}

/// The earliest time a block after these may carry: one second past the
/// median of the times of the last [`MEDIAN_SPAN`] blocks (newest first,
/// at least one). Bitcoin's rule: it keeps times moving forward while
/// tolerating a leader whose clock runs somewhat ahead or behind.
pub fn min_time(recent_times: &[u32]) -> u32 {
    let mut times: Vec<u32> = recent_times.iter().take(MEDIAN_SPAN).copied().collect();
    times.sort_unstable();
    times
        .get(times.len() / 2)
        .map_or(GENESIS_TIME, |median| median.saturating_add(1))
}

/// The body of the block after `state`'s tip: the reward to `payout`, then
/// `txs` (the caller chose them from the mempool, in order).
pub fn body(state: &TipState, payout: Address, txs: impl IntoIterator<Item = Tx>) -> Vec<Tx> {
    let height = state.tip.height.saturating_add(1);
    std::iter::once(Tx::reward(height, payout, REWARD))
        .chain(txs)
        .collect()
}

/// The template for the block after `state`'s tip carrying `body`: its
/// merkle root is Bitcoin's merkle root of the body's ids.
pub fn template(zero_bits: u8, state: &TipState, body: &[Tx]) -> Template {
    let height = state.tip.height.saturating_add(1);
    let ids: Vec<_> = body.iter().map(Tx::id).collect();
    let payout = match body.first().map(Tx::body) {
        Some(TxBody::Reward { to, .. }) => *to,
        _ => Address::default(),
    };
    Template {
        height,
        prev_hash: state.tip.hash,
        version: BLOCK_VERSION,
        merkle_root: merkle_root(&ids),
        bits: compact_bits(zero_bits),
        min_time: min_time(&state.recent_times),
        zero_bits,
        payout,
        reward: REWARD.0,
        transactions: body.len(),
    }
}

/// The most a block's body may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyLimits {
    /// Transactions, the reward included.
    pub max_txs: usize,
    /// Encoded bytes of all its transactions.
    pub max_bytes: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            max_txs: 1000,
            max_bytes: 200_000,
        }
    }
}

/// Checks what a body must be before it is applied: within `limits`, and
/// no transaction twice (two bodies whose ids differ only by a repeated
/// last one share a merkle root; the repeat is refused here).
pub fn check_body(body: &[Tx], limits: BodyLimits) -> Result<(), Rejection> {
    if body.len() > limits.max_txs {
        return Err(Rejection::TooManyTransactions {
            got: body.len(),
            max: limits.max_txs,
        });
    }
    let bytes: usize = body.iter().map(|t| t.encode().len()).sum();
    if bytes > limits.max_bytes {
        return Err(Rejection::BodyTooLarge {
            got: bytes,
            max: limits.max_bytes,
        });
    }
    let mut seen = std::collections::HashSet::with_capacity(body.len());
    if let Some(tx) = body.iter().find(|t| !seen.insert(t.id())) {
        return Err(Rejection::DuplicateTransaction(tx.id().to_string()));
    }
    Ok(())
}

/// Why a header that extends the tip is refused (HTTP 422).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Wrong version field.
    #[error("version {got} is not the template's {expected}; build headers from GET /v1/template")]
    Version {
        /// What the template says.
        expected: u32,
        /// What the header carries.
        got: u32,
    },
    /// Wrong merkle root for the height.
    #[error(
        "merkle root {got} is not the template's {expected} for height {height}; build headers from GET /v1/template"
    )]
    MerkleRoot {
        /// Height the header would have.
        height: u64,
        /// What the template says.
        expected: Hash256,
        /// What the header carries.
        got: Hash256,
    },
    /// No body with the header's merkle root: none was sent, and no
    /// template of the current tip has it.
    #[error(
        "no body has merkle root {0}: no template of the current tip carries it (templates of older tips are dropped) and the submission sent none; build headers from GET /v1/template"
    )]
    UnknownMerkleRoot(Hash256),
    /// The body sent does not hash to the header's merkle root.
    #[error("the body sent has merkle root {body}, the header {header}")]
    BodyMismatch {
        /// The header's.
        header: Hash256,
        /// The body's.
        body: Hash256,
    },
    /// More transactions than a block may hold.
    #[error("the body has {got} transactions; a block holds at most {max}")]
    TooManyTransactions {
        /// How many.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// More bytes than a block may hold.
    #[error("the body's transactions are {got} bytes; a block holds at most {max}")]
    BodyTooLarge {
        /// How many.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// A transaction twice in one body.
    #[error("transaction {0} appears twice in the body")]
    DuplicateTransaction(String),
    /// A transaction of the body does not apply (or its signature fails).
    #[error("{0}")]
    BadBody(#[from] BlockError),
    /// Wrong bits field.
    #[error(
        "bits {got:#010x} is not the template's {expected:#010x}; build headers from GET /v1/template"
    )]
    Bits {
        /// What the template says.
        expected: u32,
        /// What the header carries.
        got: u32,
    },
    /// Time before the template's `min_time`.
    #[error(
        "time {got} is before min_time {min_time} (one second past the median time of the last 11 blocks)"
    )]
    TooEarly {
        /// The earliest acceptable time.
        min_time: u32,
        /// What the header carries.
        got: u32,
    },
    /// Time more than two hours past the service's clock.
    #[error(
        "time {got} is more than 2 hours past the service's clock ({now}); the latest acceptable time is {max_time}"
    )]
    TooLate {
        /// The latest acceptable time.
        max_time: u64,
        /// The service's clock.
        now: u64,
        /// What the header carries.
        got: u32,
    },
    /// The hash has too few leading zero bits.
    #[error("hash {hash} has {got} leading zero bits; this chain needs {needed}")]
    InsufficientWork {
        /// The header's hash.
        hash: Hash256,
        /// Its leading zero bits.
        got: u32,
        /// The chain's difficulty.
        needed: u8,
    },
}

impl Rejection {
    /// The stable error code of the HTTP answer.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Version { .. } => "wrong_version",
            Rejection::MerkleRoot { .. } | Rejection::UnknownMerkleRoot(_) => "wrong_merkle_root",
            Rejection::BodyMismatch { .. } => "body_mismatch",
            Rejection::TooManyTransactions { .. } => "too_many_transactions",
            Rejection::BodyTooLarge { .. } => "block_too_large",
            Rejection::DuplicateTransaction(_) => "duplicate_transaction",
            Rejection::BadBody(_) => "bad_body",
            Rejection::Bits { .. } => "wrong_bits",
            Rejection::TooEarly { .. } => "time_too_early",
            Rejection::TooLate { .. } => "time_too_late",
            Rejection::InsufficientWork { .. } => "insufficient_work",
        }
    }
}

/// Checks a header whose previous hash is `template.prev_hash` against the
/// template and the clock (`now`, Unix seconds), in the order of the
/// [`Rejection`] variants; returns its hash. Recomputes the hash: the
/// proof of work is never taken on trust.
pub fn check(header: &BlockHeader, template: &Template, now: u64) -> Result<Hash256, Rejection> {
    if header.version != template.version {
        return Err(Rejection::Version {
            expected: template.version,
            got: header.version,
        });
    }
    if header.merkle_root != template.merkle_root {
        return Err(Rejection::MerkleRoot {
            height: template.height,
            expected: template.merkle_root,
            got: header.merkle_root,
        });
    }
    if header.bits != template.bits {
        return Err(Rejection::Bits {
            expected: template.bits,
            got: header.bits,
        });
    }
    if header.time < template.min_time {
        return Err(Rejection::TooEarly {
            min_time: template.min_time,
            got: header.time,
        });
    }
    let max_time = now.saturating_add(MAX_FUTURE_SECS);
    if u64::from(header.time) > max_time {
        return Err(Rejection::TooLate {
            max_time,
            now,
            got: header.time,
        });
    }
    let hash = header.hash();
    if !hash.meets(template.zero_bits) {
        return Err(Rejection::InsufficientWork {
            hash,
            got: hash.zero_bits(),
            needed: template.zero_bits,
        });
    }
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes compact bits to log2 of the target, for powers of two.
    fn log2_target(bits: u32) -> u32 {
        let size = bits >> 24;
        let mantissa = bits & 0x00ff_ffff;
        assert_eq!(mantissa.count_ones(), 1, "{bits:#x}");
        assert!(mantissa < 0x0080_0000, "{bits:#x}");
        mantissa.trailing_zeros() + 8 * size - 24
    }

    #[test]
    fn compact_bits_encode_exactly_two_to_the_256_minus_d() {
        for d in 0..=255u8 {
            assert_eq!(log2_target(compact_bits(d)), 256 - u32::from(d), "d = {d}");
        }
        assert_eq!(compact_bits(24), 0x1e01_0000);
        assert_eq!(compact_bits(32), 0x1d01_0000);
        // 2^231: the sign bit would be set, so the length grows by one.
        assert_eq!(compact_bits(25), 0x1e00_8000);
    }

    #[test]
    fn min_time_is_one_past_the_median_of_the_last_eleven() {
        assert_eq!(min_time(&[100]), 101);
        assert_eq!(min_time(&[5, 1, 9]), 6);
        // Newest first; the twelfth and later are ignored.
        let times = [20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 0, 0, 0];
        assert_eq!(min_time(&times), 16);
        assert_eq!(min_time(&[u32::MAX]), u32::MAX);
    }
}
