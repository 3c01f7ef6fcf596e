//! `kill [-s SIG | -SIG | -n NUM] PID...` and `kill -l [SIG]`: send signals.
//! Signal options are read by hand: `-9` and `-TERM` are not getopt-style.

use crate::common::{error_msg, usage_error};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::ffi::OsString;
use std::io::Write;

pub const USAGE: &str = "[-l] [-SIG] PID...\n\nSend a signal (default: TERM) to given PIDs\n\n\t-l\tList all signal names and numbers\n\t-s SIG\tSend SIG\n\t-n NUM\tSend signal number NUM";

/// Entry point: `-l` lists, otherwise the signal goes to every PID (a
/// negative PID is a process group).
pub fn main(args: Vec<OsString>) -> i32 {
    let args: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut signal: Option<Signal> = Some(Signal::SIGTERM);
    let mut i = 1;
    match args.get(1).map(String::as_str) {
        Some("-l") | Some("-L") => return list(&args[2..]),
        Some("--help") => {
            crate::common::print_usage("kill");
            return 0;
        }
        Some("-s") | Some("-n") => {
            let Some(name) = args.get(2) else {
                return usage_error("kill", "option requires an argument");
            };
            match parse_signal(name) {
                Ok(s) => signal = s,
                Err(()) => return bad_signal(name),
            }
            i = 3;
        }
        Some("--") => i = 2,
        Some(opt)
            if opt.starts_with('-') && opt.len() > 1 && !is_number(&opt[1..])
                || opt_is_signal_number(opt) =>
        {
            match parse_signal(&opt[1..]) {
                Ok(s) => signal = s,
                Err(()) => return bad_signal(&opt[1..]),
            }
            i = 2;
        }
        _ => {}
    }
    if args.get(i).map(String::as_str) == Some("--") {
        i += 1;
    }
    if i >= args.len() {
        return usage_error("kill", "no PID given");
    }
    let mut status = 0;
    for target in &args[i..] {
        let Ok(pid) = target.parse::<i32>() else {
            error_msg("kill", &format!("invalid number '{target}'"));
            status = 1;
            continue;
        };
        if let Err(e) = kill(Pid::from_raw(pid), signal) {
            error_msg("kill", &format!("can't kill pid {pid}: {}", e.desc()));
            status = 1;
        }
    }
    status
}

/// `-9` is a signal number when it comes first; `-- -9` is a process group.
fn opt_is_signal_number(opt: &str) -> bool {
    opt.len() > 1 && opt.starts_with('-') && is_number(&opt[1..])
}

/// Only decimal digits (and at least one).
fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Reports an unknown signal; returns the exit status.
fn bad_signal(name: &str) -> i32 {
    error_msg("kill", &format!("bad signal name '{name}'"));
    1
}

/// A signal by number (0 is "check only", `None`), or by name with or
/// without the SIG prefix, in any case.
pub fn parse_signal(text: &str) -> Result<Option<Signal>, ()> {
    if is_number(text) {
        let n: i32 = text.parse().map_err(|_| ())?;
        if n == 0 {
            return Ok(None);
        }
        return Signal::try_from(n).map(Some).map_err(|_| ());
    }
    let upper = text.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    // Older names for the same numbers, which scripts still use.
    let name = match name {
        "IOT" => "ABRT",
        "CLD" => "CHLD",
        "POLL" => "IO",
        other => other,
    };
    Signal::iterator()
        .find(|s| &s.as_str()[3..] == name)
        .map(Some)
        .ok_or(())
}

/// `kill -l`: all signals (also pkill -l and killall -l); `kill -l N`: the name of N; `kill -l NAME`: its number.
pub fn list(args: &[String]) -> i32 {
    let mut out = String::new();
    let mut status = 0;
    if args.is_empty() {
        for s in Signal::iterator() {
            out.push_str(&format!("{:2}) {}\n", s as i32, &s.as_str()[3..]));
        }
    }
    for arg in args {
        // An exit status above 128 names the signal that caused it.
        let number = arg
            .parse::<i32>()
            .ok()
            .map(|n| if n > 128 { n - 128 } else { n });
        match (number, parse_signal(arg)) {
            (Some(n), _) => match Signal::try_from(n) {
                Ok(s) => out.push_str(&format!("{}\n", &s.as_str()[3..])),
                Err(_) => status = bad_signal(arg),
            },
            (None, Ok(Some(s))) => out.push_str(&format!("{}\n", s as i32)),
            _ => status = bad_signal(arg),
        }
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
    {
        crate::common::perror("kill", "write error", &e);
        return 1;
    }
    status
}
