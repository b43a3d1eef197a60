//! The Cortex-M33 kernel (ARMv8-M mainline, Thumb-2), written out round by
//! round.
//!
//! The Cortex-M33 has thirteen general registers and `lr`, three-operand
//! instructions, and a barrel shifter on the second operand, so a rotate
//! costs nothing inside an `eor` or an `add`. This kernel keeps the whole
//! working state in registers and spends about 17 instructions a round:
//!
//! - `a..h` in `r0..r7`, their roles rotating every round (full unrolling
//!   makes that free): `T1` is summed into `h`, `d += T1` is the new `e`,
//!   `h += T2` the new `a`;
//! - `Σ1(e) = ror6(e ^ ror5(e) ^ ror19(e))` and `Σ0(a) = ror2(a ^ ror11(a)
//!   ^ ror20(a))`: two `eor`s with rotated operands, the last rotate folded
//!   into the `add`;
//! - `Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c))`, where `b ^ c` is the previous
//!   round's `a ^ b`, kept in `r8`/`r9` (they swap roles every round);
//!   `Ch(e, f, g) = g ^ (e & (f ^ g))`;
//! - the message schedule in a 16-word ring on the stack, each word
//!   computed just before its round with its four loads issued back to
//!   back (they pipeline), in `r9..r12` and `lr`;
//! - round constants, folded padding, the IV and the job's words in the
//!   stack frame, copied there once per call.
//!
//! The shortcuts are those of `src/kernel/sha256d.rs`, as in `thumb1.rs`,
//! whose docs also give the function's contract; this one's symbol is
//! [`SYMBOL`].

use crate::frame::{Body, COUNT, JOB, LEFT, NONCE, NONCE_WORD, RING, Source, word_slot};
use crate::schedule::{self, Term, Terms};
use crate::sha256::{IV, K};
use crate::thumb_job as job;

/// The symbol the backend module calls.
pub const SYMBOL: &str = "protocol_sha256d_armv8m_sweep";

/// Scratch registers.
const T1: &str = "r10";
const T2: &str = "r11";
const S: &str = "r12";
const ACC: &str = "lr";

/// Where each value of the working state is, before a round, and the two
/// registers of the `Maj` trick: `xp` holds `b ^ c`, `xn` is free.
#[derive(Clone, Copy)]
struct Roles {
    state: [&'static str; 8],
    xp: &'static str,
    xn: &'static str,
}

impl Roles {
    fn start() -> Roles {
        Roles {
            state: ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"],
            xp: "r8",
            xn: "r9",
        }
    }

    /// After a round: the new `a` is in `h`'s register, the new `e` in
    /// `d`'s; everything else moved down one letter.
    fn next(self, new_a: bool) -> Roles {
        let [a, b, c, d, e, f, g, h] = self.state;
        let (xp, xn) = if new_a {
            (self.xn, self.xp)
        } else {
            (self.xp, self.xn)
        };
        Roles {
            state: [h, a, b, c, d, e, f, g],
            xp,
            xn,
        }
    }
}

/// Where a round finds `K + W`.
enum Kw {
    /// `W` in `lr` and `K` in `r10` (the schedule word just computed).
    Schedule,
    /// In a frame slot.
    Slot(usize),
    /// The sum of two frame slots.
    Sum(usize, usize),
}

struct Gen {
    b: Body,
}

impl Gen {
    /// `dst = σ(x)` for the word in `src`: σ0 when `sigma1` is false.
    fn small_sigma(&mut self, sigma1: bool, dst: &str, src: &str) {
        let (r1, r2, shift) = if sigma1 { (17, 19, 10) } else { (7, 18, 3) };
        self.b.op(&format!("ror {dst}, {src}, #{r1}"));
        self.b.op(&format!("eor {dst}, {dst}, {src}, ror #{r2}"));
        self.b.op(&format!("eor {dst}, {dst}, {src}, lsr #{shift}"));
    }

