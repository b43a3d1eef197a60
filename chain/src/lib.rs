//! The block web service: the chain every coordinator shares, so that
//! leadership can move between coordinators without losing or forking
//! anything.
//!
//! - [`rules`]: the genesis block, the template for the next height, and the
//!   checks a submitted header must pass (pure functions).
//! - [`store`]: the [`Store`] trait and [`SqliteStore`], one SQLite file
//!   whose commits are durable before a block is acknowledged.
//! - [`server`]: the HTTP API (axum) and [`serve`], which runs it on a
//!   listener the caller bound.
//! - [`api`]: the JSON documents; [`client`]: [`ChainClient`], a typed
//!   client for coordinators.
//! - [`export`]: the chain as text, one block per line.
//!
//! `coordinator chain` serves it from the command line; README's "chain"
//! section shows the API with curl.

pub mod api;
pub mod client;
pub mod export;
pub mod import;
pub mod ledger;
pub mod replica;
pub mod rules;
pub mod server;
pub mod store;

pub use client::{ChainClient, ClientError};
pub use server::{Clock, ServiceConfig, router, serve};
pub use store::{Location, PgStore, SqliteStore, Store, StoreError};
