//! `nl [-b STYLE] [-n FORMAT] [-w N] [-s SEP] [-v N] [-i N] [FILE]...`:
//! number lines.

use crate::common::{error_msg, getopt, Exit};
use crate::text;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[OPTIONS] [FILE]...\n\nWrite FILEs to standard output with line numbers added\n\n\t-b STYLE\tWhich lines to number - a: all, t: nonempty, n: none\n\t-i N\t\tLine number increment\n\t-n FORMAT\tln: left justified, rn: right justified, rz: zero padded\n\t-s STRING\tUse STRING as line number separator\n\t-v N\t\tStart from N\n\t-w N\t\tWidth of line numbers";

/// Entry point: numbering continues across files.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "b:n:w:s:v:i:", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let style = match p.value('b').map(|v| v.as_bytes()) {
        None | Some(b"t") => b't',
        Some(b"a") => b'a',
        Some(b"n") => b'n',
        Some(other) => {
            error_msg(
                "nl",
                &format!(
                    "invalid body numbering style: '{}'",
                    String::from_utf8_lossy(other)
                ),
            );
            return 1;
        }
    };
    let format = match p.value('n').map(|v| v.as_bytes()) {
        None | Some(b"rn") => b'r',
        Some(b"ln") => b'l',
        Some(b"rz") => b'z',
        Some(other) => {
            error_msg(
                "nl",
                &format!(
                    "invalid line numbering format: '{}'",
                    String::from_utf8_lossy(other)
                ),
            );
            return 1;
        }
    };
    let num = |c: char, default: i64| -> Option<i64> {
        match p.value(c) {
            Some(v) => text::parse_num::<i64>("nl", v),
            None => Some(default),
        }
    };
    let (Some(width), Some(start), Some(incr)) = (num('w', 6), num('v', 1), num('i', 1)) else {
        return 1;
    };
    // Rust formatting takes widths up to u16::MAX.
    let width = usize::try_from(width)
        .unwrap_or(0)
        .min(usize::from(u16::MAX));
    let sep = p
        .value('s')
        .map(|s| s.as_bytes().to_vec())
        .unwrap_or_else(|| b"\t".to_vec());
    let blank = vec![b' '; width + sep.len()];
    let mut n = start;
    let mut out = text::stdout();
    let mut status = 0;
    let mut line = Vec::new();
    for name in text::operands_or_stdin(&p.operands) {
        let Some(mut input) = text::open_or_report("nl", &name) else {
            status = 1;
            continue;
        };
        loop {
            match text::read_record(&mut *input, b'\n', &mut line) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    text::report_read("nl", &name, &e);
                    status = 1;
                    break;
                }
            }
            let empty = line == b"\n";
            let numbered = match style {
                b'a' => true,
                b't' => !empty,
                _ => false,
            };
            let r = if numbered {
                let s = match format {
                    b'l' => format!("{n:<width$}"),
                    b'z' => format!("{n:0width$}"),
                    _ => format!("{n:>width$}"),
                };
                n = n.wrapping_add(incr);
                out.write_all(s.as_bytes())
                    .and_then(|_| out.write_all(&sep))
            } else {
                out.write_all(&blank)
            };
            // A last line without a newline gets one (as GNU and BusyBox).
            if line.last() != Some(&b'\n') {
                line.push(b'\n');
            }
            if let Err(e) = r.and_then(|_| out.write_all(&line)) {
                return text::write_failed("nl", &e);
            }
        }
    }
    text::finish("nl", &mut out, status)
}
