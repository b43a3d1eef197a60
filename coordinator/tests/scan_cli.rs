//! `scan` and `bench` through the real binary: arguments, output, exit
//! status.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

use protocol::hex::Hex;
use protocol::vectors::{BLOCK_125552, GENESIS};

fn coordinator(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coordinator"))
        .args(args)
        .output()
        .unwrap()
}

fn genesis_hex() -> String {
    Hex(&GENESIS.template()).to_string()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn finds_the_genesis_nonce_exactly() {
    let from = (GENESIS.nonce - 100_000).to_string();
    let to = (GENESIS.nonce + 100_000).to_string();
    let header = genesis_hex();
    for threads in ["1", "2"] {
        let out = coordinator(&[
            "scan",
            "--header",
            &header,
            "--zero-bits",
            "32",
            "--from",
            &from,
            "--to",
            &to,
            "--threads",
            threads,
            "--json",
        ]);
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let v = json(&out);
        assert_eq!(v["nonce"], GENESIS.nonce);
        assert_eq!(v["hash"], GENESIS.hash_hex);
        assert_eq!(v["best_zero_bits"], 43);
        assert_eq!(v["hashes"], 100_001);
        assert!(v["seconds"].as_f64().unwrap() >= 0.0);
    }
}

#[test]
fn text_output_names_the_nonce_and_hash() {
    let header = Hex(&BLOCK_125552.template()).to_string();
    let from = (BLOCK_125552.nonce - 10).to_string();
    let out = coordinator(&[
        "scan",
        "--header",
        &header,
        "--zero-bits",
        "40",
        "--from",
        &from,
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("found nonce {}", BLOCK_125552.nonce)),
        "{text}"
    );
    assert!(text.contains(BLOCK_125552.hash_hex));
}

#[test]
fn a_range_without_a_solution_exits_1() {
    let out = coordinator(&[
        "scan",
        "--header",
        &genesis_hex(),
        "--zero-bits",
        "32",
        "--from",
        "0",
        "--to",
        "5000",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert!(v["nonce"].is_null());
    assert!(v["hash"].is_null());
    assert_eq!(v["hashes"], 5001);
    let text = coordinator(&[
        "scan",
        "--header",
        &genesis_hex(),
        "--zero-bits",
        "32",
        "--to",
        "99",
    ]);
    assert_eq!(text.status.code(), Some(1));
    assert!(
        String::from_utf8(text.stdout)
            .unwrap()
            .contains("no nonce in 0..=99")
    );
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let header = genesis_hex();
    let cases: [(Vec<&str>, &str); 6] = [
        (
            vec!["scan", "--header", "abcd", "--zero-bits", "8"],
            "expected 160 hex characters, got 4",
        ),
        (
            vec!["scan", "--header", &header[..158], "--zero-bits", "8"],
            "expected 160 hex characters",
        ),
        (
            vec!["scan", "--header", "", "--zero-bits", "8"],
            "expected 160 hex characters, got 0",
        ),
        (
            vec![
                "scan",
                "--header",
                &header,
                "--zero-bits",
                "8",
                "--from",
                "9",
                "--to",
                "3",
            ],
            "empty range",
        ),
        (
            vec!["scan", "--header", &header, "--zero-bits", "300"],
            "300",
        ),
        (
            vec![
                "scan",
                "--header",
                &header,
                "--zero-bits",
                "8",
                "--threads",
                "0",
            ],
            "--threads",
        ),
    ];
    for (args, needle) in cases {
        let out = coordinator(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let mut not_hex = header.clone();
    not_hex.replace_range(10..11, "x");
    let out = coordinator(&["scan", "--header", &not_hex, "--zero-bits", "8"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("character 10 is not a hex digit")
    );
}

#[test]
fn bench_reports_every_method_with_its_ratio() {
    let out = coordinator(&["bench", "--seconds", "0.05", "--ghz", "3", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = json(&out);
    let results = v["results"].as_array().unwrap();
    let names: Vec<_> = results
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(&names[..3], ["sha2-plain", "sha2-midstate", "portable"]);
    for kernel in protocol::kernel::Kernel::available() {
        assert!(names.contains(&kernel.to_string().as_str()), "{names:?}");
    }
    assert_eq!(results[0]["ratio"], 1.0);
    assert_eq!(v["clock_source"], "given");
    assert_eq!(v["cpu_ghz"], 3.0);
    for r in results {
        assert!(r["mhs"].as_f64().unwrap() > 0.0);
        assert!(r["ratio"].as_f64().unwrap() > 0.0);
        assert!(r["cycles_per_nonce"].as_f64().unwrap() > 0.0);
    }
    assert!(names.contains(&v["selected"].as_str().unwrap()));
    // The selection's own figures: every available kernel (each backend in
    // each form) measured, the chosen one the fastest.
    let selection = &v["selection"];
    assert_eq!(selection["kernel"], v["selected"]);
    let candidates = selection["candidates"].as_array().unwrap();
    let available = protocol::kernel::Kernel::available().count();
    if available > 1 {
        assert_eq!(selection["how"], "measured");
        assert_eq!(candidates.len(), available);
        let fastest = candidates
            .iter()
            .max_by(|a, b| {
                a["mhs"]
                    .as_f64()
                    .unwrap()
                    .total_cmp(&b["mhs"].as_f64().unwrap())
            })
            .unwrap();
        assert_eq!(fastest["name"], selection["kernel"]);
        for c in candidates {
            assert!(c["cycles_per_nonce"].as_f64().unwrap() > 0.0, "{c}");
        }
    } else {
        assert_eq!(selection["how"], "only-candidate");
    }
    let bad = coordinator(&["bench", "--seconds", "-1"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn bench_measures_the_clock_it_reports() {
    let out = coordinator(&["bench", "--seconds", "0.02", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = json(&out);
    assert_eq!(v["clock_source"], "add-chain");
    assert!(v["cpu_ghz"].as_f64().unwrap() > 0.0);
    for r in v["results"].as_array().unwrap() {
        assert!(r["cycles_per_nonce"].as_f64().unwrap() > 0.0, "{r}");
    }
    let table = coordinator(&["bench", "--seconds", "0.02"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("measured: dependent-add chain"), "{text}");
    assert!(text.contains("selected at start-up: "), "{text}");
}

#[test]
fn near_misses_are_printed_as_found_and_the_summary_names_the_thread() {
    let header = genesis_hex();
    let from = (GENESIS.nonce - 3_000_000).to_string();
    let to = (GENESIS.nonce + 1_000).to_string();
    let out = coordinator(&[
        "scan",
        "--header",
        &header,
        "--zero-bits",
        "32",
        "--from",
        &from,
        "--to",
        &to,
        "--threads",
        "2",
        "--near-misses",
        "16",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let template = protocol::BlockHeader::from_bytes(&GENESIS.template());
    let mut near = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("near miss: ")) {
        // near miss: nonce N, hash H, Z zero bits, thread T
        let fields: Vec<&str> = line["near miss: ".len()..].split(", ").collect();
        assert_eq!(fields.len(), 4, "{line}");
        let nonce: u32 = fields[0].strip_prefix("nonce ").unwrap().parse().unwrap();
        let hash = fields[1].strip_prefix("hash ").unwrap();
        let bits: u32 = fields[2]
            .strip_suffix(" zero bits")
            .unwrap()
            .parse()
            .unwrap();
        let thread: usize = fields[3].strip_prefix("thread ").unwrap().parse().unwrap();
        let real = template.with_nonce(nonce).hash();
        assert_eq!(hash, real.to_string(), "{line}");
        assert_eq!(bits, real.zero_bits(), "{line}");
        assert!((16..32).contains(&bits), "{line}");
        assert!((1..=2).contains(&thread), "{line}");
        near.push(nonce);
    }
    // About one hash in 2^16 has 16 to 31 zero bits: dozens in 3 million.
    assert!(near.len() > 10, "{text}");
    let count = format!("{} near misses within 16 zero bits of 32", near.len());
    assert!(text.contains(&count), "{text}");
    assert!(
        text.lines().any(
            |l| l.starts_with(&format!("found nonce {} by thread ", GENESIS.nonce))
                && l.ends_with(" of 2")
        ),
        "{text}"
    );
    // With --json: one object a line, the report last.
    let out = coordinator(&[
        "scan",
        "--header",
        &header,
        "--zero-bits",
        "32",
        "--from",
        &from,
        "--to",
        &to,
        "--threads",
        "1",
        "--near-misses",
        "16",
        "--json",
    ]);
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (report, misses) = lines.split_last().unwrap();
    assert_eq!(misses.len(), near.len());
    assert!(misses.iter().all(|m| m["near_miss"]["thread"] == 1));
    assert_eq!(report["nonce"], GENESIS.nonce);
    assert_eq!(report["thread"], 1);
    assert_eq!(report["near_misses"], near.len());
}
