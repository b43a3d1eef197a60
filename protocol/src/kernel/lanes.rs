//! The scan loop of the backends that hash several nonces per step (SIMD
//! lanes, interleaved SHA-NI streams), written once.
//!
//! A step hashes `LANES` consecutive nonces up to `H7` and returns, as a bit
//! mask, the lanes worth a closer look: those whose byte-swapped `H7` is at
//! most a limit. The limit admits exactly the nonces that could beat the
//! best so far or meet the difficulty, so the mask is almost always empty;
//! when it is not, the lanes are settled one by one in nonce order, by the
//! same rule as the portable backend.
//!
//! Ranges need not be multiples of `LANES` and may end at `u32::MAX`: the
//! last step's nonces past the range (wrapping to 0 at the top) are hashed
//! but masked out, so they never count.

use super::ScanOutcome;
use super::form::Rounds;
use super::job::{Candidates, ScanJob};
use super::sha256d::final_word;
use super::word::Word;
use crate::range::NonceRange;

/// A backend's step over `LANES` consecutive nonces.
pub(crate) trait Lanes {
    /// Nonces per step, at most 16.
    const LANES: u32;

    /// Hashes the nonces `base, base + 1, ...` (wrapping past `u32::MAX`).
    /// Returns the lanes whose `H7.swap_bytes()` is at most `limit` as a bit
    /// mask (bit `i` for nonce `base + i`); when the mask is not empty,
    /// `h7[i]` holds every lane's `H7`.
    fn step(&mut self, base: u32, limit: u32, h7: &mut [u32; 16]) -> u32;
}

/// A vector of `u32` lanes, one nonce each, hashed by [`final_word`].
pub(crate) trait Vector: Word {
    /// Lanes per vector, at most 16.
    const LANES: u32;
    /// The message words `(base + i).swap_bytes()` of lane `i`.
    fn nonce_words(base: u32) -> Self;
    /// Bit `i` set when lane `i` byte-swapped is at most `limit`.
    fn swapped_at_most(self, limit: u32) -> u32;
    /// Writes the lanes to `out[..LANES]`.
    fn store(self, out: &mut [u32; 16]);
}

/// The step of a [`Vector`] backend, rounds in form `R`.
#[derive(Debug)]
pub(crate) struct VectorStep<'a, V, R> {
    job: &'a ScanJob,
    lanes: core::marker::PhantomData<(V, R)>,
}

impl<'a, V, R> VectorStep<'a, V, R> {
    /// Steps over `job`.
    #[inline(always)]
    pub(crate) fn new(job: &'a ScanJob) -> Self {
        VectorStep {
            job,
            lanes: core::marker::PhantomData,
        }
    }
}

impl<V: Vector, R: Rounds> Lanes for VectorStep<'_, V, R> {
    const LANES: u32 = V::LANES;

    #[inline(always)]
    fn step(&mut self, base: u32, limit: u32, h7: &mut [u32; 16]) -> u32 {
        let words = final_word::<V, R>(self.job, V::nonce_words(base));
        let hits = words.swapped_at_most(limit);
        if hits != 0 {
            words.store(h7);
        }
        hits
    }
}

/// Scans `range` with `lanes`; the contract of `kernel`'s module docs.
#[inline(always)]
pub(crate) fn scan<L: Lanes>(
    job: &ScanJob,
    lanes: &mut L,
    range: NonceRange,
    zero_bits: u8,
) -> ScanOutcome {
    let width = u64::from(L::LANES);
    let mut candidates = Candidates::new(range.first(), zero_bits);
    let mut h7 = [0u32; 16];
    let mut base = range.first();
    // Nonces before `base`, all examined.
    let mut done = 0u64;
    loop {
        let left = range.len() - done;
        let valid = if left < width {
            (1u32 << left) - 1
        } else {
            u32::MAX >> (32 - L::LANES)
        };
        let mut hits = lanes.step(base, candidates.limit(), &mut h7) & valid;
        while hits != 0 {
            let lane = hits.trailing_zeros();
            hits &= hits - 1;
            let nonce = base.wrapping_add(lane);
            if candidates.settle(job, nonce, h7[lane as usize]) {
                return candidates.outcome(Some(nonce), done + u64::from(lane) + 1);
            }
        }
        if left <= width {
            return candidates.outcome(None, range.len());
        }
        done += width;
        base = base.wrapping_add(L::LANES);
    }
}
