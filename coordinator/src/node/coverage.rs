//! Accounting for every nonce of a job: each one is free, leased or
//! scanned, and the three always add up to the job's range.
//!
//! Free nonces are kept as disjoint intervals, so taking a chunk, returning
//! an expired lease or accepting a late answer touch one or two entries
//! whatever the range size.

use std::collections::BTreeMap;

use protocol::NonceRange;
use serde::Serialize;

/// Counts of a job's nonces by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CoverageCounts {
    /// Nonces in the job.
    pub total: u64,
    /// Scanned without a solution (answered and verified).
    pub scanned: u64,
    /// Leased to a miner now.
    pub leased: u64,
    /// Neither: waiting to be leased.
    pub free: u64,
}

/// The nonce accounting of one job.
#[derive(Clone, Debug)]
pub struct Coverage {
    total: NonceRange,
    /// Free intervals, `first -> last`, disjoint and not adjacent.
    free: BTreeMap<u32, u32>,
    free_count: u64,
    leased: u64,
    scanned: u64,
}

impl Coverage {
    /// Every nonce of `total` free.
    pub fn new(total: NonceRange) -> Coverage {
        Coverage {
            total,
            free: BTreeMap::from([(total.first(), total.last())]),
            free_count: total.len(),
            leased: 0,
            scanned: 0,
        }
    }

    /// The counts.
    pub fn counts(&self) -> CoverageCounts {
        CoverageCounts {
            total: self.total.len(),
            scanned: self.scanned,
            leased: self.leased,
            free: self.free_count,
        }
    }

    /// Whether every nonce has been scanned.
    pub fn is_complete(&self) -> bool {
        self.scanned == self.total.len()
    }

    /// Whether nothing is free to lease.
    pub fn nothing_free(&self) -> bool {
        self.free.is_empty()
    }

    /// Leases up to `len` nonces from the lowest free interval.
    pub fn take(&mut self, len: u64) -> Option<NonceRange> {
        let (&first, &last) = self.free.iter().next()?;
        let interval = NonceRange::new(first, last).ok()?;
        let (head, rest) = interval.split_first(len.max(1));
        let head = head?;
        self.free.remove(&first);
        if let Some(rest) = rest {
            self.free.insert(rest.first(), rest.last());
        }
        self.free_count -= head.len();
        self.leased += head.len();
        Some(head)
    }

    /// A leased range was scanned.
    pub fn complete(&mut self, range: NonceRange) {
        self.leased -= range.len().min(self.leased);
        self.scanned += range.len();
    }

    /// A leased range comes back unscanned (expired, or its miner is gone).
    pub fn release(&mut self, range: NonceRange) {
        self.leased -= range.len().min(self.leased);
        self.insert_free(range);
    }

    /// A late answer for a range that went back to the free list: if the
    /// whole range is still free, it counts as scanned. Returns whether it
    /// did.
    pub fn claim_free(&mut self, range: NonceRange) -> bool {
        let Some((&first, &last)) = self.free.range(..=range.first()).next_back() else {
            return false;
        };
        if last < range.last() {
            return false;
        }
        self.free.remove(&first);
        if first < range.first() {
            self.free.insert(first, range.first() - 1);
        }
        if range.last() < last {
            self.free.insert(range.last() + 1, last);
        }
        self.free_count -= range.len();
        self.scanned += range.len();
        true
    }

    fn insert_free(&mut self, range: NonceRange) {
        let (mut first, mut last) = (range.first(), range.last());
        // Merge with a free interval ending right before.
        if let Some((&pf, &pl)) = self.free.range(..first).next_back()
            && u64::from(pl) + 1 == u64::from(first)
        {
            self.free.remove(&pf);
            first = pf;
        }
        // Merge with one starting right after.
        if let Some(next) = last.checked_add(1)
            && let Some(nl) = self.free.remove(&next)
        {
            last = nl;
        }
        self.free.insert(first, last);
        self.free_count += range.len();
    }

    /// Checks the invariants: the counts add up, free intervals are
    /// disjoint, ordered, inside the job and counted right.
    pub fn check(&self) -> Result<(), String> {
        let c = self.counts();
        if c.scanned + c.leased + c.free != c.total {
            return Err(format!("counts do not add up: {c:?}"));
        }
        let mut sum = 0u64;
        let mut prev_last: Option<u32> = None;
        for (&first, &last) in &self.free {
            if last < first || !self.total.contains(first) || !self.total.contains(last) {
                return Err(format!("bad free interval {first}..={last}"));
            }
            if prev_last.is_some_and(|p| u64::from(p) + 1 >= u64::from(first)) {
                return Err(format!("free intervals overlap or touch at {first}"));
            }
            prev_last = Some(last);
            sum += u64::from(last) - u64::from(first) + 1;
        }
        if sum != self.free_count {
            return Err(format!(
                "free count {} but intervals hold {sum}",
                self.free_count
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn r(a: u32, b: u32) -> NonceRange {
        NonceRange::new(a, b).unwrap()
    }

    #[test]
    fn take_complete_release() {
        let mut c = Coverage::new(r(1, 100));
        let a = c.take(30).unwrap();
        let b = c.take(30).unwrap();
        assert_eq!((a, b), (r(1, 30), r(31, 60)));
        c.complete(a);
        c.release(b);
        assert_eq!(
            c.counts(),
            CoverageCounts {
                total: 100,
                scanned: 30,
                leased: 0,
                free: 70
            }
        );
        // The released range is handed out again first, merged with the rest.
        assert_eq!(c.take(1000), Some(r(31, 100)));
        assert!(c.nothing_free());
        c.check().unwrap();
    }

    #[test]
    fn late_answers_count_only_if_still_free() {
        let mut c = Coverage::new(r(0, 99));
        let a = c.take(50).unwrap();
        c.release(a);
        assert!(c.claim_free(r(10, 19)));
        assert!(!c.claim_free(r(10, 19)), "already scanned");
        let again = c.take(5).unwrap();
        assert_eq!(again, r(0, 4));
        assert!(!c.claim_free(r(0, 4)), "leased to someone else");
        c.check().unwrap();
        assert_eq!(c.counts().scanned, 10);
    }

    #[test]
    fn the_top_of_the_nonce_space_is_handled() {
        let mut c = Coverage::new(r(u32::MAX - 9, u32::MAX));
        let a = c.take(10).unwrap();
        c.release(a);
        c.check().unwrap();
        assert_eq!(c.take(3), Some(r(u32::MAX - 9, u32::MAX - 7)));
    }

    proptest! {
        /// Any sequence of operations keeps the accounting whole.
        #[test]
        fn random_operations_keep_the_invariants(ops in proptest::collection::vec((0u8..4, 1u64..40), 1..200)) {
            let mut c = Coverage::new(r(1, 1000));
            let mut leases: Vec<NonceRange> = Vec::new();
            for (op, n) in ops {
                match op {
                    0 | 1 => if let Some(l) = c.take(n) { leases.push(l) },
                    2 => if !leases.is_empty() { let l = leases.remove(n as usize % leases.len()); c.complete(l) },
                    _ => if !leases.is_empty() { let l = leases.remove(n as usize % leases.len()); c.release(l) },
                }
                prop_assert!(c.check().is_ok(), "{:?}", c.check());
                // Outstanding leases never overlap.
                for (i, a) in leases.iter().enumerate() {
                    for b in &leases[i + 1..] {
                        prop_assert!(!a.overlaps(b));
                    }
                }
            }
        }
    }
}
