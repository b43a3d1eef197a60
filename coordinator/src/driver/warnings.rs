//! What is wrong, in words: the warnings a node or a fleet raises (a
//! datagram with a bad tag, a peer with this node's id, two leaders in one
//! epoch, no coordinator heard, a chain service failing, a miner banned...).
//!
//! Each warning is kept once per kind and subject (an address, a miner, a
//! URL) with a count and the times of its first and last occurrence, for
//! `/status`; it is logged the first time and then at most once a minute
//! with the count since, so a flood of bad datagrams is one line a minute,
//! not one a datagram. At most [`MAX_KEPT`] are kept: the one heard least
//! recently goes first. The counters of refused datagrams stay beside them
//! (`wire.refused`).

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// Warnings kept at once.
pub const MAX_KEPT: usize = 32;
/// The shortest time between two log lines of one warning.
pub const LOG_EVERY: Duration = Duration::from_secs(60);

/// What kind of trouble.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Datagrams whose tag does not verify: another cluster key.
    BadTag,
    /// Datagrams of another protocol version.
    Version,
    /// Another node uses this node's id.
    IdClash,
    /// Two coordinators claim to lead the same epoch.
    TwoLeaders,
    /// A miner (or `sim`) hears no coordinator.
    NoCoordinator,
    /// The chain service does not answer, or refuses.
    ChainFailing,
    /// A miner was banned.
    MinerBanned,
    /// A hostname does not resolve.
    Unresolved,
    /// An address others cannot use is what this node tells them.
    Advertise,
}

impl WarningKind {
    /// The name used in `/status` and the log.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::BadTag => "bad_tag",
            WarningKind::Version => "version",
            WarningKind::IdClash => "id_clash",
            WarningKind::TwoLeaders => "two_leaders",
            WarningKind::NoCoordinator => "no_coordinator",
            WarningKind::ChainFailing => "chain_failing",
            WarningKind::MinerBanned => "miner_banned",
            WarningKind::Unresolved => "unresolved",
            WarningKind::Advertise => "advertise",
        }
    }
}

/// One warning, as `/status` serves it.
#[derive(Clone, Debug, Serialize)]
pub struct Warning {
    /// Its kind.
    pub kind: WarningKind,
    /// What it concerns (an address, a miner id, a URL), or empty.
    pub subject: String,
    /// What is wrong, and what may be the cause, in words (the latest).
    pub text: String,
    /// How many times it happened.
    pub count: u64,
    /// When it last happened, in seconds since the Unix epoch.
    pub time: u64,
    /// When it first happened, in seconds since the Unix epoch.
    pub first: u64,
}

#[derive(Debug)]
struct Entry {
    warning: Warning,
    logged: Instant,
    unlogged: u64,
}

/// The warnings of one node or fleet, shared by its tasks.
#[derive(Debug, Default)]
pub struct Warnings {
    entries: Mutex<Vec<Entry>>,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Warnings {
    /// No warnings yet.
    pub fn new() -> Warnings {
        Warnings::default()
    }

    /// `kind` about `subject` happened: counted, and logged if it is new or
    /// was last logged [`LOG_EVERY`] ago.
    pub fn raise(&self, kind: WarningKind, subject: impl Into<String>, text: impl Into<String>) {
        let (subject, text) = (subject.into(), text.into());
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let now = Instant::now();
        let unix = unix_now();
        let found = entries
            .iter_mut()
            .find(|e| e.warning.kind == kind && e.warning.subject == subject);
        let log = match found {
            Some(e) => {
                e.warning.count += 1;
                e.warning.time = unix;
                e.warning.text.clone_from(&text);
                e.unlogged += 1;
                (now.duration_since(e.logged) >= LOG_EVERY).then(|| {
                    let since = std::mem::take(&mut e.unlogged);
                    e.logged = now;
                    format!(
                        "{text} ({since} times in the last {} s)",
                        LOG_EVERY.as_secs()
                    )
                })
            }
            None => {
                if entries.len() >= MAX_KEPT
                    && let Some(oldest) = entries
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, e)| e.warning.time)
                        .map(|(i, _)| i)
                {
                    entries.swap_remove(oldest);
                }
                entries.push(Entry {
                    warning: Warning {
                        kind,
                        subject,
                        text: text.clone(),
                        count: 1,
                        time: unix,
                        first: unix,
                    },
                    logged: now,
                    unlogged: 0,
                });
                Some(text)
            }
        };
        drop(entries);
        if let Some(line) = log {
            tracing::warn!(kind = kind.as_str(), "{line}");
        }
    }

    /// Every warning kept, the most recent first.
    pub fn snapshot(&self) -> Vec<Warning> {
        let mut out: Vec<Warning> = self
            .entries
            .lock()
            .map(|e| e.iter().map(|e| e.warning.clone()).collect())
            .unwrap_or_default();
        out.sort_by(|a, b| b.time.cmp(&a.time).then(b.count.cmp(&a.count)));
        out
    }

    /// How many times `kind` happened, over every subject.
    pub fn count(&self, kind: WarningKind) -> u64 {
        self.entries.lock().map_or(0, |e| {
            e.iter()
                .filter(|e| e.warning.kind == kind)
                .map(|e| e.warning.count)
                .sum()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_per_kind_and_subject_and_bounded() {
        let w = Warnings::new();
        for _ in 0..1000 {
            w.raise(WarningKind::BadTag, "10.0.0.7:5000", "wrong key?");
        }
        w.raise(WarningKind::BadTag, "10.0.0.8:5000", "wrong key?");
        w.raise(WarningKind::IdClash, "10.0.0.7:5000", "same id");
        let s = w.snapshot();
        assert_eq!(s.len(), 3);
        assert_eq!(w.count(WarningKind::BadTag), 1001);
        let first = s
            .iter()
            .find(|x| x.subject == "10.0.0.7:5000" && x.kind == WarningKind::BadTag);
        assert_eq!(first.map(|x| x.count), Some(1000));
        for i in 0..100 {
            w.raise(WarningKind::Unresolved, format!("host{i}"), "no address");
        }
        assert_eq!(w.snapshot().len(), MAX_KEPT);
        let json = serde_json::to_value(&w.snapshot()[0]).unwrap();
        for field in ["kind", "subject", "text", "count", "time", "first"] {
            assert!(json.get(field).is_some(), "{field}: {json}");
        }
    }
}
