//! The host program: coordinator nodes, host-simulated miners, the demo,
//! and the `scan` and `bench` tools. `main.rs` only parses the command line
//! and calls [`cli::run`].

pub mod bench;
pub mod chain_http;
pub mod cli;
pub mod cmd;
pub mod driver;
pub mod mining;
pub mod node;
pub mod random;
pub mod scan_cmd;
pub mod sim;

/// Bad input from the command line or a config file: printed as
/// `error: ...` with exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
