//! `printf`/`sprintf` formatting as C's printf does it, on awk values.

use super::value::{num_to_str, Value};

/// Largest precision honoured: Rust's formatter takes no more than 65535.
const MAX_PREC: usize = 60_000;

/// Formats `args` by `fmt` onto `out`; numbers given to `%s` use `convfmt`.
/// Missing arguments count as uninitialised, extra ones are ignored.
pub fn sprintf(fmt: &[u8], args: &[Value], convfmt: &[u8], out: &mut Vec<u8>) {
    let mut args = args.iter();
    let none = Value::Uninit;
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        if c != b'%' {
            let next = fmt[i..]
                .iter()
                .position(|&b| b == b'%')
                .map_or(fmt.len(), |p| i + p);
            out.extend_from_slice(&fmt[i..next]);
            i = next;
            continue;
        }
        let start = i;
        i += 1;
        if i < fmt.len() && fmt[i] == b'%' {
            out.push(b'%');
            i += 1;
            continue;
        }
        let mut spec = Spec::default();
        while i < fmt.len() {
            match fmt[i] {
                b'-' => spec.left = true,
                b'+' => spec.plus = true,
                b' ' => spec.space = true,
                b'#' => spec.alt = true,
                b'0' => spec.zero = true,
                _ => break,
            }
            i += 1;
        }
        if i < fmt.len() && fmt[i] == b'*' {
            let w = args.next().unwrap_or(&none).num() as i64;
            if w < 0 {
                spec.left = true;
            }
            spec.width = w.unsigned_abs().min(1 << 20) as usize;
            i += 1;
        } else {
            while i < fmt.len() && fmt[i].is_ascii_digit() {
                spec.width = (spec.width * 10 + usize::from(fmt[i] - b'0')).min(1 << 20);
                i += 1;
            }
        }
        if i < fmt.len() && fmt[i] == b'.' {
            i += 1;
            let mut p = 0usize;
            if i < fmt.len() && fmt[i] == b'*' {
                let v = args.next().unwrap_or(&none).num() as i64;
                i += 1;
                spec.prec = if v < 0 {
                    None
                } else {
                    Some((v as usize).min(MAX_PREC))
                };
            } else {
                while i < fmt.len() && fmt[i].is_ascii_digit() {
                    p = (p * 10 + usize::from(fmt[i] - b'0')).min(MAX_PREC);
                    i += 1;
                }
                spec.prec = Some(p);
            }
        }
        // Length modifiers mean nothing to awk.
        while i < fmt.len() && matches!(fmt[i], b'h' | b'l' | b'L' | b'q' | b'j' | b'z' | b't') {
            i += 1;
        }
        let Some(&conv) = fmt.get(i) else {
            out.extend_from_slice(&fmt[start..]);
            break;
        };
        i += 1;
        match conv {
            b'd' | b'i' => {
                let n = args.next().unwrap_or(&none).num();
                int_conv(out, &spec, n, 10, false, true);
            }
            b'o' | b'u' | b'x' | b'X' => {
                let n = args.next().unwrap_or(&none).num();
                let base = match conv {
                    b'o' => 8,
                    b'u' => 10,
                    _ => 16,
                };
                int_conv(out, &spec, n, base, conv == b'X', false);
            }
            b'e' | b'E' | b'f' | b'F' | b'g' | b'G' | b'a' | b'A' => {
                let n = args.next().unwrap_or(&none).num();
                float_conv(out, &spec, n, conv);
            }
            b'c' => {
                let v = args.next().unwrap_or(&none);
                let mut s = Vec::new();
                match v {
                    Value::Num(n) => {
                        // A byte, as C's printf gives it.
                        s.push(*n as i64 as u8);
                    }
                    _ => {
                        let mut t = Vec::new();
                        v.push_str(&mut t, convfmt);
                        if let Some(&b) = t.first() {
                            s.push(b);
                        }
                    }
                }
                pad(out, &spec, &s, false);
            }
            b's' => {
                let v = args.next().unwrap_or(&none);
                let mut s = Vec::new();
                match v {
                    Value::Num(n) => num_to_str(*n, convfmt, &mut s),
                    _ => v.push_str(&mut s, convfmt),
                }
                if let Some(p) = spec.prec {
                    s.truncate(p);
                }
                pad(out, &spec, &s, false);
            }
            _ => out.extend_from_slice(&fmt[start..i]),
        }
    }
}

/// Flags, width and precision of one conversion.
#[derive(Default, Clone, Copy)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    alt: bool,
    zero: bool,
    width: usize,
    prec: Option<usize>,
}

/// Pads `body` to the width; `numeric` bodies take zero padding after
/// their sign.
fn pad(out: &mut Vec<u8>, spec: &Spec, body: &[u8], numeric: bool) {
    let fill = spec.width.saturating_sub(body.len());
    if spec.left {
        out.extend_from_slice(body);
        out.resize(out.len() + fill, b' ');
    } else if spec.zero && numeric {
        let sign = body
            .first()
            .is_some_and(|b| matches!(b, b'-' | b'+' | b' ')) as usize;
        let prefix = if body[sign..].starts_with(b"0x") || body[sign..].starts_with(b"0X") {
            sign + 2
        } else {
            sign
        };
        out.extend_from_slice(&body[..prefix]);
        out.resize(out.len() + fill, b'0');
        out.extend_from_slice(&body[prefix..]);
    } else {
        out.resize(out.len() + fill, b' ');
        out.extend_from_slice(body);
    }
}

