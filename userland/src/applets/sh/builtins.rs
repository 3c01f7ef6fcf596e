//! Commands the shell runs itself: those that change its own state (`cd`,
//! `exit`, `export`, ...) and a few cheap ones that save a fork.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use nix::errno::Errno;

use super::exec::{Flow, Shell, Status};
use super::lexer::is_name;
use super::vars::{shell_quote, Var};

/// One builtin.
pub struct Builtin {
    /// Its name.
    pub name: &'static [u8],
    /// Whether it is a POSIX special builtin: assignments before it stay in
    /// the shell.
    pub special: bool,
    /// Runs it with the whole argument vector (`argv[0]` is the name).
    pub run: fn(&mut Shell, &[Vec<u8>]) -> Status,
}

/// The builtins (`exec` is handled by the executor, which needs the
/// command's redirections).
static BUILTINS: &[Builtin] = &[
    Builtin {
        name: b"[",
        special: false,
        run: super::testcmd::test,
    },
    Builtin {
        name: b"command",
        special: false,
        run: command,
    },
    Builtin {
        name: b"printf",
        special: false,
        run: super::printf::printf,
    },
    Builtin {
        name: b"readonly",
        special: true,
        run: readonly,
    },
    Builtin {
        name: b"test",
        special: false,
        run: super::testcmd::test,
    },
    Builtin {
        name: b"type",
        special: false,
        run: type_,
    },
    Builtin {
        name: b"umask",
        special: false,
        run: umask,
    },
    Builtin {
        name: b".",
        special: true,
        run: dot,
    },
    Builtin {
        name: b":",
        special: true,
        run: colon,
    },
    Builtin {
        name: b"break",
        special: true,
        run: break_,
    },
    Builtin {
        name: b"cd",
        special: false,
        run: cd,
    },
    Builtin {
        name: b"continue",
        special: true,
        run: continue_,
    },
    Builtin {
        name: b"echo",
        special: false,
        run: echo,
    },
    Builtin {
        name: b"eval",
        special: true,
        run: eval,
    },
    Builtin {
        name: b"exit",
        special: true,
        run: exit,
    },
    Builtin {
        name: b"export",
        special: true,
        run: export,
    },
    Builtin {
        name: b"false",
        special: false,
        run: false_,
    },
    Builtin {
        name: b"local",
        special: false,
        run: local,
    },
    Builtin {
        name: b"pwd",
        special: false,
        run: pwd,
    },
    Builtin {
        name: b"read",
        special: false,
        run: read,
    },
    Builtin {
        name: b"return",
        special: true,
        run: return_,
    },
    Builtin {
        name: b"set",
        special: true,
        run: set,
    },
    Builtin {
        name: b"shift",
        special: true,
        run: shift,
    },
    Builtin {
        name: b"trap",
        special: true,
        run: trap,
    },
    Builtin {
        name: b"true",
        special: false,
        run: colon,
    },
    Builtin {
        name: b"unset",
        special: true,
        run: unset,
    },
    Builtin {
        name: b"wait",
        special: false,
        run: super::jobs::wait,
    },
    Builtin {
        name: b"bg",
        special: false,
        run: super::jobs::bg,
    },
    Builtin {
        name: b"fg",
        special: false,
        run: super::jobs::fg,
    },
    Builtin {
        name: b"history",
        special: false,
        run: super::history::history,
    },
    Builtin {
        name: b"jobs",
        special: false,
        run: super::jobs::jobs,
    },
    Builtin {
        name: b"kill",
        special: false,
        run: super::jobs::kill,
    },
];

/// The names of all builtins (for completion).
pub fn names() -> impl Iterator<Item = &'static [u8]> {
    BUILTINS
        .iter()
        .map(|b| b.name)
        .chain(std::iter::once(&b"exec"[..]))
}

/// The builtin called `name`.
pub fn find(name: &[u8]) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// Prints `sh: NAME: msg` for builtin `argv[0]`.
fn err(argv: &[Vec<u8>], msg: &str) {
    let name = argv
        .first()
        .map(|n| String::from_utf8_lossy(n))
        .unwrap_or_default();
    eprintln!("sh: {name}: {msg}");
}

