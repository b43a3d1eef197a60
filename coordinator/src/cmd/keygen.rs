//! `coordinator keygen`: a new cluster key, 64 hex characters, from the
//! operating system's random source.

use std::process::ExitCode;

use protocol::hex::Hex;

use super::Failure;

/// Prints a new key.
pub fn run() -> Result<ExitCode, super::CommandError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| {
        Failure::resources("the random source", std::io::Error::other(e.to_string()))
    })?;
    println!("{}", Hex(&key));
    Ok(ExitCode::SUCCESS)
}
