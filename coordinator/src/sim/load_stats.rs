//! What a load of throttled miners measured, from the miners' side: how
//! long each waited for work after asking, how soon each got its first
//! work after joining, and what they sent, received and refused. Shared by
//! every miner task; the counters are atomics, the two distributions sit
//! behind a mutex each (a miner records into them about once a second).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// The longest wait recorded exactly; longer ones count as this (an hour).
const MAX_RECORDED_MICROS: u64 = 3_600_000_000;

/// Counters of the whole load, cumulative since it started.
#[derive(Debug, Default)]
pub struct LoadCounters {
    /// Miners started.
    pub started: AtomicU64,
    /// Miners that got work at least once.
    pub served: AtomicU64,
    /// Datagrams sent.
    pub sent: AtomicU64,
    /// Datagrams received and accepted by a miner's frame check.
    pub received: AtomicU64,
    /// Datagrams a miner's frame check refused (forged, replayed...).
    pub refused: AtomicU64,
    /// Work requests sent (each `HeartbeatReply` asking for work).
    pub requests: AtomicU64,
    /// Assignments taken (a `Process` for a new range).
    pub assigned: AtomicU64,
    /// `Process` messages the miner state machine refused (stale, not the
    /// leader, no room...).
    pub process_refused: AtomicU64,
    /// `ProcessAnswerNo` sent (re-sends of a kept answer included).
    pub answers_no: AtomicU64,
    /// `ProcessAnswerYes` sent (re-sends included).
    pub answers_yes: AtomicU64,
    /// Times a miner's leader changed (following one counts).
    pub leader_changes: AtomicU64,
    /// Hashes computed.
    pub hashes: AtomicU64,
}

impl LoadCounters {
    fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    /// Adds `n` to `c`.
    pub fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
}

/// Everything the load measures.
#[derive(Debug)]
pub struct LoadStats {
    /// The counters.
    pub counters: LoadCounters,
    /// From a miner's first unanswered work request to the `Process` that
    /// answered it, microseconds.
    waits: Mutex<Histogram<u64>>,
    /// From a miner's start to its first assignment, microseconds.
    first_work: Mutex<Histogram<u64>>,
    /// How late the miners' timers fired, microseconds: the load's own
    /// delay, part of every wait it measures.
    lag: Mutex<Histogram<u64>>,
}

/// A distribution, summarized.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct Spread {
    /// Samples.
    pub count: u64,
    /// Median, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Largest, milliseconds.
    pub max_ms: f64,
}

/// The load's figures at a moment.
#[derive(Clone, Debug, Serialize)]
pub struct LoadSnapshot {
    /// Miners started.
    pub started: u64,
    /// Miners that got work at least once.
    pub served: u64,
    /// Datagrams sent by the miners.
    pub sent: u64,
    /// Datagrams the miners accepted.
    pub received: u64,
    /// Datagrams the miners' frame checks refused.
    pub refused: u64,
    /// Work requests sent.
    pub requests: u64,
    /// Assignments taken.
    pub assigned: u64,
    /// `Process` messages refused by the miner state machine.
    pub process_refused: u64,
    /// `ProcessAnswerNo` sent.
    pub answers_no: u64,
    /// `ProcessAnswerYes` sent.
    pub answers_yes: u64,
    /// Leader changes seen by the miners.
    pub leader_changes: u64,
    /// Hashes computed.
    pub hashes: u64,
    /// Request to `Process`, since the last [`LoadStats::reset_waits`].
    pub wait: Spread,
    /// Start to first assignment, every miner so far.
    pub first_work: Spread,
    /// How late the miners' timers fired (the load falling behind), since
    /// the last [`LoadStats::reset_waits`].
    pub lag: Spread,
}

fn histogram() -> Histogram<u64> {
    // Three significant digits from 1 µs to an hour: constant bounds, which
    // `new_with_bounds` accepts (it refuses only a low bound of 0, a high
    // bound under twice the low one, or more than 5 digits).
    Histogram::new_with_bounds(1, MAX_RECORDED_MICROS, 3).expect("constant, valid bounds")
}

fn record(h: &Mutex<Histogram<u64>>, d: Duration) {
    let micros = u64::try_from(d.as_micros())
        .unwrap_or(u64::MAX)
        .clamp(1, MAX_RECORDED_MICROS);
    if let Ok(mut h) = h.lock() {
        h.saturating_record(micros);
    }
}

fn spread(h: &Mutex<Histogram<u64>>) -> Spread {
    let Ok(h) = h.lock() else {
        return Spread::default();
    };
    if h.is_empty() {
        return Spread::default();
    }
    let ms = |micros: u64| micros as f64 / 1000.0;
    Spread {
        count: h.len(),
        p50_ms: ms(h.value_at_quantile(0.5)),
        p99_ms: ms(h.value_at_quantile(0.99)),
        max_ms: ms(h.max()),
    }
}

impl Default for LoadStats {
    fn default() -> Self {
        LoadStats {
            counters: LoadCounters::default(),
            waits: Mutex::new(histogram()),
            first_work: Mutex::new(histogram()),
            lag: Mutex::new(histogram()),
        }
    }
}

impl LoadStats {
    /// A miner waited `d` from asking for work to getting it.
    pub fn waited(&self, d: Duration) {
        record(&self.waits, d);
    }

    /// A miner got its first work `d` after it started.
    pub fn first_work(&self, d: Duration) {
        LoadCounters::add(&self.counters.served, 1);
        record(&self.first_work, d);
    }

    /// A miner's timer fired `d` after it was due.
    pub fn late(&self, d: Duration) {
        record(&self.lag, d);
    }

    /// Forgets the waits and lags recorded so far (the start of a
    /// measurement).
    pub fn reset_waits(&self) {
        for h in [&self.waits, &self.lag] {
            if let Ok(mut h) = h.lock() {
                h.reset();
            }
        }
    }

    /// The figures now.
    pub fn snapshot(&self) -> LoadSnapshot {
        let c = &self.counters;
        let get = LoadCounters::get;
        LoadSnapshot {
            started: get(&c.started),
            served: get(&c.served),
            sent: get(&c.sent),
            received: get(&c.received),
            refused: get(&c.refused),
            requests: get(&c.requests),
            assigned: get(&c.assigned),
            process_refused: get(&c.process_refused),
            answers_no: get(&c.answers_no),
            answers_yes: get(&c.answers_yes),
            leader_changes: get(&c.leader_changes),
            hashes: get(&c.hashes),
            wait: spread(&self.waits),
            first_work: spread(&self.first_work),
            lag: spread(&self.lag),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_summarize_what_was_recorded() {
        let s = LoadStats::default();
        assert_eq!(s.snapshot().wait, Spread::default());
        for ms in 1..=100 {
            s.waited(Duration::from_millis(ms));
        }
        let w = s.snapshot().wait;
        assert_eq!(w.count, 100);
        assert!((w.p50_ms - 50.0).abs() < 0.1, "{w:?}");
        assert!((w.p99_ms - 99.0).abs() < 0.1, "{w:?}");
        assert!((w.max_ms - 100.0).abs() < 0.1, "{w:?}");
        s.reset_waits();
        assert_eq!(s.snapshot().wait.count, 0);
        s.first_work(Duration::from_secs(7200));
        let f = s.snapshot().first_work;
        assert_eq!((f.count, s.snapshot().served), (1, 1));
        assert!(f.max_ms >= 3_599_000.0, "clamped to an hour: {f:?}");
    }
}
