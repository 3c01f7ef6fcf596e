//! Jobs and job control: the table of background and stopped jobs, process
//! groups and the terminal's foreground group, and the `jobs`, `fg`, `bg`
//! and `kill` builtins with their `%n` job specs.
//!
//! Job control ("monitor mode") is on in an interactive shell whose
//! standard input is a terminal: the shell then runs in a process group of
//! its own that owns the terminal, each pipeline gets a new group, and the
//! foreground one is handed the terminal while it runs, so that Ctrl-C and
//! Ctrl-Z reach it and not the shell.

use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg};
use nix::sys::signal::{killpg, signal, SigHandler, Signal};
use nix::sys::termios::{tcgetattr, tcsetattr, SetArg, Termios};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{getpgrp, getpid, setpgid, tcgetpgrp, tcsetpgrp, Pid};

use super::ast::{AndOrList, Connector};
use super::exec::{Flow, Shell, Status};

/// What became of one process of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcState {
    /// Still running (or never waited for).
    Running,
    /// Stopped by this signal.
    Stopped(Signal),
    /// Exited with this code.
    Exited(i32),
    /// Killed by this signal; `true` if it dumped core.
    Killed(Signal, bool),
}

/// One process of a job.
#[derive(Debug, Clone)]
pub struct Proc {
    /// Its process id.
    pub pid: Pid,
    /// Its last known state.
    pub state: ProcState,
}

/// A job: the processes of one pipeline (or of one background list).
#[derive(Debug, Clone)]
pub struct Job {
    /// Its number, as in `%1`; 0 while it is a foreground job not in the
    /// table.
    pub id: usize,
    /// Its process group, when job control put it in one of its own.
    pub pgid: Option<Pid>,
    /// Its processes, in pipeline order.
    pub procs: Vec<Proc>,
    /// The command text shown by `jobs`.
    pub text: Vec<u8>,
    /// Whether its current state has been reported to the user.
    pub notified: bool,
    /// The terminal modes it had when it stopped, given back by `fg`.
    pub modes: Option<Termios>,
    /// Whether it belongs to the parent of this (sub)shell: listed by
    /// `jobs` (so `$(jobs -p)` works) but not this process's to wait for.
    pub foreign: bool,
}

/// The summary state of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// At least one process runs.
    Running,
    /// None runs and one is stopped (by this signal).
    Stopped(Signal),
    /// All have ended.
    Done,
}

impl Job {
    /// A job of freshly forked processes.
    pub fn new(pids: &[Pid], pgid: Option<Pid>, text: Vec<u8>) -> Self {
        Job {
            id: 0,
            pgid,
            procs: pids
                .iter()
                .map(|&pid| Proc {
                    pid,
                    state: ProcState::Running,
                })
                .collect(),
            text,
            notified: true,
            modes: None,
            foreign: false,
        }
    }

    /// Whether any, then all processes have ended or stopped.
    pub fn state(&self) -> JobState {
        let mut stopped = None;
        for p in &self.procs {
            match p.state {
                ProcState::Running => return JobState::Running,
                ProcState::Stopped(sig) => stopped = Some(sig),
                _ => {}
            }
        }
        match stopped {
            Some(sig) => JobState::Stopped(sig),
            None => JobState::Done,
        }
    }

    /// The exit status of the job: that of its last process.
    pub fn status(&self) -> i32 {
        match self.procs.last().map(|p| p.state) {
            Some(ProcState::Exited(c)) => c,
            Some(ProcState::Killed(sig, _) | ProcState::Stopped(sig)) => 128 + sig as i32,
            _ => 0,
        }
    }

    /// The pid `jobs -p` and `$!` name: the group leader, else the last
    /// process.
    pub fn leader(&self) -> Pid {
        self.pgid
            .or_else(|| self.procs.first().map(|p| p.pid))
            .unwrap_or(Pid::from_raw(0))
    }

