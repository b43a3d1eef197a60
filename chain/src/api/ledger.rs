//! The ledger's JSON documents: transactions, their status, the book,
//! trades, accounts and the event stream. Addresses are 40 hex
//! characters, public keys 64, transaction ids 64 in display order; every
//! amount and price is a whole number of the smallest unit.

use protocol::hex::Hex;
use serde::{Deserialize, Serialize};

use super::Block;
use crate::ledger::{Account, Action, Address, Ledger, PublicKey, Side, Trade, Tx, TxBody, TxId};

/// `POST /v1/transactions` body: the transaction's canonical encoding as
/// hex (`docs/chain-api.md` describes every byte).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxSubmission {
    /// The encoded transaction, signature included, as hex.
    pub tx: String,
}

/// `POST /v1/transactions` body with many transactions: each admitted or
/// refused on its own, in order (at most [`MAX_TX_BATCH`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxBatch {
    /// The encoded transactions, as hex.
    pub txs: Vec<String>,
}

/// Transactions one `POST /v1/transactions` may carry.
pub const MAX_TX_BATCH: usize = 256;

/// One transaction's outcome in a batch: accepted, or the error answer a
/// request of its own would have had.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TxOutcome {
    /// In the mempool (or already known).
    Accepted(TxAccepted),
    /// Refused: `{"error", "code"}`.
    Refused(super::ErrorBody),
}

/// `202` answer to a batch: one outcome per transaction, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxBatchAccepted {
    /// The outcomes.
    pub results: Vec<TxOutcome>,
}

/// `202` answer to `POST /v1/transactions`: the transaction is durably in
/// the mempool (or was already known: `duplicate`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxAccepted {
    /// Its id.
    #[serde(with = "id_hex")]
    pub id: TxId,
    /// `pending` or `in_block`.
    pub status: String,
    /// Whether the service already had it (nothing was added).
    pub duplicate: bool,
    /// Its block's height, when `in_block`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
}

/// A transaction as JSON: its id, kind, encoding, and the fields of its
/// kind (absent fields are not part of it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxView {
    /// Its id.
    #[serde(with = "id_hex")]
    pub id: TxId,
    /// `reward`, `transfer`, `deposit`, `order` or `cancel`.
    pub kind: String,
    /// The canonical encoding, as hex.
    pub raw: String,
    /// The signer's public key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// The signer's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The signer's sequence number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    /// The receiver (reward, transfer, deposit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `coin` or `usd` (transfer; reward: coin; deposit: usd).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset: Option<String>,
    /// The amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<u64>,
    /// `buy` or `sell` (order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<String>,
    /// Limit price, usd units per coin unit (order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<u64>,
    /// The last height the order may rest at (order, if it has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<u64>,
    /// The order cancelled (cancel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// The block the reward is for (reward).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
}

impl TxView {
    /// The JSON of `tx`.
    pub fn of(tx: &Tx) -> TxView {
        let mut v = TxView {
            id: tx.id(),
            kind: tx.kind().to_owned(),
            raw: Hex(&tx.encode()).to_string(),
            signer: None,
            from: None,
            sequence: None,
            to: None,
            asset: None,
            amount: None,
            side: None,
            price: None,
            expiry: None,
            order: None,
            height: None,
        };
        match *tx.body() {
            TxBody::Reward { height, to, amount } => {
                v.height = Some(height);
                v.to = Some(to.to_string());
                v.asset = Some("coin".into());
                v.amount = Some(amount.0);
            }
            TxBody::Signed {
                signer,
                sequence,
                action,
            } => {
                v.signer = Some(signer.to_string());
                v.from = Some(tx.signer().to_string());
                v.sequence = Some(sequence);
                match action {
                    Action::Transfer { asset, to, amount } => {
                        v.asset = Some(asset.name().into());
                        v.to = Some(to.to_string());
                        v.amount = Some(amount.0);
                    }
                    Action::Deposit { to, amount } => {
                        v.asset = Some("usd".into());
                        v.to = Some(to.to_string());
                        v.amount = Some(amount.0);
                    }
                    Action::Order {
                        side,
                        price,
                        amount,
                        expiry,
                    } => {
                        v.side = Some(side.name().into());
                        v.price = Some(price.0);
                        v.amount = Some(amount.0);
                        v.expiry = expiry;
                    }
                    Action::Cancel { order } => v.order = Some(order.to_string()),
                }
            }
        }
        v
    }
}

