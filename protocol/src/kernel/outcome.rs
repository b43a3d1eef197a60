//! What a scan returns: the best hash seen and the outcome of a range, and
//! how the outcomes of adjacent ranges combine into the outcome of their
//! union (the miner's steps, a board's slices, the host's threads).

use serde::{Deserialize, Serialize};

/// The best hash seen in a range: its nonce and its leading zero bits
/// (saturated at 255).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Best {
    /// The nonce.
    pub nonce: u32,
    /// Leading zero bits of its displayed hash.
    pub zero_bits: u8,
}

impl Best {
    /// The better of two: more zero bits, or the lower nonce on a tie.
    pub fn better(self, other: Best) -> Best {
        if other.zero_bits > self.zero_bits
            || (other.zero_bits == self.zero_bits && other.nonce < self.nonce)
        {
            other
        } else {
            self
        }
    }
}

/// What a scan of one range produced. See the module docs for the contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ScanOutcome {
    /// The lowest nonce meeting the difficulty, if any.
    pub found: Option<u32>,
    /// The best nonce among those examined.
    pub best: Best,
    /// How many nonces were examined.
    pub hashes: u64,
}

impl ScanOutcome {
    /// The outcome of scanning no nonce, at `first`: no solution, no hash,
    /// and `first` with zero bits as the best. It is the identity of
    /// [`ScanOutcome::then`] for ranges that start at `first` (a scan of
    /// such a range reports `first` as its best unless a later nonce has
    /// more zero bits), so folds start from it.
    pub const fn none(first: u32) -> ScanOutcome {
        ScanOutcome {
            found: None,
            best: Best {
                nonce: first,
                zero_bits: 0,
            },
            hashes: 0,
        }
    }

    /// Combines the outcomes of two adjacent ranges, `self` covering the
    /// lower one. If `self` found a solution, `later` is ignored, exactly as
    /// if one scan had covered both ranges.
    pub fn then(self, later: ScanOutcome) -> ScanOutcome {
        if self.found.is_some() {
            return self;
        }
        ScanOutcome {
            found: later.found,
            best: self.best.better(later.best),
            hashes: self.hashes + later.hashes,
        }
    }

    /// The outcome of one scan over adjacent ranges, from theirs in nonce
    /// order, the first range starting at `first`: what a single scan of
    /// their union returns. Outcomes after one that found a solution are
    /// ignored; no outcomes at all give [`ScanOutcome::none`].
    pub fn fold(first: u32, parts: impl IntoIterator<Item = ScanOutcome>) -> ScanOutcome {
        parts
            .into_iter()
            .fold(ScanOutcome::none(first), ScanOutcome::then)
    }
}
