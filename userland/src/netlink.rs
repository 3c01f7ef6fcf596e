//! The rtnetlink conversation shared by `ip`, `bridge` and `ifup`: one socket, a
//! request at a time, answers read until the kernel says it is done. The
//! message layouts are netlink-packet-route's; this module only frames the
//! exchange and turns the kernel's errors into iproute2's wording.

pub use crate::mac::{mac_text, parse_mac};
use std::fmt;
use std::io;
use std::net::IpAddr;

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NlasIterator, NLM_F_ACK, NLM_F_DUMP,
    NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage, AddressScope};
use netlink_packet_route::link::{
    AfSpecBridge, BridgeFlag, BridgeVlanInfo, BridgeVlanInfoFlags, InfoBridge, InfoData, InfoKind,
    InfoVlan, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

pub use netlink_packet_core::{NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};

/// Why a request failed.
#[derive(Debug)]
pub enum Error {
    /// The socket itself failed (opening, sending, receiving).
    Socket(io::Error),
    /// The kernel refused the request: its errno and, when it gave one,
    /// its extended-ack message.
    Kernel {
        /// The positive errno.
        errno: i32,
        /// The kernel's own explanation (NLMSGERR_ATTR_MSG).
        message: Option<String>,
    },
    /// An answer could not be decoded.
    Decode(String),
}

impl Error {
    /// The errno the kernel answered with, if it was the kernel.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Kernel { errno, .. } => Some(*errno),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    /// iproute2's wording: "Error: MSG." when the kernel explained itself,
    /// "RTNETLINK answers: STRERROR" when it did not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Socket(e) => write!(
                f,
                "Cannot talk to rtnetlink: {}",
                crate::common::strerror(e)
            ),
            Error::Kernel {
                message: Some(m), ..
            } => {
                let dot = if m.ends_with('.') { "" } else { "." };
                write!(f, "Error: {m}{dot}")
            }
            Error::Kernel { errno, .. } => {
                write!(f, "RTNETLINK answers: {}", c_strerror(*errno))
            }
            Error::Decode(e) => write!(f, "cannot decode netlink answer: {e}"),
        }
    }
}