/// `GET /v1/transactions/{id}`: a transaction and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxRecord {
    /// The transaction.
    #[serde(flatten)]
    pub tx: TxView,
    /// `pending`, `in_block` or `dropped`.
    pub status: String,
    /// The block's height (`in_block`), or the tip's when it was dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<u64>,
    /// Its position in the block's body (`in_block`; 0 is the reward).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u32>,
    /// Why it was dropped: a stable code (`dropped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Why it was dropped, for people (`dropped`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A block with its transactions: `GET /v1/blocks/{height}` and the items
/// of `GET /v1/blocks`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockView {
    /// The block.
    #[serde(flatten)]
    pub block: Block,
    /// Its body, the reward first (none for genesis).
    pub transactions: Vec<TxView>,
}

/// One price level of the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LevelView {
    /// Usd units per coin unit.
    pub price: u64,
    /// Coin units resting at this price.
    pub amount: u64,
    /// Orders resting at this price.
    pub orders: usize,
}

/// `GET /v1/book`: the book at the tip, best prices first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookView {
    /// The tip's height.
    pub height: u64,
    /// Buy orders, highest price first.
    pub bids: Vec<LevelView>,
    /// Sell orders, lowest price first.
    pub asks: Vec<LevelView>,
}

impl BookView {
    /// The top `depth` levels of each side of `ledger`'s book.
    pub fn of(ledger: &Ledger, depth: usize) -> BookView {
        let side = |s| {
            ledger
                .book()
                .levels(s)
                .take(depth)
                .map(|(price, level)| LevelView {
                    price: price.0,
                    amount: level.total().0,
                    orders: level.orders().count(),
                })
                .collect()
        };
        BookView {
            height: ledger.height(),
            bids: side(Side::Buy),
            asks: side(Side::Sell),
        }
    }
}

/// A trade: `GET /v1/trades` and the `trade` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeView {
    /// Its number (trades count from 0).
    pub seq: u64,
    /// The block it happened in.
    pub height: u64,
    /// The incoming order's id.
    #[serde(with = "id_hex")]
    pub taker: TxId,
    /// The resting order's id.
    #[serde(with = "id_hex")]
    pub maker: TxId,
    /// The incoming order's side.
    pub taker_side: String,
    /// Who received the coin.
    #[serde(with = "address_hex")]
    pub buyer: Address,
    /// Who received the usd.
    #[serde(with = "address_hex")]
    pub seller: Address,
    /// Usd units per coin unit (the resting order's price).
    pub price: u64,
    /// Coin units.
    pub amount: u64,
}

impl From<&Trade> for TradeView {
    fn from(t: &Trade) -> TradeView {
        TradeView {
            seq: t.seq,
            height: t.height,
            taker: t.taker,
            maker: t.maker,
            taker_side: t.taker_side.name().into(),
            buyer: t.buyer,
            seller: t.seller,
            price: t.price.0,
            amount: t.amount.0,
        }
    }
}

/// What an account holds at one state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balances {
    /// Coin it may spend.
    pub coin: u64,
    /// Usd it may spend.
    pub usd: u64,
    /// Coin locked in resting sell orders.
    pub locked_coin: u64,
    /// Usd locked in resting buy orders.
    pub locked_usd: u64,
    /// The sequence number its next transaction must carry.
    pub next_sequence: u64,
}

impl From<&Account> for Balances {
    fn from(a: &Account) -> Balances {
        Balances {
            coin: a.coin.0,
            usd: a.usd.0,
            locked_coin: a.locked_coin.0,
            locked_usd: a.locked_usd.0,
            next_sequence: a.next_sequence,
        }
    }
}

/// A resting order of an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    /// Its id.
    #[serde(with = "id_hex")]
    pub id: TxId,
    /// `buy` or `sell`.
    pub side: String,
    /// Limit price.
    pub price: u64,
    /// Coin units it was placed for.
    pub amount: u64,
    /// Coin units still resting.
    pub remaining: u64,
    /// The last height it may rest at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry: Option<u64>,
    /// The block that placed it.
    pub height: u64,
}

