//! Targeted cases for the multi-lane backends, every available backend
//! against the `sha2` reference: ranges that start and end off the lane
//! width, the top of the nonce space, single nonces, ties for the best hash,
//! and solutions (32 zero bits and more) in every lane position.

use super::*;

/// Every available kernel returns exactly the reference outcome.
fn check(header: &[u8; HEADER_LEN], range: NonceRange, d: u8) {
    let expected = reference_scan(header, range, d);
    let job = ScanJob::new(header);
    for kernel in Kernel::available() {
        assert_eq!(
            kernel.scan(&job, range, d),
            expected,
            "{kernel:?} {range} d={d}"
        );
    }
}

/// The widest step of any backend in this build.
fn widest() -> u32 {
    Backend::ALL.iter().map(|b| b.lanes()).max().unwrap_or(1)
}

#[test]
fn ranges_start_and_end_at_every_lane_offset() {
    let header = BLOCK_125552.template();
    let w = widest();
    for start in 1_000..1_000 + w + 1 {
        for len in [1, 2, w - 1, w, w + 1, 2 * w - 1, 2 * w + 3, 3 * w] {
            let range = NonceRange::starting_at(start, u64::from(len)).unwrap();
            // 255 is never met: the whole range and its best. 3 and 6 are
            // met at various lanes of a step.
            for d in [255, 3, 6] {
                check(&header, range, d);
            }
        }
    }
}

#[test]
fn ranges_that_end_at_the_top_of_the_nonce_space() {
    let header = GENESIS.template();
    for back in 0..=2 * widest() + 1 {
        let range = NonceRange::new(u32::MAX - back, u32::MAX).unwrap();
        for d in [255, 2, 5] {
            check(&header, range, d);
        }
    }
    check(
        &header,
        NonceRange::new(u32::MAX - 1000, u32::MAX).unwrap(),
        255,
    );
}

#[test]
fn single_nonces() {
    let header = GENESIS.template();
    for n in [0, 1, 15, 16, 17, GENESIS.nonce, u32::MAX - 16, u32::MAX] {
        for d in [0, 1, 8, 32, 255] {
            check(&header, NonceRange::single(n), d);
        }
    }
}

#[test]
fn difficulty_zero_is_met_by_the_first_nonce() {
    let header = GENESIS.template();
    let job = ScanJob::new(&header);
    let range = NonceRange::new(77, 1_000).unwrap();
    for kernel in Kernel::available() {
        let out = kernel.scan(&job, range, 0);
        assert_eq!(out.found, Some(77), "{kernel:?}");
        assert_eq!(out.hashes, 1);
        assert_eq!(out.best, reference_scan(&header, range, 0).best);
    }
}

#[test]
fn ties_for_the_best_go_to_the_lowest_nonce() {
    // Windows of a few steps where the best zero-bit count is reached more
    // than once; the lowest such nonce must win, in whatever lanes they sit.
    let header = GENESIS.template();
    let w = u64::from(widest());
    let mut ties = 0;
    for window in 0..200u32 {
        let range = NonceRange::starting_at(window * 97 + 3, 3 * w + 5).unwrap();
        let expected = reference_scan(&header, range, 255);
        let top = expected.best.zero_bits;
        let at_top = (range.first()..=range.last())
            .filter(|&n| {
                let bytes = GENESIS.header().with_nonce(n).to_bytes();
                sha256d(&bytes).zero_bits() == u32::from(top)
            })
            .count();
        if at_top > 1 {
            ties += 1;
            check(&header, range, 255);
        }
    }
    assert!(ties > 20, "only {ties} windows with ties");
}

#[test]
fn solutions_in_every_lane_position() {
    // The winning nonces have 43 and 67 zero bits: H7 is zero, so the full
    // digest decides. Put each in every lane of a step, with difficulties
    // met (32), met exactly (43) and not met (44, 68, 255) by them.
    for v in [GENESIS, BLOCK_125552] {
        let header = v.template();
        for before in 0..widest() + 2 {
            let range = NonceRange::starting_at(v.nonce - before, 40).unwrap();
            for d in [32, 43, 44, 67, 68, 255] {
                check(&header, range, d);
            }
        }
    }
}

#[test]
fn outcomes_of_adjacent_ranges_combine_like_one_scan_for_every_backend() {
    let header = BLOCK_125552.template();
    let job = ScanJob::new(&header);
    let whole = NonceRange::new(1_001, 3_000).unwrap();
    for kernel in Kernel::available() {
        for split in [1, 15, 16, 17, 777] {
            for d in [6, 9, 40] {
                let (Some(a), Some(b)) = whole.split_first(split) else {
                    unreachable!()
                };
                let joined = kernel.scan(&job, a, d).then(kernel.scan(&job, b, d));
                assert_eq!(joined, kernel.scan(&job, whole, d), "{kernel:?} d={d}");
            }
        }
    }
}

#[test]
fn none_is_the_identity_and_folds_of_any_split_match_one_scan() {
    let job = ScanJob::new(&BLOCK_125552.template());
    let whole = NonceRange::new(1_001, 3_000).unwrap();
    for mut kernel in Kernel::available() {
        for d in [0, 6, 9, 40] {
            let one = kernel.scan(&job, whole, d);
            assert_eq!(ScanOutcome::none(whole.first()).then(one), one);
            for step in [1, 7, 64, 2_000] {
                let mut parts = std::vec::Vec::new();
                let mut rest = Some(whole);
                while let Some(r) = rest {
                    let (head, tail) = r.split_first(step);
                    parts.extend(head.map(|h| Scanner::scan(&mut kernel, &job, h, d)));
                    rest = tail;
                }
                let folded = ScanOutcome::fold(whole.first(), parts);
                assert_eq!(folded, one, "{kernel:?} d={d} step={step}");
            }
        }
    }
    assert_eq!(
        ScanOutcome::fold(77, []),
        ScanOutcome {
            found: None,
            best: Best {
                nonce: 77,
                zero_bits: 0
            },
            hashes: 0
        }
    );
}
