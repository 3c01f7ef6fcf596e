//! `timeout [-s SIG] [-k DURATION] DURATION COMMAND [ARG]...`: run a
//! command and signal it if it is still running after DURATION. Exit 124
//! when it timed out, else the command's own status (128+N if a signal
//! killed it), 125 for timeout's own errors, 126/127 if COMMAND could not
//! be run.

use crate::common::{error_msg, getopt, lossy, perror, Exit};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::ffi::OsString;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Command;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

pub const USAGE: &str = "[-s SIG] [-k KILL_SECS] SECS PROG ARGS\n\nRun PROG. Send SIG to it if it is not gone in SECS seconds.\nDefault SIG: TERM. If it still exists in KILL_SECS seconds, send KILL.\nSECS may have a suffix s, m, h or d and a fraction.";

/// Signals that timeout passes on to the command.
const FORWARDED: [Signal; 4] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
];

/// The last forwarded signal received, 0 if none is pending.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

extern "C" fn note_signal(sig: i32) {
    RECEIVED.store(sig, Ordering::Relaxed);
}

/// A duration like `1.5`, `2m`, `1d`; `None` if invalid.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let (num, mult) = match text.char_indices().last()? {
        (i, 's') => (&text[..i], 1.0),
        (i, 'm') => (&text[..i], 60.0),
        (i, 'h') => (&text[..i], 3600.0),
        (i, 'd') => (&text[..i], 86400.0),
        _ => (text, 1.0),
    };
    if num.is_empty() || !num.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
        return None;
    }
    let secs: f64 = num.parse().ok()?;
    Duration::try_from_secs_f64(secs * mult).ok()
}

/// A signal given by name (`TERM`, `SIGTERM`, any case) or number.
pub fn parse_signal(text: &str) -> Option<Signal> {
    if let Ok(n) = text.parse::<i32>() {
        return Signal::try_from(n).ok();
    }
    let up = text.to_ascii_uppercase();
    let name = if up.starts_with("SIG") {
        up
    } else {
        format!("SIG{up}")
    };
    name.parse().ok()
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "s:k:",
        &[("signal", 's'), ("kill-after", 'k')],
        false,
    ) {
        Ok(p) => p,
        Err(Exit(0)) => return 0,
        Err(Exit(_)) => return 125,
    };
    let sig = match p.value('s') {
        None => Signal::SIGTERM,
        Some(s) => match parse_signal(&lossy(s)) {
            Some(sig) => sig,
            None => {
                error_msg("timeout", &format!("invalid signal '{}'", lossy(s)));
                return 125;
            }
        },
    };
    let kill_after = match p.value('k') {
        None => None,
        Some(k) => match parse_duration(&lossy(k)) {
            Some(d) => Some(d),
            None => {
                error_msg("timeout", &format!("invalid duration '{}'", lossy(k)));
                return 125;
            }
        },
    };
    if p.operands.len() < 2 {
        crate::common::print_usage_brief("timeout");
        return 125;
    }
    let Some(limit) = parse_duration(&lossy(&p.operands[0])) else {
        error_msg(
            "timeout",
            &format!("invalid duration '{}'", lossy(&p.operands[0])),
        );
        return 125;
    };
    let prog = &p.operands[1];
    // The command gets a process group of its own, so that the signal
    // reaches whatever it started too (`sh -c 'a | b'`), as in coreutils.
    let mut child = match Command::new(prog)
        .args(&p.operands[2..])
        .process_group(0)
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            perror("timeout", format!("can't execute '{}'", lossy(prog)), &e);
            return if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
        }
    };
    // Negative: the child's whole process group, whose id is its pid.
    let pid = Pid::from_raw(-(child.id() as i32));
    for forwarded in FORWARDED {
        // SAFETY: the handler only stores into an atomic.
        let _ = unsafe {
            nix::sys::signal::signal(
                forwarded,
                nix::sys::signal::SigHandler::Handler(note_signal),
            )
        };
    }
    let start = Instant::now();
    // A zero duration means no time limit.
    let mut deadline = (!limit.is_zero()).then(|| start + limit);
    let mut timed_out = false;
    let mut killed = false;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                // KILL cannot be caught: its status says so, as in coreutils.
                if killed || (timed_out && sig == Signal::SIGKILL) {
                    return 128 + 9;
                }
                if timed_out {
                    return 124;
                }
                return status
                    .code()
                    .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
            }
            Ok(None) => {}
            Err(e) => {
                perror("timeout", "wait", &e);
                return 125;
            }
        }
        let got = RECEIVED.swap(0, Ordering::Relaxed);
        if got != 0 {
            // Signals sent to timeout itself go on to the command.
            if let Ok(sig) = Signal::try_from(got) {
                let _ = kill(pid, sig);
            }
        }
        let now = Instant::now();
        match deadline {
            Some(d) if now >= d => {
                if timed_out {
                    let _ = kill(pid, Signal::SIGKILL);
                    killed = true;
                    deadline = None;
                } else {
                    let _ = kill(pid, sig);
                    timed_out = true;
                    deadline = kill_after.map(|k| now + k);
                }
            }
            Some(d) => std::thread::sleep((d - now).min(Duration::from_millis(10))),
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_signals() {
        assert_eq!(parse_duration("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1d"), Some(Duration::from_secs(86400)));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_duration("-1"), None);
        assert_eq!(parse_signal("KILL"), Some(Signal::SIGKILL));
        assert_eq!(parse_signal("sigint"), Some(Signal::SIGINT));
        assert_eq!(parse_signal("15"), Some(Signal::SIGTERM));
        assert_eq!(parse_signal("BOGUS"), None);
    }
}
