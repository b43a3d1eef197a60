//! The demo's live progress and final report. It watches the coordinators'
//! status, the miners' probes, the nodes' events and the chain's tip, and
//! measures what the demo reports: blocks per minute, the aggregate rate,
//! and the time from each solution to the last miner stopping. On a
//! terminal the view is redrawn in place at any size (`screen`); times are
//! local times and ages.

use std::future::Future;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chain::ChainClient;
use protocol::JobRef;
use tokio::sync::{mpsc, watch};

use super::output::{self, outln};
use super::screen::{Screen, Size};
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
    screen: Screen,
    last_block: Option<chain::api::Block>,
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
            screen: Screen::new(),
            last_block: None,
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

    /// The whole chain, one line per block, readable at 80 columns.
    pub async fn chain_lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "{:>6}  {:<10}  {:<43}  miner",
            "height", "mined at", "hash"
        )];
        let mut from = 0;
        while let Ok(page) = self.client.blocks(from, 1000).await {
            if page.is_empty() {
                break;
            }
            from += page.len() as u64;
            out.extend(page.iter().map(|b| {
                let hash = b.hash.to_string();
                format!(
                    "{:>6}  {:<10}  {}...  {}",
                    b.height,
                    local_time(u64::from(b.header.time)),
                    hash.get(..40).unwrap_or(&hash),
                    if b.height == 0 { "(genesis)" } else { &b.miner }
                )
            }));
        }
        out
    }

    fn lines(&self, width: usize) -> Vec<String> {
        let statuses: Vec<CoordinatorStatus> = self
            .statuses
            .iter()
            .filter_map(|s| s.borrow().clone())
            .collect();
        let leader = statuses.iter().find(|s| s.node.leading);
        let mut lines = vec![format!(
            "blocks {}/{}  height {}  tip {}  elapsed {:.0} s  {}",
            self.blocks_mined(),
            self.target,
            self.height,
            self.tip.get(..16).unwrap_or(""),
            self.started.elapsed().as_secs_f64(),
            local_time(unix_now())
        )];
        match leader {
            Some(l) => {
                lines.push(format!(
                    "leader c{}, epoch {}: {}",
                    l.node.id, l.node.epoch, l.node.work
                ));
                if let Some(b) = &l.node.best.interval {
                    lines.push(format!("best so far: {}", b.text));
                }
                if let Some(j) = &l.node.job {
                    let c = j.coverage;
                    let pct = |n: u64| 100.0 * n as f64 / c.total.max(1) as f64;
                    lines.push(format!(
                        "job {} for height {}, {} zero bits, stamped {} ({})",
                        j.job,
                        j.height,
                        j.zero_bits,
                        local_time(u64::from(j.time)),
                        age(j.age_secs)
                    ));
                    let bar = width.saturating_sub(40).clamp(10, 50);
                    lines.push(format!(
                        "[{}] {:.1}% scanned {:.1}% leased {:.1}% free",
                        coverage_bar(c.scanned, c.leased, c.total, bar),
                        pct(c.scanned),
                        pct(c.leased),
                        pct(c.free)
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
            "{} miners, {} in total; next block expected in {expected}",
            snaps.len(),
            mhs(total)
        ));
        lines.push(format!(
            "  {:<8} {:>12}  {:<18} {:<7} {:>6}  heard",
            "miner", "rate", "state", "leader", "blocks"
        ));
        let now = Instant::now();
        for s in snaps {
            lines.push(format!(
                "  {:<8} {:>12}  {:<18} {:<7} {:>6}  {}",
                format!("host {}", s.id),
                mhs(f64::from(s.hashrate)),
                s.state.to_string(),
                s.leader.map_or("-".into(), |l| l.to_string()),
                s.solutions,
                s.heard_at
                    .map_or("never".into(), |t| age(now.duration_since(t).as_secs_f64()))
            ));
        }
        if let Some(b) = self.last_block.as_ref().filter(|b| b.height > 0) {
            lines.push(format!(
                "last block: height {} by {}, mined {} ({})",
                b.height,
                b.miner,
                local_time(u64::from(b.header.time)),
                age(unix_now().saturating_sub(u64::from(b.header.time)) as f64)
            ));
        }
        let warnings = statuses.iter().flat_map(|s| s.warnings.iter());
        if let Some(w) = warnings.max_by_key(|w| w.time) {
            lines.push(format!("warning: {} (x{})", w.text, w.count));
        }
        lines
    }

    fn draw(&mut self) {
        if self.tty {
            let size = Size::now();
            let lines = self.lines(usize::from(size.cols));
            let bytes = self.screen.frame(&lines, size);
            output::write_or_close(&mut std::io::stdout().lock(), bytes.as_bytes());
        } else if self.last_line.elapsed() >= Duration::from_secs(2) {
            self.last_line = Instant::now();
            let lines = self.lines(80);
            let head: Vec<&str> = lines.iter().take(2).map(String::as_str).collect();
            outln!("{}", head.join(" | "));
        }
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `unix` as this machine's local time: `HH:MM:SS` today, the date before.
pub fn local_time(unix: u64) -> String {
    use chrono::{Local, TimeZone};
    let Some(t) = i64::try_from(unix)
        .ok()
        .and_then(|u| Local.timestamp_opt(u, 0).single())
    else {
        return "-".into();
    };
    if t.date_naive() == Local::now().date_naive() {
        t.format("%H:%M:%S").to_string()
    } else {
        t.format("%Y-%m-%d").to_string()
    }
}

/// An age in words: `4 s ago`, `3 min ago`, `2 h ago`.
pub fn age(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    match s {
        0..=119 => format!("{s} s ago"),
        120..=7199 => format!("{} min ago", s / 60),
        7200..=172_799 => format!("{} h ago", s / 3600),
        _ => format!("{} days ago", s / 86_400),
    }
}

/// The nonce range as a bar of `width` cells: `#` scanned, `=` leased, `.`
/// free.
fn coverage_bar(scanned: u64, leased: u64, total: u64, width: usize) -> String {
    let cells = |n: u64| ((n as f64 / total.max(1) as f64) * width as f64).round() as usize;
    let s = cells(scanned).min(width);
    let l = cells(leased).min(width - s);
    format!(
        "{}{}{}",
        "#".repeat(s),
        "=".repeat(l),
        ".".repeat(width - s - l)
    )
}

impl Report {
    /// Prints the summary.
    pub fn print(&self) {
        let secs = self.elapsed.as_secs_f64();
        outln!();
        if self.interrupted {
            outln!("interrupted");
        }
        outln!(
            "mined {} blocks in {:.1} s: {:.1} blocks per minute",
            self.blocks,
            secs,
            self.blocks as f64 * 60.0 / secs.max(1e-9)
        );
        match self.aggregate {
            Some(a) => outln!(
                "hash rate: {} for the fleet, {} for its kernels alone ({:.0}%)",
                mhs(a),
                mhs(self.sum_alone),
                100.0 * a / self.sum_alone.max(1.0)
            ),
            None => outln!("hash rate: not enough time to measure"),
        }
        let mut l = self.stop_latencies.clone();
        l.sort();
        if let (Some(max), false) = (l.last(), l.is_empty()) {
            outln!(
                "solution verified to last miner stopped: median {} ms, max {} ms ({} blocks)",
                l[l.len() / 2].as_millis(),
                max.as_millis(),
                l.len()
            );
        }
        outln!("{}", self.votes.line());
    }
}
