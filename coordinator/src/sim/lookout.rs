//! The fleet's look-out: once an interval it checks what every miner has
//! heard. Miners that have heard no coordinator for a while are said in a
//! warning naming everything they tried (addresses, names, broadcasts, the
//! registry) and what refused datagrams suggest (another cluster key);
//! while any miner is in that state, the coordinators given by name are
//! looked up again and new addresses handed to every miner.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::{FleetReach, MinerProbe};
use crate::driver::registry::Registry;
use crate::driver::warnings::WarningKind;

/// What the look-out watches and says.
#[derive(Debug)]
pub(crate) struct Lookout {
    /// Every miner's probe.
    pub probes: Vec<Arc<MinerProbe>>,
    /// The addresses the miners started with.
    pub coordinators: Vec<SocketAddr>,
    /// Names, broadcasts, the warnings.
    pub reach: FleetReach,
    /// The registry the miners read.
    pub registry: Option<Registry>,
    /// Heartbeat interval.
    pub heartbeat: Duration,
    /// Where looked-up addresses go.
    pub found: watch::Sender<Vec<SocketAddr>>,
}

/// Addresses found by looking names up again, at most.
const MAX_FOUND: usize = 64;

/// How long a miner may hear nothing before it is said: three heartbeat
/// intervals (a leader's time-out), at least 3 s.
pub fn quiet_limit(heartbeat: Duration) -> Duration {
    (heartbeat * 3).max(Duration::from_secs(3))
}

impl Lookout {
    /// Runs until `stop` says so.
    pub(crate) async fn run(self, mut stop: watch::Receiver<bool>) {
        let started = Instant::now();
        let limit = quiet_limit(self.heartbeat);
        let retry = (self.heartbeat * 5).clamp(Duration::from_secs(1), Duration::from_secs(60));
        let mut last_lookup: Option<Instant> = None;
        let mut tick = tokio::time::interval(self.heartbeat.max(Duration::from_millis(250)));
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                _ = tick.tick() => {}
            }
            let now = Instant::now();
            let snaps: Vec<_> = self.probes.iter().filter_map(|p| p.snapshot()).collect();
            let quiet = snaps
                .iter()
                .filter(|s| now.duration_since(s.heard_at.unwrap_or(started)) >= limit)
                .count();
            if quiet == 0 {
                continue;
            }
            let refused: u64 = snaps.iter().map(|s| s.refused).sum();
            let quiet_for = snaps
                .iter()
                .map(|s| now.duration_since(s.heard_at.unwrap_or(started)))
                .max()
                .unwrap_or_default();
            self.reach.warnings.raise(
                WarningKind::NoCoordinator,
                "",
                format!(
                    "{quiet} of {} miners have heard no coordinator for {} s; tried {}{}",
                    snaps.len(),
                    quiet_for.as_secs(),
                    self.tried(),
                    if refused > 0 {
                        format!(
                            "; {refused} datagrams refused (a bad tag means another cluster key)"
                        )
                    } else {
                        String::new()
                    }
                ),
            );
            if !self.reach.names.is_empty()
                && last_lookup.is_none_or(|t| now.duration_since(t) >= retry)
            {
                last_lookup = Some(now);
                self.look_up().await;
            }
        }
    }

    /// Everything the miners try, in words.
    fn tried(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for a in &self.coordinators {
            parts.push(a.to_string());
        }
        for n in &self.reach.names {
            parts.push(n.to_string());
        }
        for b in &self.reach.broadcast {
            parts.push(format!("broadcast to {b}"));
        }
        if let Some(r) = &self.registry {
            parts.push(format!(
                "the registry {} ({} entries)",
                r.dir().display(),
                r.scan().len()
            ));
        }
        if parts.is_empty() {
            "nothing (no --coordinator, registry or --discover)".into()
        } else {
            parts.join(", ")
        }
    }

    /// Looks the names up again; new addresses go to every miner.
    async fn look_up(&self) {
        let mut addrs = self.found.borrow().clone();
        for name in &self.reach.names {
            match name.resolve_all().await {
                Ok(found) => {
                    for a in found {
                        let known = addrs.contains(&a) || self.coordinators.contains(&a);
                        if !known && addrs.len() < MAX_FOUND {
                            tracing::info!(%name, addr = %a, "coordinator found at a new address");
                            addrs.push(a);
                        }
                    }
                }
                Err(e) => self.reach.warnings.raise(
                    WarningKind::Unresolved,
                    name.to_string(),
                    format!("coordinator {name}: cannot resolve: {e}; retrying"),
                ),
            }
        }
        self.found.send_if_modified(|old| {
            let changed = *old != addrs;
            *old = addrs;
            changed
        });
    }
}
