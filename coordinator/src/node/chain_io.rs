//! What the node asks of the chain service, and what comes back. The node
//! never does HTTP itself: it emits a `ChainCall`, the driver performs it and
//! hands the `ChainReply` back, tagged with the call's sequence number so a
//! late reply to a call the node no longer cares about is ignored.

use std::time::Duration;

use protocol::{BlockHeader, Hash256};

/// The work template the leader builds headers from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Template {
    /// Height of the block to mine.
    pub height: u64,
    /// Hash of the tip it extends.
    pub prev_hash: Hash256,
    /// Header version to use.
    pub version: u32,
    /// Merkle root to use.
    pub merkle_root: Hash256,
    /// Header bits field to use.
    pub bits: u32,
    /// Earliest acceptable header time.
    pub min_time: u32,
    /// Required zero bits.
    pub zero_bits: u8,
}

/// The chain's tip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tip {
    /// Its height.
    pub height: u64,
    /// Its hash.
    pub hash: Hash256,
}

/// A call that failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainError {
    /// The service could not be reached or failed (retry later).
    Unavailable(String),
    /// The service refused the request as invalid (do not retry).
    Rejected(String),
}

/// How a submission ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submitted {
    /// Accepted (now, or by an earlier attempt whose reply was lost).
    Accepted {
        /// Height of the block.
        height: u64,
        /// Its hash.
        hash: Hash256,
    },
    /// Another block took that height first.
    Stale(String),
}

/// A request to the chain service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainCall {
    /// `GET /v1/template`.
    Template {
        /// Sequence number to echo.
        seq: u64,
    },
    /// `POST /v1/blocks`.
    Submit {
        /// Sequence number to echo.
        seq: u64,
        /// The solved header.
        header: BlockHeader,
        /// The height it is for.
        height: u64,
        /// Who found it.
        miner: String,
    },
    /// `GET /v1/tip`.
    Tip {
        /// Sequence number to echo.
        seq: u64,
    },
}

/// The result of a `ChainCall`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainReply {
    /// For `ChainCall::Template`.
    Template {
        /// The call's sequence number.
        seq: u64,
        /// The template.
        result: Result<Template, ChainError>,
    },
    /// For `ChainCall::Submit`.
    Submit {
        /// The call's sequence number.
        seq: u64,
        /// The outcome.
        result: Result<Submitted, ChainError>,
    },
    /// For `ChainCall::Tip`.
    Tip {
        /// The call's sequence number.
        seq: u64,
        /// The tip.
        result: Result<Tip, ChainError>,
    },
}

/// Exponential backoff for retries while the service is down.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    next: Duration,
    min: Duration,
    max: Duration,
}

impl Backoff {
    /// Starts at `min`, doubles up to `max`.
    pub fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            next: min,
            min,
            max,
        }
    }

    /// The delay before the next attempt; doubles the one after.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    /// Back to the shortest delay.
    pub fn reset(&mut self) {
        self.next = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let delays: Vec<_> = (0..4).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(delays, [100, 200, 350, 350]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(100));
    }
}
