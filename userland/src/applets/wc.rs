//! `wc [-lwcmL] [FILE]...`: count lines, words, bytes, characters and the
//! longest line's width, in BusyBox's column layout.

use crate::common::{getopt, Exit};
use crate::text;
use std::ffi::OsString;
use std::io::{self, BufRead, Write};
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[-cmlwL] [FILE]...\n\nCount lines, words, and bytes for FILEs (or stdin)\n\n\t-c\tCount bytes\n\t-m\tCount characters\n\t-l\tCount newlines\n\t-w\tCount words\n\t-L\tPrint longest line length";

/// Counters of one input, in output order: lines, words, chars, bytes, width.
#[derive(Default, Clone, Copy)]
struct Counts {
    lines: u64,
    words: u64,
    chars: u64,
    bytes: u64,
    width: u64,
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "lwcmL",
        &[
            ("lines", 'l'),
            ("words", 'w'),
            ("bytes", 'c'),
            ("chars", 'm'),
            ("max-line-length", 'L'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    // Order of columns: lines, words, chars, bytes, max width (as BusyBox).
    let mut want = [p.has('l'), p.has('w'), p.has('m'), p.has('c'), p.has('L')];
    if !want.iter().any(|&w| w) {
        want = [true, true, false, true, false];
    }
    let named = !p.operands.is_empty();
    let files = text::operands_or_stdin(&p.operands);
    // One column for one input is printed without padding.
    let pad = want.iter().filter(|&&w| w).count() > 1 || files.len() > 1;
    let mut out = text::stdout();
    let mut total = Counts::default();
    let mut status = 0;
    for name in &files {
        let Some(mut input) = text::open_or_report("wc", name) else {
            status = 1;
            continue;
        };
        let c = match count(&mut *input) {
            Ok(c) => c,
            Err(e) => {
                text::report_read("wc", name, &e);
                status = 1;
                continue;
            }
        };
        total.lines += c.lines;
        total.words += c.words;
        total.chars += c.chars;
        total.bytes += c.bytes;
        total.width = total.width.max(c.width);
        let label = if named { Some(name.as_bytes()) } else { None };
        if let Err(e) = print(&mut out, &c, &want, pad, label) {
            return text::write_failed("wc", &e);
        }
    }
    if files.len() > 1 {
        if let Err(e) = print(&mut out, &total, &want, pad, Some(b"total")) {
            return text::write_failed("wc", &e);
        }
    }
    text::finish("wc", &mut out, status)
}

/// Prints one line of counts: `%9u` columns (`%u` when unpadded), then the name.
fn print(
    out: &mut impl Write,
    c: &Counts,
    want: &[bool; 5],
    pad: bool,
    name: Option<&[u8]>,
) -> io::Result<()> {
    let values = [c.lines, c.words, c.chars, c.bytes, c.width];
    let mut line = String::new();
    for (v, _) in values.iter().zip(want).filter(|(_, &w)| w) {
        if !line.is_empty() {
            line.push(' ');
        }
        if pad {
            line.push_str(&format!("{v:9}"));
        } else {
            line.push_str(&v.to_string());
        }
    }
    out.write_all(line.as_bytes())?;
    if let Some(name) = name {
        out.write_all(b" ")?;
        out.write_all(name)?;
    }
    out.write_all(b"\n")
}

/// Counts everything in one pass over the input. A word is a run of
/// printable non-space characters; width counts a tab as reaching the next
/// multiple of 8 and a UTF-8 sequence as one column.
fn count(input: &mut dyn BufRead) -> io::Result<Counts> {
    let mut c = Counts::default();
    let mut in_word = false;
    let mut pos: u64 = 0;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        for &b in buf {
            if b & 0xC0 != 0x80 {
                c.chars += 1;
            }
            match b {
                b'\n' => {
                    c.lines += 1;
                    c.width = c.width.max(pos);
                    pos = 0;
                    in_word = false;
                }
                b'\t' => {
                    pos = (pos | 7) + 1;
                    in_word = false;
                }
                b' ' => {
                    pos += 1;
                    in_word = false;
                }
                // A vertical tab ends a word but moves no column.
                0x0b => in_word = false,
                b'\r' | 0x0c => {
                    c.width = c.width.max(pos);
                    pos = 0;
                    in_word = false;
                }
                0x21..=0x7e => {
                    pos += 1;
                    if !in_word {
                        c.words += 1;
                        in_word = true;
                    }
                }
                0x80..=0xff => {
                    if b & 0xC0 != 0x80 {
                        pos += 1;
                    }
                    if !in_word {
                        c.words += 1;
                        in_word = true;
                    }
                }
                _ => {}
            }
        }
        let n = buf.len();
        c.bytes += n as u64;
        input.consume(n);
    }
    c.width = c.width.max(pos);
    Ok(c)
}
