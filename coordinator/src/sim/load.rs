//! The load mode of `sim` (`--rate H`): thousands of miners in one
//! process, each the real `protocol` miner state machine with its own id,
//! boot id and frame counter, scanning with the real kernel but throttled
//! to `H` hashes per second, so that a single core carries a fleet far
//! larger than the machine could mine for.
//!
//! Throttled: a miner scans each step at once with the kernel and reports
//! it when a miner of rate `H` would have finished it (its hashes over
//! `H` later). Its measured rate, and so its lease sizes, its answers and
//! their timing, are those of a rate-`H` miner, and every answer carries
//! the kernel's real outcome, which the leader re-hashes. A step no longer
//! wanted (an interrupt, a newer job) is reported at once, so the step
//! length costs no reaction time; steps are long ([`LOAD_STEP`]) so that
//! each miner wakes up rarely.
//!
//! One UDP socket per miner, not a few shared ones: a frame names its
//! sender but not its recipient, and a coordinator keys its miners by id
//! but sends each one's messages to the source address it last heard it
//! from. Two miners on one socket would both receive each other's
//! `Process`, with nothing in the datagram to tell whose it is. The load
//! raises its descriptor limit to what the system allows and refuses to
//! start beyond it ([`ensure_descriptors`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use protocol::frame::MAX_FRAME;
use protocol::kernel::{Kernel, ScanOutcome};
use protocol::miner::{Dest, Event, Miner, StepId};
use protocol::wire::{Message, WireAddr};
use protocol::{ClusterKey, MinerId, NodeId};
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::load_stats::{LoadCounters, LoadStats};
use super::miner_config;
use crate::driver::link::Link;
use crate::driver::node::Clock;
use crate::driver::transport::Transport;

/// A throttled miner's step: long, as its scan is instantaneous and its
/// wait a timer that an interrupt cuts short.
pub const LOAD_STEP: Duration = Duration::from_millis(500);

/// Descriptors the process needs besides one per miner (runtime, stdio,
/// the chain client, logs).
const SPARE_DESCRIPTORS: u64 = 64;

/// How to run a load of throttled miners.
#[derive(Clone, Debug)]
pub struct Load {
    /// How many miners.
    pub miners: u32,
    /// Hashes per second of each.
    pub rate: u32,
    /// Id of the first miner; the others follow.
    pub first_id: u32,
    /// The kernel every miner scans with.
    pub kernel: Kernel,
    /// The cluster key.
    pub key: ClusterKey,
    /// Coordinator addresses.
    pub coordinators: Vec<SocketAddr>,
    /// Heartbeat interval.
    pub heartbeat: Duration,
    /// Miners start evenly spread over this long (zero: all at once).
    pub ramp: Duration,
}

