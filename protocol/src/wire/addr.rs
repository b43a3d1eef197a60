//! Socket addresses on the wire. The protocol has no socket types (it runs on
//! boards and hosts alike); drivers convert to and from their own.

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use serde::{Deserialize, Serialize};

/// An IPv4 or IPv6 address and UDP port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WireAddr {
    /// Index 0: IPv4 octets and port.
    V4([u8; 4], u16),
    /// Index 1: IPv6 octets and port.
    V6([u8; 16], u16),
}

impl WireAddr {
    /// The port.
    pub fn port(&self) -> u16 {
        match self {
            WireAddr::V4(_, port) | WireAddr::V6(_, port) => *port,
        }
    }
}

impl From<SocketAddr> for WireAddr {
    fn from(addr: SocketAddr) -> WireAddr {
        match addr.ip() {
            IpAddr::V4(ip) => WireAddr::V4(ip.octets(), addr.port()),
            IpAddr::V6(ip) => WireAddr::V6(ip.octets(), addr.port()),
        }
    }
}

impl From<WireAddr> for SocketAddr {
    fn from(addr: WireAddr) -> SocketAddr {
        match addr {
            WireAddr::V4(ip, port) => SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port),
            WireAddr::V6(ip, port) => SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port),
        }
    }
}

impl fmt::Display for WireAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        SocketAddr::from(*self).fmt(f)
    }
}
