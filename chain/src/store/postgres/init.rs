//! Opening a database: the schema, creating the tables and the genesis
//! block in an empty database, migrating an older one, and checking an
//! existing chain against what was asked. Apart from the store's
//! operations because it runs once per open, under a lock of its own.

use super::PgUrl;
use crate::rules::{DEFAULT_ZERO_BITS, genesis_hash};
use crate::store::schema::{self, SCHEMA_VERSION};
use crate::store::{ChainParams, CreateParams, StoreError};

/// The tables (version [`SCHEMA_VERSION`]), PostgreSQL's twin of the
/// SQLite schema: the same columns, `BYTEA` for blobs, `BIGINT` for
/// integers (unsigned 64-bit values stored as the signed integer with the
/// same bits).
const SCHEMA: &str = "
CREATE TABLE chain (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    schema_version BIGINT NOT NULL,
    zero_bits SMALLINT NOT NULL CHECK (zero_bits BETWEEN 0 AND 255),
    genesis_hash BYTEA NOT NULL CHECK (length(genesis_hash) = 32),
    operator BYTEA CHECK (operator IS NULL OR length(operator) = 32),
    mempool_seq BIGINT NOT NULL DEFAULT 0,
    template_seq BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE blocks (
    height BIGINT PRIMARY KEY CHECK (height >= 0),
    hash BYTEA NOT NULL UNIQUE CHECK (length(hash) = 32),
    header BYTEA NOT NULL CHECK (length(header) = 80),
    miner TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    confirmed_by TEXT NOT NULL DEFAULT ''
);
CREATE TABLE block_txs (
    id BYTEA PRIMARY KEY CHECK (length(id) = 32),
    height BIGINT NOT NULL REFERENCES blocks (height),
    position INTEGER NOT NULL,
    raw BYTEA NOT NULL,
    UNIQUE (height, position)
);
CREATE TABLE mempool (
    seq BIGINT PRIMARY KEY,
    id BYTEA NOT NULL UNIQUE CHECK (length(id) = 32),
    raw BYTEA NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE TABLE dropped (
    id BYTEA PRIMARY KEY CHECK (length(id) = 32),
    n BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    raw BYTEA NOT NULL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    height BIGINT NOT NULL
);
CREATE TABLE templates (
    merkle_root BYTEA PRIMARY KEY CHECK (length(merkle_root) = 32),
    parent BYTEA NOT NULL,
    seq BIGINT NOT NULL,
    body BYTEA NOT NULL
);
CREATE TABLE trades (
    seq BIGINT PRIMARY KEY,
    height BIGINT NOT NULL,
    taker BYTEA NOT NULL,
    maker BYTEA NOT NULL,
    taker_side SMALLINT NOT NULL,
    buyer BYTEA NOT NULL,
    seller BYTEA NOT NULL,
    price BIGINT NOT NULL,
    amount BIGINT NOT NULL
);
";

/// The tables of [`SCHEMA`].
const TABLES: [&str; 7] = [
    "chain",
    "blocks",
    "block_txs",
    "mempool",
    "dropped",
    "templates",
    "trades",
];

/// Key of the advisory lock that serializes creating the tables, so two
/// instances started at once on an empty database create them once.
const INIT_LOCK: i64 = 0x6368_6169_6e00;

/// Says so when the server does not flush its log at commit: then no
/// answer of this service is durable.
pub(super) fn warn_if_not_durable(client: &mut postgres::Client, url: &PgUrl) {
    let setting = client
        .query_one("SELECT current_setting('fsync')", &[])
        .and_then(|row| row.try_get::<_, String>(0));
    match setting {
        Ok(on) if on == "on" => {}
        Ok(other) => tracing::warn!(
            "{url}: the server runs with fsync = {other}: a crash of its machine can lose \
             blocks this service acknowledged; set fsync = on"
        ),
        Err(e) => tracing::warn!(
            "{url}: cannot read the server's fsync setting: {}",
            super::Cause(&e)
        ),
    }
}

/// Checks the database's chain against the arguments, or creates it.
pub(super) fn init(
    client: &mut postgres::Client,
    url: &PgUrl,
    wanted: CreateParams,
    create: bool,
) -> Result<ChainParams, StoreError> {
    let location = url.location();
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INIT_LOCK])?;
    let tables: Vec<String> = tx
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            &[],
        )?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()?;
    let ours = tables
        .iter()
        .filter(|t| TABLES.contains(&t.as_str()))
        .count();
    if ours == 0 {
        if !create {
            return Err(StoreError::NotAChain(location));
        }
        if !tables.is_empty() {
            return Err(StoreError::ForeignTables {
                location,
                tables: tables.join(", "),
            });
        }
        let zero_bits = wanted.zero_bits.unwrap_or(DEFAULT_ZERO_BITS);
        tx.batch_execute(SCHEMA)?;
        tx.execute(
            "INSERT INTO chain (id, schema_version, zero_bits, genesis_hash, operator)
             VALUES (1, $1, $2, $3, $4)",
            &[
                &SCHEMA_VERSION,
                &i16::from(zero_bits),
                &&genesis_hash().0[..],
                &wanted.operator.map(|k| k.0.to_vec()),
            ],
        )?;
        super::ops::insert_block(&mut tx, &schema::genesis_block())?;
        tx.commit()?;
        return Ok(ChainParams {
            zero_bits,
            operator: wanted.operator,
        });
    }
    if !tables.iter().any(|t| t == "chain") {
        return Err(StoreError::NotAChain(location));
    }
    let version: i64 = tx
        .query_opt("SELECT schema_version::bigint FROM chain WHERE id = 1", &[])?
        .map(|row| row.try_get(0))
        .transpose()
        .map_err(|_| StoreError::Schema {
            path: location.clone(),
            found: -1,
            expected: SCHEMA_VERSION,
        })?
        .ok_or_else(|| StoreError::Corrupt("the chain table is empty".into()))?;
    for step in schema::steps(version, &location)? {
        tx.batch_execute(step.postgres)?;
        tx.execute(
            "UPDATE chain SET schema_version = $1 WHERE id = 1",
            &[&(step.from + 1)],
        )?;
    }
    if ours != TABLES.len() {
        return Err(StoreError::NotAChain(location));
    }
    let row = tx.query_one(
        "SELECT zero_bits, genesis_hash, operator FROM chain WHERE id = 1",
        &[],
    )?;
    let stored = u8::try_from(row.try_get::<_, i16>(0)?)
        .map_err(|_| StoreError::Corrupt("zero_bits out of range".into()))?;
    let params = schema::check_params(&location, wanted, stored, row.try_get(1)?, row.try_get(2)?)?;
    tx.commit()?;
    Ok(params)
}
