//! `coordinator bench`: every way of hashing this build has, side by side in
//! one run on one thread each, so that ratios are comparable on a shared,
//! noisy machine.
//!
//! - `sha2-plain`: the obvious way: hash the 80 bytes, hash the digest;
//! - `sha2-midstate`: the same, with the first 64 bytes absorbed once;
//! - `portable`, the kernel's oracle backend;
//! - every faster kernel backend this CPU supports, in each form of its
//!   rounds (`avx512/short-chain`, `avx512/plain`, ...).
//!
//! Cycles per nonce come from the core clock measured in the same run on
//! the same thread (`clock.rs`), or from `--ghz`. Then it runs the start-up
//! selection and reports what it chose and the figures it chose by
//! (`selection.rs`).

mod clock;
mod selection;

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use protocol::NonceRange;
use protocol::kernel::{Backend, Kernel, ScanJob};
use protocol::vectors::GENESIS;
use selection::Selection;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::output::outln;
use super::{CommandError, choose_kernel, flags};
use clock::Clock;

/// Arguments of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Seconds to run each method (above 0, at most 3600).
    #[arg(long, default_value_t = 2.0, value_parser = flags::seconds)]
    pub seconds: f64,
    /// Core clock in GHz for the cycles-per-nonce estimate (default: measured
    /// in the same run by a chain of dependent additions).
    #[arg(long, value_parser = flags::ghz)]
    pub ghz: Option<f64>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// One measured method.
#[derive(Debug, Serialize)]
pub struct BenchResult {
    /// Method name.
    pub name: String,
    /// Millions of hashes (nonces) per second, one thread.
    pub mhs: f64,
    /// Estimated core cycles per nonce: the fastest batch at the clock
    /// measured alongside (or `--ghz`).
    pub cycles_per_nonce: Option<f64>,
    /// Rate divided by the `sha2-plain` rate of the same run.
    pub ratio: f64,
}

/// Where the clock for cycle estimates came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClockSource {
    /// Measured by the dependent-add chain, interleaved with each method.
    AddChain,
    /// Given with `--ghz`.
    Given,
}

/// The whole report.
#[derive(Debug, Serialize)]
pub struct BenchReport {
    /// Seconds each method ran.
    pub seconds_per_method: f64,
    /// Clock used for cycle estimates, GHz (with the add chain: the mean of
    /// the clocks measured alongside each method, each from its fastest
    /// slice).
    pub cpu_ghz: Option<f64>,
    /// Where `cpu_ghz` came from.
    pub clock_source: ClockSource,
    /// The kernel (backend and form) start-up selection picks on this
    /// machine.
    pub selected: String,
    /// Results: `sha2-plain`, `sha2-midstate`, `portable`, then the other
    /// backends this CPU supports, each in every form.
    pub results: Vec<BenchResult>,
    /// How start-up selection chose, with its own figures.
    pub selection: Selection,
}

/// Nonces between clock checks.
const BATCH: u32 = 1 << 14;

/// A method's rate in hashes per second, its fastest batch, and the clock
/// measured alongside.
struct Measured {
    rate: f64,
    fastest_nonce_seconds: f64,
    clock: Clock,
}

/// Runs `batch` (which hashes `BATCH` nonces from its argument and returns
/// how many it hashed) for about `budget`, with a clock slice after each.
fn run_for(budget: Duration, mut batch: impl FnMut(u32) -> u64) -> Measured {
    let mut clock = Clock::default();
    let mut spent = Duration::ZERO;
    let mut hashes = 0u64;
    let mut fastest = f64::INFINITY;
    let mut first = 0u32;
    while spent < budget {
        let start = Instant::now();
        let done = batch(first);
        let took = start.elapsed();
        hashes += done;
        spent += took;
        fastest = fastest.min(took.as_secs_f64() / done.max(1) as f64);
        first = first.wrapping_add(BATCH);
        clock.slice();
    }
    Measured {
        rate: hashes as f64 / spent.as_secs_f64(),
        fastest_nonce_seconds: fastest,
        clock,
    }
}

fn sha2_plain(budget: Duration) -> Measured {
    let mut header = GENESIS.template();
    run_for(budget, |first| {
        for nonce in first..first.saturating_add(BATCH) {
            header[76..].copy_from_slice(&nonce.to_le_bytes());
            let digest = Sha256::digest(Sha256::digest(header));
            black_box(digest[31]);
        }
        u64::from(BATCH)
    })
}

