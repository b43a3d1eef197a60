//! The board's hardware: which chip, its pins, its unique id and its random
//! numbers. Everything chip-specific is here, chosen by the `chip` cfg that
//! build.rs sets from the target.

use embassy_rp::Peri;
use embassy_rp::peripherals::{CORE1, DMA_CH0, PIN_23, PIN_24, PIN_25, PIN_29, PIO0};
use embassy_rp::{bind_interrupts, dma, pio};
use protocol::{BootId, MinerId};

use crate::config;

#[cfg(chip = "rp2040")]
/// The board, for the logs.
pub const NAME: &str = "Pico W (RP2040)";
#[cfg(chip = "rp2350")]
/// The board, for the logs.
pub const NAME: &str = "Pico 2 W (RP2350)";

#[cfg(chip = "rp2040")]
bind_interrupts!(pub struct Irqs {
    PIO0_IRQ_0 => pio::InterruptHandler<PIO0>;
    DMA_IRQ_0 => dma::InterruptHandler<DMA_CH0>;
});

#[cfg(chip = "rp2350")]
bind_interrupts!(pub struct Irqs {
    PIO0_IRQ_0 => pio::InterruptHandler<PIO0>;
    DMA_IRQ_0 => dma::InterruptHandler<DMA_CH0>;
    TRNG_IRQ => embassy_rp::trng::InterruptHandler<embassy_rp::peripherals::TRNG>;
});

/// The CYW43439's wiring, the same on both boards: power on GPIO23, SPI
/// data on GPIO24, chip select on GPIO25, clock on GPIO29, driven by PIO0
/// with one DMA channel.
#[derive(Debug)]
pub struct WifiPins {
    pub pwr: Peri<'static, PIN_23>,
    pub dio: Peri<'static, PIN_24>,
    pub cs: Peri<'static, PIN_25>,
    pub clk: Peri<'static, PIN_29>,
    pub pio: Peri<'static, PIO0>,
    pub dma: Peri<'static, DMA_CH0>,
}

/// Who this board is in this boot.
#[derive(Clone, Copy, Debug)]
pub struct Identity {
    /// `MINER_ID`, or derived from the unique id.
    pub miner: MinerId,
    /// Random per boot.
    pub boot: BootId,
    /// Random per boot, for the network stack (ports, DHCP transaction ids).
    pub seed: u64,
    /// The flash chip's (RP2040) or the chip's (RP2350) 64-bit unique id.
    pub unique: u64,
}

/// The board, split into what each part of the firmware owns.
#[derive(Debug)]
pub struct Board {
    pub wifi: WifiPins,
    pub core1: Peri<'static, CORE1>,
    pub identity: Identity,
}

/// Brings the chip up. Reads the unique id first: on the RP2040 that stops
/// execute-in-place for a moment, which must happen before core 1 runs.
pub fn init() -> Board {
    let p = embassy_rp::init(Default::default());

    #[cfg(chip = "rp2040")]
    let (unique, random) = {
        let mut flash = embassy_rp::flash::Flash::<
            _,
            embassy_rp::flash::Blocking,
            { 2 * 1024 * 1024 },
        >::new_blocking(p.FLASH);
        let mut uid = [0u8; 8];
        if let Err(e) = flash.blocking_unique_id(&mut uid) {
            defmt::warn!(
                "cannot read the flash unique id ({}); miner id falls back to 0",
                e
            );
        }
        // The ring oscillator's random bit (ROSC RANDOMBIT), which runs in
        // embassy's default clock configuration.
        let mut random = [0u8; RANDOM_BYTES];
        embassy_rp::clocks::RoscRng.fill_bytes(&mut random);
        (u64::from_be_bytes(uid), random)
    };

    #[cfg(chip = "rp2350")]
    let (unique, random) = {
        let unique = embassy_rp::otp::get_chipid().unwrap_or_else(|e| {
            defmt::warn!(
                "cannot read the chip id from OTP ({}); miner id falls back to 0",
                e
            );
            0
        });
        // The true random number generator.
        let mut trng =
            embassy_rp::trng::Trng::new(p.TRNG, Irqs, embassy_rp::trng::Config::default());
        let mut random = [0u8; RANDOM_BYTES];
        trng.blocking_fill_bytes(&mut random);
        (unique, random)
    };
    let (boot, seed) = split_random(random);

    Board {
        wifi: WifiPins {
            pwr: p.PIN_23,
            dio: p.PIN_24,
            cs: p.PIN_25,
            clk: p.PIN_29,
            pio: p.PIO0,
            dma: p.DMA_CH0,
        },
        core1: p.CORE1,
        identity: Identity {
            miner: config::MINER_ID.map_or_else(|| miner_id_from(unique), MinerId),
            boot,
            seed,
            unique,
        },
    }
}

/// Random bytes drawn at each boot: 4 for the boot id, 8 for the network
/// stack's seed.
const RANDOM_BYTES: usize = 12;

/// The boot id and the network seed from the chip's random bytes.
///
/// They come from the chip only (the host's policy, in
/// `coordinator/src/random.rs`, holds here too): never from a clock, never
/// a constant. A source that is stuck (every byte alike: a stopped ring
/// oscillator reads as all zeros or all ones; by chance, one boot in
/// 2^88) is a fault the board cannot work around, since a boot id that
/// repeats makes coordinators take its frames for replays after every
/// restart: the board stops here, with the reason in its log.
fn split_random(random: [u8; RANDOM_BYTES]) -> (BootId, u64) {
    if random.iter().all(|&b| b == random[0]) {
        panic!("the chip's random source is stuck: no boot id can be drawn");
    }
    let [b0, b1, b2, b3, s @ ..] = random;
    (
        BootId(u32::from_le_bytes([b0, b1, b2, b3])),
        u64::from_le_bytes(s),
    )
}

/// The default miner id: the unique id's two 32-bit halves XORed together.
pub fn miner_id_from(unique: u64) -> MinerId {
    // Both halves fit u32 by construction.
    MinerId((unique >> 32) as u32 ^ unique as u32)
}
