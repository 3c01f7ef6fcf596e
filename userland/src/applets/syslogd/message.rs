//! What syslogd does to one datagram: split it into messages, read each
//! one's `<PRI>` and optional timestamp, escape control characters, and
//! write the results as a log file line or an RFC 3164 packet. Pure
//! functions of their input, so that every byte a client may send is
//! covered by the unit tests here.

/// What a message without a valid `<PRI>` gets: user.notice, as
/// syslog(3) and BusyBox.
pub const DEFAULT_PRI: u16 = 8 | 5;

/// The largest priority value: facility 127, level 7 (syslog.h's
/// LOG_FACMASK | LOG_PRIMASK). BusyBox keeps anything up to it, naming
/// the unknown facilities by number.
const MAX_PRI: u32 = 0x3ff;

/// Facility names by number, as syslog.h's `facilitynames` names them
/// first (12–15 have no name there).
const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "", "", "", "", "local0", "local1", "local2", "local3", "local4", "local5", "local6",
    "local7",
];

/// Level names by number, as syslog.h's `prioritynames` names them first
/// (so 4 is "warn", not "warning": what BusyBox writes).
const LEVELS: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug",
];

/// One message of a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Facility × 8 + level.
    pub pri: u16,
    /// The sender's `Mmm dd hh:mm:ss`, when it gave one.
    pub stamp: Option<String>,
    /// The rest (usually `TAG: text`), control characters escaped.
    pub body: String,
}

impl Message {
    /// The level, 0 (emerg) to 7 (debug).
    pub fn level(&self) -> u16 {
        self.pri & 7
    }
}

/// The messages in one datagram: NUL separates messages (some clients
/// send several at once), trailing newlines and NULs are dropped, a
/// newline inside a message becomes a space and other control characters
/// `^X`, as BusyBox does, so that nothing a client sends can forge a
/// line of its own in the file.
pub fn split(datagram: &[u8]) -> Vec<Message> {
    datagram
        .split(|&b| b == 0)
        .map(|part| {
            let end = part.iter().rposition(|&b| b != b'\n').map_or(0, |i| i + 1);
            &part[..end]
        })
        .filter(|part| !part.is_empty())
        .map(parse)
        .collect()
}

/// One message: `<PRI>`, then an optional timestamp, then the body.
fn parse(raw: &[u8]) -> Message {
    let (pri, rest) = priority(raw);
    let text = escape(rest);
    let (stamp, body) = match text.get(..16) {
        Some(head) if is_stamp(head) => (Some(head[..15].to_string()), text[16..].to_string()),
        _ => (None, text),
    };
    Message { pri, stamp, body }
}

/// The `<PRI>` prefix and what follows it; a missing, malformed or too
/// large number gives [`DEFAULT_PRI`].
fn priority(raw: &[u8]) -> (u16, &[u8]) {
    let Some(rest) = raw.strip_prefix(b"<") else {
        return (DEFAULT_PRI, raw);
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let Some(after) = rest[digits..].strip_prefix(b">") else {
        return (DEFAULT_PRI, raw);
    };
    // At most four digits fit MAX_PRI; longer numbers cannot overflow here.
    let value = if digits == 0 || digits > 4 {
        None
    } else {
        std::str::from_utf8(&rest[..digits])
            .ok()
            .and_then(|d| d.parse::<u32>().ok())
    };
    match value {
        Some(v) if v <= MAX_PRI => (v as u16, after),
        _ => (DEFAULT_PRI, after),
    }
}

/// Control characters as `^X` (tab kept, newline a space); bytes that
/// are not UTF-8 replaced, so that the file stays text.
fn escape(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push(' '),
            '\t' => out.push('\t'),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(c as u8 + b'@'));
            }
            '\u{7f}' => out.push_str("^?"),
            c => out.push(c),
        }
    }
    out
}

/// Whether `head` (16 bytes) is `Mmm dd hh:mm:ss ` as BusyBox checks it:
/// by the places of its spaces and colons.
fn is_stamp(head: &str) -> bool {
    let b = head.as_bytes();
    b.len() == 16 && b[3] == b' ' && b[6] == b' ' && b[9] == b':' && b[12] == b':' && b[15] == b' '
}

