//! `klogd [-c N] [-n]`: copies the kernel's messages to syslogd, as
//! BusyBox's klogd does: a blocking klogctl(SYSLOG_ACTION_READ) takes each
//! message out of the kernel's buffer (so every message goes once, those
//! of the boot included), and each line goes to /dev/log with the
//! kernel's priority (facility kern) and the tag `kernel`.
//!
//! syslogd may start after klogd or restart: lines it could not take wait
//! in a bounded backlog and go with the next ones. `$IBOX_LOG_SOCKET`
//! names another socket, as for `logger`.

use crate::common::{error_msg, getopt, lossy, usage_error, Exit};
use nix::libc;
use std::collections::VecDeque;
use std::ffi::OsString;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub const USAGE: &str = "[-c N] [-n]\n\nLog kernel messages to syslog\n\n\t-c N\tPrint to console messages more urgent than prio N (1-8)\n\t-n\tRun in foreground";

/// klogctl(2) actions (linux/syslog.h; the C library has no names).
const SYSLOG_ACTION_OPEN: libc::c_int = 1;
const SYSLOG_ACTION_READ: libc::c_int = 2;
const SYSLOG_ACTION_CONSOLE_LEVEL: libc::c_int = 8;

/// Bytes read from the kernel at once (BusyBox's KLOGD_LOGBUF_SIZE).
const READ_SIZE: usize = 1024;

/// Lines kept while syslogd cannot take them; older ones are dropped.
const BACKLOG: usize = 256;

/// How long klogd waits at start for syslogd's socket, so that the
/// boot's messages find it when both start together.
const SOCKET_WAIT: Duration = Duration::from_secs(10);

/// Why klogd stopped.
#[derive(Debug)]
enum Error {
    /// `-c` is not a level from 1 to 8.
    BadLevel(String),
    /// A klogctl call failed.
    Klogctl(&'static str, nix::errno::Errno),
    /// Detaching into the background failed.
    Daemon(nix::errno::Errno),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::BadLevel(v) => write!(f, "invalid -c '{v}'"),
            Error::Klogctl(what, e) => write!(f, "klogctl({what}): {}", e.desc()),
            Error::Daemon(e) => write!(f, "daemon: {}", e.desc()),
        }
    }
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "c:n", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if !p.operands.is_empty() {
        return usage_error("klogd", "too many arguments");
    }
    let level = match p.value('c').map(lossy) {
        Some(v) => match v.parse::<libc::c_int>() {
            Ok(n) if (1..=8).contains(&n) => Some(n),
            _ => {
                error_msg("klogd", &Error::BadLevel(v.into_owned()).to_string());
                return 1;
            }
        },
        None => None,
    };
    match run(level, p.has('n')) {
        Ok(()) => 0,
        Err(e) => {
            error_msg("klogd", &e.to_string());
            1
        }
    }
}

/// klogctl(2) with a buffer (or none): the byte count or the error.
fn klogctl(action: libc::c_int, buf: Option<&mut [u8]>, value: libc::c_int) -> nix::Result<usize> {
    let (ptr, len) = match buf {
        Some(b) => (
            b.as_mut_ptr().cast(),
            b.len().min(libc::c_int::MAX as usize) as libc::c_int,
        ),
        None => (std::ptr::null_mut(), value),
    };
    // SAFETY: ptr is null (actions that take no buffer) or a buffer of
    // `len` bytes that lives for the call.
    let n = unsafe { libc::klogctl(action, ptr, len) };
    nix::errno::Errno::result(n).map(|n| n as usize)
}

fn run(console_level: Option<libc::c_int>, foreground: bool) -> Result<(), Error> {
    // "Currently a NOP" (the kernel's words), kept as BusyBox for kernels
    // where it is not.
    klogctl(SYSLOG_ACTION_OPEN, None, 0).map_err(|e| Error::Klogctl("open", e))?;
    if let Some(level) = console_level {
        klogctl(SYSLOG_ACTION_CONSOLE_LEVEL, None, level)
            .map_err(|e| Error::Klogctl("console level", e))?;
    }
    if !foreground {
        nix::unistd::daemon(false, false).map_err(Error::Daemon)?;
    }
    let path = std::env::var_os("IBOX_LOG_SOCKET")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from("/dev/log"), PathBuf::from);
    let deadline = Instant::now() + SOCKET_WAIT;
    while !path.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut out = Sender {
        socket: UnixDatagram::unbound().ok(),
        path,
        backlog: VecDeque::new(),
    };
    let mut buf = vec![0u8; READ_SIZE];
    // A line the kernel's read cut in two waits here for its end.
    let mut partial: Vec<u8> = Vec::new();
    loop {
        let n = match klogctl(SYSLOG_ACTION_READ, Some(&mut buf), 0) {
            Ok(n) => n,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(Error::Klogctl("read", e)),
        };
        partial.extend_from_slice(&buf[..n.min(buf.len())]);
        let complete = partial
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let lines: Vec<u8> = partial.drain(..complete).collect();
        // A line longer than the buffer goes out in pieces rather than
        // growing without bound.
        if partial.len() >= READ_SIZE {
            let rest = std::mem::take(&mut partial);
            out.send(&datagram(&rest));
        }
        for line in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            out.send(&datagram(line));
        }
    }
}

/// The datagram for one kernel line `<N>text`: `<N>STAMP kernel: text`.
/// The kernel's number is kept whole: its facility is kern (0) for the
/// kernel's own messages, user for what programs wrote to /dev/kmsg.
fn datagram(line: &[u8]) -> Vec<u8> {
    let (pri, text) = match line.strip_prefix(b"<").and_then(|rest| {
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let after = rest.get(digits..)?.strip_prefix(b">")?;
        let pri: u16 = std::str::from_utf8(rest.get(..digits)?)
            .ok()?
            .parse()
            .ok()?;
        Some((pri, after))
    }) {
        Some(found) => found,
        // No prefix: the kernel's default level, warning.
        None => (4, line),
    };
    let mut d = format!(
        "<{pri}>{} kernel: ",
        crate::calendar::syslog_stamp(crate::calendar::now())
    )
    .into_bytes();
    d.extend_from_slice(text);
    d
}

/// Sends datagrams to syslogd, keeping what it could not take.
struct Sender {
    socket: Option<UnixDatagram>,
    path: PathBuf,
    backlog: VecDeque<Vec<u8>>,
}

impl Sender {
    fn send(&mut self, datagram: &[u8]) {
        if self.backlog.len() >= BACKLOG {
            self.backlog.pop_front();
        }
        self.backlog.push_back(datagram.to_vec());
        let Some(socket) = &self.socket else { return };
        while let Some(d) = self.backlog.front() {
            if socket.send_to(d, &self.path).is_err() {
                return;
            }
            self.backlog.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_lines_become_datagrams() {
        let d = String::from_utf8(datagram(b"<6>[    1.000000] eth0: up")).unwrap();
        assert!(d.starts_with("<6>"), "{d}");
        assert!(d.ends_with(" kernel: [    1.000000] eth0: up"), "{d}");
        assert_eq!(d.len(), 3 + 15 + " kernel: [    1.000000] eth0: up".len());
        let d = String::from_utf8(datagram(b"<12>from kmsg")).unwrap();
        assert!(d.starts_with("<12>") && d.ends_with("kernel: from kmsg"));
        for raw in [&b"plain"[..], b"<", b"<x>y", b"<99999999999>z", b""] {
            let d = datagram(raw);
            assert!(d.starts_with(b"<4>"), "{raw:?}");
        }
    }
}
