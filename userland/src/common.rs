//! What every applet shares: error messages in BusyBox's style, exit codes,
//! and one option parser, so that no applet parses `argv` by hand.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;

/// Exit status for a failure the applet reports itself.
pub const EXIT_FAILURE: i32 = 1;

/// Prints `applet: msg` on standard error.
pub fn error_msg(applet: &str, msg: &str) {
    eprintln!("{applet}: {msg}");
}

/// Syncs the file systems and asks init to reboot the system (SIGTERM to
/// PID 1, as `reboot` does), for tools that end in a reboot.
pub fn ask_init_to_reboot() -> Result<(), String> {
    nix::unistd::sync();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(1),
        nix::sys::signal::Signal::SIGTERM,
    )
    .map_err(|e| format!("asking init to reboot: {}", e.desc()))
}

/// Prints `applet: what: reason` where `reason` is the system's text for `err`
/// without Rust's " (os error N)" suffix, as C programs print it.
pub fn perror(applet: &str, what: impl std::fmt::Display, err: &io::Error) {
    eprintln!("{applet}: {what}: {}", strerror(err));
}

/// The C library's message for `err` ("No such file or directory").
pub fn strerror(err: &io::Error) -> String {
    match err.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => err.to_string(),
    }
}

/// Shows `s` as text, replacing bytes that are not UTF-8.
pub fn lossy(s: &OsStr) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(s.as_bytes())
}

/// Options and operands of one command line, parsed by [`getopt`].
#[derive(Debug, Default)]
pub struct Parsed {
    /// Options in the order given: the option letter and its argument.
    pub opts: Vec<(char, Option<OsString>)>,
    /// Everything that is not an option, in order.
    pub operands: Vec<OsString>,
}

impl Parsed {
    /// Whether option `c` was given.
    pub fn has(&self, c: char) -> bool {
        self.opts.iter().any(|(o, _)| *o == c)
    }

