//! The vote on each solution. The leader, having re-hashed a miner's
//! solution, asks every peer coordinator that is up to check it
//! (`VoteRequest`), and submits the block once a strict majority of the
//! coordinators up, itself included, said yes; a majority no drops it.
//! A peer silent for a heartbeat interval is absent, not a no
//! (`ballot.rs` has the counting rule). Requests are sent again to the
//! silent every `resend_after`, so a lost request or answer costs an
//! eighth of an interval, not the vote. With no peer up, or with
//! `--votes off`, the leader's own check decides and the block is
//! submitted at once. Followers answer with their own check (`check.rs`).
//!
//! A leader that steps down mid-vote finishes the vote, as it finishes a
//! submission: the block is still a block, and the chain settles a race.

mod ballot;
mod check;

use std::net::SocketAddr;

use protocol::wire::{Message, VoteReply, VoteRequest};
use protocol::{CoordinatorId, Hash256, Instant, MinerId};
use serde::Serialize;

pub use ballot::{Ballot, Decision};
pub use check::Checker;

use super::{Job, Node, NodeEvent, Now, Pending, Work};

/// A vote in progress, as the status shows it.
#[derive(Clone, Debug, Serialize)]
pub struct VoteSummary {
    /// The job, `e1/j2`.
    pub job: String,
    /// The nonce voted on.
    pub nonce: u32,
    /// The block's hash.
    pub hash: String,
    /// Who found it.
    pub miner: String,
    /// The peers asked.
    pub asked: Vec<u16>,
    /// The coordinators that said yes, this one included.
    pub yes: Vec<u16>,
    /// The peers that said no, and why (`"c3: bad_work"`).
    pub no: Vec<String>,
    /// The peers not heard from yet.
    pub waiting_for: Vec<u16>,
    /// Milliseconds since it started.
    pub age_ms: u64,
}

impl Node {
    /// A verified solution of `job`: put it to the vote, or submit it at
    /// once when there is nobody to ask.
    pub(super) fn start_vote(
        &mut self,
        now: Now,
        job: Box<Job>,
        miner: MinerId,
        nonce: u32,
        hash: Hash256,
    ) {
        let voters: Vec<(CoordinatorId, SocketAddr)> = if self.cfg.votes {
            self.members
                .peers()
                .filter(|(id, _)| self.members.is_up(*id, now.mono))
                .map(|(id, p)| (id, p.addr))
                .collect()
        } else {
            Vec::new()
        };
        if voters.is_empty() {
            self.submit(now, job, miner, nonce, vec![self.cfg.id]);
            return;
        }
        let open_for = protocol::timing::Timing::new(self.cfg.heartbeat).vote_timeout();
        let ballot = Ballot::new(job, nonce, miner, hash, voters, now.mono, open_for);
        self.stats.votes += 1;
        self.event(NodeEvent::VoteStarted {
            job: ballot.job.job_ref,
            nonce,
            asked: ballot.silent().collect(),
        });
        self.work = Work::Voting {
            ballot: Box::new(ballot),
        };
        self.vote_timers(now);
    }

    /// Holds `job`'s solution until the chain service takes it, recording
    /// who confirmed it.
    fn submit(
        &mut self,
        now: Now,
        job: Box<Job>,
        miner: MinerId,
        nonce: u32,
        confirmed_by: Vec<CoordinatorId>,
    ) {
        self.work = Work::Submitting {
            job,
            nonce,
            miner,
            confirmed_by,
            next_try: now.mono,
            call: Pending::NONE,
        };
        self.drive(now);
    }

    /// Sends the requests due and ends the vote once it is decided.
    pub(super) fn vote_timers(&mut self, now: Now) {
        let every = self.cfg.resend_after();
        let Work::Voting { ballot } = &mut self.work else {
            return;
        };
        let request = Message::VoteRequest(ballot.request);
        let due = ballot.due(now.mono, every);
        for (addr, again) in due {
            if again {
                self.stats.vote_requests_resent += 1;
            }
            self.send(addr, request);
        }
        self.settle_vote(now);
    }

