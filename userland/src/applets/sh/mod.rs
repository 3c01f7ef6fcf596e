//! `sh`: the Ibex shell, a POSIX-style command interpreter in the manner of
//! BusyBox's ash.
//!
//! Input flows through the lexer ([`lexer`]) and parser ([`parser`]) into a
//! syntax tree ([`ast`]), one complete command at a time, which the executor
//! ([`exec`]) runs after expanding words ([`expand`]). Builtins live in
//! [`builtins`] and variables in [`vars`]; [`pattern`] matches globs for
//! `case`, `${x%pat}` and pathname expansion, and [`arith`] evaluates
//! `$((...))`. The `test` and `printf` builtins have files of their own
//! ([`testcmd`], [`printf`]). An interactive shell on a terminal has job
//! control ([`jobs`]) and a line editor ([`lineedit`]) with history
//! ([`history`]) and Tab completion ([`complete`]).

mod arith;
mod ast;
mod builtins;
mod complete;
mod exec;
mod expand;
mod history;
mod jobs;
mod lexer;
mod lineedit;
mod parser;
pub mod pattern;
pub(crate) mod printf;
pub(crate) mod testcmd;
mod vars;

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::sync::atomic::{AtomicBool, Ordering};

use nix::errno::Errno;
use nix::sys::signal::{sigaction, signal, SaFlags, SigAction, SigHandler, SigSet, Signal};

use exec::{Flow, Shell};
use parser::{ParseError, Parser};

/// Usage text for `sh --help`.
pub const USAGE: &str = "[-eiux] [-c 'SCRIPT' [ARG0 ARGS] | FILE ARGS | -s ARGS]\n\nUnix shell interpreter\n\n\t-c\tRun SCRIPT, then exit\n\t-s\tRead commands from standard input\n\t-i\tInteractive\n\t-e\tExit when a command fails\n\t-u\tUnset variables are errors\n\t-x\tTrace commands";

/// Set by the SIGINT handler of an interactive shell; checked when a read
/// of the command line is interrupted, and between the pipelines of a
/// running command (so that Ctrl-C ends `while :; do :; done`).
pub(super) static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// The SIGINT handler of an interactive shell: only records the signal.
extern "C" fn on_sigint(_: nix::libc::c_int) {
    INTERRUPTED.store(true, Ordering::Relaxed);
}

/// Entry point: `sh [-eiux] [-c SCRIPT [ARG0 ARGS] | FILE ARGS | -s ARGS]`.
pub fn main(args: Vec<OsString>) -> i32 {
    let parsed = match crate::common::getopt(&args, "ceisux", &[], false) {
        Ok(p) => p,
        Err(crate::common::Exit(code)) => return if code == 0 { 0 } else { 2 },
    };
    // Never dropped: the process exits as soon as this returns, and freeing
    // every variable and function first would only cost time.
    let mut sh = std::mem::ManuallyDrop::new(Shell::new());
    sh.opts.errexit = parsed.has('e');
    sh.opts.nounset = parsed.has('u');
    sh.opts.xtrace = parsed.has('x');
    if let Some(a0) = args.first() {
        sh.arg0 = a0.as_bytes().to_vec();
    }
    let (opt_c, opt_i, opt_s) = (parsed.has('c'), parsed.has('i'), parsed.has('s'));
    let mut operands = parsed.operands.into_iter().map(OsString::into_vec);
    init_pwd(&mut sh);

    if opt_c {
        let Some(script) = operands.next() else {
            crate::common::error_msg("sh", "-c requires an argument");
            return 2;
        };
        if let Some(a0) = operands.next() {
            sh.arg0 = a0;
        }
        sh.positional = operands.collect();
        sh.interactive = opt_i;
        if sh.interactive {
            setup_interactive(&mut sh);
        }
        let status = sh.run_source(&script);
        return finish(&mut sh, status);
    }
    if !opt_s {
        if let Some(file) = operands.next() {
            let src = match std::fs::read(std::ffi::OsStr::from_bytes(&file)) {
                Ok(src) => src,
                Err(e) => {
                    crate::common::perror(
                        "sh",
                        format_args!("can't open '{}'", String::from_utf8_lossy(&file)),
                        &e,
                    );
                    return 127;
                }
            };
            sh.arg0 = file;
            sh.positional = operands.collect();
            let status = sh.run_source(&src);
            return finish(&mut sh, status);
        }
    }
    sh.positional = operands.collect();
    let tty = nix::unistd::isatty(0).unwrap_or(false) && nix::unistd::isatty(2).unwrap_or(false);
    sh.interactive = opt_i || tty;
    if sh.interactive {
        setup_interactive(&mut sh);
    }
    repl(&mut sh)
}

