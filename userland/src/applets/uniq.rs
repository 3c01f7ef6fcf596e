//! `uniq [-cdui] [-f N] [-s N] [-w N] [INPUT [OUTPUT]]`: drop (or report)
//! repeated adjacent lines.

use crate::common::{getopt, usage_error, Exit};
use crate::text;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Write};

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[-cduiz] [-f,s,w N] [FILE [OUTFILE]]\n\nDiscard duplicate lines\n\n\t-c\tPrefix lines by the number of occurrences\n\t-d\tOnly print duplicate lines\n\t-u\tOnly print unique lines\n\t-i\tIgnore case\n\t-z\tNUL terminated output\n\t-f N\tSkip first N fields\n\t-s N\tSkip first N chars (after any skipped fields)\n\t-w N\tCompare N characters in line";

/// How lines are compared.
struct Key {
    fields: usize,
    chars: usize,
    width: Option<usize>,
    nocase: bool,
}

impl Key {
    /// The part of `line` (newline removed) that is compared.
    fn part<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        let mut i = 0;
        for _ in 0..self.fields {
            if i >= line.len() {
                break;
            }
            while i < line.len() && (line[i] == b' ' || line[i] == b'\t') {
                i += 1;
            }
            while i < line.len() && line[i] != b' ' && line[i] != b'\t' {
                i += 1;
            }
        }
        let s = &line[i.saturating_add(self.chars).min(line.len())..];
        match self.width {
            Some(w) => &s[..w.min(s.len())],
            None => s,
        }
    }

    /// Whether two lines count as equal.
    fn same(&self, a: &[u8], b: &[u8]) -> bool {
        let (a, b) = (self.part(a), self.part(b));
        if self.nocase {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    }
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "cduizf:s:w:",
        &[
            ("count", 'c'),
            ("repeated", 'd'),
            ("unique", 'u'),
            ("ignore-case", 'i'),
            ("zero-terminated", 'z'),
            ("skip-fields", 'f'),
            ("skip-chars", 's'),
            ("check-chars", 'w'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let num = |c: char| -> Result<Option<usize>, ()> {
        match p.value(c) {
            Some(v) => text::parse_num::<usize>("uniq", v).map(Some).ok_or(()),
            None => Ok(None),
        }
    };
    let (Ok(fields), Ok(chars), Ok(width)) = (num('f'), num('s'), num('w')) else {
        return 1;
    };
    let key = Key {
        fields: fields.unwrap_or(0),
        chars: chars.unwrap_or(0),
        width,
        nocase: p.has('i'),
    };
    if p.operands.len() > 2 {
        return usage_error(
            "uniq",
            &format!("extra operand '{}'", p.operands[2].to_string_lossy()),
        );
    }
    let delim = if p.has('z') { 0 } else { b'\n' };
    let input_name = p
        .operands
        .first()
        .cloned()
        .unwrap_or_else(|| OsString::from("-"));
    let Some(mut input) = text::open_or_report("uniq", &input_name) else {
        return 1;
    };
    let mut out: Box<dyn Write> = match p.operands.get(1) {
        Some(name) if !text::is_stdin(name) => match File::create(name) {
            Ok(f) => Box::new(BufWriter::with_capacity(text::BUF_SIZE, f)),
            Err(e) => {
                text::report_open("uniq", name, &e);
                return 1;
            }
        },
        _ => Box::new(text::stdout()),
    };
    let (count, dups, uniques) = (p.has('c'), p.has('d'), p.has('u'));
    let mut prev: Vec<u8> = Vec::new();
    let mut have_prev = false;
    let mut n: u64 = 0;
    let mut line = Vec::new();
    let mut status = 0;
    let emit = |out: &mut dyn Write, line: &[u8], n: u64| -> io::Result<()> {
        if (dups && n == 1) || (uniques && n > 1) {
            return Ok(());
        }
        if count {
            write!(out, "{n:7} ")?;
        }
        out.write_all(line)?;
        out.write_all(&[delim])
    };
    loop {
        match text::read_record(&mut *input, delim, &mut line) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                text::report_read("uniq", &input_name, &e);
                status = 1;
                break;
            }
        }
        if line.last() == Some(&delim) {
            line.pop();
        }
        if have_prev && key.same(&prev, &line) {
            n += 1;
            continue;
        }
        if have_prev {
            if let Err(e) = emit(&mut *out, &prev, n) {
                return text::write_failed("uniq", &e);
            }
        }
        std::mem::swap(&mut prev, &mut line);
        have_prev = true;
        n = 1;
    }
    if have_prev {
        if let Err(e) = emit(&mut *out, &prev, n) {
            return text::write_failed("uniq", &e);
        }
    }
    text::finish("uniq", &mut out, status)
}
