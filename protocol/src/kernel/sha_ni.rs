//! The SHA-NI backend: the x86 SHA extensions, [`STREAMS`] nonces per step.
//!
//! `sha256rnds2` does two rounds, but the next two need its result, so one
//! hash is bound by its latency; independent nonces interleaved keep the
//! unit busy instead: four instruction streams at a time, two groups of
//! four per step, in two forms, [`Form::Wide`] and [`Form::Compact`] (the
//! same step in fewer and shorter instructions; `Form` says which core
//! wants which). A step (the double hash of its consecutive nonces up to
//! `H7`) is assembly generated at build time by `protocol/build/sha_ni.rs`,
//! one per form, whose docs say how it is laid out, which nonce-free work
//! it skips and what each choice measured. This module fills the frame
//! both read (`sha_ni_frame`: the job's constants in the instructions'
//! `ABEF`/`CDGH` and schedule-quad layouts, then the work area) and runs
//! the form's step from [`lanes`]' scan loop.
//!
//! The floor: a nonce needs 60 `sha256rnds2` (the first hash's rounds
//! 4..=63, the nonce entering after round 3 by one addition, and the second
//! hash's rounds 0..=59; its round 60, of which only `e60 = H7 - IV7`
//! matters, runs on general registers). Zen 5 issues one every two cycles
//! (latency 4), so the floor is 120 cycles per nonce; Golden Cove, one
//! every three, 180; Zen 3 and Zen 4, one every cycle, 60. The schedule (24
//! `sha256msg2`, 20 `sha256msg1` per nonce) issues beside the rounds, but
//! with the shuffles, additions, loads and stores around them the mix,
//! measured alone, runs about 8% above the rounds' bound on Zen 5: that,
//! not the rounds, is what keeps the wide step at 128 cycles there (94% of
//! the floor). On Zen 3 the `sha256msg2`, the stores and the shuffles
//! delay the rounds themselves, and the compact step runs at 103-112; on
//! Zen 4 at 103, of which four streams cost 13 cycles even with no
//! schedule at all (the README's Zen 4 section takes the step apart).
//!
//! `unsafe` here: the `#[target_feature]` functions called from the
//! featureless [`Lanes::step`], and the `asm!` block. [`Streams`] is private
//! and only built inside [`scan`], which is reached only through a
//! [`ShaNi`], which exists only once the CPU features were detected; the
//! block touches only the frame it is given (its contract is in the
//! generator's docs, its offsets in `sha_ni_frame`).

use core::arch::asm;
use core::arch::x86_64::{__m128i, _mm_set_epi32};

use super::job::{DIGEST_LEN, DIGEST_PAD, LEN_W15, PAD_W4, ScanJob};
use super::lanes::{self, Lanes};
use super::sha_ni_frame as f;
use super::sha256::{IV, K, small_sigma0};
use super::{Form, ScanOutcome};
use crate::range::NonceRange;

cpufeatures::new!(cpu_sha, "sha", "sse2", "ssse3", "sse4.1");
// The compact step's three-operand forms (`vpalignr`, `vpaddd`) are VEX.
cpufeatures::new!(cpu_avx, "avx");

/// Nonces a step hashes together, in either form: two groups of four
/// instruction streams.
pub(super) const STREAMS: usize = f::NONCES;

/// The forms, the one to use unmeasured first: SHA-NI is the fastest
/// backend only where AVX-512 is absent, on cores like Zen 3, where the
/// compact form is the faster. The compact form also needs AVX, which
/// some cores with the SHA extensions (Goldmont) lack.
pub(super) const FORMS: &[Form] = &[Form::Compact, Form::Wide];

/// Proof that this CPU runs the SHA extensions and SSE4.1, and what the
/// step of the form it holds needs besides (AVX for the compact form).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct ShaNi(Form);

impl ShaNi {
    /// The proof for `form` (one of [`FORMS`]), if this CPU has the
    /// features its step uses.
    pub(super) fn detect(form: Form) -> Option<ShaNi> {
        let vex = form != Form::Compact || cpu_avx::get();
        (FORMS.contains(&form) && vex && cpu_sha::get()).then_some(ShaNi(form))
    }

    /// Scans `range` with the step of its form; the contract of
    /// `kernel`'s module docs.
    pub(super) fn scan(self, job: &ScanJob, range: NonceRange, zero_bits: u8) -> ScanOutcome {
        // SAFETY: `self` proves that the CPU has the features `scan` enables
        // and, for the compact step, AVX.
        unsafe {
            match self.0 {
                Form::Wide => scan::<false>(job, range, zero_bits),
                // `detect` holds only `FORMS`: the rest is `Compact`.
                _ => scan::<true>(job, range, zero_bits),
            }
        }
    }
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn scan<const COMPACT: bool>(job: &ScanJob, range: NonceRange, zero_bits: u8) -> ScanOutcome {
    lanes::scan(
        job,
        &mut Streams::<COMPACT>(Frame::new(job)),
        range,
        zero_bits,
    )
}

/// The frame the step reads and writes (see `sha_ni_frame`).
#[repr(C, align(16))]
struct Frame([__m128i; f::SLOTS]);

/// `[d0, d1, d2, d3]`, dword 0 first.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn dwords(d: [u32; 4]) -> __m128i {
    let d = d.map(u32::cast_signed);
    _mm_set_epi32(d[3], d[2], d[1], d[0])
}

