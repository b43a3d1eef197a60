//! `coordinator keygen`: a new cluster key, 64 hex characters, from the
//! operating system's random source (`crate::random`), printed or written
//! to a new file that only its owner may read.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use protocol::ClusterKey;
use protocol::hex::Hex;

use super::output::outln;
use super::{CommandError, Failure, UsageError};
use crate::random;

/// Arguments of `keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Write the key to this new file, readable by its owner only (mode
    /// 0600); an existing file is never overwritten. Without it, the key
    /// is printed.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Makes a new key.
pub fn run(args: &KeygenArgs) -> Result<ExitCode, CommandError> {
    let key = random::cluster_key().map_err(Failure::from)?;
    let text = cluster_key_text(&key);
    match &args.out {
        None => outln!("{}", text.trim_end()),
        Some(path) => write_new("--out", path, text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// A cluster key file's text: 64 hex characters and a newline.
pub(super) fn cluster_key_text(key: &ClusterKey) -> String {
    format!("{}\n", Hex(key.as_bytes()))
}

/// Creates `path` (it must not exist) with mode 0600 and writes `bytes`:
/// how every key file this program makes is written (`what` names the
/// file in errors).
pub(super) fn write_new(what: &str, path: &Path, bytes: &[u8]) -> Result<(), CommandError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::AlreadyExists {
            "exists; not overwritten (remove it first to replace the key)".to_owned()
        } else {
            e.to_string()
        };
        UsageError::Path(format!("{what} {}: {why}", path.display()))
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|source| Failure::Stopped {
            what: format!("writing {}", path.display()),
            source,
        })?;
    Ok(())
}