    /// The argument of the last `-c ARG`.
    pub fn value(&self, c: char) -> Option<&OsStr> {
        self.opts
            .iter()
            .rev()
            .find(|(o, _)| *o == c)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// Why [`getopt`] stopped: the caller returns the contained exit status.
#[derive(Debug, PartialEq, Eq)]
pub struct Exit(pub i32);

/// Parses `args` (with `args[0]` the applet name) POSIX-style.
///
/// `short` lists the option letters; a letter followed by `:` takes an
/// argument (`"pm:"`). `long` maps long names to letters
/// (`&[("parents", 'p')]`); a long option whose letter takes an argument
/// accepts `--name=value` and `--name value`. Options may be grouped (`-la`),
/// `--` ends them, and parsing stops at the first operand (as BusyBox does with
/// POSIXLY_CORRECT) unless `permute` is set. `--help` prints the applet's usage
/// and returns `Exit(0)`; an unknown option prints a BusyBox-style message and
/// the usage, and returns `Exit(1)`.
pub fn getopt(
    args: &[OsString],
    short: &str,
    long: &[(&str, char)],
    permute: bool,
) -> Result<Parsed, Exit> {
    let applet = args
        .first()
        .map(|a| lossy(a).into_owned())
        .unwrap_or_default();
    let takes_arg = |c: char| -> Option<bool> {
        let mut chars = short.chars().peekable();
        while let Some(o) = chars.next() {
            let arg = chars.peek() == Some(&':');
            if arg {
                chars.next();
            }
            if o == c {
                return Some(arg);
            }
        }
        None
    };
    let mut parsed = Parsed::default();
    let mut i = 1;
    let mut only_operands = false;
    while i < args.len() {
        let arg = args[i].as_bytes();
        i += 1;
        if only_operands || arg.len() < 2 || arg[0] != b'-' {
            if !permute {
                only_operands = true;
            }
            parsed.operands.push(OsStr::from_bytes(arg).to_os_string());
            continue;
        }
        if arg == b"--" {
            only_operands = true;
            continue;
        }
        if let Some(body) = arg.strip_prefix(b"--") {
            if body == b"help" {
                print_usage(&applet);
                return Err(Exit(0));
            }
            let (name, inline) = match body.iter().position(|&b| b == b'=') {
                Some(eq) => (&body[..eq], Some(&body[eq + 1..])),
                None => (body, None),
            };
            let Some(&(_, c)) = long.iter().find(|(l, _)| l.as_bytes() == name) else {
                error_msg(
                    &applet,
                    &format!("unrecognized option '--{}'", String::from_utf8_lossy(name)),
                );
                print_usage_brief(&applet);
                return Err(Exit(EXIT_FAILURE));
            };
            if takes_arg(c) == Some(true) {
                let value = match inline {
                    Some(v) => OsStr::from_bytes(v).to_os_string(),
                    None if i < args.len() => {
                        i += 1;
                        args[i - 1].clone()
                    }
                    None => {
                        error_msg(
                            &applet,
                            &format!(
                                "option '--{}' requires an argument",
                                String::from_utf8_lossy(name)
                            ),
                        );
                        print_usage_brief(&applet);
                        return Err(Exit(EXIT_FAILURE));
                    }
                };
                parsed.opts.push((c, Some(value)));
            } else {
                parsed.opts.push((c, None));
            }
            continue;
        }
        // A group of short options: "-la", "-m755", "-m 755".
        let mut j = 1;
        while j < arg.len() {
            let c = arg[j] as char;
            j += 1;
            match takes_arg(c) {
                None => {
                    error_msg(&applet, &format!("invalid option -- '{c}'"));
                    print_usage_brief(&applet);
                    return Err(Exit(EXIT_FAILURE));
                }
                Some(false) => parsed.opts.push((c, None)),
                Some(true) => {
                    let value = if j < arg.len() {
                        OsStr::from_bytes(&arg[j..]).to_os_string()
                    } else if i < args.len() {
                        i += 1;
                        args[i - 1].clone()
                    } else {
                        error_msg(&applet, &format!("option requires an argument -- '{c}'"));
                        print_usage_brief(&applet);
                        return Err(Exit(EXIT_FAILURE));
                    };
                    parsed.opts.push((c, Some(value)));
                    break;
                }
            }
        }
    }
    Ok(parsed)
}

/// Prints the applet's full usage text on standard output (`--help`).
pub fn print_usage(applet: &str) {
    if let Some(a) = crate::applets::find(applet.as_bytes()) {
        println!("Usage: {} {}", a.name, a.usage);
    }
}

/// Prints the applet's usage on standard error after a usage error.
pub fn print_usage_brief(applet: &str) {
    if let Some(a) = crate::applets::find(applet.as_bytes()) {
        eprintln!("Usage: {} {}", a.name, a.usage);
    }
}

/// Reports a usage error (`msg`) with the applet's usage, returning status 1.
pub fn usage_error(applet: &str, msg: &str) -> i32 {
    error_msg(applet, msg);
    print_usage_brief(applet);
    EXIT_FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn groups_arguments_and_operands() {
        let p = getopt(
            &args(&["mkdir", "-pm", "700", "a", "-x"]),
            "pm:",
            &[("parents", 'p')],
            false,
        )
        .unwrap();
        assert!(p.has('p'));
        assert_eq!(p.value('m'), Some(OsStr::new("700")));
        assert_eq!(p.operands, args(&["a", "-x"]));
    }

    #[test]
    fn permutes_and_reads_long_options() {
        let p = getopt(
            &args(&["ls", "a", "--all", "-l", "--", "-b"]),
            "al",
            &[("all", 'a')],
            true,
        )
        .unwrap();
        assert!(p.has('a') && p.has('l'));
        assert_eq!(p.operands, args(&["a", "-b"]));
    }

    #[test]
    fn unknown_option_is_an_error() {
        assert_eq!(
            getopt(&args(&["ls", "-z"]), "al", &[], true).unwrap_err(),
            Exit(1)
        );
        assert_eq!(
            getopt(&args(&["mkdir", "-m"]), "m:", &[], true).unwrap_err(),
            Exit(1)
        );
    }
}
