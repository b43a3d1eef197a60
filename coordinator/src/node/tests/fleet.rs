//! A leader of many miners: its heartbeats to them go out in slices over
//! the interval, each miner once an interval, and its accounting stays
//! whole with thousands of leases.

use std::collections::HashMap;
use std::net::SocketAddr;

use protocol::wire::{HeartbeatReply, LeaderView, Message, MinerState, ProcessRequest};
use protocol::{CoordinatorId, Epoch, Instant, MinerId, NodeId};

use super::chain::FakeChain;
use super::net::{HB, node_cfg};
use crate::node::{Node, Now};

fn at(ms: u64) -> Now {
    Now {
        mono: Instant::from_millis(ms),
        unix: 5_000 + ms / 1000,
    }
}

fn miner_addr(i: u32) -> SocketAddr {
    SocketAddr::from(([10, 0, (i >> 8) as u8, i as u8], 9000))
}

/// A miner's status, asking for `slots` assignments.
fn status(slots: Option<u8>) -> Message {
    Message::HeartbeatReply(HeartbeatReply {
        view: LeaderView {
            epoch: Epoch(1),
            leader: Some(CoordinatorId(1)),
        },
        hashrate: 10_000,
        miner: Some(MinerState::Idle),
        request: slots.map(|slots| ProcessRequest { slots }),
        kind: Some(protocol::wire::MinerKind::HOST),
    })
}

/// A lone coordinator that leads and mines, with `n` miners that each
/// asked for two leases.
fn leader_of(n: u32) -> (Node, FakeChain) {
    let mut node = Node::new(node_cfg(1), at(0));
    let mut chain = FakeChain::new(60);
    node.handle_timeout(at(HB));
    assert!(node.is_leader());
    while let Some(call) = node.poll_chain() {
        let reply = chain.answer(call);
        node.handle_chain(at(HB), reply);
    }
    for i in 0..n {
        node.handle_message(
            at(HB),
            miner_addr(i),
            NodeId::Miner(MinerId(i)),
            status(Some(2)),
        );
    }
    while node.poll_transmit().is_some() {}
    (node, chain)
}

#[test]
fn heartbeats_to_miners_are_spread_over_the_interval_each_miner_once() {
    let n = 640;
    let (mut node, _chain) = leader_of(n);
    let every = node.config().miner_beat_every();
    let slices = (node.config().heartbeat.as_micros() / every.as_micros()) as usize;
    let mut beats: HashMap<SocketAddr, u32> = HashMap::new();
    let mut largest_burst = 0;
    // Three intervals, waking only when the node asks to be woken.
    let start = 2 * HB;
    let mut t = start;
    while t < start + 3 * HB {
        node.handle_timeout(at(t));
        let mut burst = 0;
        while let Some(out) = node.poll_transmit() {
            if let Message::HeartbeatRequest(_) = out.message {
                *beats.entry(out.to).or_default() += 1;
                burst += 1;
            }
        }
        largest_burst = largest_burst.max(burst);
        let next = node.poll_timeout().as_millis();
        assert!(next > t, "the node asks to be woken later than now");
        assert!(
            next - t <= every.as_millis() as u64 + 1,
            "the next slice is never skipped"
        );
        t = next;
    }
    assert_eq!(beats.len(), n as usize, "every miner is heartbeaten");
    assert!(
        beats.values().all(|&b| (3..=4).contains(&b)),
        "about once an interval each: {:?}",
        beats.values().min()..=beats.values().max()
    );
    assert!(
        largest_burst <= (n as usize).div_ceil(slices),
        "at most one slice at a time: {largest_burst}"
    );
}

#[test]
fn thousands_of_leases_keep_the_accounting_whole_and_are_looked_up_by_miner() {
    let n = 3_000;
    let (mut node, _chain) = leader_of(n);
    let s = node.status(Instant::from_millis(HB));
    let job = s.job.expect("mining");
    assert_eq!(job.leases, 2 * n as usize, "two leases each");
    assert!(s.miners.iter().all(|m| m.leases == 2));
    // Asking again with both slots full changes nothing; with one free,
    // after the re-send delay, the leader sends the held leases again.
    node.handle_message(
        at(HB + 1),
        miner_addr(7),
        NodeId::Miner(MinerId(7)),
        status(None),
    );
    assert!(node.poll_transmit().is_none());
    let later = HB + node.config().resend_after().as_millis() as u64 + 1;
    node.handle_message(
        at(later),
        miner_addr(7),
        NodeId::Miner(MinerId(7)),
        status(Some(1)),
    );
    let resent: Vec<_> = std::iter::from_fn(|| node.poll_transmit())
        .filter(|o| matches!(o.message, Message::Process(_)))
        .collect();
    assert_eq!(resent.len(), 2, "both held leases, to that miner only");
    assert!(resent.iter().all(|o| o.to == miner_addr(7)));
    // Silent miners are forgotten after their time-out and their leases
    // go back to the free list, every nonce still accounted for.
    node.handle_timeout(at(HB + 10 * HB));
    let s = node.status(Instant::from_millis(11 * HB));
    assert_eq!(s.miners.len(), 0);
    let job = s.job.expect("mining");
    assert_eq!((job.leases, job.coverage.leased), (0, 0));
    assert_eq!(
        s.stats.invariant_violations, 0,
        "{:?}",
        s.stats.last_violation
    );
}
