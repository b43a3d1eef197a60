//! One vote on one solution, as the leader holds it: whom it asked, what
//! each answered, when to ask again, and the counting rule.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use protocol::wire::{Vote, VoteRequest};
use protocol::{CoordinatorId, Hash256, Instant, MinerId};

use crate::node::Job;

/// How a vote ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// A strict majority said yes: submit.
    Submit,
    /// A strict majority said no: drop the solution. When the `bad_work`
    /// answers alone are a majority the miner's claim failed, and it is
    /// counted against it; other refusals (a stale job, another header)
    /// say the leader is behind, not that the miner lied.
    Reject {
        /// Whether it counts as a failed claim of the miner.
        miner_at_fault: bool,
    },
    /// Neither side has a strict majority once the silent are counted out
    /// (a tie): drop the solution, blame nobody.
    Undecided,
}

impl Decision {
    /// A short name for logs and the status.
    pub fn name(self) -> &'static str {
        match self {
            Decision::Submit => "submit",
            Decision::Reject { .. } => "reject",
            Decision::Undecided => "undecided",
        }
    }
}

/// The answers so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Peers asked.
    pub asked: usize,
    /// Peers that said yes (the leader's own yes is not among them).
    pub yes: usize,
    /// Peers that said no, for any reason.
    pub no: usize,
    /// Of those, the ones that said the work is bad.
    pub bad_work: usize,
}

/// The counting rule. The electorate is the leader and every peer asked
/// while the vote is open; once it has closed (a heartbeat interval after
/// it started), the leader and the peers that answered: a silent peer is
/// absent, not a no. The leader's own check is a yes (it asks only about
/// solutions it verified). A strict majority of the electorate decides;
/// before the close only a majority that the missing answers could not
/// overturn, so the result is the same whenever the answers arrive.
pub fn tally(c: Counts, closed: bool) -> Option<Decision> {
    let answered = c.yes + c.no;
    let all_in = answered >= c.asked;
    let electorate = 1 + if closed || all_in { answered } else { c.asked };
    let yes = 1 + c.yes;
    if 2 * yes > electorate {
        Some(Decision::Submit)
    } else if 2 * c.no > electorate {
        Some(Decision::Reject {
            miner_at_fault: 2 * c.bad_work > electorate,
        })
    } else if closed || all_in {
        Some(Decision::Undecided)
    } else {
        None
    }
}

/// A peer asked to vote.
#[derive(Clone, Copy, Debug)]
struct Voter {
    addr: SocketAddr,
    vote: Option<Vote>,
    next_send: Instant,
    sent: u32,
}

/// A solution under vote.
#[derive(Clone, Debug)]
pub struct Ballot {
    /// Its job (held, as while submitting).
    pub job: Box<Job>,
    /// The nonce.
    pub nonce: u32,
    /// Who found it.
    pub miner: MinerId,
    /// The block hash.
    pub hash: Hash256,
    /// What every voter is sent.
    pub request: VoteRequest,
    /// When the vote started (the solution was verified).
    pub started: Instant,
    /// When silent voters count as absent.
    pub closes: Instant,
    voters: BTreeMap<CoordinatorId, Voter>,
}

impl Ballot {
    /// A vote on `nonce` of `job`, asking `voters`; it closes after
    /// `open_for`. Each voter is due its first request at once.
    pub fn new(
        job: Box<Job>,
        nonce: u32,
        miner: MinerId,
        hash: Hash256,
        voters: impl IntoIterator<Item = (CoordinatorId, SocketAddr)>,
        now: Instant,
        open_for: Duration,
    ) -> Ballot {
        let request = VoteRequest {
            job: job.job_ref,
            header: job.solved_header(nonce).into(),
            zero_bits: job.zero_bits,
        };
        Ballot {
            job,
            nonce,
            miner,
            hash,
            request,
            started: now,
            closes: now + open_for,
            voters: voters
                .into_iter()
                .map(|(id, addr)| {
                    let v = Voter {
                        addr,
                        vote: None,
                        next_send: now,
                        sent: 0,
                    };
                    (id, v)
                })
                .collect(),
        }
    }

    /// Takes in `id`'s answer; false if `id` was not asked or had answered.
    pub fn record(&mut self, id: CoordinatorId, vote: Vote) -> bool {
        match self.voters.get_mut(&id) {
            Some(v) if v.vote.is_none() => {
                v.vote = Some(vote);
                true
            }
            _ => false,
        }
    }

