//! Writing to stdout and stderr without panicking when they are closed.
//!
//! Rust ignores `SIGPIPE`, so a write to a pipe whose reader has gone
//! (`coordinator run ... 2>&1 | head -3`) fails with `BrokenPipe`, and
//! `println!` turns that into a panic. Every line the commands print goes
//! through here instead, and so do the logs: a failed write marks the
//! output closed. A command that runs until stopped (`run`, `sim`, `chain`,
//! `demo`) calls [`keep_running`] first and treats a closed output like
//! Ctrl-C ([`super::shutdown_signal`] resolves): it stops cleanly and exits
//! 0. Any other command exits 0 at once, as it would have died of
//! `SIGPIPE`: its reader has all it wanted.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

static CLOSED: AtomicBool = AtomicBool::new(false);
static GRACEFUL: AtomicBool = AtomicBool::new(false);
static NOTIFY: Notify = Notify::const_new();

/// Prints a line on stdout (`println!` that never panics).
macro_rules! outln {
    () => { $crate::cmd::output::line(format_args!("")) };
    ($($arg:tt)*) => { $crate::cmd::output::line(format_args!($($arg)*)) };
}
pub(crate) use outln;

/// Prints a line on stderr (`eprintln!` that never panics).
macro_rules! errln {
    ($($arg:tt)*) => { $crate::cmd::output::err_line(format_args!($($arg)*)) };
}
pub(crate) use errln;

/// This command stops cleanly when its output closes, instead of exiting
/// at once; a log (stderr) whose reader has gone is noticed even while
/// the command has nothing to log (`run ... 2>&1 | head -3`).
pub fn keep_running() {
    GRACEFUL.store(true, Ordering::SeqCst);
    #[cfg(unix)]
    watch_pipes();
}

/// Waits, on a thread of its own, for stderr to report an error or a
/// hang-up (`poll(2)` reports both unasked: the reader of a pipe has gone,
/// the terminal has closed), then marks the output closed: a command that
/// can no longer say what is wrong stops. Files and open terminals never
/// report either, so the thread just sleeps. Stdout is not watched: a
/// script may read the first line (the address) and close it, and the
/// command goes on (until it next writes there).
#[cfg(unix)]
fn watch_pipes() {
    use rustix::event::{PollFd, PollFlags, poll};
    let spawned = std::thread::Builder::new()
        .name("output-watch".into())
        .spawn(|| {
            let err = io::stderr();
            let mut fds = [PollFd::new(&err, PollFlags::empty())];
            loop {
                match poll(&mut fds, None) {
                    // A closed descriptor (`>&-`): writes will tell.
                    Ok(_) if fds.iter().any(|f| f.revents().contains(PollFlags::NVAL)) => return,
                    Ok(_) => {
                        let gone = PollFlags::ERR | PollFlags::HUP;
                        if fds.iter().any(|f| f.revents().intersects(gone)) {
                            mark_closed();
                            return;
                        }
                    }
                    Err(rustix::io::Errno::INTR) => {}
                    // An unpollable descriptor: writes will tell.
                    Err(_) => return,
                }
            }
        });
    // Without the thread, a failed write still tells.
    drop(spawned);
}

/// Whether stdout or stderr has closed.
pub fn closed() -> bool {
    CLOSED.load(Ordering::SeqCst)
}

/// Resolves once stdout or stderr has closed.
pub async fn wait_closed() {
    loop {
        let notified = NOTIFY.notified();
        if closed() {
            return;
        }
        notified.await;
    }
}

/// A write failed: the reader has gone (or the terminal).
fn mark_closed() {
    if !CLOSED.swap(true, Ordering::SeqCst) {
        NOTIFY.notify_waiters();
    }
    if !GRACEFUL.load(Ordering::SeqCst) {
        std::process::exit(0);
    }
}

/// Writes `bytes` to `out`; a failure marks the output closed.
pub fn write_or_close(out: &mut dyn Write, bytes: &[u8]) {
    if closed() {
        return;
    }
    if out.write_all(bytes).and_then(|()| out.flush()).is_err() {
        mark_closed();
    }
}

/// One line on stdout (see `outln!`).
pub fn line(args: fmt::Arguments<'_>) {
    let text = format!("{args}\n");
    write_or_close(&mut io::stdout().lock(), text.as_bytes());
}

/// One line on stderr (see `errln!`).
pub fn err_line(args: fmt::Arguments<'_>) {
    let text = format!("{args}\n");
    write_or_close(&mut io::stderr().lock(), text.as_bytes());
}

/// `error: ...` on stderr, the last thing a failing command prints.
pub fn error_line(e: &dyn fmt::Display) {
    // A command that failed exits with its own status, closed or not.
    let _ = writeln!(io::stderr().lock(), "error: {e}");
}

/// Stderr for the logs: a failed write marks the output closed and is
/// otherwise swallowed (tracing has nowhere to report it).
#[derive(Debug)]
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        write_or_close(&mut io::stderr().lock(), buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The [`LogWriter`] maker, for `tracing_subscriber::fmt().with_writer`.
pub fn log_writer() -> LogWriter {
    LogWriter
}
