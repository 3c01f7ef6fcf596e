//! `dmesg [-cr] [-n LEVEL] [-s SIZE]`: print (and optionally clear) the
//! kernel's log buffer, or set the console log level, through syslog(2).

use crate::common::{error_msg, getopt, Exit};
use std::ffi::OsString;
use std::io::Write;

pub const USAGE: &str = "[-cr] [-n LEVEL] [-s SIZE]\n\nPrint or control the kernel ring buffer\n\n\t-c\t\tClear ring buffer after printing\n\t-n LEVEL\tSet console logging level\n\t-s SIZE\t\tBuffer size\n\t-r\t\tPrint raw message buffer";

/// syslog(2) actions (linux/include/linux/syslog.h).
const SYSLOG_ACTION_READ_ALL: i32 = 3;
const SYSLOG_ACTION_READ_CLEAR: i32 = 4;
const SYSLOG_ACTION_CONSOLE_LEVEL: i32 = 8;
const SYSLOG_ACTION_SIZE_BUFFER: i32 = 10;

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "crn:s:",
        &[
            ("clear", 'c'),
            ("raw", 'r'),
            ("console-level", 'n'),
            ("buffer-size", 's'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if !p.operands.is_empty() {
        return crate::common::usage_error("dmesg", "extra operand");
    }
    if let Some(level) = p.value('n') {
        let Some(level) = crate::text::parse_num::<i32>("dmesg", level) else {
            return 1;
        };
        return match klogctl(SYSLOG_ACTION_CONSOLE_LEVEL, None, level) {
            Ok(_) => 0,
            Err(e) => fail(&e),
        };
    }
    let size = match p.value('s') {
        Some(s) => match crate::text::parse_num::<usize>("dmesg", s) {
            Some(n) => n,
            None => return 1,
        },
        None => klogctl(SYSLOG_ACTION_SIZE_BUFFER, None, 0).unwrap_or(0),
    };
    // Like BusyBox, between 16 KiB and 16 MiB whatever was asked: a
    // smaller buffer would cut records.
    let mut buf = vec![0u8; size.clamp(16 * 1024, 16 * 1024 * 1024)];
    let action = if p.has('c') {
        SYSLOG_ACTION_READ_CLEAR
    } else {
        SYSLOG_ACTION_READ_ALL
    };
    let len = match klogctl(action, Some(&mut buf), 0) {
        Ok(n) => n.min(buf.len()),
        Err(e) => return fail(&e),
    };
    let text = &buf[..len];
    let mut shown = if p.has('r') {
        text.to_vec()
    } else {
        strip_levels(text)
    };
    if !shown.is_empty() && !shown.ends_with(b"\n") {
        shown.push(b'\n');
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(&shown).and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(e) => crate::text::write_failed("dmesg", &e),
    }
}

/// Reports a failed syslog(2) as BusyBox does (`dmesg: klogctl: ...`).
fn fail(e: &std::io::Error) -> i32 {
    error_msg("dmesg", &format!("klogctl: {}", crate::common::strerror(e)));
    1
}

/// syslog(2) with `action`, into `buf` when given.
fn klogctl(action: i32, buf: Option<&mut [u8]>, arg: i32) -> std::io::Result<usize> {
    let (ptr, len) = match buf {
        Some(b) => (b.as_mut_ptr(), i32::try_from(b.len()).unwrap_or(i32::MAX)),
        None => (std::ptr::null_mut(), arg),
    };
    // SAFETY: the kernel writes at most `len` bytes into `ptr`, which points
    // at a buffer of at least that size (or is null for actions that take
    // no buffer).
    let r = unsafe { nix::libc::syscall(nix::libc::SYS_syslog, action, ptr, len) };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

/// Drops the `<N>` priority at the start of each line.
fn strip_levels(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for line in text.split_inclusive(|&b| b == b'\n') {
        let rest = match line.strip_prefix(b"<") {
            Some(r) => match r.iter().position(|&b| b == b'>') {
                Some(end) if end > 0 && r[..end].iter().all(u8::is_ascii_digit) => &r[end + 1..],
                _ => line,
            },
            None => line,
        };
        out.extend_from_slice(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_stripped() {
        assert_eq!(
            strip_levels(b"<6>[ 1.0] a\n<12>b\n<x>c\n<>d"),
            b"[ 1.0] a\nb\n<x>c\n<>d"
        );
    }
}