    /// Schedule word `i` from `terms`: leaves `W[i]` in `lr` and `K[i]` in
    /// `r10`, and stores `W[i]` in the ring if a later word reads it.
    fn schedule(&mut self, r: &Roles, i: usize, terms: &Terms, store: bool) {
        self.b.comment(&format!("W{i}"));
        let mut sigma1 = None;
        let mut sigma0 = None;
        let mut plain = Vec::new();
        let mut constant = 0u32;
        for term in terms.iter().flatten() {
            match *term {
                Term::Sigma1(w) => sigma1 = Some(w),
                Term::Sigma0(w) => sigma0 = Some(w),
                Term::Plain(w) => plain.push(w),
                Term::Const(c) => constant = constant.wrapping_add(c),
            }
        }
        // Every load first, back to back; a constant goes into the stored
        // word if it is stored, else into K.
        let mut k = K[i];
        if !store {
            k = k.wrapping_add(constant);
            constant = 0;
        }
        if let Some(w) = sigma1 {
            self.b.ldr(S, word_slot(w));
        }
        if let Some(w) = sigma0 {
            self.b.ldr(T2, word_slot(w));
        }
        let regs = [ACC, r.xn];
        assert!(plain.len() <= regs.len(), "at most two plain terms");
        for (reg, w) in regs.iter().zip(&plain) {
            self.b.ldr(reg, word_slot(*w));
        }
        let mut have_acc = !plain.is_empty();
        if constant != 0 {
            let slot = self.b.konst(constant);
            if have_acc {
                self.b.ldr(T1, slot);
            } else {
                self.b.ldr(ACC, slot);
            }
        }
        if plain.len() == 2 {
            self.b.op(&format!("add {ACC}, {ACC}, {}", r.xn));
        }
        if constant != 0 {
            if have_acc {
                self.b.op(&format!("add {ACC}, {ACC}, {T1}"));
            }
            have_acc = true;
        }
        for (term, src) in [(sigma1, S), (sigma0, T2)] {
            if term.is_none() {
                continue;
            }
            let is_sigma1 = src == S;
            if have_acc {
                self.small_sigma(is_sigma1, T1, src);
                self.b.op(&format!("add {ACC}, {ACC}, {T1}"));
            } else {
                self.small_sigma(is_sigma1, ACC, src);
                have_acc = true;
            }
        }
        if store {
            self.b.str(ACC, RING + i % 16);
        }
        let slot = self.b.konst(k);
        self.b.ldr(T1, slot);
    }

    /// One round; `new_a`: compute the new `a` (and the `Maj` carry).
    fn round(&mut self, r: Roles, i: usize, kw: Kw, new_a: bool) -> Roles {
        self.b.comment(&format!("round {i}"));
        let [a, b, _, d, e, f, g, h] = r.state;
        let (xp, xn) = (r.xp, r.xn);
        match kw {
            Kw::Schedule => {
                self.b.op(&format!("add {h}, {h}, {T1}"));
                self.b.op(&format!("add {h}, {h}, {ACC}"));
            }
            Kw::Slot(s) => {
                self.b.ldr(T1, s);
                self.b.op(&format!("add {h}, {h}, {T1}"));
            }
            Kw::Sum(s1, s2) => {
                self.b.ldr(T1, s1);
                self.b.ldr(T2, s2);
                self.b.op(&format!("add {h}, {h}, {T1}"));
                self.b.op(&format!("add {h}, {h}, {T2}"));
            }
        }
        // Ch(e, f, g) = g ^ (e & (f ^ g))
        self.b.op(&format!("eor {T1}, {f}, {g}"));
        self.b.op(&format!("and {T1}, {T1}, {e}"));
        self.b.op(&format!("eor {T1}, {T1}, {g}"));
        self.b.op(&format!("add {h}, {h}, {T1}"));
        // Σ1(e) = ror6(e ^ ror5(e) ^ ror19(e))
        self.b.op(&format!("eor {T1}, {e}, {e}, ror #5"));
        self.b.op(&format!("eor {T1}, {T1}, {e}, ror #19"));
        self.b.op(&format!("add {h}, {h}, {T1}, ror #6"));
        // New e = d + T1.
        self.b.op(&format!("add {d}, {d}, {h}"));
        if new_a {
            // Σ0(a) = ror2(a ^ ror11(a) ^ ror20(a))
            self.b.op(&format!("eor {T1}, {a}, {a}, ror #11"));
            self.b.op(&format!("eor {T1}, {T1}, {a}, ror #20"));
            self.b.op(&format!("add {h}, {h}, {T1}, ror #2"));
            // Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)); a ^ b carries over.
            self.b.op(&format!("eor {xn}, {a}, {b}"));
            self.b.op(&format!("and {xp}, {xp}, {xn}"));
            self.b.op(&format!("eor {xp}, {xp}, {b}"));
            self.b.op(&format!("add {h}, {h}, {xp}"));
        }
        r.next(new_a)
    }

    /// The first hash from the job's state after round 3 to its digest,
    /// stored as `W0..=W7` of the second hash; returns the roles and leaves
    /// the digest's first word in `r10`.
    fn first_hash(&mut self) -> Roles {
        let mut r = Roles::start();
        let [a, b, c, d, e, f, g, h] = r.state;
        self.b.comment("nonce word W3, and the state after round 3");
        self.b.ldr(T1, NONCE);
        self.b.op(&format!("rev {T1}, {T1}"));
        self.b.str(T1, NONCE_WORD);
        self.b.ldr(a, JOB + job::A4_BASE);
        self.b.ldr(e, JOB + job::E4_BASE);
        for (reg, field) in [
            (b, job::B4),
            (c, job::C4),
            (d, job::D4),
            (f, job::F4),
            (g, job::G4),
            (h, job::H4),
        ] {
            self.b.ldr(reg, JOB + field);
        }
        self.b.op(&format!("add {a}, {a}, {T1}"));
        self.b.op(&format!("add {e}, {e}, {T1}"));
        self.b.op(&format!("eor {}, {b}, {c}", r.xp));
        for i in 4..=15 {
            let slot = self.b.konst(schedule::first_padding_kw(i));
            r = self.round(r, i, Kw::Slot(slot), true);
        }
        r = self.round(r, 16, Kw::Slot(JOB + job::KW16), true);
        r = self.round(r, 17, Kw::Slot(JOB + job::KW17), true);
        for i in 18..=63 {
            let store = schedule::read_later(i, 63, schedule::first);
            self.schedule(&r, i, &schedule::first(i), store);
            r = self.round(r, i, Kw::Schedule, true);
        }
        self.b
            .comment("digest = state + midstate: W0..W7 of the second hash");
        for j in (1..8).chain([0]) {
            self.b.ldr(T1, JOB + job::MID + j);
            self.b.op(&format!("add {T1}, {T1}, {}", r.state[j]));
            self.b.str(T1, RING + j);
        }
        r
    }

