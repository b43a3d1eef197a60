//! The Cortex-M0+ backend (RP2040): a fully unrolled Thumb-1 double hash,
//! generated at build time by `protocol/build/thumb1.rs` (whose docs give
//! the register plan), with its nonce loop in assembly.
//!
//! Compiled Rust spills SHA-256's working state on every round on a core
//! with eight low registers; this kernel keeps it in the low and high
//! registers and the schedule in a ring on the stack, and skips every
//! nonce-free step exactly as `sha256d.rs` does.
//!
//! The code is linked into a `.data` section, which the runtime copies to
//! RAM at boot: unrolled, it is larger than the RP2040's 16 KiB flash cache,
//! and from SRAM it runs without wait states on both cores.
//!
//! `unsafe` here: the call into the assembly, whose contract is written
//! down in `build/thumb1.rs`. It is compiled only for Thumb targets, and
//! every M-profile core runs Thumb-1, so the token is always available
//! there.

use core::arch::global_asm;

use super::ScanOutcome;
use super::job::ScanJob;
use super::sweep;
use super::thumb::ThumbSweep;
use super::thumb_job as layout;
use crate::range::NonceRange;

global_asm!(
    include_str!(concat!(env!("OUT_DIR"), "/thumb1.s")),
    options(raw)
);

unsafe extern "C" {
    /// See `build/thumb1.rs`.
    fn protocol_sha256d_armv6m_sweep(job: *const u32, first: u32, count: u32) -> u64;
}

/// Proof that this core runs the kernel: any M-profile core runs Thumb-1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct ArmV6m(());

impl ArmV6m {
    /// The proof; this build targets an M-profile core.
    pub(super) fn detect() -> Option<ArmV6m> {
        Some(ArmV6m(()))
    }

    /// Scans `range`; the contract of `kernel`'s module docs.
    pub(super) fn scan(self, job: &ScanJob, range: NonceRange, zero_bits: u8) -> ScanOutcome {
        let mut sweeper = ThumbSweep::new(job, |words: &[u32; layout::WORDS], first, count| {
            // SAFETY: the function follows the AAPCS, reads exactly
            // `layout::WORDS` words from the pointer (a live array of that
            // length), writes only its own stack frame (under 700 bytes),
            // and needs `count >= 1`, which `sweep::scan` guarantees.
            unsafe { protocol_sha256d_armv6m_sweep(words.as_ptr(), first, count) }
        });
        sweep::scan(job, &mut sweeper, range, zero_bits)
    }
}
