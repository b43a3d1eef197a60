//! The measured scans: every backend on core 0 alone (core 1 asleep in
//! `WFE`, waiting for work), then on both cores at once, each core on its
//! own range of the genesis header. Each scan lies between a start and an end mark
//! (`signal.rs`) on the core that runs it, and its outcome must equal the
//! portable backend's for the same range.

use core::hint::black_box;

use protocol::NonceRange;
use protocol::kernel::{Best, Kernel, ScanJob, ScanOutcome};
use protocol::vectors::GENESIS;

use crate::{hprintln, multicore, signal};

/// Nonces per measured scan, per core.
pub const NONCES: u32 = 1024;
/// Never met in these ranges: every nonce is hashed.
const ZERO_BITS: u8 = 32;

/// Core `core`'s nonces: `core * NONCES` onwards. The genesis header's only
/// solution (nonce 2,083,236,893) is far away.
fn range(core: u32) -> NonceRange {
    NonceRange::starting_at(core * NONCES, u64::from(NONCES)).unwrap_or(NonceRange::single(0))
}

fn job() -> ScanJob {
    ScanJob::new(&GENESIS.template())
}

/// One marked scan. The inputs pass through `black_box` after the start
/// mark and the outcome before the end mark, so the scan cannot move out
/// from between them.
fn measured(phase: u32, kernel: &Kernel, job: &ScanJob, range: NonceRange) -> ScanOutcome {
    signal::start(phase);
    let (kernel, job, range) = black_box((kernel, job, range));
    let out = black_box(kernel.scan(job, range, ZERO_BITS));
    signal::end(phase);
    out
}

/// 0 if `out`, core `core`'s scan with `kernel`, is what the portable
/// backend returns for that range; else 1, and says why.
fn verify(core: u32, kernel: &Kernel, job: &ScanJob, out: ScanOutcome) -> u32 {
    let expected = Kernel::portable().scan(job, range(core), ZERO_BITS);
    if out == expected && out.hashes == u64::from(NONCES) && out.found.is_none() {
        return 0;
    }
    hprintln!(
        "bench core {} backend {}: {:?}, expected {:?}",
        core,
        kernel.backend(),
        out,
        expected
    );
    1
}

/// Every backend on core 0 alone, phases after `phase`. Returns the
/// number of wrong outcomes.
pub fn one_core(phase: &mut u32) -> u32 {
    let job = job();
    let mut failed = 0;
    for kernel in Kernel::available() {
        *phase += 1;
        hprintln!(
            "bench phase {} cores 1 backend {} nonces {}",
            phase,
            kernel.backend(),
            NONCES
        );
        let out = measured(*phase, &kernel, &job, range(0));
        failed += verify(0, &kernel, &job, out);
    }
    failed
}

/// Every backend on both cores at once (core 1 in [`serve`]), phases after
/// `phase`. Returns the number of wrong outcomes.
pub fn both_cores(phase: &mut u32) -> u32 {
    let job = job();
    let mut failed = 0;
    for (index, kernel) in Kernel::available().enumerate() {
        *phase += 1;
        hprintln!(
            "bench phase {} cores 2 backend {} nonces {}",
            phase,
            kernel.backend(),
            NONCES
        );
        multicore::write(*phase);
        multicore::write(index as u32);
        let mine = measured(*phase, &kernel, &job, range(0));
        let theirs = receive_outcome();
        failed += verify(0, &kernel, &job, mine) + verify(1, &kernel, &job, theirs);
    }
    failed
}

/// Core 1's part: for each (phase, backend index) core 0 sends, that
/// backend's marked scan of core 1's range, its outcome sent back.
pub fn serve() -> ! {
    let job = job();
    loop {
        let phase = multicore::read();
        let index = multicore::read();
        let out = match Kernel::available().nth(index as usize) {
            Some(kernel) => measured(phase, &kernel, &job, range(1)),
            // Cannot match the portable outcome: core 0 reports it.
            None => ScanOutcome::none(u32::MAX),
        };
        send_outcome(out);
    }
}

/// An outcome as six FIFO words (the FIFO holds eight).
fn send_outcome(out: ScanOutcome) {
    let words = [
        u32::from(out.found.is_some()),
        out.found.unwrap_or(0),
        out.best.nonce,
        u32::from(out.best.zero_bits),
        out.hashes as u32,
        (out.hashes >> 32) as u32,
    ];
    for word in words {
        multicore::write(word);
    }
}

fn receive_outcome() -> ScanOutcome {
    let mut w = [0u32; 6];
    for word in &mut w {
        *word = multicore::read();
    }
    let [found, nonce, best, zero_bits, low, high] = w;
    ScanOutcome {
        found: (found != 0).then_some(nonce),
        best: Best {
            nonce: best,
            zero_bits: u8::try_from(zero_bits).unwrap_or(u8::MAX),
        },
        hashes: u64::from(high) << 32 | u64::from(low),
    }
}
