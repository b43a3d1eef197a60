//! The cluster's properties under seeded loss, duplication and reordering,
//! and the figures they are measured by (printed; run with `--nocapture`).
//! Every figure is simulated time, so it is the same on every machine; the
//! assertions are on outcomes only.

use protocol::CoordinatorId;

use super::idle::Cause;
use super::net::{Faults, HB, Net};
use crate::node::NodeEvent;

const SEED: u64 = 9;

/// Leadership changes while coordinator 1 is alive throughout: (a
/// follower took the lead, coordinator 1 had to move to a newer epoch).
fn false_changes(net: &Net) -> (usize, usize) {
    let mut intrusions = 0;
    let mut retakes = 0;
    let mut first = true;
    for (id, e) in &net.events {
        if let NodeEvent::BecameLeader { .. } = e {
            if *id != 1 {
                intrusions += 1;
            } else if first {
                first = false;
            } else {
                retakes += 1;
            }
        }
    }
    (intrusions, retakes)
}

#[test]
fn under_20_percent_loss_between_coordinators_the_lead_never_moves_from_a_live_leader() {
    const HOURS: u64 = 4;
    let mut net = Net::new(3, 0, 16).with_faults(SEED, Faults::loss(0.2), Faults::default());
    net.run(HOURS * 3_600_000);
    let (intrusions, retakes) = false_changes(&net);
    let intervals = HOURS * 3_600_000 / HB;
    println!(
        "false leadership at 20% loss between 3 coordinators, {HOURS} simulated hours \
         ({intervals} heartbeat intervals of {HB} ms): {intrusions} followers took the lead, \
         {retakes} epoch bumps by the leader; per hour at 1 s heartbeats: {:.2}",
        (intrusions as f64) * 3_600.0 / intervals as f64
    );
    let lost = net.traffic.by_kind.values().map(|v| v.1).sum::<u64>();
    let sent = net.traffic.by_kind.values().map(|v| v.0).sum::<u64>();
    println!("datagrams: {sent} sent, {lost} lost");
    assert_eq!(net.leaders(), [1]);
    assert_eq!(intrusions, 0, "a follower took the lead from a live leader");
}

/// Milliseconds from killing coordinator 1 until coordinator 2 leads with
/// leases out, under `peers` faults.
fn failover(seed: u64, peers: Faults, miners: Faults) -> u64 {
    let mut net = Net::new(3, 2, 40).with_faults(seed, peers, miners);
    net.run_until(3_000, |n| n.leaders() == [1]);
    // Kill at a moment that depends on the seed, so the phase relative to
    // the heartbeats varies.
    net.run(500 + seed % 97);
    net.kill(1);
    net.run_until(10_000, |n| {
        n.leaders() == [2]
            && n.node(2)
                .current_job()
                .is_some_and(|j| j.leases().next().is_some())
    })
}

#[test]
fn a_dead_leader_is_replaced_within_three_intervals_under_loss() {
    let clean: Vec<u64> = (0..100)
        .map(|s| failover(s, Faults::default(), Faults::default()))
        .collect();
    let lossy: Vec<u64> = (0..100)
        .map(|s| failover(s, Faults::loss(0.2), Faults::default()))
        .collect();
    let show = |v: &[u64]| {
        let mean = v.iter().sum::<u64>() as f64 / v.len() as f64;
        format!(
            "mean {mean:.0} ms, max {} ms",
            v.iter().max().copied().unwrap_or(0)
        )
    };
    println!(
        "failover ({HB} ms heartbeats, 100 kills each): clean {}; 20% loss between coordinators {}",
        show(&clean),
        show(&lossy)
    );
    assert!(clean.iter().all(|&t| t <= 3 * HB), "{clean:?}");
    assert!(lossy.iter().all(|&t| t <= 3 * HB), "{lossy:?}");
}

