//! `coordinator chain` on PostgreSQL over TLS, as real processes against a
//! real server with TLS on (a certificate for `localhost` from a test CA)
//! that admits the chain's user over TLS only: `verify-full` connects and
//! keeps blocks across a SIGKILL; `verify-ca` takes a certificate that
//! names another host, `verify-full` refuses it; a certificate from another
//! CA is refused; a client certificate admits the user it names, who is
//! refused without one, and its key encrypted by `openssl` opens with
//! `sslpassword`; `sslmode=allow` connects plain unless the server
//! insists on TLS; without `sslmode` the connection is encrypted;
//! `sslmode=disable` and `sslmode=require` against a server without TLS
//! fail with the server's or the client's reason; bad parameters exit 2.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../chain/tests/support/certs.rs"]
mod certs;
#[path = "../../chain/tests/support/postgres.rs"]
mod pg;
#[path = "support/chain_process.rs"]
mod process;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use chain::ChainClient;
use process::ChainProcess;
use protocol::NonceRange;
use protocol::kernel::{Kernel, ScanJob};

/// The user the server admits over TLS only.
const USER: &str = "tls_only";

/// The user the server admits with a client certificate only.
const CERT_USER: &str = "cert_only";

/// Where the tests' blocks pay their reward.
const PAYOUT: chain::ledger::Address = chain::ledger::Address([7; 20]);

/// The server with TLS on, and the test CA's and another CA's certificates.
struct Env {
    server: pg::PgServer,
    ca: PathBuf,
    other_ca: PathBuf,
    /// `CERT_USER`'s certificate and key, from the test CA.
    client: (PathBuf, PathBuf),
    _dir: tempfile::TempDir,
}

/// One server for the binary (its watchdog stops it when the binary ends).
fn env() -> Option<&'static Env> {
    if !pg::available("postgres_tls") {
        return None;
    }
    static ENV: OnceLock<Env> = OnceLock::new();
    Some(ENV.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let (ca_pem, issuer) = certs::ca("chain test CA");
        let (other_pem, _) = certs::ca("another CA");
        let (cert, key) = certs::issue(&issuer, "localhost", &["localhost"]);
        // A client certificate names its user.
        let (client_cert, client_key) = certs::issue(&issuer, CERT_USER, &[]);
        let server = pg::PgServer::start();
        let hba = [
            format!("hostnossl all {USER},{CERT_USER} 127.0.0.1/32 reject"),
            format!("hostssl all {CERT_USER} 127.0.0.1/32 cert"),
        ];
        server.enable_tls(&cert, &key, &ca_pem, &hba);
        server.sql(&format!(
            "CREATE ROLE {USER} SUPERUSER LOGIN; CREATE ROLE {CERT_USER} SUPERUSER LOGIN"
        ));
        let path = |name: &str| dir.path().join(name);
        let files = [
            ("ca.pem", ca_pem),
            ("other-ca.pem", other_pem),
            ("client.pem", client_cert),
            ("client.key", client_key),
        ];
        for (name, text) in files {
            std::fs::write(path(name), text).unwrap();
        }
        Env {
            server,
            ca: path("ca.pem"),
            other_ca: path("other-ca.pem"),
            client: (path("client.pem"), path("client.key")),
            _dir: dir,
        }
    }))
}

impl Env {
    /// A new database's URL as `USER` at `host`, with `params`.
    fn url(&self, host: &str, params: &str) -> String {
        self.url_as(USER, host, params)
    }

    fn url_as(&self, user: &str, host: &str, params: &str) -> String {
        let db = self.server.database();
        let name = db.rsplit('/').next().unwrap();
        let port = self.server.port();
        format!("postgres://{user}@{host}:{port}/{name}{params}")
    }

    /// How many sessions of the database at `url` are encrypted, and how
    /// many not.
    fn sessions(&self, url: &str) -> (String, String) {
        let path = url.split('?').next().unwrap();
        let name = path.rsplit('/').next().unwrap();
        let count = |ssl: bool| {
            let sql = format!(
                "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
                 WHERE a.datname = '{name}' AND s.ssl = {ssl}"
            );
            pg::PgServer::query(&self.server.url("postgres"), &sql).remove(0)
        };
        (count(true), count(false))
    }
}

/// `coordinator chain` on `db`.
fn start(db: &str) -> Result<ChainProcess, String> {
    ChainProcess::start(&["--db", db, "--zero-bits", "8"])
}

