//! The protocol's timers, each derived from the cluster's heartbeat
//! interval. Miners, coordinators, their drivers and their tests all take
//! them from here, so that a cluster run at 100 ms heartbeats behaves like
//! one at 5 s, only faster.
//!
//! How they relate:
//!
//! - A coordinator takes a peer for down after `down_after` silent
//!   intervals (2 by default) and the next lowest id takes over; a miner
//!   takes its leader for dead after [`LEADER_TIMEOUT_INTERVALS`] (3), one
//!   more, so that by the time it looks for a leader again one has usually
//!   been chosen.
//! - A miner re-sends what is unanswered (a work request, a solution) every
//!   [`Timing::retry`]: a quarter interval, so several tries fit before the
//!   next heartbeat, but never faster than 50 ms (a flood helps nobody) nor
//!   slower than 1 s (a long interval should not idle a miner).
//! - A leader polls the chain's tip every [`Timing::tip_poll`]: every
//!   interval, at least once a second, so a block found elsewhere stops
//!   useless work quickly. It waits [`Timing::chain_call_timeout`] (half an
//!   interval) for one chain instance's answer before it asks the next it
//!   was given, so a dead instance is replaced within the interval.
//! - Silence is probed before it is believed. A coordinator sends a silent
//!   peer [`PEER_PROBES`] heartbeat requests in the last three quarters of
//!   an interval before its time-out ([`Timing::peer_probe_window`]); a
//!   miner sends its silent leader [`LEADER_PROBES`] `Discover`s in the
//!   last interval before its time-out ([`Timing::leader_probe_window`]).
//!   Any answer counts as hearing them. Loss no longer looks like death,
//!   and a dead leader is still given up at the same time-out.
//! - Re-sends start fast: after a quarter of [`Timing::retry`], then a
//!   half, then every retry ([`backoff`]), so one loss costs little and a
//!   leader that cannot answer is not flooded.
//! - A leader sends again, every [`Timing::resend_after`] (an eighth of an
//!   interval), an interrupt a miner has not acknowledged, and the
//!   `Process` of a lease older than that which a miner's request shows it
//!   does not hold.
//! - A leader heartbeats its miners in slices, one every
//!   [`Timing::miner_beat_every`] (a 64th of an interval, at least
//!   [`MINER_BEAT_MIN`]), each miner once an interval: a fleet of 10,000
//!   is not sent 10,000 datagrams at once, nor do their replies arrive at
//!   once and overflow the leader's socket buffer.
//! - A leader's vote on a solution stays open for [`Timing::vote_timeout`]
//!   (one interval): a peer silent that long is absent, not a no. Its
//!   request is sent again every [`Timing::resend_after`] meanwhile, so a
//!   loss costs an eighth of an interval and a dead peer one interval.

use core::time::Duration;

/// The heartbeat interval unless configured otherwise.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(5);

/// Silent intervals after which a miner takes its leader for dead.
pub const LEADER_TIMEOUT_INTERVALS: u32 = 3;

/// The fastest a miner re-sends an unanswered message.
pub const RETRY_MIN: Duration = Duration::from_millis(50);

/// The slowest a miner re-sends an unanswered message.
pub const RETRY_MAX: Duration = Duration::from_secs(1);

/// Probes a coordinator sends a silent peer before declaring it down.
/// Under 20% loss a probe and its answer both arrive 64% of the time, so
/// twelve all fail about once in 200,000 suspicions.
pub const PEER_PROBES: u32 = 12;

/// Probes a miner sends its silent leader before taking it for dead.
pub const LEADER_PROBES: u32 = 8;

/// Slices of its miners a leader heartbeats per interval.
pub const MINER_BEAT_SLICES: u32 = 64;

/// The shortest time between two slices of a leader's heartbeats to its
/// miners.
pub const MINER_BEAT_MIN: Duration = Duration::from_millis(10);

