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
    /// Absorbs one 16-word block into the state (waiting, if need be, until
    /// the engine can take it).
    fn absorb(&mut self, block: &[u32; 16]);
    /// Starts a new message with `block` as its first block: hardware that
    /// is ready for data right after a start need not wait.
    fn start_with(&mut self, block: &[u32; 16]) {
        self.start();
        self.absorb(block);
    }
    /// The state after the blocks absorbed since [`start`](Self::start).
    fn state(&mut self) -> [u32; 8];
    /// The state's last word alone (`H7`), which is all a scan needs of
    /// the second hash: a driver may read one register instead of eight.
    fn last_word(&mut self) -> u32 {
        self.state()[7]
    }
}

/// The blocks of one nonce of a job: the header's first 64 bytes, its last
/// 16 bytes with the padding of an 80-byte message, then the first hash's
/// digest with the padding of a 32-byte message. Only the first block is
/// kept whole; the others are built in place for each nonce, so that their
/// constant words and the digest reach the engine from registers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NonceBlocks {
    head: [u32; 16],
    tail: [u32; 3],
}

impl NonceBlocks {
    /// The blocks of `job`.
    pub fn new(job: &ScanJob) -> NonceBlocks {
        NonceBlocks {
            head: job.head,
            tail: job.tail,
        }
    }

    /// `H7` of sha256d(header with `nonce`): the last word of the second
    /// hash, whose bytes start the displayed hash.
    #[inline(always)]
    pub fn final_word<E: BlockEngine>(&self, engine: &mut E, nonce: u32) -> u32 {
        let [t0, t1, t2] = self.tail;
        // The header stores the nonce little-endian; SHA-256 reads words
        // big-endian.
        let n = nonce.swap_bytes();
        engine.start_with(&self.head);
        engine.absorb(&[t0, t1, t2, n, PAD_W4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, LEN_W15]);
        let [x0, x1, x2, x3, x4, x5, x6, x7] = engine.state();
        engine.start_with(&[
            x0, x1, x2, x3, x4, x5, x6, x7, DIGEST_PAD, 0, 0, 0, 0, 0, 0, DIGEST_LEN,
        ]);
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
