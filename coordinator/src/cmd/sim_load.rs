//! `coordinator sim --rate H`: the load mode, many throttled miners in one
//! process (`crate::sim::load`). It logs what the miners measured every
//! ten seconds and prints the last figures as one line of JSON when it
//! stops (Ctrl-C or SIGTERM).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use super::sim::{SimArgs, random_first_id};
use super::{
    CommandError, Failure, UsageError, kernel_and_rate, load_key, open_registry, parse_chaos,
    print_json, runtime, shutdown_signal,
};
use crate::sim::load::{self, Load};
use crate::sim::load_stats::LoadSnapshot;

/// How often the load logs its figures.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// Runs the load until Ctrl-C or SIGTERM.
pub fn run(args: &SimArgs, rate: u32) -> Result<ExitCode, CommandError> {
    if parse_chaos(args.chaos.as_deref())?.is_some() {
        return Err(UsageError::Flag("--chaos does not apply to --rate".into()).into());
    }
    if args.discover || !args.broadcast.is_empty() {
        return Err(UsageError::Flag(
            "--discover and --broadcast do not apply to --rate: give --coordinator or --registry"
                .into(),
        )
        .into());
    }
    load::ensure_descriptors(args.miners).map_err(UsageError::Flag)?;
    let key = load_key(args.node.key_file.as_deref(), args.node.insecure)?;
    let runtime = runtime()?;
    let coordinators = runtime.block_on(coordinators(args))?;
    let (kernel, kernel_rate) = kernel_and_rate(args.backend.as_deref())?;
    let needed = f64::from(args.miners) * f64::from(rate);
    if needed > kernel_rate {
        tracing::warn!(
            needed_mhs = needed / 1e6,
            kernel_mhs = kernel_rate / 1e6,
            "the miners together need more than one thread's kernel rate: they will fall behind \
             and report lower rates"
        );
    }
    let first_id = match args.first_id {
        Some(id) => id.0,
        None => random_first_id().map_err(Failure::from)?,
    };
    let load = Load {
        miners: args.miners,
        rate,
        first_id,
        kernel,
        key,
        coordinators,
        heartbeat: args.node.heartbeat(),
        ramp: Duration::from_millis(args.ramp_ms),
    };
    runtime.block_on(async move {
        tracing::info!(
            miners = load.miners,
            rate,
            first_id,
            backend = %load.kernel.backend(),
            "starting throttled miners"
        );
        let running = load::start(load)
            .await
            .map_err(|e| Failure::resources("the miner sockets", e))?;
        let stats = std::sync::Arc::clone(&running.stats);
        let mut tick = tokio::time::interval(REPORT_EVERY);
        tick.tick().await;
        let stop = shutdown_signal();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = tick.tick() => log(&stats.snapshot()),
            }
        }
        running.stop().await;
        print_json(&stats.snapshot())?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `--coordinator` addresses (names looked up once, now), or those in the
/// registry now.
async fn coordinators(args: &SimArgs) -> Result<Vec<SocketAddr>, UsageError> {
    if !args.coordinators.is_empty() {
        let mut found = Vec::new();
        for c in &args.coordinators {
            let addrs = c.resolve_all().await.map_err(|e| {
                UsageError::Flag(format!(
                    "--coordinator {c}: cannot resolve: {e} (the load looks names up once, at start)"
                ))
            })?;
            found.extend(addrs.into_iter().take(4));
        }
        return Ok(found);
    }
    let found: Vec<SocketAddr> = open_registry(args.registry.as_deref(), false)?
        .map(|r| r.scan().into_iter().map(|(_, a)| a).collect())
        .unwrap_or_default();
    if found.is_empty() {
        return Err(UsageError::Flag(
            "no --coordinator given and none in the registry; the load reads the registry \
             once, at start"
                .into(),
        ));
    }
    Ok(found)
}

fn log(s: &LoadSnapshot) {
    tracing::info!(
        started = s.started,
        served = s.served,
        assigned = s.assigned,
        answers = s.answers_no + s.answers_yes,
        refused = s.refused + s.process_refused,
        wait_p50_ms = s.wait.p50_ms,
        wait_p99_ms = s.wait.p99_ms,
        first_work_max_ms = s.first_work.max_ms,
        "load"
    );
}
