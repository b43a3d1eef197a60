//! Every count, size and id given on the command line is bounded before
//! anything starts (exit status 2, a message naming the range), and
//! threads the operating system will not start are an error (exit status
//! 1, a message), never a panic: all through the real binary.
#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_coordinator");

/// Waits for `child` for at most `limit`; a child still running then is
/// killed and reported as such.
fn finish(mut child: Child, limit: Duration, what: &str) -> Output {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stdout = Vec::new();
            let mut stderr = Vec::new();
            child
                .stdout
                .take()
                .unwrap()
                .read_to_end(&mut stdout)
                .unwrap();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_end(&mut stderr)
                .unwrap();
            return Output {
                status,
                stdout,
                stderr,
            };
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn spawn(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs the binary with `args` under a shell's `ulimit -v KIB`, or
/// unlimited with `None`. Under the limit glibc keeps one malloc arena:
/// each extra arena reserves 64 MiB of address space, which would make
/// what fits depend on how many threads happened to allocate first.
fn coordinator(args: &[&str], address_space_kib: Option<u64>, limit: Duration) -> Output {
    let child = match address_space_kib {
        None => spawn(Command::new(BIN).args(args)),
        Some(kib) => spawn(
            Command::new("sh")
                .env("MALLOC_ARENA_MAX", "1")
                .arg("-c")
                .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
                .arg(BIN)
                .args(args),
        ),
    };
    finish(child, limit, &format!("{args:?}"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `run` with `extra` and a chain URL and key setting.
fn run(extra: &[&'static str]) -> Vec<&'static str> {
    let mut args = vec!["run"];
    args.extend(extra);
    args.extend(["--chain", "http://127.0.0.1:9", "--insecure"]);
    args
}

const HEADER: &str = concat!(
    "0100000000000000000000000000000000000000000000000000000000000000",
    "000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa",
    "4b1e5e4a29ab5f49ffff001d1dac2b7c"
);

#[test]
fn every_count_size_and_id_flag_is_bounded_before_anything_starts() {
    let ids = "must be a whole number from 1 to 65535";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["sim", "--threads", "100000000", "--insecure"],
            "--threads",
        ),
        (
            vec!["sim", "--threads", "0", "--insecure"],
            "from 1 to 1024",
        ),
        (vec!["sim", "--miners", "5000", "--insecure"], "--miners"),
        (
            vec!["sim", "--miners", "64", "--threads", "128", "--insecure"],
            "at most 4096",
        ),
        (
            vec!["sim", "--first-id", "4294967296", "--insecure"],
            "from 0 to 4294967295",
        ),
        (
            vec![
                "sim",
                "--first-id",
                "4294967295",
                "--miners",
                "2",
                "--insecure",
            ],
            "--first-id",
        ),
        (
            vec!["sim", "--heartbeat-ms", "0", "--insecure"],
            "from 10 to 600000",
        ),
        (run(&["--id", "0"]), ids),
        (
            run(&["--id", "1", "--payout", "xyz"]),
            "an address is 40 hex characters",
        ),
        (vec!["demo", "--traders", "257"], "from 0 to 256"),
        (
            vec![
                "chain",
                "--listen",
                "127.0.0.1:0",
                "--db",
                "x.db",
                "--max-block-txs",
                "1",
            ],
            "from 2 to 10000",
        ),
        (
            vec![
                "wallet", "order", "--key", "k", "--side", "buy", "--price", "0", "--amount", "1",
            ],
            "from 1 to 18446744073709551615",
        ),
        (run(&["--id", "70000"]), ids),
        (run(&["--id", "1", "--peer", "0@127.0.0.1:7412"]), ids),
        (run(&["--id", "1", "--peer", "70000@127.0.0.1:7412"]), ids),
        (run(&["--id", "1", "--threads", "100000000"]), "--threads"),
        (run(&["--id", "1", "--down-after", "0"]), "--down-after"),
        (run(&["--id", "1", "--ban-after", "0"]), "--ban-after"),
        (run(&["--id", "1", "--chunk", "0"]), "--chunk"),
        (run(&["--id", "1", "--chunk", "99999999999"]), "--chunk"),
        (run(&["--id", "1", "--chunk-secs", "1e9"]), "--chunk-secs"),
        (run(&["--id", "1", "--chunk-secs=-1"]), "0 (fixed chunks)"),
        (run(&["--id", "1", "--min-miners", "0"]), "--min-miners"),
        (
            run(&["--id", "1", "--min-miners", "1000001"]),
            "--min-miners",
        ),
        (
            run(&["--id", "1", "--min-coordinators", "0"]),
            "from 1 to 65535",
        ),
        (run(&["--id", "1", "--votes", "maybe"]), "--votes"),
        (vec!["demo", "--threads", "100000000"], "--threads"),
        (vec!["demo", "--miners", "0"], "--miners"),
        (vec!["demo", "--coordinators", "1000"], "--coordinators"),
        (vec!["demo", "--blocks", "0"], "--blocks"),
        (vec!["demo", "--zero-bits", "0"], "--zero-bits"),
        (
            vec![
                "scan",
                "--header",
                HEADER,
                "--zero-bits",
                "8",
                "--threads",
                "100000000",
            ],
            "--threads",
        ),
        (
            vec![
                "scan",
                "--header",
                HEADER,
                "--zero-bits",
                "8",
                "--near-misses",
                "33",
            ],
            "from 1 to 32",
        ),
        (vec!["bench", "--seconds", "1e9"], "--seconds"),
        (vec!["bench", "--ghz", "0"], "--ghz"),
        (
            vec![
                "chain",
                "--listen",
                "127.0.0.1:0",
                "--db",
                "x.db",
                "--zero-bits",
                "0",
            ],
            "--zero-bits",
        ),
    ];
    for (args, needle) in &cases {
        let out = coordinator(args, None, Duration::from_secs(60));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // One range, one message: too small and too large read the same.
    let message = |id: &'static str| {
        let line = stderr(&coordinator(
            &run(&["--id", id]),
            None,
            Duration::from_secs(60),
        ));
        line.lines().next().unwrap().replace(id, "ID")
    };
    assert_eq!(message("0"), message("70000"));
}

/// Far less address space than 1024 thread stacks need (2 MiB each), and
/// plenty for one process with a few threads.
const TIGHT_KIB: u64 = 400_000;

#[test]
fn a_scan_whose_threads_cannot_start_fails_with_a_message() {
    let args = [
        "scan",
        "--header",
        HEADER,
        "--zero-bits",
        "60",
        "--from",
        "0",
        "--to",
        "100000",
        "--threads",
        "1024",
        "--backend",
        "portable",
    ];
    let out = coordinator(&args, Some(TIGHT_KIB), Duration::from_secs(60));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot start scanning thread"), "{err}");
    assert!(err.contains("of 1024"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // The same scan on two threads fits.
    let mut two = args;
    two[10] = "2";
    let out = coordinator(&two, Some(TIGHT_KIB), Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no nonce in 0..=100000"));
}

/// The rest of the first stdout line of `child` that starts with `prefix`.
fn line(child: &mut Child, prefix: &str) -> String {
    let out = child.stdout.as_mut().unwrap();
    let mut text = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        assert_eq!(out.read(&mut byte).unwrap(), 1, "no line {prefix:?}");
        if byte[0] != b'\n' {
            text.push(byte[0]);
            continue;
        }
        let l = String::from_utf8(std::mem::take(&mut text)).unwrap();
        if let Some(rest) = l.strip_prefix(prefix) {
            return rest.to_owned();
        }
    }
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_miner_whose_threads_cannot_start_stops_sim_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chain.db");
    let mut chain = Killed(spawn(Command::new(BIN).args([
        "chain",
        "--listen",
        "127.0.0.1:0",
        "--db",
        db.to_str().unwrap(),
        "--zero-bits",
        "40",
    ])));
    let url = line(&mut chain.0, "listening on ");
    let mut node = Killed(spawn(Command::new(BIN).args([
        "run",
        "--id",
        "1",
        "--listen",
        "127.0.0.1:0",
        "--chain",
        &url,
        "--insecure",
        "--heartbeat-ms",
        "100",
    ])));
    let addr = line(&mut node.0, "listening on udp://");
    // Its first lease makes the miner start 1024 threads, which do not fit.
    let out = coordinator(
        &[
            "sim",
            "--coordinator",
            &addr,
            "--insecure",
            "--heartbeat-ms",
            "100",
            "--threads",
            "1024",
            "--backend",
            "portable",
        ],
        Some(TIGHT_KIB),
        Duration::from_secs(90),
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: miner ") && last.contains("cannot start scanning thread"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
