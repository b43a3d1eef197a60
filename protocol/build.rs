//! Chooses the target-specific kernel backends and writes their assembly.
//!
//! On Arm M-profile targets the kernel has hand-scheduled Thumb backends:
//! fully unrolled double hashes, too long and too regular to write by hand,
//! so they are generated here (see `build/`) into `OUT_DIR` and included by
//! `global_asm!` in the backend modules. This script sets the `thumb_kernel`
//! cfg that compiles them in:
//!
//! - `v6m`: the Thumb-1 backend tuned for the Cortex-M0+ (eight low
//!   registers, rotates by register only); also used on the other cores
//!   without the ARMv8-M mainline backend (ARMv7-M, ARMv8-M baseline);
//! - `v8m`: the Thumb-2 backend tuned for the Cortex-M33 (thirteen
//!   registers, rotates folded into other operations).
//!
//! On x86-64 it writes the SHA-NI backend's steps (`build/sha_ni.rs`), one
//! per form, each the body of an `asm!` block that `src/kernel/sha_ni.rs`
//! includes. Elsewhere
//! it does nothing.

#[path = "build/frame.rs"]
mod frame;
#[path = "build/schedule.rs"]
mod schedule;
#[path = "src/kernel/sha256.rs"]
#[allow(dead_code)]
mod sha256;
#[path = "build/sha_ni.rs"]
mod sha_ni;
#[path = "src/kernel/sha_ni_frame.rs"]
#[allow(dead_code)]
mod sha_ni_frame;
#[path = "build/sha_ni_layout.rs"]
mod sha_ni_layout;
#[path = "build/thumb1.rs"]
mod thumb1;
#[path = "build/thumb2.rs"]
mod thumb2;
#[path = "src/kernel/thumb_job.rs"]
#[allow(dead_code)]
mod thumb_job;

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(thumb_kernel, values(\"v6m\", \"v8m\"))");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=build");
    println!("cargo::rerun-if-changed=src/kernel/sha256.rs");
    println!("cargo::rerun-if-changed=src/kernel/thumb_job.rs");
    println!("cargo::rerun-if-changed=src/kernel/sha_ni_frame.rs");

    let target = env::var("TARGET").expect("cargo sets TARGET");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let kernel = if target.starts_with("thumbv8m.main") {
        Some(("v8m", "thumb2.s", thumb2::generate()))
    } else if ["thumbv6m", "thumbv7m", "thumbv7em", "thumbv8m.base"]
        .iter()
        .any(|t| target.starts_with(t))
    {
        Some(("v6m", "thumb1.s", thumb1::generate()))
    } else {
        None
    };
    if env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "x86_64") {
        for (file, shape) in [
            ("sha_ni_wide.s", sha_ni_layout::WIDE),
            ("sha_ni_compact.s", sha_ni_layout::COMPACT),
        ] {
            fs::write(out.join(file), sha_ni::generate(shape))
                .expect("write the kernel's assembly");
        }
    }
    if let Some((cfg, file, text)) = kernel {
        println!("cargo::rustc-cfg=thumb_kernel=\"{cfg}\"");
        fs::write(out.join(file), text).expect("write the kernel's assembly");
    }
}
