//! `pgrep` and `pkill`: select processes by an extended regular expression
//! on their name (or, with -f, their whole command line), by parent, session
//! or user, then list them or signal them.

use crate::common::{error_msg, getopt, perror, usage_error, Exit, Parsed};
use crate::procfs::{self, Process};
use crate::regex::{Options, Regex};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[-flanovx] [-s SID|-P PPID|-u USER|-U USER|PATTERN]\n\nDisplay process(es) selected by regex PATTERN\n\n\t-l\tShow command name too\n\t-a\tShow command line too\n\t-f\tMatch against entire command line\n\t-n\tShow the newest process only\n\t-o\tShow the oldest process only\n\t-v\tNegate the match\n\t-x\tMatch whole name (not substring)\n\t-s SID\tMatch session ID (0 for current)\n\t-P PPID\tMatch parent process ID\n\t-u USER\tMatch effective user (name or id)\n\t-U USER\tMatch real user (name or id)";

/// Usage of pkill, which shares this file.
pub const PKILL_USAGE: &str = "[-l|-SIGNAL] [-xfvno] [-s SID|-P PPID|-u USER|-U USER|PATTERN]\n\nSend signal to processes selected by regex PATTERN\n\n\t-l\tList all signals\n\t-SIGNAL, --signal SIGNAL\n\t\tSignal to send (default: TERM)\n\t-x\tMatch whole name (not substring)\n\t-f\tMatch against entire command line\n\t-s SID\tMatch session ID (0 for current)\n\t-P PPID\tMatch parent process ID\n\t-u USER\tMatch effective user (name or id)\n\t-U USER\tMatch real user (name or id)\n\t-v\tNegate the match\n\t-n\tSignal the newest process only\n\t-o\tSignal the oldest process only";

/// Entry point of `pgrep`.
pub fn main(args: Vec<OsString>) -> i32 {
    run("pgrep", args)
}

/// Entry point of `pkill`.
pub fn pkill_main(args: Vec<OsString>) -> i32 {
    run("pkill", args)
}

/// Which processes to pick, from the command line.
struct Filter {
    regex: Option<Regex>,
    full: bool,
    invert: bool,
    sessions: Option<Vec<i32>>,
    parents: Option<Vec<i32>>,
    euids: Option<Vec<u32>>,
    uids: Option<Vec<u32>>,
}

impl Filter {
    /// Whether `p` is selected. Like BusyBox, -v inverts only the pattern.
    fn selects(&self, p: &Process) -> bool {
        let within = |list: &Option<Vec<i32>>, v: i32| list.as_ref().is_none_or(|l| l.contains(&v));
        let within_u =
            |list: &Option<Vec<u32>>, v: u32| list.as_ref().is_none_or(|l| l.contains(&v));
        if !within(&self.sessions, p.session)
            || !within(&self.parents, p.ppid)
            || !within_u(&self.euids, p.euid)
            || !within_u(&self.uids, p.uid)
        {
            return false;
        }
        let Some(re) = &self.regex else {
            return true;
        };
        let subject = if self.full {
            p.args_joined()
        } else {
            p.comm.clone()
        };
        re.is_match(&subject) != self.invert
    }
}

