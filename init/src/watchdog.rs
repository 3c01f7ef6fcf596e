//! The hardware watchdog: while init's main loop turns, it pets
//! `/dev/watchdog`; if the system hangs (init stuck, kernel wedged), the
//! watchdog resets the machine, and the firmware boots the slot it is
//! told to, which after a failed trial is the previous one. As OpenWrt's
//! procd does. Opening the device arms it; a clean poweroff or halt
//! disarms it with the "magic close" ('V' before close), so that a halted
//! machine stays halted.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// The device Linux's watchdog drivers register first.
const DEVICE: &str = "/dev/watchdog";
/// Seconds without a pet before the machine is reset.
const TIMEOUT_SECS: i32 = 30;
/// How often init pets it: well inside the timeout.
const INTERVAL: Duration = Duration::from_secs(10);

nix::ioctl_readwrite!(set_timeout, b'W', 6, i32);

/// An armed watchdog.
pub struct Watchdog {
    device: File,
    last: Instant,
}

impl Watchdog {
    /// Arms the watchdog, if the machine has one.
    pub fn open() -> Option<Watchdog> {
        if !std::path::Path::new(DEVICE).exists() {
            return None;
        }
        let device = match std::fs::OpenOptions::new().write(true).open(DEVICE) {
            Ok(f) => f,
            Err(e) => {
                crate::log!("{DEVICE}: {e}");
                return None;
            }
        };
        let mut secs = TIMEOUT_SECS;
        // SAFETY: WDIOC_SETTIMEOUT reads and writes one int.
        if let Err(e) = unsafe { set_timeout(device.as_raw_fd(), &mut secs) } {
            crate::log!(
                "{DEVICE}: cannot set a {TIMEOUT_SECS} s timeout: {}",
                e.desc()
            );
        }
        crate::log!("watchdog armed: reset after {secs} s without init");
        Some(Watchdog {
            device,
            last: Instant::now(),
        })
    }

    /// Pets it when due; returns how long until it is due again.
    pub fn pet(&mut self) -> Duration {
        let since = self.last.elapsed();
        if since < INTERVAL {
            return INTERVAL - since;
        }
        if let Err(e) = self.device.write_all(b"\0") {
            crate::log!("{DEVICE}: {e}");
        }
        self.last = Instant::now();
        INTERVAL
    }

    /// Disarms it (magic close) before a poweroff or halt.
    pub fn disarm(mut self) {
        if let Err(e) = self.device.write_all(b"V") {
            crate::log!("{DEVICE}: cannot disarm: {e}");
        }
    }
}
