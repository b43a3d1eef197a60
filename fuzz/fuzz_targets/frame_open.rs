//! Any datagram, opened under a fixed key: must never panic. Also decodes the
//! bytes as a bare body, and re-encodes whatever decodes (round trip).
#![no_main]

use libfuzzer_sys::fuzz_target;
use protocol::ClusterKey;
use protocol::frame::Opener;
use protocol::ids::{CoordinatorId, NodeId};
use protocol::wire::Message;

fuzz_target!(|data: &[u8]| {
    let mut opener = Opener::<8>::new(
        &ClusterKey::from_bytes([7; 32]),
        NodeId::Coordinator(CoordinatorId(1)),
    );
    let _ = opener.open(data);
    if let Ok(msg) = Message::decode(data) {
        let mut buf = [0u8; 256];
        if let Ok(bytes) = msg.encode(&mut buf) {
            assert_eq!(Message::decode(bytes), Ok(msg));
        }
    }
});
