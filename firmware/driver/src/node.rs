//! The miner task: one UDP socket, the frame sealer and opener, and the
//! `protocol` miner state machine, driven in the order its docs give.
//!
//! The state machine lives as long as the task: Wi-Fi or coordinator
//! outages are just silence to it. Its leader times out, it drops the
//! leader's leases, and it keeps sending `Discover` (to the configured
//! coordinators, or broadcast on the LAN) until a coordinator answers, so it
//! re-registers by itself once the network is back, without a reset.

use core::time::Duration as CoreDuration;

use embassy_futures::select::{Either4, select4};
use embassy_net::udp::{PacketMetadata, RecvError, UdpMetadata, UdpSocket};
use embassy_net::{IpAddress, IpEndpoint, Ipv4Address, Stack};
use embassy_time::{Duration, Instant as EmbassyInstant, Timer, with_timeout};
use protocol::frame::{FrameError, MAX_FRAME, Opener, Sealer};
use protocol::kernel::ScanOutcome;
use protocol::miner::{Dest, Event, MAX_COORDINATORS, Miner, MinerConfig, Transmit};
use protocol::wire::{DEFAULT_PORT, Fault, MinerState, WireAddr};
use protocol::{BootId, ClusterKey, Instant, NodeId};

use crate::pool::{Batch, ScanPool};
use crate::status::{Status, StatusSignal};

/// Datagrams the socket buffers each way.
const SOCKET_PACKETS: usize = 8;
/// A send that cannot be queued this fast is dropped (the state machine
/// retries what matters).
const SEND_TIMEOUT: Duration = Duration::from_millis(100);

/// What the miner task needs to know.
#[derive(Debug)]
pub struct NodeConfig<'a> {
    /// The cluster key.
    pub key: ClusterKey,
    /// Identity and timing of the state machine.
    pub miner: MinerConfig,
    /// Coordinators to contact; empty means broadcast discovery only.
    pub coordinators: &'a [WireAddr],
    /// Drawn at random at each start (see `protocol::BootId`).
    pub boot: BootId,
    /// Set when the kernel failed its self-test: the miner reports it and
    /// never asks for work.
    pub fault: Option<Fault>,
    /// Local UDP port; 0 picks one.
    pub local_port: u16,
    /// Port the broadcast `Discover` goes to.
    pub discovery_port: u16,
    /// How often to log a one-line summary.
    pub report_every: CoreDuration,
}

impl<'a> NodeConfig<'a> {
    /// Defaults around `key`, `miner` and `coordinators`: broadcast discovery
    /// when `coordinators` is empty, coordinators' default port, any local
    /// port, a summary every 30 s.
    pub fn new(
        key: ClusterKey,
        mut miner: MinerConfig,
        coordinators: &'a [WireAddr],
        boot: BootId,
    ) -> Self {
        miner.broadcast_discovery = coordinators.is_empty();
        NodeConfig {
            key,
            miner,
            coordinators,
            boot,
            fault: None,
            local_port: 0,
            discovery_port: DEFAULT_PORT,
            report_every: CoreDuration::from_secs(30),
        }
    }
}

/// Traffic counters, for the periodic summary.
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    received: u32,
    sent: u32,
    /// Datagrams refused by the opener, by [`FrameError`] kind (index in
    /// [`FrameError::KINDS`]).
    rejected: [u32; FrameError::KINDS.len()],
    /// Sends that failed or timed out (no route while the link is down...).
    send_failed: u32,
    /// Messages that could not be addressed or sealed.
    unsendable: u32,
}

impl Counters {
    fn reject(&mut self, e: &FrameError) {
        let i = e.index();
        self.rejected[i] = self.rejected[i].saturating_add(1);
    }

    fn rejected_total(&self) -> u32 {
        self.rejected.iter().fold(0, |a, b| a.saturating_add(*b))
    }
}

fn now() -> Instant {
    Instant::from_millis(EmbassyInstant::now().as_millis())
}

fn at(t: Instant) -> EmbassyInstant {
    EmbassyInstant::from_millis(t.as_millis())
}

fn to_wire(endpoint: IpEndpoint) -> Option<WireAddr> {
    #[allow(unreachable_patterns)] // IPv6 exists only when a build enables it
    match endpoint.addr {
        IpAddress::Ipv4(ip) => Some(WireAddr::V4(ip.octets(), endpoint.port)),
        _ => None,
    }
}

