//! `bridge`: a bridge's VLAN table and forwarding database over
//! rtnetlink, with iproute2's syntax and output.
//!
//! Messages and exit statuses are iproute2's: its `bridge` returns -1
//! (status 255) for a refused change, an unknown device or command alike.

use std::ffi::OsString;

use netlink_packet_route::link::{
    AfSpecBridge, BridgeFlag, BridgeVlanInfoFlags, LinkAttribute, LinkExtentMask, LinkMessage,
};
use netlink_packet_route::neighbour::{
    NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::common::lossy;
use crate::netlink::{self, link_name, mac_text, Netlink, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};

/// Usage text.
pub const USAGE: &str = "OBJECT COMMAND [ARGS]

	vlan show [dev DEV]
	vlan add|del dev DEV vid N[-M] [pvid] [untagged] [self] [master]
	link [show] [dev DEV]
	link set dev DEV [learning|flood|hairpin|isolated|... on|off] [cost N] [priority N] [state S]
	fdb show [dev DEV] [br BRIDGE]
	fdb add|replace|del LLADDR dev DEV [self|master] [permanent|static|dynamic] [vlan N]";

/// Why a command failed; each maps to iproute2's message and status.
enum Fail {
    /// Bad command line (status 255).
    Usage(String),
    /// A message printed as is, status 1 (an unknown object).
    Msg(String),
    /// The kernel said no (status 255).
    Netlink(netlink::Error),
}

impl From<netlink::Error> for Fail {
    fn from(e: netlink::Error) -> Fail {
        Fail::Netlink(e)
    }
}

/// Whether `word` is a prefix of `full` (iproute2's `matches`).
fn matches(word: &str, full: &str) -> bool {
    !word.is_empty() && full.starts_with(word)
}

/// `bridge`'s entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let mut words: Vec<String> = args.iter().skip(1).map(|a| lossy(a).into_owned()).collect();
    // Global options iproute2's bridge takes that change nothing here.
    while words
        .first()
        .is_some_and(|w| w.starts_with('-') && w.len() > 1)
    {
        let w = words.remove(0);
        if w == "-help" || w == "-h" || w == "--help" {
            crate::common::print_usage("bridge");
            return 0;
        }
        if w == "-V" || w == "-Version" {
            println!("bridge utility, ibox");
            return 0;
        }
    }
    if words.is_empty() {
        // iproute2 prints its usage and exits 255.
        crate::common::print_usage_brief("bridge");
        return 255;
    }
    let object = words.remove(0);
    let mut words = words.into_iter();
    let result = match object.as_str() {
        o if matches(o, "vlan") => vlan(&mut words),
        o if matches(o, "fdb") => fdb(&mut words),
        o if matches(o, "link") => return link(&mut words),
        _ => Err(Fail::Msg(format!(
            "Object \"{object}\" is unknown, try \"bridge help\"."
        ))),
    };
    match result {
        Ok(()) => 0,
        Err(Fail::Usage(m)) => {
            eprintln!("{m}");
            255
        }
        Err(Fail::Msg(m)) => {
            eprintln!("{m}");
            1
        }
        Err(Fail::Netlink(e)) => {
            eprintln!("{e}");
            255
        }
    }
}

fn value(words: &mut impl Iterator<Item = String>, kw: &str) -> Result<String, Fail> {
    words
        .next()
        .ok_or_else(|| Fail::Usage(format!("Command line is not complete after \"{kw}\".")))
}

fn index_of(links: &[LinkMessage], name: &str) -> Result<u32, Fail> {
    links
        .iter()
        .find(|l| link_name(l) == Some(name))
        .map(|l| l.header.index)
        .ok_or_else(|| Fail::Msg(format!("Cannot find device \"{name}\"")))
}

fn name_of(links: &[LinkMessage], index: u32) -> String {
    links
        .iter()
        .find(|l| l.header.index == index)
        .and_then(link_name)
        .map(str::to_string)
        .unwrap_or_else(|| format!("if{index}"))
}

// ---------------------------------------------------------------- link

