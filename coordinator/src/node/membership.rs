//! Which coordinators are up, who leads, and the highest epoch seen.
//!
//! Leadership itself is `election::leader`, a pure function; this
//! keeps the view it is computed from. A node that has just started does not
//! count itself as up for one start-up grace period, so that it first hears
//! its peers (and the epoch they are in) instead of claiming leadership with
//! an epoch older than the cluster's.
//!
//! A peer is declared down only after it has been probed: in the last part
//! of its time-out (the probe window) it is sent a `HeartbeatRequest` every
//! `probe_every`, and any answer, like any message, counts as hearing it.
//! One lost heartbeat or two no longer look like a dead leader under loss,
//! and a dead one is still declared down after the same time-out.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use protocol::wire::LeaderView;
use protocol::{CoordinatorId, Epoch, Instant};

use super::election::{self, Member};

/// A peer coordinator.
#[derive(Clone, Copy, Debug)]
pub struct Peer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// When it was last heard from.
    pub last_heard: Option<Instant>,
    /// Its last reported view.
    pub view: Option<LeaderView>,
    /// When it was last probed.
    pub probed: Option<Instant>,
}

/// This node's view of the cluster.
#[derive(Clone, Debug)]
pub struct Membership {
    me: CoordinatorId,
    peers: BTreeMap<CoordinatorId, Peer>,
    timeout: Duration,
    ready_at: Instant,
    max_epoch: Epoch,
    probe_window: Duration,
    probe_every: Duration,
}

impl Membership {
    /// A view for node `me`, started at `now`; peers are down after
    /// `timeout` of silence; the node counts itself after `grace`.
    pub fn new(me: CoordinatorId, timeout: Duration, now: Instant, grace: Duration) -> Membership {
        Membership {
            me,
            peers: BTreeMap::new(),
            timeout,
            ready_at: now + grace,
            max_epoch: Epoch::default(),
            probe_window: Duration::ZERO,
            probe_every: Duration::MAX,
        }
    }

    /// Probes a silent peer every `every` during the last `window` of its
    /// time-out (a zero window: never).
    pub fn set_probing(&mut self, window: Duration, every: Duration) {
        self.probe_window = window.min(self.timeout);
        self.probe_every = every.max(Duration::from_millis(1));
    }

    /// This node's id.
    pub fn me(&self) -> CoordinatorId {
        self.me
    }

    /// Adds a peer (or moves it to a new address).
    pub fn add_peer(&mut self, id: CoordinatorId, addr: SocketAddr) {
        if id == self.me {
            return;
        }
        self.peers
            .entry(id)
            .and_modify(|p| p.addr = addr)
            .or_insert(Peer {
                addr,
                last_heard: None,
                view: None,
                probed: None,
            });
    }

    /// A peer spoke (any authenticated message).
    pub fn heard(
        &mut self,
        id: CoordinatorId,
        addr: SocketAddr,
        now: Instant,
        view: Option<LeaderView>,
    ) {
        if id == self.me {
            return;
        }
        self.add_peer(id, addr);
        if let Some(p) = self.peers.get_mut(&id) {
            p.last_heard = Some(now);
            if view.is_some() {
                p.view = view;
            }
        }
        if let Some(v) = view {
            self.saw_epoch(v.epoch);
        }
    }

    /// Records an epoch seen anywhere (peers, miners).
    pub fn saw_epoch(&mut self, epoch: Epoch) {
        self.max_epoch = self.max_epoch.max(epoch);
    }

    /// The highest epoch seen.
    pub fn max_epoch(&self) -> Epoch {
        self.max_epoch
    }

    /// Whether the start-up grace is over.
    pub fn ready(&self, now: Instant) -> bool {
        now >= self.ready_at
    }

    fn members(&self, now: Instant) -> Vec<Member> {
        let me = Member {
            id: self.me,
            last_heard: self.ready(now).then_some(now),
        };
        std::iter::once(me)
            .chain(self.peers.iter().map(|(&id, p)| Member {
                id,
                last_heard: p.last_heard,
            }))
            .collect()
    }

    /// Who leads at `now`: the lowest id that is up.
    pub fn leader(&self, now: Instant) -> Option<CoordinatorId> {
        election::leader(&self.members(now), now, self.timeout)
    }

    /// Whether peer `id` is up.
    pub fn is_up(&self, id: CoordinatorId, now: Instant) -> bool {
        self.peers.get(&id).is_some_and(|p| {
            election::is_up(
                &Member {
                    id,
                    last_heard: p.last_heard,
                },
                now,
                self.timeout,
            )
        })
    }

    /// The next instant at which the leader could change with no message
    /// arriving: the end of the grace, or a peer timing out.
    pub fn next_change(&self, now: Instant) -> Option<Instant> {
        let grace = (!self.ready(now)).then_some(self.ready_at);
        let timeouts = self
            .peers
            .values()
            .filter_map(|p| p.last_heard)
            .map(|t| t + self.timeout + Duration::from_millis(1))
            .filter(|&t| t > now);
        grace.into_iter().chain(timeouts).min()
    }

    /// The window in which `p` is probed: from when it is suspected to when
    /// it is down; a peer not heard yet, in the end of the start-up grace
    /// (so that one lost heartbeat does not make a starting node lead).
    fn probe_span(&self, p: &Peer) -> Option<(Instant, Instant)> {
        let end = match p.last_heard {
            Some(heard) => heard + self.timeout,
            None => self.ready_at,
        };
        (!self.probe_window.is_zero()).then_some((end - self.probe_window, end))
    }

