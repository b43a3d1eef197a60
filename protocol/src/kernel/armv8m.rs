//! The Cortex-M33 backend (RP2350): a fully unrolled Thumb-2 double hash,
//! generated at build time by `protocol/build/thumb2.rs` (whose docs give
//! the register plan), with its nonce loop in assembly.
//!
//! The whole working state stays in registers and every rotate is folded
//! into an `eor` or `add` through the barrel shifter; the schedule lives in
//! a ring on the stack. Every nonce-free step is skipped exactly as in
//! `sha256d.rs`. Like the Cortex-M0+ kernel, the code is linked into a
//! `.data` section, which the runtime copies to RAM at boot, so it runs
//! from SRAM rather than through the flash cache.
//!
//! `unsafe` here: the call into the assembly, whose contract is written
//! down in `build/thumb1.rs`. It is compiled only for ARMv8-M mainline
//! targets, whose cores all run it, so the token is always available
//! there.

use core::arch::global_asm;

use super::ScanOutcome;
use super::job::ScanJob;
use super::sweep;
use super::thumb::ThumbSweep;
use super::thumb_job as layout;
use crate::range::NonceRange;

global_asm!(
    include_str!(concat!(env!("OUT_DIR"), "/thumb2.s")),
    options(raw)
);

unsafe extern "C" {
    /// See `build/thumb1.rs` and `build/thumb2.rs`.
    fn protocol_sha256d_armv8m_sweep(job: *const u32, first: u32, count: u32) -> u64;
}

/// Proof that this core runs the kernel: the build targets ARMv8-M
/// mainline, which every core it can run on implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(super) struct ArmV8m(());

impl ArmV8m {
    /// The proof; this build targets an ARMv8-M mainline core.
    pub(super) fn detect() -> Option<ArmV8m> {
        Some(ArmV8m(()))
    }

    /// Scans `range`; the contract of `kernel`'s module docs.
    pub(super) fn scan(self, job: &ScanJob, range: NonceRange, zero_bits: u8) -> ScanOutcome {
        let mut sweeper = ThumbSweep::new(job, |words: &[u32; layout::WORDS], first, count| {
            // SAFETY: the function follows the AAPCS, reads exactly
            // `layout::WORDS` words from the pointer (a live array of that
            // length), writes only its own stack frame (under 700 bytes),
            // and needs `count >= 1`, which `sweep::scan` guarantees.
            unsafe { protocol_sha256d_armv8m_sweep(words.as_ptr(), first, count) }
        });
        sweep::scan(job, &mut sweeper, range, zero_bits)
    }
}
