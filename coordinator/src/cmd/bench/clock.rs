//! The core clock, measured in the bench's own run.
//!
//! /proc/cpuinfo reports a nominal clock on many machines (virtual ones
//! above all), not the boost clock a busy core really runs at, and hardware
//! cycle counters are often not exposed to guests. A chain of dependent
//! 64-bit additions, though, runs at exactly one addition per cycle on every
//! x86-64 and Arm core of the last decade: additions per second is cycles
//! per second.
//!
//! The bench runs a short slice of the chain after every batch of hashes,
//! on the same thread. On a shared machine other processes steal time from
//! both, so the estimate pairs the fastest slice (the real clock) with the
//! fastest batch (the real cost of a nonce): a slice or a batch that ran
//! without interruption shows the core's own speed, and with hundreds of
//! each, some do.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// Additions per slice: about 70 µs at 4 GHz.
const SLICE: u64 = 1 << 18;

/// `adds` dependent additions (a multiple of 8): each one needs the result
/// of the one before, so they take one cycle each, whatever the core's
/// width. The chain is the Fibonacci recurrence, which the compiler cannot
/// fold into fewer operations.
#[inline(never)]
fn add_chain(adds: u64) -> u64 {
    let mut x = black_box(1u64);
    let mut y = black_box(2u64);
    for _ in 0..adds / 8 {
        x = x.wrapping_add(y);
        y = y.wrapping_add(x);
        x = x.wrapping_add(y);
        y = y.wrapping_add(x);
        x = x.wrapping_add(y);
        y = y.wrapping_add(x);
        x = x.wrapping_add(y);
        y = y.wrapping_add(x);
    }
    y
}

/// The fastest slice of the chain run so far.
#[derive(Debug, Default, Clone, Copy)]
pub struct Clock {
    fastest: Option<Duration>,
}

impl Clock {
    /// Runs one slice.
    pub fn slice(&mut self) {
        let start = Instant::now();
        black_box(add_chain(black_box(SLICE)));
        let took = start.elapsed();
        self.fastest = Some(self.fastest.map_or(took, |f| f.min(took)));
    }

    /// The clock in Hz, from the fastest slice, once a slice has run.
    pub fn hz(&self) -> Option<f64> {
        let seconds = self.fastest?.as_secs_f64();
        (seconds > 0.0).then(|| SLICE as f64 / seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_computes_fibonacci_numbers() {
        // From (1, 2), y after 8 additions is F(10) = 89.
        assert_eq!(add_chain(8), 89);
    }

    #[test]
    fn a_clock_reports_after_its_first_slice() {
        let mut clock = Clock::default();
        assert_eq!(clock.hz(), None);
        clock.slice();
        let hz = clock.hz().unwrap();
        assert!(hz.is_finite() && hz > 0.0, "{hz}");
    }
}
