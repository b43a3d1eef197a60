//! Scanning one range on several threads, with the result of a single scan.
//!
//! Threads take fixed-size chunks from a shared cursor, in order. When a
//! thread finds a solution it lowers the limit to that nonce, so no chunk
//! after it is started; chunks before it are already taken, so they finish.
//! Folding the chunk outcomes in order (`ScanOutcome::then`) then gives
//! exactly what one thread scanning the whole range would have returned:
//! the lowest solution, and the best hash among the nonces up to it.
//!
//! A thread the operating system will not start is an error
//! ([`SpawnError`]), never a panic. Threads wait at a start gate until
//! every one of them is running, so when one cannot start the others leave
//! before they allocate or scan anything: a spawn fails when memory or
//! address space has run out, and nothing may need more of it until the
//! threads already started have given theirs back.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};

use protocol::NonceRange;
use protocol::kernel::{ScanJob, ScanOutcome, Scanner};

/// Nonces per chunk: small enough to balance threads and stop quickly,
/// large enough that taking a chunk costs nothing next to scanning it.
pub const DEFAULT_CHUNK: u64 = 1 << 16;

/// What a parallel scan returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParallelOutcome {
    /// Exactly what a single scan of the range would return, unless it was
    /// cancelled (then: the contiguous prefix scanned before the cancel).
    pub outcome: ScanOutcome,
    /// Every hash computed, including chunks after a solution that were
    /// already running. This is the figure for hash rates.
    pub hashes_done: u64,
    /// Whether `cancel` stopped the scan before the range was covered.
    pub cancelled: bool,
}

/// A scanning thread could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start scanning thread {number} of {threads}: {source}")]
pub struct SpawnError {
    /// Which thread (from 1).
    pub number: usize,
    /// How many were asked for.
    pub threads: usize,
    /// What the operating system said.
    #[source]
    pub source: io::Error,
}

/// Scans `range` on `threads` threads, each with its own copy of
/// `scanner` (a `Kernel`, usually). `cancel`, when set by another thread,
/// stops the scan after the chunks in progress.
pub fn scan_parallel(
    scanner: impl Scanner + Clone + Sync,
    job: &ScanJob,
    range: NonceRange,
    zero_bits: u8,
    threads: usize,
    chunk: u64,
    cancel: Option<&AtomicBool>,
) -> Result<ParallelOutcome, SpawnError> {
    let threads = threads.max(1);
    let chunk = chunk.max(1);
    let end = u64::from(range.last()) + 1;
    let cursor = AtomicU64::new(u64::from(range.first()));
    let limit = AtomicU64::new(end);
    let done: Mutex<Vec<(u64, ScanOutcome)>> = Mutex::new(Vec::new());
    // Set when a thread failed to start: the others stop.
    let abort = AtomicBool::new(false);
    // `Some(go)` once every thread started (`true`) or one failed (`false`).
    let gate: (Mutex<Option<bool>>, Condvar) = (Mutex::new(None), Condvar::new());
    let open_gate = |go: bool| {
        if let Ok(mut g) = gate.0.lock() {
            *g = Some(go);
        }
        gate.1.notify_all();
    };

    let worker = || {
        let go = gate
            .0
            .lock()
            .and_then(|g| gate.1.wait_while(g, |g| g.is_none()))
            .map(|g| *g == Some(true))
            .unwrap_or(false);
        if !go {
            return;
        }
        let mut scanner = scanner.clone();
        let mut mine = Vec::new();
        loop {
            if abort.load(Ordering::Relaxed) || cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                break;
            }
            let start = cursor.fetch_add(chunk, Ordering::Relaxed);
            if start >= limit.load(Ordering::Relaxed) {
                break;
            }
            let last = (start + chunk).min(end) - 1;
            // Both bounds are below 2^32: `start < end <= 2^32`.
            let (Ok(first), Ok(last)) = (u32::try_from(start), u32::try_from(last)) else {
                break;
            };
            let Ok(part) = NonceRange::new(first, last) else {
                break;
            };
            let out = scanner.scan(job, part, zero_bits);
            if let Some(n) = out.found {
                limit.fetch_min(u64::from(n) + 1, Ordering::Relaxed);
            }
            mine.push((start, out));
        }
        if let Ok(mut all) = done.lock() {
            all.extend(mine);
        }
    };
    if threads == 1 {
        open_gate(true);
        worker();
    } else {
        std::thread::scope(|s| {
            for number in 1..=threads {
                let started = std::thread::Builder::new()
                    .name("scan".into())
                    .spawn_scoped(s, worker);
                if let Err(source) = started {
                    abort.store(true, Ordering::Relaxed);
                    open_gate(false);
                    return Err(SpawnError {
                        number,
                        threads,
                        source,
                    });
                }
            }
            open_gate(true);
            Ok(())
        })?;
    }

    let mut parts = done.into_inner().unwrap_or_else(|e| e.into_inner());
    parts.sort_by_key(|(start, _)| *start);
    let hashes_done = parts.iter().map(|(_, o)| o.hashes).sum();
    // The chunks up to the first gap (a cancel) or solution (the fold
    // ignores what follows it): exactly the prefix one scan would cover.
    let mut expected = u64::from(range.first());
    let prefix = parts.into_iter().map_while(|(start, out)| {
        (start == expected).then(|| {
            expected = start + out.hashes;
            out
        })
    });
    let outcome = ScanOutcome::fold(range.first(), prefix);
    let cancelled = outcome.found.is_none() && outcome.hashes < range.len();
    Ok(ParallelOutcome {
        outcome,
        hashes_done,
        cancelled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::kernel::Kernel;
    use protocol::vectors::GENESIS;

    #[test]
    fn many_threads_return_what_one_scan_returns() {
        let job = ScanJob::new(&GENESIS.template());
        let cases = [
            (
                NonceRange::new(GENESIS.nonce - 30_000, GENESIS.nonce + 30_000).unwrap(),
                32,
            ),
            (NonceRange::new(5, 40_000).unwrap(), 12),
            (NonceRange::new(5, 40_000).unwrap(), 60),
            (NonceRange::new(u32::MAX - 9_999, u32::MAX).unwrap(), 60),
        ];
        for kernel in Kernel::available() {
            for (range, d) in cases {
                let single = Kernel::portable().scan(&job, range, d);
                for threads in [1, 2, 3] {
                    // Chunks of 1 000 do not align with any lane width.
                    let par = scan_parallel(kernel, &job, range, d, threads, 1_000, None).unwrap();
                    assert_eq!(
                        par.outcome, single,
                        "{kernel:?} {range} d={d} threads={threads}"
                    );
                    assert!(par.hashes_done >= single.hashes);
                    assert!(!par.cancelled);
                }
            }
        }
    }

    #[test]
    fn a_cancelled_scan_reports_only_its_scanned_prefix() {
        let job = ScanJob::new(&GENESIS.template());
        let stop = AtomicBool::new(true);
        let range = NonceRange::new(0, 1_000_000).unwrap();
        let par =
            scan_parallel(Kernel::portable(), &job, range, 60, 2, 1_000, Some(&stop)).unwrap();
        assert!(par.cancelled);
        assert_eq!(par.outcome.hashes, 0);
    }
}