/// `bridge link [show] [dev DEV]` and `bridge link set dev DEV SETTINGS`;
/// the latter is `ip link set DEV type bridge_slave SETTINGS`, which the
/// kernel applies alike (and whose errors exit 2, not 255).
fn link(words: &mut impl Iterator<Item = String>) -> i32 {
    let cmd = words.next().unwrap_or_else(|| "show".into());
    let rest: Vec<String> = words.collect();
    match cmd.as_str() {
        c if matches(c, "set") => {
            let mut dev = None;
            let mut settings = Vec::new();
            let mut it = rest.into_iter();
            while let Some(w) = it.next() {
                if w == "dev" {
                    dev = it.next();
                } else {
                    settings.push(w);
                }
            }
            let Some(dev) = dev else {
                eprintln!("Device is a required argument.");
                return 255;
            };
            let mut args: Vec<OsString> = ["ip", "link", "set", "dev"]
                .iter()
                .map(OsString::from)
                .collect();
            args.push(dev.into());
            args.push("type".into());
            args.push("bridge_slave".into());
            args.extend(settings.into_iter().map(OsString::from));
            crate::applets::ip::main(args)
        }
        c if matches(c, "show") || matches(c, "list") || c == "lst" => {
            let dev = match rest.as_slice() {
                [] => None,
                [d, name] if d == "dev" => Some(name.as_str()),
                // iproute2 ignores a bare word here and lists all ports.
                [_] => None,
                _ => {
                    eprintln!(
                        "Command \"{}\" is unknown, try \"bridge link help\".",
                        rest[0]
                    );
                    return 255;
                }
            };
            crate::applets::ip::bridge_link_show(dev)
        }
        _ => {
            eprintln!("Command \"{cmd}\" is unknown, try \"bridge link help\".");
            255
        }
    }
}

// ---------------------------------------------------------------- vlan

fn vlan(words: &mut impl Iterator<Item = String>) -> Result<(), Fail> {
    let cmd = words.next().unwrap_or_else(|| "show".into());
    match cmd.as_str() {
        c if matches(c, "add") => vlan_modify(words, true),
        c if matches(c, "delete") => vlan_modify(words, false),
        c if matches(c, "show") || matches(c, "list") || c == "lst" => vlan_show(words),
        _ => Err(Fail::Usage(format!(
            "Command \"{cmd}\" is unknown, try \"bridge vlan help\"."
        ))),
    }
}

fn vlan_modify(words: &mut impl Iterator<Item = String>, add: bool) -> Result<(), Fail> {
    let mut dev = None;
    let mut vids = None;
    let mut flags = BridgeVlanInfoFlags::empty();
    let mut self_ = false;
    let mut master = false;
    while let Some(word) = words.next() {
        match word.as_str() {
            "dev" => dev = Some(value(words, "dev")?),
            "vid" => {
                let v = value(words, "vid")?;
                let bad = || {
                    Fail::Usage(format!(
                        "Error: argument \"{v}\" is wrong: invalid VLAN id\n"
                    ))
                };
                let (lo, hi) = match v.split_once('-') {
                    Some((a, b)) => (
                        a.parse::<u16>().map_err(|_| bad())?,
                        b.parse::<u16>().map_err(|_| bad())?,
                    ),
                    None => {
                        let n = v.parse::<u16>().map_err(|_| bad())?;
                        (n, n)
                    }
                };
                if lo == 0 || hi >= 4095 || lo > hi {
                    return Err(Fail::Msg("Invalid VLAN range".into()));
                }
                vids = Some((lo, hi));
            }
            "pvid" => flags |= BridgeVlanInfoFlags::Pvid,
            "untagged" => flags |= BridgeVlanInfoFlags::Untagged,
            "self" => self_ = true,
            "master" => master = true,
            _ => {
                return Err(Fail::Usage(format!(
                    "Command \"{word}\" is unknown, try \"bridge vlan help\"."
                )))
            }
        }
    }
    let (Some(dev), Some((lo, hi))) = (dev, vids) else {
        return Err(Fail::Usage(
            "Device and VLAN ID are required arguments.".into(),
        ));
    };
    if lo != hi && flags.contains(BridgeVlanInfoFlags::Pvid) {
        return Err(Fail::Msg(
            "pvid cannot be configured for a vlan range".into(),
        ));
    }
    let mut nl = Netlink::open()?;
    let links = nl.links()?;
    let mut msg = LinkMessage::default();
    msg.header.interface_family = AddressFamily::Bridge;
    msg.header.index = index_of(&links, &dev)
        .map_err(|_| Fail::Usage(format!("Cannot find bridge device \"{dev}\"")))?;
    let mut spec = Vec::new();
    if self_ {
        spec.push(AfSpecBridge::Flags(BridgeFlag::LowerDev));
    } else if master {
        spec.push(AfSpecBridge::Flags(BridgeFlag::Controller));
    }
    spec.extend(crate::netlink::vlan_range(flags, (lo, hi)));
    msg.attributes.push(LinkAttribute::AfSpecBridge(spec));
    let message = if add {
        RouteNetlinkMessage::SetLink(msg)
    } else {
        RouteNetlinkMessage::DelLink(msg)
    };
    nl.change(message, 0)?;
    Ok(())
}

