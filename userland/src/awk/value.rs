//! Awk values: numbers, strings and "strnums" (input that looks like a
//! number, compared numerically), with awk's conversions between them.

use std::rc::Rc;

/// One awk value.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// A variable never assigned: both "" and 0.
    #[default]
    Uninit,
    /// A number.
    Num(f64),
    /// A string constant or the result of a string operation.
    Str(Rc<[u8]>),
    /// Input data (fields, getline, split, ARGV …) that looks numeric:
    /// compared as a number, printed as written.
    StrNum(Rc<[u8]>, f64),
}

impl Value {
    /// A string value.
    pub fn str(s: &[u8]) -> Value {
        Value::Str(Rc::from(s))
    }

    /// A value read from input: a strnum when it looks like a number.
    pub fn input(s: &[u8]) -> Value {
        match looks_numeric(s) {
            Some(n) => Value::StrNum(Rc::from(s), n),
            None => Value::Str(Rc::from(s)),
        }
    }

    /// The numeric value.
    pub fn num(&self) -> f64 {
        match self {
            Value::Uninit => 0.0,
            Value::Num(n) | Value::StrNum(_, n) => *n,
            Value::Str(s) => str_to_num(s),
        }
    }

    /// Truth: non-zero numbers and non-empty strings.
    pub fn truth(&self) -> bool {
        match self {
            Value::Uninit => false,
            Value::Num(n) | Value::StrNum(_, n) => *n != 0.0,
            Value::Str(s) => !s.is_empty(),
        }
    }

    /// Whether comparisons treat this value as a number.
    pub fn is_numeric(&self) -> bool {
        !matches!(self, Value::Str(_))
    }

    /// Appends the string form (numbers through `fmt`, CONVFMT or OFMT).
    pub fn push_str(&self, out: &mut Vec<u8>, fmt: &[u8]) {
        match self {
            Value::Uninit => {}
            Value::Num(n) => num_to_str(*n, fmt, out),
            Value::Str(s) | Value::StrNum(s, _) => out.extend_from_slice(s),
        }
    }

    /// The string form as a new buffer.
    pub fn to_bytes(&self, fmt: &[u8]) -> Rc<[u8]> {
        match self {
            Value::Str(s) | Value::StrNum(s, _) => s.clone(),
            _ => {
                let mut v = Vec::new();
                self.push_str(&mut v, fmt);
                Rc::from(v)
            }
        }
    }
}

/// Formats a number: integers as integers, others with `fmt` (a printf
/// format such as "%.6g").
pub fn num_to_str(n: f64, fmt: &[u8], out: &mut Vec<u8>) {
    if n == n.trunc() && n.abs() < 1e18 {
        out.extend_from_slice((n as i64).to_string().as_bytes());
    } else if n.is_nan() {
        out.extend_from_slice(if n.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
    } else if n.is_infinite() {
        out.extend_from_slice(if n < 0.0 { b"-inf" } else { b"inf" });
    } else {
        super::format::sprintf(fmt, &[Value::Num(n)], b"%.6g", out);
    }
}

/// The length of the numeric prefix of `s` after leading blanks, as
/// strtod reads it (decimal only), and its value.
fn scan_number(s: &[u8]) -> (usize, f64) {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c') {
        i += 1;
    }
    let start = i;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        i += 1;
    }
    let digits_start = i;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
    }
    let mut nd = i - digits_start;
    if i < s.len() && s[i] == b'.' {
        i += 1;
        let f = i;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
        }
        nd += i - f;
    }
    if nd == 0 {
        // "inf" and "nan" are accepted with an explicit sign only, as gawk does.
        let rest = &s[digits_start..];
        if digits_start > start && rest.len() >= 3 {
            let word = rest[..3].to_ascii_lowercase();
            let neg = s[start] == b'-';
            if word == b"inf" {
                return (
                    digits_start + 3,
                    if neg {
                        f64::NEG_INFINITY
                    } else {
                        f64::INFINITY
                    },
                );
            }
            if word == b"nan" {
                return (digits_start + 3, if neg { -f64::NAN } else { f64::NAN });
            }
        }
        return (0, 0.0);
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        let mut j = i + 1;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        if j < s.len() && s[j].is_ascii_digit() {
            while j < s.len() && s[j].is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    let text = std::str::from_utf8(&s[start..i]).unwrap_or("0");
    (i, text.parse::<f64>().unwrap_or(0.0))
}

/// A string's numeric value: its longest numeric prefix, else 0.
pub fn str_to_num(s: &[u8]) -> f64 {
    // Fast path for plain unsigned integers, the common field.
    if !s.is_empty() && s.len() < 16 && s.iter().all(u8::is_ascii_digit) {
        return s.iter().fold(0u64, |a, &b| a * 10 + u64::from(b - b'0')) as f64;
    }
    scan_number(s).1
}

/// The number `s` spells, when all of it (but surrounding blanks) is a
/// number: such input compares numerically.
pub fn looks_numeric(s: &[u8]) -> Option<f64> {
    if !s.is_empty() && s.len() < 16 && s.iter().all(u8::is_ascii_digit) {
        return Some(s.iter().fold(0u64, |a, &b| a * 10 + u64::from(b - b'0')) as f64);
    }
    let (end, n) = scan_number(s);
    if end == 0 {
        return None;
    }
    if s[end..]
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c'))
    {
        Some(n)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(str_to_num(b" 12abc"), 12.0);
        assert_eq!(str_to_num(b"1e3x"), 1000.0);
        assert_eq!(str_to_num(b".5"), 0.5);
        assert_eq!(str_to_num(b"x"), 0.0);
        assert_eq!(looks_numeric(b" 3.5 "), Some(3.5));
        assert_eq!(looks_numeric(b"3x"), None);
        assert_eq!(looks_numeric(b""), None);
        assert_eq!(looks_numeric(b"."), None);
        let mut o = Vec::new();
        num_to_str(0.1, b"%.6g", &mut o);
        assert_eq!(o, b"0.1");
    }
}
