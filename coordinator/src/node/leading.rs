//! Leadership transitions and the leader's work: jobs, leases, solutions
//! and interrupts. Its chain calls and their replies are in `chain_io/`.

use std::time::Duration;

use protocol::miner::MAX_ASSIGNMENTS;
use protocol::wire::{ChainHealth, HeartbeatRequest, Message, Process, ProcessInterrupt, Recipe};
use protocol::{BlockHeader, Instant, JobRef, MinerId};

use super::{Job, Node, NodeEvent, Now, Pending, Template, Work};

impl Node {
    /// Recomputes who leads and acts on a change. Called after every input.
    pub(super) fn refresh_role(&mut self, now: Now) {
        let leader = self.members.leader(now.mono);
        let me = leader == Some(self.cfg.id);
        match (self.leading, me) {
            (None, true) => {
                let epoch = self.members.max_epoch().next();
                self.take_epoch(now, epoch);
                self.event(NodeEvent::BecameLeader { epoch });
            }
            (Some(_), false) => {
                self.leading = None;
                // A solved block is still a block, whoever leads now: keep
                // voting on it and submitting it (the chain service settles
                // any race).
                if !matches!(self.work, Work::Submitting { .. } | Work::Voting { .. }) {
                    self.work = Work::Idle;
                }
                self.quorum_said = None;
                self.event(NodeEvent::SteppedDown { leader });
            }
            (Some(epoch), true) if self.members.max_epoch() > epoch => {
                // Someone works in a newer epoch (a leader elected while this
                // node was unreachable, or a miner that followed one): move
                // above it so every miner follows this node again.
                let epoch = self.members.max_epoch().next();
                self.take_epoch(now, epoch);
                self.event(NodeEvent::BecameLeader { epoch });
            }
            _ => {}
        }
        self.membership_change = self.members.next_change(now.mono);
        self.next_probe = self.members.next_probe();
    }

    /// Leads in `epoch`: any job of an older epoch is void; fetch a template
    /// and tell peers and miners at once.
    fn take_epoch(&mut self, now: Now, epoch: protocol::Epoch) {
        self.leading = Some(epoch);
        self.members.saw_epoch(epoch);
        self.next_job = protocol::JobId(1);
        self.last_closed = None;
        self.work = Work::NeedTemplate {
            next_try: now.mono,
            call: Pending::NONE,
        };
        self.heartbeat_all(now.mono);
        self.drive(now);
    }

    /// The `HeartbeatRequest` this node sends now: its view, its job and,
    /// when it leads, what its chain calls found.
    pub(super) fn heartbeat(&self, now: Instant) -> Message {
        Message::HeartbeatRequest(HeartbeatRequest {
            view: self.view(now),
            job: self.current_job().map(|j| j.job_ref),
            chain: if self.leading.is_some() {
                self.chain.health()
            } else {
                ChainHealth::Unknown
            },
        })
    }

    /// Sends `HeartbeatRequest` to every peer and, when leading, to every
    /// active miner.
    pub(super) fn heartbeat_all(&mut self, now: Instant) {
        let hb = self.heartbeat(now);
        let peers: Vec<_> = self.members.peers().map(|(_, p)| p.addr).collect();
        for addr in peers {
            self.send(addr, hb);
        }
        if self.leading.is_some() {
            let miners: Vec<_> = self.miners.active().map(|(_, e)| e.addr).collect();
            for addr in miners {
                self.send(addr, hb);
            }
        }
    }

    /// Probes the peers that have been silent long enough to be suspected
    /// (their answer, like any message, counts as hearing them).
    pub(super) fn probe_peers(&mut self, now: Instant) {
        let hb = self.heartbeat(now);
        for addr in self.members.due_probes(now) {
            self.stats.peer_probes += 1;
            self.send(addr, hb);
        }
        self.next_probe = self.members.next_probe();
    }

