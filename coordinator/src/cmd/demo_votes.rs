//! The demo's account of the votes on solutions: what each added between
//! a verified solution and its submission.

use std::time::Duration;

/// What the votes on solutions added, as the summary reports it.
#[derive(Debug)]
pub struct VoteReport {
    /// Whether solutions were put to a vote.
    pub on: bool,
    /// Coordinators in the demo.
    pub coordinators: u16,
    /// From each verified solution to the vote's decision (and so to the
    /// submission).
    pub times: Vec<Duration>,
}

impl VoteReport {
    /// The summary's line.
    pub fn line(&self) -> String {
        let mut t = self.times.clone();
        t.sort();
        let ms = |d: &Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
        match (t.last(), self.on) {
            (_, false) => {
                "votes off: each solution is submitted once the leader has checked it".into()
            }
            (None, true) if self.coordinators == 1 => {
                "the vote: one coordinator, its own check decides (nothing added)".into()
            }
            (None, true) => "the vote: no vote was held".into(),
            (Some(max), true) => format!(
                "the vote of {} coordinators added, from a verified solution to its submission: median {}, max {}, over {} solutions",
                self.coordinators,
                ms(&t[t.len() / 2]),
                ms(max),
                t.len()
            ),
        }
    }
}
