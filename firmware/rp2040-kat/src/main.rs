//! The `protocol` kernel's known-answer tests and cross-checks (the same
//! checks as `qemu-kat`, from its `checks.rs`) on both cores of an RP2040 at
//! once, then the cost per nonce of every backend, on core 0 alone and on
//! both cores at once.
//!
//! Linked for the Pico W's memory map (the board image's `memory-rp2040.x`):
//! code in XIP flash, the Thumb-1 kernel in `.data`, which cortex-m-rt's
//! start-up copies to SRAM, as on the board. `firmware/rp2040-emu` runs it
//! under rp2040js (`scripts/rp2040-kat`): text on UART0, phase marks and the
//! exit status through the watchdog's scratch registers (`signal.rs`).
//! Core 1 is launched through the SIO FIFO as the bootrom expects
//! (`multicore.rs`).
//!
//! The image sets up no clocks and has no boot2: it is made for the
//! emulator, which starts it as boot2 would.
#![no_std]
#![no_main]

mod bench;
#[path = "../../qemu-kat/src/checks.rs"]
mod checks;
mod multicore;
mod signal;
mod uart;

use core::panic::PanicInfo;

use cortex_m_rt::entry;
use signal::Status;
pub(crate) use uart::hprintln;

#[entry]
fn main() -> ! {
    uart::init();
    hprintln!("rp2040-kat: protocol kernel known-answer tests, both cores at once");
    if multicore::launch_core1(core1_main).is_err() {
        hprintln!("FAILED: core 1 did not answer the launch sequence");
        signal::exit(Status::Failed)
    }
    let failed = checks::run_all() + multicore::read();
    if failed > 0 {
        hprintln!("FAILED: {} check(s)", failed);
        signal::exit(Status::Failed)
    }
    hprintln!("all checks passed on both cores");

    let mut phase = 0;
    let mut failed = bench::one_core(&mut phase);
    failed += bench::both_cores(&mut phase);

    if failed > 0 {
        hprintln!(
            "FAILED: {} measured scan(s) differ from the portable backend",
            failed
        );
        signal::exit(Status::Failed)
    }
    hprintln!("bench done");
    signal::exit(Status::Passed)
}

/// Core 1, from the bootrom: the same checks (its count of failures is its
/// first word to core 0), then scans for core 0's measurements.
extern "C" fn core1_main() -> ! {
    multicore::write(checks::run_all());
    bench::serve()
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    uart::line_unlocked(format_args!("panic: {}", info));
    signal::exit(Status::Failed)
}
