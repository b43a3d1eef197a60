//! Where miner time goes: each millisecond of each miner is put down to
//! one cause, read from the state of the miner and of the acting leader and
//! from the fate of the datagrams the fault layer decided.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;

use protocol::wire::Message;
use protocol::{JobRef, NonceRange};

use super::net::{Datagram, Net};

/// What a miner did with a millisecond.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Cause {
    /// Hashing the acting leader's current job.
    Useful,
    /// Hashing the current job after a miner has solved it: the solution
    /// has not reached the leader yet.
    Unreported,
    /// Hashing again a range the miner has already answered.
    Rescan,
    /// Hashing a job that is over (its interrupt, or news of the newer job,
    /// has not reached the miner).
    StaleJob,
    /// No coordinator leads (failover), or the leader is between jobs
    /// (fetching a template, submitting a block).
    NoJob,
    /// The miner follows nobody, or a leader or epoch other than the
    /// acting leader's.
    WrongLeader,
    /// The leader holds a lease for the miner whose `Process` was lost.
    LostProcess,
    /// The leader holds a lease whose answer was lost: it waits for expiry.
    LostAnswer,
    /// The leader holds a lease whose `Process` or answer is in flight.
    InFlight,
    /// Nothing leased; the miner's last request for work was lost.
    LostRequest,
    /// Nothing leased; its last request arrived (or none was due yet).
    Waiting,
}

/// Milliseconds per cause, summed over miners.
#[derive(Debug, Default)]
pub(super) struct IdleLog {
    current: Vec<Option<Cause>>,
    pub ms: BTreeMap<Cause, u64>,
}

impl IdleLog {
    pub fn busy(current: bool, solved: bool, answered: bool) -> Cause {
        match (current, solved, answered) {
            (false, _, _) => Cause::StaleJob,
            (true, true, _) => Cause::Unreported,
            (true, false, true) => Cause::Rescan,
            (true, false, false) => Cause::Useful,
        }
    }

    /// Miner `i` is doing `cause` until the clock next moves.
    pub fn set(&mut self, i: usize, cause: Cause) {
        if self.current.len() <= i {
            self.current.resize(i + 1, None);
        }
        self.current[i] = Some(cause);
    }

    /// The clock moves by `ms`.
    pub fn elapse(&mut self, ms: u64) {
        for c in self.current.iter().flatten() {
            *self.ms.entry(*c).or_default() += ms;
        }
    }

    pub fn total(&self) -> u64 {
        self.ms.values().sum()
    }

    /// One line: the share of miner time per cause.
    pub fn summary(&self) -> String {
        let total = self.total().max(1) as f64;
        self.ms
            .iter()
            .map(|(c, ms)| format!("{c:?} {:.1}%", 100.0 * *ms as f64 / total))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Which leases and answers the fault layer lost (a later copy that
/// arrives clears the mark).
#[derive(Debug, Default)]
pub(super) struct Fates {
    lost_process: HashSet<(SocketAddr, JobRef, NonceRange)>,
    lost_answer: HashSet<(JobRef, NonceRange)>,
    request_lost: HashMap<SocketAddr, bool>,
    /// Ranges each miner has answered.
    answered: HashMap<SocketAddr, Vec<(JobRef, NonceRange)>>,
}

impl Fates {
    pub fn record(&mut self, d: &Datagram, lost: bool) {
        fn mark<K: Eq + std::hash::Hash>(set: &mut HashSet<K>, key: K, lost: bool) {
            if lost {
                set.insert(key);
            } else {
                set.remove(&key);
            }
        }
        match d.message {
            Message::Process(p) => mark(&mut self.lost_process, (d.to, p.job, p.range), lost),
            Message::ProcessAnswerNo(a) => {
                let job = a.job;
                mark(&mut self.lost_answer, (job, a.range), lost);
                let answered = self.answered.entry(d.from).or_default();
                if !answered.contains(&(job, a.range)) {
                    answered.push((job, a.range));
                }
            }
            Message::ProcessAnswerYes(a) => mark(&mut self.lost_answer, (a.job, a.range), lost),
            Message::HeartbeatReply(r) if r.request.is_some() => {
                self.request_lost.insert(d.from, lost);
            }
            _ => {}
        }
    }

    /// Whether the miner at `addr` has answered the range `step` is part of.
    pub fn answered(&self, addr: SocketAddr, job: JobRef, step: NonceRange) -> bool {
        self.answered.get(&addr).is_some_and(|v| {
            v.iter()
                .any(|(j, r)| *j == job && r.first() <= step.first() && step.last() <= r.last())
        })
    }

    /// Why miner `i`, which has nothing to scan, is idle.
    pub fn classify(&self, net: &Net, i: usize) -> Cause {
        let (addr, miner) = &net.miners[i];
        let Some(leader) = net.acting_leader() else {
            return Cause::NoJob;
        };
        let followed = miner.followed().map(|f| (f.id, f.epoch));
        if followed != leader.leading.map(|e| (leader.config().id, e)) {
            return Cause::WrongLeader;
        }
        let Some(job) = leader.current_job() else {
            return Cause::NoJob;
        };
        let held: Vec<_> = job.leases().filter(|l| l.miner == miner.id()).collect();
        if held.is_empty() {
            return if self.request_lost.get(addr).copied().unwrap_or(false) {
                Cause::LostRequest
            } else {
                Cause::Waiting
            };
        }
        let key = |r| (*addr, job.job_ref, r);
        if held
            .iter()
            .any(|l| self.lost_process.contains(&key(l.range)))
        {
            Cause::LostProcess
        } else if held
            .iter()
            .any(|l| self.lost_answer.contains(&(job.job_ref, l.range)))
        {
            Cause::LostAnswer
        } else {
            Cause::InFlight
        }
    }
}
