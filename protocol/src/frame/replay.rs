//! Replay protection: per sender, the boot id it is on and a 64-frame
//! sliding window of counters (RFC 6479 style): [`Window`]. A
//! [`ReplayTable`] keeps the windows of a fixed number of senders (a board
//! hears a few coordinators); a host with thousands of senders keeps the
//! same windows in a map of its own.
//!
//! What it stops:
//! - a frame delivered twice (network duplication, or an attacker replaying
//!   a recorded frame of the sender's current boot): refused as `Duplicate`;
//! - a frame more than 64 counters behind the newest one accepted from that
//!   boot: refused as `TooOld` (legitimate reordering is far smaller);
//! - frames of the sender's last [`RETIRED`] boots: refused as
//!   `RetiredBoot`, so recordings from shortly before a reboot are useless.
//!
//! What it does not stop:
//! - a recorded frame from a boot older than that, or any frame the
//!   receiver had not seen before it itself restarted (its table is in RAM):
//!   such a frame is accepted once and makes that boot current until the
//!   sender's next live frame. Its content is stale, from an old epoch or
//!   job, and the state machines ignore stale work; a replayed heartbeat can
//!   make a dead node look alive for about one interval;
//! - a sender evicted from a full table loses its window (least recently
//!   heard senders are evicted first; size the table above the cluster);
//! - delay: a frame held back and delivered later is accepted if it is
//!   still inside the window. Timeouts in the state machines bound its
//!   effect.

use heapless::Vec;

use crate::ids::{BootId, NodeId};

/// Counters kept per sender.
const WINDOW: u64 = 64;
/// Earlier boots remembered per sender.
pub const RETIRED: usize = 4;

/// Why a frame was refused by the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ReplayError {
    /// This counter was already accepted from this boot.
    Duplicate,
    /// The counter is behind the window.
    TooOld,
    /// The frame comes from a boot the sender has since left.
    RetiredBoot,
}

/// One sender's replay state: the boot it is on, which of the last 64
/// counters of that boot were accepted, and the boots it has left.
#[derive(Clone, Debug)]
pub struct Window {
    boot: BootId,
    highest: u64,
    /// Bit `i` set: counter `highest - i` was accepted.
    seen: u64,
    retired: [Option<BootId>; RETIRED],
}

impl Window {
    /// The window of a sender first heard with `(boot, counter)`.
    pub fn new(boot: BootId, counter: u64) -> Window {
        Window {
            boot,
            highest: counter,
            seen: 1,
            retired: [None; RETIRED],
        }
    }

