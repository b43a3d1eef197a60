//! The subcommands, one module each (`run`, `sim`, `demo`, `keygen`,
//! `scan`, `bench`, `chain`), and what they share: the bounds of their
//! flags ([`flags`]), how they fail ([`error`]), key loading, logging,
//! shutdown signals.

pub mod bench;
pub mod chain;
pub mod chain_import;
pub mod config;
pub mod demo;
pub mod demo_data;
pub mod demo_view;
pub mod demo_votes;
pub mod error;
pub mod flags;
pub mod keygen;
pub mod output;
pub mod run;
pub mod scan;
pub mod screen;
pub mod sim;
pub mod sim_load;
pub mod traders;
pub mod wallet;

use std::path::{Path, PathBuf};
use std::time::Duration;

use protocol::ClusterKey;
use protocol::kernel::Kernel;

pub use error::{CommandError, Failure, UsageError};

use crate::driver::registry::{self, Registry};
use crate::driver::transport::ChaosConfig;
use crate::mining::select::{self, ChooseError};

/// Options every node command takes.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// File holding the cluster key (64 hex characters).
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// Run without authentication (all-zero key).
    #[arg(long)]
    pub insecure: bool,
    /// Heartbeat interval in milliseconds (10 to 600000).
    #[arg(long, default_value_t = 5000, value_parser = flags::heartbeat_ms)]
    pub heartbeat_ms: u64,
}

impl NodeArgs {
    /// The heartbeat interval.
    pub fn heartbeat(&self) -> Duration {
        Duration::from_millis(self.heartbeat_ms)
    }
}

/// The `--chaos` option, parsed.
pub fn parse_chaos(spec: Option<&str>) -> Result<Option<ChaosConfig>, UsageError> {
    spec.map(ChaosConfig::parse)
        .transpose()
        .map_err(|e| UsageError::Flag(format!("--chaos: {e}")))
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
        Registry::open(&dir)
            .map_err(|e| UsageError::Path(format!("registry {}: {e}", dir.display())))
    })
    .transpose()
}

/// The kernel for `--backend` (or the fastest that passes its self-test):
/// a backend this build or CPU lacks is bad input; one that fails its
/// known-answer test is a failure of this machine.
pub fn choose_kernel(backend: Option<&str>) -> Result<select::KernelChoice, CommandError> {
    select::choose_kernel(backend).map_err(|e| match e {
        ChooseError::SelfTest(e) => Failure::SelfTest(e).into(),
        e @ (ChooseError::Unknown(..) | ChooseError::Unsupported(_)) => {
            UsageError::Flag(format!("--backend: {e}")).into()
        }
    })
}

/// The kernel to mine with (see [`choose_kernel`]) and its rate on one
/// thread.
pub fn kernel_and_rate(backend: Option<&str>) -> Result<(Kernel, f64), CommandError> {
    let choice = choose_kernel(backend)?;
    let rate = choice
        .measured_rate
        .unwrap_or_else(|| select::sustained_rate(choice.kernel, Duration::from_millis(50)));
    Ok((choice.kernel, rate))
}

/// Refuses `miners` miners of `threads` threads each when together they
/// would run more than [`flags::MAX_PROCESS_THREADS`] scanning threads.
pub fn check_fleet(miners: u32, threads: usize) -> Result<(), UsageError> {
    let total = u64::from(miners) * threads as u64;
    if total > flags::MAX_PROCESS_THREADS {
        return Err(UsageError::Flag(format!(
            "--miners {miners} with --threads {threads} is {total} scanning threads; \
             at most {} run in one process",
            flags::MAX_PROCESS_THREADS
        )));
    }
    Ok(())
}

/// The cluster key from `--key-file`, or the insecure key with
/// `--insecure`; neither is refused.
pub fn load_key(key_file: Option<&Path>, insecure: bool) -> Result<ClusterKey, UsageError> {
    match (key_file, insecure) {
        (Some(_), true) => Err(UsageError::Flag(
            "--key-file and --insecure exclude each other".into(),
        )),
        (Some(path), false) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                UsageError::Key(format!("cannot read key file {}: {e}", path.display()))
            })?;
            warn_if_readable(path);
            ClusterKey::from_hex(&text).map_err(|e| {
                UsageError::Key(format!(
                    "key file {}: {e} (a key is 64 hex characters; make one with `coordinator keygen --out FILE`)",
                    path.display()
                ))
            })
        }
        (None, true) => {
            tracing::warn!("--insecure: datagrams are not authenticated; anyone can forge them");
            Ok(ClusterKey::INSECURE)
        }
        (None, false) => Err(UsageError::Key(
            "no cluster key: pass --key-file FILE (make one with `coordinator keygen --out FILE`), or --insecure to run unauthenticated".into(),
        )),
    }
}

/// Warns when others than the owner may read the key file.
fn warn_if_readable(path: &Path) {
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                "key file {} is readable by others (mode {mode:03o}): `chmod 600 {}`, \
                 or make keys with `coordinator keygen --out FILE`",
                path.display(),
                path.display()
            );
        }
    }
}

/// Prints `value` as one line of JSON on stdout.
pub fn print_json(value: &impl serde::Serialize) -> Result<(), Failure> {
    let mut text = serde_json::to_string(value).map_err(|e| Failure::Stopped {
        what: "writing the report".into(),
        source: e.into(),
    })?;
    text.push('\n');
    output::write_or_close(&mut std::io::stdout().lock(), text.as_bytes());
    Ok(())
}

/// Logs to `path` (the demo keeps the terminal for its display).
pub fn init_file_logging(path: &Path) -> Result<(), UsageError> {
    let file = std::fs::File::create(path)
        .map_err(|e| UsageError::Path(format!("cannot create {}: {e}", path.display())))?;
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
        .with_writer(output::log_writer)
        .try_init();
}

/// Resolves on Ctrl-C or SIGTERM, or when stdout or stderr closes (see
/// [`output`]).
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
        () = output::wait_closed() => {}
    }
}

/// A multi-threaded runtime for the node commands.
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::resources("the async runtime", e))
}
