//! Ibex's PID 1.
//!
//! It mounts the pseudo filesystems, restores the saved configuration
//! (`ibox lbu commit`, see `saved`), sets the host name, starts the services
//! of the boot plan the linker wrote into the image in dependency order
//! (then those that packages put in /etc/ibex/services.d, see `packages`),
//! captures their output into logs, reaps every process that ends up as its
//! child, restarts what the plan says to restart, answers `ibox svc` and
//! `ibox logread` on its control socket, and on a poweroff, reboot or halt
//! request stops everything and calls reboot(2).
//!
//! As PID 1 it must never panic and never exit: every error is logged on the
//! console and survived. Requests arrive as signals, as with BusyBox init:
//! SIGUSR2 = poweroff, SIGTERM = reboot, SIGUSR1 = halt, SIGINT (Ctrl-Alt-Del)
//! = reboot.
//!
//! In a container (`--container`, a `container` environment variable, or
//! PID 1 on a system whose /proc is already mounted) it skips mounts and
//! hardware, passes SIGTERM, SIGINT, SIGHUP and SIGQUIT on to the services,
//! and exits with the main service's status as tini does. Given a command
//! after `--` there (`init --container -- CMD ARGS`, a container image's
//! entrypoint and command), it runs CMD as the main service with the
//! container's standard input, output, error, environment and working
//! directory, beside the plan's services. Run as any other
//! PID it makes itself the child subreaper and exits after stopping.
//!
//! It is a library so that images carry it inside `ibox` (its `init`
//! applet; `/sbin/init` is a link to `/bin/ibox`, as with BusyBox) and need
//! no second copy of glibc and std. The crate's own `init` binary is a thin
//! wrapper around [`main`] that its integration tests run.

mod cgroup;
mod control;
mod log;
mod logs;
mod mounts;
mod packages;
mod saved;
mod shutdown;
mod supervisor;
mod trial;
mod watchdog;

use ibex_plan::{BootPlan, Restart, Service};
use logs::Logs;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use shutdown::Action;
use std::ffi::OsString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::Duration;
use supervisor::Supervisor;

/// Signals init handles; they are blocked and read from a signalfd so that
/// no handler ever runs inside PID 1.
const HANDLED: &[Signal] = &[
    Signal::SIGCHLD,
    Signal::SIGTERM,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGPWR,
];

/// How init was started.
#[derive(Clone, Copy)]
pub(crate) struct Mode {
    /// Process 1 of its PID namespace.
    pub pid1: bool,
    /// In a container: no mounts, no hardware, exit when the main service
    /// ends.
    pub container: bool,
}

/// Everything init's main loop watches.
struct Init {
    mode: Mode,
    signals: Option<SignalFd>,
    mask: SigSet,
    control: Option<UnixListener>,
    supervisor: Supervisor,
    logs: Logs,
    main_service: Option<usize>,
    /// Where packages put their plan files.
    services_dir: PathBuf,
    /// The first boot of a newly written system slot, until it is kept.
    trial: Option<trial::Pending>,
    /// The hardware watchdog, petted every turn.
    watchdog: Option<watchdog::Watchdog>,
}

/// What woke the main loop.
enum Source {
    Signals,
    Control,
    Output(usize),
    Notify(usize),
    Follower(usize),
}

