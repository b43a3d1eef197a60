//! The quorum, fixed chunks and the best hashes, on a clean network.

use protocol::NonceRange;

use super::net::{Net, addr};
use crate::node::{NodeEvent, min_best_bits};

fn waiting_for(net: &Net) -> Option<String> {
    net.node(1).status(net.now().mono).quorum.waiting_for
}

#[test]
fn the_leader_waits_for_its_quorum_of_miners_and_says_for_whom() {
    let mut net = Net::new(1, 3, 12).configured(|c| c.quorum.miners = 3);
    net.cut = vec![addr(1001), addr(1002)];
    net.run(500);
    let s = net.node(1).status(net.now().mono);
    assert!(s.leading);
    assert_eq!(s.work, "waiting for quorum");
    assert!(s.job.is_none());
    assert_eq!(
        s.chain_up,
        Some(true),
        "the template is held, the tip polled"
    );
    assert_eq!(s.stats.leases, 0);
    assert_eq!(
        waiting_for(&net).as_deref(),
        Some("2 more miners (1 of 3 registered)")
    );
    net.cut = vec![addr(1002)];
    net.run(300);
    assert_eq!(
        waiting_for(&net).as_deref(),
        Some("1 more miner (2 of 3 registered)")
    );
    assert_eq!(net.chain.blocks.len(), 1);
    net.cut.clear();
    net.run_until(3_000, |n| n.chain.blocks.len() > 2);
    assert_eq!(waiting_for(&net), None);
    let said: Vec<String> = net
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            NodeEvent::QuorumWaiting { waiting_for } => Some(waiting_for.clone()),
            NodeEvent::QuorumMet { miners, .. } => Some(format!("met with {miners}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        said,
        [
            "2 more miners (1 of 3 registered)".to_owned(),
            "1 more miner (2 of 3 registered)".into(),
            "met with 3".into(),
        ]
    );
}

#[test]
fn below_the_quorum_no_lease_is_handed_out_and_the_leases_out_are_honoured() {
    let mut net = Net::new(1, 3, 60).configured(|c| c.quorum.miners = 3);
    net.run_until(1_000, |n| {
        n.node(1)
            .status(n.now().mono)
            .job
            .is_some_and(|j| j.leases >= 6)
    });
    net.cut = vec![addr(1002)];
    net.run_until(2_000, |n| waiting_for(n).is_some());
    let s = net.node(1).status(net.now().mono);
    assert_eq!(s.work, "mining, leases paused for quorum");
    assert_eq!(
        waiting_for(&net).as_deref(),
        Some("1 more miner (2 of 3 registered)")
    );
    let (leases, scanned) = (s.stats.leases, s.stats.ranges_scanned);
    let out = s.job.as_ref().unwrap().leases;
    assert!(out > 0, "leases out when the pause began");
    net.run(1_000);
    let s = net.node(1).status(net.now().mono);
    assert_eq!(s.stats.leases, leases, "no new lease while paused");
    assert!(
        s.stats.ranges_scanned > scanned,
        "the leases out were answered"
    );
    assert_eq!(s.stats.invariant_violations, 0);
    net.cut.clear();
    net.run_until(2_000, |n| {
        n.node(1).status(n.now().mono).stats.leases > leases
    });
    assert_eq!(net.node(1).status(net.now().mono).work, "mining");
}

#[test]
fn the_leader_waits_for_its_quorum_of_coordinators() {
    let mut net = Net::new(2, 1, 12).configured(|c| c.quorum.coordinators = 2);
    net.kill(2);
    net.run(1_000);
    assert_eq!(net.leaders(), [1]);
    assert_eq!(
        waiting_for(&net).as_deref(),
        Some("1 more coordinator (up: c1; down: c2)")
    );
    assert_eq!(net.chain.blocks.len(), 1);
    net.restart(2, 2);
    net.run_until(3_000, |n| n.chain.blocks.len() > 2);
    let s = net.node(1).status(net.now().mono);
    assert_eq!(s.quorum.coordinators_up, [1, 2]);
    assert!(s.quorum.met);
}

#[test]
fn with_chunk_secs_zero_every_lease_is_the_fixed_chunk() {
    let mut net = Net::new(1, 2, 60).configured(|c| {
        c.chunk_target = std::time::Duration::ZERO;
        c.chunk_default = 100_000;
    });
    net.run(1_000);
    assert!(net.leases.len() > 20);
    assert!(net.leases.iter().all(|(_, r)| r.len() == 100_000));
    // As the original design split the range: 1..=100,000, 100,001..=200,000, ...
    let mut firsts: Vec<u32> = net.leases.iter().map(|(_, r)| r.first()).collect();
    firsts.sort_unstable();
    firsts.dedup();
    assert_eq!(&firsts[..3], &[1, 100_001, 200_001]);
    // Sized from the miners' rate (2,000,000/s for 200 ms) otherwise.
    let mut sized = Net::new(1, 2, 60);
    sized.run(1_000);
    assert!(sized.leases.iter().any(|(_, r)| r.len() == 400_000));
    assert_eq!(
        NonceRange::new(1, 100_000).unwrap().len(),
        net.leases[0].1.len()
    );
}

#[test]
fn the_best_hash_of_the_job_and_of_each_block_interval_is_kept() {
    let mut net = Net::new(1, 2, 22);
    net.run_until(20_000, |n| n.chain.blocks.len() > 3);
    let s = net.node(1).status(net.now().mono);
    let floor = min_best_bits(400_000, 5) as u8;
    assert!(s.best.intervals.len() >= 2, "{:?}", s.best);
    for i in &s.best.intervals {
        let b = i.best.as_ref().expect("near misses before each block");
        assert!(b.zero_bits >= floor && b.zero_bits < 22, "{b:?}");
        assert_eq!(
            b.text,
            format!("{} of 22 zero bits, by {}", b.zero_bits, b.miner)
        );
    }
    let heights: Vec<u64> = s.best.intervals.iter().map(|i| i.height).collect();
    assert!(heights.windows(2).all(|w| w[0] > w[1]), "newest first");
}
