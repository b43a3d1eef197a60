//! What a leader is doing, one state at a time, with the chain call the
//! state awaits where it awaits one (`Pending`). Apart from `Node` because
//! every input module (`handle.rs`, `leading.rs`, `chain_io/`, `vote/`)
//! matches on it.

use protocol::{CoordinatorId, Instant, MinerId};

use super::{Job, Pending, Template, vote};

/// What the leader is doing.
#[derive(Clone, Debug)]
pub(super) enum Work {
    /// Not leading.
    Idle,
    /// Leading, past the last height it was told to mine
    /// (`CoordinatorConfig::last_height`): no job, no calls.
    Done,
    /// Waiting for a template.
    NeedTemplate { next_try: Instant, call: Pending },
    /// Holding a template until the quorum is reached, and polling the
    /// tip meanwhile.
    Waiting {
        template: Template,
        tip_call: Pending,
    },
    /// Handing out leases, and polling the tip.
    Mining { job: Box<Job>, tip_call: Pending },
    /// Holding a verified solution while the peers vote on it.
    Voting { ballot: Box<vote::Ballot> },
    /// Holding a solution until the chain service takes it.
    Submitting {
        job: Box<Job>,
        nonce: u32,
        miner: MinerId,
        /// The coordinators that confirmed it (the vote's yes).
        confirmed_by: Vec<CoordinatorId>,
        next_try: Instant,
        call: Pending,
    },
}