    /// Starts a job from `t` with a fresh timestamp.
    pub(super) fn start_job(&mut self, now: Now, t: Template) {
        let Some(epoch) = self.leading else {
            return;
        };
        let clock = u32::try_from(now.unix).unwrap_or(u32::MAX);
        let mut time = clock.max(t.min_time);
        if let Some((prev, last)) = self.last_time
            && prev == t.prev_hash
            && time <= last
        {
            // Same parent, same second: the header must still change.
            time = last.saturating_add(1);
        }
        self.last_time = Some((t.prev_hash, time));
        let header = BlockHeader {
            version: t.version,
            prev_hash: t.prev_hash,
            merkle_root: t.merkle_root,
            time,
            bits: t.bits,
            nonce: 0,
        };
        let job_ref = JobRef {
            epoch,
            job: self.next_job,
        };
        self.next_job = self.next_job.next();
        let job = Job::new(
            job_ref,
            t.height,
            header,
            t.zero_bits,
            self.cfg.nonce_range,
            now.mono,
        );
        self.stats.jobs += 1;
        self.best.new_job();
        self.event(NodeEvent::JobStarted {
            job: job_ref,
            height: t.height,
            time,
            zero_bits: t.zero_bits,
        });
        self.next_tip = now.mono + self.cfg.tip_poll;
        self.work = Work::Mining {
            job: Box::new(job),
            tip_call: Pending::NONE,
        };
        for miner in self.miners.wanting() {
            self.serve(now.mono, miner);
        }
    }

    /// Ends the current job (solved elsewhere, stale, or exhausted): tells
    /// every miner to stop and fetches a new template.
    pub(super) fn close_job(&mut self, now: Now, job: JobRef) {
        self.last_closed = Some(job);
        self.interrupt_all(now.mono, job);
        self.need_template(now.mono);
        self.drive(now);
    }

    pub(super) fn interrupt_all(&mut self, now: Instant, job: JobRef) {
        let msg = Message::ProcessInterrupt(ProcessInterrupt { job });
        let miners: Vec<_> = self.miners.active().map(|(_, e)| e.addr).collect();
        for addr in miners {
            self.stats.interrupts += 1;
            self.send(addr, msg);
        }
        self.miners.interrupted(job, now + self.cfg.resend_after());
    }

    /// Sends again the interrupts miners have not acknowledged.
    fn resend_interrupts(&mut self, now: Instant) {
        for (addr, job) in self.miners.due_interrupts(now, self.cfg.resend_after()) {
            self.stats.interrupts_resent += 1;
            self.send(addr, Message::ProcessInterrupt(ProcessInterrupt { job }));
        }
    }

    /// A verified solution: hold it, stop everyone, submit it.
    pub(super) fn on_solution(
        &mut self,
        now: Now,
        miner: MinerId,
        nonce: u32,
        hash: protocol::Hash256,
    ) {
        let Work::Mining { job, .. } = std::mem::replace(&mut self.work, Work::Idle) else {
            return;
        };
        let job_ref = job.job_ref;
        self.stats.solutions += 1;
        self.stats.last_solution_at = Some(now.mono);
        if let Some(e) = self.miners.get_mut(miner) {
            e.solutions += 1;
        }
        self.event(NodeEvent::SolutionFound {
            job: job_ref,
            miner,
            nonce,
            hash,
        });
        self.last_closed = Some(job_ref);
        self.interrupt_all(now.mono, job_ref);
        self.start_vote(now, job, miner, nonce, hash);
    }

    /// Leases ranges to `miner` for as many slots as it asked for.
    pub(super) fn serve(&mut self, now: Instant, miner: MinerId) {
        if !self.quorum.met {
            // Paused below the quorum; the request is kept for when it is
            // back.
            return;
        }
        let Some(entry) = self.miners.get(miner) else {
            return;
        };
        let (addr, rate, mut wanted) = (entry.addr, entry.hashrate, entry.wanted);
        let Work::Mining { job, .. } = &mut self.work else {
            return;
        };
        let mut issued = Vec::new();
        while wanted > 0 {
            let held = job.leases_of(miner);
            if held >= MAX_ASSIGNMENTS {
                break;
            }
            let len = chunk_len(&self.cfg, rate);
            let timeout = lease_timeout(&self.cfg, len, rate, held);
            let Some(range) = job.lease(miner, len, now, timeout) else {
                break;
            };
            wanted -= 1;
            issued.push(process(job, range));
        }
        if let Some(e) = self.miners.get_mut(miner) {
            e.wanted = wanted;
        }
        self.stats.leases += issued.len() as u64;
        for m in issued {
            self.send(addr, m);
        }
        self.check_invariants();
    }

