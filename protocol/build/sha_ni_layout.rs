//! Where the SHA-NI step's values are, in each form's [`Shape`]: the
//! frame's slots (`src/kernel/sha_ni_frame.rs`) as memory operands, and
//! the near shape's addressing from several bases. The generator
//! (`sha_ni.rs`) writes every operand through these.

use crate::sha_ni_frame as f;

/// How a step is laid out: what the backend's forms differ in.
#[derive(Clone, Copy)]
pub struct Shape {
    /// Round pairs between a schedule quad's computation and its first use.
    pub ahead: usize,
    /// Three-operand VEX forms where they save a copy, the `W[i-7]` terms
    /// one `vpalignr` instead of a blend and a shuffle.
    pub vex: bool,
    /// Whether the quads live in rings at the front of the frame, every
    /// slot addressed with a one-byte displacement from one of
    /// [`NEAR_BASES`](f::NEAR_BASES) pointers (`{f0}`, `{f1}`, ...)
    /// instead of `{f}`.
    pub near: bool,
    /// Whether a quad's round pairs take `K + W` straight from its
    /// register (`vpaddd` into `xmm0`, then `pshufd` for the upper pair),
    /// a stream's two pairs of a quad written together, instead of
    /// storing it with the quad and loading each pair. Needs `ahead` 1.
    pub direct: bool,
}

/// `Form::Wide`: for cores that issue `sha256rnds2` every two cycles or
/// more and whose op cache holds the longer step (Zen 5).
pub const WIDE: Shape = Shape {
    ahead: 3,
    vex: false,
    near: false,
    direct: false,
};

/// `Form::Compact`: fewer and shorter instructions, for cores whose op
/// cache the wide step overflows (Zen 3).
pub const COMPACT: Shape = Shape {
    ahead: 1,
    vex: true,
    near: true,
    direct: true,
};

/// The frame slots `stream` uses: those of the stream of the group before
/// whose registers it takes over.
pub fn lane(stream: usize) -> usize {
    stream % f::STREAMS
}

/// A 16-byte slot of the frame.
pub fn slot(i: usize) -> String {
    format!("xmmword ptr [{{f}} + {}]", 16 * i)
}

/// The eight bytes of slot `i` from byte `at`.
pub fn pair_at(i: usize, at: usize) -> String {
    format!("qword ptr [{{f}} + {}]", 16 * i + at)
}

/// Dword `d` of slot `i`.
pub fn dword(i: usize, d: usize) -> String {
    format!("dword ptr [{{f}} + {}]", 16 * i + 4 * d)
}

/// Which hash, for where its constant quads are.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    First,
    Second,
}

/// The slot of `stream`'s schedule quad `k` of the hash in progress: in
/// the near shape, a ring of the last four (quad `k` is last read by quad
/// `k + 4`, which then takes its slot).
pub fn ring(shape: Shape, stream: usize, k: usize) -> usize {
    if shape.near {
        f::NEAR + 8 * lane(stream) + k % 4
    } else {
        f::RING + 16 * lane(stream) + k
    }
}

/// The slot of `stream`'s quad `k` plus `K`: in the near shape, a ring of
/// four too (quad `k + 4` is computed `8 - ahead` pairs after quad `k`'s
/// last use, so `ahead` stays below 7).
pub fn wk_slot(shape: Shape, stream: usize, k: usize) -> usize {
    if shape.near {
        f::NEAR + 8 * lane(stream) + 4 + k % 4
    } else {
        f::WK + 16 * lane(stream) + k
    }
}

/// Where schedule quad `k` of `stream` is, as a memory operand.
pub fn quad(shape: Shape, hash: Hash, stream: usize, k: usize) -> String {
    match (hash, k) {
        (Hash::First, 1) => slot(f::PAD1),
        (Hash::First, 3) => slot(f::LEN3),
        (Hash::Second, 2) => slot(f::DPAD2),
        (Hash::Second, 3) => slot(f::DLEN3),
        _ => slot(ring(shape, stream, k)),
    }
}

/// `text` with each `[{f} + N]` addressed from the nearest base instead.
pub fn near(text: &str) -> String {
    const AT: &str = "[{f} + ";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(AT) {
        out.push_str(&rest[..i]);
        let tail = &rest[i + AT.len()..];
        let end = tail.find(']').expect("an operand ends");
        let at: usize = tail[..end].parse().expect("a byte offset");
        let base = (at / f::NEAR_SPAN).min(f::NEAR_BASES - 1);
        let d = at as isize - f::near_base(base) as isize;
        if d < 0 {
            out.push_str(&format!("[{{f{base}}} - {}]", -d));
        } else {
            out.push_str(&format!("[{{f{base}}} + {d}]"));
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}
