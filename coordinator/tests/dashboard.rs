//! The status server's web face through its real interfaces: `/metrics`
//! read strictly as the Prometheus text format while a cluster mines, the
//! embedded pages, and the dashboard in headless Chromium, live.
#![allow(clippy::unwrap_used)]

#[path = "../../chain/tests/support/browser.rs"]
mod browser;
mod common;
#[path = "../../chain/tests/support/exposition.rs"]
mod exposition;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use coordinator::driver::status_http::serve_status;
use tokio::net::TcpListener;
use tokio::sync::watch;

const LONG: Duration = Duration::from_secs(90);

/// A cluster of `coordinators` and `miners`, coordinator 1's status served
/// on loopback.
struct Cluster {
    chain: Chain,
    coords: Vec<Coord>,
    fleet: coordinator::sim::RunningFleet,
    url: String,
    stop: watch::Sender<bool>,
}

impl Cluster {
    async fn start(coordinators: u16, miners: u32, zero_bits: u8) -> Cluster {
        let chain = Chain::start(zero_bits).await;
        let opts = ClusterOpts::default();
        let coords = start_coordinators(coordinators, &chain.url, &opts).await;
        let addrs: Vec<SocketAddr> = coords.iter().map(|c| c.addr).collect();
        let fleet = start_miners(miners, &addrs, &opts).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn(serve_status(
            listener,
            coords[0].status.clone(),
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            },
        ));
        Cluster {
            chain,
            coords,
            fleet,
            url,
            stop,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::get(format!("{}{path}", self.url)).await.unwrap()
    }

    async fn metrics(&self) -> exposition::Exposition {
        let r = self.get("/metrics").await;
        assert_eq!(r.status(), 200);
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
        let text = r.text().await.unwrap();
        exposition::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        self.fleet.stop().await;
        for c in self.coords {
            c.stop().await.unwrap();
        }
        self.chain.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_well_formed_and_move_while_the_cluster_mines() {
    let cluster = Cluster::start(2, 2, 14).await;
    let client = cluster.chain.client();
    wait_for_height(&client, 2, LONG).await;
    let before = cluster.metrics().await;
    let height = client.tip().await.unwrap().height;
    wait_for_height(&client, height + 3, LONG).await;
    // The snapshot behind /metrics is at most a tenth of a second old.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = cluster.metrics().await;

    let accepted = |e: &exposition::Exposition| {
        e.get("coordinator_blocks_total", &[("outcome", "accepted")])
            .unwrap()
    };
    assert!(accepted(&after) >= accepted(&before) + 3.0);
    for moving in [
        "coordinator_leases_total",
        "coordinator_jobs_total",
        "coordinator_datagrams_received_total",
        "coordinator_datagrams_sent_total",
        "coordinator_uptime_seconds",
        "coordinator_chain_call_duration_seconds_count",
    ] {
        assert!(
            after.sum(moving, &[]) > before.sum(moving, &[]),
            "{moving} did not move"
        );
    }
    assert!(after.sum("coordinator_answers_total", &[("kind", "solution")]) >= 3.0);
    assert!(
        after.sum(
            "coordinator_chain_call_duration_seconds_count",
            &[("call", "submit")]
        ) >= 3.0
    );
    assert!(after.declares("coordinator_chain_call_duration_seconds", "histogram"));
    assert_eq!(after.get("coordinator_leading", &[]), Some(1.0));
    assert_eq!(after.get("coordinator_peers_up", &[]), Some(1.0));
    assert!(
        after
            .get("coordinator_hash_rate_hashes_per_second", &[])
            .unwrap()
            > 0.0
    );
    let per_miner: Vec<_> = after
        .samples
        .iter()
        .filter(|s| s.name == "coordinator_miner_hash_rate_hashes_per_second")
        .collect();
    assert_eq!(per_miner.len(), 2, "{per_miner:?}");
    assert!(
        per_miner
            .iter()
            .all(|s| s.labels["kind"] == "host" && s.value > 0.0)
    );
    assert_eq!(
        after.get(
            "coordinator_leadership_changes_total",
            &[("change", "became_leader")]
        ),
        Some(1.0)
    );
    // The fingerprint is public; the key is not.
    let info = after
        .samples
        .iter()
        .find(|s| s.name == "coordinator_build_info")
        .unwrap();
    let key_hex: String = KEY.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(info.labels["key_fingerprint"].len(), 16);
    let text = cluster.get("/metrics").await.text().await.unwrap();
    assert!(!text.contains(&key_hex[..16]));

    // /status carries the same fingerprint, the uptime, the version and each
    // miner's last contact.
    let status: serde_json::Value = cluster.get("/status").await.json().await.unwrap();
    assert_eq!(
        status["key_fingerprint"],
        info.labels["key_fingerprint"].as_str()
    );
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert!(status["uptime_secs"].as_f64().unwrap() > 0.0);
    for m in status["miners"].as_array().unwrap() {
        assert!(m["last_heard_ms"].as_u64().unwrap() < 5_000, "{m}");
        assert_eq!(m["kind"], "host");
        assert!(m["hashrate_avg"].as_u64().unwrap() > 0, "{m}");
    }
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_are_embedded_and_fetch_nothing_from_elsewhere() {
    let cluster = Cluster::start(1, 1, 14).await;
    for (path, kind) in [
        ("/", "text/html"),
        ("/dashboard.js", "text/javascript"),
        ("/dashboard.css", "text/css"),
    ] {
        let r = cluster.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ct.starts_with(kind), "{path}: {ct}");
        let body = r.text().await.unwrap();
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path}"
        );
        if path.ends_with(".css") {
            // The explorer's base sheet: its colours and the range bar's.
            assert!(
                body.contains(":root") && body.contains("--scanned:"),
                "{body}"
            );
        }
    }
    let r = cluster.get("/nowhere").await;
    assert_eq!(r.status(), 404);
    cluster.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_cluster_live_in_a_browser() {
    if !browser::available("the_dashboard_shows_the_cluster_live_in_a_browser") {
        return;
    }
    // A block every few tenths of a second with two portable miners.
    let cluster = Cluster::start(2, 2, 19).await;
    wait_for_height(&cluster.chain.client(), 1, LONG).await;
    let mut page = browser::Script::start("dashboard", &[&format!("{}/", cluster.url), "2"]);
    let first: u64 = page.expect("BLOCK", LONG).await.parse().unwrap();
    page.expect("SCREENSHOT", LONG).await;
    page.finish(LONG).await;
    assert!(cluster.chain.client().tip().await.unwrap().height > first);
    cluster.stop().await;
}
