//! What the demo prints when it ends: the summary of what it measured and
//! the whole chain. Apart from the live view, which is drawn while the demo
//! runs and is gone when it ends.

use std::time::Duration;

use super::text::{local_time, mhs};
use super::{Observer, VoteReport};
use crate::cmd::output::outln;

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

impl Observer {
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
