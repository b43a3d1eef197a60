//! Per-job precomputation: everything in sha256d(header) that does not
//! depend on the nonce, computed once per header.
//!
//! The header's second 64-byte block is `W0..W2` (the last merkle-root word,
//! the time, the bits), `W3` (the nonce, byte-swapped: the header stores it
//! little-endian, SHA-256 reads big-endian words), then constant padding:
//! `W4 = 0x80000000`, `W5..W14 = 0`, `W15 = 640` (the bit length).

use super::sha256::{
    IV, K, State, big_sigma0, big_sigma1, block_words, ch, compress, maj, round, small_sigma0,
    small_sigma1,
};
use super::{Best, ScanOutcome};
use crate::header::HEADER_LEN;

/// `W4`: the padding bit after the 80 header bytes.
pub(crate) const PAD_W4: u32 = 0x8000_0000;
/// `W15`: the message length in bits (80 * 8).
pub(crate) const LEN_W15: u32 = 640;
/// `W8` and `W15` of the second hash's block (the 32-byte digest): padding
/// bit and bit length 256.
pub(crate) const DIGEST_PAD: u32 = 0x8000_0000;
pub(crate) const DIGEST_LEN: u32 = 256;

/// A header prepared for scanning. Cheap to copy (about 200 bytes), so a
/// driver can hand one to each thread or core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ScanJob {
    /// The first 64 header bytes as message words, for block engines that
    /// cannot start from a midstate (see `engine`).
    pub(crate) head: [u32; 16],
    /// State after compressing the first 64 header bytes.
    pub(crate) midstate: State,
    /// `W0..W2` of the second block.
    pub(crate) tail: [u32; 3],
    /// The working state after rounds 0..=2 of the second block.
    pub(crate) state3: State,
    /// Round 3 adds the nonce word to both new `a` and new `e`; these are the
    /// nonce-free remainders: `a4 = a4_base + W3`, `e4 = e4_base + W3`.
    pub(crate) a4_base: u32,
    pub(crate) e4_base: u32,
    /// Nonce-free schedule words and partial sums:
    /// `W16`, `W17` whole; `W18 = c18 + σ0(W3)`; `W19 = c19 + W3`;
    /// `W31 = σ1(W29) + W24 + c31`; `W32 = σ1(W30) + W25 + c32`.
    pub(crate) w16: u32,
    pub(crate) w17: u32,
    pub(crate) c18: u32,
    pub(crate) c19: u32,
    pub(crate) c31: u32,
    pub(crate) c32: u32,
}

