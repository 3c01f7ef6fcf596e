//! `chrt -m | [-fbior] [-p] [PRIO] [PID | PROG ARGS]`: show or change a
//! process's real-time scheduling policy and priority, as BusyBox's chrt
//! (util-linux's option letters; SCHED_RR unless a policy is given).

use crate::common::{error_msg, getopt, lossy, Exit};
use nix::libc;
use std::ffi::OsString;
use std::io;
use std::process::Command;

pub const USAGE: &str = "-m | [-fbior] [-p] [PRIO] [PID | PROG ARGS]\n\nChange scheduling priority and class for a process\n\n\t-m\tShow min/max priorities\n\t-p\tOperate on PID\n\t-r\tSet SCHED_RR class\n\t-f\tSet SCHED_FIFO class\n\t-o\tSet SCHED_OTHER class\n\t-b\tSet SCHED_BATCH class\n\t-i\tSet SCHED_IDLE class";

/// The policies, by number as sched_setscheduler(2) knows them, and the
/// option letter that picks each.
const POLICIES: [(libc::c_int, &str, char); 5] = [
    (libc::SCHED_OTHER, "OTHER", 'o'),
    (libc::SCHED_FIFO, "FIFO", 'f'),
    (libc::SCHED_RR, "RR", 'r'),
    (libc::SCHED_BATCH, "BATCH", 'b'),
    (libc::SCHED_IDLE, "IDLE", 'i'),
];

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "mpfobir", &[("max", 'm'), ("pid", 'p')], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.has('m') {
        for (policy, name, _) in POLICIES {
            // SAFETY: these only read constants of the kernel.
            let (min, max) = unsafe {
                (
                    libc::sched_get_priority_min(policy),
                    libc::sched_get_priority_max(policy),
                )
            };
            println!("SCHED_{name} min/max priority\t: {min}/{max}");
        }
        return 0;
    }
    // The last policy letter given wins, as with getopt elsewhere.
    let policy = p
        .opts
        .iter()
        .rev()
        .find_map(|(c, _)| POLICIES.iter().find(|(_, _, l)| l == c))
        .map_or(libc::SCHED_RR, |(n, _, _)| *n);
    let mut operands = p.operands.iter();
    if p.has('p') {
        // `-p PID` shows; `-p PRIO PID` sets.
        let (prio, pid) = match (operands.next(), operands.next()) {
            (Some(pid), None) => (None, pid),
            (Some(prio), Some(pid)) => (Some(prio), pid),
            _ => return usage_error(),
        };
        let Some(pid) = number(pid, "PID") else {
            return 1;
        };
        if show(pid, "current").is_err() {
            return 1;
        }
        let Some(prio) = prio else { return 0 };
        let Some(prio) = number(prio, "priority") else {
            return 1;
        };
        if set(pid, policy, prio).is_err() || show(pid, "new").is_err() {
            return 1;
        }
        return 0;
    }
    let (Some(prio), Some(prog)) = (operands.next(), operands.next()) else {
        return usage_error();
    };
    let Some(prio) = number(prio, "priority") else {
        return 1;
    };
    if set(0, policy, prio).is_err() {
        return 1;
    }
    let mut cmd = Command::new(prog);
    cmd.args(operands);
    super::env::exec("chrt", cmd, prog)
}

fn usage_error() -> i32 {
    error_msg("chrt", "bad usage (see chrt --help)");
    1
}

/// A decimal operand, or an error message and `None`.
fn number(arg: &OsString, what: &str) -> Option<i32> {
    let text = lossy(arg);
    match text.parse::<i32>() {
        Ok(n) if n >= 0 => Some(n),
        _ => {
            error_msg("chrt", &format!("invalid {what} '{text}'"));
            None
        }
    }
}

/// The name of policy number `n` (the kernel may add flags such as
/// SCHED_RESET_ON_FORK, which are masked off).
fn policy_name(n: libc::c_int) -> &'static str {
    let n = n & !libc::SCHED_RESET_ON_FORK;
    POLICIES
        .iter()
        .find(|(p, _, _)| *p == n)
        .map_or("UNKNOWN", |(_, name, _)| name)
}

/// Prints the policy and priority of `pid` as BusyBox does.
fn show(pid: i32, which: &str) -> Result<(), ()> {
    // The system calls themselves: musl's wrappers of the four sched_*
    // calls below only return ENOSYS (POSIX means them per process, Linux
    // applies them per thread).
    // SAFETY: sched_getscheduler(2) only reads.
    let policy = unsafe { libc::syscall(libc::SYS_sched_getscheduler, pid) } as libc::c_int;
    if policy < 0 {
        return failed(&format!("can't get pid {pid}'s policy"));
    }
    let mut param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is a valid sched_param the call writes.
    if unsafe { libc::syscall(libc::SYS_sched_getparam, pid, &mut param) } < 0 {
        return failed(&format!("can't get pid {pid}'s attributes"));
    }
    println!(
        "pid {pid}'s {which} scheduling policy: SCHED_{}",
        policy_name(policy)
    );
    println!(
        "pid {pid}'s {which} scheduling priority: {}",
        param.sched_priority
    );
    Ok(())
}

/// Sets `pid`'s (0: this process's) policy and priority.
fn set(pid: i32, policy: libc::c_int, prio: i32) -> Result<(), ()> {
    let param = libc::sched_param {
        sched_priority: prio,
    };
    // SAFETY: `param` is a valid sched_param the call reads (a system
    // call, see `show`).
    if unsafe { libc::syscall(libc::SYS_sched_setscheduler, pid, policy, &param) } < 0 {
        return failed(&format!(
            "can't set pid {pid}'s policy to SCHED_{} priority {prio}",
            policy_name(policy)
        ));
    }
    Ok(())
}

/// Reports the last OS error after `what`.
fn failed(what: &str) -> Result<(), ()> {
    let e = io::Error::last_os_error();
    error_msg("chrt", &format!("{what}: {e}"));
    Err(())
}
