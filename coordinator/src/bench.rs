//! `coordinator bench`: every way of hashing this build has, side by side in
//! one run on one thread each, so that ratios are comparable on a shared,
//! noisy machine.
//!
//! - `sha2-plain`: the obvious way: hash the 80 bytes, hash the digest;
//! - `sha2-midstate`: the same, with the first 64 bytes absorbed once;
//! - each kernel backend this CPU supports.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use protocol::NonceRange;
use protocol::kernel::{Kernel, ScanJob};
use protocol::vectors::GENESIS;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::UsageError;
use crate::mining::choose_kernel;

/// Arguments of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Seconds to run each method.
    #[arg(long, default_value_t = 2.0)]
    pub seconds: f64,
    /// Core clock in GHz for the cycles-per-nonce estimate (default: the
    /// highest "cpu MHz" in /proc/cpuinfo).
    #[arg(long)]
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
    /// Estimated core cycles per nonce at the reported clock.
    pub cycles_per_nonce: Option<f64>,
    /// Rate divided by the `sha2-plain` rate of the same run.
    pub ratio: f64,
}

/// The whole report.
#[derive(Debug, Serialize)]
pub struct BenchReport {
    /// Seconds each method ran.
    pub seconds_per_method: f64,
    /// Clock used for cycle estimates, GHz.
    pub cpu_ghz: Option<f64>,
    /// The backend start-up selection picks on this machine.
    pub selected: String,
    /// Results, `sha2-plain` first.
    pub results: Vec<BenchResult>,
}

/// Nonces between clock checks.
const BATCH: u32 = 1 << 14;

fn run_for(budget: Duration, mut batch: impl FnMut(u32) -> u64) -> f64 {
    let start = Instant::now();
    let mut hashes = 0u64;
    let mut first = 0u32;
    while start.elapsed() < budget {
        hashes += batch(first);
        first = first.wrapping_add(BATCH);
    }
    hashes as f64 / start.elapsed().as_secs_f64()
}

fn sha2_plain(budget: Duration) -> f64 {
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

fn sha2_midstate(budget: Duration) -> f64 {
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

fn kernel_rate(kernel: Kernel, budget: Duration) -> f64 {
    let job = ScanJob::new(&GENESIS.template());
    run_for(budget, |first| {
        let range =
            NonceRange::starting_at(first, u64::from(BATCH)).unwrap_or(NonceRange::single(first));
        // 255 zero bits is never met, so every nonce is hashed.
        black_box(kernel.scan(black_box(&job), range, 255)).hashes
    })
}

/// The clock from /proc/cpuinfo, GHz.
fn cpuinfo_ghz() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .filter(|l| l.starts_with("cpu MHz"))
        .filter_map(|l| l.split(':').nth(1)?.trim().parse::<f64>().ok())
        .max_by(f64::total_cmp)
        .map(|mhz| mhz / 1000.0)
}

/// Measures everything; `budget` per method.
pub fn measure_all(budget: Duration, ghz: Option<f64>) -> Result<BenchReport, UsageError> {
    let mut rates: Vec<(String, f64)> = vec![
        ("sha2-plain".into(), sha2_plain(budget)),
        ("sha2-midstate".into(), sha2_midstate(budget)),
    ];
    for kernel in Kernel::available() {
        rates.push((kernel.backend().name().into(), kernel_rate(kernel, budget)));
    }
    let plain = rates[0].1;
    let selected = choose_kernel(None).map_err(|e| UsageError(e.to_string()))?;
    Ok(BenchReport {
        seconds_per_method: budget.as_secs_f64(),
        cpu_ghz: ghz,
        selected: selected.kernel.backend().name().into(),
        results: rates
            .into_iter()
            .map(|(name, rate)| BenchResult {
                name,
                mhs: rate / 1e6,
                cycles_per_nonce: ghz.map(|g| g * 1e9 / rate),
                ratio: rate / plain,
            })
            .collect(),
    })
}

/// Runs `bench`.
pub fn run(args: &BenchArgs) -> Result<ExitCode, UsageError> {
    if !(args.seconds.is_finite() && args.seconds > 0.0 && args.seconds <= 3600.0) {
        return Err(UsageError(format!(
            "--seconds must be between 0 and 3600, got {}",
            args.seconds
        )));
    }
    if let Some(g) = args.ghz.filter(|g| !(g.is_finite() && *g > 0.0)) {
        return Err(UsageError(format!("--ghz must be positive, got {g}")));
    }
    let ghz = args.ghz.or_else(cpuinfo_ghz);
    let report = measure_all(Duration::from_secs_f64(args.seconds), ghz)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| UsageError(e.to_string()))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "one thread per method, {:.1} s each; clock {}",
        report.seconds_per_method,
        ghz.map_or("unknown (pass --ghz)".into(), |g| format!("{g:.2} GHz"))
    );
    println!(
        "{:<16} {:>10} {:>14} {:>8}",
        "method", "MH/s", "cycles/nonce", "ratio"
    );
    for r in &report.results {
        println!(
            "{:<16} {:>10.2} {:>14} {:>7.2}x",
            r.name,
            r.mhs,
            r.cycles_per_nonce.map_or("-".into(), |c| format!("{c:.0}")),
            r.ratio
        );
    }
    println!("selected at start-up: {}", report.selected);
    Ok(ExitCode::SUCCESS)
}
