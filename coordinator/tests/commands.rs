//! What every command owes the shell it runs in, through the real binary:
//! `keygen --out` makes a private file and never overwrites one, and a
//! reader that closes the pipe ends a command quietly, with status 0.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_coordinator");
const LIMIT: Duration = Duration::from_secs(90);

#[test]
fn keygen_out_makes_a_private_file_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cluster.key");
    let out = Command::new(BIN)
        .args(["keygen", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let key = std::fs::read_to_string(&path).unwrap();
    assert_eq!(key.trim().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let out = Command::new(BIN)
        .args(["keygen", "--out"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("exists; not overwritten"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), key);
    // Printing still works.
    let out = Command::new(BIN).arg("keygen").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim().len(), 64);
}

/// Runs `command` in bash with `pipefail`, so the status is the first
/// failing command's: the coordinator's, not `head`'s.
fn piped(command: &str, limit: Duration) -> (Option<i32>, String) {
    let mut child = Command::new("bash")
        .args(["-o", "pipefail", "-c", command])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            return (status.code(), text);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("{command}: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn closed_pipes_end_commands_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let reg = dir.path().join("registry").display().to_string();
    for command in [
        format!(
            "{BIN} run --id 1 --listen 127.0.0.1:0 --chain http://127.0.0.1:9 --insecure \
             --heartbeat-ms 100 --registry {reg} 2>&1 | head -3"
        ),
        format!(
            "{BIN} sim --insecure --heartbeat-ms 100 --registry {reg} --backend portable 2>&1 | head -1"
        ),
        format!("{BIN} keygen | head -c 10"),
        format!(
            "{BIN} chain --listen 127.0.0.1:0 --db {} 2>&1 | head -1",
            dir.path().join("chain.db").display()
        ),
        format!("{BIN} bench --seconds 0.2 | head -1"),
        format!("{BIN} run --help | head -1"),
        format!(
            "{BIN} demo --miners 1 --blocks 2 --zero-bits 8 --heartbeat-ms 100 --backend portable \
             --data {} | head -2",
            dir.path().join("demo").display()
        ),
    ] {
        let (code, text) = piped(&command, LIMIT);
        assert_eq!(code, Some(0), "{command}: {text}");
        assert!(!text.contains("panicked"), "{command}: {text}");
    }
    // Its log closed, stdout still open: the coordinator ends, saying
    // nothing more. (Only stdout read and closed after a line, it goes on,
    // as a script reading its address wants, until it next writes there.)
    let (code, text) = piped(
        &format!(
            "{BIN} run --id 1 --listen 127.0.0.1:0 --chain http://127.0.0.1:9 --insecure \
             --heartbeat-ms 100 --registry {reg} 2>&1 >/dev/null | head -1"
        ),
        LIMIT,
    );
    assert_eq!(code, Some(0), "{text}");
}
