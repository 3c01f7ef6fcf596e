//! `paste [-s] [-d LIST] [FILE]...`: merge corresponding lines of files
//! (or, with -s, all lines of each file) separated by the delimiters.

use crate::common::{error_msg, getopt, Exit};
use crate::text;
use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::os::unix::ffi::OsStrExt;

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
    let mut inputs: Vec<Option<Box<dyn BufRead>>> = Vec::new();
    for name in text::operands_or_stdin(&p.operands) {
        let input = text::open_or_report("paste", &name);
        if input.is_none() {
            status = 1;
            continue;
        }
        inputs.push(input);
    }
    let mut out = text::stdout();
    let result = if p.has('s') {
        serial(&mut inputs, &delims, &mut out)
    } else {
        parallel(&mut inputs, &delims, &mut out)
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
    inputs: &mut [Option<Box<dyn BufRead>>],
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
                if line(&mut **r, &mut buf) {
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
    inputs: &mut [Option<Box<dyn BufRead>>],
    delims: &[Option<u8>],
    out: &mut impl Write,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    for r in inputs.iter_mut().flatten() {
        let mut n = 0;
        while line(&mut **r, &mut buf) {
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