    /// A peer's answer.
    pub(super) fn on_vote_reply(&mut self, now: Now, id: CoordinatorId, reply: VoteReply) {
        let Work::Voting { ballot } = &mut self.work else {
            self.stats.late_votes += 1;
            return;
        };
        if ballot.request.job != reply.job || ballot.nonce != reply.nonce {
            self.stats.late_votes += 1;
            return;
        }
        if !ballot.record(id, reply.vote) {
            self.stats.late_votes += 1;
            return;
        }
        self.settle_vote(now);
    }

    /// Ends the vote if it is decided at `now`.
    fn settle_vote(&mut self, now: Now) {
        let Work::Voting { ballot } = &self.work else {
            return;
        };
        let Some(decision) = ballot.decide(now.mono) else {
            return;
        };
        let Work::Voting { ballot } = std::mem::replace(&mut self.work, Work::Idle) else {
            return;
        };
        let took = now.mono.saturating_since(ballot.started);
        let mut yes: Vec<CoordinatorId> =
            std::iter::once(self.cfg.id).chain(ballot.yes()).collect();
        yes.sort();
        // Decided before it closed, the silent were simply not waited for.
        let absent: Vec<CoordinatorId> = if now.mono >= ballot.closes {
            ballot.silent().collect()
        } else {
            Vec::new()
        };
        self.stats.votes_absent += absent.len() as u64;
        self.stats.vote_ms_last = Some(took.as_millis() as u64);
        self.stats.vote_ms_max = self.stats.vote_ms_max.max(took.as_millis() as u64);
        self.event(NodeEvent::VoteDecided {
            job: ballot.job.job_ref,
            nonce: ballot.nonce,
            miner: ballot.miner,
            decision,
            yes: yes.clone(),
            no: ballot.no().collect(),
            absent,
            took,
        });
        let Ballot {
            job, nonce, miner, ..
        } = *ballot;
        match decision {
            Decision::Submit => self.submit(now, job, miner, nonce, yes),
            Decision::Reject { miner_at_fault } => {
                self.stats.votes_rejected += 1;
                if miner_at_fault {
                    self.failed_claim(
                        miner,
                        "its solution was voted down by the coordinators: the work is bad",
                    );
                }
                self.need_template(now.mono);
                self.drive(now);
            }
            Decision::Undecided => {
                self.stats.votes_undecided += 1;
                self.need_template(now.mono);
                self.drive(now);
            }
        }
    }

    /// A leader's request to check a solution: answer with this node's own
    /// check (`check.rs`).
    pub(super) fn on_vote_request(
        &mut self,
        now: Now,
        from: SocketAddr,
        id: CoordinatorId,
        req: VoteRequest,
    ) {
        let leads = self.leading.is_none() && self.members.leader(now.mono) == Some(id);
        let vote = self.checker.check(&req, leads, self.members.max_epoch());
        if vote.is_yes() {
            self.stats.votes_cast_yes += 1;
        } else {
            self.stats.votes_cast_no += 1;
        }
        self.event(NodeEvent::VoteCast {
            leader: id,
            job: req.job,
            nonce: req.nonce(),
            vote,
        });
        let reply = VoteReply {
            job: req.job,
            nonce: req.nonce(),
            vote,
        };
        self.send(from, Message::VoteReply(reply));
    }

    /// The vote in progress, for the status.
    pub(super) fn vote_summary(&self, now: Instant) -> Option<VoteSummary> {
        let Work::Voting { ballot } = &self.work else {
            return None;
        };
        let ids = |it: &mut dyn Iterator<Item = CoordinatorId>| it.map(|c| c.0).collect();
        let mut yes: Vec<u16> = ids(&mut ballot.yes());
        yes.push(self.cfg.id.0);
        yes.sort_unstable();
        let mut asked: Vec<u16> = ids(&mut ballot.silent());
        asked.extend(ballot.yes().map(|c| c.0));
        asked.extend(ballot.no().map(|(c, _)| c.0));
        asked.sort_unstable();
        Some(VoteSummary {
            job: ballot.job.job_ref.to_string(),
            nonce: ballot.nonce,
            hash: ballot.hash.to_string(),
            miner: ballot.miner.to_string(),
            asked,
            yes,
            no: ballot
                .no()
                .map(|(c, v)| format!("{c}: {}", v.name()))
                .collect(),
            waiting_for: ids(&mut ballot.silent()),
            age_ms: now.saturating_since(ballot.started).as_millis() as u64,
        })
    }
}
