//! A host-simulated miner: the `protocol` miner state machine over its own
//! UDP socket, scanning each step on `threads` threads with the chosen
//! kernel. Steps run on the blocking pool while this task keeps receiving,
//! so an interrupt cancels the step in progress within one chunk.

use std::future::{Future, pending};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use protocol::frame::MAX_FRAME;
use protocol::kernel::Kernel;
use protocol::miner::{Dest, DropReason, Event, Miner, MinerConfig, StepId};
use protocol::wire::WireAddr;
use protocol::{ClusterKey, NodeId};
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::probe::MinerProbe;
use crate::driver::link::Link;
use crate::driver::node::Clock;
use crate::driver::registry::Registry;
use crate::driver::transport::{ChaosConfig, Transport};
use crate::driver::warnings::Warnings;
use crate::mining::{ParallelOutcome, SpawnError, scan_parallel};

/// What a simulated miner needs from outside.
#[derive(Debug)]
pub struct MinerDeps {
    /// The kernel to scan with.
    pub kernel: Kernel,
    /// Threads per step.
    pub threads: usize,
    /// The cluster key.
    pub key: ClusterKey,
    /// Coordinator addresses known at start.
    pub coordinators: Vec<SocketAddr>,
    /// A registry to find more coordinators in.
    pub registry: Option<Registry>,
    /// Where a broadcast `Discover` goes (nowhere if empty).
    pub broadcast: Vec<SocketAddr>,
    /// Coordinator addresses found after start (names looked up again).
    pub found: Option<watch::Receiver<Vec<SocketAddr>>>,
    /// Where refused datagrams that point at a misconfiguration are said.
    pub warnings: Option<std::sync::Arc<Warnings>>,
    /// Fault injection on outgoing datagrams.
    pub chaos: Option<ChaosConfig>,
    /// Shared view for observers.
    pub probe: Arc<MinerProbe>,
}

struct Running {
    id: StepId,
    cancel: Arc<AtomicBool>,
    handle: JoinHandle<(Result<ParallelOutcome, SpawnError>, Duration)>,
}