/// Runs init with `args` (`argv`, `args[0]` being its own name, which is
/// not looked at). It never returns: as PID 1 it runs until reboot(2), in a
/// container or as another PID it exits the process when it stops.
///
/// Whoever calls it must have done what a Rust `main` gets from the
/// runtime, as `ibox`'s C `main` does: descriptors 0, 1 and 2 open. The
/// rest of the process-wide set-up init needs is done here, so that it is
/// the same whichever binary init runs in.
pub fn main(args: Vec<OsString>) -> ! {
    ignore_sigpipe();
    let pid1 = nix::unistd::getpid().as_raw() == 1;
    // Lossy: PID 1 must not panic on an argument that is not UTF-8.
    let args: Vec<String> = args
        .into_iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let (options, command) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], &args[i + 1..]),
        None => (&args[..], &[][..]),
    };
    let container = options.iter().any(|a| a == "--container")
        || std::env::var_os("container").is_some()
        || (pid1 && Path::new("/proc/self").exists());
    let mode = Mode { pid1, container };
    log!(
        "Ibex init {} starting{}",
        env!("CARGO_PKG_VERSION"),
        if container { " in container mode" } else { "" }
    );
    let mut mask = SigSet::empty();
    for sig in HANDLED {
        mask.add(*sig);
    }
    if let Err(e) = mask.thread_block() {
        log!("cannot block signals: {}", e.desc());
    }
    let signals = match SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
    {
        Ok(fd) => Some(fd),
        Err(e) => {
            log!("signalfd: {}; falling back to polling", e.desc());
            None
        }
    };

    let system = pid1 && !container;
    if system {
        mounts::mount_early();
        // Before the plan is read and any service starts: they see the
        // user's saved /etc, not the image's.
        saved::restore(Path::new("/"));
        // Ctrl-Alt-Del sends SIGINT to init instead of rebooting at once.
        let _ = nix::sys::reboot::set_cad_enabled(false);
    } else if !pid1 {
        if let Err(e) = nix::sys::prctl::set_child_subreaper(true) {
            log!("cannot become child subreaper: {}", e.desc());
        }
    }

    // In a container, `init --container -- CMD ARGS` (the image's
    // entrypoint and command, as with tini) runs CMD as the main service.
    let command = if container { command } else { &[][..] };
    let mut plan = load_plan(!command.is_empty());
    let own_command = (!command.is_empty()).then(|| {
        plan.main = Some(plan.services.len() as u16);
        command_service(command)
    });
    let nofile = raise_nofile();
    if system {
        let hostname = saved::hostname(Path::new("/"), &plan.hostname);
        if let Err(e) = nix::unistd::sethostname(&hostname) {
            log!("sethostname {hostname}: {}", e.desc());
        }
    }
    let trial = if system {
        trial::at_boot(&plan.confirm)
    } else {
        None
    };
    let cgroups = if system {
        cgroup::Cgroups::enable(Path::new(cgroup::ROOT))
    } else {
        None
    };
    let log_dir =
        std::env::var_os("IBEX_LOG_DIR").map_or_else(|| PathBuf::from("/var/log"), PathBuf::from);
    let socket = std::env::var_os("IBEX_CONTROL_SOCKET")
        .map_or_else(|| PathBuf::from(ibex_control::SOCKET), PathBuf::from);
    let mut init = Init {
        mode,
        signals,
        mask,
        control: control::listen(&socket),
        logs: Logs::new(
            log_dir,
            plan.services.iter().map(|s| (s.name.clone(), s.log)),
        ),
        main_service: plan.main.map(usize::from),
        supervisor: Supervisor::new(plan.services, cgroups, nofile),
        services_dir: packages::dir(),
        trial,
        watchdog: if system {
            watchdog::Watchdog::open(plan.watchdog_secs)
        } else {
            None
        },
    };
    if let Some(service) = own_command {
        init.logs.push(service.name.clone(), service.log);
        init.supervisor.push_command(service);
    }
    init.logs.echo = container;
    packages::load_at_boot(&mut init.supervisor, &mut init.logs, &init.services_dir);
    loop {
        init.turn();
    }
}

impl Init {
    /// One turn of the main loop: reap, start what is due, wait for
    /// something to happen, and handle it.
    fn turn(&mut self) {
        self.supervisor.reap();
        packages::release_retired(&mut self.supervisor, &mut self.logs);
        let mut next = self.supervisor.start_due();
        if let Some(w) = &mut self.watchdog {
            let d = w.pet();
            next = Some(next.map_or(d, |n| n.min(d)));
        }
        if let Some(t) = &self.trial {
            match t.check(&self.supervisor) {
                trial::Step::Wait(d) => next = Some(next.map_or(d, |n| n.min(d))),
                trial::Step::Done => self.trial = None,
                trial::Step::Reboot => {
                    self.trial = None;
                    shutdown::shutdown(
                        &mut self.supervisor,
                        &mut self.logs,
                        &mut self.watchdog,
                        Action::Reboot,
                        self.mode,
                    );
                }
            }
        }
        if self.mode.container {
            if let Some(code) = self.container_status() {
                shutdown::exit_container(&mut self.supervisor, &mut self.logs, code, self.mode);
            }
        }
        // Without a signalfd, poll every 100 ms for children and requests.
        let timeout = match (&self.signals, next) {
            (None, _) => Duration::from_millis(100),
            (Some(_), Some(d)) => d,
            (Some(_), None) => Duration::from_secs(3600),
        };
        for source in self.wait(timeout) {
            match source {
                Source::Signals => self.signals(),
                Source::Control => {
                    if let Some(listener) = &self.control {
                        control::serve(
                            listener,
                            &mut self.supervisor,
                            &mut self.logs,
                            &self.services_dir,
                        );
                    }
                }
                Source::Output(i) => drain_output(&self.supervisor, &mut self.logs, i),
                Source::Notify(i) => self.notified(i),
                Source::Follower(_) => {}
            }
        }
        if self.signals.is_none() {
            let pending = pending_signals(&self.mask);
            self.handle_signals(&pending);
        }
    }

