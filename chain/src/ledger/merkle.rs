//! Bitcoin's merkle root over transaction ids: pairs of hashes (internal
//! byte order) concatenated and double-hashed level by level, the last
//! hash of an odd level paired with itself, until one is left. One id is
//! its own root. Because of that duplication a body `[a, b, c]` and
//! `[a, b, c, c]` share a root; the second repeats a transaction, which
//! the service refuses (`duplicate_transaction`) before the root matters.

use protocol::Hash256;
use protocol::header::sha256d;

use super::types::TxId;

/// The merkle root of `ids`, in order; all zero for none (a block always
/// has its reward, so only genesis, which has no body, has no ids).
pub fn merkle_root(ids: &[TxId]) -> Hash256 {
    let mut level: Vec<Hash256> = ids.iter().map(|id| id.0).collect();
    if level.is_empty() {
        return Hash256::ZERO;
    }
    let mut pair = [0u8; 64];
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|two| {
                let left = two[0];
                let right = two.get(1).copied().unwrap_or(left);
                pair[..32].copy_from_slice(&left.0);
                pair[32..].copy_from_slice(&right.0);
                sha256d(&pair)
            })
            .collect();
    }
    level[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(hex: &str) -> TxId {
        TxId(Hash256::from_display_hex(hex).unwrap())
    }

    /// Bitcoin block 100000: four transactions, and its published root.
    #[test]
    fn bitcoin_block_100000_has_its_published_root() {
        let ids = [
            rev("8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87"),
            rev("fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4"),
            rev("6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4"),
            rev("e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d"),
        ];
        assert_eq!(
            merkle_root(&ids).to_string(),
            "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766"
        );
    }

    #[test]
    fn one_id_is_its_own_root_and_an_odd_level_repeats_its_last() {
        let a = TxId(Hash256([1; 32]));
        let b = TxId(Hash256([2; 32]));
        let c = TxId(Hash256([3; 32]));
        assert_eq!(merkle_root(&[a]), a.0);
        assert_eq!(merkle_root(&[a, b, c]), merkle_root(&[a, b, c, c]));
        assert_ne!(merkle_root(&[a, b]), merkle_root(&[b, a]));
        assert_eq!(merkle_root(&[]), Hash256::ZERO);
    }
}
