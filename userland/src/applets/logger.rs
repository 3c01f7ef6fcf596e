//! `logger [-s] [-t TAG] [-p PRIO] [MESSAGE]`: send a message (or each line
//! of standard input) to the system log socket, /dev/log, in syslog(3)'s
//! format. Without a log socket the message goes to standard error so that
//! it is not lost. `$IBOX_LOG_SOCKET` names another socket (for tests).

use crate::calendar;
use crate::common::{error_msg, getopt, Exit};
use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixDatagram;

pub const USAGE: &str = "[-s] [-t TAG] [-p PRIO] [MESSAGE]\n\nWrite MESSAGE (or stdin) to syslog\n\n\t-s\tLog to stderr as well as the system log\n\t-t TAG\tLog using the specified tag (defaults to user name)\n\t-p PRIO\tPriority (number or FACILITY.LEVEL pair)";

/// Facility names and their numbers (before shifting by 3).
const FACILITIES: &[(&str, u32)] = &[
    ("kern", 0),
    ("user", 1),
    ("mail", 2),
    ("daemon", 3),
    ("auth", 4),
    ("security", 4),
    ("syslog", 5),
    ("lpr", 6),
    ("news", 7),
    ("uucp", 8),
    ("cron", 9),
    ("authpriv", 10),
    ("ftp", 11),
    ("local0", 16),
    ("local1", 17),
    ("local2", 18),
    ("local3", 19),
    ("local4", 20),
    ("local5", 21),
    ("local6", 22),
    ("local7", 23),
];

/// Level names and numbers.
const LEVELS: &[(&str, u32)] = &[
    ("emerg", 0),
    ("panic", 0),
    ("alert", 1),
    ("crit", 2),
    ("err", 3),
    ("error", 3),
    ("warning", 4),
    ("warn", 4),
    ("notice", 5),
    ("info", 6),
    ("debug", 7),
];

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "st:p:",
        &[("stderr", 's'), ("tag", 't'), ("priority", 'p')],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let prio = match p.value('p') {
        Some(text) => match parse_priority(&text.to_string_lossy()) {
            Ok(v) => v,
            Err(msg) => {
                error_msg("logger", &msg);
                return 1;
            }
        },
        None => 8 | 5,
    };
    let tag = match p.value('t') {
        Some(t) => t.as_bytes().to_vec(),
        None => {
            let uid = nix::unistd::geteuid().as_raw();
            crate::fsutil::user_name(uid)
                .unwrap_or_else(|| uid.to_string())
                .into_bytes()
        }
    };
    let path = std::env::var_os("IBOX_LOG_SOCKET")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| OsString::from("/dev/log"));
    let socket = UnixDatagram::unbound()
        .and_then(|s| s.connect(&path).map(|()| s))
        .ok();
    let log = Log {
        socket,
        prio,
        tag,
        to_stderr: p.has('s'),
    };
    if !p.operands.is_empty() {
        let message = p
            .operands
            .iter()
            .map(|o| o.as_bytes())
            .collect::<Vec<_>>()
            .join(&b' ');
        log.send(&message);
        return 0;
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => return 0,
            Ok(_) => {
                let text = line.strip_suffix(b"\n").unwrap_or(&line);
                if !text.is_empty() {
                    log.send(text);
                }
            }
            Err(e) => {
                crate::common::perror("logger", "read error", &e);
                return 1;
            }
        }
    }
}

/// Where and how messages go.
struct Log {
    socket: Option<UnixDatagram>,
    prio: u32,
    tag: Vec<u8>,
    to_stderr: bool,
}

impl Log {
    /// Sends one message; copies it to standard error for -s or when the
    /// log socket is missing.
    fn send(&self, message: &[u8]) {
        let mut body = self.tag.clone();
        body.extend_from_slice(b": ");
        body.extend_from_slice(message);
        let sent = self.socket.as_ref().is_some_and(|s| {
            let mut packet = format!("<{}>{} ", self.prio, timestamp()).into_bytes();
            packet.extend_from_slice(&body);
            s.send(&packet).is_ok()
        });
        if self.to_stderr || !sent {
            body.push(b'\n');
            let _ = std::io::stderr().write_all(&body);
        }
    }
}

/// syslog(3)'s `Mmm dd hh:mm:ss` (day padded with a space), in UTC.
fn timestamp() -> String {
    let now = calendar::now();
    let (_, m, d) = calendar::civil_from_days(now.div_euclid(86400));
    let t = now.rem_euclid(86400);
    format!(
        "{} {d:2} {:02}:{:02}:{:02}",
        calendar::MONTH_ABBR[(m as usize).saturating_sub(1) % 12],
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

/// BusyBox's pencode: `LEVEL` or `FACILITY.LEVEL`, each a name or a
/// number; the facility defaults to user.
fn parse_priority(text: &str) -> Result<u32, String> {
    let (fac, level) = match text.split_once('.') {
        Some((f, l)) => {
            let fac = decode(f, FACILITIES).ok_or_else(|| format!("unknown facility name: {f}"))?;
            // A number is taken as already shifted, as syslog(3) does.
            let fac = if f.bytes().all(|b| b.is_ascii_digit()) {
                fac
            } else {
                fac << 3
            };
            (fac, l)
        }
        None => (8, text),
    };
    let level = decode(level, LEVELS).ok_or_else(|| format!("unknown priority name: {text}"))?;
    Ok((level & 7) | (fac & 0x3f8))
}

/// A name from `table`, or a number.
fn decode(word: &str, table: &[(&str, u32)]) -> Option<u32> {
    if !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit()) {
        return word.parse().ok();
    }
    table
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(word))
        .map(|&(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities() {
        assert_eq!(parse_priority("notice"), Ok(13));
        assert_eq!(parse_priority("local3.err"), Ok(19 * 8 + 3));
        assert_eq!(parse_priority("daemon.INFO"), Ok(30));
        assert_eq!(parse_priority("6"), Ok(14));
        assert_eq!(parse_priority("16.3"), Ok(19));
        assert!(parse_priority("user.nope").is_err());
        assert!(parse_priority("nope.info").is_err());
        assert_eq!(timestamp().len(), 15);
    }
}
