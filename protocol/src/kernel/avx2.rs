//! The AVX2 backend, for x86-64 CPUs without AVX-512: 8 nonces per 256-bit
//! vector, one per lane, through the shortcut double hash of
//! [`super::sha256d`]. AVX2 has no rotate and no three-input logic, so a
//! rotate is two shifts and an OR, and Ch and Maj take three and four
//! operations. Both forms of the rounds are built ([`FORMS`]) and measured
//! by hosts, as for AVX-512.
//!
//! `unsafe` here: the intrinsics. [`V8`] is private to this module and only
//! built inside [`scan`], a `#[target_feature]` function reached only
//! through an [`Avx2`], which exists only once the CPU feature was detected.
//! That is the one argument behind every `SAFETY` comment below.

use core::arch::asm;
use core::arch::x86_64::{
    __m256i, _mm256_add_epi32, _mm256_and_si256, _mm256_castsi256_ps, _mm256_cmpeq_epi32,
    _mm256_max_epu32, _mm256_movemask_ps, _mm256_or_si256, _mm256_set_epi32, _mm256_set1_epi32,
    _mm256_shuffle_epi8, _mm256_slli_epi32, _mm256_srli_epi32, _mm256_storeu_si256,
    _mm256_sub_epi32, _mm256_xor_si256,
};

use super::ScanOutcome;
use super::form::{Form, PlainRounds, Rounds, ShortChainRounds};
use super::job::ScanJob;
use super::lanes::{self, Vector, VectorStep};
use super::word::Word;
use crate::range::NonceRange;

cpufeatures::new!(cpu_avx2, "avx2");

/// The forms built, the one to use unmeasured first.
pub(super) const FORMS: &[Form] = &[Form::Plain, Form::ShortChain];

/// Proof that this CPU runs AVX2 (and the OS saves the `ymm` registers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct Avx2(());

impl Avx2 {
    /// The proof, if this CPU has the feature.
    pub(super) fn detect() -> Option<Avx2> {
        cpu_avx2::get().then_some(Avx2(()))
    }

    /// Scans `range` with rounds in `form`; the contract of `kernel`'s
    /// module docs.
    pub(super) fn scan(
        self,
        job: &ScanJob,
        range: NonceRange,
        zero_bits: u8,
        form: Form,
    ) -> ScanOutcome {
        // SAFETY: `self` proves that the CPU has the feature `scan` enables.
        unsafe {
            match form {
                Form::ShortChain => scan::<ShortChainRounds>(job, range, zero_bits),
                // `Kernel` passes only this backend's `FORMS`: the rest is
                // `Plain`.
                _ => scan::<PlainRounds>(job, range, zero_bits),
            }
        }
    }
}

#[target_feature(enable = "avx2")]
fn scan<R: Rounds>(job: &ScanJob, range: NonceRange, zero_bits: u8) -> ScanOutcome {
    lanes::scan(job, &mut VectorStep::<V8, R>::new(job), range, zero_bits)
}

/// Eight `u32` lanes.
#[derive(Clone, Copy)]
struct V8(__m256i);

/// `x` rotated right by `n` bits, `0 < n < 32`, in every lane.
macro_rules! ror {
    ($x:expr, $n:literal) => {
        _mm256_or_si256(
            _mm256_srli_epi32::<$n>($x),
            _mm256_slli_epi32::<{ 32 - $n }>($x),
        )
    };
}

/// `a ^ b ^ c`.
macro_rules! xor3 {
    ($a:expr, $b:expr, $c:expr) => {
        _mm256_xor_si256(_mm256_xor_si256($a, $b), $c)
    };
}

