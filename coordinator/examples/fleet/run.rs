//! One fleet size: start the chain service, the leader's process and the
//! load; warm up; measure; stop everything.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chain::{ServiceConfig, SqliteStore, Store};
use coordinator::mining::select;
use coordinator::random;
use coordinator::sim::load::{self, Load};
use serde::Serialize;
use serde_json::Value;

use super::Cli;
use super::proc;

/// What one fleet size measured.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Miners.
    pub miners: u32,
    /// Which coordinator build.
    pub leader: String,
    /// Seconds measured.
    pub seconds: f64,
    /// The leader's CPU seconds per second: user, system, both.
    pub cpu_user: f64,
    /// System part.
    pub cpu_system: f64,
    /// Both.
    pub cpu: f64,
    /// Seconds per second the leader's threads waited for a CPU.
    pub leader_queued: f64,
    /// CPU seconds per second of this process: the load and the chain
    /// service.
    pub load_cpu: f64,
    /// Seconds per second the load's threads waited for a CPU.
    pub load_queued: f64,
    /// Blocks accepted while measuring.
    pub blocks: u64,
    /// The chain's difficulty.
    pub zero_bits: u8,
    /// Work request to `Process` at the miners: median, ms.
    pub wait_p50_ms: f64,
    /// 99th percentile, ms.
    pub wait_p99_ms: f64,
    /// Largest, ms.
    pub wait_max_ms: f64,
    /// Waits measured.
    pub waits: u64,
    /// How late the load's timers fired: 99th percentile, ms.
    pub load_lag_p99_ms: f64,
    /// Miner statuses the leader handled per second.
    pub heartbeats_per_s: f64,
    /// Answers the leader handled per second.
    pub answers_per_s: f64,
    /// Leases the leader issued per second.
    pub leases_per_s: f64,
    /// Datagrams the leader received per second.
    pub datagrams_in_per_s: f64,
    /// Datagrams refused by frame checks (leader and miners), whole run.
    pub refused_frames: u64,
    /// `Process` messages the miners' state machines refused, whole run.
    pub refused_work: u64,
    /// Datagrams dropped by the leader's full socket buffer, whole run.
    pub dropped_leader: u64,
    /// Datagrams dropped by the miners' full socket buffers, whole run.
    pub dropped_miners: u64,
    /// Failed claims, bans and invariant breaches at the leader.
    pub failed_claims: u64,
    /// Miners banned.
    pub banned: u64,
    /// Invariant breaches.
    pub invariant_violations: u64,
    /// Leases that expired, whole run.
    pub leases_expired: u64,
    /// The leader's resident memory grew this much per miner, bytes.
    pub rss_per_miner: f64,
    /// The leader's resident memory with the fleet, MiB.
    pub rss_mib: f64,
    /// Miners that got work at all.
    pub served: u64,
    /// The longest wait from a miner's start to its first work, ms.
    pub first_work_max_ms: f64,
    /// Whether every miner got work within two heartbeat intervals.
    pub all_served_in_time: bool,
    /// The load average (1 min) at the end, for context.
    pub load_average: f64,
}

/// The leader's process, killed when dropped.
struct Leader {
    child: Child,
    udp: std::net::SocketAddr,
    status: String,
}

impl Drop for Leader {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Error = Box<dyn std::error::Error>;

/// Writes a key file only its owner may read (the coordinator warns of
/// any other).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, bytes)
}

