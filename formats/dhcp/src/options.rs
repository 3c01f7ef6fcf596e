//! DHCP options (RFC 2132): the typed [`Options`] and their wire form,
//! code-length-value records where repeated codes concatenate (RFC 3396).

use std::net::Ipv4Addr;

use crate::ParseError;

/// Padding between options.
pub(crate) const PAD: u8 = 0;
/// End of the options in a field.
pub(crate) const END: u8 = 255;
/// Option overload: options continue in `file` (1), `sname` (2) or both (3).
pub(crate) const OVERLOAD: u8 = 52;

/// Option codes with a typed field in [`Options`].
mod code {
    pub const SUBNET_MASK: u8 = 1;
    pub const ROUTER: u8 = 3;
    pub const DNS: u8 = 6;
    pub const HOSTNAME: u8 = 12;
    pub const DOMAIN: u8 = 15;
    pub const BROADCAST: u8 = 28;
    pub const NTP: u8 = 42;
    pub const REQUESTED_IP: u8 = 50;
    pub const LEASE_TIME: u8 = 51;
    pub const MESSAGE_TYPE: u8 = 53;
    pub const SERVER_ID: u8 = 54;
    pub const PARAMETER_LIST: u8 = 55;
    pub const MESSAGE: u8 = 56;
    pub const MAX_SIZE: u8 = 57;
    pub const RENEWAL_TIME: u8 = 58;
    pub const REBINDING_TIME: u8 = 59;
    pub const VENDOR_CLASS: u8 = 60;
    pub const CLIENT_ID: u8 = 61;
    pub const STATIC_ROUTES: u8 = 121;
}

/// Whether `c` has a typed field (or is framing) rather than a place in
/// [`Options::other`].
pub fn is_known(c: u8) -> bool {
    use code::*;
    matches!(
        c,
        PAD | END
            | OVERLOAD
            | SUBNET_MASK
            | ROUTER
            | DNS
            | HOSTNAME
            | DOMAIN
            | BROADCAST
            | NTP
            | REQUESTED_IP
            | LEASE_TIME
            | MESSAGE_TYPE
            | SERVER_ID
            | PARAMETER_LIST
            | MESSAGE
            | MAX_SIZE
            | RENEWAL_TIME
            | REBINDING_TIME
            | VENDOR_CLASS
            | CLIENT_ID
            | STATIC_ROUTES
    )
}

/// The DHCP message type (option 53).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    /// 1: a client looks for servers.
    Discover,
    /// 2: a server offers an address.
    Offer,
    /// 3: a client asks for (or renews) an address.
    Request,
    /// 4: a client found the address in use.
    Decline,
    /// 5: a server confirms.
    Ack,
    /// 6: a server refuses.
    Nak,
    /// 7: a client gives its address back.
    Release,
    /// 8: a client with an address asks for settings only.
    Inform,
    /// Any other value, kept as is.
    Other(u8),
}

impl MessageType {
    /// The type's number on the wire.
    pub fn code(self) -> u8 {
        match self {
            MessageType::Discover => 1,
            MessageType::Offer => 2,
            MessageType::Request => 3,
            MessageType::Decline => 4,
            MessageType::Ack => 5,
            MessageType::Nak => 6,
            MessageType::Release => 7,
            MessageType::Inform => 8,
            MessageType::Other(c) => c,
        }
    }
}

impl From<u8> for MessageType {
    fn from(c: u8) -> MessageType {
        match c {
            1 => MessageType::Discover,
            2 => MessageType::Offer,
            3 => MessageType::Request,
            4 => MessageType::Decline,
            5 => MessageType::Ack,
            6 => MessageType::Nak,
            7 => MessageType::Release,
            8 => MessageType::Inform,
            c => MessageType::Other(c),
        }
    }
}

/// One classless static route (RFC 3442, option 121).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaticRoute {
    /// Destination network; only its first `ceil(prefix_len / 8)` bytes
    /// travel, the rest read as zero.
    pub destination: Ipv4Addr,
    /// Prefix length, 0 to 32.
    pub prefix_len: u8,
    /// The router to send through.
    pub router: Ipv4Addr,
}

