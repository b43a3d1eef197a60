//! The scan loop of backends that hash one nonce after the other and stop
//! only for a candidate: the Thumb kernels (their loop is in assembly) and
//! block engines such as the RP2350's SHA-256 accelerator.
//!
//! A sweep hashes nonces up to `H7` until one's byte-swapped `H7` is at most
//! a limit, the limit that admits exactly the nonces that could beat the
//! best so far or meet the difficulty (as in `lanes.rs`). Such a candidate
//! is settled here, by the same rule as the portable backend; the limit
//! then tightens and the sweep goes on from the next nonce. Candidates are
//! rare (a few per range, about log2 of its length), so the sweep stays in
//! the backend's own loop almost all the time.

use super::ScanOutcome;
use super::job::{Candidates, ScanJob};
use crate::range::NonceRange;

/// A backend's loop over consecutive nonces.
pub(crate) trait Sweep {
    /// Hashes the nonces `first, first + 1, ...` (wrapping past
    /// `u32::MAX`), `count >= 1` of them, and stops after the first whose
    /// `H7.swap_bytes()` is at most `limit`. Returns how many it hashed
    /// (`1..=count`) and the last one's `H7`.
    fn sweep(&mut self, first: u32, count: u32, limit: u32) -> (u32, u32);
}

/// Longest sweep asked for at once: a range can hold 2^32 nonces, a count
/// only 2^32 - 1.
const MAX_SWEEP: u64 = 1 << 31;

/// Scans `range` with `sweeper`; the contract of `kernel`'s module docs.
pub(crate) fn scan<S: Sweep>(
    job: &ScanJob,
    sweeper: &mut S,
    range: NonceRange,
    zero_bits: u8,
) -> ScanOutcome {
    let mut candidates = Candidates::new(range.first(), zero_bits);
    let mut next = range.first();
    // Nonces examined so far.
    let mut done = 0u64;
    while done < range.len() {
        // At most MAX_SWEEP, so it fits.
        let count = (range.len() - done).min(MAX_SWEEP) as u32;
        let (hashed, h7) = sweeper.sweep(next, count, candidates.limit());
        // A sweep that claimed none would never end the scan.
        let hashed = hashed.clamp(1, count);
        done += u64::from(hashed);
        let nonce = next.wrapping_add(hashed - 1);
        next = nonce.wrapping_add(1);
        if h7.swap_bytes() <= candidates.limit() && candidates.settle(job, nonce, h7) {
            return candidates.outcome(Some(nonce), done);
        }
    }
    candidates.outcome(None, range.len())
}

/// The portable double hash as a sweep: the reference the tests hold the
/// scan loop above to, and what block engines are checked against.
#[cfg(test)]
pub(crate) struct PortableSweep<'a>(pub &'a ScanJob);

#[cfg(test)]
impl Sweep for PortableSweep<'_> {
    fn sweep(&mut self, first: u32, count: u32, limit: u32) -> (u32, u32) {
        let mut h7 = 0;
        for i in 0..count {
            let n = first.wrapping_add(i).swap_bytes();
            h7 = super::sha256d::final_word::<u32, super::form::PlainRounds>(self.0, n);
            if h7.swap_bytes() <= limit {
                return (i + 1, h7);
            }
        }
        (count, h7)
    }
}
