//! The node and the chain service: what it asks (`ChainCall`), what comes
//! back (`ChainReply`), and the input that takes the replies in
//! ([`Node::handle_chain`](super::Node::handle_chain), in `calls.rs`, with
//! the outputs it drives). The node never does HTTP itself: the driver
//! performs each call and hands the reply back, tagged with the call's
//! sequence number, so a late reply to a call the node no longer waits for
//! is ignored ([`Pending`]).

mod calls;

use chain::ledger::Address;
use std::collections::BTreeMap;
use std::time::Duration;

use protocol::wire::ChainHealth;
use protocol::{BlockHeader, CoordinatorId, Hash256, Instant};

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
    /// `GET /v1/template?payout=ADDR`.
    Template {
        /// Sequence number to echo.
        seq: u64,
        /// Who the block's reward pays.
        payout: Address,
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
        /// The coordinators that confirmed it (the vote's yes, or the
        /// leader alone), lowest id first.
        confirmed_by: Vec<CoordinatorId>,
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

/// The call one piece of the leader's work waits for: none, or the call
/// with one sequence number. Each piece of work (a template to fetch, a
/// block to submit, the tip to poll) has its own, and has at most one call
/// out at a time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pending(Option<u64>);

impl Pending {
    /// No call out.
    pub const NONE: Pending = Pending(None);

    /// Whether no call is out, so a new one may be made.
    pub fn is_idle(self) -> bool {
        self.0.is_none()
    }

    /// Takes in the reply to call `seq`: true, and idle again, if it is the
    /// call awaited; false (and unchanged) for any other, a late reply.
    pub fn settle(&mut self, seq: u64) -> bool {
        let awaited = self.0 == Some(seq);
        if awaited {
            self.0 = None;
        }
        awaited
    }
}

/// What the node keeps about the chain service: the numbering of its calls,
/// the retry delay, what its own calls found (since when down, and why),
/// and what each peer's last heartbeat said it found.
#[derive(Clone, Debug)]
pub(super) struct ChainState {
    seq: u64,
    backoff: Backoff,
    /// `Unknown` until a call of this node is answered or fails.
    health: ChainHealth,
    down_since: Option<Instant>,
    error: Option<String>,
    /// `HeartbeatRequest.chain` of each peer, as last heard.
    reported: BTreeMap<CoordinatorId, ChainHealth>,
}

impl ChainState {
    pub(super) fn new(retry_min: Duration, retry_max: Duration) -> ChainState {
        ChainState {
            seq: 0,
            backoff: Backoff::new(retry_min, retry_max),
            health: ChainHealth::Unknown,
            down_since: None,
            error: None,
            reported: BTreeMap::new(),
        }
    }

    /// What this node's own calls found.
    pub(super) fn health(&self) -> ChainHealth {
        self.health
    }

    /// Records what peer `id` said it found, in a heartbeat.
    pub(super) fn reported_by(&mut self, id: CoordinatorId, health: ChainHealth) {
        self.reported.insert(id, health);
    }

    /// What peer `id` last said it found (`Unknown` if it never said).
    pub(super) fn report_of(&self, id: CoordinatorId) -> ChainHealth {
        self.reported
            .get(&id)
            .copied()
            .unwrap_or(ChainHealth::Unknown)
    }

    /// Numbers a new call and makes `pending` wait for it.
    fn issue(&mut self, pending: &mut Pending) -> u64 {
        self.seq += 1;
        pending.0 = Some(self.seq);
        self.seq
    }

    /// The last call's error, while down.
    pub(super) fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
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
    fn a_pending_call_takes_only_its_own_reply() {
        let mut chain = ChainState::new(Duration::from_millis(1), Duration::from_millis(2));
        let (mut template, mut tip) = (Pending::NONE, Pending::NONE);
        let first = chain.issue(&mut template);
        let second = chain.issue(&mut tip);
        assert_ne!(first, second);
        assert!(!template.is_idle());
        assert!(!template.settle(second), "another call's reply");
        assert!(template.settle(first));
        assert!(template.is_idle());
        assert!(!template.settle(first), "a repeated reply");
        assert!(tip.settle(second));
    }

    #[test]
    fn backoff_doubles_to_its_cap() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let delays: Vec<_> = (0..4).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(delays, [100, 200, 350, 350]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(100));
    }
}
