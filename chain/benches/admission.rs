//! Transaction admission over real HTTP on a real SQLite file: requests
//! per second answered `202` (durable in the mempool), with signature
//! checks and, side by side on the same workload, without them.
//!
//! 512 accounts submit concurrently, each its own transactions in sequence
//! order (a usd transfer each), over keep-alive connections to a service
//! in this process; the mempool's writer batches what arrives meanwhile
//! into one transaction (one fsync). Signing happens before the clock
//! starts; the client shares the machine with the service.
//!
//! `cargo bench -p chain --bench admission`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chain::ledger::{Action, Address, Amount, Asset, SigningKey, Tx, address, public_key};
use chain::store::CreateParams;
use chain::{ChainClient, ServiceConfig, SqliteStore, Store};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use protocol::NonceRange;
use protocol::kernel::{Kernel, ScanJob};
use tokio::runtime::Runtime;

const ACCOUNTS: usize = 512;
const PER_ACCOUNT: usize = 4;
const BATCH: usize = ACCOUNTS * PER_ACCOUNT;

/// A service on a fresh chain whose accounts hold usd, and their keys and
/// next sequence numbers.
struct Bench {
    client: ChainClient,
    keys: Vec<SigningKey>,
    sequences: Vec<u64>,
    _dir: tempfile::TempDir,
}

