//! The AVX-512 backend: 16 nonces per 512-bit vector, one per lane, through
//! the shortcut double hash of [`super::sha256d`]. Each rotate is one
//! `vprord`; Ch, Maj and the three-way XOR of every sigma are one
//! `vpternlogd` each; round constants and job words are broadcast from
//! memory. 32 vector registers hold the state and the schedule window: the
//! loop does not spill.
//!
//! Both forms of the rounds are built ([`FORMS`]): where vector operations
//! take two cycles (Zen 5) the rounds are bound by their dependency chains
//! and the short-chain form is faster; where they take one and issue on
//! fewer ports (Intel's Golden Cove class) throughput binds and the plain
//! form is. Hosts measure both at start-up.
//!
//! Needs AVX-512 F and BW (`vpshufb` on 512 bits, for the byte swaps).
//!
//! `unsafe` here: the intrinsics. [`V16`] is private to this module and only
//! built inside [`scan`], a `#[target_feature]` function reached only
//! through an [`Avx512`], which exists only once the CPU features were
//! detected. That is the one argument behind every `SAFETY` comment below.

use core::arch::asm;
use core::arch::x86_64::{
    __m512i, _mm512_add_epi32, _mm512_cmple_epu32_mask, _mm512_ror_epi32, _mm512_set_epi32,
    _mm512_set1_epi32, _mm512_shuffle_epi8, _mm512_srli_epi32, _mm512_storeu_si512,
    _mm512_sub_epi32, _mm512_ternarylogic_epi32,
};

use super::ScanOutcome;
use super::form::{Form, PlainRounds, Rounds, ShortChainRounds};
use super::job::ScanJob;
use super::lanes::{self, Vector, VectorStep};
use super::word::Word;
use crate::range::NonceRange;

cpufeatures::new!(cpu_avx512, "avx512f", "avx512bw");

/// The forms built, the one to use unmeasured first (Zen 5's fastest).
pub(super) const FORMS: &[Form] = &[Form::ShortChain, Form::Plain];

/// Proof that this CPU runs AVX-512 F and BW (and the OS saves the `zmm`
/// registers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct Avx512(());

