//! The miner's inputs: messages, timeouts and scanned steps.

use core::time::Duration;

use super::{
    Assignment, Dest, DropReason, Event, MAX_ASSIGNMENTS, Miner, PendingYes, Refusal, StepId,
};
use crate::ids::{CoordinatorId, Epoch, JobRef, NodeId};
use crate::kernel::ScanOutcome;
use crate::time::Instant;
use crate::wire::{
    Announce, HeartbeatRequest, Message, Process, ProcessAnswerNo, ProcessAnswerYes,
    ProcessInterrupt, Recipe, WireAddr,
};

impl Miner {
    /// Handles a message from an authenticated `sender` whose datagram came
    /// from `from`. Only coordinators are listened to.
    pub fn handle_message(
        &mut self,
        now: Instant,
        from: WireAddr,
        sender: NodeId,
        message: Message,
    ) {
        let Some(id) = Self::sender_coordinator(sender) else {
            return;
        };
        self.link.learn(from, id);
        self.link.heard(id, now);
        match message {
            Message::HeartbeatRequest(hb) => self.on_heartbeat(now, id, from, hb),
            Message::Process(p) => self.on_process(now, id, from, &p),
            Message::ProcessInterrupt(i) => self.on_interrupt(now, id, i),
            Message::Announce(a) => self.on_announce(now, id, from, a),
            // Coordinators do not send miners these; ignore rather than fail.
            Message::HeartbeatReply(_)
            | Message::ProcessAnswerNo(_)
            | Message::ProcessAnswerYes(_)
            | Message::Discover(_)
            | Message::VoteRequest(_)
            | Message::VoteReply(_) => {}
        }
    }

