//! `sleep N[smhd]...`: pause for the sum of the given times.

use std::ffi::OsString;
use std::time::Duration;

pub const USAGE: &str = "[N]...\n\nPause for a time equal to the total of the args given, where each arg can\nhave an optional suffix of (s)econds, (m)inutes, (h)ours, or (d)ays; `inf` waits forever";

/// Entry point: `sleep N[smhd]...`.
pub fn main(args: Vec<OsString>) -> i32 {
    let mut operands = args.get(1..).unwrap_or_default();
    if let Some(first) = operands.first() {
        if first == "--help" {
            crate::common::print_usage("sleep");
            return 0;
        }
        if first == "--" {
            operands = &operands[1..];
        }
    }
    if operands.is_empty() {
        return crate::common::usage_error("sleep", "missing operand");
    }
    let mut total = 0f64;
    for arg in operands {
        let text = arg.to_string_lossy();
        match parse(&text) {
            Some(secs) => total += secs,
            None => {
                crate::common::error_msg("sleep", &format!("invalid number '{text}'"));
                return 1;
            }
        }
    }
    if total.is_infinite() {
        loop {
            std::thread::sleep(Duration::from_secs(u64::from(u32::MAX)));
        }
    }
    // Anything past 30 million years is forever enough; from_secs_f64 would
    // panic on values beyond u64 seconds.
    std::thread::sleep(Duration::from_secs_f64(total.min(1e15)));
    0
}

/// Seconds in `N[smhd]`; fractions and exponents (`1e-3`) are allowed, as
/// with BusyBox's strtod, but not signs, `nan` or hexadecimal.
fn parse(text: &str) -> Option<f64> {
    if text == "inf" || text == "infinity" {
        return Some(f64::INFINITY);
    }
    let (number, unit) = match text.as_bytes().last()? {
        b's' => (&text[..text.len() - 1], 1.0),
        b'm' => (&text[..text.len() - 1], 60.0),
        b'h' => (&text[..text.len() - 1], 3600.0),
        b'd' => (&text[..text.len() - 1], 86400.0),
        _ => (text, 1.0),
    };
    let starts_numeric = number
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.');
    let numeric = number
        .bytes()
        .all(|b| b.is_ascii_digit() || b".eE+-".contains(&b));
    if !starts_numeric || !numeric {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    Some(value * unit)
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_suffixes() {
        assert_eq!(super::parse("1.5"), Some(1.5));
        assert_eq!(super::parse("2m"), Some(120.0));
        assert_eq!(super::parse("1d"), Some(86400.0));
        assert_eq!(super::parse("x"), None);
        assert_eq!(super::parse("-1"), None);
        assert_eq!(super::parse("s"), None);
        assert_eq!(super::parse("1e-3"), Some(0.001));
        assert_eq!(super::parse(".5s"), Some(0.5));
        assert_eq!(super::parse("inf"), Some(f64::INFINITY));
        assert_eq!(super::parse("nan"), None);
        assert_eq!(super::parse("1e"), None);
    }
}
