//! The command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::{UsageError, bench, chain_cmd, scan_cmd};

/// Distributed proof-of-work mining: coordinators, miners and tools.
#[derive(Debug, Parser)]
#[command(name = "coordinator", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Mine or verify one header over a nonce range.
    Scan(scan_cmd::ScanArgs),
    /// Measure every hashing method this build has, side by side.
    Bench(bench::BenchArgs),
    /// Serve the chain service (the blocks every coordinator shares) on an
    /// SQLite file, or export that file's chain as text.
    Chain(chain_cmd::ChainArgs),
}

/// Parses the command line and runs it. Bad input exits with status 2.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result: Result<ExitCode, UsageError> = match &cli.command {
        Command::Scan(args) => scan_cmd::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Chain(args) => chain_cmd::run(args),
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })
}
