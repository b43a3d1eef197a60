//! What the shortcut sha256d ([`super::sha256d`]) needs from a "word": a
//! `u32` for the portable backend, a vector of 8 or 16 `u32` lanes (one
//! nonce each) for the SIMD backends. The double hash is written once over
//! this trait, so every backend that uses it skips exactly the same work.
//!
//! The Boolean functions and the four sigmas are trait methods rather than
//! built from rotates and XORs, so that each backend picks its best
//! instructions (AVX-512: `vprord` and `vpternlogd`; AVX2 has neither).

use super::sha256::{big_sigma0, big_sigma1, ch, maj, small_sigma0, small_sigma1};

/// One SHA-256 word, or one per lane. Every method is lane-wise.
pub(crate) trait Word: Copy {
    /// `x` in every lane.
    fn splat(x: u32) -> Self;
    /// Wrapping addition.
    fn add(self, other: Self) -> Self;
    /// Wrapping subtraction.
    fn sub(self, other: Self) -> Self;
    /// Σ0.
    fn big_sigma0(self) -> Self;
    /// Σ1.
    fn big_sigma1(self) -> Self;
    /// σ0.
    fn small_sigma0(self) -> Self;
    /// σ1.
    fn small_sigma1(self) -> Self;
    /// Ch(e, f, g).
    fn ch(e: Self, f: Self, g: Self) -> Self;
    /// Maj(a, b, c).
    fn maj(a: Self, b: Self, c: Self) -> Self;

    /// `self`, as a value the compiler may not look through: sums that
    /// include it are not reassociated across it, and it is not cancelled
    /// out of differences. The rounds use it to fix the order of their
    /// additions in either form (see `sha256d::round`).
    #[inline(always)]
    fn pin(self) -> Self {
        self
    }

    /// `self + x` for a scalar `x` (a round constant, a job word).
    #[inline(always)]
    fn add_u32(self, x: u32) -> Self {
        self.add(Self::splat(x))
    }
}

impl Word for u32 {
    #[inline(always)]
    fn splat(x: u32) -> u32 {
        x
    }
    #[inline(always)]
    fn add(self, other: u32) -> u32 {
        self.wrapping_add(other)
    }
    #[inline(always)]
    fn sub(self, other: u32) -> u32 {
        self.wrapping_sub(other)
    }
    #[inline(always)]
    fn big_sigma0(self) -> u32 {
        big_sigma0(self)
    }
    #[inline(always)]
    fn big_sigma1(self) -> u32 {
        big_sigma1(self)
    }
    #[inline(always)]
    fn small_sigma0(self) -> u32 {
        small_sigma0(self)
    }
    #[inline(always)]
    fn small_sigma1(self) -> u32 {
        small_sigma1(self)
    }
    #[inline(always)]
    fn ch(e: u32, f: u32, g: u32) -> u32 {
        ch(e, f, g)
    }
    #[inline(always)]
    fn maj(a: u32, b: u32, c: u32) -> u32 {
        maj(a, b, c)
    }
}
