//! `strings [-afo] [-n LEN] [-t d|o|x] [FILE]...`: print runs of printable
//! characters found in (binary) files.

use crate::common::{error_msg, getopt, Exit};
use crate::text;
use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[-fo] [-t o|d|x] [-n LEN] [FILE]...\n\nDisplay printable strings in a binary file\n\n\t-f\t\tPrecede strings with filenames\n\t-o\t\tPrecede strings with octal offsets\n\t-t o|d|x\tPrecede strings with offsets in base 8/10/16\n\t-n LEN\t\tAt least LEN characters form a string (default 4)\n\t-a\t\tScan whole file (default)";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "afon:t:",
        &[
            ("all", 'a'),
            ("bytes", 'n'),
            ("radix", 't'),
            ("print-file-name", 'f'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let min = match p.value('n') {
        Some(n) => match text::parse_num::<usize>("strings", n) {
            Some(n) if n > 0 => n,
            Some(_) => {
                error_msg("strings", "invalid number '0'");
                return 1;
            }
            None => return 1,
        },
        None => 4,
    };
    let radix = match p.value('t').map(|t| t.as_bytes()) {
        Some(b"d") => Some(b'd'),
        Some(b"o") => Some(b'o'),
        Some(b"x") => Some(b'x'),
        Some(other) => {
            error_msg(
                "strings",
                &format!("invalid radix '{}'", String::from_utf8_lossy(other)),
            );
            return 1;
        }
        None if p.has('o') => Some(b'o'),
        None => None,
    };
    let mut out = text::stdout();
    let mut status = 0;
    let files = text::operands_or_stdin(&p.operands);
    for name in &files {
        let Some(mut input) = text::open_or_report("strings", name) else {
            status = 1;
            continue;
        };
        let prefix = if p.has('f') {
            let mut v = if text::is_stdin(name) {
                b"{standard input}".to_vec()
            } else {
                name.as_bytes().to_vec()
            };
            v.extend_from_slice(b": ");
            v
        } else {
            Vec::new()
        };
        // A run shorter than `min` waits in `run`; once long enough its
        // head is printed and the rest streams out, so a huge printable
        // stretch needs no more memory than a buffer.
        let mut run: Vec<u8> = Vec::new();
        let mut open = false;
        let mut offset: u64 = 0;
        let mut start: u64 = 0;
        loop {
            let buf = match input.fill_buf() {
                Ok(b) => b,
                Err(e) => {
                    text::report_read("strings", name, &e);
                    status = 1;
                    break;
                }
            };
            if buf.is_empty() {
                break;
            }
            for &b in buf {
                let r = if b == b'\t' || (0x20..0x7f).contains(&b) {
                    if run.is_empty() && !open {
                        start = offset;
                    }
                    run.push(b);
                    if !open && run.len() >= min {
                        open = true;
                        head(&mut out, &prefix, radix, start)
                    } else {
                        Ok(())
                    }
                    .and_then(|_| {
                        if open && run.len() >= text::BUF_SIZE {
                            out.write_all(&run)?;
                            run.clear();
                        }
                        Ok(())
                    })
                } else {
                    let r = if open {
                        out.write_all(&run).and_then(|_| out.write_all(b"\n"))
                    } else {
                        Ok(())
                    };
                    open = false;
                    run.clear();
                    r
                };
                if let Err(e) = r {
                    return text::write_failed("strings", &e);
                }
                offset += 1;
            }
            let n = buf.len();
            input.consume(n);
        }
        if open {
            if let Err(e) = out.write_all(&run).and_then(|_| out.write_all(b"\n")) {
                return text::write_failed("strings", &e);
            }
        }
    }
    text::finish("strings", &mut out, status)
}

/// Prints what comes before a string: the file name and the offset.
fn head(
    out: &mut impl Write,
    prefix: &[u8],
    radix: Option<u8>,
    offset: u64,
) -> std::io::Result<()> {
    out.write_all(prefix)?;
    match radix {
        Some(b'o') => write!(out, "{offset:7o} "),
        Some(b'x') => write!(out, "{offset:7x} "),
        Some(_) => write!(out, "{offset:7} "),
        None => Ok(()),
    }
}
