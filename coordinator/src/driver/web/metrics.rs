//! `GET /metrics`: the node in the Prometheus text format (version 0.0.4).
//!
//! Built on demand at each scrape from the latest status snapshot and the
//! driver's [`Telemetry`]: counters the node already keeps are exposed as
//! they are (their values never go down while the process lives), so
//! nothing is counted twice and nothing is done between scrapes.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

use super::telemetry::Telemetry;
use crate::driver::CoordinatorStatus;

type Labels = Vec<(&'static str, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// The exposition's content type.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

fn counter(r: &mut Registry, name: &str, help: &str, value: u64) {
    let c = Counter::<u64>::default();
    c.inc_by(value);
    r.register(name, help, c);
}

fn gauge(r: &mut Registry, name: &str, help: &str, unit: Option<Unit>, value: f64) {
    let g = FloatGauge::default();
    g.set(value);
    match unit {
        Some(unit) => r.register_with_unit(name, help, unit, g),
        None => r.register(name, help, g),
    }
}

fn counters(
    r: &mut Registry,
    name: &str,
    help: &str,
    values: impl IntoIterator<Item = (Labels, u64)>,
) {
    let f = Family::<Labels, Counter>::default();
    for (labels, v) in values {
        f.get_or_create(&labels).inc_by(v);
    }
    r.register(name, help, f);
}

fn hash_rate() -> Unit {
    Unit::Other("hashes_per_second".into())
}

/// The exposition of `status` and `telemetry`.
pub fn render(status: &CoordinatorStatus, telemetry: &Telemetry) -> String {
    let mut r = Registry::with_prefix("coordinator");
    let n = &status.node;
    let s = &n.stats;

    r.register(
        "build",
        "The running build and its cluster key's fingerprint (never the key)",
        Info::new(vec![
            ("version", env!("CARGO_PKG_VERSION").to_owned()),
            ("key_fingerprint", telemetry.fingerprint().to_owned()),
            ("id", n.id.to_string()),
        ]),
    );
    gauge(
        &mut r,
        "uptime",
        "Time since the node started",
        Some(Unit::Seconds),
        telemetry.uptime().as_secs_f64(),
    );

    // Leadership.
    gauge(
        &mut r,
        "leading",
        "1 while this node leads",
        None,
        f64::from(u8::from(n.leading)),
    );
    gauge(
        &mut r,
        "epoch",
        "The epoch this node leads in or the highest it has seen",
        None,
        f64::from(n.epoch),
    );
    counters(
        &mut r,
        "leadership_changes",
        "Times this node became leader or stepped down",
        [
            (
                vec![("change", "became_leader".into())],
                telemetry.became_leader.get(),
            ),
            (
                vec![("change", "stepped_down".into())],
                telemetry.stepped_down.get(),
            ),
        ],
    );
    gauge(
        &mut r,
        "peers_up",
        "Peer coordinators this node takes for up",
        None,
        n.peers.iter().filter(|p| p.up).count() as f64,
    );

    // The fleet.
    gauge(
        &mut r,
        "hash_rate",
        "Hash rate the active miners report, summed",
        Some(hash_rate()),
        n.total_hashrate as f64,
    );
    let miners = Family::<Labels, FloatGauge>::default();
    let heard = Family::<Labels, FloatGauge>::default();
    for m in &n.miners {
        let labels = vec![("miner", m.id.to_string()), ("kind", m.kind.to_owned())];
        miners.get_or_create(&labels).set(f64::from(m.hashrate));
        heard
            .get_or_create(&labels)
            .set(m.last_heard_ms as f64 / 1000.0);
    }
    r.register_with_unit(
        "miner_hash_rate",
        "Hash rate each miner reports",
        hash_rate(),
        miners,
    );
    r.register_with_unit(
        "miner_last_heard",
        "Time since each miner was last heard",
        Unit::Seconds,
        heard,
    );
    counters(
        &mut r,
        "miner_solutions",
        "Verified solutions, by miner",
        n.miners
            .iter()
            .map(|m| (vec![("miner", m.id.to_string())], m.solutions)),
    );
    counters(
        &mut r,
        "miner_failed_claims",
        "Answers whose checks failed, by miner",
        n.miners.iter().map(|m| {
            (
                vec![("miner", m.id.to_string())],
                u64::from(m.failed_claims),
            )
        }),
    );
    gauge(
        &mut r,
        "miners",
        "Miners this node knows",
        None,
        n.miners.len() as f64,
    );
    gauge(
        &mut r,
        "miners_banned",
        "Miners ignored after failed claims",
        None,
        n.miners.iter().filter(|m| m.banned).count() as f64,
    );

    // Work.
    counter(&mut r, "jobs", "Jobs started", s.jobs);
    counter(&mut r, "leases", "Leases issued", s.leases);
    counter(
        &mut r,
        "leases_resent",
        "Leases sent again to a miner that did not hold them",
        s.leases_resent,
    );
    counter(
        &mut r,
        "leases_expired",
        "Leases that expired unanswered",
        s.leases_expired,
    );
    gauge(
        &mut r,
        "leases_outstanding",
        "Leases out in the current job",
        None,
        n.job.as_ref().map_or(0, |j| j.leases) as f64,
    );
    counters(
        &mut r,
        "answers",
        "Answers from miners, by kind: range scanned (verified), solution (verified), \
         stale (for a job or lease no longer current), failed claim (checks failed)",
        [
            (vec![("kind", "range_scanned".into())], s.ranges_scanned),
            (vec![("kind", "solution".into())], s.solutions),
            (vec![("kind", "stale".into())], s.stale_answers),
            (vec![("kind", "failed_claim".into())], s.failed_claims),
        ],
    );
    counter(&mut r, "interrupts", "Interrupts sent", s.interrupts);
    counters(
        &mut r,
        "blocks",
        "Blocks this node submitted, by outcome",
        [
            (vec![("outcome", "accepted".into())], s.blocks),
            (vec![("outcome", "stale".into())], s.blocks_stale),
            (vec![("outcome", "rejected".into())], s.blocks_rejected),
        ],
    );

    // The chain service.
    if let Some(up) = n.chain_up {
        gauge(
            &mut r,
            "chain_up",
            "1 when the chain service answers, 0 when it does not (absent while unknown)",
            None,
            f64::from(u8::from(up)),
        );
    }
    if !status.chains.is_empty() {
        let up = Family::<Labels, FloatGauge>::default();
        let in_use = Family::<Labels, FloatGauge>::default();
        for c in &status.chains {
            let labels = vec![("url", c.url.clone())];
            if let Some(u) = c.up {
                up.get_or_create(&labels).set(f64::from(u8::from(u)));
            }
            in_use
                .get_or_create(&labels)
                .set(f64::from(u8::from(c.in_use)));
        }
        r.register(
            "chain_instance_up",
            "1 when the chain service instance at url answered its last call or probe, 0 when \
             it did not (absent before any)",
            up,
        );
        r.register(
            "chain_instance_in_use",
            "1 for the chain service instance this node's calls go to, 0 for the others",
            in_use,
        );
    }
    r.register(
        "chain_errors",
        "Chain calls that failed, by call and error (unavailable: retried; rejected: refused)",
        telemetry.chain_errors.clone(),
    );
    r.register_with_unit(
        "chain_call_duration",
        "Time each chain call took, by call",
        Unit::Seconds,
        telemetry.chain_latency.clone(),
    );

    // Datagrams.
    let w = &status.wire;
    counter(
        &mut r,
        "datagrams_received",
        "Datagrams received",
        w.received,
    );
    counter(
        &mut r,
        "datagrams_accepted",
        "Datagrams accepted (authentic, well-formed, fresh)",
        w.accepted,
    );
    counter(&mut r, "datagrams_sent", "Datagrams sent", w.sent);
    counter(
        &mut r,
        "datagram_send_errors",
        "Sends the socket refused",
        w.send_errors,
    );
    counters(
        &mut r,
        "datagrams_refused",
        "Datagrams refused, by cause",
        w.refused
            .iter()
            .map(|(cause, v)| (vec![("cause", (*cause).to_owned())], *v)),
    );
    counter(
        &mut r,
        "messages_ignored_banned",
        "Messages from banned miners, ignored",
        s.ignored_banned,
    );
    counter(
        &mut r,
        "messages_unexpected",
        "Messages of a kind this node never expects",
        s.unexpected,
    );
    counter(
        &mut r,
        "invariant_violations",
        "Breaches of the accounting invariants (always zero, or a bug)",
        s.invariant_violations,
    );

    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_text::encode(&mut text, &r);
    text
}
