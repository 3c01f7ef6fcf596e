//! `xargs [OPTIONS] [PROG ARGS]`: run PROG with arguments read from
//! standard input, as many at a time as the limits allow.
//!
//! Items are read lazily, so that the first command runs before the input
//! ends (`yes | xargs -n1 ...`). Exit statuses are POSIX's: 123 when some
//! command failed, 124 when one exited with 255 (which stops xargs), 125
//! when one was killed by a signal, 126 when PROG cannot be run and 127 when
//! it does not exist.

use crate::common::{error_msg, getopt, lossy, perror, usage_error, Exit};
use crate::text;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use std::ffi::{OsStr, OsString};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::process::{Child, Command};

pub const USAGE: &str = "[OPTIONS] [PROG ARGS]\n\nRun PROG on every item given by stdin\n\n\t-0\tNUL terminated input\n\t-d CHAR\tItems are terminated by CHAR (escapes like \\n allowed)\n\t-a FILE\tRead from FILE instead of stdin\n\t-r\tDon't run command if input is empty\n\t-t\tPrint the command on stderr before execution\n\t-p\tAsk user whether to run each command\n\t-E STR,-e[STR]\tSTR stops input processing\n\t-I STR\tReplace STR within PROG ARGS with input line\n\t-n N\tPass no more than N args to PROG\n\t-s N\tPass command line of no more than N bytes\n\t-P N\tRun up to N PROGs in parallel\n\t-x\tExit if size is exceeded";

/// Default limit on the bytes of one command line (arguments and their
/// terminating NULs), safely below Linux's ARG_MAX share for arguments.
const DEFAULT_SIZE: usize = 128 * 1024;

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let args = expand_e(args);
    let p = match getopt(&args, "0a:d:prtE:e:I:i:n:s:P:x", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let number = |c: char| -> Result<Option<usize>, i32> {
        match p.value(c) {
            None => Ok(None),
            Some(v) => match lossy(v).parse::<usize>() {
                Ok(n) if n > 0 || c == 'P' => Ok(Some(n)),
                _ => {
                    error_msg("xargs", &format!("invalid number '{}'", lossy(v)));
                    Err(1)
                }
            },
        }
    };
    let (max_args, max_size, procs) = match (number('n'), number('s'), number('P')) {
        (Ok(n), Ok(s), Ok(pp)) => (n, s, pp),
        (Err(c), ..) | (_, Err(c), _) | (.., Err(c)) => return c,
    };
    let replace = p.value('I').or(p.value('i')).map(|s| s.as_bytes().to_vec());
    let delim = if p.has('0') {
        Some(0)
    } else if let Some(d) = p.value('d') {
        match parse_delim(d.as_bytes()) {
            Some(c) => Some(c),
            None => return usage_error("xargs", &format!("invalid delimiter '{}'", lossy(d))),
        }
    } else {
        None
    };
    let eof = p
        .opts
        .iter()
        .rev()
        .find(|(c, _)| *c == 'E' || *c == 'e')
        .and_then(|(_, v)| v.as_ref())
        .filter(|v| !v.is_empty())
        .map(|v| v.as_bytes().to_vec());
    let input: Box<dyn Read> = match p.value('a') {
        Some(f) => match std::fs::File::open(f) {
            Ok(f) => Box::new(f),
            Err(e) => {
                text::report_open("xargs", f, &e);
                return 1;
            }
        },
        None => Box::new(io::stdin()),
    };
    let mut cmd: Vec<Vec<u8>> = p.operands.iter().map(|a| a.as_bytes().to_vec()).collect();
    if cmd.is_empty() {
        cmd.push(b"echo".to_vec());
    }
    let mode = if replace.is_some() {
        Mode::Lines
    } else if let Some(d) = delim {
        Mode::Delim(d)
    } else {
        Mode::Posix
    };
    let mut x = Xargs {
        reader: Items {
            r: BufReader::with_capacity(text::BUF_SIZE, input),
            mode,
            eof,
            done: false,
        },
        cmd,
        replace,
        max_args: if p.has('I') || p.has('i') {
            Some(1)
        } else {
            max_args
        },
        max_size: max_size.unwrap_or(DEFAULT_SIZE),
        exact: p.has('x') || p.has('I') || p.has('i'),
        trace: p.has('t') || p.has('p'),
        prompt: p.has('p'),
        stdin_is_input: p.value('a').is_none(),
        no_empty: p.has('r'),
        procs: match procs {
            Some(0) => usize::MAX,
            Some(n) => n,
            None => 1,
        },
        running: Vec::new(),
        resolved: None,
        status: 0,
        stop: false,
    };
    x.run()
}

