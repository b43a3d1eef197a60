//! The miners a coordinator knows: where they are, how fast they are, what
//! they want, and whether their claims can be trusted.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use protocol::wire::{MinerKind, MinerState};
use protocol::{Instant, JobRef, MinerId};
use serde::Serialize;

/// One miner.
#[derive(Clone, Debug)]
pub struct MinerEntry {
    /// Its last source address.
    pub addr: SocketAddr,
    /// When it was last heard from.
    pub last_heard: Instant,
    /// Hashes per second it reports.
    pub hashrate: u32,
    /// Its reports averaged over about [`RATE_AVERAGE`] (exponentially
    /// weighted by time), hashes per second.
    pub hashrate_avg: f64,
    /// When `hashrate_avg` last took in a report, if ever.
    pub rate_at: Option<Instant>,
    /// What it runs on, once it said.
    pub kind: Option<MinerKind>,
    /// What it reports doing.
    pub state: MinerState,
    /// Assignments it asked for and has not been given.
    pub wanted: u8,
    /// Answers whose checks failed.
    pub failed_claims: u32,
    /// Ignored because of failed claims.
    pub banned: bool,
    /// Ranges answered and verified.
    pub ranges_done: u64,
    /// Verified solutions.
    pub solutions: u64,
    /// An interrupt it has not acknowledged yet.
    pub interrupt: Option<PendingInterrupt>,
}

/// An interrupt sent to a miner that was mining the job, re-sent until the
/// miner reports that it stopped (any status not mining that job or an
/// older one), at most [`INTERRUPT_RESENDS`] times.
#[derive(Clone, Copy, Debug)]
pub struct PendingInterrupt {
    /// The job interrupted.
    pub job: JobRef,
    /// When to send it again.
    pub next: Instant,
    /// Times sent again so far.
    pub resent: u8,
}

/// Times an unacknowledged interrupt is sent again; after that the
/// miner's next status (each heartbeat) still gets it again.
pub const INTERRUPT_RESENDS: u8 = 8;

/// The time constant of a miner's averaged rate.
pub const RATE_AVERAGE: Duration = Duration::from_secs(300);

impl MinerEntry {
    /// Takes in the rate the miner reports at `now`: the rate now, and the
    /// average, whose first value is the first report.
    pub fn report_rate(&mut self, now: Instant, hashrate: u32) {
        let weight = self.rate_at.map_or(1.0, |then| {
            let dt = now.saturating_since(then).as_secs_f64();
            1.0 - (-dt / RATE_AVERAGE.as_secs_f64()).exp()
        });
        self.hashrate_avg += weight * (f64::from(hashrate) - self.hashrate_avg);
        self.hashrate = hashrate;
        self.rate_at = Some(now);
    }

    /// Takes in the state the miner reports; a miner no longer mining an
    /// interrupted job has acknowledged the interrupt.
    pub fn report(&mut self, state: MinerState) {
        self.state = state;
        if let Some(p) = self.interrupt
            && !matches!(state, MinerState::Mining(j) if j <= p.job)
        {
            self.interrupt = None;
        }
    }
}

/// A miner as shown in the status.
#[derive(Clone, Debug, Serialize)]
pub struct MinerSummary {
    /// Its id.
    pub id: u32,
    /// Its address.
    pub addr: String,
    /// `host` or `board` (`unknown` until it says).
    pub kind: &'static str,
    /// The model: `host`, `RP2040`, `RP2350`...
    pub model: &'static str,
    /// Reported hashes per second.
    pub hashrate: u32,
    /// Reports averaged over about five minutes, hashes per second.
    pub hashrate_avg: u64,
    /// Milliseconds since it was last heard.
    pub last_heard_ms: u64,
    /// Reported state.
    pub state: String,
    /// Leases it holds in the current job.
    pub leases: usize,
    /// Ranges answered and verified.
    pub ranges_done: u64,
    /// Verified solutions.
    pub solutions: u64,
    /// Answers whose checks failed.
    pub failed_claims: u32,
    /// Whether it is ignored.
    pub banned: bool,
}

