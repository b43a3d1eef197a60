//! The host program: coordinator nodes, host-simulated miners, the demo,
//! and the `scan` and `bench` tools. `main.rs` only parses the command line
//! and calls [`cli::run`].

pub mod chain_http;
pub mod cli;
pub mod cmd;
pub mod driver;
pub mod mining;
pub mod node;
pub mod random;
pub mod sim;
