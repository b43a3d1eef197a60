//! Addresses as users give them: an IP address or a hostname, and a port
//! (`127.0.0.1:7411`, `[::1]:7411`, `node2.lan:7411`). The syntax is
//! checked when the flag is parsed (`cmd::flags::host_port`); names are
//! looked up when a command starts, and again by the drivers when what
//! they reached there goes silent (a machine that came back with another
//! address).

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// Longest hostname (RFC 1035).
const MAX_NAME: usize = 253;

/// A host (IP address or name) and a port.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostPort {
    host: String,
    port: u16,
}

impl HostPort {
    /// The address itself, when the host is an IP address.
    pub fn literal(&self) -> Option<SocketAddr> {
        self.host
            .parse::<IpAddr>()
            .ok()
            .map(|ip| SocketAddr::new(ip, self.port))
    }

    /// Whether the host is a name (to look up) rather than an address.
    pub fn is_name(&self) -> bool {
        self.literal().is_none()
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The host as given.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Every address the host has now (IPv4 first), or why there is none.
    pub async fn resolve_all(&self) -> io::Result<Vec<SocketAddr>> {
        if let Some(a) = self.literal() {
            return Ok(vec![a]);
        }
        let mut addrs: Vec<SocketAddr> = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await?
            .collect();
        addrs.sort_by_key(|a| a.is_ipv6());
        addrs.dedup();
        if addrs.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} has no address", self.host),
            ));
        }
        Ok(addrs)
    }

    /// The address to use: the first the host has now (IPv4 first).
    pub async fn resolve(&self) -> io::Result<SocketAddr> {
        let all = self.resolve_all().await?;
        all.first()
            .copied()
            .ok_or_else(|| io::ErrorKind::NotFound.into())
    }
}

impl From<SocketAddr> for HostPort {
    fn from(a: SocketAddr) -> HostPort {
        HostPort {
            host: a.ip().to_string(),
            port: a.port(),
        }
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Why text is not `HOST:PORT`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected HOST:PORT, e.g. 127.0.0.1:7411, [::1]:7411 or node2.lan:7411 ({1})")]
pub struct BadHostPort(String, &'static str);

impl FromStr for HostPort {
    type Err = BadHostPort;

    fn from_str(text: &str) -> Result<HostPort, BadHostPort> {
        let bad = |why| BadHostPort(text.to_owned(), why);
        if let Ok(a) = text.parse::<SocketAddr>() {
            return Ok(a.into());
        }
        let (host, port) = text.rsplit_once(':').ok_or_else(|| bad("no port"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| bad("the port must be a number from 0 to 65535"))?;
        if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            return inner
                .parse::<std::net::Ipv6Addr>()
                .map(|ip| SocketAddr::new(ip.into(), port).into())
                .map_err(|_| bad("not an IPv6 address in brackets"));
        }
        if host.is_empty() || host.len() > MAX_NAME {
            return Err(bad("the host must be 1 to 253 characters"));
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !host.trim_end_matches('.').split('.').all(label_ok) {
            return Err(bad(
                "a hostname is letters, digits and hyphens, in labels separated by dots",
            ));
        }
        Ok(HostPort {
            host: host.to_ascii_lowercase(),
            port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_names_parse_and_bad_ones_say_why() {
        let h: HostPort = "node2.lan:7411".parse().unwrap();
        assert!(h.is_name());
        assert_eq!(h.to_string(), "node2.lan:7411");
        let h: HostPort = "127.0.0.1:7411".parse().unwrap();
        assert_eq!(h.literal(), Some("127.0.0.1:7411".parse().unwrap()));
        let h: HostPort = "[::1]:7411".parse().unwrap();
        assert_eq!(h.to_string(), "[::1]:7411");
        assert!("Localhost:1".parse::<HostPort>().unwrap().is_name());
        for bad in [
            "node2",
            "node2:",
            ":7411",
            "node2:70000",
            "no de:1",
            "-x:1",
            "a..b:1",
            "[zz]:1",
            "ä:1",
        ] {
            let e = bad.parse::<HostPort>().unwrap_err();
            assert!(
                e.to_string().starts_with("expected HOST:PORT"),
                "{bad}: {e}"
            );
        }
    }

    #[tokio::test]
    async fn localhost_resolves_and_literals_need_no_lookup() {
        let h: HostPort = "localhost:7411".parse().unwrap();
        let a = h.resolve().await.unwrap();
        assert!(a.ip().is_loopback(), "{a}");
        assert_eq!(a.port(), 7411);
        let h: HostPort = "10.1.2.3:9".parse().unwrap();
        assert_eq!(h.resolve().await.unwrap(), "10.1.2.3:9".parse().unwrap());
        let h: HostPort = "no-such-host.invalid:1".parse().unwrap();
        assert!(h.resolve().await.is_err());
    }
}