/// All known miners.
#[derive(Clone, Debug, Default)]
pub struct MinerBook {
    miners: BTreeMap<MinerId, MinerEntry>,
    /// Failed claims by miner, kept when a silent miner is forgotten, so a
    /// liar cannot wipe its record by pausing.
    strikes: BTreeMap<MinerId, u32>,
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
            }
        }
    }

    /// The interrupts due again at `now` (where, which job); the next is
    /// scheduled `every` later.
    pub fn due_interrupts(&mut self, now: Instant, every: Duration) -> Vec<(SocketAddr, JobRef)> {
        let mut due = Vec::new();
        for e in self.miners.values_mut().filter(|e| !e.banned) {
            let Some(p) = e.interrupt.as_mut().filter(|p| p.next <= now) else {
                continue;
            };
            due.push((e.addr, p.job));
            p.resent += 1;
            p.next = now + every;
            if p.resent >= INTERRUPT_RESENDS {
                e.interrupt = None;
            }
        }
        due
    }

    /// When an interrupt is next due again.
    pub fn next_interrupt(&self) -> Option<Instant> {
        self.active()
            .filter_map(|(_, e)| e.interrupt.map(|p| p.next))
            .min()
    }

    /// Sum of reported hash rates of active miners.
    pub fn total_hashrate(&self) -> u64 {
        self.active().map(|(_, e)| u64::from(e.hashrate)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupts_are_sent_again_until_the_miner_reports_it_stopped() {
        let mut book = MinerBook::default();
        let a: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let job = |j| JobRef {
            epoch: protocol::Epoch(1),
            job: protocol::JobId(j),
        };
        book.heard(MinerId(1), a, Instant::ZERO)
            .report(MinerState::Mining(job(3)));
        book.heard(MinerId(2), a, Instant::ZERO)
            .report(MinerState::Idle);
        book.interrupted(job(3), Instant::from_millis(10));
        assert!(
            book.get(MinerId(2)).unwrap().interrupt.is_none(),
            "idle: nothing to stop"
        );
        assert_eq!(book.next_interrupt(), Some(Instant::from_millis(10)));
        assert!(
            book.due_interrupts(Instant::from_millis(9), Duration::from_millis(10))
                .is_empty()
        );
        assert_eq!(
            book.due_interrupts(Instant::from_millis(10), Duration::from_millis(10)),
            [(a, job(3))]
        );
        assert_eq!(book.next_interrupt(), Some(Instant::from_millis(20)));
        // Still mining it: not acknowledged. Mining a newer job: it stopped.
        let e = book.get_mut(MinerId(1)).unwrap();
        e.report(MinerState::Mining(job(3)));
        assert!(e.interrupt.is_some());
        e.report(MinerState::Mining(job(4)));
        assert!(e.interrupt.is_none());
        assert_eq!(book.next_interrupt(), None);
        // Never acknowledged: given up after INTERRUPT_RESENDS.
        book.get_mut(MinerId(1))
            .unwrap()
            .report(MinerState::Mining(job(5)));
        book.interrupted(job(5), Instant::ZERO);
        let sent: usize = (0..20)
            .map(|t| {
                book.due_interrupts(Instant::from_millis(t * 10), Duration::from_millis(10))
                    .len()
            })
            .sum();
        assert_eq!(sent, usize::from(INTERRUPT_RESENDS));
    }

    #[test]
    fn the_averaged_rate_starts_at_the_first_report_and_follows_slowly() {
        let mut book = MinerBook::default();
        let a: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let e = book.heard(MinerId(1), a, Instant::ZERO);
        e.report_rate(Instant::from_millis(1000), 1_000);
        assert_eq!(e.hashrate_avg, 1_000.0);
        // One time constant at twice the rate: 1 - 1/e of the way there.
        e.report_rate(Instant::from_millis(1000) + RATE_AVERAGE, 2_000);
        assert_eq!(e.hashrate, 2_000);
        assert!((e.hashrate_avg - 1_632.1).abs() < 1.0, "{}", e.hashrate_avg);
        // Reports at the same instant do not move it.
        let before = e.hashrate_avg;
        e.report_rate(Instant::from_millis(1000) + RATE_AVERAGE, 0);
        assert_eq!(e.hashrate_avg, before);
    }

    #[test]
    fn bans_after_the_threshold_and_forgets_the_silent() {
        let mut book = MinerBook::default();
        let a: SocketAddr = "127.0.0.1:9".parse().unwrap();
        book.heard(MinerId(1), a, Instant::ZERO);
        book.heard(MinerId(2), a, Instant::from_millis(500));
        assert!(!book.failed_claim(MinerId(1), 2));
        assert!(book.failed_claim(MinerId(1), 2));
        assert!(!book.failed_claim(MinerId(1), 2), "banned once");
        assert_eq!(book.active().count(), 1);
        // Banned miners are remembered, so they stay banned.
        let gone = book.forget_silent(Instant::from_millis(1000), Duration::from_millis(600));
        assert!(gone.is_empty());
        let gone = book.forget_silent(Instant::from_millis(1200), Duration::from_millis(600));
        assert_eq!(gone, vec![MinerId(2)]);
        assert!(book.get(MinerId(1)).unwrap().banned);
        // A miner's strikes survive it being forgotten while silent.
        book.heard(MinerId(3), a, Instant::from_millis(1000));
        book.failed_claim(MinerId(3), 2);
        book.forget_silent(Instant::from_millis(2000), Duration::from_millis(600));
        assert!(book.get(MinerId(3)).is_none());
        assert_eq!(
            book.heard(MinerId(3), a, Instant::from_millis(2001))
                .failed_claims,
            1
        );
        assert!(
            book.failed_claim(MinerId(3), 2),
            "the second strike bans it"
        );
    }
}
