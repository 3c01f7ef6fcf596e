//! `paste [-s] [-d LIST] [FILE]...`: merge corresponding lines of files
//! (or, with -s, all lines of each file) separated by the delimiters.

use crate::common::{error_msg, getopt, Exit};
use crate::text;
use std::ffi::OsString;
use std::io::{self, BufRead, Write};
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[-d LIST] [-s] [FILE]...\n\nPaste lines from each input file, separated with tab\n\n\t-d LIST\tUse delimiters from LIST, not tab\n\t-s\tSerial: one file at a time";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "d:s", &[("delimiters", 'd'), ("serial", 's')], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let delims: Vec<Option<u8>> = match p.value('d') {
        Some(d) => match parse_delims(d.as_bytes()) {
            Some(d) => d,
            None => {
                error_msg("paste", "delimiter list ends with an unescaped backslash");
                return 1;
            }
        },
        None => vec![Some(b'\t')],
    };
    let mut status = 0;
    let mut inputs: Vec<Option<Source>> = Vec::new();
    for name in text::operands_or_stdin(&p.operands) {
        if text::is_stdin(&name) {
            inputs.push(Some(Source::Stdin));
            continue;
        }
        match text::open_or_report("paste", &name) {
            Some(r) => inputs.push(Some(Source::File(r))),
            None => status = 1,
        }
    }
    // Every `-` reads from the one standard input, line by line in turn.
    let mut stdin = io::BufReader::with_capacity(text::BUF_SIZE, io::stdin());
    let mut lines = Lines { stdin: &mut stdin };
    let mut out = text::stdout();
    let result = if p.has('s') {
        serial(&mut inputs, &mut lines, &delims, &mut out)
    } else {
        parallel(&mut inputs, &mut lines, &delims, &mut out)
    };
    if let Err(e) = result {
        return text::write_failed("paste", &e);
    }
    text::finish("paste", &mut out, status)
}

/// The -d list with `\n \t \\ \0` (empty) escapes; `None` stands for no
/// delimiter at all.
fn parse_delims(s: &[u8]) -> Option<Vec<Option<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\' {
            i += 1;
            out.push(match *s.get(i)? {
                b'n' => Some(b'\n'),
                b't' => Some(b'\t'),
                b'0' => None,
                c => Some(c),
            });
        } else {
            out.push(Some(s[i]));
        }
        i += 1;
    }
    if out.is_empty() {
        out.push(None);
    }
    Some(out)
}

/// An input: a file of its own or the shared standard input.
enum Source {
    Stdin,
    File(Box<dyn BufRead>),
}

/// Reads lines from a [`Source`].
struct Lines<'a> {
    stdin: &'a mut dyn BufRead,
}

impl Lines<'_> {
    /// Reads one line of `src` without its newline; false at end of input.
    fn next(&mut self, src: &mut Source, buf: &mut Vec<u8>) -> bool {
        match src {
            Source::Stdin => line(self.stdin, buf),
            Source::File(r) => line(&mut **r, buf),
        }
    }
}

/// Reads one line without its newline; false at end of input.
fn line(r: &mut dyn BufRead, buf: &mut Vec<u8>) -> bool {
    match text::read_record(r, b'\n', buf) {
        Ok(true) => {
            if buf.last() == Some(&b'\n') {
                buf.pop();
            }
            true
        }
        _ => false,
    }
}

/// One output line per input line number, until all inputs are done.
fn parallel(
    inputs: &mut [Option<Source>],
    lines: &mut Lines,
    delims: &[Option<u8>],
    out: &mut impl Write,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut row = Vec::new();
    loop {
        row.clear();
        let mut any = false;
        for (i, input) in inputs.iter_mut().enumerate() {
            if i > 0 {
                if let Some(d) = delims[(i - 1) % delims.len()] {
                    row.push(d);
                }
            }
            if let Some(r) = input {
                if lines.next(r, &mut buf) {
                    any = true;
                    row.extend_from_slice(&buf);
                } else {
                    *input = None;
                }
            }
        }
        if !any {
            return Ok(());
        }
        row.push(b'\n');
        out.write_all(&row)?;
    }
}

/// Each input's lines joined into one output line.
fn serial(
    inputs: &mut [Option<Source>],
    lines: &mut Lines,
    delims: &[Option<u8>],
    out: &mut impl Write,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    for r in inputs.iter_mut().flatten() {
        let mut n = 0;
        while lines.next(r, &mut buf) {
            if n > 0 {
                if let Some(d) = delims[(n - 1) % delims.len()] {
                    out.write_all(&[d])?;
                }
            }
            out.write_all(&buf)?;
            n += 1;
        }
        out.write_all(b"\n")?;
    }
    Ok(())
}