/// Writes `data` to standard output; the status is 1 if that fails.
fn out(data: &[u8]) -> i32 {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(data).and_then(|()| stdout.flush()) {
        Ok(()) => 0,
        Err(e) => {
            crate::common::perror("sh", "write error", &e);
            1
        }
    }
}

/// `:` and `true`.
fn colon(_: &mut Shell, _: &[Vec<u8>]) -> Status {
    Ok(0)
}

/// `false`.
fn false_(_: &mut Shell, _: &[Vec<u8>]) -> Status {
    Ok(1)
}

/// `echo`: the `echo` applet, run without a fork.
fn echo(_: &mut Shell, argv: &[Vec<u8>]) -> Status {
    let args: Vec<OsString> = argv.iter().map(|a| OsString::from_vec(a.clone())).collect();
    Ok(crate::applets::echo::main(args))
}

/// The loop count of `break [n]` / `continue [n]`, or the status to
/// return when there is nothing to do.
fn loop_count(sh: &Shell, argv: &[Vec<u8>]) -> Result<u32, i32> {
    let n = match argv.get(1) {
        None => 1,
        Some(s) => match number(s) {
            Some(n) if n > 0 => n as u32,
            _ => {
                err(
                    argv,
                    &format!("Illegal number: {}", String::from_utf8_lossy(s)),
                );
                return Err(2);
            }
        },
    };
    // Outside a loop they do nothing, as in dash.
    if sh.loop_depth == 0 {
        return Err(0);
    }
    Ok(n.min(sh.loop_depth))
}

/// `break [n]`.
fn break_(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    match loop_count(sh, argv) {
        Ok(n) => Err(Flow::Break(n)),
        Err(status) => Ok(status),
    }
}

/// `continue [n]`.
fn continue_(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    match loop_count(sh, argv) {
        Ok(n) => Err(Flow::Continue(n)),
        Err(status) => Ok(status),
    }
}

/// Parses a non-negative decimal number.
fn number(s: &[u8]) -> Option<i32> {
    std::str::from_utf8(s)
        .ok()?
        .parse::<i32>()
        .ok()
        .filter(|n| *n >= 0)
}

/// The status operand of `exit` and `return`: `n` modulo 256, or `$?`
/// when there is none; `None` (reported) when it is not a number.
fn status_operand(sh: &Shell, argv: &[Vec<u8>]) -> Option<i32> {
    let Some(n) = argv.get(1) else {
        return Some(sh.status);
    };
    let status = number(n).map(|n| n & 0xff);
    if status.is_none() {
        err(
            argv,
            &format!("Illegal number: {}", String::from_utf8_lossy(n)),
        );
    }
    status
}

/// `exit [n]`: leaves the shell with `n`, or with `$?` by default. With
/// stopped jobs, an interactive shell first only warns, as ash does.
fn exit(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    if sh.stopped_jobs_warning() {
        return Ok(1);
    }
    Err(Flow::Exit(status_operand(sh, argv).unwrap_or(2)))
}

