//! The job as the Thumb kernels read it: the per-job words in the order
//! their assembly copies them into its stack frame. Shared by the kernel
//! modules (which fill it) and the generator in `protocol/build/` (which
//! emits the loads), so both agree on every offset.

/// The largest byte-swapped `H7` worth settling (see `sweep`).
pub const LIMIT: usize = 0;
/// `a` and `e` after round 3 of the first hash, without the nonce word.
pub const A4_BASE: usize = 1;
pub const E4_BASE: usize = 2;
/// `b, c, d, f, g, h` after round 3: the job's state after round 2, less
/// `d` and `h`, shifted by one round.
pub const B4: usize = 3;
pub const C4: usize = 4;
pub const D4: usize = 5;
pub const F4: usize = 6;
pub const G4: usize = 7;
pub const H4: usize = 8;
/// `K16 + W16` and `K17 + W17` of the first hash.
pub const KW16: usize = 9;
pub const KW17: usize = 10;
/// `W16`, `W17`, and the nonce-free partial sums of `W18`, `W19`, `W31`,
/// `W32` (see `ScanJob`).
pub const W16: usize = 11;
pub const W17: usize = 12;
pub const C18: usize = 13;
pub const C19: usize = 14;
pub const C31: usize = 15;
pub const C32: usize = 16;
/// The midstate, added to the first hash's final state.
pub const MID: usize = 17;
/// Words in the layout: a multiple of 4, as the assembly copies it four
/// words at a time.
pub const WORDS: usize = 28;