/// Turns a bare `-e` into `-e ""`: its argument is optional, which getopt
/// does not know.
fn expand_e(args: Vec<OsString>) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut options = true;
    for (i, a) in args.into_iter().enumerate() {
        let b = a.as_bytes();
        if i > 0 && options {
            if b == b"-e" {
                out.push(OsString::from("-e"));
                out.push(OsString::new());
                continue;
            }
            if b == b"--" || b.first() != Some(&b'-') || b.len() < 2 {
                options = false;
            }
        }
        out.push(a);
    }
    out
}

/// `-d` argument: one byte or a C escape (`\n`, `\t`, `\0`, `\\`, `\xHH`,
/// octal).
fn parse_delim(d: &[u8]) -> Option<u8> {
    match d {
        [c] => Some(*c),
        [b'\\', rest @ ..] => match rest {
            b"n" => Some(b'\n'),
            b"t" => Some(b'\t'),
            b"r" => Some(b'\r'),
            b"a" => Some(7),
            b"b" => Some(8),
            b"f" => Some(12),
            b"v" => Some(11),
            b"\\" => Some(b'\\'),
            [b'x', hex @ ..] => u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok(),
            oct => u8::from_str_radix(std::str::from_utf8(oct).ok()?, 8).ok(),
        },
        _ => None,
    }
}

/// How the input is cut into items.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Blank-separated, with POSIX quoting and backslashes.
    Posix,
    /// One item per line, leading blanks removed (-I).
    Lines,
    /// Items end at this byte, taken literally (-0, -d).
    Delim(u8),
}

/// Reads items from the input.
struct Items {
    r: BufReader<Box<dyn Read>>,
    mode: Mode,
    /// The logical end-of-file string (-E).
    eof: Option<Vec<u8>>,
    done: bool,
}

impl Items {
    fn byte(&mut self) -> io::Result<Option<u8>> {
        let buf = self.r.fill_buf()?;
        let Some(&b) = buf.first() else {
            return Ok(None);
        };
        self.r.consume(1);
        Ok(Some(b))
    }

    /// The next item, `None` at the end of input.
    fn next(&mut self) -> Result<Option<Vec<u8>>, String> {
        if self.done {
            return Ok(None);
        }
        let item = match self.mode {
            Mode::Delim(d) => {
                let mut item = Vec::new();
                let n = self
                    .r
                    .read_until(d, &mut item)
                    .map_err(|e| read_error(&e))?;
                if n == 0 {
                    None
                } else {
                    if item.last() == Some(&d) {
                        item.pop();
                    }
                    Some(item)
                }
            }
            Mode::Lines => loop {
                let mut line = Vec::new();
                let n = self
                    .r
                    .read_until(b'\n', &mut line)
                    .map_err(|e| read_error(&e))?;
                if n == 0 {
                    break None;
                }
                let line = text::chomp(&line, b'\n');
                let start = line
                    .iter()
                    .position(|&c| c != b' ' && c != b'\t')
                    .unwrap_or(line.len());
                if start < line.len() {
                    break Some(line[start..].to_vec());
                }
            },
            Mode::Posix => self.posix_item()?,
        };
        match item {
            Some(i) if self.mode != Mode::Delim(0) && self.eof.as_ref() == Some(&i) => {
                self.done = true;
                Ok(None)
            }
            None => {
                self.done = true;
                Ok(None)
            }
            some => Ok(some),
        }
    }