/// `%d %i %o %u %x %X`.
fn int_conv(out: &mut Vec<u8>, spec: &Spec, n: f64, base: u32, upper: bool, signed: bool) {
    if n.is_nan() || n.is_infinite() {
        float_conv(out, spec, n, b'f');
        return;
    }
    let n = n.trunc();
    let (neg, mag) = if signed {
        let v = if n >= 9.2e18 {
            i64::MAX
        } else if n <= -9.2e18 {
            i64::MIN
        } else {
            n as i64
        };
        (v < 0, v.unsigned_abs())
    } else if n < 0.0 {
        (false, (n as i64) as u64)
    } else {
        (false, if n >= 1.8e19 { u64::MAX } else { n as u64 })
    };
    let mut digits = match base {
        8 => format!("{mag:o}"),
        16 if upper => format!("{mag:X}"),
        16 => format!("{mag:x}"),
        _ => mag.to_string(),
    }
    .into_bytes();
    if let Some(p) = spec.prec {
        if p == 0 && mag == 0 {
            digits.clear();
        }
        if digits.len() < p {
            let mut padded = vec![b'0'; p - digits.len()];
            padded.extend_from_slice(&digits);
            digits = padded;
        }
    }
    let mut body = Vec::new();
    if neg {
        body.push(b'-');
    } else if signed && spec.plus {
        body.push(b'+');
    } else if signed && spec.space {
        body.push(b' ');
    }
    if spec.alt && mag != 0 {
        match base {
            8 if !digits.starts_with(b"0") => body.push(b'0'),
            16 => body.extend_from_slice(if upper { b"0X" } else { b"0x" }),
            _ => {}
        }
    }
    body.extend_from_slice(&digits);
    let zero_ok = spec.prec.is_none();
    let s2 = Spec {
        zero: spec.zero && zero_ok,
        ..*spec
    };
    pad(out, &s2, &body, true);
}

/// `%e %f %g` and their capitals.
fn float_conv(out: &mut Vec<u8>, spec: &Spec, n: f64, conv: u8) {
    let upper = conv.is_ascii_uppercase();
    let mut body = Vec::new();
    if n.is_sign_negative() && !n.is_nan() {
        body.push(b'-');
    } else if spec.plus {
        body.push(b'+');
    } else if spec.space {
        body.push(b' ');
    }
    let a = n.abs();
    if !a.is_finite() {
        let t: &[u8] = if a.is_nan() { b"nan" } else { b"inf" };
        body.extend(
            t.iter()
                .map(|b| if upper { b.to_ascii_uppercase() } else { *b }),
        );
        let s2 = Spec {
            zero: false,
            ..*spec
        };
        pad(out, &s2, &body, false);
        return;
    }
    let prec = spec.prec.unwrap_or(6);
    let text = match conv.to_ascii_lowercase() {
        b'f' => {
            let mut t = format!("{a:.prec$}");
            if spec.alt && prec == 0 {
                t.push('.');
            }
            t
        }
        b'e' | b'a' => exp_form(a, prec, spec.alt),
        _ => {
            let p = if prec == 0 { 1 } else { prec };
            let e = exp_form(a, p - 1, false);
            let x: i32 = e
                .rsplit('e')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let mut t = if x < p as i32 && x >= -4 {
                format!("{a:.*}", (p as i32 - 1 - x).max(0) as usize)
            } else {
                exp_form(a, p - 1, spec.alt)
            };
            if !spec.alt {
                t = strip_zeros(&t);
            }
            t
        }
    };
    let text = if upper { text.to_uppercase() } else { text };
    body.extend_from_slice(text.as_bytes());
    pad(out, spec, &body, true);
}

/// `d.ddde+XX` with `prec` digits after the point.
fn exp_form(a: f64, prec: usize, alt: bool) -> String {
    let s = format!("{a:.prec$e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut m = mant.to_string();
    if alt && prec == 0 {
        m.push('.');
    }
    format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

/// Removes trailing zeros of the fraction (and a bare point) for `%g`.
fn strip_zeros(t: &str) -> String {
    let (mant, exp) = match t.find('e') {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, ""),
    };
    if !mant.contains('.') {
        return t.to_string();
    }
    let m = mant.trim_end_matches('0').trim_end_matches('.');
    format!("{m}{exp}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fmt: &str, args: &[Value]) -> String {
        let mut o = Vec::new();
        sprintf(fmt.as_bytes(), args, b"%.6g", &mut o);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn conversions() {
        let n = |x| Value::Num(x);
        assert_eq!(
            f("%5.2f|%-4d|%04d", &[n(1.23456), n(7.0), n(-5.0)]),
            " 1.23|7   |-005"
        );
        assert_eq!(
            f("%g %g %g", &[n(100000.0), n(1e6), n(0.0001)]),
            "100000 1e+06 0.0001"
        );
        assert_eq!(f("%e", &[n(12345.678)]), "1.234568e+04");
        assert_eq!(
            f("%x %o %X %#x", &[n(255.0), n(8.0), n(255.0), n(255.0)]),
            "ff 10 FF 0xff"
        );
        assert_eq!(f("%c%c", &[n(65.0), Value::str(b"hello")]), "Ah");
        assert_eq!(
            f("%.2s|%5s|%%", &[Value::str(b"abc"), Value::str(b"x")]),
            "ab|    x|%"
        );
        assert_eq!(f("%d", &[Value::str(b"12abc")]), "12");
        assert_eq!(f("%.3g", &[n(1.23456)]), "1.23");
    }
}
