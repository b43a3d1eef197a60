//! The datagram frame: one UDP datagram carries one authenticated message.
//!
//! ```text
//! offset  size  field
//!      0     1  version (1)
//!      1     1  sender kind: 0 coordinator, 1 miner
//!      2     4  sender id, u32 little-endian (a coordinator id fits u16)
//!      6     4  boot id, u32 little-endian, random per sender start
//!     10     8  counter, u64 little-endian, +1 per frame from that boot
//!     18     n  body: one postcard-encoded `Message`
//!   18+n    16  tag: HMAC-SHA256(cluster key, bytes 0..18+n), first 16 bytes
//! ```
//!
//! A frame is at most [`MAX_FRAME`] bytes. [`Opener::open`] checks, in order:
//! length, version, sender, tag, body, replay window; each failure has its own
//! [`FrameError`] and changes nothing. See `replay` for what the window does
//! and does not stop.

pub mod hmac;
pub mod replay;

use core::fmt;

use crate::ids::{BootId, CoordinatorId, MinerId, NodeId};
use crate::key::ClusterKey;
use crate::wire::{BodyError, Message};

pub use hmac::TAG_LEN;
pub use replay::{ReplayError, ReplayTable};

/// The frame format version this build speaks.
pub const VERSION: u8 = 3;
/// Bytes before the body.
pub const HEADER_LEN: usize = 18;
/// Largest frame, in bytes.
pub const MAX_FRAME: usize = 192;
/// Largest body, in bytes.
pub const MAX_BODY: usize = MAX_FRAME - HEADER_LEN - TAG_LEN;
/// Smallest possible frame (a one-byte body).
pub const MIN_FRAME: usize = HEADER_LEN + 1 + TAG_LEN;

const KIND_COORDINATOR: u8 = 0;
const KIND_MINER: u8 = 1;

/// Why a datagram was refused. Each is counted by the drivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FrameError {
    /// Shorter than the smallest frame.
    TooShort,
    /// Longer than [`MAX_FRAME`].
    TooLong,
    /// A protocol version this build does not speak.
    Version(u8),
    /// An unknown sender kind, or a coordinator id that is 0 or above u16.
    Sender,
    /// The authentication tag does not match: wrong key, or tampered.
    BadTag,
    /// The frame claims to come from this very node (a reflection).
    Reflected,
    /// Authenticated, but the body is not a valid message.
    Body(BodyError),
    /// Authenticated, but seen before or too old.
    Replay(ReplayError),
}

impl FrameError {
    /// Every cause's name, in [`FrameError::index`] order: a driver can
    /// count refusals in a plain array and name them from this.
    pub const KINDS: [&'static str; 10] = [
        "too_short",
        "too_long",
        "version",
        "sender",
        "bad_tag",
        "reflected",
        "body",
        "replay_duplicate",
        "replay_too_old",
        "replay_retired_boot",
    ];

    /// This cause's position in [`FrameError::KINDS`].
    pub fn index(&self) -> usize {
        match self {
            FrameError::TooShort => 0,
            FrameError::TooLong => 1,
            FrameError::Version(_) => 2,
            FrameError::Sender => 3,
            FrameError::BadTag => 4,
            FrameError::Reflected => 5,
            FrameError::Body(_) => 6,
            FrameError::Replay(ReplayError::Duplicate) => 7,
            FrameError::Replay(ReplayError::TooOld) => 8,
            FrameError::Replay(ReplayError::RetiredBoot) => 9,
        }
    }

    /// A short stable name for counters.
    pub fn kind(&self) -> &'static str {
        Self::KINDS[self.index()]
    }
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::TooShort => write!(f, "datagram shorter than {MIN_FRAME} bytes"),
            FrameError::TooLong => write!(f, "datagram longer than {MAX_FRAME} bytes"),
            FrameError::Version(v) => write!(f, "protocol version {v}, expected {VERSION}"),
            FrameError::Sender => f.write_str("invalid sender kind or id"),
            FrameError::BadTag => f.write_str("authentication tag mismatch (wrong cluster key?)"),
            FrameError::Reflected => f.write_str("frame claims to come from this node"),
            FrameError::Body(e) => write!(f, "authenticated frame with bad body: {e}"),
            FrameError::Replay(e) => write!(f, "replayed frame: {e:?}"),
        }
    }
}

impl core::error::Error for FrameError {}

