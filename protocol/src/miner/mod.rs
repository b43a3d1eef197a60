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

mod assignment;
mod leader;
mod rate;

use core::time::Duration;

use heapless::{Deque, Vec};

use crate::ids::{CoordinatorId, Epoch, JobRef, MinerId, NodeId};
use crate::kernel::{Best, ScanJob, ScanOutcome};
use crate::range::NonceRange;
use crate::time::Instant;
use crate::wire::{
    Discover, Fault, HeartbeatReply, LeaderView, Message, MinerState, ProcessAnswerNo,
    ProcessAnswerYes, ProcessRequest, WireAddr,
};

use assignment::Assignment;
pub use leader::Followed;
use leader::LeaderLink;
use rate::RateMeter;

/// Coordinators a miner can know.
pub const MAX_COORDINATORS: usize = 8;
/// Assignments a miner holds: the one being scanned and one queued.
pub const MAX_ASSIGNMENTS: usize = 2;
/// Times a `ProcessAnswerYes` is sent before the miner gives up on it.
pub const YES_ATTEMPTS: u8 = 20;

/// Timing and identity of a miner.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MinerConfig {
    /// The miner's id.
    pub id: MinerId,
    /// Heartbeat interval: status to the leader, discovery while leaderless.
    pub heartbeat: Duration,
    /// A leader silent this long is taken for dead.
    pub leader_timeout: Duration,
    /// Retry interval for unanswered work requests and solutions.
    pub retry: Duration,
    /// Target duration of one scan step: how quickly an interrupt is obeyed.
    pub step: Duration,
    /// Hash rate assumed before the first measurement, hashes per second.
    pub initial_hashrate: u32,
    /// Whether to broadcast `Discover` on the LAN while leaderless.
    pub broadcast_discovery: bool,
}

impl MinerConfig {
    /// Defaults for a miner with `id`: 5 s heartbeats, leader dead after 3
    /// missed intervals, 20 ms steps.
    pub fn new(id: MinerId) -> MinerConfig {
        MinerConfig {
            id,
            heartbeat: Duration::from_secs(5),
            leader_timeout: Duration::from_secs(15),
            retry: Duration::from_secs(1),
            step: Duration::from_millis(20),
            initial_hashrate: 100_000,
            broadcast_discovery: false,
        }
    }
}

/// Where a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Dest {
    /// One address.
    Addr(WireAddr),
    /// The LAN broadcast address, on the coordinators' port.
    Broadcast,
}

/// A message to seal and send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Transmit {
    /// Destination.
    pub dest: Dest,
    /// The message.
    pub message: Message,
}

/// Names a step so its result is matched to the assignment it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StepId {
    job: JobRef,
    range: NonceRange,
    /// The assignment's serial: a range leased again after it was dropped
    /// is a new assignment, and a step of the old one never counts for it.
    serial: u32,
}

impl StepId {
    /// The job the step belongs to.
    pub fn job(&self) -> JobRef {
        self.job
    }

    /// The step's nonces.
    pub fn range(&self) -> NonceRange {
        self.range
    }
}

/// A slice of an assignment for the driver to scan.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Step {
    /// Pass back to [`Miner::handle_step`].
    pub id: StepId,
    /// The prepared header.
    pub job: ScanJob,
    /// The nonces to scan.
    pub range: NonceRange,
    /// Required zero bits.
    pub zero_bits: u8,
}

/// Why assignments were dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DropReason {
    /// The leader interrupted the job.
    Interrupted,
    /// The leader moved to a newer job.
    Superseded,
    /// The leader went silent or another took over.
    LeaderChanged,
}

/// Why a `Process` was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Refusal {
    /// From an older epoch or job than the miner already follows.
    Stale,
    /// From a coordinator that is not the leader the miner follows.
    NotLeader,
    /// A hash recipe this miner does not implement.
    UnsupportedRecipe,
    /// The miner already holds [`MAX_ASSIGNMENTS`].
    NoRoom,
    /// The miner is faulty and does not mine.
    Faulty,
}

/// Something a driver may log or show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event {
    /// The miner now follows `leader` (or nobody).
    LeaderChanged {
        /// The new leader.
        leader: Option<CoordinatorId>,
        /// Its epoch.
        epoch: Epoch,
    },
    /// A range was assigned.
    Assigned {
        /// Its job.
        job: JobRef,
        /// The range.
        range: NonceRange,
    },
    /// A solution was found and is being reported.
    Found {
        /// Its job.
        job: JobRef,
        /// The nonce.
        nonce: u32,
    },
    /// A range was scanned without a solution and reported.
    Exhausted {
        /// Its job.
        job: JobRef,
        /// The range.
        range: NonceRange,
        /// The best hash in it.
        best: Best,
    },
    /// Assignments were abandoned.
    Dropped {
        /// Their job.
        job: JobRef,
        /// Why.
        reason: DropReason,
    },
    /// A `Process` was not taken.
    Refused(Refusal),
    /// A solution was never acknowledged after [`YES_ATTEMPTS`] sends.
    SolutionUnacknowledged {
        /// Its job.
        job: JobRef,
    },
}

/// A solution waiting for the leader to acknowledge it (by interrupting its
/// job or moving past it).
#[derive(Clone, Copy, Debug)]
struct PendingYes {
    answer: ProcessAnswerYes,
    to: WireAddr,
    next_send: Instant,
    attempts: u8,
}

/// Counters for a driver's status display.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MinerStats {
    /// Hashes computed.
    pub hashes: u64,
    /// Ranges answered with no solution.
    pub ranges_done: u64,
    /// Solutions found.
    pub solutions: u64,
    /// `Process` messages refused.
    pub refused: u64,
    /// Messages dropped because the outbox was full.
    pub outbox_overflow: u64,
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
    /// Serial of the next assignment taken.
    next_serial: u32,
    fault: Option<Fault>,
    rate: RateMeter,
    next_heartbeat: Instant,
    next_request: Instant,
    outbox: Deque<Transmit, 16>,
    events: Deque<Event, 16>,
    stats: MinerStats,
}

mod handle;

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
            next_serial: 0,
            fault: None,
            rate: RateMeter::new(cfg.initial_hashrate),
            next_heartbeat: now,
            next_request: now,
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
            self.send(
                Dest::Addr(a.reply_to),
                Message::ProcessAnswerNo(ProcessAnswerNo {
                    job: a.job,
                    range: a.range,
                    best,
                }),
            );
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
        t
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
        })
    }

    /// Asks the leader for work now (if there is a leader and room).
    fn request_work(&mut self, now: Instant) {
        if let (true, Some(leader)) = (self.wants_work(), self.link.leader()) {
            let msg = self.reply(true);
            self.send(Dest::Addr(leader.addr), msg);
            self.next_request = now + self.cfg.retry;
        }
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
        p.next_send = now + self.cfg.retry;
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
