//! The node's inputs: messages from peers and miners, and timeouts.

use std::net::SocketAddr;

use protocol::wire::{
    Announce, HeartbeatReply, LeaderView, Message, MinerState, ProcessAnswerNo, ProcessAnswerYes,
    ProcessInterrupt, WireAddr,
};
use protocol::{CoordinatorId, JobRef, MinerId, NodeId};

use super::best::BestHash;
use super::job::NoVerdict;
use super::quorum::Count;
use super::{Node, NodeEvent, Now, Work, YesVerdict};

impl Node {
    /// Handles a message from an authenticated `sender` whose datagram came
    /// from `from`.
    pub fn handle_message(&mut self, now: Now, from: SocketAddr, sender: NodeId, message: Message) {
        self.stats.received += 1;
        match sender {
            NodeId::Coordinator(id) => self.on_peer_message(now, from, id, message),
            NodeId::Miner(id) => self.on_miner_message(now, from, id, message),
        }
        self.refresh_role(now);
        self.drive(now);
    }

    /// Runs the timers: heartbeats, leadership, lease expiry, chain calls.
    pub fn handle_timeout(&mut self, now: Now) {
        self.refresh_role(now);
        self.probe_peers(now.mono);
        let tick = now.mono >= self.next_heartbeat;
        if tick {
            self.next_heartbeat = now.mono + self.cfg.heartbeat;
            self.heartbeat_all(now.mono);
            let gone = self
                .miners
                .forget_silent(now.mono, self.cfg.miner_timeout());
            if let Work::Mining { job, .. } = &mut self.work {
                for miner in gone {
                    job.revoke(miner);
                }
            }
        }
        self.refresh_quorum(now, if tick { Count::Recount } else { Count::Same });
        self.vote_timers(now);
        if self.leading.is_some() {
            self.leader_timers(now);
        } else {
            // A follower may still be submitting the block it solved while
            // it led.
            self.drive(now);
        }
    }

    fn on_peer_message(&mut self, now: Now, from: SocketAddr, id: CoordinatorId, message: Message) {
        let view = match message {
            Message::HeartbeatRequest(hb) => {
                self.chain.reported_by(id, hb.chain);
                if let (Some(job), Some(leader)) = (hb.job, hb.view.leader)
                    && leader == id
                {
                    self.checker.heard_job(job);
                }
                Some(hb.view)
            }
            Message::HeartbeatReply(r) => Some(r.view),
            _ => None,
        };
        self.members.heard(id, from, now.mono, view);
        if let Some(v) = view {
            self.check_rival(now.mono, id, v);
        }
        // Leadership may have changed with this peer's news; answer with the
        // view as it is after taking it in (a `Discover` from a peer looking
        // for its cluster on the LAN gets the same answer).
        self.refresh_role(now);
        match message {
            Message::HeartbeatRequest(_) | Message::Discover(_) => {
                let reply = Message::HeartbeatReply(HeartbeatReply {
                    view: self.view(now.mono),
                    hashrate: 0,
                    miner: None,
                    request: None,
                    kind: None,
                });
                self.send(from, reply);
            }
            Message::VoteRequest(req) => self.on_vote_request(now, from, id, req),
            Message::VoteReply(reply) => self.on_vote_reply(now, id, reply),
            _ => {}
        }
        self.refresh_quorum(now, Count::Same);
    }

    fn on_miner_message(&mut self, now: Now, from: SocketAddr, id: MinerId, message: Message) {
        let known = self.miners.get(id).map(|e| is_faulty(e.state));
        let entry = self.miners.heard(id, from, now.mono);
        if entry.banned {
            self.stats.ignored_banned += 1;
            return;
        }
        match message {
            Message::HeartbeatReply(r) => {
                entry.report_rate(now.mono, r.hashrate);
                entry.kind = r.kind.or(entry.kind);
                if let Some(state) = r.miner {
                    entry.report(state);
                }
                let faulty = is_faulty(entry.state);
                // A miner registered, or its fault changed: so did the
                // quorum's count.
                match known {
                    None if !faulty => self.refresh_quorum(now, Count::Joined),
                    Some(was) if was != faulty => self.refresh_quorum(now, Count::Recount),
                    _ => {}
                }
                self.members.saw_epoch(r.view.epoch);
                self.refresh_role(now);
                if self.leading.is_none() {
                    if r.request.is_some() {
                        self.announce(now, from);
                    }
                    return;
                }
                if let Some(req) = r.request {
                    if let Some(e) = self.miners.get_mut(id) {
                        e.wanted = req.slots.min(protocol::miner::MAX_ASSIGNMENTS as u8);
                    }
                    self.resend_leases(now.mono, id, req.slots);
                    self.serve(now.mono, id);
                }
                if let (Some(MinerState::Mining(j)), Some(closed)) = (r.miner, self.last_closed) {
                    // The miner missed the interrupt of a job that is over.
                    if j <= closed && self.current_job().is_none_or(|c| j < c.job_ref) {
                        self.interrupt_one(from, j);
                    }
                }
            }
            Message::Discover(d) => {
                self.members.saw_epoch(d.view.epoch);
                self.refresh_role(now);
                self.announce(now, from);
            }
            Message::ProcessAnswerNo(a) if self.leading.is_some() => self.on_no(now, id, a),
            Message::ProcessAnswerYes(a) if self.leading.is_some() => self.on_yes(now, from, id, a),
            Message::ProcessAnswerNo(_) | Message::ProcessAnswerYes(_) => {
                self.stats.stale_answers += 1
            }
            Message::HeartbeatRequest(_)
            | Message::Process(_)
            | Message::ProcessInterrupt(_)
            | Message::Announce(_)
            | Message::VoteRequest(_)
            | Message::VoteReply(_) => self.stats.unexpected += 1,
        }
        if known.is_none() && !matches!(message, Message::HeartbeatReply(_)) {
            self.refresh_quorum(now, Count::Joined);
        }
    }

