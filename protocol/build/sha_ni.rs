//! The SHA-NI kernel's steps, written out: the double hash of
//! [`NONCES`](f::NONCES) consecutive nonces, [`STREAMS`](f::STREAMS)
//! instruction streams at a time, interleaved round pair by round pair, in
//! one [`Shape`] per form of the backend (`WIDE`, `COMPACT`, in
//! `sha_ni_layout.rs`, with where each value is).
//!
//! Each output is the body of one `asm!` block (Intel syntax). Operands:
//! `{f}`, the frame (`src/kernel/sha_ni_frame.rs`: the job's constants,
//! then the work area), or in the near shape `{f0}` to `{f4}`, pointers
//! into it (`sha_ni_layout.rs`); `{base}`, the first nonce in its low 32 bits;
//! `{out}`, one dword per nonce; `{n}`, `{e}`, `{x}`, `{y}`, scratch registers.
//! It clobbers every `xmm` register and the flags, reads the frame's
//! constants, writes its work area, and leaves `e60` of nonce `base + j`'s
//! second hash in dword `j` at `{out}` (`H7 = IV7 + e60`).
//!
//! `sha256rnds2` does two rounds and needs the result of the one before,
//! so one stream is bound by its latency (4 cycles on Zen 3, 4 and 5),
//! while a core issues one every two cycles (Zen 5), three (Golden Cove)
//! or one (Zen 3, Zen 4): the streams must keep that one unit busy.
//! Written with intrinsics, the compiler spills state and schedule words
//! and the unit idles an eighth of the time; generated, the code controls
//! what waits where:
//!
//! - each stream's state (`ABEF`, `CDGH`) and newest schedule quad stay in
//!   registers (the state's roles swap as `sha256rnds2` writes over
//!   `CDGH`); older quads live in the frame, read as memory operands of
//!   `msg1`, `pblendw` and loads, so four streams fit in sixteen registers;
//! - in `WIDE` every quad's `K + W` goes to the frame and each round
//!   pair loads its eight bytes into `xmm0` (`movq`): no shuffle for the
//!   upper pair. In `COMPACT` (`direct`) a stream's two pairs of a quad
//!   are written together, the quad still in its register: `vpaddd` of it
//!   and `K` into `xmm0`, then `pshufd` for the upper pair, which saves a
//!   store, two loads and two instructions per quad (15% faster on Zen 3);
//! - the schedule runs [`Shape::ahead`] round pairs ahead of its first use
//!   in program order. In `WIDE`, three: enough for `msg2`'s latency and
//!   the store the pairs load from, not so much that the waiting work fills
//!   the scheduler in front of the rounds (three measured about 1% faster
//!   than two, four no faster, on Zen 5). `COMPACT` takes its quads from
//!   their registers, so one; on Zen 3 the distance (one to six) made no
//!   difference outside the noise: the core runs the schedule ahead of the
//!   latency-bound rounds whatever its place in the program;
//! - stream `s` runs `s *` [`SKEW`] pairs behind stream 0, so the streams
//!   reach the second hash, whose first rounds wait for the first hash's
//!   digest, at different times while the others keep the unit busy;
//! - a step is [`GROUPS`](f::GROUPS) groups of four streams, stream `s + 4`
//!   starting in stream `s`'s registers and slots the pair after `s` ends:
//!   the skew's ramps (one stream running alone, bound by its latency, at
//!   either end) are paid once per step, not once per group. Two groups
//!   measured 1.5-2% faster than one on Zen 5, and 4-5% in `COMPACT` on
//!   Zen 3; three or four outgrow Zen 5's op cache and run 30-100% slower;
//! - the `W[i-7]` terms (`alignr`) are one `vpalignr` in `COMPACT`, and a
//!   blend and a dword shuffle in `WIDE`, which issue on more of Zen 5's
//!   pipes than `sha256rnds2` leaves free (there a single `palignr`
//!   measured no faster; on Zen 3 it saves an instruction per quad);
//! - `COMPACT` is written for the size of its code, which is what binds
//!   Zen 3 (its op cache: `WIDE`, 22.6 KB, runs 1.8-1.9 times slower
//!   there): three-operand VEX forms where they save a copy (`vpalignr`,
//!   `vpaddd`: 4-5% faster there), and every operand within a one-byte
//!   displacement of one of five pointers into the frame, the quads in
//!   rings of four slots per stream at its front (20-23% faster there);
//! - the nonce-free work is skipped: the first hash starts after round 3
//!   (the nonce enters `A` and `E` by one addition); rounds 4..=15 and the
//!   second hash's 8..=15 use constant pairs; the first hash's quads 4..=7
//!   and the second's 4 and 6 leave out their padding parts (`PART5`,
//!   `PART7`, ...); the second hash's rounds end at 59 with
//!   `sha256rnds2` and its round 60, of which only `e60` matters, is done
//!   on general registers: 60 `sha256rnds2` per nonce in all.
//!
//! What else was measured and not kept, and where each form stands against
//! its floor on Zen 3, Zen 4 and Zen 5 (the step taken apart on Zen 4):
//! the README's performance section.

