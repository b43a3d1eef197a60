//! sha256d(header) for one nonce per lane, with every nonce-free step taken
//! out, written once over [`Word`] for the portable, AVX2 and AVX-512
//! backends:
//!
//! - rounds 0..=2 of the header's second block and the nonce-free part of
//!   round 3 come from the [`ScanJob`];
//! - rounds 4..=17 of the first hash use words that are padding or per-job
//!   constants, so their `K + W` is one constant;
//! - schedule words 18..=32 use the job's partial sums and skip the padding
//!   words known to be zero;
//! - the second hash starts from a constant round 0 and folds the digest
//!   block's padding (words 8..=15) into constants;
//! - it stops after round 60: the displayed hash starts with the bytes of
//!   the last state word `H7 = IV7 + e60`, known three rounds before the
//!   end, and `a` is not needed after round 56 (the compiler drops it).
//!
//! Every round and schedule word is straight-line code with constant
//! indices (see [`unroll`]): no loops, no arrays left in memory.

use super::form::Rounds;
use super::job::{DIGEST_LEN, DIGEST_PAD, LEN_W15, PAD_W4, ScanJob};
use super::sha256::{IV, K, big_sigma0, big_sigma1, ch, maj, small_sigma0, small_sigma1};
use super::word::Word;

/// σ0(W15) of the header's second block.
const SIGMA0_LEN: u32 = small_sigma0(LEN_W15);
/// Round 0 of the second hash from IV, without the digest word `X0`.
const R0_T1: u32 = IV[7]
    .wrapping_add(big_sigma1(IV[4]))
    .wrapping_add(ch(IV[4], IV[5], IV[6]))
    .wrapping_add(K[0]);
const R0_T2: u32 = big_sigma0(IV[0]).wrapping_add(maj(IV[0], IV[1], IV[2]));

/// Round `i`: `w` is the message word, `None` where it is a constant the
/// caller folded into `k` (`k = K[i] + W[i]`).
///
/// Plain form: `T1 = (h + K + W) + Ch + Σ1`, with `h + K + W` pinned so the
/// compiler cannot move the constant to the end of the sum, where it would
/// lengthen the chain from one `e` to the next.
///
/// Short-chain form ([`super::Form::ShortChain`]; cores where vector
/// operations take two cycles, as on Zen 5, are bound by these chains, not
/// by throughput): the
/// new `e` is three operations deep from the old one instead of four:
/// `d + h + K` is summed rounds ahead, `W` is added as soon as it is ready,
/// then Ch, then Σ1 (a rotate and a XOR). `T1` is recovered as `e' - d`,
/// and the new `a` adds Maj before Σ0(a), so its own chain is three deep
/// too; it runs a round behind `e`, which needs it only as `d`, three rounds
/// later. One more operation per round.
#[inline(always)]
fn round<V: Word, R: Rounds>(s: &mut [V; 8], k: u32, w: Option<V>) {
    let [a, b, c, d, e, f, g, h] = *s;
    let (a_new, e_new) = if R::SHORT_CHAINS {
        let mut dhkw = d.add(h).add_u32(k).pin();
        if let Some(w) = w {
            dhkw = dhkw.add(w).pin();
        }
        let e_new = dhkw.add(V::ch(e, f, g)).pin().add(e.big_sigma1());
        let t1 = e_new.sub(d).pin();
        let a_new = t1.add(V::maj(a, b, c)).pin().add(a.big_sigma0());
        (a_new, e_new)
    } else {
        let mut hkw = h.add_u32(k).pin();
        if let Some(w) = w {
            hkw = hkw.add(w).pin();
        }
        let t1 = hkw.add(V::ch(e, f, g)).add(e.big_sigma1());
        let t2 = a.big_sigma0().add(V::maj(a, b, c));
        (t1.add(t2), d.add(t1))
    };
    *s = [a_new, a, b, c, e_new, e, f, g];
}

/// The general schedule recurrence for word `i`.
#[inline(always)]
fn schedule<V: Word>(w: &[V; 64], i: usize) -> V {
    w[i - 2]
        .small_sigma1()
        .add(w[i - 7])
        .add(w[i - 15].small_sigma0())
        .add(w[i - 16])
}

/// Word `i` (16 or more) of the header's second block, `n` being the nonce
/// word `W3`. Words 4..=15 are padding: `W4`, `W15` and zeros.
#[inline(always)]
fn first_schedule<V: Word>(job: &ScanJob, w: &[V; 64], n: V, i: usize) -> V {
    match i {
        16 => V::splat(job.w16),
        17 => V::splat(job.w17),
        18 => n.small_sigma0().add_u32(job.c18),
        19 => n.add_u32(job.c19),
        20 => w[18].small_sigma1().add_u32(PAD_W4),
        21 => w[19].small_sigma1(),
        22 => w[20].small_sigma1().add_u32(LEN_W15),
        23..=29 => w[i - 2].small_sigma1().add(w[i - 7]),
        30 => w[28].small_sigma1().add(w[23]).add_u32(SIGMA0_LEN),
        31 => w[29].small_sigma1().add(w[24]).add_u32(job.c31),
        32 => w[30].small_sigma1().add(w[25]).add_u32(job.c32),
        _ => schedule(w, i),
    }
}

