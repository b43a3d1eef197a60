//! The host program: coordinator nodes, host-simulated miners, the demo,
//! and the `scan` and `bench` tools. `main.rs` only parses the command line
//! and calls [`cli::run`].

pub mod bench;
pub mod chain_cmd;
pub mod cli;
pub mod mining;
pub mod scan_cmd;

/// Bad input from the command line or a config file: printed as
/// `error: ...` with exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
