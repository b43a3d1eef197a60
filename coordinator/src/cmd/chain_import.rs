//! `coordinator chain import --db PATH FILE`: the export format read back
//! into a chain database (`chain::import` checks it). A file that does not
//! verify is refused, naming its first bad line (exit status 2), and
//! nothing is written; into a database that does not exist yet, the chain
//! is built in a file beside it that takes its name only once every block
//! is in, so a refused import leaves no file behind. A PostgreSQL database
//! without a chain gets one only once the file verified (in a scratch
//! SQLite file first), for the same reason.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chain::import::{ImportError, Imported};
use chain::rules::BodyLimits;
use chain::store::CreateParams;
use chain::{Location, SqliteStore};
use clap::Args;

use super::output::outln;
use super::{CommandError, Failure, UsageError, flags};

/// Arguments of `chain import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The SQLite file or postgres:// database to import into; a chain is
    /// created there if there is none.
    #[arg(long, value_hint = clap::ValueHint::AnyPath, value_parser = flags::DbLocation)]
    pub db: Location,
    /// The export to read (`-`: standard input).
    pub file: String,
    /// Difficulty of a new chain, 1 to 255 zero bits (default: the one
    /// the file's first block was mined at). An existing chain keeps its
    /// own.
    #[arg(long, value_parser = flags::chain_zero_bits)]
    pub zero_bits: Option<u8>,
    /// The operator key of a new chain (as `chain --operator`): needed when
    /// the file holds deposits.
    #[arg(long, value_parser = super::chain::parse_public_key)]
    pub operator: Option<chain::ledger::PublicKey>,
    /// Transactions a block may hold, the reward included (2 to 10000), as
    /// the service that mined the file allowed.
    #[arg(long, default_value_t = 1000, value_parser = flags::block_txs)]
    pub max_block_txs: usize,
}

/// Runs `chain import`.
pub fn run(args: &ImportArgs) -> Result<ExitCode, CommandError> {
    let limits = BodyLimits {
        max_txs: args.max_block_txs,
        max_bytes: args.max_block_txs * chain::ledger::MAX_TX_LEN,
    };
    let input: Box<dyn Read> = if args.file == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(
            File::open(&args.file)
                .map_err(|e| UsageError::Path(format!("cannot read {}: {e}", args.file)))?,
        )
    };
    let mut input = BufReader::new(input);
    // The first two lines, to learn a new chain's difficulty from its
    // first block; then read again from the start.
    let mut head = Vec::new();
    for _ in 0..2 {
        Read::take(&mut input, 1 << 20)
            .read_until(b'\n', &mut head)
            .map_err(|e| read_failure(&args.file, e))?;
    }
    let input = BufReader::new(Cursor::new(head.clone()).chain(input));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let new_params = CreateParams {
        zero_bits: args
            .zero_bits
            .or_else(|| chain::import::zero_bits_of(&head)),
        operator: args.operator,
    };
    let result = match &args.db {
        Location::Sqlite(path) if path.exists() => {
            let params = CreateParams {
                zero_bits: args.zero_bits,
                operator: args.operator,
            };
            let store = SqliteStore::open_with(path, params).map_err(|e| bad_db(&args.db, e))?;
            chain::import::import(&store, input, now, limits)
        }
        Location::Sqlite(path) => into_new(path, new_params, input, now, limits)?,
        Location::Postgres(_) => into_database(&args.db, new_params, input, now, limits)?,
    };
    match result {
        Ok(Imported {
            known, added, tip, ..
        }) => {
            outln!(
                "imported {added} blocks into {} ({known} already there); tip at height {} ({})",
                args.db,
                tip.0,
                tip.1
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (ImportError::Line { .. } | ImportError::Empty)) => {
            Err(UsageError::Path(format!("{}: {e}", args.file)).into())
        }
        Err(ImportError::Read(e)) => Err(read_failure(&args.file, e).into()),
        Err(e @ (ImportError::Store(_) | ImportError::Moved)) => Err(Failure::Stopped {
            what: "the import".into(),
            source: io::Error::other(e),
        }
        .into()),
    }
}

/// Imports into a new chain built beside `db`, renamed to it once the
/// import succeeded, and removed otherwise.
fn into_new(
    db: &Path,
    params: CreateParams,
    input: impl BufRead,
    now: u64,
    limits: BodyLimits,
) -> Result<Result<Imported, ImportError>, CommandError> {
    let building = with_suffix(db, ".importing");
    remove_db(&building);
    let store = SqliteStore::open_with(&building, params)
        .map_err(|e| bad_db(&Location::Sqlite(db.to_owned()), e))?;
    let result = chain::import::import(&store, input, now, limits);
    drop(store);
    if result.is_ok() {
        // The last connection closed: SQLite has folded its log into the
        // file. Any journal file left goes with it all the same.
        for suffix in ["-wal", "-shm", ""] {
            let (from, to) = (with_suffix(&building, suffix), with_suffix(db, suffix));
            if from.exists() {
                std::fs::rename(&from, &to).map_err(|e| Failure::Stopped {
                    what: format!("moving the imported chain to {}", to.display()),
                    source: e,
                })?;
            }
        }
    }
    remove_db(&building);
    Ok(result)
}

/// Imports into a PostgreSQL database. One that holds a chain takes the
/// blocks in one transaction or none; one without is given a chain only
/// after the whole file verified into a scratch SQLite chain, so a refused
/// file writes nothing there either.
fn into_database(
    db: &Location,
    params: CreateParams,
    mut input: impl BufRead,
    now: u64,
    limits: BodyLimits,
) -> Result<Result<Imported, ImportError>, CommandError> {
    use chain::store::StoreError;
    match db.open_existing() {
        Ok(store) => return Ok(chain::import::import(&*store, input, now, limits)),
        Err(StoreError::Missing(_) | StoreError::NotAChain(_)) => {}
        Err(e) => return Err(bad_db(db, e)),
    }
    // The file is read twice: kept in memory, bounded.
    let mut whole = Vec::new();
    Read::take(&mut input, MAX_IMPORT_BYTES + 1)
        .read_to_end(&mut whole)
        .map_err(|e| read_failure("the import", e))?;
    if whole.len() as u64 > MAX_IMPORT_BYTES {
        return Err(UsageError::Path(format!(
            "the file is larger than {} MiB: import it into an SQLite file, then serve that",
            MAX_IMPORT_BYTES >> 20
        ))
        .into());
    }
    let scratch = tempfile::tempdir().map_err(|e| Failure::Stopped {
        what: "making a scratch directory".into(),
        source: e,
    })?;
    let check = into_new(
        &scratch.path().join("check.db"),
        params,
        Cursor::new(&whole),
        now,
        limits,
    )?;
    if let Err(e) = check {
        return Ok(Err(e));
    }
    let store = db.open(params).map_err(|e| bad_db(db, e))?;
    Ok(chain::import::import(
        &*store,
        Cursor::new(whole),
        now,
        limits,
    ))
}

/// The largest file imported into a new PostgreSQL chain (read twice, so
/// held in memory).
const MAX_IMPORT_BYTES: u64 = 1 << 30;

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// Removes an SQLite file and its journal files, if there.
fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(path, suffix));
    }
}

fn bad_db(db: &Location, e: chain::store::StoreError) -> CommandError {
    UsageError::Path(format!("--db {db}: {e}")).into()
}

fn read_failure(file: &str, e: io::Error) -> Failure {
    Failure::Stopped {
        what: format!("reading {file}"),
        source: e,
    }
}
