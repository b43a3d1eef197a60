//! Block engines and the sweep loop, on the host: the blocks a block engine
//! is fed are SHA-256's own (checked against `sha2`), and scans through the
//! sweep loop (used by the Thumb backends and the RP2350's accelerator)
//! return exactly the reference outcome.

use ::sha2::{Digest, Sha256};

use super::*;
use crate::kernel::engine::{self, BlockEngine, NonceBlocks, SoftwareEngine};
use crate::kernel::sweep::{self, PortableSweep};

/// An engine that records what it is given, around the software one.
#[derive(Default)]
struct Recording {
    inner: SoftwareEngine,
    starts: usize,
    blocks: Vec<[u32; 16]>,
}

impl BlockEngine for Recording {
    fn start(&mut self) {
        self.starts += 1;
        self.inner.start();
    }
    fn absorb(&mut self, block: &[u32; 16]) {
        self.blocks.push(*block);
        self.inner.absorb(block);
    }
    fn state(&mut self) -> [u32; 8] {
        self.inner.state()
    }
}

/// Big-endian words of `bytes`, a multiple of 64 long.
fn words(bytes: &[u8]) -> Vec<[u32; 16]> {
    bytes
        .chunks_exact(64)
        .map(|chunk| {
            let mut block = [0u8; 64];
            block.copy_from_slice(chunk);
            sha256::block_words(&block)
        })
        .collect()
}

/// SHA-256's padding of `message`, as `sha2` hashes it.
fn padded(message: &[u8]) -> Vec<u8> {
    let mut out = message.to_vec();
    out.push(0x80);
    while out.len() % 64 != 56 {
        out.push(0);
    }
    out.extend_from_slice(&(message.len() as u64 * 8).to_be_bytes());
    out
}

#[test]
fn each_nonce_feeds_the_three_padded_blocks_of_sha256d() {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..100 {
        let mut header = [0u8; HEADER_LEN];
        for b in header.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        let nonce = x as u32;
        header[NONCE_OFFSET..].copy_from_slice(&nonce.to_le_bytes());
        let job = ScanJob::new(&header);
        let mut engine = Recording::default();
        let h7 = NonceBlocks::new(&job).final_word(&mut engine, nonce);

        let first = Sha256::digest(header);
        let mut expected = words(&padded(&header));
        expected.extend(words(&padded(&first)));
        assert_eq!(engine.blocks, expected);
        assert_eq!(engine.starts, 2);
        let hash = sha256d(&header);
        assert_eq!(h7, u32::from_be_bytes(hash.0[28..32].try_into().unwrap()));
    }
}

#[test]
fn the_software_engine_is_sha256() {
    let message = b"block engines hash whole blocks from the IV";
    let mut engine = SoftwareEngine::default();
    engine.start();
    for block in words(&padded(message)) {
        engine.absorb(&block);
    }
    assert_eq!(
        sha256::digest_bytes(&engine.state()),
        <[u8; 32]>::from(Sha256::digest(message))
    );
}

#[test]
fn engine_scans_match_the_reference_at_the_known_vectors() {
    for v in [GENESIS, BLOCK_125552] {
        let header = v.template();
        let job = ScanJob::new(&header);
        for (first, len, d) in [
            (v.nonce - 30, 61, 32),
            (v.nonce - 30, 61, 255),
            (v.nonce, 1, 43),
            (v.nonce + 1, 50, 4),
        ] {
            let range = NonceRange::starting_at(first, len).unwrap();
            let expected = reference_scan(&header, range, d);
            let mut engine = SoftwareEngine::default();
            assert_eq!(engine::scan(&mut engine, &job, range, d), expected);
            assert_eq!(
                sweep::scan(&job, &mut PortableSweep(&job), range, d),
                expected
            );
        }
    }
    let header = GENESIS.template();
    let job = ScanJob::new(&header);
    for range in [
        NonceRange::single(u32::MAX),
        NonceRange::new(u32::MAX - 20, u32::MAX).unwrap(),
    ] {
        for d in [0, 3, 255] {
            let mut engine = SoftwareEngine::default();
            assert_eq!(
                engine::scan(&mut engine, &job, range, d),
                reference_scan(&header, range, d)
            );
        }
    }
}

#[test]
fn the_engine_passes_the_self_test() {
    assert_eq!(engine::self_test(&mut SoftwareEngine::default()), Ok(()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// The sweep loop and the engine scan equal the reference on random
    /// headers, ranges and difficulties.
    #[test]
    fn sweeps_match_the_reference(
        seed in proptest::collection::vec(any::<u8>(), HEADER_LEN),
        start in any::<u32>(),
        len in 1u64..200,
        d in 0u8..12,
    ) {
        let header = header_from(&seed);
        let range = NonceRange::starting_at(start, len).unwrap();
        let expected = reference_scan(&header, range, d);
        let job = ScanJob::new(&header);
        prop_assert_eq!(sweep::scan(&job, &mut PortableSweep(&job), range, d), expected);
        let mut engine = SoftwareEngine::default();
        prop_assert_eq!(engine::scan(&mut engine, &job, range, d), expected);
    }
}
