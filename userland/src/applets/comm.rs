//! `comm [-123] FILE1 FILE2`: compare two sorted files line by line, in
//! three columns: lines only in FILE1, only in FILE2, and in both.

use crate::common::{getopt, usage_error, Exit};
use crate::text;
use std::ffi::OsString;
use std::io::{BufRead, Write};

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[-123] FILE1 FILE2\n\nCompare FILE1 with FILE2\n\n\t-1\tSuppress lines unique to FILE1\n\t-2\tSuppress lines unique to FILE2\n\t-3\tSuppress lines common to both files";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "123", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.len() != 2 {
        return usage_error(
            "comm",
            if p.operands.len() < 2 {
                "missing operand"
            } else {
                "extra operand"
            },
        );
    }
    let show = [!p.has('1'), !p.has('2'), !p.has('3')];
    let mut inputs: Vec<Box<dyn BufRead>> = Vec::new();
    for name in &p.operands {
        match text::open_or_report("comm", name) {
            Some(r) => inputs.push(r),
            None => return 1,
        }
    }
    let mut out = text::stdout();
    let mut lines = [Vec::new(), Vec::new()];
    let mut have = [false, false];
    for i in 0..2 {
        have[i] = next(&mut *inputs[i], &mut lines[i]);
    }
    // Column prefixes: one tab for each shown column to the left.
    let prefix =
        |col: usize| -> Vec<u8> { vec![b'\t'; show[..col].iter().filter(|&&s| s).count()] };
    loop {
        let col = match (have[0], have[1]) {
            (false, false) => break,
            (true, false) => 0,
            (false, true) => 1,
            (true, true) => match lines[0].cmp(&lines[1]) {
                std::cmp::Ordering::Less => 0,
                std::cmp::Ordering::Greater => 1,
                std::cmp::Ordering::Equal => 2,
            },
        };
        if show[col] {
            let line = &lines[if col == 1 { 1 } else { 0 }];
            let r = out
                .write_all(&prefix(col))
                .and_then(|_| out.write_all(line))
                .and_then(|_| out.write_all(b"\n"));
            if let Err(e) = r {
                return text::write_failed("comm", &e);
            }
        }
        if col != 1 {
            have[0] = next(&mut *inputs[0], &mut lines[0]);
        }
        if col != 0 {
            have[1] = next(&mut *inputs[1], &mut lines[1]);
        }
    }
    text::finish("comm", &mut out, 0)
}

/// Reads the next line without its newline; false at end (or on error).
fn next(r: &mut dyn BufRead, line: &mut Vec<u8>) -> bool {
    match text::read_record(r, b'\n', line) {
        Ok(true) => {
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            true
        }
        _ => false,
    }
}
