//! `coordinator demo`: the whole system in one process, on loopback, with
//! the random keys of its data directory (`demo_data.rs`): a chain service
//! on an SQLite file, C coordinators, N simulated miners; it mines K blocks
//! while showing progress, then prints the chain it built and what it
//! measured.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use super::demo_data;
use super::demo_view::{Observer, Report};
use super::output::outln;
use super::{
    CommandError, Failure, UsageError, check_fleet, choose_kernel, flags, runtime, shutdown_signal,
};
use crate::chain_http::HttpChain;
use crate::driver::local::{LocalCluster, start_local};
use crate::mining::select;
use crate::random;

use crate::node::CoordinatorConfig;
use crate::sim::{self, Fleet, FleetReach};

use super::run::Switch;
use super::traders::{self, TradeCounts};

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
    /// Directory for the chain database, the log and the keys (default: a
    /// new directory under the system's temp dir); one used before
    /// continues its chain.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Heartbeat interval in milliseconds (10 to 600000).
    #[arg(long, default_value_t = 1000, value_parser = flags::heartbeat_ms)]
    pub heartbeat_ms: u64,
    /// Kernel backend.
    #[arg(long)]
    pub backend: Option<String>,
    /// Fault injection on every datagram the coordinators and miners send,
    /// `SEED:DROP:DUP:DELAY_MS` (testing).
    #[arg(long, hide = true)]
    pub chaos: Option<String>,
    /// Simulated traders placing random orders while the cluster mines,
    /// 0 to 256 (the book and the trades are shown at the end).
    #[arg(long, default_value_t = 0, value_parser = flags::traders)]
    pub traders: u32,
    /// Put each solution to a vote of the coordinators before it is
    /// submitted (the summary reports what the vote added).
    #[arg(long, value_enum, default_value_t = Switch::On)]
    pub votes: Switch,
}

/// The zero bits that give a block about every `secs` at `rate` hashes/s.
pub fn zero_bits_for(rate: f64, secs: f64) -> u8 {
    (rate * secs).max(2.0).log2().round().clamp(8.0, 48.0) as u8
}

