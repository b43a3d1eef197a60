//! Transactions and their canonical encoding (`docs/chain-api.md`,
//! "Transaction encoding", documents every byte).
//!
//! One encoding, fixed-size per kind, no optional parts: a transaction has
//! exactly one byte string, its id is `sha256d` of that string without the
//! signature, and the signature covers [`SIGNING_DOMAIN`] followed by the
//! same bytes. Decoding refuses any other length, unknown kinds, assets and
//! sides, and zero padding is never accepted as meaning.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use protocol::header::sha256d;

use super::error::{DecodeError, TxError};
use super::types::{Address, Amount, Asset, Price, PublicKey, Side, TxId};

/// The encoding's version, its first byte.
pub const TX_VERSION: u8 = 1;

/// What an Ed25519 signature covers before the transaction's bytes, so that
/// a key used here signs nothing that means something elsewhere.
pub const SIGNING_DOMAIN: &[u8] = b"distributed proof-of-work mining: transaction v1\n";

/// Bytes of a signature.
pub const SIGNATURE_LEN: usize = 64;

/// The longest encoded transaction (a signed cancel).
pub const MAX_TX_LEN: usize = 42 + 32 + SIGNATURE_LEN;

/// Kind bytes.
const REWARD: u8 = 0;
const TRANSFER: u8 = 1;
const DEPOSIT: u8 = 2;
const ORDER: u8 = 3;
const CANCEL: u8 = 4;

/// What a signed transaction does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Moves `amount` of `asset` from the signer's available balance to `to`.
    Transfer {
        /// Which asset.
        asset: Asset,
        /// The receiver.
        to: Address,
        /// How much.
        amount: Amount,
    },
    /// Credits `amount` usd to `to`; only the chain's operator may sign it.
    Deposit {
        /// The receiver.
        to: Address,
        /// How much usd.
        amount: Amount,
    },
    /// A limit order: buy or sell `amount` coin at `price` usd per coin
    /// or better; the rest rests in the book until filled, cancelled, or
    /// past `expiry` (a height; `None`: never).
    Order {
        /// Buy or sell.
        side: Side,
        /// Limit price, usd units per coin unit.
        price: Price,
        /// Coin units.
        amount: Amount,
        /// The last height at which the order may rest.
        expiry: Option<u64>,
    },
    /// Takes the signer's resting order `order` out of the book.
    Cancel {
        /// The order's id (its transaction's id).
        order: TxId,
    },
}

impl Action {
    /// The kind's name in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Transfer { .. } => "transfer",
            Action::Deposit { .. } => "deposit",
            Action::Order { .. } => "order",
            Action::Cancel { .. } => "cancel",
        }
    }
}

/// What a transaction is, without its signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxBody {
    /// The block reward: the first transaction of every block, unsigned.
    Reward {
        /// The block's height (so that every reward has its own id).
        height: u64,
        /// The payout address the leader named.
        to: Address,
        /// The reward, coin units.
        amount: Amount,
    },
    /// Anything an account signs.
    Signed {
        /// The signer's public key.
        signer: PublicKey,
        /// The signer's next sequence number.
        sequence: u64,
        /// What it does.
        action: Action,
    },
}

/// A transaction with its id (and, when signed, its signer's address and
/// signature), as the ledger applies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tx {
    body: TxBody,
    signature: [u8; SIGNATURE_LEN],
    id: TxId,
    signer: Address,
}

impl Tx {
    /// The reward of the block at `height`.
    pub fn reward(height: u64, to: Address, amount: Amount) -> Tx {
        Tx::new(TxBody::Reward { height, to, amount }, [0; SIGNATURE_LEN])
    }

    /// `action` with `sequence`, signed by `key`.
    pub fn sign(key: &SigningKey, sequence: u64, action: Action) -> Tx {
        let body = TxBody::Signed {
            signer: PublicKey(key.verifying_key().to_bytes()),
            sequence,
            action,
        };
        let mut message = SIGNING_DOMAIN.to_vec();
        encode_body(&body, &mut message);
        let signature = key.sign(&message).to_bytes();
        Tx::new(body, signature)
    }

    /// A transaction with a given signature (possibly wrong: for tests and
    /// for decoding).
    pub fn with_signature(body: TxBody, signature: [u8; SIGNATURE_LEN]) -> Tx {
        Tx::new(body, signature)
    }

    fn new(body: TxBody, signature: [u8; SIGNATURE_LEN]) -> Tx {
        let mut bytes = Vec::with_capacity(MAX_TX_LEN);
        encode_body(&body, &mut bytes);
        let signer = match &body {
            TxBody::Signed { signer, .. } => Address::of_key(signer),
            TxBody::Reward { .. } => Address::default(),
        };
        Tx {
            id: TxId(sha256d(&bytes)),
            body,
            signature,
            signer,
        }
    }

    /// Its id.
    pub fn id(&self) -> TxId {
        self.id
    }

    /// What it is.
    pub fn body(&self) -> &TxBody {
        &self.body
    }

    /// The signer's address (all zero for a reward).
    pub fn signer(&self) -> Address {
        self.signer
    }

    /// The signature (all zero for a reward).
    pub fn signature(&self) -> &[u8; SIGNATURE_LEN] {
        &self.signature
    }

