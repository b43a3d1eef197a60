//! `coordinator run`: one coordinator node, optionally mining with local
//! threads. Addresses may be hostnames: they are looked up here, at start,
//! and the driver looks a silent peer's name up again.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use protocol::CoordinatorId;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;

use super::output::outln;
use super::{
    CommandError, Failure, NodeArgs, UsageError, flags, init_logging, kernel_and_rate, load_key,
    open_registry, parse_chaos, runtime, shutdown_signal,
};
use crate::chain_http::HttpChain;
use crate::driver::failover::ChainSet;
use crate::driver::net::{NetConfig, default_broadcast};
use crate::driver::resolve::HostPort;
use crate::driver::status_http::serve_status;
use crate::driver::warnings::{WarningKind, Warnings};
use crate::driver::{NodeDeps, run_node};
use crate::node::{CoordinatorConfig, Quorum};
use crate::sim::{self, Fleet, FleetReach};

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// This coordinator's id, 1 to 65535 (the lowest id that is up leads).
    #[arg(long, value_parser = flags::coordinator_id)]
    pub id: CoordinatorId,
    /// UDP address to listen on, HOST:PORT (0.0.0.0:7411 to hear the LAN:
    /// other machines, boards' broadcasts).
    #[arg(long, default_value = "127.0.0.1:7411", value_parser = flags::host_port)]
    pub listen: HostPort,
    /// A peer coordinator, `ID@HOST:PORT` (repeat for each; a hostname is
    /// looked up at start and again while the peer is silent). An entry
    /// with this node's own id and address is skipped, so every node can
    /// share one list. Without any, peers are found in the registry
    /// directory (or on the LAN with --discover).
    #[arg(long = "peer", value_name = "ID@HOST:PORT", value_parser = flags::peer)]
    pub peers: Vec<(CoordinatorId, HostPort)>,
    /// The address to give others for this node (the registry's entry, the
    /// leader's address for miners elsewhere), when it listens on 0.0.0.0
    /// or behind a name.
    #[arg(long, value_name = "HOST:PORT", value_parser = flags::host_port)]
    pub advertise: Option<HostPort>,
    /// Find the other coordinators on the LAN by broadcasting `Discover`,
    /// as boards do (no registry, no --peer needed; listen on 0.0.0.0 to
    /// be found too).
    #[arg(long)]
    pub discover: bool,
    /// Where --discover broadcasts (repeat for several networks) [default:
    /// the broadcast address of every network this machine is on, port
    /// 7411].
    #[arg(long, value_name = "IP:PORT")]
    pub broadcast: Vec<SocketAddr>,
    /// Base URL of the chain service, e.g. http://127.0.0.1:8080. Repeat
    /// for several instances serving one chain (on one PostgreSQL
    /// database): the first that answers is used, and the next when it
    /// fails or does not answer within half a heartbeat interval.
    #[arg(long, required = true, value_name = "URL")]
    pub chain: Vec<String>,
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
    /// Serve the status as JSON on this TCP address, HOST:PORT (GET
    /// /status).
    #[arg(long, value_parser = flags::host_port)]
    pub status: Option<HostPort>,
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
    super::output::keep_running();
    init_logging("info");
    let key = load_key(args.node.key_file.as_deref(), args.node.insecure)?;
    let mut cfg = node_config(args, &key);
    tracing::info!(payout = %cfg.payout, "block rewards pay this address");
    let timeout = protocol::timing::Timing::new(cfg.heartbeat).chain_call_timeout();
    let warnings = Arc::new(Warnings::new());
    let instances = args
        .chain
        .iter()
        .map(|url| {
            HttpChain::with_timeout(url, timeout)
                .map(|c| (url.clone(), c))
                .map_err(|e| UsageError::Flag(format!("--chain {url}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let chain = ChainSet::new(instances, timeout, Arc::clone(&warnings));
    let chaos = parse_chaos(args.chaos.as_deref())?;
    let registry = open_registry(
        args.registry.as_deref(),
        !args.peers.is_empty() || args.discover,
    )?;
    let kernel = if args.threads > 0 {
        let (kernel, rate) = kernel_and_rate(args.backend.as_deref())?;
        Some((kernel, rate as u32))
    } else {
        None
    };

    runtime()?.block_on(async move {
        let listen_at = resolve_own("--listen", &args.listen).await?;
        let socket = UdpSocket::bind(listen_at)
            .await
            .map_err(|source| UsageError::Address {
                flag: "--listen",
                addr: args.listen.to_string(),
                source,
            })?;
        let listen = socket
            .local_addr()
            .map_err(|e| Failure::resources("the UDP socket", e))?;
        let advertise = match &args.advertise {
            Some(a) => Some(resolve_own("--advertise", a).await?),
            None => None,
        };
        cfg.advertise = advertise;
        let peers = resolve_peers(args, listen, advertise, &warnings).await;
        let net = NetConfig {
            named_peers: args
                .peers
                .iter()
                .filter(|(id, _)| *id != args.id)
                .cloned()
                .collect(),
            advertise,
            broadcast: match (args.discover, args.broadcast.is_empty()) {
                (false, _) => Vec::new(),
                (true, true) => default_broadcast(),
                (true, false) => args.broadcast.clone(),
            },
        };
        say_where(listen, advertise, args.discover);
        let (status_tx, status_rx) = watch::channel(None);
        let (stop_tx, stop_rx) = watch::channel(false);
        let stopped = |mut rx: watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        // The first lines of output name the addresses, so that scripts and
        // tests can use port 0 and find what the system chose.
        outln!("listening on udp://{listen}");
        if let Some(a) = advertise {
            outln!("advertising udp://{a}");
        }
        if let Some(addr) = &args.status {
            let bind_error = |source| UsageError::Address {
                flag: "--status",
                addr: addr.to_string(),
                source,
            };
            let at = addr.resolve().await.map_err(bind_error)?;
            let listener = TcpListener::bind(at).await.map_err(bind_error)?;
            let local = listener
                .local_addr()
                .map_err(|e| Failure::resources("the status server", e))?;
            outln!("status on http://{local}/status");
            tokio::spawn(serve_status(listener, status_rx, stopped(stop_rx.clone())));
        }
        let chain = Arc::new(chain);
        tokio::spawn(probe_chain(Arc::clone(&chain), cfg.heartbeat));
        let mut fleet = match kernel {
            Some((kernel, rate)) => {
                let me = advertise.unwrap_or(if listen.ip().is_unspecified() {
                    SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), listen.port())
                } else {
                    listen
                });
                let fleet = Fleet {
                    miners: 1,
                    threads: args.threads,
                    first_id: 0xC000_0000 | u32::from(args.id.0),
                    kernel,
                    kernel_rate: rate,
                    key: key.clone(),
                    coordinators: std::iter::once(me)
                        .chain(peers.iter().map(|p| p.1))
                        .collect(),
                    registry: registry.clone(),
                    heartbeat: cfg.heartbeat,
                    chaos,
                    reach: FleetReach {
                        warnings: Arc::clone(&warnings),
                        ..FleetReach::default()
                    },
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
            chain,
            key,
            peers,
            registry,
            chaos,
            status: Some(status_tx),
            events: None,
            net,
            warnings,
        };
        // The node runs as a task on the runtime's workers, so the thread
        // that takes a datagram's readiness event is the one that handles
        // it (from `block_on`, every datagram would wake a second thread).
        // It stops on Ctrl-C or SIGTERM, or when the local miner stops by
        // itself (its threads could not start, say).
        let mut node = tokio::spawn(run_node(socket, cfg, deps, stopped(stop_rx.clone())));
        let mut miner_failed = None;
        let failure = async {
            match fleet.as_mut() {
                Some(f) => f.failure().await,
                None => std::future::pending().await,
            }
        };
        let ended = tokio::select! {
            () = shutdown_signal() => None,
            failed = failure => {
                miner_failed = Some(failed);
                None
            }
            ended = &mut node => Some(ended),
        };
        let _ = stop_tx.send(true);
        let ended = match ended {
            Some(ended) => ended,
            None => node.await,
        };
        let result = ended.unwrap_or_else(|e| Err(std::io::Error::other(e)));
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

/// This node's own address for `flag`: it must resolve.
async fn resolve_own(flag: &'static str, addr: &HostPort) -> Result<SocketAddr, UsageError> {
    addr.resolve().await.map_err(|source| UsageError::Address {
        flag,
        addr: addr.to_string(),
        source,
    })
}

/// The peers that resolve now (the others are looked up again by the
/// driver). An entry with this node's id is skipped if it names this very
/// node (a list shared by the whole cluster), and warned about otherwise:
/// two nodes with one id would both lead.
async fn resolve_peers(
    args: &RunArgs,
    listen: SocketAddr,
    advertise: Option<SocketAddr>,
    warnings: &Warnings,
) -> Vec<(CoordinatorId, SocketAddr)> {
    let mut out = Vec::new();
    for (id, name) in &args.peers {
        let addr = match name.resolve().await {
            Ok(a) => a,
            Err(e) => {
                warnings.raise(
                    WarningKind::Unresolved,
                    name.to_string(),
                    format!("peer {} ({name}): cannot resolve: {e}; retrying", id.0),
                );
                continue;
            }
        };
        if *id != args.id {
            out.push((*id, addr));
        } else if !is_me(addr, listen, advertise) {
            warnings.raise(
                WarningKind::IdClash,
                addr.to_string(),
                format!(
                    "--peer {}@{name} has this node's own id, {}: ignored (two nodes with \
                     one id both lead; give each its own --id)",
                    id.0, args.id.0
                ),
            );
        }
    }
    out
}

/// Whether `addr` is this node: its listening or advertised address, or
/// its port on an address of this machine.
fn is_me(addr: SocketAddr, listen: SocketAddr, advertise: Option<SocketAddr>) -> bool {
    if addr == listen || Some(addr) == advertise {
        return true;
    }
    let local_ip = || std::net::UdpSocket::bind(SocketAddr::new(addr.ip(), 0)).is_ok();
    addr.port() == listen.port()
        && (listen.ip().is_unspecified() || addr.ip() == listen.ip())
        && local_ip()
}

/// Says, once, what others are told about this node's address.
fn say_where(listen: SocketAddr, advertise: Option<SocketAddr>, discover: bool) {
    if listen.ip().is_unspecified() && advertise.is_none() {
        tracing::info!(
            "listening on {listen} without --advertise: the registry gets port {} on \
             loopback (this machine); peers and miners elsewhere use the address this \
             node's datagrams come from",
            listen.port()
        );
    }
    if discover && !listen.ip().is_unspecified() {
        tracing::info!(
            "--discover while listening on {listen}: broadcasts go out, but only a node \
             listening on 0.0.0.0 hears the others' (and the boards')"
        );
    }
}

/// Calls every chain service instance at start, so that a wrong URL is
/// said at once, not when this node first leads, and then every heartbeat
/// interval, so that the status knows each instance's health (only the
/// leader calls the one in use).
async fn probe_chain(chain: Arc<ChainSet<HttpChain>>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        chain.probe().await;
    }
}