/// The options of a message. Lists are empty and the rest `None` when
/// absent; options without a field here are kept in [`Options::other`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// 53: the message type (a message without one is plain BOOTP).
    pub message_type: Option<MessageType>,
    /// 1: subnet mask.
    pub subnet_mask: Option<Ipv4Addr>,
    /// 3: routers, in order of preference.
    pub routers: Vec<Ipv4Addr>,
    /// 6: DNS servers.
    pub dns_servers: Vec<Ipv4Addr>,
    /// 12: host name.
    pub hostname: Option<Vec<u8>>,
    /// 15: domain name.
    pub domain_name: Option<Vec<u8>>,
    /// 28: broadcast address.
    pub broadcast: Option<Ipv4Addr>,
    /// 42: NTP servers.
    pub ntp_servers: Vec<Ipv4Addr>,
    /// 50: the address a client asks for.
    pub requested_ip: Option<Ipv4Addr>,
    /// 51: lease time in seconds.
    pub lease_time: Option<u32>,
    /// 54: the server's identifier (its address).
    pub server_id: Option<Ipv4Addr>,
    /// 55: the option codes a client asks for.
    pub parameter_request_list: Option<Vec<u8>>,
    /// 56: an error message.
    pub message: Option<Vec<u8>>,
    /// 57: the longest message the sender accepts.
    pub max_message_size: Option<u16>,
    /// 58: renewal time T1 in seconds.
    pub renewal_time: Option<u32>,
    /// 59: rebinding time T2 in seconds.
    pub rebinding_time: Option<u32>,
    /// 60: vendor class identifier.
    pub vendor_class: Option<Vec<u8>>,
    /// 61: client identifier.
    pub client_id: Option<Vec<u8>>,
    /// 121: classless static routes.
    pub static_routes: Vec<StaticRoute>,
    /// Every other option, code and value, in the order first seen.
    pub other: Vec<(u8, Vec<u8>)>,
}

impl Options {
    /// The value of option `c` from [`Options::other`].
    pub fn get_other(&self, c: u8) -> Option<&[u8]> {
        self.other
            .iter()
            .find(|(o, _)| *o == c)
            .map(|(_, v)| v.as_slice())
    }

    /// Every option present, as code and wire value, typed ones first in
    /// code order.
    pub fn items(&self) -> Vec<(u8, Vec<u8>)> {
        use code::*;
        let mut out: Vec<(u8, Vec<u8>)> = Vec::new();
        let addrs =
            |list: &[Ipv4Addr]| -> Vec<u8> { list.iter().flat_map(|a| a.octets()).collect() };
        if let Some(t) = self.message_type {
            // The type goes first: readers that stop early still see it.
            out.push((MESSAGE_TYPE, vec![t.code()]));
        }
        if let Some(a) = self.subnet_mask {
            out.push((SUBNET_MASK, a.octets().to_vec()));
        }
        if !self.routers.is_empty() {
            out.push((ROUTER, addrs(&self.routers)));
        }
        if !self.dns_servers.is_empty() {
            out.push((DNS, addrs(&self.dns_servers)));
        }
        if let Some(v) = &self.hostname {
            out.push((HOSTNAME, v.clone()));
        }
        if let Some(v) = &self.domain_name {
            out.push((DOMAIN, v.clone()));
        }
        if let Some(a) = self.broadcast {
            out.push((BROADCAST, a.octets().to_vec()));
        }
        if !self.ntp_servers.is_empty() {
            out.push((NTP, addrs(&self.ntp_servers)));
        }
        if let Some(a) = self.requested_ip {
            out.push((REQUESTED_IP, a.octets().to_vec()));
        }
        if let Some(t) = self.lease_time {
            out.push((LEASE_TIME, t.to_be_bytes().to_vec()));
        }
        if let Some(a) = self.server_id {
            out.push((SERVER_ID, a.octets().to_vec()));
        }
        if let Some(v) = &self.parameter_request_list {
            out.push((PARAMETER_LIST, v.clone()));
        }
        if let Some(v) = &self.message {
            out.push((MESSAGE, v.clone()));
        }
        if let Some(n) = self.max_message_size {
            out.push((MAX_SIZE, n.to_be_bytes().to_vec()));
        }
        if let Some(t) = self.renewal_time {
            out.push((RENEWAL_TIME, t.to_be_bytes().to_vec()));
        }
        if let Some(t) = self.rebinding_time {
            out.push((REBINDING_TIME, t.to_be_bytes().to_vec()));
        }
        if let Some(v) = &self.vendor_class {
            out.push((VENDOR_CLASS, v.clone()));
        }
        if let Some(v) = &self.client_id {
            out.push((CLIENT_ID, v.clone()));
        }
        if !self.static_routes.is_empty() {
            let mut v = Vec::new();
            for r in &self.static_routes {
                let len = r.prefix_len.min(32);
                v.push(len);
                v.extend_from_slice(&r.destination.octets()[..usize::from(len).div_ceil(8)]);
                v.extend_from_slice(&r.router.octets());
            }
            out.push((STATIC_ROUTES, v));
        }
        out.extend(self.other.iter().cloned());
        out
    }
}

/// Bytes that a value of `len` bytes takes on the wire: a two-byte header
/// per piece of at most 255 bytes (one piece even when empty).
pub(crate) fn encoded_len(len: usize) -> usize {
    len + 2 * len.div_ceil(255).max(1)
}

/// Appends option `c` with `value`, split in pieces of at most
/// `max_piece.min(255)` bytes (RFC 3396).
pub(crate) fn put(out: &mut Vec<u8>, c: u8, value: &[u8], max_piece: usize) {
    let piece = max_piece.clamp(1, 255);
    if value.is_empty() {
        out.extend_from_slice(&[c, 0]);
        return;
    }
    for chunk in value.chunks(piece) {
        out.push(c);
        // `chunks` of at most 255 bytes: the length fits.
        out.push(chunk.len() as u8);
        out.extend_from_slice(chunk);
    }
}

