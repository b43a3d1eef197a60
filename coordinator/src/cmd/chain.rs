//! `coordinator chain`: serves the chain service (the block web service
//! every coordinator shares) on an SQLite file or a PostgreSQL database
//! (which several instances may serve at once); `coordinator chain
//! export` prints the chain as text.
//!
//! Exit status: 0 after a clean shutdown (Ctrl-C or SIGTERM) or export; 1
//! if serving or exporting fails midway; 2 on bad input (flags, a file that
//! is not a chain, a difficulty the chain was not created with, an address
//! that cannot be bound).

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use chain::export::ExportError;
use chain::{Location, ServiceConfig};
use clap::{Args, Subcommand};
use tokio::net::TcpListener;

use super::output::{errln, outln};
use super::{CommandError, Failure, UsageError, flags};

/// Arguments of `chain`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ChainArgs {
    /// Another action on the chain instead of serving it.
    #[command(subcommand)]
    pub command: Option<ChainCommand>,
    /// Address to serve HTTP on, e.g. 127.0.0.1:8080. With port 0 the
    /// system picks one; the first line printed names it.
    #[arg(long, required = true)]
    pub listen: Option<String>,
    /// Where the chain is: an SQLite file (created, with the genesis
    /// block, if it does not exist), or a PostgreSQL database,
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` (its tables are created in
    /// an empty database; several instances may serve one database). A
    /// password may also come from PGPASSWORD. TLS as with psql:
    /// ?sslmode=verify-full&sslrootcert=CA.pem (default sslmode=prefer).
    #[arg(long, required = true, value_hint = clap::ValueHint::AnyPath, value_parser = flags::DbLocation)]
    pub db: Option<Location>,
    /// Difficulty of a new chain, in leading zero bits (1-255) [default:
    /// 24]. A chain keeps the difficulty it was created with: giving
    /// another value for an existing file is refused.
    #[arg(long, value_parser = flags::chain_zero_bits)]
    pub zero_bits: Option<u8>,
    /// The public key (64 hex characters, `wallet address --key F --json`
    /// prints it) whose signature deposits of usd need. Set when the chain
    /// is created, like the difficulty; a chain without one takes no
    /// deposits.
    #[arg(long, value_parser = parse_public_key)]
    pub operator: Option<chain::ledger::PublicKey>,
    /// Transactions a block holds at most, the reward included (2 to 10000).
    #[arg(long, default_value_t = 1000, value_parser = flags::block_txs)]
    pub max_block_txs: usize,
    /// Transactions the mempool holds at most (1 to 1000000).
    #[arg(long, default_value_t = 100_000, value_parser = flags::mempool)]
    pub max_mempool: usize,
}

pub(super) fn parse_public_key(text: &str) -> Result<chain::ledger::PublicKey, String> {
    chain::ledger::PublicKey::parse(text)
        .map_err(|e| format!("{e}; a public key is 64 hex characters"))
}

/// Subcommands of `chain`.
#[derive(Debug, Subcommand)]
pub enum ChainCommand {
    /// Print the chain, one block per line: height, hash, header, miner,
    /// confirmed_by, transactions, separated by tabs, lowest height first.
    Export(ExportArgs),
    /// Read an export back into --db (FILE, or `-` for standard input):
    /// every block is checked as the service checks a submission, and
    /// nothing is written unless the whole file verifies.
    Import(super::chain_import::ImportArgs),
}

/// Arguments of `chain export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The SQLite file or postgres:// database holding the chain (never
    /// created).
    #[arg(long, value_hint = clap::ValueHint::AnyPath, value_parser = flags::DbLocation)]
    pub db: Location,
}

/// Runs `chain` or `chain export`.
pub fn run(args: &ChainArgs) -> Result<ExitCode, CommandError> {
    match (&args.command, &args.listen, &args.db) {
        (Some(ChainCommand::Export(export_args)), _, _) => export(export_args),
        (Some(ChainCommand::Import(import_args)), _, _) => super::chain_import::run(import_args),
        (None, Some(listen), Some(db)) => serve(listen, db, args),
        (None, _, _) => {
            Err(UsageError::Flag("chain needs --listen ADDR and --db PATH".into()).into())
        }
    }
}

fn serve(listen: &str, db: &Location, args: &ChainArgs) -> Result<ExitCode, CommandError> {
    super::output::keep_running();
    let params = chain::store::CreateParams {
        zero_bits: args.zero_bits,
        operator: args.operator,
    };
    let store = db
        .open(params)
        .map_err(|e| UsageError::Path(format!("--db {db}: {e}")))?;
    let mut config = ServiceConfig::default();
    config.limits.body.max_txs = args.max_block_txs;
    config.limits.body.max_bytes = args.max_block_txs * chain::ledger::MAX_TX_LEN;
    config.limits.max_mempool = args.max_mempool;
    // Before the runtime: the PostgreSQL client may not block on it.
    let tip = store
        .tip_state()
        .map_err(|e| UsageError::Path(format!("--db {db}: {e}")))?
        .tip;
    let runtime = super::runtime()?;
    runtime.block_on(async {
        let bind_error = |source| UsageError::Address {
            flag: "--listen",
            addr: listen.to_owned(),
            source,
        };
        let listener = TcpListener::bind(listen).await.map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        // The first line of output, so that scripts and tests can find a
        // port the system chose.
        outln!("listening on http://{addr}");
        let _ = io::stdout().flush();
        super::init_logging("info");
        let operator = store
            .params()
            .operator
            .map_or("none (no deposits)".to_owned(), |k| k.to_string());
        errln!(
            "chain service: {db} ({} zero bits, operator {operator}), tip at height {} ({}); replaying the ledger",
            store.params().zero_bits,
            tip.height,
            tip.hash
        );
        match chain::serve(listener, store, config, super::shutdown_signal())
        .await
        {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(source) => Err(Failure::Stopped {
                what: "serving".into(),
                source,
            }
            .into()),
        }
    })
}

fn export(args: &ExportArgs) -> Result<ExitCode, CommandError> {
    let store = args
        .db
        .open_existing()
        .map_err(|e| UsageError::Path(format!("--db {}: {e}", args.db)))?;
    let mut out = BufWriter::new(io::stdout().lock());
    match chain::export::export(store.as_ref(), &mut out) {
        Ok(_) => Ok(ExitCode::SUCCESS),
        // `export | head`: the reader has all it wanted.
        Err(ExportError::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(Failure::Stopped {
            what: "export".into(),
            source: io::Error::other(e),
        }
        .into()),
    }
}
