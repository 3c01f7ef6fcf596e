//! The hardware watchdog: while init's main loop turns, it pets
//! `/dev/watchdog`; if the system hangs (init stuck or starved, kernel
//! wedged), the watchdog resets the machine, and the firmware boots the
//! slot it is told to, which after a failed trial is the previous one. As
//! OpenWrt's procd does. Opening the device arms it; the timeout comes
//! from the boot plan (board or image definition). A poweroff or halt
//! disarms it with the "magic close" ('V' before close) only right before
//! reboot(2), so that a halted machine stays halted but a shutdown that
//! hangs is still reset; a reboot keeps it armed (the kernel stops it in
//! reboot(2) itself).

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// Where drivers register: `/dev/watchdog` is the first one's legacy
/// node; `/dev/watchdog0` the same device by its core name, which is all
/// there is when the legacy node could not be made.
const DEVICES: [&str; 2] = ["/dev/watchdog", "/dev/watchdog0"];
/// Pets per timeout: a turn of the main loop that is late by up to two
/// intervals still comes in time.
const PETS_PER_TIMEOUT: u32 = 3;
/// Pet interval when the driver will not say its timeout: often enough
/// for any timeout a driver sets by default (1 s is the shortest Linux
/// drivers allow), and one write a second costs nothing.
const UNKNOWN_INTERVAL: Duration = Duration::from_secs(1);

// linux/watchdog.h: WDIOC_SETTIMEOUT = _IOWR('W', 6, int),
// WDIOC_GETTIMEOUT = _IOR('W', 7, int).
nix::ioctl_readwrite!(set_timeout, b'W', 6, i32);
nix::ioctl_read!(get_timeout, b'W', 7, i32);

/// An armed watchdog.
pub struct Watchdog {
    device: File,
    path: &'static str,
    interval: Duration,
    last: Instant,
}

/// The timeout to ask the driver for, from the plan's `watchdog_secs`:
/// none for 0 (keep the driver's), else as many seconds as an ioctl's int
/// can say.
pub fn requested(plan_secs: u32) -> Option<i32> {
    (plan_secs > 0).then(|| i32::try_from(plan_secs).unwrap_or(i32::MAX))
}

/// How often to pet a watchdog whose timeout is `timeout` seconds (as the
/// driver reports it; `None` when it would not say): a third of it, at
/// least a second, so that the wait for the next pet never rounds to 0.
pub fn pet_interval(timeout: Option<i32>) -> Duration {
    match timeout {
        Some(secs) if secs > 0 => {
            let third = Duration::from_secs(u64::from(secs.unsigned_abs())) / PETS_PER_TIMEOUT;
            third.max(Duration::from_secs(1))
        }
        _ => UNKNOWN_INTERVAL,
    }
}

impl Watchdog {
    /// Arms the watchdog with a timeout of `plan_secs` seconds (0: the
    /// driver's own), if the machine has one. Every outcome is logged once;
    /// no watchdog is no error.
    pub fn open(plan_secs: u32) -> Option<Watchdog> {
        let Some(path) = DEVICES
            .into_iter()
            .find(|d| std::path::Path::new(d).exists())
        else {
            crate::log!("watchdog: none (no /dev/watchdog); a hang will not be reset");
            return None;
        };
        let device = match std::fs::OpenOptions::new().write(true).open(path) {
            Ok(f) => f,
            Err(e) => {
                crate::log!("watchdog: {path}: {e}; a hang will not be reset");
                return None;
            }
        };
        if let Some(mut secs) = requested(plan_secs) {
            // SAFETY: WDIOC_SETTIMEOUT reads and writes one int, which
            // `secs` is, on a descriptor we own.
            if let Err(e) = unsafe { set_timeout(device.as_raw_fd(), &mut secs) } {
                // The driver keeps its own timeout (e.g. one past its
                // hardware's limit); read below and petted within it.
                crate::log!(
                    "watchdog: {path}: cannot set a {plan_secs}s timeout: {}",
                    e.desc()
                );
            }
        }
        let mut actual: i32 = 0;
        // SAFETY: WDIOC_GETTIMEOUT writes one int, which `actual` is.
        let timeout = match unsafe { get_timeout(device.as_raw_fd(), &mut actual) } {
            Ok(_) if actual > 0 => Some(actual),
            _ => None,
        };
        let interval = pet_interval(timeout);
        match timeout {
            Some(t) => crate::log!(
                "watchdog: {path}, timeout {t}s, petted every {}s",
                interval.as_secs()
            ),
            None => crate::log!(
                "watchdog: {path}, timeout unknown, petted every {}s",
                interval.as_secs()
            ),
        }
        Some(Watchdog {
            device,
            path,
            interval,
            last: Instant::now(),
        })
    }

    /// Pets it when due; returns how long until it is due again.
    pub fn pet(&mut self) -> Duration {
        let since = self.last.elapsed();
        if since < self.interval {
            return self.interval - since;
        }
        // Any write is a keepalive for the watchdog core (as
        // WDIOC_KEEPALIVE); a 'V' would arm the magic close, so not that.
        if let Err(e) = self.device.write_all(b"\0") {
            crate::log!("watchdog: {}: {e}", self.path);
        }
        self.last = Instant::now();
        self.interval
    }

    /// Disarms it (magic close) right before a poweroff or halt.
    pub fn disarm(mut self) {
        if let Err(e) = self.device.write_all(b"V") {
            crate::log!("watchdog: {}: cannot disarm: {e}", self.path);
        }
        // Dropping the file closes it: with the 'V' just written the
        // driver stops the timer (unless built with NOWAYOUT).
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_keeps_the_drivers_timeout_and_large_values_saturate() {
        assert_eq!(requested(0), None);
        assert_eq!(requested(1), Some(1));
        assert_eq!(requested(30), Some(30));
        assert_eq!(requested(u32::MAX), Some(i32::MAX));
    }

    #[test]
    fn pets_three_times_per_timeout_but_never_more_than_each_second() {
        assert_eq!(pet_interval(Some(30)), Duration::from_secs(10));
        assert_eq!(pet_interval(Some(10)).as_millis(), 3333);
        assert_eq!(pet_interval(Some(2)), Duration::from_secs(1));
        assert_eq!(pet_interval(Some(1)), Duration::from_secs(1));
        assert_eq!(pet_interval(Some(i32::MAX)).as_secs(), 715_827_882);
        // Unknown or nonsense timeouts: often.
        assert_eq!(pet_interval(None), UNKNOWN_INTERVAL);
        assert_eq!(pet_interval(Some(0)), UNKNOWN_INTERVAL);
        assert_eq!(pet_interval(Some(-5)), UNKNOWN_INTERVAL);
    }
}
