use std::collections::HashMap;

use clap::{Args, Parser, Subcommand};

use super::*;

#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
    #[arg(long, global = true)]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    Run(RunArgs),
    Chain(ChainArgs),
}

#[derive(Debug, Args)]
struct RunArgs {
    #[arg(long, value_parser = crate::cmd::flags::coordinator_id)]
    id: protocol::CoordinatorId,
    #[arg(long, default_value_t = 5000, value_parser = crate::cmd::flags::heartbeat_ms)]
    heartbeat_ms: u64,
    #[arg(long = "peer")]
    peers: Vec<String>,
    #[arg(long)]
    chain: Option<String>,
    #[arg(long)]
    key_file: Option<PathBuf>,
    #[arg(long)]
    insecure: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct ChainArgs {
    #[command(subcommand)]
    command: Option<ChainCmd>,
    #[arg(long, required = true)]
    listen: Option<String>,
    #[arg(long, required = true)]
    db: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum ChainCmd {
    Export(ExportArgs),
}

#[derive(Debug, Args)]
struct ExportArgs {
    #[arg(long)]
    db: PathBuf,
}

struct Fixture {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
}

impl Fixture {
    fn new(toml: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cluster.toml"), toml).unwrap();
        Fixture {
            dir,
            env: HashMap::new(),
        }
    }

    fn file(&self) -> String {
        self.dir.path().join("cluster.toml").display().to_string()
    }

    fn parse(&self, args: &[&str]) -> Result<Cli, ParseError> {
        let mut argv: Vec<OsString> = vec!["coordinator".into()];
        argv.extend(args.iter().map(|a| a.replace("FILE", &self.file()).into()));
        let env = |k: &str| self.env.get(k).map(OsString::from);
        parse::<Cli>(argv, &env)
    }

    fn run(&self, args: &[&str]) -> RunArgs {
        match self.parse(args) {
            Ok(Cli {
                command: Cmd::Run(r),
                ..
            }) => r,
            other => panic!("{other:?}"),
        }
    }

    fn error(&self, args: &[&str]) -> String {
        match self.parse(args) {
            Err(ParseError::Config(e)) => e.to_string(),
            Err(ParseError::Clap(e)) => format!("clap: {}", e.render()),
            Ok(cli) => panic!("parsed: {cli:?}"),
        }
    }
}

const FILE: &str = r#"
heartbeat-ms = 1000
key_file = "cluster.key"

[run]
peer = ["1@node1.lan:7411", "2@node2.lan:7411"]
chain = "http://chain.lan:8080"

[chain]
listen = "0.0.0.0:8080"
db = "/var/lib/chain.db"

[chain.export]
db = "export.db"
"#;

#[test]
fn flags_win_over_the_environment_which_wins_over_the_file() {
    let mut f = Fixture::new(FILE);
    let r = f.run(&["run", "--config", "FILE", "--id", "3"]);
    assert_eq!(r.heartbeat_ms, 1000, "top-level key");
    assert_eq!(r.peers, ["1@node1.lan:7411", "2@node2.lan:7411"]);
    assert_eq!(r.chain.as_deref(), Some("http://chain.lan:8080"));
    // Relative to the file's directory.
    assert_eq!(r.key_file, Some(f.dir.path().join("cluster.key")));
    assert!(!r.insecure);

    f.env
        .insert("COORDINATOR_HEARTBEAT_MS".into(), "2000".into());
    f.env
        .insert("COORDINATOR_PEER".into(), "4@a:1, 5@b:2".into());
    f.env.insert("COORDINATOR_INSECURE".into(), "yes".into());
    let r = f.run(&["run", "--config", "FILE", "--id", "3"]);
    assert_eq!(r.heartbeat_ms, 2000);
    assert_eq!(r.peers, ["4@a:1", "5@b:2"]);
    assert!(r.insecure);

    // The subcommand's own variable wins over the plain one.
    f.env
        .insert("COORDINATOR_RUN_HEARTBEAT_MS".into(), "3000".into());
    assert_eq!(
        f.run(&["run", "--config", "FILE", "--id", "3"])
            .heartbeat_ms,
        3000
    );

    let r = f.run(&[
        "run",
        "--config",
        "FILE",
        "--id",
        "3",
        "--heartbeat-ms",
        "400",
        "--peer",
        "9@x:1",
    ]);
    assert_eq!(r.heartbeat_ms, 400);
    assert_eq!(r.peers, ["9@x:1"], "flags replace, never add to, a list");

    // A required flag may come from the environment, and the file from
    // COORDINATOR_CONFIG.
    f.env.insert("COORDINATOR_ID".into(), "7".into());
    f.env.insert("COORDINATOR_CONFIG".into(), f.file());
    let r = f.run(&["run"]);
    assert_eq!(r.id, protocol::CoordinatorId(7));
    assert_eq!(r.chain.as_deref(), Some("http://chain.lan:8080"));
}

#[test]
fn nested_subcommands_take_their_own_table_then_the_enclosing_ones() {
    let f = Fixture::new(FILE);
    match f.parse(&["chain", "--config", "FILE"]).unwrap().command {
        Cmd::Chain(c) => {
            assert!(c.command.is_none());
            assert_eq!(c.listen.as_deref(), Some("0.0.0.0:8080"));
            assert_eq!(c.db, Some(PathBuf::from("/var/lib/chain.db")));
        }
        other => panic!("{other:?}"),
    }
    match f
        .parse(&["chain", "export", "--config", "FILE"])
        .unwrap()
        .command
    {
        Cmd::Chain(ChainArgs {
            command: Some(ChainCmd::Export(e)),
            ..
        }) => assert_eq!(e.db, f.dir.path().join("export.db")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_values_name_their_source_and_key() {
    let f = Fixture::new("[run]\nheartbeat-ms = 5\n");
    let e = f.error(&["run", "--config", "FILE", "--id", "1"]);
    assert!(e.contains("cluster.toml, key run.heartbeat-ms"), "{e}");
    assert!(
        e.contains("must be a whole number from 10 to 600000"),
        "{e}"
    );

    let mut f = Fixture::new("");
    f.env.insert("COORDINATOR_ID".into(), "0".into());
    let e = f.error(&["run", "--config", "FILE"]);
    assert!(
        e.starts_with("environment variable COORDINATOR_ID: "),
        "{e}"
    );
    assert!(e.contains("from 1 to 65535"), "{e}");

    let mut f = Fixture::new("");
    f.env.insert("COORDINATOR_INSECURE".into(), "maybe".into());
    let e = f.error(&["run", "--id", "1"]);
    assert!(e.contains("COORDINATOR_INSECURE"), "{e}");

    // On the command line, clap's own message.
    let f = Fixture::new("");
    let e = f.error(&["run", "--config", "FILE", "--id", "0"]);
    assert!(e.starts_with("clap: "), "{e}");
}

#[test]
fn wrong_kinds_unknown_keys_and_broken_files_are_refused() {
    for (text, want) in [
        (
            "[run]\nheartbeat = 5\n",
            "unknown key \"heartbeat\" in [run]",
        ),
        ("nonsense = 1\n", "unknown key \"nonsense\" at the top"),
        ("[run]\nlisten = \"x\"\n", "has no --listen"),
        (
            "[run]\nchain = [\"a\", \"b\"]\n",
            "takes one value, not a list",
        ),
        ("[run]\ninsecure = \"yes\"\n", "expected true or false"),
        ("[run]\npeer = [[1]]\n", "not a list or a table"),
        ("[run\n", "not valid TOML"),
    ] {
        let f = Fixture::new(text);
        let e = f.error(&["run", "--config", "FILE", "--id", "1"]);
        assert!(e.contains(want), "{text:?}: {e}");
        assert!(e.contains("cluster.toml"), "{text:?}: {e}");
    }
    let f = Fixture::new("");
    let e = f.error(&["run", "--config", "/nonexistent/c.toml", "--id", "1"]);
    assert!(e.contains("/nonexistent/c.toml: cannot read it"), "{e}");
}

#[test]
fn help_and_bad_flags_are_clap_s() {
    let f = Fixture::new("");
    assert!(
        matches!(f.parse(&["run", "--help"]), Err(ParseError::Clap(e)) if e.kind() == ErrorKind::DisplayHelp)
    );
    assert!(matches!(
        f.parse(&["run", "--nope"]),
        Err(ParseError::Clap(_))
    ));
    assert!(
        matches!(f.parse(&["run"]), Err(ParseError::Clap(e)) if e.kind() == ErrorKind::MissingRequiredArgument)
    );
}

#[test]
fn environment_names() {
    assert_eq!(env_name(&["key-file"]), "COORDINATOR_KEY_FILE");
    assert_eq!(
        env_name(&["chain", "export", "db"]),
        "COORDINATOR_CHAIN_EXPORT_DB"
    );
}

#[test]
fn the_example_cluster_file_parses_for_every_subcommand() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/cluster.toml");
    let env = |_: &str| None;
    for args in [
        &["run", "--id", "1"][..],
        &["run", "--id", "3"],
        &["sim"],
        &["sim", "--miners", "8"],
        &["chain"],
        &["chain", "export"],
        &["demo"],
        &["keygen"],
        &["bench"],
    ] {
        let mut argv: Vec<OsString> = vec!["coordinator".into(), "--config".into(), file.into()];
        argv.extend(args.iter().map(OsString::from));
        if let Err(e) = parse::<crate::cli::Cli>(argv, &env) {
            let text = match e {
                ParseError::Clap(e) => e.render().to_string(),
                ParseError::Config(e) => e.to_string(),
            };
            panic!("{args:?}: {text}");
        }
    }
}

#[derive(Debug, Parser)]
struct SimCli {
    #[command(subcommand)]
    command: SimCmd,
    #[arg(long, global = true)]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum SimCmd {
    Sim(crate::cmd::sim::SimArgs),
}

#[test]
fn the_load_mode_s_flags_come_from_the_file_through_their_bounds() {
    let sim = |toml: &str, args: &[&str]| {
        let f = Fixture::new(toml);
        let mut argv: Vec<OsString> = vec!["coordinator".into(), "sim".into()];
        argv.extend(["--config".into(), f.file().into()]);
        argv.extend(args.iter().map(OsString::from));
        parse::<SimCli>(argv, &|_: &str| None)
    };
    let Ok(SimCli {
        command: SimCmd::Sim(a),
        ..
    }) = sim("[sim]\nrate = 20000\nramp-ms = 500\nminers = 5000\n", &[])
    else {
        panic!("the file's load mode does not parse");
    };
    assert_eq!((a.rate, a.ramp_ms, a.miners), (Some(20_000), 500, 5000));
    // The command line wins over the file.
    let Ok(SimCli {
        command: SimCmd::Sim(a),
        ..
    }) = sim("[sim]\nrate = 20000\n", &["--rate", "7"])
    else {
        panic!("the command line's rate does not parse");
    };
    assert_eq!(a.rate, Some(7));
    // A file's settings that the command line's flags exclude give way.
    let Ok(SimCli {
        command: SimCmd::Sim(a),
        ..
    }) = sim("[sim]\nthreads = 2\n", &["--rate", "7"])
    else {
        panic!("--rate does not override the file's threads");
    };
    assert_eq!(a.rate, Some(7));
    for (toml, key, range) in [
        ("[sim]\nrate = 0\n", "key sim.rate", "from 1 to 100000000"),
        (
            "[sim]\nrate = 10\nramp-ms = 600001\n",
            "key sim.ramp-ms",
            "from 0 to 600000",
        ),
        (
            "[sim]\nrate = 10\nminers = 100001\n",
            "key sim.miners",
            "from 1 to 100000",
        ),
    ] {
        match sim(toml, &[]) {
            Err(ParseError::Config(e)) => {
                let e = e.to_string();
                assert!(e.contains(key) && e.contains(range), "{toml}: {e}");
            }
            other => panic!("{toml}: {other:?}"),
        }
    }
}
