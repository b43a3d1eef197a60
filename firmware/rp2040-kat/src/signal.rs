//! What the runner (`firmware/rp2040-emu`) reads besides the text: phase
//! marks and the exit status, written to the watchdog's scratch registers 0
//! and 1. Scratch 0-3 are free for software (the bootrom reads only 4-7), so
//! on a board these writes do nothing.
//!
//! A mark records, for the core that writes it, the emulator's cycle
//! counter at that instruction: the cycles of a phase on a core are those
//! between its start and end marks on that core.

use rp_pac as pac;

/// Set in a mark that ends its phase.
const END: u32 = 1 << 31;
/// The exit word: "KAT" and the status in the low byte.
const EXIT: u32 = 0x4b41_5400;

/// The start of measured phase `phase` (1 or more) on this core.
#[inline(never)]
pub fn start(phase: u32) {
    pac::WATCHDOG.scratch0().write_value(phase);
}

/// The end of measured phase `phase` on this core.
#[inline(never)]
pub fn end(phase: u32) {
    pac::WATCHDOG.scratch0().write_value(END | phase);
}

/// How the run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every check passed.
    Passed = 0,
    /// A check failed or the image panicked.
    Failed = 1,
}

/// Ends the run: the runner stops at this write; a board sleeps.
pub fn exit(status: Status) -> ! {
    pac::WATCHDOG.scratch1().write_value(EXIT | status as u32);
    loop {
        cortex_m::asm::wfi();
    }
}
