//! The in-memory network: coordinators and `protocol` miners exchange
//! datagrams through one seeded fault layer (drop, duplicate, delay; delays
//! reorder), a fake chain answers calls at once, and the clock is advanced
//! by hand. Everything is decided by one ChaCha generator from a fixed
//! seed, so a run is the same on every machine and every time.
//!
//! The clock moves in 1 ms ticks while any miner has work (a step is 1 ms
//! of hashing) and otherwise jumps to the next instant anything is due: a
//! timer or a datagram's delivery. Nothing happens in between, so the jump
//! changes no outcome, and idle clusters can be run for simulated hours.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

use protocol::kernel::Kernel;
use protocol::miner::{Dest, Event as MinerEvent, Miner, MinerConfig};
use protocol::wire::{Message, MinerState, Vote, WireAddr};
use protocol::{CoordinatorId, Instant, JobRef, MinerId, NodeId, NonceRange};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::chain::FakeChain;
pub(super) use super::faults::Faults;
use super::faults::{Traffic, kind};
use super::idle::{Fates, IdleLog};
use crate::node::{CoordinatorConfig, Node, NodeEvent, Now};

/// Heartbeat interval of the tests, in milliseconds.
pub(super) const HB: u64 = 100;

/// A datagram in flight.
#[derive(Clone, Copy)]
pub(super) struct Datagram {
    pub from: SocketAddr,
    pub sender: NodeId,
    pub to: SocketAddr,
    pub message: Message,
}

pub(super) struct Net {
    pub ms: u64,
    pub nodes: Vec<(SocketAddr, Node, bool)>,
    pub miners: Vec<(SocketAddr, Miner)>,
    /// Datagrams in flight, by (delivery time, send order).
    wire: BTreeMap<(u64, u64), Datagram>,
    sent: u64,
    pub chain: FakeChain,
    /// Drop every message to or from these addresses.
    pub cut: Vec<SocketAddr>,
    /// Every node event: (node id, event).
    pub events: Vec<(u16, NodeEvent)>,
    /// Every lease handed out: (to, range).
    pub leases: Vec<(SocketAddr, NonceRange)>,
    /// Faults between coordinators.
    pub peer_faults: Faults,
    /// Faults between coordinators and miners (both ways).
    pub miner_faults: Faults,
    rng: ChaCha8Rng,
    pub traffic: Traffic,
    /// What each miner did with its time.
    pub idle: IdleLog,
    fates: Fates,
    kernel: Kernel,
    /// Jobs a miner has solved.
    solved: HashSet<JobRef>,
    /// Times a miner took its leader for dead.
    pub leader_losses: u64,
    /// Each miner's true speed, nonces per second.
    speeds: Vec<u32>,
    /// Coordinators whose vote answers are replaced by this one.
    pub liars: Vec<(u16, Vote)>,
    /// Applied to every coordinator's configuration, at start and restart.
    tweak: fn(&mut CoordinatorConfig),
}

pub(super) fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

pub(super) fn node_cfg(id: u16) -> CoordinatorConfig {
    CoordinatorConfig {
        chain_retry_min: Duration::from_millis(50),
        chain_retry_max: Duration::from_millis(400),
        chunk_target: Duration::from_millis(200),
        ..CoordinatorConfig::with_heartbeat(CoordinatorId(id), Duration::from_millis(HB))
    }
}

/// Nonces per second a miner hashes, unless set otherwise.
const MINER_SPEED: u32 = 2_000_000;

fn miner_cfg(id: MinerId) -> MinerConfig {
    MinerConfig {
        step: Duration::from_millis(1),
        initial_hashrate: MINER_SPEED,
        ..MinerConfig::with_heartbeat(id, Duration::from_millis(HB))
    }
}

impl Net {
    /// A cluster with no faults; every miner knows every coordinator.
    pub fn new(coordinators: u16, miners: u32, zero_bits: u8) -> Net {
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
        let fleet = (0..miners)
            .map(|i| {
                let m = Miner::new(miner_cfg(MinerId(100 + i)), &coords, Instant::ZERO);
                (addr(1000 + i as u16), m)
            })
            .collect();
        Net {
            ms: 0,
            nodes,
            miners: fleet,
            wire: BTreeMap::new(),
            sent: 0,
            chain: FakeChain::new(zero_bits),
            cut: Vec::new(),
            events: Vec::new(),
            leases: Vec::new(),
            peer_faults: Faults::default(),
            miner_faults: Faults::default(),
            rng: ChaCha8Rng::seed_from_u64(0),
            traffic: Traffic::default(),
            idle: IdleLog::default(),
            fates: Fates::default(),
            kernel: Kernel::detect(),
            solved: HashSet::new(),
            leader_losses: 0,
            speeds: vec![MINER_SPEED; miners as usize],
            liars: Vec::new(),
            tweak: |_| {},
        }
    }

