//! Link arguments and memory layout for the board the target names, and the
//! build-time configuration (Wi-Fi, cluster key, ids, coordinators) checked
//! and turned into Rust constants. See `build/config.rs`.

#[path = "build/config.rs"]
mod config;
#[path = "build/nvram.rs"]
mod nvram;

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = env::var("TARGET").expect("cargo sets TARGET");

    // The memory layout goes to OUT_DIR, never the crate root: a memory.x
    // there would shadow this one.
    let (chip, memory, chip_script) = match target.as_str() {
        "thumbv6m-none-eabi" => (
            "rp2040",
            include_str!("build/memory-rp2040.x"),
            Some("-Tlink-rp.x"),
        ),
        "thumbv8m.main-none-eabihf" => ("rp2350", include_str!("build/memory-rp2350.x"), None),
        other => panic!(
            "pico-miner builds for thumbv6m-none-eabi (Pico W) or \
             thumbv8m.main-none-eabihf (Pico 2 W), not {other}"
        ),
    };
    println!("cargo::rustc-check-cfg=cfg(chip, values(\"rp2040\", \"rp2350\"))");
    println!("cargo:rustc-cfg=chip=\"{chip}\"");

    fs::write(out.join("memory.x"), memory).expect("write memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=build");

    println!("cargo:rustc-link-arg-bins=--nmagic");
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    if let Some(script) = chip_script {
        println!("cargo:rustc-link-arg-bins={script}");
    }
    println!("cargo:rustc-link-arg-bins=-Tdefmt.x");

    fs::write(
        out.join("nvram.bin"),
        nvram::encode(include_str!("build/nvram-43439-picow.txt")),
    )
    .expect("write nvram.bin");
    fs::write(out.join("config.rs"), config::generate()).expect("write config.rs");
}
