//! Leadership as a pure function of a membership view: the lowest id that is
//! up leads. Every coordinator evaluates it each heartbeat interval over what
//! it has heard; with the same view they agree, and epochs (carried in every
//! work message) settle the moments when their views differ.

use std::time::Duration;

use protocol::{CoordinatorId, Instant};

/// One coordinator as seen by another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// Its id.
    pub id: CoordinatorId,
    /// When it was last heard from (for the viewer itself: now). `None`
    /// if never.
    pub last_heard: Option<Instant>,
}

/// Whether `member` is up at `now`: heard within `timeout` (typically the
/// heartbeat interval times the number of intervals a peer may miss).
pub fn is_up(member: &Member, now: Instant, timeout: Duration) -> bool {
    member
        .last_heard
        .is_some_and(|t| now.saturating_since(t) <= timeout)
}

/// The members that are up at `now`.
pub fn up_members(
    members: &[Member],
    now: Instant,
    timeout: Duration,
) -> impl Iterator<Item = CoordinatorId> + '_ {
    members
        .iter()
        .filter(move |m| is_up(m, now, timeout))
        .map(|m| m.id)
}

/// The leader at `now`: the lowest id that is up, or `None` if none is.
pub fn leader(members: &[Member], now: Instant, timeout: Duration) -> Option<CoordinatorId> {
    up_members(members, now, timeout).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: u16, heard: Option<u64>) -> Member {
        Member {
            id: CoordinatorId(id),
            last_heard: heard.map(Instant::from_millis),
        }
    }

    const T: Duration = Duration::from_millis(300);

    #[test]
    fn lowest_id_that_is_up_leads() {
        let now = Instant::from_millis(1000);
        let view = [m(3, Some(1000)), m(1, Some(650)), m(2, Some(900))];
        // 1 was last heard 350 ms ago: down.
        assert_eq!(leader(&view, now, T), Some(CoordinatorId(2)));
        let view = [m(3, Some(1000)), m(1, Some(700)), m(2, None)];
        assert_eq!(leader(&view, now, T), Some(CoordinatorId(1)));
        let up: Vec<_> = up_members(&view, now, T).collect();
        assert_eq!(up.as_slice(), &[CoordinatorId(3), CoordinatorId(1)]);
    }

    #[test]
    fn nobody_up_means_no_leader() {
        assert_eq!(leader(&[], Instant::ZERO, T), None);
        assert_eq!(leader(&[m(1, None)], Instant::ZERO, T), None);
    }

    #[test]
    fn a_clock_behind_the_last_heard_time_counts_as_up() {
        // A timestamp from later than `now` (clock handed in out of order)
        // is treated as just heard, not as an underflow.
        assert!(is_up(&m(1, Some(2000)), Instant::from_millis(1000), T));
    }
}