/// Removes `.` and `..` components from an absolute path without looking at
/// the file system, as `cd` does by default (logical paths, POSIX `-L`).
fn normalize(path: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for comp in path.split(|&c| c == b'/') {
        match comp {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = Vec::with_capacity(path.len());
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// The current directory as the shell reports it: `$PWD` while it still
/// names the directory we are in, otherwise what the kernel says.
pub fn current_dir(sh: &Shell) -> Vec<u8> {
    use std::os::unix::fs::MetadataExt;
    if let Some(pwd) = sh.vars.get(b"PWD") {
        if pwd.first() == Some(&b'/') {
            let a = std::fs::metadata(std::ffi::OsStr::from_bytes(pwd));
            let b = std::fs::metadata(".");
            if let (Ok(a), Ok(b)) = (a, b) {
                if a.dev() == b.dev() && a.ino() == b.ino() {
                    return pwd.to_vec();
                }
            }
        }
    }
    nix::unistd::getcwd()
        .map(|p| p.into_os_string().into_vec())
        .unwrap_or_default()
}

/// `cd [-L|-P] [DIR|-]`: changes directory and sets `PWD` and `OLDPWD`.
fn cd(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    let mut args = &argv[1..];
    let mut physical = false;
    while let Some(a) = args.first() {
        match a.as_slice() {
            b"-L" => physical = false,
            b"-P" => physical = true,
            b"--" => {
                args = &args[1..];
                break;
            }
            _ => break,
        }
        args = &args[1..];
    }
    let mut print = false;
    let target = match args.first().map(Vec::as_slice) {
        None => match sh.vars.get(b"HOME") {
            Some(h) => h.to_vec(),
            None => {
                err(argv, "HOME not set");
                return Ok(1);
            }
        },
        Some(b"-") => match sh.vars.get(b"OLDPWD") {
            Some(o) => {
                print = true;
                o.to_vec()
            }
            None => {
                err(argv, "OLDPWD not set");
                return Ok(1);
            }
        },
        Some(d) => d.to_vec(),
    };
    let old = current_dir(sh);
    let logical = if target.first() == Some(&b'/') {
        normalize(&target)
    } else {
        let mut p = old.clone();
        p.push(b'/');
        p.extend_from_slice(&target);
        normalize(&p)
    };
    let new = if !physical && nix::unistd::chdir(std::ffi::OsStr::from_bytes(&logical)).is_ok() {
        logical
    } else {
        if let Err(e) = nix::unistd::chdir(std::ffi::OsStr::from_bytes(&target)) {
            err(
                argv,
                &format!(
                    "can't cd to {}: {}",
                    String::from_utf8_lossy(&target),
                    e.desc()
                ),
            );
            return Ok(1);
        }
        nix::unistd::getcwd()
            .map(|p| p.into_os_string().into_vec())
            .unwrap_or(target)
    };
    sh.vars.set(b"OLDPWD", old);
    sh.vars.set(b"PWD", new.clone());
    if print {
        let mut line = new;
        line.push(b'\n');
        return Ok(out(&line));
    }
    Ok(0)
}

/// `pwd [-L|-P]`.
fn pwd(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    let mut dir = if argv.iter().skip(1).any(|a| a == b"-P") {
        nix::unistd::getcwd()
            .map(|p| p.into_os_string().into_vec())
            .unwrap_or_default()
    } else {
        current_dir(sh)
    };
    if dir.is_empty() {
        err(argv, "can't get current directory");
        return Ok(1);
    }
    dir.push(b'\n');
    Ok(out(&dir))
}

/// `export [-p] [NAME[=VALUE]]...`.
fn export(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    give_attribute(sh, argv, Attribute::Export)
}

/// `readonly [-p] [NAME[=VALUE]]...`: with no names, lists them.
fn readonly(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    give_attribute(sh, argv, Attribute::Readonly)
}

/// Splits a `NAME[=VALUE]` operand of `export`, `readonly` or `local`;
/// reports a NAME that is not a valid name, and gives `None` for it.
fn assignment<'a>(argv: &[Vec<u8>], a: &'a [u8]) -> Option<(&'a [u8], Option<&'a [u8]>)> {
    let (name, value) = match a.iter().position(|&c| c == b'=') {
        Some(eq) => (&a[..eq], Some(&a[eq + 1..])),
        None => (a, None),
    };
    if !is_name(name) {
        err(
            argv,
            &format!("{}: bad variable name", String::from_utf8_lossy(name)),
        );
        return None;
    }
    Some((name, value))
}

/// What `export` and `readonly` give a variable.
#[derive(Clone, Copy)]
enum Attribute {
    Export,
    Readonly,
}

/// `export` or `readonly`: gives each NAME the attribute, after assigning
/// its VALUE; with no names, lists the variables that have it, as commands
/// that would give it again.
fn give_attribute(sh: &mut Shell, argv: &[Vec<u8>], attr: Attribute) -> Status {
    let (command, has): (&[u8], fn(&Var) -> bool) = match attr {
        Attribute::Export => (b"export ", |v| v.exported),
        Attribute::Readonly => (b"readonly ", |v| v.readonly),
    };
    let args: Vec<&Vec<u8>> = argv[1..].iter().filter(|a| a.as_slice() != b"-p").collect();
    if args.is_empty() {
        let mut text = Vec::new();
        for (name, var) in sh.vars.iter().filter(|(_, v)| has(v)) {
            text.extend_from_slice(command);
            text.extend_from_slice(name);
            if let Some(v) = &var.value {
                text.push(b'=');
                text.extend_from_slice(&shell_quote(v));
            }
            text.push(b'\n');
        }
        return Ok(out(&text));
    }
    let mut status = 0;
    for a in args {
        let Some((name, value)) = assignment(argv, a) else {
            status = 1;
            continue;
        };
        if let Some(v) = value {
            if sh.vars.is_readonly(name) {
                err(
                    argv,
                    &format!("{}: is read only", String::from_utf8_lossy(name)),
                );
                status = 1;
                continue;
            }
            sh.vars.set(name, v.to_vec());
        }
        match attr {
            Attribute::Export => sh.vars.export(name),
            Attribute::Readonly => sh.vars.set_readonly(name),
        }
    }
    Ok(status)
}

/// Reserved words, for `type` and `command -v`.
const KEYWORDS: &[&[u8]] = &[
    b"!", b"{", b"}", b"case", b"do", b"done", b"elif", b"else", b"esac", b"fi", b"for", b"if",
    b"in", b"then", b"until", b"while",
];

/// What `name` runs as: `(path or name, description)`, or `None` when it
/// is not found.
fn lookup(sh: &Shell, name: &[u8]) -> Option<(Vec<u8>, &'static str)> {
    if KEYWORDS.contains(&name) {
        return Some((name.to_vec(), "a shell keyword"));
    }
    if sh.functions.contains_key(name) {
        return Some((name.to_vec(), "a function"));
    }
    if find(name).is_some() || name == b"exec" {
        return Some((name.to_vec(), "a shell builtin"));
    }
    let executable = |p: &[u8]| {
        let p = std::ffi::OsStr::from_bytes(p);
        std::fs::metadata(p).is_ok_and(|m| m.is_file())
            && nix::unistd::access(p, nix::unistd::AccessFlags::X_OK).is_ok()
    };
    if name.contains(&b'/') {
        return executable(name).then(|| (name.to_vec(), ""));
    }
    sh.path_candidates(name)
        .into_iter()
        .find(|full| executable(full))
        .map(|full| (full, ""))
}

/// Describes each name as `type` (`verbose`) or `command -v` does; the
/// status is 1 if one was not found.
fn describe(sh: &Shell, argv: &[Vec<u8>], names: &[Vec<u8>], verbose: bool) -> Status {
    let mut text = Vec::new();
    let mut status = 0;
    for name in names {
        match lookup(sh, name) {
            Some((path, what)) => {
                if verbose {
                    text.extend_from_slice(name);
                    text.extend_from_slice(b" is ");
                    text.extend_from_slice(if what.is_empty() {
                        &path
                    } else {
                        what.as_bytes()
                    });
                } else {
                    text.extend_from_slice(&path);
                }
                text.push(b'\n');
            }
            None => {
                if verbose {
                    err(
                        argv,
                        &format!("{}: not found", String::from_utf8_lossy(name)),
                    );
                }
                status = 1;
            }
        }
    }
    let written = out(&text);
    Ok(if status != 0 { status } else { written })
}

/// `type NAME...`.
fn type_(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    describe(sh, argv, &argv[1..], true)
}

/// `command [-p] [-v|-V] NAME [ARG...]`: describes NAME, or runs it as a
/// builtin or program, bypassing functions.
fn command(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    let mut i = 1;
    let mut mode = None;
    while let Some(a) = argv.get(i) {
        match a.as_slice() {
            b"-p" => {}
            b"-v" => mode = Some(false),
            b"-V" => mode = Some(true),
            b"--" => {
                i += 1;
                break;
            }
            _ => break,
        }
        i += 1;
    }
    let rest = &argv[i..];
    if let Some(verbose) = mode {
        return describe(sh, argv, rest, verbose);
    }
    if rest.is_empty() {
        return Ok(0);
    }
    match find(&rest[0]) {
        Some(b) => (b.run)(sh, rest),
        None => sh.run_program(rest),
    }
}

/// The permission bits `who` (a mask of u/g/o) and `perms` (`rwx`) select.
fn mode_bits(who: u32, perms: &[u8]) -> u32 {
    let mut bits = 0;
    for p in perms {
        bits |= match p {
            b'r' => 0o444,
            b'w' => 0o222,
            b'x' => 0o111,
            _ => 0,
        };
    }
    bits & who
}

/// `umask [-S] [MODE]`: prints the file creation mask (octal, or with
/// `-S` symbolically as the permissions it allows), or sets it from an
/// octal or symbolic (`u=rwx,g+r,o-w`) mode.
fn umask(_: &mut Shell, argv: &[Vec<u8>]) -> Status {
    use nix::sys::stat::{umask, Mode};
    let symbolic = argv.get(1).is_some_and(|a| a == b"-S");
    let args = &argv[1 + usize::from(symbolic)..];
    let old = umask(Mode::empty());
    umask(old);
    let mask = old.bits() as u32;
    let Some(spec) = args.first() else {
        let text = if symbolic {
            let allowed = !mask & 0o777;
            let part = |shift: u32| {
                let b = (allowed >> shift) & 7;
                let mut s = String::new();
                for (bit, c) in [(4, 'r'), (2, 'w'), (1, 'x')] {
                    if b & bit != 0 {
                        s.push(c);
                    }
                }
                s
            };
            format!("u={},g={},o={}\n", part(6), part(3), part(0))
        } else {
            format!("{mask:04o}\n")
        };
        return Ok(out(text.as_bytes()));
    };
    let bad = || {
        err(
            argv,
            &format!("{}: invalid mode", String::from_utf8_lossy(spec)),
        );
        Ok(1)
    };
    let new = if spec.iter().all(|c| (b'0'..=b'7').contains(c)) {
        match u32::from_str_radix(std::str::from_utf8(spec).unwrap_or(""), 8) {
            Ok(m) if m <= 0o777 => m,
            _ => return bad(),
        }
    } else {
        // Symbolic modes describe the permissions allowed, the complement
        // of the mask.
        let mut allowed = !mask & 0o777;
        for clause in spec.split(|&c| c == b',') {
            let who_len = clause
                .iter()
                .take_while(|c| matches!(c, b'u' | b'g' | b'o' | b'a'))
                .count();
            let mut who = 0;
            for c in &clause[..who_len] {
                who |= match c {
                    b'u' => 0o700,
                    b'g' => 0o070,
                    b'o' => 0o007,
                    _ => 0o777,
                };
            }
            if who == 0 {
                who = 0o777;
            }
            let (Some(&op), perms) = (
                clause.get(who_len),
                clause.get(who_len + 1..).unwrap_or(&[]),
            ) else {
                return bad();
            };
            if !perms.iter().all(|c| matches!(c, b'r' | b'w' | b'x')) {
                return bad();
            }
            let bits = mode_bits(who, perms);
            match op {
                b'=' => allowed = (allowed & !who) | bits,
                b'+' => allowed |= bits,
                b'-' => allowed &= !bits,
                _ => return bad(),
            }
        }
        !allowed & 0o777
    };
    umask(Mode::from_bits_truncate(new as nix::libc::mode_t));
    Ok(0)
}

/// `unset [-v|-f] NAME...`.
fn unset(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    let mut functions = false;
    for a in &argv[1..] {
        match a.as_slice() {
            b"-f" => functions = true,
            b"-v" => functions = false,
            name if functions => {
                sh.functions.remove(name);
            }
            name if sh.vars.is_readonly(name) => {
                err(
                    argv,
                    &format!("{}: is read only", String::from_utf8_lossy(name)),
                );
                return Ok(1);
            }
            name => sh.vars.unset(name),
        }
    }
    Ok(0)
}

/// `return [n]`: leaves the function with `n`, or with `$?`.
fn return_(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    match status_operand(sh, argv) {
        Some(n) => Err(Flow::Return(n)),
        None => Ok(2),
    }
}

/// `local NAME[=VALUE]...`: makes variables local to the running function;
/// without a value a variable keeps the value it had, as in ash.
fn local(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    let Some(frame) = sh.locals.last() else {
        err(argv, "not in a function");
        return Ok(2);
    };
    let mut frame_names: Vec<Vec<u8>> = frame.iter().map(|(n, _)| n.clone()).collect();
    let mut status = 0;
    for a in &argv[1..] {
        let Some((name, value)) = assignment(argv, a) else {
            status = 1;
            continue;
        };
        // Only the first `local` of a name in a call saves the outer value.
        if !frame_names.iter().any(|n| n == name) {
            let saved = sh.vars.entry(name);
            if let Some(frame) = sh.locals.last_mut() {
                frame.push((name.to_vec(), saved));
            }
            frame_names.push(name.to_vec());
        }
        if let Some(v) = value {
            sh.vars.set(name, v.to_vec());
        }
    }
    Ok(status)
}

/// The trap slot of a signal given by number, by name with or without
/// `SIG` (any case), or `EXIT`; `None` if there is no such signal.
pub fn signal_slot(s: &[u8]) -> Option<usize> {
    let s = std::str::from_utf8(s).ok()?;
    if let Ok(n) = s.parse::<usize>() {
        return (n == 0 || nix::sys::signal::Signal::try_from(n as i32).is_ok()).then_some(n);
    }
    let upper = s.to_ascii_uppercase();
    if upper == "EXIT" {
        return Some(0);
    }
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    name.parse::<nix::sys::signal::Signal>()
        .ok()
        .map(|sig| sig as usize)
}

/// The name of trap slot `n` as `trap` prints it: `EXIT` or the signal
/// name without `SIG`.
fn slot_name(n: usize) -> String {
    if n == 0 {
        return "EXIT".into();
    }
    nix::sys::signal::Signal::try_from(n as i32)
        .map(|s| s.as_str().trim_start_matches("SIG").to_string())
        .unwrap_or_else(|_| n.to_string())
}

/// `trap [ACTION SIGNAL...]`: with ACTION `-` the signals get their default
/// back, with `''` they are ignored (in children too), otherwise ACTION
/// runs when they arrive; `EXIT` (0) runs when the shell exits. A first
/// operand that is a number means all operands are signals to reset.
fn trap(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let mut args = &argv[1..];
    if args.first().is_some_and(|a| a == b"--") {
        args = &args[1..];
    }
    let Some(first) = args.first() else {
        let mut text = Vec::new();
        for (n, t) in sh.traps.iter().enumerate() {
            if let Some(action) = t {
                text.extend_from_slice(b"trap -- ");
                text.extend_from_slice(&shell_quote(action));
                text.push(b' ');
                text.extend_from_slice(slot_name(n).as_bytes());
                text.push(b'\n');
            }
        }
        return Ok(out(&text));
    };
    let (action, sigs) = if number(first).is_some() || args.len() == 1 {
        (None, args)
    } else if first == b"-" {
        (None, &args[1..])
    } else {
        (Some(first.clone()), &args[1..])
    };
    let mut status = 0;
    for s in sigs {
        let Some(n) = signal_slot(s) else {
            err(argv, &format!("{}: bad trap", String::from_utf8_lossy(s)));
            status = 1;
            continue;
        };
        if n != 0 {
            let Ok(sig) = Signal::try_from(n as i32) else {
                continue;
            };
            let handler = match &action {
                None if sh.interactive => super::interactive_handler(sig),
                None => SigHandler::SigDfl,
                Some(a) if a.is_empty() => SigHandler::SigIgn,
                Some(_) => SigHandler::Handler(super::exec::on_trap),
            };
            // SA_RESTART: a trap runs between commands, so system calls in
            // progress need not fail. The interactive SIGINT handler is the
            // exception: it must interrupt the read of the command line.
            let flags = if action.is_none() && sh.interactive {
                SaFlags::empty()
            } else {
                SaFlags::SA_RESTART
            };
            let sa = SigAction::new(handler, flags, SigSet::empty());
            // SAFETY: the handler only stores to atomics.
            if matches!(sig, Signal::SIGKILL | Signal::SIGSTOP)
                || unsafe { sigaction(sig, &sa) }.is_err()
            {
                err(argv, &format!("{}: bad trap", String::from_utf8_lossy(s)));
                status = 1;
                continue;
            }
        }
        sh.traps[n] = action.clone();
    }
    Ok(status)
}

/// `set [-exuC] [+exuC] [--] [ARG...]`: options, positional parameters, or
/// with no arguments the list of variables.
fn set(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    if argv.len() == 1 {
        let mut text = Vec::new();
        for (name, var) in sh.vars.iter() {
            if let Some(v) = &var.value {
                text.extend_from_slice(name);
                text.push(b'=');
                text.extend_from_slice(&shell_quote(v));
                text.push(b'\n');
            }
        }
        return Ok(out(&text));
    }
    let mut i = 1;
    let mut set_params = false;
    while i < argv.len() {
        let a = &argv[i];
        if a == b"--" {
            i += 1;
            set_params = true;
            break;
        }
        let on = match a.first() {
            Some(b'-') => true,
            Some(b'+') => false,
            _ => break,
        };
        if a.len() == 1 {
            // `set -` ends the options, like `--`, and turns off -x.
            i += 1;
            sh.opts.xtrace = false;
            set_params = true;
            break;
        }
        for &c in &a[1..] {
            match c {
                b'e' => sh.opts.errexit = on,
                b'x' => sh.opts.xtrace = on,
                b'u' => sh.opts.nounset = on,
                b'C' => sh.opts.noclobber = on,
                b'f' => sh.opts.noglob = on,
                _ => {
                    err(
                        argv,
                        &format!("illegal option {}{}", if on { '-' } else { '+' }, c as char),
                    );
                    return Ok(2);
                }
            }
        }
        i += 1;
    }
    if set_params || i < argv.len() {
        sh.positional = argv[i..].to_vec();
    }
    Ok(0)
}

/// `shift [n]`.
fn shift(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    let n = match argv.get(1) {
        None => 1,
        Some(s) => match number(s) {
            Some(n) => n as usize,
            None => {
                err(
                    argv,
                    &format!("Illegal number: {}", String::from_utf8_lossy(s)),
                );
                return Ok(2);
            }
        },
    };
    if n > sh.positional.len() {
        err(argv, "can't shift that many");
        return Ok(1);
    }
    sh.positional.drain(..n);
    Ok(0)
}

/// `read [-r] [NAME...]`: reads one line from standard input a byte at a
/// time (so input meant for later commands stays unread) and splits it into
/// the variables by IFS, the last one taking the rest of the line.
fn read(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    let mut raw = false;
    let mut names: Vec<&[u8]> = Vec::new();
    for a in &argv[1..] {
        match a.as_slice() {
            b"-r" if names.is_empty() => raw = true,
            n => {
                if !is_name(n) {
                    err(
                        argv,
                        &format!("{}: bad variable name", String::from_utf8_lossy(n)),
                    );
                    return Ok(2);
                }
                names.push(n);
            }
        }
    }
    if names.is_empty() {
        names.push(b"REPLY");
    }
    // The line, with a flag per byte telling whether a backslash protected
    // it from splitting.
    let mut line: Vec<(u8, bool)> = Vec::new();
    let mut eof = false;
    let mut escaped = false;
    loop {
        let mut b = [0u8];
        match nix::unistd::read(0, &mut b) {
            Ok(0) => {
                eof = true;
                break;
            }
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            Err(e) => {
                err(argv, e.desc());
                return Ok(1);
            }
        }
        let c = b[0];
        if escaped {
            escaped = false;
            if c != b'\n' {
                line.push((c, true));
            }
            continue;
        }
        if c == b'\n' {
            break;
        }
        if c == b'\\' && !raw {
            escaped = true;
            continue;
        }
        line.push((c, false));
    }
    let ifs = sh.vars.get(b"IFS").unwrap_or(b" \t\n").to_vec();
    let is_ifs = |&(c, esc): &(u8, bool)| !esc && ifs.contains(&c);
    let is_ws =
        |&(c, esc): &(u8, bool)| !esc && ifs.contains(&c) && matches!(c, b' ' | b'\t' | b'\n');
    let mut i = 0;
    while i < line.len() && is_ws(&line[i]) {
        i += 1;
    }
    for (n, name) in names.iter().enumerate() {
        let value: Vec<u8> = if n + 1 == names.len() {
            let mut end = line.len();
            while end > i && is_ws(&line[end - 1]) {
                end -= 1;
            }
            line[i.min(end)..end].iter().map(|&(c, _)| c).collect()
        } else {
            let start = i;
            while i < line.len() && !is_ifs(&line[i]) {
                i += 1;
            }
            let v = line[start..i].iter().map(|&(c, _)| c).collect();
            // Skip one delimiter: white space around at most one other
            // separator.
            while i < line.len() && is_ws(&line[i]) {
                i += 1;
            }
            if i < line.len() && is_ifs(&line[i]) {
                i += 1;
                while i < line.len() && is_ws(&line[i]) {
                    i += 1;
                }
            }
            v
        };
        sh.vars.set(name, value);
    }
    Ok(if eof { 1 } else { 0 })
}

/// `eval [ARG...]`: runs the arguments, joined by spaces, as commands.
fn eval(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    let src = argv[1..].join(&b' ');
    sh.status = 0;
    sh.run_source(&src)
}

/// `. FILE`: runs the commands in FILE in this shell.
fn dot(sh: &mut Shell, argv: &[Vec<u8>]) -> Status {
    let Some(file) = argv.get(1) else {
        err(argv, "filename argument required");
        return Ok(2);
    };
    // A name without a slash is searched for in PATH, as POSIX says.
    let candidates = if file.contains(&b'/') {
        vec![file.clone()]
    } else {
        sh.path_candidates(file)
    };
    for c in &candidates {
        if let Ok(src) = std::fs::read(std::ffi::OsStr::from_bytes(c)) {
            sh.status = 0;
            // `return` ends the script being read.
            return match sh.run_source(&src) {
                Err(Flow::Return(n)) => Ok(n),
                r => r,
            };
        }
    }
    err(
        argv,
        &format!("can't open '{}'", String::from_utf8_lossy(file)),
    );
    if sh.interactive {
        Ok(2)
    } else {
        Err(Flow::Exit(2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_paths() {
        assert_eq!(normalize(b"/a/./b/../c//d/"), b"/a/c/d");
        assert_eq!(normalize(b"/.."), b"/");
        assert_eq!(normalize(b"/"), b"/");
    }

    #[test]
    fn table_is_complete() {
        for name in [
            &b"cd"[..],
            b"exit",
            b"export",
            b"unset",
            b":",
            b"wait",
            b"pwd",
            b"set",
            b"[",
            b"test",
            b"printf",
            b"trap",
            b"local",
            b"return",
            b"type",
            b"command",
            b"readonly",
            b"umask",
        ] {
            assert!(find(name).is_some(), "{}", String::from_utf8_lossy(name));
        }
        assert!(find(b"ls").is_none());
    }
}