fn vlan_show(words: &mut impl Iterator<Item = String>) -> Result<(), Fail> {
    let mut dev = None;
    let mut vid = None;
    while let Some(word) = words.next() {
        match word.as_str() {
            "dev" => dev = Some(value(words, "dev")?),
            "vid" => {
                let v = value(words, "vid")?;
                vid = Some(v.parse::<u16>().map_err(|_| {
                    Fail::Usage(format!(
                        "Error: argument \"{v}\" is wrong: invalid VLAN id\n"
                    ))
                })?);
            }
            _ => {
                return Err(Fail::Usage(format!(
                    "Command \"{word}\" is unknown, try \"bridge vlan help\"."
                )))
            }
        }
    }
    let mut nl = Netlink::open()?;
    let links = nl.links()?;
    let only = match &dev {
        Some(d) => Some(index_of(&links, d)?),
        None => None,
    };
    let mut req = LinkMessage::default();
    req.header.interface_family = AddressFamily::Bridge;
    req.attributes
        .push(LinkAttribute::ExtMask(vec![LinkExtentMask::Brvlan]));
    let mut out = format!("{:<16}  {:<9}\n", "port", "vlan-id");
    for m in nl.dump(RouteNetlinkMessage::GetLink(req))? {
        let RouteNetlinkMessage::NewLink(l) = m else {
            continue;
        };
        if only.is_some_and(|i| i != l.header.index) {
            continue;
        }
        out.push_str(&vlan_lines(&l, &name_of(&links, l.header.index), vid));
    }
    print!("{out}");
    Ok(())
}

/// One port's VLANs as `bridge vlan show` prints them: the name on the
/// first, ranges joined as `N-M`; with `only`, just the entry holding
/// that VLAN.
fn vlan_lines(l: &LinkMessage, name: &str, only: Option<u16>) -> String {
    let mut out = String::new();
    let mut range_start = None;
    for a in &l.attributes {
        let LinkAttribute::AfSpecBridge(spec) = a else {
            continue;
        };
        for s in spec {
            let AfSpecBridge::VlanInfo(v) = s else {
                continue;
            };
            if v.flags.contains(BridgeVlanInfoFlags::RangeBegin) {
                range_start = Some(v.vid);
                continue;
            }
            let start = range_start.take().unwrap_or(v.vid);
            if only.is_some_and(|o| o < start || o > v.vid) {
                continue;
            }
            if out.is_empty() {
                out.push_str(&format!("{name:<16}  "));
            } else {
                out.push_str(&format!("{:<16}  ", ""));
            }
            out.push_str(&start.to_string());
            if start != v.vid {
                out.push_str(&format!("-{}", v.vid));
            }
            if v.flags.contains(BridgeVlanInfoFlags::Pvid) {
                out.push_str(" PVID");
            }
            if v.flags.contains(BridgeVlanInfoFlags::Untagged) {
                out.push_str(" Egress Untagged");
            }
            out.push('\n');
        }
    }
    out
}

// ---------------------------------------------------------------- fdb

