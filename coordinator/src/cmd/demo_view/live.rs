//! The live view: the lines drawn each tick (the tip, the leader's job and
//! its coverage, every miner, the last block, the newest warning), redrawn
//! in place on a terminal and sampled every two seconds otherwise. Apart
//! from the measuring, which runs whether anything is drawn or not.

use std::time::{Duration, Instant};

use super::Observer;
use super::text::{age, local_time, mhs, unix_now};
use crate::cmd::output::{self, outln};
use crate::cmd::screen::Size;
use crate::driver::CoordinatorStatus;

impl Observer {
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

    pub(super) fn draw(&mut self) {
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
