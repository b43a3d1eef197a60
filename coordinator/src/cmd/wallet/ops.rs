//! What each wallet subcommand does: one or two calls to the chain
//! service, then text or JSON on stdout.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use chain::api::{AccountView, TxAccepted};
use chain::ledger::{Action, Amount, Price, SigningKey, Tx, TxId, address, public_key};
use chain::{ChainClient, ClientError};

use super::keys::{key_text, payout_key, read_key};
use super::{ChainOpts, TxOpts, WalletCommand};
use crate::cmd::output::{errln, outln};
use crate::cmd::{CommandError, Failure, UsageError, load_key, print_json};

/// How long `--wait` waits for a block, and how often it looks.
const WAIT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(200);

pub(super) fn run(command: &WalletCommand) -> Result<ExitCode, CommandError> {
    match command {
        WalletCommand::New(args) => {
            let key = match &args.from_cluster_key {
                Some(path) => payout_key(&load_key(Some(path), false)?),
                None => crate::random::signing_key().map_err(Failure::from)?,
            };
            if args.json {
                print_json(&serde_json::json!({
                    "key": key_text(&key),
                    "address": address(&key).to_string(),
                    "public_key": public_key(&key).to_string(),
                }))?;
            } else {
                outln!("{}", key_text(&key));
                errln!("address {}", address(&key));
            }
            Ok(ExitCode::SUCCESS)
        }
        WalletCommand::Address(args) => {
            let key = read_key(&args.key, "--key")?;
            if args.json {
                print_json(&serde_json::json!({
                    "address": address(&key).to_string(),
                    "public_key": public_key(&key).to_string(),
                }))?;
            } else {
                outln!("{}", address(&key));
            }
            Ok(ExitCode::SUCCESS)
        }
        WalletCommand::Balance(args) => {
            let who = match (&args.address, &args.key) {
                (Some(a), _) => *a,
                (None, Some(k)) => address(&read_key(k, "--key")?),
                (None, None) => {
                    return Err(UsageError::Flag("give an ADDRESS or --key FILE".into()).into());
                }
            };
            with_client(&args.chain, |client| async move {
                let view = client.account(&who).await.map_err(refusal)?;
                if args.chain.json {
                    print_json(&view)?;
                } else {
                    print_account(&view);
                }
                Ok(())
            })
        }
        WalletCommand::Send(args) => {
            let key = read_key(&args.key, "--key")?;
            let action = Action::Transfer {
                asset: args.asset.into(),
                to: args.to,
                amount: Amount(args.amount),
            };
            transact(&args.chain, &args.tx, key, action)
        }
        WalletCommand::Deposit(args) => {
            let key = read_key(&args.operator_key, "--operator-key")?;
            let action = Action::Deposit {
                to: args.to,
                amount: Amount(args.amount),
            };
            transact(&args.chain, &args.tx, key, action)
        }
        WalletCommand::Order(args) => {
            let key = read_key(&args.key, "--key")?;
            let action = Action::Order {
                side: args.side.into(),
                price: Price(args.price),
                amount: Amount(args.amount),
                expiry: args.expiry,
            };
            transact(&args.chain, &args.tx, key, action)
        }
        WalletCommand::Cancel(args) => {
            let order = TxId::parse(&args.id).map_err(|e| {
                UsageError::Flag(format!("order id {:?}: {e} (64 hex characters)", args.id))
            })?;
            let key = read_key(&args.key, "--key")?;
            transact(&args.chain, &args.tx, key, Action::Cancel { order })
        }
        WalletCommand::Book(args) => with_client(&args.chain, |client| async move {
            let book = client.book(args.depth).await.map_err(refusal)?;
            if args.chain.json {
                print_json(&book)?;
            } else {
                outln!("book at height {}", book.height);
                outln!(
                    "{:<5} {:>20} {:>20} {:>7}",
                    "side",
                    "price",
                    "amount",
                    "orders"
                );
                for l in book.asks.iter().rev() {
                    outln!(
                        "{:<5} {:>20} {:>20} {:>7}",
                        "ask",
                        l.price,
                        l.amount,
                        l.orders
                    );
                }
                for l in &book.bids {
                    outln!(
                        "{:<5} {:>20} {:>20} {:>7}",
                        "bid",
                        l.price,
                        l.amount,
                        l.orders
                    );
                }
            }
            Ok(())
        }),
        WalletCommand::Trades(args) => with_client(&args.chain, |client| async move {
            let trades = client
                .trades(args.from, args.limit)
                .await
                .map_err(refusal)?;
            if args.chain.json {
                print_json(&trades)?;
            } else {
                outln!(
                    "{:>6} {:>7} {:>12} {:>12}  buyer / seller",
                    "trade",
                    "height",
                    "price",
                    "amount"
                );
                for t in &trades {
                    outln!(
                        "{:>6} {:>7} {:>12} {:>12}  {} / {}",
                        t.seq,
                        t.height,
                        t.price,
                        t.amount,
                        t.buyer,
                        t.seller
                    );
                }
            }
            Ok(())
        }),
    }
}