    /// Waits up to `timeout` for a signal, a client, service output or a
    /// readiness notification, and says which came.
    fn wait(&mut self, timeout: Duration) -> Vec<Source> {
        let mut watched: Vec<(BorrowedFd<'_>, Source)> = Vec::new();
        if let Some(s) = &self.signals {
            watched.push((s.as_fd(), Source::Signals));
        }
        if let Some(l) = &self.control {
            watched.push((l.as_fd(), Source::Control));
        }
        for (i, s) in self.supervisor.services.iter().enumerate() {
            if let Some((r, _)) = &s.output {
                watched.push((r.as_fd(), Source::Output(i)));
            }
            if let Some(r) = &s.notify {
                watched.push((r.as_fd(), Source::Notify(i)));
            }
        }
        for (k, f) in self.logs.follower_streams().enumerate() {
            watched.push((f.as_fd(), Source::Follower(k)));
        }
        let mut fds: Vec<PollFd> = watched
            .iter()
            .map(|(fd, _)| PollFd::new(*fd, PollFlags::POLLIN))
            .collect();
        let ms = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
        if let Err(e) = poll(&mut fds, PollTimeout::from(ms)) {
            if e != nix::errno::Errno::EINTR {
                log!("poll: {}", e.desc());
            }
            return Vec::new();
        }
        let ready: Vec<bool> = fds
            .iter()
            .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
            .collect();
        drop(fds);
        let ready: Vec<Source> = watched
            .into_iter()
            .zip(ready)
            .filter_map(|((_, s), r)| r.then_some(s))
            .collect();
        // A follower's socket only becomes readable when the client hangs up.
        let gone: Vec<usize> = ready
            .iter()
            .filter_map(|s| match s {
                Source::Follower(k) => Some(*k),
                _ => None,
            })
            .collect();
        if !gone.is_empty() {
            self.logs.drop_followers(&gone);
        }
        ready
    }

    fn signals(&mut self) {
        let mut got = Vec::new();
        if let Some(fd) = &self.signals {
            while let Ok(Some(info)) = fd.read_signal() {
                if let Ok(sig) = Signal::try_from(info.ssi_signo as i32) {
                    got.push(sig);
                }
            }
        }
        self.handle_signals(&got);
    }

    fn handle_signals(&mut self, signals: &[Signal]) {
        for &sig in signals {
            if sig == Signal::SIGCHLD {
                // The main loop reaps on every turn.
                continue;
            }
            if self.mode.container {
                // As tini does: the container's stop signal goes to the
                // services, and init follows them out.
                let forward = match sig {
                    Signal::SIGHUP => Signal::SIGHUP,
                    Signal::SIGINT | Signal::SIGQUIT => sig,
                    _ => Signal::SIGTERM,
                };
                if forward != Signal::SIGHUP {
                    self.supervisor.restarting = false;
                }
                log!("{}: passing it on to the services", sig.as_str());
                self.supervisor.signal_running(forward);
            } else if let Some(action) = Action::for_signal(sig) {
                shutdown::shutdown(
                    &mut self.supervisor,
                    &mut self.logs,
                    &mut self.watchdog,
                    action,
                    self.mode,
                );
                return;
            }
        }
    }

    /// Reads the readiness pipe of service `i`: a newline means ready; the
    /// end of the pipe without one means it never will be.
    fn notified(&mut self, i: usize) {
        let Some(s) = self.supervisor.services.get_mut(i) else {
            return;
        };
        let Some(fd) = &s.notify else { return };
        let mut buf = [0u8; 64];
        match nix::unistd::read(fd.as_raw_fd(), &mut buf) {
            Ok(0) => {
                s.notify = None;
            }
            Ok(n) => {
                if buf[..n].contains(&b'\n') {
                    s.notify = None;
                    self.supervisor.mark_ready(i);
                }
            }
            Err(nix::errno::Errno::EAGAIN) | Err(nix::errno::Errno::EINTR) => {}
            Err(_) => s.notify = None,
        }
    }

    /// In a container: the status to exit with, once the main service (or,
    /// without one, every service) has ended for good.
    fn container_status(&self) -> Option<i32> {
        let services = &self.supervisor.services;
        let code = |s: &supervisor::Supervised| {
            s.exit_code
                .unwrap_or(i32::from(matches!(s.state, supervisor::State::Failed(_))))
        };
        match self.main_service.and_then(|m| services.get(m)) {
            Some(main) => main.finished().then(|| code(main)),
            None => services
                .iter()
                .all(supervisor::Supervised::finished)
                .then(|| services.iter().map(code).find(|&c| c != 0).unwrap_or(0)),
        }
    }
}

/// Ignores SIGPIPE, as Rust's runtime does before a Rust `main` but
/// `ibox`'s C `main` does not (it restores the default for its applets):
/// a log follower or control client that hangs up must make init's write
/// fail with EPIPE, not end init. (The kernel drops default-action signals
/// for PID 1 anyway, but init also runs as other PIDs.) Services still
/// start with SIGPIPE at its default: the standard library puts it back in
/// the child before exec.
fn ignore_sigpipe() {
    use nix::sys::signal::{signal, SigHandler};
    // SAFETY: SIG_IGN installs no handler code.
    if let Err(e) = unsafe { signal(Signal::SIGPIPE, SigHandler::SigIgn) } {
        log!("cannot ignore SIGPIPE: {}", e.desc());
    }
}

/// Moves what service `i` has written from its pipe into the logs.
pub(crate) fn drain_output(supervisor: &Supervisor, logs: &mut Logs, i: usize) {
    let Some((r, _)) = supervisor.services.get(i).and_then(|s| s.output.as_ref()) else {
        return;
    };
    let mut buf = [0u8; 16384];
    // Bounded, so that a service writing without pause cannot keep init
    // from everything else.
    for _ in 0..16 {
        match nix::unistd::read(r.as_raw_fd(), &mut buf) {
            Ok(0) => break,
            Ok(n) => logs.write(i, &buf[..n]),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => break,
        }
    }
}

/// Without a signalfd: takes pending signals off the blocked set.
fn pending_signals(mask: &SigSet) -> Vec<Signal> {
    let mut got = Vec::new();
    loop {
        // sigtimedwait with a zero timeout returns one pending signal or EAGAIN.
        let mut info = std::mem::MaybeUninit::<nix::libc::siginfo_t>::uninit();
        let zero = nix::libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `mask` is a valid sigset, `info` and `zero` are valid
        // pointers for the duration of the call.
        let sig = unsafe { nix::libc::sigtimedwait(mask.as_ref(), info.as_mut_ptr(), &zero) };
        if sig <= 0 {
            return got;
        }
        if let Ok(sig) = Signal::try_from(sig) {
            got.push(sig);
        }
    }
}

/// Raises init's own open-file limit to its hard limit (each service
/// holds two of init's descriptors for its log pipe) and returns the limit
/// it started with, which services get back.
fn raise_nofile() -> Option<(u64, u64)> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
    if soft < hard {
        if let Err(e) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            log!("cannot raise the open-file limit: {}", e.desc());
        }
    }
    Some((soft, hard))
}