fn start_leader(
    cli: &Cli,
    exe: &Path,
    dir: &Path,
    chain: &str,
    key: &Path,
) -> Result<Leader, Error> {
    let log = std::fs::File::create(dir.join("leader.log"))?;
    let mut child = Command::new(exe)
        .args([
            "leader",
            "--id",
            "1",
            "--listen",
            "127.0.0.1:0",
            "--chain",
            chain,
        ])
        .arg("--key-file")
        .arg(key)
        .args(["--heartbeat-ms", &cli.heartbeat_ms.to_string()])
        .args(["--status", "127.0.0.1:0", "--registry"])
        .arg(dir.join("registry"))
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = std::io::BufReader::new(stdout).lines();
    let (mut udp, mut status) = (None, None);
    while udp.is_none() || status.is_none() {
        let line = lines
            .next()
            .ok_or("the leader exited before naming its addresses")??;
        if let Some(a) = line.strip_prefix("listening on udp://") {
            udp = Some(a.parse()?);
        } else if let Some(a) = line.strip_prefix("status on ") {
            status = Some(a.to_owned());
        }
    }
    Ok(Leader {
        child,
        udp: udp.ok_or("no address")?,
        status: status.ok_or("no status address")?,
    })
}

async fn status(client: &reqwest::Client, url: &str) -> Result<Value, Error> {
    Ok(client.get(url).send().await?.json().await?)
}

