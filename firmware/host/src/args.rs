//! The command line. Bad flags get a message naming the flag and exit 2.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use protocol::ClusterKey;
use protocol::wire::DEFAULT_PORT;

pub const USAGE: &str = "\
usage: host-miner --address A.B.C.D/LEN (--key HEX | --key-file PATH) [options]

Runs the boards' miner task (miner-driver) on the host, on a TAP device.

  --tap NAME              TAP device to attach to (default tap0; it must exist)
  --address A.B.C.D/LEN   the miner's static IPv4 address on that link
  --gateway A.B.C.D       default gateway (optional)
  --key HEX               cluster key, 64 hex characters
  --key-file PATH         file holding the cluster key
  --id N                  miner id (default 1)
  --coordinator IP:PORT   a coordinator to contact (repeatable; none: broadcast Discover)
  --discovery-port PORT   port broadcast Discover goes to (default 7411)
  --heartbeat-ms MS       heartbeat interval; the leader is taken for dead after
                          3 silent intervals (default 5000, as on the boards)
  --step-ms MS            target scan step (default 5, as on the boards)
  --chunk N               nonces a worker scans between yields (default 4096)
  --report-secs S         summary log interval (default 30)
";

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

/// A command line that cannot be used, and why.
#[derive(Debug)]
pub struct ArgError(pub String);

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn bad(flag: &str, value: &str, expected: &str) -> ArgError {
    ArgError(format!("{flag} {value:?}: expected {expected}"))
}

fn number<T: std::str::FromStr>(flag: &str, value: &str, expected: &str) -> Result<T, ArgError> {
    value.parse().map_err(|_| bad(flag, value, expected))
}

/// Parses `args` (without the program name).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, ArgError> {
    let mut it = args.into_iter();
    let mut tap = "tap0".to_string();
    let mut address = None;
    let mut gateway = None;
    let mut key = None;
    let mut id = 1;
    let mut coordinators = Vec::new();
    let mut discovery_port = DEFAULT_PORT;
    let mut heartbeat = Duration::from_secs(5);
    let mut step = Duration::from_millis(5);
    let mut chunk = 4096;
    let mut report = Duration::from_secs(30);
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Err(ArgError(String::new()));
        }
        let value = it
            .next()
            .ok_or_else(|| ArgError(format!("{flag} needs a value")))?;
        match flag.as_str() {
            "--tap" => tap = value,
            "--address" => {
                let (ip, len) = value
                    .split_once('/')
                    .ok_or_else(|| bad(&flag, &value, "A.B.C.D/LEN"))?;
                let ip: Ipv4Addr = number(&flag, ip, "A.B.C.D/LEN")?;
                let len: u8 = number(&flag, len, "a prefix length 1..=32")?;
                if !(1..=32).contains(&len) {
                    return Err(bad(&flag, &value, "a prefix length 1..=32"));
                }
                address = Some((ip, len));
            }
            "--gateway" => gateway = Some(number(&flag, &value, "A.B.C.D")?),
            "--key" => {
                key = Some(
                    ClusterKey::from_hex(&value)
                        .map_err(|_| bad(&flag, "..", "64 hex characters"))?,
                )
            }
            "--key-file" => {
                let text = std::fs::read_to_string(&value)
                    .map_err(|e| ArgError(format!("--key-file {value:?}: {e}")))?;
                key = Some(ClusterKey::from_hex(&text).map_err(|_| {
                    ArgError(format!("--key-file {value:?}: not 64 hex characters"))
                })?);
            }
            "--id" => id = number(&flag, &value, "a number below 2^32")?,
            "--coordinator" => coordinators.push(number(&flag, &value, "IPv4:PORT")?),
            "--discovery-port" => discovery_port = number(&flag, &value, "a port")?,
            "--heartbeat-ms" => {
                let ms: u64 = number(&flag, &value, "milliseconds, 10 or more")?;
                if ms < 10 {
                    return Err(bad(&flag, &value, "milliseconds, 10 or more"));
                }
                heartbeat = Duration::from_millis(ms);
            }
            "--step-ms" => step = Duration::from_millis(number(&flag, &value, "milliseconds")?),
            "--chunk" => chunk = number(&flag, &value, "a count of nonces")?,
            "--report-secs" => report = Duration::from_secs(number(&flag, &value, "seconds")?),
            _ => return Err(ArgError(format!("unknown option {flag}"))),
        }
    }
    let (address, prefix) = address.ok_or_else(|| ArgError("--address is required".into()))?;
    let key = key.ok_or_else(|| ArgError("--key or --key-file is required".into()))?;
    if coordinators.len() > protocol::miner::MAX_COORDINATORS {
        return Err(ArgError(format!(
            "at most {} --coordinator addresses",
            protocol::miner::MAX_COORDINATORS
        )));
    }
    Ok(Args {
        tap,
        address,
        prefix,
        gateway,
        key,
        id,
        coordinators,
        discovery_port,
        heartbeat,
        step,
        chunk,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Result<Args, ArgError> {
        parse(s.split_whitespace().map(String::from))
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
            let e = args(line).unwrap_err();
            assert!(e.0.contains(needle), "{line}: {e}");
        }
    }
}
