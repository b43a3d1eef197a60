//! The version of the chain's tables, and how an older database is brought
//! to it: one list for every store. A step names the version it starts
//! from and its statements for each database (SQLite and PostgreSQL speak
//! different SQL); a store runs the steps from its database's version up,
//! in the transaction that opens it, and stamps the new version there. A
//! version with no way up is refused by name ([`StoreError::Schema`]).

use std::path::Path;

use super::{ChainParams, CreateParams, StoreError};
use crate::api::Block;
use crate::ledger::PublicKey;
use crate::rules::{genesis_hash, genesis_header};

/// Version of the tables this build writes, in every store. Version 1 had
/// blocks only (before the ledger); version 2 had no `blocks.confirmed_by`.
pub const SCHEMA_VERSION: i64 = 3;

/// One step up: from version `from` to `from + 1`.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    /// The version it starts from.
    pub from: i64,
    /// Its statements on SQLite.
    pub sqlite: &'static str,
    /// Its statements on PostgreSQL.
    pub postgres: &'static str,
}

/// Every step, oldest first. Version 1 (blocks only) predates the
/// ledger's tables and is not upgraded.
pub const MIGRATIONS: &[Migration] = &[Migration {
    from: 2,
    sqlite: "ALTER TABLE blocks ADD COLUMN confirmed_by TEXT NOT NULL DEFAULT ''",
    postgres: "ALTER TABLE blocks ADD COLUMN confirmed_by TEXT NOT NULL DEFAULT ''",
}];

/// The steps that take a database at version `found` to
/// [`SCHEMA_VERSION`], in order; refused when there is no such way
/// (an unknown version, a newer one, one too old to upgrade).
pub fn steps(found: i64, location: &Path) -> Result<Vec<&'static Migration>, StoreError> {
    let mut version = found;
    let mut out = Vec::new();
    while version != SCHEMA_VERSION {
        let Some(step) = MIGRATIONS.iter().find(|m| m.from == version) else {
            return Err(StoreError::Schema {
                path: location.to_owned(),
                found,
                expected: SCHEMA_VERSION,
            });
        };
        out.push(step);
        version += 1;
    }
    Ok(out)
}

/// The block every new chain starts with, in every store.
pub fn genesis_block() -> Block {
    let genesis = genesis_header();
    Block {
        height: 0,
        hash: genesis.hash(),
        header: genesis,
        miner: "genesis".into(),
        received_at: u64::from(genesis.time),
        confirmed_by: Vec::new(),
    }
}

/// The chain row's values as read from `location`, checked against what
/// the store was asked to serve: the one refusal of a database made for
/// another chain, whichever store holds it.
pub fn check_params(
    location: &Path,
    wanted: CreateParams,
    stored: u8,
    genesis: Vec<u8>,
    operator: Option<Vec<u8>>,
) -> Result<ChainParams, StoreError> {
    let found = protocol::Hash256(super::sqlite::rows::to_array(genesis, "genesis hash")?);
    if found != genesis_hash() {
        return Err(StoreError::GenesisMismatch {
            path: location.to_owned(),
            found,
            expected: genesis_hash(),
        });
    }
    if let Some(requested) = wanted.zero_bits.filter(|&z| z != stored) {
        return Err(StoreError::ZeroBitsMismatch {
            path: location.to_owned(),
            stored,
            requested,
        });
    }
    let operator = operator
        .map(|k| super::sqlite::rows::to_array(k, "operator key").map(PublicKey))
        .transpose()?;
    if let Some(requested) = wanted.operator.filter(|&k| Some(k) != operator) {
        return Err(StoreError::OperatorMismatch {
            path: location.to_owned(),
            stored: operator.map_or("none".into(), |k| k.to_string()),
            requested,
        });
    }
    Ok(ChainParams {
        zero_bits: stored,
        operator,
    })
}
