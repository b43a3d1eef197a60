//! The demo through the real binary: asked for N blocks at a difficulty
//! the miners solve in milliseconds, it commits N, and says so, however
//! many more the miners could have found while it stopped.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use chain::Store;

#[path = "support/chain_process.rs"]
mod support;
use support::ChainProcess;

const BIN: &str = env!("CARGO_BIN_EXE_coordinator");

/// Runs the demo on `data` with `extra` flags; its stdout, after checking
/// that it succeeded.
fn demo(data: &std::path::Path, extra: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(["demo", "--miners", "3", "--blocks", "4"])
        .args(["--heartbeat-ms", "100", "--backend", "portable", "--data"])
        .arg(data)
        .args(extra)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The heights of the chain the demo printed at the end.
fn heights(text: &str) -> Vec<u64> {
    text.lines()
        .skip_while(|l| !l.starts_with("height"))
        .skip(1)
        .map_while(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

#[test]
fn the_demo_mines_exactly_the_blocks_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    // Eight zero bits: a block about every 256 hashes, so thousands of
    // blocks a second could come between the target and the stop.
    let text = demo(&data, &["--zero-bits", "8"]);
    assert!(text.contains("mined 4 blocks in"), "{text}");
    assert_eq!(heights(&text), [0, 1, 2, 3, 4], "{text}");
    // The database agrees: nothing was committed after the report.
    let store = chain::SqliteStore::open_existing(&data.join("chain.db")).unwrap();
    assert_eq!(store.tip_state().unwrap().tip.height, 4);
}

#[test]
fn a_data_directory_given_again_continues_its_chain() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    demo(&data, &["--zero-bits", "8"]);
    // No --zero-bits: the chain's own 8, not one measured for this
    // machine. Traders: their deposits need the operator key the chain
    // was made with, which the directory kept.
    let text = demo(&data, &["--traders", "2"]);
    assert!(text.contains("continuing the chain in"), "{text}");
    assert!(text.contains("4 blocks at 8 zero bits"), "{text}");
    assert!(text.contains("mined 4 blocks in"), "{text}");
    let trading = text.lines().find(|l| l.starts_with("trading:")).unwrap();
    assert!(!trading.contains("not_operator"), "{trading}");
    let store = chain::SqliteStore::open_existing(&data.join("chain.db")).unwrap();
    assert_eq!(store.tip_state().unwrap().tip.height, 8);
    assert!(store.params().operator.is_some());
    // Another difficulty is refused, and the chain is left as it was.
    let out = Command::new(BIN)
        .args(["demo", "--blocks", "1", "--zero-bits", "9", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("8 zero bits: omit --zero-bits"), "{err}");
    assert_eq!(store.tip_state().unwrap().tip.height, 8);
    drop(store);
    // Between runs the operator deposits by hand with the kept key, which
    // takes its next sequence number.
    let service = ChainProcess::start(&["--db", data.join("chain.db").to_str().unwrap()]).unwrap();
    let out = Command::new(BIN)
        .args([
            "wallet",
            "deposit",
            "--chain",
            &service.url,
            "--operator-key",
        ])
        .arg(data.join("operator.key"))
        .args(["--to", &"ab".repeat(20), "--amount", "5"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(service);
    // A third run with one trader more: the two traders of the run before
    // come back with their keys (and so their balances); the operator's
    // deposits continue its sequence, wherever it stands.
    let kept = |i: u32| std::fs::read_to_string(data.join(format!("traders/{i}.key"))).unwrap();
    let before = [kept(0), kept(1)];
    let text = demo(&data, &["--traders", "3"]);
    assert!(
        text.contains("3 traders (2 kept from earlier runs)"),
        "{text}"
    );
    assert_eq!([kept(0), kept(1)], before);
    let trading = text.lines().find(|l| l.starts_with("trading:")).unwrap();
    assert!(!trading.contains("sequence"), "{trading}");
    let store = chain::SqliteStore::open_existing(&data.join("chain.db")).unwrap();
    assert_eq!(store.tip_state().unwrap().tip.height, 12);
}