/// The longest a leader goes without polling the chain's tip.
pub const TIP_POLL_MAX: Duration = Duration::from_secs(1);

/// The shortest a chain call may take before it is given up (a service
/// under load needs a few fsyncs' time).
pub const CHAIN_CALL_MIN: Duration = Duration::from_millis(200);

/// The longest a chain call may take before it is given up.
pub const CHAIN_CALL_MAX: Duration = Duration::from_secs(10);

/// Every timer of the protocol, for one heartbeat interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Timing {
    heartbeat: Duration,
}

impl Timing {
    /// The timers for heartbeats every `heartbeat`.
    pub const fn new(heartbeat: Duration) -> Timing {
        Timing { heartbeat }
    }

    /// The heartbeat interval.
    pub const fn heartbeat(&self) -> Duration {
        self.heartbeat
    }

    /// How long a miner's leader may be silent before the miner drops its
    /// work and looks for a leader again.
    pub fn leader_timeout(&self) -> Duration {
        self.heartbeat.saturating_mul(LEADER_TIMEOUT_INTERVALS)
    }

    /// How often a miner re-sends an unanswered work request or solution,
    /// and discovers while leaderless.
    pub fn retry(&self) -> Duration {
        (self.heartbeat / 4).clamp(RETRY_MIN, RETRY_MAX)
    }

    /// How often a leader polls the chain's tip.
    pub fn tip_poll(&self) -> Duration {
        self.heartbeat.min(TIP_POLL_MAX)
    }

    /// How long a leader waits for one chain service's answer before it
    /// takes that instance for failing and asks the next one it was given:
    /// half an interval, so that the next answers within the same
    /// interval (from 200 ms, for heartbeats under 400 ms; at most 10 s).
    pub fn chain_call_timeout(&self) -> Duration {
        (self.heartbeat / 2).clamp(CHAIN_CALL_MIN, CHAIN_CALL_MAX)
    }

    /// How long a coordinator's peer may be silent before it is down:
    /// `down_after` intervals (at least one).
    pub fn peer_timeout(&self, down_after: u32) -> Duration {
        self.heartbeat.saturating_mul(down_after.max(1))
    }

    /// The last part of a peer's time-out in which a coordinator probes
    /// it: three quarters of an interval (all of it, if shorter).
    pub fn peer_probe_window(&self, down_after: u32) -> Duration {
        (self.heartbeat * 3 / 4).min(self.peer_timeout(down_after))
    }

    /// How often a suspected peer is probed: [`PEER_PROBES`] times in the
    /// window.
    pub fn peer_probe_every(&self, down_after: u32) -> Duration {
        self.peer_probe_window(down_after) / PEER_PROBES
    }

    /// The last part of a miner's leader time-out in which it probes its
    /// silent leader: one interval.
    pub fn leader_probe_window(&self) -> Duration {
        self.heartbeat.min(self.leader_timeout())
    }

    /// How soon a leader sends again what a miner has not acknowledged: an
    /// interrupt, or the `Process` of a lease its request shows it lacks.
    /// An eighth of an interval: longer than a round trip (a younger lease
    /// may be crossing the request), shorter than a miner's re-request.
    pub fn resend_after(&self) -> Duration {
        self.heartbeat / 8
    }

    /// How often a leader sends the next slice of its miners their
    /// heartbeat: a [`MINER_BEAT_SLICES`]th of an interval, at least
    /// [`MINER_BEAT_MIN`], at most the interval.
    pub fn miner_beat_every(&self) -> Duration {
        (self.heartbeat / MINER_BEAT_SLICES)
            .max(MINER_BEAT_MIN)
            .min(self.heartbeat)
    }

    /// How long a leader waits for a peer's vote on a solution before it
    /// counts the peer as absent: one interval, in which a live peer has
    /// had seven re-sent requests to answer.
    pub fn vote_timeout(&self) -> Duration {
        self.heartbeat
    }

