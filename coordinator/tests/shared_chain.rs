//! Several chain service instances on one PostgreSQL database, with real
//! processes (the `coordinator` binary as chain service, coordinators and
//! simulated miners) and a real server of the tests' own
//! (`chain/tests/support/postgres.rs`):
//!
//! 1. the instance the leader uses is SIGKILLed: mining goes on through
//!    the other without one failed chain call; no acknowledged block is
//!    lost; the chain is valid and linked;
//! 2. rival blocks for one height reach both instances at once, many
//!    times: exactly one `201` per height, never a fork;
//! 3. the database stops abruptly and comes back: the instances answer
//!    `503 store_unavailable` meanwhile, the coordinators back off and
//!    resume by themselves, nothing acknowledged is lost;
//! 4. a concurrent trading load through both instances: the ledger's
//!    conservation holds at every height of the shared chain.
//!
//! Without PostgreSQL these print `SKIPPED` (a failure under `CI=true`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../chain/tests/support/postgres.rs"]
mod pg;

#[path = "support/procs.rs"]
mod procs;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chain::ledger::{Action, Address, Amount, Ledger, Price, Side, SigningKey, Tx, address};
use chain::{ChainClient, ClientError, Location};
use pg::PgServer;
use procs::{Proc, get, get_json as status, wait};
use protocol::kernel::{Kernel, ScanJob};
use protocol::{BlockHeader, NonceRange};

const HB_MS: u64 = 1000;

/// A server, a database on it, a cluster key, a directory for logs.
struct Env {
    server: PgServer,
    db: String,
    dir: tempfile::TempDir,
    key: PathBuf,
}

