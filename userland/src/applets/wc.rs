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
        // Characters and widths need the full byte-by-byte pass.
        let counted = if want[2] || want[4] {
            count(&mut *input)
        } else {
            count_fast(&mut *input, want[1])
        };
        let c = match counted {
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

/// Counts lines, words (if `words`) and bytes only, eight bytes at a
/// time. Agrees with [`count`] on those three.
fn count_fast(input: &mut dyn BufRead, words: bool) -> io::Result<Counts> {
    let mut c = Counts::default();
    let mut in_word = false;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        if words {
            count_words(buf, &mut in_word, &mut c);
        } else {
            c.lines += crate::regex::count(b'\n', buf) as u64;
        }
        let n = buf.len();
        c.bytes += n as u64;
        input.consume(n);
    }
    Ok(c)
}

/// Adds the newlines and word starts of `buf` to `c`; `in_word` tells
/// whether the byte before `buf` was inside a word, and is updated.
///
/// Each 8-byte word is classified at once: a mask of the bytes that belong
/// to words and one of the spaces; a word starts at a word byte after a
/// space. Each byte lane counts for up to 255 words, then the lanes are
/// added. A word holding a byte that is neither (a control character
/// that leaves the state as it is) goes byte by byte.
fn count_words(buf: &[u8], in_word: &mut bool, c: &mut Counts) {
    use crate::regex::{sum_lanes, word_at, zero_bytes as zero};
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i + 8 <= buf.len() {
        let end = buf.len().min(i + 255 * 8);
        let (mut lines, mut starts) = (0u64, 0u64);
        while i + 8 <= end {
            let w = word_at(buf, i);
            let low = w & !HI;
            lines += zero(w ^ (LO * u64::from(b'\n'))) >> 7;
            // \t \n \v \f \r: 9 to 13; then the space.
            let ctrl = low.wrapping_add(LO * (0x80 - 9)) & !low.wrapping_add(LO * (0x80 - 14));
            let space = (ctrl & !w & HI) | zero(w ^ (LO * u64::from(b' ')));
            // Printable (0x21 to 0x7e) or not ASCII.
            let graph = (low.wrapping_add(LO * (0x80 - 0x21)) | w) & HI & !zero(w ^ (LO * 0x7f));
            if space | graph == HI {
                let before = (graph << 8) | (u64::from(*in_word) << 7);
                starts += (graph & !before) >> 7;
                *in_word = graph >> 63 != 0;
            } else {
                c.words += count_words_bytes(&buf[i..i + 8], in_word);
            }
            i += 8;
        }
        c.lines += sum_lanes(lines);
        c.words += sum_lanes(starts);
    }
    let rest = &buf[i..];
    c.lines += rest.iter().filter(|&&b| b == b'\n').count() as u64;
    c.words += count_words_bytes(rest, in_word);
}

/// Word starts in `bytes`, one at a time (see [`count_words`]).
fn count_words_bytes(bytes: &[u8], in_word: &mut bool) -> u64 {
    let mut starts = 0;
    for &b in bytes {
        match b {
            b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' => *in_word = false,
            0x21..=0x7e | 0x80..=0xff => {
                starts += u64::from(!*in_word);
                *in_word = true;
            }
            _ => {}
        }
    }
    starts
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time count agrees with the byte-by-byte one on text
    /// mixing every kind of byte, in pieces of every alignment.
    #[test]
    fn fast_count_agrees() {
        let mut data = Vec::new();
        let mut x = 12345u32;
        for i in 0..20_000u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let r = (x >> 16) as u8;
            data.push(match i % 7 {
                0 => r,
                1 => b' ',
                2 | 3 if r & 1 == 0 => b"\t\n\x0b\x0c\r\x01\x7f\x1b"[usize::from(r >> 5)],
                _ => b'a' + r % 26,
            });
        }
        for start in 0..9 {
            let data = &data[start..];
            let slow = count(&mut io::BufReader::with_capacity(77, data)).unwrap();
            let fast = count_fast(&mut io::BufReader::with_capacity(77, data), true).unwrap();
            assert_eq!(
                (fast.lines, fast.words, fast.bytes),
                (slow.lines, slow.words, slow.bytes)
            );
            let lines = count_fast(&mut io::BufReader::new(data), false).unwrap();
            assert_eq!(lines.lines, slow.lines);
        }
    }
}