/// The exit status of the shell after running a script.
fn finish(sh: &mut Shell, status: exec::Status) -> i32 {
    let code = sh.exit_status(status);
    exec::flush_stdout();
    sh.history.save();
    sh.jc.release();
    code & 0xff
}

/// Sets `PWD` to the current directory unless the inherited value already
/// names it (keeping the logical path the parent chose, through symlinks).
fn init_pwd(sh: &mut Shell) {
    let dir = builtins::current_dir(sh);
    if !dir.is_empty() {
        sh.vars.set(b"PWD", dir);
    }
}

/// What `trap - SIG` restores in an interactive shell: the handling
/// [`setup_interactive`] chose rather than the default, which would let
/// Ctrl-C kill the shell.
pub(super) fn interactive_handler(sig: Signal) -> SigHandler {
    match sig {
        Signal::SIGINT => SigHandler::Handler(on_sigint),
        Signal::SIGQUIT | Signal::SIGTERM | Signal::SIGTSTP | Signal::SIGTTIN | Signal::SIGTTOU => {
            SigHandler::SigIgn
        }
        _ => SigHandler::SigDfl,
    }
}

/// An interactive shell survives the keys that kill programs: SIGINT
/// interrupts the line being typed, SIGQUIT and SIGTERM are ignored, and
/// so are the stop signals. Children get all of them back as defaults. On
/// a terminal, job control and the line editor are turned on.
fn setup_interactive(sh: &mut Shell) {
    // No SA_RESTART: a read of the command line must return EINTR so that
    // the half-typed line is dropped and a new prompt printed.
    let action = SigAction::new(
        SigHandler::Handler(on_sigint),
        SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: the handler only stores to an atomic, which is
    // async-signal-safe; ignoring signals installs no code.
    unsafe {
        let _ = sigaction(Signal::SIGINT, &action);
        for sig in [
            Signal::SIGQUIT,
            Signal::SIGTERM,
            Signal::SIGTSTP,
            Signal::SIGTTIN,
            Signal::SIGTTOU,
        ] {
            let _ = signal(sig, SigHandler::SigIgn);
        }
    }
    sh.signals_changed = true;
    if nix::unistd::isatty(0).unwrap_or(false) && !jobs::init(sh) {
        // As ash says on a console without a controlling terminal.
        eprintln!("sh: can't access tty; job control turned off");
    }
    if lineedit::usable(sh) {
        sh.editor = Some(lineedit::Editor::default());
        lineedit::install_signal_restore();
        history::History::init(sh);
    }
    if sh.vars.get(b"PS1").is_none() {
        let ps1: &[u8] = if nix::unistd::geteuid().is_root() {
            b"# "
        } else {
            b"$ "
        };
        sh.vars.set(b"PS1", ps1.to_vec());
    }
    if sh.vars.get(b"PS2").is_none() {
        sh.vars.set(b"PS2", b"> ".to_vec());
    }
}

/// How reading a line ended.
enum Line {
    /// Bytes were appended (the line, with its newline unless at EOF).
    Data,
    /// End of input, nothing read.
    Eof,
    /// Interrupted by SIGINT: the line is to be dropped.
    Interrupted,
}

/// Reads one line of standard input onto `buf`, a byte at a time so that
/// nothing past the newline is consumed: the commands may read the rest of
/// the same input themselves (`printf 'read x\nhello\n' | sh`).
fn read_line(buf: &mut Vec<u8>) -> Line {
    let start = buf.len();
    loop {
        let mut b = [0u8];
        match nix::unistd::read(0, &mut b) {
            Ok(0) => {
                return if buf.len() > start {
                    Line::Data
                } else {
                    Line::Eof
                }
            }
            Ok(_) => {
                buf.push(b[0]);
                if b[0] == b'\n' {
                    return Line::Data;
                }
            }
            Err(Errno::EINTR) => {
                if INTERRUPTED.swap(false, Ordering::Relaxed) {
                    return Line::Interrupted;
                }
            }
            Err(_) => {
                return if buf.len() > start {
                    Line::Data
                } else {
                    Line::Eof
                }
            }
        }
    }
}

/// The prompt in variable `var`, expanded.
fn prompt_text(sh: &Shell, var: &[u8]) -> Vec<u8> {
    match sh.vars.get(var) {
        Some(p) => lineedit::expand_prompt(sh, p),
        None => Vec::new(),
    }
}

/// Reads the next line onto `buf`: through the line editor (which shows
/// the prompt and adds the line to the history), else a plain read after
/// printing the prompt when interactive.
fn next_line(sh: &mut Shell, buf: &mut Vec<u8>) -> Line {
    let var: &[u8] = if buf.is_empty() { b"PS1" } else { b"PS2" };
    if let Some(mut ed) = sh.editor.take() {
        let prompt = prompt_text(sh, var);
        let r = lineedit::read_line(sh, &mut ed, &prompt);
        sh.editor = Some(ed);
        return match r {
            lineedit::Edit::Line(l) => {
                sh.history.add(&l);
                buf.extend_from_slice(&l);
                buf.push(b'\n');
                Line::Data
            }
            lineedit::Edit::Eof => Line::Eof,
            lineedit::Edit::Interrupted => Line::Interrupted,
        };
    }
    if sh.interactive {
        let p = prompt_text(sh, var);
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(&p);
        let _ = err.flush();
    }
    read_line(buf)
}

/// Reads and runs commands from standard input until EOF or `exit`. Each
/// complete command runs as soon as its last line has been read.
fn repl(sh: &mut Shell) -> i32 {
    let mut buf = Vec::new();
    loop {
        if sh.interactive && buf.is_empty() {
            sh.notify_jobs();
            INTERRUPTED.store(false, Ordering::Relaxed);
        }
        let eof = match next_line(sh, &mut buf) {
            Line::Data => false,
            Line::Eof => true,
            Line::Interrupted => {
                if sh.editor.is_none() {
                    eprintln!();
                }
                buf.clear();
                sh.status = 130;
                continue;
            }
        };
        if eof && buf.is_empty() {
            if sh.editor.is_some() && sh.stopped_jobs_warning() {
                continue;
            }
            return finish(sh, Ok(sh.status));
        }
        let mut pos = 0;
        loop {
            match Parser::new(&buf, pos).complete_command() {
                Ok(Some((lists, end))) => {
                    pos = end;
                    match sh.run_lists(&lists) {
                        Ok(_) | Err(Flow::Break(_) | Flow::Continue(_) | Flow::Return(_)) => {}
                        Err(Flow::Abort(n)) => {
                            sh.status = n;
                            buf.clear();
                            break;
                        }
                        Err(Flow::Exit(n)) => return finish(sh, Err(Flow::Exit(n))),
                    }
                }
                Ok(None) => {
                    buf.clear();
                    break;
                }
                Err(ParseError::Incomplete(_)) if !eof => {
                    // Keep the unfinished command and read its next line.
                    buf.drain(..pos);
                    break;
                }
                Err(e) => {
                    let flow = sh.syntax_error(&e);
                    buf.clear();
                    if let Flow::Exit(n) = flow {
                        return finish(sh, Err(Flow::Exit(n)));
                    }
                    break;
                }
            }
        }
        // Ctrl-D in the middle of an unfinished command only drops it, as
        // in ash; the next one on an empty line exits.
        if eof && sh.editor.is_none() {
            return finish(sh, Ok(sh.status));
        }
    }
}
