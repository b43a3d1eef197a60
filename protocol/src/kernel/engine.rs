//! Scanning with a SHA-256 block engine: hardware that hashes whole 64-byte
//! blocks from the IV but cannot be given a midstate, such as the RP2350's
//! accelerator. Every nonce then costs three blocks: the header's two, then
//! the block holding the first digest.
//!
//! This module is everything such a scan needs except the hardware access,
//! so that it is tested on the host (against `sha2`, with a software
//! engine): the three blocks of each nonce with their padding, the
//! candidate test on `H7`, and the scan contract of `kernel`'s module docs
//! (through the same sweep loop as the Thumb backends). A driver implements
//! [`BlockEngine`] with register accesses and calls [`scan`].

use super::ScanOutcome;
use super::job::{DIGEST_LEN, DIGEST_PAD, LEN_W15, PAD_W4, ScanJob};
use super::sweep::{self, Sweep};
use crate::range::NonceRange;

/// A SHA-256 engine fed whole blocks of message words (big-endian word
/// values, as SHA-256 reads them). It pads nothing: callers give it padded
/// blocks.
pub trait BlockEngine {
    /// Starts a new message: the state becomes the IV.
    fn start(&mut self);
    /// Absorbs one 16-word block into the state.
    fn absorb(&mut self, block: &[u32; 16]);
    /// The state after the blocks absorbed since [`start`](Self::start).
    fn state(&mut self) -> [u32; 8];
    /// The state's last word alone (`H7`), which is all a scan needs of
    /// the second hash: a driver may read one register instead of eight.
    fn last_word(&mut self) -> u32 {
        self.state()[7]
    }
}

/// The three blocks of one nonce of a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NonceBlocks {
    /// The header's first 64 bytes.
    head: [u32; 16],
    /// Its last 16 bytes (the nonce in word 3) and the padding of an
    /// 80-byte message.
    tail: [u32; 16],
    /// The first hash's digest (words 0..=7) and the padding of a 32-byte
    /// message.
    digest: [u32; 16],
}

impl NonceBlocks {
    /// The blocks of `job`, with nonce 0 and an empty digest.
    pub fn new(job: &ScanJob) -> NonceBlocks {
        let mut tail = [0u32; 16];
        tail[..3].copy_from_slice(&job.tail);
        tail[4] = PAD_W4;
        tail[15] = LEN_W15;
        let mut digest = [0u32; 16];
        digest[8] = DIGEST_PAD;
        digest[15] = DIGEST_LEN;
        NonceBlocks {
            head: job.head,
            tail,
            digest,
        }
    }

    /// `H7` of sha256d(header with `nonce`): the last word of the second
    /// hash, whose bytes start the displayed hash.
    #[inline]
    pub fn final_word<E: BlockEngine>(&mut self, engine: &mut E, nonce: u32) -> u32 {
        // The header stores the nonce little-endian; SHA-256 reads words
        // big-endian.
        self.tail[3] = nonce.swap_bytes();
        engine.start();
        engine.absorb(&self.head);
        engine.absorb(&self.tail);
        let first = engine.state();
        self.digest[..8].copy_from_slice(&first);
        engine.start();
        engine.absorb(&self.digest);
        engine.last_word()
    }
}

/// Scans `range` of `job` with `engine`: exactly what every kernel backend
/// returns for the same arguments (found, best, hashes).
pub fn scan<E: BlockEngine>(
    engine: &mut E,
    job: &ScanJob,
    range: NonceRange,
    zero_bits: u8,
) -> ScanOutcome {
    let mut sweeper = EngineSweep {
        engine,
        blocks: NonceBlocks::new(job),
    };
    sweep::scan(job, &mut sweeper, range, zero_bits)
}

/// The boot known-answer test of the kernels ([`super::self_test`]) run
/// through `engine`: a driver runs it before trusting its hardware. Returns
/// the failed check's description.
pub fn self_test<E: BlockEngine>(engine: &mut E) -> Result<(), &'static str> {
    super::known_answers(|job, range, zero_bits| scan(engine, job, range, zero_bits))
}

struct EngineSweep<'a, E> {
    engine: &'a mut E,
    blocks: NonceBlocks,
}

impl<E: BlockEngine> Sweep for EngineSweep<'_, E> {
    #[inline]
    fn sweep(&mut self, first: u32, count: u32, limit: u32) -> (u32, u32) {
        let mut h7 = 0;
        for i in 0..count {
            h7 = self.blocks.final_word(self.engine, first.wrapping_add(i));
            if h7.swap_bytes() <= limit {
                return (i + 1, h7);
            }
        }
        (count, h7)
    }
}

/// SHA-256's compression function as a block engine: the model the
/// hardware drivers must behave like, and the tests' engine.
#[derive(Clone, Debug, Default)]
pub struct SoftwareEngine {
    state: [u32; 8],
}

impl BlockEngine for SoftwareEngine {
    fn start(&mut self) {
        self.state = super::sha256::IV;
    }

    fn absorb(&mut self, block: &[u32; 16]) {
        super::sha256::compress(&mut self.state, block);
    }

    fn state(&mut self) -> [u32; 8] {
        self.state
    }
}