    /// One blank-separated item with quotes and backslashes removed.
    fn posix_item(&mut self) -> Result<Option<Vec<u8>>, String> {
        let mut item = Vec::new();
        let mut started = false;
        loop {
            let Some(c) = self.byte().map_err(|e| read_error(&e))? else {
                return Ok(started.then_some(item));
            };
            match c {
                b' ' | b'\t' | b'\n' => {
                    if started {
                        return Ok(Some(item));
                    }
                }
                b'\'' | b'"' => {
                    started = true;
                    loop {
                        match self.byte().map_err(|e| read_error(&e))? {
                            Some(q) if q == c => break,
                            Some(b'\n') | None => {
                                return Err(format!(
                                    "unmatched {} quote",
                                    if c == b'\'' { "single" } else { "double" }
                                ))
                            }
                            Some(o) => item.push(o),
                        }
                    }
                }
                b'\\' => {
                    started = true;
                    match self.byte().map_err(|e| read_error(&e))? {
                        Some(o) => item.push(o),
                        None => item.push(b'\\'),
                    }
                }
                o => {
                    started = true;
                    item.push(o);
                }
            }
        }
    }
}

fn read_error(e: &io::Error) -> String {
    format!("read error: {}", crate::common::strerror(e))
}

/// The state of one xargs run.
struct Xargs {
    reader: Items,
    cmd: Vec<Vec<u8>>,
    replace: Option<Vec<u8>>,
    max_args: Option<usize>,
    max_size: usize,
    /// -x: a command line that cannot hold -n items (or a -I line) ends
    /// xargs.
    exact: bool,
    trace: bool,
    /// -p: ask on the terminal before each command.
    prompt: bool,
    /// Items come from standard input, so commands get /dev/null there
    /// instead (they would otherwise eat items).
    stdin_is_input: bool,
    no_empty: bool,
    procs: usize,
    /// Children still running, with the program name for messages.
    running: Vec<(Child, Vec<u8>)>,
    /// The program's path found in PATH, once looked up.
    resolved: Option<(Vec<u8>, Option<OsString>)>,
    status: i32,
    /// A child exited with 255 or PROG could not be run: no more commands.
    stop: bool,
}

impl Xargs {
    fn run(&mut self) -> i32 {
        let base: usize = self.cmd.iter().map(|a| a.len() + 1).sum();
        let mut pending: Option<Vec<u8>> = None;
        let mut ran = false;
        while !self.stop {
            let mut items: Vec<Vec<u8>> = Vec::new();
            let mut size = base;
            let mut cut_by_size = false;
            loop {
                if self.max_args.is_some_and(|m| items.len() >= m) {
                    break;
                }
                let item = match pending.take() {
                    Some(i) => i,
                    None => match self.reader.next() {
                        Ok(Some(i)) => i,
                        Ok(None) => break,
                        Err(msg) => {
                            error_msg("xargs", &msg);
                            self.wait_all();
                            return 1;
                        }
                    },
                };
                let len = if let Some(r) = &self.replace {
                    // Every REPL in the command grows by the line.
                    let count: usize = self.cmd.iter().map(|a| count(a, r)).sum();
                    base + count * item.len()
                } else {
                    item.len() + 1
                };
                let total = if self.replace.is_some() {
                    len
                } else {
                    size + len
                };
                if total > self.max_size {
                    if items.is_empty() {
                        error_msg(
                            "xargs",
                            "can't fit single argument within argument list size limit",
                        );
                        self.wait_all();
                        return 1;
                    }
                    pending = Some(item);
                    cut_by_size = true;
                    break;
                }
                size = total;
                items.push(item);
            }
            if items.is_empty() && (ran || self.no_empty || pending.is_some()) {
                break;
            }
            if cut_by_size && self.exact && self.max_args.is_some() {
                error_msg("xargs", "argument list too long");
                self.wait_all();
                return 1;
            }
            let argv = match &self.replace {
                Some(r) => {
                    let line = items.first().cloned().unwrap_or_default();
                    self.cmd.iter().map(|a| replace(a, r, &line)).collect()
                }
                None => {
                    let mut v = self.cmd.clone();
                    v.extend(items);
                    v
                }
            };
            ran = true;
            self.spawn(&argv);
        }
        self.wait_all();
        self.status
    }

