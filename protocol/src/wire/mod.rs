//! The messages, serialized with postcard inside a frame (see `frame`).
//!
//! Byte-level layout, field meanings and the compatibility rules are in
//! `docs/wire-format.md`. The variant order of [`Message`] and the field
//! order of every struct are the wire format: append, never reorder.

mod addr;
mod header_bytes;
mod vote;

use serde::{Deserialize, Serialize};

pub use addr::WireAddr;
pub use header_bytes::HeaderBytes;
pub use vote::{Vote, VoteReply, VoteRequest};

use crate::ids::{CoordinatorId, Epoch, JobRef};
use crate::kernel::Best;
use crate::range::NonceRange;

/// The UDP port coordinators listen on unless configured otherwise; boards
/// send their broadcast `Discover` to it.
pub const DEFAULT_PORT: u16 = 7411;

/// The hash recipe a job uses, as a tag. Only [`Recipe::SHA256D`] exists;
/// the tag is a plain byte so that a miner can receive a job with a recipe it
/// does not know, refuse it, and say so, instead of failing to decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Recipe(pub u8);

impl Recipe {
    /// SHA-256(SHA-256(80-byte header)), zero bits counted on the displayed
    /// (byte-reversed) hash.
    pub const SHA256D: Recipe = Recipe(0);
}

/// A node's view of leadership.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LeaderView {
    /// The highest epoch the node has seen.
    pub epoch: Epoch,
    /// Who the node believes leads in that epoch, if anyone.
    pub leader: Option<CoordinatorId>,
}

/// Coordinator to peer coordinators and to its miners, every heartbeat
/// interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HeartbeatRequest {
    /// The sender's view of leadership.
    pub view: LeaderView,
    /// The leader's current job. A miner still working on an older job of
    /// this leader drops it: a lost `ProcessInterrupt` costs at most one
    /// interval.
    pub job: Option<JobRef>,
    /// The chain service as the sender found it, when the sender leads
    /// (`Unknown` from a follower, which does not call it): followers report
    /// the leader's view instead of one they never measured. Appended in
    /// frame version 2.
    pub chain: ChainHealth,
}

/// The chain service as a coordinator last found it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ChainHealth {
    /// Not known: the sender does not call the service, or has had neither
    /// an answer nor a failure yet.
    #[default]
    Unknown,
    /// The sender's last call was answered.
    Up,
    /// The sender's last call failed; it retries with backoff.
    Down,
}

/// What a miner is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MinerState {
    /// No assignment.
    Idle,
    /// Scanning an assignment of this job.
    Mining(JobRef),
    /// Not mining because of a fault; it will not ask for work.
    Faulty(Fault),
}

impl core::fmt::Display for MinerState {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MinerState::Idle => f.write_str("idle"),
            MinerState::Mining(job) => write!(f, "mining {job}"),
            MinerState::Faulty(Fault::SelfTestFailed) => {
                f.write_str("faulty: kernel self-test failed")
            }
        }
    }
}

/// Why a miner does not mine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Fault {
    /// Its kernel failed the known-answer test at boot.
    SelfTestFailed,
}

/// A miner's request for work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ProcessRequest {
    /// How many more assignments the miner can take now (1 or 2: a miner
    /// holds its current assignment and one queued, so it never idles while
    /// an answer and the next `Process` cross the network).
    pub slots: u8,
}

/// The answer to a `HeartbeatRequest`; miners also send it unprompted to
/// register with a leader and to ask for work as soon as they need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HeartbeatReply {
    /// The sender's view of leadership (a miner reports the leader it
    /// follows).
    pub view: LeaderView,
    /// Hashes per second the sender measured (0 for a coordinator without
    /// miners of its own). The leader sizes leases from it.
    pub hashrate: u32,
    /// Present when the sender is a miner.
    pub miner: Option<MinerState>,
    /// Present when the miner wants work.
    pub request: Option<ProcessRequest>,
    /// What the miner is (present from miners), for operators. Appended in
    /// frame version 3.
    pub kind: Option<MinerKind>,
}

/// What a miner runs on, as a tag: shown on dashboards and in metrics, and
/// never used to decide anything. A plain byte, so that a kind added later
/// still decodes (and shows as a board of an unknown model).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MinerKind(pub u8);

impl MinerKind {
    /// Threads of a host computer (`coordinator sim`, `run --threads`,
    /// `host-miner`).
    pub const HOST: MinerKind = MinerKind(0);
    /// A Raspberry Pi Pico W (RP2040).
    pub const RP2040: MinerKind = MinerKind(1);
    /// A Raspberry Pi Pico 2 W (RP2350).
    pub const RP2350: MinerKind = MinerKind(2);

