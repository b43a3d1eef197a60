//! The Cortex-M0+ kernel (ARMv6-M, Thumb-1), written out round by round.
//!
//! The Cortex-M0+ has eight low registers that most instructions can use,
//! five high ones reachable only by `mov`, `add` and `cmp`, two-operand
//! logic, and rotates by a register only. Compiled Rust spills the working
//! state on every round; this kernel keeps it where it costs least:
//!
//! - `a` and `e` in low registers (Σ0, Σ1, Maj and Ch read them several
//!   times); `b, c, d` and `f, g, h` in `r8..r12` and `lr`, one `mov` (one
//!   cycle, against two for a load) per use. Nothing moves between rounds:
//!   register roles rotate instead (low ones every 2 rounds, high ones
//!   every 3), which full unrolling makes free;
//! - Σ0 and Σ1 as three rotates of one copy, `Σ1(e) = ror11(ror14(ror13(e)
//!   ^ e) ^ e)` and `Σ0(a) = ror2(ror11(ror9(a) ^ a) ^ a)`, with the amounts
//!   11 and 2 held in `r6` and `r7` for the whole scan (σ0 uses 11 too);
//! - `Maj(a, b, c) = a ^ ((a ^ b) & (a ^ c))`, `Ch(e, f, g) = g ^ (e & (f ^
//!   g))`, each a copy and three two-operand instructions;
//! - the message schedule in a 16-word ring on the stack, each word
//!   computed just before its round, which adds `K` to it in a register;
//! - every constant (round constants, folded padding, the IV) and the job's
//!   words in the stack frame, copied there once per call, so that every
//!   load is one `ldr rX, [sp, #imm]`: no literal pools in the code.
//!
//! The shortcuts are those of `src/kernel/sha256d.rs`: the job supplies the
//! state after round 3 without the nonce, rounds 4..=17 use constant `K +
//! W`, schedule words take the terms of `schedule.rs`, the second hash
//! starts from a constant round 0 and stops after round 60 (rounds 57..=60
//! compute `e` only), and its `e` then gives `H7`.
//!
//! The function (AAPCS):
//!
//! ```text
//! u64 protocol_sha256d_armv6m_sweep(const u32 job[WORDS], u32 first, u32 count)
//! ```
//!
//! hashes the nonces `first, first + 1, ...` (wrapping), `count >= 1` of
//! them, and stops after the first whose byte-swapped `H7` is at most
//! `job[LIMIT]`. It returns the number of nonces hashed in the low word and
//! the last one's `H7` in the high word.

use crate::frame::{Body, COUNT, JOB, LEFT, NONCE, NONCE_WORD, RING, Source, word_slot};
use crate::schedule::{self, Term, Terms};
use crate::sha256::{IV, K};
use crate::thumb_job as job;

/// Scratch registers, and the rotate amounts kept for the whole scan.
const S1: &str = "r4";
const S2: &str = "r5";
const ROR11: &str = "r6";
const ROR2: &str = "r7";

/// The symbol the backend module calls.
pub const SYMBOL: &str = "protocol_sha256d_armv6m_sweep";

