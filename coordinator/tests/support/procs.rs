//! The `coordinator` binary as child processes, for the tests that run a
//! cluster of real processes: each child's stdout read line by line on a
//! thread of its own (so a chatty child never blocks on a full pipe), its
//! error output written to a log file, SIGKILLed when dropped; and the
//! polling those tests do (they wait for outcomes, never for fixed times).
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_coordinator");
/// How long a test waits for an outcome before it fails.
pub const LIMIT: Duration = Duration::from_secs(120);

/// A running `coordinator`.
pub struct Proc {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Where its error output (the log, at `RUST_LOG=info`) goes.
    pub log: PathBuf,
}

impl Proc {
    /// `coordinator args`, its log to `log`.
    pub fn spawn(args: &[&str], log: &Path) -> Proc {
        Proc::spawn_env(args, &[], log)
    }

    /// As [`Proc::spawn`], with `env` added to its environment.
    pub fn spawn_env(args: &[&str], env: &[(&str, &str)], log: &Path) -> Proc {
        let mut child = Command::new(BIN)
            .args(args)
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Proc {
            child,
            lines,
            log: log.to_owned(),
        }
    }

    /// The rest of the first stdout line starting with `prefix`; fails
    /// with the log if none comes within a minute.
    pub fn line(&self, prefix: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| {
                    panic!(
                        "no line starting with {prefix:?}; log: {}",
                        std::fs::read_to_string(&self.log).unwrap_or_default()
                    )
                });
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.to_owned();
            }
        }
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends `sig` and returns at once (for signals that do not end it).
    pub fn send_signal(&self, sig: &str) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args([sig, &pid])
                .status()
                .unwrap()
                .success()
        );
    }

    /// Sends `sig` and waits for the process to end.
    pub fn signal(&mut self, sig: &str) -> ExitStatus {
        self.send_signal(sig);
        self.child.wait().unwrap()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `coordinator keygen --out path`.
pub fn keygen(path: &Path) {
    let out = Command::new(BIN)
        .args(["keygen", "--out"])
        .arg(path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// A GET of `url`: its status and JSON body, or none if it did not answer
/// JSON within five seconds.
pub fn get(url: &str) -> Option<(u16, serde_json::Value)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .ok()?;
        let response = client.get(url).send().await.ok()?;
        let status = response.status().as_u16();
        Some((status, response.json().await.ok()?))
    })
}

/// The JSON body of a GET of `url`, whatever its status.
pub fn get_json(url: &str) -> Option<serde_json::Value> {
    get(url).map(|(_, v)| v)
}

/// Polls `f` until it gives a value; that value and how long it took.
/// Fails naming `what` after [`LIMIT`].
pub fn wait<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> (T, Duration) {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return (v, start.elapsed());
        }
        assert!(start.elapsed() < LIMIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
