//! Kernel tests: known answers, and every backend against a reference scan
//! built on the `sha2` crate (independent of the kernel's own SHA-256).

extern crate std;

use std::vec::Vec;

use proptest::prelude::*;

use super::*;
use crate::header::{HEADER_LEN, NONCE_OFFSET, sha256d};

mod edges;
mod engine;
mod generated;

/// The contract of `Kernel::scan`, computed the slow, obvious way.
pub(super) fn reference_scan(
    header: &[u8; HEADER_LEN],
    range: NonceRange,
    zero_bits: u8,
) -> ScanOutcome {
    let mut bytes = *header;
    let mut best: Option<Best> = None;
    let mut hashes = 0;
    for nonce in range.first()..=range.last() {
        hashes += 1;
        bytes[NONCE_OFFSET..].copy_from_slice(&nonce.to_le_bytes());
        let bits = u8::try_from(sha256d(&bytes).zero_bits()).unwrap_or(u8::MAX);
        let this = Best {
            nonce,
            zero_bits: bits,
        };
        best = Some(best.map_or(this, |b| b.better(this)));
        if bits >= zero_bits {
            return ScanOutcome {
                found: Some(nonce),
                best: best.unwrap(),
                hashes,
            };
        }
    }
    ScanOutcome {
        found: None,
        best: best.unwrap(),
        hashes,
    }
}

pub(super) fn header_from(seed: &[u8]) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h.copy_from_slice(&seed[..HEADER_LEN]);
    h
}

#[test]
fn genesis_is_found_exactly_in_a_wide_window() {
    let job = ScanJob::new(&GENESIS.template());
    let range = NonceRange::new(GENESIS.nonce - 100_000, GENESIS.nonce + 100_000).unwrap();
    for kernel in Kernel::available() {
        let out = kernel.scan(&job, range, 32);
        assert_eq!(out.found, Some(GENESIS.nonce), "{kernel:?}");
        assert_eq!(out.hashes, 100_001);
        assert_eq!(out.best.nonce, GENESIS.nonce);
        assert_eq!(
            out.best.zero_bits, 43,
            "genesis hash starts with 43 zero bits"
        );
    }
}

#[test]
fn block_125552_is_found() {
    let job = ScanJob::new(&BLOCK_125552.template());
    let range = NonceRange::new(BLOCK_125552.nonce - 5_000, BLOCK_125552.nonce + 5_000).unwrap();
    for kernel in Kernel::available() {
        let out = kernel.scan(&job, range, 32);
        assert_eq!(out.found, Some(BLOCK_125552.nonce));
        assert_eq!(
            out.best.zero_bits, 67,
            "block 125552's hash starts with 67 zero bits"
        );
    }
}

#[test]
fn a_range_without_a_solution_reports_none_and_its_best() {
    let job = ScanJob::new(&GENESIS.template());
    let range = NonceRange::new(GENESIS.nonce + 1, GENESIS.nonce + 3_000).unwrap();
    let expected = reference_scan(&GENESIS.template(), range, 32);
    assert_eq!(expected.found, None);
    for kernel in Kernel::available() {
        assert_eq!(kernel.scan(&job, range, 32), expected);
    }
}

#[test]
fn every_available_backend_passes_the_self_test() {
    for kernel in Kernel::available() {
        assert_eq!(self_test(&kernel), Ok(()));
    }
    assert_eq!(Some(Kernel::detect()), Kernel::available().next());
    assert!(Kernel::available().any(|k| k.backend() == Backend::Portable));
}

#[test]
fn edges_of_the_nonce_space() {
    let header = GENESIS.template();
    let job = ScanJob::new(&header);
    let ranges = [
        NonceRange::single(0),
        NonceRange::single(u32::MAX),
        NonceRange::new(u32::MAX - 40, u32::MAX).unwrap(),
        NonceRange::new(0, 37).unwrap(),
    ];
    for kernel in Kernel::available() {
        for range in ranges {
            for d in [0, 1, 4, 255] {
                assert_eq!(
                    kernel.scan(&job, range, d),
                    reference_scan(&header, range, d),
                    "{kernel:?} {range} d={d}"
                );
            }
        }
    }
}