impl Env {
    fn new(test: &str) -> Option<Env> {
        if !pg::available(test) {
            return None;
        }
        let server = PgServer::start();
        let db = server.database();
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("cluster.key");
        procs::keygen(&key);
        Some(Env {
            server,
            db,
            dir,
            key,
        })
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// A chain service instance on the shared database.
    fn chain(&self, name: &str, zero_bits: u8, extra: &[&str]) -> (Proc, String) {
        let zero_bits = zero_bits.to_string();
        let mut args = vec![
            "chain",
            "--listen",
            "127.0.0.1:0",
            "--db",
            &self.db,
            "--zero-bits",
            &zero_bits,
        ];
        args.extend_from_slice(extra);
        let p = Proc::spawn(&args, Path::new(&self.path(&format!("chain-{name}.log"))));
        let url = p.line("listening on ");
        (p, url)
    }

    /// A coordinator given every chain URL; returns its status URL.
    fn coordinator(&self, id: u16, chains: &[&str]) -> (Proc, String) {
        let (reg, key, id_s, hb) = (
            self.path("registry"),
            self.key.display().to_string(),
            id.to_string(),
            HB_MS.to_string(),
        );
        let mut args = vec![
            "run",
            "--id",
            &id_s,
            "--listen",
            "127.0.0.1:0",
            "--key-file",
            &key,
            "--heartbeat-ms",
            &hb,
            "--registry",
            &reg,
            "--status",
            "127.0.0.1:0",
            "--chunk-secs",
            "0.5",
        ];
        for c in chains {
            args.extend(["--chain", c]);
        }
        let p = Proc::spawn(&args, Path::new(&self.path(&format!("c{id}.log"))));
        p.line("listening on ");
        let status = p.line("status on ");
        (p, status)
    }

    fn sim(&self, miners: u32) -> Proc {
        let (reg, key, hb, n) = (
            self.path("registry"),
            self.key.display().to_string(),
            HB_MS.to_string(),
            miners.to_string(),
        );
        Proc::spawn(
            &[
                "sim",
                "--registry",
                &reg,
                "--miners",
                &n,
                "--key-file",
                &key,
                "--heartbeat-ms",
                &hb,
                "--backend",
                "portable",
            ],
            Path::new(&self.path("sim.log")),
        )
    }

    /// The chain as the database holds it: every block, checked linked.
    fn chain_in_database(&self) -> Vec<chain::api::Block> {
        let location = Location::parse(&self.db).unwrap();
        pg::off_runtime(|| {
            let store = location.open_existing().unwrap();
            let blocks = store.blocks(0, 100_000).unwrap();
            for (i, pair) in blocks.windows(2).enumerate() {
                assert_eq!(pair[1].height, i as u64 + 1, "heights without a gap");
                assert_eq!(pair[1].header.prev_hash, pair[0].hash, "linked");
                assert!(pair[1].hash.meets(store.params().zero_bits), "valid work");
            }
            blocks
        })
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn height(chain: &str) -> Option<u64> {
    get(&format!("{chain}/v1/tip")).and_then(|(s, v)| (s == 200).then(|| v["height"].as_u64())?)
}

/// The blocks a coordinator's log says were accepted: height to hash.
fn acknowledged(log: &Path) -> BTreeMap<u64, String> {
    let text = std::fs::read_to_string(log).unwrap();
    let field = |line: &str, name: &str| -> Option<String> {
        let at = line.find(&format!(" {name}="))? + name.len() + 2;
        Some(line[at..].split(' ').next()?.to_owned())
    };
    text.lines()
        .filter(|l| l.contains("block accepted"))
        .filter_map(|l| Some((field(l, "height")?.parse().ok()?, field(l, "hash")?)))
        .collect()
}

fn assert_kept(acked: &BTreeMap<u64, String>, blocks: &[chain::api::Block]) {
    for (height, hash) in acked {
        let block = blocks
            .get(*height as usize)
            .unwrap_or_else(|| panic!("acknowledged block {height} is missing"));
        assert_eq!(&block.hash.to_string(), hash, "block {height}");
    }
}

#[test]
fn the_instance_in_use_is_killed_and_mining_goes_on_through_the_other() {
    let Some(env) = Env::new("the_instance_in_use_is_killed") else {
        return;
    };
    let (mut a, url_a) = env.chain("a", 16, &[]);
    let (_b, url_b) = env.chain("b", 16, &[]);
    let (c1, s1) = env.coordinator(1, &[&url_a, &url_b]);
    let (c2, s2) = env.coordinator(2, &[&url_a, &url_b]);
    let _sim = env.sim(3);
    wait("three blocks", || height(&url_a).filter(|&h| h >= 3));
    // A node that has just taken the lead has not yet made a chain call of
    // its own: wait until it has, then see which instance that went to.
    let s = wait("coordinator 1 leading through instance a", || {
        status(&s1).filter(|s| s["leading"] == true && s["chain_up"] == true)
    })
    .0;
    assert_eq!(s["chain_source"], format!("this node, through {url_a}"));
    let failures_before = s["stats"]["chain_failures"].as_u64().unwrap();

    a.kill9();
    let killed = Instant::now();
    let before = height(&url_b).unwrap();
    wait("a job from instance b", || {
        status(&s1).filter(|s| {
            s["chains"][1]["in_use"] == true
                && s["work"] == "mining"
                && s["job"]["leases"].as_u64() > Some(0)
        })
    });
    let mining_again = killed.elapsed();
    let (_, next_block) = wait("a block through instance b", || {
        height(&url_b).filter(|&h| h > before)
    });
    println!(
        "instance a killed: the leader mines a template of instance b after {} ms, \
         the next block after {} ms ({HB_MS} ms heartbeats)",
        mining_again.as_millis(),
        (mining_again + next_block).as_millis()
    );
    let s = status(&s1).unwrap();
    assert_eq!(
        s["stats"]["chain_failures"].as_u64().unwrap(),
        failures_before,
        "no chain call of the node failed: the set moved within the call"
    );
    assert_eq!(s["chain_up"], true);
    assert_eq!(s["chain_source"], format!("this node, through {url_b}"));
    assert_eq!(s["chains"][0]["up"], false, "{s}");
    let warned = s["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["kind"] == "chain_failing" && w["subject"] == url_a.as_str());
    assert!(warned, "{s}");
    // The follower's probes see the same.
    wait("the follower to see instance a down", || {
        status(&s2).filter(|s| s["chains"][0]["up"] == false && s["chains"][1]["up"] == true)
    });

    let target = height(&url_b).unwrap() + 2;
    wait("two more blocks", || {
        height(&url_b).filter(|&h| h >= target)
    });
    // The logs first: mining goes on, and a block acknowledged after the
    // database was read would not be in what was read.
    let mut acked = acknowledged(&c1.log);
    acked.extend(acknowledged(&c2.log));
    let blocks = env.chain_in_database();
    assert!(acked.len() >= 5, "{acked:?}");
    assert_kept(&acked, &blocks);
}

/// The lowest nonce that solves `template` at `time`.
fn solve(template: &chain::api::Template, time: u32) -> BlockHeader {
    let header = template.header(time);
    let job = ScanJob::new(&header.to_bytes());
    let found = Kernel::portable()
        .scan(
            &job,
            NonceRange::new(0, u32::MAX).unwrap(),
            template.zero_bits,
        )
        .found
        .expect("a solution");
    header.with_nonce(found)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn rival_blocks_at_both_instances_at_once_commit_once_per_height() {
    let Some(env) = Env::new("rival_blocks_at_both_instances") else {
        return;
    };
    let (_a, url_a) = env.chain("a", 8, &[]);
    let (_b, url_b) = env.chain("b", 8, &[]);
    let rounds = 40;
    runtime().block_on(async {
        let (a, b) = (
            ChainClient::new(&url_a).unwrap(),
            ChainClient::new(&url_b).unwrap(),
        );
        for round in 0..rounds {
            // Both headers from templates of the same tip, for one height,
            // with different times: two valid, different blocks.
            let payout = Address([round as u8; 20]);
            let (ta, tb) = (
                a.template(&payout).await.unwrap(),
                b.template(&payout).await.unwrap(),
            );
            assert_eq!(ta.height, tb.height);
            let time = ta.time_for(now());
            let (ha, hb) = (solve(&ta, time), solve(&tb, time + 1));
            assert_ne!(ha.hash(), hb.hash());
            let barrier = Arc::new(tokio::sync::Barrier::new(2));
            let race = |client: ChainClient, header: BlockHeader, miner: &'static str| {
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    client.tip().await.unwrap();
                    barrier.wait().await;
                    client.submit(&header, miner).await
                })
            };
            let (ra, rb) = tokio::join!(race(a.clone(), ha, "via a"), race(b.clone(), hb, "via b"));
            let results = [ra.unwrap(), rb.unwrap()];
            let wins = results.iter().filter(|r| r.is_ok()).count();
            let stale = results
                .iter()
                .filter(|r| matches!(r, Err(ClientError::Stale { .. })))
                .count();
            assert_eq!((wins, stale), (1, 1), "round {round}: {results:?}");
        }
        assert_eq!(a.tip().await.unwrap(), b.tip().await.unwrap());
    });
    let blocks = env.chain_in_database();
    assert_eq!(blocks.len(), rounds + 1, "one block per height, no fork");
    let via: Vec<&str> = blocks[1..].iter().map(|b| b.miner.as_str()).collect();
    println!(
        "{rounds} races: {} won through a, {} through b",
        via.iter().filter(|m| **m == "via a").count(),
        via.iter().filter(|m| **m == "via b").count()
    );
}

#[test]
fn the_database_stops_abruptly_and_everyone_resumes_by_themselves() {
    let Some(env) = Env::new("the_database_stops_abruptly") else {
        return;
    };
    let (_a, url_a) = env.chain("a", 16, &[]);
    let (_b, url_b) = env.chain("b", 16, &[]);
    let (c1, s1) = env.coordinator(1, &[&url_a, &url_b]);
    let (c2, _s2) = env.coordinator(2, &[&url_a, &url_b]);
    let _sim = env.sim(3);
    wait("three blocks", || height(&url_a).filter(|&h| h >= 3));
    let before = env.chain_in_database();

    env.server.stop_immediate();
    for url in [&url_a, &url_b] {
        let (code, body) = wait("503 from an instance", || {
            get(&format!("{url}/v1/tip")).filter(|(s, _)| *s == 503)
        })
        .0;
        assert_eq!(
            (code, body["code"].as_str()),
            (503, Some("store_unavailable"))
        );
    }
    wait("the leader to report the chain down", || {
        status(&s1).filter(|s| s["chain_up"] == false)
    });
    let failures = status(&s1).unwrap()["stats"]["chain_failures"]
        .as_u64()
        .unwrap();
    std::thread::sleep(Duration::from_millis(3 * HB_MS));
    let later = status(&s1).unwrap()["stats"]["chain_failures"]
        .as_u64()
        .unwrap();
    println!("chain calls failed while the database was down: {failures} then {later}");

    env.server.restart();
    let h = before.len() as u64 - 1;
    wait("mining to resume", || {
        height(&url_b).filter(|&x| x >= h + 2)
    });
    wait("the leader to report the chain up", || {
        status(&s1).filter(|s| s["chain_up"] == true)
    });
    let mut acked = acknowledged(&c1.log);
    acked.extend(acknowledged(&c2.log));
    let after = env.chain_in_database();
    assert_eq!(&after[..before.len()], &before[..], "every block survived");
    assert_kept(&acked, &after);
}

#[test]
fn conservation_holds_on_the_shared_database_after_trading_through_both() {
    let Some(env) = Env::new("conservation_holds_on_the_shared_database") else {
        return;
    };
    let operator = SigningKey::from_bytes(&[0xAA; 32]);
    let operator_hex = chain::ledger::public_key(&operator).to_string();
    let (_a, url_a) = env.chain("a", 8, &["--operator", &operator_hex]);
    let (_b, url_b) = env.chain("b", 8, &[]);
    let traders: Vec<SigningKey> = (1..=8u8)
        .map(|n| SigningKey::from_bytes(&[n; 32]))
        .collect();
    let blocks = 10u64;
    runtime().block_on(async {
        let clients = [
            ChainClient::new(&url_a).unwrap(),
            ChainClient::new(&url_b).unwrap(),
        ];
        for (i, t) in traders.iter().enumerate() {
            let deposit = Action::Deposit {
                to: address(t),
                amount: Amount(100_000),
            };
            clients[i % 2]
                .submit_transaction(&Tx::sign(&operator, i as u64, deposit))
                .await
                .unwrap();
        }
        for round in 0..blocks {
            // Every trader sends through its own instance, all at once.
            let mut tasks = Vec::new();
            for (i, key) in traders.iter().enumerate() {
                let client = clients[(i + round as usize) % 2].clone();
                let key = key.clone();
                tasks.push(tokio::spawn(async move {
                    for k in 0..3u64 {
                        let next = client.account(&address(&key)).await.unwrap();
                        let side = if (i as u64 + k).is_multiple_of(2) {
                            Side::Buy
                        } else {
                            Side::Sell
                        };
                        let action = Action::Order {
                            side,
                            price: Price(10 + (i as u64 + k) % 5),
                            amount: Amount(1 + (i as u64 * 7 + k) % 40),
                            expiry: None,
                        };
                        let tx = Tx::sign(&key, next.pending.next_sequence, action);
                        match client.submit_transaction(&tx).await {
                            Ok(_) | Err(ClientError::Rejected { .. }) => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            // Mined from one instance's template, submitted to the other.
            let miner = &clients[round as usize % 2];
            let other = &clients[(round as usize + 1) % 2];
            let payout = address(&traders[round as usize % traders.len()]);
            let template = miner.template(&payout).await.unwrap();
            let header = solve(&template, template.time_for(now()));
            other.submit(&header, "load").await.unwrap();
        }
        let (book_a, book_b) = (
            clients[0].book(1000).await.unwrap(),
            clients[1].book(1000).await.unwrap(),
        );
        assert_eq!(
            serde_json::to_value(&book_a).unwrap(),
            serde_json::to_value(&book_b).unwrap(),
            "both instances serve one book"
        );
    });
    // Replay the shared chain: conservation at every height.
    let location = Location::parse(&env.db).unwrap();
    let trades = pg::off_runtime(|| {
        let store = location.open_existing().unwrap();
        let mut ledger = Ledger::new(store.params().operator.map(|k| Address::of_key(&k)));
        let mut trades = 0;
        for (block, body) in store.blocks_with_bodies(1, 1000, 1_000_000).unwrap() {
            trades += ledger
                .apply_block(block.height, &body)
                .unwrap()
                .trades
                .len();
            ledger.check_conservation().unwrap();
        }
        assert_eq!(ledger.height(), blocks);
        assert_eq!(store.trades(0, 10_000).unwrap().len(), trades);
        trades
    });
    assert!(trades > 0, "the load traded");
    println!("{blocks} blocks, {trades} trades: conservation held at every height");
}
