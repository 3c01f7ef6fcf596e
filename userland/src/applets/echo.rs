//! `echo [-neE] [ARG...]`: print the arguments, BusyBox-style: options are
//! only recognised at the front, and an unknown letter makes the whole word
//! an ordinary argument (so `echo -x` prints `-x`).

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[-neE] [ARG]...\n\nPrint the specified ARGs to stdout\n\n\t-n\tNo trailing newline\n\t-e\tInterpret backslash escapes (i.e., \\t=tab)\n\t-E\tDon't interpret backslash escapes (default)";

pub fn main(args: Vec<OsString>) -> i32 {
    let mut newline = true;
    let mut escapes = false;
    let mut first = 1;
    for arg in args.iter().skip(1) {
        let bytes = arg.as_bytes();
        if bytes.len() < 2 || bytes[0] != b'-' || !bytes[1..].iter().all(|b| b"neE".contains(b)) {
            break;
        }
        for b in &bytes[1..] {
            match b {
                b'n' => newline = false,
                b'e' => escapes = true,
                _ => escapes = false,
            }
        }
        first += 1;
    }
    let mut out = Vec::new();
    for (i, arg) in args.iter().skip(first).enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        if escapes && unescape(arg.as_bytes(), &mut out) {
            newline = false;
            break;
        }
        if !escapes {
            out.extend_from_slice(arg.as_bytes());
        }
    }
    if newline {
        out.push(b'\n');
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&out).and_then(|_| stdout.flush()) {
        Ok(()) => 0,
        Err(e) => {
            crate::common::perror("echo", "write error", &e);
            1
        }
    }
}

/// Appends `s` with backslash escapes interpreted; returns true on `\c`
/// (stop output here, no newline).
pub fn unescape(s: &[u8], out: &mut Vec<u8>) -> bool {
    let mut i = 0;
    while i < s.len() {
        if s[i] != b'\\' || i + 1 == s.len() {
            out.push(s[i]);
            i += 1;
            continue;
        }
        i += 1;
        let c = s[i];
        i += 1;
        match c {
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'c' => return true,
            b'e' => out.push(0x1b),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'\\' => out.push(b'\\'),
            b'0'..=b'7' => {
                // \0NNN (echo) and \NNN: up to three octal digits.
                let mut value: u32 = 0;
                let mut digits = 0;
                let mut j = if c == b'0' { i } else { i - 1 };
                while j < s.len() && digits < 3 && (b'0'..=b'7').contains(&s[j]) {
                    value = value * 8 + u32::from(s[j] - b'0');
                    j += 1;
                    digits += 1;
                }
                out.push(value as u8);
                i = j;
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    false
}
