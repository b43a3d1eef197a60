//! The node driven deterministically: coordinators and `protocol` miners
//! exchange messages through an in-memory network, a fake chain answers
//! calls, and the clock is advanced by hand.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use protocol::kernel::Kernel;
use protocol::miner::{Dest, Miner, MinerConfig};
use protocol::wire::{Message, ProcessAnswerNo, ProcessAnswerYes, WireAddr};
use protocol::{CoordinatorId, Hash256, Instant, MinerId, NodeId, NonceRange};

use super::*;

const HB: u64 = 100;

struct FakeChain {
    blocks: Vec<Hash256>,
    zero_bits: u8,
    down: bool,
}

impl FakeChain {
    fn template(&self) -> Result<Template, ChainError> {
        if self.down {
            return Err(ChainError::Unavailable("connection refused".into()));
        }
        Ok(Template {
            height: self.blocks.len() as u64,
            prev_hash: *self.blocks.last().unwrap(),
            version: 1,
            merkle_root: Hash256([self.blocks.len() as u8; 32]),
            bits: 0x1d00_ffff,
            min_time: 1_000,
            zero_bits: self.zero_bits,
        })
    }

    fn submit(&mut self, header: protocol::BlockHeader) -> Result<Submitted, ChainError> {
        if self.down {
            return Err(ChainError::Unavailable("connection refused".into()));
        }
        if header.prev_hash != *self.blocks.last().unwrap() {
            return Ok(Submitted::Stale("does not extend the tip".into()));
        }
        let hash = header.hash();
        if !hash.meets(self.zero_bits) {
            return Err(ChainError::Rejected("insufficient work".into()));
        }
        self.blocks.push(hash);
        Ok(Submitted::Accepted {
            height: self.blocks.len() as u64 - 1,
            hash,
        })
    }
}

struct Net {
    ms: u64,
    nodes: Vec<(SocketAddr, Node, bool)>,
    miners: Vec<(SocketAddr, Miner)>,
    /// Messages in flight: (from, sender, to, message).
    wire: VecDeque<(SocketAddr, NodeId, SocketAddr, Message)>,
    chain: FakeChain,
    /// Drop every message to or from these addresses.
    cut: Vec<SocketAddr>,
    /// Every node event: (node id, event).
    events: Vec<(u16, NodeEvent)>,
    /// Every lease handed out: (to, range).
    leases: Vec<(SocketAddr, NonceRange)>,
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn node_cfg(id: u16) -> CoordinatorConfig {
    CoordinatorConfig {
        chain_retry_min: Duration::from_millis(50),
        chain_retry_max: Duration::from_millis(400),
        chunk_target: Duration::from_millis(200),
        ..CoordinatorConfig::with_heartbeat(CoordinatorId(id), Duration::from_millis(HB))
    }
}

impl Net {
    fn new(coordinators: u16, miners: u32, zero_bits: u8) -> Net {
        let now = Now {
            mono: Instant::ZERO,
            unix: 5_000,
        };
        let mut nodes = Vec::new();
        for id in 1..=coordinators {
            let mut node = Node::new(node_cfg(id), now);
            for peer in 1..=coordinators {
                node.add_peer(CoordinatorId(peer), addr(peer));
            }
            nodes.push((addr(id), node, true));
        }
        let coords: Vec<WireAddr> = (1..=coordinators)
            .map(|i| WireAddr::from(addr(i)))
            .collect();
        let miners = (0..miners)
            .map(|i| {
                let cfg = MinerConfig {
                    step: Duration::from_millis(1),
                    initial_hashrate: 2_000_000,
                    ..MinerConfig::with_heartbeat(MinerId(100 + i), Duration::from_millis(HB))
                };
                (
                    addr(1000 + i as u16),
                    Miner::new(cfg, &coords, Instant::ZERO),
                )
            })
            .collect();
        Net {
            ms: 0,
            nodes,
            miners,
            wire: VecDeque::new(),
            chain: FakeChain {
                blocks: vec![Hash256([0xaa; 32])],
                zero_bits,
                down: false,
            },
            cut: Vec::new(),
            events: Vec::new(),
            leases: Vec::new(),
        }
    }

    fn now(&self) -> Now {
        Now {
            mono: Instant::from_millis(self.ms),
            unix: 5_000 + self.ms / 1000,
        }
    }

    fn node(&self, id: u16) -> &Node {
        &self.nodes[usize::from(id) - 1].1
    }

