//! The portable backend: one nonce at a time in plain `u32` arithmetic. It
//! is the oracle for every other backend, so its scan loop is the contract
//! written out plainly, one nonce after the other. The hash itself is the
//! shortcut double hash of [`super::sha256d`] on `u32` words: every
//! nonce-free step skipped, the test made on `H7` after round 60 of the
//! second hash, and the full digest computed only when `H7` is zero.

use super::form::PlainRounds;
use super::job::{ScanJob, zero_bits_at};
use super::sha256d::final_word;
use super::{Best, ScanOutcome};
use crate::range::NonceRange;

/// Scans `range`; see the module docs of `kernel` for the contract.
pub(super) fn scan(job: &ScanJob, range: NonceRange, zero_bits: u8) -> ScanOutcome {
    let mut best = Best {
        nonce: range.first(),
        zero_bits: 0,
    };
    let mut hashes = 0u64;
    for nonce in range.first()..=range.last() {
        hashes += 1;
        let bits = zero_bits_at(
            job,
            nonce,
            final_word::<u32, PlainRounds>(job, nonce.swap_bytes()),
        );
        if bits > best.zero_bits {
            best = Best {
                nonce,
                zero_bits: bits,
            };
        }
        if bits >= zero_bits {
            return ScanOutcome {
                found: Some(nonce),
                best,
                hashes,
            };
        }
    }
    ScanOutcome {
        found: None,
        best,
        hashes,
    }
}
