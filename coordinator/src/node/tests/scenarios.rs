//! Whole clusters on a fault-free network: mining, failover, chain
//! outages, exhausted ranges, lying and silent miners.

use protocol::wire::{Message, ProcessAnswerNo, ProcessAnswerYes};
use protocol::{CoordinatorId, MinerId, NodeId, NonceRange};

use super::net::{HB, Net, addr};
use crate::node::{Node, NodeEvent};

#[test]
fn one_coordinator_and_two_miners_mine_blocks() {
    let mut net = Net::new(1, 2, 12);
    net.run_until(3_000, |n| n.chain.blocks.len() >= 4);
    let s = net.node(1).status(net.now().mono);
    assert!(s.leading);
    assert!(s.stats.blocks >= 3);
    assert_eq!(
        s.stats.invariant_violations, 0,
        "{:?}",
        s.stats.last_violation
    );
    assert_eq!(s.stats.failed_claims, 0);
    assert_eq!(s.miners.len(), 2);
    // Every block links to the previous one and meets the difficulty: the
    // fake chain only appends blocks that do.
    assert!(net.chain.blocks.len() >= 4);
}

#[test]
fn the_lowest_id_leads_and_a_dead_leader_is_replaced_within_three_intervals() {
    let mut net = Net::new(3, 2, 14);
    net.run_until(1_000, |n| n.leaders() == [1]);
    net.run_until(2_000, |n| n.chain.blocks.len() >= 2);
    let epoch1 = net.node(1).status(net.now().mono).epoch;
    net.kill(1);
    let took = net.run_until(1_000, |n| {
        n.leaders() == [2]
            && n.node(2)
                .status(n.now().mono)
                .job
                .is_some_and(|j| j.coverage.leased > 0)
    });
    assert!(took <= 3 * HB, "failover took {took} ms");
    let epoch2 = net.node(2).status(net.now().mono).epoch;
    assert!(epoch2 > epoch1);
    let blocks = net.chain.blocks.len();
    net.run_until(3_000, |n| n.chain.blocks.len() > blocks);
    // Coordinator 1 comes back and leads again, in a newer epoch.
    net.restart(1, 3);
    net.run_until(2_000, |n| {
        n.leaders() == [1]
            && n.miners
                .iter()
                .all(|(_, m)| m.leader() == Some(CoordinatorId(1)))
    });
    assert!(net.node(1).status(net.now().mono).epoch > epoch2);
    let blocks = net.chain.blocks.len();
    net.run_until(3_000, |n| n.chain.blocks.len() > blocks);
}

#[test]
fn a_chain_outage_is_waited_out() {
    let mut net = Net::new(1, 1, 12);
    net.chain.down = true;
    net.run(1_000);
    let s = net.node(1).status(net.now().mono);
    assert_eq!(s.chain_up, Some(false));
    assert_eq!(s.work, "fetching template");
    assert!(s.stats.chain_failures >= 3, "retried with backoff");
    assert!(s.stats.chain_failures < 30, "but not in a tight loop");
    net.chain.down = false;
    net.run_until(2_000, |n| n.chain.blocks.len() >= 3);
    assert_eq!(net.node(1).status(net.now().mono).chain_up, Some(true));
}

#[test]
fn a_last_height_is_mined_and_nothing_after_it_whoever_leads() {
    let mut net = Net::new(2, 2, 10).configured(|c| c.last_height = Some(3));
    net.run_until(3_000, |n| {
        n.node(1).status(n.now().mono).work == "done: last height mined"
    });
    net.run(2 * HB);
    assert_eq!(net.chain.blocks.len(), 4, "genesis and heights 1 to 3");
    assert!(net.node(1).status(net.now().mono).job.is_none());
    // The follower that takes over stops at the same height.
    net.kill(1);
    net.run_until(2_000, |n| {
        n.leaders() == [2] && n.node(2).status(n.now().mono).work == "done: last height mined"
    });
    net.run(2 * HB);
    assert_eq!(net.chain.blocks.len(), 4);
}

#[test]
fn a_whole_range_without_a_solution_starts_a_new_job_with_a_new_time() {
    let mut net = Net::new(1, 2, 60);
    net.node_mut(1).cfg.nonce_range = NonceRange::new(1, 20_000).unwrap();
    net.node_mut(1).cfg.chunk_default = 3_000;
    net.run_until(3_000, |n| n.node(1).status(n.now().mono).stats.jobs >= 3);
    let s = net.node(1).status(net.now().mono);
    assert_eq!(s.stats.invariant_violations, 0);
    assert_eq!(s.stats.blocks, 0);
    let exhausted = net
        .events
        .iter()
        .filter(|(_, e)| matches!(e, NodeEvent::JobExhausted { .. }))
        .count();
    assert!(exhausted >= 2, "jobs ended by exhaustion");
    let times: Vec<u32> = net
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            NodeEvent::JobStarted { time, .. } => Some(*time),
            _ => None,
        })
        .collect();
    assert!(
        times.windows(2).all(|w| w[1] > w[0]),
        "each job has a new timestamp: {times:?}"
    );
}

