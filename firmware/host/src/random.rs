//! This process's random numbers: its boot id and the network stack's seed,
//! drawn once at start from the operating system's source.
//!
//! The policy is the coordinator's (`coordinator/src/random.rs`): the
//! operating system's source only, and no fallback. If it fails, host-miner
//! does not start: a boot id from the clock or left at zero could repeat
//! after a restart, and coordinators would take the new frames for replays.

use protocol::BootId;

/// What one start draws.
#[derive(Clone, Copy, Debug)]
pub struct Drawn {
    /// Carried in every frame (see `protocol::BootId`).
    pub boot: BootId,
    /// For the network stack (ports, DHCP transaction ids).
    pub seed: u64,
}

/// Draws them.
pub fn draw() -> Result<Drawn, getrandom::Error> {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b)?;
    let [b0, b1, b2, b3, s @ ..] = b;
    Ok(Drawn {
        boot: BootId(u32::from_le_bytes([b0, b1, b2, b3])),
        seed: u64::from_le_bytes(s),
    })
}
