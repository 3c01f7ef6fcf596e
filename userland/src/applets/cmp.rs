//! `cmp [-ls] FILE1 [FILE2 [SKIP1 [SKIP2]]]`: compare two files byte by
//! byte. Exit status 0 if they are the same, 1 if they differ, 2 on
//! trouble.

use crate::common::{error_msg, getopt, lossy, perror, Exit};
use crate::text;
use std::ffi::{OsStr, OsString};
use std::io::{self, BufRead, Write};

pub const USAGE: &str = "[-ls] [-n NUM] FILE1 [FILE2 [SKIP1 [SKIP2]]]\n\nCompare FILE1 with FILE2 (or stdin)\n\n\t-l\tWrite the byte numbers (decimal) and values (octal)\n\t\tfor all differing bytes\n\t-s\tQuiet\n\t-n NUM\tCompare at most NUM bytes";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "lsn:",
        &[
            ("verbose", 'l'),
            ("silent", 's'),
            ("quiet", 's'),
            ("bytes", 'n'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(_)) => return 2,
    };
    if p.operands.is_empty() || p.operands.len() > 4 {
        crate::common::usage_error("cmp", "need one to four operands");
        return 2;
    }
    let limit = match p.value('n') {
        None => u64::MAX,
        Some(v) => match crate::fsutil::parse_size(&lossy(v), false) {
            Some(n) => n,
            None => {
                error_msg("cmp", &format!("invalid number '{}'", lossy(v)));
                return 2;
            }
        },
    };
    let name1 = p.operands[0].clone();
    let name2 = p
        .operands
        .get(1)
        .cloned()
        .unwrap_or_else(|| OsString::from("-"));
    let mut skips = [0u64; 2];
    for (i, s) in p.operands.iter().skip(2).enumerate() {
        match crate::fsutil::parse_size(&lossy(s), false) {
            Some(n) => skips[i] = n,
            None => {
                error_msg("cmp", &format!("invalid number '{}'", lossy(s)));
                return 2;
            }
        }
    }
    let mode = if p.has('s') {
        Mode::Silent
    } else if p.has('l') {
        Mode::List
    } else {
        Mode::First
    };
    let open = |name: &OsStr, skip: u64| -> Option<Box<dyn BufRead>> {
        let mut r = match text::open(name) {
            Ok(r) => r,
            Err(e) => {
                if mode != Mode::Silent {
                    perror("cmp", lossy(name), &e);
                }
                return None;
            }
        };
        if skip > 0 {
            if let Err(e) = io::copy(&mut (&mut r).take(skip), &mut io::sink()) {
                perror("cmp", lossy(name), &e);
                return None;
            }
        }
        Some(r)
    };
    use std::io::Read;
    let (Some(mut a), Some(mut b)) = (open(&name1, skips[0]), open(&name2, skips[1])) else {
        return 2;
    };
    let mut out = text::stdout();
    let r = compare(&mut *a, &mut *b, limit, mode, &name1, &name2, &mut out);
    match r {
        Ok(status) => text::finish("cmp", &mut out, status),
        Err(e) => {
            let _ = out.flush();
            perror("cmp", "read error", &e);
            2
        }
    }
}

/// What cmp reports.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The first difference.
    First,
    /// Every differing byte (-l).
    List,
    /// Nothing (-s).
    Silent,
}

/// Compares the two streams; returns the exit status.
fn compare(
    a: &mut dyn BufRead,
    b: &mut dyn BufRead,
    limit: u64,
    mode: Mode,
    name1: &OsStr,
    name2: &OsStr,
    out: &mut impl Write,
) -> io::Result<i32> {
    let mut pos: u64 = 0;
    let mut line: u64 = 1;
    let mut status = 0;
    while pos < limit {
        let ba = a.fill_buf()?;
        let bb = b.fill_buf()?;
        if ba.is_empty() || bb.is_empty() {
            if ba.is_empty() && bb.is_empty() {
                break;
            }
            if mode != Mode::Silent {
                let short = if ba.is_empty() { name1 } else { name2 };
                out.flush()?;
                error_msg("cmp", &format!("EOF on {}", lossy(short)));
            }
            return Ok(1);
        }
        let n = ba
            .len()
            .min(bb.len())
            .min((limit - pos).min(usize::MAX as u64) as usize);
        let (ca, cb) = (&ba[..n], &bb[..n]);
        if ca == cb {
            if mode == Mode::First {
                line += ca.iter().filter(|&&c| c == b'\n').count() as u64;
            }
        } else {
            for i in 0..n {
                if ca[i] != cb[i] {
                    match mode {
                        Mode::Silent => return Ok(1),
                        Mode::First => {
                            writeln!(
                                out,
                                "{} {} differ: byte {}, line {}",
                                lossy(name1),
                                lossy(name2),
                                pos + i as u64 + 1,
                                line
                            )?;
                            return Ok(1);
                        }
                        Mode::List => {
                            writeln!(out, "{} {:o} {:o}", pos + i as u64 + 1, ca[i], cb[i])?;
                            status = 1;
                        }
                    }
                }
                if ca[i] == b'\n' {
                    line += 1;
                }
            }
        }
        a.consume(n);
        b.consume(n);
        pos += n as u64;
    }
    Ok(status)
}
