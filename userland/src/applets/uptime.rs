//! `uptime [-p]`: the time, how long the system has been up, and the load
//! averages, from /proc/uptime and /proc/loadavg.

use crate::common::{getopt, perror, Exit};
use crate::procfs;
use std::ffi::OsString;
use std::io::Write;

pub const USAGE: &str =
    "[-p]\n\nDisplay the time since the last boot\n\n\t-p\tShow only the uptime, in words";

/// Entry point: ` hh:mm:ss up [D days, ]H:MM,  0 users,  load average: ...`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "p", &[("pretty", 'p')], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if !p.operands.is_empty() {
        return crate::common::usage_error("uptime", "extra operand");
    }
    let read = |name: &str| -> Result<String, i32> {
        let path = procfs::system_file(name);
        std::fs::read(&path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| {
                perror("uptime", format!("can't open '{}'", path.display()), &e);
                1
            })
    };
    let secs = match read("uptime") {
        Ok(t) => t
            .split_whitespace()
            .next()
            .and_then(|v| v.split('.').next()?.parse::<u64>().ok())
            .unwrap_or(0),
        Err(code) => return code,
    };
    let line = if p.has('p') {
        pretty(secs)
    } else {
        let loads = match read("loadavg") {
            Ok(t) => t.split_whitespace().take(3).collect::<Vec<_>>().join(", "),
            Err(code) => return code,
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        // The system keeps UTC (there is no time zone data), as ls does.
        let t = now % 86400;
        format!(
            " {:02}:{:02}:{:02} up {},  0 users,  load average: {loads}",
            t / 3600,
            t % 3600 / 60,
            t % 60,
            classic(secs)
        )
    };
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{line}").and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(e) => crate::text::write_failed("uptime", &e),
    }
}

/// BusyBox's `[D day(s), ]H:MM` or `M min`.
fn classic(secs: u64) -> String {
    let days = secs / 86400;
    let minutes = secs / 60 % 60;
    let hours = secs / 3600 % 24;
    let mut s = String::new();
    if days != 0 {
        s.push_str(&format!("{days} day{}, ", if days == 1 { "" } else { "s" }));
    }
    if hours != 0 {
        s.push_str(&format!("{hours:2}:{minutes:02}"));
    } else {
        s.push_str(&format!("{minutes} min"));
    }
    s
}

/// procps's `up 2 days, 3 hours, 4 minutes`.
fn pretty(secs: u64) -> String {
    let parts = [
        (secs / 604_800, "week"),
        (secs / 86400 % 7, "day"),
        (secs / 3600 % 24, "hour"),
        (secs / 60 % 60, "minute"),
    ];
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n != 0)
        .map(|(n, w)| format!("{n} {w}{}", if *n == 1 { "" } else { "s" }))
        .collect();
    if words.is_empty() {
        return "up 0 minutes".to_string();
    }
    format!("up {}", words.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(classic(59), "0 min");
        assert_eq!(classic(18133), " 5:02");
        assert_eq!(classic(86400 + 600), "1 day, 10 min");
        assert_eq!(classic(3 * 86400 + 11 * 3600), "3 days, 11:00");
        assert_eq!(pretty(8 * 86400 + 60), "up 1 week, 1 day, 1 minute");
        assert_eq!(pretty(30), "up 0 minutes");
    }
}