    /// Sends `sig` to the whole job.
    pub fn signal(&self, sig: Signal) -> nix::Result<()> {
        match self.pgid {
            Some(g) => killpg(g, sig),
            None => {
                let mut r = Ok(());
                for p in self
                    .procs
                    .iter()
                    .filter(|p| matches!(p.state, ProcState::Running | ProcState::Stopped(_)))
                {
                    r = r.and(nix::sys::signal::kill(p.pid, sig));
                }
                r
            }
        }
    }
}

/// The state column of `jobs`, as ash words it.
fn state_text(job: &Job) -> String {
    match job.state() {
        JobState::Running => "Running".into(),
        JobState::Stopped(_) => "Stopped".into(),
        JobState::Done => match job.procs.last().map(|p| p.state) {
            Some(ProcState::Killed(sig, core)) => {
                let mut s = super::exec::signal_name(sig).to_string();
                if core {
                    s.push_str(" (core dumped)");
                }
                s
            }
            Some(ProcState::Exited(c)) if c != 0 => format!("Done({c})"),
            _ => "Done".into(),
        },
    }
}

/// The table of jobs.
#[derive(Debug, Default)]
pub struct Jobs {
    /// The jobs, in order of their numbers.
    pub list: Vec<Job>,
    /// Job numbers from least to most recently used: the last is the
    /// current job (`%+`), the one before the previous (`%-`).
    order: Vec<usize>,
    /// Whether the user was told about stopped jobs when trying to exit.
    pub warned: bool,
}

impl Jobs {
    /// Adds `job` with the lowest free number, as the current job; returns
    /// its index.
    pub fn add(&mut self, mut job: Job) -> usize {
        let mut id = 1;
        while self.list.iter().any(|j| j.id == id) {
            id += 1;
        }
        job.id = id;
        let at = self
            .list
            .iter()
            .position(|j| j.id > id)
            .unwrap_or(self.list.len());
        self.list.insert(at, job);
        self.touch(id);
        at
    }

    /// Makes job `id` the current one.
    pub fn touch(&mut self, id: usize) {
        self.order.retain(|&i| i != id);
        self.order.push(id);
    }

    /// Removes the job at `index`.
    pub fn remove(&mut self, index: usize) -> Job {
        let job = self.list.remove(index);
        self.order.retain(|&i| i != job.id);
        job
    }

    /// `+` for the current job, `-` for the previous one, else a space.
    fn mark(&self, id: usize) -> char {
        let n = self.order.len();
        if n >= 1 && self.order[n - 1] == id {
            '+'
        } else if n >= 2 && self.order[n - 2] == id {
            '-'
        } else {
            ' '
        }
    }

    /// The index of the job holding process `pid`.
    pub fn by_pid(&self, pid: Pid) -> Option<usize> {
        self.list
            .iter()
            .position(|j| j.procs.iter().any(|p| p.pid == pid))
    }

    /// Resolves a job spec (`%n`, `%%`, `%+`, `%-`, `%string`, `%?string`,
    /// or a bare job number) to an index, or the message to report.
    pub fn find(&self, spec: &[u8]) -> Result<usize, String> {
        let shown = String::from_utf8_lossy(spec);
        let no_such = || format!("No such job: {shown}");
        let body = spec.strip_prefix(b"%").unwrap_or(spec);
        let by_id = |id: usize| self.list.iter().position(|j| j.id == id);
        let index = match body {
            b"" | b"%" | b"+" => self.order.last().and_then(|&id| by_id(id)),
            b"-" => {
                let n = self.order.len();
                (n >= 2).then(|| by_id(self.order[n - 2])).flatten()
            }
            _ if body.iter().all(u8::is_ascii_digit) => std::str::from_utf8(body)
                .ok()
                .and_then(|s| s.parse().ok())
                .and_then(by_id),
            _ => {
                let (needle, anywhere) = match body.strip_prefix(b"?") {
                    Some(rest) => (rest, true),
                    None => (body, false),
                };
                let mut found = None;
                for (i, j) in self.list.iter().enumerate() {
                    let hit = if anywhere {
                        j.text.windows(needle.len().max(1)).any(|w| w == needle)
                    } else {
                        j.text.starts_with(needle)
                    };
                    if hit {
                        if found.is_some() {
                            return Err(format!("{shown}: ambiguous"));
                        }
                        found = Some(i);
                    }
                }
                found
            }
        };
        index.ok_or_else(no_such)
    }