    /// Starts one command, first making room if -P children are running.
    fn spawn(&mut self, argv: &[Vec<u8>]) {
        while self.running.len() >= self.procs.max(1) {
            self.wait_one();
        }
        if self.stop {
            return;
        }
        if self.trace {
            let line: Vec<u8> = argv.join(&b' ');
            let mut err = io::stderr().lock();
            let end: &[u8] = if self.prompt { b" ?..." } else { b"\n" };
            let _ = err.write_all(&line).and_then(|()| err.write_all(end));
        }
        if self.prompt && !confirm() {
            return;
        }
        let prog = argv[0].clone();
        let mut cmd = command(&prog, &mut self.resolved);
        cmd.args(argv[1..].iter().map(|a| OsStr::from_bytes(a)));
        if self.stdin_is_input {
            cmd.stdin(std::process::Stdio::null());
        }
        match cmd.spawn() {
            Ok(child) => {
                self.running.push((child, prog));
                if self.procs == 1 {
                    self.wait_one();
                }
            }
            Err(e) => {
                perror("xargs", lossy(OsStr::from_bytes(&prog)), &e);
                self.status = if e.kind() == io::ErrorKind::NotFound {
                    127
                } else {
                    126
                };
                self.stop = true;
            }
        }
    }

    /// Waits for any one child and records how it ended.
    fn wait_one(&mut self) {
        if self.running.is_empty() {
            return;
        }
        let status = match waitpid(Pid::from_raw(-1), None) {
            Ok(s) => s,
            Err(nix::errno::Errno::EINTR) => return,
            Err(_) => {
                // Nothing left to wait for.
                self.running.clear();
                return;
            }
        };
        let (pid, outcome) = match status {
            WaitStatus::Exited(pid, code) => (pid, Ok(code)),
            WaitStatus::Signaled(pid, sig, _) => (pid, Err(sig as i32)),
            _ => return,
        };
        let Some(i) = self
            .running
            .iter()
            .position(|(c, _)| c.id() as i32 == pid.as_raw())
        else {
            return;
        };
        let (_, prog) = self.running.swap_remove(i);
        let name = String::from_utf8_lossy(&prog);
        match outcome {
            Ok(0) => {}
            Ok(255) => {
                error_msg(
                    "xargs",
                    &format!("{name}: exited with status 255; aborting"),
                );
                self.status = 124;
                self.stop = true;
            }
            Ok(_) => {
                if self.status == 0 {
                    self.status = 123;
                }
            }
            Err(sig) => {
                error_msg("xargs", &format!("'{name}' terminated by signal {sig}"));
                self.status = 125;
                self.stop = true;
            }
        }
    }

    fn wait_all(&mut self) {
        while !self.running.is_empty() {
            self.wait_one();
        }
    }
}

/// A `Command` for `prog`, looked up in PATH once and remembered in
/// `cache`: letting execvp(3) search for it would copy a long argument
/// list into the kernel once for every PATH directory that lacks it.
/// argv[0] stays `prog` as given.
pub fn command(prog: &[u8], cache: &mut Option<(Vec<u8>, Option<OsString>)>) -> Command {
    let name = OsStr::from_bytes(prog);
    if cache.as_ref().is_none_or(|(p, _)| p != prog) {
        *cache = Some((prog.to_vec(), search_path(prog)));
    }
    match cache.as_ref().and_then(|(_, path)| path.as_ref()) {
        Some(path) => {
            use std::os::unix::process::CommandExt;
            let mut c = Command::new(path);
            c.arg0(name);
            c
        }
        None => Command::new(name),
    }
}

