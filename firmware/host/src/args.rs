//! The command line (clap, as the coordinator's). Bad flags get a message
//! naming the flag and exit 2; `--help` prints the usage and exits 0.

use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::PathBuf;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use protocol::ClusterKey;
use protocol::miner::MAX_COORDINATORS;
use protocol::wire::DEFAULT_PORT;

/// Runs the boards' miner task (miner-driver) on the host, on a TAP device.
#[derive(Debug, Parser)]
#[command(name = "host-miner", version)]
struct Cli {
    /// TAP device to attach to (it must exist).
    #[arg(long, value_name = "NAME", default_value = "tap0")]
    tap: String,
    /// The miner's static IPv4 address on that link.
    #[arg(long, value_name = "A.B.C.D/LEN", value_parser = cidr)]
    address: (Ipv4Addr, u8),
    /// Default gateway.
    #[arg(long, value_name = "A.B.C.D")]
    gateway: Option<Ipv4Addr>,
    /// Cluster key, 64 hex characters.
    #[arg(
        long,
        value_name = "HEX",
        required_unless_present = "key_file",
        conflicts_with = "key_file"
    )]
    key: Option<String>,
    /// File holding the cluster key.
    #[arg(long, value_name = "PATH")]
    key_file: Option<PathBuf>,
    /// Miner id.
    #[arg(long, value_name = "N", default_value_t = 1)]
    id: u32,
    /// A coordinator to contact (repeatable, up to 8; none: broadcast
    /// Discover).
    #[arg(long = "coordinator", value_name = "IP:PORT")]
    coordinators: Vec<SocketAddrV4>,
    /// Port broadcast Discover goes to.
    #[arg(long, value_name = "PORT", default_value_t = DEFAULT_PORT)]
    discovery_port: u16,
    /// Heartbeat interval, 10 to 600000 (the coordinators'); the leader is
    /// taken for dead after 3 silent intervals.
    #[arg(long, value_name = "MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(10..=600_000))]
    heartbeat_ms: u64,
    /// Target scan step, 1 to 60000 (the boards step 5 ms).
    #[arg(long, value_name = "MS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=60_000))]
    step_ms: u64,
    /// Nonces a worker scans between yields, 1 or more.
    #[arg(long, value_name = "N", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(1..))]
    chunk: u32,
    /// Summary log interval, 1 to 86400.
    #[arg(long, value_name = "S", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    report_secs: u64,
}

/// Parsed options.
#[derive(Debug)]
pub struct Args {
    pub tap: String,
    pub address: Ipv4Addr,
    pub prefix: u8,
    pub gateway: Option<Ipv4Addr>,
    pub key: ClusterKey,
    pub id: u32,
    pub coordinators: Vec<SocketAddrV4>,
    pub discovery_port: u16,
    pub heartbeat: Duration,
    pub step: Duration,
    pub chunk: u32,
    pub report: Duration,
}

/// `A.B.C.D/LEN`, LEN from 1 to 32.
fn cidr(text: &str) -> Result<(Ipv4Addr, u8), String> {
    const EXPECTED: &str = "expected A.B.C.D/LEN with LEN from 1 to 32";
    let (ip, len) = text.split_once('/').ok_or(EXPECTED)?;
    let ip = ip.parse().map_err(|_| EXPECTED)?;
    match len.parse() {
        Ok(len @ 1..=32) => Ok((ip, len)),
        _ => Err(EXPECTED.into()),
    }
}

/// An error in clap's format, naming `flag`.
fn invalid(flag: &str, why: impl std::fmt::Display) -> clap::Error {
    Cli::command().error(ErrorKind::ValueValidation, format!("{flag}: {why}"))
}

/// The cluster key from `--key` or `--key-file`. Never echoes the key.
fn key(cli: &Cli) -> Result<ClusterKey, clap::Error> {
    match (&cli.key, &cli.key_file) {
        (Some(hex), _) => {
            ClusterKey::from_hex(hex).map_err(|_| invalid("--key", "expected 64 hex characters"))
        }
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| invalid("--key-file", format!("{}: {e}", path.display())))?;
            ClusterKey::from_hex(&text).map_err(|_| {
                invalid(
                    "--key-file",
                    format!("{}: not 64 hex characters", path.display()),
                )
            })
        }
        // clap requires one of the two.
        (None, None) => Err(invalid("--key", "--key or --key-file is required")),
    }
}

