//! The instance's ear on the database: one connection of its own that
//! `LISTEN`s on the channel every write transaction notifies before it
//! commits (PostgreSQL delivers a notification only once its transaction
//! has committed, and never one of a rolled-back transaction). Each
//! notification, whichever instance sent it, bumps a counter that the
//! service's follower waits on; so events of blocks and trades committed
//! through any instance go out at once, not at the next poll.
//!
//! [`Listener::start`] returns once the first `LISTEN` is in place (or
//! after [`READY_WAIT`]), so that whatever is committed after the store
//! opened is heard. A lost connection is made again with backoff; the counter is bumped
//! after each reconnection, since what was committed meanwhile was heard
//! by nobody. The thread ends within [`POLL`] of the listener's drop.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;
use tokio::sync::watch;

use super::Cause;
use super::url::Settings;

/// How often the thread looks whether it should stop.
const POLL: Duration = Duration::from_millis(250);

/// How long [`Listener::start`] waits for the first `LISTEN`.
const READY_WAIT: Duration = Duration::from_secs(5);

/// The longest wait between two connection attempts.
const RETRY_MAX: Duration = Duration::from_secs(2);

/// The listening thread; dropping this stops it.
pub(super) struct Listener {
    stop: Arc<AtomicBool>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Listener {
    /// Starts listening on `channel`; the receiver sees the count of
    /// notifications (and reconnections) so far.
    pub(super) fn start(
        settings: Settings,
        channel: &'static str,
    ) -> std::io::Result<(Listener, watch::Receiver<u64>)> {
        let (tx, rx) = watch::channel(0u64);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let (ready, listening) = std::sync::mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("store-listener".into())
            .spawn(move || run(&settings, channel, &tx, &flag, &ready))?;
        // Without it in time, the follower's polls still find every commit.
        let _ = listening.recv_timeout(READY_WAIT);
        Ok((Listener { stop }, rx))
    }
}

fn run(
    settings: &Settings,
    channel: &str,
    tx: &watch::Sender<u64>,
    stop: &AtomicBool,
    ready: &std::sync::mpsc::SyncSender<()>,
) {
    let mut wait = POLL;
    let mut first = true;
    while !stop.load(Ordering::Relaxed) {
        let mut client = match settings.connect() {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!("listener: connecting: {}", Cause(&e));
                std::thread::sleep(wait);
                wait = (wait * 2).min(RETRY_MAX);
                continue;
            }
        };
        if let Err(e) = client.batch_execute(&format!("LISTEN {channel}")) {
            tracing::debug!("listener: LISTEN: {}", Cause(&e));
            continue;
        }
        wait = POLL;
        let _ = ready.try_send(());
        if !first {
            tx.send_modify(|n| *n += 1);
        }
        first = false;
        while !stop.load(Ordering::Relaxed) {
            let failed = {
                let mut notifications = client.notifications();
                let mut iter = notifications.timeout_iter(POLL);
                loop {
                    match iter.next() {
                        Ok(Some(_)) => tx.send_modify(|n| *n += 1),
                        Ok(None) => break false,
                        Err(e) => {
                            tracing::debug!("listener: {}", Cause(&e));
                            break true;
                        }
                    }
                }
            };
            if failed || client.is_closed() {
                break;
            }
        }
    }
}
