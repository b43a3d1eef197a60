//! The Thumb kernels are generated from `protocol/build/schedule.rs`'s sums
//! of terms and from the job layout of `thumb_job.rs`; they run only on Arm
//! cores (cross-checked in `firmware/qemu-kat`). Here, on the host, the
//! same tables are evaluated with plain arithmetic and held to the plain
//! SHA-256 schedule, so a wrong term fails `cargo test` too.

use super::*;
use crate::kernel::sha256::{self, small_sigma0, small_sigma1};

#[path = "../../../build/schedule.rs"]
mod schedule;
#[path = "../thumb_job.rs"]
#[allow(dead_code)]
mod thumb_job;

use schedule::{Term, Terms, Word};

/// The job's words in the generated kernels' layout, as `thumb.rs` fills
/// them (that module is compiled for Thumb targets only).
fn job_words(job: &ScanJob) -> [u32; thumb_job::WORDS] {
    let mut w = [0u32; thumb_job::WORDS];
    w[thumb_job::W16] = job.w16;
    w[thumb_job::W17] = job.w17;
    w[thumb_job::C18] = job.c18;
    w[thumb_job::C19] = job.c19;
    w[thumb_job::C31] = job.c31;
    w[thumb_job::C32] = job.c32;
    w
}

/// Evaluates schedule word `i` from its terms, reading words from `w` (by
/// message-word index), the job's words and the nonce word.
fn evaluate(terms: &Terms, w: &[u32; 64], job: &[u32], nonce_word: u32) -> u32 {
    let read = |word: Word| match word {
        Word::Ring(i) => w[i],
        Word::Job(f) => job[f],
        Word::Nonce => nonce_word,
    };
    terms.iter().flatten().fold(0u32, |sum, term| {
        sum.wrapping_add(match *term {
            Term::Sigma1(x) => small_sigma1(read(x)),
            Term::Sigma0(x) => small_sigma0(read(x)),
            Term::Plain(x) => read(x),
            Term::Const(c) => c,
        })
    })
}

#[test]
fn the_generators_schedule_terms_are_sha256s_schedule() {
    let mut x = 0x853c_49e6_748f_ea9bu64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..50 {
        let mut header = [0u8; HEADER_LEN];
        for b in header.iter_mut() {
            *b = next() as u8;
        }
        let job = ScanJob::new(&header);
        let words = job_words(&job);
        let nonce_word = (next() as u32).swap_bytes();

        // First hash: the header's second block.
        let mut block = [0u32; 16];
        block[..3].copy_from_slice(&job.tail);
        block[3] = nonce_word;
        block[4] = schedule::PAD_W4;
        block[15] = schedule::LEN_W15;
        let plain = sha256::expand(&block);
        for i in 18..64 {
            let got = evaluate(&schedule::first(i), &plain, &words, nonce_word);
            assert_eq!(got, plain[i], "first hash, W{i}");
        }
        for (i, w) in plain.iter().enumerate().take(16).skip(4) {
            assert_eq!(schedule::first_padding_kw(i), sha256::K[i].wrapping_add(*w));
        }

        // Second hash: the digest block.
        let mut digest = [0u32; 16];
        for d in digest.iter_mut().take(8) {
            *d = next() as u32;
        }
        digest[8] = schedule::DIGEST_PAD;
        digest[15] = schedule::DIGEST_LEN;
        let plain = sha256::expand(&digest);
        for i in 16..64 {
            let got = evaluate(&schedule::second(i), &plain, &words, 0);
            assert_eq!(got, plain[i], "second hash, W{i}");
        }
        for (i, w) in plain.iter().enumerate().take(16).skip(8) {
            assert_eq!(
                schedule::second_padding_kw(i),
                sha256::K[i].wrapping_add(*w)
            );
        }
    }
}

#[test]
fn the_second_hash_starts_from_a_constant_round_0() {
    let (a1, e1) = schedule::second_round0();
    for x0 in [0, 1, 0xdead_beef, u32::MAX] {
        let mut s = sha256::IV;
        sha256::round(&mut s, sha256::K[0].wrapping_add(x0));
        assert_eq!(s[0], x0.wrapping_add(a1));
        assert_eq!(s[4], x0.wrapping_add(e1));
    }
}

#[test]
fn unread_schedule_words_are_the_last_ones() {
    // Words 62 and 63 of the first hash and 59 and 60 of the second are
    // read by no later word: the kernels do not store them.
    for (last, terms) in [
        (63, schedule::first as fn(usize) -> Terms),
        (60, schedule::second),
    ] {
        let unread: Vec<usize> = (18..=last)
            .filter(|&i| !schedule::read_later(i, last, terms))
            .collect();
        assert_eq!(unread, [last - 1, last], "up to W{last}");
    }
}
