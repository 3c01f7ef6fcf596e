//! `ps`: list processes from /proc, in BusyBox's classic format with the
//! process state, so that zombies (`Z`) show.

use crate::common::{getopt, Exit};
use crate::procfs;
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
    let procs = match procfs::processes() {
        Ok(procs) => procs,
        Err(e) => {
            crate::common::perror("ps", "/proc", &e);
            return 1;
        }
    };
    let mut text = String::from(HEADER);
    for p in procs {
        let user = users
            .get(&p.uid)
            .cloned()
            .unwrap_or_else(|| p.uid.to_string());
        text.push_str(&format!(
            "{:>5} {:<8.8} {:>5} {:<4.4} {}\n",
            p.pid,
            user,
            vsz(p.vsz_kb),
            state(&p.state, p.vsz_kb, p.nice),
            String::from_utf8_lossy(&p.command())
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
    fn state_and_size_columns() {
        assert_eq!(state("S", 1000, 0), "S");
        assert_eq!(state("S", 0, 0), "SW");
        assert_eq!(state("I", 0, -20), "IW<");
        assert_eq!(state("S", 5, 19), "S N");
        assert_eq!(state("Z", 0, 0), "Z");
        assert_eq!(vsz(1968), "1968");
        assert_eq!(vsz(150_000), "146m");
        assert_eq!(vsz(100_000), "97.7m");
    }
}
