//! `svc list|status|start|stop|restart NAME`, `svc reload`: look at and
//! control the services init supervises (OpenRC's rc-status and
//! rc-service).

use crate::common::{error_msg, getopt, usage_error};
use crate::control::ask;
use ibex_control::{Request, Response, ServiceStatus, State};
use std::ffi::OsString;
use std::time::{Duration, Instant};

pub const USAGE: &str =
    "[list] | status [NAME] | start NAME | stop NAME | restart NAME | reload\n\n\
Show and control the services init supervises\n\n\
\tlist\t\tEvery service, its state, process and time in that state\n\
\tstatus NAME\tOne service; exit 0 started, 3 stopped, 4 in between, 32 failed\n\
\tstart NAME\tStart a stopped or failed service and wait until it is up\n\
\tstop NAME\tStop a service (it stays stopped) and wait until it is gone\n\
\trestart NAME\tStop, then start\n\
\treload\t\tRead /etc/ibex/services.d again: start, stop, restart what changed";

/// Exit status of `status` for a stopped service (OpenRC's).
const EXIT_STOPPED: i32 = 3;
/// Exit status of `status` for a service on its way up or down.
const EXIT_TRANSIENT: i32 = 4;
/// Exit status of `status` for a failed service (OpenRC's "crashed").
const EXIT_FAILED: i32 = 32;
/// How long `start`, `stop` and `restart` wait for the result.
const PATIENCE: Duration = Duration::from_secs(60);

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let parsed = match getopt(&args, "", &[], false) {
        Ok(p) => p,
        Err(crate::common::Exit(code)) => return code,
    };
    let words: Vec<String> = parsed
        .operands
        .iter()
        .map(|w| w.to_string_lossy().into_owned())
        .collect();
    let result = match words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] | ["list"] | ["status"] => list(),
        ["status", name] => status(name),
        ["start", name] => change(name, Request::Start(name.into())),
        ["stop", name] => change(name, Request::Stop(name.into())),
        ["restart", name] => change(name, Request::Restart(name.into())),
        ["reload"] => reload(),
        [cmd, ..] if !["list", "status", "start", "stop", "restart", "reload"].contains(&cmd) => {
            return usage_error("svc", &format!("unknown command '{cmd}'"))
        }
        _ => return usage_error("svc", "wrong number of arguments"),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            error_msg("svc", &msg);
            1
        }
    }
}

fn services(request: Request) -> Result<Vec<ServiceStatus>, String> {
    match ask(&request)? {
        Response::Services(list) => Ok(list),
        Response::NoSuchService(name) => Err(format!("service '{name}' does not exist")),
        other => Err(format!("unexpected answer from init: {other:?}")),
    }
}

fn list() -> Result<i32, String> {
    let list = services(Request::List)?;
    let width = list.iter().map(|s| s.name.len()).max().unwrap_or(0).max(7);
    println!(
        "{:width$}  {:8}  {:>6}  {:>8}  {:>8}  DETAIL",
        "SERVICE", "STATE", "PID", "FOR", "RESTARTS"
    );
    for s in &list {
        println!(
            "{:width$}  {:8}  {:>6}  {:>8}  {:>8}  {}",
            s.name,
            s.state.word(),
            s.pid.map_or("-".into(), |p| p.to_string()),
            duration(s.since_ms),
            s.restarts,
            s.detail
        );
    }
    Ok(0)
}

fn status(name: &str) -> Result<i32, String> {
    let s = one(name)?;
    println!("{}", describe(&s));
    Ok(match s.state {
        State::Started | State::Done => 0,
        State::Stopped => EXIT_STOPPED,
        State::Failed => EXIT_FAILED,
        State::Waiting | State::Starting | State::Backoff | State::Stopping => EXIT_TRANSIENT,
    })
}

fn one(name: &str) -> Result<ServiceStatus, String> {
    services(Request::Status(name.into()))?
        .into_iter()
        .next()
        .ok_or_else(|| format!("service '{name}' does not exist"))
}

