//! Ibex's PID 1.
//!
//! It mounts the pseudo filesystems, sets the host name, starts the services
//! of the boot plan the linker wrote into the image, reaps every process that
//! ends up as its child, restarts what the plan says to restart, and on a
//! poweroff, reboot or halt request stops everything and calls reboot(2).
//!
//! As PID 1 it must never panic and never exit: every error is logged on the
//! console and survived. Requests arrive as signals, as with BusyBox init:
//! SIGUSR2 = poweroff, SIGTERM = reboot, SIGUSR1 = halt, SIGINT (Ctrl-Alt-Del)
//! = reboot. Run as any other PID (a test on the host), it skips mounts and
//! the host name, makes itself the child subreaper, and exits after stopping.

mod log;
mod mounts;
mod shutdown;
mod supervisor;

use ibex_plan::{BootPlan, Restart, Service};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use shutdown::Action;
use std::os::fd::AsFd;
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

fn main() {
    let pid1 = nix::unistd::getpid().as_raw() == 1;
    log!("Ibex init {} starting", env!("CARGO_PKG_VERSION"));
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

    if pid1 {
        mounts::mount_early();
        // Ctrl-Alt-Del sends SIGINT to init instead of rebooting at once.
        let _ = nix::sys::reboot::set_cad_enabled(false);
    } else if let Err(e) = nix::sys::prctl::set_child_subreaper(true) {
        log!("cannot become child subreaper: {}", e.desc());
    }

    let plan = load_plan();
    if pid1 {
        if let Err(e) = nix::unistd::sethostname(&plan.hostname) {
            log!("sethostname {}: {}", plan.hostname, e.desc());
        }
    }

    let mut supervisor = Supervisor::new(plan.services);
    loop {
        supervisor.reap();
        let next = supervisor.start_due();
        // Without a signalfd, poll every 100 ms for children and requests.
        let timeout = match (&signals, next) {
            (None, _) => Duration::from_millis(100),
            (Some(_), Some(d)) => d,
            (Some(_), None) => Duration::from_secs(3600),
        };
        let request = match &signals {
            Some(fd) => wait_signal(fd, timeout),
            None => {
                std::thread::sleep(timeout);
                pending_request(&mask)
            }
        };
        if let Some(action) = request {
            shutdown::shutdown(&mut supervisor, action, pid1);
        }
    }
}

/// Waits up to `timeout` for signals and returns a shutdown request, if one
/// came. SIGCHLD needs nothing here: the main loop reaps on every turn.
fn wait_signal(fd: &SignalFd, timeout: Duration) -> Option<Action> {
    let ms = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
    let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
    if let Err(e) = poll(&mut fds, PollTimeout::from(ms)) {
        if e != nix::errno::Errno::EINTR {
            log!("poll: {}", e.desc());
        }
        return None;
    }
    let mut request = None;
    while let Ok(Some(info)) = fd.read_signal() {
        if let Ok(sig) = Signal::try_from(info.ssi_signo as i32) {
            request = request.or(Action::for_signal(sig));
        }
    }
    request
}

/// Without a signalfd: takes pending signals off the blocked set.
fn pending_request(mask: &SigSet) -> Option<Action> {
    let mut request = None;
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
            return request;
        }
        if let Ok(sig) = Signal::try_from(sig) {
            request = request.or(Action::for_signal(sig));
        }
    }
}

/// Reads the boot plan. A missing or broken plan still gives a console
/// shell, so that a bad image can be repaired instead of hanging.
fn load_plan() -> BootPlan {
    let path = std::env::var("IBEX_PLAN").unwrap_or_else(|_| ibex_plan::PATH.to_string());
    let error = match std::fs::read(&path) {
        Ok(bytes) => match BootPlan::decode(&bytes) {
            Ok(plan) => return plan,
            Err(e) => format!("{path}: {e}"),
        },
        Err(e) => format!("{path}: {e}"),
    };
    log!("{error}; starting a rescue shell");
    BootPlan {
        hostname: "ibex".into(),
        services: vec![Service::daemon(
            "rescue-shell",
            &["/bin/sh"],
            Restart::Always,
        )],
    }
}
