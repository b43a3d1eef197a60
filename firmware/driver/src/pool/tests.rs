//! The pool returns exactly what one scan of the step returns, however the
//! step is split.

use core::time::Duration;

use embassy_futures::block_on;
use embassy_futures::select::{Either4, select4};
use protocol::kernel::Kernel;
use protocol::miner::{Miner, MinerConfig, Step};
use protocol::vectors::GENESIS;
use protocol::wire::{
    ChainHealth, HeaderBytes, HeartbeatRequest, LeaderView, Message, Process, Recipe, WireAddr,
};
use protocol::{
    CoordinatorId, Epoch, Instant as PInstant, JobId, JobRef, MinerId, NodeId, NonceRange,
};

use super::*;

const LEADER: WireAddr = WireAddr::V4([10, 0, 0, 1], 7411);

/// A step of exactly `first..=last` at `zero_bits`, handed out by a real
/// miner state machine.
fn step(first: u32, last: u32, zero_bits: u8) -> Step {
    let cfg = MinerConfig {
        // Long steps at a high assumed rate: the whole range in one step.
        step: Duration::from_secs(3600),
        initial_hashrate: u32::MAX,
        ..MinerConfig::new(MinerId(7))
    };
    let mut m = Miner::new(cfg, &[LEADER], PInstant::ZERO);
    let c1 = NodeId::Coordinator(CoordinatorId(1));
    let view = LeaderView {
        epoch: Epoch(1),
        leader: Some(CoordinatorId(1)),
    };
    let hb = HeartbeatRequest {
        view,
        job: None,
        chain: ChainHealth::Unknown,
    };
    m.handle_message(PInstant::ZERO, LEADER, c1, Message::HeartbeatRequest(hb));
    let p = Process {
        job: JobRef {
            epoch: Epoch(1),
            job: JobId(1),
        },
        recipe: Recipe::SHA256D,
        header: HeaderBytes(GENESIS.template()),
        zero_bits,
        range: NonceRange::new(first, last).unwrap(),
    };
    m.handle_message(PInstant::ZERO, LEADER, c1, Message::Process(p));
    let s = m.poll_step().unwrap();
    assert_eq!(s.range, p.range);
    s
}

/// Scans `step` with a pool of three workers, `chunk` nonces at a time.
fn pooled(step: &Step, chunk: u32) -> ScanOutcome {
    let pool: ScanPool<3> = ScanPool::new(chunk);
    let k = Kernel::portable();
    let mut batch = pool.dispatch(step, 9, Instant::now());
    assert_eq!(batch.id(), step.id);
    let collect = async {
        loop {
            if let Some(o) = pool.next_done(&mut batch).await {
                return o;
            }
        }
    };
    match block_on(select4(
        pool.work(0, k),
        pool.work(1, k),
        pool.work(2, k),
        collect,
    )) {
        Either4::Fourth(o) => o,
        _ => unreachable!("workers never return"),
    }
}

fn single(step: &Step) -> ScanOutcome {
    Kernel::portable().scan(&step.job, step.range, step.zero_bits)
}

#[test]
fn a_solution_in_a_later_slice_is_found_with_the_right_count() {
    let s = step(GENESIS.nonce - 100, GENESIS.nonce + 50, 32);
    let out = pooled(&s, 7);
    assert_eq!(out.found, Some(GENESIS.nonce));
    assert_eq!(out, single(&s));
}

#[test]
fn a_range_without_solution_reports_the_same_best_and_count() {
    let s = step(5_000, 5_300, 32);
    let out = pooled(&s, 16);
    assert_eq!(out.found, None);
    assert_eq!(out.hashes, 301);
    assert_eq!(out, single(&s));
}

#[test]
fn easy_difficulty_stops_at_the_first_nonce() {
    let s = step(100, 400, 0);
    let out = pooled(&s, 1);
    assert_eq!(out.found, Some(100));
    assert_eq!(out.hashes, 1);
}

#[test]
fn ranges_shorter_than_the_pool_and_at_the_top_of_u32() {
    for (first, last) in [(42, 42), (42, 43), (u32::MAX - 4, u32::MAX)] {
        let s = step(first, last, 32);
        assert_eq!(pooled(&s, 2), single(&s), "{first}..={last}");
    }
}

#[test]
fn try_done_collects_finished_slices_without_waiting() {
    let s = step(7_000, 7_099, 32);
    let pool: ScanPool<2> = ScanPool::new(1_000);
    let k = Kernel::portable();
    let mut batch = pool.dispatch(&s, 1, Instant::now());
    assert_eq!(pool.try_done(&mut batch), None, "nothing scanned yet");
    // One poll runs a worker through its whole slice (one chunk) and back
    // to waiting for the next.
    let mut first = core::pin::pin!(pool.work(0, k));
    let _ = embassy_futures::poll_once(first.as_mut());
    assert_eq!(pool.try_done(&mut batch), None, "one slice of two");
    let mut second = core::pin::pin!(pool.work(1, k));
    let _ = embassy_futures::poll_once(second.as_mut());
    assert_eq!(pool.try_done(&mut batch), Some(single(&s)));
}

#[test]
fn uneven_rates_split_unevenly_and_recombine_exactly() {
    for (first, last, zero_bits) in [
        (GENESIS.nonce - 200, GENESIS.nonce + 20, 32),
        (9_000, 9_400, 32),
        (500, 900, 5),
    ] {
        let s = step(first, last, zero_bits);
        let pool: ScanPool<2> = ScanPool::new(16);
        // Worker 1 measured six times as fast as worker 0.
        pool.rates[0].store(10_000, Ordering::Relaxed);
        pool.rates[1].store(60_000, Ordering::Relaxed);
        let k = Kernel::portable();
        let mut batch = pool.dispatch(&s, 3, Instant::now());
        let collect = async {
            loop {
                if let Some(o) = pool.next_done(&mut batch).await {
                    return o;
                }
            }
        };
        let out = match block_on(embassy_futures::select::select3(
            pool.work(0, k),
            pool.work(1, k),
            collect,
        )) {
            embassy_futures::select::Either3::Third(o) => o,
            _ => unreachable!("workers never return"),
        };
        assert_eq!(out, single(&s), "{first}..={last}");
        assert!(pool.rates().iter().all(|&r| r > 0));
    }
}
