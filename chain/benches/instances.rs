//! Blocks and transactions admitted per second, through one service
//! instance and through two on the same store, on SQLite (two stores on
//! one file, as two processes would) and on PostgreSQL (a server of the
//! bench's own, `fsync` on, as the tests start it): six configurations,
//! measured in turn, `ROUNDS` times over in one run, each on a fresh
//! chain, and the medians printed side by side.
//!
//! - blocks: `BLOCKS` blocks in a row, each mined (8 zero bits, a few
//!   hundred hashes) from one instance's template and submitted to the
//!   next instance (with two: from A's template to B, then B's to A), so
//!   the time is a template read, a template body write, a submission and
//!   its commit per block;
//! - transactions: `ACCOUNTS` accounts each send `PER_ACCOUNT` transfers in
//!   sequence, all accounts at once, account `i` through instance `i mod
//!   n`, one transaction a request; the time until every one is answered
//!   `202` (durable);
//! - in batches: then `GROUPS` groups of accounts, all at once, group `g`
//!   through instance `g mod n`, each sending `BATCHES` requests of one
//!   transfer per account of the group (`POST /v1/transactions` with a
//!   list).
//!
//! PostgreSQL is measured twice more, over TLS (`sslmode=verify-full`
//! against a certificate for `localhost` from a CA of the bench's own):
//! the same server, the same rounds, so the rows side by side are what
//! encryption costs.
//!
//! Two instances share one database, so each admission (and each block)
//! is a write transaction on it either way: a second instance adds
//! availability, and throughput only as far as the database has room.
//! The clients share the machine (and its cores) with the services and
//! the database. Without PostgreSQL installed its rows are left out, with
//! `SKIPPED` and why.
//!
//! `cargo bench -p chain --bench instances`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/support/certs.rs"]
mod certs;
#[path = "../tests/support/postgres.rs"]
mod pg;

use std::sync::Arc;
use std::time::Instant;

use chain::ledger::{Action, Address, Amount, Asset, SigningKey, Tx, address, public_key};
use chain::store::CreateParams;
use chain::{ChainClient, Location, ServiceConfig, Store};
use protocol::NonceRange;
use protocol::kernel::{Kernel, ScanJob};

const ROUNDS: usize = 3;
const BLOCKS: usize = 300;
const ACCOUNTS: usize = 256;
const PER_ACCOUNT: usize = 8;
const GROUPS: usize = 8;
const BATCHES: usize = 16;
const GROUP: usize = ACCOUNTS / GROUPS;

/// What one configuration measured.
struct Row {
    store: &'static str,
    instances: usize,
    blocks_per_sec: f64,
    txs_per_sec: f64,
    batched_per_sec: f64,
}

async fn serve(store: Arc<dyn Store>) -> ChainClient {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let mut config = ServiceConfig::default();
    config.limits.max_mempool = 10_000_000;
    tokio::spawn(chain::serve(
        listener,
        store,
        config,
        std::future::pending(),
    ));
    ChainClient::new(&url).unwrap()
}

