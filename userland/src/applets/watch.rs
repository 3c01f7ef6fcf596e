//! `watch [-n SEC] [-t] PROG ARGS`: run a command every SEC seconds,
//! clearing the screen first and showing a header line, until killed.
//! `$IBOX_WATCH_COUNT` stops it after that many runs (for tests).

use crate::common::{getopt, Exit};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

pub const USAGE: &str = "[-n SEC] [-t] PROG ARGS\n\nRun PROG periodically\n\n\t-n SEC\tPeriod (default 2)\n\t-t\tDon't print header";

/// Entry point: runs `sh -c "PROG ARGS"` forever (or `$IBOX_WATCH_COUNT`
/// times).
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "n:t", &[("interval", 'n'), ("no-title", 't')], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.is_empty() {
        return crate::common::usage_error("watch", "no command given");
    }
    let period = match p.value('n') {
        Some(text) => match text.to_str().and_then(|t| t.parse::<f64>().ok()) {
            // Only what a Duration can hold (not 1e300 seconds).
            Some(v) if Duration::try_from_secs_f64(v).is_ok() => v,
            _ => {
                crate::common::error_msg(
                    "watch",
                    &format!("invalid number '{}'", text.to_string_lossy()),
                );
                return 1;
            }
        },
        None => 2.0,
    };
    let count: Option<u64> = std::env::var("IBOX_WATCH_COUNT")
        .ok()
        .and_then(|v| v.parse().ok());
    let cmd = p
        .operands
        .iter()
        .map(|o| o.as_bytes())
        .collect::<Vec<_>>()
        .join(&b' ');
    let mut runs = 0u64;
    loop {
        let mut screen = b"\x1b[H\x1b[J".to_vec();
        if !p.has('t') {
            screen.extend_from_slice(&header(period, &cmd, terminal_width(), now()));
            screen.extend_from_slice(b"\n\n");
        }
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(&screen).and_then(|_| out.flush()) {
            return crate::text::write_failed("watch", &e);
        }
        drop(out);
        // The command's own failure is its business: watch goes on. No
        // shell at all is ours, and will not get better.
        if let Err(e) = std::process::Command::new("sh")
            .arg("-c")
            .arg(std::ffi::OsStr::from_bytes(&cmd))
            .status()
        {
            crate::common::perror("watch", "can't run 'sh'", &e);
            return 1;
        }
        runs += 1;
        if count.is_some_and(|c| runs >= c) {
            return 0;
        }
        std::thread::sleep(Duration::try_from_secs_f64(period).unwrap_or_default());
    }
}

/// BusyBox's header: `Every 2.0s: CMD`, padded, with the time at the right
/// edge of a `width`-column terminal (one column left free).
fn header(period: f64, cmd: &[u8], width: usize, time: String) -> Vec<u8> {
    let mut line = format!("Every {period:.1}s: ").into_bytes();
    line.extend_from_slice(cmd);
    const TIME_LEN: usize = 19;
    if width > TIME_LEN {
        line.resize(line.len().max(width), b' ');
        line.truncate(width - 1 - TIME_LEN);
        line.extend_from_slice(time.as_bytes());
    } else {
        line.truncate(width.saturating_sub(1));
    }
    line
}

/// The current time as `YYYY-MM-DD hh:mm:ss` (UTC).
fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    crate::calendar::format_time(secs)
}

/// Columns of the terminal on standard error (as procps does, so that
/// `watch ls 2>/dev/null` still finds no size), else $COLUMNS, else 80.
fn terminal_width() -> usize {
    let mut size = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize into `size`.
    let r = unsafe { nix::libc::ioctl(2, nix::libc::TIOCGWINSZ, &mut size) };
    if r == 0 && size.ws_col > 0 {
        return usize::from(size.ws_col);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&c| c > 0)
        .unwrap_or(80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout() {
        let h = header(2.0, b"ls -l", 40, "2026-01-02 03:04:05".into());
        assert_eq!(h, b"Every 2.0s: ls -l   2026-01-02 03:04:05");
        let h = header(
            0.5,
            b"a very long command indeed",
            40,
            "2026-01-02 03:04:05".into(),
        );
        assert_eq!(h, b"Every 0.5s: a very l2026-01-02 03:04:05");
        assert_eq!(header(1.0, b"x", 5, String::new()), b"Ever");
    }
}
