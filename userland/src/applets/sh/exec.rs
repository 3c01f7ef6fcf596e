//! The executor: walks the syntax tree, forking for external commands,
//! pipelines, subshells and background lists, and running builtins in the
//! shell itself.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::io::Write;
use std::os::fd::{IntoRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::errno::Errno;
use nix::fcntl::{fcntl, open, FcntlArg, OFlag};
use nix::sys::signal::{signal, SigHandler, Signal};
use nix::sys::stat::Mode;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{close, dup2, execve, fork, pipe2, ForkResult, Pid};

use super::ast::{AndOrList, Command, Connector, Pipeline, RedirOp, Redirect, SimpleCommand};
use super::builtins;
use super::parser::{ParseError, Parser};
use super::pattern;
use super::vars::{Var, Vars};

/// The number of trap slots: 0 is `EXIT`, the rest signal numbers.
pub const NSIG: usize = 65;

/// Signals caught by a trap and not yet acted on, set by [`on_trap`].
static PENDING: [AtomicBool; NSIG] = [const { AtomicBool::new(false) }; NSIG];

/// Whether any of [`PENDING`] may be set (saves scanning them all after
/// every command).
static ANY_PENDING: AtomicBool = AtomicBool::new(false);

/// The handler of trapped signals: only records the signal, which the
/// shell acts on between commands.
pub extern "C" fn on_trap(sig: nix::libc::c_int) {
    if let Some(flag) = usize::try_from(sig).ok().and_then(|i| PENDING.get(i)) {
        flag.store(true, Ordering::Relaxed);
        ANY_PENDING.store(true, Ordering::Relaxed);
    }
}

/// How deeply function calls may nest before the shell refuses, instead of
/// overflowing its stack.
const MAX_CALL_DEPTH: u32 = 1000;

/// Why execution stops early, unwinding to whoever handles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Leave the shell (or the subshell) with this status.
    Exit(i32),
    /// Abandon the current command line of an interactive shell (after an
    /// expansion error, or when the foreground job was interrupted).
    Abort(i32),
    /// `break n`: leave `n` enclosing loops.
    Break(u32),
    /// `continue n`: start the next iteration of the `n`th enclosing loop.
    Continue(u32),
    /// `return n`: leave the function (or `.` script) with status `n`.
    Return(i32),
}

/// The result of running something: its exit status, or a [`Flow`].
pub type Status = Result<i32, Flow>;

/// Options set with `set -o` letters.
#[derive(Debug, Default, Clone, Copy)]
pub struct Options {
    /// `-e`: exit when a command fails.
    pub errexit: bool,
    /// `-x`: trace commands on standard error.
    pub xtrace: bool,
    /// `-u`: expanding an unset variable is an error.
    pub nounset: bool,
    /// `-C`: `>` does not overwrite existing files.
    pub noclobber: bool,
    /// `-f`: no pathname expansion.
    pub noglob: bool,
}

/// The whole state of the shell.
pub struct Shell {
    /// Variables.
    pub vars: Vars,
    /// `$1`, `$2`, ...
    pub positional: Vec<Vec<u8>>,
    /// `$0`.
    pub arg0: Vec<u8>,
    /// `$?`.
    pub status: i32,
    /// `$$`: the pid of the shell itself, also inside subshells.
    pub pid: i32,
    /// `$!`.
    pub last_bg: Option<i32>,
    /// Background and stopped jobs.
    pub jobs: super::jobs::Jobs,
    /// Job control: process groups and the terminal.
    pub jc: super::jobs::JobControl,
    /// The text of the pipeline being run, shown for its jobs.
    pub cmd_text: Rc<[u8]>,
    /// The command history of the line editor.
    pub history: super::history::History,
    /// The line editor, when commands are read from a terminal.
    pub editor: Option<super::lineedit::Editor>,
    /// Whether the shell reads commands from a user.
    pub interactive: bool,
    /// `set` options.
    pub opts: Options,
    /// Whether the shell changed signal dispositions that children must get
    /// back as defaults.
    pub signals_changed: bool,
    /// The status of the last command substitution, which is the status of
    /// a command that has no command name.
    subst_status: Option<i32>,
    /// How many loops enclose the running command (for `break`).
    pub loop_depth: u32,
    /// How many conditions (`if`, `while`) enclose it: `set -e` ignores
    /// failures there.
    condition_depth: u32,
    /// Defined functions. A sorted map: looked up for every command, it
    /// costs less than hashing the name, and the shell starts without
    /// asking the kernel for a random hash key.
    pub functions: BTreeMap<Vec<u8>, Rc<Command>>,
    /// For each running function call, the variables it made local with
    /// their values from before.
    pub locals: Vec<Vec<(Vec<u8>, Option<Var>)>>,
    /// Trap actions by slot (see [`NSIG`]); `Some(empty)` ignores the
    /// signal.
    pub traps: Vec<Option<Vec<u8>>>,
    /// Whether a trap action is running (traps do not nest).
    in_trap: bool,
}

/// Expanded assignments `(name, value)` in front of a command; the names
/// are borrowed from the syntax tree.
type Assigns<'c> = Vec<(&'c [u8], Vec<u8>)>;

/// A descriptor saved while a builtin's redirections are in effect:
/// `(fd, copy)`, where the copy is `None` if `fd` was closed.
type Saved = Vec<(RawFd, Option<RawFd>)>;

