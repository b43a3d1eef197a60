//! What start-up selection chooses on this machine, and why: the bench
//! reports the candidates' own measured figures next to its table.

use serde::Serialize;

use crate::cmd::output::outln;
use crate::mining::select::{ChosenBy, KernelChoice};

/// The selection's choice and the figures it was made from.
#[derive(Debug, Serialize)]
pub struct Selection {
    /// The kernel chosen: backend, and form where it has several
    /// (`avx512/short-chain`).
    pub kernel: String,
    /// How: `named`, `only-candidate` or `measured`.
    pub how: &'static str,
    /// The candidates as the selection measured them, in the order they
    /// took turns (empty unless `how` is `measured`).
    pub candidates: Vec<Candidate>,
}

/// One candidate of the selection's measurement.
#[derive(Debug, Serialize)]
pub struct Candidate {
    /// Backend, and form where it has several.
    pub name: String,
    /// Millions of hashes per second in its fastest batch, one thread.
    pub mhs: f64,
    /// Core cycles per nonce in that batch, at the bench's clock.
    pub cycles_per_nonce: Option<f64>,
}

impl Selection {
    /// `choice`, with cycles per nonce at `hz` where the clock is known.
    pub fn new(choice: &KernelChoice, hz: Option<f64>) -> Selection {
        Selection {
            kernel: choice.kernel.to_string(),
            how: match choice.how {
                ChosenBy::Named => "named",
                ChosenBy::OnlyCandidate => "only-candidate",
                ChosenBy::Measured => "measured",
            },
            candidates: choice
                .candidates
                .iter()
                .map(|&(kernel, rate)| Candidate {
                    name: kernel.to_string(),
                    mhs: rate / 1e6,
                    cycles_per_nonce: hz.map(|hz| hz / rate),
                })
                .collect(),
        }
    }

    /// The text report: the choice, why, and each candidate's figures.
    pub fn print(&self) {
        match self.how {
            "measured" => {
                outln!(
                    "selected at start-up: {}, the fastest of {} candidates (every backend \
                     this CPU has, in each form, that passed its self-test), measured taking \
                     turns, fastest batch of each:",
                    self.kernel,
                    self.candidates.len()
                );
                for c in &self.candidates {
                    let cycles = c.cycles_per_nonce.map_or("-".into(), |c| format!("{c:.0}"));
                    let mark = if c.name == self.kernel { " <-" } else { "" };
                    outln!(
                        "  {:<22} {:>6} cycles/nonce {:>8.2} MH/s{mark}",
                        c.name,
                        cycles,
                        c.mhs
                    );
                }
            }
            _ => outln!(
                "selected at start-up: {} (the only candidate: the only backend this CPU has \
                 that passed its self-test)",
                self.kernel
            ),
        }
    }
}
