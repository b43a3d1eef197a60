//! The UDP socket every node sends through, with an optional chaos layer.
//!
//! The kernel here has no `netem`, so faults are injected in user space: a
//! seeded generator decides, for each outgoing datagram in order, whether to
//! drop it, send it twice, and how long to hold each copy back. Different
//! delays reorder datagrams. The decisions are deterministic for a seed;
//! the exact interleaving still depends on the runtime's scheduling.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::UdpSocket;

/// What the chaos layer does to outgoing datagrams.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChaosConfig {
    /// Seed of the decisions.
    pub seed: u64,
    /// Probability a datagram is dropped.
    pub drop: f64,
    /// Probability a datagram is sent twice.
    pub duplicate: f64,
    /// Each copy is held back a uniform time up to this (reordering).
    pub max_delay: Duration,
}

impl ChaosConfig {
    /// Parses `SEED:DROP:DUP:DELAY_MS`, e.g. `7:0.2:0.05:30`.
    pub fn parse(text: &str) -> Result<ChaosConfig, String> {
        let parts: Vec<&str> = text.split(':').collect();
        let [seed, drop, dup, delay] = parts.as_slice() else {
            return Err(format!(
                "chaos spec {text:?}: expected SEED:DROP:DUP:DELAY_MS"
            ));
        };
        let prob = |name: &str, v: &str| -> Result<f64, String> {
            match v.parse::<f64>() {
                Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
                _ => Err(format!(
                    "chaos {name} {v:?}: expected a probability from 0 to 1"
                )),
            }
        };
        Ok(ChaosConfig {
            seed: seed
                .parse()
                .map_err(|_| format!("chaos seed {seed:?}: expected an integer"))?,
            drop: prob("drop", drop)?,
            duplicate: prob("duplicate", dup)?,
            max_delay: Duration::from_millis(
                delay
                    .parse()
                    .ok()
                    .filter(|ms| *ms <= 60_000)
                    .ok_or_else(|| {
                        format!("chaos delay {delay:?}: expected milliseconds from 0 to 60000")
                    })?,
            ),
        })
    }
}

/// splitmix64: small, fast, and good enough to decide faults.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Counts of what the chaos layer did.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct ChaosCounts {
    /// Datagrams dropped.
    pub dropped: u64,
    /// Extra copies sent.
    pub duplicated: u64,
    /// Copies held back.
    pub delayed: u64,
}

#[derive(Debug)]
struct Chaos {
    cfg: ChaosConfig,
    rng: Mutex<(Rng, ChaosCounts)>,
}

/// A UDP socket, shared by the tasks of one node.
#[derive(Clone, Debug)]
pub struct Transport {
    socket: Arc<UdpSocket>,
    chaos: Option<Arc<Chaos>>,
}

impl Transport {
    /// Wraps `socket`; with `chaos`, outgoing datagrams go through the
    /// chaos layer.
    pub fn new(socket: UdpSocket, chaos: Option<ChaosConfig>) -> Transport {
        Transport {
            socket: Arc::new(socket),
            chaos: chaos.map(|cfg| {
                Arc::new(Chaos {
                    rng: Mutex::new((Rng(cfg.seed), ChaosCounts::default())),
                    cfg,
                })
            }),
        }
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Receives one datagram.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.socket.recv_from(buf).await
    }

    /// What the chaos layer has done so far.
    pub fn chaos_counts(&self) -> Option<ChaosCounts> {
        let chaos = self.chaos.as_ref()?;
        chaos.rng.lock().ok().map(|g| g.1)
    }

    /// Sends one datagram (or not, or twice, or later, under chaos).
    pub async fn send_to(&self, bytes: &[u8], to: SocketAddr) -> io::Result<()> {
        let Some(chaos) = &self.chaos else {
            return self.socket.send_to(bytes, to).await.map(|_| ());
        };
        let delays = {
            let Ok(mut guard) = chaos.rng.lock() else {
                return Ok(());
            };
            let (rng, counts) = &mut *guard;
            if rng.unit() < chaos.cfg.drop {
                counts.dropped += 1;
                return Ok(());
            }
            let copies = if rng.unit() < chaos.cfg.duplicate {
                counts.duplicated += 1;
                2
            } else {
                1
            };
            let max = chaos.cfg.max_delay.as_micros() as f64;
            let delays: Vec<Duration> = (0..copies)
                .map(|_| Duration::from_micros((rng.unit() * max) as u64))
                .collect();
            counts.delayed += delays.iter().filter(|d| !d.is_zero()).count() as u64;
            delays
        };
        for delay in delays {
            if delay.is_zero() {
                self.socket.send_to(bytes, to).await?;
            } else {
                let socket = Arc::clone(&self.socket);
                let bytes = bytes.to_vec();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    // A late copy that fails to send is just one more loss.
                    let _ = socket.send_to(&bytes, to).await;
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs_and_rejects_bad_ones() {
        let c = ChaosConfig::parse("7:0.2:0.05:30").unwrap();
        assert_eq!(c.seed, 7);
        assert_eq!(c.max_delay, Duration::from_millis(30));
        assert!(ChaosConfig::parse("7:1.5:0:0").is_err());
        assert!(ChaosConfig::parse("x:0:0:0").is_err());
        assert!(ChaosConfig::parse("1:0:0").is_err());
        assert!(ChaosConfig::parse("1:0:0:60001").is_err());
    }

    #[test]
    fn decisions_are_deterministic_for_a_seed() {
        let draw = |seed| {
            let mut r = Rng(seed);
            (0..5).map(|_| r.next()).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert_ne!(draw(3), draw(4));
    }

    #[tokio::test]
    async fn drops_at_about_the_configured_rate() {
        let rx = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let to = rx.local_addr().unwrap();
        let cfg = ChaosConfig {
            seed: 1,
            drop: 0.2,
            duplicate: 0.05,
            max_delay: Duration::ZERO,
        };
        let tx = Transport::new(UdpSocket::bind("127.0.0.1:0").await.unwrap(), Some(cfg));
        for _ in 0..1000 {
            tx.send_to(b"x", to).await.unwrap();
        }
        let c = tx.chaos_counts().unwrap();
        assert!((150..=250).contains(&c.dropped), "{c:?}");
        assert!((20..=80).contains(&c.duplicated), "{c:?}");
    }
}
