//! How many miners one coordinator serves: a chain service, one coordinator
//! (`coordinator run`, in a process of its own so that its CPU time and
//! memory are its own) and a load of throttled miners (`sim --rate`'s,
//! in this process), at each fleet size in turn.
//!
//! ```sh
//! cargo run --release -p coordinator --example fleet -- [--sizes 100,1000,10000] [--rate 1000] \
//!     [--seconds 30] [--heartbeat-ms 5000] [--ramp-ms MS] [--blocks-every S] [--json]
//! ```
//!
//! For each size it starts the miners over one heartbeat interval (as a
//! fleet powered on together joins over a few seconds; `--ramp-ms 0`
//! starts them all at once), waits two more intervals, then measures for
//! `--seconds`: the
//! leader's CPU time per second, the wait from a miner's work request to
//! its `Process` (at the miners), heartbeats and answers the leader handled
//! per second, datagrams refused (by the leader's and the miners' frame
//! checks and state machines) and dropped (by full socket buffers), the
//! leader's resident memory per miner, and whether every miner got work
//! within two heartbeat intervals of starting.
#![allow(clippy::print_stdout)]

mod proc;
mod report;
mod run;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use coordinator::cmd::flags;
use coordinator::cmd::run::RunArgs;

/// Measures one coordinator leading fleets of throttled miners.
#[derive(Debug, Parser)]
#[command(name = "fleet")]
struct Cli {
    #[command(subcommand)]
    role: Option<Role>,
    /// Fleet sizes, in order (each 1 to 100000).
    #[arg(long, value_delimiter = ',', default_value = "100,1000,10000",
          value_parser = flags::load_miners)]
    sizes: Vec<u32>,
    /// Hashes per second of each miner (1 to 100000000). The leader's work
    /// does not depend on it (a lease takes two seconds at any rate above
    /// 128 H/s); the load's hashing does.
    #[arg(long, default_value_t = 250, value_parser = flags::load_rate)]
    rate: u32,
    /// Seconds measured per size, after the warm-up (above 0, at most 3600).
    #[arg(long, default_value_t = 30.0, value_parser = flags::seconds)]
    seconds: f64,
    /// Heartbeat interval, milliseconds (10 to 600000).
    #[arg(long, default_value_t = 5000, value_parser = flags::heartbeat_ms)]
    heartbeat_ms: u64,
    /// Start the miners evenly over this many milliseconds (0 to 600000;
    /// default: one heartbeat interval).
    #[arg(long, value_parser = flags::ramp_ms)]
    ramp_ms: Option<u64>,
    /// The chain's difficulty: high, so that no block ends a job while
    /// measuring (1 to 255).
    #[arg(long, default_value_t = 48, value_parser = flags::chain_zero_bits)]
    zero_bits: u8,
    /// Instead of `--zero-bits`: the difficulty that gives a block about
    /// this often at the fleet's rate, so that job changes (an interrupt to
    /// every miner, then every miner asking for work) are measured too
    /// (above 0, at most 3600).
    #[arg(long, value_parser = flags::seconds)]
    blocks_every: Option<f64>,
    /// Kernel backend of the miners (default: the fastest).
    #[arg(long)]
    backend: Option<String>,
    /// One JSON object per size instead of the table.
    #[arg(long)]
    json: bool,
    /// Another build of this benchmark (`target/release/examples/fleet`
    /// of an older commit, say) whose coordinator is measured too, just
    /// before this build's at each size, with the same load: a side-by-side
    /// comparison on a noisy machine.
    #[arg(long)]
    baseline: Option<std::path::PathBuf>,
}

impl Cli {
    /// How long the miners take to start.
    fn ramp(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.ramp_ms.unwrap_or(self.heartbeat_ms))
    }
}

#[derive(Debug, Subcommand)]
enum Role {
    /// The coordinator's process (started by the benchmark itself).
    #[command(hide = true)]
    Leader(LeaderArgs),
}

#[derive(Debug, clap::Args)]
struct LeaderArgs {
    #[command(flatten)]
    run: RunArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Role::Leader(args)) = &cli.role {
        return match coordinator::cmd::run::run(&args.run) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("error: {e}");
                e.exit_code()
            }
        };
    }
    coordinator::cmd::init_logging("warn");
    let own = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("error: cannot find this program: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut leaders = Vec::new();
    if let Some(b) = &cli.baseline {
        leaders.push(("baseline", b.clone()));
    }
    leaders.push(("this build", own));
    let mut rows = Vec::new();
    for &miners in &cli.sizes {
        for (label, exe) in &leaders {
            match run::measure(&cli, miners, label, exe) {
                Ok(row) => {
                    if cli.json {
                        println!("{}", serde_json::to_string(&row).unwrap_or_default());
                    } else {
                        eprintln!("{miners} miners, {label}: done");
                    }
                    rows.push(row);
                }
                Err(e) => {
                    eprintln!("error at {miners} miners, {label}: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    if !cli.json {
        report::print(&cli, &rows);
    }
    ExitCode::SUCCESS
}
