//! Running a cluster as an operator does, through the real binary: one
//! shared config file with hostnames, the environment, warnings in
//! `/status` and the log (another key, a peer with our own id, no
//! coordinator heard). `keygen --out` and closed pipes: `commands.rs`.
#![allow(clippy::unwrap_used)]

#[path = "support/procs.rs"]
mod procs;

use std::path::Path;
use std::time::{Duration, Instant};

use procs::{LIMIT, Proc, get_json, keygen};

/// Ports free right now (bound and released), for a shared file that must
/// name every node's address before any starts.
fn free_ports(n: usize, udp: bool) -> Vec<u16> {
    let mut held = Vec::new();
    let mut ports = Vec::new();
    for _ in 0..n {
        if udp {
            let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            ports.push(s.local_addr().unwrap().port());
            held.push(Box::new(s) as Box<dyn std::any::Any>);
        } else {
            let s = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            ports.push(s.local_addr().unwrap().port());
            held.push(Box::new(s) as Box<dyn std::any::Any>);
        }
    }
    ports
}

/// Polls `url` until `cond` holds for its JSON; panics with `what` after
/// [`LIMIT`].
fn wait_json(
    url: &str,
    what: &str,
    cond: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let start = Instant::now();
    loop {
        if let Some(v) = get_json(url)
            && cond(&v)
        {
            return v;
        }
        assert!(start.elapsed() < LIMIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn warnings_of(status: &serde_json::Value, kind: &str) -> Vec<serde_json::Value> {
    status["warnings"]
        .as_array()
        .map(|w| w.iter().filter(|w| w["kind"] == kind).cloned().collect())
        .unwrap_or_default()
}

fn wait_for_file(path: &Path, what: &str, cond: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if cond(&text) {
            return text;
        }
        assert!(
            start.elapsed() < LIMIT,
            "timed out waiting for {what}:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_three_node_cluster_from_one_shared_file_with_hostnames() {
    let dir = tempfile::tempdir().unwrap();
    keygen(&dir.path().join("cluster.key"));
    let udp = free_ports(3, true);
    let tcp = free_ports(1, false);
    let peers: Vec<String> = (0..3)
        .map(|i| format!("\"{}@localhost:{}\"", i + 1, udp[i]))
        .collect();
    let coordinators: Vec<String> = udp.iter().map(|p| format!("\"localhost:{p}\"")).collect();
    let file = dir.path().join("cluster.toml");
    std::fs::write(
        &file,
        format!(
            "key-file = \"cluster.key\"\nheartbeat-ms = 200\n\n\
             [run]\npeer = [{}]\nchain = \"http://localhost:{}\"\nstatus = \"127.0.0.1:0\"\n\n\
             [sim]\ncoordinator = [{}]\nminers = 2\n\n\
             [chain]\nlisten = \"127.0.0.1:{}\"\ndb = \"chain.db\"\nzero-bits = 16\n",
            peers.join(", "),
            tcp[0],
            coordinators.join(", "),
            tcp[0]
        ),
    )
    .unwrap();
    let cfg = file.display().to_string();
    let log = |n: &str| dir.path().join(format!("{n}.log"));
    let chain = Proc::spawn(&["chain", "--config", &cfg], &log("chain"));
    let url = chain.line("listening on ");
    assert_eq!(url, format!("http://127.0.0.1:{}", tcp[0]));
    assert!(
        dir.path().join("chain.db").exists(),
        "db relative to the file"
    );

    // Three short command lines; node 3 takes its id and listening address
    // from the environment.
    let nodes: Vec<Proc> = (0..3)
        .map(|i| {
            let id = (i + 1).to_string();
            let listen = format!("127.0.0.1:{}", udp[i]);
            if i == 2 {
                Proc::spawn_env(
                    &["run", "--config", &cfg],
                    &[("COORDINATOR_ID", &id), ("COORDINATOR_RUN_LISTEN", &listen)],
                    &log(&format!("c{id}")),
                )
            } else {
                Proc::spawn(
                    &["run", "--config", &cfg, "--id", &id, "--listen", &listen],
                    &log(&format!("c{id}")),
                )
            }
        })
        .collect();
    let statuses: Vec<String> = nodes
        .iter()
        .map(|n| {
            n.line("listening on udp://");
            n.line("status on ")
        })
        .collect();
    let _sim = Proc::spawn(&["sim", "--config", &cfg], &log("sim"));

    let status = wait_json(&statuses[0], "node 1 leading, 2 peers up, 2 miners", |s| {
        s["leading"] == true
            && s["peers"]
                .as_array()
                .is_some_and(|p| p.len() == 2 && p.iter().all(|p| p["up"] == true))
            && s["miners"].as_array().is_some_and(|m| m.len() == 2)
    });
    assert_eq!(status["id"], 1);
    wait_json(&format!("{url}/v1/tip"), "three blocks", |t| {
        t["height"].as_u64().is_some_and(|h| h >= 3)
    });
    for (i, s) in statuses.iter().enumerate() {
        let s = get_json(s).unwrap();
        assert_eq!(s["leader"], 1, "node {}", i + 1);
        // Each node skipped its own entry of the shared list, silently.
        assert!(
            warnings_of(&s, "id_clash").is_empty(),
            "node {}: {s}",
            i + 1
        );
        assert_eq!(s["stats"]["invariant_violations"], 0);
    }
    let s3 = get_json(&statuses[2]).unwrap();
    assert_eq!(s3["id"], 3, "id from COORDINATOR_ID");
    assert_eq!(s3["listen"], format!("127.0.0.1:{}", udp[2]));
}

#[test]
fn another_key_and_our_own_id_are_named_in_status_and_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (key_a, key_b) = (dir.path().join("a.key"), dir.path().join("b.key"));
    keygen(&key_a);
    keygen(&key_b);
    let other = free_ports(1, true)[0];
    let log = dir.path().join("c2.log");
    let node = Proc::spawn_env(
        &[
            "run",
            "--id",
            "2",
            "--listen",
            "127.0.0.1:0",
            "--peer",
            &format!("2@127.0.0.1:{other}"),
            "--chain",
            "http://127.0.0.1:9",
            "--key-file",
            &key_a.display().to_string(),
            "--status",
            "127.0.0.1:0",
            "--heartbeat-ms",
            "200",
        ],
        &[],
        &log,
    );
    let addr = node.line("listening on udp://");
    let status = node.line("status on ");
    let s = wait_json(&status, "an id clash and a failing chain", |s| {
        !warnings_of(s, "id_clash").is_empty()
            && warnings_of(s, "chain_failing")
                .iter()
                .any(|w| w["subject"] == "the chain service at http://127.0.0.1:9")
    });
    let clash = &warnings_of(&s, "id_clash")[0];
    assert!(
        clash["text"]
            .as_str()
            .unwrap()
            .contains(&format!("--peer 2@127.0.0.1:{other}")),
        "{clash}"
    );
    assert!(clash["time"].as_u64().is_some() && clash["count"].as_u64() == Some(1));
    // One chain service, one warning: the node's (the failed call before
    // it raised none of its own).
    let chain = &warnings_of(&s, "chain_failing");
    assert_eq!(chain.len(), 1, "{chain:?}");
    let chain = &chain[0];
    assert!(
        chain["text"]
            .as_str()
            .unwrap()
            .contains("http://127.0.0.1:9"),
        "{chain}"
    );
    assert!(
        s["peers"].as_array().unwrap().is_empty(),
        "own id ignored: {s}"
    );

    // A miner with another key: the coordinator names its address, the
    // miner says it hears nobody and what it tried.
    let sim_log = dir.path().join("sim.log");
    let _sim = Proc::spawn_env(
        &[
            "sim",
            "--coordinator",
            &addr,
            "--key-file",
            &key_b.display().to_string(),
            "--heartbeat-ms",
            "200",
            "--first-id",
            "77",
        ],
        &[],
        &sim_log,
    );
    let s = wait_json(&status, "a bad-tag warning", |s| {
        !warnings_of(s, "bad_tag").is_empty()
    });
    let bad = &warnings_of(&s, "bad_tag")[0];
    let text = bad["text"].as_str().unwrap();
    assert!(text.contains("wrong cluster key?"), "{bad}");
    assert!(
        bad["subject"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{bad}"
    );
    assert!(
        s["wire"]["refused"]["bad_tag"].as_u64().unwrap() >= 1,
        "counters stay"
    );
    let text = wait_for_file(&sim_log, "the miner's warning", |t| {
        t.contains("heard no coordinator")
    });
    assert!(text.contains(&format!("tried {addr}")), "{text}");
    // Rate-limited: one line for many datagrams.
    std::thread::sleep(Duration::from_secs(1));
    let text = std::fs::read_to_string(&log).unwrap();
    assert_eq!(text.matches("fail authentication").count(), 1, "{text}");
}

#[test]
fn two_nodes_with_one_id_are_told_so_by_the_datagrams() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("cluster.key");
    keygen(&key);
    let ports = free_ports(2, true);
    // Both are --id 1, each told the other is peer 2: every heartbeat
    // claims the receiver's own id from another boot.
    let nodes: Vec<Proc> = (0..2)
        .map(|i| {
            Proc::spawn_env(
                &[
                    "run",
                    "--id",
                    "1",
                    "--listen",
                    &format!("127.0.0.1:{}", ports[i]),
                    "--peer",
                    &format!("2@127.0.0.1:{}", ports[1 - i]),
                    "--chain",
                    "http://127.0.0.1:9",
                    "--key-file",
                    &key.display().to_string(),
                    "--status",
                    "127.0.0.1:0",
                    "--heartbeat-ms",
                    "100",
                ],
                &[],
                &dir.path().join(format!("n{i}.log")),
            )
        })
        .collect();
    for (i, n) in nodes.iter().enumerate() {
        let status = n.line("status on ");
        let s = wait_json(&status, "an id clash from the other node", |s| {
            !warnings_of(s, "id_clash").is_empty()
        });
        let w = &warnings_of(&s, "id_clash")[0];
        assert_eq!(w["subject"], format!("127.0.0.1:{}", ports[1 - i]), "{w}");
        assert!(
            w["text"]
                .as_str()
                .unwrap()
                .contains("coordinator 1, this node's own id"),
            "{w}"
        );
    }
}