    /// `host` or `board`: the class a dashboard groups by.
    pub fn class(self) -> &'static str {
        if self == MinerKind::HOST {
            "host"
        } else {
            "board"
        }
    }

    /// The model: `host`, `RP2040`, `RP2350`, or `unknown` for a tag this
    /// build does not know.
    pub fn model(self) -> &'static str {
        match self {
            MinerKind::HOST => "host",
            MinerKind::RP2040 => "RP2040",
            MinerKind::RP2350 => "RP2350",
            _ => "unknown",
        }
    }
}

/// Leader to miner: scan `range` of the header for `zero_bits`. A lease:
/// unanswered, it expires and the range goes to another miner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Process {
    /// The job: the leader's epoch and the job within it. Miners ignore work
    /// from an older epoch. On the wire, the epoch's varint then the job's.
    pub job: JobRef,
    /// The hash recipe.
    pub recipe: Recipe,
    /// The 80-byte header with the leader's timestamp; its nonce field is
    /// ignored.
    pub header: HeaderBytes,
    /// Required leading zero bits of the displayed hash.
    pub zero_bits: u8,
    /// The nonces to scan.
    pub range: NonceRange,
}

/// Miner to leader: the whole range was scanned without a solution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ProcessAnswerNo {
    /// The assignment's job.
    pub job: JobRef,
    /// The range, exactly as assigned.
    pub range: NonceRange,
    /// The best hash in the range, as evidence the range was scanned: the
    /// leader re-hashes it and checks its zero bits.
    pub best: Best,
}

/// Miner to leader: `nonce` meets the difficulty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ProcessAnswerYes {
    /// The assignment's job.
    pub job: JobRef,
    /// The range, exactly as assigned.
    pub range: NonceRange,
    /// The solution.
    pub nonce: u32,
}

/// Leader to miners: stop work on `job` and every older job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ProcessInterrupt {
    /// The job to stop.
    pub job: JobRef,
}

/// Miner to any coordinator (or the LAN broadcast address): who is there,
/// who leads?
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Discover {
    /// What the miner currently believes, so coordinators can log strays.
    pub view: LeaderView,
}

/// Coordinator to miner, in answer to `Discover` and to work requests sent to
/// a coordinator that does not lead: who leads and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Announce {
    /// The sender's view of leadership.
    pub view: LeaderView,
    /// The leader's address, when the sender knows it and it is not the
    /// sender itself (a miner replies to the sender's source address).
    pub leader_addr: Option<WireAddr>,
}

/// Every message. Variant indices are part of the wire format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Message {
    /// Index 0.
    HeartbeatRequest(HeartbeatRequest),
    /// Index 1.
    HeartbeatReply(HeartbeatReply),
    /// Index 2.
    Process(Process),
    /// Index 3.
    ProcessAnswerNo(ProcessAnswerNo),
    /// Index 4.
    ProcessAnswerYes(ProcessAnswerYes),
    /// Index 5.
    ProcessInterrupt(ProcessInterrupt),
    /// Index 6.
    Discover(Discover),
    /// Index 7.
    Announce(Announce),
    /// Index 8: leader to peer coordinators (`vote.rs`).
    VoteRequest(VoteRequest),
    /// Index 9: peer coordinator to leader (`vote.rs`).
    VoteReply(VoteReply),
}

/// A body that is not a valid message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BodyError {
    /// postcard could not decode it.
    Malformed,
    /// A message decoded but bytes were left over.
    TrailingBytes,
    /// The output buffer is too small (encoding).
    TooLarge,
}

impl core::fmt::Display for BodyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            BodyError::Malformed => "message body does not decode",
            BodyError::TrailingBytes => "message body has trailing bytes",
            BodyError::TooLarge => "message does not fit the frame",
        })
    }
}

impl core::error::Error for BodyError {}

impl Message {
    /// A short name for logs and counters.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::HeartbeatRequest(_) => "heartbeat_request",
            Message::HeartbeatReply(_) => "heartbeat_reply",
            Message::Process(_) => "process",
            Message::ProcessAnswerNo(_) => "answer_no",
            Message::ProcessAnswerYes(_) => "answer_yes",
            Message::ProcessInterrupt(_) => "interrupt",
            Message::Discover(_) => "discover",
            Message::Announce(_) => "announce",
            Message::VoteRequest(_) => "vote_request",
            Message::VoteReply(_) => "vote_reply",
        }
    }

    /// Serializes into `buf`, returning the used prefix.
    pub fn encode<'a>(&self, buf: &'a mut [u8]) -> Result<&'a mut [u8], BodyError> {
        postcard::to_slice(self, buf).map_err(|_| BodyError::TooLarge)
    }

    /// Deserializes exactly one message from `bytes`.
    pub fn decode(bytes: &[u8]) -> Result<Message, BodyError> {
        match postcard::take_from_bytes::<Message>(bytes) {
            Ok((msg, [])) => Ok(msg),
            Ok(_) => Err(BodyError::TrailingBytes),
            Err(_) => Err(BodyError::Malformed),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