fn client(chain: &ChainProcess) -> ChainClient {
    ChainClient::new(&chain.url).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Mines one block through the service; its height.
fn mine_one(chain: &ChainProcess) -> u64 {
    runtime().block_on(async {
        let client = client(chain);
        let template = client.template(&PAYOUT).await.unwrap();
        let header = template.header(template.min_time);
        let job = ScanJob::new(&header.to_bytes());
        let found = Kernel::portable().scan(&job, NonceRange::FULL, template.zero_bits);
        let header = header.with_nonce(found.found.unwrap());
        client.submit(&header, "tls").await.unwrap().height
    })
}

fn tip(chain: &ChainProcess) -> u64 {
    runtime().block_on(async { client(chain).tip().await.unwrap().height })
}

#[test]
fn verify_full_connects_encrypted_and_keeps_blocks_across_a_kill() {
    let Some(env) = env() else { return };
    let params = format!("?sslmode=verify-full&sslrootcert={}", env.ca.display());
    let db = env.url("localhost", &params);
    let mut chain = start(&db).unwrap();
    assert_eq!(mine_one(&chain), 1);
    let (encrypted, plain) = env.sessions(&db);
    assert_ne!(encrypted, "0", "the chain's sessions are encrypted");
    assert_eq!(plain, "0");
    assert!(!chain.kill().success());
    let chain = start(&db).unwrap();
    assert_eq!(tip(&chain), 1, "the block acknowledged before the kill");
    assert_eq!(mine_one(&chain), 2);
}

#[test]
fn verify_ca_takes_a_certificate_for_another_name_and_verify_full_refuses_it() {
    let Some(env) = env() else { return };
    // The certificate names `localhost`, not `127.0.0.1`.
    let root = format!("&sslrootcert={}", env.ca.display());
    let full = env.url("127.0.0.1", &format!("?sslmode=verify-full{root}"));
    let err = start(&full).err().expect("verify-full refuses");
    assert!(err.contains("exit status: 2"), "{err}");
    assert!(err.contains("certificate not valid for name"), "{err}");
    let ca = env.url("127.0.0.1", &format!("?sslmode=verify-ca{root}"));
    let chain = start(&ca).unwrap();
    assert_eq!(mine_one(&chain), 1);
}

#[test]
fn a_certificate_from_another_ca_is_refused() {
    let Some(env) = env() else { return };
    for mode in ["verify-full", "verify-ca", "require"] {
        let params = format!("?sslmode={mode}&sslrootcert={}", env.other_ca.display());
        let err = start(&env.url("localhost", &params))
            .err()
            .expect("another CA's certificate is refused");
        assert!(err.contains("UnknownIssuer"), "{mode}: {err}");
    }
}

#[test]
fn without_sslmode_the_connection_is_encrypted_and_disable_is_refused_by_the_server() {
    let Some(env) = env() else { return };
    let chain = start(&env.url("localhost", "")).unwrap();
    assert_eq!(mine_one(&chain), 1, "admitted over TLS only, so encrypted");
    let require = env.url("localhost", "?sslmode=require");
    let chain = start(&require).unwrap();
    assert_eq!(mine_one(&chain), 1);
    let err = start(&env.url("localhost", "?sslmode=disable"))
        .err()
        .expect("the server admits this user over TLS only");
    assert!(err.contains("no encryption"), "{err}");
}

#[test]
fn allow_connects_plain_where_the_server_lets_it_and_encrypted_where_it_insists() {
    let Some(env) = env() else { return };
    // The server's own user may connect either way: `allow` tries plain
    // first, and stays plain.
    let either = env.url_as("postgres", "localhost", "?sslmode=allow");
    let chain = start(&either).unwrap();
    assert_eq!(mine_one(&chain), 1);
    let (encrypted, plain) = env.sessions(&either);
    assert_eq!(encrypted, "0");
    assert_ne!(plain, "0");
    // `USER` is refused without TLS: tried again with it, and admitted.
    let insists = env.url("localhost", "?sslmode=allow");
    let chain = start(&insists).unwrap();
    assert_eq!(mine_one(&chain), 1);
    let (encrypted, plain) = env.sessions(&insists);
    assert_ne!(encrypted, "0");
    assert_eq!(plain, "0");
}

#[test]
fn a_client_certificate_admits_the_user_it_names() {
    let Some(env) = env() else { return };
    let (cert, key) = (env.client.0.display(), env.client.1.display());
    let root = format!("?sslmode=verify-full&sslrootcert={}", env.ca.display());
    let with = format!("{root}&sslcert={cert}&sslkey={key}");
    let chain = start(&env.url_as(CERT_USER, "localhost", &with)).unwrap();
    assert_eq!(mine_one(&chain), 1);
    let err = start(&env.url_as(CERT_USER, "localhost", &root))
        .err()
        .expect("the server asks for a certificate");
    assert!(err.contains("requires a valid client certificate"), "{err}");
    // Where pg_hba.conf does not ask for one, a certificate (valid, of
    // another name) does not stand in the way.
    let chain = start(&env.url("localhost", &with)).unwrap();
    assert_eq!(mine_one(&chain), 1);
}

#[test]
fn a_client_key_encrypted_by_openssl_opens_with_sslpassword() {
    let Some(env) = env() else { return };
    let dir = tempfile::tempdir().unwrap();
    let encrypted = dir.path().join("client-enc.key");
    let out = Command::new("openssl")
        .args([
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:s3cret",
            "-in",
        ])
        .arg(&env.client.1)
        .arg("-out")
        .arg(&encrypted)
        .output()
        .expect("openssl (scripts/setup installs it)");
    assert!(out.status.success(), "{out:?}");
    assert!(
        std::fs::read_to_string(&encrypted)
            .unwrap()
            .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    );
    let with = |password: &str| {
        format!(
            "?sslmode=verify-full&sslrootcert={}&sslcert={}&sslkey={}{password}",
            env.ca.display(),
            env.client.0.display(),
            encrypted.display()
        )
    };
    let chain = start(&env.url_as(CERT_USER, "localhost", &with("&sslpassword=s3cret"))).unwrap();
    assert_eq!(mine_one(&chain), 1);
    for (password, needle) in [
        ("", "give its password as sslpassword"),
        ("&sslpassword=wrong", "sslpassword does not decrypt it"),
    ] {
        let err = start(&env.url_as(CERT_USER, "localhost", &with(password)))
            .err()
            .expect("the key stays locked");
        assert!(err.contains(needle) && !err.contains("s3cret"), "{err}");
    }
}

#[test]
fn require_against_a_server_without_tls_fails() {
    let Some(_) = env() else { return };
    let plain = pg::shared();
    let db = plain.database();
    let err = start(&format!("{db}?sslmode=require"))
        .err()
        .expect("the server has no TLS");
    assert!(err.contains("TLS"), "{err}");
    // The same server, without sslmode: plain, as before.
    let chain = start(&db).unwrap();
    assert_eq!(mine_one(&chain), 1);
}

fn coordinator(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coordinator"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn bad_tls_parameters_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let base = "postgres://chain@127.0.0.1:1/chain";
    for (params, needle) in [
        ("?sslmode=maybe".to_owned(), "sslmode=maybe"),
        ("?sslmode=verify-full".to_owned(), "sslrootcert=PATH"),
        (
            "?sslmode=verify-ca&sslrootcert=/nonexistent.pem".to_owned(),
            "/nonexistent.pem",
        ),
        (
            format!("?sslmode=verify-full&sslrootcert={}", junk.display()),
            "no certificates",
        ),
        (
            "?sslcert=/c.pem".to_owned(),
            "sslcert and sslkey go together",
        ),
        (
            format!("?sslcert={}&sslkey={}", junk.display(), junk.display()),
            "sslcert=",
        ),
    ] {
        let db = format!("{base}{params}");
        for args in [
            vec!["chain", "--listen", "127.0.0.1:0", "--db", &db],
            vec!["chain", "export", "--db", &db],
        ] {
            let out = coordinator(&args);
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            let err = String::from_utf8(out.stderr).unwrap();
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }
    // A refused URL is repeated without its passwords, wherever they were.
    for db in [
        "postgres://chain:s3cret@127.0.0.1:1/chain?sslmode=maybe",
        "postgres://chain@127.0.0.1:1/chain?password=s3cret&sslmode=maybe",
        "postgres://chain@127.0.0.1:1/chain?sslmode=maybe&sslpassword=s3cret",
    ] {
        let out = coordinator(&["chain", "export", "--db", db]);
        assert_eq!(out.status.code(), Some(2), "{db}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains("postgres://chain@127.0.0.1:1/chain?")
                && err.contains("sslmode=maybe")
                && !err.contains("s3cret"),
            "{db}: {err}"
        );
    }
}
