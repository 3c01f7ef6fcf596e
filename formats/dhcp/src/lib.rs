//! DHCPv4 messages (RFC 2131, options of RFC 2132): a typed BOOTP header
//! and options, parsed from and encoded to the bytes of a UDP payload, and
//! the IPv4 + UDP framing a client needs before it has an address
//! ([`frame`]).
//!
//! Parsing never panics: every input either gives a [`Message`] or a
//! [`ParseError`]. Options that occur more than once are concatenated
//! (RFC 3396), option overload (option 52, options continued in the `file`
//! and `sname` fields) is followed, and padding is skipped. Encoding pads
//! to the 300 bytes BOOTP relays expect and overloads `file` and `sname`
//! when the options would otherwise make the message longer than the 576
//! bytes every client must accept.
#![forbid(unsafe_code)]

pub mod frame;
mod options;

pub use options::{is_known as is_known_option, MessageType, Options, StaticRoute};

use std::fmt;
use std::net::Ipv4Addr;

/// UDP port servers listen on.
pub const SERVER_PORT: u16 = 67;
/// UDP port clients listen on.
pub const CLIENT_PORT: u16 = 68;
/// The "magic cookie" that starts the options field (RFC 2131 §3).
pub const MAGIC: [u8; 4] = [99, 130, 83, 99];
/// `op` of a message from a client.
pub const BOOTREQUEST: u8 = 1;
/// `op` of a message from a server.
pub const BOOTREPLY: u8 = 2;
/// The `flags` bit asking the server to broadcast its answer.
pub const FLAG_BROADCAST: u16 = 0x8000;
/// Length of the fixed BOOTP header, up to the magic cookie.
pub const HEADER_LEN: usize = 236;
/// The shortest message BOOTP relays accept; shorter ones are padded.
pub const MIN_LEN: usize = 300;
/// The longest message every DHCP client must accept (RFC 2131 §2).
pub const DEFAULT_MAX_LEN: usize = 576;
/// Bytes of IPv4 and UDP headers that the 576 of [`DEFAULT_MAX_LEN`]
/// include (RFC 2131 counts the IP datagram).
const IP_UDP_LEN: usize = 28;

/// Why bytes are not a DHCP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Shorter than the BOOTP header and magic cookie.
    TooShort(usize),
    /// The options field does not start with the magic cookie (plain
    /// BOOTP, or not BOOTP at all).
    BadMagic,
    /// An option's length runs past the end of its field.
    Truncated {
        /// The option's code.
        code: u8,
    },
    /// A known option has a length its type does not allow.
    BadLength {
        /// The option's code.
        code: u8,
        /// Its (concatenated) length.
        len: usize,
    },
    /// A classless static route (option 121) with a prefix over 32.
    BadRoute,
    /// An option overload (52) value other than 1, 2 or 3.
    BadOverload(u8),
    /// `hlen` over the 16 bytes of `chaddr`.
    BadHardwareLength(u8),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::TooShort(n) => write!(f, "message too short ({n} bytes)"),
            ParseError::BadMagic => write!(f, "no DHCP magic cookie"),
            ParseError::Truncated { code } => write!(f, "option {code} truncated"),
            ParseError::BadLength { code, len } => {
                write!(f, "option {code} has a bad length ({len})")
            }
            ParseError::BadRoute => write!(f, "bad classless static route"),
            ParseError::BadOverload(v) => write!(f, "bad option overload value {v}"),
            ParseError::BadHardwareLength(n) => write!(f, "bad hardware address length {n}"),
        }
    }
}

impl std::error::Error for ParseError {}

/// One DHCP message: the BOOTP header fields and the options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// [`BOOTREQUEST`] or [`BOOTREPLY`].
    pub op: u8,
    /// Hardware type (1: Ethernet).
    pub htype: u8,
    /// Hardware address length (6 for Ethernet, at most 16).
    pub hlen: u8,
    /// Relay hops.
    pub hops: u8,
    /// Transaction id chosen by the client.
    pub xid: u32,
    /// Seconds since the client began.
    pub secs: u16,
    /// Flags ([`FLAG_BROADCAST`]).
    pub flags: u16,
    /// The client's address when it has one (renewing).
    pub ciaddr: Ipv4Addr,
    /// "Your" address: the one the server offers or assigns.
    pub yiaddr: Ipv4Addr,
    /// Next server (boot server) address.
    pub siaddr: Ipv4Addr,
    /// Relay agent address.
    pub giaddr: Ipv4Addr,
    /// Client hardware address, `hlen` bytes used.
    pub chaddr: [u8; 16],
    /// Server host name (up to 64 bytes, no NUL); empty when the field
    /// carried options.
    pub sname: Vec<u8>,
    /// Boot file name (up to 128 bytes, no NUL); empty when the field
    /// carried options.
    pub file: Vec<u8>,
    /// The options.
    pub options: Options,
}

