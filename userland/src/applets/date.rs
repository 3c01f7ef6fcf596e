//! `date [-uR] [-I[SPEC]] [-d TIME | -r FILE] [-s TIME] [+FORMAT]
//! [MMDDhhmm[[CC]YY][.ss]]`: print or set the system date and time.
//!
//! The system has no time zone data, so local time is UTC (`%Z` is
//! `UTC`, `%z` is `+0000`) and `-u` changes nothing.

use crate::calendar::{civil_from_days, days_from_civil, days_in_month};
use crate::common::{error_msg, getopt, lossy, perror, usage_error, Exit};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;

pub const USAGE: &str = "[OPTIONS] [+FMT] [[-s] TIME]\n\nDisplay time (using +FMT), or set time\n\n\t-u\t\tWork in UTC (the only zone this system knows)\n\t-R\t\tOutput RFC-2822 date\n\t-I[SPEC]\tOutput ISO-8601 date; SPEC is date (default),\n\t\t\thours, minutes, seconds or ns\n\t-d TIME\t\tDisplay TIME, not 'now'\n\t-r FILE\t\tDisplay last modification time of FILE\n\t-s TIME\t\tSet time to TIME\n\nRecognized TIME formats:\n\t@seconds_since_1970\n\tYYYY-MM-DD hh:mm[:ss], YYYY-MM-DDThh:mm[:ss], YYYY-MM-DD\n\tYYYY.MM.DD-hh:mm[:ss], hh:mm[:ss], MMDDhhmm[[CC]YY][.ss]";