/// Descriptors the shell keeps for itself are moved to this number or above,
/// out of the way of the ones scripts use (0-9).
const SAVE_FD_MIN: RawFd = 10;

/// The signals an interactive shell changes and its children reset.
const JOB_SIGNALS: [Signal; 6] = [
    Signal::SIGINT,
    Signal::SIGQUIT,
    Signal::SIGTERM,
    Signal::SIGTSTP,
    Signal::SIGTTIN,
    Signal::SIGTTOU,
];

/// Flushes Rust's buffered standard output, so that nothing buffered is
/// written twice after a fork or lost at an exit.
pub fn flush_stdout() {
    let _ = std::io::stdout().flush();
}

/// The text a shell prints when a job dies of `sig`; silent for signals
/// the user sent on purpose or that are part of normal operation.
pub fn signal_text(sig: Signal) -> Option<&'static str> {
    Some(match sig {
        Signal::SIGINT | Signal::SIGPIPE => return None,
        Signal::SIGKILL => "Killed",
        Signal::SIGTERM => "Terminated",
        Signal::SIGSEGV => "Segmentation fault",
        Signal::SIGABRT => "Aborted",
        Signal::SIGBUS => "Bus error",
        Signal::SIGILL => "Illegal instruction",
        Signal::SIGFPE => "Floating point exception",
        Signal::SIGHUP => "Hangup",
        Signal::SIGQUIT => "Quit",
        other => other.as_str(),
    })
}

/// How `jobs` describes a job killed by `sig`.
pub fn signal_name(sig: Signal) -> &'static str {
    signal_text(sig).unwrap_or(match sig {
        Signal::SIGINT => "Interrupt",
        _ => "Broken pipe",
    })
}

/// The search path when `PATH` is unset.
pub const DEFAULT_PATH: &[u8] = b"/sbin:/usr/sbin:/bin:/usr/bin";

/// Converts bytes to a C string; an embedded NUL cannot come from the
/// lexer's input in practice, but would otherwise panic.
fn cstring(s: &[u8]) -> CString {
    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
    CString::new(&s[..end]).unwrap_or_default()
}

impl Shell {
    /// A shell with the process environment imported.
    pub fn new() -> Self {
        Shell {
            vars: Vars::from_env(),
            positional: Vec::new(),
            arg0: b"sh".to_vec(),
            status: 0,
            pid: nix::unistd::getpid().as_raw(),
            last_bg: None,
            jobs: super::jobs::Jobs::default(),
            jc: super::jobs::JobControl::default(),
            cmd_text: Rc::from(&b""[..]),
            history: super::history::History::default(),
            editor: None,
            interactive: false,
            opts: Options::default(),
            signals_changed: false,
            subst_status: None,
            loop_depth: 0,
            condition_depth: 0,
            functions: BTreeMap::new(),
            locals: Vec::new(),
            traps: vec![None; NSIG],
            in_trap: false,
        }
    }

    /// `$-`: the option letters in effect.
    pub fn option_flags(&self) -> Vec<u8> {
        let mut s = Vec::new();
        for (on, c) in [
            (self.opts.errexit, b'e'),
            (self.interactive, b'i'),
            (self.opts.nounset, b'u'),
            (self.opts.xtrace, b'x'),
            (self.opts.noclobber, b'C'),
            (self.opts.noglob, b'f'),
        ] {
            if on {
                s.push(c);
            }
        }
        s
    }

    /// Parses and runs `src` one complete command at a time (for `-c`,
    /// script files, `.` and `eval`). A syntax error ends a non-interactive
    /// shell with status 2.
    pub fn run_source(&mut self, src: &[u8]) -> Status {
        let mut pos = 0;
        let mut status = 0;
        loop {
            match Parser::new(src, pos).complete_command() {
                Ok(Some((lists, end))) => {
                    pos = end;
                    status = self.run_lists(&lists)?;
                }
                Ok(None) => return Ok(status),
                Err(e) => return Err(self.syntax_error(&e)),
            }
        }
    }

    /// Reports a syntax error; returns how execution continues.
    pub fn syntax_error(&mut self, e: &ParseError) -> Flow {
        eprintln!("sh: syntax error: {}", e.message());
        self.status = 2;
        if self.interactive {
            Flow::Abort(2)
        } else {
            Flow::Exit(2)
        }
    }

    /// Runs and-or lists in order.
    pub fn run_lists(&mut self, lists: &[AndOrList]) -> Status {
        let mut status = self.status;
        for list in lists {
            status = self.run_and_or(list)?;
        }
        Ok(status)
    }

    /// Runs one and-or list, in the background when it ends with `&`.
    fn run_and_or(&mut self, list: &AndOrList) -> Status {
        self.reap_jobs();
        if list.background {
            return self.run_background(list);
        }
        let mut status = self.run_pipeline(&list.first)?;
        let mut last = &list.first;
        for (conn, pipeline) in &list.rest {
            let run = match conn {
                Connector::And => status == 0,
                Connector::Or => status != 0,
            };
            if run {
                status = self.run_pipeline(pipeline)?;
                last = pipeline;
            }
        }
        // `set -e` ignores failures of pipelines that are conditions: all but
        // the last of an and-or list, and negated ones.
        let last_ran = list.rest.last().map_or(&list.first, |(_, p)| p);
        if self.opts.errexit
            && self.condition_depth == 0
            && status != 0
            && !last.negate
            && std::ptr::eq(last, last_ran)
        {
            return Err(Flow::Exit(status));
        }
        Ok(status)
    }

