//! `coordinator run`: one coordinator node, optionally mining with local
//! threads.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use protocol::CoordinatorId;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;

use super::{
    CommandError, Failure, NodeArgs, UsageError, flags, init_logging, kernel_and_rate, load_key,
    open_registry, parse_chaos, runtime, shutdown_signal,
};
use crate::chain_http::HttpChain;
use crate::driver::status_http::serve_status;
use crate::driver::{NodeDeps, run_node};
use crate::node::{CoordinatorConfig, Quorum};
use crate::sim::{self, Fleet};

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// This coordinator's id, 1 to 65535 (the lowest id that is up leads).
    #[arg(long, value_parser = flags::coordinator_id)]
    pub id: CoordinatorId,
    /// UDP address to listen on.
    #[arg(long, default_value = "127.0.0.1:7411")]
    pub listen: SocketAddr,
    /// A peer coordinator, `ID@ADDR` (repeat for each). Without any, peers
    /// are found in the registry directory.
    #[arg(long = "peer", value_name = "ID@ADDR", value_parser = parse_peer)]
    pub peers: Vec<(CoordinatorId, SocketAddr)>,
    /// Base URL of the chain service, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    pub chain: String,
    /// The address this node's blocks pay their reward to (40 hex
    /// characters). Default: the cluster's payout address, derived from the
    /// cluster key (`wallet new --from-cluster-key FILE` prints its key).
    #[arg(long, value_parser = super::wallet::parse_address)]
    pub payout: Option<chain::ledger::Address>,
    /// Cluster key and heartbeat.
    #[command(flatten)]
    pub node: NodeArgs,
    /// A peer is down after this many missed heartbeat intervals (1 to 100).
    #[arg(long, default_value_t = 2, value_parser = flags::down_after)]
    pub down_after: u32,
    /// Mine with this many local threads too (0 to 1024).
    #[arg(long, default_value_t = 0, value_parser = flags::local_threads)]
    pub threads: usize,
    /// Registry directory (default: used only without --peer).
    #[arg(long)]
    pub registry: Option<PathBuf>,
    /// Serve the status as JSON on this TCP address (GET /status).
    #[arg(long)]
    pub status: Option<SocketAddr>,
    /// Lease size before a miner's rate is known (1 to 2000000000).
    #[arg(long, default_value_t = 100_000, value_parser = flags::chunk)]
    pub chunk: u64,
    /// Seconds a lease should take a miner at its measured rate (at most
    /// 3600); 0 keeps every lease at --chunk nonces.
    #[arg(long, default_value_t = 2.0, value_parser = flags::chunk_secs)]
    pub chunk_secs: f64,
    /// Start a job only once this many miners are registered, and lease
    /// nothing new while fewer are (1 to 1000000).
    #[arg(long, default_value_t = 1, value_parser = flags::min_miners)]
    pub min_miners: u32,
    /// Start a job only once this many coordinators are up, this one
    /// included, and lease nothing new while fewer are (1 to 65535).
    #[arg(long, default_value_t = 1, value_parser = flags::min_coordinators)]
    pub min_coordinators: u16,
    /// Put each solution to a vote of the coordinators up before it is
    /// submitted (off: this coordinator's own check decides).
    #[arg(long, value_enum, default_value_t = Switch::On)]
    pub votes: Switch,
    /// Failed claims after which a miner is ignored (1 to 1000).
    #[arg(long, default_value_t = 3, value_parser = flags::ban_after)]
    pub ban_after: u32,
    /// Kernel backend for local threads.
    #[arg(long)]
    pub backend: Option<String>,
    /// Fault injection on sent datagrams, `SEED:DROP:DUP:DELAY_MS` (testing).
    #[arg(long, hide = true)]
    pub chaos: Option<String>,
}

/// On or off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    /// On.
    On,
    /// Off.
    Off,
}

/// Parses `ID@ADDR`; the id is checked as `--id` is.
pub fn parse_peer(text: &str) -> Result<(CoordinatorId, SocketAddr), String> {
    let (id, addr) = text
        .split_once('@')
        .ok_or_else(|| "expected ID@ADDR, e.g. 2@127.0.0.1:7412".to_owned())?;
    let id = flags::coordinator_id(id).map_err(|e| format!("the id {id:?} {e}"))?;
    let addr = addr
        .parse()
        .map_err(|_| format!("{addr:?} is not an address like 127.0.0.1:7412"))?;
    Ok((id, addr))
}

