//! Core 1, launched as the RP2040's bootrom expects: core 1 waits in the
//! bootrom (`wait_for_vector` in `bootrom_rt0.S`) for core 0 to send, through
//! the SIO FIFO, the words 0, 0, 1, vector table, stack pointer and entry
//! point, each echoed back; a wrong echo restarts the sequence (datasheet
//! section 2.8.2; pico-sdk's `multicore_launch_core1_raw` and embassy-rp's
//! `spawn_core1` send the same words). Then the two cores talk through the
//! FIFOs, one word at a time.

use core::sync::atomic::AtomicU32;

use rp_pac as pac;

/// Core 1's stack, in striped SRAM like the board's (an 8 KiB static).
const CORE1_STACK_WORDS: usize = 2048;

/// Memory only core 1 touches, through its stack pointer: atomics give the
/// static interior mutability (so it lives in RAM, in `.bss`) without
/// `unsafe`.
#[repr(C, align(8))]
struct Core1Stack([AtomicU32; CORE1_STACK_WORDS]);

static CORE1_STACK: Core1Stack = Core1Stack([const { AtomicU32::new(0) }; CORE1_STACK_WORDS]);

/// Where cortex-m-rt's `link.x` puts the vector table: the start of FLASH,
/// which `memory-rp2040.x` places after the 256-byte boot2 slot, where boot2
/// points core 0's VTOR.
const VECTOR_TABLE: u32 = 0x1000_0100;

/// Failed launches tolerated before giving up (embassy-rp allows 16).
const LAUNCH_RETRIES: u32 = 16;

/// Core 1 never echoed the launch sequence back.
#[derive(Clone, Copy, Debug)]
pub struct NotResponding;

/// Starts core 1 at `entry` on its own stack, the same vector table as
/// core 0's. Call once.
pub fn launch_core1(entry: extern "C" fn() -> !) -> Result<(), NotResponding> {
    let stack_top = CORE1_STACK.0.as_ptr_range().end as usize as u32;
    let words = [0, 0, 1, VECTOR_TABLE, stack_top, entry as usize as u32];
    let mut next = 0;
    let mut failures = 0;
    while let Some(&word) = words.get(next) {
        if word == 0 {
            // Whatever core 1 sent before (its bootrom sends a 0 when it
            // starts waiting) is not an echo.
            drain();
            cortex_m::asm::sev();
        }
        write(word);
        if read() == word {
            next += 1;
        } else {
            next = 0;
            failures += 1;
            if failures > LAUNCH_RETRIES {
                return Err(NotResponding);
            }
        }
    }
    Ok(())
}

/// Sends a word to the other core, waiting for room, and wakes it.
pub fn write(word: u32) {
    let fifo = pac::SIO.fifo();
    while !fifo.st().read().rdy() {}
    fifo.wr().write_value(word);
    cortex_m::asm::sev();
}

/// The next word from the other core, sleeping until there is one.
pub fn read() -> u32 {
    let fifo = pac::SIO.fifo();
    while !fifo.st().read().vld() {
        cortex_m::asm::wfe();
    }
    fifo.rd().read()
}

fn drain() {
    let fifo = pac::SIO.fifo();
    while fifo.st().read().vld() {
        let _ = fifo.rd().read();
    }
}
