//! Wallet key files and the payout key a cluster key implies.
//!
//! A key file holds an Ed25519 secret key (its 32-byte seed) as 64 hex
//! characters and a newline, as `wallet new` prints it: whoever reads the
//! file can spend from its address, so keep it like the cluster key.

use std::path::Path;

use chain::ledger::{Address, SigningKey, address};
use protocol::ClusterKey;
use protocol::hex::Hex;
use sha2::{Digest, Sha256};

use crate::cmd::UsageError;

/// What the payout key's seed hashes before the cluster key.
const PAYOUT_DOMAIN: &[u8] = b"distributed proof-of-work mining: payout key\n";

/// The wallet key a cluster's rewards go to by default: its seed is
/// `SHA-256(PAYOUT_DOMAIN || cluster key)`, so whoever holds the cluster
/// key can spend them (`wallet new --from-cluster-key FILE` prints it).
pub fn payout_key(cluster: &ClusterKey) -> SigningKey {
    let mut hasher = Sha256::new();
    hasher.update(PAYOUT_DOMAIN);
    hasher.update(cluster.as_bytes());
    let seed: [u8; 32] = hasher.finalize().into();
    SigningKey::from_bytes(&seed)
}

/// The default payout address of a cluster.
pub fn payout_address(cluster: &ClusterKey) -> Address {
    address(&payout_key(cluster))
}

/// The text of a key file.
pub fn key_text(key: &SigningKey) -> String {
    Hex(&key.to_bytes()).to_string()
}

/// Reads a key file (`flag` names it in messages).
pub fn read_key(path: &Path, flag: &str) -> Result<SigningKey, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError::Key(format!("{flag} {}: cannot read it: {e}", path.display())))?;
    let seed: [u8; 32] = protocol::hex::decode(text.trim()).map_err(|e| {
        UsageError::Key(format!(
            "{flag} {}: {e} (a wallet key is 64 hex characters; make one with `coordinator wallet new > FILE`)",
            path.display()
        ))
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payout_key_follows_from_the_cluster_key_alone() {
        let a = ClusterKey::from_bytes([1; 32]);
        let b = ClusterKey::from_bytes([2; 32]);
        assert_eq!(payout_address(&a), payout_address(&a));
        assert_ne!(payout_address(&a), payout_address(&b));
        assert_eq!(key_text(&payout_key(&a)).len(), 64);
    }
}