/// Runs one simulated miner until `shutdown` resolves. It stops early with
/// an error if the threads of a step cannot be started.
pub async fn run_miner(
    socket: UdpSocket,
    cfg: MinerConfig,
    deps: MinerDeps,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let transport = Transport::new(socket, deps.chaos);
    let mut link = Link::new(transport.clone(), &deps.key, NodeId::Miner(cfg.id))?;
    if let Some(w) = &deps.warnings {
        link = link.with_warnings(std::sync::Arc::clone(w));
    }
    let mut found = deps.found.clone();
    let mut heard_at = None;
    let clock = Clock::new();
    let addrs: Vec<WireAddr> = deps.coordinators.iter().map(|&a| a.into()).collect();
    let mut miner = Miner::new(cfg, &addrs, clock.mono());
    let mut running: Option<Running> = None;
    let mut registry_tick = tokio::time::interval(Duration::from_millis(500));
    let mut buf = vec![0u8; MAX_FRAME + 1];
    tokio::pin!(shutdown);

    loop {
        while let Some(t) = miner.poll_transmit() {
            match t.dest {
                Dest::Addr(a) => link.send(a.into(), &t.message).await,
                Dest::Broadcast => {
                    for &b in &deps.broadcast {
                        link.send(b, &t.message).await;
                    }
                }
            }
        }
        while let Some(e) = miner.poll_event() {
            on_event(&deps.probe, &e, running.as_ref());
        }
        if let Some(r) = &running
            && !miner.step_wanted(r.id)
        {
            r.cancel.store(true, Ordering::Relaxed);
        }
        if running.is_none()
            && let Some(step) = miner.poll_step()
        {
            let cancel = Arc::new(AtomicBool::new(false));
            let (kernel, threads, flag) = (deps.kernel, deps.threads, Arc::clone(&cancel));
            let chunk = (step.range.len() / 8).max(4096);
            let handle = tokio::task::spawn_blocking(move || {
                let started = std::time::Instant::now();
                let out = scan_parallel(
                    kernel,
                    &step.job,
                    step.range,
                    step.zero_bits,
                    threads,
                    chunk,
                    Some(&flag),
                );
                (out, started.elapsed())
            });
            running = Some(Running {
                id: step.id,
                cancel,
                handle,
            });
        }
        let deadline = clock.deadline(miner.poll_timeout());
        let step_done = async {
            match running.as_mut() {
                Some(r) => (&mut r.handle).await,
                None => pending().await,
            }
        };
        let found_changed = async {
            match found.as_mut() {
                Some(f) => f.changed().await.is_ok(),
                None => pending().await,
            }
        };
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            done = step_done => {
                let Some(r) = running.take() else { continue };
                let wanted = miner.step_wanted(r.id);
                match done {
                    Ok((Err(e), _)) => {
                        return Err(std::io::Error::other(e));
                    }
                    Ok((Ok(out), elapsed)) => {
                        miner.handle_step(clock.mono(), r.id, out.outcome, elapsed);
                        if !wanted {
                            deps.probe.stopped(r.id.job(), std::time::Instant::now());
                        }
                        deps.probe.update(|s| {
                            s.hashes += out.hashes_done;
                            s.hashrate = miner.hashrate();
                            s.state = miner.state();
                            s.leader = miner.leader();
                        });
                    }
                    Err(e) => tracing::error!(error = %e, "scan task failed"),
                }
            }
            received = transport.recv_from(&mut buf) => match received {
                Ok((n, from)) => {
                    if let Some(opened) = link.open(&buf[..n], from) {
                        heard_at = Some(std::time::Instant::now());
                        miner.handle_message(clock.mono(), from.into(), opened.sender, opened.message);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "receive failed"),
            },
            () = tokio::time::sleep_until(deadline) => miner.handle_timeout(clock.mono()),
            true = found_changed => {
                if let Some(f) = &found {
                    for addr in f.borrow().iter() {
                        miner.add_coordinator((*addr).into());
                    }
                }
            }
            _ = registry_tick.tick(), if deps.registry.is_some() => {
                if let Some(r) = &deps.registry {
                    for (_, addr) in r.scan() {
                        miner.add_coordinator(addr.into());
                    }
                }
            }
        }
        let refused = link.refused_total();
        deps.probe.update(|s| {
            s.state = miner.state();
            s.leader = miner.leader();
            s.refused = refused;
            s.heard_at = heard_at;
        });
    }
    if let Some(r) = running.take() {
        r.cancel.store(true, Ordering::Relaxed);
        let _ = r.handle.await;
    }
    Ok(())
}

fn on_event(probe: &MinerProbe, e: &Event, running: Option<&Running>) {
    let now = std::time::Instant::now();
    match e {
        Event::Found { job, nonce } => {
            tracing::info!(%job, nonce, "found a solution");
            probe.update(|s| s.solutions += 1);
            probe.stopped(*job, now);
        }
        Event::Dropped { job, reason } => {
            tracing::debug!(%job, ?reason, "dropped work");
            // A running step of that job stops when it returns; otherwise
            // the miner stops now.
            let busy = running.is_some_and(|r| r.id.job() == *job);
            if !busy && *reason != DropReason::LeaderChanged {
                probe.stopped(*job, now);
            }
        }
        Event::LeaderChanged { leader, epoch } => {
            tracing::info!(leader = ?leader.map(|l| l.0), %epoch, "leader changed")
        }
        Event::Refused(r) => tracing::debug!(reason = ?r, "work refused"),
        Event::SolutionUnacknowledged { job } => {
            tracing::warn!(%job, "solution never acknowledged")
        }
        Event::Assigned { .. } | Event::Exhausted { .. } => {}
    }
}
