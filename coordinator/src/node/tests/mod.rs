//! The node driven deterministically: coordinators and `protocol` miners
//! exchange datagrams through an in-memory network with seeded faults
//! (`net.rs`, `faults.rs`), a fake chain answers calls (`chain.rs`), the clock is
//! advanced by hand, and every miner millisecond is put down to a cause
//! (`idle.rs`). `scenarios.rs` runs clusters on a clean network;
//! `chaos.rs` proves the same properties under loss, duplication and
//! reordering, and prints the figures they are measured by.

mod chain;
mod chaos;
mod faults;
mod idle;
mod net;
mod quorum;
mod scenarios;
mod votes;
