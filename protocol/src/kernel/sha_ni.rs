//! The SHA-NI backend: the x86 SHA extensions, [`STREAMS`] nonces at a time.
//!
//! `sha256rnds2` does two rounds, but the next two need its result, so one
//! hash is bound by its latency. Independent nonces interleaved instruction
//! by instruction keep the unit busy instead. The state lives in the
//! instructions' `ABEF`/`CDGH` layout (dwords high to low: A, B, E, F and
//! C, D, G, H) and the schedule in 4-word vectors (`W[4k]` in dword 0),
//! extended by `sha256msg1`/`sha256msg2`.
//!
//! The nonce-free work is skipped as in the other backends:
//!
//! - the first hash starts after round 3 from the job's state (the nonce
//!   enters `a` and `e` by one addition) and rounds 4..=15 use constant
//!   `K + W` pairs;
//! - the second hash takes the digest words straight from the state
//!   registers (no bytes), uses constant pairs for the padding rounds
//!   8..=15, and stops after rounds 60 and 61: the `F` dword then holds `e`
//!   after round 60, and `H7 = IV7 + e60`.
//!
//! The compiler would regroup the streams one after the other (it saves
//! registers), so each stream's new state passes through an empty `asm!`
//! that keeps its place in program order ([`in_order`]).
//!
//! `unsafe` here: calling the `#[target_feature]` functions from the
//! featureless [`Lanes::step`]; [`Streams`] is private and only built inside
//! [`scan`], which is reached only through a [`ShaNi`], which exists only
//! once the CPU features were detected.

use core::arch::asm;
use core::arch::x86_64::{
    __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_cvtsi128_si32, _mm_insert_epi32, _mm_set_epi32,
    _mm_setzero_si128, _mm_sha256msg1_epu32, _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32,
    _mm_shuffle_epi32, _mm_unpackhi_epi64, _mm_unpacklo_epi64,
};

use super::ScanOutcome;
use super::job::{DIGEST_LEN, DIGEST_PAD, LEN_W15, PAD_W4, ScanJob};
use super::lanes::{self, Lanes};
use super::sha256::{IV, K};
use crate::range::NonceRange;

cpufeatures::new!(cpu_sha, "sha", "sse2", "ssse3", "sse4.1");

/// Nonces hashed together, one instruction stream each.
pub(super) const STREAMS: usize = 3;

/// Proof that this CPU runs the SHA extensions and SSE4.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct ShaNi(());

impl ShaNi {
    /// The proof, if this CPU has the features.
    pub(super) fn detect() -> Option<ShaNi> {
        cpu_sha::get().then_some(ShaNi(()))
    }

    /// Scans `range`; the contract of `kernel`'s module docs.
    pub(super) fn scan(self, job: &ScanJob, range: NonceRange, zero_bits: u8) -> ScanOutcome {
        // SAFETY: `self` proves that the CPU has the features `scan` enables.
        unsafe { scan(job, range, zero_bits) }
    }
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn scan(job: &ScanJob, range: NonceRange, zero_bits: u8) -> ScanOutcome {
    let vectors = JobVectors::new(job);
    lanes::scan(job, &mut Streams(&vectors), range, zero_bits)
}

/// The job in vector form.
struct JobVectors {
    /// ABEF after round 3 of the first hash, without the nonce in A and E.
    abef4: __m128i,
    /// CDGH after round 3 (nonce-free).
    cdgh4: __m128i,
    /// The midstate, as ABEF and CDGH.
    mid_abef: __m128i,
    mid_cdgh: __m128i,
    /// `W0..W3` of the header's second block, with `W3` (the nonce) zero.
    w0: __m128i,
}

impl JobVectors {
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn new(job: &ScanJob) -> JobVectors {
        let [a3, b3, c3, _, e3, f3, g3, _] = job.state3.map(u32::cast_signed);
        let m = job.midstate.map(u32::cast_signed);
        let [t0, t1, t2] = job.tail.map(u32::cast_signed);
        JobVectors {
            abef4: _mm_set_epi32(job.a4_base.cast_signed(), a3, job.e4_base.cast_signed(), e3),
            cdgh4: _mm_set_epi32(b3, c3, f3, g3),
            mid_abef: _mm_set_epi32(m[0], m[1], m[4], m[5]),
            mid_cdgh: _mm_set_epi32(m[2], m[3], m[6], m[7]),
            w0: _mm_set_epi32(0, t2, t1, t0),
        }
    }
}

/// The job's streams; see the module docs for why building one is safe.
struct Streams<'a>(&'a JobVectors);

