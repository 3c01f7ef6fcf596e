//! `poweroff`, `reboot`, `halt [-d DELAY] [-n] [-f]`: ask init to stop the
//! system (SIGUSR2, SIGTERM and SIGUSR1 to PID 1, as BusyBox does), or with
//! `-f` do it at once through reboot(2).

use crate::common::{error_msg, getopt, Exit};
use nix::sys::reboot::{reboot, RebootMode};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::ffi::OsString;
use std::time::Duration;

pub const USAGE: &str = "[-d DELAY] [-n] [-f]\n\nStop the system: poweroff switches it off, reboot restarts it, halt stops it\n\n\t-d SEC\tDelay interval\n\t-n\tDo not sync\n\t-f\tForce (don't go through init)";

pub fn main(args: Vec<OsString>) -> i32 {
    let name = crate::common::lossy(&args[0]).into_owned();
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
    let (signal, mode) = match name.as_str() {
        "reboot" => (Signal::SIGTERM, RebootMode::RB_AUTOBOOT),
        "halt" => (Signal::SIGUSR1, RebootMode::RB_HALT_SYSTEM),
        _ => (Signal::SIGUSR2, RebootMode::RB_POWER_OFF),
    };
    if p.has('f') {
        if !p.has('n') {
            nix::unistd::sync();
        }
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
