//! The command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cmd::config::{self, ParseError};
use crate::cmd::{
    CommandError, bench, chain as chain_cmd, demo, keygen, output, run, scan, sim, wallet,
};

/// Distributed proof-of-work mining: coordinators, miners and tools.
#[derive(Debug, Parser)]
#[command(name = "coordinator", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Read flags not given on the command line from this TOML file
    /// (default: $COORDINATOR_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole system on this machine and mine a few blocks.
    Demo(demo::DemoArgs),
    /// Run one coordinator node.
    Run(run::RunArgs),
    /// Run simulated miners.
    Sim(sim::SimArgs),
    /// Make a new random cluster key (64 hex characters).
    Keygen(keygen::KeygenArgs),
    /// Mine or verify one header over a nonce range.
    Scan(scan::ScanArgs),
    /// Measure every hashing method this build has, side by side.
    Bench(bench::BenchArgs),
    /// Serve the chain service (the blocks every coordinator shares) on an
    /// SQLite file, or export that file's chain as text.
    Chain(chain_cmd::ChainArgs),
    /// Keys, balances, transfers, deposits, orders and the book, against a
    /// chain service.
    Wallet(wallet::WalletArgs),
}

/// Parses the command line and runs it. Bad input exits with status 2, a
/// failure while running with status 1 (see [`CommandError`]).
pub fn run() -> ExitCode {
    let argv = std::env::args_os().collect();
    let cli: Cli = match config::parse(argv, &config::process_env) {
        Ok(cli) => cli,
        Err(ParseError::Clap(e)) => e.exit(),
        Err(ParseError::Config(e)) => {
            output::error_line(&e);
            return ExitCode::from(2);
        }
    };
    let result: Result<ExitCode, CommandError> = match &cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Run(args) => run::run(args),
        Command::Sim(args) => sim::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Chain(args) => chain_cmd::run(args),
        Command::Wallet(args) => wallet::run(args),
    };
    result.unwrap_or_else(|e| {
        output::error_line(&e);
        e.exit_code()
    })
}
