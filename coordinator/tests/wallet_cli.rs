//! `coordinator wallet` as a real binary against `coordinator chain` as a
//! real process on a real SQLite file: keys, deposits, orders matched in
//! blocks, the book, trades, cancels, transfers, refusals with exit
//! status 2; mempool entries and blocks with bodies surviving SIGKILL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/chain_process.rs"]
mod process;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chain::ChainClient;
use chain::ledger::{Address, REWARD};
use process::ChainProcess;
use protocol::NonceRange;
use protocol::kernel::{Kernel, ScanJob};
use serde_json::Value;

/// `coordinator chain` on `db`, its deposits signed by `operator`.
fn start(db: &Path, operator: &str) -> ChainProcess {
    let db = db.to_str().unwrap();
    ChainProcess::start(&["--zero-bits", "8", "--operator", operator, "--db", db])
        .expect("the chain service started")
}

fn coordinator(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coordinator"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs a wallet subcommand with `--json` against `url`; its JSON.
fn wallet(url: &str, args: &[&str]) -> Value {
    let mut all = vec!["wallet"];
    all.extend_from_slice(args);
    all.extend(["--chain", url, "--json"]);
    let out = coordinator(&all);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A new key file in `dir`, made by `wallet new`; its path and address.
fn new_key(dir: &Path, name: &str) -> (PathBuf, String, String) {
    let out = coordinator(&["wallet", "new"]);
    assert!(out.status.success());
    let path = dir.join(name);
    std::fs::write(&path, &out.stdout).unwrap();
    let shown = coordinator(&[
        "wallet",
        "address",
        "--key",
        path.to_str().unwrap(),
        "--json",
    ]);
    let v: Value = serde_json::from_slice(&shown.stdout).unwrap();
    (
        path,
        v["address"].as_str().unwrap().to_owned(),
        v["public_key"].as_str().unwrap().to_owned(),
    )
}

/// Mines the next block with the service's template, paying `payout`.
async fn mine(url: &str, payout: &str) -> u64 {
    let client = ChainClient::new(url).unwrap();
    let template = client
        .template(&Address::parse(payout).unwrap())
        .await
        .unwrap();
    let header = template.header(template.min_time);
    let found = Kernel::portable()
        .scan(
            &ScanJob::new(&header.to_bytes()),
            NonceRange::FULL,
            template.zero_bits,
        )
        .found
        .unwrap();
    client
        .submit(&header.with_nonce(found), "wallet test")
        .await
        .unwrap()
        .height
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wallet_trades_through_a_real_chain_service() {
    let dir = tempfile::tempdir().unwrap();
    let (op_key, _, op_pub) = new_key(dir.path(), "operator.key");
    let (alice_key, alice, _) = new_key(dir.path(), "alice.key");
    let (bob_key, bob, _) = new_key(dir.path(), "bob.key");
    let service = start(&dir.path().join("chain.db"), &op_pub);
    let url = service.url.clone();

    let dep = wallet(
        &url,
        &[
            "deposit",
            "--operator-key",
            p(&op_key),
            "--to",
            &bob,
            "--amount",
            "5000",
        ],
    );
    assert_eq!(
        (dep["status"].as_str(), dep["duplicate"].as_bool()),
        (Some("pending"), Some(false))
    );
    assert_eq!(mine(&url, &alice).await, 1);
    let a = wallet(&url, &["balance", &alice]);
    assert_eq!(a["coin"].as_u64(), Some(REWARD.0));
    let b = wallet(&url, &["balance", "--key", p(&bob_key)]);
    assert_eq!(b["usd"].as_u64(), Some(5000));

    let sell = wallet(
        &url,
        &[
            "order",
            "--key",
            p(&alice_key),
            "--side",
            "sell",
            "--price",
            "10",
            "--amount",
            "100",
        ],
    );
    wallet(
        &url,
        &[
            "order",
            "--key",
            p(&bob_key),
            "--side",
            "buy",
            "--price",
            "11",
            "--amount",
            "150",
        ],
    );
    mine(&url, &alice).await;
    let trades = wallet(&url, &["trades"]);
    assert_eq!(trades.as_array().unwrap().len(), 1);
    assert_eq!(
        (trades[0]["price"].as_u64(), trades[0]["amount"].as_u64()),
        (Some(10), Some(100))
    );
    assert_eq!(trades[0]["maker"], sell["id"]);
    let book = wallet(&url, &["book"]);
    assert_eq!(
        (
            book["bids"][0]["price"].as_u64(),
            book["bids"][0]["amount"].as_u64()
        ),
        (Some(11), Some(50))
    );

    // Cancel the rest, waiting for the block; then a transfer.
    let b = wallet(&url, &["balance", &bob]);
    let order = b["open_orders"][0]["id"].as_str().unwrap().to_owned();
    let miner_url = url.clone();
    let miner_payout = alice.clone();
    let miner = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        mine(&miner_url, &miner_payout).await
    });
    let cancel = tokio::task::spawn_blocking({
        let (url, key) = (url.clone(), bob_key.clone());
        move || wallet(&url, &["cancel", &order, "--key", p(&key), "--wait"])
    })
    .await
    .unwrap();
    assert_eq!(cancel["status"], "in_block");
    miner.await.unwrap();
    let b = wallet(&url, &["balance", &bob]);
    assert_eq!(
        (
            b["usd"].as_u64(),
            b["locked_usd"].as_u64(),
            b["coin"].as_u64()
        ),
        (Some(4000), Some(0), Some(100))
    );
    wallet(
        &url,
        &[
            "send",
            "--key",
            p(&bob_key),
            "--to",
            &alice,
            "--amount",
            "40",
            "--asset",
            "coin",
        ],
    );
    let b = wallet(&url, &["balance", &bob]);
    assert_eq!(
        (b["coin"].as_u64(), b["pending"]["coin"].as_u64()),
        (Some(100), Some(60))
    );

    // Refusals: the service's code, exit status 2; nothing changes.
    let out = coordinator(&[
        "wallet",
        "send",
        "--key",
        p(&bob_key),
        "--to",
        &alice,
        "--amount",
        "61",
        "--chain",
        &url,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("insufficient_funds"));
    let out = coordinator(&[
        "wallet",
        "deposit",
        "--operator-key",
        p(&alice_key),
        "--to",
        &alice,
        "--amount",
        "1",
        "--chain",
        &url,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not_operator"));
    for bad in [
        vec![
            "wallet",
            "send",
            "--key",
            p(&bob_key),
            "--to",
            &alice,
            "--amount",
            "0",
        ],
        vec![
            "wallet",
            "order",
            "--key",
            p(&bob_key),
            "--side",
            "up",
            "--price",
            "1",
            "--amount",
            "1",
        ],
        vec!["wallet", "balance", "nothex"],
        vec!["wallet", "address", "--key", "/nonexistent/key"],
    ] {
        assert_eq!(coordinator(&bad).status.code(), Some(2), "{bad:?}");
    }
    let out = coordinator(&["wallet", "book", "--chain", "http://127.0.0.1:1"]);
    assert_eq!(out.status.code(), Some(1));
    let text = coordinator(&["wallet", "book", "--chain", &url]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("book at height 3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mempool_entries_and_block_bodies_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chain.db");
    let (op_key, _, op_pub) = new_key(dir.path(), "operator.key");
    let (_, alice, _) = new_key(dir.path(), "alice.key");
    let mut service = start(&db, &op_pub);
    let url = service.url.clone();
    let first = wallet(
        &url,
        &[
            "deposit",
            "--operator-key",
            p(&op_key),
            "--to",
            &alice,
            "--amount",
            "7",
        ],
    );
    mine(&url, &alice).await;
    let second = wallet(
        &url,
        &[
            "deposit",
            "--operator-key",
            p(&op_key),
            "--to",
            &alice,
            "--amount",
            "8",
        ],
    );
    service.kill();

    let service = start(&db, &op_pub);
    let client = ChainClient::new(&service.url).unwrap();
    let id = |v: &Value| chain::ledger::TxId::parse(v["id"].as_str().unwrap()).unwrap();
    let kept = client.transaction(&id(&second)).await.unwrap().unwrap();
    assert_eq!(kept.status, "pending");
    let block = client.blocks_with_transactions(1, 1).await.unwrap();
    assert_eq!(block[0].transactions[1].id, id(&first));
    let view = client
        .account(&Address::parse(&alice).unwrap())
        .await
        .unwrap();
    assert_eq!(
        (view.confirmed.usd, view.pending.usd, view.confirmed.coin),
        (7, 15, REWARD.0)
    );
    assert_eq!(mine(&service.url, &alice).await, 2);
    let kept = client.transaction(&id(&second)).await.unwrap().unwrap();
    assert_eq!((kept.status.as_str(), kept.block), ("in_block", Some(2)));
}