fn fdb(words: &mut impl Iterator<Item = String>) -> Result<(), Fail> {
    let cmd = words.next().unwrap_or_else(|| "show".into());
    match cmd.as_str() {
        c if matches(c, "show") || matches(c, "list") || c == "lst" => fdb_show(words),
        c if matches(c, "add") => fdb_modify(words, true, NLM_F_CREATE | NLM_F_EXCL),
        c if matches(c, "replace") => fdb_modify(words, true, NLM_F_CREATE | NLM_F_REPLACE),
        c if matches(c, "delete") => fdb_modify(words, false, 0),
        _ => Err(Fail::Usage(format!(
            "Command \"{cmd}\" is unknown, try \"bridge fdb help\"."
        ))),
    }
}

fn fdb_show(words: &mut impl Iterator<Item = String>) -> Result<(), Fail> {
    let mut dev = None;
    let mut br = None;
    while let Some(word) = words.next() {
        match word.as_str() {
            "dev" => dev = Some(value(words, "dev")?),
            "br" | "brport" => br = Some(value(words, &word)?),
            _ => {
                return Err(Fail::Usage(format!(
                    "Command \"{word}\" is unknown, try \"bridge fdb help\"."
                )))
            }
        }
    }
    let mut nl = Netlink::open()?;
    let links = nl.links()?;
    let only = match &dev {
        Some(d) => Some(index_of(&links, d)?),
        None => None,
    };
    let bridge = match &br {
        Some(b) => Some(index_of(&links, b)?),
        None => None,
    };
    let mut req = NeighbourMessage::default();
    req.header.family = AddressFamily::Bridge;
    let mut out = String::new();
    for m in nl.dump(RouteNetlinkMessage::GetNeighbour(req))? {
        let RouteNetlinkMessage::NewNeighbour(n) = m else {
            continue;
        };
        if n.header.family != AddressFamily::Bridge {
            continue;
        }
        let master = n.attributes.iter().find_map(|a| match a {
            NeighbourAttribute::Controller(m) => Some(*m),
            _ => None,
        });
        if only.is_some_and(|i| i != n.header.ifindex) {
            continue;
        }
        if let Some(b) = bridge {
            let port_of_bridge = links.iter().any(|l| {
                l.header.index == n.header.ifindex
                    && l.attributes
                        .iter()
                        .any(|a| matches!(a, LinkAttribute::Controller(c) if *c == b))
            });
            if n.header.ifindex != b && !port_of_bridge {
                continue;
            }
        }
        out.push_str(&fdb_line(&n, &links, master, only.is_none()));
    }
    print!("{out}");
    Ok(())
}

/// NUD_REACHABLE, NUD_NOARP, NUD_PERMANENT: the states an entry is added in.
const NUD_REACHABLE: u16 = 0x02;
const NUD_NOARP: u16 = 0x40;
const NUD_PERMANENT: u16 = 0x80;
/// NTF_SELF and NTF_MASTER: whether the port itself or its bridge holds
/// the entry.
const NTF_SELF: u8 = 0x02;
const NTF_MASTER: u8 = 0x04;

