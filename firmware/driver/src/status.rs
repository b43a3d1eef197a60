//! What the board's LED shows, decided here so every board blinks alike.

use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use embassy_time::Duration;

/// The miner's state as a person looking at the board sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Status {
    /// Joining Wi-Fi or waiting for an address: LED on, steady.
    Joining,
    /// On the network, looking for a leader or waiting for work: a short
    /// blink every second.
    Waiting,
    /// Scanning an assignment: blinking fast.
    Mining,
    /// The kernel failed its self-test; the board does not mine: two short
    /// blinks every two seconds.
    Faulty,
}

/// One LED phase: on or off, for how long.
pub type Phase = (bool, Duration);

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

impl Status {
    /// The LED pattern, repeated while the status holds.
    pub fn pattern(self) -> &'static [Phase] {
        const JOINING: &[Phase] = &[(true, ms(1000))];
        const WAITING: &[Phase] = &[(true, ms(100)), (false, ms(900))];
        const MINING: &[Phase] = &[(true, ms(125)), (false, ms(125))];
        const FAULTY: &[Phase] = &[
            (true, ms(100)),
            (false, ms(150)),
            (true, ms(100)),
            (false, ms(1650)),
        ];
        match self {
            Status::Joining => JOINING,
            Status::Waiting => WAITING,
            Status::Mining => MINING,
            Status::Faulty => FAULTY,
        }
    }
}

/// The latest status, from the miner task to whoever drives the LED.
pub type StatusSignal = Signal<CriticalSectionRawMutex, Status>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_is_non_empty_and_distinct() {
        let all = [
            Status::Joining,
            Status::Waiting,
            Status::Mining,
            Status::Faulty,
        ];
        for (i, a) in all.iter().enumerate() {
            assert!(!a.pattern().is_empty());
            for b in &all[i + 1..] {
                assert_ne!(a.pattern(), b.pattern());
            }
        }
    }
}
