//! Hash rate measured from completed steps; it sizes the next steps and is
//! reported to the leader, which sizes leases from it.

use core::time::Duration;

/// An exponentially weighted hash rate.
#[derive(Clone, Copy, Debug)]
pub(super) struct RateMeter {
    per_second: u64,
    measured: bool,
}

impl RateMeter {
    pub fn new(initial: u32) -> RateMeter {
        RateMeter {
            per_second: u64::from(initial.max(1)),
            measured: false,
        }
    }

    /// Folds in one step: `hashes` in `elapsed`.
    pub fn record(&mut self, hashes: u64, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        if hashes == 0 || micros == 0 {
            return;
        }
        let sample = hashes.saturating_mul(1_000_000) / micros;
        self.per_second = if self.measured {
            (self.per_second.saturating_mul(3).saturating_add(sample)) / 4
        } else {
            sample
        }
        .max(1);
        self.measured = true;
    }

    pub fn per_second(&self) -> u32 {
        u32::try_from(self.per_second).unwrap_or(u32::MAX)
    }

    /// Nonces that take about `d` at this rate, at least one.
    pub fn nonces_for(&self, d: Duration) -> u64 {
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        (self.per_second.saturating_mul(micros) / 1_000_000).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_sample_replaces_the_guess_then_averages() {
        let mut r = RateMeter::new(100);
        assert_eq!(r.nonces_for(Duration::from_millis(10)), 1);
        r.record(1000, Duration::from_millis(1));
        assert_eq!(r.per_second(), 1_000_000);
        r.record(0, Duration::ZERO);
        assert_eq!(r.per_second(), 1_000_000);
        r.record(2000, Duration::from_millis(1));
        assert_eq!(r.per_second(), 1_250_000);
        assert_eq!(r.nonces_for(Duration::from_millis(20)), 25_000);
    }
}
