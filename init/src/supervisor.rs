//! Starting services in dependency order, reaping every child, restarting
//! by policy with exponential backoff, giving up at the failure limit, and
//! the start/stop requests of `ibox svc`.

use crate::cgroup::Cgroups;
use ibex_control::{ServiceStatus, State as ShownState};
use ibex_plan::{Kind, Readiness, Resource, Restart, Service};
use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, FdFlag, OFlag};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{Gid, Pid, Uid};
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};
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

/// How long a service that was sent SIGKILL gets to disappear before init
/// stops waiting for it (it is still reaped whenever it goes).
pub const KILL_TIMEOUT: Duration = Duration::from_secs(2);

/// Where a service is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Not started yet: waiting for its dependencies.
    Waiting,
    /// Its process is running; `ready` once it has said so (or at once
    /// without readiness notification).
    Running {
        /// Its process.
        pid: Pid,
        /// Whether dependents may start.
        ready: bool,
    },
    /// Sent its stop signal; SIGKILL follows at `deadline`.
    Stopping {
        /// Its process.
        pid: Pid,
        /// When it gets SIGKILL.
        deadline: Instant,
        /// Whether SIGKILL has been sent.
        killed: bool,
    },
    /// Exited; starts again at the given time.
    Backoff {
        /// When.
        until: Instant,
    },
    /// A oneshot that finished successfully.
    Done,
    /// Not running and not to be started unless asked.
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
    /// When `state` last changed.
    since: Instant,
    /// Consecutive runs shorter than the backoff's reset time (for delays).
    quick_exits: u32,
    /// Consecutive failed runs (for the failure limit).
    failures: u32,
    /// Times started again after an exit.
    restarts: u32,
    /// How its last run ended, for `svc status`.
    last_exit: String,
    /// The status a container exits with if this is its main service:
    /// the exit code, or 128 + the signal number.
    pub exit_code: Option<i32>,
    /// Stopped on request: not restarted until started on request.
    held: bool,
    /// Start again as soon as it has stopped (`svc restart`).
    start_when_stopped: bool,
    /// Output pipe (read end, write end), kept across restarts so that a
    /// service's log is one stream; `None` for services on a terminal.
    pub output: Option<(OwnedFd, OwnedFd)>,
    /// Read end of the readiness pipe of the current run.
    pub notify: Option<OwnedFd>,
    /// Where its definition came from, for services of a plan file in the
    /// services directory; `None` for the boot plan's.
    pub package: Option<crate::packages::Origin>,
    /// Removed or replaced by a reload: stopped, never started again, and
    /// hidden once it has stopped. Its slot stays so that every index into
    /// the services (log rings, pipes being polled) keeps its meaning.
    pub retired: bool,
    /// The container's command: it keeps init's standard input, output
    /// and error and its session, in a process group of its own that gets
    /// the terminal's foreground, as tini does.
    pub inherit_stdio: bool,
}

impl Supervised {
    /// A service not started yet.
    fn new(service: Service, package: Option<crate::packages::Origin>) -> Supervised {
        Supervised {
            service,
            state: State::Waiting,
            since: Instant::now(),
            quick_exits: 0,
            failures: 0,
            restarts: 0,
            last_exit: String::new(),
            exit_code: None,
            held: false,
            start_when_stopped: false,
            output: None,
            notify: None,
            package,
            retired: false,
            inherit_stdio: false,
        }
    }

    /// Whether `svc` sees it: every service but a retired one that has
    /// stopped.
    pub fn visible(&self) -> bool {
        !self.retired || self.pid().is_some()
    }

    /// The running process, if any.
    pub fn pid(&self) -> Option<Pid> {
        match self.state {
            State::Running { pid, .. } | State::Stopping { pid, .. } => Some(pid),
            _ => None,
        }
    }

    /// Whether services that depend on this one may start.
    fn is_ready(&self) -> bool {
        match self.state {
            State::Done | State::Stopped => true,
            State::Running { ready, .. } => ready && self.service.kind == Kind::Daemon,
            _ => false,
        }
    }

    /// Whether it has ended for good (nothing will start it again unless
    /// asked).
    pub fn finished(&self) -> bool {
        matches!(self.state, State::Done | State::Stopped | State::Failed(_))
    }

    fn set(&mut self, state: State) {
        self.state = state;
        self.since = Instant::now();
    }
}