use crate::sha_ni_frame as f;
use crate::sha_ni_layout::{Hash, Shape, dword, near, pair_at, quad, ring, slot, wk_slot};

/// Round pairs each stream runs behind the one before it, in program order.
const SKEW: usize = 2;

/// `xmm1..=xmm15`: `xmm0` is `sha256rnds2`'s implicit operand.
const POOL: [&str; 15] = [
    "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
    "xmm12", "xmm13", "xmm14", "xmm15",
];

/// One stream's registers: its state and its newest schedule quad.
#[derive(Clone, Copy)]
struct Regs {
    abef: &'static str,
    cdgh: &'static str,
    quad: Option<&'static str>,
}

struct Gen {
    shape: Shape,
    text: String,
    free: Vec<&'static str>,
    regs: Vec<Regs>,
}

impl Gen {
    fn op(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
    }

    fn alloc(&mut self) -> &'static str {
        self.free.pop().expect("four streams leave registers free")
    }

    fn release(&mut self, reg: &'static str) {
        self.free.insert(0, reg);
    }

    /// Two rounds of `stream`, `K + W` loaded into `xmm0` from `pair`, or
    /// already there if `pair` is empty.
    fn rounds2(&mut self, stream: usize, pair: &str) {
        let r = self.regs[stream];
        if !pair.is_empty() {
            self.op(&format!("movq xmm0, {pair}"));
        }
        self.op(&format!("sha256rnds2 {}, {}", r.cdgh, r.abef));
        self.regs[stream].abef = r.cdgh;
        self.regs[stream].cdgh = r.abef;
    }

    /// `dst = alignr(hi, lo, 4) = [lo.d1, lo.d2, lo.d3, hi.d0]`, as
    /// `[hi.d0, lo.d1, lo.d2, lo.d3]` rotated down a dword.
    fn alignr(&mut self, dst: &str, hi: &str, lo: &str) {
        if self.shape.vex {
            // `hi` is the newest quad, always in its register.
            assert!(!hi.contains("ptr"), "vpalignr takes `hi` from a register");
            self.op(&format!("vpalignr {dst}, {hi}, {lo}, 4"));
            return;
        }
        self.op(&format!("movdqa {dst}, {lo}"));
        self.op(&format!("pblendw {dst}, {hi}, 0x03"));
        self.op(&format!("pshufd {dst}, {dst}, 0x39"));
    }

    /// Makes `new` (quad `k`) `stream`'s newest quad, stores it where later
    /// quads read it (quads `k + 2` to `k + 4`), and stores its `K + W`.
    fn finish_quad(&mut self, hash: Hash, stream: usize, k: usize, new: &'static str) {
        if let Some(old) = self.regs[stream].quad.replace(new)
            && old != new
        {
            self.release(old);
        }
        self.store_quad(hash, stream, k, new);
    }

    /// Stores quad `k`, in `new`, where later quads read it, and its
    /// `K + W` where the rounds do.
    fn store_quad(&mut self, hash: Hash, stream: usize, k: usize, new: &'static str) {
        if k + 2 <= 15 {
            self.op(&format!(
                "movdqa {}, {new}",
                quad(self.shape, hash, stream, k)
            ));
        }
        if self.shape.direct && !(hash == Hash::Second && (k < 2 || k == 15)) {
            return;
        }
        let wk = self.alloc();
        if self.shape.vex {
            self.op(&format!("vpaddd {wk}, {new}, {}", slot(f::K + k)));
        } else {
            self.op(&format!("movdqa {wk}, {}", slot(f::K + k)));
            self.op(&format!("paddd {wk}, {new}"));
        }
        self.op(&format!(
            "movdqa {}, {wk}",
            slot(wk_slot(self.shape, stream, k))
        ));
        self.release(wk);
    }

    /// Schedule quad `k` of `stream`: `msg2(msg1(q[k-4], q[k-3]) +
    /// alignr(q[k-1], q[k-2]), q[k-1])`, less the parts known to be zero
    /// or constant. `q[k-1]` is the newest quad, in its register.
    fn schedule(&mut self, hash: Hash, stream: usize, k: usize) {
        let shape = self.shape;
        let q = |j: usize| quad(shape, hash, stream, j);
        let last = self.regs[stream].quad;
        match (hash, k) {
            // q4 = msg2(msg1(q0, q1), q3): W9..W12 are zero. The first
            // hash's q0 is in the newest-quad register; the second's in
            // the frame.
            (_, 4) => {
                let t = match last {
                    Some(q0) => q0,
                    None => {
                        let t = self.alloc();
                        self.op(&format!("movdqa {t}, {}", q(0)));
                        t
                    }
                };
                self.op(&format!("sha256msg1 {t}, {}", q(1)));
                self.op(&format!("sha256msg2 {t}, {}", q(3)));
                self.finish_quad(hash, stream, 4, t);
            }
            // q5 = msg2(PART5, q4).
            (Hash::First, 5) => {
                let last = last.expect("q4 is in a register");
                let t = self.alloc();
                self.op(&format!("movdqa {t}, {}", slot(f::PART5)));
                self.op(&format!("sha256msg2 {t}, {last}"));
                self.finish_quad(hash, stream, 5, t);
            }
            // q6 = msg2(alignr(q5, q4), q5): msg1(q2, q3) is zero.
            (Hash::First, 6) => {
                let last = last.expect("q5 is in a register");
                let t = self.alloc();
                self.alignr(t, last, &q(4));
                self.op(&format!("sha256msg2 {t}, {last}"));
                self.finish_quad(hash, stream, 6, t);
            }
            _ => {
                let last = last.expect("the quad before is in a register");
                // The msg1 part: PART7 for the first hash's q7; for the
                // second's q6, msg1 of the digest block's padding quads,
                // which is the first of them; else computed.
                let t = self.alloc();
                match (hash, k) {
                    (Hash::First, 7) => self.op(&format!("movdqa {t}, {}", slot(f::PART7))),
                    (Hash::Second, 6) => self.op(&format!("movdqa {t}, {}", slot(f::DPAD2))),
                    _ => {
                        self.op(&format!("movdqa {t}, {}", q(k - 4)));
                        self.op(&format!("sha256msg1 {t}, {}", q(k - 3)));
                    }
                }
                let u = self.alloc();
                self.alignr(u, last, &q(k - 2));
                self.op(&format!("paddd {t}, {u}"));
                self.release(u);
                self.op(&format!("sha256msg2 {t}, {last}"));
                self.finish_quad(hash, stream, k, t);
            }
        }
    }

    /// `stream`'s first hash from round 4: the nonce `base + stream`,
    /// byte-swapped, into `A`, `E` and `W3`.
    fn start_first(&mut self, stream: usize) {
        self.op(&format!("lea {{n:e}}, [{{base}} + {stream}]"));
        self.op("bswap {n:e}");
        let n = self.alloc();
        self.op(&format!("movd {n}, {{n:e}}"));
        self.op(&format!("pshufd {n}, {n}, 0"));
        let q0 = self.alloc();
        self.op(&format!("movdqa {q0}, {}", slot(f::W0)));
        self.op(&format!("pblendw {q0}, {n}, 0xC0"));
        self.op(&format!("pand {n}, {}", slot(f::MASK_AE)));
        self.op(&format!("paddd {n}, {}", slot(f::ABEF4)));
        let cdgh = self.alloc();
        self.op(&format!("movdqa {cdgh}, {}", slot(f::CDGH4)));
        self.regs[stream] = Regs {
            abef: n,
            cdgh,
            quad: Some(q0),
        };
    }

    /// `stream`'s second hash: the digest words as quads 0 and 1 (stored
    /// with their `K + W`), the IV as the state.
    fn start_second(&mut self, stream: usize) {
        let r = self.regs[stream];
        if let Some(q) = self.regs[stream].quad.take() {
            self.release(q);
        }
        self.op(&format!("paddd {}, {}", r.abef, slot(f::MID_ABEF)));
        self.op(&format!("paddd {}, {}", r.cdgh, slot(f::MID_CDGH)));
        // [F, E, B, A] and [H, G, D, C] into [A, B, C, D] and [E, F, G, H].
        let q0 = self.alloc();
        self.op(&format!("movdqa {q0}, {}", r.abef));
        self.op(&format!("punpckhqdq {q0}, {}", r.cdgh));
        self.op(&format!("pshufd {q0}, {q0}, 0xB1"));
        let q1 = r.abef;
        self.op(&format!("punpcklqdq {q1}, {}", r.cdgh));
        self.op(&format!("pshufd {q1}, {q1}, 0xB1"));
        self.store_quad(Hash::Second, stream, 0, q0);
        self.store_quad(Hash::Second, stream, 1, q1);
        self.release(q0);
        self.release(q1);
        let abef = r.cdgh;
        self.op(&format!("movdqa {abef}, {}", slot(f::IV_ABEF)));
        let cdgh = self.alloc();
        self.op(&format!("movdqa {cdgh}, {}", slot(f::IV_CDGH)));
        self.regs[stream].abef = abef;
        self.regs[stream].cdgh = cdgh;
    }

    /// `e60` of `stream`'s second hash into its output dword (`{out}`), from the
    /// state after round 59: `e60 = d59 + h59 + Σ1(e59) + Ch(e59, f59,
    /// g59) + K60 + W60`, where `d59 = a56`, `h59 = e56`, `f59 = e58` and
    /// `g59 = e57` (ABEF is `[e58, e59, a58, a59]`, CDGH `[e56, e57, a56,
    /// a57]`).
    fn round60(&mut self, stream: usize) {
        let r = self.regs[stream];
        // The state to the stream's first two ring slots (free by now).
        let at = ring(self.shape, stream, 0);
        self.op(&format!("movdqa {}, {}", slot(at), r.abef));
        self.op(&format!("movdqa {}, {}", slot(at + 1), r.cdgh));
        // Ch(e, f, g) = g ^ (e & (f ^ g)).
        self.op(&format!("mov {{e:e}}, {}", dword(at, 1)));
        self.op(&format!("mov {{x:e}}, {}", dword(at, 0)));
        self.op(&format!("mov {{y:e}}, {}", dword(at + 1, 1)));
        self.op("xor {x:e}, {y:e}");
        self.op("and {x:e}, {e:e}");
        self.op("xor {x:e}, {y:e}");
        // + h + d + (K60 + W60).
        self.op(&format!("add {{x:e}}, {}", dword(at + 1, 0)));
        self.op(&format!("add {{x:e}}, {}", dword(at + 1, 2)));
        self.op(&format!(
            "add {{x:e}}, {}",
            dword(wk_slot(self.shape, stream, 15), 0)
        ));
        // Σ1(e) = ror6(e ^ ror5(e ^ ror14(e))).
        self.op("mov {y:e}, {e:e}");
        self.op("ror {y:e}, 14");
        self.op("xor {y:e}, {e:e}");
        self.op("ror {y:e}, 5");
        self.op("xor {y:e}, {e:e}");
        self.op("ror {y:e}, 6");
        self.op("add {x:e}, {y:e}");
        self.op(&format!(
            "mov dword ptr [{{out}} + {}], {{x:e}}",
            4 * stream
        ));
    }

    /// Frees `stream`'s registers for the stream that follows it.
    fn end(&mut self, stream: usize) {
        let r = self.regs[stream];
        self.release(r.abef);
        self.release(r.cdgh);
        if let Some(q) = self.regs[stream].quad.take() {
            self.release(q);
        }
    }
}