    /// Re-sends the `Process` of each lease `miner` holds in the current
    /// job when its request shows it holds fewer assignments than that (it
    /// asks for `slots`): a `Process` or its answer was lost. The miner
    /// ignores one it holds and answers again one it has answered, so the
    /// lease is settled in a round trip instead of waiting for its expiry.
    /// Leases issued less than [`CoordinatorConfig::resend_after`] ago are
    /// left alone: their `Process` may be crossing the request.
    ///
    /// [`CoordinatorConfig::resend_after`]: super::CoordinatorConfig::resend_after
    pub(super) fn resend_leases(&mut self, now: Instant, miner: MinerId, slots: u8) {
        let Some(addr) = self.miners.get(miner).map(|e| e.addr) else {
            return;
        };
        let Work::Mining { job, .. } = &self.work else {
            return;
        };
        let holding = MAX_ASSIGNMENTS.saturating_sub(usize::from(slots));
        if job.leases_of(miner) <= holding {
            return;
        }
        let settled = now - self.cfg.resend_after();
        let again: Vec<Message> = job
            .leases()
            .filter(|l| l.miner == miner && l.issued <= settled)
            .map(|l| process(job, l.range))
            .collect();
        self.stats.leases_resent += again.len() as u64;
        for m in again {
            self.send(addr, m);
        }
    }

    /// Timers of the leader's work: lease expiry, re-serving, chain calls.
    pub(super) fn leader_timers(&mut self, now: Now) {
        self.resend_interrupts(now.mono);
        if let Work::Mining { job, .. } = &mut self.work {
            let expired = job.expire(now.mono);
            self.stats.leases_expired += expired.len() as u64;
            for l in &expired {
                self.events.push_back(NodeEvent::LeaseExpired {
                    miner: l.miner,
                    range: l.range,
                });
            }
            if !expired.is_empty() {
                for miner in self.miners.wanting() {
                    self.serve(now.mono, miner);
                }
            }
            self.check_invariants();
        }
        self.drive(now);
    }
}

/// How long a fixed-size lease is expected to take a miner whose rate is
/// not known yet: the original design's 100,000 nonces at 50,000 per second.
pub const UNKNOWN_RATE_LEASE: Duration = Duration::from_secs(2);

/// The `Process` that leases `range` of `job`.
fn process(job: &Job, range: protocol::NonceRange) -> Message {
    Message::Process(Process {
        job: job.job_ref,
        recipe: Recipe::SHA256D,
        header: protocol::wire::HeaderBytes(job.header),
        zero_bits: job.zero_bits,
        range,
    })
}

/// Lease length for a miner reporting `rate` hashes per second.
pub(super) fn chunk_len(cfg: &super::CoordinatorConfig, rate: u32) -> u64 {
    if rate == 0 || cfg.chunk_target.is_zero() {
        // Unknown rate, or fixed chunks (`--chunk-secs 0`).
        return cfg.chunk_default.max(1);
    }
    let len = (f64::from(rate) * cfg.chunk_target.as_secs_f64()) as u64;
    len.clamp(256, cfg.nonce_range.len())
}

/// How long a lease may stay unanswered: three times its expected duration,
/// behind the `held` leases queued before it, plus one heartbeat of slack.
/// At an unknown rate a lease is expected to take `chunk_target`, or
/// [`UNKNOWN_RATE_LEASE`] with fixed chunks.
pub(super) fn lease_timeout(
    cfg: &super::CoordinatorConfig,
    len: u64,
    rate: u32,
    held: usize,
) -> Duration {
    let expected = match rate {
        0 if cfg.chunk_target.is_zero() => UNKNOWN_RATE_LEASE,
        0 => cfg.chunk_target,
        _ => Duration::from_secs_f64(len as f64 / f64::from(rate)),
    };
    expected * 3 * (held as u32 + 1) + cfg.heartbeat
}
