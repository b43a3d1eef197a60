//! The bounds of every count, size, duration and id given on the command
//! line, as clap value parsers. A value out of bounds stops the command
//! before anything starts, with clap's usage error (exit status 2) naming
//! the flag, the value and the range: one range, one message, whether the
//! value is too small, too large or not a number at all.

use protocol::{CoordinatorId, MinerId};

use crate::driver::resolve::HostPort;

/// Scanning threads per miner, and for `scan`: a thread per core is the
/// most that helps; this leaves room for large machines and stops before
/// the address space does.
pub const MAX_THREADS: usize = 1024;
/// Simulated miners in one process (each has its own UDP socket).
pub const MAX_MINERS: u32 = 1024;
/// Throttled miners in one process (`sim --rate`; a UDP socket each).
pub const MAX_LOAD_MINERS: u32 = 100_000;
/// Hashes per second of one throttled miner.
pub const MAX_LOAD_RATE: u32 = 100_000_000;
/// Scanning threads one process may run at once (`--miners` times
/// `--threads`).
pub const MAX_PROCESS_THREADS: u64 = 4096;
/// Coordinators the demo runs.
pub const MAX_COORDINATORS: u16 = 64;
/// Blocks the demo mines.
pub const MAX_BLOCKS: u64 = 1_000_000;
/// The longest duration a seconds flag takes (an hour).
pub const MAX_SECONDS: f64 = 3600.0;

/// A whole number from `lo` to `hi`, as `T`.
fn whole<T: TryFrom<u64>>(text: &str, lo: u64, hi: u64) -> Result<T, String> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|v| (lo..=hi).contains(v))
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| format!("must be a whole number from {lo} to {hi}"))
}

/// A number above zero and at most `hi`.
fn positive(text: &str, hi: f64, unit: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0 && *v <= hi)
        .ok_or_else(|| format!("must be a number above 0 and at most {hi}{unit}"))
}

/// The range every coordinator id is in, for messages.
pub const COORDINATOR_IDS: &str = "from 1 to 65535";

/// A coordinator id: 1 to 65535 (`--id`, the id of `--peer ID@ADDR`).
pub fn coordinator_id(text: &str) -> Result<CoordinatorId, String> {
    whole(text, 1, u64::from(u16::MAX)).map(CoordinatorId)
}

/// An address: `HOST:PORT`, the host an IP address or a name (`--listen`,
/// `--coordinator`, `--status`, `--advertise`); names are looked up when
/// the command starts.
pub fn host_port(text: &str) -> Result<HostPort, String> {
    text.trim()
        .parse()
        .map_err(|e: crate::driver::resolve::BadHostPort| e.to_string())
}

/// A peer coordinator, `ID@HOST:PORT`; the id is checked as `--id` is.
pub fn peer(text: &str) -> Result<(CoordinatorId, HostPort), String> {
    let (id, addr) = text.split_once('@').ok_or_else(|| {
        "expected ID@HOST:PORT, e.g. 2@127.0.0.1:7412 or 2@node2.lan:7411".to_owned()
    })?;
    let id = coordinator_id(id).map_err(|e| format!("the id {id:?} {e}"))?;
    Ok((id, host_port(addr)?))
}

/// A miner id: any 32-bit number (`--first-id`).
pub fn miner_id(text: &str) -> Result<MinerId, String> {
    whole(text, 0, u64::from(u32::MAX)).map(MinerId)
}

/// Scanning threads: 1 to [`MAX_THREADS`].
pub fn threads(text: &str) -> Result<usize, String> {
    whole(text, 1, MAX_THREADS as u64)
}

/// A coordinator's own mining threads: 0 (none) to [`MAX_THREADS`].
pub fn local_threads(text: &str) -> Result<usize, String> {
    whole(text, 0, MAX_THREADS as u64)
}

/// Simulated miners: 1 to [`MAX_MINERS`].
pub fn miners(text: &str) -> Result<u32, String> {
    whole(text, 1, u64::from(MAX_MINERS))
}

/// `sim`'s miners: 1 to [`MAX_LOAD_MINERS`] (at most [`MAX_MINERS`]
/// unless throttled, which `sim` checks).
pub fn load_miners(text: &str) -> Result<u32, String> {
    whole(text, 1, u64::from(MAX_LOAD_MINERS))
}

/// A throttled miner's hashes per second: 1 to [`MAX_LOAD_RATE`].
pub fn load_rate(text: &str) -> Result<u32, String> {
    whole(text, 1, u64::from(MAX_LOAD_RATE))
}

/// How long the load takes to start its miners: 0 to 600000 ms.
pub fn ramp_ms(text: &str) -> Result<u64, String> {
    whole(text, 0, 600_000)
}

/// The demo's coordinators: 1 to [`MAX_COORDINATORS`].
pub fn coordinators(text: &str) -> Result<u16, String> {
    whole(text, 1, u64::from(MAX_COORDINATORS))
}

/// The demo's blocks: 1 to [`MAX_BLOCKS`].
pub fn blocks(text: &str) -> Result<u64, String> {
    whole(text, 1, MAX_BLOCKS)
}

/// A chain's difficulty: 1 to 255 zero bits (what the chain service takes).
pub fn chain_zero_bits(text: &str) -> Result<u8, String> {
    whole(text, 1, 255)
}

/// The zero bits a scan looks for: 0 to 255.
pub fn scan_zero_bits(text: &str) -> Result<u8, String> {
    whole(text, 0, 255)
}

/// How far below the target a scan's near misses reach: 1 to 32 zero
/// bits (32 below a target of 40 is one hash in 256: plenty of lines).
pub fn near_misses(text: &str) -> Result<u8, String> {
    whole(text, 1, 32)
}

