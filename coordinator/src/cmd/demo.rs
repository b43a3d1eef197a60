//! `coordinator demo`: the whole system in one process, on loopback, with a
//! fresh random cluster key: a chain service on an SQLite file, C
//! coordinators, N simulated miners; it mines K blocks while showing
//! progress, then prints the chain it built and what it measured.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use super::demo_view::{Observer, Report};
use super::{
    CommandError, Failure, UsageError, check_fleet, choose_kernel, flags, runtime, shutdown_signal,
};
use crate::chain_http::HttpChain;
use crate::driver::local::{LocalCluster, start_local};
use crate::mining::select;
use crate::random;

use crate::node::CoordinatorConfig;
use crate::sim::{self, Fleet};

/// Arguments of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Simulated miners, 1 to 1024 (default: one per core).
    #[arg(long, value_parser = flags::miners)]
    pub miners: Option<u32>,
    /// Threads per miner (1 to 1024; at most 4096 for all the miners).
    #[arg(long, default_value_t = 1, value_parser = flags::threads)]
    pub threads: usize,
    /// Coordinators (1 to 64).
    #[arg(long, default_value_t = 2, value_parser = flags::coordinators)]
    pub coordinators: u16,
    /// Blocks to mine (1 to 1000000).
    #[arg(long, default_value_t = 10, value_parser = flags::blocks)]
    pub blocks: u64,
    /// Difficulty in zero bits, 1 to 255 (default: about one block every
    /// 3 s at the hash rate measured on this machine).
    #[arg(long, value_parser = flags::chain_zero_bits)]
    pub zero_bits: Option<u8>,
    /// Directory for the chain database and the log (default: a new
    /// directory under the system's temp dir).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Heartbeat interval in milliseconds (10 to 600000).
    #[arg(long, default_value_t = 1000, value_parser = flags::heartbeat_ms)]
    pub heartbeat_ms: u64,
    /// Kernel backend.
    #[arg(long)]
    pub backend: Option<String>,
}

/// The zero bits that give a block about every `secs` at `rate` hashes/s.
pub fn zero_bits_for(rate: f64, secs: f64) -> u8 {
    (rate * secs).max(2.0).log2().round().clamp(8.0, 48.0) as u8
}

fn data_dir(args: &DemoArgs) -> Result<PathBuf, UsageError> {
    let dir = match &args.data {
        Some(d) => d.clone(),
        None => {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            std::env::temp_dir().join(format!("coordinator-demo-{stamp}-{}", std::process::id()))
        }
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| UsageError::Path(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}

/// Runs the demo.
pub fn run(args: &DemoArgs) -> Result<ExitCode, CommandError> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let miners = args
        .miners
        .unwrap_or(cores.min(flags::MAX_MINERS as usize) as u32);
    check_fleet(miners, args.threads)?;
    let heartbeat = Duration::from_millis(args.heartbeat_ms);
    let dir = data_dir(args)?;
    let log = dir.join("demo.log");
    super::init_file_logging(&log)?;
    let kernel = choose_kernel(args.backend.as_deref())?.kernel;
    println!("measuring the {} kernel on one thread...", kernel.backend());
    let rate_alone = select::sustained_rate(kernel, Duration::from_millis(500));
    let sum_alone = rate_alone * f64::from(miners) * args.threads as f64;
    let zero_bits = args
        .zero_bits
        .unwrap_or_else(|| zero_bits_for(sum_alone, 3.0));
    let key = random::cluster_key().map_err(Failure::from)?;
    println!(
        "{miners} miners x {} thread(s), {} coordinators, {} blocks at {zero_bits} zero bits",
        args.threads, args.coordinators, args.blocks
    );
    println!("data and log in {}", dir.display());

    runtime()?.block_on(async move {
        let store = chain::SqliteStore::open(&dir.join("chain.db"), Some(zero_bits))
            .map_err(|e| UsageError::Path(format!("chain database: {e}")))?;
        let chain_server = |e| Failure::resources("the chain service", e);
        let tcp = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(chain_server)?;
        let chain_url = format!("http://{}", tcp.local_addr().map_err(chain_server)?);
        let (stop_tx, mut stop_rx) = watch::channel(false);
        let chain_task = tokio::spawn(chain::serve(
            tcp,
            Arc::new(store),
            chain::ServiceConfig::default(),
            async move {
                let _ = stop_rx.wait_for(|s| *s).await;
            },
        ));
        let chain = Arc::new(
            HttpChain::new(&chain_url)
                .map_err(|e| Failure::resources("the chain client", std::io::Error::other(e)))?,
        );

        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let cluster = LocalCluster {
            coordinators: args.coordinators,
            key: key.clone(),
            chaos: None,
            events: Some(events_tx),
        };
        let nodes = start_local(&cluster, Arc::clone(&chain), |id| {
            CoordinatorConfig::with_heartbeat(id, heartbeat)
        })
        .await
        .map_err(|e| Failure::resources("the coordinators", e))?;
        let addrs: Vec<SocketAddr> = nodes.iter().map(|n| n.addr).collect();
        let statuses = nodes.iter().map(|n| n.status.clone()).collect();
        let fleet = sim::start(Fleet {
            miners,
            threads: args.threads,
            first_id: 1,
            kernel,
            kernel_rate: rate_alone as u32,
            key: key.clone(),
            coordinators: addrs.clone(),
            registry: None,
            heartbeat,
            chaos: None,
        })
        .await
        .map_err(|e| Failure::resources("the miners", e))?;

        let started = Instant::now();
        let mut observer = Observer::new(
            chain.client().clone(),
            statuses,
            fleet.probes.clone(),
            events_rx,
            args.blocks,
            zero_bits,
        );
        let interrupted = observer.run(shutdown_signal()).await;
        let elapsed = started.elapsed();
        fleet.stop().await;
        observer.refresh().await;
        let chain_text = observer.chain_lines().await;
        let _ = stop_tx.send(true);
        for n in nodes {
            let _ = n.stop().await;
        }
        let _ = chain_task.await;
        let report = Report {
            elapsed,
            blocks: observer.blocks_mined(),
            rate_alone,
            sum_alone,
            aggregate: observer.aggregate_rate(),
            stop_latencies: observer.stop_latencies(),
            interrupted,
        };
        println!();
        println!(
            "the chain ({} blocks, height TAB hash TAB header TAB miner):",
            chain_text.len()
        );
        for line in &chain_text {
            println!("{line}");
        }
        report.print();
        Ok(if interrupted {
            ExitCode::from(130)
        } else {
            ExitCode::SUCCESS
        })
    })
}