impl Word for V8 {
    #[inline(always)]
    fn splat(x: u32) -> V8 {
        // SAFETY: AVX2 is enabled wherever a V8 is used (module docs).
        V8(unsafe { _mm256_set1_epi32(x.cast_signed()) })
    }
    #[inline(always)]
    fn add(self, other: V8) -> V8 {
        // SAFETY: AVX2 is enabled wherever a V8 is used (module docs).
        V8(unsafe { _mm256_add_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn sub(self, other: V8) -> V8 {
        // SAFETY: AVX2 is enabled wherever a V8 is used (module docs).
        V8(unsafe { _mm256_sub_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn pin(self) -> V8 {
        // SAFETY: AVX2 is enabled wherever a V8 is used (module docs).
        V8(unsafe { opaque(self.0) })
    }
    #[inline(always)]
    fn big_sigma0(self) -> V8 {
        let x = self.0;
        // SAFETY: AVX2 is enabled wherever a V8 is used (module docs).
        V8(unsafe { xor3!(ror!(x, 2), ror!(x, 13), ror!(x, 22)) })
    }
    #[inline(always)]
    fn big_sigma1(self) -> V8 {
        let x = self.0;
        // SAFETY: AVX2 is enabled wherever a V8 is used (module docs).
        V8(unsafe { xor3!(ror!(x, 6), ror!(x, 11), ror!(x, 25)) })
    }
    #[inline(always)]
    fn small_sigma0(self) -> V8 {
        let x = self.0;
        // SAFETY: AVX2 is enabled wherever a V8 is used (module docs).
        V8(unsafe { xor3!(ror!(x, 7), ror!(x, 18), _mm256_srli_epi32::<3>(x)) })
    }
    #[inline(always)]
    fn small_sigma1(self) -> V8 {
        let x = self.0;
        // SAFETY: AVX2 is enabled wherever a V8 is used (module docs).
        V8(unsafe { xor3!(ror!(x, 17), ror!(x, 19), _mm256_srli_epi32::<10>(x)) })
    }
    #[inline(always)]
    fn ch(e: V8, f: V8, g: V8) -> V8 {
        // SAFETY: AVX2 is enabled wherever a V8 is used (module docs).
        V8(unsafe { _mm256_xor_si256(g.0, _mm256_and_si256(e.0, _mm256_xor_si256(f.0, g.0))) })
    }
    #[inline(always)]
    fn maj(a: V8, b: V8, c: V8) -> V8 {
        // SAFETY: AVX2 is enabled wherever a V8 is used (module docs).
        V8(unsafe {
            _mm256_or_si256(
                _mm256_and_si256(a.0, b.0),
                _mm256_and_si256(c.0, _mm256_or_si256(a.0, b.0)),
            )
        })
    }
}

/// `x`, through an empty `asm!` the compiler cannot see into.
#[target_feature(enable = "avx2")]
#[inline]
fn opaque(mut x: __m256i) -> __m256i {
    // SAFETY: an empty template: no instruction, no memory, no flags.
    unsafe {
        asm!("/* {0} */", inout(ymm_reg) x, options(pure, nomem, nostack, preserves_flags));
    }
    x
}

impl V8 {
    /// Each lane's bytes reversed.
    #[inline(always)]
    fn swap_bytes(self) -> V8 {
        // Source byte of each destination byte, per 128-bit lane.
        let (a, b, c, d) = (0x0c0d_0e0f, 0x0809_0a0b, 0x0405_0607, 0x0001_0203);
        // SAFETY: AVX2 is enabled wherever a V8 is used (module docs).
        V8(unsafe { _mm256_shuffle_epi8(self.0, _mm256_set_epi32(a, b, c, d, a, b, c, d)) })
    }
}

impl Vector for V8 {
    const LANES: u32 = 8;

    #[inline(always)]
    fn nonce_words(base: u32) -> V8 {
        // SAFETY: AVX2 is enabled wherever a V8 is used (module docs).
        let offsets = unsafe { _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0) };
        V8::splat(base).add(V8(offsets)).swap_bytes()
    }
    #[inline(always)]
    fn swapped_at_most(self, limit: u32) -> u32 {
        let shown = self.swap_bytes().0;
        let limit = V8::splat(limit).0;
        // SAFETY: AVX2 is enabled wherever a V8 is used (module docs).
        let mask = unsafe {
            // max(x, limit) == limit exactly when x <= limit (unsigned).
            let at_most = _mm256_cmpeq_epi32(_mm256_max_epu32(shown, limit), limit);
            _mm256_movemask_ps(_mm256_castsi256_ps(at_most))
        };
        mask.cast_unsigned()
    }
    #[inline(always)]
    fn store(self, out: &mut [u32; 16]) {
        // SAFETY: AVX2 is enabled wherever a V8 is used (module docs); `out`
        // has 32 writable bytes and more, and the store needs no alignment.
        unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), self.0) }
    }
}
