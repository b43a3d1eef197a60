//! The demo's live progress and final report. It watches the coordinators'
//! status, the miners' probes, the nodes' events and the chain's tip, and
//! measures what the demo reports: blocks per minute, the aggregate rate,
//! and the time from each solution to the last miner stopping. On a
//! terminal the view is redrawn in place at any size (`screen`); times are
//! local times and ages.
//!
//! This module measures; `live.rs` draws, `report.rs` sums up at the end and
//! `text.rs` writes rates, times and ages for both.

mod live;
mod report;
mod text;

use std::future::Future;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chain::ChainClient;
use protocol::JobRef;
use tokio::sync::{mpsc, watch};

use super::screen::Screen;
use crate::driver::{CoordinatorStatus, TimedEvent};
use crate::node::NodeEvent;
use crate::sim::MinerProbe;

pub use super::demo_votes::VoteReport;
pub use report::Report;
pub use text::{age, local_time};

/// How long after a solution the miners' stop times are read.
const STOP_GRACE: Duration = Duration::from_secs(2);
/// How long to wait for the last block's stop times once the target is
/// reached (miners stop within a step, 20 ms; no block comes meanwhile: the
/// coordinators mine no height past the target, `last_height`).
const FINAL_GRACE: Duration = Duration::from_millis(300);

/// Watches a running demo.
#[derive(Debug)]
pub struct Observer {
    client: ChainClient,
    statuses: Vec<watch::Receiver<Option<CoordinatorStatus>>>,
    probes: Vec<Arc<MinerProbe>>,
    events: mpsc::UnboundedReceiver<TimedEvent>,
    target: u64,
    zero_bits: u8,
    start_height: u64,
    height: u64,
    tip: String,
    pending: Vec<(JobRef, Instant)>,
    latencies: Vec<Duration>,
    vote_times: Vec<Duration>,
    hashes_at: Option<(u64, Instant)>,
    last_hashes: Option<(u64, Instant)>,
    tty: bool,
    screen: Screen,
    last_block: Option<chain::api::Block>,
    started: Instant,
    last_line: Instant,
}

impl Observer {
    /// An observer of the given parts, aiming at `target` blocks above
    /// `start_height`, the tip before the miners started.
    pub fn new(
        client: ChainClient,
        statuses: Vec<watch::Receiver<Option<CoordinatorStatus>>>,
        probes: Vec<Arc<MinerProbe>>,
        events: mpsc::UnboundedReceiver<TimedEvent>,
        start_height: u64,
        target: u64,
        zero_bits: u8,
    ) -> Observer {
        Observer {
            client,
            statuses,
            probes,
            events,
            target,
            zero_bits,
            start_height,
            height: start_height,
            tip: String::new(),
            pending: Vec::new(),
            latencies: Vec::new(),
            vote_times: Vec::new(),
            hashes_at: None,
            last_hashes: None,
            tty: std::io::stdout().is_terminal(),
            screen: Screen::new(),
            last_block: None,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    /// Blocks mined since the start.
    pub fn blocks_mined(&self) -> u64 {
        self.height.saturating_sub(self.start_height)
    }

    /// Watches until the target is reached (false) or `stop` resolves (true).
    pub async fn run(&mut self, stop: impl Future<Output = ()>) -> bool {
        tokio::pin!(stop);
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                () = &mut stop => return true,
                _ = tick.tick() => {}
            }
            self.poll().await;
            self.draw();
            if self.blocks_mined() >= self.target {
                // Let the last block's stop times arrive.
                tokio::time::sleep(FINAL_GRACE).await;
                self.poll().await;
                self.measure_stops(true);
                return false;
            }
        }
    }

    async fn poll(&mut self) {
        while let Ok(e) = self.events.try_recv() {
            match e.event {
                NodeEvent::SolutionFound { job, .. } => self.pending.push((job, e.at)),
                NodeEvent::VoteDecided { took, .. } => self.vote_times.push(took),
                _ => {}
            }
        }
        if let Ok(tip) = self.client.tip().await {
            if self.last_block.as_ref().is_none_or(|b| b.hash != tip.hash)
                && let Ok(mut page) = self.client.blocks(tip.height, 1).await
            {
                self.last_block = page.pop();
            }
            self.height = tip.height;
            self.tip = tip.hash.to_string();
        }
        let hashes: u64 = self
            .probes
            .iter()
            .filter_map(|p| p.snapshot())
            .map(|s| s.hashes)
            .sum();
        if hashes > 0 && self.hashes_at.is_none() {
            self.hashes_at = Some((hashes, Instant::now()));
        }
        self.last_hashes = Some((hashes, Instant::now()));
        self.measure_stops(false);
    }

    /// For solutions older than the grace, the time until the last miner
    /// that was working on that job stopped.
    fn measure_stops(&mut self, all: bool) {
        let now = Instant::now();
        let (ready, waiting): (Vec<_>, Vec<_>) = self
            .pending
            .drain(..)
            .partition(|(_, at)| all || now.duration_since(*at) >= STOP_GRACE);
        self.pending = waiting;
        for (job, at) in ready {
            let last = self
                .probes
                .iter()
                .filter_map(|p| p.stopped_at(job))
                .map(|t| t.saturating_duration_since(at))
                .max();
            if let Some(d) = last {
                self.latencies.push(d);
            }
        }
    }

    /// Reads the tip once more (after the miners stopped).
    pub async fn refresh(&mut self) {
        if let Ok(tip) = self.client.tip().await {
            self.height = tip.height;
        }
    }

    /// Hashes per second of the fleet between the first and last poll.
    pub fn aggregate_rate(&self) -> Option<f64> {
        let ((h0, t0), (h1, t1)) = (self.hashes_at?, self.last_hashes?);
        let secs = t1.duration_since(t0).as_secs_f64();
        (secs > 0.5).then(|| (h1 - h0) as f64 / secs)
    }

    /// The solution-to-last-stop times measured.
    pub fn stop_latencies(&self) -> Vec<Duration> {
        self.latencies.clone()
    }

    /// What the votes added between each verified solution and its
    /// submission (`on`: whether solutions were put to a vote).
    pub fn votes(&self, on: bool, coordinators: u16) -> VoteReport {
        VoteReport {
            on,
            coordinators,
            times: self.vote_times.clone(),
        }
    }
}
