//! How often a node refreshes its status snapshot. A snapshot costs in
//! proportion to the miners, so the node spends at most 1% of its time on
//! them: it waits a hundred times what a snapshot costs, and never less than
//! [`SnapshotPace::FASTEST`] nor more than [`SnapshotPace::SLOWEST`] (a
//! dashboard stays live at any fleet size).
//!
//! The cost is the cheapest of the last `KEPT` snapshots, timed by the
//! wall clock: on a busy machine one of them may include a wait for a CPU,
//! which must not make the status stale for seconds.

use std::time::Duration;

/// Snapshot costs remembered.
const KEPT: usize = 8;

/// The pace of status snapshots.
#[derive(Clone, Debug)]
pub struct SnapshotPace {
    costs: [Duration; KEPT],
    next: usize,
}

impl SnapshotPace {
    /// The shortest wait between snapshots.
    pub const FASTEST: Duration = Duration::from_millis(100);
    /// The longest wait between snapshots.
    pub const SLOWEST: Duration = Duration::from_secs(1);

    /// A pace with no snapshot timed yet: [`SnapshotPace::FASTEST`].
    pub fn new() -> SnapshotPace {
        SnapshotPace {
            costs: [Duration::MAX; KEPT],
            next: 0,
        }
    }

    /// Takes in what one snapshot took.
    pub fn took(&mut self, cost: Duration) {
        self.costs[self.next] = cost;
        self.next = (self.next + 1) % KEPT;
    }

    /// How long to wait after a snapshot before the next.
    pub fn every(&self) -> Duration {
        let cost = self.costs.iter().min().copied().unwrap_or(Duration::MAX);
        if cost == Duration::MAX {
            return Self::FASTEST;
        }
        cost.saturating_mul(100).clamp(Self::FASTEST, Self::SLOWEST)
    }
}

impl Default for SnapshotPace {
    fn default() -> Self {
        SnapshotPace::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_hundred_times_the_cheapest_recent_cost_within_bounds() {
        let mut pace = SnapshotPace::new();
        assert_eq!(pace.every(), SnapshotPace::FASTEST);
        pace.took(Duration::from_micros(50));
        assert_eq!(pace.every(), SnapshotPace::FASTEST);
        // A snapshot that waited for a CPU does not slow the pace.
        pace.took(40 * MS);
        assert_eq!(pace.every(), SnapshotPace::FASTEST);
        // A fleet whose snapshots really cost 3 ms: 300 ms, once the cheap
        // one is forgotten.
        for _ in 0..KEPT - 2 {
            pace.took(3 * MS);
        }
        assert_eq!(pace.every(), SnapshotPace::FASTEST);
        pace.took(3 * MS);
        assert_eq!(pace.every(), 300 * MS);
        for _ in 0..KEPT {
            pace.took(50 * MS);
        }
        assert_eq!(pace.every(), SnapshotPace::SLOWEST);
    }
}
