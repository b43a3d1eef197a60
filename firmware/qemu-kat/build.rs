//! Memory layout of the emulated board the target runs on: the micro:bit
//! (nRF51, Cortex-M0) for thumbv6m, the MPS2 AN505 (Cortex-M33) for
//! thumbv8m.main. Written to OUT_DIR, never the crate root.

use std::env;
use std::fs;
use std::path::PathBuf;

/// Places the Thumb-1 kernel's section in flash, ahead of `.data`.
const KERNEL_IN_FLASH: &str = "SECTIONS {
  .kernel_text : ALIGN(4) { *(.data.protocol_sha256d_armv6m*) } > FLASH
} INSERT AFTER .text;
";

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let target = env::var("TARGET").expect("cargo sets TARGET");
    let memory = match target.as_str() {
        // nRF51822: 256 KiB flash at 0, 16 KiB RAM.
        "thumbv6m-none-eabi" => {
            "MEMORY {\n  FLASH : ORIGIN = 0x00000000, LENGTH = 256K\n  RAM : ORIGIN = 0x20000000, LENGTH = 16K\n}\n"
        }
        // AN505, secure state: the 4 MiB code SRAM through its secure alias
        // at 0x1000_0000, where QEMU looks for the vector table; a 2 MiB
        // data SRAM through its secure alias at 0x3800_0000.
        "thumbv8m.main-none-eabihf" => {
            "MEMORY {\n  FLASH : ORIGIN = 0x10000000, LENGTH = 4M\n  RAM : ORIGIN = 0x38000000, LENGTH = 2M\n}\n"
        }
        other => {
            panic!("qemu-kat runs on thumbv6m-none-eabi or thumbv8m.main-none-eabihf, not {other}")
        }
    };
    fs::write(out.join("memory.x"), memory).expect("write memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    if target == "thumbv6m-none-eabi" {
        // The Cortex-M0+ kernel is linked into a .data section so that a
        // board runs it from RAM; its 12 KiB would leave the micro:bit's
        // 16 KiB too little stack, so here it stays in flash (the same
        // instructions, and QEMU's flash has no wait states either).
        fs::write(out.join("kernel-in-flash.x"), KERNEL_IN_FLASH).expect("write kernel-in-flash.x");
        println!("cargo:rustc-link-arg-bins=-Tkernel-in-flash.x");
    }
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
    println!("cargo:rerun-if-changed=build.rs");
}