    /// Forks a child that runs `list` without waiting for it; sets `$!`.
    fn run_background(&mut self, list: &AndOrList) -> Status {
        flush_stdout();
        // SAFETY: the child only runs this shell's own code, which is
        // single-threaded, so no lock can be held by a vanished thread.
        match unsafe { fork() } {
            Ok(ForkResult::Child) => {
                let monitor = self.jc.monitor;
                self.child_job_setup(None, false);
                self.enter_child();
                // Without job control, background jobs must not be killed by
                // the terminal's interrupt keys and must not read from it.
                // With it, their own process group keeps them apart.
                if !monitor {
                    // SAFETY: ignoring a signal installs no handler.
                    unsafe {
                        let _ = signal(Signal::SIGINT, SigHandler::SigIgn);
                        let _ = signal(Signal::SIGQUIT, SigHandler::SigIgn);
                    }
                    if let Ok(fd) = open("/dev/null", OFlag::O_RDONLY, Mode::empty()) {
                        if fd != 0 {
                            let _ = dup2(fd, 0);
                            let _ = close(fd);
                        }
                    }
                }
                let fg = AndOrList {
                    background: false,
                    ..list.clone()
                };
                let status = self.run_and_or(&fg);
                self.exit_child(status)
            }
            Ok(ForkResult::Parent { child }) => {
                let pgid = self.parent_job_setup(child, None);
                self.add_background(child, pgid, list);
                self.status = 0;
                Ok(0)
            }
            Err(e) => Ok(self.fork_failed(e)),
        }
    }

    /// Reports a failed fork.
    fn fork_failed(&mut self, e: Errno) -> i32 {
        eprintln!("sh: can't fork: {}", e.desc());
        self.status = 2;
        2
    }

    /// The state of a freshly forked child: signals back to the defaults a
    /// program expects, no jobs of its own, never interactive.
    pub fn enter_child(&mut self) {
        if self.signals_changed {
            for sig in JOB_SIGNALS {
                // SAFETY: restoring the default disposition installs no
                // handler.
                let _ = unsafe { signal(sig, SigHandler::SigDfl) };
            }
            self.signals_changed = false;
        }
        // Caught signals go back to their defaults in a subshell; ignored
        // ones stay ignored (XCU 2.12).
        for (n, trap) in self.traps.iter_mut().enumerate() {
            let Some(action) = trap else { continue };
            let handler = if action.is_empty() {
                SigHandler::SigIgn
            } else {
                *trap = None;
                SigHandler::SigDfl
            };
            if let Ok(sig) = Signal::try_from(n as i32) {
                // SAFETY: default and ignore dispositions install no code.
                let _ = unsafe { signal(sig, handler) };
            }
        }
        self.interactive = false;
        self.jc.monitor = false;
        // The parent's jobs stay listed (`$(jobs -p)`), but are not ours.
        for job in self.jobs.list.iter_mut() {
            job.foreign = true;
        }
        self.jobs.warned = true;
        self.history = super::history::History::default();
        self.editor = None;
    }

    /// Ends a forked child with the status of what it ran. Once Rust's
    /// standard output is flushed there is nothing left to do, so the child
    /// leaves by `_exit`, as ash and dash do: `exit` would run the C
    /// library's and every shared library's exit handlers, touching pages
    /// that the fork shares with the parent (each touch a page fault).
    pub fn exit_child(&mut self, status: Status) -> ! {
        let code = self.exit_status(status);
        flush_stdout();
        // SAFETY: nothing of this process needs cleaning up: the shell
        // registers no exit handlers and its only buffer is flushed.
        unsafe { nix::libc::_exit(code & 0xff) }
    }

    /// The status the shell exits with after `status`, once the `EXIT`
    /// trap has run (which may itself call `exit`).
    pub fn exit_status(&mut self, status: Status) -> i32 {
        let code = match status {
            Ok(n) | Err(Flow::Exit(n) | Flow::Abort(n) | Flow::Return(n)) => n,
            Err(Flow::Break(_) | Flow::Continue(_)) => self.status,
        };
        self.status = code;
        if let Some(action) = self.traps[0].take() {
            if let Err(Flow::Exit(n)) = self.run_source(&action) {
                return n;
            }
        }
        code
    }

    /// Runs the actions of trapped signals that arrived since the last
    /// check. `$?` is left as it was, unless an action exits.
    pub fn run_traps(&mut self) -> Result<(), Flow> {
        // Read before swapping: a swap writes the page even when nothing is
        // pending, and after a fork every such write is a page fault.
        if self.in_trap
            || !ANY_PENDING.load(Ordering::Relaxed)
            || !ANY_PENDING.swap(false, Ordering::Relaxed)
        {
            return Ok(());
        }
        for (n, flag) in PENDING.iter().enumerate() {
            if !flag.swap(false, Ordering::Relaxed) {
                continue;
            }
            let Some(action) = self.traps[n].clone() else {
                continue;
            };
            let status = self.status;
            self.in_trap = true;
            let r = self.run_source(&action);
            self.in_trap = false;
            match r {
                Err(f @ (Flow::Exit(_) | Flow::Abort(_))) => return Err(f),
                _ => self.status = status,
            }
        }
        Ok(())
    }

