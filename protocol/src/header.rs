//! The 80-byte block header (Bitcoin's layout) and its double SHA-256 hash.

use core::fmt;

use sha2::{Digest, Sha256};

use crate::hex::{self, HexError, HexRev};

/// Length of a serialized header.
pub const HEADER_LEN: usize = 80;
/// Byte offset of the time field in a serialized header.
pub const TIME_OFFSET: usize = 68;
/// Byte offset of the nonce field in a serialized header.
pub const NONCE_OFFSET: usize = 76;

/// A 32-byte hash in the byte order SHA-256 produces ("internal order").
/// It is displayed reversed, as Bitcoin displays block hashes, and parsed from
/// that display form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash256(pub [u8; 32]);

impl Hash256 {
    /// The all-zero hash (the genesis block's previous hash).
    pub const ZERO: Hash256 = Hash256([0; 32]);

    /// Number of leading zero bits of the displayed hash: the zero bits at
    /// the end of the internal byte order, last byte's high bit first.
    pub fn zero_bits(&self) -> u32 {
        let mut bits = 0;
        for &b in self.0.iter().rev() {
            if b == 0 {
                bits += 8;
            } else {
                return bits + b.leading_zeros();
            }
        }
        bits
    }

    /// Whether the displayed hash begins with at least `d` zero bits.
    pub fn meets(&self, d: u8) -> bool {
        self.zero_bits() >= u32::from(d)
    }

    /// Parses the display form (64 hex characters, most significant first).
    pub fn from_display_hex(text: &str) -> Result<Hash256, HexError> {
        let mut bytes: [u8; 32] = hex::decode(text)?;
        bytes.reverse();
        Ok(Hash256(bytes))
    }
}

impl fmt::Display for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        HexRev(&self.0).fmt(f)
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash256({self})")
    }
}

/// A block header, field by field. Serialized little-endian, 80 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockHeader {
    /// Block version.
    pub version: u32,
    /// Hash of the previous block (internal order).
    pub prev_hash: Hash256,
    /// Merkle root of the block's transactions (internal order).
    pub merkle_root: Hash256,
    /// Seconds since the Unix epoch, as the leader stamped it.
    pub time: u32,
    /// The compact target field. This system's difficulty is a number of zero
    /// bits carried beside the header; `bits` is kept for layout fidelity and
    /// must match what the chain service's template says.
    pub bits: u32,
    /// The nonce miners search.
    pub nonce: u32,
}

impl BlockHeader {
    /// The 80 bytes that are hashed.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&self.version.to_le_bytes());
        out[4..36].copy_from_slice(&self.prev_hash.0);
        out[36..68].copy_from_slice(&self.merkle_root.0);
        out[68..72].copy_from_slice(&self.time.to_le_bytes());
        out[72..76].copy_from_slice(&self.bits.to_le_bytes());
        out[76..80].copy_from_slice(&self.nonce.to_le_bytes());
        out
    }

    /// Reads the fields of a serialized header. Every 80-byte string is a
    /// header, so this cannot fail.
    pub fn from_bytes(bytes: &[u8; HEADER_LEN]) -> BlockHeader {
        let word = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let mut prev = [0u8; 32];
        prev.copy_from_slice(&bytes[4..36]);
        let mut merkle = [0u8; 32];
        merkle.copy_from_slice(&bytes[36..68]);
        BlockHeader {
            version: word(0),
            prev_hash: Hash256(prev),
            merkle_root: Hash256(merkle),
            time: word(TIME_OFFSET),
            bits: word(72),
            nonce: word(NONCE_OFFSET),
        }
    }

    /// Parses 160 hex characters of a serialized header (wire order).
    pub fn from_hex(text: &str) -> Result<BlockHeader, HexError> {
        let bytes: [u8; HEADER_LEN] = hex::decode(text)?;
        Ok(BlockHeader::from_bytes(&bytes))
    }

    /// SHA-256(SHA-256(header)).
    pub fn hash(&self) -> Hash256 {
        sha256d(&self.to_bytes())
    }

    /// This header with another nonce.
    pub fn with_nonce(mut self, nonce: u32) -> BlockHeader {
        self.nonce = nonce;
        self
    }
}

/// SHA-256 applied twice: the proof-of-work hash. This is the reference
/// implementation (the `sha2` crate); the scanning kernels are checked
/// against it.
pub fn sha256d(data: &[u8]) -> Hash256 {
    let first = Sha256::digest(data);
    let second = Sha256::digest(first);
    let mut out = [0u8; 32];
    out.copy_from_slice(&second);
    Hash256(out)
}

/// Whether `header` hashes to at least `zero_bits` leading zero bits.
pub fn meets_difficulty(header: &[u8; HEADER_LEN], zero_bits: u8) -> bool {
    sha256d(header).meets(zero_bits)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::vectors::{BLOCK_125552, GENESIS};
    use std::string::ToString;

    #[test]
    fn public_vectors_hash_as_published() {
        for v in [&GENESIS, &BLOCK_125552] {
            let header = v.header();
            assert_eq!(header.hash().to_string(), v.hash_hex);
            assert!(header.hash().zero_bits() >= 32);
            assert!(meets_difficulty(&header.to_bytes(), 32));
            assert_eq!(BlockHeader::from_bytes(&header.to_bytes()), header);
        }
    }

    #[test]
    fn zero_bits_counts_the_displayed_prefix() {
        let mut h = [0xffu8; 32];
        assert_eq!(Hash256(h).zero_bits(), 0);
        h[31] = 0x00;
        h[30] = 0x1f;
        // display: 00 1f ff ... -> 8 + 3 zero bits
        assert_eq!(Hash256(h).zero_bits(), 11);
        assert!(Hash256(h).meets(11));
        assert!(!Hash256(h).meets(12));
        assert_eq!(Hash256::ZERO.zero_bits(), 256);
    }

    #[test]
    fn display_hex_round_trips() {
        let h = Hash256::from_display_hex(GENESIS.hash_hex).unwrap();
        assert_eq!(h.to_string(), GENESIS.hash_hex);
        assert!(Hash256::from_display_hex("zz").is_err());
    }

    #[test]
    fn wrong_nonce_breaks_the_proof() {
        let header = GENESIS.header().with_nonce(GENESIS.nonce + 1);
        assert!(header.hash().zero_bits() < 32);
    }
}
