//! `poweroff`, `reboot`, `halt [-d DELAY] [-n] [-f]`: ask init to stop the
//! system (SIGUSR2, SIGTERM and SIGUSR1 to PID 1, as BusyBox does), or with
//! `-f` do it at once through reboot(2).

use crate::common::{error_msg, getopt, Exit};
use nix::sys::reboot::{reboot, RebootMode};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::ffi::OsString;
use std::time::Duration;

pub const USAGE: &str = "[-d DELAY] [-n] [-f] [-w]\n\nStop the system: poweroff switches it off, reboot restarts it, halt stops it\n\n\t-d SEC\tDelay interval\n\t-n\tDo not sync\n\t-f\tForce (don't go through init)\n\t-w\tOnly write a wtmp record (Ibex keeps none: does nothing)";

/// Entry point for `poweroff`, `reboot` and `halt`: which one is `args[0]`.
pub fn main(args: Vec<OsString>) -> i32 {
    let name = args
        .first()
        .map(|a| crate::common::lossy(a).into_owned())
        .unwrap_or_default();
    let name = name.rsplit('/').next().unwrap_or("poweroff").to_string();
    let p = match getopt(&args, "d:nfw", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if let Some(extra) = p.operands.first() {
        return crate::common::usage_error(
            &name,
            &format!("extra operand '{}'", extra.to_string_lossy()),
        );
    }
    if let Some(delay) = p.value('d') {
        match delay.to_string_lossy().parse::<u64>() {
            Ok(secs) => std::thread::sleep(Duration::from_secs(secs)),
            Err(_) => {
                error_msg(
                    &name,
                    &format!("invalid number '{}'", delay.to_string_lossy()),
                );
                return 1;
            }
        }
    }
    // BusyBox's -w writes the wtmp record and stops there; there is no wtmp.
    if p.has('w') {
        return 0;
    }
    let (signal, mode) = match name.as_str() {
        "reboot" => (Signal::SIGTERM, RebootMode::RB_AUTOBOOT),
        "halt" => (Signal::SIGUSR1, RebootMode::RB_HALT_SYSTEM),
        _ => (Signal::SIGUSR2, RebootMode::RB_POWER_OFF),
    };
    // Sync first on both paths (as BusyBox does): init may be too wedged to
    // do it, and -f skips init altogether.
    if !p.has('n') {
        nix::unistd::sync();
    }
    if p.has('f') {
        let Err(e) = reboot(mode);
        error_msg(&name, &format!("reboot: {}", e.desc()));
        return 1;
    }
    if let Err(e) = kill(Pid::from_raw(1), signal) {
        error_msg(&name, &format!("can't signal init: {}", e.desc()));
        return 1;
    }
    0
}