/// Seals messages from one node: numbers and authenticates them.
#[derive(Debug)]
pub struct Sealer {
    hmac: hmac::Hmac,
    sender: NodeId,
    boot: BootId,
    counter: u64,
}

impl Sealer {
    /// A sealer for `sender`, which drew `boot` at random when it started.
    pub fn new(key: &ClusterKey, sender: NodeId, boot: BootId) -> Sealer {
        Sealer {
            hmac: hmac::Hmac::new(key),
            sender,
            boot,
            counter: 0,
        }
    }

    /// Who this sealer speaks for.
    pub fn sender(&self) -> NodeId {
        self.sender
    }

    /// Writes the frame of `message` into `buf`, returning its length.
    pub fn seal(
        &mut self,
        message: &Message,
        buf: &mut [u8; MAX_FRAME],
    ) -> Result<usize, BodyError> {
        let (kind, id) = match self.sender {
            NodeId::Coordinator(CoordinatorId(id)) => (KIND_COORDINATOR, u32::from(id)),
            NodeId::Miner(MinerId(id)) => (KIND_MINER, id),
        };
        buf[0] = VERSION;
        buf[1] = kind;
        buf[2..6].copy_from_slice(&id.to_le_bytes());
        buf[6..10].copy_from_slice(&self.boot.0.to_le_bytes());
        buf[10..18].copy_from_slice(&self.counter.to_le_bytes());
        let body_len = message
            .encode(&mut buf[HEADER_LEN..MAX_FRAME - TAG_LEN])?
            .len();
        let end = HEADER_LEN + body_len;
        let tag = self.hmac.tag(&buf[..end]);
        buf[end..end + TAG_LEN].copy_from_slice(&tag);
        self.counter += 1;
        Ok(end + TAG_LEN)
    }
}

/// An accepted frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Opened {
    /// Who sent it (authenticated: only holders of the key can claim it).
    pub sender: NodeId,
    /// The sender's boot id.
    pub boot: BootId,
    /// The frame's counter.
    pub counter: u64,
    /// The message.
    pub message: Message,
}

/// Opens frames for one node, keeping the replay state of up to `N` senders.
#[derive(Debug)]
pub struct Opener<const N: usize> {
    hmac: hmac::Hmac,
    me: NodeId,
    replay: ReplayTable<N>,
}

impl<const N: usize> Opener<N> {
    /// An opener for node `me` (frames claiming to be from `me` are refused).
    pub fn new(key: &ClusterKey, me: NodeId) -> Self {
        Opener {
            hmac: hmac::Hmac::new(key),
            me,
            replay: ReplayTable::new(),
        }
    }

    /// Checks and decodes one datagram. Never panics, whatever the bytes.
    pub fn open(&mut self, bytes: &[u8]) -> Result<Opened, FrameError> {
        if bytes.len() < MIN_FRAME {
            return Err(FrameError::TooShort);
        }
        if bytes.len() > MAX_FRAME {
            return Err(FrameError::TooLong);
        }
        let (head, rest) = bytes.split_at(HEADER_LEN);
        if head[0] != VERSION {
            return Err(FrameError::Version(head[0]));
        }
        let id = u32::from_le_bytes([head[2], head[3], head[4], head[5]]);
        let sender = match head[1] {
            KIND_COORDINATOR => match u16::try_from(id) {
                Ok(id) if id != 0 => NodeId::Coordinator(CoordinatorId(id)),
                _ => return Err(FrameError::Sender),
            },
            KIND_MINER => NodeId::Miner(MinerId(id)),
            _ => return Err(FrameError::Sender),
        };
        let signed_len = bytes.len() - TAG_LEN;
        if !self.hmac.verify(&bytes[..signed_len], &bytes[signed_len..]) {
            return Err(FrameError::BadTag);
        }
        if sender == self.me {
            return Err(FrameError::Reflected);
        }
        let boot = BootId(u32::from_le_bytes([head[6], head[7], head[8], head[9]]));
        let mut counter = [0u8; 8];
        counter.copy_from_slice(&head[10..18]);
        let counter = u64::from_le_bytes(counter);
        let message = Message::decode(&rest[..rest.len() - TAG_LEN]).map_err(FrameError::Body)?;
        self.replay
            .accept(sender, boot, counter)
            .map_err(FrameError::Replay)?;
        Ok(Opened {
            sender,
            boot,
            counter,
            message,
        })
    }
}

#[cfg(test)]
mod tests;
