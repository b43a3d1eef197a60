//! The sha256d nonce-scanning kernel.
//!
//! A job is prepared once per header ([`ScanJob::new`]): the midstate of the
//! first 64 bytes, the rounds and schedule words of the second block that do
//! not depend on the nonce. A backend then scans a [`NonceRange`] and returns
//! a [`ScanOutcome`] whose meaning every backend must reproduce exactly:
//!
//! - `found`: the lowest nonce in the range whose hash has at least
//!   `zero_bits` leading zero bits, or `None`;
//! - `hashes`: the nonces examined: up to and including `found`, or the whole
//!   range;
//! - `best`: among those nonces, the one with the most zero bits (the lowest
//!   nonce on a tie). It proves work done on a range with no solution.
//!
//! The portable backend is always built and is the oracle the others are
//! tested against. Faster backends live in their own modules and are chosen
//! once, by CPU feature, through [`Kernel`]: holding a `Kernel` proves the
//! CPU runs its backend, so a scan dispatches once and then stays in one
//! inlined loop. On x86-64 they are AVX-512 (16 nonces per vector), SHA-NI
//! (interleaved streams) and AVX2 (8 nonces per vector); on Arm M-profile
//! cores, generated Thumb assembly: Thumb-1 for the Cortex-M0+ (RP2040),
//! Thumb-2 for the Cortex-M33 (RP2350). The vector backends come in two
//! [`Form`]s of their rounds, for cores bound by latency or by throughput;
//! a `Kernel` is a backend in one form.
//!
//! [`engine`] scans with a SHA-256 block engine instead, such as the
//! RP2350's accelerator, under the same contract.
//!
//! `unsafe` is allowed only in the backend modules that need intrinsics or
//! call assembly.

/// Expands `$body` once per listed index, with `$i` a `const usize`: rounds
/// and schedule words as straight-line code with constant indices, which
/// the compiler keeps in registers and folds with the round constants.
macro_rules! unroll {
    ($i:ident in [$($n:literal)*] $body:block) => {
        $({
            const $i: usize = $n;
            $body
        })*
    };
}

#[cfg(thumb_kernel = "v6m")]
#[allow(unsafe_code)]
mod armv6m;
#[cfg(thumb_kernel = "v8m")]
#[allow(unsafe_code)]
mod armv8m;
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx2;
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod avx512;
pub mod engine;
mod form;
mod job;
mod outcome;
// The scan loop of multi-lane backends; only x86-64 has such backends yet.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
mod lanes;
mod portable;
pub mod sha256;
mod sha256d;
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod sha_ni;
#[cfg(target_arch = "x86_64")]
mod sha_ni_frame;
mod sweep;
#[cfg(any(thumb_kernel = "v6m", thumb_kernel = "v8m"))]
mod thumb;
#[cfg(any(thumb_kernel = "v6m", thumb_kernel = "v8m"))]
mod thumb_job;
mod word;

use core::fmt;

pub use form::Form;
pub use job::ScanJob;
pub use outcome::{Best, ScanOutcome};

use crate::range::NonceRange;
use crate::vectors::{BLOCK_125552, GENESIS};

/// A kernel implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Backend {
    /// x86-64 AVX-512 F and BW: 16 nonces per vector, `vprord` rotates,
    /// `vpternlogd` for Ch, Maj and three-way XORs.
    Avx512,
    /// x86-64 SHA extensions: independent nonces interleaved, since one
    /// stream is bound by the latency of `sha256rnds2`.
    ShaNi,
    /// x86-64 AVX2: 8 nonces per vector.
    Avx2,
    /// Thumb-1 assembly tuned for the Cortex-M0+ (RP2040): the working
    /// state in low and high registers, run from RAM. Built for ARMv6-M,
    /// ARMv7-M and ARMv8-M baseline targets.
    ArmV6m,
    /// Thumb-2 assembly tuned for the Cortex-M33 (RP2350): the working state
    /// in registers, rotates folded into other instructions, run from RAM.
    /// Built for ARMv8-M mainline targets.
    ArmV8m,
    /// Plain Rust on `u32`s; runs everywhere; the test oracle.
    Portable,
}

