//! What the Thumb backends (`armv6m.rs`, `armv8m.rs`) share: the job in the
//! word layout their generated assembly reads (`thumb_job.rs`), and the
//! sweep around their assembly loops.

use super::job::ScanJob;
use super::sha256::K;
use super::sweep::Sweep;
use super::thumb_job as layout;

/// The job's words in the kernels' layout, the limit left at zero.
pub(super) fn job_words(job: &ScanJob) -> [u32; layout::WORDS] {
    let mut w = [0u32; layout::WORDS];
    let [a3, b3, c3, _, e3, f3, g3, _] = job.state3;
    w[layout::A4_BASE] = job.a4_base;
    w[layout::E4_BASE] = job.e4_base;
    w[layout::B4] = a3;
    w[layout::C4] = b3;
    w[layout::D4] = c3;
    w[layout::F4] = e3;
    w[layout::G4] = f3;
    w[layout::H4] = g3;
    w[layout::KW16] = K[16].wrapping_add(job.w16);
    w[layout::KW17] = K[17].wrapping_add(job.w17);
    w[layout::W16] = job.w16;
    w[layout::W17] = job.w17;
    w[layout::C18] = job.c18;
    w[layout::C19] = job.c19;
    w[layout::C31] = job.c31;
    w[layout::C32] = job.c32;
    w[layout::MID..layout::MID + 8].copy_from_slice(&job.midstate);
    w
}

/// A Thumb kernel's assembly loop as a [`Sweep`]: `run(words, first,
/// count)` returns the nonces hashed in its low word and the last `H7` in
/// its high word (the backend module wraps its `unsafe` call in `run`).
pub(super) struct ThumbSweep<F> {
    words: [u32; layout::WORDS],
    run: F,
}

impl<F: FnMut(&[u32; layout::WORDS], u32, u32) -> u64> ThumbSweep<F> {
    pub(super) fn new(job: &ScanJob, run: F) -> Self {
        ThumbSweep {
            words: job_words(job),
            run,
        }
    }
}

impl<F: FnMut(&[u32; layout::WORDS], u32, u32) -> u64> Sweep for ThumbSweep<F> {
    #[inline]
    fn sweep(&mut self, first: u32, count: u32, limit: u32) -> (u32, u32) {
        self.words[layout::LIMIT] = limit;
        let out = (self.run)(&self.words, first, count);
        // The low and high words of the result.
        (out as u32, (out >> 32) as u32)
    }
}
