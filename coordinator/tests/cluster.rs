//! The mining loop end to end in one process, through its real interfaces:
//! UDP on loopback between coordinators and miners, HTTP to a chain service
//! on a real SQLite file.
#![allow(clippy::unwrap_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use coordinator::driver::transport::ChaosConfig;
use protocol::frame::{MAX_FRAME, Opener, Sealer};
use protocol::kernel::Best;
use protocol::wire::{
    HeartbeatReply, LeaderView, Message, MinerKind, MinerState, ProcessAnswerNo, ProcessAnswerYes,
    ProcessRequest,
};
use protocol::{BootId, ClusterKey, Epoch, MinerId, NodeId};
use tokio::net::UdpSocket;

const LONG: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_coordinators_and_four_miners_mine_five_verified_blocks() {
    let zero_bits = 16;
    let chain = Chain::start(zero_bits).await;
    let opts = ClusterOpts::default();
    let coords = start_coordinators(3, &chain.url, &opts).await;
    let addrs: Vec<SocketAddr> = coords.iter().map(|c| c.addr).collect();
    let fleet = start_miners(4, &addrs, &opts).await;
    let client = chain.client();
    wait_for_height(&client, 5, LONG).await;
    assert!(verify_chain(&client, zero_bits).await >= 5);
    // Coordinator 1 led throughout, and its accounting held.
    let s = coords[0].status().unwrap();
    assert!(s.node.leading);
    assert_eq!(
        s.node.stats.invariant_violations, 0,
        "{:?}",
        s.node.stats.last_violation
    );
    // All four miners registered with the leader and report a rate.
    wait_for(LONG, "four miners known to the leader", || {
        coords[0]
            .status()
            .is_some_and(|s| s.node.miners.iter().filter(|m| m.hashrate > 0).count() == 4)
    })
    .await;
    for c in &coords[1..] {
        assert_eq!(c.status().unwrap().node.leader, Some(1));
    }
    fleet.stop().await;
    for c in coords {
        c.stop().await.unwrap();
    }
    chain.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_are_mined_through_loss_duplication_and_reordering() {
    let zero_bits = 17;
    let chain = Chain::start(zero_bits).await;
    let opts = ClusterOpts {
        heartbeat: Duration::from_millis(150),
        chaos: Some(ChaosConfig {
            seed: 20,
            drop: 0.2,
            duplicate: 0.05,
            max_delay: Duration::from_millis(40),
        }),
    };
    let coords = start_coordinators(2, &chain.url, &opts).await;
    let addrs: Vec<SocketAddr> = coords.iter().map(|c| c.addr).collect();
    let fleet = start_miners(3, &addrs, &opts).await;
    let client = chain.client();
    wait_for_height(&client, 8, Duration::from_secs(120)).await;
    verify_chain(&client, zero_bits).await;
    let mut dropped = 0;
    for c in &coords {
        let s = c.status().unwrap();
        // No nonce leased twice at once, no hole in the accounting: the
        // leader checks both after every change and counts any breach.
        assert_eq!(
            s.node.stats.invariant_violations, 0,
            "{:?}",
            s.node.stats.last_violation
        );
        if let Some(j) = &s.node.job {
            let c = j.coverage;
            assert_eq!(c.scanned + c.leased + c.free, c.total);
        }
        dropped += s.wire.chaos.map_or(0, |c| c.dropped);
        // Duplicates and late copies were refused by the replay window.
        assert!(
            s.wire.refused.get("replay_duplicate").copied().unwrap_or(0) > 0
                || s.node.stats.received < 50
        );
    }
    assert!(dropped > 0, "the chaos layer dropped datagrams");
    fleet.stop().await;
    for c in coords {
        c.stop().await.unwrap();
    }
    chain.stop().await;
}

/// A hand-driven node: sends sealed frames, reads and opens replies.
struct Fake {
    socket: UdpSocket,
    sealer: Sealer,
    opener: Opener<16>,
}

impl Fake {
    async fn new(key: &ClusterKey, id: NodeId) -> Fake {
        Fake {
            socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            sealer: Sealer::new(key, id, BootId(1)),
            opener: Opener::new(key, id),
        }
    }

    fn frame(&mut self, msg: &Message) -> Vec<u8> {
        let mut buf = [0u8; MAX_FRAME];
        let n = self.sealer.seal(msg, &mut buf).unwrap();
        buf[..n].to_vec()
    }

    async fn send(&mut self, to: SocketAddr, msg: &Message) {
        let f = self.frame(msg);
        self.socket.send_to(&f, to).await.unwrap();
    }

    /// The next message accepted within `limit` that `pick` wants.
    async fn expect<T>(
        &mut self,
        limit: Duration,
        mut pick: impl FnMut(Message) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + limit;
        let mut buf = [0u8; 512];
        loop {
            let (n, _) = tokio::time::timeout_at(deadline, self.socket.recv_from(&mut buf))
                .await
                .expect("no such message in time")
                .unwrap();
            if let Some(v) = self
                .opener
                .open(&buf[..n])
                .ok()
                .and_then(|o| pick(o.message))
            {
                return v;
            }
        }
    }
}

fn request() -> Message {
    Message::HeartbeatReply(HeartbeatReply {
        view: LeaderView {
            epoch: Epoch(0),
            leader: None,
        },
        hashrate: 1_000,
        miner: Some(MinerState::Idle),
        request: Some(ProcessRequest { slots: 1 }),
        kind: Some(MinerKind::HOST),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_forged_and_replayed_datagrams_are_counted_and_change_nothing() {
    let zero_bits = 17;
    let chain = Chain::start(zero_bits).await;
    let opts = ClusterOpts::default();
    let coords = start_coordinators(1, &chain.url, &opts).await;
    let fleet = start_miners(2, &[coords[0].addr], &opts).await;
    let client = chain.client();
    wait_for_height(&client, 1, LONG).await;

    let targets = [coords[0].addr, fleet.addrs[0]];
    let mut forger = Fake::new(&ClusterKey::from_bytes([7; 32]), NodeId::Miner(MinerId(5))).await;
    let mut insider = Fake::new(&KEY, NodeId::Miner(MinerId(6))).await;
    let forged = forger.frame(&request());
    let replayed = insider.frame(&request());
    let raw = &forger.socket;
    for to in targets {
        for _ in 0..10 {
            raw.send_to(b"", to).await.unwrap();
            raw.send_to(&[0xff; 40], to).await.unwrap();
            raw.send_to(&[1u8; 2000], to).await.unwrap();
            raw.send_to(&forged, to).await.unwrap();
            raw.send_to(&forged[..forged.len() - 1], to).await.unwrap();
            raw.send_to(&replayed, to).await.unwrap();
        }
    }
    // Counted at the coordinator, by cause.
    wait_for(LONG, "refusals counted", || {
        coords[0]
            .status()
            .is_some_and(|s| s.wire.refused.get("replay_duplicate").copied().unwrap_or(0) >= 9)
    })
    .await;
    let s = coords[0].status().unwrap();
    for cause in [
        "too_short",
        "too_long",
        "version",
        "bad_tag",
        "replay_duplicate",
    ] {
        assert!(
            s.wire.refused.get(cause).copied().unwrap_or(0) > 0,
            "{cause}: {:?}",
            s.wire.refused
        );
    }
    // ... and at the miner.
    let probe = &fleet.probes[0];
    wait_for(LONG, "miner refusals counted", || {
        probe.snapshot().is_some_and(|p| p.refused >= 50)
    })
    .await;
    // Nothing changed: the one accepted copy registered a miner that never
    // mined; mining goes on.
    let height = client.tip().await.unwrap().height;
    wait_for_height(&client, height + 2, LONG).await;
    assert_eq!(coords[0].status().unwrap().node.stats.failed_claims, 0);
    fleet.stop().await;
    for c in coords {
        c.stop().await.unwrap();
    }
    chain.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_miner_is_caught_and_banned() {
    // High difficulty: no honest solution interferes.
    let chain = Chain::start(40).await;
    let opts = ClusterOpts::default();
    let coords = start_coordinators(1, &chain.url, &opts).await;
    let leader_addr = coords[0].addr;
    // The liar is the only miner: the leader waits for it (its quorum of
    // one miner), and starts the job when it registers with its request.
    wait_for(LONG, "the leader waiting for a miner", || {
        coords[0]
            .status()
            .is_some_and(|s| s.node.leading && s.node.work == "waiting for quorum")
    })
    .await;
    let mut liar = Fake::new(&KEY, NodeId::Miner(MinerId(666))).await;
    let lease = |m| match m {
        Message::Process(p) => Some(p),
        _ => None,
    };
    // 1: a "solution" that is not one.
    liar.send(leader_addr, &request()).await;
    let p = liar.expect(LONG, lease).await;
    let yes = ProcessAnswerYes {
        job: p.job,
        range: p.range,
        nonce: p.range.first(),
    };
    liar.send(leader_addr, &Message::ProcessAnswerYes(yes))
        .await;
    // 2: "no" without doing the work: the first nonce as the best.
    liar.send(leader_addr, &request()).await;
    let p = liar.expect(LONG, lease).await;
    // Hash a few nonces and keep a weak one, as a miner skipping work would:
    // weaker than any honest best of the range (`min_best_bits`; 3 bits for
    // the 300-nonce leases of a 1000 H/s miner).
    let mut header = p.header.header();
    let floor = coordinator::node::min_best_bits(p.range.len(), 5);
    let weak = (p.range.first()..)
        .find(|&n| header.with_nonce(n).hash().zero_bits() < floor)
        .unwrap();
    header = header.with_nonce(weak);
    let lazy = Best {
        nonce: weak,
        zero_bits: header.hash().zero_bits() as u8,
    };
    let no = |best| ProcessAnswerNo {
        job: p.job,
        range: p.range,
        best,
    };
    liar.send(leader_addr, &Message::ProcessAnswerNo(no(lazy)))
        .await;
    // 3: a made-up best hash.
    header = header.with_nonce(p.range.first() + 1);
    let forged = Best {
        nonce: header.nonce,
        zero_bits: 30,
    };
    liar.send(leader_addr, &Message::ProcessAnswerNo(no(forged)))
        .await;
    wait_for(LONG, "the liar banned", || {
        coords[0]
            .status()
            .is_some_and(|s| s.node.miners.iter().any(|m| m.id == 666 && m.banned))
    })
    .await;
    let s = coords[0].status().unwrap();
    let m = s.node.miners.iter().find(|m| m.id == 666).unwrap();
    assert_eq!(m.failed_claims, 3);
    assert_eq!(m.leases, 0);
    assert_eq!(s.node.stats.invariant_violations, 0);
    // Its requests get no more work.
    let leases = s.node.stats.leases;
    liar.send(leader_addr, &request()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(coords[0].status().unwrap().node.stats.leases, leases);
    for c in coords {
        c.stop().await.unwrap();
    }
    chain.stop().await;
}
