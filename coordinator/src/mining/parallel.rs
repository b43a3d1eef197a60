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
//! threads already started have given theirs back. Each thread is started
//! only once the one before it is running: a new thread allocates a little
//! more (its signal stack) as it starts, and a failure there aborts the
//! process, so that allocation must never race the next spawn.

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
    /// The thread (from 1) whose chunk holds the solution, if any.
    pub found_by: Option<usize>,
}

/// A hash a watched scan reports as soon as a thread finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Its nonce.
    pub nonce: u32,
    /// Its leading zero bits.
    pub zero_bits: u8,
    /// The thread that found it, from 1.
    pub thread: usize,
}

/// What a watched scan reports: every hash with at least `at_least` zero
/// bits (the solution included), to `report`, from the thread that found
/// it, in the order found.
pub struct Watch<'a> {
    /// The fewest zero bits reported.
    pub at_least: u8,
    /// Where candidates go.
    pub report: &'a (dyn Fn(Candidate) + Sync),
}

impl std::fmt::Debug for Watch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("at_least", &self.at_least)
            .finish_non_exhaustive()
    }
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
    scan_parallel_watched(scanner, job, range, zero_bits, threads, chunk, cancel, None)
}

/// [`scan_parallel`], reporting to `watch` (when given) every hash with
/// at least `watch.at_least` zero bits as it is found. The kernels are
/// not changed for it: each chunk is scanned for `at_least` zero bits,
/// and after each candidate below `zero_bits` the scan resumes at the next
/// nonce, so the outcome is the same as without a watch, and the hot loop
/// the same too (candidates are rare: one in `2^at_least` hashes).
#[allow(clippy::too_many_arguments)]
pub fn scan_parallel_watched(
    scanner: impl Scanner + Clone + Sync,
    job: &ScanJob,
    range: NonceRange,
    zero_bits: u8,
    threads: usize,
    chunk: u64,
    cancel: Option<&AtomicBool>,
    watch: Option<&Watch<'_>>,
) -> Result<ParallelOutcome, SpawnError> {
    let threads = threads.max(1);
    let chunk = chunk.max(1);
    let end = u64::from(range.last()) + 1;
    let cursor = AtomicU64::new(u64::from(range.first()));
    let limit = AtomicU64::new(end);
    let done: Mutex<Vec<(u64, ScanOutcome, usize)>> = Mutex::new(Vec::new());
    // Set when a thread failed to start: the others stop.
    let abort = AtomicBool::new(false);
    let gate: (Mutex<Gate>, Condvar) = (Mutex::new(Gate::default()), Condvar::new());
    let open_gate = |go: bool| {
        if let Ok(mut g) = gate.0.lock() {
            g.go = Some(go);
        }
        gate.1.notify_all();
    };
    // Until thread `number` runs (or the gate broke).
    let wait_running = |number: usize| {
        if let Ok(g) = gate.0.lock() {
            drop(gate.1.wait_while(g, |g| g.running < number));
        }
    };

    let worker = |number: usize| {
        let go = gate
            .0
            .lock()
            .and_then(|mut g| {
                g.running += 1;
                gate.1.notify_all();
                gate.1.wait_while(g, |g| g.go.is_none())
            })
            .map(|g| g.go == Some(true))
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
            let out = match watch {
                None => scanner.scan(job, part, zero_bits),
                Some(w) => scan_watched(&mut scanner, job, part, zero_bits, w, number),
            };
            if let Some(n) = out.found {
                limit.fetch_min(u64::from(n) + 1, Ordering::Relaxed);
            }
            mine.push((start, out, number));
        }
        if let Ok(mut all) = done.lock() {
            all.extend(mine);
        }
    };
    if threads == 1 {
        open_gate(true);
        worker(1);
    } else {
        std::thread::scope(|s| {
            for number in 1..=threads {
                let started = std::thread::Builder::new()
                    .name("scan".into())
                    .spawn_scoped(s, move || worker(number));
                if let Err(source) = started {
                    abort.store(true, Ordering::Relaxed);
                    open_gate(false);
                    return Err(SpawnError {
                        number,
                        threads,
                        source,
                    });
                }
                wait_running(number);
            }
            open_gate(true);
            Ok(())
        })?;
    }

    let mut parts = done.into_inner().unwrap_or_else(|e| e.into_inner());
    parts.sort_by_key(|(start, _, _)| *start);
    let hashes_done = parts.iter().map(|(_, o, _)| o.hashes).sum();
    // The chunks up to the first gap (a cancel) or solution (the fold
    // ignores what follows it): exactly the prefix one scan would cover.
    let mut expected = u64::from(range.first());
    let mut found_by = None;
    let prefix = parts.into_iter().map_while(|(start, out, number)| {
        (start == expected).then(|| {
            expected = start + out.hashes;
            if out.found.is_some() && found_by.is_none() {
                found_by = Some(number);
            }
            out
        })
    });
    let outcome = ScanOutcome::fold(range.first(), prefix);
    let cancelled = outcome.found.is_none() && outcome.hashes < range.len();
    Ok(ParallelOutcome {
        outcome,
        hashes_done,
        cancelled,
        found_by: outcome.found.and(found_by),
    })
}