fn mine(template: &chain::api::Template) -> protocol::BlockHeader {
    let header = template.header(template.time_for(now()));
    let nonce = Kernel::portable()
        .scan(
            &ScanJob::new(&header.to_bytes()),
            NonceRange::FULL,
            template.zero_bits,
        )
        .found
        .unwrap();
    header.with_nonce(nonce)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Measures `instances` services on one chain at `location`.
async fn measure(store: &'static str, location: Location, instances: usize) -> Row {
    let operator = SigningKey::from_bytes(&[1; 32]);
    let params = CreateParams {
        zero_bits: Some(8),
        operator: Some(public_key(&operator)),
    };
    let mut clients = Vec::new();
    for _ in 0..instances {
        let location = location.clone();
        let store = tokio::task::spawn_blocking(move || location.open(params).unwrap())
            .await
            .unwrap();
        clients.push(serve(store).await);
    }
    let payout = Address([3; 20]);

    let started = Instant::now();
    for i in 0..BLOCKS {
        let template = clients[i % instances].template(&payout).await.unwrap();
        let header = mine(&template);
        clients[(i + 1) % instances]
            .submit(&header, "bench")
            .await
            .unwrap();
    }
    let blocks = started.elapsed();

    let keys: Vec<SigningKey> = (0..ACCOUNTS)
        .map(|i| {
            let mut seed = [10u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            SigningKey::from_bytes(&seed)
        })
        .collect();
    let deposits: Vec<Tx> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let deposit = Action::Deposit {
                to: address(k),
                amount: Amount(1_000_000),
            };
            Tx::sign(&operator, i as u64, deposit)
        })
        .collect();
    for chunk in deposits.chunks(chain::api::MAX_TX_BATCH) {
        accepted(&clients[0].submit_transactions(chunk).await.unwrap());
    }
    // The deposits into a block, so that the transfers spend confirmed usd.
    let template = clients[0].template(&payout).await.unwrap();
    clients[0].submit(&mine(&template), "bench").await.unwrap();
    let batches: Vec<Vec<Tx>> = keys
        .iter()
        .map(|k| {
            (0..PER_ACCOUNT as u64)
                .map(|seq| {
                    let action = Action::Transfer {
                        asset: Asset::Usd,
                        to: Address([4; 20]),
                        amount: Amount(1),
                    };
                    Tx::sign(k, seq, action)
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    let tasks: Vec<_> = batches
        .into_iter()
        .enumerate()
        .map(|(i, txs)| {
            let client = clients[i % instances].clone();
            tokio::spawn(async move {
                for tx in txs {
                    client.submit_transaction(&tx).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let txs = started.elapsed();

    let transfer = |k: &SigningKey, seq: u64| {
        let action = Action::Transfer {
            asset: Asset::Usd,
            to: Address([4; 20]),
            amount: Amount(1),
        };
        Tx::sign(k, seq, action)
    };
    let groups: Vec<Vec<Vec<Tx>>> = keys
        .chunks(GROUP)
        .map(|group| {
            (0..BATCHES as u64)
                .map(|b| {
                    let seq = PER_ACCOUNT as u64 + b;
                    group.iter().map(|k| transfer(k, seq)).collect()
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    let tasks: Vec<_> = groups
        .into_iter()
        .enumerate()
        .map(|(g, batches)| {
            let client = clients[g % instances].clone();
            tokio::spawn(async move {
                for batch in batches {
                    accepted(&client.submit_transactions(&batch).await.unwrap());
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let batched = started.elapsed();
    Row {
        store,
        instances,
        blocks_per_sec: BLOCKS as f64 / blocks.as_secs_f64(),
        txs_per_sec: (ACCOUNTS * PER_ACCOUNT) as f64 / txs.as_secs_f64(),
        batched_per_sec: (ACCOUNTS * BATCHES) as f64 / batched.as_secs_f64(),
    }
}

/// Panics unless every transaction of a batch was admitted.
fn accepted(outcomes: &[chain::api::TxOutcome]) {
    for o in outcomes {
        assert!(
            matches!(o, chain::api::TxOutcome::Accepted(_)),
            "refused: {o:?}"
        );
    }
}

/// Adds `row` to the `i`th configuration's rounds.
fn record(runs: &mut Vec<Vec<Row>>, i: &mut usize, row: Row) {
    eprintln!(
        "{}, {}: {:.0} blocks/s, {:.0} transactions/s, {:.0} in batches",
        row.store, row.instances, row.blocks_per_sec, row.txs_per_sec, row.batched_per_sec
    );
    if runs.len() == *i {
        runs.push(Vec::new());
    }
    runs[*i].push(row);
    *i += 1;
}

/// Turns TLS on at `server` with a certificate for `localhost` from a new
/// CA; the CA's certificate, written into `dir`, is returned.
fn tls(server: &pg::PgServer, dir: &std::path::Path) -> std::path::PathBuf {
    let (ca, issuer) = certs::ca("bench CA");
    let (cert, key) = certs::issue(&issuer, "localhost", &["localhost"]);
    server.enable_tls(&cert, &key, &ca, &[]);
    let path = dir.join("ca.pem");
    std::fs::write(&path, ca).unwrap();
    path
}

/// A new database's URL at `localhost`, verified against the CA at `ca`.
fn over_tls(server: &pg::PgServer, ca: &std::path::Path) -> String {
    let url = server.database().replace("@127.0.0.1:", "@localhost:");
    format!("{url}?sslmode=verify-full&sslrootcert={}", ca.display())
}

fn cpu() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The server, and the CA its TLS certificate is from.
    let server = match pg::missing() {
        None => {
            let server = pg::PgServer::start();
            let ca = tls(&server, dir.path());
            Some((server, ca))
        }
        Some(why) => {
            println!("SKIPPED the PostgreSQL rows: {why}");
            None
        }
    };
    // Rounds of every configuration in turn, each on a fresh chain; the
    // median of each figure over the rounds.
    let mut runs: Vec<Vec<Row>> = Vec::new();
    for round in 0..ROUNDS {
        let mut i = 0;
        for instances in [1, 2] {
            let file = dir.path().join(format!("chain-{round}-{instances}.db"));
            let row = rt.block_on(measure("SQLite", Location::Sqlite(file), instances));
            record(&mut runs, &mut i, row);
            if let Some((server, ca)) = &server {
                let urls = [
                    ("PostgreSQL", server.database()),
                    ("PostgreSQL, TLS", over_tls(server, ca)),
                ];
                for (store, url) in urls {
                    let location = Location::parse(&url).unwrap();
                    let row = rt.block_on(measure(store, location, instances));
                    record(&mut runs, &mut i, row);
                }
            }
        }
    }
    println!(
        "\n{} cores, {}; median of {ROUNDS} rounds; {BLOCKS} blocks in a row; {} transfers from \
         {ACCOUNTS} accounts at once, one a request; then {} in batches of {GROUP} from {GROUPS} \
         groups at once",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu(),
        ACCOUNTS * PER_ACCOUNT,
        ACCOUNTS * BATCHES,
    );
    println!("| store | instances | blocks/s | transactions/s | in batches of {GROUP}/s |");
    println!("|---|---:|---:|---:|---:|");
    for rows in &runs {
        let median = |f: fn(&Row) -> f64| {
            let mut v: Vec<f64> = rows.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.0} |",
            rows[0].store,
            rows[0].instances,
            median(|r| r.blocks_per_sec),
            median(|r| r.txs_per_sec),
            median(|r| r.batched_per_sec)
        );
    }
    drop(rt);
    drop(server);
}
