//! `coordinator keygen`: a new cluster key, 64 hex characters, from the
//! operating system's random source.

use std::process::ExitCode;

use protocol::hex::Hex;

use crate::UsageError;

/// Prints a new key.
pub fn run() -> Result<ExitCode, UsageError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key)
        .map_err(|e| UsageError(format!("no random source available: {e}")))?;
    println!("{}", Hex(&key));
    Ok(ExitCode::SUCCESS)
}