/// All services: the boot plan's, then those of the services directory.
pub struct Supervisor {
    /// In plan (dependency) order.
    pub services: Vec<Supervised>,
    /// False once shutdown has begun: nothing is started any more.
    pub restarting: bool,
    /// The services' cgroups, when the system has cgroup v2.
    pub cgroups: Option<Cgroups>,
    /// The open-file limit init started with; services start with it
    /// rather than the higher one init gave itself.
    nofile: Option<(u64, u64)>,
}

impl Supervisor {
    /// A supervisor for `services`, none started yet.
    pub fn new(
        services: Vec<Service>,
        cgroups: Option<Cgroups>,
        nofile: Option<(u64, u64)>,
    ) -> Supervisor {
        Supervisor {
            services: services
                .into_iter()
                .map(|service| Supervised::new(service, None))
                .collect(),
            restarting: true,
            cgroups,
            nofile,
        }
    }

    /// Adds a service (from a plan file in the services directory) to be
    /// started once its dependencies are ready; returns its index.
    pub fn push(&mut self, service: Service, package: crate::packages::Origin) -> usize {
        self.services.push(Supervised::new(service, Some(package)));
        self.services.len() - 1
    }

    /// Adds the container's command (see [`Supervised::inherit_stdio`]);
    /// returns its index.
    pub fn push_command(&mut self, service: Service) -> usize {
        let mut s = Supervised::new(service, None);
        s.inherit_stdio = true;
        self.services.push(s);
        self.services.len() - 1
    }

    /// The index of the service called `name`: the current one, or a
    /// retired one still stopping.
    pub fn find(&self, name: &str) -> Option<usize> {
        let mut stopping = None;
        for (i, s) in self.services.iter().enumerate() {
            if s.service.name == name && s.visible() {
                if !s.retired {
                    return Some(i);
                }
                stopping.get_or_insert(i);
            }
        }
        stopping
    }