impl Lanes for Streams<'_> {
    const LANES: u32 = STREAMS as u32;

    #[inline(always)]
    fn step(&mut self, base: u32, limit: u32, h7: &mut [u32; 16]) -> u32 {
        // SAFETY: `Streams` only exists inside `scan`, which runs with the
        // features `final_words` enables (module docs).
        let words = unsafe { final_words(self.0, base) };
        let mut hits = 0;
        for (lane, (out, word)) in h7.iter_mut().zip(words).enumerate() {
            *out = word;
            hits |= u32::from(word.swap_bytes() <= limit) << lane;
        }
        hits
    }
}

/// One vector per stream.
type PerStream = [__m128i; STREAMS];

/// `K[i]` and `K[i + 1]` plus the message words, in dwords 0 and 1.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn pair(i: usize, w0: u32, w1: u32) -> __m128i {
    _mm_set_epi32(
        0,
        0,
        K[i + 1].wrapping_add(w1).cast_signed(),
        K[i].wrapping_add(w0).cast_signed(),
    )
}

/// `K[i..i + 4]`.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn k4(i: usize) -> __m128i {
    let k = [K[i], K[i + 1], K[i + 2], K[i + 3]].map(u32::cast_signed);
    _mm_set_epi32(k[3], k[2], k[1], k[0])
}

/// `x`, through an empty `asm!` that keeps its place in program order. The
/// compiler would otherwise regroup the streams' instructions to save
/// registers, one stream after the other, which serializes them again on
/// the latency of `sha256rnds2`; passing each stream's new state through
/// one of these, in turn, keeps them in lockstep.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn in_order(mut x: __m128i) -> __m128i {
    // SAFETY: an empty template: no instruction, no memory, no flags.
    unsafe {
        asm!("/* {0} */", inout(xmm_reg) x, options(nomem, nostack, preserves_flags));
    }
    x
}

/// Two rounds on every stream, `wk` holding `K + W` in dwords 0 and 1.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn rounds2(abef: &mut PerStream, cdgh: &mut PerStream, wk: &PerStream) {
    for s in 0..STREAMS {
        let next = in_order(_mm_sha256rnds2_epu32(cdgh[s], abef[s], wk[s]));
        cdgh[s] = abef[s];
        abef[s] = next;
    }
}

/// Two rounds on every stream with the same constant `K + W` pair.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn rounds2_const(abef: &mut PerStream, cdgh: &mut PerStream, wk: __m128i) {
    rounds2(abef, cdgh, &[wk; STREAMS]);
}

/// Four rounds on every stream: message words `w` (4 per stream) plus
/// `K[i..i + 4]`; only the first two when `half`.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn rounds4(abef: &mut PerStream, cdgh: &mut PerStream, w: &PerStream, i: usize, half: bool) {
    let k = k4(i);
    let mut wk = *w;
    for v in &mut wk {
        *v = _mm_add_epi32(*v, k);
    }
    rounds2(abef, cdgh, &wk);
    if !half {
        for v in &mut wk {
            *v = _mm_shuffle_epi32::<0x0E>(*v);
        }
        rounds2(abef, cdgh, &wk);
    }
}

/// The next four schedule words from the last sixteen, `w[0]` oldest.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn next_words(w: &[__m128i; 4]) -> __m128i {
    let partial = _mm_add_epi32(
        _mm_sha256msg1_epu32(w[0], w[1]),
        _mm_alignr_epi8::<4>(w[3], w[2]),
    );
    _mm_sha256msg2_epu32(partial, w[3])
}