/// Blocks mined by 2 coordinators and 4 miners in `ms`, and where miner
/// time went.
fn mine_for(ms: u64, faults: Faults) -> (usize, Net) {
    let mut net = Net::new(2, 4, 18)
        .miners_at(500_000)
        .with_faults(SEED, faults, faults);
    net.run_until(2_000, |n| n.chain.blocks.len() > 1);
    let start = net.chain.blocks.len();
    net.idle = Default::default();
    net.run(ms);
    (net.chain.blocks.len() - start, net)
}

#[test]
fn under_20_percent_loss_frequent_blocks_keep_miners_busy() {
    const MINUTE: u64 = 60_000;
    let (clean, clean_net) = mine_for(MINUTE, Faults::default());
    let (lossy, lossy_net) = mine_for(MINUTE, Faults::loss(0.2));
    println!("blocks per simulated minute, 2 coordinators, 4 miners, a block per ~1.4 heartbeats:");
    println!(
        "  no faults: {clean}; miner time: {}",
        clean_net.idle.summary()
    );
    println!(
        "  20% loss on every link: {lossy}; miner time: {}",
        lossy_net.idle.summary()
    );
    println!("  lost datagrams by kind: {:?}", lossy_net.traffic.by_kind);
    for net in [&clean_net, &lossy_net] {
        let s = net.node(1).status(net.now().mono);
        assert_eq!(
            s.stats.invariant_violations, 0,
            "{:?}",
            s.stats.last_violation
        );
        assert_eq!(s.stats.failed_claims, 0);
    }
    let useful = |n: &Net| n.idle.ms.get(&Cause::Useful).copied().unwrap_or(0) as f64;
    let ratio = useful(&lossy_net) / useful(&clean_net);
    println!("  useful miner time under loss / without: {ratio:.2}");
    assert!(lossy > 0);
    // Loss costs the miners little more than the datagrams it drops.
    assert!(ratio >= 0.9, "useful time fell to {ratio:.2}");
}

/// The share of miner time that was useful.
fn useful_share(net: &Net) -> f64 {
    net.idle.ms.get(&Cause::Useful).copied().unwrap_or(0) as f64 / net.idle.total().max(1) as f64
}

#[test]
fn under_20_percent_loss_miners_keep_their_leader_and_their_leases() {
    const MINUTES: u64 = 5;
    // No solutions: only heartbeats, requests and answers keep the link.
    let mut net = Net::new(2, 4, 60).miners_at(50_000).with_faults(
        SEED,
        Faults::loss(0.2),
        Faults::loss(0.2),
    );
    net.run(MINUTES * 60_000);
    let intervals = MINUTES * 60_000 / HB;
    println!(
        "miners taking a live leader for dead at 20% loss, 4 miners, {MINUTES} simulated minutes \
         ({intervals} intervals): {} times; miner time: {}",
        net.leader_losses,
        net.idle.summary()
    );
    let s = net.node(1).status(net.now().mono).stats;
    println!(
        "  leader: {} leases, {} sent again, {} expired, {} stale answers",
        s.leases, s.leases_resent, s.leases_expired, s.stale_answers
    );
    assert_eq!(net.leader_losses, 0, "a miner dropped its live leader");
    let share = useful_share(&net);
    assert!(share >= 0.95, "miners were useful {share:.2} of the time");
}

#[test]
fn duplication_and_reordering_change_no_outcome() {
    let faults = Faults {
        drop: 0.1,
        duplicate: 0.2,
        max_delay: 30,
    };
    let mut net = Net::new(3, 3, 16).with_faults(SEED, faults, faults);
    net.run_until(5_000, |n| n.chain.blocks.len() > 5);
    net.kill(1);
    net.run_until(5_000, |n| n.leaders() == [2]);
    let blocks = net.chain.blocks.len();
    net.run_until(10_000, |n| n.chain.blocks.len() > blocks + 5);
    let s = net.node(2).status(net.now().mono);
    assert_eq!(
        s.stats.invariant_violations, 0,
        "{:?}",
        s.stats.last_violation
    );
    assert_eq!(s.stats.failed_claims, 0, "duplicates are not lies");
    assert!(s.epoch > 1);
    assert!(
        net.miners
            .iter()
            .all(|(_, m)| m.leader() == Some(CoordinatorId(2)))
    );
}
