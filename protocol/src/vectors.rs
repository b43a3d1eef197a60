//! Public known-answer vectors: real Bitcoin blocks. Kernels are tested on
//! them, and boards run a scan of the genesis header as a boot self-test.

use crate::header::{BlockHeader, HEADER_LEN, Hash256};
use crate::hex;

/// A published block: its header fields and its displayed hash.
#[derive(Clone, Copy, Debug)]
pub struct Vector {
    /// Block version.
    pub version: u32,
    /// Previous block hash, display order.
    pub prev_hex: &'static str,
    /// Merkle root, display order.
    pub merkle_hex: &'static str,
    /// Block time.
    pub time: u32,
    /// Compact target.
    pub bits: u32,
    /// The winning nonce.
    pub nonce: u32,
    /// The block hash, display order.
    pub hash_hex: &'static str,
}

/// Bitcoin block 0.
pub const GENESIS: Vector = Vector {
    version: 1,
    prev_hex: "0000000000000000000000000000000000000000000000000000000000000000",
    merkle_hex: "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
    time: 1_231_006_505,
    bits: 0x1d00_ffff,
    nonce: 2_083_236_893,
    hash_hex: "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
};

/// Bitcoin block 125552.
pub const BLOCK_125552: Vector = Vector {
    version: 1,
    prev_hex: "00000000000008a3a41b85b8b29ad444def299fee21793cd8b9e567eab02cd81",
    merkle_hex: "2b12fcf1b09288fcaff797d71e950e71ae42b91e8bdb2304758dfcffc2b620e3",
    time: 1_305_998_791,
    bits: 0x1a44_b9f2,
    nonce: 2_504_433_986,
    hash_hex: "00000000000000001e8d6829a8a21adc5d38d0a473b144b6765798e61f98bd1d",
};

impl Vector {
    /// The header, with its winning nonce.
    pub fn header(&self) -> BlockHeader {
        // The constants above are valid hex; a typo would fail every test.
        let parse = |s: &str| Hash256::from_display_hex(s).unwrap_or(Hash256::ZERO);
        BlockHeader {
            version: self.version,
            prev_hash: parse(self.prev_hex),
            merkle_root: parse(self.merkle_hex),
            time: self.time,
            bits: self.bits,
            nonce: self.nonce,
        }
    }

    /// The serialized header with the nonce field zeroed: a scanning job.
    pub fn template(&self) -> [u8; HEADER_LEN] {
        self.header().with_nonce(0).to_bytes()
    }

    /// The block hash, internal order.
    pub fn hash(&self) -> Hash256 {
        Hash256::from_display_hex(self.hash_hex).unwrap_or(Hash256::ZERO)
    }
}

/// Checks that the constants parse (so `unwrap_or` above never hides a typo).
pub fn vectors_are_well_formed() -> bool {
    [GENESIS, BLOCK_125552].iter().all(|v| {
        hex::decode::<32>(v.prev_hex).is_ok()
            && hex::decode::<32>(v.merkle_hex).is_ok()
            && hex::decode::<32>(v.hash_hex).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_parse() {
        assert!(vectors_are_well_formed());
    }
}
