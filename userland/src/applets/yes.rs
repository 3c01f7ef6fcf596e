//! `yes [STRING]...`: print the arguments (or `y`) forever.

use crate::text;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str =
    "[STRING]\n\nRepeatedly output a line with all specified STRING(s), or 'y'.";

/// Entry point: writes until the reader goes away.
pub fn main(args: Vec<OsString>) -> i32 {
    let mut line: Vec<u8> = Vec::new();
    for (i, a) in args.iter().skip(1).enumerate() {
        if i > 0 {
            line.push(b' ');
        }
        line.extend_from_slice(a.as_bytes());
    }
    if args.len() < 2 {
        line.push(b'y');
    }
    line.push(b'\n');
    // Fill a large block with whole lines: one write carries many lines.
    let mut block = Vec::with_capacity(text::BUF_SIZE + line.len());
    while block.len() < text::BUF_SIZE {
        block.extend_from_slice(&line);
    }
    let mut out = std::io::stdout().lock();
    loop {
        if let Err(e) = out.write_all(&block) {
            return text::write_failed("yes", &e);
        }
    }
}
