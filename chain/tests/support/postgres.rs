//! A PostgreSQL server of the tests' own: Debian's `postgresql` package
//! (`initdb`, `pg_ctl`), a data directory in a temporary directory, a free
//! port on 127.0.0.1, `--auth=trust`, `fsync = on`. As root, the server
//! runs as the `postgres` user (`runuser`), which owns the directory.
//!
//! [`PgServer`] stops its server when dropped (a failing test too); a
//! watchdog process also stops it, and removes the directory, when the
//! test process ends any other way (killed, aborted), so no server
//! outlives its tests. [`shared`] is one server for a whole test binary,
//! each test taking a database of its own ([`PgServer::database`]).
//!
//! Without PostgreSQL the tests print `SKIPPED` and why, and pass; with
//! `CI=true` in the environment they fail ([`available`]).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Where the server's programs are: `$PG_BIN` (if it has them), or the
/// newest `/usr/lib/postgresql/*/bin` that has `initdb`.
pub fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        let dir = PathBuf::from(dir);
        return (dir.join("initdb").exists() && dir.join("pg_ctl").exists()).then_some(dir);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists() && bin.join("pg_ctl").exists())
        .collect();
    found.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Why the PostgreSQL tests cannot run here, if they cannot.
pub fn missing() -> Option<String> {
    let Some(bin) = bin_dir() else {
        if let Some(dir) = std::env::var_os("PG_BIN") {
            return Some(format!(
                "PG_BIN={} has no initdb and pg_ctl",
                PathBuf::from(dir).display()
            ));
        }
        return Some(
            "no PostgreSQL server programs (initdb, pg_ctl) under /usr/lib/postgresql/*/bin \
             (`bash scripts/setup` installs Debian's `postgresql`; or set PG_BIN)"
                .into(),
        );
    };
    if is_root()
        && Command::new("id")
            .arg("postgres")
            .output()
            .map_or(true, |o| !o.status.success())
    {
        return Some(format!(
            "running as root, but there is no `postgres` user to run {} as",
            bin.display()
        ));
    }
    None
}

/// True when the PostgreSQL tests can run. Otherwise prints `SKIPPED`
/// with the reason, or panics under `CI=true`.
pub fn available(test: &str) -> bool {
    let Some(why) = missing() else {
        return true;
    };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{test}: PostgreSQL is required under CI=true: {why}");
    }
    println!("SKIPPED {test}: {why}");
    false
}

/// A running server.
pub struct PgServer {
    bin: PathBuf,
    root: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
    watchdog: Option<std::process::Child>,
}

static DATABASES: AtomicU32 = AtomicU32::new(0);