/// Runs `f` with a client for `--chain` on a small runtime.
fn with_client<F, Fut>(opts: &ChainOpts, f: F) -> Result<ExitCode, CommandError>
where
    F: FnOnce(ChainClient) -> Fut,
    Fut: std::future::Future<Output = Result<(), CommandError>>,
{
    let client =
        ChainClient::new(&opts.chain).map_err(|e| UsageError::Flag(format!("--chain: {e}")))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::resources("the async runtime", e))?;
    runtime.block_on(f(client))?;
    Ok(ExitCode::SUCCESS)
}

/// Sorts a client error: a refusal is the user's to fix (exit 2), the rest
/// is the service's or the network's (exit 1).
fn refusal(e: ClientError) -> CommandError {
    match e {
        ClientError::Rejected { code, message } | ClientError::BadRequest { code, message, .. } => {
            UsageError::Refused(format!("the chain service refused it ({code}): {message}")).into()
        }
        e @ ClientError::InvalidUrl { .. } => UsageError::Flag(format!("--chain: {e}")).into(),
        e => Failure::Stopped {
            what: "the chain call".into(),
            source: std::io::Error::other(e),
        }
        .into(),
    }
}

/// Signs `action` with `key`'s next sequence, submits it, and prints the
/// answer (after the block that includes it, with `--wait`).
fn transact(
    opts: &ChainOpts,
    tx_opts: &TxOpts,
    key: SigningKey,
    action: Action,
) -> Result<ExitCode, CommandError> {
    let wait = tx_opts.wait;
    with_client(opts, |client| async move {
        let from = address(&key);
        let account = client.account(&from).await.map_err(refusal)?;
        let tx = Tx::sign(&key, account.pending.next_sequence, action);
        let mut accepted = client.submit_transaction(&tx).await.map_err(refusal)?;
        if wait && accepted.height.is_none() {
            accepted.height = Some(wait_for_block(&client, &tx.id()).await?);
            accepted.status = "in_block".into();
        }
        if opts.json {
            print_json(&accepted)?;
        } else {
            print_accepted(&tx, &accepted);
        }
        Ok(())
    })
}

async fn wait_for_block(client: &ChainClient, id: &TxId) -> Result<u64, CommandError> {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(record) = client.transaction(id).await.map_err(refusal)? {
            match record.status.as_str() {
                "in_block" => return Ok(record.block.unwrap_or_default()),
                "dropped" => {
                    return Err(UsageError::Refused(format!(
                        "transaction {id} was dropped from the mempool ({}): {}",
                        record.code.unwrap_or_default(),
                        record.reason.unwrap_or_default()
                    ))
                    .into());
                }
                _ => {}
            }
        }
        if Instant::now() >= deadline {
            return Err(Failure::Stopped {
                what: "waiting for a block".into(),
                source: std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "transaction {id} is still pending after {} s",
                        WAIT.as_secs()
                    ),
                ),
            }
            .into());
        }
        tokio::time::sleep(POLL).await;
    }
}

fn print_accepted(tx: &Tx, accepted: &TxAccepted) {
    let state = match (accepted.status.as_str(), accepted.height) {
        ("in_block", Some(h)) => format!("in block {h}"),
        (other, _) => other.to_owned(),
    };
    let again = if accepted.duplicate {
        " (already known)"
    } else {
        ""
    };
    outln!("{} {} {state}{again}", tx.kind(), accepted.id);
}

fn print_account(v: &AccountView) {
    let c = &v.confirmed;
    let p = &v.pending;
    outln!("address   {}", v.address);
    outln!("height    {}", v.height);
    outln!("coin      {} available, {} locked", c.coin, c.locked_coin);
    outln!("usd       {} available, {} locked", c.usd, c.locked_usd);
    outln!(
        "pending   coin {} ({} locked), usd {} ({} locked), next sequence {}",
        p.coin,
        p.locked_coin,
        p.usd,
        p.locked_usd,
        p.next_sequence
    );
    for o in &v.open_orders {
        let expiry = o
            .expiry
            .map_or(String::new(), |e| format!(", expires after {e}"));
        outln!(
            "order     {} {} {} @ {} ({} left{expiry})",
            o.id,
            o.side,
            o.amount,
            o.price,
            o.remaining
        );
    }
}