    fn node_mut(&mut self, id: u16) -> &mut Node {
        &mut self.nodes[usize::from(id) - 1].1
    }

    /// Each miner scans one step (a step is about 1 ms of work at its rate).
    fn mine(&mut self) {
        let now = self.now();
        for (_, miner) in &mut self.miners {
            if let Some(step) = miner.poll_step() {
                let out = Kernel::portable().scan(&step.job, step.range, step.zero_bits);
                miner.handle_step(now.mono, step.id, out, Duration::from_millis(1));
            }
        }
    }

    /// Moves every message and chain call until nothing is left to do at
    /// this instant.
    fn settle(&mut self) {
        for _ in 0..10_000 {
            let now = self.now();
            let mut busy = false;
            for (a, node, alive) in &mut self.nodes {
                if !*alive {
                    continue;
                }
                while let Some(t) = node.poll_transmit() {
                    if let Message::Process(p) = t.message {
                        self.leases.push((t.to, p.range));
                    }
                    self.wire.push_back((
                        *a,
                        NodeId::Coordinator(node.config().id),
                        t.to,
                        t.message,
                    ));
                }
                while let Some(call) = node.poll_chain() {
                    busy = true;
                    let reply = match call {
                        ChainCall::Template { seq } => ChainReply::Template {
                            seq,
                            result: self.chain.template(),
                        },
                        ChainCall::Submit { seq, header, .. } => ChainReply::Submit {
                            seq,
                            result: self.chain.submit(header),
                        },
                        ChainCall::Tip { seq } => ChainReply::Tip {
                            seq,
                            result: self.chain.template().map(|t| Tip {
                                height: t.height - 1,
                                hash: t.prev_hash,
                            }),
                        },
                    };
                    node.handle_chain(now, reply);
                }
                while let Some(e) = node.poll_event() {
                    self.events.push((node.config().id.0, e));
                }
            }
            for (a, miner) in &mut self.miners {
                while let Some(t) = miner.poll_transmit() {
                    if let Dest::Addr(to) = t.dest {
                        self.wire
                            .push_back((*a, NodeId::Miner(miner.id()), to.into(), t.message));
                    }
                }
                while miner.poll_event().is_some() {}
            }
            while let Some((from, sender, to, msg)) = self.wire.pop_front() {
                busy = true;
                if self.cut.contains(&from) || self.cut.contains(&to) {
                    continue;
                }
                if let Some((_, node, true)) = self.nodes.iter_mut().find(|(a, _, _)| *a == to) {
                    node.handle_message(now, from, sender, msg);
                } else if let Some((_, m)) = self.miners.iter_mut().find(|(a, _)| *a == to) {
                    m.handle_message(now.mono, from.into(), sender, msg);
                }
            }
            if !busy {
                return;
            }
        }
        panic!("the network never settled");
    }

    /// Advances the clock by `ms` in 1 ms ticks, firing due timers.
    fn run(&mut self, ms: u64) {
        for _ in 0..ms {
            self.ms += 1;
            let now = self.now();
            for (_, node, alive) in &mut self.nodes {
                if *alive && node.poll_timeout() <= now.mono {
                    node.handle_timeout(now);
                }
            }
            for (_, m) in &mut self.miners {
                if m.poll_timeout() <= now.mono {
                    m.handle_timeout(now.mono);
                }
            }
            self.settle();
            self.mine();
            self.settle();
        }
    }

    fn run_until(&mut self, limit_ms: u64, done: impl Fn(&Net) -> bool) -> u64 {
        let start = self.ms;
        while !done(self) {
            assert!(self.ms - start < limit_ms, "not done within {limit_ms} ms");
            self.run(1);
        }
        self.ms - start
    }

    fn kill(&mut self, id: u16) {
        self.nodes[usize::from(id) - 1].2 = false;
    }

    fn restart(&mut self, id: u16, peers: u16) {
        let mut node = Node::new(node_cfg(id), self.now());
        for p in 1..=peers {
            node.add_peer(CoordinatorId(p), addr(p));
        }
        self.nodes[usize::from(id) - 1] = (addr(id), node, true);
    }

    fn leaders(&self) -> Vec<u16> {
        self.nodes
            .iter()
            .filter(|(_, n, alive)| *alive && n.is_leader())
            .map(|(_, n, _)| n.config().id.0)
            .collect()
    }
}

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