/// The task state besides the socket.
struct Node<'a, const W: usize> {
    stack: Stack<'a>,
    cfg: &'a NodeConfig<'a>,
    pool: &'a ScanPool<W>,
    status: &'a StatusSignal,
    miner: Miner,
    sealer: Sealer,
    opener: Opener<MAX_COORDINATORS>,
    batch: Option<Batch<W>>,
    seq: u32,
    counters: Counters,
    shown: Option<Status>,
    next_report: Instant,
}

/// Runs the miner on `stack` for ever, scanning with `pool`'s workers and
/// publishing the LED status to `status`.
pub async fn run<'a, const W: usize>(
    stack: Stack<'a>,
    cfg: &'a NodeConfig<'a>,
    pool: &'a ScanPool<W>,
    status: &'a StatusSignal,
) -> ! {
    let mut rx_meta = [PacketMetadata::EMPTY; SOCKET_PACKETS];
    let mut tx_meta = [PacketMetadata::EMPTY; SOCKET_PACKETS];
    let mut rx_buf = [0u8; SOCKET_PACKETS * MAX_FRAME];
    let mut tx_buf = [0u8; SOCKET_PACKETS * MAX_FRAME];
    let mut socket = UdpSocket::new(stack, &mut rx_meta, &mut rx_buf, &mut tx_meta, &mut tx_buf);
    if let Err(e) = socket.bind(cfg.local_port) {
        error!("cannot bind UDP port {}: {:?}", cfg.local_port, e);
    }

    let me = NodeId::Miner(cfg.miner.id);
    let t0 = now();
    let mut miner = Miner::new(cfg.miner, cfg.coordinators, t0);
    if let Some(fault) = cfg.fault {
        miner.set_fault(fault);
    }
    info!(
        "miner {} (boot {}) starting: {} coordinator address(es), broadcast discovery {}",
        cfg.miner.id.0,
        cfg.boot.0,
        cfg.coordinators.len(),
        cfg.miner.broadcast_discovery
    );
    let mut node = Node {
        stack,
        sealer: Sealer::new(&cfg.key, me, cfg.boot),
        opener: Opener::new(&cfg.key, me),
        next_report: t0 + cfg.report_every,
        cfg,
        pool,
        status,
        miner,
        batch: None,
        seq: 0,
        counters: Counters::default(),
        shown: None,
    };
    let mut datagram = [0u8; MAX_FRAME];
    loop {
        node.turn(&socket).await;
        let deadline = node.miner.poll_timeout().min(node.next_report);
        let link = async {
            if stack.is_config_up() {
                stack.wait_config_down().await;
            } else {
                stack.wait_config_up().await;
            }
        };
        let step = async {
            match node.batch.as_mut() {
                Some(batch) => loop {
                    if let Some(outcome) = pool.next_done(batch).await {
                        return outcome;
                    }
                },
                None => core::future::pending().await,
            }
        };
        match select4(
            socket.recv_from(&mut datagram),
            Timer::at(at(deadline)),
            step,
            link,
        )
        .await
        {
            Either4::First(Ok((len, meta))) => node.on_datagram(&datagram[..len], meta),
            Either4::First(Err(RecvError::Truncated)) => node.counters.reject(&FrameError::TooLong),
            Either4::Second(()) => {}
            Either4::Third(outcome) => node.finish_step(outcome),
            Either4::Fourth(()) => node.on_network_change(),
        }
    }
}

