//! Choosing a kernel backend at start-up: by CPU features, and where several
//! are available, by a short self-measurement on this machine (the fastest
//! backend differs between CPUs of the same feature set).

use std::time::{Duration, Instant};

use protocol::NonceRange;
use protocol::kernel::{self, Backend, Kernel, ScanJob};
use protocol::vectors::GENESIS;

/// A kernel choice and how it was made, for logs.
#[derive(Clone, Copy, Debug)]
pub struct KernelChoice {
    /// The chosen kernel.
    pub kernel: Kernel,
    /// Its measured rate on one thread, hashes per second, if measured.
    pub measured_rate: Option<f64>,
}

/// Why no kernel could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum ChooseError {
    /// The named backend does not exist in this build.
    #[error("unknown backend {0:?}; this build has: {1}")]
    Unknown(String, String),
    /// The named backend exists but this CPU lacks its features.
    #[error("backend {0} is not supported by this CPU")]
    Unsupported(Backend),
    /// A backend failed its known-answer test.
    #[error(transparent)]
    SelfTest(#[from] kernel::SelfTestFailed),
}

/// Names of the backends compiled in, for help and error text.
pub fn backend_names() -> String {
    Backend::ALL
        .iter()
        .map(|b| b.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Nonces per timed batch: a fraction of a millisecond for the SIMD
/// backends, a few for the portable one.
const BATCH: u64 = 1 << 12;
/// Batches each candidate runs, taking turns.
const ROUNDS: usize = 12;

/// The rate of each kernel on one thread, hashes per second, from its
/// fastest batch. The kernels take turns, one batch each per round, so a
/// burst of load from other processes slows them alike, and the fastest
/// batch of each is one that ran undisturbed: on a busy machine a plain
/// timed run per kernel picks the wrong one.
pub fn measure(kernels: &[Kernel]) -> Vec<f64> {
    let job = ScanJob::new(&GENESIS.template());
    let mut fastest = vec![f64::INFINITY; kernels.len()];
    let mut first = 0u32;
    for _ in 0..ROUNDS {
        let Some(range) = NonceRange::starting_at(first, BATCH) else {
            break;
        };
        for (kernel, best) in kernels.iter().zip(&mut fastest) {
            let start = Instant::now();
            // 255 zero bits is never met: every nonce is scanned.
            let hashes = kernel.scan(&job, range, 255).hashes;
            *best = best.min(start.elapsed().as_secs_f64() / hashes as f64);
        }
        first = first.wrapping_add(1 << 20);
    }
    fastest.into_iter().map(|s| 1.0 / s).collect()
}

/// The sustained rate of `kernel` on one thread over about `budget`,
/// hashes per second: what a miner scanning without pause gets (the demo
/// reports it next to the fleet's rate, and miners start their lease sizes
/// from it).
pub fn sustained_rate(kernel: Kernel, budget: Duration) -> f64 {
    let job = ScanJob::new(&GENESIS.template());
    let start = Instant::now();
    let mut hashes = 0u64;
    let mut first = 0u32;
    while start.elapsed() < budget {
        let Some(range) = NonceRange::starting_at(first, BATCH) else {
            break;
        };
        hashes += kernel.scan(&job, range, 255).hashes;
        first = first.wrapping_add(BATCH as u32);
    }
    hashes as f64 / start.elapsed().as_secs_f64()
}

/// The backend named `name`, or the fastest available one. Every candidate
/// must pass the known-answer test first.
pub fn choose_kernel(name: Option<&str>) -> Result<KernelChoice, ChooseError> {
    if let Some(name) = name {
        let backend = Backend::from_name(name)
            .ok_or_else(|| ChooseError::Unknown(name.to_owned(), backend_names()))?;
        let kernel = Kernel::new(backend).ok_or(ChooseError::Unsupported(backend))?;
        kernel::self_test(&kernel)?;
        return Ok(KernelChoice {
            kernel,
            measured_rate: None,
        });
    }
    let candidates: Vec<Kernel> = Kernel::available()
        .filter(|k| kernel::self_test(k).is_ok())
        .collect();
    if candidates.len() <= 1 {
        return Ok(KernelChoice {
            kernel: candidates.first().copied().unwrap_or(Kernel::portable()),
            measured_rate: None,
        });
    }
    let rates = measure(&candidates);
    let best = candidates
        .into_iter()
        .zip(rates)
        .max_by(|a, b| a.1.total_cmp(&b.1));
    Ok(match best {
        Some((kernel, rate)) => KernelChoice {
            kernel,
            measured_rate: Some(rate),
        },
        None => KernelChoice {
            kernel: Kernel::portable(),
            measured_rate: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(matches!(
            choose_kernel(Some("nope")),
            Err(ChooseError::Unknown(..))
        ));
        let k = choose_kernel(Some("portable")).unwrap();
        assert_eq!(k.kernel.backend(), Backend::Portable);
        assert!(choose_kernel(None).is_ok());
    }
}
