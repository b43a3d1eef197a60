//! `coordinator chain` as a real process: blocks acknowledged with 201
//! survive a SIGKILL mid-run, a chain keeps its difficulty, `chain export`
//! prints the chain, `chain import` reads it back (into SQLite files and
//! PostgreSQL databases), and bad flags exit with status 2.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../chain/tests/support/postgres.rs"]
mod pg;
#[path = "support/chain_process.rs"]
mod process;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use chain::ChainClient;
use chain::api::Template;
use process::ChainProcess;
use protocol::kernel::{Kernel, ScanJob};
use protocol::{BlockHeader, Hash256, NonceRange};
use tokio::sync::mpsc;

/// Where the tests' blocks pay their reward.
const PAYOUT: chain::ledger::Address = chain::ledger::Address([7; 20]);

/// `coordinator chain` on `db`, with `--zero-bits` if given.
fn start(db: &Path, zero_bits: Option<&str>) -> ChainProcess {
    let mut args = vec!["--db", db.to_str().unwrap()];
    if let Some(z) = zero_bits {
        args.extend(["--zero-bits", z]);
    }
    ChainProcess::start(&args).unwrap_or_else(|e| panic!("coordinator chain did not start: {e}"))
}

fn coordinator(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coordinator"))
        .args(args)
        .output()
        .unwrap()
}

/// A header meeting the template's difficulty at its minimum time.
fn solve(template: &Template) -> BlockHeader {
    let header = template.header(template.min_time);
    let job = ScanJob::new(&header.to_bytes());
    let found = Kernel::portable().scan(&job, NonceRange::FULL, template.zero_bits);
    header.with_nonce(found.found.unwrap())
}

