//! The `printf` builtin (XCU `printf`): `%s %b %c %d %i %u %o %x %X %%`
//! with flags, widths and precisions, and backslash escapes. The format is
//! reused while arguments remain.

use std::io::Write;

use super::arith;
use super::exec::{Shell, Status};

/// Reads the backslash escape after the `\` at `s[0]`; returns the bytes
/// it stands for, how many input bytes it used, and whether it was `\c`
/// (stop all output), which only `%b` arguments recognise (`in_b`). There,
/// octal escapes are written `\0NNN`.
fn escape(s: &[u8], in_b: bool) -> (Vec<u8>, usize, bool) {
    let Some(&c) = s.get(1) else {
        return (b"\\".to_vec(), 1, false);
    };
    let simple = match c {
        b'\\' => Some(b'\\'),
        b'a' => Some(7),
        b'b' => Some(8),
        b'f' => Some(12),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        b'v' => Some(11),
        b'"' if !in_b => Some(b'"'),
        b'\'' if !in_b => Some(b'\''),
        _ => None,
    };
    if let Some(b) = simple {
        return (vec![b], 2, false);
    }
    if c == b'c' && in_b {
        return (Vec::new(), 2, true);
    }
    let start = if in_b && c == b'0' { 2 } else { 1 };
    if (b'0'..=b'7').contains(&c) {
        let digits = s[start..]
            .iter()
            .take(3)
            .take_while(|d| (b'0'..=b'7').contains(d))
            .count();
        let v = s[start..start + digits]
            .iter()
            .fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
        return (vec![v as u8], start + digits, false);
    }
    (vec![b'\\', c], 2, false)
}

/// A numeric argument: an integer, or `'c`/`"c` for a character's code.
/// Reports a bad one and counts it as 0.
fn num(who: &str, arg: &[u8], failed: &mut bool) -> i64 {
    if let Some(&q) = arg.first() {
        if q == b'\'' || q == b'"' {
            return arg.get(1).map_or(0, |&c| i64::from(c));
        }
    }
    if arg.is_empty() {
        return 0;
    }
    arith::number(arg).unwrap_or_else(|| {
        eprintln!("{who}: {}: invalid number", String::from_utf8_lossy(arg));
        *failed = true;
        0
    })
}

/// A floating-point argument: a decimal number, or `'c` for a character's
/// code. Reports a bad one and counts it as 0.
fn float(who: &str, arg: &[u8], failed: &mut bool) -> f64 {
    if let Some(&q) = arg.first() {
        if q == b'\'' || q == b'"' {
            return arg.get(1).map_or(0.0, |&c| f64::from(c));
        }
    }
    if arg.is_empty() {
        return 0.0;
    }
    let text = String::from_utf8_lossy(arg);
    let t = text.trim_start();
    // Rust's parser also takes words like "infinity"; C's takes the same.
    match t.parse::<f64>() {
        Ok(v) => v,
        Err(_) => {
            eprintln!("{who}: {text}: invalid number");
            *failed = true;
            0.0
        }
    }
}

/// `v` in C's `%f`, `%e` or `%g` style (upper case for `F`, `E`, `G`)
/// with `prec` digits; `alt` (`#`) keeps `%g`'s trailing zeros.
fn format_float(v: f64, conv: u8, prec: usize, alt: bool) -> String {
    let upper = conv.is_ascii_uppercase();
    if !v.is_finite() {
        let s = if v.is_nan() {
            "nan"
        } else if v > 0.0 {
            "inf"
        } else {
            "-inf"
        };
        return if upper { s.to_uppercase() } else { s.into() };
    }
    // Rust writes `1.5e3`; C wants `1.5e+03`.
    let exp_form = |v: f64, p: usize| -> String {
        let s = format!("{v:.p$e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        let sign = if e < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", e.unsigned_abs())
    };
    let s = match conv.to_ascii_lowercase() {
        b'f' => format!("{v:.prec$}"),
        b'e' => exp_form(v, prec),
        _ => {
            let p = prec.max(1);
            // The exponent after rounding to p significant digits.
            let e_text = format!("{v:.0$e}", p - 1);
            let x: i32 = e_text
                .split_once('e')
                .and_then(|(_, e)| e.parse().ok())
                .unwrap_or(0);
            let mut s = if x < -4 || x >= p as i32 {
                exp_form(v, p - 1)
            } else {
                format!("{v:.0$}", (p as i32 - 1 - x).max(0) as usize)
            };
            if !alt {
                let (m, e) = match s.find('e') {
                    Some(i) => (s[..i].to_string(), s[i..].to_string()),
                    None => (s.clone(), String::new()),
                };
                let m = if m.contains('.') {
                    m.trim_end_matches('0').trim_end_matches('.').to_string()
                } else {
                    m
                };
                s = m + &e;
            }
            s
        }
    };
    if upper {
        s.to_uppercase()
    } else {
        s
    }
}

