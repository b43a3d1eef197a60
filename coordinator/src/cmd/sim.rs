//! `coordinator sim`: N host-simulated miners in one process. Coordinators
//! come from `--coordinator` (addresses or hostnames), the registry
//! directory, or the LAN (`--discover`: the broadcast `Discover` boards
//! send).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use protocol::MinerId;

use super::{
    CommandError, Failure, NodeArgs, UsageError, check_fleet, flags, init_logging, kernel_and_rate,
    load_key, open_registry, parse_chaos, runtime, shutdown_signal,
};
use crate::driver::net::default_broadcast;
use crate::driver::resolve::HostPort;
use crate::driver::warnings::{WarningKind, Warnings};
use crate::random::{self, RandomError};
use crate::sim::{self, Fleet, FleetReach};

/// Arguments of `sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// A coordinator's UDP address, HOST:PORT (repeat for each; a hostname
    /// is looked up at start and again while miners hear no coordinator).
    /// Without any, the registry directory is read (or, with --discover,
    /// the LAN searched).
    #[arg(long = "coordinator", value_name = "HOST:PORT", value_parser = flags::host_port)]
    pub coordinators: Vec<HostPort>,
    /// Find coordinators on the LAN by broadcasting `Discover` while no
    /// leader is known, as boards do.
    #[arg(long)]
    pub discover: bool,
    /// Where --discover broadcasts (repeat for several networks) [default:
    /// the broadcast address of every network this machine is on, port
    /// 7411].
    #[arg(long, value_name = "IP:PORT")]
    pub broadcast: Vec<SocketAddr>,
    /// How many miners (1 to 1024).
    #[arg(long, default_value_t = 1, value_parser = flags::miners)]
    pub miners: u32,
    /// Threads per miner (1 to 1024; at most 4096 for all the miners).
    #[arg(long, default_value_t = 1, value_parser = flags::threads)]
    pub threads: usize,
    /// Cluster key and heartbeat.
    #[command(flatten)]
    pub node: NodeArgs,
    /// Registry directory to find coordinators in.
    #[arg(long)]
    pub registry: Option<PathBuf>,
    /// Id of the first miner, 0 to 4294967295 (default: random); the
    /// others follow.
    #[arg(long, value_parser = flags::miner_id)]
    pub first_id: Option<MinerId>,
    /// Kernel backend (default: the fastest this CPU supports).
    #[arg(long)]
    pub backend: Option<String>,
    /// Fault injection on sent datagrams, `SEED:DROP:DUP:DELAY_MS` (testing).
    #[arg(long, hide = true)]
    pub chaos: Option<String>,
}

/// Runs `sim` until Ctrl-C or SIGTERM.
pub fn run(args: &SimArgs) -> Result<ExitCode, CommandError> {
    super::output::keep_running();
    init_logging("info");
    check_fleet(args.miners, args.threads)?;
    if let Some(first) = args.first_id
        && first.0.checked_add(args.miners - 1).is_none()
    {
        return Err(UsageError::Flag(format!(
            "--first-id {} with --miners {} would number miners past {}, the largest miner id",
            first.0,
            args.miners,
            u32::MAX
        ))
        .into());
    }
    let heartbeat = args.node.heartbeat();
    let key = load_key(args.node.key_file.as_deref(), args.node.insecure)?;
    let chaos = parse_chaos(args.chaos.as_deref())?;
    let registry = open_registry(
        args.registry.as_deref(),
        !args.coordinators.is_empty() || args.discover,
    )?;
    let (kernel, rate) = kernel_and_rate(args.backend.as_deref())?;
    let first_id = match args.first_id {
        Some(id) => id.0,
        None => random_first_id().map_err(Failure::from)?,
    };
    let warnings = Arc::new(Warnings::new());
    let reach = FleetReach {
        names: args
            .coordinators
            .iter()
            .filter(|c| c.is_name())
            .cloned()
            .collect(),
        broadcast: match (args.discover, args.broadcast.is_empty()) {
            (false, _) => Vec::new(),
            (true, true) => default_broadcast(),
            (true, false) => args.broadcast.clone(),
        },
        warnings: Arc::clone(&warnings),
    };
    runtime()?.block_on(async move {
        let mut coordinators = Vec::new();
        for c in &args.coordinators {
            match c.resolve_all().await {
                Ok(addrs) => coordinators.extend(addrs.into_iter().take(4)),
                Err(e) => warnings.raise(
                    WarningKind::Unresolved,
                    c.to_string(),
                    format!("coordinator {c}: cannot resolve: {e}; retrying"),
                ),
            }
        }
        let fleet = Fleet {
            miners: args.miners,
            threads: args.threads,
            first_id,
            kernel,
            kernel_rate: rate as u32,
            key,
            coordinators,
            registry,
            heartbeat,
            chaos,
            reach,
        };
        tracing::info!(
            miners = fleet.miners,
            threads = fleet.threads,
            first_id,
            backend = %fleet.kernel.backend(),
            "starting simulated miners"
        );
        let mut running = sim::start(fleet)
            .await
            .map_err(|e| Failure::resources("the miner sockets", e))?;
        let failed = tokio::select! {
            () = shutdown_signal() => None,
            failed = running.failure() => Some(failed),
        };
        running.stop().await;
        match failed {
            None => Ok(ExitCode::SUCCESS),
            Some(failed) => Err(Failure::from(failed).into()),
        }
    })
}

/// A random first id, so that two `sim` processes do not collide.
fn random_first_id() -> Result<u32, RandomError> {
    Ok(random::u32()? & 0x7fff_0000)
}
