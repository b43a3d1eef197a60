//! The JSON documents of the HTTP API, shared by the server and
//! [`crate::client`]. Hashes travel as 64 hex characters in display order
//! (as Bitcoin shows block hashes), headers as 160 hex characters in wire
//! order. README's "chain" section shows every document.

use std::collections::BTreeMap;

mod ledger;

use protocol::{BlockHeader, Hash256};
use serde::{Deserialize, Serialize};

pub use ledger::*;

use crate::ledger::Address;

/// `GET /v1/template`: everything a leader needs to build the header it hands
/// out. A block must carry exactly this `version`, `prev_hash`, `merkle_root`
/// and `bits`, and a time from `min_time` to two hours past the service's
/// clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// Height of the block to build (the tip's height + 1).
    pub height: u64,
    /// The tip's hash.
    #[serde(with = "hash_hex")]
    pub prev_hash: Hash256,
    /// The block version.
    pub version: u32,
    /// The merkle root of the body the service keeps for this template
    /// (see [`crate::ledger::merkle_root`]).
    #[serde(with = "hash_hex")]
    pub merkle_root: Hash256,
    /// The header's compact target field (see [`crate::rules::compact_bits`]).
    pub bits: u32,
    /// The earliest acceptable header time (Unix seconds).
    pub min_time: u32,
    /// Leading zero bits the block's hash needs: the chain's difficulty.
    pub zero_bits: u8,
    /// Who the body's reward pays.
    #[serde(with = "address_hex")]
    pub payout: Address,
    /// The reward, coin units.
    pub reward: u64,
    /// Transactions in the body, the reward included.
    pub transactions: usize,
}

impl Template {
    /// The time to stamp on a header built now: `now` (Unix seconds), raised
    /// to `min_time` when the chain's recent times are ahead of this clock.
    pub fn time_for(&self, now: u64) -> u32 {
        u32::try_from(now).unwrap_or(u32::MAX).max(self.min_time)
    }

    /// The header this template describes, with `time` and nonce 0: what a
    /// leader hands to miners, who search the nonce.
    pub fn header(&self, time: u32) -> BlockHeader {
        BlockHeader {
            version: self.version,
            prev_hash: self.prev_hash,
            merkle_root: self.merkle_root,
            time,
            bits: self.bits,
            nonce: 0,
        }
    }
}

/// `POST /v1/blocks` body. The server reads the header as text so that a
/// bad one gets a message naming the fault rather than a parser's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// The 80-byte header, 160 hex characters in wire order.
    pub header: String,
    /// Who mined it: 1 to [`MAX_MINER_LEN`] characters, no control
    /// characters.
    pub miner: String,
    /// The body, each transaction's encoding as hex, the reward first.
    /// Without it, the service uses the body of the template whose merkle
    /// root the header carries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transactions: Option<Vec<String>>,
    /// The coordinators that confirmed the block before it was submitted
    /// (the vote's yes), ids in increasing order; none when omitted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub confirmed_by: Vec<u16>,
}

/// Longest miner name the service stores, in characters.
pub const MAX_MINER_LEN: usize = 64;

/// Most coordinators a block records as confirming it.
pub const MAX_CONFIRMED_BY: usize = 256;

/// `201` answer to `POST /v1/blocks`: the block is committed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    /// Its height.
    pub height: u64,
    /// Its hash.
    #[serde(with = "hash_hex")]
    pub hash: Hash256,
}

/// `GET /v1/tip`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tip {
    /// Height of the last block.
    pub height: u64,
    /// Its hash.
    #[serde(with = "hash_hex")]
    pub hash: Hash256,
    /// The chain's difficulty in leading zero bits.
    pub zero_bits: u8,
}

/// A block of the chain: `GET /v1/blocks/{height}`, and the items of
/// `GET /v1/blocks`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Its height (0 is the genesis block).
    pub height: u64,
    /// Its hash, `sha256d(header)`.
    #[serde(with = "hash_hex")]
    pub hash: Hash256,
    /// The header.
    #[serde(with = "header_hex")]
    pub header: BlockHeader,
    /// Who mined it, as submitted.
    pub miner: String,
    /// When the service committed it (Unix seconds, the service's clock).
    pub received_at: u64,
    /// The coordinators that confirmed it, as submitted (ids, increasing;
    /// empty for genesis and for blocks submitted without).
    #[serde(default)]
    pub confirmed_by: Vec<u16>,
}

/// `GET /v1/stats`: what the service did since it started.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Blocks accepted.
    pub accepted: u64,
    /// Transactions admitted to the mempool.
    #[serde(default)]
    pub admitted: u64,
    /// Store transactions (each one fsync) that admitted them: group
    /// commits.
    #[serde(default)]
    pub admission_commits: u64,
    /// Transactions waiting in the mempool now.
    #[serde(default)]
    pub mempool: u64,
    /// Error answers (refused submissions and transactions, bad requests,
    /// misses), by error code.
    pub errors: BTreeMap<String, u64>,
    /// Mempool entries dropped because they no longer applied, by code.
    #[serde(default)]
    pub dropped: BTreeMap<String, u64>,
}

/// Every error answer. `error` is for people; `code` is stable, for
/// programs (README lists them). For `duplicate`, `height` and `hash` name
/// the block already in the chain; for `stale` and `unknown_parent`, the
/// current tip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong and what to do about it.
    pub error: String,
    /// A short stable name of the cause.
    pub code: String,
    /// A height the error refers to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// A hash the error refers to.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_hash_hex"
    )]
    pub hash: Option<Hash256>,
}

/// Serde for a [`Hash256`] as display-order hex.
pub mod hash_hex {
    use protocol::Hash256;
    use serde::{Deserialize, Deserializer, Serializer, de};

    /// Writes the display form.
    pub fn serialize<S: Serializer>(hash: &Hash256, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(hash)
    }

    /// Reads the display form.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash256, D::Error> {
        let text = String::deserialize(d)?;
        Hash256::from_display_hex(&text).map_err(de::Error::custom)
    }
}

mod opt_hash_hex {
    use protocol::Hash256;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(hash: &Option<Hash256>, s: S) -> Result<S::Ok, S::Error> {
        match hash {
            Some(h) => super::hash_hex::serialize(h, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Hash256>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "super::hash_hex")] Hash256);
        Ok(Option::<Wrapped>::deserialize(d)?.map(|w| w.0))
    }
}

/// Serde for a [`BlockHeader`] as 160 hex characters in wire order.
pub mod header_hex {
    use protocol::BlockHeader;
    use protocol::hex::Hex;
    use serde::{Deserialize, Deserializer, Serializer, de};

    /// Writes the 80 bytes as hex.
    pub fn serialize<S: Serializer>(header: &BlockHeader, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&Hex(&header.to_bytes()))
    }

    /// Reads 160 hex characters.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BlockHeader, D::Error> {
        let text = String::deserialize(d)?;
        BlockHeader::from_hex(&text).map_err(de::Error::custom)
    }
}
