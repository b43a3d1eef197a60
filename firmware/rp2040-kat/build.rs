//! The Pico W's memory layout (the board image's own `memory-rp2040.x`):
//! code and constants in XIP flash from 0x1000_0100, `.data` (the Thumb-1
//! kernel included) copied to SRAM at start-up, core 0's stack at the top of
//! SRAM. Written to OUT_DIR, never the crate root.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = env::var("TARGET").expect("cargo sets TARGET");
    if target != "thumbv6m-none-eabi" {
        panic!("rp2040-kat runs on the RP2040 (thumbv6m-none-eabi), not {target}");
    }
    fs::write(
        out.join("memory.x"),
        include_str!("../build/memory-rp2040.x"),
    )
    .expect("write memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=--nmagic");
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    println!("cargo:rerun-if-changed=../build/memory-rp2040.x");
    println!("cargo:rerun-if-changed=build.rs");
}
