//! How the demo writes rates, times and ages, one rule each, for the live
//! view and the report alike.

pub(super) fn mhs(r: f64) -> String {
    format!("{:.2} MH/s", r / 1e6)
}

pub(super) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `unix` as this machine's local time: `HH:MM:SS` today, the date before.
pub fn local_time(unix: u64) -> String {
    use chrono::{Local, TimeZone};
    let Some(t) = i64::try_from(unix)
        .ok()
        .and_then(|u| Local.timestamp_opt(u, 0).single())
    else {
        return "-".into();
    };
    if t.date_naive() == Local::now().date_naive() {
        t.format("%H:%M:%S").to_string()
    } else {
        t.format("%Y-%m-%d").to_string()
    }
}

/// An age in words: `4 s ago`, `3 min ago`, `2 h ago`.
pub fn age(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    match s {
        0..=119 => format!("{s} s ago"),
        120..=7199 => format!("{} min ago", s / 60),
        7200..=172_799 => format!("{} h ago", s / 3600),
        _ => format!("{} days ago", s / 86_400),
    }
}