    /// One line of `jobs` (or of a notification) for the job at `index`;
    /// with `pids`, the process ids too (`jobs -l`).
    pub fn line(&self, index: usize, pids: bool) -> Vec<u8> {
        let job = &self.list[index];
        let mut s = format!("[{}]{}  ", job.id, self.mark(job.id)).into_bytes();
        if pids {
            s.extend_from_slice(format!("{} ", job.leader()).as_bytes());
        }
        s.extend_from_slice(state_text(job).as_bytes());
        // ash pads the state to column 33, with at least one space.
        let pad = 33usize.saturating_sub(s.len()).max(1);
        s.resize(s.len() + pad, b' ');
        s.extend_from_slice(&job.text);
        s.push(b'\n');
        s
    }
}

/// The shell's side of job control.
#[derive(Debug, Default)]
pub struct JobControl {
    /// Whether job control is on.
    pub monitor: bool,
    /// The controlling terminal (kept above the descriptors scripts use).
    pub tty: Option<OwnedFd>,
    /// The shell's own process group.
    pub pgid: Option<Pid>,
    /// The group that owned the terminal before the shell took it, given
    /// back at exit.
    pub orig_pgid: Option<Pid>,
    /// The terminal modes the shell runs with, restored after a job that
    /// was stopped or killed may have left the terminal in another state.
    pub modes: Option<Termios>,
}

impl JobControl {
    /// The terminal descriptor, when job control is on.
    fn tty_fd(&self) -> Option<BorrowedFd<'_>> {
        if self.monitor {
            self.tty.as_ref().map(|t| t.as_fd())
        } else {
            None
        }
    }

    /// Gives the terminal to process group `pgid`.
    pub fn give_terminal(&self, pgid: Pid) {
        if let Some(fd) = self.tty_fd() {
            let _ = tcsetpgrp(fd, pgid);
        }
    }

    /// Takes the terminal back for the shell; with `restore_modes`, also
    /// the terminal modes the shell had.
    pub fn take_terminal(&self, restore_modes: bool) {
        if let (Some(fd), Some(pgid)) = (self.tty_fd(), self.pgid) {
            let _ = tcsetpgrp(fd, pgid);
            if restore_modes {
                if let Some(m) = &self.modes {
                    let _ = tcsetattr(fd, SetArg::TCSADRAIN, m);
                }
            }
        }
    }

    /// The current terminal modes.
    fn current_modes(&self) -> Option<Termios> {
        self.tty_fd().and_then(|fd| tcgetattr(fd).ok())
    }

    /// Gives the terminal back to the group that had it when the shell
    /// started (at exit).
    pub fn release(&mut self) {
        if let (Some(fd), Some(orig), Some(own)) = (self.tty_fd(), self.orig_pgid, self.pgid) {
            if orig != own {
                let _ = tcsetpgrp(fd, orig);
                let _ = setpgid(Pid::from_raw(0), orig);
            }
        }
        self.monitor = false;
    }
}