/// The start gate's state.
#[derive(Default)]
struct Gate {
    /// Threads that have started.
    running: usize,
    /// `Some(go)` once every thread started (`true`) or one failed
    /// (`false`).
    go: Option<bool>,
}

/// One chunk scanned for `watch.at_least` zero bits, resumed after each
/// candidate, reported, that falls short of `zero_bits`: what a scan of
/// the chunk for `zero_bits` returns.
fn scan_watched(
    scanner: &mut impl Scanner,
    job: &ScanJob,
    part: NonceRange,
    zero_bits: u8,
    watch: &Watch<'_>,
    thread: usize,
) -> ScanOutcome {
    let at_least = watch.at_least.min(zero_bits);
    let mut total = ScanOutcome::none(part.first());
    let mut from = part.first();
    loop {
        let Ok(rest) = NonceRange::new(from, part.last()) else {
            return total;
        };
        let out = scanner.scan(job, rest, at_least);
        let Some(nonce) = out.found else {
            return total.then(out);
        };
        // Every nonce before it had fewer than `at_least` zero bits, so the
        // best so far is this one.
        let bits = out.best.zero_bits;
        (watch.report)(Candidate {
            nonce,
            zero_bits: bits,
            thread,
        });
        if bits >= zero_bits {
            return total.then(out);
        }
        total = total.then(ScanOutcome { found: None, ..out });
        if nonce == part.last() {
            return total;
        }
        from = nonce + 1;
    }
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
    fn a_watched_scan_returns_the_same_and_reports_every_candidate_once() {
        use std::sync::Mutex;
        let job = ScanJob::new(&GENESIS.template());
        let range = NonceRange::new(GENESIS.nonce - 300_000, GENESIS.nonce + 1_000).unwrap();
        for kernel in Kernel::available() {
            for threads in [1, 3] {
                let seen = Mutex::new(Vec::new());
                let report = |c: Candidate| seen.lock().unwrap().push(c);
                let watch = Watch {
                    at_least: 14,
                    report: &report,
                };
                let single = Kernel::portable().scan(&job, range, 32);
                let par = scan_parallel_watched(
                    kernel,
                    &job,
                    range,
                    32,
                    threads,
                    10_000,
                    None,
                    Some(&watch),
                )
                .unwrap();
                assert_eq!(par.outcome, single, "{kernel:?} threads={threads}");
                assert!(par.found_by.is_some_and(|t| (1..=threads).contains(&t)));
                let mut seen = seen.into_inner().unwrap();
                seen.sort_by_key(|c| c.nonce);
                // Exactly the nonces with 14 or more zero bits up to the
                // solution (threads past it may report a few more).
                let expected: Vec<(u32, u8)> = (range.first()..=GENESIS.nonce)
                    .filter_map(|n| {
                        let h = protocol::BlockHeader::from_bytes(&GENESIS.template())
                            .with_nonce(n)
                            .hash();
                        let z = h.zero_bits() as u8;
                        (z >= 14).then_some((n, z))
                    })
                    .collect();
                let got: Vec<(u32, u8)> = seen
                    .iter()
                    .filter(|c| c.nonce <= GENESIS.nonce)
                    .map(|c| (c.nonce, c.zero_bits))
                    .collect();
                assert_eq!(got, expected, "{kernel:?} threads={threads}");
                assert_eq!(got.last(), Some(&(GENESIS.nonce, 43)));
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
