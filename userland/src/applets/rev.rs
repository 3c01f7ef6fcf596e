//! `rev [FILE]...`: reverse the characters of each line. A UTF-8 sequence
//! stays in order as one character; other bytes are reversed one by one.

use crate::common::{getopt, Exit};
use crate::text;
use std::ffi::OsString;
use std::io::Write;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[FILE]...\n\nReverse lines of FILE";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut out = text::stdout();
    let mut status = 0;
    let mut line = Vec::new();
    let mut rev = Vec::new();
    for name in text::operands_or_stdin(&p.operands) {
        let Some(mut input) = text::open_or_report("rev", &name) else {
            status = 1;
            continue;
        };
        loop {
            match text::read_record(&mut *input, b'\n', &mut line) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    text::report_read("rev", &name, &e);
                    status = 1;
                    break;
                }
            }
            let body = text::chomp(&line, b'\n');
            rev.clear();
            reverse(body, &mut rev);
            rev.extend_from_slice(&line[body.len()..]);
            if let Err(e) = out.write_all(&rev) {
                return text::write_failed("rev", &e);
            }
        }
    }
    text::finish("rev", &mut out, status)
}

/// Appends `s` reversed by characters to `out`.
fn reverse(s: &[u8], out: &mut Vec<u8>) {
    if s.is_ascii() {
        out.extend(s.iter().rev());
        return;
    }
    let mut end = s.len();
    while end > 0 {
        let mut start = end - 1;
        // Step back over continuation bytes to a lead byte (at most 3).
        while start > 0 && end - start < 4 && s[start] & 0xC0 == 0x80 {
            start -= 1;
        }
        if s[start] & 0xC0 == 0x80 || (s[start] < 0x80 && end - start > 1) {
            // Not a proper sequence: reverse the last byte alone.
            start = end - 1;
        }
        out.extend_from_slice(&s[start..end]);
        end = start;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reverses_utf8_as_characters() {
        let mut out = Vec::new();
        super::reverse("aé\u{20ac}b".as_bytes(), &mut out);
        assert_eq!(out, "b\u{20ac}éa".as_bytes());
        out.clear();
        super::reverse(b"a\x80\xffb", &mut out);
        assert_eq!(out, b"b\xff\x80a");
    }
}