/// `bridge fdb add|replace|del LLADDR dev DEV [self|master]
/// [permanent|static|dynamic] [vlan N]`, with iproute2's defaults: a
/// permanent entry on the port itself.
fn fdb_modify(words: &mut impl Iterator<Item = String>, add: bool, flags: u16) -> Result<(), Fail> {
    let mut mac = None;
    let mut dev = None;
    let mut state = NUD_NOARP | NUD_PERMANENT;
    let mut ntf = 0u8;
    let mut vlan = None;
    while let Some(word) = words.next() {
        match word.as_str() {
            "dev" => dev = Some(value(words, "dev")?),
            "self" => ntf |= NTF_SELF,
            "master" => ntf |= NTF_MASTER,
            "permanent" | "local" => state |= NUD_PERMANENT,
            "static" | "temp" => {
                state |= NUD_REACHABLE;
                state &= !NUD_PERMANENT;
            }
            "dynamic" => {
                state |= NUD_REACHABLE;
                state &= !(NUD_NOARP | NUD_PERMANENT);
            }
            "vlan" => {
                let v = value(words, "vlan")?;
                vlan = Some(v.parse::<u16>().map_err(|_| {
                    Fail::Usage(format!(
                        "Error: argument \"{v}\" is wrong: invalid VLAN id\n"
                    ))
                })?);
            }
            _ if mac.is_none() => {
                mac = Some(
                    netlink::parse_mac(&word)
                        .ok_or_else(|| Fail::Usage(format!("Invalid mac address {word}")))?,
                );
            }
            _ => {
                return Err(Fail::Usage(format!(
                    "Command \"{word}\" is unknown, try \"bridge fdb help\"."
                )))
            }
        }
    }
    let (Some(mac), Some(dev)) = (mac, dev) else {
        return Err(Fail::Usage(
            "Device and address are required arguments.".into(),
        ));
    };
    if ntf & (NTF_SELF | NTF_MASTER) == 0 {
        ntf |= NTF_SELF;
    }
    let mut nl = Netlink::open()?;
    let links = nl.links()?;
    let mut msg = NeighbourMessage::default();
    msg.header.family = AddressFamily::Bridge;
    msg.header.ifindex = index_of(&links, &dev)?;
    msg.header.state = NeighbourState::from(state);
    msg.header.flags = NeighbourFlags::from_bits_retain(ntf);
    msg.attributes
        .push(NeighbourAttribute::LinkLayerAddress(mac));
    if let Some(v) = vlan {
        msg.attributes.push(NeighbourAttribute::Vlan(v));
    }
    let message = if add {
        RouteNetlinkMessage::NewNeighbour(msg)
    } else {
        RouteNetlinkMessage::DelNeighbour(msg)
    };
    nl.change(message, flags)?;
    Ok(())
}

/// One forwarding entry as `bridge fdb show` prints it.
/// `with_dev`: whether to name the port (not when showing one port).
fn fdb_line(
    n: &NeighbourMessage,
    links: &[LinkMessage],
    master: Option<u32>,
    with_dev: bool,
) -> String {
    let mut s = String::new();
    for a in &n.attributes {
        if let NeighbourAttribute::LinkLayerAddress(l) = a {
            s.push_str(&format!("{} ", mac_text(l)));
        }
    }
    if with_dev {
        s.push_str(&format!("dev {} ", name_of(links, n.header.ifindex)));
    }
    for a in &n.attributes {
        if let NeighbourAttribute::Vlan(v) = a {
            s.push_str(&format!("vlan {v} "));
        }
    }
    let flags = n.header.flags.bits();
    // NTF_SELF, NTF_ROUTER, NTF_EXT_LEARNED, NTF_OFFLOADED, in iproute2's order.
    for (bit, word) in [
        (0x02, "self"),
        (0x80, "router"),
        (0x10, "extern_learn"),
        (0x20, "offload"),
    ] {
        if flags & bit != 0 {
            s.push_str(word);
            s.push(' ');
        }
    }
    if let Some(m) = master {
        s.push_str(&format!("master {} ", name_of(links, m)));
    }
    if flags & 0x40 != 0 {
        s.push_str("sticky ");
    }
    let state = match n.header.state {
        NeighbourState::Permanent => "permanent",
        NeighbourState::Noarp => "static",
        NeighbourState::Stale => "stale",
        _ => "",
    };
    if state.is_empty() {
        s.push('\n');
    } else {
        s.push_str(state);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_route::link::BridgeVlanInfo;

    #[test]
    fn vlan_lines_show_ranges_and_flags() {
        let mut l = LinkMessage::default();
        l.attributes.push(LinkAttribute::AfSpecBridge(vec![
            AfSpecBridge::VlanInfo(BridgeVlanInfo {
                flags: BridgeVlanInfoFlags::Pvid | BridgeVlanInfoFlags::Untagged,
                vid: 1,
            }),
            AfSpecBridge::VlanInfo(BridgeVlanInfo {
                flags: BridgeVlanInfoFlags::RangeBegin,
                vid: 10,
            }),
            AfSpecBridge::VlanInfo(BridgeVlanInfo {
                flags: BridgeVlanInfoFlags::RangeEnd,
                vid: 12,
            }),
        ]));
        assert_eq!(
            vlan_lines(&l, "br0", None),
            "br0               1 PVID Egress Untagged\n                  10-12\n"
        );
        assert_eq!(vlan_lines(&l, "br0", Some(11)), "br0               10-12\n");
        assert_eq!(vlan_lines(&l, "br0", Some(2)), "");
    }
}
