extern crate std;

use proptest::prelude::*;

use super::*;
use crate::frame::MAX_BODY;
use crate::ids::JobId;
use crate::vectors::GENESIS;

/// One of each message, with fields at their widest encodings.
pub(crate) fn samples() -> [Message; 10] {
    let view = LeaderView {
        epoch: Epoch(u32::MAX),
        leader: Some(CoordinatorId(u16::MAX)),
    };
    let job = JobRef {
        epoch: Epoch(u32::MAX),
        job: JobId(u32::MAX),
    };
    let range = NonceRange::new(u32::MAX - 1, u32::MAX).unwrap();
    [
        Message::HeartbeatRequest(HeartbeatRequest {
            view,
            job: Some(job),
            chain: ChainHealth::Down,
        }),
        Message::HeartbeatReply(HeartbeatReply {
            view,
            hashrate: u32::MAX,
            miner: Some(MinerState::Mining(job)),
            request: Some(ProcessRequest { slots: 2 }),
            kind: Some(MinerKind(u8::MAX)),
        }),
        Message::Process(Process {
            job,
            recipe: Recipe(u8::MAX),
            header: HeaderBytes([0xff; 80]),
            zero_bits: u8::MAX,
            range,
        }),
        Message::ProcessAnswerNo(ProcessAnswerNo {
            job,
            range,
            best: Best {
                nonce: u32::MAX,
                zero_bits: u8::MAX,
            },
        }),
        Message::ProcessAnswerYes(ProcessAnswerYes {
            job,
            range,
            nonce: u32::MAX,
        }),
        Message::ProcessInterrupt(ProcessInterrupt { job }),
        Message::Discover(Discover { view }),
        Message::Announce(Announce {
            view,
            leader_addr: Some(WireAddr::V6([0xff; 16], u16::MAX)),
        }),
        Message::VoteRequest(VoteRequest {
            job,
            header: HeaderBytes([0xff; 80]),
            zero_bits: u8::MAX,
        }),
        Message::VoteReply(VoteReply {
            job,
            nonce: u32::MAX,
            vote: Vote::NotLeader,
        }),
    ]
}

#[test]
fn every_message_round_trips_and_fits_a_frame() {
    for msg in samples() {
        let mut buf = [0u8; 256];
        let used = msg.encode(&mut buf).unwrap().len();
        assert!(used <= MAX_BODY, "{} takes {used} bytes", msg.kind());
        assert_eq!(Message::decode(&buf[..used]), Ok(msg));
    }
}

#[test]
fn golden_bytes_pin_the_layout() {
    // docs/wire-format.md walks through these bytes.
    let msg = Message::ProcessInterrupt(ProcessInterrupt {
        job: JobRef {
            epoch: Epoch(3),
            job: JobId(300),
        },
    });
    let mut buf = [0u8; 16];
    assert_eq!(msg.encode(&mut buf).unwrap(), &[5, 3, 0xac, 0x02]);

    let process = Message::Process(Process {
        job: JobRef {
            epoch: Epoch(1),
            job: JobId(2),
        },
        recipe: Recipe::SHA256D,
        header: HeaderBytes(GENESIS.template()),
        zero_bits: 20,
        range: NonceRange::new(1, 100_000).unwrap(),
    });
    let mut buf = [0u8; 128];
    let bytes = process.encode(&mut buf).unwrap();
    assert_eq!(&bytes[..4], &[2, 1, 2, 0]);
    assert_eq!(&bytes[4..84], &GENESIS.template());
    assert_eq!(&bytes[84..], &[20, 1, 0xa0, 0x8d, 0x06]);
}