/// The node configuration from the arguments (each bounded by its parser)
/// and the cluster key (the default payout address follows from it).
pub fn node_config(args: &RunArgs, key: &protocol::ClusterKey) -> CoordinatorConfig {
    let heartbeat = args.node.heartbeat();
    CoordinatorConfig {
        payout: args
            .payout
            .unwrap_or_else(|| super::wallet::keys::payout_address(key)),
        down_after: args.down_after,
        chunk_default: args.chunk,
        chunk_target: Duration::from_secs_f64(args.chunk_secs),
        ban_after: args.ban_after,
        quorum: Quorum {
            miners: args.min_miners,
            coordinators: args.min_coordinators,
        },
        votes: args.votes == Switch::On,
        ..CoordinatorConfig::with_heartbeat(args.id, heartbeat)
    }
}

/// Runs `run` until Ctrl-C or SIGTERM.
pub fn run(args: &RunArgs) -> Result<ExitCode, CommandError> {
    init_logging("info");
    let key = load_key(args.node.key_file.as_deref(), args.node.insecure)?;
    let cfg = node_config(args, &key);
    tracing::info!(payout = %cfg.payout, "block rewards pay this address");
    let chain =
        HttpChain::new(&args.chain).map_err(|e| UsageError::Flag(format!("--chain: {e}")))?;
    let chaos = parse_chaos(args.chaos.as_deref())?;
    let registry = open_registry(args.registry.as_deref(), !args.peers.is_empty())?;
    let kernel = if args.threads > 0 {
        let (kernel, rate) = kernel_and_rate(args.backend.as_deref())?;
        Some((kernel, rate as u32))
    } else {
        None
    };

    runtime()?.block_on(async move {
        let socket = UdpSocket::bind(args.listen)
            .await
            .map_err(|source| UsageError::Address {
                flag: "--listen",
                addr: args.listen.to_string(),
                source,
            })?;
        let listen = socket
            .local_addr()
            .map_err(|e| Failure::resources("the UDP socket", e))?;
        let (status_tx, status_rx) = watch::channel(None);
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        // The first lines of output name the addresses, so that scripts and
        // tests can use port 0 and find what the system chose.
        println!("listening on udp://{listen}");
        if let Some(addr) = args.status {
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|source| UsageError::Address {
                    flag: "--status",
                    addr: addr.to_string(),
                    source,
                })?;
            let local = listener
                .local_addr()
                .map_err(|e| Failure::resources("the status server", e))?;
            println!("status on http://{local}/status");
            tokio::spawn(serve_status(listener, status_rx, stopped(stop_rx.clone())));
        }
        let _ = std::io::Write::flush(&mut std::io::stdout());
        let mut fleet = match kernel {
            Some((kernel, rate)) => {
                let me = if listen.ip().is_unspecified() {
                    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), listen.port())
                } else {
                    listen
                };
                let fleet = Fleet {
                    miners: 1,
                    threads: args.threads,
                    first_id: 0xC000_0000 | u32::from(args.id.0),
                    kernel,
                    kernel_rate: rate,
                    key: key.clone(),
                    coordinators: std::iter::once(me)
                        .chain(args.peers.iter().map(|p| p.1))
                        .collect(),
                    registry: registry.clone(),
                    heartbeat: cfg.heartbeat,
                    chaos,
                };
                Some(
                    sim::start(fleet)
                        .await
                        .map_err(|e| Failure::resources("the local miner", e))?,
                )
            }
            None => None,
        };
        let deps = NodeDeps {
            chain: Arc::new(chain),
            key,
            peers: args.peers.clone(),
            registry,
            chaos,
            status: Some(status_tx),
            events: None,
        };
        // The node stops on Ctrl-C or SIGTERM, or when the local miner
        // stops by itself (its threads could not start, say).
        let mut miner_failed = None;
        let stop = async {
            let failure = async {
                match fleet.as_mut() {
                    Some(f) => f.failure().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = shutdown_signal() => {}
                failed = failure => miner_failed = Some(failed),
            }
        };
        let result = run_node(socket, cfg, deps, stop).await;
        let _ = stop_tx.send(true);
        if let Some(f) = fleet {
            f.stop().await;
        }
        result.map_err(|source| Failure::Stopped {
            what: "the coordinator".into(),
            source,
        })?;
        match miner_failed {
            None => Ok(ExitCode::SUCCESS),
            Some(failed) => Err(Failure::from(failed).into()),
        }
    })
}
