//! What both kernel generators share: the stack frame's layout, the
//! constants copied into it, and the text of the assembly being written.

use std::fmt::Write;

use crate::schedule::Word;
use crate::thumb_job as job;

/// Frame slots, in words from `sp`: the 16-word schedule ring, the loop's
/// variables, the job's words, then the constants.
pub const RING: usize = 0;
pub const NONCE: usize = 16;
pub const LEFT: usize = 17;
pub const COUNT: usize = 18;
pub const NONCE_WORD: usize = 19;
pub const JOB: usize = 20;
pub const CONSTS: usize = JOB + job::WORDS;

/// The frame slot of a message word.
pub fn word_slot(w: Word) -> usize {
    match w {
        Word::Ring(i) => RING + i % 16,
        Word::Job(f) => JOB + f,
        Word::Nonce => NONCE_WORD,
    }
}

/// The loop body being written, and the constants it loads.
#[derive(Default)]
pub struct Body {
    pub text: String,
    pub consts: Vec<u32>,
    /// Instructions written, for the header comment.
    pub insns: usize,
}

impl Body {
    pub fn op(&mut self, text: &str) {
        writeln!(self.text, "    {text}").expect("write to a String");
        self.insns += 1;
    }

    pub fn comment(&mut self, text: &str) {
        writeln!(self.text, "    @ {text}").expect("write to a String");
    }

    /// The frame slot holding constant `v` (one slot per distinct value).
    pub fn konst(&mut self, v: u32) -> usize {
        let at = match self.consts.iter().position(|&c| c == v) {
            Some(at) => at,
            None => {
                self.consts.push(v);
                self.consts.len() - 1
            }
        };
        CONSTS + at
    }

    pub fn ldr(&mut self, rd: &str, slot: usize) {
        self.op(&format!("ldr {rd}, [sp, #{}]", slot * 4));
    }

    pub fn str(&mut self, rs: &str, slot: usize) {
        self.op(&format!("str {rs}, [sp, #{}]", slot * 4));
    }

    /// Pads the constants to a multiple of 4 words (they are copied four
    /// at a time) and returns the frame's size in bytes, a multiple of 8.
    pub fn finish(&mut self) -> usize {
        while !self.consts.len().is_multiple_of(4) {
            self.consts.push(0);
        }
        (CONSTS + self.consts.len()).next_multiple_of(2) * 4
    }
}

/// Writes lines of assembly.
pub struct Source(pub String);

impl Source {
    pub fn line(&mut self, text: &str) {
        writeln!(self.0, "{text}").expect("write to a String");
    }

    pub fn op(&mut self, text: &str) {
        writeln!(self.0, "    {text}").expect("write to a String");
    }

    /// The function's symbol, in a `.data` section: cortex-m-rt copies it
    /// to RAM at boot, so the kernel runs from SRAM, not through the XIP
    /// flash cache (an image may place the section elsewhere).
    pub fn function(&mut self, symbol: &str) {
        self.line(&format!(".section .data.{symbol},\"ax\",%progbits"));
        self.line(".syntax unified");
        self.line(".thumb");
        self.line(".p2align 2");
        self.line(&format!(".global {symbol}"));
        self.line(&format!(".type {symbol}, %function"));
        self.line(".thumb_func");
        self.line(&format!("{symbol}:"));
    }

    /// Stores the arguments (`r1` first nonce, `r2` count) and copies the
    /// job's words (from `r0`) and the constants (at `consts_label`) into
    /// the frame, four words at a time through `r4..r7`.
    pub fn fill_frame(&mut self, consts_label: &str, consts: usize) {
        self.op(&format!("str r1, [sp, #{}]", NONCE * 4));
        self.op(&format!("str r2, [sp, #{}]", LEFT * 4));
        self.op(&format!("str r2, [sp, #{}]", COUNT * 4));
        self.op(&format!("add r3, sp, #{}", JOB * 4));
        for _ in 0..job::WORDS / 4 {
            self.op("ldm r0!, {r4-r7}");
            self.op("stm r3!, {r4-r7}");
        }
        self.op(&format!("adr r0, {consts_label}"));
        for _ in 0..consts / 4 {
            self.op("ldm r0!, {r4-r7}");
            self.op("stm r3!, {r4-r7}");
        }
    }

    /// The constants, at `label`.
    pub fn table(&mut self, label: &str, consts: &[u32]) {
        self.line(".p2align 2");
        self.line(&format!("{label}:"));
        for c in consts {
            self.op(&format!(".word 0x{c:08x}"));
        }
    }
}
