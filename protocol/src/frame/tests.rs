extern crate std;

use proptest::prelude::*;

use super::*;
use crate::ids::{Epoch, JobId, JobRef};
use crate::wire::ProcessInterrupt;

const MINER: NodeId = NodeId::Miner(MinerId(77));
const LEADER: NodeId = NodeId::Coordinator(CoordinatorId(1));

fn key(b: u8) -> ClusterKey {
    ClusterKey::from_bytes([b; 32])
}

fn interrupt() -> Message {
    Message::ProcessInterrupt(ProcessInterrupt {
        job: JobRef {
            epoch: Epoch(2),
            job: JobId(5),
        },
    })
}

fn sealed(sealer: &mut Sealer, msg: &Message) -> std::vec::Vec<u8> {
    let mut buf = [0u8; MAX_FRAME];
    let n = sealer.seal(msg, &mut buf).unwrap();
    buf[..n].to_vec()
}

#[test]
fn every_message_seals_within_the_limit_and_opens() {
    let mut sealer = Sealer::new(&key(1), MINER, BootId(3));
    let mut opener = Opener::<8>::new(&key(1), LEADER);
    for (i, msg) in crate::wire::tests::samples().iter().enumerate() {
        let frame = sealed(&mut sealer, msg);
        assert!(frame.len() <= MAX_FRAME);
        let opened = opener.open(&frame).unwrap();
        assert_eq!(opened.sender, MINER);
        assert_eq!(opened.boot, BootId(3));
        assert_eq!(opened.counter, i as u64);
        assert_eq!(opened.message, *msg);
    }
}

#[test]
fn each_failure_has_its_own_error() {
    let mut sealer = Sealer::new(&key(1), MINER, BootId(3));
    let mut opener = Opener::<8>::new(&key(1), LEADER);
    let frame = sealed(&mut sealer, &interrupt());

    assert_eq!(opener.open(&frame[..10]), Err(FrameError::TooShort));
    assert_eq!(opener.open(&[0u8; MAX_FRAME + 1]), Err(FrameError::TooLong));

    // Version 1, before `HeartbeatRequest.chain` was appended.
    let mut v1 = frame.clone();
    v1[0] = 1;
    assert_eq!(opener.open(&v1), Err(FrameError::Version(1)));

    let mut kind = frame.clone();
    kind[1] = 9;
    assert_eq!(opener.open(&kind), Err(FrameError::Sender));

    let mut tampered = frame.clone();
    tampered[HEADER_LEN] ^= 1;
    assert_eq!(opener.open(&tampered), Err(FrameError::BadTag));

    let mut wrong_key = Opener::<8>::new(&key(2), LEADER);
    assert_eq!(wrong_key.open(&frame), Err(FrameError::BadTag));

    let mut as_self = Opener::<8>::new(&key(1), MINER);
    assert_eq!(as_self.open(&frame), Err(FrameError::Reflected));

    assert!(opener.open(&frame).is_ok());
    assert_eq!(
        opener.open(&frame),
        Err(FrameError::Replay(ReplayError::Duplicate))
    );
}

#[test]
fn an_authenticated_bad_body_is_refused_without_touching_the_window() {
    // Build a frame by hand whose body is garbage but whose tag is right.
    let h = hmac::Hmac::new(&key(1));
    let mut frame = std::vec![
        VERSION, 1, 77, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xee
    ];
    let tag = h.tag(&frame);
    frame.extend_from_slice(&tag);
    let mut opener = Opener::<8>::new(&key(1), LEADER);
    assert_eq!(
        opener.open(&frame),
        Err(FrameError::Body(BodyError::Malformed))
    );
    // Counter 0 of that boot is still free for a real frame.
    let mut sealer = Sealer::new(&key(1), MINER, BootId(3));
    assert!(opener.open(&sealed(&mut sealer, &interrupt())).is_ok());
}

#[test]
fn a_rebooted_sender_is_heard_again() {
    let mut opener = Opener::<8>::new(&key(1), LEADER);
    let mut before = Sealer::new(&key(1), MINER, BootId(10));
    let old: std::vec::Vec<_> = (0..5).map(|_| sealed(&mut before, &interrupt())).collect();
    for f in &old {
        opener.open(f).unwrap();
    }
    // Reboot: a new boot id, counter back at zero.
    let mut after = Sealer::new(&key(1), MINER, BootId(11));
    opener.open(&sealed(&mut after, &interrupt())).unwrap();
    opener.open(&sealed(&mut after, &interrupt())).unwrap();
    // Recordings from before the reboot are refused.
    assert_eq!(
        opener.open(&old[4]),
        Err(FrameError::Replay(ReplayError::RetiredBoot))
    );
}

#[test]
fn coordinator_ids_are_range_checked() {
    let mut opener = Opener::<8>::new(&key(1), MINER);
    for bad in [0u32, 70_000] {
        let h = hmac::Hmac::new(&key(1));
        let mut frame = std::vec![VERSION, 0];
        frame.extend_from_slice(&bad.to_le_bytes());
        frame.extend_from_slice(&[0; 12]);
        frame.extend_from_slice(&[5, 0, 0]);
        let tag = h.tag(&frame);
        frame.extend_from_slice(&tag);
        assert_eq!(opener.open(&frame), Err(FrameError::Sender));
    }
}

proptest! {
    #[test]
    fn arbitrary_datagrams_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..260)) {
        let mut opener = Opener::<4>::new(&key(1), LEADER);
        prop_assert!(opener.open(&bytes).is_err());
    }

    #[test]
    fn any_single_bit_flip_is_refused(bit in 0usize..(8 * 60)) {
        let mut sealer = Sealer::new(&key(1), MINER, BootId(3));
        let frame = sealed(&mut sealer, &interrupt());
        let bit = bit % (8 * frame.len());
        let mut flipped = frame.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        let mut opener = Opener::<4>::new(&key(1), LEADER);
        prop_assert!(opener.open(&flipped).is_err());
        prop_assert!(opener.open(&frame).is_ok());
    }
}

#[test]
fn every_cause_has_its_own_name_and_counter_slot() {
    let all = [
        FrameError::TooShort,
        FrameError::TooLong,
        FrameError::Version(9),
        FrameError::Sender,
        FrameError::BadTag,
        FrameError::Reflected,
        FrameError::Body(BodyError::Malformed),
        FrameError::Replay(ReplayError::Duplicate),
        FrameError::Replay(ReplayError::TooOld),
        FrameError::Replay(ReplayError::RetiredBoot),
    ];
    assert_eq!(all.len(), FrameError::KINDS.len());
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e.index(), i);
        assert_eq!(e.kind(), FrameError::KINDS[i]);
    }
}