    /// Waits for `pid` and returns its exit status (128+n for a signal).
    pub fn wait_for(&mut self, pid: Pid) -> Status {
        loop {
            match waitpid(pid, Some(WaitPidFlag::WUNTRACED)) {
                Ok(WaitStatus::Signaled(_, sig, core)) => {
                    if let Some(text) = signal_text(sig) {
                        let core = if core { " (core dumped)" } else { "" };
                        eprintln!("{text}{core}");
                    }
                    if sig == Signal::SIGINT && self.interactive {
                        // The line was interrupted: start a fresh one and
                        // abandon the rest of the command line, as ash does.
                        eprintln!();
                        return Err(Flow::Abort(128 + sig as i32));
                    }
                    return Ok(128 + sig as i32);
                }
                Ok(WaitStatus::Stopped(_, sig)) => {
                    // A command substitution stopped from the terminal:
                    // it becomes a job that `fg` can continue.
                    let mut job = super::jobs::Job::new(&[pid], None, self.cmd_text.to_vec());
                    job.procs[0].state = super::jobs::ProcState::Stopped(sig);
                    self.jobs.add(job);
                    return Ok(128 + sig as i32);
                }
                Ok(WaitStatus::Exited(_, code)) => return Ok(code),
                Ok(_) => {}
                Err(Errno::EINTR) => {}
                Err(_) => return Ok(127),
            }
        }
    }

    /// Waits for a foreground job of one process just forked.
    fn wait_child(&mut self, child: Pid) -> Status {
        let pgid = self.parent_job_setup(child, None);
        self.wait_fg(&[child], pgid)
    }

    /// Runs a pipeline; its status is that of the last command.
    fn run_pipeline(&mut self, p: &Pipeline) -> Status {
        if self.interactive && super::INTERRUPTED.swap(false, Ordering::Relaxed) {
            // Ctrl-C while the shell itself was busy: abandon the line.
            eprintln!();
            self.status = 130;
            return Err(Flow::Abort(130));
        }
        self.cmd_text = Rc::clone(&p.text);
        let status = if p.commands.len() == 1 {
            self.run_command(&p.commands[0], false)?
        } else {
            self.run_multi(&p.commands)?
        };
        let status = if p.negate {
            (status == 0) as i32
        } else {
            status
        };
        self.status = status;
        self.run_traps()?;
        Ok(status)
    }

    /// Runs a pipeline of several commands, each in its own child.
    fn run_multi(&mut self, commands: &[Command]) -> Status {
        flush_stdout();
        let mut pids: Vec<Pid> = Vec::with_capacity(commands.len());
        let mut pgid = None;
        let mut prev_read: Option<RawFd> = None;
        let mut failed = None;
        for (i, cmd) in commands.iter().enumerate() {
            let pipe = if i + 1 < commands.len() {
                match pipe2(OFlag::O_CLOEXEC) {
                    Ok((r, w)) => Some((r.into_raw_fd(), w.into_raw_fd())),
                    Err(e) => {
                        eprintln!("sh: can't create pipe: {}", e.desc());
                        failed = Some(2);
                        break;
                    }
                }
            } else {
                None
            };
            // SAFETY: single-threaded shell; see run_background.
            match unsafe { fork() } {
                Ok(ForkResult::Child) => {
                    self.child_job_setup(pids.first().copied(), true);
                    self.enter_child();
                    if let Some(r) = prev_read {
                        let _ = dup2(r, 0);
                        let _ = close(r);
                    }
                    if let Some((r, w)) = pipe {
                        let _ = dup2(w, 1);
                        let _ = close(w);
                        let _ = close(r);
                    }
                    let status = self.run_command(cmd, true);
                    self.exit_child(status);
                }
                Ok(ForkResult::Parent { child }) => {
                    pgid = self.parent_job_setup(child, pids.first().copied());
                    pids.push(child);
                }
                Err(e) => {
                    failed = Some(self.fork_failed(e));
                }
            }
            if let Some(r) = prev_read.take() {
                let _ = close(r);
            }
            if let Some((r, w)) = pipe {
                let _ = close(w);
                prev_read = Some(r);
            }
            if failed.is_some() {
                break;
            }
        }
        if let Some(r) = prev_read {
            let _ = close(r);
        }
        if pids.is_empty() {
            return Ok(failed.unwrap_or(0));
        }
        let status = self.wait_fg(&pids, pgid)?;
        Ok(failed.unwrap_or(status))
    }

    /// Runs one command. `forked` says this process is already a child made
    /// for it (a pipeline member), so an external command is exec'd in place.
    fn run_command(&mut self, cmd: &Command, forked: bool) -> Status {
        match cmd {
            Command::Simple(s) => self.run_simple(s, forked),
            Command::Group(body, redirs) => {
                let mut saved = Saved::new();
                if !self.apply_redirects(redirs, Some(&mut saved))? {
                    self.restore(saved);
                    return Ok(1);
                }
                let status = self.run_lists(body);
                self.restore(saved);
                status
            }
            Command::Subshell(body, redirs) => {
                if forked {
                    if !self.apply_redirects(redirs, None)? {
                        return Ok(1);
                    }
                    return self.run_lists(body);
                }
                flush_stdout();
                // SAFETY: single-threaded shell; see run_background.
                match unsafe { fork() } {
                    Ok(ForkResult::Child) => {
                        self.child_job_setup(None, true);
                        self.enter_child();
                        let status = if self.apply_redirects(redirs, None) == Ok(true) {
                            self.run_lists(body)
                        } else {
                            Ok(1)
                        };
                        self.exit_child(status)
                    }
                    Ok(ForkResult::Parent { child }) => self.wait_child(child),
                    Err(e) => Ok(self.fork_failed(e)),
                }
            }
            Command::If { .. }
            | Command::Loop { .. }
            | Command::For { .. }
            | Command::Case { .. } => self.run_compound(cmd),
            Command::FuncDef(name, body) => {
                self.functions.insert(name.clone(), Rc::clone(body));
                Ok(0)
            }
        }
    }