fn sha2_midstate(budget: Duration) -> Measured {
    let header = GENESIS.template();
    let mid = Sha256::new_with_prefix(&header[..64]);
    let mut tail = [0u8; 16];
    tail.copy_from_slice(&header[64..]);
    run_for(budget, |first| {
        for nonce in first..first.saturating_add(BATCH) {
            tail[12..].copy_from_slice(&nonce.to_le_bytes());
            let mut h = mid.clone();
            h.update(tail);
            let digest = Sha256::digest(h.finalize());
            black_box(digest[31]);
        }
        u64::from(BATCH)
    })
}

fn kernel_rate(kernel: Kernel, budget: Duration) -> Measured {
    let job = ScanJob::new(&GENESIS.template());
    run_for(budget, |first| {
        let range =
            NonceRange::starting_at(first, u64::from(BATCH)).unwrap_or(NonceRange::single(first));
        // 255 zero bits is never met, so every nonce is hashed.
        black_box(kernel.scan(black_box(&job), range, 255)).hashes
    })
}

/// Measures everything; `budget` per method. `ghz` overrides the measured
/// clock.
pub fn measure_all(budget: Duration, ghz: Option<f64>) -> Result<BenchReport, CommandError> {
    let mut runs: Vec<(String, Measured)> = vec![
        ("sha2-plain".into(), sha2_plain(budget)),
        ("sha2-midstate".into(), sha2_midstate(budget)),
    ];
    // The portable kernel first, then the faster backends, fastest first.
    let kernels = Kernel::available().filter(|k| k.backend() != Backend::Portable);
    for kernel in std::iter::once(Kernel::portable()).chain(kernels) {
        runs.push((kernel.to_string(), kernel_rate(kernel, budget)));
    }
    let plain = runs[0].1.rate;
    let clocks: Vec<f64> = runs.iter().filter_map(|(_, m)| m.clock.hz()).collect();
    let mean_hz = (!clocks.is_empty()).then(|| clocks.iter().sum::<f64>() / clocks.len() as f64);
    let cpu_ghz = ghz.or(mean_hz.map(|hz| hz / 1e9));
    let selected = choose_kernel(None)?;
    Ok(BenchReport {
        seconds_per_method: budget.as_secs_f64(),
        cpu_ghz,
        clock_source: if ghz.is_some() {
            ClockSource::Given
        } else {
            ClockSource::AddChain
        },
        selected: selected.kernel.to_string(),
        selection: Selection::new(&selected, cpu_ghz.map(|g| g * 1e9)),
        results: runs
            .into_iter()
            .map(|(name, m)| {
                // The fastest batch at the fastest clock: neither includes
                // time stolen by other processes (see `clock`).
                let hz = ghz.map(|g| g * 1e9).or(m.clock.hz());
                BenchResult {
                    name,
                    mhs: m.rate / 1e6,
                    cycles_per_nonce: hz.map(|hz| hz * m.fastest_nonce_seconds),
                    ratio: m.rate / plain,
                }
            })
            .collect(),
    })
}

/// Runs `bench`.
pub fn run(args: &BenchArgs) -> Result<ExitCode, CommandError> {
    let report = measure_all(Duration::from_secs_f64(args.seconds), args.ghz)?;
    if args.json {
        super::print_json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let clock = match (report.cpu_ghz, report.clock_source) {
        (Some(g), ClockSource::Given) => format!("{g:.2} GHz (--ghz)"),
        (Some(g), ClockSource::AddChain) => {
            format!("{g:.2} GHz (measured: dependent-add chain on the same thread)")
        }
        (None, _) => "unknown (pass --ghz)".into(),
    };
    outln!(
        "one thread per method, {:.1} s each; clock {clock}",
        report.seconds_per_method
    );
    outln!(
        "{:<22} {:>10} {:>14} {:>8}",
        "method",
        "MH/s",
        "cycles/nonce",
        "ratio"
    );
    for r in &report.results {
        outln!(
            "{:<22} {:>10.2} {:>14} {:>7.2}x",
            r.name,
            r.mhs,
            r.cycles_per_nonce.map_or("-".into(), |c| format!("{c:.0}")),
            r.ratio
        );
    }
    report.selection.print();
    Ok(ExitCode::SUCCESS)
}
