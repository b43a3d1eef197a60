//! Which coordinators are up, who leads, and the highest epoch seen.
//!
//! Leadership itself is `election::leader`, a pure function; this
//! keeps the view it is computed from. A node that has just started does not
//! count itself as up for one start-up grace period, so that it first hears
//! its peers (and the epoch they are in) instead of claiming leadership with
//! an epoch older than the cluster's.

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
}

/// This node's view of the cluster.
#[derive(Clone, Debug)]
pub struct Membership {
    me: CoordinatorId,
    peers: BTreeMap<CoordinatorId, Peer>,
    timeout: Duration,
    ready_at: Instant,
    max_epoch: Epoch,
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
        }
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