/// Parses a command line (with the program name first).
pub fn parse<I, T>(args: I) -> Result<Args, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = Cli::try_parse_from(args)?;
    if cli.coordinators.len() > MAX_COORDINATORS {
        return Err(invalid(
            "--coordinator",
            format!("at most {MAX_COORDINATORS} addresses"),
        ));
    }
    let key = key(&cli)?;
    let (address, prefix) = cli.address;
    Ok(Args {
        tap: cli.tap,
        address,
        prefix,
        gateway: cli.gateway,
        key,
        id: cli.id,
        coordinators: cli.coordinators,
        discovery_port: cli.discovery_port,
        heartbeat: Duration::from_millis(cli.heartbeat_ms),
        step: Duration::from_millis(cli.step_ms),
        chunk: cli.chunk,
        report: Duration::from_secs(cli.report_secs),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args, clap::Error> {
        parse(std::iter::once("host-miner").chain(s.split_whitespace()))
    }

    const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    #[test]
    fn parses_a_full_command_line() {
        let a = args(&format!(
            "--tap t1 --address 10.0.0.2/24 --key {KEY} --id 9 --coordinator 10.0.0.1:7411 --coordinator 10.0.0.3:7000"
        ))
        .unwrap();
        assert_eq!(
            (a.tap.as_str(), a.address, a.prefix, a.id),
            ("t1", Ipv4Addr::new(10, 0, 0, 2), 24, 9)
        );
        assert_eq!(a.coordinators.len(), 2);
    }

    #[test]
    fn names_the_bad_flag() {
        for (line, needle) in [
            ("--address 10.0.0.2", "--address"),
            (
                &format!("--address 10.0.0.2/24 --key {KEY} --id x") as &str,
                "--id",
            ),
            ("--address 10.0.0.2/24 --key abc", "--key"),
            ("--address 10.0.0.2/24", "--key"),
            ("--frob 1", "--frob"),
        ] {
            let e = args(line).unwrap_err().to_string();
            assert!(e.contains(needle), "{line}: {e}");
        }
    }

    #[test]
    fn defaults_bounds_and_exit_codes() {
        let a = args(&format!("--address 10.0.0.2/24 --key {KEY}")).unwrap();
        assert_eq!(
            (a.tap.as_str(), a.id, a.discovery_port, a.chunk),
            ("tap0", 1, DEFAULT_PORT, 4096)
        );
        assert_eq!(a.heartbeat, Duration::from_secs(5));
        assert_eq!(a.step, Duration::from_millis(5));
        assert_eq!(a.report, Duration::from_secs(30));
        for bad in [
            "--heartbeat-ms 9",
            "--heartbeat-ms 600001",
            "--step-ms 0",
            "--chunk 0",
            "--report-secs 0",
            "--coordinator 10.0.0.1:1 --coordinator 10.0.0.1:2 --coordinator 10.0.0.1:3 \
             --coordinator 10.0.0.1:4 --coordinator 10.0.0.1:5 --coordinator 10.0.0.1:6 \
             --coordinator 10.0.0.1:7 --coordinator 10.0.0.1:8 --coordinator 10.0.0.1:9",
        ] {
            let e = args(&format!("--address 10.0.0.2/24 --key {KEY} {bad}")).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}: {e}");
        }
        assert_eq!(cidr("10.0.0.3/32"), Ok((Ipv4Addr::new(10, 0, 0, 3), 32)));
        for bad in ["10.0.0.3/33", "10.0.0.3/0", "10.0.0.3", "10.0.0/8", "x/8"] {
            assert!(cidr(bad).is_err(), "{bad}");
        }
        assert_eq!(args("--help").unwrap_err().exit_code(), 0);
        // Both key flags at once: ambiguous.
        let e = args(&format!("--address 10.0.0.2/24 --key {KEY} --key-file k")).unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn a_bad_key_is_never_echoed() {
        let secret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeefX";
        let e = args(&format!("--address 10.0.0.2/24 --key {secret}"))
            .unwrap_err()
            .to_string();
        assert!(!e.contains(secret), "{e}");
    }
}
