//! The quorum a leader waits for before it mines: at least N miners
//! registered and N coordinators up (`run --min-miners`,
//! `--min-coordinators`). Below it, a leader holds its template and starts
//! no job; a job already running hands out no new leases (the leases out
//! are honoured, their answers taken), and leasing resumes as soon as the
//! count is back.
//!
//! A miner counts once it is in the miner book (it has sent a status in
//! the last `miner_timeout`), is not banned and does not report a fault; a
//! coordinator counts while it is up (this node itself, once its start-up
//! grace is over). The defaults, one of each, are met as soon as one miner
//! registers: the leader then behaves as it always has.

use protocol::CoordinatorId;
use protocol::wire::MinerState;
use serde::Serialize;

use super::{Node, NodeEvent, Now, Work};

/// What a leader waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quorum {
    /// Miners registered.
    pub miners: u32,
    /// Coordinators up, the leader included.
    pub coordinators: u16,
}

impl Default for Quorum {
    fn default() -> Quorum {
        Quorum {
            miners: 1,
            coordinators: 1,
        }
    }
}

/// The quorum as this node sees it: the `quorum` object of the status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct QuorumStatus {
    /// Miners needed.
    pub min_miners: u32,
    /// Miners registered now.
    pub miners: u32,
    /// Coordinators needed (the leader included).
    pub min_coordinators: u16,
    /// The coordinators up now, this one included, lowest id first.
    pub coordinators_up: Vec<u16>,
    /// The peers known but not up: whom a short quorum waits for.
    pub coordinators_down: Vec<u16>,
    /// Whether both counts are reached.
    pub met: bool,
    /// While not met: what is missing, in words, for the log and the
    /// dashboard (`"2 more miners (8 of 10 registered)"`).
    pub waiting_for: Option<String>,
}

impl Quorum {
    /// The status for `miners` registered miners, the coordinators `up`
    /// (this one included) and the known peers `down`.
    pub fn evaluate(
        &self,
        miners: u32,
        mut up: Vec<CoordinatorId>,
        mut down: Vec<CoordinatorId>,
    ) -> QuorumStatus {
        up.sort();
        down.sort();
        let coordinators = u16::try_from(up.len()).unwrap_or(u16::MAX);
        let mut missing = Vec::new();
        if miners < self.miners {
            let more = self.miners - miners;
            missing.push(format!(
                "{more} more miner{} ({miners} of {} registered)",
                plural(u64::from(more)),
                self.miners
            ));
        }
        if coordinators < self.coordinators {
            let more = self.coordinators - coordinators;
            let whom = if down.is_empty() {
                "none known is down: add peers".to_owned()
            } else {
                format!("down: {}", ids(&down))
            };
            missing.push(format!(
                "{more} more coordinator{} (up: {}; {whom})",
                plural(u64::from(more)),
                ids(&up),
            ));
        }
        QuorumStatus {
            min_miners: self.miners,
            miners,
            min_coordinators: self.coordinators,
            coordinators_up: up.iter().map(|c| c.0).collect(),
            coordinators_down: down.iter().map(|c| c.0).collect(),
            met: missing.is_empty(),
            waiting_for: (!missing.is_empty()).then(|| missing.join(" and ")),
        }
    }
}

/// How the miners' count changed since the quorum was last counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Count {
    /// Not at all (only coordinators may have come or gone).
    Same,
    /// One more miner registered.
    Joined,
    /// Anything else (miners forgotten or banned, a fault reported): count
    /// the book again. Every heartbeat tick does, so the count is never
    /// more than an interval behind a ban.
    Recount,
}

impl Node {
    /// Counts the quorum again. A leader says when what it waits for
    /// changes, starts the job it holds once the quorum is reached, and
    /// serves the requests it kept while leasing was paused.
    pub(super) fn refresh_quorum(&mut self, now: Now, count: Count) {
        let miners = match count {
            Count::Same => self.quorum.miners,
            Count::Joined => self.quorum.miners.saturating_add(1),
            Count::Recount => {
                let registered = self
                    .miners
                    .active()
                    .filter(|(_, e)| !matches!(e.state, MinerState::Faulty(_)))
                    .count();
                u32::try_from(registered).unwrap_or(u32::MAX)
            }
        };
        let mut up = Vec::new();
        let mut down = Vec::new();
        if self.members.ready(now.mono) {
            up.push(self.cfg.id);
        }
        for (id, _) in self.members.peers() {
            if self.members.is_up(id, now.mono) {
                up.push(id);
            } else {
                down.push(id);
            }
        }
        let was_met = self.quorum.met;
        self.quorum = self.cfg.quorum.evaluate(miners, up, down);
        if self.leading.is_none() {
            return;
        }
        let said = self.quorum.waiting_for.clone();
        if said != self.quorum_said {
            match &said {
                Some(waiting_for) => self.event(NodeEvent::QuorumWaiting {
                    waiting_for: waiting_for.clone(),
                }),
                None => self.event(NodeEvent::QuorumMet {
                    miners: self.quorum.miners,
                    coordinators: u16::try_from(self.quorum.coordinators_up.len())
                        .unwrap_or(u16::MAX),
                }),
            }
            self.quorum_said = said;
        }
        if self.quorum.met && !was_met {
            self.resume(now);
        }
    }

    /// The quorum is back: start the job held for it, or lease again.
    fn resume(&mut self, now: Now) {
        match &self.work {
            Work::Waiting { template, .. } => {
                let template = *template;
                self.start_job(now, template);
            }
            Work::Mining { .. } => {
                for miner in self.miners.wanting() {
                    self.serve(now.mono, miner);
                }
            }
            _ => {}
        }
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn ids(list: &[CoordinatorId]) -> String {
    if list.is_empty() {
        return "none".into();
    }
    list.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(ids: &[u16]) -> Vec<CoordinatorId> {
        ids.iter().map(|&i| CoordinatorId(i)).collect()
    }

    #[test]
    fn names_what_is_missing_and_whom_it_waits_for() {
        let q = Quorum {
            miners: 10,
            coordinators: 3,
        };
        let s = q.evaluate(8, c(&[2, 1]), c(&[3]));
        assert!(!s.met);
        assert_eq!(s.coordinators_up, [1, 2]);
        assert_eq!(
            s.waiting_for.as_deref(),
            Some(
                "2 more miners (8 of 10 registered) and 1 more coordinator (up: c1, c2; down: c3)"
            )
        );
        let s = q.evaluate(10, c(&[1, 2, 3]), vec![]);
        assert!(s.met);
        assert_eq!(s.waiting_for, None);
        let s = q.evaluate(11, c(&[1]), vec![]);
        assert_eq!(
            s.waiting_for.as_deref(),
            Some("2 more coordinators (up: c1; none known is down: add peers)")
        );
    }

    #[test]
    fn the_default_is_one_miner_and_the_leader_itself() {
        let q = Quorum::default();
        assert!(q.evaluate(1, c(&[1]), c(&[2])).met);
        let s = q.evaluate(0, c(&[1]), vec![]);
        assert_eq!(
            s.waiting_for.as_deref(),
            Some("1 more miner (0 of 1 registered)")
        );
    }
}
