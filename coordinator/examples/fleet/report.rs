//! The table of every fleet size, in the README's layout.

use super::Cli;
use super::proc;
use super::run::Row;

/// Prints the machine, the settings and one column per fleet size.
pub fn print(cli: &Cli, rows: &[Row]) {
    println!(
        "CPU: {} ({} logical CPUs); heartbeat {} ms; {} H/s per miner; miners started over {} ms; \
         {:.0} s measured per size",
        proc::cpu_model(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cli.heartbeat_ms,
        cli.rate,
        cli.ramp().as_millis(),
        cli.seconds,
    );
    let mut header = String::from("| figure |");
    let mut rule = String::from("|---|");
    for r in rows {
        if cli.baseline.is_some() {
            header.push_str(&format!(
                " {} miners, {} |",
                group(u64::from(r.miners)),
                r.leader
            ));
        } else {
            header.push_str(&format!(" {} miners |", group(u64::from(r.miners))));
        }
        rule.push_str("---:|");
    }
    println!("{header}\n{rule}");
    let line = |name: &str, f: &dyn Fn(&Row) -> String| {
        let cells: String = rows.iter().map(|r| format!(" {} |", f(r))).collect();
        println!("| {name} |{cells}");
    };
    line("leader CPU, s per s (user + system)", &|r| {
        format!("{:.3} ({:.3} + {:.3})", r.cpu, r.cpu_user, r.cpu_system)
    });
    line("leader threads waiting for a CPU, s per s", &|r| {
        format!("{:.3}", r.leader_queued)
    });
    line(
        "load and chain service CPU, s per s (waiting for a CPU)",
        &|r| format!("{:.2} ({:.2})", r.load_cpu, r.load_queued),
    );
    line("blocks while measuring (chain zero bits)", &|r| {
        format!("{} ({})", r.blocks, r.zero_bits)
    });
    line("the load's timers late by, p99", &|r| {
        format!("{:.1} ms", r.load_lag_p99_ms)
    });
    line("request to `Process`, median / p99 / max", &|r| {
        format!(
            "{:.2} / {:.2} / {:.1} ms",
            r.wait_p50_ms, r.wait_p99_ms, r.wait_max_ms
        )
    });
    line("miner statuses handled per s", &|r| {
        format!("{:.0}", r.heartbeats_per_s)
    });
    line("answers handled per s", &|r| {
        format!("{:.0}", r.answers_per_s)
    });
    line("leases issued per s", &|r| format!("{:.0}", r.leases_per_s));
    line("datagrams received by the leader per s", &|r| {
        format!("{:.0}", r.datagrams_in_per_s)
    });
    line("refused: frames / work", &|r| {
        format!("{} / {}", r.refused_frames, r.refused_work)
    });
    line("dropped by full socket buffers: leader / miners", &|r| {
        format!("{} / {}", r.dropped_leader, r.dropped_miners)
    });
    line("failed claims / bans / invariant breaches", &|r| {
        format!(
            "{} / {} / {}",
            r.failed_claims, r.banned, r.invariant_violations
        )
    });
    line("leases expired", &|r| r.leases_expired.to_string());
    line("leader memory per miner (RSS growth)", &|r| {
        format!("{:.0} B ({:.1} MiB in all)", r.rss_per_miner, r.rss_mib)
    });
    line("every miner had work within 2 intervals", &|r| {
        format!(
            "{} ({} of {}, slowest {:.0} ms)",
            if r.all_served_in_time { "yes" } else { "no" },
            group(r.served),
            group(u64::from(r.miners)),
            r.first_work_max_ms
        )
    });
    line("load average at the end", &|r| {
        format!("{:.1}", r.load_average)
    });
}

/// `12345` as `12,345`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