    /// The kind's name in JSON.
    pub fn kind(&self) -> &'static str {
        match &self.body {
            TxBody::Reward { .. } => "reward",
            TxBody::Signed { action, .. } => action.kind(),
        }
    }

    /// The canonical encoding: the body, then the signature if signed.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(MAX_TX_LEN);
        encode_body(&self.body, &mut out);
        if matches!(self.body, TxBody::Signed { .. }) {
            out.extend_from_slice(&self.signature);
        }
        out
    }

    /// Reads the canonical encoding; any other byte string is refused.
    pub fn decode(bytes: &[u8]) -> Result<Tx, DecodeError> {
        let mut r = Reader { bytes, at: 0 };
        let version = r.u8()?;
        if version != TX_VERSION {
            return Err(DecodeError::Version(version));
        }
        let kind = r.u8()?;
        let body = if kind == REWARD {
            TxBody::Reward {
                height: r.u64()?,
                to: Address(r.array()?),
                amount: Amount(r.u64()?),
            }
        } else {
            let signer = PublicKey(r.array()?);
            let sequence = r.u64()?;
            let action = match kind {
                TRANSFER => {
                    let code = r.u8()?;
                    Action::Transfer {
                        asset: Asset::from_code(code).ok_or(DecodeError::Asset(code))?,
                        to: Address(r.array()?),
                        amount: Amount(r.u64()?),
                    }
                }
                DEPOSIT => Action::Deposit {
                    to: Address(r.array()?),
                    amount: Amount(r.u64()?),
                },
                ORDER => {
                    let code = r.u8()?;
                    Action::Order {
                        side: Side::from_code(code).ok_or(DecodeError::Side(code))?,
                        price: Price(r.u64()?),
                        amount: Amount(r.u64()?),
                        expiry: Some(r.u64()?).filter(|&e| e != 0),
                    }
                }
                CANCEL => Action::Cancel {
                    order: TxId(protocol::Hash256(r.array()?)),
                },
                other => return Err(DecodeError::Kind(other)),
            };
            TxBody::Signed {
                signer,
                sequence,
                action,
            }
        };
        let signature = match body {
            TxBody::Reward { .. } => [0; SIGNATURE_LEN],
            TxBody::Signed { .. } => r.array()?,
        };
        if r.at != bytes.len() {
            return Err(DecodeError::Trailing {
                expected: r.at,
                got: bytes.len(),
            });
        }
        Ok(Tx::new(body, signature))
    }

    /// Checks the signature (strictly: no malleable or small-order keys);
    /// a reward has none to check and passes.
    pub fn verify(&self) -> Result<(), TxError> {
        let TxBody::Signed { signer, .. } = &self.body else {
            return Ok(());
        };
        let key = VerifyingKey::from_bytes(&signer.0).map_err(|_| TxError::BadSignature)?;
        let mut message = SIGNING_DOMAIN.to_vec();
        encode_body(&self.body, &mut message);
        key.verify_strict(&message, &Signature::from_bytes(&self.signature))
            .map_err(|_| TxError::BadSignature)
    }
}

/// Checks the signatures of many transactions, one by one with the same
/// strict rule as [`Tx::verify`]; on failure, names the first bad one (its
/// index). (Batch verification would be faster, but its equation accepts
/// signatures the strict rule refuses: one rule for admission and blocks.)
pub fn verify_all(txs: &[Tx]) -> Result<(), (usize, TxError)> {
    txs.iter()
        .enumerate()
        .try_for_each(|(i, tx)| tx.verify().map_err(|e| (i, e)))
}

fn encode_body(body: &TxBody, out: &mut Vec<u8>) {
    out.push(TX_VERSION);
    match body {
        TxBody::Reward { height, to, amount } => {
            out.push(REWARD);
            out.extend_from_slice(&height.to_le_bytes());
            out.extend_from_slice(&to.0);
            out.extend_from_slice(&amount.0.to_le_bytes());
        }
        TxBody::Signed {
            signer,
            sequence,
            action,
        } => {
            out.push(match action {
                Action::Transfer { .. } => TRANSFER,
                Action::Deposit { .. } => DEPOSIT,
                Action::Order { .. } => ORDER,
                Action::Cancel { .. } => CANCEL,
            });
            out.extend_from_slice(&signer.0);
            out.extend_from_slice(&sequence.to_le_bytes());
            match action {
                Action::Transfer { asset, to, amount } => {
                    out.push(asset.code());
                    out.extend_from_slice(&to.0);
                    out.extend_from_slice(&amount.0.to_le_bytes());
                }
                Action::Deposit { to, amount } => {
                    out.extend_from_slice(&to.0);
                    out.extend_from_slice(&amount.0.to_le_bytes());
                }
                Action::Order {
                    side,
                    price,
                    amount,
                    expiry,
                } => {
                    out.push(side.code());
                    out.extend_from_slice(&price.0.to_le_bytes());
                    out.extend_from_slice(&amount.0.to_le_bytes());
                    out.extend_from_slice(&expiry.unwrap_or(0).to_le_bytes());
                }
                Action::Cancel { order } => out.extend_from_slice(&order.0.0),
            }
        }
    }
}

/// Reads fields in order, failing on a short input.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(DecodeError::Short {
                at: self.at,
                needed: n,
            });
        };
        let slice = self.bytes.get(self.at..end).ok_or(DecodeError::Short {
            at: self.at,
            needed: n,
        })?;
        self.at = end;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn u64(&mut self) -> Result<u64, DecodeError> {
        self.array().map(u64::from_le_bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let at = self.at;
        self.take(N)?
            .try_into()
            .map_err(|_| DecodeError::Short { at, needed: N })
    }
}