fn num(v: &Value, path: &[&str]) -> u64 {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

fn answers(s: &Value) -> u64 {
    [
        "ranges_scanned",
        "stale_answers",
        "failed_claims",
        "solutions",
    ]
    .iter()
    .map(|k| num(s, &["stats", k]))
    .sum()
}

fn refused(s: &Value) -> u64 {
    s.pointer("/wire/refused")
        .and_then(Value::as_object)
        .map_or(0, |m| m.values().filter_map(Value::as_u64).sum())
}

/// Runs `miners` miners against one leader and measures it.
pub fn measure(cli: &Cli, miners: u32, label: &str, exe: &Path) -> Result<Row, Error> {
    load::ensure_descriptors(miners)?;
    let dir = tempfile::tempdir()?;
    let key = random::cluster_key()?;
    let key_path = dir.path().join("cluster.key");
    let hex: String = key.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    write_private(&key_path, hex.as_bytes())?;
    let heartbeat = Duration::from_millis(cli.heartbeat_ms);
    let choice = select::choose_kernel(cli.backend.as_deref())?;

    // The chain service and the load share this process, on one worker
    // thread; the leader has its own process.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let zero_bits = match cli.blocks_every {
        // A block every `secs` on average at the fleet's rate.
        Some(secs) => (f64::from(miners) * f64::from(cli.rate) * secs)
            .log2()
            .round()
            .clamp(1.0, 255.0) as u8,
        None => cli.zero_bits,
    };
    let store = SqliteStore::open(&dir.path().join("chain.db"), Some(zero_bits))?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let chain_url = format!("http://{}", listener.local_addr()?);
    let (stop_chain, chain_stopped) = tokio::sync::oneshot::channel::<()>();
    let store: Arc<dyn Store> = Arc::new(store);
    rt.spawn(chain::serve(
        listener,
        store,
        ServiceConfig::default(),
        async {
            let _ = chain_stopped.await;
        },
    ));

    let leader = start_leader(cli, exe, dir.path(), &chain_url, &key_path)?;
    let pid = leader.child.id();
    let client = reqwest::Client::new();
    let url = leader.status.clone();
    rt.block_on(async {
        let deadline = Instant::now() + heartbeat * 3 + Duration::from_secs(30);
        loop {
            // Ready: it leads and holds a template, mining or (with no
            // miner yet, below the quorum of one) waiting for the first.
            if let Ok(s) = status(&client, &url).await
                && matches!(
                    s.get("work").and_then(Value::as_str),
                    Some("mining" | "waiting for quorum")
                )
            {
                return Ok::<(), Error>(());
            }
            if Instant::now() > deadline {
                return Err("the leader did not get a template to mine".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })?;
    let rss_before = proc::rss(pid).ok_or("no leader RSS")?;

    let running = rt.block_on(load::start(Load {
        miners,
        rate: cli.rate,
        first_id: 1,
        kernel: choice.kernel,
        key,
        coordinators: vec![leader.udp],
        heartbeat,
        ramp: cli.ramp(),
    }))?;
    let ports: HashSet<u16> = running.addrs.iter().map(|a| a.port()).collect();
    let leader_port = HashSet::from([leader.udp.port()]);
    let stats = Arc::clone(&running.stats);

    // Warm-up: every miner started, then two intervals to settle.
    std::thread::sleep(cli.ramp() + heartbeat * 2);
    let rss_with = proc::rss(pid).ok_or("no leader RSS")?;
    stats.reset_waits();
    let s0 = rt.block_on(status(&client, &url))?;
    let cpu0 = proc::cpu(pid).ok_or("no leader CPU time")?;
    let me = std::process::id();
    let load0 = proc::cpu(me).ok_or("no CPU time")?;
    let queued0 = (proc::run_queue_wait(pid), proc::run_queue_wait(me));
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(cli.seconds));
    let cpu1 = proc::cpu(pid).ok_or("no leader CPU time")?;
    let load1 = proc::cpu(me).ok_or("no CPU time")?;
    let queued1 = (proc::run_queue_wait(pid), proc::run_queue_wait(me));
    let elapsed = t0.elapsed().as_secs_f64();
    let s1 = rt.block_on(status(&client, &url))?;
    let dropped_leader = proc::udp_drops(&leader_port);
    let dropped_miners = proc::udp_drops(&ports);
    let load = stats.snapshot();
    rt.block_on(running.stop());
    drop(leader);
    let _ = stop_chain.send(());

    let per_s = |path: &[&str]| (num(&s1, path) - num(&s0, path)) as f64 / elapsed;
    let banned = s1.get("miners").and_then(Value::as_array).map_or(0, |m| {
        m.iter()
            .filter(|m| m.get("banned").and_then(Value::as_bool) == Some(true))
            .count() as u64
    });
    let limit_ms = 2.0 * heartbeat.as_secs_f64() * 1000.0;
    Ok(Row {
        miners,
        leader: label.to_owned(),
        seconds: elapsed,
        cpu_user: (cpu1.user - cpu0.user) / elapsed,
        cpu_system: (cpu1.system - cpu0.system) / elapsed,
        cpu: (cpu1.total() - cpu0.total()) / elapsed,
        leader_queued: (queued1.0 - queued0.0) / elapsed,
        load_cpu: (load1.total() - load0.total()) / elapsed,
        load_queued: (queued1.1 - queued0.1) / elapsed,
        blocks: num(&s1, &["stats", "blocks"]) - num(&s0, &["stats", "blocks"]),
        zero_bits,
        wait_p50_ms: load.wait.p50_ms,
        wait_p99_ms: load.wait.p99_ms,
        wait_max_ms: load.wait.max_ms,
        waits: load.wait.count,
        load_lag_p99_ms: load.lag.p99_ms,
        heartbeats_per_s: per_s(&["stats", "miner_heartbeats"]),
        answers_per_s: (answers(&s1) - answers(&s0)) as f64 / elapsed,
        leases_per_s: per_s(&["stats", "leases"]),
        datagrams_in_per_s: per_s(&["wire", "received"]),
        refused_frames: refused(&s1) + load.refused,
        refused_work: load.process_refused,
        dropped_leader,
        dropped_miners,
        failed_claims: num(&s1, &["stats", "failed_claims"]),
        banned,
        invariant_violations: num(&s1, &["stats", "invariant_violations"]),
        leases_expired: num(&s1, &["stats", "leases_expired"]),
        rss_per_miner: (rss_with.saturating_sub(rss_before)) as f64 / f64::from(miners),
        rss_mib: rss_with as f64 / (1024.0 * 1024.0),
        served: load.served,
        first_work_max_ms: load.first_work.max_ms,
        all_served_in_time: load.served == u64::from(miners) && load.first_work.max_ms <= limit_ms,
        load_average: proc::load_average().unwrap_or(0.0),
    })
}