    /// How long a coordinator keeps a silent miner in its book: two
    /// intervals longer than a peer's time-out (a miner sends its status
    /// once per interval, so a few lost ones never forget it).
    pub fn miner_timeout(&self, down_after: u32) -> Duration {
        self.heartbeat
            .saturating_mul(down_after.max(1).saturating_add(2))
    }
}

/// The wait after the `sent`-th send of something unacknowledged (a work
/// request, a solution): a quarter of `retry` after the first, a half
/// after the second, then `retry`.
pub fn backoff(retry: Duration, sent: u32) -> Duration {
    match sent {
        0 | 1 => retry / 4,
        2 => retry / 2,
        _ => retry,
    }
}

impl Default for Timing {
    fn default() -> Timing {
        Timing::new(DEFAULT_HEARTBEAT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_default_interval_gives_the_original_design_timers() {
        let t = Timing::default();
        assert_eq!(t.heartbeat(), Duration::from_secs(5));
        assert_eq!(t.leader_timeout(), Duration::from_secs(15));
        assert_eq!(t.retry(), Duration::from_secs(1));
        assert_eq!(t.tip_poll(), Duration::from_secs(1));
        assert_eq!(t.peer_timeout(2), Duration::from_secs(10));
        assert_eq!(t.miner_timeout(2), Duration::from_secs(20));
        assert_eq!(t.chain_call_timeout(), ms(2500));
    }

    #[test]
    fn a_chain_call_gives_up_within_the_interval_inside_its_bounds() {
        assert_eq!(Timing::new(ms(1000)).chain_call_timeout(), ms(500));
        assert_eq!(Timing::new(ms(100)).chain_call_timeout(), CHAIN_CALL_MIN);
        assert_eq!(
            Timing::new(ms(600_000)).chain_call_timeout(),
            CHAIN_CALL_MAX
        );
    }

    #[test]
    fn short_intervals_scale_down_within_the_bounds() {
        let t = Timing::new(ms(100));
        assert_eq!(t.leader_timeout(), ms(300));
        assert_eq!(t.retry(), ms(50));
        assert_eq!(t.tip_poll(), ms(100));
        assert_eq!(Timing::new(ms(400)).retry(), ms(100));
        assert_eq!(Timing::new(ms(10)).retry(), RETRY_MIN);
        assert_eq!(Timing::new(ms(600_000)).retry(), RETRY_MAX);
    }

    #[test]
    fn probes_fall_inside_the_time_outs_and_re_sends_start_fast() {
        let t = Timing::new(ms(100));
        assert_eq!(t.peer_probe_window(2), ms(75));
        assert_eq!(t.peer_probe_every(2), ms(75) / 12);
        assert_eq!(t.peer_probe_window(0), ms(75));
        assert_eq!(Timing::new(ms(100)).peer_probe_window(1), ms(75));
        assert_eq!(t.leader_probe_window(), ms(100));
        assert!(t.leader_probe_window() < t.leader_timeout());
        assert_eq!(t.resend_after(), ms(12) + Duration::from_micros(500));
        assert_eq!(t.miner_beat_every(), MINER_BEAT_MIN);
        assert_eq!(
            Timing::default().miner_beat_every(),
            ms(78) + Duration::from_micros(125)
        );
        assert_eq!(Timing::new(ms(10)).miner_beat_every(), ms(10));
        let waits: [Duration; 4] = core::array::from_fn(|i| backoff(ms(400), i as u32 + 1));
        assert_eq!(waits, [ms(100), ms(200), ms(400), ms(400)]);
    }

    #[test]
    fn a_miner_outlasts_the_coordinators_failover() {
        for hb in [10, 100, 200, 5_000, 600_000] {
            let t = Timing::new(ms(hb));
            assert!(t.leader_timeout() > t.peer_timeout(2));
        }
        assert_eq!(Timing::new(ms(100)).peer_timeout(0), ms(100));
    }
}
