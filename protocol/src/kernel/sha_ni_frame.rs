//! The SHA-NI kernel's frame: the 16-byte slots its generated assembly
//! reads and writes, in order. Shared by the backend module (which fills
//! the job's slots and reads the output) and the generator in
//! `protocol/build/sha_ni.rs` (which emits the loads and stores), so both
//! agree on every offset. Vectors are in the SHA instructions' dword order:
//! `[d0, d1, d2, d3]` below is dword 0 first, so a state `ABEF` is `[F, E,
//! B, A]` and a schedule quad `W[i..i + 4]` is `[W[i], .., W[i + 3]]`.

/// Nonces hashed at once, one instruction stream each.
pub const STREAMS: usize = 4;
/// Groups of [`STREAMS`] nonces per step, each group's streams starting as
/// the one before's end, in their registers and slots.
pub const GROUPS: usize = 2;
/// Nonces per step, in either form.
pub const NONCES: usize = STREAMS * GROUPS;

/// The first hash's state after round 3 without the nonce word, as ABEF
/// (`a4_base`, `a3`, `e4_base`, `e3`) and CDGH.
pub const ABEF4: usize = 0;
pub const CDGH4: usize = 1;
/// `[W0, W1, W2, 0]`: the header's second block before the nonce.
pub const W0: usize = 2;
/// The first hash's nonce-free partial sums of schedule quads 5 and 7:
/// `[PAD, 0, LEN, W16]` and `[0, 0, σ0(LEN), LEN + σ0(W16)]`.
pub const PART5: usize = 3;
pub const PART7: usize = 4;
/// The midstate as ABEF and CDGH: the first hash's digest is its final
/// state plus these.
pub const MID_ABEF: usize = 5;
pub const MID_CDGH: usize = 6;
/// `[0, !0, 0, !0]`: the nonce goes into `E` and `A` only.
pub const MASK_AE: usize = 7;
/// The first hash's padding quads `[PAD, 0, 0, 0]` and `[0, 0, 0, LEN]`.
pub const PAD1: usize = 8;
pub const LEN3: usize = 9;
/// The IV as ABEF and CDGH, the second hash's start.
pub const IV_ABEF: usize = 10;
pub const IV_CDGH: usize = 11;
/// The digest block's padding quads `[PAD, 0, 0, 0]` and `[0, 0, 0, 256]`.
/// `msg1` of the two is the first: the nonce-free part of its quad 6.
pub const DPAD2: usize = 12;
pub const DLEN3: usize = 13;
/// `K[4i..4i + 4]`, `i` from 0 to 15.
pub const K: usize = 14;
/// The first hash's constant `K + W` pairs, rounds 4..=15, in dwords 0
/// and 1.
pub const PAIRS1: usize = K + 16;
/// The second hash's constant pairs, rounds 8..=15.
pub const PAIRS2: usize = PAIRS1 + 6;
/// The near shape's quads (`build/sha_ni_layout.rs`), eight slots per stream
/// `s`: from `NEAR + 8 * s`, quad `k` of the hash in progress at `k % 4`,
/// then its `K + W` at `4 + k % 4`.
pub const NEAR: usize = PAIRS2 + 4;
/// Each stream's schedule quads of the hash in progress, quad `k` of
/// stream `s` (of any group) at `RING + 16 * s + k`.
pub const RING: usize = NEAR + 8 * STREAMS;
/// Each stream's quads plus `K`, the pairs the rounds load, likewise.
pub const WK: usize = RING + 16 * STREAMS;
/// Pointers into the frame the near shape's step is given (`{f0}`, ...).
pub const NEAR_BASES: usize = 5;
/// Bytes of the frame each near base reaches with a one-byte displacement.
pub const NEAR_SPAN: usize = 256;

/// Where near base `i` points, in bytes from the frame's start: the middle
/// of its span, so bytes `NEAR_SPAN * i ..` to the next span's start are
/// within `-128..=127` of it.
pub const fn near_base(i: usize) -> usize {
    NEAR_SPAN * i + NEAR_SPAN / 2
}

/// Slots in the frame.
pub const SLOTS: usize = WK + 16 * STREAMS;