    /// Runs `lists` as a condition, where `set -e` does not apply.
    fn run_condition(&mut self, lists: &[AndOrList]) -> Status {
        self.condition_depth += 1;
        let status = self.run_lists(lists);
        self.condition_depth -= 1;
        status
    }

    /// Runs a compound command's body with its redirections in effect.
    fn with_redirects(
        &mut self,
        redirs: &[Redirect],
        body: impl FnOnce(&mut Self) -> Status,
    ) -> Status {
        let mut saved = Saved::new();
        if !self.apply_redirects(redirs, Some(&mut saved))? {
            self.restore(saved);
            return Ok(1);
        }
        let status = body(self);
        self.restore(saved);
        status
    }

    /// Runs one iteration of a loop body; `Ok(None)` means the loop goes
    /// on, `Ok(Some(status))` that `break` ended it.
    fn loop_body(&mut self, body: &[AndOrList], status: &mut i32) -> Result<bool, Flow> {
        self.loop_depth += 1;
        let r = self.run_lists(body);
        self.loop_depth -= 1;
        match r {
            Ok(s) => {
                *status = s;
                Ok(true)
            }
            Err(Flow::Break(n)) if n > 1 => Err(Flow::Break(n - 1)),
            Err(Flow::Break(_)) => Ok(false),
            Err(Flow::Continue(n)) if n > 1 => Err(Flow::Continue(n - 1)),
            Err(Flow::Continue(_)) => Ok(true),
            Err(f) => Err(f),
        }
    }

    /// Runs `if`, `while`/`until` and `for`.
    fn run_compound(&mut self, cmd: &Command) -> Status {
        match cmd {
            Command::If {
                branches,
                otherwise,
                redirects,
            } => self.with_redirects(redirects, |sh| {
                for (cond, body) in branches {
                    if sh.run_condition(cond)? == 0 {
                        return sh.run_lists(body);
                    }
                }
                match otherwise {
                    Some(body) => sh.run_lists(body),
                    None => Ok(0),
                }
            }),
            Command::Loop {
                until,
                cond,
                body,
                redirects,
            } => self.with_redirects(redirects, |sh| {
                let mut status = 0;
                loop {
                    sh.loop_depth += 1;
                    let c = sh.run_condition(cond);
                    sh.loop_depth -= 1;
                    let c = match c {
                        Ok(c) => c,
                        Err(Flow::Break(_)) => break,
                        Err(Flow::Continue(_)) => continue,
                        Err(f) => return Err(f),
                    };
                    if (c == 0) == *until || !sh.loop_body(body, &mut status)? {
                        break;
                    }
                }
                Ok(status)
            }),
            Command::For {
                var,
                words,
                body,
                redirects,
            } => self.with_redirects(redirects, |sh| {
                let items = match words {
                    Some(w) => sh.expand_words(w)?,
                    None => sh.positional.clone(),
                };
                let mut status = 0;
                for item in items {
                    sh.vars.set(var, item);
                    if !sh.loop_body(body, &mut status)? {
                        break;
                    }
                }
                Ok(status)
            }),
            Command::Case {
                word,
                items,
                redirects,
            } => self.with_redirects(redirects, |sh| {
                let word = sh.expand_single(word)?;
                for item in items {
                    for p in &item.patterns {
                        let p = sh.expand_pattern(p)?;
                        if pattern::matches(&p, &word) {
                            return if item.body.is_empty() {
                                Ok(0)
                            } else {
                                sh.run_lists(&item.body)
                            };
                        }
                    }
                }
                Ok(0)
            }),
            _ => Ok(0),
        }
    }

    /// Calls function `body` with `argv` as its name and positional
    /// parameters.
    fn call_function(&mut self, body: &Command, argv: &[Vec<u8>]) -> Status {
        if self.locals.len() as u32 >= MAX_CALL_DEPTH {
            eprintln!(
                "sh: {}: function calls nested too deeply",
                String::from_utf8_lossy(&argv[0])
            );
            return Err(if self.interactive {
                Flow::Abort(2)
            } else {
                Flow::Exit(2)
            });
        }
        let positional = std::mem::replace(&mut self.positional, argv[1..].to_vec());
        // `break` inside a function does not reach the caller's loops.
        let loop_depth = std::mem::replace(&mut self.loop_depth, 0);
        self.locals.push(Vec::new());
        let r = self.run_command(body, false);
        for (name, var) in self.locals.pop().unwrap_or_default().into_iter().rev() {
            self.vars.restore(&name, var);
        }
        self.loop_depth = loop_depth;
        self.positional = positional;
        match r {
            Err(Flow::Return(n)) => Ok(n),
            r => r,
        }
    }