impl Frame {
    /// The frame for `job`: its constants filled, the work area zero.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn new(job: &ScanJob) -> Frame {
        let [a3, b3, c3, _, e3, f3, g3, _] = job.state3;
        let m = job.midstate;
        let [t0, t1, t2] = job.tail;
        let mut s = [dwords([0; 4]); f::SLOTS];
        // After round 3 a = a4 = a4_base + W3, b = a3, c = b3, d = c3, and
        // likewise for e..h.
        s[f::ABEF4] = dwords([e3, job.e4_base, a3, job.a4_base]);
        s[f::CDGH4] = dwords([g3, f3, c3, b3]);
        s[f::W0] = dwords([t0, t1, t2, 0]);
        s[f::PART5] = dwords([PAD_W4, 0, LEN_W15, job.w16]);
        let part7 = LEN_W15.wrapping_add(small_sigma0(job.w16));
        s[f::PART7] = dwords([0, 0, small_sigma0(LEN_W15), part7]);
        s[f::MID_ABEF] = dwords([m[5], m[4], m[1], m[0]]);
        s[f::MID_CDGH] = dwords([m[7], m[6], m[3], m[2]]);
        s[f::MASK_AE] = dwords([0, u32::MAX, 0, u32::MAX]);
        s[f::PAD1] = dwords([PAD_W4, 0, 0, 0]);
        s[f::LEN3] = dwords([0, 0, 0, LEN_W15]);
        s[f::IV_ABEF] = dwords([IV[5], IV[4], IV[1], IV[0]]);
        s[f::IV_CDGH] = dwords([IV[7], IV[6], IV[3], IV[2]]);
        s[f::DPAD2] = dwords([DIGEST_PAD, 0, 0, 0]);
        s[f::DLEN3] = dwords([0, 0, 0, DIGEST_LEN]);
        for (i, k) in K.chunks_exact(4).enumerate() {
            s[f::K + i] = dwords([k[0], k[1], k[2], k[3]]);
        }
        // Constant `K + W` pairs: padding only.
        let first = |i: usize| match i {
            4 => PAD_W4,
            15 => LEN_W15,
            _ => 0,
        };
        let second = |i: usize| match i {
            8 => DIGEST_PAD,
            15 => DIGEST_LEN,
            _ => 0,
        };
        let pair = |i: usize, w: &dyn Fn(usize) -> u32| {
            [
                K[i].wrapping_add(w(i)),
                K[i + 1].wrapping_add(w(i + 1)),
                0,
                0,
            ]
        };
        for j in 0..6 {
            s[f::PAIRS1 + j] = dwords(pair(4 + 2 * j, &first));
        }
        for j in 0..4 {
            s[f::PAIRS2 + j] = dwords(pair(8 + 2 * j, &second));
        }
        Frame(s)
    }
}

/// The job's streams, stepped by the compact step or the wide one; see the
/// module docs for why building one is safe.
struct Streams<const COMPACT: bool>(Frame);

impl<const COMPACT: bool> Lanes for Streams<COMPACT> {
    const LANES: u32 = STREAMS as u32;

    #[inline(always)]
    fn step(&mut self, base: u32, limit: u32, h7: &mut [u32; 16]) -> u32 {
        // SAFETY: `Streams` only exists inside `scan`, which runs with the
        // features `final_words` enables (module docs).
        let words = unsafe { final_words::<COMPACT>(&mut self.0, base) };
        let mut hits = 0;
        for (lane, (out, word)) in h7.iter_mut().zip(words).enumerate() {
            *out = word;
            hits |= u32::from(word.swap_bytes() <= limit) << lane;
        }
        hits
    }
}

/// `H7` of sha256d for the nonces `base, base + 1, ...`, one per stream:
/// by the compact step or the wide one.
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
#[inline]
fn final_words<const COMPACT: bool>(frame: &mut Frame, base: u32) -> [u32; STREAMS] {
    let mut e60 = [0u32; STREAMS];
    let at = frame.0.as_mut_ptr();
    // The near shape's bases (`sha_ni_frame::near_base`), all within the
    // frame.
    const { assert!(f::SLOTS * 16 > f::near_base(f::NEAR_BASES - 1)) };
    let near = |i: usize| at.cast::<u8>().wrapping_add(f::near_base(i));
    macro_rules! step {
        ($file:literal, $($frame:tt)*) => {
            // SAFETY: the features the block uses (SHA, SSE2, SSSE3,
            // SSE4.1) are enabled here, and the compact step's AVX was
            // detected for the `ShaNi` that reached here; it reads and
            // writes only the `f::SLOTS` slots of the frame (offsets from
            // `sha_ni_frame`, the layout `Frame` has, from `f` or the near
            // bases into it), 16-byte aligned as `Frame` is, and writes one
            // dword per nonce of its step at `out`, which `e60` holds; it
            // uses no stack and declares every register it writes.
            unsafe {
                asm!(
                    include_str!(concat!(env!("OUT_DIR"), "/", $file)),
                    $($frame)*
                    base = in(reg) u64::from(base),
                    out = in(reg) e60.as_mut_ptr(),
                    n = out(reg) _,
                    e = out(reg) _,
                    x = out(reg) _,
                    y = out(reg) _,
                    out("xmm0") _, out("xmm1") _, out("xmm2") _, out("xmm3") _,
                    out("xmm4") _, out("xmm5") _, out("xmm6") _, out("xmm7") _,
                    out("xmm8") _, out("xmm9") _, out("xmm10") _, out("xmm11") _,
                    out("xmm12") _, out("xmm13") _, out("xmm14") _, out("xmm15") _,
                    options(nostack),
                );
            }
        };
    }
    if !COMPACT {
        step!("sha_ni_wide.s", f = in(reg) at,);
    } else {
        step!(
            "sha_ni_compact.s",
            f0 = in(reg) near(0),
            f1 = in(reg) near(1),
            f2 = in(reg) near(2),
            f3 = in(reg) near(3),
            f4 = in(reg) near(4),
        );
    }
    e60.map(|e60| IV[7].wrapping_add(e60))
}
