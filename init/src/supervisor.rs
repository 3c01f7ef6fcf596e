//! Starting, reaping and restarting services.

use ibex_plan::{Restart, Service};
use nix::errno::Errno;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A service that exits sooner than this after starting counts as crashing,
/// and its next start is delayed.
const STABLE_AFTER: Duration = Duration::from_secs(2);
/// First restart delay of a crashing service; it doubles up to the maximum.
const FIRST_DELAY: Duration = Duration::from_millis(250);
const MAX_DELAY: Duration = Duration::from_secs(30);

/// The environment every service starts with.
const SERVICE_ENV: &[(&str, &str)] = &[
    ("PATH", "/sbin:/usr/sbin:/bin:/usr/bin"),
    ("HOME", "/root"),
    ("SHELL", "/bin/sh"),
    ("USER", "root"),
    ("LOGNAME", "root"),
    ("TERM", "vt100"),
];

/// One service and what init knows about it.
pub struct Supervised {
    /// Its definition from the boot plan.
    pub service: Service,
    /// Its process, while running.
    pub pid: Option<Pid>,
    started: Instant,
    /// Delay before the next restart of a crashing service.
    delay: Duration,
    /// When to start it next, if it is waiting to be restarted.
    pub next_start: Option<Instant>,
}

/// All services of the boot plan.
pub struct Supervisor {
    /// In plan order.
    pub services: Vec<Supervised>,
    /// False once shutdown has begun: nothing is restarted any more.
    pub restarting: bool,
}

impl Supervisor {
    /// A supervisor for `services`, none started yet.
    pub fn new(services: Vec<Service>) -> Supervisor {
        let now = Instant::now();
        Supervisor {
            services: services
                .into_iter()
                .map(|service| Supervised {
                    service,
                    pid: None,
                    started: now,
                    delay: FIRST_DELAY,
                    next_start: Some(now),
                })
                .collect(),
            restarting: true,
        }
    }

    /// Starts every service whose start time has come; returns how long
    /// until the next pending start, if any.
    pub fn start_due(&mut self) -> Option<Duration> {
        let now = Instant::now();
        let mut next: Option<Duration> = None;
        for s in &mut self.services {
            match s.next_start {
                Some(at) if at <= now => {
                    s.next_start = None;
                    s.started = now;
                    match spawn(&s.service) {
                        Ok(pid) => {
                            s.pid = Some(pid);
                        }
                        Err(e) => {
                            crate::log!("cannot start {}: {e}", s.service.name);
                            schedule_restart(s, now);
                        }
                    }
                }
                Some(at) => {
                    let wait = at - now;
                    next = Some(next.map_or(wait, |n| n.min(wait)));
                }
                None => {}
            }
        }
        next
    }

    /// Reaps every child that has exited, services and orphans alike, and
    /// schedules restarts.
    pub fn reap(&mut self) {
        loop {
            match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) => {
                    self.exited(pid, &format!("exited with status {code}"))
                }
                Ok(WaitStatus::Signaled(pid, sig, _)) => {
                    self.exited(pid, &format!("killed by {}", sig.as_str()))
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

    fn exited(&mut self, pid: Pid, how: &str) {
        let restarting = self.restarting;
        let Some(s) = self.services.iter_mut().find(|s| s.pid == Some(pid)) else {
            // An orphan that was reparented to us: reaping it is all we owe.
            return;
        };
        s.pid = None;
        crate::log!("{} (pid {pid}) {how}", s.service.name);
        if restarting && s.service.restart == Restart::Always {
            schedule_restart(s, Instant::now());
        }
    }
}

/// Restarts at once after a stable run, with a growing delay after a crash.
fn schedule_restart(s: &mut Supervised, now: Instant) {
    if now.duration_since(s.started) >= STABLE_AFTER {
        s.delay = FIRST_DELAY;
        s.next_start = Some(now);
    } else {
        s.next_start = Some(now + s.delay);
        s.delay = (s.delay * 2).min(MAX_DELAY);
    }
}

/// Starts one service in a new session; on a terminal it becomes the
/// controlling terminal so that job control and Ctrl-C work.
fn spawn(service: &Service) -> Result<Pid, String> {
    let program = service.argv.first().ok_or("empty command")?;
    let mut cmd = Command::new(program);
    cmd.args(&service.argv[1..]).env_clear().current_dir("/");
    for (key, value) in SERVICE_ENV {
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
