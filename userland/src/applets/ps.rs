//! `ps`: list processes from /proc, in BusyBox's classic format with the
//! process state, so that zombies (`Z`) show.

use crate::common::{getopt, Exit};
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;

pub const USAGE: &str =
    "[-efwA]\n\nShow list of processes (all of them; -e -f -w -A are accepted for compatibility)";

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
    let mut out = std::io::stdout().lock();
    let mut text = String::from("  PID USER       VSZ STAT COMMAND\n");
    for pid in pids {
        // A process may exit while we read: skip it.
        if let Some(p) = Process::read(pid) {
            let user = users
                .get(&p.uid)
                .cloned()
                .unwrap_or_else(|| p.uid.to_string());
            text.push_str(&format!(
                "{:>5} {:<8.8} {:>6} {:<4} {}\n",
                pid, user, p.vsz_kb, p.state, p.command
            ));
        }
    }
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
    state: String,
    uid: u32,
    vsz_kb: u64,
    command: String,
}

impl Process {
    fn read(pid: i32) -> Option<Process> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name is in parentheses and may itself contain ") ".
        let open = stat.find('(')?;
        let close = stat.rfind(')')?;
        let comm = stat.get(open + 1..close)?.to_string();
        let fields: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
        let state = fields.first()?.to_string();
        // Field 23 of stat (vsize, bytes) is index 20 after the command name.
        let vsz_kb = fields
            .get(20)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            / 1024;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let uid = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|u| u.parse().ok())
            .unwrap_or(0);
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let command = if cmdline.is_empty() {
            format!("[{comm}]")
        } else {
            let trimmed = cmdline.strip_suffix(b"\0").unwrap_or(&cmdline);
            String::from_utf8_lossy(trimmed).replace('\0', " ")
        };
        Some(Process {
            state,
            uid,
            vsz_kb,
            command,
        })
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
