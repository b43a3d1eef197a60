//! The sha256d nonce-scanning kernel.
//!
//! A job is prepared once per header ([`ScanJob::new`]): the midstate of the
//! first 64 bytes, the rounds and schedule words of the second block that do
//! not depend on the nonce. A backend then scans a [`NonceRange`] and returns
//! a [`ScanOutcome`] whose meaning every backend must reproduce exactly:
//!
//! - `found`: the lowest nonce in the range whose hash has at least
//!   `zero_bits` leading zero bits, or `None`;
//! - `hashes`: the nonces examined: up to and including `found`, or the whole
//!   range;
//! - `best`: among those nonces, the one with the most zero bits (the lowest
//!   nonce on a tie). It proves work done on a range with no solution.
//!
//! The portable backend is always built and is the oracle the others are
//! tested against. Faster backends live in their own modules and are chosen
//! once, by CPU feature, through [`Kernel`].

mod job;
mod portable;
pub mod sha256;

use core::fmt;

use serde::{Deserialize, Serialize};

pub use job::ScanJob;

use crate::range::NonceRange;
use crate::vectors::{BLOCK_125552, GENESIS};

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
}

/// A kernel implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Backend {
    /// Plain Rust on `u32`s; runs everywhere; the test oracle.
    Portable,
}

impl Backend {
    /// Every backend compiled into this build, fastest first.
    pub const ALL: &'static [Backend] = &[Backend::Portable];

    /// A short stable name (`portable`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Portable => "portable",
        }
    }

    /// The backend with this name.
    pub fn from_name(name: &str) -> Option<Backend> {
        Backend::ALL.iter().copied().find(|b| b.name() == name)
    }

    /// Nonces a backend processes together; ranges need not be multiples.
    pub fn lanes(self) -> u32 {
        match self {
            Backend::Portable => 1,
        }
    }

    fn supported(self) -> bool {
        match self {
            Backend::Portable => true,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A backend this CPU is known to support. Holding one is the proof the
/// backends' `unsafe` code relies on, so there is no feature check per scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Kernel {
    backend: Backend,
}

impl Kernel {
    /// The portable backend.
    pub const fn portable() -> Kernel {
        Kernel {
            backend: Backend::Portable,
        }
    }

    /// `backend`, if this CPU supports it.
    pub fn new(backend: Backend) -> Option<Kernel> {
        backend.supported().then_some(Kernel { backend })
    }

    /// Every backend this CPU supports, fastest first by design. Hosts with a
    /// clock may time them and choose otherwise.
    pub fn available() -> impl Iterator<Item = Kernel> {
        Backend::ALL.iter().copied().filter_map(Kernel::new)
    }

    /// The first available backend in [`Backend::ALL`] order.
    pub fn detect() -> Kernel {
        Kernel::available().next().unwrap_or(Kernel::portable())
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Scans `range` of `job` for `zero_bits` leading zero bits.
    pub fn scan(&self, job: &ScanJob, range: NonceRange, zero_bits: u8) -> ScanOutcome {
        match self.backend {
            Backend::Portable => portable::scan(job, range, zero_bits),
        }
    }
}

/// A kernel that failed its known-answer test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SelfTestFailed {
    /// The backend that failed.
    pub backend: Backend,
    /// Which check failed, for the log.
    pub check: &'static str,
}

impl fmt::Display for SelfTestFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "kernel {} failed its self-test: {}",
            self.backend, self.check
        )
    }
}

impl core::error::Error for SelfTestFailed {}

/// Known-answer test, cheap enough for a board's boot (a few hundred
/// hashes): scans around the winning nonces of two public blocks and checks
/// each is found, and that a range without one reports none.
pub fn self_test(kernel: &Kernel) -> Result<(), SelfTestFailed> {
    let fail = |check| SelfTestFailed {
        backend: kernel.backend,
        check,
    };
    for v in [GENESIS, BLOCK_125552] {
        let job = ScanJob::new(&v.template());
        let around = NonceRange::new(v.nonce - 70, v.nonce + 70).map_err(|_| fail("range"))?;
        let out = kernel.scan(&job, around, 32);
        if out.found != Some(v.nonce) {
            return Err(fail("missed a known solution"));
        }
        if out.hashes != 71 {
            return Err(fail("did not stop at the solution"));
        }
        let before = NonceRange::new(v.nonce - 40, v.nonce - 1).map_err(|_| fail("range"))?;
        let out = kernel.scan(&job, before, 32);
        if out.found.is_some() || out.hashes != 40 || out.best.zero_bits >= 32 {
            return Err(fail("reported a solution where there is none"));
        }
        let reference = crate::header::sha256d(&v.header().with_nonce(out.best.nonce).to_bytes());
        if reference.zero_bits().min(255) != u32::from(out.best.zero_bits) {
            return Err(fail("best hash disagrees with the reference"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
