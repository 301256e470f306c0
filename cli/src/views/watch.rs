//! `status --watch`: one block per snapshot. On a terminal each block
//! replaces the last (the screen is cleared first); in a pipe or log the
//! blocks follow each other, each headed by its time, one line per fact.

use crate::console::Console;
use crate::ops::watch::WatchSnapshot;

/// ANSI: clear the screen and move the cursor home.
const CLEAR: &str = "\x1b[2J\x1b[H";

fn number(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

pub fn print_snapshot(console: &Console, snapshot: &WatchSnapshot, redraw: bool) {
    let mut lines = Vec::new();
    let time = humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(snapshot.at));
    lines.push(format!("== {} (tier {}) at {time} ==", snapshot.environment, snapshot.tier));
    if snapshot.uploads.is_empty() {
        lines.push("uploads    none in the last minute".to_string());
    }
    for kind in &snapshot.uploads {
        let p99 = kind.p99_ms.map(|ms| format!("{} ms", number(ms))).unwrap_or_else(|| "-".into());
        lines.push(format!("uploads    {:<16} {:>8}/s  p99 {p99}", kind.kind, number(kind.uploads_per_second)));
    }
    for group in &snapshot.lag {
        let lag = group.lag.map(number).unwrap_or_else(|| "-".into());
        lines.push(format!("lag        {:<28} {:>8}  {}", group.group, lag, group.trend));
    }
    if snapshot.rows_per_second.is_empty() {
        lines.push("rows       none written in the last minute".to_string());
    }
    for sink in &snapshot.rows_per_second {
        lines.push(format!("rows       {:<16} {:>8}/s", sink.label, number(sink.value)));
    }
    let dead: f64 = snapshot.dead_letters_5m.iter().map(|d| d.value).sum();
    if dead > 0.0 {
        for topic in snapshot.dead_letters_5m.iter().filter(|d| d.value > 0.0) {
            lines.push(format!("dlq        {:<28} {:>8} in 5m", topic.label, number(topic.value)));
        }
    } else {
        lines.push("dlq        none in 5m".to_string());
    }
    for role in &snapshot.instances {
        let note = if u64::from(role.min) > role.running {
            "  BELOW LADDER"
        } else if role.running > u64::from(role.max) {
            "  ABOVE LADDER"
        } else {
            ""
        };
        lines.push(format!("instances  {:<16} {} of {}-{}{note}", role.role, role.running, role.min, role.max));
    }
    if snapshot.alerts.is_empty() {
        lines.push("alerts     none firing".to_string());
    }
    for alert in &snapshot.alerts {
        lines.push(format!("ALERT      {} [{}] {}", alert.name, alert.severity, alert.summary));
    }
    let block = lines.join("\n");
    if redraw {
        console.out(format!("{CLEAR}{block}"));
    } else {
        console.out(format!("{block}\n"));
    }
}
