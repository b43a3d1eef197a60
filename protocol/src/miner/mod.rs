//! The miner, as a sans-IO state machine. The host-simulated miners and the
//! firmware drive this same code.
//!
//! # Driving it
//!
//! The driver owns a UDP socket, a monotonic clock, a [`Kernel`] and the
//! frame [`Sealer`]/[`Opener`]. It calls, in any order that respects these
//! rules:
//!
//! 1. [`Miner::handle_message`] for every frame its opener accepted, with the
//!    datagram's source address;
//! 2. [`Miner::handle_timeout`] whenever the clock passes
//!    [`Miner::poll_timeout`];
//! 3. [`Miner::poll_step`] when it has no step running; it scans the step
//!    with its kernel (on another core or thread, or inline: steps are
//!    short) and reports with [`Miner::handle_step`];
//! 4. after each `handle_*`, [`Miner::poll_transmit`] until `None` (seal and
//!    send each) and [`Miner::poll_event`] until `None` (logs, LED).
//!
//! Nothing here blocks, reads a clock or touches a socket.
//!
//! [`Kernel`]: crate::kernel::Kernel
//! [`Sealer`]: crate::frame::Sealer
//! [`Opener`]: crate::frame::Opener

mod answers;
mod assignment;
mod config;
mod following;
mod handle;
mod output;
mod rate;

use heapless::{Deque, Vec};

use crate::ids::{CoordinatorId, JobRef, MinerId, NodeId};
use crate::time::Instant;
use crate::timing::backoff;
use crate::wire::{
    Discover, Fault, HeartbeatReply, LeaderView, Message, MinerState, ProcessAnswerYes,
    ProcessRequest, WireAddr,
};

pub use answers::KEPT_ANSWERS;
use answers::SentAnswers;
use assignment::Assignment;
pub use config::MinerConfig;
pub use following::Followed;
use following::LeaderLink;
pub use output::{Dest, DropReason, Event, MinerStats, Refusal, Step, StepId, Transmit};
use rate::RateMeter;

/// Coordinators a miner can know.
pub const MAX_COORDINATORS: usize = 8;
/// Assignments a miner holds: the one being scanned and one queued.
pub const MAX_ASSIGNMENTS: usize = 2;
/// Times a `ProcessAnswerYes` is sent before the miner gives up on it.
pub const YES_ATTEMPTS: u8 = 20;

/// A solution waiting for the leader to acknowledge it (by interrupting its
/// job or moving past it).
#[derive(Clone, Copy, Debug)]
struct PendingYes {
    answer: ProcessAnswerYes,
    to: WireAddr,
    next_send: Instant,
    attempts: u8,
}

/// The miner state machine. See the module docs for how to drive it.
#[derive(Debug)]
pub struct Miner {
    cfg: MinerConfig,
    link: LeaderLink,
    assignments: Vec<Assignment, MAX_ASSIGNMENTS>,
    in_flight: Option<StepId>,
    /// The newest job the leader has named; older work is stale.
    latest_job: Option<JobRef>,
    /// The newest job the leader interrupted; it and older jobs are closed.
    closed_job: Option<JobRef>,
    pending_yes: Option<PendingYes>,
    /// `ProcessAnswerNo`s sent, to send again if the leader leases their
    /// range again (it never got them).
    answers: SentAnswers,
    /// Serial of the next assignment taken.
    next_serial: u32,
    fault: Option<Fault>,
    rate: RateMeter,
    next_heartbeat: Instant,
    next_request: Instant,
    /// Requests sent since work last arrived (paces re-requests).
    requests: u32,
    /// When the silent leader was last probed.
    probed: Option<Instant>,
    outbox: Deque<Transmit, 16>,
    events: Deque<Event, 16>,
    stats: MinerStats,
}

