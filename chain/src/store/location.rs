//! Where a chain is: an SQLite file or a PostgreSQL database, as named on
//! the command line (`--db chain.db`, `--db postgres://USER@HOST/DB`), and
//! the store that opens it.

use std::path::PathBuf;
use std::sync::Arc;

use super::{CreateParams, PgStore, PgUrl, SqliteStore, Store, StoreError};

/// A chain's place.
#[derive(Clone, Debug)]
pub enum Location {
    /// An SQLite file: one machine.
    Sqlite(PathBuf),
    /// A PostgreSQL database: any number of service instances.
    Postgres(Box<PgUrl>),
}

impl Location {
    /// `postgres://...` or `postgresql://...` names a database; anything
    /// else a file.
    pub fn parse(text: &str) -> Result<Location, String> {
        if text.is_empty() {
            return Err("give a file or a postgres:// URL".into());
        }
        if PgUrl::is_url(text) {
            return PgUrl::parse(text).map(|url| Location::Postgres(Box::new(url)));
        }
        if text.contains("://") {
            return Err(
                "only postgres:// (or postgresql://) URLs name a database; anything else is a file"
                    .into(),
            );
        }
        Ok(Location::Sqlite(PathBuf::from(text)))
    }

    /// `text`, a location given or not yet parsed, as it may be shown: a
    /// URL without its passwords (for errors about a value that may not
    /// parse).
    pub fn redact(text: &str) -> String {
        if PgUrl::is_url(text) {
            PgUrl::redact(text)
        } else {
            text.to_owned()
        }
    }

    /// Opens the chain there, creating it (with `params`) if there is none.
    pub fn open(&self, params: CreateParams) -> Result<Arc<dyn Store>, StoreError> {
        Ok(match self {
            Location::Sqlite(path) => Arc::new(SqliteStore::open_with(path, params)?),
            Location::Postgres(url) => Arc::new(PgStore::open(url, params)?),
        })
    }

    /// Opens the chain there; never creates one.
    pub fn open_existing(&self) -> Result<Arc<dyn Store>, StoreError> {
        Ok(match self {
            Location::Sqlite(path) => Arc::new(SqliteStore::open_existing(path)?),
            Location::Postgres(url) => Arc::new(PgStore::open_existing(url)?),
        })
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => write!(f, "{url}"),
        }
    }
}

impl std::str::FromStr for Location {
    type Err = String;
    fn from_str(text: &str) -> Result<Location, String> {
        Location::parse(text)
    }
}
