//! Which coordinators a miner knows, and which one it follows.

use core::time::Duration;

use heapless::Vec;

use super::MAX_COORDINATORS;
use crate::ids::{CoordinatorId, Epoch};
use crate::time::Instant;
use crate::wire::{LeaderView, WireAddr};

/// A coordinator address, and its id once it has spoken.
#[derive(Clone, Copy, Debug)]
struct Known {
    addr: WireAddr,
    id: Option<CoordinatorId>,
}

/// The leader a miner follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Followed {
    /// Its id.
    pub id: CoordinatorId,
    /// Where to send to it.
    pub addr: WireAddr,
    /// The epoch it leads in.
    pub epoch: Epoch,
    /// When it was last heard from.
    pub last_heard: Instant,
}

/// The miner's knowledge of coordinators and leadership.
#[derive(Clone, Debug)]
pub struct LeaderLink {
    known: Vec<Known, MAX_COORDINATORS>,
    leader: Option<Followed>,
    /// The highest epoch seen while following someone.
    epoch: Epoch,
}

impl LeaderLink {
    pub(super) fn new(addrs: &[WireAddr]) -> LeaderLink {
        let mut known = Vec::new();
        for &addr in addrs {
            if !known.iter().any(|k: &Known| k.addr == addr) {
                let _ = known.push(Known { addr, id: None });
            }
        }
        LeaderLink {
            known,
            leader: None,
            epoch: Epoch::default(),
        }
    }

    /// The leader followed.
    pub fn leader(&self) -> Option<Followed> {
        self.leader
    }

    /// The view reported in heartbeats and discovery.
    pub fn view(&self) -> LeaderView {
        LeaderView {
            epoch: self.epoch,
            leader: self.leader.map(|l| l.id),
        }
    }

    /// Known coordinator addresses.
    pub(super) fn addresses(&self) -> Vec<WireAddr, MAX_COORDINATORS> {
        self.known.iter().map(|k| k.addr).collect()
    }

    /// Adds an address whose coordinator id is not known yet.
    pub(super) fn add(&mut self, addr: WireAddr) {
        if !self.known.iter().any(|k| k.addr == addr) {
            let _ = self.known.push(Known { addr, id: None });
        }
    }

    /// Records that coordinator `id` speaks from `addr` (first address wins;
    /// a full table keeps what it has).
    pub(super) fn learn(&mut self, addr: WireAddr, id: CoordinatorId) {
        if let Some(k) = self.known.iter_mut().find(|k| k.addr == addr) {
            k.id = Some(id);
        } else if !self.known.iter().any(|k| k.id == Some(id)) {
            let _ = self.known.push(Known { addr, id: Some(id) });
        }
    }

    /// Notes that `id` was heard at `now`.
    pub(super) fn heard(&mut self, id: CoordinatorId, now: Instant) {
        if let Some(l) = self.leader.as_mut().filter(|l| l.id == id) {
            l.last_heard = now;
        }
    }

    /// Whether a claim that `id` leads in `epoch` beats what is followed:
    /// anything beats no leader; otherwise a newer epoch, or the same epoch
    /// and a lower id (lowest id leads), or the same leader at an epoch at
    /// least as new.
    pub(super) fn accepts(&self, id: CoordinatorId, epoch: Epoch) -> bool {
        match self.leader {
            None => true,
            Some(cur) if cur.id == id => epoch >= cur.epoch,
            Some(cur) => epoch > cur.epoch || (epoch == cur.epoch && id < cur.id),
        }
    }

    /// Follows `id` at `addr` in `epoch` if the claim is accepted. Returns
    /// whether the leader or its epoch changed.
    pub(super) fn claim(
        &mut self,
        now: Instant,
        id: CoordinatorId,
        addr: WireAddr,
        epoch: Epoch,
    ) -> bool {
        if !self.accepts(id, epoch) {
            return false;
        }
        let changed = self.leader.is_none_or(|l| l.id != id || l.epoch != epoch);
        self.leader = Some(Followed {
            id,
            addr,
            epoch,
            last_heard: now,
        });
        self.epoch = epoch;
        self.learn(addr, id);
        changed
    }

    /// When the leader will be taken for dead, if nothing is heard.
    pub(super) fn deadline(&self, timeout: Duration) -> Option<Instant> {
        self.leader.map(|l| l.last_heard + timeout)
    }

    /// Forgets a leader silent for longer than `timeout`. Returns whether it
    /// did.
    pub(super) fn expire(&mut self, now: Instant, timeout: Duration) -> bool {
        if self
            .leader
            .is_some_and(|l| now.saturating_since(l.last_heard) > timeout)
        {
            self.leader = None;
            true
        } else {
            false
        }
    }
}