/// A running load.
#[derive(Debug)]
pub struct RunningLoad {
    /// What it measures.
    pub stats: Arc<LoadStats>,
    /// Each miner's UDP address.
    pub addrs: Vec<SocketAddr>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningLoad {
    /// Stops every miner and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// What every miner of the load shares.
#[derive(Debug)]
struct Shared {
    kernel: Kernel,
    key: ClusterKey,
    coordinators: Vec<WireAddr>,
    rate: u32,
    heartbeat: Duration,
    stats: Arc<LoadStats>,
}

/// Raises this process's descriptor limit so that `miners` sockets fit, or
/// says why they cannot.
pub fn ensure_descriptors(miners: u32) -> Result<(), String> {
    let needed = u64::from(miners) + SPARE_DESCRIPTORS;
    match rlimit::increase_nofile_limit(needed) {
        Ok(got) if got >= needed => Ok(()),
        Ok(got) => Err(format!(
            "{miners} miners need {needed} file descriptors (one UDP socket each: a frame does \
             not name its recipient, so miners cannot share one); this system allows {got} \
             (`ulimit -Hn`)"
        )),
        Err(e) => Err(format!(
            "cannot raise the descriptor limit to {needed}: {e}"
        )),
    }
}

/// Binds every miner's socket, then starts the miners over `load.ramp`.
pub async fn start(load: Load) -> std::io::Result<RunningLoad> {
    let bind: SocketAddr = match load.coordinators.first() {
        Some(a) if a.ip().is_loopback() => SocketAddr::new(a.ip(), 0),
        Some(a) if a.is_ipv6() => SocketAddr::from(([0u16; 8], 0)),
        _ => SocketAddr::from(([0, 0, 0, 0], 0)),
    };
    let mut sockets = Vec::with_capacity(load.miners as usize);
    let mut addrs = Vec::with_capacity(load.miners as usize);
    for _ in 0..load.miners {
        let socket = UdpSocket::bind(bind).await?;
        addrs.push(socket.local_addr()?);
        sockets.push(socket);
    }
    let stats = Arc::new(LoadStats::default());
    let shared = Arc::new(Shared {
        kernel: load.kernel,
        key: load.key.clone(),
        coordinators: load.coordinators.iter().map(|&a| a.into()).collect(),
        rate: load.rate.max(1),
        heartbeat: load.heartbeat,
        stats: Arc::clone(&stats),
    });
    let (stop, stop_rx) = watch::channel(false);
    let begin = tokio::time::Instant::now();
    let gap = load.ramp / load.miners.max(1);
    let tasks = sockets
        .into_iter()
        .enumerate()
        .map(|(i, socket)| {
            let id = MinerId(load.first_id.wrapping_add(i as u32));
            let start_at = begin + gap * i as u32;
            let (shared, stop) = (Arc::clone(&shared), stop_rx.clone());
            tokio::spawn(async move {
                tokio::time::sleep_until(start_at).await;
                if let Err(error) = run_one(socket, id, &shared, stop).await {
                    tracing::error!(miner = %id, %error, "throttled miner stopped");
                }
            })
        })
        .collect();
    Ok(RunningLoad {
        stats,
        addrs,
        stop,
        tasks,
    })
}

/// A step scanned, waiting for the moment a rate-`H` miner would finish it.
struct Throttled {
    id: StepId,
    outcome: ScanOutcome,
    nominal: Duration,
    due: tokio::time::Instant,
}

/// One throttled miner until `stop` turns true.
async fn run_one(
    socket: UdpSocket,
    id: MinerId,
    shared: &Shared,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let stats = &shared.stats;
    let counters = &stats.counters;
    LoadCounters::add(&counters.started, 1);
    let joined = std::time::Instant::now();
    let transport = Transport::new(socket, None);
    let mut link = Link::new(transport.clone(), &shared.key, NodeId::Miner(id))
        .map_err(std::io::Error::other)?;
    let clock = Clock::new();
    let mut cfg = miner_config(id, shared.heartbeat, shared.rate);
    cfg.step = LOAD_STEP;
    let mut miner = Miner::new(cfg, &shared.coordinators, clock.mono());
    let mut step: Option<Throttled> = None;
    // The first work request not yet answered by a `Process`.
    let mut asked: Option<std::time::Instant> = None;
    let mut served = false;
    let mut refused = 0;
    let mut buf = vec![0u8; MAX_FRAME + 1];

    loop {
        while let Some(t) = miner.poll_transmit() {
            let Dest::Addr(to) = t.dest else { continue };
            match &t.message {
                Message::HeartbeatReply(r) if r.request.is_some() => {
                    LoadCounters::add(&counters.requests, 1);
                    asked.get_or_insert_with(std::time::Instant::now);
                }
                Message::ProcessAnswerNo(_) => LoadCounters::add(&counters.answers_no, 1),
                Message::ProcessAnswerYes(_) => LoadCounters::add(&counters.answers_yes, 1),
                _ => {}
            }
            link.send(to.into(), &t.message).await;
            LoadCounters::add(&counters.sent, 1);
        }
        while let Some(e) = miner.poll_event() {
            match e {
                Event::Assigned { .. } => {
                    LoadCounters::add(&counters.assigned, 1);
                    let now = std::time::Instant::now();
                    if let Some(t) = asked.take() {
                        stats.waited(now - t);
                    }
                    if !served {
                        served = true;
                        stats.first_work(now - joined);
                    }
                }
                Event::Refused(_) => LoadCounters::add(&counters.process_refused, 1),
                Event::LeaderChanged { .. } => LoadCounters::add(&counters.leader_changes, 1),
                _ => {}
            }
        }
        if step.is_none()
            && let Some(s) = miner.poll_step()
        {
            let outcome = shared.kernel.scan(&s.job, s.range, s.zero_bits);
            LoadCounters::add(&counters.hashes, outcome.hashes);
            let nominal = Duration::from_secs_f64(outcome.hashes as f64 / f64::from(shared.rate));
            step = Some(Throttled {
                id: s.id,
                outcome,
                nominal,
                due: tokio::time::Instant::now() + nominal,
            });
        }
        // A step no longer wanted ends now; a wanted one when it is due.
        let step_due = step.as_ref().map(|s| {
            if miner.step_wanted(s.id) {
                s.due
            } else {
                tokio::time::Instant::now()
            }
        });
        let timeout = clock.deadline(miner.poll_timeout());
        let wake = step_due.map_or(timeout, |d| d.min(timeout));
        tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => break,
            received = transport.recv_from(&mut buf) => match received {
                Ok((n, from)) => {
                    if let Some(opened) = link.open(&buf[..n], from) {
                        LoadCounters::add(&counters.received, 1);
                        miner.handle_message(clock.mono(), from.into(), opened.sender, opened.message);
                    }
                }
                Err(e) => tracing::debug!(error = %e, "receive failed"),
            },
            () = tokio::time::sleep_until(wake) => {
                let now = tokio::time::Instant::now();
                stats.late(now - wake);
                if let Some(s) = step.take_if(|_| step_due.is_some_and(|d| d <= now)) {
                    miner.handle_step(clock.mono(), s.id, s.outcome, s.nominal);
                }
                miner.handle_timeout(clock.mono());
            }
        }
        let total = link.refused_total();
        LoadCounters::add(&counters.refused, total - refused);
        refused = total;
    }
    Ok(())
}
