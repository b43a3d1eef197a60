//! The 80-byte header as a fixed-size byte string on the wire. serde only
//! derives arrays up to 32 elements, so this is written out: a tuple of 80
//! bytes, which postcard encodes as exactly 80 raw bytes, no length prefix.

use core::fmt;

use serde::de::{Error, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::header::{BlockHeader, HEADER_LEN};
use crate::hex::Hex;

/// A serialized block header.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HeaderBytes(pub [u8; HEADER_LEN]);

impl From<BlockHeader> for HeaderBytes {
    fn from(h: BlockHeader) -> HeaderBytes {
        HeaderBytes(h.to_bytes())
    }
}

impl HeaderBytes {
    /// The header's fields.
    pub fn header(&self) -> BlockHeader {
        BlockHeader::from_bytes(&self.0)
    }
}

impl fmt::Debug for HeaderBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HeaderBytes({})", Hex(&self.0))
    }
}

impl Serialize for HeaderBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(HEADER_LEN)?;
        for b in &self.0 {
            tuple.serialize_element(b)?;
        }
        tuple.end()
    }
}

struct HeaderVisitor;

impl<'de> Visitor<'de> for HeaderVisitor {
    type Value = HeaderBytes;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{HEADER_LEN} header bytes")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<HeaderBytes, A::Error> {
        let mut out = [0u8; HEADER_LEN];
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = seq
                .next_element()?
                .ok_or_else(|| A::Error::invalid_length(i, &self))?;
        }
        Ok(HeaderBytes(out))
    }
}

impl<'de> Deserialize<'de> for HeaderBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<HeaderBytes, D::Error> {
        deserializer.deserialize_tuple(HEADER_LEN, HeaderVisitor)
    }
}
