//! Choosing a kernel at start-up: a backend and the form of its rounds.
//!
//! Features first: the candidates are the backends this CPU supports, each
//! in every form this build has for it ([`Kernel::available`]), that pass
//! the known-answer test. Then, where there are several, a short
//! measurement on this machine, the candidates taking turns: the fastest
//! backend and form differ between CPUs of the same feature set (on Zen 5
//! AVX-512's short-chain form wins, on Intel's Golden Cove class its plain
//! form).

use std::time::{Duration, Instant};

use protocol::NonceRange;
use protocol::kernel::{self, Backend, Form, Kernel, ScanJob};
use protocol::vectors::GENESIS;

/// A kernel choice and how it was made, for logs and `bench`.
#[derive(Clone, Debug)]
pub struct KernelChoice {
    /// The chosen kernel.
    pub kernel: Kernel,
    /// Its measured rate on one thread, hashes per second, if measured.
    pub measured_rate: Option<f64>,
    /// How it was chosen.
    pub how: ChosenBy,
    /// Every candidate measured, with its rate (hashes per second on one
    /// thread, from its fastest batch), in the order they took turns; empty
    /// when nothing was measured.
    pub candidates: Vec<(Kernel, f64)>,
}

/// How a kernel was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChosenBy {
    /// Named in full on the command line (`--backend avx512/plain`), or a
    /// backend with one form.
    Named,
    /// The only candidate: the only backend and form this CPU supports
    /// that passed its self-test.
    OnlyCandidate,
    /// The fastest candidate in a measurement with the candidates taking
    /// turns.
    Measured,
}

/// Why no kernel could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum ChooseError {
    /// The named backend or form does not exist in this build.
    #[error("unknown backend {0:?}; this build has: {1}")]
    Unknown(String, String),
    /// The named backend exists but this CPU lacks its features.
    #[error("backend {0} is not supported by this CPU")]
    Unsupported(Backend),
    /// A backend failed its known-answer test.
    #[error(transparent)]
    SelfTest(#[from] kernel::SelfTestFailed),
}