    /// Accepts `(boot, counter)` and records it, or refuses it and changes
    /// nothing.
    pub fn accept(&mut self, boot: BootId, counter: u64) -> Result<(), ReplayError> {
        if self.boot != boot {
            if self.retired.contains(&Some(boot)) {
                return Err(ReplayError::RetiredBoot);
            }
            self.retired.rotate_right(1);
            self.retired[0] = Some(self.boot);
            *self = Window {
                retired: self.retired,
                ..Window::new(boot, counter)
            };
            return Ok(());
        }
        if counter > self.highest {
            let shift = counter - self.highest;
            self.seen = if shift >= WINDOW {
                0
            } else {
                self.seen << shift
            };
            self.seen |= 1;
            self.highest = counter;
        } else {
            let behind = self.highest - counter;
            if behind >= WINDOW {
                return Err(ReplayError::TooOld);
            }
            let bit = 1u64 << behind;
            if self.seen & bit != 0 {
                return Err(ReplayError::Duplicate);
            }
            self.seen |= bit;
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
struct Entry {
    sender: NodeId,
    window: Window,
    last_use: u64,
}

/// The replay state of up to `N` senders.
#[derive(Debug)]
pub struct ReplayTable<const N: usize> {
    entries: Vec<Entry, N>,
    clock: u64,
}

impl<const N: usize> Default for ReplayTable<N> {
    fn default() -> Self {
        ReplayTable {
            entries: Vec::new(),
            clock: 0,
        }
    }
}

impl<const N: usize> ReplayTable<N> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Senders tracked.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no sender is tracked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Accepts `(sender, boot, counter)` and records it, or refuses it and
    /// changes nothing.
    pub fn accept(
        &mut self,
        sender: NodeId,
        boot: BootId,
        counter: u64,
    ) -> Result<(), ReplayError> {
        self.clock += 1;
        let clock = self.clock;
        let Some(e) = self.entries.iter_mut().find(|e| e.sender == sender) else {
            self.insert(Entry {
                sender,
                window: Window::new(boot, counter),
                last_use: clock,
            });
            return Ok(());
        };
        e.window.accept(boot, counter)?;
        e.last_use = clock;
        Ok(())
    }

    fn insert(&mut self, entry: Entry) {
        if let Err(entry) = self.entries.push(entry) {
            // Full: replace the sender heard least recently.
            if let Some(lru) = self.entries.iter_mut().min_by_key(|e| e.last_use) {
                *lru = entry;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CoordinatorId, MinerId};

    const A: NodeId = NodeId::Miner(MinerId(1));
    const B: NodeId = NodeId::Coordinator(CoordinatorId(1));

    #[test]
    fn duplicates_and_old_counters_are_refused() {
        let mut t = ReplayTable::<4>::new();
        let boot = BootId(9);
        assert_eq!(t.accept(A, boot, 100), Ok(()));
        assert_eq!(t.accept(A, boot, 100), Err(ReplayError::Duplicate));
        // Reordering inside the window is fine, once.
        assert_eq!(t.accept(A, boot, 98), Ok(()));
        assert_eq!(t.accept(A, boot, 98), Err(ReplayError::Duplicate));
        assert_eq!(t.accept(A, boot, 200), Ok(()));
        assert_eq!(t.accept(A, boot, 137), Ok(()));
        assert_eq!(t.accept(A, boot, 136), Err(ReplayError::TooOld));
        // Ids of different kinds are different senders.
        assert_eq!(t.accept(B, boot, 100), Ok(()));
    }

    #[test]
    fn a_restarted_sender_is_heard_and_its_old_boot_is_refused() {
        let mut t = ReplayTable::<4>::new();
        assert_eq!(t.accept(A, BootId(1), 5000), Ok(()));
        // Reboot: counter starts over under a new boot id.
        assert_eq!(t.accept(A, BootId(2), 0), Ok(()));
        assert_eq!(t.accept(A, BootId(2), 1), Ok(()));
        assert_eq!(t.accept(A, BootId(1), 5001), Err(ReplayError::RetiredBoot));
        assert_eq!(t.accept(A, BootId(2), 1), Err(ReplayError::Duplicate));
    }

    #[test]
    fn a_full_table_evicts_the_least_recently_heard() {
        let mut t = ReplayTable::<2>::new();
        let boot = BootId(1);
        t.accept(NodeId::Miner(MinerId(1)), boot, 1).unwrap();
        t.accept(NodeId::Miner(MinerId(2)), boot, 1).unwrap();
        t.accept(NodeId::Miner(MinerId(1)), boot, 2).unwrap();
        t.accept(NodeId::Miner(MinerId(3)), boot, 1).unwrap();
        assert_eq!(t.len(), 2);
        // Miner 1 was kept: its window still refuses a duplicate.
        assert_eq!(
            t.accept(NodeId::Miner(MinerId(1)), boot, 2),
            Err(ReplayError::Duplicate)
        );
    }

    #[test]
    fn a_window_alone_keeps_the_same_rules() {
        let mut w = Window::new(BootId(1), 10);
        assert_eq!(w.accept(BootId(1), 10), Err(ReplayError::Duplicate));
        assert_eq!(w.accept(BootId(1), 9), Ok(()));
        assert_eq!(w.accept(BootId(2), 0), Ok(()));
        assert_eq!(w.accept(BootId(1), 11), Err(ReplayError::RetiredBoot));
        assert_eq!(w.accept(BootId(2), 0), Err(ReplayError::Duplicate));
        assert_eq!(w.accept(BootId(2), 64), Ok(()));
        assert_eq!(w.accept(BootId(2), 0), Err(ReplayError::TooOld));
    }

    #[test]
    fn huge_jumps_do_not_overflow() {
        let mut t = ReplayTable::<1>::new();
        t.accept(A, BootId(1), 0).unwrap();
        t.accept(A, BootId(1), u64::MAX).unwrap();
        assert_eq!(t.accept(A, BootId(1), 0), Err(ReplayError::TooOld));
    }
}
