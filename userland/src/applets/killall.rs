//! `killall [-lqwi] [-SIG] NAME...`: signal every process called NAME, as
//! pidof finds them.

use crate::common::{error_msg, usage_error};
use crate::procfs;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[-lqwi] [-SIG] PROCESS_NAME...\n\nSend a signal (default: TERM) to given processes\n\n\t-l\tList all signal names and numbers\n\t-q\tDon't complain if no processes were killed\n\t-w\tWait until the processes are gone\n\t-i\tAsk before each kill";

/// Entry point: status 1 if some NAME matched nothing or a kill failed.
pub fn main(args: Vec<OsString>) -> i32 {
    let mut signal = Some(Signal::SIGTERM);
    let (mut quiet, mut wait, mut ask) = (false, false, false);
    let mut i = 1;
    // Options and the -SIGNAL may come in any order before the names.
    while let Some(arg) = args.get(i).map(|a| a.to_string_lossy().into_owned()) {
        let Some(body) = arg.strip_prefix('-') else {
            break;
        };
        i += 1;
        match body {
            "" => {
                i -= 1;
                break;
            }
            "-" => break,
            "-help" => {
                crate::common::print_usage("killall");
                return 0;
            }
            "l" => {
                return super::kill::list(
                    &args[i..]
                        .iter()
                        .map(|a| a.to_string_lossy().into_owned())
                        .collect::<Vec<_>>(),
                )
            }
            _ if body.chars().all(|c| "qwi".contains(c)) => {
                quiet |= body.contains('q');
                wait |= body.contains('w');
                ask |= body.contains('i');
            }
            _ => match super::kill::parse_signal(body) {
                Ok(s) => signal = s,
                Err(()) => {
                    error_msg("killall", &format!("bad signal name '{body}'"));
                    return 1;
                }
            },
        }
    }
    let names = &args[i..];
    if names.is_empty() {
        return usage_error("killall", "no process name given");
    }
    let procs = match procfs::processes() {
        Ok(procs) => procs,
        Err(e) => {
            crate::common::perror("killall", "/proc", &e);
            return 1;
        }
    };
    let me = procfs::own_pid();
    let mut status = 0;
    let mut killed: Vec<Pid> = Vec::new();
    for name in names {
        let shown = name.to_string_lossy();
        let matching: Vec<&procfs::Process> = procs
            .iter()
            .filter(|p| p.pid != me && p.is_named(name.as_bytes()))
            .collect();
        if matching.is_empty() {
            if !quiet {
                error_msg("killall", &format!("{shown}: no process killed"));
            }
            status = 1;
            continue;
        }
        for p in matching {
            if ask && !crate::fsutil::confirm("killall", &format!("Kill {shown}({}) (y/N)", p.pid))
            {
                continue;
            }
            let pid = Pid::from_raw(p.pid);
            match kill(pid, signal) {
                Ok(()) => killed.push(pid),
                Err(e) => {
                    if !quiet {
                        error_msg(
                            "killall",
                            &format!("can't kill pid {}: {}", p.pid, e.desc()),
                        );
                    }
                    status = 1;
                }
            }
        }
    }
    if wait {
        // Poll until every signalled process is gone (or a zombie nobody
        // reaps, which counts as gone: it will never run again).
        while killed.iter().any(|&pid| {
            kill(pid, None).is_ok()
                && procfs::Process::read(pid.as_raw()).is_some_and(|p| p.state != "Z")
        }) {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    status
}