    /// Runs the timers: leader liveness, heartbeats, discovery, retries.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.link.expire(now, self.cfg.leader_timeout) {
            self.lose_leader(now);
        }
        self.probe_leader(now);
        if now >= self.next_heartbeat {
            if let Some(leader) = self.link.leader() {
                self.next_heartbeat = now + self.cfg.heartbeat;
                let msg = self.reply(true);
                self.send(Dest::Addr(leader.addr), msg);
                if self.wants_work() {
                    self.requested(now);
                }
                // The other coordinators hear the status too, so whichever
                // takes over knows this miner and can hand it work at once.
                let status = self.reply(false);
                for addr in self.link.addresses() {
                    if addr != leader.addr {
                        self.send(Dest::Addr(addr), status);
                    }
                }
            } else {
                // Leaderless: look for one at the faster retry pace.
                self.next_heartbeat = now + self.cfg.retry;
                self.discover();
            }
        }
        if self.pending_yes.is_some_and(|p| now >= p.next_send) {
            self.send_pending_yes(now);
        }
        if self.wants_work() && now >= self.next_request {
            self.request_work(now);
        }
    }

    /// Reports a scanned step: its outcome and how long it took.
    pub fn handle_step(
        &mut self,
        now: Instant,
        id: StepId,
        outcome: ScanOutcome,
        elapsed: Duration,
    ) {
        if self.in_flight != Some(id) {
            return;
        }
        self.in_flight = None;
        self.stats.hashes += outcome.hashes;
        self.rate.record(outcome.hashes, elapsed);
        // The assignment may have been interrupted while the step ran.
        let Some(a) = self
            .assignments
            .first_mut()
            .filter(|a| a.serial == id.serial)
        else {
            return;
        };
        a.record(outcome);
        if let Some(nonce) = a.found() {
            let answer = ProcessAnswerYes {
                job: a.job,
                range: a.range,
                nonce,
            };
            let (job, to) = (a.job, a.reply_to);
            self.stats.solutions += 1;
            self.push_event(Event::Found { job, nonce });
            self.pending_yes = Some(PendingYes {
                answer,
                to,
                next_send: now,
                attempts: 0,
            });
            // The job is solved: nothing else of it is worth scanning.
            self.assignments.retain(|a| a.job != job);
            self.send_pending_yes(now);
            self.request_work(now);
        } else if a.finished(false) {
            let a = self.assignments.remove(0);
            let best = a.best();
            self.stats.ranges_done += 1;
            self.push_event(Event::Exhausted {
                job: a.job,
                range: a.range,
                best,
            });
            let answer = ProcessAnswerNo {
                job: a.job,
                range: a.range,
                best,
            };
            self.send(Dest::Addr(a.reply_to), Message::ProcessAnswerNo(answer));
            self.answers.record(answer, a.reply_to);
            self.request_work(now);
        } else if a.remaining() * 2 < a.range.len()
            && self.assignments.len() < MAX_ASSIGNMENTS
            && now >= self.next_request
        {
            // Past half of the current range with nothing queued: ask now so
            // the next range arrives before this one ends.
            self.request_work(now);
        }
    }

    fn on_heartbeat(
        &mut self,
        now: Instant,
        id: CoordinatorId,
        from: WireAddr,
        hb: HeartbeatRequest,
    ) {
        if hb.view.leader == Some(id) {
            self.follow(now, id, from, hb.view.epoch);
        }
        let is_leader = self.link.leader().is_some_and(|l| l.id == id);
        if is_leader && let Some(job) = hb.job {
            self.job_named(job);
        }
        let msg = self.reply(is_leader);
        self.send(Dest::Addr(from), msg);
        if is_leader && self.wants_work() {
            self.requested(now);
        }
    }

    fn on_announce(&mut self, now: Instant, id: CoordinatorId, from: WireAddr, a: Announce) {
        match (a.view.leader, a.leader_addr) {
            (Some(l), _) if l == id => self.follow(now, id, from, a.view.epoch),
            // A pointer to the leader: follow it tentatively; if it is not
            // there, it times out like any silent leader.
            (Some(l), Some(addr)) => self.follow(now, l, addr, a.view.epoch),
            _ => {}
        }
    }

    fn on_process(&mut self, now: Instant, id: CoordinatorId, from: WireAddr, p: &Process) {
        let refusal = self.check_process(now, id, from, p);
        if let Some(r) = refusal {
            self.stats.refused += 1;
            self.push_event(Event::Refused(r));
            return;
        }
        let job = p.job;
        if self.latest_job.is_none_or(|l| job > l) {
            self.job_named(job);
        }
        if self.answer_again(now, job, p.range) {
            return;
        }
        if self
            .assignments
            .iter()
            .any(|a| a.job == job && a.range == p.range)
        {
            return; // the same lease again: already held
        }
        if self.assignments.len() >= MAX_ASSIGNMENTS {
            self.stats.refused += 1;
            self.push_event(Event::Refused(Refusal::NoRoom));
            return;
        }
        let serial = self.next_serial;
        self.next_serial = self.next_serial.wrapping_add(1);
        let _ = self.assignments.push(Assignment::new(p, from, serial));
        self.requests = 0;
        self.push_event(Event::Assigned {
            job,
            range: p.range,
        });
    }

    /// A lease of a range already answered means the leader never got the
    /// answer: send it again instead of scanning the range again.
    fn answer_again(&mut self, now: Instant, job: JobRef, range: crate::range::NonceRange) -> bool {
        if let Some(sent) = self.answers.find(job, range) {
            self.stats.answers_resent += 1;
            self.send(Dest::Addr(sent.to), Message::ProcessAnswerNo(sent.answer));
            return true;
        }
        if self
            .pending_yes
            .is_some_and(|p| p.answer.job == job && p.answer.range == range)
        {
            self.stats.answers_resent += 1;
            self.send_pending_yes(now);
            return true;
        }
        false
    }

    fn check_process(
        &mut self,
        now: Instant,
        id: CoordinatorId,
        from: WireAddr,
        p: &Process,
    ) -> Option<Refusal> {
        if self.fault.is_some() {
            return Some(Refusal::Faulty);
        }
        if p.recipe != Recipe::SHA256D {
            return Some(Refusal::UnsupportedRecipe);
        }
        // Work is a claim of leadership by its sender.
        self.follow(now, id, from, p.job.epoch);
        let leader = self.link.leader()?;
        if leader.id != id {
            return Some(Refusal::NotLeader);
        }
        let job = p.job;
        if job.epoch < leader.epoch
            || self.latest_job.is_some_and(|l| job < l)
            || self.closed_job.is_some_and(|c| job <= c)
        {
            return Some(Refusal::Stale);
        }
        None
    }

    fn on_interrupt(&mut self, now: Instant, id: CoordinatorId, i: ProcessInterrupt) {
        let Some(leader) = self.link.leader().filter(|l| l.id == id) else {
            return;
        };
        let job = i.job;
        if job.epoch < leader.epoch {
            return;
        }
        self.drop_where(DropReason::Interrupted, |j| j <= job);
        self.answers.forget(|j| j <= job);
        if self.pending_yes.is_some_and(|p| p.answer.job <= job) {
            self.pending_yes = None;
        }
        if self.latest_job.is_none_or(|l| job > l) {
            self.latest_job = Some(job);
        }
        if self.closed_job.is_none_or(|c| job > c) {
            self.closed_job = Some(job);
        }
        self.request_work(now);
    }

    /// The leader says `job` is current: older work is stale, and a pending
    /// solution for an older job was received (the leader moved on).
    fn job_named(&mut self, job: JobRef) {
        if self.latest_job.is_some_and(|l| job <= l) {
            return;
        }
        self.latest_job = Some(job);
        self.drop_where(DropReason::Superseded, |j| j < job);
        self.answers.forget(|j| j < job);
        if self.pending_yes.is_some_and(|p| p.answer.job < job) {
            self.pending_yes = None;
        }
    }

    fn follow(&mut self, now: Instant, id: CoordinatorId, addr: WireAddr, epoch: Epoch) {
        let before = self.link.leader();
        if !self.link.claim(now, id, addr, epoch) {
            return;
        }
        // A new leader, or the same one in a new epoch: its old leases are
        // void (it starts a fresh job), so drop them and ask for work.
        if before.is_some() {
            self.drop_where(DropReason::LeaderChanged, |_| true);
        }
        self.answers.forget(|_| true);
        self.latest_job = None;
        self.closed_job = None;
        self.push_event(Event::LeaderChanged {
            leader: Some(id),
            epoch,
        });
        self.next_heartbeat = now + self.cfg.heartbeat;
        if self.wants_work() {
            self.request_work(now);
        } else {
            let msg = self.reply(false);
            self.send(Dest::Addr(addr), msg);
        }
    }

    fn lose_leader(&mut self, now: Instant) {
        self.drop_where(DropReason::LeaderChanged, |_| true);
        self.answers.forget(|_| true);
        self.latest_job = None;
        self.closed_job = None;
        self.push_event(Event::LeaderChanged {
            leader: None,
            epoch: self.link.view().epoch,
        });
        self.next_heartbeat = now;
    }
}