/// A point in time: seconds since the epoch and nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time {
    /// Seconds since 1970-01-01 00:00:00 UTC.
    pub secs: i64,
    /// Nanoseconds within the second.
    pub nsec: u32,
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    // -I takes an optional, attached argument, which getopt cannot express.
    let mut iso: Option<String> = None;
    let mut rest = Vec::with_capacity(args.len());
    let mut options = true;
    for (i, a) in args.into_iter().enumerate() {
        let b = a.as_bytes();
        if i > 0 && options {
            if b == b"--" {
                options = false;
            } else if let Some(spec) = b.strip_prefix(b"-I") {
                iso = Some(String::from_utf8_lossy(spec).into_owned());
                continue;
            } else if b == b"--iso-8601" {
                iso = Some(String::new());
                continue;
            } else if let Some(spec) = b.strip_prefix(b"--iso-8601=") {
                iso = Some(String::from_utf8_lossy(spec).into_owned());
                continue;
            }
        }
        rest.push(a);
    }
    let p = match getopt(
        &rest,
        "uRd:r:s:",
        &[
            ("utc", 'u'),
            ("universal", 'u'),
            ("rfc-2822", 'R'),
            ("rfc-email", 'R'),
            ("date", 'd'),
            ("reference", 'r'),
            ("set", 's'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut format: Option<Vec<u8>> = None;
    let mut set_text: Option<String> = p.value('s').map(|s| lossy(s).into_owned());
    for op in &p.operands {
        if let Some(f) = op.as_bytes().strip_prefix(b"+") {
            if format.is_some() {
                return usage_error("date", "multiple output formats specified");
            }
            format = Some(f.to_vec());
        } else if set_text.is_none() {
            set_text = Some(lossy(op).into_owned());
        } else {
            return usage_error("date", &format!("extra operand '{}'", lossy(op)));
        }
    }
    let format = match (format, iso, p.has('R')) {
        (Some(f), None, false) => f,
        (None, Some(spec), false) => match spec.as_str() {
            "" | "date" => b"%Y-%m-%d".to_vec(),
            "hours" => b"%Y-%m-%dT%H%:z".to_vec(),
            "minutes" => b"%Y-%m-%dT%H:%M%:z".to_vec(),
            "seconds" => b"%Y-%m-%dT%H:%M:%S%:z".to_vec(),
            "ns" => b"%Y-%m-%dT%H:%M:%S,%N%:z".to_vec(),
            _ => {
                error_msg("date", &format!("invalid argument '{spec}' for -I"));
                return 1;
            }
        },
        (None, None, true) => b"%a, %d %b %Y %H:%M:%S %z".to_vec(),
        (None, None, false) => b"%a %b %e %H:%M:%S %Z %Y".to_vec(),
        _ => return usage_error("date", "multiple output formats specified"),
    };
    let time = if let Some(text) = &set_text {
        let Some(t) = parse_time(text, now()) else {
            error_msg("date", &format!("invalid date '{text}'"));
            return 1;
        };
        let ts = nix::libc::timespec {
            tv_sec: t.secs as nix::libc::time_t,
            tv_nsec: i64::from(t.nsec) as _,
        };
        // SAFETY: clock_settime(2) reads the timespec passed by reference.
        if unsafe { nix::libc::clock_settime(nix::libc::CLOCK_REALTIME, &ts) } != 0 {
            perror("date", "can't set date", &std::io::Error::last_os_error());
            return 1;
        }
        t
    } else if let Some(d) = p.value('d') {
        let text = lossy(d);
        match parse_time(&text, now()) {
            Some(t) => t,
            None => {
                error_msg("date", &format!("invalid date '{text}'"));
                return 1;
            }
        }
    } else if let Some(f) = p.value('r') {
        match std::fs::metadata(f) {
            Ok(m) => Time {
                secs: m.mtime(),
                nsec: m.mtime_nsec() as u32,
            },
            Err(e) => {
                perror("date", format!("can't stat '{}'", lossy(f)), &e);
                return 1;
            }
        }
    } else {
        now()
    };
    let mut line = strftime(&format, time);
    line.push(b'\n');
    let mut out = crate::text::stdout();
    use std::io::Write;
    if let Err(e) = out.write_all(&line) {
        return crate::text::write_failed("date", &e);
    }
    crate::text::finish("date", &mut out, 0)
}

/// The current time.
fn now() -> Time {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => Time {
            secs: d.as_secs() as i64,
            nsec: d.subsec_nanos(),
        },
        Err(_) => Time { secs: 0, nsec: 0 },
    }
}

/// Parses the TIME formats of -d and -s (see [`USAGE`]); `now` supplies
/// the date for a bare `hh:mm` and the year for `MMDDhhmm`.
pub fn parse_time(text: &str, now: Time) -> Option<Time> {
    let t = text.trim();
    if t == "now" || t.is_empty() {
        return Some(now);
    }
    if let Some(s) = t.strip_prefix('@') {
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let secs: i64 = int.parse().ok()?;
        if !frac.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let mut digits: String = frac.chars().take(9).collect();
        while digits.len() < 9 {
            digits.push('0');
        }
        return Some(Time {
            secs,
            nsec: digits.parse().ok()?,
        });
    }
    let num = |s: &str| -> Option<i64> {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    // hh:mm[:ss]
    let clock = |s: &str| -> Option<(i64, i64, i64)> {
        let parts: Vec<&str> = s.split(':').collect();
        let (h, m, sec) = match parts.as_slice() {
            [h, m] => (num(h)?, num(m)?, 0),
            [h, m, s] => (num(h)?, num(m)?, num(s)?),
            _ => return None,
        };
        (h < 24 && m < 60 && sec < 61).then_some((h, m, sec))
    };
    let make = |y: i64, mo: i64, d: i64, (h, mi, s): (i64, i64, i64)| -> Option<Time> {
        if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
            return None;
        }
        Some(Time {
            secs: days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s,
            nsec: 0,
        })
    };
    // YYYY-MM-DD[ T]hh:mm[:ss], YYYY.MM.DD-hh:mm[:ss], YYYY-MM-DD
    let date_part = |s: &str, sep: char| -> Option<(i64, i64, i64)> {
        let parts: Vec<&str> = s.split(sep).collect();
        match parts.as_slice() {
            [y, m, d] => Some((num(y)?, num(m)?, num(d)?)),
            _ => None,
        }
    };
    for (dsep, splits) in [('-', &[' ', 'T'][..]), ('.', &['-'][..])] {
        if let Some((y, m, d)) = date_part(t, dsep) {
            return make(y, m, d, (0, 0, 0));
        }
        for &sp in splits {
            if let Some((date, time)) = t.split_once(sp) {
                if let (Some((y, m, d)), Some(c)) = (date_part(date, dsep), clock(time.trim())) {
                    return make(y, m, d, c);
                }
            }
        }
    }
    if let Some(c) = clock(t) {
        let day = now.secs.div_euclid(86400);
        return Some(Time {
            secs: day * 86400 + c.0 * 3600 + c.1 * 60 + c.2,
            nsec: 0,
        });
    }
    // MMDDhhmm[[CC]YY][.ss]
    let (main, secs) = match t.split_once('.') {
        Some((m, s)) if s.len() == 2 => (m, num(s)?),
        Some(_) => return None,
        None => (t, 0),
    };
    num(main)?;
    let f = |i: usize| -> Option<i64> { num(main.get(i..i + 2)?) };
    let (now_y, _, _) = civil_from_days(now.secs.div_euclid(86400));
    let year = match main.len() {
        8 => now_y,
        10 => {
            let yy = f(8)?;
            if yy < 69 {
                2000 + yy
            } else {
                1900 + yy
            }
        }
        12 => num(&main[8..12])?,
        _ => return None,
    };
    let (h, mi) = (f(4)?, f(6)?);
    if h >= 24 || mi >= 60 || secs >= 61 {
        return None;
    }
    make(year, f(0)?, f(2)?, (h, mi, secs))
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The broken-down form of a [`Time`] in UTC.
struct Tm {
    year: i64,
    mon: i64,
    mday: i64,
    hour: i64,
    min: i64,
    sec: i64,
    /// 0 = Sunday.
    wday: i64,
    /// 0-based day of the year.
    yday: i64,
    days: i64,
}

fn broken_down(t: Time) -> Tm {
    let days = t.secs.div_euclid(86400);
    let s = t.secs.rem_euclid(86400);
    let (year, mon, mday) = civil_from_days(days);
    Tm {
        year,
        mon,
        mday,
        hour: s / 3600,
        min: s % 3600 / 60,
        sec: s % 60,
        wday: (days + 4).rem_euclid(7),
        yday: days - days_from_civil(year, 1, 1),
        days,
    }
}

/// ISO 8601 week-based year and week number.
fn iso_week(tm: &Tm) -> (i64, i64) {
    let monday_based = (tm.wday + 6) % 7;
    let thursday = tm.days - monday_based + 3;
    let (y, _, _) = civil_from_days(thursday);
    (y, (thursday - days_from_civil(y, 1, 1)) / 7 + 1)
}

/// Formats `t` by the strftime(3) conversions in `fmt`, with the GNU
/// flags `-` (no padding), `_` (spaces) and `0` (zeros).
pub fn strftime(fmt: &[u8], t: Time) -> Vec<u8> {
    let tm = broken_down(t);
    let mut out = Vec::new();
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' || i >= fmt.len() {
            out.push(c);
            continue;
        }
        let mut flag = None;
        if matches!(fmt[i], b'-' | b'_' | b'0' | b'^') && i + 1 < fmt.len() {
            flag = Some(fmt[i]);
            i += 1;
        }
        let mut colon = false;
        if fmt[i] == b':' && fmt.get(i + 1) == Some(&b'z') {
            colon = true;
            i += 1;
        }
        let conv = fmt[i];
        i += 1;
        // A number with its default padding, which a flag may change.
        let num = |v: i64, width: usize, pad: u8| -> String {
            let pad = match flag {
                Some(b'-') => return v.to_string(),
                Some(b'_') => b' ',
                Some(b'0') => b'0',
                _ => pad,
            };
            let s = v.to_string();
            let mut p = String::new();
            for _ in s.len()..width {
                p.push(pad as char);
            }
            p + &s
        };
        let h12 = if tm.hour % 12 == 0 { 12 } else { tm.hour % 12 };
        let text: String = match conv {
            b'a' => DAYS[tm.wday as usize][..3].to_string(),
            b'A' => DAYS[tm.wday as usize].to_string(),
            b'b' | b'h' => MONTHS[(tm.mon - 1) as usize][..3].to_string(),
            b'B' => MONTHS[(tm.mon - 1) as usize].to_string(),
            b'c' => String::from_utf8_lossy(&strftime(b"%a %b %e %H:%M:%S %Y", t)).into_owned(),
            b'C' => num(tm.year.div_euclid(100), 2, b'0'),
            b'd' => num(tm.mday, 2, b'0'),
            b'D' | b'x' => String::from_utf8_lossy(&strftime(b"%m/%d/%y", t)).into_owned(),
            b'e' => num(tm.mday, 2, b' '),
            b'F' => String::from_utf8_lossy(&strftime(b"%Y-%m-%d", t)).into_owned(),
            b'g' => num(iso_week(&tm).0.rem_euclid(100), 2, b'0'),
            b'G' => num(iso_week(&tm).0, 1, b'0'),
            b'H' => num(tm.hour, 2, b'0'),
            b'I' => num(h12, 2, b'0'),
            b'j' => num(tm.yday + 1, 3, b'0'),
            b'k' => num(tm.hour, 2, b' '),
            b'l' => num(h12, 2, b' '),
            b'm' => num(tm.mon, 2, b'0'),
            b'M' => num(tm.min, 2, b'0'),
            b'n' => "\n".into(),
            b'N' => format!("{:09}", t.nsec),
            b'p' => if tm.hour < 12 { "AM" } else { "PM" }.into(),
            b'P' => if tm.hour < 12 { "am" } else { "pm" }.into(),
            b'r' => String::from_utf8_lossy(&strftime(b"%I:%M:%S %p", t)).into_owned(),
            b'R' => String::from_utf8_lossy(&strftime(b"%H:%M", t)).into_owned(),
            b's' => t.secs.to_string(),
            b'S' => num(tm.sec, 2, b'0'),
            b't' => "\t".into(),
            b'T' | b'X' => String::from_utf8_lossy(&strftime(b"%H:%M:%S", t)).into_owned(),
            b'u' => (if tm.wday == 0 { 7 } else { tm.wday }).to_string(),
            b'U' => num((tm.yday + 7 - tm.wday) / 7, 2, b'0'),
            b'V' => num(iso_week(&tm).1, 2, b'0'),
            b'w' => tm.wday.to_string(),
            b'W' => num((tm.yday + 7 - (tm.wday + 6) % 7) / 7, 2, b'0'),
            b'y' => num(tm.year.rem_euclid(100), 2, b'0'),
            b'Y' => num(tm.year, 1, b'0'),
            b'z' if colon => "+00:00".into(),
            b'z' => "+0000".into(),
            b'Z' => "UTC".into(),
            b'%' => "%".into(),
            other => {
                // Unknown conversions are printed as they are.
                out.push(b'%');
                if let Some(f) = flag {
                    out.push(f);
                }
                out.push(other);
                continue;
            }
        };
        if flag == Some(b'^') {
            out.extend_from_slice(text.to_uppercase().as_bytes());
        } else {
            out.extend_from_slice(text.as_bytes());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Time {
        Time { secs, nsec: 0 }
    }

    fn fmt(f: &str, secs: i64) -> String {
        String::from_utf8(strftime(f.as_bytes(), at(secs))).unwrap()
    }

    #[test]
    fn formats() {
        // 2001-09-09 01:46:40 UTC, a Sunday.
        let t = 1_000_000_000;
        assert_eq!(
            fmt("%a %b %e %H:%M:%S %Z %Y", t),
            "Sun Sep  9 01:46:40 UTC 2001"
        );
        assert_eq!(
            fmt("%F %T %j %u %w %s", t),
            "2001-09-09 01:46:40 252 7 0 1000000000"
        );
        assert_eq!(
            fmt("%D %r %I %l %p %P %C %y", t),
            "09/09/01 01:46:40 AM 01  1 AM am 20 01"
        );
        assert_eq!(fmt("%-d|%_m|%^a|%%|%q", t), "9| 9|SUN|%|%q");
        assert_eq!(fmt("%U %W %V %G %g", t), "36 36 36 2001 01");
        // 2021-01-01 is a Friday in ISO week 53 of 2020.
        let t = days_from_civil(2021, 1, 1) * 86400;
        assert_eq!(fmt("%V %G %U %W %A %B", t), "53 2020 00 00 Friday January");
        assert_eq!(fmt("%c", 0), "Thu Jan  1 00:00:00 1970");
    }

    #[test]
    fn parsing() {
        let now = at(1_000_000_000);
        assert_eq!(parse_time("@0", now), Some(at(0)));
        assert_eq!(parse_time("@-86400", now), Some(at(-86400)));
        assert_eq!(
            parse_time("@1.5", now),
            Some(Time {
                secs: 1,
                nsec: 500_000_000
            })
        );
        assert_eq!(parse_time("1970-01-02 00:00", now), Some(at(86400)));
        assert_eq!(parse_time("1970-01-01 01:02:03", now), Some(at(3723)));
        assert_eq!(parse_time("1970-01-01T00:00:10", now), Some(at(10)));
        assert_eq!(parse_time("1970.01.01-00:01", now), Some(at(60)));
        assert_eq!(parse_time("1970-01-03", now), Some(at(2 * 86400)));
        assert_eq!(parse_time("00:00", now), Some(at(999_993_600)));
        assert_eq!(parse_time("010200001970", now), Some(at(86400)));
        assert_eq!(parse_time("01020000.05", now).map(|t| t.secs % 60), Some(5));
        for bad in ["x", "2001-02-30", "25:00", "1970-13-01 00:00", "@x", "0102"] {
            assert_eq!(parse_time(bad, now), None, "{bad}");
        }
    }
}
