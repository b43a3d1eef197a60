//! One job's outstanding leases, indexed three ways so that nothing the
//! leader does per message scans them all: by first nonce (answers name
//! their range), by miner (how many a miner holds, which to send again),
//! and by expiry (the next to expire, those expired now). With 10,000
//! miners a job has up to 20,000 leases; each operation here is a few
//! ordered-map steps.

use std::collections::{BTreeMap, BTreeSet};

use protocol::{Instant, MinerId, NonceRange};

/// A range leased to a miner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease {
    /// Who holds it.
    pub miner: MinerId,
    /// The nonces.
    pub range: NonceRange,
    /// When it was issued.
    pub issued: Instant,
    /// When it goes back to the free list if unanswered.
    pub expires: Instant,
}

/// The leases of one job. Their ranges are disjoint: they come from the
/// job's free nonces ([`super::Coverage::take`]); [`LeaseBook::check`]
/// verifies it.
#[derive(Clone, Debug, Default)]
pub struct LeaseBook {
    by_first: BTreeMap<u32, Lease>,
    by_miner: BTreeSet<(MinerId, u32)>,
    by_expiry: BTreeSet<(Instant, u32)>,
    nonces: u64,
}

impl LeaseBook {
    /// Files `lease` (its range must be free of other leases).
    pub fn insert(&mut self, lease: Lease) {
        let first = lease.range.first();
        if let Some(old) = self.by_first.insert(first, lease) {
            self.unindex(&old);
        }
        self.by_miner.insert((lease.miner, first));
        self.by_expiry.insert((lease.expires, first));
        self.nonces += lease.range.len();
    }

    /// Removes the lease starting at `first`.
    pub fn remove(&mut self, first: u32) -> Option<Lease> {
        let lease = self.by_first.remove(&first)?;
        self.unindex(&lease);
        Some(lease)
    }

    fn unindex(&mut self, lease: &Lease) {
        let first = lease.range.first();
        self.by_miner.remove(&(lease.miner, first));
        self.by_expiry.remove(&(lease.expires, first));
        self.nonces -= lease.range.len().min(self.nonces);
    }

    /// The lease starting at `first`.
    pub fn get(&self, first: u32) -> Option<&Lease> {
        self.by_first.get(&first)
    }

    /// Every lease, by first nonce.
    pub fn iter(&self) -> impl Iterator<Item = &Lease> {
        self.by_first.values()
    }

    /// Leases outstanding.
    pub fn len(&self) -> usize {
        self.by_first.len()
    }

    /// Nonces leased.
    pub fn nonces(&self) -> u64 {
        self.nonces
    }

    /// The first nonces of `miner`'s leases.
    fn firsts_of(&self, miner: MinerId) -> impl Iterator<Item = u32> + '_ {
        self.by_miner
            .range((miner, 0)..=(miner, u32::MAX))
            .map(|&(_, first)| first)
    }

    /// The leases `miner` holds, by first nonce.
    pub fn of(&self, miner: MinerId) -> impl Iterator<Item = &Lease> {
        self.firsts_of(miner).filter_map(|f| self.by_first.get(&f))
    }

    /// How many leases `miner` holds.
    pub fn count_of(&self, miner: MinerId) -> usize {
        self.firsts_of(miner).count()
    }

    /// Removes every lease of `miner`.
    pub fn remove_miner(&mut self, miner: MinerId) -> Vec<Lease> {
        let firsts: Vec<u32> = self.firsts_of(miner).collect();
        firsts.into_iter().filter_map(|f| self.remove(f)).collect()
    }

    /// The earliest expiry.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.by_expiry.first().map(|&(t, _)| t)
    }

    /// Removes and returns a lease expired at `now`, earliest first.
    pub fn pop_expired(&mut self, now: Instant) -> Option<Lease> {
        let &(t, first) = self.by_expiry.first()?;
        if t > now {
            return None;
        }
        self.remove(first)
    }

    /// Checks, visiting every lease, that ranges are disjoint, that each is
    /// filed under its first nonce, that both indexes list exactly the
    /// leases, and that the nonce count is their sum.
    pub fn check(&self) -> Result<(), String> {
        let mut prev: Option<NonceRange> = None;
        let mut nonces = 0u64;
        for (first, l) in &self.by_first {
            if *first != l.range.first() {
                return Err(format!("lease {} filed under {first}", l.range));
            }
            if prev.is_some_and(|p| p.overlaps(&l.range)) {
                return Err(format!("leases overlap at {}", l.range));
            }
            if !self.by_miner.contains(&(l.miner, *first))
                || !self.by_expiry.contains(&(l.expires, *first))
            {
                return Err(format!("lease {} missing from an index", l.range));
            }
            nonces += l.range.len();
            prev = Some(l.range);
        }
        if self.by_miner.len() != self.by_first.len() || self.by_expiry.len() != self.by_first.len()
        {
            return Err(format!(
                "indexes hold {} and {} entries for {} leases",
                self.by_miner.len(),
                self.by_expiry.len(),
                self.by_first.len()
            ));
        }
        if nonces != self.nonces {
            return Err(format!(
                "leases hold {nonces} nonces, counted {}",
                self.nonces
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(miner: u32, first: u32, last: u32, expires: u64) -> Lease {
        Lease {
            miner: MinerId(miner),
            range: NonceRange::new(first, last).unwrap(),
            issued: Instant::ZERO,
            expires: Instant::from_millis(expires),
        }
    }

    #[test]
    fn every_index_follows_inserts_and_removals() {
        let mut b = LeaseBook::default();
        b.insert(lease(1, 0, 9, 30));
        b.insert(lease(2, 10, 19, 10));
        b.insert(lease(1, 20, 29, 20));
        b.check().unwrap();
        assert_eq!((b.len(), b.nonces()), (3, 30));
        assert_eq!(b.count_of(MinerId(1)), 2);
        assert_eq!(b.count_of(MinerId(3)), 0);
        let firsts: Vec<u32> = b.of(MinerId(1)).map(|l| l.range.first()).collect();
        assert_eq!(firsts, [0, 20]);
        assert_eq!(b.next_expiry(), Some(Instant::from_millis(10)));
        assert!(b.pop_expired(Instant::from_millis(9)).is_none());
        assert_eq!(
            b.pop_expired(Instant::from_millis(20)).map(|l| l.miner),
            Some(MinerId(2))
        );
        assert_eq!(
            b.pop_expired(Instant::from_millis(20))
                .map(|l| l.range.first()),
            Some(20)
        );
        assert!(b.pop_expired(Instant::from_millis(20)).is_none());
        b.check().unwrap();
        assert_eq!(b.remove_miner(MinerId(1)).len(), 1);
        assert!(b.len() == 0 && b.next_expiry().is_none() && b.nonces() == 0);
        b.check().unwrap();
    }

    #[test]
    fn the_check_finds_overlaps() {
        let mut b = LeaseBook::default();
        b.insert(lease(1, 0, 9, 30));
        b.insert(lease(2, 5, 19, 10));
        assert!(b.check().unwrap_err().contains("overlap"));
    }
}
