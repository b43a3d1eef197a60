//! Newtype identifiers. Each is a distinct type so that a job id can never be
//! passed where an epoch is expected; all are plain integers on the wire.

use core::fmt;

use serde::{Deserialize, Serialize};

/// A coordinator's id, unique within a cluster (1, 2, 3...). The lowest id
/// that is up leads. Zero is not a valid coordinator id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CoordinatorId(pub u16);

/// A miner's id, unique within a cluster. Boards derive theirs from the flash
/// chip's unique id; host-simulated miners number theirs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MinerId(pub u32);

/// Who sent a frame. Coordinators and miners have separate id spaces, so a
/// miner numbered 1 never collides with coordinator 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum NodeId {
    /// A coordinator node.
    Coordinator(CoordinatorId),
    /// A miner (host thread group or board).
    Miner(MinerId),
}

/// A leadership epoch. A node that becomes leader takes an epoch above every
/// epoch it has seen; work messages from an older epoch are ignored.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Epoch(pub u32);

/// A job id, allocated by the leader, increasing within an epoch. A job is
/// one header template with one timestamp; its nonce range is split into
/// leases.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct JobId(pub u32);

/// A job named across epochs. Ordered by epoch first, so that any job of a
/// newer leader supersedes every job of an older one. The work messages
/// carry it as one field; postcard writes it as the epoch's varint, then the
/// job's. Shown as `e3/j300` (`Display`, and `defmt::Format` alike).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct JobRef {
    /// The leadership epoch the job was issued in.
    pub epoch: Epoch,
    /// The job within that epoch.
    pub job: JobId,
}

/// A random number a node draws each time it starts. Frames carry it so that
/// a node that restarts (and so restarts its frame counter at zero) is heard
/// again instead of being taken for a replay. The protocol only carries it:
/// the host draws it from the operating system and a board from its chip,
/// never from a clock and never a constant (a failed draw stops the node).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BootId(pub u32);

impl NodeId {
    /// The coordinator id, if this node is a coordinator.
    pub fn coordinator(self) -> Option<CoordinatorId> {
        match self {
            NodeId::Coordinator(id) => Some(id),
            NodeId::Miner(_) => None,
        }
    }

    /// The miner id, if this node is a miner.
    pub fn miner(self) -> Option<MinerId> {
        match self {
            NodeId::Miner(id) => Some(id),
            NodeId::Coordinator(_) => None,
        }
    }
}

impl Epoch {
    /// The epoch after this one (saturating: 2^32 leadership changes do not
    /// happen in practice, and wrapping would make a new leader look old).
    pub fn next(self) -> Epoch {
        Epoch(self.0.saturating_add(1))
    }
}

impl JobId {
    /// The job after this one.
    pub fn next(self) -> JobId {
        JobId(self.0.saturating_add(1))
    }
}

impl fmt::Display for CoordinatorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c{}", self.0)
    }
}

impl fmt::Display for MinerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m{}", self.0)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeId::Coordinator(id) => id.fmt(f),
            NodeId::Miner(id) => id.fmt(f),
        }
    }
}

impl fmt::Display for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "e{}", self.0)
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "j{}", self.0)
    }
}

impl fmt::Display for JobRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.epoch, self.job)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for JobRef {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "e{=u32}/j{=u32}", self.epoch.0, self.job.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_refs_order_by_epoch_first() {
        let old = JobRef {
            epoch: Epoch(1),
            job: JobId(900),
        };
        let new = JobRef {
            epoch: Epoch(2),
            job: JobId(1),
        };
        assert!(new > old);
    }

    #[test]
    fn counters_saturate_instead_of_wrapping() {
        assert_eq!(Epoch(u32::MAX).next(), Epoch(u32::MAX));
        assert_eq!(JobId(7).next(), JobId(8));
    }
}