/// Turns job control on: opens the terminal, waits until the shell is in
/// the foreground, then moves the shell into a process group of its own
/// that owns the terminal. Leaves it off if any step fails, and says so
/// (false).
pub fn init(sh: &mut Shell) -> bool {
    // Standard input must be the controlling terminal: a shell reading
    // another terminal (or with none, as on a bare console) cannot control
    // its jobs.
    let Ok(sid) = nix::unistd::getsid(None) else {
        return false;
    };
    // SAFETY: tcgetsid only queries the descriptor.
    if unsafe { nix::libc::tcgetsid(0) } != sid.as_raw() {
        return false;
    }
    // A copy out of the way of the descriptors scripts use, closed on exec.
    let Ok(fd) = fcntl(0, FcntlArg::F_DUPFD_CLOEXEC(10)) else {
        return false;
    };
    // SAFETY: `fd` was just made by F_DUPFD and nothing else owns it.
    let tty = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd as RawFd) };
    // A shell started in the background waits to be brought to the
    // foreground rather than stealing the terminal.
    let mut tries = 0;
    loop {
        let Ok(owner) = tcgetpgrp(tty.as_fd()) else {
            return false;
        };
        if owner == getpgrp() {
            break;
        }
        tries += 1;
        if tries > 100 {
            return false;
        }
        // SAFETY: default and ignore dispositions install no code.
        unsafe {
            let _ = signal(Signal::SIGTTIN, SigHandler::SigDfl);
            let _ = killpg(Pid::from_raw(0), Signal::SIGTTIN);
            let _ = signal(Signal::SIGTTIN, SigHandler::SigIgn);
        }
    }
    let orig = getpgrp();
    let me = getpid();
    if orig != me && setpgid(me, me).is_err() {
        return false;
    }
    if tcsetpgrp(tty.as_fd(), me).is_err() {
        let _ = setpgid(me, orig);
        return false;
    }
    sh.jc = JobControl {
        monitor: true,
        modes: tcgetattr(tty.as_fd()).ok(),
        tty: Some(tty),
        pgid: Some(me),
        orig_pgid: Some(orig),
    };
    true
}

impl Shell {
    /// In a child forked for a job: joins the job's process group
    /// (`leader`, or a new one led by the child) and, for a foreground job,
    /// takes the terminal. Must run before the child's signals return to
    /// their defaults, while SIGTTOU is still ignored.
    pub fn child_job_setup(&self, leader: Option<Pid>, foreground: bool) {
        if !self.jc.monitor {
            return;
        }
        let pgid = leader.unwrap_or_else(getpid);
        let _ = setpgid(Pid::from_raw(0), pgid);
        if foreground {
            self.jc.give_terminal(pgid);
        }
    }

    /// In the parent: puts `child` in its job's group too, so that neither
    /// side depends on which runs first. Returns the group.
    pub fn parent_job_setup(&self, child: Pid, leader: Option<Pid>) -> Option<Pid> {
        if !self.jc.monitor {
            return None;
        }
        let pgid = leader.unwrap_or(child);
        let _ = setpgid(child, pgid);
        Some(pgid)
    }

    /// The text of the pipeline being run, for the job table.
    pub fn job_text(&self) -> Vec<u8> {
        self.cmd_text.to_vec()
    }

    /// Records background job `list` just forked; prints `[n] pid` when
    /// interactive and sets `$!`.
    pub fn add_background(&mut self, child: Pid, pgid: Option<Pid>, list: &AndOrList) {
        let mut text = list.first.text.to_vec();
        for (conn, p) in &list.rest {
            text.extend_from_slice(match conn {
                Connector::And => b" && ",
                Connector::Or => b" || ",
            });
            text.extend_from_slice(&p.text);
        }
        let job = Job::new(&[child], pgid, text);
        let i = self.jobs.add(job);
        self.last_bg = Some(child.as_raw());
        if self.interactive {
            eprintln!("[{}] {}", self.jobs.list[i].id, child);
        }
    }

    /// Waits for the foreground job made of `pids` (in group `pgid`).
    pub fn wait_fg(&mut self, pids: &[Pid], pgid: Option<Pid>) -> Status {
        let job = Job::new(pids, pgid, self.job_text());
        self.wait_job(job)
    }

