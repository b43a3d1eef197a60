//! The fault layer's settings and its account of what it did.

use std::collections::BTreeMap;

use protocol::wire::Message;

/// What the fault layer does to each datagram on a kind of link.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Faults {
    /// Probability it is lost.
    pub drop: f64,
    /// Probability it arrives twice.
    pub duplicate: f64,
    /// Each copy is held back a uniform 0..=`max_delay` ms.
    pub max_delay: u64,
}

impl Faults {
    /// Loss only.
    pub fn loss(drop: f64) -> Faults {
        Faults {
            drop,
            ..Faults::default()
        }
    }

    pub fn any(&self) -> bool {
        self.drop > 0.0 || self.duplicate > 0.0 || self.max_delay > 0
    }
}

/// Datagrams sent and lost, by message kind.
#[derive(Debug, Default)]
pub(super) struct Traffic {
    /// Kind -> (sent, dropped, duplicated).
    pub by_kind: BTreeMap<&'static str, (u64, u64, u64)>,
}

/// A message's kind, for the counts.
pub(super) fn kind(m: &Message) -> &'static str {
    match m {
        Message::HeartbeatRequest(_) => "HeartbeatRequest",
        Message::HeartbeatReply(_) => "HeartbeatReply",
        Message::Process(_) => "Process",
        Message::ProcessAnswerNo(_) => "ProcessAnswerNo",
        Message::ProcessAnswerYes(_) => "ProcessAnswerYes",
        Message::ProcessInterrupt(_) => "ProcessInterrupt",
        Message::Discover(_) => "Discover",
        Message::Announce(_) => "Announce",
        Message::VoteRequest(_) => "VoteRequest",
        Message::VoteReply(_) => "VoteReply",
    }
}
