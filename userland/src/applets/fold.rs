//! `fold [-bs] [-w WIDTH] [FILE]...`: wrap lines to a width.

use crate::common::{getopt, Exit};
use crate::text;
use std::ffi::OsString;
use std::io::Write;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[-bs] [-w WIDTH] [FILE]...\n\nWrap input lines in FILEs (or stdin), writing to stdout\n\n\t-b\tCount bytes rather than columns\n\t-s\tBreak at spaces\n\t-w\tUse WIDTH columns instead of 80";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "bsw:",
        &[("bytes", 'b'), ("spaces", 's'), ("width", 'w')],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let width: usize = match p.value('w') {
        Some(w) => match text::parse_num::<usize>("fold", w) {
            Some(w) if w > 0 => w,
            Some(_) => {
                crate::common::error_msg("fold", "invalid number '0'");
                return 1;
            }
            None => return 1,
        },
        None => 80,
    };
    let bytes = p.has('b');
    let spaces = p.has('s');
    let mut out = text::stdout();
    let mut status = 0;
    let mut line = Vec::new();
    let mut folded = Vec::new();
    for name in text::operands_or_stdin(&p.operands) {
        let Some(mut input) = text::open_or_report("fold", &name) else {
            status = 1;
            continue;
        };
        loop {
            match text::read_record(&mut *input, b'\n', &mut line) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    text::report_read("fold", &name, &e);
                    status = 1;
                    break;
                }
            }
            folded.clear();
            fold(&line, width, bytes, spaces, &mut folded);
            if let Err(e) = out.write_all(&folded) {
                return text::write_failed("fold", &e);
            }
        }
    }
    text::finish("fold", &mut out, status)
}

/// The column after `b` at column `col`.
fn advance(col: usize, b: u8, bytes: bool) -> usize {
    if bytes {
        return col + 1;
    }
    match b {
        b'\t' => col + 8 - col % 8,
        b'\x08' => col.saturating_sub(1),
        b'\r' => 0,
        // UTF-8 continuation bytes share their character's column.
        0x80..=0xbf => col,
        _ => col + 1,
    }
}

/// Appends `line` (one line, maybe with its newline) folded to `width`.
fn fold(line: &[u8], width: usize, bytes: bool, spaces: bool, out: &mut Vec<u8>) {
    let mut pending: Vec<u8> = Vec::new();
    let mut col = 0;
    for &b in line {
        if b == b'\n' {
            out.extend_from_slice(&pending);
            out.push(b'\n');
            return;
        }
        loop {
            let next = advance(col, b, bytes);
            if next <= width || pending.is_empty() {
                col = next;
                pending.push(b);
                break;
            }
            // Too wide: break after the last blank (-s), else here.
            let blank = if spaces {
                pending.iter().rposition(|&c| c == b' ' || c == b'\t')
            } else {
                None
            };
            match blank {
                Some(at) => {
                    out.extend_from_slice(&pending[..=at]);
                    out.push(b'\n');
                    pending.drain(..=at);
                    col = pending.iter().fold(0, |c, &x| advance(c, x, bytes));
                }
                None => {
                    out.extend_from_slice(&pending);
                    out.push(b'\n');
                    pending.clear();
                    col = 0;
                }
            }
        }
    }
    out.extend_from_slice(&pending);
}
