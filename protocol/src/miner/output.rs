//! What the miner hands its driver: messages to send, steps to scan, events
//! to log, counters to show. Everything here is a value; the driver decides
//! what to do with it.

use crate::ids::{CoordinatorId, Epoch, JobRef};
use crate::kernel::{Best, ScanJob};
use crate::range::NonceRange;
use crate::wire::{Message, WireAddr};

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
    pub(super) job: JobRef,
    pub(super) range: NonceRange,
    /// The assignment's serial: a range leased again after it was dropped
    /// is a new assignment, and a step of the old one never counts for it.
    pub(super) serial: u32,
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
    /// Pass back to [`Miner::handle_step`](super::Miner::handle_step).
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
    /// The miner already holds [`MAX_ASSIGNMENTS`](super::MAX_ASSIGNMENTS).
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
    /// A solution was never acknowledged after [`YES_ATTEMPTS`](super::YES_ATTEMPTS) sends.
    SolutionUnacknowledged {
        /// Its job.
        job: JobRef,
    },
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
    /// Answers sent again because the leader leased their range again.
    pub answers_resent: u64,
    /// Probes sent to a silent leader.
    pub leader_probes: u64,
}