impl PgServer {
    /// Initializes and starts a new server (panics if it cannot: call
    /// [`available`] first).
    pub fn start() -> PgServer {
        let bin = bin_dir().expect("PostgreSQL's programs");
        let as_postgres = is_root();
        let root = tempfile::Builder::new()
            .prefix("pg-test-")
            .tempdir()
            .unwrap();
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(root.path()));
        }
        let mut server = PgServer {
            bin,
            root,
            port: 0,
            as_postgres,
            watchdog: None,
        };
        server.run_pg(
            "initdb",
            &[
                "-D",
                &server.data().display().to_string(),
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        server.watchdog = Some(server.watchdog());
        for attempt in 0.. {
            server.port = free_port();
            if server.try_start() {
                break;
            }
            assert!(attempt < 5, "the server would not start: {}", server.log());
        }
        server
    }

    /// The data directory.
    pub fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// A new, empty database; its URL.
    pub fn database(&self) -> String {
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            DATABASES.fetch_add(1, Ordering::Relaxed)
        );
        self.sql(&format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    /// Runs `sql` in the `postgres` database.
    pub fn sql(&self, sql: &str) {
        let url = self.url("postgres");
        off_runtime(|| {
            let mut client =
                postgres::Client::connect(&url, postgres::NoTls).expect("the test server answers");
            client.batch_execute(sql).unwrap();
        });
    }

    /// Runs `sql` in the database at `url` and returns the rows' first
    /// column as text.
    pub fn query(url: &str, sql: &str) -> Vec<String> {
        off_runtime(|| {
            let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
            client
                .simple_query(sql)
                .unwrap()
                .into_iter()
                .filter_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_owned),
                    _ => None,
                })
                .collect()
        })
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m
    /// immediate`: no checkpoint; the next start replays the log).
    pub fn stop_immediate(&self) {
        self.run_pg(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "stop",
                "-m",
                "immediate",
                "-w",
            ],
        );
    }

    /// Starts the stopped server again on its port.
    pub fn restart(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.try_start() {
            assert!(
                Instant::now() < deadline,
                "the server would not start again: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Turns TLS on with `cert` and `key` (PEM), client certificates
    /// checked against `client_ca`, and `hba` first in `pg_hba.conf` (the
    /// first line that matches decides); reloads.
    pub fn enable_tls(&self, cert: &str, key: &str, client_ca: &str, hba: &[String]) {
        use std::os::unix::fs::PermissionsExt;
        let data = self.data();
        let files = [
            ("server.crt", cert),
            ("server.key", key),
            ("client-ca.crt", client_ca),
        ];
        for (name, text) in files {
            let path = data.join(name);
            std::fs::write(&path, text).unwrap();
            // The server refuses a key others can read.
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            if self.as_postgres {
                run(Command::new("chown").arg("postgres:").arg(&path));
            }
        }
        let conf = data.join("postgresql.conf");
        let text = std::fs::read_to_string(&conf).unwrap();
        let tls = "ssl = on\nssl_ca_file = 'client-ca.crt'\n";
        std::fs::write(&conf, format!("{text}\n{tls}")).unwrap();
        let path = data.join("pg_hba.conf");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{}\n{text}", hba.join("\n"))).unwrap();
        self.run_pg("pg_ctl", &["-D", &data.display().to_string(), "reload"]);
        let deadline = Instant::now() + Duration::from_secs(30);
        while PgServer::query(&self.url("postgres"), "SHOW ssl") != ["on"] {
            assert!(
                Instant::now() < deadline,
                "TLS did not come on: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The server's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.path().join("log")).unwrap_or_default()
    }

    fn try_start(&self) -> bool {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=on \
             -c synchronous_commit=on -c max_connections=300 -c shared_buffers=64MB",
            self.port,
            self.root.path().display()
        );
        self.command(
            "pg_ctl",
            &[
                "-D",
                &self.data().display().to_string(),
                "-l",
                &self.root.path().join("log").display().to_string(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let path = self.bin.join(program);
        let mut cmd = if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(path);
            cmd
        } else {
            Command::new(path)
        };
        cmd.args(args)
            .current_dir(self.root.path())
            .stdin(Stdio::null());
        cmd
    }

    fn run_pg(&self, program: &str, args: &[&str]) {
        run(&mut self.command(program, args));
    }

    /// A process that waits for this one to end, then stops the server and
    /// removes its directory (if they are still there).
    fn watchdog(&self) -> std::process::Child {
        let pg_ctl = self.bin.join("pg_ctl");
        let stop = format!(
            "{}{} -D {} stop -m immediate",
            if self.as_postgres {
                "runuser -u postgres -- "
            } else {
                ""
            },
            pg_ctl.display(),
            self.data().display()
        );
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            dir = self.root.path().display()
        );
        Command::new("setsid")
            .args(["sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the watchdog starts")
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .command(
                "pg_ctl",
                &[
                    "-D",
                    &self.data().display().to_string(),
                    "stop",
                    "-m",
                    "immediate",
                    "-w",
                ],
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

/// One server for the whole test binary (its watchdog stops it when the
/// binary exits).
pub fn shared() -> &'static PgServer {
    static SERVER: OnceLock<PgServer> = OnceLock::new();
    SERVER.get_or_init(PgServer::start)
}

/// Runs `f` on a thread of its own: the PostgreSQL client blocks on a
/// runtime of its own, which it may not do on a thread driving a test's
/// asynchronous tasks.
pub fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("the command runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