    /// The same cluster, its coordinators configured by `tweak` too (at
    /// start, and whenever one restarts).
    pub fn configured(mut self, tweak: fn(&mut CoordinatorConfig)) -> Net {
        self.tweak = tweak;
        let n = self.nodes.len() as u16;
        for id in 1..=n {
            self.restart(id, n);
        }
        self
    }

    /// The same cluster with faults drawn from `seed`.
    pub fn with_faults(mut self, seed: u64, peers: Faults, miners: Faults) -> Net {
        self.rng = ChaCha8Rng::seed_from_u64(seed);
        self.peer_faults = peers;
        self.miner_faults = miners;
        self
    }

    /// The same cluster with miners hashing `rate` nonces per second (each
    /// 1 ms step scans `rate / 1000`).
    pub fn miners_at(mut self, rate: u32) -> Net {
        let coords: Vec<WireAddr> = self.nodes.iter().map(|(a, _, _)| (*a).into()).collect();
        for (i, (_, m)) in self.miners.iter_mut().enumerate() {
            let cfg = MinerConfig {
                initial_hashrate: rate,
                ..miner_cfg(MinerId(100 + i as u32))
            };
            *m = Miner::new(cfg, &coords, Instant::from_millis(self.ms));
        }
        self.speeds.iter_mut().for_each(|s| *s = rate);
        self
    }

    pub fn now(&self) -> Now {
        Now {
            mono: Instant::from_millis(self.ms),
            unix: 5_000 + self.ms / 1000,
        }
    }

    pub fn node(&self, id: u16) -> &Node {
        &self.nodes[usize::from(id) - 1].1
    }

    pub fn node_mut(&mut self, id: u16) -> &mut Node {
        &mut self.nodes[usize::from(id) - 1].1
    }

    /// The leader miners should follow: of the live nodes that lead, the
    /// one in the newest epoch.
    pub fn acting_leader(&self) -> Option<&Node> {
        self.nodes
            .iter()
            .filter(|(_, n, alive)| *alive && n.is_leader())
            .map(|(_, n, _)| n)
            .max_by_key(|n| n.leading)
    }

    /// Puts one datagram through the fault layer.
    fn post(&mut self, mut d: Datagram) {
        if let (NodeId::Coordinator(id), Message::VoteReply(r)) = (d.sender, &mut d.message)
            && let Some((_, lie)) = self.liars.iter().find(|(l, _)| *l == id.0)
        {
            r.vote = *lie;
        }
        let peer_link = matches!(d.sender, NodeId::Coordinator(_))
            && self.nodes.iter().any(|(a, _, _)| *a == d.to);
        let faults = if peer_link {
            self.peer_faults
        } else {
            self.miner_faults
        };
        let entry = self.traffic.by_kind.entry(kind(&d.message)).or_default();
        entry.0 += 1;
        let mut copies = 1;
        if faults.any() {
            if self.rng.random_bool(faults.drop) {
                entry.1 += 1;
                self.fates.record(&d, true);
                return;
            }
            if self.rng.random_bool(faults.duplicate) {
                entry.2 += 1;
                copies = 2;
            }
        }
        self.fates.record(&d, false);
        for _ in 0..copies {
            let delay = if faults.max_delay > 0 {
                self.rng.random_range(0..=faults.max_delay)
            } else {
                0
            };
            self.sent += 1;
            self.wire.insert((self.ms + delay, self.sent), d);
        }
    }

    /// Scans one step on each miner that has work (a step is 1 ms of work
    /// at its rate), and notes what every miner is doing.
    fn mine(&mut self) {
        let now = self.now();
        let current = self
            .acting_leader()
            .and_then(|n| n.current_job().map(|j| j.job_ref));
        for i in 0..self.miners.len() {
            let step = self.miners[i].1.poll_step();
            let cause = match step {
                Some(step) => {
                    let out = self.kernel.scan(&step.job, step.range, step.zero_bits);
                    // The step took as long as its nonces take at the
                    // miner's speed (a short tail takes less than the tick).
                    let (_, m) = &mut self.miners[i];
                    let speed = u64::from(self.speeds[i].max(1));
                    let took = Duration::from_micros(out.hashes * 1_000_000 / speed);
                    m.handle_step(now.mono, step.id, out, took);
                    let solved = current.is_some_and(|j| self.solved.contains(&j));
                    let again = self
                        .fates
                        .answered(self.miners[i].0, step.id.job(), step.range);
                    IdleLog::busy(Some(step.id.job()) == current, solved, again)
                }
                None => self.fates.classify(self, i),
            };
            self.idle.set(i, cause);
        }
    }

