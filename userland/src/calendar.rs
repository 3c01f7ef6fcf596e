//! Calendar arithmetic in UTC (the image carries no time zone data): the
//! one place userland turns seconds since the epoch into dates and back,
//! for ls, ps, date, touch, stat, logger, watch and the archivers.

/// Month names as `ls`, `ps` and syslog abbreviate them.
pub const MONTH_ABBR: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Seconds since the epoch now (0 if the clock is before it).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub use ibex_control::civil_from_days;

/// Days since 1970-01-01 of a date in the proleptic Gregorian calendar
/// (the inverse of [`civil_from_days`]).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `secs` since the epoch as `YYYY-MM-DD hh:mm:ss` in UTC.
pub fn format_time(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86400));
    let t = secs.rem_euclid(86400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

/// syslog's `Mmm dd hh:mm:ss` (day padded with a space) for `secs` since
/// the epoch, as syslogd and klogd write it.
pub fn syslog_stamp(secs: i64) -> String {
    let (_, m, d) = civil_from_days(secs.div_euclid(86400));
    let t = secs.rem_euclid(86400);
    format!(
        "{} {d:2} {:02}:{:02}:{:02}",
        MONTH_ABBR[(m as usize).saturating_sub(1) % 12],
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syslog_stamps() {
        assert_eq!(syslog_stamp(0), "Jan  1 00:00:00");
        assert_eq!(syslog_stamp(1_000_000_000), "Sep  9 01:46:40");
    }

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11017);
        assert_eq!(format_time(951_782_400 + 3661), "2000-02-29 01:01:01");
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
    }

    /// Every day over a few centuries goes there and back.
    #[test]
    fn round_trip() {
        for z in -200_000..200_000 {
            let (y, m, d) = civil_from_days(z);
            assert!((1..=days_in_month(y, m)).contains(&d));
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }
}