impl Backend {
    /// Every backend compiled into this build, fastest first (measured on a
    /// Zen 5 core; hosts may time the available ones and choose otherwise).
    #[cfg(target_arch = "x86_64")]
    pub const ALL: &'static [Backend] = &[
        Backend::Avx512,
        Backend::ShaNi,
        Backend::Avx2,
        Backend::Portable,
    ];
    /// Every backend compiled into this build, fastest first.
    #[cfg(thumb_kernel = "v6m")]
    pub const ALL: &'static [Backend] = &[Backend::ArmV6m, Backend::Portable];
    /// Every backend compiled into this build, fastest first.
    #[cfg(thumb_kernel = "v8m")]
    pub const ALL: &'static [Backend] = &[Backend::ArmV8m, Backend::Portable];
    /// Every backend compiled into this build, fastest first.
    #[cfg(not(any(target_arch = "x86_64", thumb_kernel = "v6m", thumb_kernel = "v8m")))]
    pub const ALL: &'static [Backend] = &[Backend::Portable];

    /// A short stable name (`portable`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Avx512 => "avx512",
            Backend::ShaNi => "sha-ni",
            Backend::Avx2 => "avx2",
            Backend::ArmV6m => "armv6m",
            Backend::ArmV8m => "armv8m",
            Backend::Portable => "portable",
        }
    }

    /// The backend with this name.
    pub fn from_name(name: &str) -> Option<Backend> {
        Backend::ALL.iter().copied().find(|b| b.name() == name)
    }

    /// The forms of its rounds this build has for it, the one to use
    /// unmeasured first (see [`Form`]).
    pub fn forms(self) -> &'static [Form] {
        match self {
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => avx512::FORMS,
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => avx2::FORMS,
            #[cfg(target_arch = "x86_64")]
            Backend::ShaNi => sha_ni::FORMS,
            _ => &[Form::Plain],
        }
    }

    /// Nonces a backend processes together; ranges need not be multiples.
    pub fn lanes(self) -> u32 {
        match self {
            Backend::Avx512 => 16,
            Backend::ShaNi => SHA_NI_STREAMS,
            Backend::Avx2 => 8,
            Backend::ArmV6m | Backend::ArmV8m | Backend::Portable => 1,
        }
    }
}

/// Nonces the SHA-NI backend hashes together.
#[cfg(target_arch = "x86_64")]
const SHA_NI_STREAMS: u32 = sha_ni::STREAMS as u32;
#[cfg(not(target_arch = "x86_64"))]
const SHA_NI_STREAMS: u32 = 1;

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A backend this CPU is known to support, in one of its forms. Holding one
/// is the proof the backends' `unsafe` code relies on, so there is no
/// feature check per scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Kernel {
    imp: Imp,
    /// One of `self.backend().forms()`.
    form: Form,
}

/// A backend and, for those that need CPU features, the proof that this CPU
/// has them (each module's token can only come from its detection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
enum Imp {
    #[cfg(target_arch = "x86_64")]
    Avx512(avx512::Avx512),
    #[cfg(target_arch = "x86_64")]
    ShaNi(sha_ni::ShaNi),
    #[cfg(target_arch = "x86_64")]
    Avx2(avx2::Avx2),
    #[cfg(thumb_kernel = "v6m")]
    ArmV6m(armv6m::ArmV6m),
    #[cfg(thumb_kernel = "v8m")]
    ArmV8m(armv8m::ArmV8m),
    Portable,
}

impl Kernel {
    /// The portable backend.
    pub const fn portable() -> Kernel {
        Kernel {
            imp: Imp::Portable,
            form: Form::Plain,
        }
    }

    /// `backend` in the first of its forms this CPU supports, if this build
    /// has it.
    pub fn new(backend: Backend) -> Option<Kernel> {
        backend
            .forms()
            .iter()
            .find_map(|&form| Kernel::with_form(backend, form))
    }

    /// `backend` in `form`, if this build has both and this CPU supports the
    /// backend in that form.
    pub fn with_form(backend: Backend, form: Form) -> Option<Kernel> {
        if !backend.forms().contains(&form) {
            return None;
        }
        let imp = match backend {
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => Imp::Avx512(avx512::Avx512::detect()?),
            #[cfg(target_arch = "x86_64")]
            Backend::ShaNi => Imp::ShaNi(sha_ni::ShaNi::detect(form)?),
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => Imp::Avx2(avx2::Avx2::detect()?),
            #[cfg(thumb_kernel = "v6m")]
            Backend::ArmV6m => Imp::ArmV6m(armv6m::ArmV6m::detect()?),
            #[cfg(thumb_kernel = "v8m")]
            Backend::ArmV8m => Imp::ArmV8m(armv8m::ArmV8m::detect()?),
            Backend::Portable => Imp::Portable,
            _ => return None,
        };
        Some(Kernel { imp, form })
    }

    /// Every backend this CPU supports in every form, fastest first by
    /// design (measured on a Zen 5 core). Hosts with a clock may time them
    /// and choose otherwise.
    pub fn available() -> impl Iterator<Item = Kernel> {
        Backend::ALL.iter().flat_map(|&backend| {
            backend
                .forms()
                .iter()
                .filter_map(move |&form| Kernel::with_form(backend, form))
        })
    }

    /// The first available backend in [`Backend::ALL`] order.
    pub fn detect() -> Kernel {
        Kernel::available().next().unwrap_or(Kernel::portable())
    }

