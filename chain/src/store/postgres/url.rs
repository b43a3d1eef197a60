//! The PostgreSQL connection URL: parsed once, shown without its password
//! everywhere, and turned into the settings every connection uses (the
//! timeouts and `synchronous_commit` that durability rests on, and the TLS
//! of `tls.rs`). Apart from the store so that no path prints the password
//! by accident.

use std::path::PathBuf;
use std::time::Duration;

use tokio_postgres_rustls::MakeRustlsConnect;

use super::tls;

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long sent data may stay unacknowledged before the connection is
/// taken for dead (a server machine that vanished, not one that refused).
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(5);

/// A PostgreSQL connection URL, as given and as shown (without its
/// password).
#[derive(Clone)]
pub struct PgUrl {
    config: postgres::Config,
    tls: MakeRustlsConnect,
    allow: bool,
    shown: String,
}

/// What every connection is made with: the client's settings and the TLS
/// connector.
#[derive(Clone)]
pub(super) struct Settings {
    config: postgres::Config,
    tls: MakeRustlsConnect,
    /// `sslmode=allow`: a connection refused without TLS is tried again
    /// with it.
    allow: bool,
}

impl Settings {
    /// A new connection.
    pub(super) fn connect(&self) -> Result<postgres::Client, postgres::Error> {
        match self.config.connect(self.tls.clone()) {
            // The server answered and refused (`hostssl` only, say): as
            // libpq does, once more with TLS. A server not reached is not
            // reached with TLS either.
            Err(e) if self.allow && e.as_db_error().is_some() => {
                let mut config = self.config.clone();
                config.ssl_mode(postgres::config::SslMode::Require);
                config.connect(self.tls.clone())
            }
            other => other,
        }
    }
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl std::fmt::Display for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl PgUrl {
    /// Whether `text` names a PostgreSQL database (`postgres://` or
    /// `postgresql://`).
    pub fn is_url(text: &str) -> bool {
        text.starts_with("postgres://") || text.starts_with("postgresql://")
    }

    /// Parses `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?PARAMS]` (the
    /// libpq URL form; `sslmode`, `sslrootcert`, `sslcert` and `sslkey` as
    /// `tls.rs` says).
    /// Without a password in the URL, `PGPASSWORD` is used if set.
    pub fn parse(text: &str) -> Result<PgUrl, String> {
        if !PgUrl::is_url(text) {
            return Err("a PostgreSQL URL starts with postgres:// or postgresql://".into());
        }
        let (rest, tls) = tls::split(text)?;
        let mut config: postgres::Config =
            rest.parse().map_err(|e| super::Cause(&e).to_string())?;
        config.ssl_mode(tls.mode);
        if config.get_hosts().is_empty() {
            return Err("the URL names no host (postgres://USER@HOST[:PORT]/DB)".into());
        }
        if config.get_user().is_none() {
            return Err("the URL names no user (postgres://USER@HOST[:PORT]/DB)".into());
        }
        if config.get_dbname().is_none() {
            return Err("the URL names no database (postgres://USER@HOST[:PORT]/DB)".into());
        }
        if config.get_password().is_none()
            && let Ok(password) = std::env::var("PGPASSWORD")
        {
            config.password(password);
        }
        Ok(PgUrl {
            config,
            tls: tls.connector,
            allow: tls.allow,
            shown: without_password(text),
        })
    }

    /// The URL without its password.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// `text` as it may be shown, parsed or not: without the passwords a
    /// URL holds.
    pub fn redact(text: &str) -> String {
        without_password(text)
    }

    /// As a path-like location, for the errors that name the chain's place.
    pub(super) fn location(&self) -> PathBuf {
        PathBuf::from(&self.shown)
    }

    /// The settings every connection uses.
    pub(super) fn settings(&self, application: &str) -> Settings {
        let mut config = self.config.clone();
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        config
            .keepalives_idle(Duration::from_secs(10))
            .application_name(application)
            .options("-c synchronous_commit=on -c client_min_messages=warning");
        Settings {
            config,
            tls: self.tls.clone(),
            allow: self.allow,
        }
    }
}

/// Query parameters whose values are secrets: a password may be given as
/// `?password=` as well as in the user part, and `sslpassword` unlocks the
/// client's key.
const SECRET_PARAMS: [&str; 2] = ["password", "sslpassword"];

/// `scheme://user:password@rest` without `:password`, and without the
/// query's secret parameters.
fn without_password(text: &str) -> String {
    let (url, query) = text.split_once('?').unwrap_or((text, ""));
    let url = without_user_password(url);
    let kept: Vec<&str> = query
        .split('&')
        .filter(|param| !param.is_empty())
        .filter(|param| {
            let key = param.split_once('=').map_or(*param, |(k, _)| k);
            let key = percent_encoding::percent_decode_str(key).decode_utf8_lossy();
            !SECRET_PARAMS.contains(&key.as_ref())
        })
        .collect();
    if kept.is_empty() {
        url
    } else {
        format!("{url}?{}", kept.join("&"))
    }
}

/// `scheme://user:password@rest`, a URL without its query, without
/// `:password`.
fn without_user_password(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_never_shown_wherever_the_url_gives_them() {
        for (given, shown) in [
            ("postgres://u:s3cret@h:5/db", "postgres://u@h:5/db"),
            ("postgres://u@h/db?password=s3cret", "postgres://u@h/db"),
            (
                "postgres://u:s3cret@h/db?connect_timeout=3&pass%77ord=s3cret&sslmode=require",
                "postgres://u@h/db?connect_timeout=3&sslmode=require",
            ),
            (
                "postgres://u@h/db?sslkey=/k.pem&sslpassword=s3cret&sslcert=/c.pem",
                "postgres://u@h/db?sslkey=/k.pem&sslcert=/c.pem",
            ),
            ("postgres://u@h/db?", "postgres://u@h/db"),
            (
                "postgres://u@h/db?application_name=x",
                "postgres://u@h/db?application_name=x",
            ),
        ] {
            assert_eq!(without_password(given), shown, "{given}");
        }
    }
}
