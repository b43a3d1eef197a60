//! The portable backend: one nonce at a time in plain `u32` arithmetic. It
//! is the oracle for every other backend, so it favours being obviously
//! right over being fast, while still skipping every nonce-free step:
//!
//! - rounds 0..=2 of the header's second block and the nonce-free part of
//!   round 3 come from the [`ScanJob`];
//! - schedule words 16..=32 use the job's partial sums and skip the padding
//!   words known to be zero;
//! - the second hash starts from a constant round 0 and folds the digest
//!   block's padding into constants;
//! - the test stops after round 60 of the second hash: the displayed hash
//!   starts with the bytes of the last state word `H7 = IV7 + e60`, known
//!   three rounds before the end. Only when `H7` is zero (32 or more zero
//!   bits) is the full hash computed to count further.

use super::job::{LEN_W15, PAD_W4, ScanJob, full_digest, zero_bits_of};
use super::sha256::{
    IV, K, State, big_sigma0, big_sigma1, ch, maj, round, small_sigma0, small_sigma1,
};
use super::{Best, ScanOutcome};
use crate::range::NonceRange;

/// σ0(W15) of the header's second block.
const SIGMA0_LEN: u32 = small_sigma0(LEN_W15);
/// `W8` and `W15` of the digest block: padding bit and bit length 256.
const DIGEST_PAD: u32 = 0x8000_0000;
const DIGEST_LEN: u32 = 256;
/// Round 0 of the second hash from IV, without the digest word `X0`.
const R0_T1: u32 = IV[7]
    .wrapping_add(big_sigma1(IV[4]))
    .wrapping_add(ch(IV[4], IV[5], IV[6]))
    .wrapping_add(K[0]);
const R0_T2: u32 = big_sigma0(IV[0]).wrapping_add(maj(IV[0], IV[1], IV[2]));