    /// Waits until every process of foreground `job` has ended or stopped,
    /// then takes the terminal back. A stopped job goes into the table; a
    /// finished one leaves it.
    pub fn wait_job(&mut self, mut job: Job) -> Status {
        for p in job.procs.iter_mut() {
            while matches!(p.state, ProcState::Running) {
                match waitpid(p.pid, Some(WaitPidFlag::WUNTRACED)) {
                    Ok(ws) => {
                        if let Some(s) = proc_state(ws) {
                            p.state = s;
                        }
                    }
                    Err(Errno::EINTR) => {}
                    Err(_) => p.state = ProcState::Exited(127),
                }
            }
        }
        let state = job.state();
        if let JobState::Stopped(sig) = state {
            job.modes = self.jc.current_modes();
            self.jc.take_terminal(true);
            job.notified = true;
            let index = match self
                .jobs
                .list
                .iter()
                .position(|j| job.id != 0 && j.id == job.id)
            {
                Some(i) => {
                    self.jobs.list[i] = job;
                    self.jobs.touch(self.jobs.list[i].id);
                    i
                }
                None => self.jobs.add(job),
            };
            let line = self.jobs.line(index, false);
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(b"\n");
            let _ = err.write_all(&line);
            return Ok(128 + sig as i32);
        }
        let killed = job.procs.iter().find_map(|p| match p.state {
            ProcState::Killed(sig, core) => Some((sig, core)),
            _ => None,
        });
        self.jc.take_terminal(killed.is_some());
        if killed.is_none() && self.jc.monitor {
            // A program that ended normally may have changed the modes on
            // purpose (`stty`): they are the shell's from now on.
            self.jc.modes = self.jc.current_modes().or(self.jc.modes.take());
        }
        if job.id != 0 {
            if let Some(i) = self.jobs.list.iter().position(|j| j.id == job.id) {
                self.jobs.remove(i);
            }
        }
        if let Some(ProcState::Killed(sig, core)) = job.procs.last().map(|p| p.state) {
            if let Some(text) = super::exec::signal_text(sig) {
                let core = if core { " (core dumped)" } else { "" };
                eprintln!("{text}{core}");
            }
        }
        if killed.is_some_and(|(sig, _)| sig == Signal::SIGINT) && self.interactive {
            // The line was interrupted: start a fresh one and abandon the
            // rest of the command line, as ash does.
            eprintln!();
            return Err(Flow::Abort(130));
        }
        Ok(job.status())
    }

    /// Collects the state changes of jobs without blocking, so that ended
    /// ones do not linger as zombies.
    pub fn reap_jobs(&mut self) {
        let flags = WaitPidFlag::WNOHANG | WaitPidFlag::WUNTRACED | WaitPidFlag::WCONTINUED;
        for job in self.jobs.list.iter_mut().filter(|j| !j.foreign) {
            let before = job.state();
            for p in job.procs.iter_mut() {
                if !matches!(p.state, ProcState::Running | ProcState::Stopped(_)) {
                    continue;
                }
                match waitpid(p.pid, Some(flags)) {
                    Ok(ws) => {
                        if let Some(s) = proc_state(ws) {
                            p.state = s;
                        }
                    }
                    Err(_) => p.state = ProcState::Exited(127),
                }
            }
            if job.state() != before {
                job.notified = false;
            }
        }
        // Statuses nobody asked for are dropped once there are many of them.
        if self.jobs.list.len() > 64 {
            let mut i = 0;
            while i < self.jobs.list.len() {
                if self.jobs.list[i].state() == JobState::Done {
                    self.jobs.remove(i);
                } else {
                    i += 1;
                }
            }
        }
    }

    /// Before an interactive shell exits: the first time there are stopped
    /// jobs, says so and returns true (the shell stays); the next attempt
    /// exits.
    pub fn stopped_jobs_warning(&mut self) -> bool {
        if !self.jc.monitor || self.jobs.warned {
            return false;
        }
        self.reap_jobs();
        let stopped = self
            .jobs
            .list
            .iter()
            .any(|j| matches!(j.state(), JobState::Stopped(_)));
        if stopped {
            self.jobs.warned = true;
            eprintln!("You have stopped jobs.");
        }
        stopped
    }

    /// Reports jobs that ended or stopped since the last prompt (`[1]+
    /// Done  cmd`), forgetting the ended ones.
    pub fn notify_jobs(&mut self) {
        self.reap_jobs();
        let mut text = Vec::new();
        let mut i = 0;
        while i < self.jobs.list.len() {
            if self.jobs.list[i].notified {
                i += 1;
                continue;
            }
            text.extend_from_slice(&self.jobs.line(i, false));
            if self.jobs.list[i].state() == JobState::Done {
                self.jobs.remove(i);
            } else {
                self.jobs.list[i].notified = true;
                i += 1;
            }
        }
        if !text.is_empty() {
            let _ = std::io::stderr().write_all(&text);
        }
    }
}