/// `GET /v1/accounts/{address}`: balances at the tip and after the
/// mempool, and the resting orders.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// The address.
    #[serde(with = "address_hex")]
    pub address: Address,
    /// The tip's height.
    pub height: u64,
    /// At the tip.
    #[serde(flatten)]
    pub confirmed: Balances,
    /// After every pending transaction of the mempool: `next_sequence`
    /// here is what the account's next transaction must carry.
    pub pending: Balances,
    /// Its orders resting in the book at the tip, oldest id first.
    pub open_orders: Vec<OrderView>,
}

impl AccountView {
    /// `address` in `confirmed` (the tip) and `pending` (after the
    /// mempool).
    pub fn of(address: Address, confirmed: &Ledger, pending: &Ledger) -> AccountView {
        let account = confirmed.account(&address);
        let open_orders = account
            .open_orders
            .iter()
            .filter_map(|id| {
                let open = confirmed.order(id)?;
                let (_, _, rest) = confirmed.book().get(id)?;
                Some(OrderView {
                    id: *id,
                    side: open.side.name().into(),
                    price: open.price.0,
                    amount: open.amount.0,
                    remaining: rest.remaining.0,
                    expiry: open.expiry,
                    height: open.height,
                })
            })
            .collect();
        AccountView {
            address,
            height: confirmed.height(),
            confirmed: Balances::from(&account),
            pending: Balances::from(&pending.account(&address)),
            open_orders,
        }
    }
}

/// One event of `GET /v1/events`; the SSE event's name is the variant's
/// (`block`, `trade`, `admitted`, `dropped`, `expired`), its data the JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum Event {
    /// A block was committed.
    Block {
        /// Its height.
        height: u64,
        /// Its hash.
        #[serde(with = "super::hash_hex")]
        hash: protocol::Hash256,
        /// Who mined it.
        miner: String,
        /// Its transactions, the reward included.
        transactions: usize,
    },
    /// A trade was committed (in a block just announced).
    Trade(TradeView),
    /// A transaction entered the mempool.
    Admitted {
        /// Its id.
        #[serde(with = "id_hex")]
        id: TxId,
        /// Its kind.
        kind: String,
        /// Its signer's address.
        from: String,
    },
    /// A mempool entry was dropped: it no longer applies.
    Dropped {
        /// Its id.
        #[serde(with = "id_hex")]
        id: TxId,
        /// Why (a stable code).
        code: String,
    },
    /// An order left the book at its expiry.
    Expired {
        /// The order's id.
        #[serde(with = "id_hex")]
        order: TxId,
        /// The block before which it left.
        height: u64,
    },
}

impl Event {
    /// The SSE event name.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Block { .. } => "block",
            Event::Trade(_) => "trade",
            Event::Admitted { .. } => "admitted",
            Event::Dropped { .. } => "dropped",
            Event::Expired { .. } => "expired",
        }
    }
}

/// Serde for a [`TxId`] in display order.
pub mod id_hex {
    use serde::{Deserialize, Deserializer, Serializer, de};

    use crate::ledger::TxId;

    /// Writes the display form.
    pub fn serialize<S: Serializer>(id: &TxId, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(id)
    }

    /// Reads the display form.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TxId, D::Error> {
        let text = String::deserialize(d)?;
        TxId::parse(&text).map_err(de::Error::custom)
    }
}

/// Serde for an [`Address`] as 40 hex characters.
pub mod address_hex {
    use serde::{Deserialize, Deserializer, Serializer, de};

    use crate::ledger::Address;

    /// Writes the hex.
    pub fn serialize<S: Serializer>(a: &Address, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(a)
    }

    /// Reads the hex.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
        let text = String::deserialize(d)?;
        Address::parse(&text).map_err(de::Error::custom)
    }
}

/// A public key's address, from its hex (for clients).
pub fn address_of_key_hex(text: &str) -> Option<Address> {
    PublicKey::parse(text).ok().map(|k| Address::of_key(&k))
}
