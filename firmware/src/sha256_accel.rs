//! The RP2350's SHA-256 accelerator as a `protocol` block engine.
//!
//! The accelerator (RP2350 datasheet, "SHA-256 accelerator"; registers at
//! `0x400f_8000`) hashes 512-bit blocks written word by word to `WDATA`,
//! from the IV set by `CSR.START`; `SUM0..SUM7` then hold the state. Its
//! state cannot be loaded, so a nonce costs three blocks: the header's two
//! and the digest's one. After the 16th word of a block `WDATA_RDY` stays
//! low for 57 cycles while the block is compressed; `SUM_VLD` is high once
//! the last block's state is ready.
//!
//! Only the register accesses are here: the blocks, their padding, the
//! candidate test and the scan contract are `protocol::kernel::engine`,
//! tested on the host against `sha2` with a software engine, and this
//! driver passes the same boot known-answer test before it mines.
//!
//! Registers go through `embassy_rp::pac` (rp-pac), whose accessors are
//! safe: no `unsafe` here. Embassy leaves no driver for this block, so
//! there is no peripheral singleton either: [`Accelerator::take`] hands out
//! the one handle.

use core::sync::atomic::{AtomicBool, Ordering};

use embassy_rp::pac;
use embassy_rp::pac::sha256::regs::Csr;
use embassy_rp::pac::sha256::vals::DmaSize;
use protocol::NonceRange;
use protocol::kernel::engine::{self, BlockEngine};
use protocol::kernel::{ScanJob, ScanOutcome, Scanner};

/// Whether the handle was taken.
static TAKEN: AtomicBool = AtomicBool::new(false);

/// The accelerator, owned by the one scan worker that drives it.
#[derive(Debug)]
pub struct Accelerator(());

/// Why the accelerator cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub enum AcceleratorError {
    /// [`Accelerator::take`] was called before.
    Taken,
    /// The block is held in reset (`embassy_rp::init` releases it).
    InReset,
    /// It failed the boot known-answer test: the check that failed.
    SelfTest(&'static str),
}

/// `CSR` with `START` and the settings every hash uses: words written to
/// `WDATA` are message words already (no byte swap).
fn start_csr() -> Csr {
    let mut csr = Csr(0);
    csr.set_start(true);
    csr.set_bswap(false);
    csr.set_dma_size(DmaSize::_32BIT);
    csr
}

impl Accelerator {
    /// The handle, once, if the block is out of reset and passes the
    /// kernels' known-answer test.
    pub fn take() -> Result<Accelerator, AcceleratorError> {
        if TAKEN.swap(true, Ordering::AcqRel) {
            return Err(AcceleratorError::Taken);
        }
        if !pac::RESETS.reset_done().read().sha256() {
            return Err(AcceleratorError::InReset);
        }
        let mut accel = Accelerator(());
        // Clear a write error left by anything before us.
        pac::SHA256.csr().write(|w| {
            *w = start_csr();
            w.set_err_wdata_not_rdy(true);
        });
        engine::self_test(&mut accel).map_err(AcceleratorError::SelfTest)?;
        Ok(accel)
    }

    /// Waits for `SUM_VLD`: the state of the last block is ready.
    #[inline(always)]
    fn wait_sum(&self) {
        while !pac::SHA256.csr().read().sum_vld() {}
    }
}

impl BlockEngine for Accelerator {
    #[inline(always)]
    fn start(&mut self) {
        pac::SHA256.csr().write_value(start_csr());
    }

    #[inline(always)]
    fn absorb(&mut self, block: &[u32; 16]) {
        // 57 cycles after the previous block's last word.
        while !pac::SHA256.csr().read().wdata_rdy() {}
        write_block(block);
    }

    #[inline(always)]
    fn start_with(&mut self, block: &[u32; 16]) {
        // START forces WDATA_RDY high: no wait.
        self.start();
        write_block(block);
    }

    #[inline(always)]
    fn state(&mut self) -> [u32; 8] {
        self.wait_sum();
        let s = pac::SHA256;
        [
            s.sum0().read(),
            s.sum1().read(),
            s.sum2().read(),
            s.sum3().read(),
            s.sum4().read(),
            s.sum5().read(),
            s.sum6().read(),
            s.sum7().read(),
        ]
    }

    #[inline(always)]
    fn last_word(&mut self) -> u32 {
        self.wait_sum();
        pac::SHA256.sum7().read()
    }
}

/// Writes the 16 words of a block to `WDATA`.
#[inline(always)]
fn write_block(block: &[u32; 16]) {
    let wdata = pac::SHA256.wdata();
    for &word in block {
        wdata.write_value(word);
    }
}

impl Scanner for Accelerator {
    fn scan(&mut self, job: &ScanJob, range: NonceRange, zero_bits: u8) -> ScanOutcome {
        engine::scan(self, job, range, zero_bits)
    }
}