impl Avx512 {
    /// The proof, if this CPU has the features.
    pub(super) fn detect() -> Option<Avx512> {
        cpu_avx512::get().then_some(Avx512(()))
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
        // SAFETY: `self` proves that the CPU has the features `scan` enables.
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

#[target_feature(enable = "avx512f,avx512bw")]
fn scan<R: Rounds>(job: &ScanJob, range: NonceRange, zero_bits: u8) -> ScanOutcome {
    lanes::scan(job, &mut VectorStep::<V16, R>::new(job), range, zero_bits)
}

/// Sixteen `u32` lanes.
#[derive(Clone, Copy)]
struct V16(__m512i);

/// `vpternlogd` truth tables over (a, b, c) = (0xF0, 0xCC, 0xAA).
const XOR3: i32 = 0x96;
const CHOOSE: i32 = 0xCA;
const MAJORITY: i32 = 0xE8;

impl Word for V16 {
    #[inline(always)]
    fn splat(x: u32) -> V16 {
        // SAFETY: AVX-512F is enabled wherever a V16 is used (module docs).
        V16(unsafe { _mm512_set1_epi32(x.cast_signed()) })
    }
    #[inline(always)]
    fn add(self, other: V16) -> V16 {
        // SAFETY: AVX-512F is enabled wherever a V16 is used (module docs).
        V16(unsafe { _mm512_add_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn sub(self, other: V16) -> V16 {
        // SAFETY: AVX-512F is enabled wherever a V16 is used (module docs).
        V16(unsafe { _mm512_sub_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn big_sigma0(self) -> V16 {
        let x = self.0;
        // SAFETY: AVX-512F is enabled wherever a V16 is used (module docs).
        V16(unsafe {
            _mm512_ternarylogic_epi32::<XOR3>(
                _mm512_ror_epi32::<2>(x),
                _mm512_ror_epi32::<13>(x),
                _mm512_ror_epi32::<22>(x),
            )
        })
    }
    #[inline(always)]
    fn big_sigma1(self) -> V16 {
        let x = self.0;
        // SAFETY: AVX-512F is enabled wherever a V16 is used (module docs).
        V16(unsafe {
            _mm512_ternarylogic_epi32::<XOR3>(
                _mm512_ror_epi32::<6>(x),
                _mm512_ror_epi32::<11>(x),
                _mm512_ror_epi32::<25>(x),
            )
        })
    }
    #[inline(always)]
    fn small_sigma0(self) -> V16 {
        let x = self.0;
        // SAFETY: AVX-512F is enabled wherever a V16 is used (module docs).
        V16(unsafe {
            _mm512_ternarylogic_epi32::<XOR3>(
                _mm512_ror_epi32::<7>(x),
                _mm512_ror_epi32::<18>(x),
                _mm512_srli_epi32::<3>(x),
            )
        })
    }
    #[inline(always)]
    fn small_sigma1(self) -> V16 {
        let x = self.0;
        // SAFETY: AVX-512F is enabled wherever a V16 is used (module docs).
        V16(unsafe {
            _mm512_ternarylogic_epi32::<XOR3>(
                _mm512_ror_epi32::<17>(x),
                _mm512_ror_epi32::<19>(x),
                _mm512_srli_epi32::<10>(x),
            )
        })
    }
    #[inline(always)]
    fn pin(self) -> V16 {
        // SAFETY: AVX-512F is enabled wherever a V16 is used (module docs).
        V16(unsafe { opaque(self.0) })
    }
    #[inline(always)]
    fn ch(e: V16, f: V16, g: V16) -> V16 {
        // SAFETY: AVX-512F is enabled wherever a V16 is used (module docs).
        V16(unsafe { _mm512_ternarylogic_epi32::<CHOOSE>(e.0, f.0, g.0) })
    }
    #[inline(always)]
    fn maj(a: V16, b: V16, c: V16) -> V16 {
        // SAFETY: AVX-512F is enabled wherever a V16 is used (module docs).
        V16(unsafe { _mm512_ternarylogic_epi32::<MAJORITY>(a.0, b.0, c.0) })
    }
}

/// `x`, through an empty `asm!` the compiler cannot see into.
#[target_feature(enable = "avx512f")]
#[inline]
fn opaque(mut x: __m512i) -> __m512i {
    // SAFETY: an empty template: no instruction, no memory, no flags.
    unsafe {
        asm!("/* {0} */", inout(zmm_reg) x, options(pure, nomem, nostack, preserves_flags));
    }
    x
}

impl V16 {
    /// Each lane's bytes reversed.
    #[inline(always)]
    fn swap_bytes(self) -> V16 {
        // Source byte of each destination byte, per 128-bit lane.
        let (a, b, c, d) = (0x0c0d_0e0f, 0x0809_0a0b, 0x0405_0607, 0x0001_0203);
        // SAFETY: AVX-512F and BW are enabled wherever a V16 is used (module
        // docs).
        V16(unsafe {
            _mm512_shuffle_epi8(
                self.0,
                _mm512_set_epi32(a, b, c, d, a, b, c, d, a, b, c, d, a, b, c, d),
            )
        })
    }
}

impl Vector for V16 {
    const LANES: u32 = 16;

    #[inline(always)]
    fn nonce_words(base: u32) -> V16 {
        // SAFETY: AVX-512F is enabled wherever a V16 is used (module docs).
        let offsets =
            unsafe { _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0) };
        V16::splat(base).add(V16(offsets)).swap_bytes()
    }
    #[inline(always)]
    fn swapped_at_most(self, limit: u32) -> u32 {
        let shown = self.swap_bytes();
        // SAFETY: AVX-512F is enabled wherever a V16 is used (module docs).
        u32::from(unsafe { _mm512_cmple_epu32_mask(shown.0, V16::splat(limit).0) })
    }
    #[inline(always)]
    fn store(self, out: &mut [u32; 16]) {
        // SAFETY: AVX-512F is enabled wherever a V16 is used (module docs);
        // `out` is 64 writable bytes, and the store needs no alignment.
        unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), self.0) }
    }
}