/// The heartbeat interval: 10 ms to 10 minutes.
pub fn heartbeat_ms(text: &str) -> Result<u64, String> {
    whole(text, 10, 600_000)
}

/// Missed heartbeat intervals before a peer is down: 1 to 100.
pub fn down_after(text: &str) -> Result<u32, String> {
    whole(text, 1, 100)
}

/// Failed claims before a miner is banned: 1 to 1000.
pub fn ban_after(text: &str) -> Result<u32, String> {
    whole(text, 1, 1000)
}

/// A first lease's size: 1 to 2,000,000,000 nonces (a job's whole range).
pub fn chunk(text: &str) -> Result<u64, String> {
    whole(text, 1, 2_000_000_000)
}

/// An amount or a price of the ledger: 1 to 2^64 - 1 units.
pub fn units(text: &str) -> Result<u64, String> {
    whole(text, 1, u64::MAX)
}

/// A height or a trade number: 0 to 2^64 - 1.
pub fn height(text: &str) -> Result<u64, String> {
    whole(text, 0, u64::MAX)
}

/// Levels or trades one wallet query shows: 1 to 1000 (the service's most).
pub fn page(text: &str) -> Result<usize, String> {
    whole(text, 1, 1000)
}

/// Transactions per block: 2 (the reward and one more) to 10000.
pub fn block_txs(text: &str) -> Result<usize, String> {
    whole(text, 2, 10_000)
}

/// Transactions waiting in the mempool: 1 to 1000000.
pub fn mempool(text: &str) -> Result<usize, String> {
    whole(text, 1, 1_000_000)
}

/// The demo's simulated traders: 0 to 256.
pub fn traders(text: &str) -> Result<u32, String> {
    whole(text, 0, 256)
}

/// A duration in seconds: above 0, at most an hour.
pub fn seconds(text: &str) -> Result<f64, String> {
    positive(text, MAX_SECONDS, " (seconds)")
}

/// How long a lease should take: 0 (every lease `--chunk` nonces), or
/// above 0 and at most an hour.
pub fn chunk_secs(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(0.0) => Ok(0.0),
        _ => positive(text, MAX_SECONDS, "").map_err(|_| {
            format!(
                "must be 0 (fixed chunks) or a number above 0 and at most {MAX_SECONDS} (seconds)"
            )
        }),
    }
}

/// The most miners a quorum may ask for.
pub const MAX_QUORUM_MINERS: u32 = 1_000_000;

/// Miners a leader waits for: 1 to [`MAX_QUORUM_MINERS`].
pub fn min_miners(text: &str) -> Result<u32, String> {
    whole(text, 1, u64::from(MAX_QUORUM_MINERS))
}

/// Coordinators a leader waits for, itself included: 1 to 65535 (as many
/// as there can be ids).
pub fn min_coordinators(text: &str) -> Result<u16, String> {
    whole(text, 1, u64::from(u16::MAX))
}

/// A core clock in GHz: above 0, at most 100.
pub fn ghz(text: &str) -> Result<f64, String> {
    positive(text, 100.0, " (GHz)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_small_too_large_and_not_a_number_get_one_message() {
        let message = |text| coordinator_id(text).unwrap_err();
        assert_eq!(message("0"), "must be a whole number from 1 to 65535");
        assert_eq!(message("0"), message("70000"));
        assert_eq!(message("0"), message("-1"));
        assert_eq!(message("0"), message("two"));
        assert_eq!(coordinator_id("65535"), Ok(CoordinatorId(65535)));
        assert_eq!(threads("100000000").unwrap_err(), threads("0").unwrap_err());
        assert_eq!(miner_id("4294967295"), Ok(MinerId(u32::MAX)));
        assert!(miner_id("4294967296").is_err());
        assert_eq!(local_threads("0"), Ok(0));
        for bad in ["0", "-1", "inf", "NaN", "3601"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
        assert_eq!(seconds("0.5"), Ok(0.5));
        assert_eq!(chunk_secs("0"), Ok(0.0));
        assert_eq!(chunk_secs("2"), Ok(2.0));
        for bad in ["-1", "3601", "NaN", "x"] {
            assert_eq!(
                chunk_secs(bad).unwrap_err(),
                "must be 0 (fixed chunks) or a number above 0 and at most 3600 (seconds)"
            );
        }
        assert!(min_miners("0").is_err());
        assert!(min_miners("1000001").is_err());
        assert_eq!(min_coordinators("65535"), Ok(65535));
    }
}

/// The value parser of `--db`: [`chain::Location::parse`], except that a
/// refused value is shown without the passwords it may hold (clap's own
/// error repeats the value as given).
#[derive(Clone, Copy, Debug)]
pub struct DbLocation;

impl clap::builder::TypedValueParser for DbLocation {
    type Value = chain::Location;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<chain::Location, clap::Error> {
        let flag = arg
            .and_then(clap::Arg::get_long)
            .map_or_else(|| "--db".to_owned(), |l| format!("--{l}"));
        let refused = |why: String, shown: String| {
            let message = format!("invalid value '{shown}' for '{flag}': {why}\n");
            clap::Error::raw(clap::error::ErrorKind::ValueValidation, message).with_cmd(cmd)
        };
        let Some(text) = value.to_str() else {
            let shown = chain::Location::redact(&value.to_string_lossy());
            return Err(refused("not UTF-8".into(), shown));
        };
        chain::Location::parse(text).map_err(|why| refused(why, chain::Location::redact(text)))
    }
}
