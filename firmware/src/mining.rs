//! Mining on both cores: the boot self-tests, the scan workers (core 0 and
//! core 1), and the miner task that drives them.
//!
//! - RP2040: the Cortex-M0+ kernel (`armv6m`, run from RAM) on both cores.
//! - RP2350: core 1 drives the SHA-256 accelerator, core 0 runs the
//!   Cortex-M33 kernel (`armv8m`) beside the network; the pool sizes their
//!   slices by their measured rates. If the accelerator fails its self-test,
//!   core 1 runs the kernel too.

use embassy_executor::{Executor, Spawner};
use embassy_net::Stack;
use embassy_rp::Peri;
use embassy_rp::multicore::{Stack as CoreStack, spawn_core1};
use embassy_rp::peripherals::CORE1;
use embassy_time::Instant;
use miner_driver::{NodeConfig, ScanPool, StatusSignal};
use protocol::kernel::{self, Kernel, SelfTestFailed};
use static_cell::StaticCell;

use crate::config::CHUNK;
#[cfg(chip = "rp2350")]
use crate::sha256_accel::Accelerator;

/// One worker per core.
const WORKERS: usize = 2;
/// Core 1's stack: the scan loop and its executor need little.
const CORE1_STACK_BYTES: usize = 8 * 1024;

static POOL: ScanPool<WORKERS> = ScanPool::new(CHUNK);
static CORE1_STACK: StaticCell<CoreStack<CORE1_STACK_BYTES>> = StaticCell::new();
static CORE1_EXECUTOR: StaticCell<Executor> = StaticCell::new();

/// What core 1 scans with.
#[derive(Debug)]
pub enum Core1 {
    /// The same kernel as core 0.
    Kernel,
    /// The RP2350's SHA-256 accelerator.
    #[cfg(chip = "rp2350")]
    Accelerator(Accelerator),
}

/// The known-answer test of the kernel: scans around the winning nonces of
/// two public blocks. A board whose kernel fails it must not mine.
pub fn self_test() -> Result<Kernel, SelfTestFailed> {
    let kernel = Kernel::detect();
    let started = Instant::now();
    let result = kernel::self_test(&kernel);
    let ms = started.elapsed().as_millis();
    match result {
        Ok(()) => {
            defmt::info!(
                "kernel {} passed its self-test in {} ms",
                kernel.backend(),
                ms
            );
            Ok(kernel)
        }
        Err(e) => Err(e),
    }
}

/// What core 1 will scan with: the accelerator if it passes its own
/// known-answer test, else the kernel.
pub fn core1_scanner() -> Core1 {
    #[cfg(chip = "rp2350")]
    {
        let started = Instant::now();
        match Accelerator::take() {
            Ok(accel) => {
                defmt::info!(
                    "SHA-256 accelerator passed its self-test in {} ms: core 1 drives it",
                    started.elapsed().as_millis()
                );
                return Core1::Accelerator(accel);
            }
            Err(e) => defmt::error!(
                "SHA-256 accelerator unusable ({}): core 1 runs the kernel",
                e
            ),
        }
    }
    Core1::Kernel
}

/// Starts the scan workers: one on core 1 (its own executor, nothing else
/// to run), one on core 0 beside the network tasks.
pub fn start_workers(
    spawner: Spawner,
    core1: Peri<'static, CORE1>,
    kernel: Kernel,
    scanner: Core1,
) {
    spawn_core1(core1, CORE1_STACK.init(CoreStack::new()), move || {
        let executor = CORE1_EXECUTOR.init(Executor::new());
        executor.run(|spawner| match scanner {
            Core1::Kernel => {
                spawner.spawn(worker(1, kernel).expect("core 1 worker spawns once"));
            }
            #[cfg(chip = "rp2350")]
            Core1::Accelerator(accel) => {
                spawner.spawn(accel_worker(1, accel).expect("core 1 worker spawns once"));
            }
        })
    });
    spawner.spawn(worker(0, kernel).expect("core 0 worker spawns once"));
}

#[embassy_executor::task(pool_size = 2)]
async fn worker(index: usize, kernel: Kernel) -> ! {
    POOL.work(index, kernel).await
}

#[cfg(chip = "rp2350")]
#[embassy_executor::task]
async fn accel_worker(index: usize, accel: Accelerator) -> ! {
    // Alone on core 1: long chunks, few yields.
    POOL.work_chunked(index, accel, crate::config::ACCEL_CHUNK)
        .await
}

/// The network side of mining: `miner_driver::run` on the board's stack.
#[embassy_executor::task]
pub async fn miner_task(
    stack: Stack<'static>,
    node: &'static NodeConfig<'static>,
    status: &'static StatusSignal,
) -> ! {
    miner_driver::run(stack, node, &POOL, status).await
}