/// Runs the demo.
pub fn run(args: &DemoArgs) -> Result<ExitCode, CommandError> {
    super::output::keep_running();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let miners = args
        .miners
        .unwrap_or(cores.min(flags::MAX_MINERS as usize) as u32);
    check_fleet(miners, args.threads)?;
    let heartbeat = Duration::from_millis(args.heartbeat_ms);
    let chaos = super::parse_chaos(args.chaos.as_deref())?;
    let data = demo_data::open(args.data.as_deref())?;
    let log = data.dir.join("demo.log");
    super::init_file_logging(&log)?;
    let kernel = choose_kernel(args.backend.as_deref())?.kernel;
    outln!("measuring the {} kernel on one thread...", kernel.backend());
    let rate_alone = select::sustained_rate(kernel, Duration::from_millis(500));
    let sum_alone = rate_alone * f64::from(miners) * args.threads as f64;
    // A continued chain keeps its difficulty unless `--zero-bits` asks for
    // another, which the database refuses.
    let params = chain::store::CreateParams {
        zero_bits: args
            .zero_bits
            .or((!data.continued).then(|| zero_bits_for(sum_alone, 3.0))),
        operator: Some(chain::ledger::public_key(&data.operator)),
    };
    let store_error = |e| match e {
        chain::StoreError::ZeroBitsMismatch { stored, .. } => UsageError::Flag(format!(
            "{} holds a chain of {stored} zero bits: omit --zero-bits to continue it, \
             or give another --data directory",
            data.dir.display()
        )),
        e => UsageError::Path(format!("chain database: {e}")),
    };
    let store = chain::SqliteStore::open_with(&data.chain_db(), params).map_err(store_error)?;
    let zero_bits = chain::Store::params(&store).zero_bits;
    // A continued chain: mine `--blocks` more, and no block past them.
    let start = chain::Store::tip_state(&store)
        .map_err(store_error)?
        .tip
        .height;
    let last_height = Some(start.saturating_add(args.blocks));
    let key = data.cluster.clone();
    let operator = data.operator.clone();
    let (trader_keys, kept_traders) = data.trader_keys(args.traders)?;
    let seed = u64::from(random::u32().map_err(Failure::from)?);
    let payout = super::wallet::keys::payout_key(&key);
    outln!(
        "{miners} miners x {} thread(s), {} coordinators, {} blocks at {zero_bits} zero bits",
        args.threads,
        args.coordinators,
        args.blocks
    );
    if data.continued {
        outln!(
            "continuing the chain in {} from height {start}",
            data.dir.display()
        );
    }
    if kept_traders > 0 {
        outln!(
            "{} traders ({kept_traders} kept from earlier runs)",
            args.traders
        );
    }
    outln!(
        "data, log and keys in {} (rewards to {}: `coordinator wallet new --from-cluster-key {}` prints its key)",
        data.dir.display(),
        chain::ledger::address(&payout),
        data.cluster_file().display()
    );

    runtime()?.block_on(async move {
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
            chaos,
            events: Some(events_tx),
        };
        let votes = args.votes == Switch::On;
        let nodes = start_local(&cluster, Arc::clone(&chain), |id| CoordinatorConfig {
            payout: chain::ledger::address(&payout),
            votes,
            last_height,
            ..CoordinatorConfig::with_heartbeat(id, heartbeat)
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
            chaos,
            reach: FleetReach::default(),
        })
        .await
        .map_err(|e| Failure::resources("the miners", e))?;

        let started = Instant::now();
        let mut observer = Observer::new(
            chain.client().clone(),
            statuses,
            fleet.probes.clone(),
            events_rx,
            start,
            args.blocks,
            zero_bits,
        );
        let traders = if trader_keys.is_empty() {
            None
        } else {
            let client = chain.client().clone();
            Some(traders::start(client, operator, payout, trader_keys, seed).await)
        };
        let interrupted = observer.run(shutdown_signal()).await;
        let trading = match traders {
            Some(t) => {
                let counts = Arc::clone(&t.counts);
                t.stop().await;
                Some(counts)
            }
            None => None,
        };
        let elapsed = started.elapsed();
        fleet.stop().await;
        observer.refresh().await;
        let chain_text = observer.chain_lines().await;
        let trading_text = match trading {
            Some(counts) => Some(trading_report(chain.client(), args.traders, &counts).await),
            None => None,
        };
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
            votes: observer.votes(votes, args.coordinators),
            interrupted,
        };
        outln!();
        outln!("the chain ({} blocks):", chain_text.len().saturating_sub(1));
        for line in &chain_text {
            outln!("{line}");
        }
        outln!(
            "every header: coordinator chain export --db {}",
            data.chain_db().display()
        );
        report.print();
        if let Some(text) = trading_text {
            outln!();
            outln!("{}", text.trim_end_matches('\n'));
        }
        Ok(if super::output::closed() {
            // `demo | head`: the reader has all it wanted.
            ExitCode::SUCCESS
        } else if interrupted {
            ExitCode::from(130)
        } else {
            ExitCode::SUCCESS
        })
    })
}

/// The trading load's outcome: what the traders did, the book, the last
/// trades (read while the chain service still runs).
async fn trading_report(client: &chain::ChainClient, traders: u32, counts: &TradeCounts) -> String {
    use std::fmt::Write;
    use std::sync::atomic::Ordering::Relaxed;
    let mut out = String::new();
    let refused: Vec<String> = counts
        .refused_by_code()
        .iter()
        .map(|(code, n)| format!("{n} {code}"))
        .collect();
    let _ = writeln!(
        out,
        "trading: {traders} traders placed {} orders and {} cancels; {} coin hand-outs from the payout wallet; refused: {}",
        counts.orders.load(Relaxed),
        counts.cancels.load(Relaxed),
        counts.transfers.load(Relaxed),
        if refused.is_empty() {
            "none".to_owned()
        } else {
            refused.join(", ")
        },
    );
    match client.book(5).await {
        Ok(book) => {
            let _ = writeln!(
                out,
                "the book at height {} (price, coin, orders):",
                book.height
            );
            for l in book.asks.iter().rev() {
                let _ = writeln!(out, "  ask {:>6} {:>8} {:>4}", l.price, l.amount, l.orders);
            }
            for l in &book.bids {
                let _ = writeln!(out, "  bid {:>6} {:>8} {:>4}", l.price, l.amount, l.orders);
            }
        }
        Err(e) => {
            let _ = writeln!(out, "the book: {e}");
        }
    }
    let mut all = Vec::new();
    while let Ok(page) = client.trades(all.len() as u64, 1000).await {
        if page.is_empty() {
            break;
        }
        all.extend(page);
    }
    let volume: u64 = all.iter().map(|t| t.amount).sum();
    let _ = writeln!(
        out,
        "{} trades, {volume} coin traded; the last ones (height, price, coin):",
        all.len()
    );
    for t in all.iter().rev().take(5).rev() {
        let _ = writeln!(out, "  {:>6} {:>6} {:>8}", t.height, t.price, t.amount);
    }
    out
}