#[test]
fn lying_miners_are_caught_and_banned() {
    let mut net = Net::new(1, 1, 16);
    net.run_until(1_000, |n| {
        n.node(1)
            .status(n.now().mono)
            .job
            .is_some_and(|j| j.leases > 0)
    });
    let now = net.now();
    let job = net.node(1).current_job().unwrap().clone();
    let liar = MinerId(666);
    let from = addr(6666);
    let node = net.node_mut(1);
    node.handle_message(now, from, NodeId::Miner(liar), hb_reply_request());
    let range = lease_of(node, liar);
    // A solution that is not one.
    let yes = Message::ProcessAnswerYes(ProcessAnswerYes {
        job: job.job_ref,
        range,
        nonce: range.first(),
    });
    node.handle_message(now, from, NodeId::Miner(liar), yes);
    // "No" without the work: the first nonce as the best.
    node.handle_message(now, from, NodeId::Miner(liar), hb_reply_request());
    let range = lease_of(node, liar);
    let lazy = protocol::kernel::Best {
        nonce: range.first(),
        zero_bits: job.zero_bits_of(range.first()) as u8,
    };
    let no = |best| {
        Message::ProcessAnswerNo(ProcessAnswerNo {
            job: job.job_ref,
            range,
            best,
        })
    };
    node.handle_message(now, from, NodeId::Miner(liar), no(lazy));
    // A made-up best hash.
    let forged = protocol::kernel::Best {
        nonce: range.first() + 1,
        zero_bits: 25,
    };
    node.handle_message(now, from, NodeId::Miner(liar), no(forged));
    let s = node.status(now.mono);
    let entry = s.miners.iter().find(|m| m.id == liar.0).unwrap();
    assert_eq!(entry.failed_claims, 3);
    assert!(entry.banned);
    assert_eq!(entry.leases, 0, "a banned miner's leases are revoked");
    assert_eq!(s.stats.invariant_violations, 0);
    // Banned: its requests get nothing.
    let before = s.stats.leases;
    node.handle_message(now, from, NodeId::Miner(liar), hb_reply_request());
    assert_eq!(node.status(now.mono).stats.leases, before);
    // The honest miner keeps mining.
    let blocks = net.chain.blocks.len();
    net.run_until(5_000, |n| n.chain.blocks.len() > blocks);
}

#[test]
fn an_unanswered_lease_expires_and_goes_to_another_miner() {
    let mut net = Net::new(1, 1, 60);
    net.run_until(1_000, |n| n.node(1).status(n.now().mono).job.is_some());
    let now = net.now();
    let ghost = MinerId(777);
    net.node_mut(1)
        .handle_message(now, addr(7777), NodeId::Miner(ghost), hb_reply_request());
    let held: Vec<_> = net
        .node(1)
        .current_job()
        .unwrap()
        .leases()
        .filter(|l| l.miner == ghost)
        .map(|l| l.range)
        .collect();
    assert_eq!(held.len(), 2);
    // The ghost stays alive (heartbeats) but its answers never arrive.
    for _ in 0..100 {
        net.run(50);
        let now = net.now();
        net.node_mut(1)
            .handle_message(now, addr(7777), NodeId::Miner(ghost), hb_reply(None));
        if net.node(1).status(now.mono).stats.leases_expired >= 2 {
            break;
        }
    }
    assert!(net.node(1).status(net.now().mono).stats.leases_expired >= 2);
    let job = net.node(1).current_job().unwrap();
    assert!(job.leases().all(|l| l.miner != ghost));
    // The expired ranges go to the honest miner.
    net.run(500);
    for range in held {
        assert!(
            net.leases
                .iter()
                .any(|(to, r)| *to == addr(1000) && r.overlaps(&range)),
            "{range} was not re-leased"
        );
    }
    assert_eq!(
        net.node(1)
            .status(net.now().mono)
            .stats
            .invariant_violations,
        0
    );
}

/// The range of a lease `miner` holds in the current job.
fn lease_of(node: &Node, miner: MinerId) -> NonceRange {
    node.current_job()
        .unwrap()
        .leases()
        .find(|l| l.miner == miner)
        .unwrap()
        .range
}

fn hb_reply_request() -> Message {
    hb_reply(Some(protocol::wire::ProcessRequest { slots: 2 }))
}

fn hb_reply(request: Option<protocol::wire::ProcessRequest>) -> Message {
    Message::HeartbeatReply(protocol::wire::HeartbeatReply {
        view: protocol::wire::LeaderView {
            epoch: protocol::Epoch(0),
            leader: None,
        },
        hashrate: 0,
        miner: Some(protocol::wire::MinerState::Idle),
        request,
        kind: Some(protocol::wire::MinerKind::RP2040),
    })
}

#[test]
fn a_leader_that_steps_down_still_submits_the_block_it_holds() {
    let mut net = Net::new(2, 1, 12);
    // Coordinator 2 starts alone and leads; the chain refuses to answer, so
    // the first solution is held.
    net.kill(1);
    net.run_until(2_000, |n| n.leaders() == [2]);
    net.chain.down = true;
    net.run_until(5_000, |n| {
        n.node(2).status(n.now().mono).work == "submitting block"
    });
    // Coordinator 1 appears and takes over; then the chain comes back.
    net.restart(1, 2);
    net.run_until(2_000, |n| n.leaders() == [1]);
    assert_eq!(net.node(2).status(net.now().mono).work, "submitting block");
    let seen = net.events.len();
    net.chain.down = false;
    net.run_until(3_000, |n| {
        n.events[seen..].iter().any(|(id, e)| {
            *id == 2
                && matches!(
                    e,
                    NodeEvent::BlockAccepted { .. } | NodeEvent::BlockStale { .. }
                )
        })
    });
    assert_eq!(net.node(2).status(net.now().mono).work, "following");
}