impl Miner {
    /// A miner that will look for coordinators at `coordinators` (may be
    /// empty with broadcast discovery).
    pub fn new(cfg: MinerConfig, coordinators: &[WireAddr], now: Instant) -> Miner {
        Miner {
            link: LeaderLink::new(coordinators),
            assignments: Vec::new(),
            in_flight: None,
            latest_job: None,
            closed_job: None,
            pending_yes: None,
            answers: SentAnswers::default(),
            next_serial: 0,
            fault: None,
            rate: RateMeter::new(cfg.initial_hashrate),
            next_heartbeat: now,
            next_request: now,
            requests: 0,
            probed: None,
            outbox: Deque::new(),
            events: Deque::new(),
            stats: MinerStats::default(),
            cfg,
        }
    }

    /// Adds a coordinator address to look for a leader at (found after
    /// start, e.g. in a registry). Known addresses are ignored.
    pub fn add_coordinator(&mut self, addr: WireAddr) {
        self.link.add(addr);
    }

    /// Marks the miner faulty: it drops its work, reports the fault in its
    /// heartbeats and never asks for work again.
    pub fn set_fault(&mut self, fault: Fault) {
        self.fault = Some(fault);
        self.assignments.clear();
    }

    /// The miner's id.
    pub fn id(&self) -> MinerId {
        self.cfg.id
    }

    /// What the miner reports in its heartbeats.
    pub fn state(&self) -> MinerState {
        if let Some(f) = self.fault {
            MinerState::Faulty(f)
        } else if let Some(a) = self.assignments.first() {
            MinerState::Mining(a.job)
        } else {
            MinerState::Idle
        }
    }

    /// The leader followed, if any.
    pub fn leader(&self) -> Option<CoordinatorId> {
        self.link.leader().map(|l| l.id)
    }

    /// The leader followed, with its address and epoch.
    pub fn followed(&self) -> Option<Followed> {
        self.link.leader()
    }

    /// The leadership view the miner holds.
    pub fn view(&self) -> LeaderView {
        self.link.view()
    }

    /// Measured hashes per second.
    pub fn hashrate(&self) -> u32 {
        self.rate.per_second()
    }

    /// Counters.
    pub fn stats(&self) -> MinerStats {
        self.stats
    }

    /// The next step to scan, unless one is already running or there is no
    /// work. Its length targets [`MinerConfig::step`] at the measured rate.
    pub fn poll_step(&mut self) -> Option<Step> {
        if self.in_flight.is_some() || self.fault.is_some() {
            return None;
        }
        let len = self.rate.nonces_for(self.cfg.step);
        let a = self.assignments.first_mut()?;
        let range = a.take_step(len)?;
        let id = StepId {
            job: a.job,
            range,
            serial: a.serial,
        };
        self.in_flight = Some(id);
        Some(Step {
            id,
            job: a.scan,
            range,
            zero_bits: a.zero_bits,
        })
    }

    /// Whether step `id` still belongs to work the miner holds. A driver
    /// may cancel a running step once this turns false (after an interrupt,
    /// a newer job or a leader change) and report it anyway.
    pub fn step_wanted(&self, id: StepId) -> bool {
        self.assignments
            .first()
            .is_some_and(|a| a.serial == id.serial)
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.outbox.pop_front()
    }

