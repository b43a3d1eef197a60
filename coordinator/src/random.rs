//! The host's random numbers: every one the coordinator program draws comes
//! from here.
//!
//! Policy:
//!
//! - The only source is the operating system's (`getrandom`: `getrandom(2)`
//!   on Linux). There is no fallback: when the source fails, the draw is an
//!   error that the caller reports, and the command stops. A cluster key
//!   made from the clock is guessable, and a boot id made from the clock or
//!   left at zero repeats across restarts, so that peers take the restarted
//!   node's frames for replays; both would fail silently, much later.
//! - What must be reproducible is seeded instead, from a value the user
//!   gives: the chaos layer's decisions (`--chaos SEED,...`), and tests.
//! - `protocol` draws nothing: it takes what is drawn here as values
//!   (`ClusterKey::from_bytes`, `BootId`). The boards draw from their chips
//!   (`firmware/src/board.rs`), under the same rule.

use protocol::{BootId, ClusterKey};

/// The operating system's random source failed.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed: {0}")]
pub struct RandomError(getrandom::Error);

impl From<RandomError> for std::io::Error {
    fn from(e: RandomError) -> std::io::Error {
        std::io::Error::other(e)
    }
}

/// Fills `buf` from the operating system's source.
pub fn fill(buf: &mut [u8]) -> Result<(), RandomError> {
    getrandom::fill(buf).map_err(RandomError)
}

/// A new cluster key.
pub fn cluster_key() -> Result<ClusterKey, RandomError> {
    let mut key = [0u8; 32];
    fill(&mut key)?;
    Ok(ClusterKey::from_bytes(key))
}

/// A new wallet key (an Ed25519 signing key).
pub fn signing_key() -> Result<chain::ledger::SigningKey, RandomError> {
    let mut seed = [0u8; 32];
    fill(&mut seed)?;
    Ok(chain::ledger::SigningKey::from_bytes(&seed))
}

/// A boot id for a node starting now.
pub fn boot_id() -> Result<BootId, RandomError> {
    u32().map(BootId)
}

/// A random `u32`.
pub fn u32() -> Result<u32, RandomError> {
    let mut b = [0u8; 4];
    fill(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_differ() {
        // 2^-256 and 2^-32 chances of a false failure.
        assert_ne!(cluster_key().unwrap(), cluster_key().unwrap());
        let ids: Vec<u32> = (0..4).map(|_| boot_id().unwrap().0).collect();
        assert!(ids.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn failures_say_what_failed() {
        let e = RandomError(getrandom::Error::UNSUPPORTED);
        assert!(
            e.to_string()
                .starts_with("the operating system's random source failed")
        );
        let io: std::io::Error = e.into();
        assert_eq!(io.kind(), std::io::ErrorKind::Other);
    }
}
