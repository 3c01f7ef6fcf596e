//! `cut -b LIST | -c LIST | -f LIST [-d DELIM] [-s] [--output-delimiter S]
//! [FILE]...`: print selected bytes, characters or fields of each line.

use crate::common::{error_msg, getopt, usage_error, Exit};
use crate::text;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[OPTIONS] [FILE]...\n\nPrint selected fields from FILEs to stdout\n\n\t-b LIST\tOutput only bytes from LIST\n\t-c LIST\tOutput only characters from LIST\n\t-d SEP\tField delimiter for input (default TAB)\n\t-f LIST\tPrint only these fields\n\t-s\tOutput only lines containing delimiter\n\t-n\tIgnored\n\t--output-delimiter SEP\tField delimiter for output (default = -d)";

/// Parsed LIST: sorted, merged 1-based inclusive ranges.
type Ranges = Vec<(usize, usize)>;

/// Parses a LIST like `1-3,5,7-` (an open end is usize::MAX).
fn parse_list(s: &[u8]) -> Result<Ranges, &'static str> {
    let mut ranges = Vec::new();
    for part in s.split(|&b| b == b',' || b == b' ') {
        if part.is_empty() {
            return Err("invalid list");
        }
        let num = |t: &[u8]| -> Result<usize, &'static str> {
            let n: usize = std::str::from_utf8(t)
                .ok()
                .and_then(|t| t.parse().ok())
                .ok_or("invalid list")?;
            if n == 0 {
                return Err("fields and positions are numbered from 1");
            }
            Ok(n)
        };
        let (lo, hi) = match part.iter().position(|&b| b == b'-') {
            None => {
                let n = num(part)?;
                (n, n)
            }
            Some(dash) => {
                let lo = if dash == 0 { 1 } else { num(&part[..dash])? };
                let hi = if dash + 1 == part.len() {
                    usize::MAX
                } else {
                    num(&part[dash + 1..])?
                };
                if dash == 0 && dash + 1 == part.len() {
                    return Err("invalid list");
                }
                (lo, hi)
            }
        };
        if lo > hi {
            return Err("invalid decreasing range");
        }
        ranges.push((lo, hi));
    }
    ibex_sort::sort(&mut ranges);
    let mut merged: Ranges = Vec::new();
    for (lo, hi) in ranges {
        match merged.last_mut() {
            // Only overlapping ranges merge: GNU puts the output delimiter
            // between adjacent ones (`-b1,2 --output-delimiter=:`).
            Some(last) if lo <= last.1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    Ok(merged)
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "b:c:f:d:snO:",
        &[
            ("bytes", 'b'),
            ("characters", 'c'),
            ("fields", 'f'),
            ("delimiter", 'd'),
            ("only-delimited", 's'),
            ("output-delimiter", 'O'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let modes: Vec<char> = ['b', 'c', 'f'].into_iter().filter(|&c| p.has(c)).collect();
    let mode = match modes.as_slice() {
        [m] => *m,
        [] => return usage_error("cut", "expected a list of bytes, characters, or fields"),
        _ => return usage_error("cut", "only one type of list may be specified"),
    };
    let list = p.value(mode).map(|v| v.as_bytes()).unwrap_or_default();
    let ranges = match parse_list(list) {
        Ok(r) => r,
        Err(msg) => {
            error_msg("cut", msg);
            return 1;
        }
    };
    let delim = match p.value('d').map(|d| d.as_bytes()) {
        None => b'\t',
        Some([d]) => *d,
        Some(_) => {
            error_msg("cut", "the delimiter must be a single character");
            return 1;
        }
    };
    if mode != 'f' && (p.has('d') || p.has('s')) {
        return usage_error(
            "cut",
            "an input delimiter may be specified only when operating on fields",
        );
    }
    let out_delim: Option<Vec<u8>> = p.value('O').map(|o| o.as_bytes().to_vec());
    let only_delimited = p.has('s');
    let mut out = text::stdout();
    let mut status = 0;
    let mut line = Vec::new();
    let mut result = Vec::new();
    for name in text::operands_or_stdin(&p.operands) {
        let Some(mut input) = text::open_or_report("cut", &name) else {
            status = 1;
            continue;
        };
        loop {
            match text::read_record(&mut *input, b'\n', &mut line) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    text::report_read("cut", &name, &e);
                    status = 1;
                    break;
                }
            }
            let body = text::chomp(&line, b'\n');
            result.clear();
            if mode == 'f' {
                if !body.contains(&delim) {
                    if only_delimited {
                        continue;
                    }
                    result.extend_from_slice(body);
                } else {
                    let sep: &[u8] = out_delim.as_deref().unwrap_or(std::slice::from_ref(&delim));
                    let mut first = true;
                    for (i, field) in body.split(|&b| b == delim).enumerate() {
                        if selected(&ranges, i + 1) {
                            if !first {
                                result.extend_from_slice(sep);
                            }
                            result.extend_from_slice(field);
                            first = false;
                        }
                    }
                }
            } else {
                for (k, &(lo, hi)) in ranges.iter().enumerate() {
                    if lo > body.len() {
                        break;
                    }
                    if k > 0 {
                        if let Some(sep) = &out_delim {
                            result.extend_from_slice(sep);
                        }
                    }
                    result.extend_from_slice(&body[lo - 1..hi.min(body.len())]);
                }
            }
            result.push(b'\n');
            if let Err(e) = out.write_all(&result) {
                return text::write_failed("cut", &e);
            }
        }
    }
    text::finish("cut", &mut out, status)
}

/// Whether position `n` is in one of the ranges.
fn selected(ranges: &Ranges, n: usize) -> bool {
    ranges.iter().any(|&(lo, hi)| lo <= n && n <= hi)
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists() {
        assert_eq!(
            super::parse_list(b"5-,1-3,2"),
            Ok(vec![(1, 3), (5, usize::MAX)])
        );
        assert_eq!(super::parse_list(b"-2,4"), Ok(vec![(1, 2), (4, 4)]));
        assert!(super::parse_list(b"0").is_err());
        assert!(super::parse_list(b"3-1").is_err());
        assert!(super::parse_list(b"").is_err());
    }
}
