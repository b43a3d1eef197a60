//! The miner driven through its public inputs: `leadership.rs` (discovery,
//! following, time-outs, heartbeats, faults) and `work.rs` (assignments,
//! steps, answers, interrupts) and `loss.rs` (re-sent answers, requests and
//! solutions, leader probes). The helpers here build the inputs.

extern crate std;

use core::time::Duration;
use std::vec::Vec;

use super::*;
use crate::ids::{Epoch, JobId};
use crate::kernel::Kernel;
use crate::kernel::ScanJob;
use crate::range::NonceRange;
use crate::vectors::GENESIS;
use crate::wire::{
    Announce, ChainHealth, HeaderBytes, HeartbeatRequest, Process, ProcessInterrupt, Recipe,
};

const C1: CoordinatorId = CoordinatorId(1);
const C2: CoordinatorId = CoordinatorId(2);
const A1: WireAddr = WireAddr::V4([127, 0, 0, 1], 7001);
const A2: WireAddr = WireAddr::V4([127, 0, 0, 1], 7002);

fn t(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

fn cfg() -> MinerConfig {
    MinerConfig {
        step: Duration::from_millis(1),
        initial_hashrate: 50_000,
        ..MinerConfig::with_heartbeat(MinerId(9), Duration::from_millis(100))
    }
}

fn drain(m: &mut Miner) -> Vec<Transmit> {
    core::iter::from_fn(|| m.poll_transmit()).collect()
}

fn events(m: &mut Miner) -> Vec<Event> {
    core::iter::from_fn(|| m.poll_event()).collect()
}

fn view(epoch: u32, leader: Option<CoordinatorId>) -> LeaderView {
    LeaderView {
        epoch: Epoch(epoch),
        leader,
    }
}

fn process(epoch: u32, job: u32, first: u32, last: u32, zero_bits: u8) -> Process {
    Process {
        job: JobRef {
            epoch: Epoch(epoch),
            job: JobId(job),
        },
        recipe: Recipe::SHA256D,
        header: HeaderBytes(GENESIS.template()),
        zero_bits,
        range: NonceRange::new(first, last).unwrap(),
    }
}

/// A miner that follows C1 in epoch 1, outbox drained.
fn following() -> Miner {
    let mut m = Miner::new(cfg(), &[A1, A2], t(0));
    m.handle_timeout(t(0));
    let hb = HeartbeatRequest {
        view: view(1, Some(C1)),
        job: None,
        chain: ChainHealth::Unknown,
    };
    m.handle_message(
        t(1),
        A1,
        NodeId::Coordinator(C1),
        Message::HeartbeatRequest(hb),
    );
    drain(&mut m);
    events(&mut m);
    m
}

/// Runs every step the miner hands out with the portable kernel.
fn run_steps(m: &mut Miner, now: Instant) -> u32 {
    let mut steps = 0;
    while let Some(step) = m.poll_step() {
        let out = Kernel::portable().scan(&step.job, step.range, step.zero_bits);
        m.handle_step(now, step.id, out, Duration::from_micros(out.hashes * 20));
        steps += 1;
    }
    steps
}

fn requests(tx: &[Transmit]) -> Vec<u8> {
    tx.iter()
        .filter_map(|t| match t.message {
            Message::HeartbeatReply(r) => r.request.map(|q| q.slots),
            _ => None,
        })
        .collect()
}

mod leadership;
mod loss;
mod work;