/// Word `i` (16 or more) of the digest block: the digest `x` in words
/// 0..=7, then `DIGEST_PAD`, six zeros and `DIGEST_LEN`.
#[inline(always)]
fn second_schedule<V: Word>(w: &[V; 64], i: usize) -> V {
    match i {
        16 => w[1].small_sigma0().add(w[0]),
        17 => w[2]
            .small_sigma0()
            .add(w[1])
            .add_u32(small_sigma1(DIGEST_LEN)),
        18..=21 => w[i - 2]
            .small_sigma1()
            .add(w[i - 15].small_sigma0())
            .add(w[i - 16]),
        22 => w[20]
            .small_sigma1()
            .add(w[7].small_sigma0())
            .add(w[6])
            .add_u32(DIGEST_LEN),
        23 => w[21]
            .small_sigma1()
            .add(w[16])
            .add(w[7])
            .add_u32(small_sigma0(DIGEST_PAD)),
        24 => w[22].small_sigma1().add(w[17]).add_u32(DIGEST_PAD),
        25..=29 => w[i - 2].small_sigma1().add(w[i - 7]),
        30 => w[28]
            .small_sigma1()
            .add(w[23])
            .add_u32(small_sigma0(DIGEST_LEN)),
        31 => w[29]
            .small_sigma1()
            .add(w[24])
            .add(w[16].small_sigma0())
            .add_u32(DIGEST_LEN),
        _ => schedule(w, i),
    }
}

/// The first hash's digest words, rounds in form `R`; `n` is the nonce as
/// the message word `W3` (byte-swapped).
#[inline(always)]
pub(crate) fn first_hash<V: Word, R: Rounds>(job: &ScanJob, n: V) -> [V; 8] {
    let [a3, b3, c3, _, e3, f3, g3, _] = job.state3;
    let mut s = [
        n.add_u32(job.a4_base),
        V::splat(a3),
        V::splat(b3),
        V::splat(c3),
        n.add_u32(job.e4_base),
        V::splat(e3),
        V::splat(f3),
        V::splat(g3),
    ];
    let pad = |i: usize| match i {
        4 => PAD_W4,
        15 => LEN_W15,
        _ => 0,
    };
    unroll!(I in [4 5 6 7 8 9 10 11 12 13 14 15] {
        round::<V, R>(&mut s, K[I].wrapping_add(pad(I)), None);
    });
    let mut w = [V::splat(0); 64];
    unroll!(I in [16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39
        40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63] {
        w[I] = first_schedule(job, &w, n, I);
        match I {
            16 => round::<V, R>(&mut s, K[16].wrapping_add(job.w16), None),
            17 => round::<V, R>(&mut s, K[17].wrapping_add(job.w17), None),
            _ => round::<V, R>(&mut s, K[I], Some(w[I])),
        }
    });
    let mut digest = s;
    for (d, m) in digest.iter_mut().zip(job.midstate) {
        *d = d.add_u32(m);
    }
    digest
}

/// `H7` of sha256d(header with nonce word `n`), rounds in form `R`: the
/// last word of the second hash, whose bytes start the displayed hash.
#[inline(always)]
pub(crate) fn final_word<V: Word, R: Rounds>(job: &ScanJob, n: V) -> V {
    let x = first_hash::<V, R>(job, n);
    let mut s = [
        x[0].add_u32(R0_T1.wrapping_add(R0_T2)),
        V::splat(IV[0]),
        V::splat(IV[1]),
        V::splat(IV[2]),
        x[0].add_u32(IV[3].wrapping_add(R0_T1)),
        V::splat(IV[4]),
        V::splat(IV[5]),
        V::splat(IV[6]),
    ];
    let mut w = [V::splat(0); 64];
    w[..8].copy_from_slice(&x);
    unroll!(I in [1 2 3 4 5 6 7] {
        round::<V, R>(&mut s, K[I], Some(w[I]));
    });
    let pad = |i: usize| match i {
        8 => DIGEST_PAD,
        15 => DIGEST_LEN,
        _ => 0,
    };
    unroll!(I in [8 9 10 11 12 13 14 15] {
        round::<V, R>(&mut s, K[I].wrapping_add(pad(I)), None);
    });
    // Rounds 16..=60 only: e after round 60 becomes h after round 63.
    unroll!(I in [16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39
        40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60] {
        w[I] = second_schedule(&w, I);
        round::<V, R>(&mut s, K[I], Some(w[I]));
    });
    s[4].add_u32(IV[7])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::form::{PlainRounds, ShortChainRounds};
    use crate::kernel::job::full_digest;
    use crate::kernel::sha256::{digest_bytes, hash_digest_words};
    use crate::vectors::GENESIS;

    #[test]
    fn shortcuts_match_the_plain_compression() {
        let job = ScanJob::new(&GENESIS.template());
        for nonce in [0, 1, 0x1234_5678, GENESIS.nonce, u32::MAX] {
            let digest = full_digest(&job, nonce);
            let header = GENESIS.header().with_nonce(nonce);
            assert_eq!(digest_bytes(&digest), header.hash().0, "nonce {nonce}");
            let n = nonce.swap_bytes();
            assert_eq!(final_word::<u32, PlainRounds>(&job, n), digest[7]);
            assert_eq!(final_word::<u32, ShortChainRounds>(&job, n), digest[7]);
            let first = first_hash::<u32, PlainRounds>(&job, n);
            assert_eq!(hash_digest_words(&first), digest);
            assert_eq!(first_hash::<u32, ShortChainRounds>(&job, n), first);
        }
    }
}
