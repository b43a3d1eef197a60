//! `coordinator keygen`: a new cluster key, 64 hex characters, from the
//! operating system's random source (`crate::random`).

use std::process::ExitCode;

use protocol::hex::Hex;

use super::{CommandError, Failure};
use crate::random;

/// Prints a new key.
pub fn run() -> Result<ExitCode, CommandError> {
    let key = random::cluster_key().map_err(Failure::from)?;
    println!("{}", Hex(key.as_bytes()));
    Ok(ExitCode::SUCCESS)
}