/// Scans `range`; see the module docs of `kernel` for the contract.
pub(super) fn scan(job: &ScanJob, range: NonceRange, zero_bits: u8) -> ScanOutcome {
    let mut best = Best {
        nonce: range.first(),
        zero_bits: 0,
    };
    let mut hashes = 0u64;
    for nonce in range.first()..=range.last() {
        hashes += 1;
        let h7 = final_word(job, nonce);
        let lz = h7.swap_bytes().leading_zeros();
        let bits = if lz < 32 {
            // lz < 32 fits in a u8.
            lz as u8
        } else {
            zero_bits_of(&full_digest(job, nonce))
        };
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

/// The first hash's digest words for `nonce`.
#[inline(always)]
fn first_hash(job: &ScanJob, nonce: u32) -> State {
    let n = nonce.swap_bytes();
    let [a3, b3, c3, _, e3, f3, g3, _] = job.state3;
    let mut s = [
        job.a4_base.wrapping_add(n),
        a3,
        b3,
        c3,
        job.e4_base.wrapping_add(n),
        e3,
        f3,
        g3,
    ];
    let mut w = [0u32; 64];
    w[..3].copy_from_slice(&job.tail);
    w[3] = n;
    w[4] = PAD_W4;
    w[15] = LEN_W15;
    for i in 4..16 {
        round(&mut s, K[i].wrapping_add(w[i]));
    }
    w[16] = job.w16;
    w[17] = job.w17;
    w[18] = job.c18.wrapping_add(small_sigma0(n));
    w[19] = job.c19.wrapping_add(n);
    w[20] = small_sigma1(w[18]).wrapping_add(PAD_W4);
    w[21] = small_sigma1(w[19]);
    w[22] = small_sigma1(w[20]).wrapping_add(LEN_W15);
    for i in 23..30 {
        w[i] = small_sigma1(w[i - 2]).wrapping_add(w[i - 7]);
    }
    w[30] = small_sigma1(w[28])
        .wrapping_add(w[23])
        .wrapping_add(SIGMA0_LEN);
    w[31] = small_sigma1(w[29])
        .wrapping_add(w[24])
        .wrapping_add(job.c31);
    w[32] = small_sigma1(w[30])
        .wrapping_add(w[25])
        .wrapping_add(job.c32);
    schedule_from(&mut w, 33);
    for i in 16..64 {
        round(&mut s, K[i].wrapping_add(w[i]));
    }
    let mut digest = job.midstate;
    for (h, v) in digest.iter_mut().zip(s) {
        *h = h.wrapping_add(v);
    }
    digest
}

/// `H7` of sha256d(header with `nonce`): the last word of the second hash.
#[inline(always)]
fn final_word(job: &ScanJob, nonce: u32) -> u32 {
    let x = first_hash(job, nonce);
    let mut s = [
        x[0].wrapping_add(R0_T1).wrapping_add(R0_T2),
        IV[0],
        IV[1],
        IV[2],
        IV[3].wrapping_add(R0_T1).wrapping_add(x[0]),
        IV[4],
        IV[5],
        IV[6],
    ];
    let mut w = [0u32; 64];
    w[..8].copy_from_slice(&x);
    w[8] = DIGEST_PAD;
    w[15] = DIGEST_LEN;
    for i in 1..16 {
        round(&mut s, K[i].wrapping_add(w[i]));
    }
    w[16] = small_sigma0(x[1]).wrapping_add(x[0]);
    w[17] = small_sigma1(DIGEST_LEN)
        .wrapping_add(small_sigma0(x[2]))
        .wrapping_add(x[1]);
    for i in 18..22 {
        w[i] = small_sigma1(w[i - 2])
            .wrapping_add(small_sigma0(x[i - 15]))
            .wrapping_add(x[i - 16]);
    }
    w[22] = small_sigma1(w[20])
        .wrapping_add(DIGEST_LEN)
        .wrapping_add(small_sigma0(x[7]))
        .wrapping_add(x[6]);
    w[23] = small_sigma1(w[21])
        .wrapping_add(w[16])
        .wrapping_add(small_sigma0(DIGEST_PAD))
        .wrapping_add(x[7]);
    w[24] = small_sigma1(w[22])
        .wrapping_add(w[17])
        .wrapping_add(DIGEST_PAD);
    for i in 25..30 {
        w[i] = small_sigma1(w[i - 2]).wrapping_add(w[i - 7]);
    }
    w[30] = small_sigma1(w[28])
        .wrapping_add(w[23])
        .wrapping_add(small_sigma0(DIGEST_LEN));
    w[31] = small_sigma1(w[29])
        .wrapping_add(w[24])
        .wrapping_add(small_sigma0(w[16]))
        .wrapping_add(DIGEST_LEN);
    schedule_from(&mut w, 32);
    // Rounds 16..=60 only: e after round 60 becomes h after round 63.
    for i in 16..61 {
        round(&mut s, K[i].wrapping_add(w[i]));
    }
    IV[7].wrapping_add(s[4])
}

/// The general schedule recurrence for words `from..64`.
#[inline(always)]
fn schedule_from(w: &mut [u32; 64], from: usize) {
    for i in from..64 {
        w[i] = small_sigma1(w[i - 2])
            .wrapping_add(w[i - 7])
            .wrapping_add(small_sigma0(w[i - 15]))
            .wrapping_add(w[i - 16]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::sha256::{digest_bytes, hash_digest_words};
    use crate::vectors::GENESIS;

    #[test]
    fn shortcuts_match_the_plain_compression() {
        let job = ScanJob::new(&GENESIS.template());
        for nonce in [0, 1, 0x1234_5678, GENESIS.nonce, u32::MAX] {
            let digest = full_digest(&job, nonce);
            let header = GENESIS.header().with_nonce(nonce);
            assert_eq!(digest_bytes(&digest), header.hash().0, "nonce {nonce}");
            assert_eq!(final_word(&job, nonce), digest[7]);
            let first = first_hash(&job, nonce);
            assert_eq!(hash_digest_words(&first), digest);
        }
    }
}