/// pgrep or pkill, as `applet` says.
fn run(applet: &'static str, mut args: Vec<OsString>) -> i32 {
    let pkill = applet == "pkill";
    let mut signal = Some(Signal::SIGTERM);
    // pkill's signal comes first as -NAME or -NUMBER (never an option letter).
    if pkill {
        if let Some(first) = args.get(1).and_then(|a| a.to_str()) {
            if let Some(name) = first.strip_prefix('-') {
                if !name.is_empty() && name != "l" && !name.starts_with('-') {
                    if let Ok(s) = super::kill::parse_signal(name) {
                        signal = s;
                        args.remove(1);
                    }
                }
            }
        }
    }
    let short = if pkill {
        "lfnovxs:P:u:U:S:"
    } else {
        "lafnovxs:P:u:U:"
    };
    let p = match getopt(&args, short, &[("signal", 'S')], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if pkill && p.has('l') {
        return super::kill::list(&[]);
    }
    if let Some(name) = p.value('S') {
        match super::kill::parse_signal(&name.to_string_lossy()) {
            Ok(s) => signal = s,
            Err(()) => {
                error_msg(
                    applet,
                    &format!("bad signal name '{}'", name.to_string_lossy()),
                );
                return 1;
            }
        }
    }
    let filter = match filter(applet, &p) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let procs = match procfs::processes() {
        Ok(procs) => procs,
        Err(e) => {
            perror(applet, "/proc", &e);
            return 1;
        }
    };
    let me = procfs::own_pid();
    let mut chosen: Vec<&Process> = procs
        .iter()
        .filter(|proc| proc.pid != me && filter.selects(proc))
        .collect();
    // -n and -o keep one: by start time, then by pid for ties.
    let key = |p: &&Process| (p.start_time, p.pid);
    if p.has('n') {
        chosen = chosen.into_iter().max_by_key(key).into_iter().collect();
    } else if p.has('o') {
        chosen = chosen.into_iter().min_by_key(key).into_iter().collect();
    }
    if chosen.is_empty() {
        return 1;
    }
    if pkill {
        for proc in &chosen {
            if let Err(e) = kill(Pid::from_raw(proc.pid), signal) {
                error_msg(
                    applet,
                    &format!("can't kill pid {}: {}", proc.pid, e.desc()),
                );
            }
        }
        return 0;
    }
    let mut out = std::io::stdout().lock();
    for proc in &chosen {
        let mut line = proc.pid.to_string().into_bytes();
        if p.has('a') || (p.has('l') && p.has('f')) {
            line.push(b' ');
            line.extend_from_slice(&proc.args_joined());
        } else if p.has('l') {
            line.push(b' ');
            line.extend_from_slice(&proc.comm);
        }
        line.push(b'\n');
        if let Err(e) = out.write_all(&line) {
            return crate::text::write_failed(applet, &e);
        }
    }
    crate::text::finish(applet, &mut out, 0)
}

/// Builds the filter; a usage error or a bad value gives the exit status.
fn filter(applet: &str, p: &Parsed) -> Result<Filter, i32> {
    let selectors = ['s', 'P', 'u', 'U'];
    let has_selector = selectors.iter().any(|&c| p.has(c));
    if p.operands.len() > 1 || (p.operands.is_empty() && !has_selector) {
        return Err(usage_error(applet, "no matching criteria specified"));
    }
    let regex = match p.operands.first() {
        Some(pat) => {
            let opts = Options {
                extended: true,
                line: p.has('x'),
                ..Options::default()
            };
            match Regex::with_options(pat.as_bytes(), &opts) {
                Ok(re) => Some(re),
                Err(e) => {
                    error_msg(
                        applet,
                        &format!("bad regex '{}': {e}", pat.to_string_lossy()),
                    );
                    return Err(1);
                }
            }
        }
        None => None,
    };
    let ids = |c: char| -> Result<Option<Vec<i32>>, i32> {
        let Some(text) = p.value(c) else {
            return Ok(None);
        };
        let mut list = Vec::new();
        for item in text.as_bytes().split(|&b| b == b',') {
            match std::str::from_utf8(item)
                .ok()
                .and_then(|s| s.parse::<i32>().ok())
            {
                // Session 0 is our own.
                Some(0) if c == 's' => {
                    list.push(nix::unistd::getsid(None).map(Pid::as_raw).unwrap_or(0))
                }
                Some(n) if n >= 0 => list.push(n),
                _ => {
                    error_msg(
                        applet,
                        &format!("invalid number '{}'", String::from_utf8_lossy(item)),
                    );
                    return Err(1);
                }
            }
        }
        Ok(Some(list))
    };
    let users = |c: char| -> Result<Option<Vec<u32>>, i32> {
        let Some(text) = p.value(c) else {
            return Ok(None);
        };
        let mut list = Vec::new();
        for item in text.as_bytes().split(|&b| b == b',') {
            match crate::fsutil::parse_user(OsStr::from_bytes(item)) {
                Some(uid) => list.push(uid),
                None => {
                    error_msg(
                        applet,
                        &format!("unknown user {}", String::from_utf8_lossy(item)),
                    );
                    return Err(1);
                }
            }
        }
        Ok(Some(list))
    };
    Ok(Filter {
        regex,
        full: p.has('f'),
        invert: p.has('v'),
        sessions: ids('s')?,
        parents: ids('P')?,
        euids: users('u')?,
        uids: users('U')?,
    })
}
