//! Headless Chromium for the page tests: runs a script of `web-tests/`
//! (playwright-core, installed by `scripts/setup` with `npm ci`) against a
//! service the test started, and talks to it one line at a time: the
//! script reports on stdout, the test answers on its stdin.
//!
//! Without Chromium, Node.js or playwright-core a test prints `SKIPPED`
//! and why, and passes; with `CI=true` in the environment it fails.
//! Screenshots go to `target/screenshots/`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The workspace's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("a crate of the workspace")
        .to_path_buf()
}

/// Where screenshots are kept.
pub fn screenshots() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root().join("target"), PathBuf::from)
        .join("screenshots")
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// Why the page tests cannot run here, if they cannot.
pub fn missing() -> Option<String> {
    let chromium = chromium();
    if !chromium.exists() {
        return Some(format!(
            "no Chromium at {} (`bash scripts/setup` installs Debian's `chromium`)",
            chromium.display()
        ));
    }
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        return Some("no `node` on PATH (`bash scripts/setup` installs Node.js)".into());
    }
    let playwright = root().join("web-tests/node_modules/playwright-core");
    if !playwright.exists() {
        return Some(format!(
            "no {} (`bash scripts/setup` runs `npm ci` in web-tests/)",
            playwright.display()
        ));
    }
    None
}

/// True when the page tests can run. Otherwise prints `SKIPPED` with the
/// reason, or panics under `CI=true`.
pub fn available(test: &str) -> bool {
    let Some(why) = missing() else {
        return true;
    };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: the browser is required under CI=true: {why}");
    }
    println!("SKIPPED: {test}: {why}");
    false
}

/// A page script running.
pub struct Script {
    name: String,
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    /// Every line it printed so far.
    pub said: Vec<String>,
}

impl Script {
    /// Starts `web-tests/NAME.mjs` with `args`.
    pub fn start(name: &str, args: &[&str]) -> Script {
        let mut child = Command::new("node")
            .arg(root().join(format!("web-tests/{name}.mjs")))
            .args(args)
            .env("CHROMIUM", chromium())
            .env("SCREENSHOT_DIR", screenshots())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Script {
            name: name.to_owned(),
            child,
            stdin,
            lines,
            said: Vec::new(),
        }
    }

    /// The next line that starts with `prefix` (the rest of it), within
    /// `limit`. Panics if the script fails or ends first.
    pub async fn expect(&mut self, prefix: &str, limit: Duration) -> String {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.next_line())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{}: no {prefix:?} within {limit:?}; it said {:?}",
                        self.name, self.said
                    )
                })
                .expect("reading the script's output");
            let Some(line) = line else {
                panic!(
                    "{}: ended before {prefix:?}; it said {:?}",
                    self.name, self.said
                );
            };
            println!("{}: {line}", self.name);
            self.said.push(line.clone());
            assert!(
                !line.starts_with("FAILED"),
                "{}: {line} (screenshot in {})",
                self.name,
                screenshots().display()
            );
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.trim().to_owned();
            }
        }
    }

    /// Sends one line.
    pub async fn send(&mut self, line: &str) {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("the script reads its input");
        self.stdin.flush().await.unwrap();
    }

    /// Waits for `OK` and a clean exit.
    pub async fn finish(mut self, limit: Duration) {
        self.expect("OK", limit).await;
        let status = tokio::time::timeout(limit, self.child.wait())
            .await
            .expect("the script exits")
            .unwrap();
        assert!(status.success(), "{}: exit {status}", self.name);
    }
}