    /// The next event to log.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Miner::handle_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Instant {
        let mut t = self.next_heartbeat;
        if let Some(p) = &self.pending_yes {
            t = t.min(p.next_send);
        }
        if self.wants_work() {
            t = t.min(self.next_request);
        }
        if let Some(deadline) = self.link.deadline(self.cfg.leader_timeout) {
            t = t.min(deadline);
        }
        if let Some(probe) = self.next_probe() {
            t = t.min(probe);
        }
        t
    }

    /// When the followed leader, silent in the last [`probe window`] of
    /// its time-out, is next due a probe: a `Discover`, which every
    /// coordinator answers with `Announce`.
    ///
    /// [`probe window`]: MinerConfig::probe_window
    fn next_probe(&self) -> Option<Instant> {
        let deadline = self.link.deadline(self.cfg.leader_timeout)?;
        let from = deadline - self.cfg.probe_window();
        let due = match self.probed {
            Some(t) if t >= from => t + self.cfg.probe_every(),
            _ => from,
        };
        (due < deadline).then_some(due)
    }

    /// Probes the leader if it is due (see [`Miner::next_probe`]).
    fn probe_leader(&mut self, now: Instant) {
        let (Some(due), Some(leader)) = (self.next_probe(), self.link.leader()) else {
            return;
        };
        if now >= due {
            self.probed = Some(now);
            self.stats.leader_probes += 1;
            let msg = Message::Discover(Discover {
                view: self.link.view(),
            });
            self.send(Dest::Addr(leader.addr), msg);
        }
    }

    fn wants_work(&self) -> bool {
        self.fault.is_none() && self.link.leader().is_some() && self.slots() > 0
    }

    fn slots(&self) -> u8 {
        // At most MAX_ASSIGNMENTS (2), so the cast cannot truncate.
        (MAX_ASSIGNMENTS - self.assignments.len()) as u8
    }

    fn reply(&self, request: bool) -> Message {
        Message::HeartbeatReply(HeartbeatReply {
            view: self.link.view(),
            hashrate: self.rate.per_second(),
            miner: Some(self.state()),
            request: (request && self.wants_work()).then(|| ProcessRequest {
                slots: self.slots(),
            }),
            kind: Some(self.cfg.kind),
        })
    }

    /// Asks the leader for work now (if there is a leader and room).
    fn request_work(&mut self, now: Instant) {
        if let (true, Some(leader)) = (self.wants_work(), self.link.leader()) {
            let msg = self.reply(true);
            self.send(Dest::Addr(leader.addr), msg);
            self.requested(now);
        }
    }

    /// A request for work went out at `now`: ask again soon if no work
    /// comes, sooner after the first requests (see [`backoff`]).
    fn requested(&mut self, now: Instant) {
        self.requests = self.requests.saturating_add(1);
        self.next_request = now + backoff(self.cfg.retry, self.requests);
    }

    fn send_pending_yes(&mut self, now: Instant) {
        let Some(p) = self.pending_yes.as_mut() else {
            return;
        };
        if p.attempts >= YES_ATTEMPTS {
            let job = p.answer.job;
            self.pending_yes = None;
            self.push_event(Event::SolutionUnacknowledged { job });
            return;
        }
        p.attempts += 1;
        p.next_send = now + backoff(self.cfg.retry, u32::from(p.attempts));
        let (to, answer) = (p.to, p.answer);
        self.send(Dest::Addr(to), Message::ProcessAnswerYes(answer));
    }

    fn discover(&mut self) {
        let msg = Message::Discover(Discover {
            view: self.link.view(),
        });
        for addr in self.link.addresses() {
            self.send(Dest::Addr(addr), msg);
        }
        if self.cfg.broadcast_discovery {
            self.send(Dest::Broadcast, msg);
        }
    }

    /// Drops assignments for which `stale` holds.
    fn drop_where(&mut self, reason: DropReason, stale: impl Fn(JobRef) -> bool) {
        let mut dropped: Option<JobRef> = None;
        self.assignments.retain(|a| {
            let drop = stale(a.job);
            if drop {
                dropped = Some(a.job);
            }
            !drop
        });
        if let Some(job) = dropped {
            self.push_event(Event::Dropped { job, reason });
        }
    }

    fn send(&mut self, dest: Dest, message: Message) {
        if self.outbox.push_back(Transmit { dest, message }).is_err() {
            self.stats.outbox_overflow += 1;
        }
    }

    fn push_event(&mut self, event: Event) {
        if self.events.is_full() {
            self.events.pop_front();
        }
        let _ = self.events.push_back(event);
    }

    fn sender_coordinator(sender: NodeId) -> Option<CoordinatorId> {
        sender.coordinator()
    }
}

#[cfg(test)]
mod tests;
