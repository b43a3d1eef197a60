//! The demo's trading load (`demo --traders N`): simulated clients that
//! place random limit orders around a price while the cluster mines, and
//! cancel some. The operator tops each up to a start amount of usd (a
//! trader kept from an earlier run may still hold some); coin comes
//! from the block rewards, which the payout wallet hands out as blocks
//! arrive. Their choices come from a seeded generator (the seed is drawn
//! once, from `crate::random`); refusals (a race for funds, say) are
//! counted, not fatal.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chain::ChainClient;
use chain::ledger::{Action, Amount, Asset, Price, Side, SigningKey, Tx, address};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Usd each trader starts with.
const START_USD: u64 = 1_000_000;
/// The price orders are placed around, usd units per coin unit.
const MID: u64 = 100;

/// What the traders did.
#[derive(Debug, Default)]
pub struct TradeCounts {
    /// Orders admitted.
    pub orders: AtomicU64,
    /// Cancels admitted.
    pub cancels: AtomicU64,
    /// Transfers from the payout wallet admitted.
    pub transfers: AtomicU64,
    /// Transactions the service refused, by code.
    refused: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

impl TradeCounts {
    fn refused(&self, code: &str) {
        let mut map = self
            .refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *map.entry(code.to_owned()).or_default() += 1;
    }

    /// Refusals so far, by the service's code.
    pub fn refused_by_code(&self) -> std::collections::BTreeMap<String, u64> {
        self.refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// The running traders.
#[derive(Debug)]
pub struct Traders {
    tasks: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
    /// What they did so far.
    pub counts: Arc<TradeCounts>,
}

/// The stable code of a refusal, or what kind of failure it was.
fn code_of(e: &chain::ClientError) -> String {
    match e {
        chain::ClientError::Rejected { code, .. } | chain::ClientError::BadRequest { code, .. } => {
            code.clone()
        }
        e if e.is_retryable() => "unavailable".into(),
        _ => "other".into(),
    }
}

/// A small seeded generator (xorshift64*): the demo's choices, not keys.
struct Choices(u64);

impl Choices {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

/// Starts `n` traders and the payout wallet's hand-outs against `client`.
/// `operator` signs the deposits; `payout` holds the rewards.
pub async fn start(
    client: ChainClient,
    operator: SigningKey,
    payout: SigningKey,
    keys: Vec<SigningKey>,
    seed: u64,
) -> Traders {
    let counts = Arc::new(TradeCounts::default());
    let (stop, stopped) = watch::channel(false);
    // Kept traders come back with what they had: the operator tops each up
    // to the start amount, continuing its own sequence on the chain.
    for key in &keys {
        let Ok(view) = client.account(&address(key)).await else {
            counts.refused("unavailable");
            continue;
        };
        let short = START_USD.saturating_sub(view.pending.usd);
        if short > 0 {
            let deposit = Action::Deposit {
                to: address(key),
                amount: Amount(short),
            };
            submit(&client, &operator, deposit, &counts).await;
        }
    }
    let mut tasks = Vec::new();
    tasks.push(tokio::spawn(hand_out(
        client.clone(),
        payout,
        keys.iter().map(address).collect(),
        counts.clone(),
        stopped.clone(),
        seed,
    )));
    for (i, key) in keys.into_iter().enumerate() {
        tasks.push(tokio::spawn(trade(
            client.clone(),
            key,
            counts.clone(),
            stopped.clone(),
            seed.wrapping_add(i as u64 + 1).max(1),
        )));
    }
    Traders {
        tasks,
        stop,
        counts,
    }
}

impl Traders {
    /// Stops them and waits until they have.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Sleeps `d`, or returns true when told to stop.
async fn stopping(stopped: &mut watch::Receiver<bool>, d: Duration) -> bool {
    tokio::select! {
        _ = stopped.wait_for(|s| *s) => true,
        () = tokio::time::sleep(d) => false,
    }
}

/// Submits `action` signed by `key` with its next sequence; counts a
/// refusal or an unreachable service as refused.
async fn submit(
    client: &ChainClient,
    key: &SigningKey,
    action: Action,
    counts: &TradeCounts,
) -> bool {
    let next = match client.account(&address(key)).await {
        Ok(view) => view.pending.next_sequence,
        Err(_) => return false,
    };
    match client
        .submit_transaction(&Tx::sign(key, next, action))
        .await
    {
        Ok(_) => true,
        Err(e) => {
            counts.refused(&code_of(&e));
            false
        }
    }
}

async fn hand_out(
    client: ChainClient,
    payout: SigningKey,
    traders: Vec<chain::ledger::Address>,
    counts: Arc<TradeCounts>,
    mut stopped: watch::Receiver<bool>,
    seed: u64,
) {
    let mut choices = Choices(seed.max(1));
    while !stopping(&mut stopped, Duration::from_millis(500)).await {
        let Ok(view) = client.account(&address(&payout)).await else {
            continue;
        };
        let share = view.pending.coin / 2;
        if share == 0 || traders.is_empty() {
            continue;
        }
        let to = traders[choices.below(traders.len() as u64) as usize];
        let action = Action::Transfer {
            asset: Asset::Coin,
            to,
            amount: Amount(share),
        };
        if submit(&client, &payout, action, &counts).await {
            counts.transfers.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn trade(
    client: ChainClient,
    key: SigningKey,
    counts: Arc<TradeCounts>,
    mut stopped: watch::Receiver<bool>,
    seed: u64,
) {
    let mut choices = Choices(seed);
    // Cancels sent but not yet in a block: the tip still shows the order.
    let mut cancelled = std::collections::HashSet::new();
    loop {
        let pause = Duration::from_millis(100 + choices.below(300));
        if stopping(&mut stopped, pause).await {
            return;
        }
        let Ok(view) = client.account(&address(&key)).await else {
            continue;
        };
        if choices.below(8) == 0 {
            let open = view.open_orders.iter().find(|o| !cancelled.contains(&o.id));
            if let Some(order) = open {
                cancelled.insert(order.id);
                let cancel = Action::Cancel { order: order.id };
                if submit(&client, &key, cancel, &counts).await {
                    counts.cancels.fetch_add(1, Ordering::Relaxed);
                }
                continue;
            }
        }
        let price = MID + choices.below(11) - 5;
        let sell = view.pending.coin > 0 && choices.below(2) == 0;
        let amount = 1 + choices.below(20);
        let (side, amount) = if sell {
            (Side::Sell, amount.min(view.pending.coin))
        } else {
            (Side::Buy, amount.min(view.pending.usd / price))
        };
        if amount == 0 {
            continue;
        }
        let order = Action::Order {
            side,
            price: Price(price),
            amount: Amount(amount),
            expiry: None,
        };
        if submit(&client, &key, order, &counts).await {
            counts.orders.fetch_add(1, Ordering::Relaxed);
        }
    }
}
