//! Hex text for hashes, headers and keys, without allocation.

use core::fmt;

/// Why a hex string was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum HexError {
    /// The string has the wrong number of characters.
    Length {
        /// Characters expected.
        expected: usize,
        /// Characters given.
        got: usize,
    },
    /// A character is not a hex digit.
    NotHex {
        /// Character index of the first bad character.
        index: usize,
    },
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HexError::Length { expected, got } => {
                write!(f, "expected {expected} hex characters, got {got}")
            }
            HexError::NotHex { index } => {
                write!(f, "character {index} is not a hex digit (0-9, a-f)")
            }
        }
    }
}

impl core::error::Error for HexError {}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes exactly `N` bytes from `2 * N` hex characters (either case).
pub fn decode<const N: usize>(text: &str) -> Result<[u8; N], HexError> {
    let bytes = text.as_bytes();
    if bytes.len() != 2 * N {
        return Err(HexError::Length {
            expected: 2 * N,
            got: text.chars().count(),
        });
    }
    let mut out = [0u8; N];
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        let hi = nibble(pair[0]).ok_or(HexError::NotHex { index: 2 * i })?;
        let lo = nibble(pair[1]).ok_or(HexError::NotHex { index: 2 * i + 1 })?;
        out[i] = (hi << 4) | lo;
    }
    Ok(out)
}

/// Lower-case hex of `bytes`, in order, as a `Display` value.
pub struct Hex<'a>(pub &'a [u8]);

/// Lower-case hex of `bytes` in reverse order (how Bitcoin shows hashes).
pub struct HexRev<'a>(pub &'a [u8]);

const DIGITS: &[u8; 16] = b"0123456789abcdef";

fn write_byte(f: &mut fmt::Formatter<'_>, b: u8) -> fmt::Result {
    let pair = [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]];
    // Both characters are ASCII digits, so this is valid UTF-8.
    f.write_str(core::str::from_utf8(&pair).map_err(|_| fmt::Error)?)
}

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|&b| write_byte(f, b))
    }
}

impl fmt::Display for HexRev<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().rev().try_for_each(|&b| write_byte(f, b))
    }
}

impl fmt::Debug for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Debug for HexRev<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn round_trip() {
        let bytes: [u8; 4] = decode("00fFa1B2").unwrap();
        assert_eq!(bytes, [0x00, 0xff, 0xa1, 0xb2]);
        assert_eq!(format!("{}", Hex(&bytes)), "00ffa1b2");
        assert_eq!(format!("{}", HexRev(&bytes)), "b2a1ff00");
    }

    #[test]
    fn errors_name_the_cause() {
        assert_eq!(
            decode::<2>("abc"),
            Err(HexError::Length {
                expected: 4,
                got: 3
            })
        );
        assert_eq!(decode::<2>("ab0g"), Err(HexError::NotHex { index: 3 }));
        // Multi-byte characters are counted as characters, never split.
        assert!(decode::<2>("ééé").is_err());
    }
}
