//! `pidof [-s] [-o PID] NAME...`: the ids of the processes called NAME, as
//! BusyBox finds them (comm, `argv[0]`'s base name or the executable).

use crate::common::{getopt, perror, Exit};
use crate::procfs;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[-s] [-o PID] [NAME]...\n\nList PIDs of all processes with names that match NAMEs\n\n\t-s\tShow only one PID\n\t-o PID\tOmit given pid\n\t\tUse %PPID to omit pid of pidof's parent";

/// Entry point: one line with every pid found for every NAME; status 1
/// when none was found.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "so:", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    // -o may repeat and take comma-separated lists.
    let mut omit: Vec<i32> = Vec::new();
    for (_, v) in p.opts.iter().filter(|(c, _)| *c == 'o') {
        for item in v
            .as_deref()
            .unwrap_or_default()
            .as_bytes()
            .split(|&b| b == b',')
        {
            if item == b"%PPID" {
                omit.push(nix::unistd::getppid().as_raw());
            } else if let Some(pid) = std::str::from_utf8(item).ok().and_then(|s| s.parse().ok()) {
                omit.push(pid);
            }
        }
    }
    let procs = match procfs::processes() {
        Ok(procs) => procs,
        Err(e) => {
            perror("pidof", "/proc", &e);
            return 1;
        }
    };
    let me = procfs::own_pid();
    let mut found: Vec<i32> = Vec::new();
    for name in &p.operands {
        let matching = procs
            .iter()
            .filter(|proc| proc.pid != me && !omit.contains(&proc.pid))
            .filter(|proc| proc.is_named(name.as_bytes()));
        for proc in matching {
            found.push(proc.pid);
            if p.has('s') {
                break;
            }
        }
    }
    if found.is_empty() {
        return 1;
    }
    let line: Vec<String> = found.iter().map(i32::to_string).collect();
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{}", line.join(" ")).and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(e) => crate::text::write_failed("pidof", &e),
    }
}
