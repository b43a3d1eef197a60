//! The miner's network side: what a board (or the host harness) runs once it
//! has an embassy-net [`Stack`](embassy_net::Stack) and a clock.
//!
//! - [`node`]: the miner task. One UDP socket, the frame sealer/opener, and
//!   the `protocol` miner state machine, driven exactly as its docs say.
//! - [`pool`]: hands each scan step to the workers (one per core) in slices
//!   and puts their outcomes back together as one scan.
//! - [`status`]: what the LED shows.
//!
//! Everything here is platform-independent: it needs only embassy-net,
//! embassy-time and `protocol`. Hardware (Wi-Fi chip, LED, random numbers,
//! unique ids, second core) stays in the board crate.
#![no_std]

#[cfg(all(feature = "defmt", feature = "log"))]
compile_error!("features `defmt` and `log` are exclusive: pick one");

#[macro_use]
mod fmt;

pub mod node;
pub mod pool;
pub mod status;

pub use node::{NodeConfig, run};
pub use pool::ScanPool;
pub use status::{Status, StatusSignal};
