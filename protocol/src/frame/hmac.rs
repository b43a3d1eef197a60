//! HMAC-SHA256 (RFC 2104) over `sha2`, with the key's inner and outer pads
//! absorbed once so that each frame costs only the message's own blocks.

use sha2::{Digest, Sha256};

use crate::key::ClusterKey;

/// Tag length kept on the wire: HMAC-SHA256 truncated to 128 bits
/// (RFC 2104 section 5 allows truncation to half the output or more).
pub const TAG_LEN: usize = 16;

/// A keyed HMAC-SHA256, ready to tag messages.
#[derive(Clone)]
pub struct Hmac {
    inner: Sha256,
    outer: Sha256,
}

impl core::fmt::Debug for Hmac {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Hmac(..)")
    }
}

impl Hmac {
    /// Absorbs the key's pads.
    pub fn new(key: &ClusterKey) -> Hmac {
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for (i, k) in key.as_bytes().iter().enumerate() {
            ipad[i] ^= k;
            opad[i] ^= k;
        }
        let mut inner = Sha256::new();
        inner.update(ipad);
        let mut outer = Sha256::new();
        outer.update(opad);
        Hmac { inner, outer }
    }

    /// The full 32-byte HMAC of `parts` concatenated.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut inner = self.inner.clone();
        for part in parts {
            inner.update(part);
        }
        let mut outer = self.outer.clone();
        outer.update(inner.finalize());
        let mut out = [0u8; 32];
        out.copy_from_slice(&outer.finalize());
        out
    }

    /// The truncated tag of `message`.
    pub fn tag(&self, message: &[u8]) -> [u8; TAG_LEN] {
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&self.mac(&[message])[..TAG_LEN]);
        tag
    }

    /// Whether `tag` is the tag of `message`, compared in constant time.
    pub fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        let expected = self.tag(message);
        if tag.len() != TAG_LEN {
            return false;
        }
        let diff = expected
            .iter()
            .zip(tag)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        diff == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex;

    #[test]
    fn rfc4231_test_case_2_prefix() {
        // RFC 4231 case 2 uses a 4-byte key ("Jefe"); our keys are 32 bytes,
        // zero padding makes them equivalent.
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        let mac =
            Hmac::new(&ClusterKey::from_bytes(key)).mac(&[b"what do ya want ", b"for nothing?"]);
        let expected: [u8; 32] =
            hex::decode("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
                .unwrap();
        assert_eq!(mac, expected);
    }

    #[test]
    fn verification_is_exact() {
        let h = Hmac::new(&ClusterKey::from_bytes([7; 32]));
        let tag = h.tag(b"abc");
        assert!(h.verify(b"abc", &tag));
        assert!(!h.verify(b"abd", &tag));
        assert!(!h.verify(b"abc", &tag[..15]));
        let other = Hmac::new(&ClusterKey::from_bytes([8; 32]));
        assert!(!other.verify(b"abc", &tag));
    }
}