    /// The voters still silent whose request is due at `now`, each with
    /// whether it was sent before; each is due again `every` later.
    pub fn due(&mut self, now: Instant, every: Duration) -> Vec<(SocketAddr, bool)> {
        let every = every.max(Duration::from_millis(1));
        self.voters
            .values_mut()
            .filter(|v| v.vote.is_none() && v.next_send <= now)
            .map(|v| {
                v.next_send = now + every;
                v.sent += 1;
                (v.addr, v.sent > 1)
            })
            .collect()
    }

    /// When the ballot next needs the clock: a request due, or the close.
    pub fn next_timer(&self) -> Instant {
        self.voters
            .values()
            .filter(|v| v.vote.is_none())
            .map(|v| v.next_send)
            .fold(self.closes, Instant::min)
    }

    /// The answers so far.
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            asked: self.voters.len(),
            ..Counts::default()
        };
        for v in self.voters.values().filter_map(|v| v.vote) {
            match v {
                Vote::Yes => c.yes += 1,
                Vote::BadWork => {
                    c.no += 1;
                    c.bad_work += 1;
                }
                _ => c.no += 1,
            }
        }
        c
    }

    /// The outcome at `now`, once there is one.
    pub fn decide(&self, now: Instant) -> Option<Decision> {
        tally(self.counts(), now >= self.closes)
    }

    /// The peers that said yes.
    pub fn yes(&self) -> impl Iterator<Item = CoordinatorId> + '_ {
        self.voters
            .iter()
            .filter(|(_, v)| v.vote == Some(Vote::Yes))
            .map(|(&id, _)| id)
    }

    /// The peers that said no, and why.
    pub fn no(&self) -> impl Iterator<Item = (CoordinatorId, Vote)> + '_ {
        self.voters
            .iter()
            .filter_map(|(&id, v)| v.vote.filter(|v| !v.is_yes()).map(|v| (id, v)))
    }

    /// The peers that have not answered.
    pub fn silent(&self) -> impl Iterator<Item = CoordinatorId> + '_ {
        self.voters
            .iter()
            .filter(|(_, v)| v.vote.is_none())
            .map(|(&id, _)| id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(asked: usize, yes: usize, no: usize, bad_work: usize) -> Counts {
        Counts {
            asked,
            yes,
            no,
            bad_work,
        }
    }

    #[test]
    fn a_strict_majority_of_those_up_decides_early() {
        // Three coordinators: the leader and one more yes is enough.
        assert_eq!(tally(c(2, 0, 0, 0), false), None);
        assert_eq!(tally(c(2, 1, 0, 0), false), Some(Decision::Submit));
        // Two no's out of three: rejected, the miner at fault.
        assert_eq!(
            tally(c(2, 0, 2, 2), false),
            Some(Decision::Reject {
                miner_at_fault: true
            })
        );
        // One no of three is not a majority; the last answer decides.
        assert_eq!(tally(c(2, 0, 1, 1), false), None);
        // Five coordinators: two yes of five is not yet a majority.
        assert_eq!(tally(c(4, 1, 0, 0), false), None);
        assert_eq!(tally(c(4, 2, 0, 0), false), Some(Decision::Submit));
    }

    #[test]
    fn the_silent_are_absent_once_the_vote_closes() {
        // Two coordinators, the follower silent: the leader alone decides.
        assert_eq!(tally(c(1, 0, 0, 0), true), Some(Decision::Submit));
        // Five, two silent: 1 + 1 yes against 1 no among three.
        assert_eq!(tally(c(4, 1, 1, 1), true), Some(Decision::Submit));
        // Three, one silent, one no: a tie of the two who voted.
        assert_eq!(tally(c(2, 0, 1, 1), true), Some(Decision::Undecided));
    }

    #[test]
    fn a_tie_blames_nobody_and_only_bad_work_blames_the_miner() {
        // Two coordinators, the follower says no: one against one.
        assert_eq!(tally(c(1, 0, 1, 1), false), Some(Decision::Undecided));
        // Three: two no's, only one of them about the work.
        assert_eq!(
            tally(c(2, 0, 2, 1), false),
            Some(Decision::Reject {
                miner_at_fault: false
            })
        );
    }

    #[test]
    fn a_single_coordinator_is_its_own_majority() {
        assert_eq!(tally(c(0, 0, 0, 0), false), Some(Decision::Submit));
    }
}
