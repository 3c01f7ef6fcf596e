//! Poweroff, reboot and halt: stop the services in reverse dependency
//! order, stop every other process, sync, unmount, and call reboot(2). Also
//! the end of a container, when its main service has ended.

use crate::logs::Logs;
use crate::supervisor::{State, Supervisor, KILL_TIMEOUT};
use crate::watchdog::Watchdog;
use crate::Mode;
use nix::errno::Errno;
use nix::sys::reboot::{reboot, RebootMode};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::time::{Duration, Instant};

/// How long processes that are not services get between SIGTERM and SIGKILL.
const TERM_TIMEOUT: Duration = Duration::from_secs(2);

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
///
/// The watchdog stays armed and petted while services stop, so that a
/// shutdown that hangs is still reset; a poweroff or halt disarms it right
/// before reboot(2), since a machine told to stay off must not be reset.
pub fn shutdown(
    supervisor: &mut Supervisor,
    logs: &mut Logs,
    watchdog: &mut Option<Watchdog>,
    action: Action,
    mode: Mode,
) {
    crate::log!("{}: stopping all processes", action.name());
    stop_everything(supervisor, logs, watchdog, mode);
    if !mode.pid1 {
        crate::log!("{}: done (not PID 1, exiting)", action.name());
        std::process::exit(0);
    }
    if !mode.container {
        crate::mounts::unmount_all();
    }
    crate::log!("{}: now", action.name());
    let how = match action {
        Action::Poweroff => RebootMode::RB_POWER_OFF,
        Action::Reboot => RebootMode::RB_AUTOBOOT,
        Action::Halt => RebootMode::RB_HALT_SYSTEM,
    };
    if action != Action::Reboot {
        if let Some(w) = watchdog.take() {
            w.disarm();
        }
    }
    let Err(e) = reboot(how);
    crate::log!("reboot(2) failed: {}; staying up", e.desc());
    // Only a failed reboot(2) gets here: keep reaping and serving requests.
    supervisor.restarting = true;
}

/// The main service of a container has ended: stop the rest and exit with
/// its status.
pub fn exit_container(supervisor: &mut Supervisor, logs: &mut Logs, code: i32, mode: Mode) {
    crate::log!("main service ended: stopping the container with status {code}");
    stop_everything(supervisor, logs, &mut None, mode);
    std::process::exit(code);
}

/// Services in reverse order, then every other process, then sync.
fn stop_everything(
    supervisor: &mut Supervisor,
    logs: &mut Logs,
    watchdog: &mut Option<Watchdog>,
    mode: Mode,
) {
    supervisor.restarting = false;
    stop_services(supervisor, logs, watchdog);
    signal_all(Signal::SIGTERM, mode.pid1);
    signal_all(Signal::SIGCONT, mode.pid1);
    if !reap_all_within(TERM_TIMEOUT, watchdog) {
        crate::log!("processes left after {TERM_TIMEOUT:?}: sending SIGKILL");
        signal_all(Signal::SIGKILL, mode.pid1);
        if !reap_all_within(KILL_TIMEOUT, watchdog) {
            crate::log!("some processes did not die");
        }
    }
    for i in 0..supervisor.services.len() {
        crate::drain_output(supervisor, logs, i);
        logs.flush(i);
    }
    nix::unistd::sync();
}

/// Stops the services in reverse dependency order, each with its own stop
/// signal, and SIGKILLs one that outlives its stop timeout.
fn stop_services(supervisor: &mut Supervisor, logs: &mut Logs, watchdog: &mut Option<Watchdog>) {
    for i in (0..supervisor.services.len()).rev() {
        if supervisor.services[i].pid().is_none() {
            continue;
        }
        supervisor.stop(i);
        loop {
            pet(watchdog);
            supervisor.reap();
            // Sends SIGKILL once the stop timeout has passed.
            supervisor.start_due();
            // A service that writes while stopping must not block on a
            // full pipe.
            crate::drain_output(supervisor, logs, i);
            match supervisor.services[i].state {
                State::Stopping {
                    killed: true,
                    deadline,
                    ..
                } if Instant::now() > deadline + KILL_TIMEOUT => {
                    crate::log!("{} did not die", supervisor.services[i].service.name);
                    break;
                }
                State::Stopping { .. } => std::thread::sleep(Duration::from_millis(10)),
                _ => break,
            }
        }
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
fn reap_all_within(timeout: Duration, watchdog: &mut Option<Watchdog>) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        pet(watchdog);
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

/// Pets the watchdog, if there is one, when it is due: shutdown waits in
/// loops of its own, outside the main loop that pets it otherwise.
fn pet(watchdog: &mut Option<Watchdog>) {
    if let Some(w) = watchdog {
        w.pet();
    }
}