    /// The form of its rounds.
    pub fn form(&self) -> Form {
        self.form
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self.imp {
            #[cfg(target_arch = "x86_64")]
            Imp::Avx512(_) => Backend::Avx512,
            #[cfg(target_arch = "x86_64")]
            Imp::ShaNi(_) => Backend::ShaNi,
            #[cfg(target_arch = "x86_64")]
            Imp::Avx2(_) => Backend::Avx2,
            #[cfg(thumb_kernel = "v6m")]
            Imp::ArmV6m(_) => Backend::ArmV6m,
            #[cfg(thumb_kernel = "v8m")]
            Imp::ArmV8m(_) => Backend::ArmV8m,
            Imp::Portable => Backend::Portable,
        }
    }

    /// Scans `range` of `job` for `zero_bits` leading zero bits.
    pub fn scan(&self, job: &ScanJob, range: NonceRange, zero_bits: u8) -> ScanOutcome {
        match self.imp {
            #[cfg(target_arch = "x86_64")]
            Imp::Avx512(cpu) => cpu.scan(job, range, zero_bits, self.form),
            #[cfg(target_arch = "x86_64")]
            Imp::ShaNi(cpu) => cpu.scan(job, range, zero_bits),
            #[cfg(target_arch = "x86_64")]
            Imp::Avx2(cpu) => cpu.scan(job, range, zero_bits, self.form),
            #[cfg(thumb_kernel = "v6m")]
            Imp::ArmV6m(cpu) => cpu.scan(job, range, zero_bits),
            #[cfg(thumb_kernel = "v8m")]
            Imp::ArmV8m(cpu) => cpu.scan(job, range, zero_bits),
            Imp::Portable => portable::scan(job, range, zero_bits),
        }
    }
}

/// The backend's name, and the form's after a `/` where the backend has
/// several (`avx512/short-chain`, `sha-ni/compact`, `portable`).
impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backend = self.backend();
        if backend.forms().len() > 1 {
            write!(f, "{backend}/{}", self.form)
        } else {
            write!(f, "{backend}")
        }
    }
}

/// Anything that scans under the kernel's contract (see the module docs):
/// a [`Kernel`], or a driver for hashing hardware such as the RP2350's
/// SHA-256 accelerator (through [`engine::scan`]). The host's parallel scan
/// and the boards' scan workers take any `Scanner`.
pub trait Scanner {
    /// Scans `range` of `job` for `zero_bits` leading zero bits: exactly
    /// what [`Kernel::scan`] returns for the same arguments.
    fn scan(&mut self, job: &ScanJob, range: NonceRange, zero_bits: u8) -> ScanOutcome;
}

impl Scanner for Kernel {
    fn scan(&mut self, job: &ScanJob, range: NonceRange, zero_bits: u8) -> ScanOutcome {
        Kernel::scan(self, job, range, zero_bits)
    }
}

/// A kernel that failed its known-answer test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SelfTestFailed {
    /// The backend that failed.
    pub backend: Backend,
    /// The form of its rounds.
    pub form: Form,
    /// Which check failed, for the log.
    pub check: &'static str,
}

impl fmt::Display for SelfTestFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kernel {}", self.backend)?;
        if self.backend.forms().len() > 1 {
            write!(f, "/{}", self.form)?;
        }
        write!(f, " failed its self-test: {}", self.check)
    }
}

impl core::error::Error for SelfTestFailed {}

/// Known-answer test, cheap enough for a board's boot (a few hundred
/// hashes): scans around the winning nonces of two public blocks and checks
/// each is found, and that a range without one reports none.
pub fn self_test(kernel: &Kernel) -> Result<(), SelfTestFailed> {
    known_answers(|job, range, zero_bits| kernel.scan(job, range, zero_bits)).map_err(|check| {
        SelfTestFailed {
            backend: kernel.backend(),
            form: kernel.form(),
            check,
        }
    })
}

/// The checks of [`self_test`] on any scan function; the failed check's
/// description on failure.
fn known_answers(
    mut scan: impl FnMut(&ScanJob, NonceRange, u8) -> ScanOutcome,
) -> Result<(), &'static str> {
    for v in [GENESIS, BLOCK_125552] {
        let job = ScanJob::new(&v.template());
        let around = NonceRange::new(v.nonce - 70, v.nonce + 70).map_err(|_| "range")?;
        let out = scan(&job, around, 32);
        if out.found != Some(v.nonce) {
            return Err("missed a known solution");
        }
        if out.hashes != 71 {
            return Err("did not stop at the solution");
        }
        let before = NonceRange::new(v.nonce - 40, v.nonce - 1).map_err(|_| "range")?;
        let out = scan(&job, before, 32);
        if out.found.is_some() || out.hashes != 40 || out.best.zero_bits >= 32 {
            return Err("reported a solution where there is none");
        }
        let reference = crate::header::sha256d(&v.header().with_nonce(out.best.nonce).to_bytes());
        if reference.zero_bits().min(255) != u32::from(out.best.zero_bits) {
            return Err("best hash disagrees with the reference");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
