//! The miners a coordinator knows: where they are, how fast they are, what
//! they want, and whether their claims can be trusted.

mod entry;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use protocol::wire::MinerState;
use protocol::{Instant, JobRef, MinerId};

pub use entry::{INTERRUPT_RESENDS, MinerEntry, MinerSummary, PendingInterrupt};

/// All known miners.
#[derive(Clone, Debug, Default)]
pub struct MinerBook {
    miners: BTreeMap<MinerId, MinerEntry>,
    /// Failed claims by miner, kept when a silent miner is forgotten, so a
    /// liar cannot wipe its record by pausing.
    strikes: BTreeMap<MinerId, u32>,
    /// No interrupt is due again before this (none pending: `None`). It
    /// may be early, never late: an acknowledgement does not move it, and
    /// the next [`MinerBook::due_interrupts`] sets it exactly. So the
    /// leader's time-out never scans every miner.
    next_interrupt: Option<Instant>,
}

impl MinerBook {
    /// Records that `id` spoke from `addr`, creating its entry if new.
    pub fn heard(&mut self, id: MinerId, addr: SocketAddr, now: Instant) -> &mut MinerEntry {
        let strikes = self.strikes.get(&id).copied().unwrap_or(0);
        let e = self.miners.entry(id).or_insert(MinerEntry {
            addr,
            last_heard: now,
            hashrate: 0,
            hashrate_avg: 0.0,
            rate_at: None,
            kind: None,
            state: MinerState::Idle,
            wanted: 0,
            failed_claims: strikes,
            banned: false,
            ranges_done: 0,
            solutions: 0,
            interrupt: None,
        });
        e.addr = addr;
        e.last_heard = now;
        e
    }

    /// The entry of `id`.
    pub fn get(&self, id: MinerId) -> Option<&MinerEntry> {
        self.miners.get(&id)
    }

    /// The entry of `id`, mutable.
    pub fn get_mut(&mut self, id: MinerId) -> Option<&mut MinerEntry> {
        self.miners.get_mut(&id)
    }

    /// Counts a failed claim; returns true if this bans the miner.
    pub fn failed_claim(&mut self, id: MinerId, ban_after: u32) -> bool {
        let Some(e) = self.miners.get_mut(&id) else {
            return false;
        };
        e.failed_claims += 1;
        self.strikes.insert(id, e.failed_claims);
        if !e.banned && e.failed_claims >= ban_after {
            e.banned = true;
            return true;
        }
        false
    }

    /// Forgets miners silent for longer than `timeout`; returns their ids.
    pub fn forget_silent(&mut self, now: Instant, timeout: Duration) -> Vec<MinerId> {
        let gone: Vec<MinerId> = self
            .miners
            .iter()
            .filter(|(_, e)| now.saturating_since(e.last_heard) > timeout && !e.banned)
            .map(|(&id, _)| id)
            .collect();
        for id in &gone {
            self.miners.remove(id);
        }
        gone
    }

    /// Miners known, banned ones included.
    pub fn len(&self) -> usize {
        self.miners.len()
    }

    /// Whether no miner is known.
    pub fn is_empty(&self) -> bool {
        self.miners.is_empty()
    }

    /// Up to `n` active miners after `cursor` in id order, wrapping around
    /// (each at most once), and the last of them: the next slice of a walk
    /// through every miner.
    pub fn slice_after(
        &self,
        cursor: Option<MinerId>,
        n: usize,
    ) -> (Vec<SocketAddr>, Option<MinerId>) {
        use std::ops::Bound::{Excluded, Unbounded};
        let after = cursor.map_or(Unbounded, Excluded);
        let upto = cursor.map_or(Unbounded, std::ops::Bound::Included);
        let mut last = cursor;
        let addrs = self
            .miners
            .range((after, Unbounded))
            .chain(self.miners.range((Unbounded, upto)))
            .filter(|(_, e)| !e.banned)
            .take(n)
            .map(|(&id, e)| {
                last = Some(id);
                e.addr
            })
            .collect();
        (addrs, last)
    }

    /// Miners not banned.
    pub fn active(&self) -> impl Iterator<Item = (MinerId, &MinerEntry)> {
        self.miners
            .iter()
            .filter(|(_, e)| !e.banned)
            .map(|(&id, e)| (id, e))
    }

    /// Every miner.
    pub fn all(&self) -> impl Iterator<Item = (MinerId, &MinerEntry)> {
        self.miners.iter().map(|(&id, e)| (id, e))
    }

    /// Miners that want work, lowest id first.
    pub fn wanting(&self) -> Vec<MinerId> {
        self.active()
            .filter(|(_, e)| e.wanted > 0)
            .map(|(id, _)| id)
            .collect()
    }

    /// Notes that `job` was interrupted at every active miner, to be sent
    /// again at `next` to those last seen mining it.
    pub fn interrupted(&mut self, job: JobRef, next: Instant) {
        for e in self.miners.values_mut().filter(|e| !e.banned) {
            if matches!(e.state, MinerState::Mining(j) if j <= job) {
                e.interrupt = Some(PendingInterrupt {
                    job,
                    next,
                    resent: 0,
                });
                self.next_interrupt = Some(self.next_interrupt.map_or(next, |t| t.min(next)));
            }
        }
    }

    /// The interrupts due again at `now` (where, which job); the next is
    /// scheduled `every` later.
    pub fn due_interrupts(&mut self, now: Instant, every: Duration) -> Vec<(SocketAddr, JobRef)> {
        let mut due = Vec::new();
        if self.next_interrupt.is_none_or(|t| t > now) {
            return due;
        }
        let mut next: Option<Instant> = None;
        for e in self.miners.values_mut().filter(|e| !e.banned) {
            let Some(p) = e.interrupt.as_mut() else {
                continue;
            };
            if p.next <= now {
                due.push((e.addr, p.job));
                p.resent += 1;
                p.next = now + every;
                if p.resent >= INTERRUPT_RESENDS {
                    e.interrupt = None;
                    continue;
                }
            }
            next = Some(next.map_or(p.next, |t| t.min(p.next)));
        }
        self.next_interrupt = next;
        due
    }

    /// When an interrupt may next be due again (perhaps none is, then: an
    /// acknowledgement does not move this).
    pub fn next_interrupt(&self) -> Option<Instant> {
        self.next_interrupt
    }

    /// Sum of reported hash rates of active miners.
    pub fn total_hashrate(&self) -> u64 {
        self.active().map(|(_, e)| u64::from(e.hashrate)).sum()
    }
}

#[cfg(test)]
mod tests;
