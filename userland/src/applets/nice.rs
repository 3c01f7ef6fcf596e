//! `nice [-n ADJUST] [COMMAND [ARG]...]`: run a command with a changed
//! scheduling priority, or print the current niceness.

use crate::common::{error_msg, getopt, lossy, perror, Exit};
use std::ffi::OsString;
use std::io;
use std::process::Command;

pub const USAGE: &str = "[-n ADJUST] [PROG ARGS]\n\nChange scheduling priority, run PROG\n\n\t-n ADJUST\tAdjust priority by ADJUST (default 10)";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "n:", &[("adjustment", 'n')], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let adjust: i32 = match p.value('n') {
        None => 10,
        Some(v) => match lossy(v).parse() {
            Ok(n) => n,
            Err(_) => {
                error_msg("nice", &format!("invalid number '{}'", lossy(v)));
                return 1;
            }
        },
    };
    if p.operands.is_empty() {
        if p.value('n').is_some() {
            error_msg("nice", "a command must be given with an adjustment");
            return 1;
        }
        crate::fsutil::say(&current().to_string());
        return 0;
    }
    let target = (current() + adjust).clamp(-20, 19);
    // SAFETY: setpriority(2) on this process only changes its niceness.
    let r = unsafe { nix::libc::setpriority(nix::libc::PRIO_PROCESS, 0, target) };
    if r != 0 {
        // As in coreutils, failing to lower niceness is not fatal.
        perror("nice", "setpriority", &io::Error::last_os_error());
    }
    let mut cmd = Command::new(&p.operands[0]);
    cmd.args(&p.operands[1..]);
    super::env::exec("nice", cmd, &p.operands[0])
}

/// This process's niceness.
fn current() -> i32 {
    // SAFETY: getpriority(2) only reads. -1 is also a valid niceness, so
    // errors are not told apart; for our own process it cannot fail.
    unsafe { nix::libc::getpriority(nix::libc::PRIO_PROCESS, 0) }
}
