//! One miner as the leader knows it: its address, its reported and averaged
//! rates, its claims and the interrupt it has not acknowledged; and how the
//! status shows it. Apart from the book, which only indexes these.

use std::net::SocketAddr;
use std::time::Duration;

use protocol::wire::{MinerKind, MinerState};
use protocol::{Instant, JobRef};
use serde::Serialize;

/// One miner.
#[derive(Clone, Debug)]
pub struct MinerEntry {
    /// Its last source address.
    pub addr: SocketAddr,
    /// When it was last heard from.
    pub last_heard: Instant,
    /// Hashes per second it reports.
    pub hashrate: u32,
    /// Its reports averaged over about [`RATE_AVERAGE`] (exponentially
    /// weighted by time), hashes per second.
    pub hashrate_avg: f64,
    /// When `hashrate_avg` last took in a report, if ever.
    pub rate_at: Option<Instant>,
    /// What it runs on, once it said.
    pub kind: Option<MinerKind>,
    /// What it reports doing.
    pub state: MinerState,
    /// Assignments it asked for and has not been given.
    pub wanted: u8,
    /// Answers whose checks failed.
    pub failed_claims: u32,
    /// Ignored because of failed claims.
    pub banned: bool,
    /// Ranges answered and verified.
    pub ranges_done: u64,
    /// Verified solutions.
    pub solutions: u64,
    /// An interrupt it has not acknowledged yet.
    pub interrupt: Option<PendingInterrupt>,
}

/// An interrupt sent to a miner that was mining the job, re-sent until the
/// miner reports that it stopped (any status not mining that job or an
/// older one), at most [`INTERRUPT_RESENDS`] times.
#[derive(Clone, Copy, Debug)]
pub struct PendingInterrupt {
    /// The job interrupted.
    pub job: JobRef,
    /// When to send it again.
    pub next: Instant,
    /// Times sent again so far.
    pub resent: u8,
}

/// Times an unacknowledged interrupt is sent again; after that the
/// miner's next status (each heartbeat) still gets it again.
pub const INTERRUPT_RESENDS: u8 = 8;

/// The time constant of a miner's averaged rate.
pub const RATE_AVERAGE: Duration = Duration::from_secs(300);

impl MinerEntry {
    /// Takes in the rate the miner reports at `now`: the rate now, and the
    /// average, whose first value is the first report.
    pub fn report_rate(&mut self, now: Instant, hashrate: u32) {
        let weight = self.rate_at.map_or(1.0, |then| {
            let dt = now.saturating_since(then).as_secs_f64();
            1.0 - (-dt / RATE_AVERAGE.as_secs_f64()).exp()
        });
        self.hashrate_avg += weight * (f64::from(hashrate) - self.hashrate_avg);
        self.hashrate = hashrate;
        self.rate_at = Some(now);
    }

    /// Takes in the state the miner reports; a miner no longer mining an
    /// interrupted job has acknowledged the interrupt.
    pub fn report(&mut self, state: MinerState) {
        self.state = state;
        if let Some(p) = self.interrupt
            && !matches!(state, MinerState::Mining(j) if j <= p.job)
        {
            self.interrupt = None;
        }
    }
}

/// A miner as shown in the status.
#[derive(Clone, Debug, Serialize)]
pub struct MinerSummary {
    /// Its id.
    pub id: u32,
    /// Its address.
    pub addr: String,
    /// `host` or `board` (`unknown` until it says).
    pub kind: &'static str,
    /// The model: `host`, `RP2040`, `RP2350`...
    pub model: &'static str,
    /// Reported hashes per second.
    pub hashrate: u32,
    /// Reports averaged over about five minutes, hashes per second.
    pub hashrate_avg: u64,
    /// Milliseconds since it was last heard.
    pub last_heard_ms: u64,
    /// Reported state.
    pub state: String,
    /// Leases it holds in the current job.
    pub leases: usize,
    /// Ranges answered and verified.
    pub ranges_done: u64,
    /// Verified solutions.
    pub solutions: u64,
    /// Answers whose checks failed.
    pub failed_claims: u32,
    /// Whether it is ignored.
    pub banned: bool,
}
