//! `coordinator chain` as a child process for the tests that drive the
//! real binary: started on port 0, its URL read from the first line it
//! prints, its error output kept (read on a thread of its own, so a chatty
//! service never blocks on a full pipe), SIGKILLed when dropped.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};

/// A running `coordinator chain`.
pub struct ChainProcess {
    child: Child,
    /// Its HTTP address, `http://127.0.0.1:PORT`.
    pub url: String,
}

impl ChainProcess {
    /// `coordinator chain --listen 127.0.0.1:0` and `args`; if it exits
    /// instead of listening, its status and error output.
    pub fn start(args: &[&str]) -> Result<ChainProcess, String> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_coordinator"))
            .args(["chain", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let errors = Arc::new(Mutex::new(String::new()));
        let mut stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&errors);
        let drain = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stderr.read(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        if let Some(url) = line.trim().strip_prefix("listening on ") {
            let url = url.to_owned();
            return Ok(ChainProcess { child, url });
        }
        let status = child.wait().unwrap();
        drain.join().unwrap();
        let errors = errors.lock().unwrap();
        Err(format!("{status}: {errors}"))
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(&mut self) -> ExitStatus {
        self.child.kill().unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for ChainProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
