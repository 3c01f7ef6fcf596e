//! `seq [-w] [-s SEP] [-f FMT] [FIRST [INCR]] LAST`: print a sequence of
//! numbers.

use crate::common::{error_msg, getopt, usage_error, Exit};
use crate::text;
use std::ffi::{CString, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[-w] [-s SEP] [-f FMT] [FIRST [INC]] LAST\n\nPrint numbers from FIRST to LAST, in steps of INC.\nFIRST, INC default to 1.\n\n\t-w\tPad to last with leading zeros\n\t-s SEP\tString separator\n\t-f FMT\tprintf-style floating point FORMAT";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    // A negative number ends the options: `seq -3 -1 -5` has no options.
    let mut split = args.len();
    let mut i = 1;
    while i < args.len() {
        let a = args[i].as_bytes();
        if a == b"-s" || a == b"-f" {
            i += 2;
            continue;
        }
        if a.len() > 1 && a[0] == b'-' && (a[1].is_ascii_digit() || a[1] == b'.') {
            split = i;
            break;
        }
        i += 1;
    }
    let p = match getopt(
        &args[..split],
        "ws:f:",
        &[("equal-width", 'w'), ("separator", 's'), ("format", 'f')],
        false,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut operands = p.operands.clone();
    operands.extend_from_slice(&args[split..]);
    if operands.is_empty() || operands.len() > 3 {
        return usage_error(
            "seq",
            if operands.is_empty() {
                "missing operand"
            } else {
                "extra operand"
            },
        );
    }
    let mut nums = Vec::new();
    let mut decimals = Vec::new();
    for op in &operands {
        let s = op.to_string_lossy();
        match s.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => {
                nums.push(v);
                decimals.push(fraction_digits(s.trim()));
            }
            _ => {
                error_msg("seq", &format!("invalid number '{s}'"));
                return 1;
            }
        }
    }
    let (first, incr, last) = match nums.len() {
        1 => (1.0, 1.0, nums[0]),
        2 => (nums[0], 1.0, nums[1]),
        _ => (nums[0], nums[1], nums[2]),
    };
    // Precision: as many decimals as FIRST or INCR have.
    let prec = match decimals.len() {
        1 => 0,
        2 => decimals[0],
        _ => decimals[0].max(decimals[1]),
    }
    // Rust formatting takes precisions up to u16::MAX; an f64 has no more
    // than 17 significant digits anyway.
    .min(1000);
    if incr == 0.0 {
        error_msg("seq", "invalid Zero increment value: '0'");
        return 1;
    }
    let format = match p.value('f') {
        Some(f) => match CFormat::new(f.as_bytes()) {
            Some(f) => Some(f),
            None => {
                error_msg(
                    "seq",
                    &format!("invalid format string: '{}'", f.to_string_lossy()),
                );
                return 1;
            }
        },
        None => None,
    };
    let width = if p.has('w') {
        format!("{first:.prec$}")
            .len()
            .max(format!("{last:.prec$}").len())
    } else {
        0
    };
    let sep = p
        .value('s')
        .map(|s| s.as_bytes().to_vec())
        .unwrap_or_else(|| b"\n".to_vec());
    // A small tolerance lets 0.1 + 0.1 + 0.1 still reach 0.3.
    let tolerance = incr.abs() * 1e-9;
    let mut out = text::stdout();
    let mut n: u64 = 0;
    loop {
        let v = first + n as f64 * incr;
        if (incr > 0.0 && v > last + tolerance) || (incr < 0.0 && v < last - tolerance) {
            break;
        }
        let mut item = Vec::new();
        if n > 0 {
            item.extend_from_slice(&sep);
        }
        match &format {
            Some(f) => item.extend_from_slice(&f.format(v)),
            None => {
                let v = if v == 0.0 { 0.0 } else { v };
                let s = if width > 0 {
                    let body = format!("{:.prec$}", v.abs());
                    let pad = width.saturating_sub(body.len() + usize::from(v < 0.0));
                    format!(
                        "{}{}{}",
                        if v < 0.0 { "-" } else { "" },
                        "0".repeat(pad),
                        body
                    )
                } else {
                    format!("{v:.prec$}")
                };
                item.extend_from_slice(s.as_bytes());
            }
        }
        if let Err(e) = out.write_all(&item) {
            return text::write_failed("seq", &e);
        }
        n += 1;
    }
    if n > 0 {
        if let Err(e) = out.write_all(b"\n") {
            return text::write_failed("seq", &e);
        }
    }
    text::finish("seq", &mut out, 0)
}

/// Digits after the decimal point of a number as written (`1.50` → 2).
fn fraction_digits(s: &str) -> usize {
    if s.contains(['e', 'E']) {
        return 0;
    }
    s.find('.').map(|dot| s.len() - dot - 1).unwrap_or(0)
}

/// A printf format with exactly one floating-point conversion, checked so
/// that handing it to the C library's snprintf is safe.
struct CFormat(CString);

impl CFormat {
    /// Checks `fmt`: `%%` anywhere, and one `%[flags][width][.prec]{aAeEfFgG}`.
    fn new(fmt: &[u8]) -> Option<CFormat> {
        let mut convs = 0;
        let mut i = 0;
        while i < fmt.len() {
            if fmt[i] != b'%' {
                i += 1;
                continue;
            }
            i += 1;
            if fmt.get(i) == Some(&b'%') {
                i += 1;
                continue;
            }
            while i < fmt.len() && b"-+ #0'".contains(&fmt[i]) {
                i += 1;
            }
            while i < fmt.len() && fmt[i].is_ascii_digit() {
                i += 1;
            }
            if fmt.get(i) == Some(&b'.') {
                i += 1;
                while i < fmt.len() && fmt[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if !b"aAeEfFgG".contains(fmt.get(i)?) {
                return None;
            }
            i += 1;
            convs += 1;
        }
        if convs != 1 {
            return None;
        }
        CString::new(fmt).ok().map(CFormat)
    }

    /// `v` formatted by the C library.
    fn format(&self, v: f64) -> Vec<u8> {
        let mut buf = vec![0u8; 512];
        loop {
            // SAFETY: the format was checked to hold one double conversion
            // and no other argument-taking directive; buf is writable for
            // buf.len() bytes.
            let n = unsafe {
                nix::libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), self.0.as_ptr(), v)
            };
            let Ok(n) = usize::try_from(n) else {
                return Vec::new();
            };
            if n < buf.len() {
                buf.truncate(n);
                return buf;
            }
            buf.resize(n + 1, 0);
        }
    }
}
