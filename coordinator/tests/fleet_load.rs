//! The load mode (`sim --rate`) against a real coordinator over loopback
//! UDP, with a real chain service: every throttled miner's answers pass
//! the leader's checks.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use coordinator::mining::select;
use coordinator::sim::load::{self, Load};

const LONG: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_throttled_miners_answer_and_every_answer_passes_the_checks() {
    let miners = 200;
    // 200 miners at 2,000 H/s: a block of 18 zero bits about every 0.7 s.
    let zero_bits = 18;
    let chain = Chain::start(zero_bits).await;
    let opts = ClusterOpts {
        heartbeat: Duration::from_millis(200),
        ..ClusterOpts::default()
    };
    let coords = start_coordinators(1, &chain.url, &opts).await;
    let kernel = select::choose_kernel(None).unwrap().kernel;
    let running = load::start(Load {
        miners,
        rate: 2_000,
        first_id: 1_000,
        kernel,
        key: KEY,
        coordinators: vec![coords[0].addr],
        heartbeat: opts.heartbeat,
        ramp: Duration::from_millis(200),
    })
    .await
    .unwrap();
    assert_eq!(running.addrs.len(), miners as usize, "a socket per miner");

    // Every miner has had at least one answer verified, and blocks were
    // found by throttled miners, re-hashed and accepted.
    wait_for(
        LONG,
        "an answer verified from every miner, three blocks",
        || {
            coords[0].status().is_some_and(|s| {
                s.node.miners.len() == miners as usize
                    && s.node.miners.iter().all(|m| m.ranges_done > 0)
                    && s.node.stats.blocks >= 3
            })
        },
    )
    .await;
    let client = chain.client();
    assert!(verify_chain(&client, zero_bits).await >= 3);

    let load = running.stats.snapshot();
    let s = coords[0].status().unwrap();
    let stats = &s.node.stats;
    assert_eq!(stats.failed_claims, 0, "every answer passed the checks");
    assert_eq!(stats.invariant_violations, 0, "{:?}", stats.last_violation);
    assert!(
        s.node
            .miners
            .iter()
            .all(|m| !m.banned && m.failed_claims == 0)
    );
    let mut ids: Vec<u32> = s.node.miners.iter().map(|m| m.id).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        (1_000..1_000 + miners).collect::<Vec<_>>(),
        "distinct miners"
    );
    assert!(
        s.node
            .miners
            .iter()
            .all(|m| m.hashrate > 1_000 && m.hashrate < 4_000),
        "each reports about its throttled rate"
    );
    assert!(stats.solutions >= 3 && stats.ranges_scanned >= u64::from(miners));
    assert_eq!(s.wire.refused_total(), 0, "the leader refused no datagram");
    assert_eq!(load.refused, 0, "the miners refused no datagram");
    assert_eq!(load.served, u64::from(miners));
    assert!(load.answers_no >= u64::from(miners) && load.answers_yes >= 1);
    assert!(load.wait.count > 0 && load.first_work.count == u64::from(miners));

    running.stop().await;
    for c in coords {
        c.stop().await.unwrap();
    }
    chain.stop().await;
}