    /// Tells a miner who leads and where.
    fn announce(&mut self, now: Now, to: SocketAddr) {
        let view: LeaderView = self.view(now.mono);
        let leader_addr = view
            .leader
            .filter(|&l| l != self.cfg.id)
            .and_then(|l| self.members.addr_of(l))
            .map(|a| self.reachable_from(a, to))
            .map(WireAddr::from);
        self.send(to, Message::Announce(Announce { view, leader_addr }));
    }

    fn interrupt_one(&mut self, to: SocketAddr, job: JobRef) {
        self.stats.interrupts += 1;
        self.send(to, Message::ProcessInterrupt(ProcessInterrupt { job }));
    }

    /// Whether `job` is one this node has closed (answers to it are late).
    fn is_closed(&self, job: JobRef) -> bool {
        self.last_closed.is_some_and(|c| job <= c)
    }

    fn on_no(&mut self, now: Now, id: MinerId, a: ProcessAnswerNo) {
        let job_ref = a.job;
        let slack = self.cfg.evidence_slack;
        let Work::Mining { job, .. } = &mut self.work else {
            self.stats.stale_answers += 1;
            return;
        };
        if job.job_ref != job_ref {
            self.stats.stale_answers += 1;
            return;
        }
        let verdict = job.answer_no(id, a.range, a.best, slack);
        if matches!(
            verdict,
            NoVerdict::Accepted | NoVerdict::AcceptedLate | NoVerdict::Unmatched
        ) {
            // Re-hashed: a near miss the whole fleet can be shown.
            self.best.offer(BestHash {
                zero_bits: a.best.zero_bits,
                needed: job.zero_bits,
                nonce: a.best.nonce,
                miner: id,
                job: job_ref,
            });
        }
        match verdict {
            NoVerdict::Accepted | NoVerdict::AcceptedLate => {
                self.stats.ranges_scanned += 1;
                if let Some(e) = self.miners.get_mut(id) {
                    e.ranges_done += 1;
                }
                if job.coverage().is_complete() {
                    self.event(NodeEvent::JobExhausted { job: job_ref });
                    self.close_job(now, job_ref);
                }
            }
            NoVerdict::Unmatched => self.stats.stale_answers += 1,
            NoVerdict::BadEvidence => {
                if job.holds(id, a.range) {
                    job.revoke_range(a.range);
                }
                self.failed_claim(
                    id,
                    "its best hash did not re-hash as claimed or was too weak for its range",
                );
            }
            NoVerdict::Solution(hash) => self.on_solution(now, id, a.best.nonce, hash),
        }
        self.check_invariants();
    }

    fn on_yes(&mut self, now: Now, from: SocketAddr, id: MinerId, a: ProcessAnswerYes) {
        let job_ref = a.job;
        let verdict = match &self.work {
            Work::Mining { job, .. } if job.job_ref == job_ref => job.answer_yes(a.range, a.nonce),
            _ => {
                if self.is_closed(job_ref) {
                    // A late or repeated solution: acknowledge it so the
                    // miner stops re-sending.
                    self.interrupt_one(from, job_ref);
                }
                self.stats.stale_answers += 1;
                return;
            }
        };
        match verdict {
            YesVerdict::Solution(hash) => self.on_solution(now, id, a.nonce, hash),
            YesVerdict::Invalid => {
                if let Work::Mining { job, .. } = &mut self.work
                    && job.holds(id, a.range)
                {
                    job.revoke_range(a.range);
                }
                self.failed_claim(id, "it claimed a solution that does not meet the difficulty or is outside its range");
            }
        }
        self.check_invariants();
    }

    /// A claim of miner `id` failed its check (`reason` says how).
    pub(super) fn failed_claim(&mut self, id: MinerId, reason: &'static str) {
        self.stats.failed_claims += 1;
        if self.miners.failed_claim(id, self.cfg.ban_after) {
            if let Work::Mining { job, .. } = &mut self.work {
                job.revoke(id);
            }
            let claims = self.miners.get_mut(id).map_or(0, |e| e.failed_claims);
            self.event(NodeEvent::MinerBanned {
                miner: id,
                claims,
                reason,
            });
        }
    }

    /// Counts any breach of the accounting invariants (tests assert none).
    pub(super) fn check_invariants(&mut self) {
        if let Work::Mining { job, .. } = &self.work
            && let Err(e) = job.check()
        {
            self.stats.invariant_violations += 1;
            self.stats.last_violation = Some(e);
        }
    }
}

fn is_faulty(state: MinerState) -> bool {
    matches!(state, MinerState::Faulty(_))
}
