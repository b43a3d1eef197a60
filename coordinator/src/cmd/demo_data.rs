//! The demo's data directory: the chain database, the log, the two keys
//! the chain and its rewards depend on, and the traders' keys. A directory
//! given again with `--data` continues where it stopped: the same chain and
//! difficulty, the same operator (whose key the chain database keeps and
//! checks), the same cluster key, so every run's rewards go to one payout
//! address that `wallet new --from-cluster-key DIR/cluster.key` can spend,
//! and the same traders, with the balances and orders they left.

use std::path::{Path, PathBuf};

use chain::ledger::SigningKey;
use protocol::ClusterKey;

use super::wallet::keys::{key_text, read_key};
use super::{CommandError, Failure, UsageError, keygen};
use crate::random;

/// The chain database's file name in the directory.
const CHAIN_DB: &str = "chain.db";
/// The cluster key's file (as `keygen --out` writes it).
const CLUSTER_KEY: &str = "cluster.key";
/// The operator's wallet key (as `wallet new` prints it).
const OPERATOR_KEY: &str = "operator.key";
/// The traders' wallet keys, `0.key`, `1.key`, ..., one per trader.
const TRADERS: &str = "traders";

/// A data directory, ready for a run.
pub struct DemoData {
    /// The directory.
    pub dir: PathBuf,
    /// The cluster key every coordinator and miner of this run uses.
    pub cluster: ClusterKey,
    /// The key that signs the traders' deposits.
    pub operator: SigningKey,
    /// Whether the directory already held a chain, which this run continues.
    pub continued: bool,
}

impl std::fmt::Debug for DemoData {
    // The keys stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoData")
            .field("dir", &self.dir)
            .field("continued", &self.continued)
            .finish_non_exhaustive()
    }
}

impl DemoData {
    /// The chain database.
    pub fn chain_db(&self) -> PathBuf {
        self.dir.join(CHAIN_DB)
    }

    /// The operator's key file.
    pub fn operator_file(&self) -> PathBuf {
        self.dir.join(OPERATOR_KEY)
    }

    /// The cluster key's file.
    pub fn cluster_file(&self) -> PathBuf {
        self.dir.join(CLUSTER_KEY)
    }

    /// The keys of `n` traders: those of earlier runs first, then new ones,
    /// written beside them. Also says how many were kept.
    pub fn trader_keys(&self, n: u32) -> Result<(Vec<SigningKey>, u32), CommandError> {
        if n == 0 {
            return Ok((Vec::new(), 0));
        }
        let dir = self.dir.join(TRADERS);
        std::fs::create_dir_all(&dir)
            .map_err(|e| UsageError::Path(format!("cannot create {}: {e}", dir.display())))?;
        let mut kept = 0;
        let mut keys = Vec::new();
        for i in 0..n {
            let path = dir.join(format!("{i}.key"));
            kept += u32::from(path.exists());
            keys.push(wallet_key("trader key", &path)?);
        }
        Ok((keys, kept))
    }
}

/// Opens `data` (created when absent), or a new directory under the
/// system's temp dir; reads the keys it holds and makes the missing ones.
pub fn open(data: Option<&Path>) -> Result<DemoData, CommandError> {
    let dir = match data {
        Some(d) => d.to_owned(),
        None => {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            std::env::temp_dir().join(format!("coordinator-demo-{stamp}-{}", std::process::id()))
        }
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| UsageError::Path(format!("cannot create {}: {e}", dir.display())))?;
    let continued = dir.join(CHAIN_DB).exists();
    let operator_path = dir.join(OPERATOR_KEY);
    if continued && !operator_path.exists() {
        // Without the key the chain was made with, deposits cannot be
        // signed; a new key would be refused by the database.
        return Err(UsageError::Path(format!(
            "{} holds a chain but no {OPERATOR_KEY}, the operator key it was made with; \
             use another --data directory",
            dir.display()
        ))
        .into());
    }
    let operator = wallet_key("operator key", &operator_path)?;
    let cluster = kept_key(
        "cluster key",
        &dir.join(CLUSTER_KEY),
        |p| super::load_key(Some(p), false),
        random::cluster_key,
        keygen::cluster_key_text,
    )?;
    Ok(DemoData {
        dir,
        cluster,
        operator,
        continued,
    })
}

