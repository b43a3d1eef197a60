//! The `protocol` kernel's known-answer tests on an emulated Cortex-M core,
//! then a measured scan per kernel backend.
//!
//! Run under `qemu-system-arm` with semihosting (see `scripts/qemu-kat`):
//! each check prints a line, and the exit status is 0 only if all pass (a
//! panic exits 1; a fault hangs, and the script's timeout fails the run).
//!
//! After the checks, each backend scans [`BENCH_NONCES`] nonces with no
//! solution in them, then frames are sealed and opened (`frames.rs`).
//! [`kat_mark`] is called before each such phase and once after the last:
//! the instruction-counting QEMU plugin (`qemu-kat/plugin/insn-mix.c`, run
//! by `scripts/qemu-count`) starts a new phase each time that function
//! runs, so phase `i` is what the `i`-th "bench phase" line names.
#![no_std]
#![no_main]

mod checks;
mod frames;

use core::panic::PanicInfo;

use cortex_m_rt::entry;
use cortex_m_semihosting::debug::{self, EXIT_FAILURE, EXIT_SUCCESS};
pub(crate) use cortex_m_semihosting::hprintln;
use protocol::NonceRange;
use protocol::kernel::{Kernel, ScanJob};
use protocol::vectors::GENESIS;

/// Nonces per measured scan.
pub const BENCH_NONCES: u32 = 1024;

#[entry]
fn main() -> ! {
    hprintln!("qemu-kat: protocol kernel known-answer tests");
    let failed = checks::run_all();
    if failed > 0 {
        hprintln!("FAILED: {} check(s)", failed);
        exit(EXIT_FAILURE)
    }
    hprintln!("all checks passed");
    bench();
    exit(EXIT_SUCCESS)
}

/// Ends the emulation with `status` as QEMU's exit status.
fn exit(status: debug::ExitStatus) -> ! {
    debug::exit(status);
    // Only reached without a semihosting host; the runner's timeout ends it.
    loop {
        cortex_m::asm::wfi();
    }
}

/// One scan of [`BENCH_NONCES`] per backend, between phase marks.
fn bench() {
    let job = ScanJob::new(&GENESIS.template());
    // Nonces 0..1023 of the genesis header: no 32-bit solution among them.
    let range = match NonceRange::new(0, BENCH_NONCES - 1) {
        Ok(r) => r,
        Err(_) => return,
    };
    let mut phase = 0;
    for kernel in Kernel::available() {
        phase += 1;
        hprintln!(
            "bench phase {} backend {} nonces {}",
            phase,
            kernel.backend(),
            BENCH_NONCES
        );
        kat_mark(phase);
        let out = core::hint::black_box(kernel.scan(&job, range, 32));
        if out.found.is_some() || out.hashes != u64::from(BENCH_NONCES) {
            hprintln!("bench scan returned {:?}", out);
        }
    }
    let phase = frames::bench(phase, kat_mark);
    kat_mark(phase + 1);
    hprintln!("bench done");
}

/// A phase boundary for the counting plugin, which finds this function by
/// its symbol name. Kept out of line and opaque so every call stays a call.
#[inline(never)]
fn kat_mark(phase: u32) {
    core::hint::black_box(phase);
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    hprintln!("panic: {}", info);
    exit(EXIT_FAILURE)
}
