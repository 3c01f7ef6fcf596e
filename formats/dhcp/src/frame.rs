//! IPv4 and UDP headers around a DHCP message, for the packet socket a
//! client uses before it has an address (the kernel's UDP cannot send from
//! 0.0.0.0 on an interface without one, nor hear answers to a MAC).

use std::fmt;
use std::net::Ipv4Addr;

/// Length of an IPv4 header without options.
pub const IP_HEADER_LEN: usize = 20;
/// Length of a UDP header.
pub const UDP_HEADER_LEN: usize = 8;
/// IP protocol number of UDP.
const PROTO_UDP: u8 = 17;

/// Why a packet is not an IPv4 UDP datagram that can be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// Too short for its headers or its stated lengths.
    Truncated,
    /// Not IPv4, or a header length under 20.
    NotIpv4,
    /// Not UDP.
    NotUdp,
    /// A fragment: DHCP messages are never fragmented by servers we talk to.
    Fragment,
    /// The IPv4 header checksum is wrong.
    BadIpChecksum,
    /// The UDP checksum is wrong.
    BadUdpChecksum,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FrameError::Truncated => "truncated packet",
            FrameError::NotIpv4 => "not IPv4",
            FrameError::NotUdp => "not UDP",
            FrameError::Fragment => "fragmented packet",
            FrameError::BadIpChecksum => "bad IP checksum",
            FrameError::BadUdpChecksum => "bad UDP checksum",
        })
    }
}

impl std::error::Error for FrameError {}

/// A UDP datagram read from an IPv4 packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram<'a> {
    /// Source address.
    pub source: Ipv4Addr,
    /// Destination address.
    pub destination: Ipv4Addr,
    /// Source port.
    pub source_port: u16,
    /// Destination port.
    pub destination_port: u16,
    /// The UDP payload.
    pub payload: &'a [u8],
}

/// The Internet checksum (RFC 1071) of `parts` read as one byte string.
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    let mut odd: Option<u8> = None;
    for part in parts {
        for &b in *part {
            match odd.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(hi) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The pseudo-header UDP's checksum covers.
fn pseudo_header(src: Ipv4Addr, dst: Ipv4Addr, udp_len: u16) -> [u8; 12] {
    let mut p = [0u8; 12];
    p[..4].copy_from_slice(&src.octets());
    p[4..8].copy_from_slice(&dst.octets());
    p[9] = PROTO_UDP;
    p[10..].copy_from_slice(&udp_len.to_be_bytes());
    p
}

/// Builds an IPv4 packet holding one UDP datagram, both checksums set.
/// `payload` longer than an IPv4 packet can hold is cut.
pub fn build(
    source: Ipv4Addr,
    source_port: u16,
    destination: Ipv4Addr,
    destination_port: u16,
    payload: &[u8],
) -> Vec<u8> {
    let payload = &payload[..payload
        .len()
        .min(usize::from(u16::MAX) - IP_HEADER_LEN - UDP_HEADER_LEN)];
    let udp_len = (UDP_HEADER_LEN + payload.len()) as u16;
    let total = IP_HEADER_LEN as u16 + udp_len;
    let mut ip = [0u8; IP_HEADER_LEN];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip[8] = 64;
    ip[9] = PROTO_UDP;
    ip[12..16].copy_from_slice(&source.octets());
    ip[16..20].copy_from_slice(&destination.octets());
    let sum = checksum(&[&ip]);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());

    let mut udp = [0u8; UDP_HEADER_LEN];
    udp[..2].copy_from_slice(&source_port.to_be_bytes());
    udp[2..4].copy_from_slice(&destination_port.to_be_bytes());
    udp[4..6].copy_from_slice(&udp_len.to_be_bytes());
    let pseudo = pseudo_header(source, destination, udp_len);
    let mut sum = checksum(&[&pseudo, &udp, payload]);
    // Zero means "no checksum"; a computed zero is sent as all ones.
    if sum == 0 {
        sum = 0xffff;
    }
    udp[6..8].copy_from_slice(&sum.to_be_bytes());

    let mut out = Vec::with_capacity(usize::from(total));
    out.extend_from_slice(&ip);
    out.extend_from_slice(&udp);
    out.extend_from_slice(payload);
    out
}

/// Reads the UDP datagram in an IPv4 packet, checking lengths and both
/// checksums (a zero UDP checksum means none was sent).
pub fn parse(packet: &[u8]) -> Result<Datagram<'_>, FrameError> {
    parse_with(packet, true)
}

/// [`parse`], checking the UDP checksum only if `verify_udp`: a packet
/// socket sees packets of this host (or of a veth peer) before the
/// checksum offload filled it in, and the kernel says so (Linux's
/// `TP_STATUS_CSUMNOTREADY`).
pub fn parse_with(packet: &[u8], verify_udp: bool) -> Result<Datagram<'_>, FrameError> {
    if packet.len() < IP_HEADER_LEN {
        return Err(FrameError::Truncated);
    }
    let ihl = usize::from(packet[0] & 0x0f) * 4;
    if packet[0] >> 4 != 4 || ihl < IP_HEADER_LEN {
        return Err(FrameError::NotIpv4);
    }
    let total = usize::from(u16::from_be_bytes([packet[2], packet[3]]));
    if total < ihl + UDP_HEADER_LEN || packet.len() < total {
        return Err(FrameError::Truncated);
    }
    if packet[9] != PROTO_UDP {
        return Err(FrameError::NotUdp);
    }
    // More-fragments set, or a non-zero offset.
    if u16::from_be_bytes([packet[6], packet[7]]) & 0x3fff != 0 {
        return Err(FrameError::Fragment);
    }
    if checksum(&[&packet[..ihl]]) != 0 {
        return Err(FrameError::BadIpChecksum);
    }
    let source = Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]);
    let destination = Ipv4Addr::new(packet[16], packet[17], packet[18], packet[19]);
    let udp = &packet[ihl..total];
    let udp_len = u16::from_be_bytes([udp[4], udp[5]]);
    if usize::from(udp_len) < UDP_HEADER_LEN || usize::from(udp_len) > udp.len() {
        return Err(FrameError::Truncated);
    }
    let udp = &udp[..usize::from(udp_len)];
    if verify_udp && udp[6..8] != [0, 0] {
        let pseudo = pseudo_header(source, destination, udp_len);
        if checksum(&[&pseudo, udp]) != 0 {
            return Err(FrameError::BadUdpChecksum);
        }
    }
    Ok(Datagram {
        source,
        destination,
        source_port: u16::from_be_bytes([udp[0], udp[1]]),
        destination_port: u16::from_be_bytes([udp[2], udp[3]]),
        payload: &udp[UDP_HEADER_LEN..],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_packets_parse_back() {
        let p = build(Ipv4Addr::UNSPECIFIED, 68, Ipv4Addr::BROADCAST, 67, b"hello");
        let d = parse(&p).expect("parse");
        assert_eq!(d.payload, b"hello");
        assert_eq!((d.source_port, d.destination_port), (68, 67));
        let mut bad = p.clone();
        bad[30] ^= 1;
        assert_eq!(parse(&bad), Err(FrameError::BadUdpChecksum));
        let mut bad = p;
        bad[8] = 1;
        assert_eq!(parse(&bad), Err(FrameError::BadIpChecksum));
    }
}