/// The process state a wait status reports.
fn proc_state(ws: WaitStatus) -> Option<ProcState> {
    Some(match ws {
        WaitStatus::Exited(_, c) => ProcState::Exited(c),
        WaitStatus::Signaled(_, sig, core) => ProcState::Killed(sig, core),
        WaitStatus::Stopped(_, sig) => ProcState::Stopped(sig),
        WaitStatus::Continued(_) => ProcState::Running,
        _ => return None,
    })
}

/// Prints `sh: NAME: msg` for builtin `argv[0]`.
fn err(argv: &[Vec<u8>], msg: &str) {
    let name = String::from_utf8_lossy(argv.first().map_or(&b"sh"[..], |n| n));
    eprintln!("sh: {name}: {msg}");
}

/// `jobs [-lp] [JOB...]`: lists jobs; ended ones are then forgotten.
pub fn jobs(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    let (mut long, mut pids) = (false, false);
    let mut i = 1;
    while let Some(a) = argv.get(i) {
        if a == b"--" {
            i += 1;
            break;
        }
        if a.len() < 2 || a[0] != b'-' {
            break;
        }
        for &c in &a[1..] {
            match c {
                b'l' => long = true,
                b'p' => pids = true,
                _ => {
                    err(argv, &format!("illegal option -{}", c as char));
                    return Ok(2);
                }
            }
        }
        i += 1;
    }
    sh.reap_jobs();
    let mut status = 0;
    let indices: Vec<usize> = if i < argv.len() {
        let mut v = Vec::new();
        for spec in &argv[i..] {
            match sh.jobs.find(spec) {
                Ok(n) => v.push(n),
                Err(m) => {
                    err(argv, &m);
                    status = 1;
                }
            }
        }
        v
    } else {
        (0..sh.jobs.list.len()).collect()
    };
    let mut text = Vec::new();
    for &n in &indices {
        if pids {
            text.extend_from_slice(format!("{}\n", sh.jobs.list[n].leader()).as_bytes());
        } else {
            text.extend_from_slice(&sh.jobs.line(n, long));
        }
        sh.jobs.list[n].notified = true;
    }
    let mut out = std::io::stdout().lock();
    if out.write_all(&text).and_then(|()| out.flush()).is_err() {
        status = 1;
    }
    drop(out);
    // Ended jobs that were shown are forgotten.
    let mut ended: Vec<usize> = indices
        .into_iter()
        .filter(|&n| sh.jobs.list[n].state() == JobState::Done)
        .collect();
    ibex_sort::sort(&mut ended);
    ended.dedup();
    for n in ended.into_iter().rev() {
        sh.jobs.remove(n);
    }
    Ok(status)
}

/// The job an `fg`/`bg` operand names (the current job without one).
fn operand_job(sh: &Shell, argv: &[Vec<u8>], spec: Option<&Vec<u8>>) -> Option<usize> {
    let spec = spec.map_or(&b"%%"[..], |s| s.as_slice());
    match sh.jobs.find(spec) {
        Ok(i) => Some(i),
        Err(m) => {
            let m = if sh.jobs.list.is_empty() && spec == b"%%" {
                "No current job".to_string()
            } else {
                m
            };
            err(argv, &m);
            None
        }
    }
}

/// `fg [JOB]`: continues a job in the foreground and waits for it.
pub fn fg(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    if !sh.jc.monitor {
        err(argv, "job control not enabled");
        return Ok(1);
    }
    let spec = argv.get(1).filter(|a| *a != b"--").or(argv.get(2));
    let Some(i) = operand_job(sh, argv, spec) else {
        return Ok(1);
    };
    let mut job = sh.jobs.list[i].clone();
    {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&job.text);
        let _ = out.write_all(b"\n");
        let _ = out.flush();
    }
    if let Some(pgid) = job.pgid {
        sh.jc.give_terminal(pgid);
    }
    if let (Some(modes), Some(fd)) = (&job.modes, sh.jc.tty_fd()) {
        let _ = tcsetattr(fd, SetArg::TCSADRAIN, modes);
    }
    let _ = job.signal(Signal::SIGCONT);
    for p in job.procs.iter_mut() {
        if let ProcState::Stopped(_) = p.state {
            p.state = ProcState::Running;
        }
    }
    sh.jobs.list[i] = job.clone();
    sh.jobs.touch(job.id);
    sh.wait_job(job)
}