/// Names of the backends compiled in, with their forms where they have
/// several, for help and error text: `avx512 (or avx512/short-chain,
/// avx512/plain), sha-ni, ...`.
pub fn backend_names() -> String {
    Backend::ALL
        .iter()
        .map(|&b| match b.forms() {
            [_] | [] => b.name().to_owned(),
            forms => {
                let full: Vec<String> = forms.iter().map(|f| format!("{b}/{f}")).collect();
                format!("{b} (or {})", full.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Nonces per timed batch: a fraction of a millisecond for the SIMD
/// backends, a few for the portable one.
const BATCH: u64 = 1 << 12;
/// Batches each candidate runs, taking turns. Forms of one backend can
/// differ by a few percent, so each candidate's fastest batch must be one
/// that ran undisturbed: enough turns that some do on a busy machine.
const ROUNDS: usize = 24;

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

/// The kernels `name` stands for: `backend/form` for one, `backend` for
/// each of its forms, nothing for every available kernel.
fn named(name: Option<&str>) -> Result<Vec<Kernel>, ChooseError> {
    let Some(name) = name else {
        return Ok(Kernel::available().collect());
    };
    let unknown = || ChooseError::Unknown(name.to_owned(), backend_names());
    let (backend, form) = match name.split_once('/') {
        Some((b, f)) => (b, Some(Form::from_name(f).ok_or_else(unknown)?)),
        None => (name, None),
    };
    let backend = Backend::from_name(backend).ok_or_else(unknown)?;
    let forms = match form {
        Some(f) if backend.forms().contains(&f) => vec![f],
        Some(_) => return Err(unknown()),
        None => backend.forms().to_vec(),
    };
    let kernels: Vec<Kernel> = forms
        .into_iter()
        .filter_map(|f| Kernel::with_form(backend, f))
        .collect();
    if kernels.is_empty() {
        return Err(ChooseError::Unsupported(backend));
    }
    Ok(kernels)
}

/// The kernel `name` names (`avx512/plain`), the fastest form of the
/// backend it names (`avx512`), or without a name the fastest available
/// kernel. Every candidate must pass the known-answer test first; a named
/// one that fails is an error, unnamed ones that fail are left out.
pub fn choose_kernel(name: Option<&str>) -> Result<KernelChoice, ChooseError> {
    let kernels = named(name)?;
    let candidates: Vec<Kernel> = if name.is_some() {
        for kernel in &kernels {
            kernel::self_test(kernel)?;
        }
        kernels
    } else {
        kernels
            .into_iter()
            .filter(|k| kernel::self_test(k).is_ok())
            .collect()
    };
    let single = |kernel, how| KernelChoice {
        kernel,
        measured_rate: None,
        how,
        candidates: Vec::new(),
    };
    match candidates.as_slice() {
        [] => return Ok(single(Kernel::portable(), ChosenBy::OnlyCandidate)),
        [one] if name.is_some() => return Ok(single(*one, ChosenBy::Named)),
        [one] => return Ok(single(*one, ChosenBy::OnlyCandidate)),
        _ => {}
    }
    let rates = measure(&candidates);
    let measured: Vec<(Kernel, f64)> = candidates.into_iter().zip(rates).collect();
    // The first of the fastest: ties go to the order of `Kernel::available`.
    let mut best = measured[0];
    for &(kernel, rate) in &measured[1..] {
        if rate > best.1 {
            best = (kernel, rate);
        }
    }
    Ok(KernelChoice {
        kernel: best.0,
        measured_rate: Some(best.1),
        how: ChosenBy::Measured,
        candidates: measured,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for bad in ["nope", "avx512/nope", "portable/short-chain", "/plain", ""] {
            assert!(
                matches!(choose_kernel(Some(bad)), Err(ChooseError::Unknown(..))),
                "{bad:?}"
            );
        }
        let k = choose_kernel(Some("portable")).unwrap();
        assert_eq!(k.kernel.backend(), Backend::Portable);
        assert_eq!(k.how, ChosenBy::Named);
        let k = choose_kernel(Some("portable/plain")).unwrap();
        assert_eq!(k.kernel, Kernel::portable());
    }

    #[test]
    fn every_available_kernel_is_a_measured_candidate() {
        let choice = choose_kernel(None).unwrap();
        let available: Vec<Kernel> = Kernel::available().collect();
        if available.len() > 1 {
            assert_eq!(choice.how, ChosenBy::Measured);
            let measured: Vec<Kernel> = choice.candidates.iter().map(|c| c.0).collect();
            assert_eq!(measured, available);
            assert!(choice.candidates.iter().all(|c| c.1 > 0.0));
            let fastest = choice.candidates.iter().map(|c| c.1).fold(0.0, f64::max);
            assert_eq!(choice.measured_rate, Some(fastest));
            assert!(choice.candidates.contains(&(choice.kernel, fastest)));
        } else {
            assert_eq!(choice.how, ChosenBy::OnlyCandidate);
        }
    }

    #[test]
    fn a_backend_name_chooses_among_its_forms() {
        for &backend in Backend::ALL {
            let Some(kernel) = Kernel::new(backend) else {
                assert!(matches!(
                    choose_kernel(Some(backend.name())),
                    Err(ChooseError::Unsupported(b)) if b == backend
                ));
                continue;
            };
            let choice = choose_kernel(Some(backend.name())).unwrap();
            assert_eq!(choice.kernel.backend(), backend);
            if backend.forms().len() > 1 {
                assert_eq!(choice.how, ChosenBy::Measured);
                assert_eq!(choice.candidates.len(), backend.forms().len());
            } else {
                assert_eq!(choice.kernel, kernel);
                assert_eq!(choice.how, ChosenBy::Named);
            }
            for &form in backend.forms() {
                let full = format!("{backend}/{form}");
                let choice = choose_kernel(Some(&full)).unwrap();
                assert_eq!(choice.kernel.form(), form);
                assert_eq!(choice.how, ChosenBy::Named);
            }
        }
    }
}