    /// The second hash from the digest (`x0` in `r10`) to `H7`, left in
    /// `r10`.
    fn second_hash(&mut self, mut r: Roles) {
        self.b
            .comment("second hash: round 0 from the IV, constant but for x0");
        let [a, b, c, d, e, f, g, h] = r.state;
        let (a1, e1) = schedule::second_round0();
        let slot = self.b.konst(a1);
        self.b.ldr(a, slot);
        let slot = self.b.konst(e1);
        self.b.ldr(e, slot);
        for (reg, v) in [
            (b, IV[0]),
            (c, IV[1]),
            (d, IV[2]),
            (f, IV[4]),
            (g, IV[5]),
            (h, IV[6]),
            (r.xp, IV[0] ^ IV[1]),
        ] {
            let slot = self.b.konst(v);
            self.b.ldr(reg, slot);
        }
        self.b.op(&format!("add {a}, {a}, {T1}"));
        self.b.op(&format!("add {e}, {e}, {T1}"));
        for (i, &k) in K.iter().enumerate().take(8).skip(1) {
            let slot = self.b.konst(k);
            r = self.round(r, i, Kw::Sum(slot, RING + i), true);
        }
        for i in 8..=15 {
            let slot = self.b.konst(schedule::second_padding_kw(i));
            r = self.round(r, i, Kw::Slot(slot), true);
        }
        // Rounds 16..=60: H7 = IV7 + e60. a56 is the last a needed (as d
        // in round 60); a57..a60 are not computed.
        for i in 16..=60 {
            let store = schedule::read_later(i, 60, schedule::second);
            self.schedule(&r, i, &schedule::second(i), store);
            r = self.round(r, i, Kw::Schedule, i <= 56);
        }
        self.b.comment("H7 = IV7 + e60");
        let slot = self.b.konst(IV[7]);
        self.b.ldr(T1, slot);
        self.b.op(&format!("add {T1}, {T1}, {}", r.state[4]));
    }
}

/// The kernel's assembly source.
pub fn generate() -> String {
    let mut g = Gen { b: Body::default() };
    let r = g.first_hash();
    g.second_hash(r);
    g.b.comment("settle: stop after a candidate or the last nonce");
    g.b.op(&format!("rev {T2}, {T1}"));
    g.b.ldr(S, JOB + job::LIMIT);
    g.b.ldr(ACC, LEFT);
    g.b.op(&format!("subs {ACC}, {ACC}, #1"));
    g.b.str(ACC, LEFT);
    g.b.op("beq .Lthumb2_exit");
    g.b.op(&format!("cmp {T2}, {S}"));
    g.b.op("bls .Lthumb2_exit");
    g.b.ldr(S, NONCE);
    g.b.op(&format!("add {S}, {S}, #1"));
    g.b.str(S, NONCE);
    g.b.op("b.w .Lthumb2_top");
    let per_nonce = g.b.insns;
    let frame = g.b.finish();
    assert!(
        frame <= 4095,
        "every slot must be reachable by ldr [sp, #imm]"
    );

    let mut s = Source(String::new());
    s.line("@ Generated by protocol/build/thumb2.rs: the Cortex-M33 sha256d kernel.");
    s.line(&format!(
        "@ {per_nonce} instructions per nonce, {} constants in the frame.",
        g.b.consts.len()
    ));
    s.function(SYMBOL);
    // Ten registers keep the stack 8-byte aligned; r3 is scratch.
    s.op("push {r3-r11, lr}");
    s.op(&format!("sub sp, sp, #{frame}"));
    s.fill_frame(".Lthumb2_consts", g.b.consts.len());
    s.op("b .Lthumb2_top");
    s.table(".Lthumb2_consts", &g.b.consts);
    s.line(".Lthumb2_top:");
    s.0.push_str(&g.b.text);
    s.line(".Lthumb2_exit:");
    s.op(&format!("mov r1, {T1}"));
    s.op(&format!("ldr r0, [sp, #{}]", COUNT * 4));
    s.op(&format!("ldr r2, [sp, #{}]", LEFT * 4));
    s.op("subs r0, r0, r2");
    s.op(&format!("add sp, sp, #{frame}"));
    s.op("pop {r3-r11, pc}");
    s.line(&format!(".size {SYMBOL}, . - {SYMBOL}"));
    s.0
}