/// The wallet key `path` holds, or a new one written there.
fn wallet_key(what: &str, path: &Path) -> Result<SigningKey, CommandError> {
    kept_key(
        what,
        path,
        |p| read_key(p, "--data"),
        random::signing_key,
        |k| format!("{}\n", key_text(k)),
    )
}

/// The key `path` holds, or, when there is no such file, a new one from
/// `make`, written there (as `text` writes it) before it is used.
fn kept_key<K>(
    what: &str,
    path: &Path,
    read: impl FnOnce(&Path) -> Result<K, UsageError>,
    make: impl FnOnce() -> Result<K, random::RandomError>,
    text: impl FnOnce(&K) -> String,
) -> Result<K, CommandError> {
    if path.exists() {
        return Ok(read(path)?);
    }
    let key = make().map_err(Failure::from)?;
    keygen::write_new(what, path, text(&key).as_bytes())?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_directory_keeps_its_keys_from_one_run_to_the_next() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("d");
        let first = open(Some(&dir)).unwrap();
        assert!(!first.continued);
        #[cfg(unix)]
        for file in [first.operator_file(), first.cluster_file()] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{} is readable by others", file.display());
        }
        // The wallet command reads the operator key the demo wrote.
        let operator = read_key(&first.operator_file(), "--operator-key").unwrap();
        assert_eq!(operator.to_bytes(), first.operator.to_bytes());

        std::fs::write(first.chain_db(), b"").unwrap();
        let again = open(Some(&dir)).unwrap();
        assert!(again.continued);
        assert_eq!(again.operator.to_bytes(), first.operator.to_bytes());
        assert_eq!(again.cluster.as_bytes(), first.cluster.as_bytes());
    }

    #[test]
    fn traders_come_back_first_and_new_ones_are_kept_after_them() {
        let tmp = tempfile::tempdir().unwrap();
        let data = open(Some(tmp.path())).unwrap();
        assert_eq!(data.trader_keys(0).unwrap().0.len(), 0);
        assert!(
            !tmp.path().join(TRADERS).exists(),
            "no traders, no directory"
        );
        let (two, kept) = data.trader_keys(2).unwrap();
        assert_eq!(kept, 0);
        let (three, kept) = data.trader_keys(3).unwrap();
        assert_eq!(kept, 2);
        let bytes = |keys: &[SigningKey]| keys.iter().map(SigningKey::to_bytes).collect::<Vec<_>>();
        assert_eq!(bytes(&three[..2]), bytes(&two));
        assert_ne!(three[2].to_bytes(), three[0].to_bytes());
        // Fewer than before: the first ones, the others left on disk.
        let (one, kept) = data.trader_keys(1).unwrap();
        assert_eq!((bytes(&one), kept), (bytes(&two[..1]), 1));
        assert!(tmp.path().join("traders/2.key").exists());
    }

    #[test]
    fn a_chain_without_its_operator_key_is_refused_and_left_alone() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(CHAIN_DB), b"kept").unwrap();
        let e = open(Some(tmp.path())).err().unwrap().to_string();
        assert!(e.contains("no operator.key"), "{e}");
        assert_eq!(std::fs::read(tmp.path().join(CHAIN_DB)).unwrap(), b"kept");
        assert!(!tmp.path().join(CLUSTER_KEY).exists());
    }

    #[test]
    fn a_damaged_key_file_is_refused_not_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(OPERATOR_KEY), b"not a key\n").unwrap();
        let e = open(Some(tmp.path())).err().unwrap().to_string();
        assert!(e.contains("operator.key"), "{e}");
        assert_eq!(
            std::fs::read(tmp.path().join(OPERATOR_KEY)).unwrap(),
            b"not a key\n"
        );
    }
}