impl<const W: usize> Node<'_, W> {
    /// One turn of the driving loop: timers, a new step if none is running,
    /// then everything the state machine wants sent, logged or shown.
    async fn turn(&mut self, socket: &UdpSocket<'_>) {
        let t = now();
        if t >= self.miner.poll_timeout() {
            self.miner.handle_timeout(t);
        }
        if let Some(outcome) = self.batch.as_mut().and_then(|b| self.pool.try_done(b)) {
            self.finish_step(outcome);
        }
        if self.batch.is_none() {
            if let Some(step) = self.miner.poll_step() {
                self.seq = self.seq.wrapping_add(1);
                self.batch = Some(self.pool.dispatch(&step, self.seq, EmbassyInstant::now()));
            }
        }
        while let Some(transmit) = self.miner.poll_transmit() {
            self.send(socket, transmit).await;
        }
        while let Some(event) = self.miner.poll_event() {
            log_event(&event);
        }
        self.show_status();
        if t >= self.next_report {
            self.next_report = t + self.cfg.report_every;
            self.report();
        }
    }

    /// Reports the step in flight, now scanned, with its wall-clock time.
    fn finish_step(&mut self, outcome: ScanOutcome) {
        if let Some(batch) = self.batch.take() {
            let elapsed = EmbassyInstant::now().saturating_duration_since(batch.started());
            let elapsed = CoreDuration::from_micros(elapsed.as_micros());
            self.miner.handle_step(now(), batch.id(), outcome, elapsed);
        }
    }

    fn on_datagram(&mut self, bytes: &[u8], meta: UdpMetadata) {
        self.counters.received = self.counters.received.wrapping_add(1);
        let Some(from) = to_wire(meta.endpoint) else {
            return;
        };
        match self.opener.open(bytes) {
            Ok(opened) => self
                .miner
                .handle_message(now(), from, opened.sender, opened.message),
            Err(e) => {
                self.counters.reject(&e);
                debug!("dropped a datagram from {:?}: {}", meta.endpoint, e.kind());
            }
        }
    }

    fn on_network_change(&mut self) {
        match self.stack.config_v4() {
            Some(c) => info!("network up: address {:?}", c.address),
            None => warn!("network down: no address; the miner keeps its state and retries"),
        }
    }

    async fn send(&mut self, socket: &UdpSocket<'_>, t: Transmit) {
        let endpoint = match t.dest {
            Dest::Addr(WireAddr::V4(ip, port)) => {
                IpEndpoint::new(IpAddress::Ipv4(Ipv4Address::from(ip)), port)
            }
            Dest::Addr(WireAddr::V6(..)) => {
                self.counters.unsendable = self.counters.unsendable.wrapping_add(1);
                return;
            }
            Dest::Broadcast => {
                let ip = self
                    .stack
                    .config_v4()
                    .and_then(|c| c.address.broadcast())
                    .unwrap_or(Ipv4Address::BROADCAST);
                IpEndpoint::new(IpAddress::Ipv4(ip), self.cfg.discovery_port)
            }
        };
        let mut frame = [0u8; MAX_FRAME];
        let len = match self.sealer.seal(&t.message, &mut frame) {
            Ok(len) => len,
            Err(e) => {
                self.counters.unsendable = self.counters.unsendable.wrapping_add(1);
                warn!("cannot seal {}: {:?}", t.message.kind(), e);
                return;
            }
        };
        match with_timeout(SEND_TIMEOUT, socket.send_to(&frame[..len], endpoint)).await {
            Ok(Ok(())) => self.counters.sent = self.counters.sent.wrapping_add(1),
            Ok(Err(e)) => {
                self.counters.send_failed = self.counters.send_failed.wrapping_add(1);
                debug!("{} to {:?} not sent: {:?}", t.message.kind(), endpoint, e);
            }
            Err(_) => self.counters.send_failed = self.counters.send_failed.wrapping_add(1),
        }
    }

    fn show_status(&mut self) {
        let s = match self.miner.state() {
            MinerState::Faulty(_) => Status::Faulty,
            _ if !self.stack.is_config_up() => Status::Joining,
            MinerState::Mining(_) => Status::Mining,
            MinerState::Idle => Status::Waiting,
        };
        if self.shown != Some(s) {
            self.shown = Some(s);
            self.status.signal(s);
        }
    }

    fn report(&self) {
        let stats = self.miner.stats();
        let c = &self.counters;
        info!(
            "{} H/s, {} hashes, {} ranges, {} solutions; leader {:?}, {:?}; datagrams in {} out {}, refused {}, send failures {}",
            self.miner.hashrate(),
            stats.hashes,
            stats.ranges_done,
            stats.solutions,
            self.miner.leader().map(|l| l.0),
            self.miner.state(),
            c.received,
            c.sent,
            c.rejected_total(),
            c.send_failed
        );
        for (kind, n) in FrameError::KINDS.iter().zip(c.rejected.iter()) {
            if *n > 0 {
                info!("  refused {}: {}", kind, n);
            }
        }
    }
}

fn log_event(event: &Event) {
    match event {
        Event::LeaderChanged {
            leader: Some(id),
            epoch,
        } => info!("following coordinator {} in epoch {}", id.0, epoch.0),
        Event::LeaderChanged { leader: None, .. } => {
            warn!("leader lost; looking for coordinators")
        }
        Event::Assigned { job, range } => info!(
            "assigned job {} nonces {}..={}",
            job,
            range.first(),
            range.last()
        ),
        Event::Found { job, nonce } => {
            info!("found nonce {} for job {}", nonce, job)
        }
        Event::Exhausted { job, range, best } => debug!(
            "no solution in job {} nonces {}..={} (best {} zero bits)",
            job,
            range.first(),
            range.last(),
            best.zero_bits
        ),
        Event::Dropped { job, reason } => {
            info!("dropped job {}: {:?}", job, reason)
        }
        Event::Refused(r) => warn!("refused work: {:?}", r),
        Event::SolutionUnacknowledged { job } => {
            warn!("solution for job {} never acknowledged", job)
        }
    }
}
