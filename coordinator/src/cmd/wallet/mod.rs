//! `coordinator wallet`: keys, balances, transactions and the book, against
//! a chain service over its HTTP API (`chain::ChainClient`).
//!
//! Every subcommand takes `--chain URL` and `--json`. Transactions are
//! signed here with the account's next sequence number (read from the
//! service's pending state) and answered once durably in the mempool;
//! `--wait` also waits until a block includes them. A refusal by the
//! service (a transaction that does not apply) exits with status 2 and
//! its code; an unreachable service exits with status 1.
//!
//! `keys.rs` is the key files and the cluster's payout key; `ops.rs` does
//! the calls and prints what they answer.

pub mod keys;
mod ops;

use std::path::PathBuf;
use std::process::ExitCode;

use chain::ledger::{Address, Asset, Side};
use clap::{Args, Subcommand, ValueEnum};

use super::{CommandError, flags};

/// Arguments of `wallet`.
#[derive(Debug, Args)]
pub struct WalletArgs {
    #[command(subcommand)]
    pub command: WalletCommand,
}

/// What every wallet subcommand that talks to the chain takes.
#[derive(Debug, Clone, Args)]
pub struct ChainOpts {
    /// Base URL of the chain service.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub chain: String,
    /// Print JSON (one document per line) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// What transaction subcommands take besides the chain.
#[derive(Debug, Clone, Args)]
pub struct TxOpts {
    /// Wait until a block includes the transaction (at most a minute).
    #[arg(long)]
    pub wait: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Print a new secret key (64 hex characters): `wallet new > alice.key`.
    New(NewArgs),
    /// Print the address (and public key) of a key file.
    Address(AddressArgs),
    /// Show an account: balances at the tip and after the mempool, locked
    /// funds, open orders, next sequence number.
    Balance(BalanceArgs),
    /// Send coin or usd to an address.
    Send(SendArgs),
    /// Credit usd to an address (signed with the chain's operator key).
    Deposit(DepositArgs),
    /// Place a limit order: buy or sell coin for usd.
    Order(OrderArgs),
    /// Cancel one of your resting orders.
    Cancel(CancelArgs),
    /// Show the order book: depth per price level.
    Book(BookArgs),
    /// Show trades, oldest first.
    Trades(TradesArgs),
}

/// `wallet new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// Print the payout key this cluster key implies (where `run` pays
    /// rewards without `--payout`) instead of a new random one.
    #[arg(long, value_name = "FILE")]
    pub from_cluster_key: Option<PathBuf>,
    /// Print JSON: key, address, public key.
    #[arg(long)]
    pub json: bool,
}

/// `wallet address`.
#[derive(Debug, Args)]
pub struct AddressArgs {
    /// The key file.
    #[arg(long)]
    pub key: PathBuf,
    /// Print JSON: address and public key.
    #[arg(long)]
    pub json: bool,
}

/// `wallet balance`.
#[derive(Debug, Args)]
pub struct BalanceArgs {
    /// The address (40 hex characters); or give `--key`.
    #[arg(value_parser = parse_address, required_unless_present = "key")]
    pub address: Option<Address>,
    /// The key file whose address to show.
    #[arg(long, conflicts_with = "address")]
    pub key: Option<PathBuf>,
    #[command(flatten)]
    pub chain: ChainOpts,
}

/// `wallet send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The sender's key file.
    #[arg(long)]
    pub key: PathBuf,
    /// The receiver's address.
    #[arg(long, value_parser = parse_address)]
    pub to: Address,
    /// How much, in the asset's smallest units (1 to 2^64 - 1).
    #[arg(long, value_parser = flags::units)]
    pub amount: u64,
    /// Which asset.
    #[arg(long, value_enum, default_value_t = AssetArg::Coin)]
    pub asset: AssetArg,
    #[command(flatten)]
    pub tx: TxOpts,
    #[command(flatten)]
    pub chain: ChainOpts,
}

/// `wallet deposit`.
#[derive(Debug, Args)]
pub struct DepositArgs {
    /// The chain operator's key file.
    #[arg(long)]
    pub operator_key: PathBuf,
    /// The receiver's address.
    #[arg(long, value_parser = parse_address)]
    pub to: Address,
    /// Usd units (1 to 2^64 - 1).
    #[arg(long, value_parser = flags::units)]
    pub amount: u64,
    #[command(flatten)]
    pub tx: TxOpts,
    #[command(flatten)]
    pub chain: ChainOpts,
}

/// `wallet order`.
#[derive(Debug, Args)]
pub struct OrderArgs {
    /// The trader's key file.
    #[arg(long)]
    pub key: PathBuf,
    /// Buy or sell coin.
    #[arg(long, value_enum)]
    pub side: SideArg,
    /// Limit price: usd units per coin unit (1 to 2^64 - 1).
    #[arg(long, value_parser = flags::units)]
    pub price: u64,
    /// Coin units (1 to 2^64 - 1).
    #[arg(long, value_parser = flags::units)]
    pub amount: u64,
    /// The last height the order may rest at (default: until cancelled).
    #[arg(long, value_parser = flags::height)]
    pub expiry: Option<u64>,
    #[command(flatten)]
    pub tx: TxOpts,
    #[command(flatten)]
    pub chain: ChainOpts,
}

/// `wallet cancel`.
#[derive(Debug, Args)]
pub struct CancelArgs {
    /// The order's id (its transaction's id, 64 hex characters).
    pub id: String,
    /// The trader's key file.
    #[arg(long)]
    pub key: PathBuf,
    #[command(flatten)]
    pub tx: TxOpts,
    #[command(flatten)]
    pub chain: ChainOpts,
}

/// `wallet book`.
#[derive(Debug, Args)]
pub struct BookArgs {
    /// Price levels per side (1 to 1000).
    #[arg(long, default_value_t = 10, value_parser = flags::page)]
    pub depth: usize,
    #[command(flatten)]
    pub chain: ChainOpts,
}

/// `wallet trades`.
#[derive(Debug, Args)]
pub struct TradesArgs {
    /// The first trade's number.
    #[arg(long, default_value_t = 0, value_parser = flags::height)]
    pub from: u64,
    /// Trades to show (1 to 1000).
    #[arg(long, default_value_t = 100, value_parser = flags::page)]
    pub limit: usize,
    #[command(flatten)]
    pub chain: ChainOpts,
}

/// `--asset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AssetArg {
    /// The mined asset.
    Coin,
    /// The deposited asset.
    Usd,
}

impl From<AssetArg> for Asset {
    fn from(a: AssetArg) -> Asset {
        match a {
            AssetArg::Coin => Asset::Coin,
            AssetArg::Usd => Asset::Usd,
        }
    }
}

/// `--side`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SideArg {
    /// Buy coin with usd.
    Buy,
    /// Sell coin for usd.
    Sell,
}

impl From<SideArg> for Side {
    fn from(s: SideArg) -> Side {
        match s {
            SideArg::Buy => Side::Buy,
            SideArg::Sell => Side::Sell,
        }
    }
}

/// An address flag: 40 hex characters.
pub fn parse_address(text: &str) -> Result<Address, String> {
    Address::parse(text).map_err(|e| format!("{e}; an address is 40 hex characters"))
}

/// Runs a wallet subcommand.
pub fn run(args: &WalletArgs) -> Result<ExitCode, CommandError> {
    ops::run(&args.command)
}