#[test]
fn a_heartbeat_request_ends_with_the_chain_health() {
    // docs/wire-format.md walks through these bytes.
    let hb = |chain| {
        Message::HeartbeatRequest(HeartbeatRequest {
            view: LeaderView {
                epoch: Epoch(7),
                leader: Some(CoordinatorId(1)),
            },
            job: None,
            chain,
        })
    };
    let mut buf = [0u8; 16];
    assert_eq!(
        hb(ChainHealth::Down).encode(&mut buf).unwrap(),
        &[0, 7, 1, 1, 0, 2]
    );
    for (chain, byte) in [
        (ChainHealth::Unknown, 0),
        (ChainHealth::Up, 1),
        (ChainHealth::Down, 2),
    ] {
        assert_eq!(hb(chain).encode(&mut buf).unwrap()[5], byte);
    }
    // Version 1's request, without the field, is refused, not misread.
    assert_eq!(Message::decode(&[0, 7, 1, 1, 0]), Err(BodyError::Malformed));
    assert_eq!(
        Message::decode(&[0, 7, 1, 1, 0, 3]),
        Err(BodyError::Malformed)
    );
}

#[test]
fn the_vote_messages_take_the_next_indices() {
    // docs/wire-format.md walks through these bytes.
    let job = JobRef {
        epoch: Epoch(3),
        job: JobId(300),
    };
    let header = GENESIS.header();
    let request = Message::VoteRequest(VoteRequest {
        job,
        header: HeaderBytes::from(header),
        zero_bits: 32,
    });
    let mut buf = [0u8; 128];
    let bytes = request.encode(&mut buf).unwrap();
    assert_eq!(&bytes[..4], &[8, 3, 0xac, 0x02]);
    assert_eq!(&bytes[4..84], &header.to_bytes());
    assert_eq!(&bytes[84..], &[32]);
    let Message::VoteRequest(r) = request else {
        unreachable!()
    };
    assert_eq!(r.nonce(), GENESIS.nonce);

    let reply = |vote| {
        Message::VoteReply(VoteReply {
            job,
            nonce: 300,
            vote,
        })
    };
    assert_eq!(
        reply(Vote::Yes).encode(&mut buf).unwrap(),
        &[9, 3, 0xac, 0x02, 0xac, 0x02, 0]
    );
    for (vote, byte) in [
        (Vote::Yes, 0),
        (Vote::BadWork, 1),
        (Vote::StaleJob, 2),
        (Vote::OtherHeader, 3),
        (Vote::NotLeader, 4),
    ] {
        assert_eq!(reply(vote).encode(&mut buf).unwrap()[6], byte);
    }
    assert_eq!(
        Message::decode(&[9, 3, 0xac, 0x02, 0xac, 0x02, 5]),
        Err(BodyError::Malformed),
        "an unknown verdict is refused"
    );
}

/// The layout the four work messages had when they carried `epoch` and
/// `job` as two loose fields: `JobRef` must encode to exactly these bytes.
mod loose_fields {
    use serde::{Deserialize, Serialize};

    use crate::ids::{Epoch, JobId};
    use crate::kernel::Best;
    use crate::range::NonceRange;
    use crate::wire::{HeaderBytes, Recipe};

    #[derive(Serialize, Deserialize)]
    pub struct Process {
        pub epoch: Epoch,
        pub job: JobId,
        pub recipe: Recipe,
        pub header: HeaderBytes,
        pub zero_bits: u8,
        pub range: NonceRange,
    }

    #[derive(Serialize, Deserialize)]
    pub struct ProcessAnswerNo {
        pub epoch: Epoch,
        pub job: JobId,
        pub range: NonceRange,
        pub best: Best,
    }

    #[derive(Serialize, Deserialize)]
    pub struct ProcessAnswerYes {
        pub epoch: Epoch,
        pub job: JobId,
        pub range: NonceRange,
        pub nonce: u32,
    }

    #[derive(Serialize, Deserialize)]
    pub struct ProcessInterrupt {
        pub epoch: Epoch,
        pub job: JobId,
    }

    /// Variants 0 and 1 stand in for the unchanged messages before them, so
    /// the four keep their indices (2 to 5).
    #[derive(Serialize, Deserialize)]
    pub enum Message {
        HeartbeatRequest(()),
        HeartbeatReply(()),
        Process(Process),
        ProcessAnswerNo(ProcessAnswerNo),
        ProcessAnswerYes(ProcessAnswerYes),
        ProcessInterrupt(ProcessInterrupt),
    }
}

