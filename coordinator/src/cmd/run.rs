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
    NodeArgs, check_heartbeat, init_logging, kernel_and_rate, load_key, open_registry, parse_chaos,
    runtime, shutdown_signal,
};
use crate::UsageError;
use crate::chain_http::HttpChain;
use crate::driver::status_http::serve_status;
use crate::driver::{NodeDeps, run_node};
use crate::node::NodeConfig;
use crate::sim::{self, Fleet};

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// This coordinator's id (1, 2, 3...; the lowest id that is up leads).
    #[arg(long)]
    pub id: u16,
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
    /// Cluster key and heartbeat.
    #[command(flatten)]
    pub node: NodeArgs,
    /// A peer is down after this many missed heartbeat intervals.
    #[arg(long, default_value_t = 2)]
    pub down_after: u32,
    /// Mine with this many local threads too.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Registry directory (default: used only without --peer).
    #[arg(long)]
    pub registry: Option<PathBuf>,
    /// Serve the status as JSON on this TCP address (GET /status).
    #[arg(long)]
    pub status: Option<SocketAddr>,
    /// Lease size before a miner's rate is known.
    #[arg(long, default_value_t = 100_000)]
    pub chunk: u64,
    /// Seconds a lease should take a miner at its measured rate.
    #[arg(long, default_value_t = 2.0)]
    pub chunk_secs: f64,
    /// Failed claims after which a miner is ignored.
    #[arg(long, default_value_t = 3)]
    pub ban_after: u32,
    /// Kernel backend for local threads.
    #[arg(long)]
    pub backend: Option<String>,
    /// Fault injection on sent datagrams, `SEED:DROP:DUP:DELAY_MS` (testing).
    #[arg(long, hide = true)]
    pub chaos: Option<String>,
}

/// Parses `ID@ADDR`.
pub fn parse_peer(text: &str) -> Result<(CoordinatorId, SocketAddr), String> {
    let (id, addr) = text
        .split_once('@')
        .ok_or_else(|| format!("{text:?}: expected ID@ADDR, e.g. 2@127.0.0.1:7412"))?;
    let id: u16 = id
        .parse()
        .ok()
        .filter(|&i| i != 0)
        .ok_or_else(|| format!("{text:?}: the id must be a number from 1 to 65535"))?;
    let addr = addr
        .parse()
        .map_err(|_| format!("{text:?}: {addr:?} is not an address like 127.0.0.1:7412"))?;
    Ok((CoordinatorId(id), addr))
}

/// The node configuration from the arguments, checked.
pub fn node_config(args: &RunArgs) -> Result<NodeConfig, UsageError> {
    if args.id == 0 {
        return Err(UsageError("--id must be from 1 to 65535".into()));
    }
    let heartbeat = check_heartbeat(args.node.heartbeat_ms)?;
    if args.down_after == 0 || args.ban_after == 0 || args.chunk == 0 {
        return Err(UsageError(
            "--down-after, --ban-after and --chunk must be at least 1".into(),
        ));
    }
    if !(args.chunk_secs.is_finite() && args.chunk_secs > 0.0 && args.chunk_secs <= 3600.0) {
        return Err(UsageError(format!(
            "--chunk-secs must be between 0 and 3600, got {}",
            args.chunk_secs
        )));
    }
    Ok(NodeConfig {
        down_after: args.down_after,
        chunk_default: args.chunk,
        chunk_target: Duration::from_secs_f64(args.chunk_secs),
        ban_after: args.ban_after,
        ..NodeConfig::with_heartbeat(CoordinatorId(args.id), heartbeat)
    })
}

/// Runs `run` until Ctrl-C or SIGTERM.
pub fn run(args: &RunArgs) -> Result<ExitCode, UsageError> {
    init_logging("info");
    let cfg = node_config(args)?;
    let key = load_key(args.node.key_file.as_deref(), args.node.insecure)?;
    let chain = HttpChain::new(&args.chain).map_err(|e| UsageError(format!("--chain: {e}")))?;
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
            .map_err(|e| UsageError(format!("cannot listen on {}: {e}", args.listen)))?;
        let listen = socket.local_addr().map_err(|e| UsageError(e.to_string()))?;
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
                .map_err(|e| UsageError(format!("--status {addr}: {e}")))?;
            let local = listener
                .local_addr()
                .map_err(|e| UsageError(e.to_string()))?;
            println!("status on http://{local}/status");
            tokio::spawn(serve_status(listener, status_rx, stopped(stop_rx.clone())));
        }
        let _ = std::io::Write::flush(&mut std::io::stdout());
        let fleet = match kernel {
            Some((kernel, rate)) => {
                let me = if listen.ip().is_unspecified() {
                    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), listen.port())
                } else {
                    listen
                };
                let fleet = Fleet {
                    miners: 1,
                    threads: args.threads,
                    first_id: 0xC000_0000 | u32::from(args.id),
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
                        .map_err(|e| UsageError(e.to_string()))?,
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
        let result = run_node(socket, cfg, deps, shutdown_signal()).await;
        let _ = stop_tx.send(true);
        if let Some(f) = fleet {
            f.stop().await;
        }
        result.map_err(|e| UsageError(format!("coordinator failed: {e}")))?;
        Ok(ExitCode::SUCCESS)
    })
}