    /// Expands assignment values, returning `(name, value)` pairs.
    fn expand_assigns<'c>(&mut self, cmd: &'c SimpleCommand) -> Result<Assigns<'c>, Flow> {
        let mut out = Vec::with_capacity(cmd.assigns.len());
        for a in &cmd.assigns {
            let value = self.expand_single(&a.value)?;
            if self.vars.is_readonly(&a.name) {
                return Err(self.fail(&a.name, b"is read only"));
            }
            out.push((&a.name[..], value));
        }
        Ok(out)
    }

    /// Prints the `set -x` trace of a command.
    fn trace(&self, assigns: &[(&[u8], Vec<u8>)], argv: &[Vec<u8>]) {
        let mut line = b"+".to_vec();
        for (name, value) in assigns {
            line.push(b' ');
            line.extend_from_slice(name);
            line.push(b'=');
            line.extend_from_slice(value);
        }
        for arg in argv {
            line.push(b' ');
            line.extend_from_slice(arg);
        }
        line.push(b'\n');
        let _ = std::io::stderr().write_all(&line);
    }

    /// Runs a simple command.
    fn run_simple(&mut self, cmd: &SimpleCommand, forked: bool) -> Status {
        self.subst_status = None;
        let argv = self.expand_words(&cmd.words)?;
        let assigns = self.expand_assigns(cmd)?;
        if self.opts.xtrace {
            self.trace(&assigns, &argv);
        }
        let Some(name) = argv.first() else {
            // Only assignments and redirections: the assignments stay in the
            // shell; the redirections are made (files get created) and undone.
            for (k, v) in assigns {
                self.vars.set(k, v);
            }
            let mut saved = Saved::new();
            let ok = self.apply_redirects(&cmd.redirects, Some(&mut saved))?;
            self.restore(saved);
            return Ok(if ok {
                self.subst_status.unwrap_or(0)
            } else {
                1
            });
        };
        if name == b"exec" {
            return self.run_exec(&argv[1..], assigns, &cmd.redirects);
        }
        let builtin = builtins::find(name);
        if builtin.is_none() && name.first() == Some(&b'%') && !self.functions.contains_key(name) {
            // `%1` alone brings job 1 to the foreground.
            return super::jobs::fg(self, &[b"fg".to_vec(), name.clone()]);
        }
        // Special builtins come before functions, other builtins after.
        let function = match builtin {
            Some(b) if b.special => None,
            _ => self.functions.get(name).cloned(),
        };
        if builtin.is_some() || function.is_some() {
            // Assignments before special builtins stay; before the others
            // they last for the command only.
            let special = function.is_none() && builtin.is_some_and(|b| b.special);
            let mut restore_vars = Vec::new();
            for (k, v) in assigns {
                if !special {
                    restore_vars.push((k, self.vars.get(k).map(<[u8]>::to_vec)));
                }
                self.vars.set(k, v);
            }
            let mut saved = Saved::new();
            let status = if self.apply_redirects(&cmd.redirects, Some(&mut saved))? {
                let status = match (&function, builtin) {
                    (Some(f), _) => self.call_function(f, &argv),
                    (None, Some(b)) => (b.run)(self, &argv),
                    (None, None) => Ok(0),
                };
                flush_stdout();
                status
            } else {
                Ok(1)
            };
            self.restore(saved);
            for (k, v) in restore_vars {
                match v {
                    Some(v) => self.vars.set(k, v),
                    None => self.vars.unset(k),
                }
            }
            return status;
        }
        if forked {
            return Ok(self.exec_in_place(&argv, assigns, &cmd.redirects));
        }
        flush_stdout();
        // SAFETY: single-threaded shell; see run_background.
        match unsafe { fork() } {
            Ok(ForkResult::Child) => {
                self.child_job_setup(None, true);
                self.enter_child();
                let status = self.exec_in_place(&argv, assigns, &cmd.redirects);
                self.exit_child(Ok(status))
            }
            Ok(ForkResult::Parent { child }) => self.wait_child(child),
            Err(e) => Ok(self.fork_failed(e)),
        }
    }

    /// Runs program `argv[0]` (never a builtin or function) in a child and
    /// waits for it: `command NAME`.
    pub fn run_program(&mut self, argv: &[Vec<u8>]) -> Status {
        flush_stdout();
        // SAFETY: single-threaded shell; see run_background.
        match unsafe { fork() } {
            Ok(ForkResult::Child) => {
                self.child_job_setup(None, true);
                self.enter_child();
                let status = self.exec_program(argv);
                self.exit_child(Ok(status))
            }
            Ok(ForkResult::Parent { child }) => self.wait_child(child),
            Err(e) => Ok(self.fork_failed(e)),
        }
    }

    /// In a child: sets up redirections and the environment, then replaces
    /// the process with the program. Returns only on failure, with the
    /// status to exit with.
    fn exec_in_place(
        &mut self,
        argv: &[Vec<u8>],
        assigns: Assigns<'_>,
        redirs: &[Redirect],
    ) -> i32 {
        match self.apply_redirects(redirs, None) {
            Ok(true) => {}
            _ => return 1,
        }
        for (k, v) in assigns {
            self.vars.set(k, v);
            self.vars.export(k);
        }
        self.exec_program(argv)
    }

    /// `exec [cmd [args]]`: with a command, replaces the shell by it; without,
    /// makes the redirections permanent.
    fn run_exec(&mut self, argv: &[Vec<u8>], assigns: Assigns<'_>, redirs: &[Redirect]) -> Status {
        if argv.is_empty() {
            for (k, v) in assigns {
                self.vars.set(k, v);
            }
            return Ok(if self.apply_redirects(redirs, None)? {
                0
            } else {
                1
            });
        }
        flush_stdout();
        let mut saved = Saved::new();
        if !self.apply_redirects(redirs, Some(&mut saved))? {
            self.restore(saved);
            return Ok(1);
        }
        for (k, v) in assigns {
            self.vars.set(k, v);
            self.vars.export(k);
        }
        // The program inherits the signal dispositions of a child.
        self.enter_child();
        let status = self.exec_program(argv);
        // Like dash, a failed `exec` ends a non-interactive shell.
        Err(Flow::Exit(status))
    }

    /// Executes `argv[0]`, searching `PATH` when it has no `/`. Returns the
    /// failure status: 127 when not found, 126 when not executable.
    fn exec_program(&mut self, argv: &[Vec<u8>]) -> i32 {
        let name = &argv[0];
        let cargs: Vec<CString> = argv.iter().map(|a| cstring(a)).collect();
        let env = self.vars.environ();
        let mut err = Errno::ENOENT;
        if name.contains(&b'/') {
            err = self.try_exec(name, &cargs, &env);
        } else {
            for full in self.path_candidates(name) {
                match self.try_exec(&full, &cargs, &env) {
                    Errno::ENOENT | Errno::ENOTDIR => {}
                    // Keep looking, but a later "not found" must not hide
                    // that a match existed and could not be run.
                    e @ (Errno::EACCES | Errno::EPERM) => err = e,
                    e => {
                        err = e;
                        break;
                    }
                }
            }
        }
        let shown = String::from_utf8_lossy(name);
        match err {
            Errno::ENOENT | Errno::ENOTDIR => {
                eprintln!("sh: {shown}: not found");
                127
            }
            e => {
                eprintln!("sh: {shown}: {}", e.desc());
                126
            }
        }
    }

    /// Where `PATH` says to look for command `name` (which has no slash),
    /// in order; an empty entry is the current directory.
    pub fn path_candidates(&self, name: &[u8]) -> Vec<Vec<u8>> {
        let path = self.vars.get(b"PATH").unwrap_or(DEFAULT_PATH);
        path.split(|&c| c == b':')
            .map(|dir| {
                let mut full = if dir.is_empty() {
                    b".".to_vec()
                } else {
                    dir.to_vec()
                };
                full.push(b'/');
                full.extend_from_slice(name);
                full
            })
            .collect()
    }

    /// One `execve` attempt; a file that is not a binary (ENOEXEC) is run as
    /// a shell script by this process, as POSIX requires.
    fn try_exec(&mut self, path: &[u8], argv: &[CString], env: &[CString]) -> Errno {
        let cpath = cstring(path);
        let err = match execve(&cpath, argv, env) {
            Err(e) => e,
            Ok(never) => match never {},
        };
        if err != Errno::ENOEXEC {
            return err;
        }
        let Ok(src) = std::fs::read(std::ffi::OsStr::from_bytes(path)) else {
            return err;
        };
        self.arg0 = path.to_vec();
        self.positional = argv.iter().skip(1).map(|a| a.as_bytes().to_vec()).collect();
        let status = self.run_source(&src);
        self.exit_child(status)
    }

    /// Applies redirections. With `saved`, remembers what each descriptor
    /// was so that [`Shell::restore`] can undo them (builtins and groups run
    /// in the shell itself). Returns `Ok(false)` after reporting a failure.
    pub fn apply_redirects(
        &mut self,
        redirs: &[Redirect],
        mut saved: Option<&mut Saved>,
    ) -> Result<bool, Flow> {
        for r in redirs {
            let target = match &r.heredoc {
                Some(body) => {
                    let body = body.borrow().clone();
                    self.expand_single(&body)?
                }
                None => self.expand_single(&r.target)?,
            };
            if let Some(saved) = saved.as_deref_mut() {
                if !saved.iter().any(|(fd, _)| *fd == r.fd) {
                    let copy = fcntl(r.fd, FcntlArg::F_DUPFD_CLOEXEC(SAVE_FD_MIN)).ok();
                    saved.push((r.fd, copy));
                }
            }
            if !self.redirect(r, &target) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Performs one redirection; reports failures.
    fn redirect(&mut self, r: &Redirect, target: &[u8]) -> bool {
        let shown = String::from_utf8_lossy(target);
        let flags = match r.op {
            RedirOp::DupIn | RedirOp::DupOut => {
                if target == b"-" {
                    let _ = close(r.fd);
                    return true;
                }
                let from = std::str::from_utf8(target)
                    .ok()
                    .and_then(|s| s.parse::<RawFd>().ok());
                let Some(from) = from else {
                    eprintln!("sh: {shown}: bad file descriptor number");
                    return false;
                };
                if from == r.fd {
                    return true;
                }
                if fcntl(from, FcntlArg::F_GETFD).is_err() {
                    eprintln!("sh: {from}: Bad file descriptor");
                    return false;
                }
                return match dup2(from, r.fd) {
                    Ok(_) => true,
                    Err(e) => {
                        eprintln!("sh: {}: {}", r.fd, e.desc());
                        false
                    }
                };
            }
            RedirOp::HereDoc => return self.heredoc(r.fd, target),
            RedirOp::Read => OFlag::O_RDONLY,
            RedirOp::Write if self.opts.noclobber => {
                OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL
            }
            RedirOp::Write | RedirOp::Clobber => OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_TRUNC,
            RedirOp::Append => OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_APPEND,
            RedirOp::ReadWrite => OFlag::O_RDWR | OFlag::O_CREAT,
        };
        let path = cstring(target);
        match open(
            path.as_c_str(),
            flags | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(0o666),
        ) {
            Ok(fd) => {
                if fd != r.fd {
                    let res = dup2(fd, r.fd);
                    let _ = close(fd);
                    if let Err(e) = res {
                        eprintln!("sh: {}: {}", r.fd, e.desc());
                        return false;
                    }
                }
                true
            }
            Err(e) => {
                let verb = if r.op == RedirOp::Read {
                    "open"
                } else {
                    "create"
                };
                eprintln!("sh: can't {verb} {shown}: {}", e.desc());
                false
            }
        }
    }

    /// Makes `fd` read `body` (a here-document) from a pipe. A body that
    /// may not fit in the pipe is written by a grandchild, so that the
    /// shell neither blocks nor leaves a zombie.
    fn heredoc(&mut self, fd: RawFd, body: &[u8]) -> bool {
        let (r, w) = match pipe2(OFlag::O_CLOEXEC) {
            Ok((r, w)) => (r.into_raw_fd(), w.into_raw_fd()),
            Err(e) => {
                eprintln!("sh: can't create pipe: {}", e.desc());
                return false;
            }
        };
        let write_all = |mut data: &[u8]| {
            while !data.is_empty() {
                match nix::unistd::write(
                    // SAFETY: `w` is open for as long as this closure runs.
                    unsafe { std::os::fd::BorrowedFd::borrow_raw(w) },
                    data,
                ) {
                    Ok(n) => data = &data[n..],
                    Err(Errno::EINTR) => {}
                    Err(_) => break,
                }
            }
        };
        // Linux pipes hold at least 64 KiB.
        if body.len() <= 65536 {
            write_all(body);
        } else {
            flush_stdout();
            // SAFETY: single-threaded shell; see run_background. The child
            // and grandchild only write and exit.
            match unsafe { fork() } {
                Ok(ForkResult::Child) => {
                    if let Ok(ForkResult::Child) = unsafe { fork() } {
                        let _ = close(r);
                        write_all(body);
                    }
                    // SAFETY: `_exit` skips the parent's atexit handlers and
                    // buffers, which are not this process's to flush.
                    unsafe { nix::libc::_exit(0) }
                }
                Ok(ForkResult::Parent { child }) => {
                    let _ = waitpid(child, None);
                }
                Err(e) => eprintln!("sh: can't fork: {}", e.desc()),
            }
        }
        let _ = close(w);
        if r != fd {
            let res = dup2(r, fd);
            let _ = close(r);
            if let Err(e) = res {
                eprintln!("sh: {fd}: {}", e.desc());
                return false;
            }
        } else {
            // The pipe landed on the very descriptor it is for: it must
            // survive exec.
            let _ = fcntl(fd, FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()));
        }
        true
    }

    /// Undoes redirections recorded by [`Shell::apply_redirects`].
    pub fn restore(&mut self, saved: Saved) {
        if saved.is_empty() {
            return;
        }
        flush_stdout();
        for (fd, copy) in saved.into_iter().rev() {
            match copy {
                Some(copy) => {
                    let _ = dup2(copy, fd);
                    let _ = close(copy);
                }
                None => {
                    let _ = close(fd);
                }
            }
        }
    }

    /// `$(...)`: runs `lists` in a child and returns its output without
    /// trailing newlines.
    pub fn command_subst(&mut self, lists: &[AndOrList]) -> Result<Vec<u8>, Flow> {
        flush_stdout();
        let (r, w) = match pipe2(OFlag::O_CLOEXEC) {
            Ok((r, w)) => (r.into_raw_fd(), w.into_raw_fd()),
            Err(e) => {
                eprintln!("sh: can't create pipe: {}", e.desc());
                return Ok(Vec::new());
            }
        };
        // SAFETY: single-threaded shell; see run_background.
        match unsafe { fork() } {
            Ok(ForkResult::Child) => {
                self.enter_child();
                let _ = close(r);
                let _ = dup2(w, 1);
                let _ = close(w);
                let status = self.run_lists(lists);
                self.exit_child(status)
            }
            Ok(ForkResult::Parent { child }) => {
                let _ = close(w);
                let mut out = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    match nix::unistd::read(r, &mut buf) {
                        Ok(0) => break,
                        Ok(n) => out.extend_from_slice(&buf[..n]),
                        Err(Errno::EINTR) => {}
                        Err(_) => break,
                    }
                }
                let _ = close(r);
                let status = self.wait_for(child)?;
                self.subst_status = Some(status);
                self.status = status;
                while out.last() == Some(&b'\n') {
                    out.pop();
                }
                Ok(out)
            }
            Err(e) => {
                let _ = close(r);
                let _ = close(w);
                self.fork_failed(e);
                Ok(Vec::new())
            }
        }
    }
}