/// Options as read off the wire, before typing: each code once, values of
/// repeated codes concatenated.
#[derive(Default)]
pub(crate) struct RawOptions {
    items: Vec<(u8, Vec<u8>)>,
}

impl RawOptions {
    /// Reads one field's options up to its end; returns the overload
    /// value if the field had option 52.
    pub(crate) fn scan(&mut self, mut bytes: &[u8]) -> Result<Option<u8>, ParseError> {
        let mut overload = None;
        while let Some((&c, rest)) = bytes.split_first() {
            match c {
                PAD => {
                    bytes = rest;
                    continue;
                }
                END => break,
                _ => {}
            }
            let Some((&len, rest)) = rest.split_first() else {
                return Err(ParseError::Truncated { code: c });
            };
            let len = usize::from(len);
            if rest.len() < len {
                return Err(ParseError::Truncated { code: c });
            }
            let (value, rest) = rest.split_at(len);
            bytes = rest;
            if c == OVERLOAD {
                match value {
                    [v @ 1..=3] => overload = Some(*v),
                    [v] => return Err(ParseError::BadOverload(*v)),
                    _ => return Err(ParseError::BadLength { code: c, len }),
                }
                continue;
            }
            match self.items.iter_mut().find(|(o, _)| *o == c) {
                Some((_, v)) => v.extend_from_slice(value),
                None => self.items.push((c, value.to_vec())),
            }
        }
        Ok(overload)
    }

    /// Types the options, checking the lengths of the known ones.
    pub(crate) fn into_options(self) -> Result<Options, ParseError> {
        use code::*;
        let mut o = Options::default();
        for (c, v) in self.items {
            let bad = || ParseError::BadLength {
                code: c,
                len: v.len(),
            };
            let addr = |v: &[u8]| -> Result<Ipv4Addr, ParseError> {
                <[u8; 4]>::try_from(v)
                    .map(Ipv4Addr::from)
                    .map_err(|_| bad())
            };
            let addrs = |v: &[u8]| -> Result<Vec<Ipv4Addr>, ParseError> {
                if !v.chunks_exact(4).remainder().is_empty() {
                    return Err(bad());
                }
                Ok(v.chunks_exact(4)
                    .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]))
                    .collect())
            };
            let u32_of = |v: &[u8]| -> Result<u32, ParseError> {
                <[u8; 4]>::try_from(v)
                    .map(u32::from_be_bytes)
                    .map_err(|_| bad())
            };
            match c {
                MESSAGE_TYPE => match v.as_slice() {
                    [t] => o.message_type = Some(MessageType::from(*t)),
                    _ => return Err(bad()),
                },
                SUBNET_MASK => o.subnet_mask = Some(addr(&v)?),
                ROUTER => o.routers = addrs(&v)?,
                DNS => o.dns_servers = addrs(&v)?,
                HOSTNAME => o.hostname = Some(v),
                DOMAIN => o.domain_name = Some(v),
                BROADCAST => o.broadcast = Some(addr(&v)?),
                NTP => o.ntp_servers = addrs(&v)?,
                REQUESTED_IP => o.requested_ip = Some(addr(&v)?),
                LEASE_TIME => o.lease_time = Some(u32_of(&v)?),
                SERVER_ID => o.server_id = Some(addr(&v)?),
                PARAMETER_LIST => o.parameter_request_list = Some(v),
                MESSAGE => o.message = Some(v),
                MAX_SIZE => match v.as_slice() {
                    [a, b] => o.max_message_size = Some(u16::from_be_bytes([*a, *b])),
                    _ => return Err(bad()),
                },
                RENEWAL_TIME => o.renewal_time = Some(u32_of(&v)?),
                REBINDING_TIME => o.rebinding_time = Some(u32_of(&v)?),
                VENDOR_CLASS => o.vendor_class = Some(v),
                CLIENT_ID => o.client_id = Some(v),
                STATIC_ROUTES => o.static_routes = routes(&v)?,
                _ => o.other.push((c, v)),
            }
        }
        Ok(o)
    }
}

/// Decodes option 121's value.
fn routes(mut v: &[u8]) -> Result<Vec<StaticRoute>, ParseError> {
    let mut out = Vec::new();
    while let Some((&len, rest)) = v.split_first() {
        if len > 32 {
            return Err(ParseError::BadRoute);
        }
        let n = usize::from(len).div_ceil(8);
        if rest.len() < n + 4 {
            return Err(ParseError::BadRoute);
        }
        let mut dest = [0u8; 4];
        dest[..n].copy_from_slice(&rest[..n]);
        let r = &rest[n..n + 4];
        out.push(StaticRoute {
            destination: Ipv4Addr::from(dest),
            prefix_len: len,
            router: Ipv4Addr::new(r[0], r[1], r[2], r[3]),
        });
        v = &rest[n + 4..];
    }
    Ok(out)
}