/// Where each value of the working state is, before a round.
#[derive(Clone, Copy)]
struct Roles {
    /// Low registers: `a`, `e`, and two free ones that take the new `a`
    /// (`t`) and the new `e` (`n`).
    a: &'static str,
    e: &'static str,
    t: &'static str,
    n: &'static str,
    /// High registers holding `b, c, d` and `f, g, h`.
    bcd: [&'static str; 3],
    fgh: [&'static str; 3],
}

impl Roles {
    fn start() -> Roles {
        Roles {
            a: "r0",
            e: "r1",
            t: "r2",
            n: "r3",
            bcd: ["r8", "r9", "r10"],
            fgh: ["r11", "r12", "lr"],
        }
    }

    /// After a round: the new `a` and `e` are in `t` and `n`; the old `a`
    /// went to `d`'s register and the old `e` to `h`'s.
    fn next(self) -> Roles {
        let [b, c, d] = self.bcd;
        let [f, g, h] = self.fgh;
        Roles {
            a: self.t,
            e: self.n,
            t: self.a,
            n: self.e,
            bcd: [d, b, c],
            fgh: [h, f, g],
        }
    }
}

/// Where a round finds `K + W`.
enum Kw {
    /// Already in the `t` register (the schedule word just computed).
    InT,
    /// In a frame slot.
    Slot(usize),
    /// The sum of two frame slots.
    Sum(usize, usize),
}

struct Gen {
    b: Body,
}

impl Gen {
    /// `dst = σ(x)` for the word in `S1` (destroyed): σ0 when `sigma1` is
    /// false. `amount` is a free register for the first rotate.
    fn small_sigma(&mut self, sigma1: bool, dst: &str, amount: &str) {
        // σ0 = ror7 ^ ror18 ^ (x >> 3): rotate by 7, then by 11 more.
        // σ1 = ror17 ^ ror19 ^ (x >> 10): rotate by 17, then by 2 more.
        let (shift, first, second) = if sigma1 {
            (10, 17, ROR2)
        } else {
            (3, 7, ROR11)
        };
        self.b.op(&format!("lsrs {dst}, {S1}, #{shift}"));
        self.b.op(&format!("movs {amount}, #{first}"));
        self.b.op(&format!("rors {S1}, {amount}"));
        self.b.op(&format!("eors {dst}, {S1}"));
        self.b.op(&format!("rors {S1}, {second}"));
        self.b.op(&format!("eors {dst}, {S1}"));
    }

    /// Schedule word `i` from `terms`; leaves `K[i] + W[i]` in `r.t`, and
    /// stores `W[i]` in the ring if a later word reads it.
    fn schedule(&mut self, r: &Roles, i: usize, terms: &Terms, store: bool) {
        self.b.comment(&format!("W{i}"));
        let acc = S2;
        let mut constant = 0u32;
        let mut first = true;
        // σ1 first (straight into the sum), then σ0, then plain words.
        let mut ordered: Vec<Term> = terms.iter().flatten().copied().collect();
        ordered.sort_by_key(|t| match t {
            Term::Sigma1(_) => 0,
            Term::Sigma0(_) => 1,
            Term::Plain(_) => 2,
            Term::Const(_) => 3,
        });
        for term in ordered {
            match term {
                Term::Sigma1(w) | Term::Sigma0(w) => {
                    self.b.ldr(S1, word_slot(w));
                    let dst = if first { acc } else { r.n };
                    self.small_sigma(matches!(term, Term::Sigma1(_)), dst, r.t);
                    if !first {
                        self.b.op(&format!("adds {acc}, {acc}, {}", r.n));
                    }
                    first = false;
                }
                Term::Plain(w) => {
                    if first {
                        self.b.ldr(acc, word_slot(w));
                    } else {
                        self.b.ldr(S1, word_slot(w));
                        self.b.op(&format!("adds {acc}, {acc}, {S1}"));
                    }
                    first = false;
                }
                Term::Const(c) => constant = constant.wrapping_add(c),
            }
        }
        // A constant goes into the stored word if it is stored, else
        // into K.
        let mut k = K[i];
        if constant != 0 {
            if store {
                let slot = self.b.konst(constant);
                self.b.ldr(S1, slot);
                self.b.op(&format!("adds {acc}, {acc}, {S1}"));
            } else {
                k = k.wrapping_add(constant);
            }
        }
        if store {
            self.b.str(acc, RING + i % 16);
        }
        let slot = self.b.konst(k);
        self.b.ldr(r.t, slot);
        self.b.op(&format!("adds {}, {}, {acc}", r.t, r.t));
    }

    /// One round. `keep_a`: the old `a` is needed later (as `b, c, d`);
    /// `new_a`: compute the new `a`.
    fn round(&mut self, r: Roles, i: usize, kw: Kw, keep_a: bool, new_a: bool) -> Roles {
        self.b.comment(&format!("round {i}"));
        let Roles { a, e, t, n, .. } = r;
        let [b, c, d] = r.bcd;
        let [f, g, h] = r.fgh;
        match kw {
            Kw::InT => {}
            Kw::Slot(s) => self.b.ldr(t, s),
            Kw::Sum(s1, s2) => {
                self.b.ldr(t, s1);
                self.b.ldr(S1, s2);
                self.b.op(&format!("adds {t}, {t}, {S1}"));
            }
        }
        self.b.op(&format!("add {t}, {h}"));
        // Ch(e, f, g) = g ^ (e & (f ^ g))
        self.b.op(&format!("mov {S1}, {f}"));
        self.b.op(&format!("mov {S2}, {g}"));
        self.b.op(&format!("eors {S1}, {S2}"));
        self.b.op(&format!("ands {S1}, {e}"));
        self.b.op(&format!("eors {S1}, {S2}"));
        self.b.op(&format!("adds {t}, {t}, {S1}"));
        // The old e becomes f, in h's register.
        self.b.op(&format!("mov {h}, {e}"));
        // Σ1(e) = ror11(ror14(ror13(e) ^ e) ^ e)
        self.b.op(&format!("mov {S1}, {e}"));
        self.b.op(&format!("movs {S2}, #13"));
        self.b.op(&format!("rors {S1}, {S2}"));
        self.b.op(&format!("eors {S1}, {e}"));
        self.b.op(&format!("movs {S2}, #14"));
        self.b.op(&format!("rors {S1}, {S2}"));
        self.b.op(&format!("eors {S1}, {e}"));
        self.b.op(&format!("rors {S1}, {ROR11}"));
        self.b.op(&format!("adds {t}, {t}, {S1}"));
        // New e = d + T1.
        self.b.op(&format!("mov {n}, {d}"));
        self.b.op(&format!("adds {n}, {n}, {t}"));
        if keep_a {
            // The old a becomes b, in d's register.
            self.b.op(&format!("mov {d}, {a}"));
        }
        if new_a {
            // Σ0(a) = ror2(ror11(ror9(a) ^ a) ^ a)
            self.b.op(&format!("mov {S1}, {a}"));
            self.b.op(&format!("movs {S2}, #9"));
            self.b.op(&format!("rors {S1}, {S2}"));
            self.b.op(&format!("eors {S1}, {a}"));
            self.b.op(&format!("rors {S1}, {ROR11}"));
            self.b.op(&format!("eors {S1}, {a}"));
            self.b.op(&format!("rors {S1}, {ROR2}"));
            self.b.op(&format!("adds {t}, {t}, {S1}"));
            // Maj(a, b, c) = a ^ ((a ^ b) & (a ^ c))
            self.b.op(&format!("mov {S1}, {b}"));
            self.b.op(&format!("eors {S1}, {a}"));
            self.b.op(&format!("mov {S2}, {c}"));
            self.b.op(&format!("eors {S2}, {a}"));
            self.b.op(&format!("ands {S1}, {S2}"));
            self.b.op(&format!("eors {S1}, {a}"));
            self.b.op(&format!("adds {t}, {t}, {S1}"));
        }
        r.next()
    }

    /// The first hash from the job's state after round 3 to its digest,
    /// stored as `W0..=W7` of the second hash; returns the roles and leaves
    /// the digest's first word in `S1`.
    fn first_hash(&mut self) -> Roles {
        let mut r = Roles::start();
        self.b.comment("nonce word W3, and the state after round 3");
        self.b.ldr(r.t, NONCE);
        self.b.op(&format!("rev {}, {}", r.t, r.t));
        self.b.str(r.t, NONCE_WORD);
        self.b.ldr(r.a, JOB + job::A4_BASE);
        self.b.op(&format!("adds {}, {}, {}", r.a, r.a, r.t));
        self.b.ldr(r.e, JOB + job::E4_BASE);
        self.b.op(&format!("adds {}, {}, {}", r.e, r.e, r.t));
        let [b, c, d] = r.bcd;
        let [f, g, h] = r.fgh;
        for (reg, field) in [
            (b, job::B4),
            (c, job::C4),
            (d, job::D4),
            (f, job::F4),
            (g, job::G4),
            (h, job::H4),
        ] {
            self.b.ldr(S1, JOB + field);
            self.b.op(&format!("mov {reg}, {S1}"));
        }
        for i in 4..=15 {
            let slot = self.b.konst(schedule::first_padding_kw(i));
            r = self.round(r, i, Kw::Slot(slot), true, true);
        }
        r = self.round(r, 16, Kw::Slot(JOB + job::KW16), true, true);
        r = self.round(r, 17, Kw::Slot(JOB + job::KW17), true, true);
        for i in 18..=63 {
            let store = schedule::read_later(i, 63, schedule::first);
            self.schedule(&r, i, &schedule::first(i), store);
            r = self.round(r, i, Kw::InT, true, true);
        }
        self.b
            .comment("digest = state + midstate: W0..W7 of the second hash");
        let [b, c, d] = r.bcd;
        let [f, g, h] = r.fgh;
        let state = [r.a, b, c, d, r.e, f, g, h];
        for j in (1..8).chain([0]) {
            self.b.ldr(S1, JOB + job::MID + j);
            if state[j].starts_with('r') && state[j][1..].parse::<u8>().is_ok_and(|n| n < 8) {
                self.b.op(&format!("adds {S1}, {S1}, {}", state[j]));
            } else {
                self.b.op(&format!("mov {S2}, {}", state[j]));
                self.b.op(&format!("adds {S1}, {S1}, {S2}"));
            }
            self.b.str(S1, RING + j);
        }
        r
    }

    /// The second hash from the digest (`x0` in `S1`) to `H7`, left in `S1`.
    fn second_hash(&mut self, mut r: Roles) {
        self.b
            .comment("second hash: round 0 from the IV, constant but for x0");
        let (a1, e1) = schedule::second_round0();
        let slot = self.b.konst(a1);
        self.b.ldr(r.a, slot);
        self.b.op(&format!("adds {}, {}, {S1}", r.a, r.a));
        let slot = self.b.konst(e1);
        self.b.ldr(r.e, slot);
        self.b.op(&format!("adds {}, {}, {S1}", r.e, r.e));
        let [b, c, d] = r.bcd;
        let [f, g, h] = r.fgh;
        for (reg, v) in [
            (b, IV[0]),
            (c, IV[1]),
            (d, IV[2]),
            (f, IV[4]),
            (g, IV[5]),
            (h, IV[6]),
        ] {
            let slot = self.b.konst(v);
            self.b.ldr(S1, slot);
            self.b.op(&format!("mov {reg}, {S1}"));
        }
        for (i, &k) in K.iter().enumerate().take(8).skip(1) {
            let slot = self.b.konst(k);
            r = self.round(r, i, Kw::Sum(slot, RING + i), true, true);
        }
        for i in 8..=15 {
            let slot = self.b.konst(schedule::second_padding_kw(i));
            r = self.round(r, i, Kw::Slot(slot), true, true);
        }
        // Rounds 16..=60: H7 = IV7 + e60. a56 is the last a needed (as d
        // in round 60); a57..a60 are not computed.
        for i in 16..=60 {
            let store = schedule::read_later(i, 60, schedule::second);
            self.schedule(&r, i, &schedule::second(i), store);
            r = self.round(r, i, Kw::InT, i <= 57, i <= 56);
        }
        self.b.comment("H7 = IV7 + e60");
        let slot = self.b.konst(IV[7]);
        self.b.ldr(S1, slot);
        self.b.op(&format!("adds {S1}, {S1}, {}", r.e));
    }
}

/// The kernel's assembly source.
pub fn generate() -> String {
    let mut g = Gen { b: Body::default() };
    let r = g.first_hash();
    g.second_hash(r);
    // The test: byte-swapped H7 at most the limit, or the last nonce.
    g.b.comment("settle: stop after a candidate or the last nonce");
    g.b.op(&format!("rev {S2}, {S1}"));
    g.b.ldr("r0", JOB + job::LIMIT);
    g.b.ldr("r1", LEFT);
    g.b.op("subs r1, r1, #1");
    g.b.str("r1", LEFT);
    g.b.op("beq .Lthumb1_exit");
    g.b.op(&format!("cmp {S2}, r0"));
    g.b.op("bls .Lthumb1_exit");
    g.b.ldr("r0", NONCE);
    g.b.op("adds r0, r0, #1");
    g.b.str("r0", NONCE);
    // Back to the top: further than `b` reaches; lr is free here.
    g.b.op("bl .Lthumb1_top");
    let per_nonce = g.b.insns;
    let frame = g.b.finish();
    assert!(
        frame <= 1020,
        "every slot must be reachable by ldr [sp, #imm]"
    );
    // `sub sp` and `add sp` take at most 508.
    let (frame_hi, frame_lo) = (frame.min(508), frame - frame.min(508));

    let mut s = Source(String::new());
    s.line("@ Generated by protocol/build/thumb1.rs: the Cortex-M0+ sha256d kernel.");
    s.line(&format!(
        "@ {per_nonce} instructions per nonce, {} constants in the frame.",
        g.b.consts.len()
    ));
    s.function(SYMBOL);
    for op in [
        "push {r4-r7, lr}",
        "mov r4, r8",
        "mov r5, r9",
        "mov r6, r10",
        "mov r7, r11",
    ] {
        s.op(op);
    }
    s.op("push {r4-r7}");
    s.op(&format!("sub sp, #{frame_hi}"));
    if frame_lo > 0 {
        s.op(&format!("sub sp, #{frame_lo}"));
    }
    s.fill_frame(".Lthumb1_consts", g.b.consts.len());
    s.op(&format!("movs {ROR11}, #11"));
    s.op(&format!("movs {ROR2}, #2"));
    s.op("b .Lthumb1_top");
    s.table(".Lthumb1_consts", &g.b.consts);
    s.line(".Lthumb1_top:");
    s.0.push_str(&g.b.text);
    s.line(".Lthumb1_exit:");
    s.op(&format!("mov r1, {S1}"));
    s.op(&format!("ldr r0, [sp, #{}]", COUNT * 4));
    s.op(&format!("ldr r2, [sp, #{}]", LEFT * 4));
    s.op("subs r0, r0, r2");
    s.op(&format!("add sp, #{frame_hi}"));
    if frame_lo > 0 {
        s.op(&format!("add sp, #{frame_lo}"));
    }
    for op in [
        "pop {r4-r7}",
        "mov r8, r4",
        "mov r9, r5",
        "mov r10, r6",
        "mov r11, r7",
        "pop {r4-r7, pc}",
    ] {
        s.op(op);
    }
    s.line(&format!(".size {SYMBOL}, . - {SYMBOL}"));
    s.0
}
