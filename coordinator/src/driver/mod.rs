//! The tokio side: sockets, frames, timers and chain calls around the
//! sans-IO node, and the local registry.

pub mod chain;
pub mod failover;
pub mod link;
pub mod local;
pub mod net;
pub mod node;
pub mod pace;
pub mod registry;
pub mod replay;
pub mod resolve;
pub mod status_http;
pub mod transport;
pub mod warnings;
pub mod web;

pub use chain::ChainApi;
pub use node::{Clock, CoordinatorStatus, NodeDeps, TimedEvent, run_node};