/// Mines and submits blocks until the service stops answering; sends
/// every block acknowledged with 201.
async fn mine_until_gone(client: ChainClient, acked: mpsc::UnboundedSender<(u64, Hash256)>) {
    loop {
        let Ok(template) = client.template(&PAYOUT).await else {
            return;
        };
        match client.submit(&solve(&template), "durability").await {
            Ok(a) => acked.send((a.height, a.hash)).unwrap(),
            Err(e) if e.is_retryable() => return,
            Err(e) => panic!("{e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_blocks_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chain.db");
    let mut service = start(&db, Some("8"));
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let miner = tokio::spawn(mine_until_gone(
        ChainClient::new(&service.url).unwrap(),
        sender,
    ));
    let mut acked = Vec::new();
    while acked.len() < 40 {
        acked.push(receiver.recv().await.unwrap());
    }
    // Kill while the miner keeps submitting: a request is in flight.
    assert!(!service.kill().success());
    miner.await.unwrap();
    while let Some(ack) = receiver.recv().await {
        acked.push(ack);
    }

    let service = start(&db, None);
    let client = ChainClient::new(&service.url).unwrap();
    for &(height, hash) in &acked {
        let block = client
            .block(height)
            .await
            .unwrap()
            .expect("acknowledged block lost");
        assert_eq!(block.hash, hash);
    }
    let blocks = client.blocks(0, 1000).await.unwrap();
    assert!(blocks.len() > acked.len());
    assert!(
        blocks
            .windows(2)
            .all(|p| p[1].header.prev_hash == p[0].hash)
    );
    // The restarted service extends the same chain.
    let tip = client.tip().await.unwrap();
    assert_eq!(tip.zero_bits, 8);
    let accepted = client
        .submit(&solve(&client.template(&PAYOUT).await.unwrap()), "after")
        .await
        .unwrap();
    assert_eq!(accepted.height, tip.height + 1);
}

#[test]
fn a_chain_keeps_its_difficulty() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chain.db");
    drop(start(&db, Some("8")));
    let out = coordinator(&[
        "chain",
        "--listen",
        "127.0.0.1:0",
        "--db",
        db.to_str().unwrap(),
        "--zero-bits",
        "9",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("8 zero bits") && err.contains("--zero-bits 9"),
        "{err}"
    );
    // Without the flag, or with the same value, it serves.
    drop(start(&db, None));
    drop(start(&db, Some("8")));
}

#[tokio::test]
async fn export_prints_one_line_per_block() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chain.db");
    let service = start(&db, Some("8"));
    let client = ChainClient::new(&service.url).unwrap();
    let mut hashes = vec![client.tip().await.unwrap().hash];
    for _ in 0..3 {
        let template = client.template(&PAYOUT).await.unwrap();
        hashes.push(
            client
                .submit(&solve(&template), "rig 7")
                .await
                .unwrap()
                .hash,
        );
    }
    // Export reads the file while the service runs.
    let out = coordinator(&["chain", "export", "--db", db.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(lines.len(), 4);
    for (height, (fields, hash)) in lines.iter().zip(&hashes).enumerate() {
        assert_eq!(fields.len(), 6);
        assert_eq!(fields[0], height.to_string());
        assert_eq!(fields[1], hash.to_string());
        let header = BlockHeader::from_hex(fields[2]).unwrap();
        assert_eq!(header.hash(), *hash);
        assert_eq!(fields[3], if height == 0 { "genesis" } else { "rig 7" });
        assert_eq!(fields[4], "", "confirmed by nobody: submitted without");
        // The body: the reward alone (genesis has none).
        assert_eq!(
            fields[5].split(',').filter(|t| !t.is_empty()).count(),
            usize::from(height > 0)
        );
    }

    // Read back into new files, from a file and from standard input: the
    // same chain, byte for byte, its difficulty learnt from its blocks.
    let file = dir.path().join("chain.txt");
    std::fs::write(&file, &text).unwrap();
    let copy = dir.path().join("copy.db");
    let out = coordinator(&[
        "chain",
        "import",
        "--db",
        copy.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("imported 3 blocks")
    );
    let piped = dir.path().join("piped.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_coordinator"))
        .args(["chain", "import", "--db", piped.to_str().unwrap(), "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), text.as_bytes()).unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    for db in [&copy, &piped] {
        let again = coordinator(&["chain", "export", "--db", db.to_str().unwrap()]);
        assert_eq!(String::from_utf8(again.stdout).unwrap(), text);
    }
    // Again: nothing to add.
    let out = coordinator(&[
        "chain",
        "import",
        "--db",
        copy.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("imported 0 blocks into")
    );

    // A file whose third line was tampered with: refused by its line, no
    // database created.
    let mut bad: Vec<String> = text.lines().map(str::to_owned).collect();
    bad[2] = bad[2].replacen("rig 7", "rig 7\textra", 1);
    std::fs::write(&file, bad.join("\n") + "\n").unwrap();
    let refused = dir.path().join("refused.db");
    let out = coordinator(&[
        "chain",
        "import",
        "--db",
        refused.to_str().unwrap(),
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("line 3: 7 tab-separated fields"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(!refused.exists());
    assert!(!dir.path().join("refused.db.importing").exists());

    // The same into PostgreSQL databases: a new one gets the chain, the
    // same byte for byte; a refused file leaves a new one untouched.
    if !pg::available("export_prints_one_line_per_block (PostgreSQL)") {
        return;
    }
    let server = pg::shared();
    let good = dir.path().join("good.txt");
    std::fs::write(&good, &text).unwrap();
    let url = server.database();
    let out = coordinator(&["chain", "import", "--db", &url, good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let again = coordinator(&["chain", "export", "--db", &url]);
    assert_eq!(String::from_utf8(again.stdout).unwrap(), text);
    let out = coordinator(&["chain", "import", "--db", &url, good.to_str().unwrap()]);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("imported 0 blocks into")
    );
    let empty = server.database();
    let out = coordinator(&["chain", "import", "--db", &empty, file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("line 3: 7 tab-separated fields"), "{err}");
    let tables = pg::PgServer::query(
        &empty,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    );
    assert_eq!(tables, ["0"], "a refused import created nothing");
}

#[test]
fn bad_flags_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chain.db");
    let db = db.to_str().unwrap();
    let missing = dir.path().join("missing.db");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().to_string();
    let not_a_db = dir.path().join("notes.txt");
    std::fs::write(&not_a_db, "x".repeat(4096)).unwrap();
    for (args, needle) in [
        (vec!["chain", "--db", db], "--listen"),
        (vec!["chain", "--listen", "127.0.0.1:0"], "--db"),
        (
            vec!["chain", "--listen", "nowhere", "--db", db],
            "--listen nowhere",
        ),
        (vec!["chain", "--listen", &taken, "--db", db], "--listen"),
        (
            vec![
                "chain",
                "--listen",
                "127.0.0.1:0",
                "--db",
                db,
                "--zero-bits",
                "0",
            ],
            "zero-bits",
        ),
        (
            vec![
                "chain",
                "--listen",
                "127.0.0.1:0",
                "--db",
                not_a_db.to_str().unwrap(),
            ],
            "notes.txt",
        ),
        (
            vec!["chain", "export", "--db", missing.to_str().unwrap()],
            "no chain database",
        ),
    ] {
        let out = coordinator(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    assert!(!missing.exists());
}
