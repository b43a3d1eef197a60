//! The known-answer checks. Each returns `Err(reason)` on failure; the
//! reference for every hash is the `sha2`-based `protocol::header::sha256d`.
//! `rp2040-kat` includes this file too: each crate's root provides the
//! `hprintln!` it prints with (semihosting here, UART0 there).

use crate::hprintln;
use protocol::frame::{FrameError, MAX_FRAME, Opener, Sealer};
use protocol::header::sha256d;
use protocol::kernel::engine::{self, SoftwareEngine};
use protocol::kernel::{self, Best, Kernel, ScanJob, ScanOutcome};
use protocol::vectors::{self, BLOCK_125552, GENESIS, Vector};
use protocol::wire::{Discover, LeaderView, Message};
use protocol::{BootId, ClusterKey, CoordinatorId, Epoch, MinerId, NodeId, NonceRange};

type Check = fn() -> Result<(), &'static str>;

const CHECKS: &[(&str, Check)] = &[
    ("vectors are well formed", vectors_well_formed),
    ("published block hashes", block_hashes),
    ("kernel self-test (boot check)", self_test),
    ("best hash matches the reference", best_matches_reference),
    ("zero difficulty stops at the first nonce", zero_difficulty),
    ("single-nonce ranges", single_nonce),
    ("range ending at u32::MAX", top_of_range),
    (
        "every backend equals the portable one on random headers and ranges",
        random_headers,
    ),
    ("solutions at every offset of a range", solutions),
    (
        "the block-engine scan equals the portable one",
        block_engine,
    ),
    ("frame seal, open and tamper", frames),
];

/// Runs every check, prints one line each, returns how many failed.
pub fn run_all() -> u32 {
    let mut failed = 0;
    for (name, check) in CHECKS {
        match check() {
            Ok(()) => hprintln!("test {} ... ok", name),
            Err(why) => {
                hprintln!("test {} ... FAILED: {}", name, why);
                failed += 1;
            }
        }
    }
    failed
}

fn range(first: u32, last: u32) -> Result<NonceRange, &'static str> {
    NonceRange::new(first, last).map_err(|_| "empty range")
}

/// The reference best of `first..=last`: most zero bits, lowest nonce.
fn reference_best(v: &Vector, first: u32, last: u32) -> Best {
    let header = v.header();
    let mut best: Option<Best> = None;
    for nonce in first..=last {
        let zero_bits = sha256d(&header.with_nonce(nonce).to_bytes())
            .zero_bits()
            .min(255) as u8;
        let b = Best { nonce, zero_bits };
        best = Some(best.map_or(b, |x| x.better(b)));
    }
    best.unwrap_or(Best {
        nonce: first,
        zero_bits: 0,
    })
}

fn vectors_well_formed() -> Result<(), &'static str> {
    vectors::vectors_are_well_formed()
        .then_some(())
        .ok_or("a vector does not parse")
}

fn block_hashes() -> Result<(), &'static str> {
    for v in [GENESIS, BLOCK_125552] {
        if v.header().hash() != v.hash() {
            return Err("sha256d of a published header differs from its block hash");
        }
    }
    Ok(())
}

fn self_test() -> Result<(), &'static str> {
    for k in Kernel::available() {
        kernel::self_test(&k).map_err(|e| e.check)?;
    }
    Ok(())
}

fn best_matches_reference() -> Result<(), &'static str> {
    let (first, last) = (1_000, 1_127);
    let expected = reference_best(&GENESIS, first, last);
    let job = ScanJob::new(&GENESIS.template());
    for k in Kernel::available() {
        let out = k.scan(&job, range(first, last)?, 32);
        if out.found.is_some() || out.hashes != 128 {
            return Err("found or count wrong on a range without solution");
        }
        if out.best != expected {
            return Err("best differs from the reference");
        }
    }
    Ok(())
}

fn zero_difficulty() -> Result<(), &'static str> {
    let job = ScanJob::new(&BLOCK_125552.template());
    for k in Kernel::available() {
        let out = k.scan(&job, range(77, 500)?, 0);
        if out.found != Some(77) || out.hashes != 1 {
            return Err("zero bits must accept the first nonce");
        }
    }
    Ok(())
}

fn single_nonce() -> Result<(), &'static str> {
    for v in [GENESIS, BLOCK_125552] {
        let job = ScanJob::new(&v.template());
        for k in Kernel::available() {
            let hit = k.scan(&job, NonceRange::single(v.nonce), 32);
            if hit.found != Some(v.nonce) || hit.hashes != 1 {
                return Err("missed the winning nonce alone");
            }
            let miss = k.scan(&job, NonceRange::single(v.nonce + 1), 32);
            if miss.found.is_some() || miss.hashes != 1 {
                return Err("accepted the nonce after the winner");
            }
        }
    }
    Ok(())
}