    /// Moves every message and chain call due at this instant until
    /// nothing is left to do.
    fn settle(&mut self) {
        for _ in 0..10_000 {
            let now = self.now();
            let mut busy = false;
            let mut out = Vec::new();
            for (a, node, alive) in &mut self.nodes {
                if !*alive {
                    continue;
                }
                while let Some(t) = node.poll_transmit() {
                    if let Message::Process(p) = t.message {
                        self.leases.push((t.to, p.range));
                    }
                    let sender = NodeId::Coordinator(node.config().id);
                    out.push(Datagram {
                        from: *a,
                        sender,
                        to: t.to,
                        message: t.message,
                    });
                }
                while let Some(call) = node.poll_chain() {
                    busy = true;
                    node.handle_chain(now, self.chain.answer(call));
                }
                while let Some(e) = node.poll_event() {
                    self.events.push((node.config().id.0, e));
                }
            }
            for (a, miner) in &mut self.miners {
                while let Some(t) = miner.poll_transmit() {
                    if let Dest::Addr(to) = t.dest {
                        out.push(Datagram {
                            from: *a,
                            sender: NodeId::Miner(miner.id()),
                            to: to.into(),
                            message: t.message,
                        });
                    }
                }
                while let Some(e) = miner.poll_event() {
                    match e {
                        MinerEvent::Found { job, .. } => {
                            self.solved.insert(job);
                        }
                        MinerEvent::LeaderChanged { leader: None, .. } => self.leader_losses += 1,
                        _ => {}
                    }
                }
            }
            for d in out {
                self.post(d);
            }
            while let Some(e) = self.wire.first_entry() {
                if e.key().0 > self.ms {
                    break;
                }
                let d = e.remove();
                busy = true;
                if self.cut.contains(&d.from) || self.cut.contains(&d.to) {
                    continue;
                }
                let (from, sender, msg) = (d.from, d.sender, d.message);
                if let Some((_, node, true)) = self.nodes.iter_mut().find(|(a, _, _)| *a == d.to) {
                    node.handle_message(now, from, sender, msg);
                } else if let Some((_, m)) = self.miners.iter_mut().find(|(a, _)| *a == d.to) {
                    m.handle_message(now.mono, from.into(), sender, msg);
                }
            }
            if !busy {
                return;
            }
        }
        panic!("the network never settled");
    }

    /// The next instant anything is due, after now.
    fn next_instant(&self) -> u64 {
        let after = self.ms + 1;
        let mining = self
            .miners
            .iter()
            .any(|(_, m)| matches!(m.state(), MinerState::Mining(_)));
        if mining {
            return after;
        }
        let timers = self
            .nodes
            .iter()
            .filter(|(_, _, alive)| *alive)
            .map(|(_, n, _)| n.poll_timeout())
            .chain(self.miners.iter().map(|(_, m)| m.poll_timeout()))
            .map(|t| t.as_millis());
        let wire = self.wire.keys().next().map(|k| k.0);
        timers.chain(wire).min().map_or(after, |t| t.max(after))
    }

    /// Advances the clock by `ms`, firing due timers and delivering due
    /// datagrams.
    pub fn run(&mut self, ms: u64) {
        let end = self.ms + ms;
        while self.ms < end {
            let next = self.next_instant().min(end);
            self.idle.elapse(next - self.ms);
            self.ms = next;
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

    pub fn run_until(&mut self, limit_ms: u64, done: impl Fn(&Net) -> bool) -> u64 {
        let start = self.ms;
        while !done(self) {
            assert!(self.ms - start < limit_ms, "not done within {limit_ms} ms");
            self.run(1);
        }
        self.ms - start
    }

    pub fn kill(&mut self, id: u16) {
        self.nodes[usize::from(id) - 1].2 = false;
    }

    pub fn restart(&mut self, id: u16, peers: u16) {
        let mut cfg = node_cfg(id);
        (self.tweak)(&mut cfg);
        let mut node = Node::new(cfg, self.now());
        for p in 1..=peers {
            node.add_peer(CoordinatorId(p), addr(p));
        }
        self.nodes[usize::from(id) - 1] = (addr(id), node, true);
    }

    pub fn leaders(&self) -> Vec<u16> {
        self.nodes
            .iter()
            .filter(|(_, n, alive)| *alive && n.is_leader())
            .map(|(_, n, _)| n.config().id.0)
            .collect()
    }
}