    /// When `p` is next due a probe, if it is suspected or will be.
    fn probe_due(&self, p: &Peer) -> Option<Instant> {
        let (from, until) = self.probe_span(p)?;
        let due = match p.probed {
            // A probe sent since it was last heard sets the pace.
            Some(t) if t >= from => t + self.probe_every,
            _ => from,
        };
        (due <= until).then_some(due)
    }

    /// The peers due a probe at `now`, marked as probed.
    pub fn due_probes(&mut self, now: Instant) -> Vec<SocketAddr> {
        let due: Vec<CoordinatorId> = self
            .peers
            .iter()
            .filter(|(_, p)| self.probe_due(p).is_some_and(|t| t <= now))
            .map(|(&id, _)| id)
            .collect();
        due.into_iter()
            .filter_map(|id| {
                let p = self.peers.get_mut(&id)?;
                p.probed = Some(now);
                Some(p.addr)
            })
            .collect()
    }

    /// When the next probe is due.
    pub fn next_probe(&self) -> Option<Instant> {
        self.peers.values().filter_map(|p| self.probe_due(p)).min()
    }

    /// The peers.
    pub fn peers(&self) -> impl Iterator<Item = (CoordinatorId, &Peer)> {
        self.peers.iter().map(|(&id, p)| (id, p))
    }

    /// Where peer `id` listens.
    pub fn addr_of(&self, id: CoordinatorId) -> Option<SocketAddr> {
        self.peers.get(&id).map(|p| p.addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn waits_out_the_grace_then_leads_by_lowest_id() {
        let mut m = Membership::new(
            CoordinatorId(2),
            Duration::from_millis(300),
            t(0),
            Duration::from_millis(100),
        );
        m.add_peer(CoordinatorId(1), addr(1));
        m.add_peer(CoordinatorId(3), addr(3));
        assert_eq!(m.leader(t(50)), None, "in grace, nobody heard");
        assert_eq!(m.next_change(t(50)), Some(t(100)));
        assert_eq!(m.leader(t(100)), Some(CoordinatorId(2)));
        let view = LeaderView {
            epoch: Epoch(7),
            leader: Some(CoordinatorId(1)),
        };
        m.heard(CoordinatorId(1), addr(11), t(120), Some(view));
        assert_eq!(m.leader(t(130)), Some(CoordinatorId(1)));
        assert_eq!(m.max_epoch(), Epoch(7));
        assert_eq!(m.addr_of(CoordinatorId(1)), Some(addr(11)));
        // Silent for longer than the timeout: down.
        assert_eq!(m.next_change(t(130)), Some(t(421)));
        assert_eq!(m.leader(t(421)), Some(CoordinatorId(2)));
    }

    #[test]
    fn a_silent_peer_is_probed_in_the_last_part_of_its_time_out() {
        let mut m = Membership::new(
            CoordinatorId(2),
            Duration::from_millis(200),
            t(0),
            Duration::ZERO,
        );
        m.set_probing(Duration::from_millis(75), Duration::from_millis(25));
        m.add_peer(CoordinatorId(1), addr(1));
        // Never heard, no grace: probed once, to be heard sooner.
        assert_eq!(m.due_probes(t(0)), [addr(1)]);
        assert_eq!(m.next_probe(), None);
        m.heard(CoordinatorId(1), addr(1), t(100), None);
        assert_eq!(m.next_probe(), Some(t(225)));
        assert!(m.due_probes(t(224)).is_empty());
        assert_eq!(m.due_probes(t(225)), [addr(1)]);
        assert!(m.due_probes(t(226)).is_empty());
        assert_eq!(m.next_probe(), Some(t(250)));
        assert_eq!(m.due_probes(t(250)), [addr(1)]);
        assert_eq!(m.due_probes(t(275)), [addr(1)]);
        assert_eq!(m.next_probe(), Some(t(300)));
        assert_eq!(m.due_probes(t(300)), [addr(1)]);
        // Down now: no more probes (heartbeats go on as for any peer).
        assert_eq!(m.next_probe(), None);
        assert!(!m.is_up(CoordinatorId(1), t(301)));
        // Heard again: the window moves.
        m.heard(CoordinatorId(1), addr(1), t(310), None);
        assert!(m.is_up(CoordinatorId(1), t(311)));
        assert_eq!(m.next_probe(), Some(t(435)));
    }

    #[test]
    fn peers_not_heard_yet_are_probed_before_the_grace_ends() {
        let mut m = Membership::new(
            CoordinatorId(2),
            Duration::from_millis(200),
            t(0),
            Duration::from_millis(100),
        );
        m.set_probing(Duration::from_millis(75), Duration::from_millis(25));
        m.add_peer(CoordinatorId(1), addr(1));
        assert_eq!(m.next_probe(), Some(t(25)));
        assert_eq!(m.due_probes(t(25)), [addr(1)]);
        assert_eq!(m.due_probes(t(100)), [addr(1)]);
        assert_eq!(m.next_probe(), None);
    }

    #[test]
    fn self_is_never_a_peer() {
        let mut m = Membership::new(
            CoordinatorId(1),
            Duration::from_millis(300),
            t(0),
            Duration::ZERO,
        );
        m.heard(CoordinatorId(1), addr(1), t(1), None);
        assert_eq!(m.peers().count(), 0);
    }
}
