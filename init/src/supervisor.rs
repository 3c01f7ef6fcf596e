//! Starting services in dependency order, reaping every child, restarting
//! by policy with exponential backoff, and giving up at the failure limit.

use ibex_plan::{Kind, Restart, Service};
use nix::errno::Errno;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The environment every service starts with; a service's own `env` is
/// added on top.
const SERVICE_ENV: &[(&str, &str)] = &[
    ("PATH", "/sbin:/usr/sbin:/bin:/usr/bin"),
    ("HOME", "/root"),
    ("SHELL", "/bin/sh"),
    ("USER", "root"),
    ("LOGNAME", "root"),
    ("TERM", "vt100"),
];

/// Where a service is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Not started yet: waiting for its dependencies.
    Waiting,
    /// Its process is running.
    Running { pid: Pid, since: Instant },
    /// Exited; starts again at the given time.
    Backoff { until: Instant },
    /// A oneshot that finished successfully.
    Done,
    /// A daemon that exited and is not to be restarted.
    Stopped,
    /// Given up on; the string says why.
    Failed(String),
}

/// One service and what init knows about it.
pub struct Supervised {
    /// Its definition from the boot plan.
    pub service: Service,
    /// Its state.
    pub state: State,
    /// Consecutive runs shorter than the backoff's reset time (for delays).
    quick_exits: u32,
    /// Consecutive failed runs (for the failure limit).
    failures: u32,
}

impl Supervised {
    /// The running process, if any.
    pub fn pid(&self) -> Option<Pid> {
        match self.state {
            State::Running { pid, .. } => Some(pid),
            _ => None,
        }
    }

    /// Whether services that depend on this one may start.
    fn is_ready(&self) -> bool {
        match self.state {
            State::Done | State::Stopped => true,
            State::Running { .. } => self.service.kind == Kind::Daemon,
            _ => false,
        }
    }
}

/// All services of the boot plan.
pub struct Supervisor {
    /// In plan (dependency) order.
    pub services: Vec<Supervised>,
    /// False once shutdown has begun: nothing is started any more.
    pub restarting: bool,
}

impl Supervisor {
    /// A supervisor for `services`, none started yet.
    pub fn new(services: Vec<Service>) -> Supervisor {
        Supervisor {
            services: services
                .into_iter()
                .map(|service| Supervised {
                    service,
                    state: State::Waiting,
                    quick_exits: 0,
                    failures: 0,
                })
                .collect(),
            restarting: true,
        }
    }

    /// Starts every service whose time has come and whose dependencies are
    /// settled; returns how long until the next timed start, if any.
    pub fn start_due(&mut self) -> Option<Duration> {
        if !self.restarting {
            return None;
        }
        let mut next: Option<Duration> = None;
        // Plan order is a dependency order, so one pass sees every service
        // after its dependencies, including ones started earlier in it.
        for i in 0..self.services.len() {
            let now = Instant::now();
            match self.services[i].state {
                State::Waiting => {}
                State::Backoff { until } if until <= now => {}
                State::Backoff { until } => {
                    let wait = until - now;
                    next = Some(next.map_or(wait, |n| n.min(wait)));
                    continue;
                }
                _ => continue,
            }
            match self.dependencies_settled(i) {
                Settled::No => continue,
                Settled::NeedFailed(dep) => {
                    let why = format!("needs {dep}, which failed");
                    crate::log!("{}: not started: {why}", self.services[i].service.name);
                    self.services[i].state = State::Failed(why);
                }
                Settled::Yes => self.start(i),
            }
        }
        next
    }

    fn dependencies_settled(&self, i: usize) -> Settled {
        let service = &self.services[i].service;
        for &d in &service.needs {
            let Some(dep) = self.services.get(usize::from(d)) else {
                continue;
            };
            if matches!(dep.state, State::Failed(_)) {
                return Settled::NeedFailed(dep.service.name.clone());
            }
        }
        let settled = service.dependencies().all(|d| {
            self.services
                .get(usize::from(d))
                .is_none_or(|dep| dep.is_ready() || matches!(dep.state, State::Failed(_)))
        });
        if settled {
            Settled::Yes
        } else {
            Settled::No
        }
    }

    fn start(&mut self, i: usize) {
        let s = &mut self.services[i];
        match spawn(&s.service) {
            Ok(pid) => {
                s.state = State::Running {
                    pid,
                    since: Instant::now(),
                }
            }
            Err(e) => {
                crate::log!("cannot start {}: {e}", s.service.name);
                // A start that fails is a failed run like any other.
                after_exit(s, true, Duration::ZERO);
            }
        }
    }