/// `FACILITY.LEVEL` for `pri`, or `<PRI>` when the facility has no name
/// (BusyBox's `parse_fac_prio_20`).
pub fn pri_name(pri: u16) -> String {
    match FACILITIES.get(usize::from(pri >> 3)) {
        Some(fac) if !fac.is_empty() => format!("{fac}.{}", LEVELS[usize::from(pri & 7)]),
        _ => format!("<{pri}>"),
    }
}

/// The log file line: `STAMP HOST FACILITY.LEVEL BODY`, or `STAMP BODY`
/// for `-S` (`host` None). `now` stands in for a missing timestamp.
pub fn file_line(msg: &Message, now: &str, host: Option<&str>) -> String {
    let stamp = msg.stamp.as_deref().unwrap_or(now);
    match host {
        Some(h) => format!("{stamp} {h} {} {}\n", pri_name(msg.pri), msg.body),
        None => format!("{stamp} {}\n", msg.body),
    }
}

/// The RFC 3164 packet forwarded to a remote syslog:
/// `<PRI>STAMP HOST BODY`.
pub fn remote_packet(msg: &Message, now: &str, host: &str) -> Vec<u8> {
    let stamp = msg.stamp.as_deref().unwrap_or(now);
    format!("<{}>{stamp} {host} {}", msg.pri, msg.body).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(d: &[u8]) -> Message {
        let mut all = split(d);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    #[test]
    fn priorities_and_names() {
        let m = one(b"<155>tag: hello\n");
        assert_eq!((m.pri, m.body.as_str()), (155, "tag: hello"));
        assert_eq!(pri_name(155), "local3.err");
        assert_eq!(pri_name(13), "user.notice");
        assert_eq!(pri_name(4), "kern.warn");
        assert_eq!(pri_name(999), "<999>");
        assert_eq!(pri_name(12 * 8), "<96>");
        assert_eq!(one(b"no pri").pri, DEFAULT_PRI);
        assert_eq!(one(b"<999>x").pri, 999);
        assert_eq!(one(b"<1024>x"), one(b"<13>x"));
        assert_eq!(one(b"<99999999999999999999>x").body, "x");
        assert_eq!(one(b"<>x").body, "x");
        assert_eq!(one(b"<12x").body, "<12x");
        assert_eq!(one(b"<6>").body, "");
    }

    #[test]
    fn timestamps_are_kept_or_supplied() {
        let m = one(b"<6>Jan  2 03:04:05 kernel: old");
        assert_eq!(m.stamp.as_deref(), Some("Jan  2 03:04:05"));
        assert_eq!(
            file_line(&m, "Nov 25 09:00:00", Some("vm")),
            "Jan  2 03:04:05 vm kern.info kernel: old\n"
        );
        let m = one(b"<13>tag: new");
        assert_eq!(
            file_line(&m, "Nov 25 09:00:00", Some("vm")),
            "Nov 25 09:00:00 vm user.notice tag: new\n"
        );
        assert_eq!(
            file_line(&m, "Nov 25 09:00:00", None),
            "Nov 25 09:00:00 tag: new\n"
        );
        assert_eq!(
            remote_packet(&m, "Nov 25 09:00:00", "vm"),
            b"<13>Nov 25 09:00:00 vm tag: new"
        );
    }

    #[test]
    fn control_characters_cannot_forge_lines() {
        let m = one(b"<13>garbage\x01x\nsecond\rline\x7f\xff");
        assert_eq!(m.body, "garbage^Ax second^Mline^?\u{fffd}");
        let all = split(b"<13>a\0<14>b\n\0\0\n");
        assert_eq!(all.len(), 2);
        assert_eq!((all[1].pri, all[1].body.as_str()), (14, "b"));
        assert!(split(b"\0\n\0").is_empty());
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // Every 1- and 2-byte datagram, and pseudo-random longer ones
        // built around the characters the parser looks at.
        let alphabet = b"<>0123456789 :\n\0\x01\xffJan";
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                for m in split(&[a, b]) {
                    assert!(!file_line(&m, "x", Some("h")).contains('\r'));
                }
            }
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|i| alphabet[((seed >> (i % 60)) as usize) % alphabet.len()])
                .collect();
            for m in split(&bytes) {
                let line = file_line(&m, "x", Some("h"));
                assert_eq!(line.matches('\n').count(), 1, "{bytes:?}");
                assert!(m.pri <= 0x3ff);
            }
        }
    }
}
