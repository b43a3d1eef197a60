//! What Linux says about the leader process: CPU time, resident memory,
//! and datagrams its sockets dropped (`/proc`).

use std::collections::HashSet;

/// Clock ticks per second of `/proc/PID/stat` times: `USER_HZ`, 100 on
/// every Linux architecture this runs on (fixed by the kernel's ABI).
const USER_HZ: f64 = 100.0;

/// CPU time of a process so far, its threads (and those that ended) summed.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cpu {
    /// Seconds in user mode.
    pub user: f64,
    /// Seconds in the kernel (system calls, the network stack).
    pub system: f64,
}

impl Cpu {
    /// Both.
    pub fn total(&self) -> f64 {
        self.user + self.system
    }
}

/// The CPU time of process `pid`, from `/proc/PID/stat` (fields 14 and 15).
pub fn cpu(pid: u32) -> Option<Cpu> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; fields after it do not.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (the state), so field N is at N - 3.
    let ticks = |n: usize| fields.get(n - 3)?.parse::<f64>().ok();
    Some(Cpu {
        user: ticks(14)? / USER_HZ,
        system: ticks(15)? / USER_HZ,
    })
}

/// Seconds the threads of process `pid` have spent runnable but waiting
/// for a CPU (the second field of each `/proc/PID/task/TID/schedstat`):
/// how much other work on the machine delayed them.
pub fn run_queue_wait(pid: u32) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    let nanos: u64 = tasks
        .filter_map(Result::ok)
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum();
    nanos as f64 / 1e9
}

/// Resident memory of process `pid`, bytes (`VmRSS` of `/proc/PID/status`).
pub fn rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Datagrams dropped so far by the UDP sockets bound to `ports` (full
/// receive buffers, mostly): the `drops` column of `/proc/net/udp` and
/// `/proc/net/udp6`.
pub fn udp_drops(ports: &HashSet<u16>) -> u64 {
    let mut total = 0;
    for table in ["/proc/net/udp", "/proc/net/udp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let port = fields
                .get(1)
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            let drops = fields.last().and_then(|d| d.parse::<u64>().ok());
            if let (Some(port), Some(drops)) = (port, drops)
                && ports.contains(&port)
            {
                total += drops;
            }
        }
    }
    total
}

/// The CPU model, as `/proc/cpuinfo` names it.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Load average over the last minute.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
