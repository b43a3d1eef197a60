//! Measures the chain service under a simple load, over real HTTP:
//!
//! 1. submissions: one client mines and submits `--blocks` blocks in a row
//!    (each must extend the last, so they are sequential by nature); the
//!    time inside `submit` is what counts, mining is excluded;
//! 2. reads: `--readers` clients fetch `GET /v1/template` for `--seconds`.
//!
//! ```sh
//! cargo run --release -p chain --example load -- [--blocks 500] [--readers 8] [--seconds 3] [--url URL] [--dir DIR]
//! ```
//!
//! Without `--url` it serves a new chain of 8 zero bits in-process, on an
//! SQLite file in `--dir` (default: the system's temporary directory).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chain::{ChainClient, ServiceConfig, SqliteStore, Store};
use protocol::NonceRange;
use protocol::kernel::{Kernel, ScanJob};

struct Options {
    blocks: u32,
    readers: usize,
    seconds: u64,
    url: Option<String>,
    dir: std::path::PathBuf,
}

fn options() -> Options {
    let mut o = Options {
        blocks: 500,
        readers: 8,
        seconds: 3,
        url: None,
        dir: std::env::temp_dir(),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).expect("every option takes a value");
        match pair[0].as_str() {
            "--blocks" => o.blocks = value.parse().expect("--blocks N"),
            "--readers" => o.readers = value.parse().expect("--readers N"),
            "--seconds" => o.seconds = value.parse().expect("--seconds S"),
            "--url" => o.url = Some(value.clone()),
            "--dir" => o.dir = value.into(),
            other => panic!("unknown option {other}"),
        }
    }
    o
}

#[tokio::main]
async fn main() {
    let o = options();
    let _dir;
    let url = match &o.url {
        Some(url) => url.clone(),
        None => {
            let dir = tempfile::tempdir_in(&o.dir).unwrap();
            let store = SqliteStore::open(&dir.path().join("load.db"), Some(8)).unwrap();
            _dir = dir;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let store: Arc<dyn Store> = Arc::new(store);
            let shutdown = std::future::pending::<()>();
            tokio::spawn(chain::serve(
                listener,
                store,
                ServiceConfig::default(),
                shutdown,
            ));
            url
        }
    };
    let client = ChainClient::new(&url).unwrap();

    let mut in_submit = Duration::ZERO;
    for _ in 0..o.blocks {
        let template = client
            .template(&chain::ledger::Address([1; 20]))
            .await
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let header = template.header(template.time_for(now));
        let job = ScanJob::new(&header.to_bytes());
        let nonce = Kernel::portable()
            .scan(&job, NonceRange::FULL, template.zero_bits)
            .found
            .expect("a solution");
        let started = Instant::now();
        client
            .submit(&header.with_nonce(nonce), "load")
            .await
            .unwrap();
        in_submit += started.elapsed();
    }
    let per_second = f64::from(o.blocks) / in_submit.as_secs_f64();
    println!(
        "submissions: {} accepted in {:.3} s inside submit: {per_second:.0}/s, {:.2} ms each",
        o.blocks,
        in_submit.as_secs_f64(),
        in_submit.as_secs_f64() * 1e3 / f64::from(o.blocks)
    );

    let deadline = Instant::now() + Duration::from_secs(o.seconds);
    let readers: Vec<_> = (0..o.readers)
        .map(|_| {
            let client = ChainClient::new(&url).unwrap();
            tokio::spawn(async move {
                let mut count = 0u64;
                while Instant::now() < deadline {
                    client
                        .template(&chain::ledger::Address([1; 20]))
                        .await
                        .unwrap();
                    count += 1;
                }
                count
            })
        })
        .collect();
    let mut reads = 0;
    for r in readers {
        reads += r.await.unwrap();
    }
    println!(
        "templates: {reads} by {} clients in {} s: {:.0}/s",
        o.readers,
        o.seconds,
        reads as f64 / o.seconds as f64
    );
}