#[test]
fn every_form_of_every_backend_is_available_and_named() {
    for &backend in Backend::ALL {
        let forms = backend.forms();
        assert!(!forms.is_empty(), "{backend}");
        // A form may need more than its backend (SHA-NI's compact step,
        // AVX): the ones this CPU runs, in order.
        let runs: Vec<Form> = forms
            .iter()
            .copied()
            .filter(|&f| Kernel::with_form(backend, f).is_some())
            .collect();
        let Some(first) = Kernel::new(backend) else {
            assert!(runs.is_empty(), "{backend}");
            continue;
        };
        assert_eq!(first.form(), runs[0]);
        for &form in &runs {
            let kernel = Kernel::with_form(backend, form).unwrap();
            assert_eq!((kernel.backend(), kernel.form()), (backend, form));
            assert_eq!(Kernel::available().filter(|k| *k == kernel).count(), 1);
            let name = std::format!("{kernel}");
            if forms.len() > 1 {
                assert_eq!(name, std::format!("{backend}/{form}"));
            } else {
                assert_eq!(name, backend.name());
            }
        }
        for form in Form::ALL.iter().filter(|f| !forms.contains(f)) {
            assert_eq!(Kernel::with_form(backend, *form), None, "{backend}/{form}");
        }
    }
    for form in Form::ALL {
        assert_eq!(Form::from_name(form.name()), Some(*form));
    }
    #[cfg(target_arch = "x86_64")]
    assert_eq!(Backend::Avx512.forms(), [Form::ShortChain, Form::Plain]);
    #[cfg(target_arch = "x86_64")]
    assert_eq!(Backend::ShaNi.forms(), [Form::Compact, Form::Wide]);
}

#[test]
fn backend_names_round_trip() {
    for b in Backend::ALL {
        assert_eq!(Backend::from_name(b.name()), Some(*b));
    }
    assert_eq!(Backend::from_name("nope"), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random headers, ranges and difficulties: every backend equals the
    /// reference scan (found, best and count).
    #[test]
    fn backends_match_the_reference(
        seed in proptest::collection::vec(any::<u8>(), HEADER_LEN),
        start in any::<u32>(),
        len in 1u64..300,
        d in 0u8..14,
    ) {
        let header = header_from(&seed);
        let range = NonceRange::starting_at(start, len).unwrap();
        let expected = reference_scan(&header, range, d);
        let job = ScanJob::new(&header);
        for kernel in Kernel::available() {
            prop_assert_eq!(kernel.scan(&job, range, d), expected);
        }
    }

    /// The nonce field of the template does not matter.
    #[test]
    fn template_nonce_is_ignored(seed in proptest::collection::vec(any::<u8>(), HEADER_LEN)) {
        let header = header_from(&seed);
        let mut zeroed = header;
        zeroed[NONCE_OFFSET..].fill(0);
        prop_assert_eq!(ScanJob::new(&header), ScanJob::new(&zeroed));
    }
}

#[test]
fn many_random_headers_hash_like_sha2() {
    // A deterministic stream of headers (xorshift), each checked at a few
    // nonces against `sha2` through the full-digest path the kernels use for
    // candidates.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut checked = Vec::new();
    for _ in 0..500 {
        let mut header = [0u8; HEADER_LEN];
        for chunk in header.chunks_mut(8) {
            chunk.copy_from_slice(&next().to_le_bytes()[..chunk.len()]);
        }
        let job = ScanJob::new(&header);
        let nonce = next() as u32;
        let digest = job::full_digest(&job, nonce);
        header[NONCE_OFFSET..].copy_from_slice(&nonce.to_le_bytes());
        assert_eq!(sha256::digest_bytes(&digest), sha256d(&header).0);
        let single = Kernel::portable().scan(&job, NonceRange::single(nonce), 255);
        assert_eq!(
            u32::from(single.best.zero_bits),
            sha256d(&header).zero_bits()
        );
        checked.push(nonce);
    }
    assert_eq!(checked.len(), 500);
}
