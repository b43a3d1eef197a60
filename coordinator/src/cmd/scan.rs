//! `coordinator scan`: mine or verify one header over a nonce range.
//!
//! Exit status: 0 when a nonce is found, 1 when the range holds none or
//! the scan could not run (its threads could not start, say), 2 on bad
//! input.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use clap::Args;
use protocol::kernel::ScanJob;
use protocol::{BlockHeader, HEADER_LEN, NonceRange};
use serde::Serialize;

use super::output::outln;
use super::{CommandError, Failure, UsageError, choose_kernel, flags};
use crate::mining::{Candidate, DEFAULT_CHUNK, Watch, scan_parallel_watched};

/// Arguments of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The 80-byte header as 160 hex characters (wire order); its nonce
    /// field is ignored.
    #[arg(long)]
    pub header: String,
    /// Required leading zero bits of the displayed hash (0-255).
    #[arg(long, value_parser = flags::scan_zero_bits)]
    pub zero_bits: u8,
    /// First nonce to try.
    #[arg(long, default_value_t = 0)]
    pub from: u32,
    /// Last nonce to try (inclusive).
    #[arg(long, default_value_t = u32::MAX)]
    pub to: u32,
    /// Worker threads, 1 to 1024 (default: one per core).
    #[arg(long, value_parser = flags::threads)]
    pub threads: Option<usize>,
    /// Kernel backend (default: the fastest this CPU supports).
    #[arg(long)]
    pub backend: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print each hash within K zero bits of the target as it is found,
    /// one line each (1 to 32; with --json, one JSON object a line).
    #[arg(long, value_name = "K", value_parser = flags::near_misses)]
    pub near_misses: Option<u8>,
}

/// The `--json` output.
#[derive(Debug, Serialize)]
struct ScanReport {
    nonce: Option<u32>,
    hash: Option<String>,
    best_zero_bits: u8,
    hashes: u64,
    seconds: f64,
    /// The thread (from 1) that found the solution.
    #[serde(skip_serializing_if = "Option::is_none")]
    thread: Option<usize>,
    /// Near misses printed (with `--near-misses`).
    #[serde(skip_serializing_if = "Option::is_none")]
    near_misses: Option<u64>,
}

/// A `--near-misses` line in `--json` mode.
#[derive(Debug, Serialize)]
struct NearMissLine {
    near_miss: NearMiss,
}

#[derive(Debug, Serialize)]
struct NearMiss {
    nonce: u32,
    hash: String,
    zero_bits: u8,
    thread: usize,
}

/// Checked inputs of a scan.
#[derive(Debug)]
pub struct ScanInput {
    /// The header bytes.
    pub header: [u8; HEADER_LEN],
    /// The range.
    pub range: NonceRange,
    /// Threads to use.
    pub threads: usize,
}

/// Validates the arguments, with a message that says what to fix.
pub fn validate(args: &ScanArgs) -> Result<ScanInput, UsageError> {
    let header = protocol::hex::decode::<HEADER_LEN>(args.header.trim())
        .map_err(|e| UsageError::Flag(format!("--header: {e}")))?;
    let range = NonceRange::new(args.from, args.to).map_err(|_| {
        UsageError::Flag(format!(
            "empty range: --from {} is after --to {}",
            args.from, args.to
        ))
    })?;
    let threads = args.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(flags::MAX_THREADS))
    });
    Ok(ScanInput {
        header,
        range,
        threads,
    })
}

/// Runs `scan`.
pub fn run(args: &ScanArgs) -> Result<ExitCode, CommandError> {
    let input = validate(args)?;
    let choice = choose_kernel(args.backend.as_deref())?;
    let job = ScanJob::new(&input.header);
    let started = Instant::now();
    let near = AtomicU64::new(0);
    let header = BlockHeader::from_bytes(&input.header);
    let report = |c: Candidate| {
        if c.zero_bits >= args.zero_bits {
            return;
        }
        near.fetch_add(1, Ordering::Relaxed);
        let hash = header.with_nonce(c.nonce).hash().to_string();
        let line = if args.json {
            let line = NearMissLine {
                near_miss: NearMiss {
                    nonce: c.nonce,
                    hash,
                    zero_bits: c.zero_bits,
                    thread: c.thread,
                },
            };
            serde_json::to_string(&line).unwrap_or_default()
        } else {
            format!(
                "near miss: nonce {}, hash {hash}, {} zero bits, thread {}",
                c.nonce, c.zero_bits, c.thread
            )
        };
        outln!("{line}");
    };
    let watch = args.near_misses.map(|k| Watch {
        at_least: args.zero_bits.saturating_sub(k).max(1),
        report: &report,
    });
    let result = scan_parallel_watched(
        choice.kernel,
        &job,
        input.range,
        args.zero_bits,
        input.threads,
        DEFAULT_CHUNK,
        None,
        watch.as_ref(),
    )
    .map_err(Failure::from)?;
    let near = args.near_misses.map(|_| near.load(Ordering::Relaxed));
    let seconds = started.elapsed().as_secs_f64();
    let out = result.outcome;
    let hash = out
        .found
        .map(|n| BlockHeader::from_bytes(&input.header).with_nonce(n).hash());
    if args.json {
        let report = ScanReport {
            nonce: out.found,
            hash: hash.map(|h| h.to_string()),
            best_zero_bits: out.best.zero_bits,
            hashes: out.hashes,
            seconds,
            thread: result.found_by,
            near_misses: near,
        };
        super::print_json(&report)?;
    } else {
        match (out.found, hash) {
            (Some(nonce), Some(hash)) => {
                let by = result.found_by.map_or(String::new(), |t| {
                    format!(" by thread {t} of {}", input.threads)
                });
                outln!("found nonce {nonce}{by}");
                outln!("hash {hash} ({} zero bits)", hash.zero_bits());
            }
            _ => outln!(
                "no nonce in {} meets {} zero bits; best: nonce {} with {} zero bits",
                input.range,
                args.zero_bits,
                out.best.nonce,
                out.best.zero_bits
            ),
        }
        if let (Some(n), Some(k)) = (near, args.near_misses) {
            outln!("{n} near misses within {k} zero bits of {}", args.zero_bits);
        }
        let rate = result.hashes_done as f64 / seconds.max(1e-9) / 1e6;
        outln!(
            "scanned {} nonces in {seconds:.3} s ({rate:.2} MH/s, backend {}, {} threads)",
            out.hashes,
            choice.kernel.backend(),
            input.threads
        );
    }
    Ok(if out.found.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
