//! The store's connections: an `r2d2` pool of PostgreSQL clients, each
//! with the statements it has prepared (so a query is one round trip, not
//! a prepare and then an execute). A connection the server closed is
//! thrown away when it comes back; one that breaks while idle is found by
//! the check on check-out (an empty query), so a restarted server costs
//! no failed request.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use postgres::{Client, Statement};

use super::Cause;
use super::url::Settings;
use crate::store::StoreError;

/// A client and its prepared statements.
pub(super) struct Conn {
    client: Client,
    prepared: HashMap<&'static str, Statement>,
    /// Set when the session may hold what it must not keep (a lock whose
    /// release failed): the pool closes it instead of lending it again.
    pub(super) broken: bool,
}

impl Conn {
    /// The prepared statement for `sql`, prepared on first use.
    pub(super) fn statement(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.prepared.insert(sql, s.clone());
        Ok(s)
    }
}

impl Deref for Conn {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

pub(super) struct Manager {
    settings: Settings,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = ConnectError;

    fn connect(&self) -> Result<Conn, ConnectError> {
        Ok(Conn {
            client: self.settings.connect().map_err(ConnectError)?,
            prepared: HashMap::new(),
            broken: false,
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), ConnectError> {
        conn.client.simple_query("").map(drop).map_err(ConnectError)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.broken || conn.client.is_closed()
    }
}

/// Connection failures go to the log at debug level: the requests they
/// fail are answered `503` and counted, so the log need not repeat each.
#[derive(Debug)]
struct Quiet;

impl r2d2::HandleError<ConnectError> for Quiet {
    fn handle_error(&self, error: ConnectError) {
        tracing::debug!("connecting to the database: {error}");
    }
}

/// Why a connection could not be made or kept, with its causes (the pool
/// keeps only the text of the last one).
#[derive(Debug)]
pub(super) struct ConnectError(postgres::Error);

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", Cause(&self.0))
    }
}

impl std::error::Error for ConnectError {}

/// The pool.
pub(super) struct Pool {
    inner: Option<r2d2::Pool<Manager>>,
}

impl Drop for Pool {
    /// Each client owns a small runtime, which may not be dropped on a
    /// thread that drives asynchronous tasks (a service shutting down, a
    /// test's end): the connections go on a thread of their own.
    fn drop(&mut self) {
        if let Some(pool) = self.inner.take() {
            let _ = std::thread::Builder::new()
                .name("store-close".into())
                .spawn(move || drop(pool));
        }
    }
}

impl Pool {
    /// A pool of at most `size` connections with `settings`; a request waits
    /// at most `wait` for one. Connections are made as needed, so a server
    /// that is down now makes requests fail, not this.
    pub(super) fn new(settings: Settings, size: u32, wait: Duration) -> Pool {
        let inner = r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(1))
            .connection_timeout(wait)
            .error_handler(Box::new(Quiet))
            .build_unchecked(Manager { settings });
        Pool { inner: Some(inner) }
    }

    /// A connection, or [`StoreError::Unreachable`] once the wait is over.
    pub(super) fn get(&self) -> Result<r2d2::PooledConnection<Manager>, StoreError> {
        self.inner
            .as_ref()
            .ok_or_else(|| StoreError::Unreachable("the store is closing".into()))?
            .get()
            .map_err(|e| StoreError::Unreachable(format!("no database connection: {e}")))
    }
}