fn loose_bytes(msg: &loose_fields::Message) -> std::vec::Vec<u8> {
    let mut buf = [0u8; 256];
    postcard::to_slice(msg, &mut buf).unwrap().to_vec()
}

proptest! {
    #[test]
    fn job_refs_encode_as_the_loose_epoch_and_job_fields(
        epoch in any::<u32>(),
        job in any::<u32>(),
        first in any::<u32>(),
        len in 0u32..1000,
        nonce in any::<u32>(),
        zero_bits in any::<u8>(),
    ) {
        let last = first.saturating_add(len);
        let range = NonceRange::new(first, last).unwrap();
        let job_ref = JobRef { epoch: Epoch(epoch), job: JobId(job) };
        let header = HeaderBytes(GENESIS.template());
        let best = Best { nonce, zero_bits };
        let pairs = [
            (
                Message::Process(Process {
                    job: job_ref,
                    recipe: Recipe::SHA256D,
                    header,
                    zero_bits,
                    range,
                }),
                loose_fields::Message::Process(loose_fields::Process {
                    epoch: Epoch(epoch),
                    job: JobId(job),
                    recipe: Recipe::SHA256D,
                    header,
                    zero_bits,
                    range,
                }),
            ),
            (
                Message::ProcessAnswerNo(ProcessAnswerNo { job: job_ref, range, best }),
                loose_fields::Message::ProcessAnswerNo(loose_fields::ProcessAnswerNo {
                    epoch: Epoch(epoch),
                    job: JobId(job),
                    range,
                    best,
                }),
            ),
            (
                Message::ProcessAnswerYes(ProcessAnswerYes { job: job_ref, range, nonce }),
                loose_fields::Message::ProcessAnswerYes(loose_fields::ProcessAnswerYes {
                    epoch: Epoch(epoch),
                    job: JobId(job),
                    range,
                    nonce,
                }),
            ),
            (
                Message::ProcessInterrupt(ProcessInterrupt { job: job_ref }),
                loose_fields::Message::ProcessInterrupt(loose_fields::ProcessInterrupt {
                    epoch: Epoch(epoch),
                    job: JobId(job),
                }),
            ),
        ];
        for (msg, loose) in pairs {
            let old = loose_bytes(&loose);
            let mut buf = [0u8; 256];
            prop_assert_eq!(msg.encode(&mut buf).unwrap(), &old[..]);
            prop_assert_eq!(Message::decode(&old), Ok(msg));
        }
    }
}

#[test]
fn empty_ranges_and_trailing_bytes_are_refused() {
    let msg = samples()[5];
    let mut buf = [0u8; 64];
    let n = msg.encode(&mut buf).unwrap().len();
    assert_eq!(
        Message::decode(&buf[..n + 1]),
        Err(BodyError::TrailingBytes)
    );
    // ProcessInterrupt's fields reinterpreted as a ProcessAnswerYes with an
    // inverted range: index 4, epoch 0, job 0, first 9, last 8, nonce 0.
    assert_eq!(
        Message::decode(&[4, 0, 0, 9, 8, 0]),
        Err(BodyError::Malformed)
    );
    assert_eq!(Message::decode(&[]), Err(BodyError::Malformed));
    assert_eq!(Message::decode(&[8]), Err(BodyError::Malformed));
}

#[test]
fn a_small_buffer_is_an_error_not_a_panic() {
    let mut tiny = [0u8; 10];
    assert_eq!(samples()[2].encode(&mut tiny), Err(BodyError::TooLarge));
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Message::decode(&bytes);
    }

    #[test]
    fn truncations_of_valid_messages_are_refused(cut in 0usize..120, which in 0usize..10) {
        let msg = samples()[which];
        let mut buf = [0u8; 256];
        let n = msg.encode(&mut buf).unwrap().len();
        if cut < n {
            prop_assert!(Message::decode(&buf[..cut]).is_err());
        }
    }
}
