//! `ps`: list processes from /proc, in BusyBox's classic format with the
//! process state, so that zombies (`Z`) show.

use crate::common::{getopt, Exit};
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;

pub const USAGE: &str =
    "[-efwA]\n\nShow list of processes (all of them; -e -f -w -A are accepted for compatibility)";

/// The header of BusyBox's default (non-desktop) format.
const HEADER: &str = "  PID USER       VSZ STAT COMMAND\n";

/// Entry point: one line per process, sorted by pid.
pub fn main(args: Vec<OsString>) -> i32 {
    if let Err(Exit(code)) = getopt(&args, "efwAa", &[], true) {
        return code;
    }
    let users = user_names();
    let mut pids: Vec<i32> = match std::fs::read_dir("/proc") {
        Ok(dir) => dir
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect(),
        Err(e) => {
            crate::common::perror("ps", "/proc", &e);
            return 1;
        }
    };
    pids.sort_unstable();
    let mut text = String::from(HEADER);
    // A process may exit while we read: skip it.
    for p in pids.into_iter().filter_map(Process::read) {
        let user = users
            .get(&p.uid)
            .cloned()
            .unwrap_or_else(|| p.uid.to_string());
        text.push_str(&format!(
            "{:>5} {:<8.8} {:>5} {:<4.4} {}\n",
            p.pid,
            user,
            vsz(p.vsz_kb),
            p.state,
            p.command
        ));
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(e) => {
            crate::common::perror("ps", "write error", &e);
            1
        }
    }
}

/// What ps shows of one process.
struct Process {
    pid: i32,
    /// BusyBox's STAT: the state letter, `W` for a process without memory
    /// (kernel threads), then `<` or `N` for a raised or lowered priority.
    state: String,
    uid: u32,
    vsz_kb: u64,
    command: String,
}

impl Process {
    /// Reads /proc/PID; `None` if the process is gone.
    fn read(pid: i32) -> Option<Process> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let (comm, fields) = split_stat(&stat)?;
        let vsz_kb = field::<u64>(&fields, 23) / 1024;
        let state = state(fields.first()?, vsz_kb, field(&fields, 19));
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let uid = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|u| u.parse().ok())
            .unwrap_or(0);
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        Some(Process {
            pid,
            state,
            uid,
            vsz_kb,
            command: command(&cmdline, comm),
        })
    }
}

/// Splits /proc/PID/stat into the command name and the fields after it,
/// where `fields[0]` is field 3 (the state). The name is in parentheses and
/// may itself contain `) `, so it ends at the last `)`.
fn split_stat(stat: &str) -> Option<(&str, Vec<&str>)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?;
    let fields = stat.get(close + 1..)?.split_whitespace().collect();
    Some((comm, fields))
}

/// Field `n` of /proc/PID/stat (numbered from 1 as in proc(5), so `n >= 3`)
/// as a number; 0 if missing.
fn field<T: std::str::FromStr + Default>(fields: &[&str], n: usize) -> T {
    fields
        .get(n.saturating_sub(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

/// BusyBox's STAT column from the state letter, VSZ and nice value.
fn state(letter: &str, vsz_kb: u64, nice: i64) -> String {
    let mut s = letter.to_string();
    s.push(if vsz_kb == 0 && letter != "Z" {
        'W'
    } else {
        ' '
    });
    s.push(match nice {
        n if n < 0 => '<',
        0 => ' ',
        _ => 'N',
    });
    s.trim_end().to_string()
}

/// The command line with NULs as spaces, or `[comm]` for kernel threads and
/// zombies, whose cmdline is empty.
fn command(cmdline: &[u8], comm: &str) -> String {
    if cmdline.is_empty() {
        return format!("[{comm}]");
    }
    let trimmed = cmdline.strip_suffix(b"\0").unwrap_or(cmdline);
    String::from_utf8_lossy(trimmed).replace('\0', " ")
}

/// VSZ in at most 5-6 columns: kilobytes, or megabytes (`97.6m`) and up once
/// the number would not fit, like BusyBox.
fn vsz(kb: u64) -> String {
    if kb < 100_000 {
        return kb.to_string();
    }
    let mut value = kb as f64;
    let mut unit = 0;
    const UNITS: [char; 4] = ['m', 'g', 't', 'p'];
    value /= 1024.0;
    while value >= 100_000.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value < 100.0 {
        format!("{value:.1}{}", UNITS[unit])
    } else {
        format!("{value:.0}{}", UNITS[unit])
    }
}

/// uid → name from /etc/passwd; an absent file just means numbers.
fn user_names() -> HashMap<u32, String> {
    std::fs::read_to_string("/etc/passwd")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let uid = f.nth(1)?.parse().ok()?;
            Some((uid, name.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_parentheses_in_the_name() {
        let (comm, fields) = split_stat("42 (a) b) S 1 42 42 0").unwrap();
        assert_eq!(comm, "a) b");
        assert_eq!(fields[0], "S");
        assert_eq!(field::<u32>(&fields, 4), 1);
    }

    #[test]
    fn state_and_size_columns() {
        assert_eq!(state("S", 1000, 0), "S");
        assert_eq!(state("S", 0, 0), "SW");
        assert_eq!(state("I", 0, -20), "IW<");
        assert_eq!(state("S", 5, 19), "S N");
        assert_eq!(state("Z", 0, 0), "Z");
        assert_eq!(vsz(1968), "1968");
        assert_eq!(vsz(150_000), "146m");
        assert_eq!(vsz(100_000), "97.7m");
        assert_eq!(command(b"sleep\x0030\x00", "sleep"), "sleep 30");
        assert_eq!(command(b"", "kthreadd"), "[kthreadd]");
    }
}