/// The C library's text for `errno`, as iproute2 prints it (nix's table
/// words a few differently, e.g. EOPNOTSUPP).
fn c_strerror(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    match text.rfind(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// NLMSGERR_ATTR_MSG: the extended ack's text.
const NLMSGERR_ATTR_MSG: u16 = 1;
/// NLM_F_ACK_TLVS on an error message: attributes follow the header.
const NLM_F_ACK_TLVS: u16 = 0x200;
/// NLM_F_CAPPED: the error echoes only the request's header.
const NLM_F_CAPPED: u16 = 0x100;
/// Length of a netlink message header.
const HEADER_LEN: usize = 16;

/// An open rtnetlink socket.
pub struct Netlink {
    socket: Socket,
    sequence: u32,
    buffer: Vec<u8>,
}

/// A netlink socket of `protocol` (NETLINK_ROUTE here, NETLINK_NETFILTER
/// for the firewall), bound to a port the kernel picks and connected to
/// the kernel, asking for extended acks so that errors carry their text.
pub fn kernel_socket(protocol: isize) -> io::Result<Socket> {
    let mut socket = Socket::new(protocol)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    // Older kernels lack these options; errors then just lose their text.
    let _ = socket.set_ext_ack(true);
    let _ = socket.set_cap_ack(true);
    Ok(socket)
}

impl Netlink {
    /// Opens and binds a route netlink socket, asking for extended acks
    /// (so that errors carry the kernel's text) with capped echoes.
    pub fn open() -> Result<Netlink, Error> {
        let socket = kernel_socket(NETLINK_ROUTE).map_err(Error::Socket)?;
        Ok(Netlink {
            socket,
            sequence: 0,
            // Dumps come in datagrams of up to 32 KiB; a bigger buffer
            // keeps MSG_TRUNC away.
            buffer: vec![0; 64 * 1024],
        })
    }

    fn send(&mut self, message: RouteNetlinkMessage, flags: u16) -> Result<u32, Error> {
        self.sequence = self.sequence.wrapping_add(1);
        let mut packet =
            NetlinkMessage::new(NetlinkHeader::default(), NetlinkPayload::from(message));
        packet.header.flags = flags;
        packet.header.sequence_number = self.sequence;
        packet.finalize();
        let mut buf = vec![0; packet.buffer_len()];
        packet.serialize(&mut buf);
        self.socket.send(&buf, 0).map_err(Error::Socket)?;
        Ok(self.sequence)
    }

    /// Sends `message` and collects the answers until the kernel's done or
    /// ack: all of a dump, or the one answer of a get.
    fn exchange(
        &mut self,
        message: RouteNetlinkMessage,
        flags: u16,
    ) -> Result<Vec<RouteNetlinkMessage>, Error> {
        let sequence = self.send(message, flags)?;
        let mut answers = Vec::new();
        loop {
            let size = self
                .socket
                .recv(&mut &mut self.buffer[..], 0)
                .map_err(Error::Socket)?;
            let mut offset = 0;
            while offset < size {
                let bytes = &self.buffer[offset..size];
                let packet: NetlinkMessage<RouteNetlinkMessage> =
                    NetlinkMessage::deserialize(bytes).map_err(|e| Error::Decode(e.to_string()))?;
                let length = packet.header.length as usize;
                if length == 0 {
                    break;
                }
                offset += length.div_ceil(4) * 4;
                if packet.header.sequence_number != sequence {
                    continue;
                }
                match packet.payload {
                    NetlinkPayload::Done(_) => return Ok(answers),
                    NetlinkPayload::Error(e) => match e.code {
                        None => return Ok(answers),
                        Some(code) => {
                            return Err(Error::Kernel {
                                errno: code.get().abs(),
                                message: ext_ack_message(packet.header.flags, &e.header),
                            })
                        }
                    },
                    NetlinkPayload::InnerMessage(m) => {
                        answers.push(m);
                        // A get without dump answers once, with no done.
                        if flags & NLM_F_DUMP != NLM_F_DUMP && flags & NLM_F_ACK == 0 {
                            return Ok(answers);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    /// Dumps everything of `message`'s kind.
    pub fn dump(
        &mut self,
        message: RouteNetlinkMessage,
    ) -> Result<Vec<RouteNetlinkMessage>, Error> {
        self.exchange(message, NLM_F_REQUEST | NLM_F_DUMP)
    }

    /// Asks for one object (a route lookup): the kernel's single answer.
    pub fn get(&mut self, message: RouteNetlinkMessage) -> Result<Vec<RouteNetlinkMessage>, Error> {
        self.exchange(message, NLM_F_REQUEST)
    }

    /// Sends a change and waits for the kernel's ack; `flags` adds
    /// NLM_F_CREATE and the like.
    pub fn change(&mut self, message: RouteNetlinkMessage, flags: u16) -> Result<(), Error> {
        self.exchange(message, NLM_F_REQUEST | NLM_F_ACK | flags)
            .map(|_| ())
    }

    /// All links.
    pub fn links(&mut self) -> Result<Vec<LinkMessage>, Error> {
        Ok(self
            .dump(RouteNetlinkMessage::GetLink(LinkMessage::default()))?
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewLink(l) => Some(l),
                _ => None,
            })
            .collect())
    }
}

/// One change to an existing link, as [`Netlink::set_link`] applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkChange {
    /// Administratively up (`true`) or down.
    Up(bool),
    /// The MTU.
    Mtu(u32),
    /// The hardware address.
    Address(Vec<u8>),
    /// Enslaved to the bridge with this index; 0 releases it.
    Controller(u32),
}

/// Typed requests for programs that configure the network themselves
/// (`ifup`), rather than translating a command line as `ip` does.
impl Netlink {
    /// The index of the link called `name`, if there is one.
    pub fn link_index(&mut self, name: &str) -> Result<Option<u32>, Error> {
        Ok(self
            .links()?
            .iter()
            .find(|l| link_name(l) == Some(name))
            .map(|l| l.header.index))
    }

    /// Applies `change` to link `index` (RTM_NEWLINK on an existing link,
    /// as iproute2's `ip link set` sends it).
    pub fn set_link(&mut self, index: u32, change: &LinkChange) -> Result<(), Error> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        match change {
            LinkChange::Up(up) => {
                if *up {
                    msg.header.flags |= LinkFlags::Up;
                }
                msg.header.change_mask |= LinkFlags::Up;
            }
            LinkChange::Mtu(m) => msg.attributes.push(LinkAttribute::Mtu(*m)),
            LinkChange::Address(a) => msg.attributes.push(LinkAttribute::Address(a.clone())),
            LinkChange::Controller(c) => msg.attributes.push(LinkAttribute::Controller(*c)),
        }
        self.change(RouteNetlinkMessage::NewLink(msg), 0)
    }

    /// Creates a bridge; `vlan_filtering` only when asked, since kernels
    /// without VLAN filtering refuse the attribute even when it is off.
    pub fn add_bridge(&mut self, name: &str, vlan_filtering: bool) -> Result<(), Error> {
        let mut info = vec![LinkInfo::Kind(InfoKind::Bridge)];
        if vlan_filtering {
            info.push(LinkInfo::Data(InfoData::Bridge(vec![
                InfoBridge::VlanFiltering(true),
            ])));
        }
        self.add_link(name, None, info)
    }

    /// Creates VLAN `id` on the link with index `raw`.
    pub fn add_vlan(&mut self, name: &str, raw: u32, id: u16) -> Result<(), Error> {
        let info = vec![
            LinkInfo::Kind(InfoKind::Vlan),
            LinkInfo::Data(InfoData::Vlan(vec![InfoVlan::Id(id)])),
        ];
        self.add_link(name, Some(raw), info)
    }

    fn add_link(
        &mut self,
        name: &str,
        parent: Option<u32>,
        info: Vec<LinkInfo>,
    ) -> Result<(), Error> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        if let Some(p) = parent {
            msg.attributes.push(LinkAttribute::Link(p));
        }
        msg.attributes.push(LinkAttribute::LinkInfo(info));
        self.change(RouteNetlinkMessage::NewLink(msg), NLM_F_CREATE | NLM_F_EXCL)
    }

    /// Removes every address of `family` from link `index` (`ip -4 addr
    /// flush dev DEV`), newest first so that secondaries go before their
    /// primary; one already gone with its primary is skipped.
    pub fn flush_addresses(&mut self, index: u32, family: AddressFamily) -> Result<(), Error> {
        let mut mine: Vec<AddressMessage> = self
            .dump(RouteNetlinkMessage::GetAddress(AddressMessage::default()))?
            .into_iter()
            .filter_map(|m| match m {
                RouteNetlinkMessage::NewAddress(a) => Some(a),
                _ => None,
            })
            .filter(|a| a.header.index == index && a.header.family == family)
            .collect();
        mine.reverse();
        for a in mine {
            match self.change(RouteNetlinkMessage::DelAddress(a), 0) {
                Err(e) if e.errno() == Some(libc_eaddrnotavail()) => {}
                r => r?,
            }
        }
        Ok(())
    }

    /// Deletes link `index`.
    pub fn del_link(&mut self, index: u32) -> Result<(), Error> {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        self.change(RouteNetlinkMessage::DelLink(msg), 0)
    }

    /// Adds or removes `ip/len` on link `index`. An IPv4 address gets the
    /// subnet's broadcast address, as `ip addr add ... broadcast +` and
    /// ifupdown give it.
    pub fn address(&mut self, add: bool, index: u32, ip: IpAddr, len: u8) -> Result<(), Error> {
        let mut msg = AddressMessage::default();
        msg.header.family = family_of(&ip);
        msg.header.prefix_len = len;
        msg.header.index = index;
        let host = match ip {
            IpAddr::V4(v4) => v4.is_loopback(),
            IpAddr::V6(v6) => v6.is_loopback(),
        };
        msg.header.scope = if host {
            AddressScope::Host
        } else {
            AddressScope::Universe
        };
        msg.attributes.push(AddressAttribute::Local(ip));
        msg.attributes.push(AddressAttribute::Address(ip));
        if let (true, IpAddr::V4(v4)) = (add, ip) {
            if len < 31 {
                let host_mask = u32::MAX >> len;
                let b = std::net::Ipv4Addr::from(u32::from(v4) | host_mask);
                msg.attributes.push(AddressAttribute::Broadcast(b));
            }
        }
        let message = if add {
            RouteNetlinkMessage::NewAddress(msg)
        } else {
            RouteNetlinkMessage::DelAddress(msg)
        };
        self.change(message, if add { NLM_F_CREATE | NLM_F_EXCL } else { 0 })
    }

    /// Adds or removes the default route via `gateway` out of link
    /// `index` in the main table, with `metric` (0 when none).
    pub fn default_route(
        &mut self,
        add: bool,
        index: u32,
        gateway: IpAddr,
        metric: u32,
    ) -> Result<(), Error> {
        let mut msg = RouteMessage::default();
        msg.header.address_family = family_of(&gateway);
        msg.header.table = 254;
        if add {
            msg.header.protocol = RouteProtocol::Boot;
            msg.header.kind = RouteType::Unicast;
            msg.header.scope = RouteScope::Universe;
        } else {
            msg.header.scope = RouteScope::NoWhere;
        }
        msg.attributes
            .push(RouteAttribute::Gateway(RouteAddress::from(gateway)));
        msg.attributes.push(RouteAttribute::Oif(index));
        if metric != 0 {
            msg.attributes.push(RouteAttribute::Priority(metric));
        }
        let message = if add {
            RouteNetlinkMessage::NewRoute(msg)
        } else {
            RouteNetlinkMessage::DelRoute(msg)
        };
        self.change(message, if add { NLM_F_CREATE | NLM_F_EXCL } else { 0 })
    }

    /// Adds VLANs `lo..=hi` to bridge port `index` (or, with `on_bridge`,
    /// to the bridge device itself, `bridge vlan add ... self`); `pvid`
    /// makes it the port's untagged native VLAN.
    pub fn bridge_vlan(
        &mut self,
        index: u32,
        (lo, hi): (u16, u16),
        pvid: bool,
        on_bridge: bool,
    ) -> Result<(), Error> {
        let mut msg = LinkMessage::default();
        msg.header.interface_family = AddressFamily::Bridge;
        msg.header.index = index;
        let flags = if pvid {
            BridgeVlanInfoFlags::Pvid | BridgeVlanInfoFlags::Untagged
        } else {
            BridgeVlanInfoFlags::empty()
        };
        let mut spec = vec![AfSpecBridge::Flags(if on_bridge {
            BridgeFlag::LowerDev
        } else {
            BridgeFlag::Controller
        })];
        spec.extend(vlan_range(flags, (lo, hi)));
        msg.attributes.push(LinkAttribute::AfSpecBridge(spec));
        self.change(RouteNetlinkMessage::SetLink(msg), 0)
    }
}

/// The bridge attributes for the VLANs `lo..=hi` with `flags`: one entry
/// for one VLAN, else the range's first and last marked as such, as the
/// kernel reads ranges.
pub fn vlan_range(flags: BridgeVlanInfoFlags, (lo, hi): (u16, u16)) -> Vec<AfSpecBridge> {
    if lo == hi {
        return vec![AfSpecBridge::VlanInfo(BridgeVlanInfo { flags, vid: lo })];
    }
    vec![
        AfSpecBridge::VlanInfo(BridgeVlanInfo {
            flags: flags | BridgeVlanInfoFlags::RangeBegin,
            vid: lo,
        }),
        AfSpecBridge::VlanInfo(BridgeVlanInfo {
            flags: flags | BridgeVlanInfoFlags::RangeEnd,
            vid: hi,
        }),
    ]
}

/// EADDRNOTAVAIL: the address to remove is not there.
fn libc_eaddrnotavail() -> i32 {
    nix::errno::Errno::EADDRNOTAVAIL as i32
}

/// The address family of `ip`.
fn family_of(ip: &IpAddr) -> AddressFamily {
    if ip.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    }
}

/// The text of an extended ack, if the kernel sent one.
pub fn ext_ack_message(flags: u16, payload: &[u8]) -> Option<String> {
    if flags & NLM_F_ACK_TLVS == 0 {
        return None;
    }
    // The echoed request: its header only when capped, else all of it.
    let echoed = if flags & NLM_F_CAPPED != 0 {
        HEADER_LEN
    } else {
        let len = payload.get(..4)?;
        u32::from_ne_bytes(len.try_into().ok()?) as usize
    };
    let tlvs = payload.get(echoed.div_ceil(4) * 4..)?;
    for nla in NlasIterator::new(tlvs) {
        let nla = nla.ok()?;
        if nla.kind() == NLMSGERR_ATTR_MSG {
            let text = nla.value();
            let text = text.split(|&b| b == 0).next().unwrap_or(text);
            return Some(String::from_utf8_lossy(text).into_owned());
        }
    }
    None
}

/// A link's name.
pub fn link_name(link: &LinkMessage) -> Option<&str> {
    link.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfName(n) => Some(n.as_str()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_round_trip() {
        let mac = parse_mac("02:0a:ff:00:1:b").expect("mac");
        assert_eq!(mac_text(&mac), "02:0a:ff:00:01:0b");
        assert_eq!(parse_mac("02::03"), None);
        assert_eq!(parse_mac("zz"), None);
        assert_eq!(parse_mac("123"), None);
    }

    #[test]
    fn errors_read_like_iproute2() {
        let e = Error::Kernel {
            errno: 17,
            message: None,
        };
        assert_eq!(e.to_string(), "RTNETLINK answers: File exists");
        let e = Error::Kernel {
            errno: 95,
            message: Some("Unknown device type".into()),
        };
        assert_eq!(e.to_string(), "Error: Unknown device type.");
        let e = Error::Kernel {
            errno: 95,
            message: None,
        };
        assert_eq!(e.to_string(), "RTNETLINK answers: Operation not supported");
    }
}
