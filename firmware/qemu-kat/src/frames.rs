//! The measured frame phases: [`FRAMES`] frames sealed, then opened, for a
//! `Process` (the largest frame a miner receives: two blocks of HMAC input
//! after the key's pad) and a `HeartbeatReply` (the most frequent one, a
//! miner's status: one block). `scripts/qemu-count` reports instructions
//! per frame for each phase: HMAC-SHA256, postcard, the replay window.

use cortex_m_semihosting::hprintln;
use protocol::frame::{MAX_FRAME, Opener, Sealer};
use protocol::vectors::GENESIS;
use protocol::wire::{
    HeaderBytes, HeartbeatReply, LeaderView, Message, MinerKind, MinerState, Process,
    ProcessRequest, Recipe,
};
use protocol::{
    BootId, ClusterKey, CoordinatorId, Epoch, JobId, JobRef, MinerId, NodeId, NonceRange,
};

/// Frames per measured phase.
pub const FRAMES: usize = 8;

/// Runs the four phases after the `phase` marks made so far. Each is
/// marked at its start and its end (the phase after it, unnamed, holds the
/// next announcement), so it counts only its frames. Returns the number of
/// marks made. Out of line: its buffers are on the stack only while it
/// runs (the micro:bit has 16 KiB of RAM).
#[inline(never)]
pub fn bench(mut phase: u32, mark: fn(u32)) -> u32 {
    // Ends the last scan's phase: what follows sets up, unmeasured.
    phase += 1;
    mark(phase);
    let key = ClusterKey::from_bytes([0x5a; 32]);
    let leader = NodeId::Coordinator(CoordinatorId(1));
    let miner = NodeId::Miner(MinerId(7));
    let job = JobRef {
        epoch: Epoch(3),
        job: JobId(41),
    };
    let Ok(range) = NonceRange::new(1_000_000, 1_099_999) else {
        return phase;
    };
    let process = Message::Process(Process {
        job,
        recipe: Recipe::SHA256D,
        header: HeaderBytes(GENESIS.template()),
        zero_bits: 28,
        range,
    });
    let status = Message::HeartbeatReply(HeartbeatReply {
        view: LeaderView {
            epoch: Epoch(3),
            leader: Some(CoordinatorId(1)),
        },
        hashrate: 40_000,
        miner: Some(MinerState::Mining(job)),
        request: Some(ProcessRequest { slots: 1 }),
        kind: Some(MinerKind::RP2040),
    });
    // The leader seals work for the miner; the miner seals its status.
    let kinds = [
        ("process", process, leader, miner),
        ("heartbeat-reply", status, miner, leader),
    ];
    for (name, message, from, to) in kinds {
        let mut sealer = Sealer::new(&key, from, BootId(0x0bad_cafe));
        let mut opener = Opener::<4>::new(&key, to);
        let mut frames = [[0u8; MAX_FRAME]; FRAMES];
        let mut lens = [0usize; FRAMES];

        phase += 1;
        hprintln!(
            "bench phase {} frame seal-{} frames {}",
            phase,
            name,
            FRAMES
        );
        mark(phase);
        for (frame, len) in frames.iter_mut().zip(lens.iter_mut()) {
            *len = core::hint::black_box(sealer.seal(&message, frame)).unwrap_or(0);
        }
        phase += 1;
        mark(phase);

        phase += 1;
        hprintln!(
            "bench phase {} frame open-{} frames {}",
            phase,
            name,
            FRAMES
        );
        mark(phase);
        let mut opened = 0;
        for (frame, &len) in frames.iter().zip(&lens) {
            let bytes = frame.get(..len).unwrap_or(&[]);
            if core::hint::black_box(opener.open(bytes)).is_ok() {
                opened += 1;
            }
        }
        phase += 1;
        mark(phase);
        if opened != FRAMES {
            hprintln!(
                "bench frames: only {} of {} {} frames opened",
                opened,
                FRAMES,
                name
            );
        }
    }
    phase
}