/// The container's command as a service: it keeps init's standard input,
/// output and error (the container's), its environment and working
/// directory, runs once, and its status is the container's.
fn command_service(command: &[String]) -> Service {
    let mut service = Service::daemon("command", &[], Restart::Never);
    service.argv = command.to_vec();
    service.env = std::env::vars_os()
        .filter(|(k, _)| k != "container")
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    service.cwd = std::env::current_dir()
        .ok()
        .map(|d| d.to_string_lossy().into_owned());
    service
}

/// Reads the boot plan. A missing or broken plan still gives a console
/// shell, so that a bad image can be repaired instead of hanging; but not
/// when init was given a command to run (`have_command`), which is then
/// all it runs.
fn load_plan(have_command: bool) -> BootPlan {
    let path = std::env::var("IBEX_PLAN").unwrap_or_else(|_| ibex_plan::PATH.to_string());
    let error = match std::fs::read(&path) {
        Ok(bytes) => match BootPlan::decode(&bytes) {
            Ok(plan) => return plan,
            Err(e) => format!("{path}: {e}"),
        },
        Err(e) => format!("{path}: {e}"),
    };
    if have_command {
        log!("{error}; running the command only");
        return BootPlan {
            hostname: "ibex".into(),
            services: Vec::new(),
            main: None,
            confirm: Default::default(),
            watchdog_secs: ibex_plan::DEFAULT_WATCHDOG_SECS,
        };
    }
    log!("{error}; starting a rescue shell");
    let mut shell = Service::daemon("rescue-shell", &["/bin/sh"], Restart::Always);
    shell.tty = Some("/dev/console".into());
    BootPlan {
        hostname: "ibex".into(),
        services: vec![shell],
        main: None,
        confirm: Default::default(),
        watchdog_secs: ibex_plan::DEFAULT_WATCHDOG_SECS,
    }
}
