//! `touch [-cahm] [-d DATE] [-t STAMP] [-r FILE] FILE...`: change file
//! times, creating files that do not exist.

use crate::calendar::{civil_from_days, days_from_civil};
use crate::common::{error_msg, getopt, perror, print_usage_brief, Exit};
use crate::fsutil::{self, io_err, show};
use nix::sys::time::TimeSpec;
use std::ffi::OsString;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

pub const USAGE: &str = "[-cahm] [-d DATE] [-t DATE] [-r FILE] FILE...\n\nUpdate mtime of FILEs\n\n\t-c\tDon't create files\n\t-h\tDon't follow links\n\t-a\tChange only atime\n\t-m\tChange only mtime\n\t-d DT\tDate/time to use (UTC): YYYY-MM-DD[ hh:mm[:ss]], hh:mm[:ss], @SECONDS\n\t-t DT\tDate/time to use: [[CC]YY]MMDDhhmm[.ss]\n\t-r FILE\tUse FILE's date/time";

/// Entry point: `touch [-cahm] [-d DATE] [-t STAMP] [-r FILE] FILE...`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "cahmd:t:r:",
        &[
            ("no-create", 'c'),
            ("no-dereference", 'h'),
            ("date", 'd'),
            ("reference", 'r'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.is_empty() {
        print_usage_brief("touch");
        return 1;
    }
    // (atime, mtime); UTIME_NOW unless a time was given.
    let mut times = (TimeSpec::UTIME_NOW, TimeSpec::UTIME_NOW);
    let mut explicit = false;
    if let Some(reference) = p.value('r') {
        match std::fs::metadata(reference) {
            Ok(m) => {
                times = (
                    TimeSpec::new(m.atime(), m.atime_nsec()),
                    TimeSpec::new(m.mtime(), m.mtime_nsec()),
                );
                explicit = true;
            }
            Err(e) => {
                perror(
                    "touch",
                    format!("can't stat '{}'", show(Path::new(reference))),
                    &e,
                );
                return 1;
            }
        }
    }
    for (c, v) in &p.opts {
        let parse: fn(&str) -> Option<i64> = match c {
            'd' => parse_date,
            't' => parse_stamp,
            _ => continue,
        };
        let text = v
            .as_deref()
            .map(|v| v.to_string_lossy())
            .unwrap_or_default();
        match parse(&text) {
            Some(secs) => {
                times = (TimeSpec::new(secs, 0), TimeSpec::new(secs, 0));
                explicit = true;
            }
            None => {
                error_msg("touch", &format!("invalid date '{text}'"));
                return 1;
            }
        }
    }
    // -a alone leaves mtime alone, -m alone atime; both or neither set both.
    if p.has('a') && !p.has('m') {
        times.1 = TimeSpec::UTIME_OMIT;
    } else if p.has('m') && !p.has('a') {
        times.0 = TimeSpec::UTIME_OMIT;
    }
    let follow = !p.has('h');
    let mut status = 0;
    for file in &p.operands {
        let path = Path::new(file);
        let result = match fsutil::set_times(path, &times.0, &times.1, follow) {
            Err(e) if e.raw_os_error() == Some(nix::libc::ENOENT) => {
                if p.has('c') {
                    continue;
                }
                create(path, &times, explicit)
            }
            other => other,
        };
        if let Err(e) = result {
            perror("touch", show(path), &e);
            status = 1;
        }
    }
    status
}

/// Creates the empty file `path` and gives it `times` if they were given.
fn create(path: &Path, times: &(TimeSpec, TimeSpec), explicit: bool) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o666)
        .open(path)?;
    if explicit {
        nix::sys::stat::utimensat(
            None,
            path,
            &times.0,
            &times.1,
            nix::sys::stat::UtimensatFlags::FollowSymlink,
        )
        .map_err(io_err)?;
    }
    Ok(())
}

/// Seconds since the epoch of a UTC date and time, if all fields are in
/// range.
fn epoch(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    let ok = (1..=12).contains(&mo)
        && (1..=31).contains(&d)
        && (0..=23).contains(&h)
        && (0..=59).contains(&mi)
        && (0..=60).contains(&s);
    ok.then(|| days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s)
}

/// A decimal field of exactly `text.len()` digits.
fn num(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `hh:mm[:ss]` → (h, m, s).
fn clock(text: &str) -> Option<(i64, i64, i64)> {
    let f: Vec<&str> = text.split(':').collect();
    match f.as_slice() {
        [h, m] => Some((num(h)?, num(m)?, 0)),
        [h, m, s] => Some((num(h)?, num(m)?, num(s.split('.').next()?)?)),
        _ => None,
    }
}

/// `-d`: `@SECONDS`, `YYYY-MM-DD`, `YYYY-MM-DD hh:mm[:ss]` (or with `T`),
/// or `hh:mm[:ss]` today, all UTC.
fn parse_date(text: &str) -> Option<i64> {
    if let Some(secs) = text.strip_prefix('@') {
        return secs.parse().ok();
    }
    let (date, time) = match text.find([' ', 'T']) {
        Some(i) => (&text[..i], Some(text[i + 1..].trim_start())),
        None if text.contains('-') => (text, None),
        None => ("", Some(text)),
    };
    let (h, mi, s) = match time {
        Some(t) => clock(t)?,
        None => (0, 0, 0),
    };
    if date.is_empty() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs() as i64;
        let day = now - now.rem_euclid(86400);
        return epoch(1970, 1, 1, h, mi, s).map(|t| day + t);
    }
    let f: Vec<&str> = date.split('-').collect();
    match f.as_slice() {
        [y, m, d] => epoch(num(y)?, num(m)?, num(d)?, h, mi, s),
        _ => None,
    }
}

/// `-t [[CC]YY]MMDDhhmm[.ss]` in UTC; without a year, this year.
fn parse_stamp(text: &str) -> Option<i64> {
    let (main, secs) = match text.split_once('.') {
        Some((m, s)) if s.len() == 2 => (m, num(s)?),
        Some(_) => return None,
        None => (text, 0),
    };
    num(main)?;
    let (year, rest) = match main.len() {
        8 => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok()?
                .as_secs() as i64;
            (civil_from_days(now / 86400).0, main)
        }
        10 => {
            let yy = num(&main[..2])?;
            (if yy >= 69 { 1900 + yy } else { 2000 + yy }, &main[2..])
        }
        12 => (num(&main[..4])?, &main[4..]),
        _ => return None,
    };
    epoch(
        year,
        num(&rest[0..2])?,
        num(&rest[2..4])?,
        num(&rest[4..6])?,
        num(&rest[6..8])?,
        secs,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(parse_date("@86400"), Some(86400));
        assert_eq!(parse_date("2000-01-02"), Some(946_771_200));
        assert_eq!(parse_date("2000-01-02 03:04:05"), Some(946_782_245));
        assert_eq!(parse_date("2000-01-02T03:04"), Some(946_782_240));
        assert_eq!(parse_date("2000-13-02"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_stamp("200001020304.05"), Some(946_782_245));
        assert_eq!(parse_stamp("0001020304"), Some(946_782_240));
        assert_eq!(parse_stamp("6901020304"), parse_stamp("196901020304"));
        assert_eq!(parse_stamp("01020304.5"), None);
        assert_eq!(parse_stamp("1234"), None);
    }
}