impl ScanJob {
    /// Prepares `header` (its nonce field is ignored).
    pub fn new(header: &[u8; HEADER_LEN]) -> ScanJob {
        let mut first = [0u8; 64];
        first.copy_from_slice(&header[..64]);
        let head = block_words(&first);
        let mut midstate = IV;
        compress(&mut midstate, &head);

        let word = |at: usize| {
            u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let tail = [word(64), word(68), word(72)];

        let mut s = midstate;
        for (i, w) in tail.iter().enumerate() {
            round(&mut s, K[i].wrapping_add(*w));
        }
        let state3 = s;
        let [a, b, c, d, e, f, g, h] = s;
        let t1_base = h
            .wrapping_add(big_sigma1(e))
            .wrapping_add(ch(e, f, g))
            .wrapping_add(K[3]);
        let t2 = big_sigma0(a).wrapping_add(maj(a, b, c));

        let w16 = small_sigma0(tail[1]).wrapping_add(tail[0]);
        let w17 = small_sigma1(LEN_W15)
            .wrapping_add(small_sigma0(tail[2]))
            .wrapping_add(tail[1]);
        ScanJob {
            head,
            midstate,
            tail,
            state3,
            a4_base: t1_base.wrapping_add(t2),
            e4_base: d.wrapping_add(t1_base),
            w16,
            w17,
            c18: small_sigma1(w16).wrapping_add(tail[2]),
            c19: small_sigma1(w17).wrapping_add(small_sigma0(PAD_W4)),
            c31: small_sigma0(w16).wrapping_add(LEN_W15),
            c32: small_sigma0(w17).wrapping_add(w16),
        }
    }

    /// The midstate (state after the first 64 header bytes).
    pub fn midstate(&self) -> [u32; 8] {
        self.midstate
    }

    /// `W0..W2` of the second block.
    pub fn tail(&self) -> [u32; 3] {
        self.tail
    }
}

/// The full sha256d digest of the header behind `job` with `nonce`, as eight
/// state words, by the plain compression function. Kernels call this only for
/// candidates, to count zero bits past the early test.
pub(crate) fn full_digest(job: &ScanJob, nonce: u32) -> [u32; 8] {
    let mut block = [0u32; 16];
    block[..3].copy_from_slice(&job.tail);
    block[3] = nonce.swap_bytes();
    block[4] = PAD_W4;
    block[15] = LEN_W15;
    let mut state = job.midstate;
    compress(&mut state, &block);
    super::sha256::hash_digest_words(&state)
}

/// Leading zero bits of the displayed hash of `job` with `nonce`, given its
/// `H7` word: from `H7` alone when it is not zero, else from the full digest.
pub(crate) fn zero_bits_at(job: &ScanJob, nonce: u32, h7: u32) -> u8 {
    let lz = h7.swap_bytes().leading_zeros();
    if lz < 32 {
        // lz < 32 fits in a u8.
        lz as u8
    } else {
        zero_bits_of(&full_digest(job, nonce))
    }
}

/// The largest byte-swapped `H7` worth settling: nonces with more zero bits
/// than `best`, or at least `zero_bits`. Only `H7 = 0` passes once that is
/// 32 bits or more; the full digest then decides.
pub(crate) fn limit_for(best: u8, zero_bits: u8) -> u32 {
    let bits = (u32::from(best) + 1).min(u32::from(zero_bits));
    u32::MAX.checked_shr(bits).unwrap_or(0)
}

/// The state a fast scan loop keeps between candidates: the best nonce so
/// far and the early-test limit it implies. Candidates (nonces whose
/// byte-swapped `H7` is at most [`Candidates::limit`]) are settled by the
/// same rule as the portable backend's, nonce by nonce in order.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Candidates {
    best: Best,
    limit: u32,
    zero_bits: u8,
}

impl Candidates {
    /// Before the first nonce of a range starting at `first`.
    pub(crate) fn new(first: u32, zero_bits: u8) -> Candidates {
        Candidates {
            best: Best {
                nonce: first,
                zero_bits: 0,
            },
            limit: limit_for(0, zero_bits),
            zero_bits,
        }
    }

    /// The largest byte-swapped `H7` worth settling now.
    #[inline(always)]
    pub(crate) fn limit(&self) -> u32 {
        self.limit
    }

    /// Settles a candidate; returns whether it meets the difficulty.
    pub(crate) fn settle(&mut self, job: &ScanJob, nonce: u32, h7: u32) -> bool {
        let bits = zero_bits_at(job, nonce, h7);
        if bits > self.best.zero_bits {
            self.best = Best {
                nonce,
                zero_bits: bits,
            };
            self.limit = limit_for(bits, self.zero_bits);
        }
        bits >= self.zero_bits
    }

    /// The outcome after `hashes` nonces, with `found` if one met it.
    pub(crate) fn outcome(self, found: Option<u32>, hashes: u64) -> ScanOutcome {
        ScanOutcome {
            found,
            best: self.best,
            hashes,
        }
    }
}

/// Leading zero bits of the displayed hash, from the digest words. The
/// display reverses the digest bytes, so it begins with the last word's bytes
/// in little-endian order.
pub(crate) fn zero_bits_of(digest: &[u32; 8]) -> u8 {
    let mut bits = 0u32;
    for w in digest.iter().rev() {
        let lz = w.swap_bytes().leading_zeros();
        bits += lz;
        if lz < 32 {
            break;
        }
    }
    u8::try_from(bits).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_admits_exactly_the_interesting_words() {
        // Nothing seen yet, difficulty 10: any nonce with a zero bit.
        assert_eq!(limit_for(0, 10), u32::MAX >> 1);
        // Best 4: 5 bits or more.
        assert_eq!(limit_for(4, 10), u32::MAX >> 5);
        // Difficulty 0: every nonce meets it.
        assert_eq!(limit_for(0, 0), u32::MAX);
        // Past 32 bits only a zero H7 can matter.
        assert_eq!(limit_for(31, 40), 0);
        assert_eq!(limit_for(50, 255), 0);
        assert_eq!(limit_for(255, 255), 0);
    }
}
