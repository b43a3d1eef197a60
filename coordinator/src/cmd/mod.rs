//! Subcommands that run nodes: `run`, `sim`, `keygen` (and `demo`), and
//! what they share: key loading, logging, shutdown signals.

pub mod chain;
pub mod demo;
pub mod demo_view;
pub mod keygen;
pub mod run;
pub mod sim;

use std::path::{Path, PathBuf};
use std::time::Duration;

use protocol::ClusterKey;
use protocol::kernel::Kernel;

use crate::UsageError;
use crate::driver::registry::{self, Registry};
use crate::driver::transport::ChaosConfig;
use crate::mining::{choose_kernel, select};

/// Options every node command takes.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// File holding the cluster key (64 hex characters).
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// Run without authentication (all-zero key).
    #[arg(long)]
    pub insecure: bool,
    /// Heartbeat interval in milliseconds.
    #[arg(long, default_value_t = 5000)]
    pub heartbeat_ms: u64,
}

/// The `--chaos` option, parsed.
pub fn parse_chaos(spec: Option<&str>) -> Result<Option<ChaosConfig>, UsageError> {
    spec.map(ChaosConfig::parse).transpose().map_err(UsageError)
}

/// The registry to use: `--registry DIR` if given, else the default
/// directory when no address was given on the command line, else none.
pub fn open_registry(
    explicit: Option<&Path>,
    addresses_given: bool,
) -> Result<Option<Registry>, UsageError> {
    let dir: Option<PathBuf> = match (explicit, addresses_given) {
        (Some(dir), _) => Some(dir.to_path_buf()),
        (None, false) => Some(registry::default_dir()),
        (None, true) => None,
    };
    dir.map(|dir| {
        Registry::open(&dir).map_err(|e| UsageError(format!("registry {}: {e}", dir.display())))
    })
    .transpose()
}

/// The kernel to mine with (`--backend`, or the fastest that passes its
/// self-test) and its rate on one thread.
pub fn kernel_and_rate(backend: Option<&str>) -> Result<(Kernel, f64), UsageError> {
    let choice = choose_kernel(backend).map_err(|e| UsageError(e.to_string()))?;
    let rate = choice
        .measured_rate
        .unwrap_or_else(|| select::sustained_rate(choice.kernel, Duration::from_millis(50)));
    Ok((choice.kernel, rate))
}

/// Checks `--heartbeat-ms`.
pub fn check_heartbeat(ms: u64) -> Result<Duration, UsageError> {
    if (10..=600_000).contains(&ms) {
        Ok(Duration::from_millis(ms))
    } else {
        Err(UsageError(format!(
            "--heartbeat-ms must be from 10 to 600000, got {ms}"
        )))
    }
}

/// The cluster key from `--key-file`, or the insecure key with
/// `--insecure`; neither is refused.
pub fn load_key(key_file: Option<&Path>, insecure: bool) -> Result<ClusterKey, UsageError> {
    match (key_file, insecure) {
        (Some(_), true) => Err(UsageError(
            "--key-file and --insecure exclude each other".into(),
        )),
        (Some(path), false) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                UsageError(format!("cannot read key file {}: {e}", path.display()))
            })?;
            ClusterKey::from_hex(&text).map_err(|e| {
                UsageError(format!(
                    "key file {}: {e} (a key is 64 hex characters; make one with `coordinator keygen > FILE`)",
                    path.display()
                ))
            })
        }
        (None, true) => {
            tracing::warn!("--insecure: datagrams are not authenticated; anyone can forge them");
            Ok(ClusterKey::INSECURE)
        }
        (None, false) => Err(UsageError(
            "no cluster key: pass --key-file FILE (make one with `coordinator keygen > FILE`), or --insecure to run unauthenticated".into(),
        )),
    }
}

/// Logs to `path` (the demo keeps the terminal for its display).
pub fn init_file_logging(path: &Path) -> Result<(), UsageError> {
    let file = std::fs::File::create(path)
        .map_err(|e| UsageError(format!("cannot create {}: {e}", path.display())))?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
    Ok(())
}

/// Logs to stderr, filtered by `RUST_LOG` (default: `default`).
pub fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// A multi-threaded runtime for the node commands.
pub fn runtime() -> Result<tokio::runtime::Runtime, UsageError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| UsageError(format!("cannot start the async runtime: {e}")))
}