/// Rounds 16..=`$last` of every stream, extending each stream's schedule
/// window `$win` (words 0..16 at the start) four words at a time. A macro
/// rather than a function so that both hashes are one straight block.
macro_rules! rounds_from_16 {
    ($abef:ident, $cdgh:ident, $win:ident, $last:literal) => {
        unroll!(Q in [4 5 6 7 8 9 10 11 12 13 14 15] {
            if 4 * Q <= $last {
                let mut w = [_mm_setzero_si128(); STREAMS];
                for (s, words) in $win.iter_mut().enumerate() {
                    w[s] = in_order(next_words(words));
                    *words = [words[1], words[2], words[3], w[s]];
                }
                rounds4(&mut $abef, &mut $cdgh, &w, 4 * Q, $last < 4 * Q + 3);
            }
        });
    };
}

/// `H7` of sha256d for the nonces `base, base + 1, ...`, one per stream.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn final_words(job: &JobVectors, base: u32) -> [u32; STREAMS] {
    let pad = _mm_set_epi32(0, 0, 0, PAD_W4.cast_signed());
    let len = _mm_set_epi32(LEN_W15.cast_signed(), 0, 0, 0);
    let zero = _mm_setzero_si128();

    // First hash, from round 4: the nonce enters A and E, and W3.
    let mut abef = [job.abef4; STREAMS];
    let mut cdgh = [job.cdgh4; STREAMS];
    let mut win = [[zero, pad, zero, len]; STREAMS];
    for s in 0..STREAMS {
        let n = base.wrapping_add(s as u32).swap_bytes().cast_signed();
        abef[s] = _mm_add_epi32(abef[s], _mm_set_epi32(n, 0, n, 0));
        win[s][0] = _mm_insert_epi32::<3>(job.w0, n);
    }
    rounds2_const(&mut abef, &mut cdgh, pair(4, PAD_W4, 0));
    unroll!(I in [6 8 10 12] {
        rounds2_const(&mut abef, &mut cdgh, pair(I, 0, 0));
    });
    rounds2_const(&mut abef, &mut cdgh, pair(14, 0, LEN_W15));
    rounds_from_16!(abef, cdgh, win, 63);

    // Second hash: the digest words are the message.
    let digest_pad = _mm_set_epi32(0, 0, 0, DIGEST_PAD.cast_signed());
    let digest_len = _mm_set_epi32(DIGEST_LEN.cast_signed(), 0, 0, 0);
    for s in 0..STREAMS {
        let x_abef = _mm_add_epi32(abef[s], job.mid_abef);
        let x_cdgh = _mm_add_epi32(cdgh[s], job.mid_cdgh);
        // [B, A, D, C] and [F, E, H, G] into [A, B, C, D] and [E, F, G, H].
        let x0 = _mm_shuffle_epi32::<0xB1>(_mm_unpackhi_epi64(x_abef, x_cdgh));
        let x1 = _mm_shuffle_epi32::<0xB1>(_mm_unpacklo_epi64(x_abef, x_cdgh));
        win[s] = [x0, x1, digest_pad, digest_len];
    }
    let iv = IV.map(u32::cast_signed);
    abef = [_mm_set_epi32(iv[0], iv[1], iv[4], iv[5]); STREAMS];
    cdgh = [_mm_set_epi32(iv[2], iv[3], iv[6], iv[7]); STREAMS];
    rounds4(&mut abef, &mut cdgh, &win.map(|w| w[0]), 0, false);
    rounds4(&mut abef, &mut cdgh, &win.map(|w| w[1]), 4, false);
    rounds2_const(&mut abef, &mut cdgh, pair(8, DIGEST_PAD, 0));
    unroll!(I in [10 12] {
        rounds2_const(&mut abef, &mut cdgh, pair(I, 0, 0));
    });
    rounds2_const(&mut abef, &mut cdgh, pair(14, 0, DIGEST_LEN));
    rounds_from_16!(abef, cdgh, win, 61);
    // After rounds 60 and 61, dword 0 (F) is e after round 60.
    abef.map(|v| IV[7].wrapping_add(_mm_cvtsi128_si32(v).cast_unsigned()))
}