/// Pads `body` to `width`: on the right with `left`, with zeros after any
/// sign with `zero`, else with spaces on the left.
fn pad(body: &[u8], width: usize, left: bool, zero: bool) -> Vec<u8> {
    if body.len() >= width {
        return body.to_vec();
    }
    let fill = width - body.len();
    let mut out = Vec::with_capacity(width);
    if left {
        out.extend_from_slice(body);
        out.resize(width, b' ');
    } else if zero {
        let sign = usize::from(matches!(body.first(), Some(b'-' | b'+' | b' ')));
        out.extend_from_slice(&body[..sign]);
        out.resize(sign + fill, b'0');
        out.extend_from_slice(&body[sign..]);
    } else {
        out.resize(fill, b' ');
        out.extend_from_slice(body);
    }
    out
}

/// The `printf FORMAT [ARG...]` builtin.
pub fn printf(_: &mut Shell, argv: &[Vec<u8>]) -> Status {
    Ok(run("sh: printf", argv))
}

/// `printf FORMAT [ARG...]` (`argv[0]` is `printf`), shared by the shell
/// builtin and the standalone applet; `who` prefixes messages
/// (`sh: printf` or `printf`). Returns the exit status.
pub fn run(who: &str, argv: &[Vec<u8>]) -> i32 {
    let Some(fmt) = argv.get(1) else {
        eprintln!("{who}: usage: printf FORMAT [ARG]...");
        return 2;
    };
    let args = &argv[2..];
    let mut next = 0;
    let mut out = Vec::new();
    let mut failed = false;
    let mut stop = false;
    loop {
        let used_before = next;
        let mut i = 0;
        while i < fmt.len() && !stop {
            let c = fmt[i];
            if c == b'\\' {
                let (bytes, len, _) = escape(&fmt[i..], false);
                out.extend_from_slice(&bytes);
                i += len;
                continue;
            }
            if c != b'%' {
                out.push(c);
                i += 1;
                continue;
            }
            i += 1;
            if fmt.get(i) == Some(&b'%') {
                out.push(b'%');
                i += 1;
                continue;
            }
            let mut arg = || {
                let a = args.get(next).map_or(&b""[..], Vec::as_slice);
                next += 1;
                a
            };
            let (mut left, mut zero, mut plus, mut space, mut alt) =
                (false, false, false, false, false);
            while let Some(&f) = fmt.get(i) {
                match f {
                    b'-' => left = true,
                    b'0' => zero = true,
                    b'+' => plus = true,
                    b' ' => space = true,
                    b'#' => alt = true,
                    _ => break,
                }
                i += 1;
            }
            // Width and precision: digits, or `*` taking an argument.
            let mut width = 0usize;
            if fmt.get(i) == Some(&b'*') {
                i += 1;
                let w = num(who, arg(), &mut failed);
                if w < 0 {
                    left = true;
                }
                width = w.unsigned_abs().min(1 << 20) as usize;
            } else {
                let start = i;
                while fmt.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                if let Some(w) = std::str::from_utf8(&fmt[start..i])
                    .ok()
                    .and_then(|s| s.parse::<usize>().ok())
                {
                    width = w.min(1 << 20);
                }
            }
            let mut precision = None;
            if fmt.get(i) == Some(&b'.') {
                i += 1;
                if fmt.get(i) == Some(&b'*') {
                    i += 1;
                    precision = Some(num(who, arg(), &mut failed).clamp(0, 1 << 20) as usize);
                } else {
                    let start = i;
                    while fmt.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                    precision = Some(
                        std::str::from_utf8(&fmt[start..i])
                            .ok()
                            .and_then(|s| s.parse::<usize>().ok())
                            .unwrap_or(0)
                            .min(1 << 20),
                    );
                }
            }
            let Some(&conv) = fmt.get(i) else {
                eprintln!("{who}: %: missing format character");
                return 1;
            };
            i += 1;
            let body = match conv {
                b's' => {
                    let a = arg();
                    a[..precision.map_or(a.len(), |p| p.min(a.len()))].to_vec()
                }
                b'b' => {
                    let a = arg();
                    let mut s = Vec::new();
                    let mut j = 0;
                    while j < a.len() {
                        if a[j] == b'\\' {
                            let (bytes, len, c) = escape(&a[j..], true);
                            if c {
                                stop = true;
                                break;
                            }
                            s.extend_from_slice(&bytes);
                            j += len;
                        } else {
                            s.push(a[j]);
                            j += 1;
                        }
                    }
                    s.truncate(precision.unwrap_or(s.len()));
                    s
                }
                b'c' => arg().first().map(|&c| vec![c]).unwrap_or_default(),
                b'd' | b'i' => {
                    let v = num(who, arg(), &mut failed);
                    let mut digits = v.unsigned_abs().to_string().into_bytes();
                    if let Some(p) = precision {
                        while digits.len() < p {
                            digits.insert(0, b'0');
                        }
                    }
                    let sign: &[u8] = if v < 0 {
                        b"-"
                    } else if plus {
                        b"+"
                    } else if space {
                        b" "
                    } else {
                        b""
                    };
                    [sign, &digits].concat()
                }
                b'u' | b'o' | b'x' | b'X' => {
                    let v = num(who, arg(), &mut failed) as u64;
                    let mut digits = match conv {
                        b'u' => v.to_string(),
                        b'o' => format!("{v:o}"),
                        b'x' => format!("{v:x}"),
                        _ => format!("{v:X}"),
                    }
                    .into_bytes();
                    if let Some(p) = precision {
                        while digits.len() < p {
                            digits.insert(0, b'0');
                        }
                    }
                    if alt && v != 0 {
                        let prefix: &[u8] = match conv {
                            b'o' if digits[0] != b'0' => b"0",
                            b'x' => b"0x",
                            b'X' => b"0X",
                            _ => b"",
                        };
                        digits = [prefix, &digits].concat();
                    }
                    digits
                }
                b'f' | b'F' | b'e' | b'E' | b'g' | b'G' => {
                    let v = float(who, arg(), &mut failed);
                    let body = format_float(v, conv, precision.unwrap_or(6), alt);
                    let sign: &[u8] = if body.starts_with('-') {
                        b""
                    } else if plus {
                        b"+"
                    } else if space {
                        b" "
                    } else {
                        b""
                    };
                    [sign, body.as_bytes()].concat()
                }
                c => {
                    eprintln!("{who}: %{}: invalid format", c as char);
                    return 1;
                }
            };
            let is_float = matches!(conv, b'f' | b'F' | b'e' | b'E' | b'g' | b'G');
            // A precision turns off zero padding of integers, as in C.
            let zero = zero && (is_float || !(precision.is_some() && conv != b's' && conv != b'b'));
            out.extend_from_slice(&pad(&body, width, left, zero && !left));
        }
        // The format is reused while it consumes arguments.
        if stop || next >= args.len() || next == used_before {
            break;
        }
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(&out).and_then(|()| stdout.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("{who}: write error: {}", crate::common::strerror(&e));
        }
        return 1;
    }
    i32::from(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        assert_eq!(format_float(1.23456, b'f', 2, false), "1.23");
        assert_eq!(format_float(1.0, b'f', 6, false), "1.000000");
        assert_eq!(format_float(1234.5, b'e', 2, false), "1.23e+03");
        assert_eq!(format_float(0.00012, b'E', 1, false), "1.2E-04");
        assert_eq!(format_float(100000.0, b'g', 6, false), "100000");
        assert_eq!(format_float(1000000.0, b'g', 6, false), "1e+06");
        assert_eq!(format_float(0.0001, b'g', 6, false), "0.0001");
        assert_eq!(format_float(0.00001, b'g', 6, false), "1e-05");
        assert_eq!(format_float(2.5, b'g', 6, true), "2.50000");
        assert_eq!(format_float(f64::INFINITY, b'f', 6, false), "inf");
    }

    #[test]
    fn escapes() {
        assert_eq!(escape(b"\\n", false), (b"\n".to_vec(), 2, false));
        assert_eq!(escape(b"\\101x", false), (b"A".to_vec(), 4, false));
        assert_eq!(escape(b"\\0101", true), (b"A".to_vec(), 5, false));
        assert_eq!(escape(b"\\c", true), (Vec::new(), 2, true));
        assert_eq!(escape(b"\\q", false), (b"\\q".to_vec(), 2, false));
    }

    #[test]
    fn padding() {
        assert_eq!(pad(b"ab", 4, false, false), b"  ab");
        assert_eq!(pad(b"ab", 4, true, false), b"ab  ");
        assert_eq!(pad(b"-5", 4, false, true), b"-005");
        assert_eq!(pad(b"long", 2, false, false), b"long");
    }
}