    /// Reaps every child that has exited, services and orphans alike, and
    /// decides what happens to the services among them.
    pub fn reap(&mut self) {
        loop {
            match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) => {
                    self.exited(pid, code != 0, &format!("exited with status {code}"))
                }
                Ok(WaitStatus::Signaled(pid, sig, _)) => {
                    self.exited(pid, true, &format!("killed by {}", sig.as_str()))
                }
                Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return,
                Ok(_) | Err(Errno::EINTR) => continue,
                Err(e) => {
                    crate::log!("waitpid: {}", e.desc());
                    return;
                }
            }
        }
    }

    fn exited(&mut self, pid: Pid, failed: bool, how: &str) {
        let restarting = self.restarting;
        let Some(s) = self.services.iter_mut().find(|s| s.pid() == Some(pid)) else {
            // An orphan reparented to us: reaping it is all we owe it.
            return;
        };
        let ran = match s.state {
            State::Running { since, .. } => since.elapsed(),
            _ => Duration::ZERO,
        };
        crate::log!("{} (pid {pid}) {how}", s.service.name);
        if restarting {
            after_exit(s, failed, ran);
        } else {
            s.state = State::Stopped;
        }
    }
}

enum Settled {
    Yes,
    No,
    NeedFailed(String),
}

/// Decides what follows a run of `ran` that ended in failure or not:
/// done, stopped, failed, or a restart after a delay that grows with each
/// consecutive quick exit.
fn after_exit(s: &mut Supervised, failed: bool, ran: Duration) {
    let b = s.service.backoff;
    if ran >= Duration::from_millis(u64::from(b.reset_after_ms)) {
        s.quick_exits = 0;
        s.failures = 0;
    } else {
        s.quick_exits = s.quick_exits.saturating_add(1);
    }
    if failed {
        s.failures = s.failures.saturating_add(1);
    }
    let restart = match s.service.restart {
        Restart::Always => true,
        Restart::OnFailure => failed,
        Restart::Never => false,
    };
    let limit = s.service.failure_limit;
    s.state = if failed && limit > 0 && s.failures >= limit {
        let why = format!("failed {} times in a row", s.failures);
        crate::log!("{}: {why}; giving up", s.service.name);
        State::Failed(why)
    } else if restart {
        State::Backoff {
            until: Instant::now() + delay(s.quick_exits, b),
        }
    } else if failed {
        State::Failed("exited with an error".into())
    } else if s.service.kind == Kind::Oneshot {
        State::Done
    } else {
        State::Stopped
    };
}

/// No delay after a stable run; after the n-th consecutive quick exit,
/// `initial × factor^(n-1)`, at most `max`.
fn delay(quick_exits: u32, b: ibex_plan::Backoff) -> Duration {
    if quick_exits == 0 {
        return Duration::ZERO;
    }
    let mut ms = u64::from(b.initial_ms);
    for _ in 1..quick_exits {
        ms = ms.saturating_mul(u64::from(b.factor.max(1)));
        if ms >= u64::from(b.max_ms) {
            break;
        }
    }
    Duration::from_millis(ms.min(u64::from(b.max_ms)))
}

/// Starts one service in a new session; on a terminal it becomes the
/// controlling terminal so that job control and Ctrl-C work.
fn spawn(service: &Service) -> Result<Pid, String> {
    let program = service.argv.first().ok_or("empty command")?;
    let mut cmd = Command::new(program);
    cmd.args(&service.argv[1..])
        .env_clear()
        .current_dir(service.cwd.as_deref().unwrap_or("/"));
    for (key, value) in SERVICE_ENV {
        cmd.env(key, value);
    }
    for (key, value) in &service.env {
        cmd.env(key, value);
    }
    let on_tty = match &service.tty {
        Some(tty) => {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(tty)
                .map_err(|e| format!("{tty}: {e}"))?;
            let clone = |f: &std::fs::File| f.try_clone().map_err(|e| format!("{tty}: {e}"));
            cmd.stdin(Stdio::from(clone(&file)?))
                .stdout(Stdio::from(clone(&file)?))
                .stderr(Stdio::from(file));
            true
        }
        None => false,
    };
    // SAFETY: the closure runs in the child between fork and exec and only
    // makes async-signal-safe system calls (sigprocmask, setsid, ioctl).
    unsafe {
        cmd.pre_exec(move || {
            // init blocks the signals it reads from its signalfd; the mask is
            // inherited across exec, and a shell with SIGHUP blocked would
            // outlive its terminal.
            nix::sys::signal::SigSet::empty().thread_set_mask()?;
            nix::unistd::setsid()?;
            if on_tty && nix::libc::ioctl(0, nix::libc::TIOCSCTTY, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|e| format!("{program}: {e}"))?;
    // The child is reaped by `reap`, never through `Child`.
    Ok(Pid::from_raw(child.id() as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_are_capped() {
        let b = ibex_plan::Backoff {
            initial_ms: 100,
            factor: 3,
            max_ms: 1000,
            reset_after_ms: 5000,
        };
        let ms: Vec<u128> = (0..6).map(|n| delay(n, b).as_millis()).collect();
        assert_eq!(ms, [0, 100, 300, 900, 1000, 1000]);
        let huge = ibex_plan::Backoff {
            initial_ms: u32::MAX,
            factor: u32::MAX,
            max_ms: u32::MAX,
            reset_after_ms: 0,
        };
        assert_eq!(delay(u32::MAX, huge).as_millis(), u128::from(u32::MAX));
    }
}