/// The first executable `PATH/prog`, for a `prog` without a slash.
fn search_path(prog: &[u8]) -> Option<OsString> {
    use std::os::unix::fs::PermissionsExt;
    if prog.is_empty() || prog.contains(&b'/') {
        return None;
    }
    let path = std::env::var_os("PATH")?;
    for dir in path.as_bytes().split(|&c| c == b':') {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let mut cand = dir.to_vec();
        cand.push(b'/');
        cand.extend_from_slice(prog);
        let cand = OsString::from(OsStr::from_bytes(&cand));
        if std::fs::metadata(&cand)
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        {
            return Some(cand);
        }
    }
    None
}

/// Reads the answer to -p's question from the terminal: yes if it starts
/// with `y` or `Y`.
fn confirm() -> bool {
    let Ok(tty) = std::fs::File::open("/dev/tty") else {
        return false;
    };
    let mut line = String::new();
    let _ = BufReader::new(tty).read_line(&mut line);
    line.starts_with(['y', 'Y'])
}

/// How many times `pat` occurs in `s` (non-overlapping).
fn count(s: &[u8], pat: &[u8]) -> usize {
    if pat.is_empty() {
        return 0;
    }
    let mut n = 0;
    let mut i = 0;
    while i + pat.len() <= s.len() {
        if &s[i..i + pat.len()] == pat {
            n += 1;
            i += pat.len();
        } else {
            i += 1;
        }
    }
    n
}

/// `s` with every `pat` replaced by `with`.
fn replace(s: &[u8], pat: &[u8], with: &[u8]) -> Vec<u8> {
    if pat.is_empty() {
        return s.to_vec();
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with(pat) {
            out.extend_from_slice(with);
            i += pat.len();
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(input: &str, mode: Mode, eof: Option<&str>) -> Result<Vec<String>, String> {
        let mut it = Items {
            r: BufReader::new(Box::new(io::Cursor::new(input.as_bytes().to_vec()))),
            mode,
            eof: eof.map(|e| e.as_bytes().to_vec()),
            done: false,
        };
        let mut out = Vec::new();
        while let Some(i) = it.next()? {
            out.push(String::from_utf8(i).unwrap());
        }
        Ok(out)
    }

    #[test]
    fn posix_quoting() {
        assert_eq!(
            items(" a  'b c'\"d\"\\ e\n\tf\\\\", Mode::Posix, None).unwrap(),
            ["a", "b cd e", "f\\"]
        );
        assert_eq!(items("''", Mode::Posix, None).unwrap(), [""]);
        assert_eq!(
            items("a 'b\n", Mode::Posix, None).unwrap_err(),
            "unmatched single quote"
        );
        assert_eq!(
            items("a \"b", Mode::Posix, None).unwrap_err(),
            "unmatched double quote"
        );
        assert_eq!(items("a EOF b", Mode::Posix, Some("EOF")).unwrap(), ["a"]);
    }

    #[test]
    fn other_modes() {
        assert_eq!(
            items("  a b \n\n c\n", Mode::Lines, None).unwrap(),
            ["a b ", "c"]
        );
        assert_eq!(
            items("a\0\0b c", Mode::Delim(0), None).unwrap(),
            ["a", "", "b c"]
        );
        assert_eq!(parse_delim(b"\\n"), Some(b'\n'));
        assert_eq!(parse_delim(b"\\0"), Some(0));
        assert_eq!(parse_delim(b"\\x41"), Some(b'A'));
        assert_eq!(parse_delim(b"ab"), None);
    }

    #[test]
    fn replacing() {
        assert_eq!(replace(b"a{}b{}", b"{}", b"X"), b"aXbX");
        assert_eq!(count(b"{}{}x", b"{}"), 2);
    }
}
