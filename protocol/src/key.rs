//! The cluster's pre-shared key.

use core::fmt;

use crate::hex::{self, HexError};

/// 32 secret bytes shared by every node of a cluster. Written as 64 hex
/// characters in key files and in the firmware's build configuration.
#[derive(Clone, PartialEq, Eq)]
pub struct ClusterKey([u8; 32]);

impl ClusterKey {
    /// The key used with `--insecure`: all zeros, known to everyone. Frames
    /// keep their layout, but anyone can forge them.
    pub const INSECURE: ClusterKey = ClusterKey([0; 32]);

    /// A key from its bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> ClusterKey {
        ClusterKey(bytes)
    }

    /// A key from 64 hex characters; surrounding whitespace (a key file's
    /// trailing newline) is ignored.
    pub fn from_hex(text: &str) -> Result<ClusterKey, HexError> {
        hex::decode(text.trim()).map(ClusterKey)
    }

    /// The key's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for ClusterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret.
        f.write_str("ClusterKey(..)")
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn parses_key_files_and_hides_the_secret() {
        let text = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
        let key = ClusterKey::from_hex(text).unwrap();
        assert_eq!(key.as_bytes()[1], 0x11);
        assert_eq!(format!("{key:?}"), "ClusterKey(..)");
        assert!(ClusterKey::from_hex("abcd").is_err());
    }
}
