//! The demo through the real binary: asked for N blocks at a difficulty
//! the miners solve in milliseconds, it commits N, and says so, however
//! many more the miners could have found while it stopped.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use chain::Store;

const BIN: &str = env!("CARGO_BIN_EXE_coordinator");

#[test]
fn the_demo_mines_exactly_the_blocks_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    // Eight zero bits: a block about every 256 hashes, so thousands of
    // blocks a second could come between the target and the stop.
    let out = Command::new(BIN)
        .args(["demo", "--miners", "3", "--blocks", "4", "--zero-bits", "8"])
        .args(["--heartbeat-ms", "100", "--backend", "portable", "--data"])
        .arg(&data)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("mined 4 blocks in"), "{text}");
    let heights: Vec<u64> = text
        .lines()
        .skip_while(|l| !l.starts_with("height"))
        .skip(1)
        .map_while(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    assert_eq!(heights, [0, 1, 2, 3, 4], "{text}");
    // The database agrees: nothing was committed after the report.
    let store = chain::SqliteStore::open_existing(&data.join("chain.db")).unwrap();
    assert_eq!(store.tip_state().unwrap().tip.height, 4);
}