/// `bg [JOB...]`: continues stopped jobs in the background.
pub fn bg(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    if !sh.jc.monitor {
        err(argv, "job control not enabled");
        return Ok(1);
    }
    let specs: Vec<Option<&Vec<u8>>> = if argv.len() > 1 {
        argv[1..].iter().filter(|a| *a != b"--").map(Some).collect()
    } else {
        vec![None]
    };
    let mut status = 0;
    for spec in specs {
        let Some(i) = operand_job(sh, argv, spec) else {
            status = 1;
            continue;
        };
        let job = &mut sh.jobs.list[i];
        let _ = job.signal(Signal::SIGCONT);
        for p in job.procs.iter_mut() {
            if let ProcState::Stopped(_) = p.state {
                p.state = ProcState::Running;
            }
        }
        let line = format!("[{}] {} &\n", job.id, String::from_utf8_lossy(&job.text));
        let id = job.id;
        sh.jobs.touch(id);
        let _ = std::io::stdout().write_all(line.as_bytes());
    }
    Ok(status)
}

/// `kill [-s SIG | -SIG] PID|JOB...`: the `kill` applet, with job specs
/// turned into process groups (or pids without job control).
pub fn kill(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    // Where the operands start, by the applet's own rules.
    let mut i = 1;
    match argv.get(1).map(Vec::as_slice) {
        Some(b"-l" | b"-L" | b"--help") | None => i = argv.len(),
        Some(b"-s" | b"-n") => i = 3,
        Some(b"--") => i = 2,
        Some(a) if a.len() > 1 && a[0] == b'-' => i = 2,
        _ => {}
    }
    if argv.get(i).is_some_and(|a| a == b"--") {
        i += 1;
    }
    let mut args: Vec<std::ffi::OsString> = argv[..i.min(argv.len())]
        .iter()
        .map(|a| std::os::unix::ffi::OsStringExt::from_vec(a.clone()))
        .collect();
    if i < argv.len() {
        args.push("--".into());
    }
    // A stopped job would only see the signal once continued; like bash,
    // continue it afterwards unless the signal is itself a stop.
    let stops = [
        Signal::SIGSTOP,
        Signal::SIGTSTP,
        Signal::SIGTTIN,
        Signal::SIGTTOU,
    ];
    let is_stop = argv[1..i.min(argv.len())].iter().any(|a| {
        let t = String::from_utf8_lossy(a).to_ascii_uppercase();
        let t = t.trim_start_matches('-');
        stops
            .iter()
            .any(|s| t.ends_with(&s.as_str()[3..]) || t == (*s as i32).to_string())
    });
    let mut to_continue = Vec::new();
    for a in argv.iter().skip(i) {
        if a.first() == Some(&b'%') {
            sh.reap_jobs();
            match sh.jobs.find(a) {
                Ok(n) => {
                    let job = &sh.jobs.list[n];
                    if !is_stop && matches!(job.state(), JobState::Stopped(_)) {
                        to_continue.push(n);
                    }
                    let target = match job.pgid {
                        Some(g) => format!("-{g}"),
                        None => job.leader().to_string(),
                    };
                    args.push(target.into());
                }
                Err(m) => {
                    err(argv, &m);
                    return Ok(1);
                }
            }
        } else {
            args.push(std::os::unix::ffi::OsStringExt::from_vec(a.clone()));
        }
    }
    super::exec::flush_stdout();
    let status = crate::applets::kill::main(args);
    for n in to_continue {
        let job = &mut sh.jobs.list[n];
        if job.signal(Signal::SIGCONT).is_ok() {
            for p in job.procs.iter_mut() {
                if let ProcState::Stopped(_) = p.state {
                    p.state = ProcState::Running;
                }
            }
        }
    }
    Ok(status)
}

