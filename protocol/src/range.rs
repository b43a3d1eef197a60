//! Inclusive nonce ranges. Inclusive so that a range can end at `u32::MAX`;
//! never empty, which the constructor and the wire decoder both enforce.

use core::fmt;

use serde::{Deserialize, Serialize};

/// The nonces `first..=last`, `first <= last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawRange")]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NonceRange {
    first: u32,
    last: u32,
}

/// The wire form, checked before it becomes a `NonceRange`.
#[derive(Deserialize)]
struct RawRange {
    first: u32,
    last: u32,
}

/// A range whose end comes before its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EmptyRange;

impl fmt::Display for EmptyRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("nonce range is empty (last < first)")
    }
}

impl core::error::Error for EmptyRange {}

impl TryFrom<RawRange> for NonceRange {
    type Error = EmptyRange;

    fn try_from(raw: RawRange) -> Result<Self, Self::Error> {
        NonceRange::new(raw.first, raw.last)
    }
}

impl NonceRange {
    /// Every nonce.
    pub const FULL: NonceRange = NonceRange {
        first: 0,
        last: u32::MAX,
    };

    /// `first..=last`, or an error if `last < first`.
    pub const fn new(first: u32, last: u32) -> Result<NonceRange, EmptyRange> {
        if last < first {
            Err(EmptyRange)
        } else {
            Ok(NonceRange { first, last })
        }
    }

    /// The single nonce `n`.
    pub const fn single(n: u32) -> NonceRange {
        NonceRange { first: n, last: n }
    }

    /// Up to `len` nonces starting at `first`, clipped at `u32::MAX`; `None`
    /// when `len` is zero.
    pub fn starting_at(first: u32, len: u64) -> Option<NonceRange> {
        let span = len.checked_sub(1)?;
        let last = u64::from(first)
            .saturating_add(span)
            .min(u64::from(u32::MAX));
        // `last` fits: it was clipped to u32::MAX above.
        Some(NonceRange {
            first,
            last: u32::try_from(last).unwrap_or(u32::MAX),
        })
    }

    /// First nonce.
    pub const fn first(&self) -> u32 {
        self.first
    }

    /// Last nonce (inclusive).
    pub const fn last(&self) -> u32 {
        self.last
    }

    /// Number of nonces, 1 to 2^32.
    pub const fn len(&self) -> u64 {
        self.last as u64 - self.first as u64 + 1
    }

    /// Always false: ranges are never empty. Present for API symmetry.
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// Whether `n` lies in the range.
    pub const fn contains(&self, n: u32) -> bool {
        self.first <= n && n <= self.last
    }

    /// Whether `other` lies entirely inside this range.
    pub const fn covers(&self, other: &NonceRange) -> bool {
        self.first <= other.first && other.last <= self.last
    }

    /// Whether the two ranges share a nonce.
    pub const fn overlaps(&self, other: &NonceRange) -> bool {
        self.first <= other.last && other.first <= self.last
    }

    /// Splits off the first `len` nonces: `(head, rest)`. `head` is `None`
    /// when `len` is zero; `rest` is `None` when nothing remains.
    pub fn split_first(&self, len: u64) -> (Option<NonceRange>, Option<NonceRange>) {
        let Some(head) = NonceRange::starting_at(self.first, len.min(self.len())) else {
            return (None, Some(*self));
        };
        let rest = if head.last == self.last {
            None
        } else {
            Some(NonceRange {
                first: head.last + 1,
                last: self.last,
            })
        };
        (Some(head), rest)
    }
}

impl fmt::Display for NonceRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..={}", self.first, self.last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn construction_and_length() {
        assert_eq!(NonceRange::new(5, 4), Err(EmptyRange));
        assert_eq!(NonceRange::single(9).len(), 1);
        assert_eq!(NonceRange::FULL.len(), 1u64 << 32);
        assert_eq!(NonceRange::starting_at(u32::MAX - 1, 10).unwrap().len(), 2);
        assert_eq!(NonceRange::starting_at(3, 0), None);
    }

    #[test]
    fn split_first_partitions() {
        let r = NonceRange::new(10, 19).unwrap();
        let (head, rest) = r.split_first(4);
        assert_eq!(head, Some(NonceRange::new(10, 13).unwrap()));
        assert_eq!(rest, Some(NonceRange::new(14, 19).unwrap()));
        assert_eq!(r.split_first(10), (Some(r), None));
        assert_eq!(r.split_first(99), (Some(r), None));
        assert_eq!(r.split_first(0), (None, Some(r)));
        let top = NonceRange::new(u32::MAX - 3, u32::MAX).unwrap();
        assert_eq!(top.split_first(4), (Some(top), None));
    }

    #[test]
    fn decoder_refuses_empty_ranges() {
        let mut buf = [0u8; 16];
        let bad = postcard::to_slice(&(7u32, 3u32), &mut buf).unwrap();
        assert!(postcard::from_bytes::<NonceRange>(bad).is_err());
        let good = NonceRange::new(3, 7).unwrap();
        let bytes = postcard::to_slice(&good, &mut buf).unwrap();
        assert_eq!(postcard::from_bytes::<NonceRange>(bytes).unwrap(), good);
    }
}
