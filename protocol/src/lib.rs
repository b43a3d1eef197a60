//! The contract shared by the coordinator and the firmware.
//!
//! `no_std`, no allocation, no IO: time, received bytes and random seeds are
//! inputs; messages to send and work to do are outputs.
//!
//! - [`wire`]: the messages, serialized with postcard.
//! - [`frame`]: one authenticated datagram per message (version, sender,
//!   boot id, counter, body, HMAC-SHA256 tag), with replay protection.
//! - [`header`]: the 80-byte block header and the proof-of-work rule.
//! - [`kernel`]: the sha256d nonce-scanning kernel and its backends.
//! - [`miner`]: the miner state machine, driven by host and firmware alike.
//! - [`timing`]: every timer of the protocol, derived from the heartbeat.
//! - [`ids`], [`range`], [`time`], [`key`], [`hex`]: small value types.
//! - [`vectors`]: public Bitcoin blocks used as known answers.
#![no_std]
#![deny(unsafe_code)]

pub mod frame;
pub mod header;
pub mod hex;
pub mod ids;
pub mod kernel;
pub mod key;
pub mod miner;
pub mod range;
pub mod time;
pub mod timing;
pub mod vectors;
pub mod wire;

pub use header::{BlockHeader, HEADER_LEN, Hash256};
pub use ids::{BootId, CoordinatorId, Epoch, JobId, JobRef, MinerId, NodeId};
pub use key::ClusterKey;
pub use range::NonceRange;
pub use time::Instant;
