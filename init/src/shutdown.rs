//! Poweroff, reboot and halt: stop every process, sync, and call reboot(2).

use crate::supervisor::Supervisor;
use nix::errno::Errno;
use nix::sys::reboot::{reboot, RebootMode};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::time::{Duration, Instant};

/// How long processes that are not services get between SIGTERM and SIGKILL.
const TERM_TIMEOUT: Duration = Duration::from_secs(2);
/// How long we wait for SIGKILLed processes to be reaped.
const KILL_TIMEOUT: Duration = Duration::from_secs(2);

/// What the system does once everything is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Switch the machine off.
    Poweroff,
    /// Restart the machine.
    Reboot,
    /// Stop the CPU, leaving the machine on.
    Halt,
}

impl Action {
    /// The request a signal stands for, as BusyBox init reads them.
    pub fn for_signal(sig: Signal) -> Option<Action> {
        match sig {
            Signal::SIGUSR2 | Signal::SIGPWR => Some(Action::Poweroff),
            Signal::SIGTERM | Signal::SIGINT => Some(Action::Reboot),
            Signal::SIGUSR1 => Some(Action::Halt),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Action::Poweroff => "poweroff",
            Action::Reboot => "reboot",
            Action::Halt => "halt",
        }
    }
}

/// Stops everything and carries out `action`. As PID 1 it does not return
/// unless reboot(2) itself fails; otherwise it exits the process.
pub fn shutdown(supervisor: &mut Supervisor, action: Action, pid1: bool) {
    crate::log!("{}: stopping all processes", action.name());
    supervisor.restarting = false;
    stop_services(supervisor);
    signal_all(Signal::SIGTERM, pid1);
    signal_all(Signal::SIGCONT, pid1);
    if !reap_all_within(TERM_TIMEOUT) {
        crate::log!("processes left after {TERM_TIMEOUT:?}: sending SIGKILL");
        signal_all(Signal::SIGKILL, pid1);
        if !reap_all_within(KILL_TIMEOUT) {
            crate::log!("some processes did not die");
        }
    }
    nix::unistd::sync();
    if !pid1 {
        crate::log!("{}: done (not PID 1, exiting)", action.name());
        std::process::exit(0);
    }
    crate::log!("{}: now", action.name());
    let mode = match action {
        Action::Poweroff => RebootMode::RB_POWER_OFF,
        Action::Reboot => RebootMode::RB_AUTOBOOT,
        Action::Halt => RebootMode::RB_HALT_SYSTEM,
    };
    let Err(e) = reboot(mode);
    crate::log!("reboot(2) failed: {}; staying up", e.desc());
    // Only a failed reboot(2) gets here: keep reaping and serving requests.
    supervisor.restarting = true;
}

/// Stops the services in reverse dependency order, each with its own stop
/// signal, and SIGKILLs one that outlives its stop timeout.
fn stop_services(supervisor: &mut Supervisor) {
    for i in (0..supervisor.services.len()).rev() {
        let s = &supervisor.services[i];
        let Some(pid) = s.pid() else { continue };
        let name = s.service.name.clone();
        let timeout = Duration::from_millis(u64::from(s.service.stop_timeout_ms));
        // Interactive shells ignore SIGTERM; a terminal session ends with a
        // hangup, as when a modem line drops.
        if s.service.tty.is_some() {
            let _ = kill(Pid::from_raw(-pid.as_raw()), Signal::SIGHUP);
        }
        let sig = Signal::try_from(s.service.stop_signal).unwrap_or(Signal::SIGTERM);
        let _ = kill(pid, sig);
        let _ = kill(pid, Signal::SIGCONT);
        if !wait_stopped(supervisor, i, timeout) {
            crate::log!("{name} still running after {timeout:?}: sending SIGKILL");
            let _ = kill(pid, Signal::SIGKILL);
            wait_stopped(supervisor, i, KILL_TIMEOUT);
        }
    }
}

/// Reaps until service `i` has no process or `timeout` passes.
fn wait_stopped(supervisor: &mut Supervisor, i: usize, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        supervisor.reap();
        if supervisor.services[i].pid().is_none() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends `sig` to every process init is responsible for. As PID 1 that is
/// every process (kill(-1) spares only PID 1); otherwise it is only our own
/// children, services and adopted orphans alike, since kill(-1) from a
/// subreaper would reach the whole host.
fn signal_all(sig: Signal, pid1: bool) {
    if pid1 {
        let _ = kill(Pid::from_raw(-1), sig);
        return;
    }
    for pid in children() {
        let _ = kill(pid, sig);
    }
}

/// Our direct children, read from /proc (field 4 of /proc/PID/stat is the
/// parent's pid; the command name before it may contain spaces and ')').
fn children() -> Vec<Pid> {
    let me = nix::unistd::getpid().as_raw();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let rest = stat.rsplit_once(')')?.1;
                    rest.split_whitespace().nth(1)?.parse::<i32>().ok()
                })
                == Some(me)
        })
        .map(Pid::from_raw)
        .collect()
}

/// Reaps children until none is left or `timeout` passes; true if none left.
fn reap_all_within(timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Err(Errno::ECHILD) => return true,
            Ok(WaitStatus::StillAlive) => {
                if Instant::now() >= deadline {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(_) | Err(_) => {}
        }
    }
}
