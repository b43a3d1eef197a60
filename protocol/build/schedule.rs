//! The message schedule of both hashes as sums of terms, with every
//! nonce-free shortcut of `src/kernel/sha256d.rs` (`first_schedule`,
//! `second_schedule`): the generators emit one word's code from its terms.
//! Padding words and per-job partial sums become constants; words known to
//! be zero are left out.

use super::sha256::{small_sigma0, small_sigma1};
use super::thumb_job as job;

/// `W4` of the header's second block and its bit length `W15`.
pub const PAD_W4: u32 = 0x8000_0000;
pub const LEN_W15: u32 = 640;
/// `W8` and `W15` of the digest block.
pub const DIGEST_PAD: u32 = 0x8000_0000;
pub const DIGEST_LEN: u32 = 256;

/// Where a message word lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Word {
    /// Computed per nonce: schedule word `i` (or, in the second hash, digest
    /// word `i < 8`), kept in the 16-word ring at slot `i % 16`.
    Ring(usize),
    /// A per-job word of the layout in `thumb_job.rs`.
    Job(usize),
    /// The nonce word `W3` of the first hash.
    Nonce,
}

/// One term of a schedule word's sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Term {
    Sigma1(Word),
    Sigma0(Word),
    Plain(Word),
    /// A constant (padding folded through σ0/σ1, summed).
    Const(u32),
}

/// A schedule word's terms: at most four.
pub type Terms = [Option<Term>; 4];

fn terms<const N: usize>(list: [Term; N]) -> Terms {
    let mut out = [None; 4];
    for (slot, term) in out.iter_mut().zip(list) {
        *slot = Some(term);
    }
    out
}

use Term::{Const, Plain, Sigma0, Sigma1};
use Word::{Job, Nonce, Ring};

/// The general recurrence for word `i`.
fn general(i: usize, w: impl Fn(usize) -> Word) -> Terms {
    terms([
        Sigma1(w(i - 2)),
        Plain(w(i - 7)),
        Sigma0(w(i - 15)),
        Plain(w(i - 16)),
    ])
}

/// Word `i` (16..=63) of the header's second block. `W16` and `W17` are
/// per-job words; the nonce is `W3`; `W4` and `W15` are padding, the rest
/// of `W4..=W15` zero.
pub fn first(i: usize) -> Terms {
    let w = |j: usize| match j {
        16 => Job(job::W16),
        17 => Job(job::W17),
        _ => Ring(j),
    };
    match i {
        16 | 17 => unreachable!("W16 and W17 are per-job words"),
        18 => terms([Sigma0(Nonce), Plain(Job(job::C18))]),
        19 => terms([Plain(Nonce), Plain(Job(job::C19))]),
        20 => terms([Sigma1(w(18)), Const(PAD_W4)]),
        21 => terms([Sigma1(w(19))]),
        22 => terms([Sigma1(w(20)), Const(LEN_W15)]),
        23..=29 => terms([Sigma1(w(i - 2)), Plain(w(i - 7))]),
        30 => terms([Sigma1(w(28)), Plain(w(23)), Const(small_sigma0(LEN_W15))]),
        31 => terms([Sigma1(w(29)), Plain(w(24)), Plain(Job(job::C31))]),
        32 => terms([Sigma1(w(30)), Plain(w(25)), Plain(Job(job::C32))]),
        _ => general(i, w),
    }
}

/// Word `i` (16..=63) of the digest block: the digest in `W0..=W7`, then
/// `DIGEST_PAD`, six zeros and `DIGEST_LEN`.
pub fn second(i: usize) -> Terms {
    let w = Ring;
    match i {
        16 => terms([Sigma0(w(1)), Plain(w(0))]),
        17 => terms([Sigma0(w(2)), Plain(w(1)), Const(small_sigma1(DIGEST_LEN))]),
        18..=21 => terms([Sigma1(w(i - 2)), Sigma0(w(i - 15)), Plain(w(i - 16))]),
        22 => terms([Sigma1(w(20)), Sigma0(w(7)), Plain(w(6)), Const(DIGEST_LEN)]),
        23 => terms([
            Sigma1(w(21)),
            Plain(w(16)),
            Plain(w(7)),
            Const(small_sigma0(DIGEST_PAD)),
        ]),
        24 => terms([Sigma1(w(22)), Plain(w(17)), Const(DIGEST_PAD)]),
        25..=29 => terms([Sigma1(w(i - 2)), Plain(w(i - 7))]),
        30 => terms([Sigma1(w(28)), Plain(w(23)), Const(small_sigma0(DIGEST_LEN))]),
        31 => terms([
            Sigma1(w(29)),
            Plain(w(24)),
            Sigma0(w(16)),
            Const(DIGEST_LEN),
        ]),
        _ => general(i, w),
    }
}

/// `K + W` of the rounds whose message word is padding or zero: the first
/// hash's rounds 4..=15 and the second hash's rounds 8..=15.
pub fn first_padding_kw(i: usize) -> u32 {
    let pad = match i {
        4 => PAD_W4,
        15 => LEN_W15,
        _ => 0,
    };
    super::sha256::K[i].wrapping_add(pad)
}

pub fn second_padding_kw(i: usize) -> u32 {
    let pad = match i {
        8 => DIGEST_PAD,
        15 => DIGEST_LEN,
        _ => 0,
    };
    super::sha256::K[i].wrapping_add(pad)
}

/// Whether ring word `i` is read by a later word of the same hash (up to
/// word `last`): if not, it need not be stored.
pub fn read_later(i: usize, last: usize, terms: impl Fn(usize) -> Terms) -> bool {
    (i + 1..=last).any(|j| {
        terms(j)
            .iter()
            .flatten()
            .any(|t| matches!(t, Sigma1(Ring(k)) | Sigma0(Ring(k)) | Plain(Ring(k)) if *k == i))
    })
}

/// The constant round 0 of the second hash, from the IV: `a1 = x0 +
/// R0_A`, `e1 = x0 + R0_E`, `x0` being the first digest word.
pub fn second_round0() -> (u32, u32) {
    use super::sha256::{IV, K, big_sigma0, big_sigma1, ch, maj};
    let t1 = IV[7]
        .wrapping_add(big_sigma1(IV[4]))
        .wrapping_add(ch(IV[4], IV[5], IV[6]))
        .wrapping_add(K[0]);
    let t2 = big_sigma0(IV[0]).wrapping_add(maj(IV[0], IV[1], IV[2]));
    (t1.wrapping_add(t2), IV[3].wrapping_add(t1))
}