fn top_of_range() -> Result<(), &'static str> {
    let first = u32::MAX - 15;
    let expected = reference_best(&BLOCK_125552, first, u32::MAX);
    let job = ScanJob::new(&BLOCK_125552.template());
    for k in Kernel::available() {
        let out = k.scan(&job, range(first, u32::MAX)?, 32);
        if out.hashes != 16 || out.best != expected {
            return Err("wrong outcome at the top of the nonce space");
        }
    }
    Ok(())
}

/// A deterministic stream of pseudo-random numbers (xorshift64).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn header(&mut self) -> [u8; 80] {
        let mut h = [0u8; 80];
        for chunk in h.chunks_mut(8) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        h
    }
}

/// Every backend but the portable one against the portable one.
fn against_portable(job: &ScanJob, range: NonceRange, d: u8) -> Result<(), &'static str> {
    let expected = Kernel::portable().scan(job, range, d);
    for k in Kernel::available() {
        if k.scan(job, range, d) != expected {
            hprintln!("  {} differs on {} at d={}", k.backend(), range, d);
            return Err("a backend differs from the portable one");
        }
    }
    Ok(())
}

/// Random headers; ranges of 1 to 48 nonces anywhere, often at the top of
/// the nonce space; difficulties that are met at random offsets (0 to 8)
/// or never (255), so found, best and count are all exercised.
fn random_headers() -> Result<(), &'static str> {
    let mut rng = Random(0x9e37_79b9_7f4a_7c15);
    for i in 0..400 {
        let job = ScanJob::new(&rng.header());
        let len = 1 + rng.below(48);
        let first = if i % 4 == 0 {
            u32::MAX - rng.below(60) as u32
        } else {
            rng.next() as u32
        };
        let first = first.min((u64::from(u32::MAX) + 1 - len) as u32);
        let range = NonceRange::starting_at(first, len).ok_or("range")?;
        let d = match rng.below(4) {
            0 => 255,
            _ => rng.below(9) as u8,
        };
        against_portable(&job, range, d)?;
    }
    Ok(())
}

/// The published solutions (43 and 67 zero bits: `H7` is zero, so the full
/// digest decides) at every offset of a short range, at difficulties met,
/// met exactly and not met.
fn solutions() -> Result<(), &'static str> {
    for v in [GENESIS, BLOCK_125552] {
        let job = ScanJob::new(&v.template());
        for before in 0..6 {
            let range = NonceRange::starting_at(v.nonce - before, 9).ok_or("range")?;
            for d in [32, 43, 44, 67, 68, 255] {
                against_portable(&job, range, d)?;
            }
        }
    }
    Ok(())
}

/// The scan through a block engine (what the RP2350's accelerator runs),
/// here SHA-256 in software, on random headers.
fn block_engine() -> Result<(), &'static str> {
    let mut rng = Random(0x2545_f491_4f6c_dd1d);
    let mut engine = SoftwareEngine::default();
    engine::self_test(&mut engine)?;
    for _ in 0..40 {
        let job = ScanJob::new(&rng.header());
        let range =
            NonceRange::starting_at(rng.next() as u32 >> 1, 1 + rng.below(24)).ok_or("range")?;
        let d = rng.below(7) as u8;
        let expected: ScanOutcome = Kernel::portable().scan(&job, range, d);
        if engine::scan(&mut engine, &job, range, d) != expected {
            return Err("the engine scan differs from the portable one");
        }
    }
    Ok(())
}

fn frames() -> Result<(), &'static str> {
    let key = ClusterKey::from_bytes([0x5a; 32]);
    let me = NodeId::Miner(MinerId(7));
    let mut sealer = Sealer::new(&key, me, BootId(0xdead_beef));
    let mut opener = Opener::<4>::new(&key, NodeId::Coordinator(CoordinatorId(1)));
    let message = Message::Discover(Discover {
        view: LeaderView {
            epoch: Epoch(3),
            leader: Some(CoordinatorId(2)),
        },
    });
    let mut buf = [0u8; MAX_FRAME];
    let len = sealer.seal(&message, &mut buf).map_err(|_| "seal failed")?;
    let mut tampered = buf;
    tampered[len - 1] ^= 1;
    if opener.open(&tampered[..len]) != Err(FrameError::BadTag) {
        return Err("a tampered frame was not refused");
    }
    let opened = opener
        .open(&buf[..len])
        .map_err(|_| "a sealed frame did not open")?;
    if opened.message != message || opened.sender != me {
        return Err("the opened frame differs");
    }
    if opener.open(&buf[..len]) != Err(FrameError::Replay(protocol::frame::ReplayError::Duplicate))
    {
        return Err("a replayed frame was not refused");
    }
    Ok(())
}
