//! The firmware's miner task on the host.
//!
//! The boards run `miner_driver::run` on an embassy-net stack over the
//! CYW43439; this runs the same function on an embassy-net stack over a TAP
//! device, with embassy's std executor and clock, and two scan workers on
//! their own threads (the boards' two cores). Everything above the network
//! driver is the firmware's code: socket, frames, protocol state machine,
//! step splitting, re-registration after outages.
//!
//! The TAP device must exist and be up, e.g. in a network namespace:
//! `ip tuntap add dev tap0 mode tap && ip addr add 10.42.0.1/24 dev tap0 &&
//! ip link set tap0 up`, then `host-miner --tap tap0 --address 10.42.0.2/24
//! --key-file cluster.key`. `scripts/host-miner-test` does this.

mod args;
mod random;

use embassy_executor::{Executor, Spawner};
use embassy_net::{Ipv4Cidr, Stack, StackResources, StaticConfigV4};
use embassy_net_tuntap::TunTapDevice;
use log::{error, info};
use miner_driver::{NodeConfig, ScanPool, Status, StatusSignal};
use protocol::MinerId;
use protocol::kernel::{self, Kernel};
use protocol::miner::MinerConfig;
use protocol::wire::{Fault, WireAddr};
use static_cell::StaticCell;

/// One worker per thread, as the boards have one per core.
const WORKERS: usize = 2;

static POOL: StaticCell<ScanPool<WORKERS>> = StaticCell::new();
static STATUS: StatusSignal = StatusSignal::new();
static RESOURCES: StaticCell<StackResources<2>> = StaticCell::new();
static NODE: StaticCell<NodeConfig<'static>> = StaticCell::new();
static COORDINATORS: StaticCell<Vec<WireAddr>> = StaticCell::new();
static EXECUTOR: StaticCell<Executor> = StaticCell::new();

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let args = args::parse(std::env::args_os()).unwrap_or_else(|e| e.exit());
    let mut device = match TunTapDevice::new(&args.tap) {
        Ok(d) => d,
        Err(e) => {
            eprintln!(
                "host-miner: cannot open TAP device {:?}: {e} (does it exist? are you root?)",
                args.tap
            );
            std::process::exit(1);
        }
    };
    // A locally administered unicast MAC carrying the miner id.
    let id = args.id.to_be_bytes();
    device.set_hardware_address([0x02, 0x4d, id[0], id[1], id[2], id[3]]);

    let drawn = match random::draw() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("host-miner: the operating system's random source failed: {e}");
            std::process::exit(1);
        }
    };
    let config = embassy_net::Config::ipv4_static(StaticConfigV4 {
        address: Ipv4Cidr::new(args.address, args.prefix),
        gateway: args.gateway,
        dns_servers: Default::default(),
    });
    let (stack, runner) = embassy_net::new(
        device,
        config,
        RESOURCES.init(StackResources::new()),
        drawn.seed,
    );

    let kernel = Kernel::detect();
    let fault = match kernel::self_test(&kernel) {
        Ok(()) => None,
        Err(e) => {
            error!("{e}: not mining");
            Some(Fault::SelfTestFailed)
        }
    };
    let coordinators = COORDINATORS.init(
        args.coordinators
            .iter()
            .map(|a| WireAddr::from(std::net::SocketAddr::V4(*a)))
            .collect(),
    );
    let miner = MinerConfig {
        step: args.step,
        ..MinerConfig::with_heartbeat(MinerId(args.id), args.heartbeat)
    };
    let mut node = NodeConfig::new(args.key.clone(), miner, coordinators, drawn.boot);
    node.fault = fault;
    node.discovery_port = args.discovery_port;
    node.report_every = args.report;
    let node: &'static NodeConfig<'static> = NODE.init(node);
    let pool: &'static ScanPool<WORKERS> = POOL.init(ScanPool::new(args.chunk));

    if fault.is_none() {
        for index in 0..WORKERS {
            std::thread::Builder::new()
                .name(format!("worker{index}"))
                .spawn(move || {
                    let executor: &'static mut Executor = Box::leak(Box::new(Executor::new()));
                    executor.run(|spawner| {
                        spawner
                            .spawn(worker(pool, index, kernel).expect("one worker task per thread"))
                    })
                })
                .expect("spawn a worker thread");
        }
    }
    info!(
        "host-miner: miner {} on {} at {}/{}",
        args.id, args.tap, args.address, args.prefix
    );
    EXECUTOR.init(Executor::new()).run(|spawner: Spawner| {
        spawner.spawn(net_task(runner).expect("network task spawns once"));
        spawner.spawn(miner_task(stack, node, pool).expect("miner task spawns once"));
        spawner.spawn(status_task().expect("status task spawns once"));
    });
}

#[embassy_executor::task]
async fn net_task(mut runner: embassy_net::Runner<'static, TunTapDevice>) -> ! {
    runner.run().await
}

#[embassy_executor::task]
async fn miner_task(
    stack: Stack<'static>,
    node: &'static NodeConfig<'static>,
    pool: &'static ScanPool<WORKERS>,
) -> ! {
    miner_driver::run(stack, node, pool, &STATUS).await
}

#[embassy_executor::task(pool_size = WORKERS)]
async fn worker(pool: &'static ScanPool<WORKERS>, index: usize, kernel: Kernel) -> ! {
    pool.work(index, kernel).await
}

/// What a board's LED would show, as log lines.
#[embassy_executor::task]
async fn status_task() -> ! {
    loop {
        let s: Status = STATUS.wait().await;
        info!("status: {s:?}");
    }
}