/// `wait [PID|JOB...]`: waits for the given jobs, or for all running ones;
/// the status is that of the last operand (127 if unknown).
pub fn wait(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    if argv.len() == 1 {
        loop {
            sh.reap_jobs();
            let Some(i) = sh
                .jobs
                .list
                .iter()
                .position(|j| j.state() == JobState::Running)
            else {
                break;
            };
            let job = &mut sh.jobs.list[i];
            wait_running(job);
        }
        // Ended jobs that were waited for are forgotten.
        sh.jobs.list.retain(|j| j.state() != JobState::Done);
        return Ok(0);
    }
    let mut status = 0;
    for a in &argv[1..] {
        let index = if a.first() == Some(&b'%') {
            match sh.jobs.find(a) {
                Ok(i) => Some(i),
                Err(m) => {
                    err(argv, &m);
                    status = 127;
                    continue;
                }
            }
        } else {
            let Some(pid) = std::str::from_utf8(a)
                .ok()
                .and_then(|s| s.parse::<i32>().ok())
                .filter(|&p| p > 0)
            else {
                err(
                    argv,
                    &format!("Illegal number: {}", String::from_utf8_lossy(a)),
                );
                return Ok(2);
            };
            let pid = Pid::from_raw(pid);
            match sh.jobs.by_pid(pid) {
                Some(i) => Some(i),
                None => {
                    // Not a known job: it may still be a child.
                    status = match waitpid(pid, None) {
                        Ok(WaitStatus::Exited(_, c)) => c,
                        Ok(WaitStatus::Signaled(_, s, _)) => 128 + s as i32,
                        Ok(_) => 0,
                        Err(_) => 127,
                    };
                    None
                }
            }
        };
        if let Some(i) = index {
            wait_running(&mut sh.jobs.list[i]);
            let job = &sh.jobs.list[i];
            status = job.status();
            if job.state() == JobState::Done {
                sh.jobs.remove(i);
            }
        }
    }
    Ok(status)
}

/// Blocks until no process of `job` is running (stopped ones count as not
/// running). A job of the parent shell cannot be waited for: it counts as
/// unknown (127).
fn wait_running(job: &mut Job) {
    if job.foreign {
        for p in job.procs.iter_mut() {
            p.state = ProcState::Exited(127);
        }
        return;
    }
    for p in job.procs.iter_mut() {
        while p.state == ProcState::Running {
            match waitpid(p.pid, Some(WaitPidFlag::WUNTRACED)) {
                Ok(ws) => {
                    if let Some(s) = proc_state(ws) {
                        p.state = s;
                    }
                }
                Err(Errno::EINTR) => {}
                Err(_) => p.state = ProcState::Exited(127),
            }
        }
    }
    job.notified = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Jobs {
        let mut t = Jobs::default();
        t.add(Job::new(&[Pid::from_raw(100)], None, b"sleep 10".to_vec()));
        t.add(Job::new(&[Pid::from_raw(200)], None, b"vi notes".to_vec()));
        t
    }

    #[test]
    fn job_specs() {
        let t = table();
        assert_eq!(t.find(b"%1"), Ok(0));
        assert_eq!(t.find(b"2"), Ok(1));
        assert_eq!(t.find(b"%%"), Ok(1));
        assert_eq!(t.find(b"%+"), Ok(1));
        assert_eq!(t.find(b"%-"), Ok(0));
        assert_eq!(t.find(b"%sl"), Ok(0));
        assert_eq!(t.find(b"%?notes"), Ok(1));
        assert!(t.find(b"%3").is_err());
        assert!(t.find(b"%?e").is_err());
    }

    #[test]
    fn job_lines() {
        let t = table();
        assert_eq!(
            String::from_utf8_lossy(&t.line(1, false)),
            "[2]+  Running                    vi notes\n"
        );
        assert_eq!(
            String::from_utf8_lossy(&t.line(0, true)),
            "[1]-  100 Running                sleep 10\n"
        );
    }
}
