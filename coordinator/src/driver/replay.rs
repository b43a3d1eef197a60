//! The replay windows of a host node: `protocol`'s per-sender [`Window`],
//! kept in a hash map instead of the boards' fixed table, so that a leader
//! of 10,000 miners keeps every miner's window and finds it in constant
//! time. (The boards' `ReplayTable` searches its few entries in order and,
//! when full, replaces the sender heard least recently: a host of 1,024
//! entries leading 10,000 miners would search all of them for every
//! datagram, and forget every window before its sender spoke again.)
//!
//! Bounded all the same: past [`MAX_SENDERS`] senders (only holders of the
//! cluster key create one: a frame's tag is checked first), the half heard
//! least recently is forgotten at once, which costs one pass over the map
//! per `MAX_SENDERS / 2` new senders. A forgotten sender's next frame is
//! accepted as a first one, as the boards' table does.

use std::collections::HashMap;

use protocol::NodeId;
use protocol::frame::{ReplayError, Window};
use protocol::ids::BootId;

/// Senders whose windows a host node keeps (about 100 bytes each).
pub const MAX_SENDERS: usize = 1 << 17;

/// Replay windows by sender.
#[derive(Debug)]
pub struct SenderWindows {
    windows: HashMap<NodeId, (Window, u64)>,
    clock: u64,
    capacity: usize,
}

impl Default for SenderWindows {
    fn default() -> Self {
        SenderWindows::with_capacity(MAX_SENDERS)
    }
}

impl SenderWindows {
    /// Windows for at most `capacity` senders (at least 2).
    pub fn with_capacity(capacity: usize) -> SenderWindows {
        SenderWindows {
            windows: HashMap::new(),
            clock: 0,
            capacity: capacity.max(2),
        }
    }

    /// Senders tracked.
    pub fn len(&self) -> usize {
        self.windows.len()
    }

    /// Whether no sender is tracked.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
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
        if let Some((window, last_use)) = self.windows.get_mut(&sender) {
            window.accept(boot, counter)?;
            *last_use = self.clock;
            return Ok(());
        }
        if self.windows.len() >= self.capacity {
            self.forget_oldest_half();
        }
        self.windows
            .insert(sender, (Window::new(boot, counter), self.clock));
        Ok(())
    }

    fn forget_oldest_half(&mut self) {
        let mut uses: Vec<u64> = self.windows.values().map(|(_, t)| *t).collect();
        let middle = uses.len() / 2;
        let (_, &mut cut, _) = uses.select_nth_unstable(middle);
        self.windows.retain(|_, (_, t)| *t >= cut);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::MinerId;

    fn miner(i: u32) -> NodeId {
        NodeId::Miner(MinerId(i))
    }

    #[test]
    fn every_sender_keeps_its_own_window() {
        let mut w = SenderWindows::default();
        for i in 0..10_000 {
            w.accept(miner(i), BootId(i), 5).unwrap();
        }
        assert_eq!(w.len(), 10_000);
        for i in 0..10_000 {
            assert_eq!(
                w.accept(miner(i), BootId(i), 5),
                Err(ReplayError::Duplicate)
            );
            w.accept(miner(i), BootId(i), 6).unwrap();
        }
        // Same id, other kind: another sender.
        let coordinator = NodeId::Coordinator(protocol::CoordinatorId(1));
        w.accept(coordinator, BootId(1), 5).unwrap();
        assert_eq!(
            w.accept(miner(1), BootId(7), 0),
            Ok(()),
            "a new boot is heard"
        );
        assert_eq!(
            w.accept(miner(1), BootId(1), 7),
            Err(ReplayError::RetiredBoot)
        );
    }

    #[test]
    fn a_full_map_forgets_the_senders_heard_least_recently() {
        let mut w = SenderWindows::with_capacity(4);
        for i in 0..4 {
            w.accept(miner(i), BootId(1), 1).unwrap();
        }
        // Miners 0 and 1 are heard again: 2 and 3 are now the oldest.
        w.accept(miner(0), BootId(1), 2).unwrap();
        w.accept(miner(1), BootId(1), 2).unwrap();
        w.accept(miner(9), BootId(1), 1).unwrap();
        assert_eq!(w.len(), 3);
        assert_eq!(
            w.accept(miner(0), BootId(1), 2),
            Err(ReplayError::Duplicate)
        );
        assert_eq!(
            w.accept(miner(9), BootId(1), 1),
            Err(ReplayError::Duplicate)
        );
        assert_eq!(w.accept(miner(2), BootId(1), 1), Ok(()), "forgotten");
    }
}