/// A round pair's `K + W`: a constant pair, or half `h` of quad `k`'s.
#[derive(Clone, Copy)]
enum Pair {
    Const(usize),
    Quad(usize, usize),
}

/// The round pairs of a hash: the constant ones, then two per schedule
/// quad; the second hash's end at round 59 (its quad 15 only gives W60).
fn pairs(hash: Hash) -> Vec<Pair> {
    let mut out = Vec::new();
    match hash {
        Hash::First => out.extend((0..6).map(|j| Pair::Const(f::PAIRS1 + j))),
        Hash::Second => {
            out.extend(
                [0, 1]
                    .iter()
                    .flat_map(|&k| [Pair::Quad(k, 0), Pair::Quad(k, 1)]),
            );
            out.extend((0..4).map(|j| Pair::Const(f::PAIRS2 + j)));
        }
    }
    let last = match hash {
        Hash::First => 16,
        Hash::Second => 15,
    };
    for k in 4..last {
        out.push(Pair::Quad(k, 0));
        out.push(Pair::Quad(k, 1));
    }
    out
}

/// Stream `stream`'s round pair `at` of `hash`, with the work that goes
/// with it: the hash's start before its first pair, after it the schedule
/// quads whose first use is [`Shape::ahead`] pairs later (quad 15 of the second
/// hash, used only by round 60, before the last pair).
fn pair(g: &mut Gen, hash: Hash, stream: usize, at: usize) {
    let pairs = pairs(hash);
    if at == 0 {
        match hash {
            Hash::First => g.start_first(stream),
            Hash::Second => g.start_second(stream),
        }
    }
    match pairs[at] {
        Pair::Const(i) => g.rounds2(stream, &pair_at(i, 0)),
        // The quad is the newest, in its register (`ahead` 1), and the
        // pair before this stream's upper one its lower one.
        Pair::Quad(k, 0) if g.shape.direct && (hash == Hash::First || k >= 4) => {
            let q = g.regs[stream].quad.expect("the quad in use is the newest");
            g.op(&format!("vpaddd xmm0, {q}, {}", slot(f::K + k)));
            g.rounds2(stream, "");
        }
        Pair::Quad(k, 1) if g.shape.direct && (hash == Hash::First || k >= 4) => {
            g.op("pshufd xmm0, xmm0, 0x0E");
            g.rounds2(stream, "");
        }
        Pair::Quad(k, h) => g.rounds2(stream, &pair_at(wk_slot(g.shape, stream, k), 8 * h)),
    }
    let first_use = |k: usize| {
        pairs
            .iter()
            .position(|p| matches!(p, Pair::Quad(j, 0) if *j == k))
            .unwrap_or(pairs.len() - 1)
    };
    let ahead = g.shape.ahead;
    for k in (4..16).filter(|&k| first_use(k).saturating_sub(ahead) == at) {
        g.schedule(hash, stream, k);
    }
}

