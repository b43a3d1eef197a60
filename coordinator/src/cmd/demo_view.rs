//! The demo's live progress and final report. It watches the coordinators'
//! status, the miners' probes, the nodes' events and the chain's tip, and
//! measures what the demo reports: blocks per minute, the aggregate rate,
//! and the time from each solution to the last miner stopping.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chain::ChainClient;
use protocol::JobRef;
use tokio::sync::{mpsc, watch};

use crate::driver::{CoordinatorStatus, TimedEvent};
use crate::node::NodeEvent;
use crate::sim::MinerProbe;

pub use super::demo_votes::VoteReport;

/// How long after a solution the miners' stop times are read.
const STOP_GRACE: Duration = Duration::from_secs(2);
/// How long to wait for the last block's stop times once the target is
/// reached (miners stop within a step, 20 ms; more blocks may come meanwhile
/// at low difficulty, and are counted).
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
    start_height: Option<u64>,
    height: u64,
    tip: String,
    pending: Vec<(JobRef, Instant)>,
    latencies: Vec<Duration>,
    vote_times: Vec<Duration>,
    hashes_at: Option<(u64, Instant)>,
    last_hashes: Option<(u64, Instant)>,
    tty: bool,
    drawn: usize,
    started: Instant,
    last_line: Instant,
}

/// What the demo measured.
#[derive(Debug)]
pub struct Report {
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Blocks mined.
    pub blocks: u64,
    /// One thread's kernel rate, measured alone.
    pub rate_alone: f64,
    /// That rate times the miners' threads.
    pub sum_alone: f64,
    /// Hashes per second of the whole fleet while mining.
    pub aggregate: Option<f64>,
    /// Solution-to-last-stop times.
    pub stop_latencies: Vec<Duration>,
    /// Whether Ctrl-C ended the run.
    pub interrupted: bool,
    /// The votes on solutions.
    pub votes: VoteReport,
}

fn mhs(r: f64) -> String {
    format!("{:.2} MH/s", r / 1e6)
}

impl Observer {
    /// An observer of the given parts, aiming at `target` blocks.
    pub fn new(
        client: ChainClient,
        statuses: Vec<watch::Receiver<Option<CoordinatorStatus>>>,
        probes: Vec<Arc<MinerProbe>>,
        events: mpsc::UnboundedReceiver<TimedEvent>,
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
            start_height: None,
            height: 0,
            tip: String::new(),
            pending: Vec::new(),
            latencies: Vec::new(),
            vote_times: Vec::new(),
            hashes_at: None,
            last_hashes: None,
            tty: std::io::stdout().is_terminal(),
            drawn: 0,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    /// Blocks mined since the start.
    pub fn blocks_mined(&self) -> u64 {
        self.start_height
            .map_or(0, |s| self.height.saturating_sub(s))
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
            self.start_height.get_or_insert(tip.height);
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

    /// The whole chain, one export line per block.
    pub async fn chain_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut from = 0;
        while let Ok(page) = self.client.blocks(from, 1000).await {
            if page.is_empty() {
                break;
            }
            from += page.len() as u64;
            out.extend(page.iter().map(chain::export::line));
        }
        out
    }

    fn lines(&self) -> Vec<String> {
        let statuses: Vec<CoordinatorStatus> = self
            .statuses
            .iter()
            .filter_map(|s| s.borrow().clone())
            .collect();
        let leader = statuses.iter().find(|s| s.node.leading);
        let mut lines = vec![format!(
            "blocks {}/{}  height {}  tip {}  elapsed {:.1} s",
            self.blocks_mined(),
            self.target,
            self.height,
            self.tip.get(..16).unwrap_or(""),
            self.started.elapsed().as_secs_f64()
        )];
        match leader {
            Some(l) => {
                lines.push(format!(
                    "leader c{} (epoch {}): {}",
                    l.node.id, l.node.epoch, l.node.work
                ));
                if let Some(b) = &l.node.best.interval {
                    lines.push(format!("best so far: {}", b.text));
                }
                if let Some(j) = &l.node.job {
                    let c = j.coverage;
                    let pct = |n: u64| 100.0 * n as f64 / c.total.max(1) as f64;
                    lines.push(format!(
                        "job {} for height {} at time {}, {} zero bits: {:.2}% scanned, {:.2}% leased, {:.2}% free of {}",
                        j.job, j.height, j.time, j.zero_bits, pct(c.scanned), pct(c.leased), pct(c.free), c.total
                    ));
                }
            }
            None => lines.push("no leader yet".into()),
        }
        let snaps: Vec<_> = self.probes.iter().filter_map(|p| p.snapshot()).collect();
        let total: f64 = snaps.iter().map(|s| f64::from(s.hashrate)).sum();
        let expected = if total > 0.0 {
            format!("{:.1} s", 2f64.powi(i32::from(self.zero_bits)) / total)
        } else {
            "-".into()
        };
        lines.push(format!(
            "{} miners, {} in total; expected time to the next block {expected}",
            snaps.len(),
            mhs(total)
        ));
        for s in snaps {
            lines.push(format!(
                "  {:<6} {:>12}  {:<16} leader {}",
                s.id.to_string(),
                mhs(f64::from(s.hashrate)),
                s.state.to_string(),
                s.leader.map_or("-".into(), |l| l.to_string())
            ));
        }
        lines
    }

    fn draw(&mut self) {
        let lines = self.lines();
        let mut out = std::io::stdout().lock();
        if self.tty {
            if self.drawn > 0 {
                let _ = write!(out, "\x1b[{}A\x1b[J", self.drawn);
            }
            for l in &lines {
                let _ = writeln!(out, "{l}");
            }
            self.drawn = lines.len();
        } else if self.last_line.elapsed() >= Duration::from_secs(2) {
            self.last_line = Instant::now();
            let _ = writeln!(
                out,
                "{}",
                lines
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
        let _ = out.flush();
    }
}

impl Report {
    /// Prints the summary.
    pub fn print(&self) {
        let secs = self.elapsed.as_secs_f64();
        println!();
        if self.interrupted {
            println!("interrupted");
        }
        println!(
            "mined {} blocks in {:.1} s: {:.1} blocks per minute",
            self.blocks,
            secs,
            self.blocks as f64 * 60.0 / secs.max(1e-9)
        );
        match self.aggregate {
            Some(a) => println!(
                "hash rate: {} for the whole fleet, against {} for the kernels measured alone ({:.0}%)",
                mhs(a),
                mhs(self.sum_alone),
                100.0 * a / self.sum_alone.max(1.0)
            ),
            None => println!("hash rate: not enough time to measure"),
        }
        let mut l = self.stop_latencies.clone();
        l.sort();
        if let (Some(max), false) = (l.last(), l.is_empty()) {
            println!(
                "from a verified solution to the last miner stopping: median {} ms, max {} ms, over {} blocks",
                l[l.len() / 2].as_millis(),
                max.as_millis(),
                l.len()
            );
        }
        println!("{}", self.votes.line());
    }
}