impl Default for Message {
    /// A request from an Ethernet client with all fields zero.
    fn default() -> Message {
        Message {
            op: BOOTREQUEST,
            htype: 1,
            hlen: 6,
            hops: 0,
            xid: 0,
            secs: 0,
            flags: 0,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            chaddr: [0; 16],
            sname: Vec::new(),
            file: Vec::new(),
            options: Options::default(),
        }
    }
}

/// The bytes of a fixed-size, NUL-padded text field up to the first NUL.
fn c_field(bytes: &[u8]) -> Vec<u8> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    bytes[..end].to_vec()
}

/// Reads four bytes at `at` as an address; `bytes` is long enough because
/// the caller checked the header length.
fn addr_at(bytes: &[u8], at: usize) -> Ipv4Addr {
    let mut a = [0u8; 4];
    a.copy_from_slice(&bytes[at..at + 4]);
    Ipv4Addr::from(a)
}

impl Message {
    /// The client's hardware address: the first `hlen` bytes of `chaddr`.
    pub fn client_hw(&self) -> &[u8] {
        &self.chaddr[..usize::from(self.hlen.min(16))]
    }

    /// Parses a UDP payload.
    pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
        if bytes.len() < HEADER_LEN + MAGIC.len() {
            return Err(ParseError::TooShort(bytes.len()));
        }
        if bytes[HEADER_LEN..HEADER_LEN + 4] != MAGIC {
            return Err(ParseError::BadMagic);
        }
        let hlen = bytes[2];
        if hlen > 16 {
            return Err(ParseError::BadHardwareLength(hlen));
        }
        let mut chaddr = [0u8; 16];
        chaddr.copy_from_slice(&bytes[28..44]);
        let sname_field = &bytes[44..108];
        let file_field = &bytes[108..236];

        let mut raw = options::RawOptions::default();
        let overload = raw.scan(&bytes[HEADER_LEN + 4..])?;
        let (mut sname, mut file) = (c_field(sname_field), c_field(file_field));
        // RFC 3396: the options field, then `file`, then `sname`.
        if let Some(o) = overload {
            if o & 1 != 0 {
                raw.scan(file_field)?;
                file.clear();
            }
            if o & 2 != 0 {
                raw.scan(sname_field)?;
                sname.clear();
            }
        }
        Ok(Message {
            op: bytes[0],
            htype: bytes[1],
            hlen,
            hops: bytes[3],
            xid: u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
            secs: u16::from_be_bytes([bytes[8], bytes[9]]),
            flags: u16::from_be_bytes([bytes[10], bytes[11]]),
            ciaddr: addr_at(bytes, 12),
            yiaddr: addr_at(bytes, 16),
            siaddr: addr_at(bytes, 20),
            giaddr: addr_at(bytes, 24),
            chaddr,
            sname,
            file,
            options: raw.into_options()?,
        })
    }

    /// Encodes the message as a UDP payload. Options that do not fit in
    /// [`DEFAULT_MAX_LEN`] go into `file` and then `sname` when those are
    /// empty; when they are not, the options field just grows.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(DEFAULT_MAX_LEN);
        out.push(self.op);
        out.push(self.htype);
        out.push(self.hlen);
        out.push(self.hops);
        out.extend_from_slice(&self.xid.to_be_bytes());
        out.extend_from_slice(&self.secs.to_be_bytes());
        out.extend_from_slice(&self.flags.to_be_bytes());
        for a in [self.ciaddr, self.yiaddr, self.siaddr, self.giaddr] {
            out.extend_from_slice(&a.octets());
        }
        out.extend_from_slice(&self.chaddr);
        let mut sname = [0u8; 64];
        let mut file = [0u8; 128];
        // Text longer than its field is cut: the field has no room for it.
        let n = self.sname.len().min(64);
        sname[..n].copy_from_slice(&self.sname[..n]);
        let n = self.file.len().min(128);
        file[..n].copy_from_slice(&self.file[..n]);

        let items = self.options.items();
        let room = DEFAULT_MAX_LEN - IP_UDP_LEN - HEADER_LEN - MAGIC.len();
        let total: usize = items
            .iter()
            .map(|(_, v)| options::encoded_len(v.len()))
            .sum();
        let mut main = Vec::new();
        if total < room || !self.sname.is_empty() || !self.file.is_empty() {
            for (code, value) in &items {
                options::put(&mut main, *code, value, usize::MAX);
            }
            main.push(options::END);
        } else if let Some((m, f, s)) = overload(&items, room) {
            main = m;
            if let Some(f) = f {
                file = f;
            }
            if let Some(s) = s {
                sname = s;
            }
        } else {
            // Too much even for `file` and `sname`: the field just grows.
            for (code, value) in &items {
                options::put(&mut main, *code, value, usize::MAX);
            }
            main.push(options::END);
        }
        out.extend_from_slice(&sname);
        out.extend_from_slice(&file);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&main);
        if out.len() < MIN_LEN {
            out.resize(MIN_LEN, options::PAD);
        }
        out
    }
}

