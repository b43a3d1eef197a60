//! Beyond one machine: two network namespaces joined by a veth pair are a
//! LAN of two hosts (10.77.0.1 and 10.77.0.2, a broadcast domain of their
//! own). Coordinators and `sim` find each other there by the broadcast
//! `Discover` the boards use, with no registry and no addresses given, and
//! find each other again after the leader is killed. A peer named by a
//! hostname is looked up again when it goes silent, and found at its new
//! address. Needs root (namespaces); elsewhere SKIPPED, under CI=true a
//! failure.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_coordinator");
const LIMIT: Duration = Duration::from_secs(90);
const HB: &str = "300";

/// Two namespaces, `a` and `b`, on one link.
struct Lan {
    a: String,
    b: String,
    dir: tempfile::TempDir,
    key: String,
    procs: Vec<Child>,
}

fn sh(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Lan {
    /// The LAN, or `None` (after saying SKIPPED) where namespaces cannot
    /// be made.
    fn new(tag: &str) -> Option<Lan> {
        let skip = |why: &str| {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "LAN test cannot run under CI: {why}"
            );
            println!("SKIPPED: {why}");
        };
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default();
        if String::from_utf8_lossy(&uid).trim() != "0" {
            skip("needs root for network namespaces");
            return None;
        }
        let id = std::process::id();
        let (a, b) = (format!("lan{tag}a{id}"), format!("lan{tag}b{id}"));
        let (va, vb) = (format!("v{tag}a{id}"), format!("v{tag}b{id}"));
        if !sh(&["ip", "netns", "add", &a]) {
            skip("cannot create a network namespace");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("cluster.key").display().to_string();
        assert!(
            Command::new(BIN)
                .args(["keygen", "--out", &key])
                .status()
                .unwrap()
                .success()
        );
        let lan = Lan {
            a,
            b,
            dir,
            key,
            procs: Vec::new(),
        };
        for step in [
            vec!["ip", "netns", "add", &lan.b],
            vec![
                "ip", "link", "add", &va, "type", "veth", "peer", "name", &vb,
            ],
            vec!["ip", "link", "set", &va, "netns", &lan.a],
            vec!["ip", "link", "set", &vb, "netns", &lan.b],
            vec![
                "ip",
                "-n",
                &lan.a,
                "addr",
                "add",
                "10.77.0.1/24",
                "brd",
                "+",
                "dev",
                &va,
            ],
            vec![
                "ip",
                "-n",
                &lan.b,
                "addr",
                "add",
                "10.77.0.2/24",
                "brd",
                "+",
                "dev",
                &vb,
            ],
            vec!["ip", "-n", &lan.a, "link", "set", &va, "up"],
            vec!["ip", "-n", &lan.b, "link", "set", &vb, "up"],
            vec!["ip", "-n", &lan.a, "link", "set", "lo", "up"],
            vec!["ip", "-n", &lan.b, "link", "set", "lo", "up"],
        ] {
            assert!(sh(&step), "{step:?}");
        }
        Some(lan)
    }

    fn log(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.log"))
    }

    /// Starts the binary in namespace `ns`; returns its index.
    fn start(&mut self, ns: &str, name: &str, args: &[&str]) -> usize {
        let child = Command::new("ip")
            .args(["netns", "exec", ns, BIN])
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(self.dir.path().join(format!("{name}.out"))).unwrap())
            .stderr(std::fs::File::create(self.log(name)).unwrap())
            .spawn()
            .unwrap();
        self.procs.push(child);
        self.procs.len() - 1
    }

    fn kill(&mut self, i: usize) {
        let _ = self.procs[i].kill();
        let _ = self.procs[i].wait();
    }

    fn chain(&mut self) {
        let db = self.dir.path().join("chain.db").display().to_string();
        let a = self.a.clone();
        self.start(
            &a,
            "chain",
            &[
                "chain",
                "--listen",
                "10.77.0.1:8080",
                "--db",
                &db,
                "--zero-bits",
                "16",
            ],
        );
    }

    /// `GET /status` of the node whose status is on `port` of namespace
    /// `ns`'s loopback, from a thread that joins that namespace.
    fn status(&self, ns: &str, port: u16) -> Option<serde_json::Value> {
        let path = PathBuf::from(format!("/run/netns/{ns}"));
        std::thread::spawn(move || {
            let f = std::fs::File::open(path).ok()?;
            rustix::thread::move_into_link_name_space(
                std::os::fd::AsFd::as_fd(&f),
                Some(rustix::thread::LinkNameSpaceType::Network),
            )
            .ok()?;
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
            s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
            s.write_all(b"GET /status HTTP/1.0\r\nHost: x\r\n\r\n")
                .ok()?;
            let mut text = String::new();
            s.read_to_string(&mut text).ok()?;
            serde_json::from_str(text.split_once("\r\n\r\n")?.1).ok()
        })
        .join()
        .ok()
        .flatten()
    }

    fn wait_status(
        &self,
        ns: &str,
        port: u16,
        what: &str,
        cond: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let start = Instant::now();
        loop {
            if let Some(s) = self.status(ns, port)
                && cond(&s)
            {
                return s;
            }
            if start.elapsed() > LIMIT {
                let logs: String = ["c1", "c2", "c1b", "sim"]
                    .iter()
                    .map(|n| format!("--- {n}\n{}", tail(&self.log(n))))
                    .collect();
                panic!(
                    "timed out waiting for {what}; last status {:?}\n{logs}",
                    self.status(ns, port)
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn tail(p: &Path) -> String {
    let t = std::fs::read_to_string(p).unwrap_or_default();
    let lines: Vec<&str> = t.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

impl Drop for Lan {
    fn drop(&mut self) {
        for p in &mut self.procs {
            let _ = p.kill();
            let _ = p.wait();
        }
        for ns in [&self.a, &self.b] {
            sh(&["ip", "netns", "del", ns]);
            let _ = std::fs::remove_dir_all(format!("/etc/netns/{ns}"));
        }
    }
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn peer_up(s: &serde_json::Value, id: u64, addr: &str) -> bool {
    s["peers"].as_array().is_some_and(|p| {
        p.iter()
            .any(|p| p["id"] == id && p["up"] == true && p["addr"] == addr)
    })
}

fn miners(s: &serde_json::Value) -> Vec<u64> {
    s["miners"]
        .as_array()
        .map(|m| m.iter().filter_map(|m| m["id"].as_u64()).collect())
        .unwrap_or_default()
}

#[test]
fn coordinators_and_miners_find_each_other_by_broadcast() {
    let Some(mut lan) = Lan::new("d") else { return };
    lan.chain();
    let (a, b, key) = (lan.a.clone(), lan.b.clone(), lan.key.clone());
    let run = |id: &str, status: &str| {
        vec![
            "run",
            "--id",
            id,
            "--listen",
            "0.0.0.0:7411",
            "--discover",
            "--chain",
            "http://10.77.0.1:8080",
            "--key-file",
            &key,
            "--heartbeat-ms",
            HB,
            "--status",
            status,
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>()
    };
    let c1 = run("1", "127.0.0.1:9001");
    let c1 = lan.start(&a, "c1", &strs(&c1));
    let c2 = run("2", "127.0.0.1:9002");
    lan.start(&b, "c2", &strs(&c2));
    lan.start(
        &b,
        "sim",
        &[
            "sim",
            "--discover",
            "--key-file",
            &key,
            "--heartbeat-ms",
            HB,
            "--miners",
            "2",
            "--first-id",
            "500",
            "--backend",
            "portable",
        ],
    );
    // Node 2 found node 1 on the other host and follows it; node 1 leads
    // the miners of the other host, and blocks get onto the chain.
    lan.wait_status(&b, 9002, "node 2 following node 1 at 10.77.0.1", |s| {
        s["leader"] == 1 && peer_up(s, 1, "10.77.0.1:7411")
    });
    let s = lan.wait_status(&a, 9001, "node 1 leading both miners, 3 blocks", |s| {
        s["leading"] == true
            && peer_up(s, 2, "10.77.0.2:7411")
            && miners(s) == [500, 501]
            && s["stats"]["blocks"].as_u64().is_some_and(|b| b >= 3)
    });
    assert!(
        s["miners"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["addr"].as_str().unwrap().starts_with("10.77.0.2:")),
        "{s}"
    );
    // The leader dies: node 2 takes over, and the miners, broadcasting
    // again, find it.
    lan.kill(c1);
    lan.wait_status(&b, 9002, "node 2 leading the miners and mining", |s| {
        s["leading"] == true
            && miners(s) == [500, 501]
            && s["stats"]["blocks"].as_u64().is_some_and(|b| b >= 1)
    });
}

#[test]
fn a_silent_peer_s_name_is_looked_up_again() {
    let Some(mut lan) = Lan::new("r") else { return };
    lan.chain();
    let (a, b, key) = (lan.a.clone(), lan.b.clone(), lan.key.clone());
    // `ip netns exec` mounts /etc/netns/NS/hosts over /etc/hosts: the name
    // `nodeone` exists on host b only, and can be moved.
    let hosts_dir = PathBuf::from(format!("/etc/netns/{b}"));
    std::fs::create_dir_all(&hosts_dir).unwrap();
    let hosts = hosts_dir.join("hosts");
    std::fs::write(&hosts, "127.0.0.1 localhost\n10.77.0.1 nodeone\n").unwrap();
    assert!(sh(&[
        "ip",
        "-n",
        &a,
        "addr",
        "add",
        "10.77.0.3/24",
        "dev",
        &format!("vra{}", std::process::id())
    ]));
    let reg = lan.dir.path().join("reg-a").display().to_string();
    let node1 = |listen: &str| {
        vec![
            "run".to_owned(),
            "--id".into(),
            "1".into(),
            "--listen".into(),
            listen.into(),
            "--chain".into(),
            "http://10.77.0.1:8080".into(),
            "--key-file".into(),
            key.clone(),
            "--heartbeat-ms".into(),
            HB.into(),
            "--status".into(),
            "127.0.0.1:9001".into(),
            "--registry".into(),
            reg.clone(),
        ]
    };
    let first = node1("10.77.0.1:7411");
    let c1 = lan.start(&a, "c1", &strs(&first));
    lan.start(
        &b,
        "c2",
        &[
            "run",
            "--id",
            "2",
            "--listen",
            "0.0.0.0:7411",
            "--peer",
            "1@nodeone:7411",
            "--chain",
            "http://10.77.0.1:8080",
            "--key-file",
            &key,
            "--heartbeat-ms",
            HB,
            "--status",
            "127.0.0.1:9002",
        ],
    );
    lan.wait_status(&b, 9002, "node 2 following node 1 by name", |s| {
        s["leader"] == 1 && peer_up(s, 1, "10.77.0.1:7411")
    });
    // Node 1 comes back on another address, knowing nobody; only node 2
    // looking its name up again can bring them together.
    lan.kill(c1);
    std::fs::write(&hosts, "127.0.0.1 localhost\n10.77.0.3 nodeone\n").unwrap();
    let moved = node1("10.77.0.3:7411");
    lan.start(&a, "c1b", &strs(&moved));
    lan.wait_status(
        &b,
        9002,
        "node 2 following node 1 at its new address",
        |s| s["leader"] == 1 && peer_up(s, 1, "10.77.0.3:7411"),
    );
}
