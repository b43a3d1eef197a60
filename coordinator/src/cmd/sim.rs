//! `coordinator sim`: N host-simulated miners in one process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{
    NodeArgs, check_heartbeat, init_logging, kernel_and_rate, load_key, open_registry, parse_chaos,
    runtime, shutdown_signal,
};
use crate::UsageError;
use crate::random::{self, RandomError};
use crate::sim::{self, Fleet};

/// Arguments of `sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// A coordinator's UDP address (repeat for each). Without any, the
    /// registry directory is read.
    #[arg(long = "coordinator", value_name = "ADDR")]
    pub coordinators: Vec<SocketAddr>,
    /// How many miners.
    #[arg(long, default_value_t = 1)]
    pub miners: u32,
    /// Threads per miner.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Cluster key and heartbeat.
    #[command(flatten)]
    pub node: NodeArgs,
    /// Registry directory to find coordinators in.
    #[arg(long)]
    pub registry: Option<PathBuf>,
    /// Id of the first miner (default: random); the others follow.
    #[arg(long)]
    pub first_id: Option<u32>,
    /// Kernel backend (default: the fastest this CPU supports).
    #[arg(long)]
    pub backend: Option<String>,
    /// Fault injection on sent datagrams, `SEED:DROP:DUP:DELAY_MS` (testing).
    #[arg(long, hide = true)]
    pub chaos: Option<String>,
}

/// Runs `sim` until Ctrl-C or SIGTERM.
pub fn run(args: &SimArgs) -> Result<ExitCode, UsageError> {
    init_logging("info");
    if args.miners == 0 || args.threads == 0 {
        return Err(UsageError(
            "--miners and --threads must be at least 1".into(),
        ));
    }
    let heartbeat = check_heartbeat(args.node.heartbeat_ms)?;
    let key = load_key(args.node.key_file.as_deref(), args.node.insecure)?;
    let chaos = parse_chaos(args.chaos.as_deref())?;
    let registry = open_registry(args.registry.as_deref(), !args.coordinators.is_empty())?;
    let (kernel, rate) = kernel_and_rate(args.backend.as_deref())?;
    let first_id = match args.first_id {
        Some(id) => id,
        None => random_first_id().map_err(|e| UsageError(e.to_string()))?,
    };
    let fleet = Fleet {
        miners: args.miners,
        threads: args.threads,
        first_id,
        kernel,
        kernel_rate: rate as u32,
        key,
        coordinators: args.coordinators.clone(),
        registry,
        heartbeat,
        chaos,
    };
    runtime()?.block_on(async move {
        tracing::info!(
            miners = fleet.miners,
            threads = fleet.threads,
            first_id,
            backend = %fleet.kernel.backend(),
            "starting simulated miners"
        );
        let running = sim::start(fleet)
            .await
            .map_err(|e| UsageError(format!("cannot bind miner sockets: {e}")))?;
        shutdown_signal().await;
        running.stop().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// A random first id, so that two `sim` processes do not collide.
fn random_first_id() -> Result<u32, RandomError> {
    Ok(random::u32()? & 0x7fff_0000)
}
