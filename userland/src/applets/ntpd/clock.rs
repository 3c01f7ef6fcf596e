//! Setting the system clock: a step (clock_settime) for a large offset,
//! a slew (adjtime) for a small one, so that time never jumps backwards
//! for small corrections.

use nix::errno::Errno;
use nix::libc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Offsets larger than this (seconds) are stepped, smaller ones slewed:
/// ntpd's STEP_THRESHOLD (RFC 5905's 128 ms).
pub const STEP_THRESHOLD: f64 = 0.128;

/// What was done to the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjustment {
    /// The clock was set to this time.
    Stepped(SystemTime),
    /// The clock is being slewed.
    Slewed,
}

/// Moves the clock by `offset` seconds (step or slew, by its size).
pub fn adjust(offset: f64) -> Result<Adjustment, Errno> {
    if offset.abs() > STEP_THRESHOLD {
        step(offset).map(Adjustment::Stepped)
    } else {
        slew(offset).map(|()| Adjustment::Slewed)
    }
}

/// `t` moved by `offset` seconds (saturating at the epoch).
pub fn shifted(t: SystemTime, offset: f64) -> SystemTime {
    let d = Duration::try_from_secs_f64(offset.abs()).unwrap_or(Duration::ZERO);
    if offset >= 0.0 {
        t.checked_add(d).unwrap_or(t)
    } else {
        t.checked_sub(d)
            .filter(|x| *x >= UNIX_EPOCH)
            .unwrap_or(UNIX_EPOCH)
    }
}

/// Sets the clock to now + `offset`.
fn step(offset: f64) -> Result<SystemTime, Errno> {
    let target = shifted(SystemTime::now(), offset);
    let d = target.duration_since(UNIX_EPOCH).unwrap_or_default();
    let ts = libc::timespec {
        tv_sec: d.as_secs() as libc::time_t,
        tv_nsec: d.subsec_nanos() as _,
    };
    // SAFETY: `ts` is a valid timespec for the duration of the call.
    Errno::result(unsafe { libc::clock_settime(libc::CLOCK_REALTIME, &ts) })?;
    Ok(target)
}

/// Starts slewing the clock by `offset` seconds.
fn slew(offset: f64) -> Result<(), Errno> {
    let tv = timeval(offset);
    // SAFETY: `tv` is a valid timeval; a null old-value pointer is allowed.
    Errno::result(unsafe { libc::adjtime(&tv, std::ptr::null_mut()) }).map(|_| ())
}

/// `secs` as a normalized timeval (microseconds in 0..1 000 000, the
/// seconds carrying the sign), as adjtime requires.
fn timeval(secs: f64) -> libc::timeval {
    let mut whole = secs.floor();
    let mut micros = ((secs - whole) * 1e6).round();
    if micros >= 1e6 {
        whole += 1.0;
        micros -= 1e6;
    }
    libc::timeval {
        tv_sec: whole as libc::time_t,
        tv_usec: micros as libc::suseconds_t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timevals_are_normalized() {
        let tv = timeval(-0.25);
        assert_eq!((tv.tv_sec, tv.tv_usec), (-1, 750_000));
        let tv = timeval(0.0999999999);
        assert_eq!((tv.tv_sec, tv.tv_usec), (0, 100_000));
        let tv = timeval(-0.0000000001);
        assert_eq!((tv.tv_sec, tv.tv_usec), (0, 0));
        let t = UNIX_EPOCH + Duration::from_secs(100);
        assert_eq!(shifted(t, -1.5), UNIX_EPOCH + Duration::from_millis(98_500));
        assert_eq!(shifted(t, -1000.0), UNIX_EPOCH);
        assert_eq!(shifted(t, f64::NAN), t);
    }
}