    /// The indexes of the services `svc list` shows.
    pub fn visible(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.services.len()).filter(|&i| self.services[i].visible())
    }

    /// Starts every service whose time has come and whose dependencies are
    /// settled, and sends SIGKILL to services that outlived their stop
    /// timeout; returns how long until the next timed event, if any.
    pub fn start_due(&mut self) -> Option<Duration> {
        let mut next: Option<Duration> = None;
        let mut wake_in = |d: Duration| next = Some(next.map_or(d, |n: Duration| n.min(d)));
        // Plan order is a dependency order, so one pass sees every service
        // after its dependencies, including ones started earlier in it.
        // Services added by a reload can depend on a later one (a service
        // of another file that was replaced since): another pass then
        // starts what the first one made possible. Passes are bounded: a
        // service that cannot even be spawned and has no restart delay
        // must not keep init in here.
        for _ in 0..=self.services.len() {
            let mut progress = false;
            self.start_pass(&mut progress, &mut wake_in);
            if !progress {
                break;
            }
        }
        next
    }

    /// One pass of [`Supervisor::start_due`]; sets `progress` when a
    /// service became ready or failed, which can settle a dependent.
    fn start_pass(&mut self, progress: &mut bool, wake_in: &mut impl FnMut(Duration)) {
        for i in 0..self.services.len() {
            let now = Instant::now();
            match self.services[i].state {
                State::Stopping {
                    pid,
                    deadline,
                    killed: false,
                } => {
                    if deadline <= now {
                        let name = self.services[i].service.name.clone();
                        crate::log!("{name} still running after its stop timeout: sending SIGKILL");
                        self.kill_all(i, pid);
                        self.services[i].state = State::Stopping {
                            pid,
                            deadline,
                            killed: true,
                        };
                    } else {
                        wake_in(deadline - now);
                    }
                    continue;
                }
                _ if !self.restarting => continue,
                State::Waiting => {}
                State::Backoff { until } if until <= now => {}
                State::Backoff { until } => {
                    wake_in(until - now);
                    continue;
                }
                _ => continue,
            }
            match self.dependencies_settled(i) {
                Settled::No => continue,
                Settled::NeedFailed(dep) => {
                    let why = format!("needs {dep}, which failed");
                    crate::log!("{}: not started: {why}", self.services[i].service.name);
                    self.services[i].set(State::Failed(why));
                }
                Settled::Yes => self.start(i),
            }
            let s = &self.services[i];
            *progress |= s.is_ready() || matches!(s.state, State::Failed(_));
        }
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
        if matches!(self.services[i].state, State::Backoff { .. }) {
            self.services[i].restarts += 1;
        }
        let procs = self
            .cgroups
            .as_ref()
            .and_then(|cg| cg.prepare(&self.services[i].service));
        let nofile = self.nofile;
        let s = &mut self.services[i];
        match spawn(s, procs, nofile) {
            Ok(pid) => {
                let ready = s.service.readiness == Readiness::Started;
                s.set(State::Running { pid, ready });
            }
            Err(e) => {
                crate::log!("cannot start {}: {e}", s.service.name);
                s.last_exit = format!("could not start: {e}");
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
                    self.exited(pid, code, &format!("exited with status {code}"))
                }
                Ok(WaitStatus::Signaled(pid, sig, _)) => self.exited(
                    pid,
                    128 + sig as i32,
                    &format!("killed by {}", sig.as_str()),
                ),
                Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return,
                Ok(_) | Err(Errno::EINTR) => continue,
                Err(e) => {
                    crate::log!("waitpid: {}", e.desc());
                    return;
                }
            }
        }
    }

    fn exited(&mut self, pid: Pid, code: i32, how: &str) {
        let restarting = self.restarting;
        let Some(s) = self.services.iter_mut().find(|s| s.pid() == Some(pid)) else {
            // An orphan reparented to us: reaping it is all we owe it.
            return;
        };
        let ran = s.since.elapsed();
        crate::log!("{} (pid {pid}) {how}", s.service.name);
        s.last_exit = how.to_string();
        s.exit_code = Some(code);
        s.notify = None;
        if matches!(s.state, State::Stopping { .. }) || s.held || !restarting {
            s.set(State::Stopped);
            if s.start_when_stopped && restarting && !s.retired {
                s.start_when_stopped = false;
                s.held = false;
                s.failures = 0;
                s.quick_exits = 0;
                s.set(State::Waiting);
            }
        } else {
            after_exit(s, code != 0, ran);
        }
    }

    /// The service has said it is ready (a newline on its notify fd).
    pub fn mark_ready(&mut self, i: usize) {
        if let Some(s) = self.services.get_mut(i) {
            if let State::Running { pid, ready: false } = s.state {
                crate::log!("{} is ready", s.service.name);
                s.state = State::Running { pid, ready: true };
            }
        }
    }

    /// Asks service `i` to stop and keeps it stopped: its stop signal now,
    /// SIGKILL after its stop timeout (see [`Supervisor::start_due`]).
    pub fn stop(&mut self, i: usize) {
        let s = &mut self.services[i];
        s.held = true;
        match s.state {
            State::Running { pid, .. } => {
                // Interactive shells ignore SIGTERM; a terminal session ends
                // with a hangup, as when a modem line drops.
                if s.service.tty.is_some() {
                    let _ = kill(Pid::from_raw(-pid.as_raw()), Signal::SIGHUP);
                }
                let sig = Signal::try_from(s.service.stop_signal).unwrap_or(Signal::SIGTERM);
                let _ = kill(pid, sig);
                let _ = kill(pid, Signal::SIGCONT);
                let timeout = Duration::from_millis(u64::from(s.service.stop_timeout_ms));
                s.set(State::Stopping {
                    pid,
                    deadline: Instant::now() + timeout,
                    killed: false,
                });
            }
            State::Stopping { .. } => {}
            State::Waiting | State::Backoff { .. } => s.set(State::Stopped),
            State::Done | State::Stopped | State::Failed(_) => {}
        }
    }

    /// Stops service `i` for good because a reload removed or replaced it:
    /// as [`Supervisor::stop`], and a restart asked for earlier is
    /// forgotten.
    pub fn retire(&mut self, i: usize) {
        self.stop(i);
        let s = &mut self.services[i];
        s.start_when_stopped = false;
        s.retired = true;
    }

    /// Starts service `i` on request: a stopped, failed or finished service
    /// is started again with a fresh failure count.
    pub fn start_requested(&mut self, i: usize) {
        let s = &mut self.services[i];
        if s.retired {
            return;
        }
        s.held = false;
        match s.state {
            State::Stopping { .. } => s.start_when_stopped = true,
            State::Running { .. } | State::Waiting => {}
            State::Backoff { .. } | State::Done | State::Stopped | State::Failed(_) => {
                s.failures = 0;
                s.quick_exits = 0;
                s.set(State::Waiting);
            }
        }
    }

    /// Stops then starts service `i`.
    pub fn restart_requested(&mut self, i: usize) {
        if self.services[i].pid().is_some() {
            self.stop(i);
            self.services[i].start_when_stopped = true;
        } else {
            self.start_requested(i);
        }
    }

    /// SIGKILL for a service: its whole cgroup when it has one, else its
    /// main process.
    fn kill_all(&self, i: usize, pid: Pid) {
        let killed_group = self
            .cgroups
            .as_ref()
            .is_some_and(|cg| cg.kill(&self.services[i].service.name));
        if !killed_group {
            let _ = kill(pid, Signal::SIGKILL);
        }
    }

    /// Sends `sig` to the main process of every running service.
    pub fn signal_running(&self, sig: Signal) {
        for s in &self.services {
            if let Some(pid) = s.pid() {
                let _ = kill(pid, sig);
            }
        }
    }

    /// What `svc` shows for service `i`.
    pub fn status(&self, i: usize) -> ServiceStatus {
        let s = &self.services[i];
        let now = Instant::now();
        let (state, detail) = match &s.state {
            State::Waiting => {
                let waiting: Vec<&str> = s
                    .service
                    .dependencies()
                    .filter_map(|d| self.services.get(usize::from(d)))
                    .filter(|d| !d.is_ready())
                    .map(|d| d.service.name.as_str())
                    .collect();
                (
                    ShownState::Waiting,
                    format!("waiting for {}", waiting.join(", ")),
                )
            }
            State::Running { ready, .. } => {
                if *ready && s.service.kind == Kind::Daemon {
                    (ShownState::Started, String::new())
                } else if s.service.kind == Kind::Oneshot {
                    (ShownState::Starting, "running".into())
                } else {
                    (ShownState::Starting, "not ready yet".into())
                }
            }
            State::Stopping { .. } => (ShownState::Stopping, String::new()),
            State::Backoff { until } => (
                ShownState::Backoff,
                format!(
                    "{}; restarting in {:.1}s",
                    s.last_exit,
                    until.saturating_duration_since(now).as_secs_f32()
                ),
            ),
            State::Done => (ShownState::Done, s.last_exit.clone()),
            State::Stopped => (ShownState::Stopped, s.last_exit.clone()),
            State::Failed(why) => (ShownState::Failed, why.clone()),
        };
        ServiceStatus {
            name: s.service.name.clone(),
            state,
            pid: s.pid().map(|p| p.as_raw() as u32),
            since_ms: now.duration_since(s.since).as_millis() as u64,
            restarts: s.restarts,
            detail,
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
    let next = if failed && limit > 0 && s.failures >= limit {
        let why = format!("failed {} times in a row ({})", s.failures, s.last_exit);
        crate::log!("{}: {why}; giving up", s.service.name);
        State::Failed(why)
    } else if restart {
        let wait = delay(s.quick_exits, b);
        if !wait.is_zero() {
            crate::log!("{}: restarting in {wait:?}", s.service.name);
        }
        State::Backoff {
            until: Instant::now() + wait,
        }
    } else if failed {
        State::Failed(s.last_exit.clone())
    } else if s.service.kind == Kind::Oneshot {
        State::Done
    } else {
        State::Stopped
    };
    s.set(next);
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

/// A pipe whose ends are closed on exec; the read end does not block.
fn pipe() -> Result<(OwnedFd, OwnedFd), String> {
    let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|e| format!("pipe: {}", e.desc()))?;
    fcntl(r.as_raw_fd(), FcntlArg::F_SETFL(OFlag::O_NONBLOCK))
        .map_err(|e| format!("pipe: {}", e.desc()))?;
    Ok((r, w))
}

fn nix_resource(r: Resource) -> nix::sys::resource::Resource {
    use nix::sys::resource::Resource as R;
    match r {
        Resource::Nofile => R::RLIMIT_NOFILE,
        Resource::Nproc => R::RLIMIT_NPROC,
        Resource::Core => R::RLIMIT_CORE,
        Resource::As => R::RLIMIT_AS,
        Resource::Data => R::RLIMIT_DATA,
        Resource::Stack => R::RLIMIT_STACK,
        Resource::Fsize => R::RLIMIT_FSIZE,
        Resource::Memlock => R::RLIMIT_MEMLOCK,
        Resource::Cpu => R::RLIMIT_CPU,
    }
}

/// Starts one service in a new session: on its terminal (which becomes
/// its controlling terminal, so that job control and Ctrl-C work) or with
/// its output into its log pipe; in its cgroup (`procs`), with its limits,
/// readiness pipe and identity.
fn spawn(
    s: &mut Supervised,
    procs: Option<CString>,
    nofile: Option<(u64, u64)>,
) -> Result<Pid, String> {
    let service = &s.service;
    let program = service.argv.first().ok_or("empty command")?;
    let mut cmd = Command::new(program);
    cmd.args(&service.argv[1..])
        .env_clear()
        .current_dir(service.cwd.as_deref().unwrap_or("/"));
    for (key, value) in SERVICE_ENV {
        cmd.env(key, value);
    }
    if let Some(user) = &service.user {
        cmd.env("HOME", &user.home)
            .env("USER", &user.name)
            .env("LOGNAME", &user.name);
    }
    for (key, value) in &service.env {
        cmd.env(key, value);
    }
    let inherit = s.inherit_stdio;
    let on_tty = match &service.tty {
        _ if inherit => false,
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
        None => {
            if s.output.is_none() {
                s.output = Some(pipe()?);
            }
            let clone = |fd: &OwnedFd| fd.try_clone().map_err(|e| format!("pipe: {e}"));
            if let Some((_, w)) = &s.output {
                cmd.stdin(Stdio::null())
                    .stdout(Stdio::from(clone(w)?))
                    .stderr(Stdio::from(clone(w)?));
            }
            false
        }
    };
    let notify = match service.readiness {
        Readiness::Started => None,
        Readiness::NotifyFd(n) => {
            let (r, w) = pipe()?;
            s.notify = Some(r);
            Some((w, i32::from(n)))
        }
    };
    let notify_raw = notify.as_ref().map(|(w, n)| (w.as_raw_fd(), *n));
    // init's own raised open-file limit is put back first; the service's
    // own limits come after and win.
    let rlimits: Vec<_> = nofile
        .map(|(soft, hard)| (nix::sys::resource::Resource::RLIMIT_NOFILE, soft, hard))
        .into_iter()
        .chain(
            service
                .rlimits
                .iter()
                .map(|r| (nix_resource(r.resource), r.soft, r.hard)),
        )
        .collect();
    let ids = service.user.as_ref().map(|u| {
        (
            Uid::from_raw(u.uid),
            Gid::from_raw(u.gid),
            u.groups
                .iter()
                .map(|&g| Gid::from_raw(g))
                .collect::<Vec<_>>(),
        )
    });
    // SAFETY: the closure runs in the child between fork and exec and only
    // makes async-signal-safe system calls (sigprocmask, setsid, ioctl,
    // open, write, close, setrlimit, dup2, fcntl, setgroups, setgid,
    // setuid, setpgid, isatty, tcsetpgrp, getpid); everything it needs
    // was allocated before the fork.
    unsafe {
        cmd.pre_exec(move || {
            // init blocks the signals it reads from its signalfd; the mask is
            // inherited across exec, and a shell with SIGHUP blocked would
            // outlive its terminal.
            if inherit {
                // tini's way: a process group of its own, given the
                // terminal (if there is one) while SIGTTOU is blocked.
                let mut ttou = nix::sys::signal::SigSet::empty();
                ttou.add(Signal::SIGTTOU);
                ttou.thread_block()?;
                nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0))?;
                if nix::libc::isatty(0) == 1 {
                    nix::libc::tcsetpgrp(0, nix::libc::getpid());
                }
            }
            nix::sys::signal::SigSet::empty().thread_set_mask()?;
            if !inherit {
                nix::unistd::setsid()?;
            }
            if on_tty {
                // A shell without job control is better than no shell, so a
                // terminal that cannot be made controlling is used anyway.
                nix::libc::ioctl(0, nix::libc::TIOCSCTTY, 0);
            }
            if let Some(path) = &procs {
                // Writing 0 to cgroup.procs moves the writer itself.
                let fd = nix::libc::open(path.as_ptr(), nix::libc::O_WRONLY | nix::libc::O_CLOEXEC);
                if fd >= 0 {
                    nix::libc::write(fd, b"0".as_ptr().cast(), 1);
                    nix::libc::close(fd);
                }
            }
            for &(resource, soft, hard) in &rlimits {
                nix::sys::resource::setrlimit(resource, soft, hard)?;
            }
            if let Some((w, n)) = notify_raw {
                if w == n {
                    fcntl(w, FcntlArg::F_SETFD(FdFlag::empty()))?;
                } else {
                    nix::unistd::dup2(w, n)?;
                }
            }
            if let Some((uid, gid, groups)) = &ids {
                nix::unistd::setgroups(groups)?;
                nix::unistd::setgid(*gid)?;
                nix::unistd::setuid(*uid)?;
            }
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|e| format!("{program}: {e}"))?;
    // The write end of the readiness pipe now lives in the child only, so
    // that its exit closes the pipe.
    drop(notify);
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
