//! Text out on UART0 (TX on GPIO 0, 115200 baud, 8N1), a line at a time:
//! SIO spinlock [`LOCK`] keeps lines from the two cores whole, and core 1's
//! begin with "core 1: ".

use core::fmt::{self, Write};

use rp_pac as pac;

/// The SIO spinlock held while a line is written (embassy-rp's critical
/// section takes 31; nothing here takes another).
const LOCK: usize = 30;

/// UART0 out of reset, 115200 baud from a 125 MHz `clk_peri` (the
/// emulator's; the divisor is 67 + 52/64), 8 data bits with the FIFO on,
/// transmitter enabled, GPIO 0 switched to it.
pub fn init() {
    pac::RESETS.reset().modify(|w| {
        w.set_uart0(false);
        w.set_io_bank0(false);
        w.set_pads_bank0(false);
    });
    while !{
        let done = pac::RESETS.reset_done().read();
        done.uart0() && done.io_bank0() && done.pads_bank0()
    } {}
    let uart = pac::UART0;
    uart.uartibrd().write(|w| w.set_baud_divint(67));
    uart.uartfbrd().write(|w| w.set_baud_divfrac(52));
    uart.uartlcr_h().write(|w| {
        w.set_wlen(0b11);
        w.set_fen(true);
    });
    uart.uartcr().write(|w| {
        w.set_uarten(true);
        w.set_txe(true);
    });
    // Function 2 of GPIO 0 is UART0 TX.
    pac::IO_BANK0.gpio(0).ctrl().write(|w| w.set_funcsel(2));
}

/// UART0's transmitter: each byte waits for room in the FIFO.
struct Uart0;

impl Write for Uart0 {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            while pac::UART0.uartfr().read().txff() {}
            pac::UART0.uartdr().write(|w| w.set_data(byte));
        }
        Ok(())
    }
}

/// Writes one line, whole, from either core.
pub fn line(args: fmt::Arguments) {
    while pac::SIO.spinlock(LOCK).read() == 0 {}
    write_line(args);
    // Any write releases the lock.
    pac::SIO.spinlock(LOCK).write_value(1);
}

/// Writes one line without the lock: for the panic handler, whose core
/// may hold it.
pub fn line_unlocked(args: fmt::Arguments) {
    write_line(args);
}

fn write_line(args: fmt::Arguments) {
    let from = match pac::SIO.cpuid().read() {
        0 => "",
        _ => "core 1: ",
    };
    // Uart0 never fails.
    let _ = Uart0.write_fmt(format_args!("{from}{args}\r\n"));
}

/// `println!` for this image (the name the shared checks use): one line on
/// UART0.
macro_rules! hprintln {
    ($($arg:tt)*) => {
        $crate::uart::line(format_args!($($arg)*))
    };
}
pub(crate) use hprintln;
