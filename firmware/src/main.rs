//! Miner firmware for the Raspberry Pi Pico W (RP2040) and Pico 2 W
//! (RP2350): joins Wi-Fi, finds the coordinators, and mines the ranges the
//! leader hands out on both cores.
//!
//! Core 0 runs the executor: the Wi-Fi driver, the network stack, the miner
//! task (`miner_driver::run`, the `protocol` state machine) and, in the time
//! they leave, one scan worker. Core 1 runs the other scan worker (on the
//! RP2350, driving the SHA-256 accelerator). The settings come from the
//! environment at build time (see `config`).
#![no_std]
#![no_main]

mod board;
mod config;
mod mining;
#[cfg(chip = "rp2350")]
mod sha256_accel;
mod wifi;

use defmt::{error, info};
use embassy_executor::Spawner;
use miner_driver::{NodeConfig, StatusSignal};
use protocol::wire::Fault;
use static_cell::StaticCell;
use {defmt_rtt as _, panic_probe as _};

/// The miner's status, from the miner task to the LED.
static STATUS: StatusSignal = StatusSignal::new();
static NODE: StaticCell<NodeConfig<'static>> = StaticCell::new();

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let board = board::init();
    let id = board.identity;
    info!(
        "pico-miner {} on {}: miner id {} ({}), boot id {:08x}",
        env!("CARGO_PKG_VERSION"),
        board::NAME,
        id.miner.0,
        if config::MINER_ID.is_some() {
            "MINER_ID"
        } else {
            "from the unique id"
        },
        id.boot.0
    );
    info!("unique id {:016x}", id.unique);

    let kernel = mining::self_test();
    let core1 = mining::core1_scanner();
    let (stack, control) = wifi::start(spawner, board.wifi, id.seed).await;
    spawner.spawn(wifi::link_task(control, stack, &STATUS).expect("link task spawns once"));

    let mut node = NodeConfig::new(
        config::cluster_key(),
        config::miner_config(id.miner),
        config::coordinators(),
        id.boot,
    );
    match kernel {
        Ok(kernel) => mining::start_workers(spawner, board.core1, kernel, core1),
        Err(e) => {
            error!(
                "{}: this board does not mine, and reports the fault to the coordinator",
                e
            );
            node.fault = Some(Fault::SelfTestFailed);
        }
    }
    let node = NODE.init(node);
    spawner.spawn(mining::miner_task(stack, node, &STATUS).expect("miner task spawns once"));
}