impl Bench {
    fn start(rt: &Runtime, check_signatures: bool) -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let operator = SigningKey::from_bytes(&[1; 32]);
        let params = CreateParams {
            zero_bits: Some(8),
            operator: Some(public_key(&operator)),
        };
        let store: Arc<dyn Store> =
            Arc::new(SqliteStore::open_with(&dir.path().join("bench.db"), params).unwrap());
        let mut config = ServiceConfig {
            check_signatures,
            follow_every: None,
            ..ServiceConfig::default()
        };
        config.limits.max_mempool = 10_000_000;
        let url = rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            tokio::spawn(chain::serve(
                listener,
                store,
                config,
                std::future::pending(),
            ));
            url
        });
        let client = ChainClient::new(&url).unwrap();
        let keys: Vec<SigningKey> = (0..ACCOUNTS)
            .map(|i| {
                let mut seed = [10u8; 32];
                seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
                SigningKey::from_bytes(&seed)
            })
            .collect();
        rt.block_on(async {
            for (i, k) in keys.iter().enumerate() {
                let deposit = Action::Deposit {
                    to: address(k),
                    amount: Amount(u64::MAX / 1024),
                };
                client
                    .submit_transaction(&Tx::sign(&operator, i as u64, deposit))
                    .await
                    .unwrap();
            }
            let template = client.template(&Address([3; 20])).await.unwrap();
            let header = template.header(template.min_time);
            let job = ScanJob::new(&header.to_bytes());
            let nonce = Kernel::portable()
                .scan(&job, NonceRange::FULL, template.zero_bits)
                .found
                .unwrap();
            client
                .submit(&header.with_nonce(nonce), "bench")
                .await
                .unwrap();
        });
        Bench {
            client,
            keys,
            sequences: vec![0; ACCOUNTS],
            _dir: dir,
        }
    }

    /// The next batch: `PER_ACCOUNT` transfers per account, signed.
    fn batch(&mut self) -> Vec<Vec<Tx>> {
        self.keys
            .iter()
            .zip(&mut self.sequences)
            .map(|(k, seq)| {
                (0..PER_ACCOUNT)
                    .map(|_| {
                        let action = Action::Transfer {
                            asset: Asset::Usd,
                            to: Address([4; 20]),
                            amount: Amount(1),
                        };
                        *seq += 1;
                        Tx::sign(k, *seq - 1, action)
                    })
                    .collect()
            })
            .collect()
    }

    /// Posts a batch in requests of `per_request` transactions (one per
    /// account, accounts grouped by task); the time until all are in.
    async fn post_many(&self, batch: Vec<Vec<Tx>>, per_request: usize) -> Duration {
        let started = Instant::now();
        let tasks: Vec<_> = batch
            .chunks(per_request)
            .map(|group| {
                let client = self.client.clone();
                let group: Vec<Vec<Tx>> = group.to_vec();
                tokio::spawn(async move {
                    for round in 0..PER_ACCOUNT {
                        let txs: Vec<Tx> = group.iter().map(|txs| txs[round].clone()).collect();
                        let results = client.submit_transactions(&txs).await.unwrap();
                        assert!(
                            results
                                .iter()
                                .all(|r| matches!(r, chain::api::TxOutcome::Accepted(_)))
                        );
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        started.elapsed()
    }

    /// Posts a batch, one task per account; the time until all are in.
    async fn post(&self, batch: Vec<Vec<Tx>>) -> Duration {
        let started = Instant::now();
        let tasks: Vec<_> = batch
            .into_iter()
            .map(|txs| {
                let client = self.client.clone();
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
        started.elapsed()
    }
}

/// The same batches straight into the mempool writer (no HTTP): what the
/// store and the group commit alone sustain.
fn direct(
    rt: &Runtime,
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
) {
    use chain::replica::{Admitter, Limits, Replica};
    let mut bench = Bench::start(rt, true);
    let dir = tempfile::tempdir().unwrap();
    // A second chain, served by no HTTP: a copy of the funded one's file.
    let db = dir.path().join("direct.db");
    let funded = bench._dir.path().join("bench.db");
    let conn = rusqlite::Connection::open(&funded).unwrap();
    conn.execute("VACUUM INTO ?1", [db.to_str().unwrap()])
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db, None).unwrap());
    let limits = Limits {
        max_mempool: 10_000_000,
        ..Limits::default()
    };
    let replica = Arc::new(Replica::open(store, limits, chain::Clock::system()).unwrap());
    let admitter = Admitter::start(replica.clone()).unwrap();
    group.bench_function("mempool writer alone, no HTTP", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let batch = bench.batch();
                let started = Instant::now();
                rt.block_on(async {
                    let tasks: Vec<_> = batch
                        .into_iter()
                        .map(|txs| {
                            let admitter = admitter.clone();
                            tokio::spawn(async move {
                                for tx in txs {
                                    admitter.admit(tx).await.unwrap();
                                }
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await.unwrap();
                    }
                });
                total += started.elapsed();
            }
            total
        })
    });
    println!(
        "mempool writer alone: {} admitted in {} group commits",
        replica.admitted(),
        replica.admission_commits()
    );
}

/// HTTP round trips alone at the same concurrency (`GET /v1/tip`): the
/// ceiling this machine's HTTP stack sets at the moment of measuring.
fn round_trips(
    rt: &Runtime,
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
) {
    let bench = Bench::start(rt, true);
    group.bench_function("GET /v1/tip, for comparison", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            for _ in 0..iters {
                rt.block_on(async {
                    let tasks: Vec<_> = (0..ACCOUNTS)
                        .map(|_| {
                            let client = bench.client.clone();
                            tokio::spawn(async move {
                                for _ in 0..PER_ACCOUNT {
                                    client.tip().await.unwrap();
                                }
                            })
                        })
                        .collect();
                    for t in tasks {
                        t.await.unwrap();
                    }
                });
            }
            started.elapsed()
        })
    });
}

fn admission(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("admission");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    for (name, check) in [("signatures checked", true), ("no signature checks", false)] {
        let mut bench = Bench::start(&rt, check);
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let batch = bench.batch();
                    total += rt.block_on(bench.post(batch));
                }
                total
            })
        });
        let stats = rt.block_on(bench.client.stats()).unwrap();
        println!(
            "{name}: {} admitted in {} group commits, {} refusals",
            stats.admitted,
            stats.admission_commits,
            stats.errors.values().sum::<u64>()
        );
    }
    let mut bench = Bench::start(&rt, true);
    group.bench_function("signatures checked, 64 per request", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let batch = bench.batch();
                total += rt.block_on(bench.post_many(batch, 64));
            }
            total
        })
    });
    direct(&rt, &mut group);
    round_trips(&rt, &mut group);
    group.finish();
}

criterion_group!(benches, admission);
criterion_main!(benches);
