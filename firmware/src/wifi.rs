//! The CYW43439: bring-up, the network stack on top of it, joining the
//! access point (with retry, backoff and rejoin after the link drops), and
//! the LED, which hangs off the Wi-Fi chip's GPIO 0 on both boards.

use cyw43::{A4, Aligned, JoinOptions, PowerManagementMode};
use cyw43_pio::{DEFAULT_CLOCK_DIVIDER, PioSpi};
use defmt::{info, warn};
use embassy_executor::Spawner;
use embassy_futures::select::{Either3, select3};
use embassy_net::{Config, Stack, StackResources};
use embassy_rp::dma;
use embassy_rp::gpio::{Level, Output};
use embassy_rp::peripherals::PIO0;
use embassy_rp::pio::Pio;
use embassy_time::{Duration, Timer, with_timeout};
use miner_driver::{Status, StatusSignal};
use static_cell::StaticCell;

use crate::board::{Irqs, WifiPins};
use crate::config::{WIFI_PASSWORD, WIFI_SSID};

/// The Wi-Fi chip's firmware, from the `cyw43-firmware` crate.
static FIRMWARE: &Aligned<A4, [u8]> = &Aligned(*cyw43_firmware::CYW43_43439A0);
/// Its country/regulatory matrix.
static CLM: &[u8] = cyw43_firmware::CYW43_43439A0_CLM;
/// The board's NVRAM (build/nvram-43439-picow.txt, encoded by build.rs).
static NVRAM: &Aligned<A4, [u8]> =
    &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/nvram.bin")));

/// Sockets: DHCP and the miner's UDP socket.
const SOCKETS: usize = 2;
/// Delay before the first retry of a failed join; it doubles after each
/// failure, up to `MAX_RETRY`, and starts over after a success.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const MAX_RETRY: Duration = Duration::from_secs(60);
/// How long a fresh association may take to report the link up.
const LINK_UP_TIMEOUT: Duration = Duration::from_secs(10);
/// The LED's GPIO on the Wi-Fi chip.
const LED: u8 = 0;

type Spi = PioSpi<'static, PIO0, 0>;
type Runner = cyw43::Runner<'static, cyw43::SpiBus<Output<'static>, Spi>>;

static STATE: StaticCell<cyw43::State> = StaticCell::new();
static RESOURCES: StaticCell<StackResources<SOCKETS>> = StaticCell::new();

/// Powers the Wi-Fi chip, loads its firmware, and starts the driver and the
/// network stack (DHCPv4). Returns the stack and the chip's control handle.
pub async fn start(
    spawner: Spawner,
    pins: WifiPins,
    seed: u64,
) -> (Stack<'static>, cyw43::Control<'static>) {
    let pwr = Output::new(pins.pwr, Level::Low);
    let cs = Output::new(pins.cs, Level::High);
    let mut pio = Pio::new(pins.pio, Irqs);
    let spi = PioSpi::new(
        &mut pio.common,
        pio.sm0,
        DEFAULT_CLOCK_DIVIDER,
        pio.irq0,
        cs,
        pins.dio,
        pins.clk,
        dma::Channel::new(pins.dma, Irqs),
    );
    let state = STATE.init(cyw43::State::new());
    let (device, mut control, runner) = cyw43::new(state, pwr, spi, FIRMWARE, NVRAM).await;
    spawner.spawn(chip_task(runner).expect("chip task spawns once"));

    control.init(CLM).await;
    // Lowest latency: the board is powered and busy hashing anyway.
    control
        .set_power_management(PowerManagementMode::Performance)
        .await;

    let (stack, runner) = embassy_net::new(
        device,
        Config::dhcpv4(Default::default()),
        RESOURCES.init(StackResources::new()),
        seed,
    );
    spawner.spawn(net_task(runner).expect("network task spawns once"));
    (stack, control)
}

#[embassy_executor::task]
async fn chip_task(runner: Runner) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn net_task(mut runner: embassy_net::Runner<'static, cyw43::NetDriver<'static>>) -> ! {
    runner.run().await
}

/// Keeps the board on the access point: joins, retries with backoff (1 s
/// doubling to 1 min), rejoins whenever the link drops; meanwhile shows the
/// miner's status on the LED.
#[embassy_executor::task]
pub async fn link_task(
    mut control: cyw43::Control<'static>,
    stack: Stack<'static>,
    status: &'static StatusSignal,
) -> ! {
    let mut retry = FIRST_RETRY;
    let mut shown = Status::Joining;
    loop {
        // Steady on while joining: the chip is busy, no blinking.
        control.gpio_set(LED, true).await;
        info!("joining Wi-Fi network {}", WIFI_SSID);
        let options = if WIFI_PASSWORD.is_empty() {
            JoinOptions::new_open()
        } else {
            JoinOptions::new(WIFI_PASSWORD.as_bytes())
        };
        let joined = match control.join(WIFI_SSID, options).await {
            Ok(()) => with_timeout(LINK_UP_TIMEOUT, stack.wait_link_up())
                .await
                .is_ok(),
            Err(e) => {
                warn!("joining {} failed: {}", WIFI_SSID, e);
                false
            }
        };
        if !joined {
            warn!("retrying in {} s", retry.as_secs());
            Timer::after(retry).await;
            retry = (retry * 2).min(MAX_RETRY);
            continue;
        }
        retry = FIRST_RETRY;
        info!("joined {}; waiting for an address (DHCP)", WIFI_SSID);
        show_until_link_down(&mut control, stack, status, &mut shown).await;
        warn!("Wi-Fi link lost; rejoining");
        control.leave().await;
    }
}

/// Plays the LED pattern of the latest status until the link drops.
async fn show_until_link_down(
    control: &mut cyw43::Control<'static>,
    stack: Stack<'static>,
    status: &StatusSignal,
    shown: &mut Status,
) {
    'status: loop {
        for &(on, duration) in shown.pattern() {
            control.gpio_set(LED, on).await;
            match select3(
                stack.wait_link_down(),
                status.wait(),
                Timer::after(duration),
            )
            .await
            {
                Either3::First(()) => return,
                Either3::Second(new) => {
                    *shown = new;
                    continue 'status;
                }
                Either3::Third(()) => {}
            }
        }
    }
}
