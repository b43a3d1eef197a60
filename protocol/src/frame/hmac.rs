//! HMAC-SHA256 (RFC 2104), from the `hmac` crate. The keyed state, with
//! the key's inner and outer pads already absorbed, is made once per sealer
//! or opener and cloned for each frame, so a frame costs only its own
//! blocks. Tags are compared in constant time by the `Mac` trait's
//! verification (`ctutils`, RustCrypto's constant-time crate).

use hmac::{KeyInit, Mac};
use sha2::Sha256;

use crate::key::ClusterKey;

/// Tag length kept on the wire: HMAC-SHA256 truncated to 128 bits
/// (RFC 2104 section 5 allows truncation to half the output or more).
pub const TAG_LEN: usize = 16;

/// A keyed HMAC-SHA256, ready to tag messages.
#[derive(Clone)]
pub struct Hmac {
    keyed: hmac::Hmac<Sha256>,
}

impl core::fmt::Debug for Hmac {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Hmac(..)")
    }
}

impl Hmac {
    /// Absorbs the key's pads.
    pub fn new(key: &ClusterKey) -> Hmac {
        // A key shorter than SHA-256's 64-byte block is zero-padded to it
        // (RFC 2104 section 2): padding it here is the same key, and takes
        // the infallible constructor.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(key.as_bytes());
        Hmac {
            keyed: <hmac::Hmac<Sha256> as KeyInit>::new(&block.into()),
        }
    }

    /// The full 32-byte HMAC of `parts` concatenated.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// The truncated tag of `message`.
    pub fn tag(&self, message: &[u8]) -> [u8; TAG_LEN] {
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&self.mac(&[message])[..TAG_LEN]);
        tag
    }

    /// Whether `tag` is the tag of `message`, compared in constant time.
    pub fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        if tag.len() != TAG_LEN {
            return false;
        }
        let mut mac = self.keyed.clone();
        mac.update(message);
        mac.verify_truncated_left(tag).is_ok()
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