/// The assembly of a step in `shape`.
pub fn generate(shape: Shape) -> String {
    let none = Regs {
        abef: "",
        cdgh: "",
        quad: None,
    };
    let mut g = Gen {
        shape,
        text: String::new(),
        free: POOL.iter().rev().copied().collect(),
        regs: vec![none; f::NONCES],
    };
    // Each stream's pairs, the first hash's then the second's, stream `s`
    // `s * SKEW` pairs behind stream 0; stream `s + STREAMS` (the next
    // group) starts where stream `s` ends, in its registers and slots.
    let first = pairs(Hash::First).len();
    let total = first + pairs(Hash::Second).len();
    let start = |j: usize| (j % f::STREAMS) * SKEW + (j / f::STREAMS) * total;
    // In the direct shape a stream's two pairs of a quad go together (its
    // quads start at even pairs, and so must its streams).
    let together = if shape.direct { 2 } else { 1 };
    assert!(
        !shape.direct || (shape.ahead == 1 && SKEW.is_multiple_of(2) && total.is_multiple_of(2))
    );
    for t in (0..start(f::NONCES - 1) + total).step_by(together) {
        for stream in 0..f::NONCES {
            for t in t..t + together {
                let Some(at) = t.checked_sub(start(stream)).filter(|&a| a < total) else {
                    continue;
                };
                if at < first {
                    pair(&mut g, Hash::First, stream, at);
                } else {
                    pair(&mut g, Hash::Second, stream, at - first);
                }
                if at + 1 == total {
                    g.round60(stream);
                    g.end(stream);
                }
            }
        }
    }
    if shape.near { near(&g.text) } else { g.text }
}
