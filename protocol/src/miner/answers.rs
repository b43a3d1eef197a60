//! The answers a miner has sent, kept to send again when the leader shows
//! it never got them: it leases the same range again.

use heapless::Deque;

use crate::ids::JobRef;
use crate::range::NonceRange;
use crate::wire::{ProcessAnswerNo, WireAddr};

/// `ProcessAnswerNo`s kept: two per assignment slot.
pub const KEPT_ANSWERS: usize = 4;

/// A `ProcessAnswerNo` sent, and where.
#[derive(Clone, Copy, Debug)]
pub(super) struct SentNo {
    pub answer: ProcessAnswerNo,
    pub to: WireAddr,
}

/// The last [`KEPT_ANSWERS`] `ProcessAnswerNo`s sent, of jobs still open.
#[derive(Debug, Default)]
pub(super) struct SentAnswers {
    sent: Deque<SentNo, KEPT_ANSWERS>,
}

impl SentAnswers {
    pub fn record(&mut self, answer: ProcessAnswerNo, to: WireAddr) {
        if self.sent.is_full() {
            self.sent.pop_front();
        }
        let _ = self.sent.push_back(SentNo { answer, to });
    }

    /// The answer already sent for `range` of `job`, if any.
    pub fn find(&self, job: JobRef, range: NonceRange) -> Option<SentNo> {
        self.sent
            .iter()
            .find(|s| s.answer.job == job && s.answer.range == range)
            .copied()
    }

    /// Forgets the answers for which `done` holds (their job is closed or
    /// superseded: the leader will not lease their range again).
    pub fn forget(&mut self, done: impl Fn(JobRef) -> bool) {
        for _ in 0..self.sent.len() {
            if let Some(s) = self.sent.pop_front()
                && !done(s.answer.job)
            {
                let _ = self.sent.push_back(s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Epoch, JobId};
    use crate::kernel::Best;

    fn no(job: u32, first: u32) -> ProcessAnswerNo {
        ProcessAnswerNo {
            job: JobRef {
                epoch: Epoch(1),
                job: JobId(job),
            },
            range: NonceRange::new(first, first + 9).unwrap_or(NonceRange::FULL),
            best: Best {
                nonce: first,
                zero_bits: 3,
            },
        }
    }

    #[test]
    fn keeps_the_last_answers_of_open_jobs() {
        let to = WireAddr::V4([127, 0, 0, 1], 1);
        let mut s = SentAnswers::default();
        for i in 0..6 {
            s.record(no(1 + i / 3, 10 * i), to);
        }
        assert!(
            s.find(no(1, 0).job, no(1, 0).range).is_none(),
            "the oldest went"
        );
        assert!(s.find(no(1, 20).job, no(1, 20).range).is_some());
        s.forget(|j| j.job <= JobId(1));
        assert!(s.find(no(1, 20).job, no(1, 20).range).is_none());
        assert!(s.find(no(2, 50).job, no(2, 50).range).is_some());
    }
}
