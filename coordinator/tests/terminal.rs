//! The demo's live view in a real terminal (tmux): redrawn in place at 80
//! columns and after the terminal is resized narrower and wider, never
//! piling up copies of its lines; the final chain listing fits 80 columns.
//! Without tmux it says SKIPPED (under CI=true, that fails).
#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_coordinator");

fn tmux(args: &[&str]) -> String {
    let out = Command::new("tmux").args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        tmux(&["kill-session", "-t", &self.0]);
    }
}

#[test]
fn the_live_view_redraws_in_place_at_any_width() {
    if Command::new("tmux").arg("-V").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "tmux is missing (scripts/setup installs it)"
        );
        println!("SKIPPED: no tmux");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let name = format!("demo-view-{}", std::process::id());
    let done = dir.path().join("done");
    let command = format!(
        "{BIN} demo --miners 2 --blocks 4 --zero-bits 21 --heartbeat-ms 300 --backend portable \
         --data {}; touch {}; sleep 600",
        dir.path().join("data").display(),
        done.display()
    );
    let out = Command::new("tmux")
        .args([
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            &name,
            "-x",
            "80",
            "-y",
            "24",
        ])
        .arg(&command)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let _session = Session(name.clone());
    let start = Instant::now();
    let mut live = 0;
    let mut sizes = [(80, 24), (44, 20), (120, 30), (60, 24)]
        .into_iter()
        .cycle();
    while !done.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(240),
            "the demo did not finish"
        );
        let screen = tmux(&["capture-pane", "-p", "-t", &name]);
        let count = |prefix: &str| {
            screen
                .lines()
                .filter(|l| l.trim_start().starts_with(prefix))
                .count()
        };
        if count("blocks ") > 0 && !screen.contains("the chain (") {
            live += 1;
            for prefix in ["blocks ", "host m1 ", "host m2 ", "miner "] {
                assert!(
                    count(prefix) <= 1,
                    "copies of {prefix:?} piled up:\n{screen}"
                );
            }
        }
        let (x, y) = sizes.next().unwrap();
        tmux(&[
            "resize-window",
            "-t",
            &name,
            "-x",
            &x.to_string(),
            "-y",
            &y.to_string(),
        ]);
        std::thread::sleep(Duration::from_millis(700));
    }
    assert!(live > 0, "never saw the live view");
    tmux(&["resize-window", "-t", &name, "-x", "80", "-y", "40"]);
    std::thread::sleep(Duration::from_millis(300));
    let history = tmux(&["capture-pane", "-p", "-J", "-S", "-200", "-t", &name]);
    let listing: Vec<&str> = history
        .lines()
        .skip_while(|l| !l.starts_with("the chain ("))
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(listing.len() >= 3, "{history}");
    for line in &listing {
        assert!(
            line.chars().count() <= 80,
            "wider than 80 columns: {line:?}"
        );
    }
}
