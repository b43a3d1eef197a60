//! `coordinator keygen`: a new cluster key, 64 hex characters, from the
//! operating system's random source (`crate::random`).

use std::process::ExitCode;

use protocol::hex::Hex;

use crate::{UsageError, random};

/// Prints a new key.
pub fn run() -> Result<ExitCode, UsageError> {
    let key = random::cluster_key().map_err(|e| UsageError(e.to_string()))?;
    println!("{}", Hex(key.as_bytes()));
    Ok(ExitCode::SUCCESS)
}