/// The options field and, when used, the `file` and `sname` fields of a
/// message whose options overflow `room` bytes, or `None` when even the
/// three fields cannot hold them.
#[allow(clippy::type_complexity)]
fn overload(
    items: &[(u8, Vec<u8>)],
    room: usize,
) -> Option<(Vec<u8>, Option<[u8; 128]>, Option<[u8; 64]>)> {
    // Fill the options field (keeping three bytes for option 52 and one
    // for its end), then `file`, then `sname`, in the order a reader
    // concatenates them (RFC 3396), each keeping a byte for its end.
    let mut areas: [(Vec<u8>, usize); 3] =
        [(Vec::new(), room - 4), (Vec::new(), 127), (Vec::new(), 63)];
    let mut area = 0;
    for (code, value) in items {
        let mut rest: &[u8] = value;
        loop {
            let (buf, cap) = &mut areas[area];
            let free = cap.saturating_sub(buf.len());
            // A piece needs its two header bytes and, unless the value
            // is empty, one byte of value.
            let need = if rest.is_empty() { 2 } else { 3 };
            if free < need {
                area += 1;
                if area == areas.len() {
                    return None;
                }
                continue;
            }
            let take = rest.len().min(free - 2).min(255);
            options::put(buf, *code, &rest[..take], usize::MAX);
            rest = &rest[take..];
            if rest.is_empty() {
                break;
            }
        }
    }
    let [(mut main, _), (f, _), (s, _)] = areas;
    let used = u8::from(!f.is_empty()) | (u8::from(!s.is_empty()) << 1);
    if used != 0 {
        main.extend_from_slice(&[options::OVERLOAD, 1, used]);
    }
    main.push(options::END);
    let file = (!f.is_empty()).then(|| {
        let mut field = [0u8; 128];
        field[..f.len()].copy_from_slice(&f);
        field[f.len()] = options::END;
        field
    });
    let sname = (!s.is_empty()).then(|| {
        let mut field = [0u8; 64];
        field[..s.len()].copy_from_slice(&s);
        field[s.len()] = options::END;
        field
    });
    Some((main, file, sname))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_discover_round_trips() {
        let mut m = Message {
            xid: 0x1234_5678,
            ..Message::default()
        };
        m.chaddr[..6].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
        m.options.message_type = Some(MessageType::Discover);
        m.options.parameter_request_list = Some(vec![1, 3, 6]);
        let bytes = m.encode();
        assert_eq!(bytes.len(), MIN_LEN);
        assert_eq!(Message::parse(&bytes), Ok(m));
    }

    #[test]
    fn big_options_overload_file_and_sname() {
        let mut m = Message::default();
        m.options.message_type = Some(MessageType::Ack);
        m.options.dns_servers = (0..100u32).map(Ipv4Addr::from).collect();
        let bytes = m.encode();
        assert!(
            bytes.len() <= DEFAULT_MAX_LEN - IP_UDP_LEN,
            "{}",
            bytes.len()
        );
        assert_eq!(Message::parse(&bytes), Ok(m));
    }

    #[test]
    fn overload_is_followed() {
        let mut m = Message::default().encode();
        // Replace END with overload(file) + END and put the type in file.
        let opts = HEADER_LEN + 4;
        m[opts..opts + 4].copy_from_slice(&[52, 1, 1, 255]);
        m[108..112].copy_from_slice(&[53, 1, 5, 255]);
        let parsed = Message::parse(&m).expect("parse");
        assert_eq!(parsed.options.message_type, Some(MessageType::Ack));
        assert!(parsed.file.is_empty());
    }

    #[test]
    fn errors_are_reported() {
        assert_eq!(Message::parse(&[0; 10]), Err(ParseError::TooShort(10)));
        let mut m = Message::default().encode();
        m[HEADER_LEN] = 0;
        assert_eq!(Message::parse(&m), Err(ParseError::BadMagic));
        let mut m = Message::default().encode();
        let opts = HEADER_LEN + 4;
        m.truncate(opts);
        m.extend_from_slice(&[53, 2, 1, 1]);
        assert_eq!(
            Message::parse(&m),
            Err(ParseError::BadLength { code: 53, len: 2 })
        );
        m.truncate(opts);
        m.extend_from_slice(&[6, 9, 1]);
        assert_eq!(Message::parse(&m), Err(ParseError::Truncated { code: 6 }));
    }
}