/// Sends a start, stop or restart and waits until the service has got
/// where it was sent.
fn change(name: &str, request: Request) -> Result<i32, String> {
    let before = one(name)?;
    let stopping = matches!(request, Request::Stop(_));
    let restarting = matches!(request, Request::Restart(_));
    match ask(&request)? {
        Response::Done => {}
        Response::NoSuchService(n) => return Err(format!("service '{n}' does not exist")),
        other => return Err(format!("unexpected answer from init: {other:?}")),
    }
    let deadline = Instant::now() + PATIENCE;
    loop {
        let s = one(name)?;
        let arrived = if stopping {
            matches!(s.state, State::Stopped | State::Failed | State::Done)
        } else {
            let moved_on = !restarting || before.pid.is_none() || s.pid != before.pid;
            match s.state {
                State::Started | State::Done => moved_on,
                State::Failed | State::Stopped => true,
                _ => false,
            }
        };
        if arrived {
            println!("{}", describe(&s));
            let ok = if stopping {
                s.state != State::Failed
            } else {
                matches!(s.state, State::Started | State::Done)
            };
            return Ok(if ok { 0 } else { 1 });
        }
        if Instant::now() > deadline {
            println!("{}", describe(&s));
            return Err(format!(
                "{name}: gave up waiting after {}s",
                PATIENCE.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Asks init to read the services directory again and says what it
/// started and stopped.
/// Asks init to reload package services and prints what it started and stopped.
pub fn reload() -> Result<i32, String> {
    match ask(&Request::Reload)? {
        Response::Reloaded { started, stopped } => {
            print!("{}", reloaded(&started, &stopped));
            Ok(0)
        }
        other => Err(format!("unexpected answer from init: {other:?}")),
    }
}

/// `started: a b` and `stopped: c` lines, or `nothing changed`.
fn reloaded(started: &[String], stopped: &[String]) -> String {
    let mut out = String::new();
    for (word, names) in [("started", started), ("stopped", stopped)] {
        if !names.is_empty() {
            out.push_str(&format!("{word}: {}\n", names.join(" ")));
        }
    }
    if out.is_empty() {
        out.push_str("nothing changed\n");
    }
    out
}

/// One line for a person: `web: started (pid 42) for 3m05s, 2 restarts`.
fn describe(s: &ServiceStatus) -> String {
    let mut line = format!("{}: {}", s.name, s.state.word());
    if let Some(pid) = s.pid {
        line.push_str(&format!(" (pid {pid})"));
    }
    line.push_str(&format!(" for {}", duration(s.since_ms)));
    if s.restarts > 0 {
        line.push_str(&format!(
            ", {} restart{}",
            s.restarts,
            if s.restarts == 1 { "" } else { "s" }
        ));
    }
    if !s.detail.is_empty() {
        line.push_str(&format!(": {}", s.detail));
    }
    line
}

/// `950ms`, `12s`, `3m05s`, `2h07m`, `3d04h`.
fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0 => format!("{ms}ms"),
        1..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, s / 60 % 60),
        _ => format!("{}d{:02}h", s / 86400, s / 3600 % 24),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(duration(950), "950ms");
        assert_eq!(duration(12_000), "12s");
        assert_eq!(duration(185_000), "3m05s");
        assert_eq!(duration(7_620_000), "2h07m");
        assert_eq!(duration(273_600_000), "3d04h");
    }

    #[test]
    fn reports_a_reload() {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(reloaded(&[], &[]), "nothing changed\n");
        assert_eq!(
            reloaded(&names(&["a", "b"]), &names(&["c"])),
            "started: a b\nstopped: c\n"
        );
        assert_eq!(reloaded(&[], &names(&["c"])), "stopped: c\n");
    }

    #[test]
    fn describes_a_service() {
        let s = ServiceStatus {
            name: "web".into(),
            state: State::Started,
            pid: Some(42),
            since_ms: 185_000,
            restarts: 2,
            detail: String::new(),
        };
        assert_eq!(describe(&s), "web: started (pid 42) for 3m05s, 2 restarts");
    }
}
