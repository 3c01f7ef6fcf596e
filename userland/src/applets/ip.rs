//! `ip`: links, addresses, routes, neighbours and rules over rtnetlink,
//! with iproute2's syntax and output (the parts scripts parse).
//!
//! Messages and exit statuses are iproute2's, since scripts written for it
//! are what runs here: 2 when the kernel refuses a change ("RTNETLINK
//! answers: ..." or "Error: ..."), 1 for a device that does not exist,
//! 255 for an unknown object, command or argument (iproute2's `exit(-1)`),
//! with iproute2's one-line message rather than a usage text.

use std::ffi::OsString;
use std::net::IpAddr;

use netlink_packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, AddressScope, CacheInfo,
};
use netlink_packet_route::link::{
    AfSpecInet6, AfSpecUnspec, BondMode, BridgePortState, BridgeStpState, In6AddrGenMode, InfoBond,
    InfoBridge, InfoBridgePort, InfoData, InfoKind, InfoPortData, InfoVeth, InfoVlan,
    LinkAttribute, LinkFlags, LinkInfo, LinkLayerType, LinkMessage, State, VlanFlags,
};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteFlags, RouteHeader, RouteMessage, RouteProtocol, RouteScope,
    RouteType,
};
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::common::lossy;
use crate::netlink::{
    self, link_name, mac_text, parse_mac, Netlink, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL,
    NLM_F_REPLACE,
};

/// Usage text.
pub const USAGE: &str = "[-4|-6] [-o] [-br] OBJECT COMMAND [ARGS]

	link show [DEV]
	link set DEV [up|down] [mtu N] [master BR|nomaster] [name NEW] [address MAC]
	link add NAME type dummy|bridge [vlan_filtering 0|1]|veth peer name P
	link add NAME type bond [mode MODE] [miimon MS]
	link add link DEV name NAME type vlan id N
	link del DEV
	addr show [dev DEV]
	addr add|del CIDR dev DEV [broadcast ADDR|+] [scope S] [label L] [nodad]
	addr flush dev DEV
	route show
	route add|del|replace PREFIX|default [via GW] [dev DEV] [metric N] [table N] [src ADDR]
	neigh show [dev DEV]
	neigh add|del ADDR [lladdr MAC] dev DEV [nud STATE]
	rule show";

/// Why a command failed; each maps to iproute2's message and status.
enum Fail {
    /// Bad command line: message, then the usage (status 1).
    Usage(String),
    /// A message of iproute2's printed as is (status 1).
    Msg(String),
    /// The kernel said no (status 2).
    Netlink(netlink::Error),
}

impl From<netlink::Error> for Fail {
    fn from(e: netlink::Error) -> Fail {
        Fail::Netlink(e)
    }
}

type Done = Result<(), Fail>;

/// Global options.
#[derive(Default, Clone, Copy)]
struct Opts {
    /// Only this family (-4, -6).
    family: Option<AddressFamily>,
    /// One record per line (-o).
    oneline: bool,
    /// Brief tabular output (-br).
    brief: bool,
    /// Link details (-d): a subset of iproute2's, see [`add_details`].
    details: bool,
    /// Link statistics: how many times -s was given, see [`stats_text`].
    stats: u8,
}

/// The command line's words after the object, consumed left to right.
struct Words {
    words: Vec<String>,
    next: usize,
}

impl Words {
    fn next(&mut self) -> Option<String> {
        let w = self.words.get(self.next).cloned();
        self.next += 1;
        w
    }

    /// The argument of a keyword: iproute2's complaint when it is missing.
    fn value(&mut self, _kw: &str) -> Result<String, Fail> {
        self.next()
            .ok_or_else(|| Fail::Usage("Command line is not complete. Try option \"help\"".into()))
    }
}

/// Whether `word` is a prefix of `full` (iproute2's `matches`).
fn matches(word: &str, full: &str) -> bool {
    !word.is_empty() && full.starts_with(word)
}

/// `ip`'s entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let mut opts = Opts::default();
    let mut words: Vec<String> = args.iter().skip(1).map(|a| lossy(a).into_owned()).collect();
    while let Some(first) = words.first().cloned() {
        if !first.starts_with('-') || first == "-" {
            break;
        }
        words.remove(0);
        let flag = first.trim_start_matches('-');
        match flag {
            "4" => opts.family = Some(AddressFamily::Inet),
            "6" => opts.family = Some(AddressFamily::Inet6),
            "0" => opts.family = Some(AddressFamily::Packet),
            "help" | "h" => {
                crate::common::print_usage("ip");
                return 0;
            }
            "V" | "Version" => {
                println!("ip utility, ibox");
                return 0;
            }
            f if matches(f, "oneline") => opts.oneline = true,
            f if f.len() >= 2 && matches(f, "brief") => opts.brief = true,
            f if matches(f, "details") => opts.details = true,
            f if matches(f, "statistics") => opts.stats = opts.stats.saturating_add(1),
            // Colour changes nothing here.
            f if matches(f, "color") || f.starts_with("color=") => {}
            "f" | "family" => {
                if words.is_empty() {
                    eprintln!("Option \"{first}\" requires an argument");
                    return 255;
                }
                let fam = words.remove(0);
                opts.family = match fam.as_str() {
                    "inet" => Some(AddressFamily::Inet),
                    "inet6" => Some(AddressFamily::Inet6),
                    "link" => Some(AddressFamily::Packet),
                    _ => {
                        eprintln!("Error: argument \"{fam}\" is wrong: invalid protocol family");
                        return 255;
                    }
                };
            }
            _ => {
                eprintln!("Option \"{first}\" is unknown, try \"ip -help\".");
                return 255;
            }
        }
    }
    if words.is_empty() {
        // iproute2 prints its usage and exits 255.
        crate::common::print_usage_brief("ip");
        return 255;
    }
    let object = words.remove(0);
    let mut w = Words { words, next: 0 };
    let result = match object.as_str() {
        o if matches(o, "address") => addr(&mut w, opts),
        o if matches(o, "route") => route(&mut w, opts),
        o if o.len() >= 2 && matches(o, "rule") => rule(&mut w, opts),
        o if matches(o, "neighbour") || matches(o, "neighbor") => neigh(&mut w, opts),
        o if matches(o, "link") => link(&mut w, opts),
        "help" => {
            crate::common::print_usage("ip");
            return 0;
        }
        // iproute2 exits 1 here, unlike its other usage errors.
        _ => Err(Fail::Msg(format!(
            "Object \"{object}\" is unknown, try \"ip help\"."
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
            2
        }
    }
}

fn open() -> Result<Netlink, Fail> {
    Netlink::open().map_err(Fail::Netlink)
}

/// The links, looked up by name and index.
struct Links(Vec<LinkMessage>);

impl Links {
    fn load(nl: &mut Netlink) -> Result<Links, Fail> {
        Ok(Links(nl.links()?))
    }

    fn index(&self, name: &str) -> Result<u32, Fail> {
        self.0
            .iter()
            .find(|l| link_name(l) == Some(name))
            .map(|l| l.header.index)
            .ok_or_else(|| Fail::Msg(format!("Cannot find device \"{name}\"")))
    }

    fn get(&self, index: u32) -> Option<&LinkMessage> {
        self.0.iter().find(|l| l.header.index == index)
    }

    fn name(&self, index: u32) -> String {
        self.get(index)
            .and_then(link_name)
            .map(str::to_string)
            .unwrap_or_else(|| format!("if{index}"))
    }
}

// ---------------------------------------------------------------- link

fn link(w: &mut Words, opts: Opts) -> Done {
    let cmd = w.next().unwrap_or_else(|| "show".into());
    match cmd.as_str() {
        // iproute2's order: "s" is set, not show.
        c if matches(c, "add") => link_add(w),
        c if matches(c, "set") || matches(c, "change") => link_set(w),
        c if matches(c, "delete") => link_del(w),
        c if matches(c, "show") || matches(c, "list") || c == "lst" => link_show(w, opts),
        _ => Err(Fail::Usage(format!(
            "Command \"{cmd}\" is unknown, try \"ip link help\"."
        ))),
    }
}

/// Which links a listing keeps: `[dev] NAME`, `up`, `master BR`,
/// `type KIND`, as iproute2's `show` takes them.
#[derive(Default)]
struct Filter {
    dev: Option<String>,
    up: bool,
    master: Option<String>,
    kind: Option<String>,
    /// Addresses within this prefix only (`ip addr show to PREFIX`).
    to: Option<(IpAddr, u8)>,
}

impl Filter {
    fn parse(w: &mut Words) -> Result<Filter, Fail> {
        let mut f = Filter::default();
        while let Some(word) = w.next() {
            match word.as_str() {
                "dev" => f.dev = Some(w.value("dev")?),
                "up" => f.up = true,
                "master" => f.master = Some(w.value("master")?),
                "type" => f.kind = Some(w.value("type")?),
                // Filters accepted and not applied.
                "to" => f.to = Some(parse_prefix(&w.value("to")?)?),
                "scope" | "label" | "table" => {
                    w.value(&word)?;
                }
                _ if f.dev.is_none() => f.dev = Some(word),
                _ => {
                    return Err(Fail::Usage(format!(
                        "Error: either \"dev\" is duplicate, or \"{word}\" is a garbage."
                    )))
                }
            }
        }
        Ok(f)
    }

    /// The links kept, in the kernel's order; an unknown device or master
    /// is iproute2's error.
    fn apply<'a>(&self, links: &'a Links) -> Result<Vec<&'a LinkMessage>, Fail> {
        let only = match &self.dev {
            Some(d) => Some(
                links
                    .index(d)
                    .map_err(|_| Fail::Msg(format!("Device \"{d}\" does not exist.")))?,
            ),
            None => None,
        };
        let master = match &self.master {
            Some(m) => Some(links.index(m).map_err(|_| {
                Fail::Usage(format!(
                    "Error: argument \"{m}\" is wrong: Device does not exist\n"
                ))
            })?),
            None => None,
        };
        Ok(links
            .0
            .iter()
            .filter(|l| only.is_none_or(|i| i == l.header.index))
            .filter(|l| !self.up || l.header.flags.contains(LinkFlags::Up))
            .filter(|l| {
                master.is_none_or(|m| {
                    l.attributes
                        .iter()
                        .any(|a| matches!(a, LinkAttribute::Controller(c) if *c == m))
                })
            })
            .filter(|l| {
                self.kind
                    .as_ref()
                    .is_none_or(|k| link_kind(l).is_some_and(|lk| lk == *k))
            })
            .collect())
    }
}

/// The link's kind (`veth`, `bridge`, ...), if it has one.
fn link_kind(l: &LinkMessage) -> Option<String> {
    l.attributes.iter().find_map(|a| match a {
        LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|i| match i {
            LinkInfo::Kind(k) => Some(k.to_string()),
            _ => None,
        }),
        _ => None,
    })
}

fn link_show(w: &mut Words, opts: Opts) -> Done {
    let filter = Filter::parse(w)?;
    let mut nl = open()?;
    let links = Links::load(&mut nl)?;
    let mut out = String::new();
    for l in filter.apply(&links)? {
        if opts.brief {
            out.push_str(&brief_link(l, &links, true));
        } else {
            let mut text = link_text(l, &links, true, false);
            if opts.details {
                add_details(&mut text, l, true);
            }
            if opts.stats > 0 {
                text.push_str(&stats_text(l, opts.stats > 1));
            }
            out.push_str(&one_line(&text, opts.oneline));
        }
    }
    print!("{out}");
    Ok(())
}

/// A record on one line for `-o`: inner newlines become backslashes.
fn one_line(record: &str, oneline: bool) -> String {
    if !oneline {
        return record.to_string();
    }
    let body = record.strip_suffix('\n').unwrap_or(record);
    format!("{}\n", body.replace('\n', "\\"))
}

/// The `NAME@PEER` label iproute2 gives a link.
fn link_label(l: &LinkMessage, links: &Links) -> String {
    let name = link_name(l).unwrap_or("");
    let netns = l
        .attributes
        .iter()
        .any(|a| matches!(a, LinkAttribute::LinkNetNsId(_)));
    match l.attributes.iter().find_map(|a| match a {
        LinkAttribute::Link(i) => Some(*i),
        _ => None,
    }) {
        Some(0) => format!("{name}@NONE"),
        Some(i) if netns => format!("{name}@if{i}"),
        Some(i) if i != l.header.index => format!("{name}@{}", links.name(i)),
        _ => name.to_string(),
    }
}

/// The `<...>` flag list, in iproute2's order.
fn flags_text(l: &LinkMessage, links: &Links) -> String {
    let f = l.header.flags;
    let mut parts: Vec<String> = Vec::new();
    if f.contains(LinkFlags::Up) && !f.contains(LinkFlags::Running) {
        parts.push("NO-CARRIER".into());
    }
    let named = [
        (LinkFlags::Loopback, "LOOPBACK"),
        (LinkFlags::Broadcast, "BROADCAST"),
        (LinkFlags::Pointopoint, "POINTOPOINT"),
        (LinkFlags::Multicast, "MULTICAST"),
        (LinkFlags::Noarp, "NOARP"),
        (LinkFlags::Allmulti, "ALLMULTI"),
        (LinkFlags::Promisc, "PROMISC"),
        (LinkFlags::Controller, "MASTER"),
        (LinkFlags::Port, "SLAVE"),
        (LinkFlags::Debug, "DEBUG"),
        (LinkFlags::Dynamic, "DYNAMIC"),
        (LinkFlags::Automedia, "AUTOMEDIA"),
        (LinkFlags::Portsel, "PORTSEL"),
        (LinkFlags::Notrailers, "NOTRAILERS"),
        (LinkFlags::Up, "UP"),
        (LinkFlags::LowerUp, "LOWER_UP"),
        (LinkFlags::Dormant, "DORMANT"),
        (LinkFlags::Echo, "ECHO"),
    ];
    let mut rest = f.bits() & !LinkFlags::Running.bits();
    for (flag, name) in named {
        if f.contains(flag) {
            parts.push(name.into());
            rest &= !flag.bits();
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:x}"));
    }
    // M-DOWN: the link this one sits on (in this namespace) is down.
    let netns = l
        .attributes
        .iter()
        .any(|a| matches!(a, LinkAttribute::LinkNetNsId(_)));
    if !netns {
        let lower = l.attributes.iter().find_map(|a| match a {
            LinkAttribute::Link(i) if *i != 0 && *i != l.header.index => links.get(*i),
            _ => None,
        });
        if lower.is_some_and(|p| !p.header.flags.contains(LinkFlags::Up)) {
            parts.push("M-DOWN".into());
        }
    }
    parts.join(",")
}

fn state_text(s: &State) -> String {
    match s {
        State::Unknown => "UNKNOWN".into(),
        State::NotPresent => "NOTPRESENT".into(),
        State::Down => "DOWN".into(),
        State::LowerLayerDown => "LOWERLAYERDOWN".into(),
        State::Testing => "TESTING".into(),
        State::Dormant => "DORMANT".into(),
        State::Up => "UP".into(),
        State::Other(n) => format!("{n:x}"),
        _ => "UNKNOWN".into(),
    }
}

fn link_state(l: &LinkMessage) -> String {
    l.attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::OperState(s) => Some(state_text(s)),
            _ => None,
        })
        .unwrap_or_else(|| "UNKNOWN".into())
}

fn link_type_text(t: LinkLayerType) -> String {
    match t {
        LinkLayerType::Ether => "ether".into(),
        LinkLayerType::Loopback => "loopback".into(),
        LinkLayerType::None => "none".into(),
        LinkLayerType::Void => "void".into(),
        LinkLayerType::Ppp => "ppp".into(),
        LinkLayerType::Tunnel => "ipip".into(),
        LinkLayerType::Sit => "sit".into(),
        LinkLayerType::Ipgre => "gre".into(),
        other => format!("[{}]", u16::from(other)),
    }
}

/// The link's two lines as `ip link` (with `mode`) or `ip addr` prints
/// them; `inet6` for `ip -6 addr`'s shorter form.
fn link_text(l: &LinkMessage, links: &Links, link_mode: bool, inet6: bool) -> String {
    let mut s = format!(
        "{}: {}: <{}>",
        l.header.index,
        link_label(l, links),
        flags_text(l, links)
    );
    let attr_u32 = |want: fn(&LinkAttribute) -> Option<u32>| l.attributes.iter().find_map(want);
    if let Some(mtu) = attr_u32(|a| match a {
        LinkAttribute::Mtu(m) => Some(*m),
        _ => None,
    }) {
        s.push_str(&format!(" mtu {mtu}"));
    }
    // `ip -6 addr` reads links from the kernel's inet6 dump, which has no
    // qdisc, master or group: iproute2's lines then lack them too.
    if let Some(q) = l.attributes.iter().find_map(|a| match a {
        LinkAttribute::Qdisc(q) if !inet6 => Some(q.as_str()),
        _ => None,
    }) {
        s.push_str(&format!(" qdisc {q}"));
    }
    if let Some(m) = l.attributes.iter().find_map(|a| match a {
        LinkAttribute::Controller(m) if !inet6 => Some(*m),
        _ => None,
    }) {
        s.push_str(&format!(" master {}", links.name(m)));
    }
    s.push_str(&format!(" state {}", link_state(l)));
    if link_mode {
        let dormant = l
            .attributes
            .iter()
            .any(|a| matches!(a, LinkAttribute::Mode(m) if u8::from(*m) == 1));
        s.push_str(if dormant {
            " mode DORMANT"
        } else {
            " mode DEFAULT"
        });
    }
    match attr_u32(|a| match a {
        LinkAttribute::Group(g) => Some(*g),
        _ => None,
    })
    .filter(|_| !inet6)
    {
        Some(0) => s.push_str(" group default"),
        Some(g) => s.push_str(&format!(" group {g}")),
        None => {}
    }
    if let Some(q) = attr_u32(|a| match a {
        LinkAttribute::TxQueueLen(q) => Some(*q),
        _ => None,
    }) {
        s.push_str(&format!(" qlen {q}"));
    }
    s.push('\n');
    s.push_str(&format!(
        "    link/{}",
        link_type_text(l.header.link_layer_type)
    ));
    let bytes = |want: fn(&LinkAttribute) -> Option<&Vec<u8>>| l.attributes.iter().find_map(want);
    if let Some(a) = bytes(|a| match a {
        LinkAttribute::Address(b) => Some(b),
        _ => None,
    }) {
        s.push_str(&format!(" {}", mac_text(a)));
    }
    if let Some(b) = bytes(|a| match a {
        LinkAttribute::Broadcast(b) => Some(b),
        _ => None,
    }) {
        let kw = if l.header.flags.contains(LinkFlags::Pointopoint) {
            "peer"
        } else {
            "brd"
        };
        s.push_str(&format!(" {kw} {}", mac_text(b)));
    }
    if let Some(id) = l.attributes.iter().find_map(|a| match a {
        LinkAttribute::LinkNetNsId(i) => Some(*i),
        _ => None,
    }) {
        s.push_str(&format!(" link-netnsid {id}"));
    }
    s.push('\n');
    s
}

/// `-s`'s counters as iproute2 prints them: header and number lines for
/// received and sent, with `errors` (`-s -s`) the error breakdowns too;
/// columns are as wide as the widest of header and numbers.
fn stats_text(l: &LinkMessage, errors: bool) -> String {
    let Some(st) = l.attributes.iter().find_map(|a| match a {
        LinkAttribute::Stats64(s) => Some(s),
        _ => None,
    }) else {
        return String::new();
    };
    let transitions = l
        .attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::CarrierChanges(n) => Some(u64::from(*n)),
            _ => None,
        })
        .unwrap_or(0);
    let rx = [
        st.rx_bytes,
        st.rx_packets,
        st.rx_errors,
        st.rx_dropped,
        st.rx_missed_errors,
        st.multicast,
        st.rx_compressed,
    ];
    let tx = [
        st.tx_bytes,
        st.tx_packets,
        st.tx_errors,
        st.tx_dropped,
        st.tx_carrier_errors,
        st.collisions,
        st.tx_compressed,
    ];
    // Columns 1-5 of the error lines.
    let rx_err = [
        st.rx_length_errors,
        st.rx_crc_errors,
        st.rx_frame_errors,
        st.rx_fifo_errors,
        st.rx_over_errors,
    ];
    let tx_err = [
        st.tx_aborted_errors,
        st.tx_fifo_errors,
        st.tx_window_errors,
        st.tx_heartbeat_errors,
        transitions,
    ];
    // iproute2's minimum widths: "*X errors:", "packets", "errors",
    // "dropped", "heartbt", "overrun", "compressed".
    let mut cols = [10usize, 7, 6, 7, 7, 7, 10];
    let digits = |v: u64| v.to_string().len();
    for (i, c) in cols.iter_mut().enumerate() {
        *c = (*c).max(digits(rx[i])).max(digits(tx[i]));
        if errors && (1..6).contains(&i) {
            *c = (*c).max(digits(rx_err[i - 1])).max(digits(tx_err[i - 1]));
        }
    }
    let block = |title: &str, labels: [&str; 6], values: &[u64; 7]| {
        let mut s = format!("    {title}: {:>w$}", "bytes", w = cols[0] - 4);
        for (i, label) in labels.iter().enumerate().skip(1) {
            s.push_str(&format!(" {label:>w$}", w = cols[i]));
        }
        let compressed = if values[6] != 0 { "compressed" } else { "" };
        s.push_str(&format!(" {compressed:>w$}\n    ", w = cols[6]));
        let shown = if values[6] != 0 { 7 } else { 6 };
        for (i, v) in values.iter().enumerate().take(shown) {
            s.push_str(&format!("{v:>w$} ", w = cols[i]));
        }
        s.push('\n');
        s
    };
    let error_block = |title: &str, labels: [&str; 5], values: &[u64; 5]| {
        let mut s = format!("    {title:<w$}", w = cols[0]);
        for (i, label) in labels.iter().enumerate() {
            s.push_str(&format!(" {label:>w$}", w = cols[i + 1]));
        }
        s.push_str(&format!("\n    {:w$} ", "", w = cols[0]));
        for (i, v) in values.iter().enumerate() {
            s.push_str(&format!("{v:>w$} ", w = cols[i + 1]));
        }
        s.push('\n');
        s
    };
    let mut s = block(
        "RX",
        ["bytes", "packets", "errors", "dropped", "missed", "mcast"],
        &rx,
    );
    if errors {
        s.push_str(&error_block(
            "RX errors:",
            ["length", "crc", "frame", "fifo", "overrun"],
            &rx_err,
        ));
    }
    s.push_str(&block(
        "TX",
        [
            "bytes", "packets", "errors", "dropped", "carrier", "collsns",
        ],
        &tx,
    ));
    if errors {
        s.push_str(&error_block(
            "TX errors:",
            ["aborted", "fifo", "window", "heartbt", "transns"],
            &tx_err,
        ));
    }
    s
}

/// Picks one number out of a link attribute.
type LinkU32 = fn(&LinkAttribute) -> Option<u32>;

/// Appends `-d`'s details to a link's record: iproute2's first details
/// (promiscuity, allmulti, MTU bounds), the kind and its main settings
/// (vlan protocol/id/flags, bridge timers/STP/priority/VLAN filtering,
/// bond mode), the port kind, and the queue and offload sizes. iproute2
/// prints many more kind settings; these are the ones scripts look for.
/// `addrgenmode`: whether to name the IPv6 address generation mode, which
/// `ip -d link` does and `ip -d addr` does not.
fn add_details(text: &mut String, l: &LinkMessage, addrgenmode: bool) {
    if text.ends_with('\n') {
        text.pop();
    }
    let u32_attr = |want: fn(&LinkAttribute) -> Option<u32>| l.attributes.iter().find_map(want);
    if let Some(p) = u32_attr(|a| match a {
        LinkAttribute::Promiscuity(p) => Some(*p),
        _ => None,
    }) {
        text.push_str(&format!(" promiscuity {p} "));
    }
    if let Some(m) = u32_attr(|a| match a {
        LinkAttribute::AllMulticast(m) => Some(*m),
        _ => None,
    }) {
        text.push_str(&format!(" allmulti {m} "));
    }
    if let Some(m) = u32_attr(|a| match a {
        LinkAttribute::MinMtu(m) => Some(*m),
        _ => None,
    }) {
        text.push_str(&format!("minmtu {m} "));
    }
    if let Some(m) = u32_attr(|a| match a {
        LinkAttribute::MaxMtu(m) => Some(*m),
        _ => None,
    }) {
        text.push_str(&format!("maxmtu {m} "));
    }
    let infos: &[LinkInfo] = l
        .attributes
        .iter()
        .find_map(|a| match a {
            LinkAttribute::LinkInfo(i) => Some(i.as_slice()),
            _ => None,
        })
        .unwrap_or(&[]);
    for info in infos {
        match info {
            LinkInfo::Kind(k) => text.push_str(&format!("\n    {k} ")),
            LinkInfo::Data(data) => text.push_str(&kind_details(data)),
            LinkInfo::PortKind(k) => text.push_str(&format!("\n    {k}_slave ")),
            _ => {}
        }
    }
    for a in l.attributes.iter().filter(|_| addrgenmode) {
        if let LinkAttribute::AfSpecUnspec(specs) = a {
            for spec in specs {
                if let AfSpecUnspec::Inet6(v6) = spec {
                    for x in v6 {
                        if let AfSpecInet6::AddrGenMode(m) = x {
                            let name = match m {
                                In6AddrGenMode::Eui64 => "eui64".to_string(),
                                In6AddrGenMode::None => "none".to_string(),
                                In6AddrGenMode::StablePrivacy => "stable_secret".to_string(),
                                In6AddrGenMode::Random => "random".to_string(),
                                other => format!("{other:?}"),
                            };
                            text.push_str(&format!("addrgenmode {name} "));
                        }
                    }
                }
            }
        }
    }
    let sizes: [(&str, LinkU32); 7] = [
        ("numtxqueues", |a| match a {
            LinkAttribute::NumTxQueues(n) => Some(*n),
            _ => None,
        }),
        ("numrxqueues", |a| match a {
            LinkAttribute::NumRxQueues(n) => Some(*n),
            _ => None,
        }),
        ("gso_max_size", |a| match a {
            LinkAttribute::GsoMaxSize(n) => Some(*n),
            _ => None,
        }),
        ("gso_max_segs", |a| match a {
            LinkAttribute::GsoMaxSegs(n) => Some(*n),
            _ => None,
        }),
        ("tso_max_size", |a| match a {
            LinkAttribute::TsoMaxSize(n) => Some(*n),
            _ => None,
        }),
        ("tso_max_segs", |a| match a {
            LinkAttribute::TsoMaxSegs(n) => Some(*n),
            _ => None,
        }),
        ("gro_max_size", |a| match a {
            LinkAttribute::GroMaxSize(n) => Some(*n),
            _ => None,
        }),
    ];
    for (name, want) in sizes {
        if let Some(n) = u32_attr(want) {
            text.push_str(&format!("{name} {n} "));
        }
    }
    text.push('\n');
}

/// Picks one bridge setting, as text, out of a bridge attribute.
type BridgeField = fn(&InfoBridge) -> Option<String>;

/// The main settings of a link kind, as `ip -d` words them.
fn kind_details(data: &InfoData) -> String {
    let mut s = String::new();
    match data {
        InfoData::Vlan(v) => {
            for x in v {
                if let InfoVlan::Protocol(p) = x {
                    let name = match u16::from(*p) {
                        0x8100 => "802.1Q".to_string(),
                        0x88a8 => "802.1ad".to_string(),
                        n => format!("{n:#06x}"),
                    };
                    s.push_str(&format!("protocol {name} "));
                }
            }
            for x in v {
                if let InfoVlan::Id(id) = x {
                    s.push_str(&format!("id {id} "));
                }
            }
            for x in v {
                if let InfoVlan::Flags((flags, _)) = x {
                    let names = [
                        (VlanFlags::ReorderHdr, "REORDER_HDR"),
                        (VlanFlags::Gvrp, "GVRP"),
                        (VlanFlags::LooseBinding, "LOOSE_BINDING"),
                        (VlanFlags::Mvrp, "MVRP"),
                        (VlanFlags::BridgeBinding, "BRIDGE_BINDING"),
                    ];
                    let set: Vec<&str> = names
                        .iter()
                        .filter(|(f, _)| flags.contains(*f))
                        .map(|(_, n)| *n)
                        .collect();
                    if !set.is_empty() {
                        s.push_str(&format!("<{}> ", set.join(",")));
                    }
                }
            }
        }
        InfoData::Bridge(b) => {
            let find = |want: fn(&InfoBridge) -> Option<String>| b.iter().find_map(want);
            let fields: [(&str, BridgeField); 8] = [
                ("forward_delay", |x| match x {
                    InfoBridge::ForwardDelay(n) => Some(n.to_string()),
                    _ => None,
                }),
                ("hello_time", |x| match x {
                    InfoBridge::HelloTime(n) => Some(n.to_string()),
                    _ => None,
                }),
                ("max_age", |x| match x {
                    InfoBridge::MaxAge(n) => Some(n.to_string()),
                    _ => None,
                }),
                ("ageing_time", |x| match x {
                    InfoBridge::AgeingTime(n) => Some(n.to_string()),
                    _ => None,
                }),
                ("stp_state", |x| match x {
                    InfoBridge::StpState(n) => Some(u32::from(*n).to_string()),
                    _ => None,
                }),
                ("priority", |x| match x {
                    InfoBridge::Priority(n) => Some(n.to_string()),
                    _ => None,
                }),
                ("vlan_filtering", |x| match x {
                    InfoBridge::VlanFiltering(on) => Some(u8::from(*on).to_string()),
                    _ => None,
                }),
                ("vlan_protocol", |x| match x {
                    InfoBridge::VlanProtocol(p) => Some(match u16::from(*p) {
                        0x8100 => "802.1Q".to_string(),
                        0x88a8 => "802.1ad".to_string(),
                        n => format!("{n:#06x}"),
                    }),
                    _ => None,
                }),
            ];
            for (name, want) in fields {
                if let Some(v) = find(want) {
                    s.push_str(&format!("{name} {v} "));
                }
            }
        }
        InfoData::Bond(b) => {
            for x in b {
                if let InfoBond::Mode(m) = x {
                    s.push_str(&format!("mode {m} "));
                }
            }
            for x in b {
                if let InfoBond::MiiMon(n) = x {
                    s.push_str(&format!("miimon {n} "));
                }
            }
        }
        _ => {}
    }
    s
}

/// `ip -br link` / `ip -br addr` line for a link (without addresses).
fn brief_link(l: &LinkMessage, links: &Links, with_mac: bool) -> String {
    let mut s = format!("{:<16} {:<14} ", link_label(l, links), link_state(l));
    if with_mac {
        let mac = l
            .attributes
            .iter()
            .find_map(|a| match a {
                LinkAttribute::Address(b) => Some(mac_text(b)),
                _ => None,
            })
            .unwrap_or_default();
        s.push_str(&format!("{mac} <{}> \n", flags_text(l, links)));
    }
    s
}

fn link_set(w: &mut Words) -> Done {
    let mut nl = open()?;
    let links = Links::load(&mut nl)?;
    let mut dev = None;
    let mut msg = LinkMessage::default();
    let mut info: Vec<LinkInfo> = Vec::new();
    while let Some(word) = w.next() {
        match word.as_str() {
            "dev" => dev = Some(w.value("dev")?),
            "up" => {
                msg.header.flags |= LinkFlags::Up;
                msg.header.change_mask |= LinkFlags::Up;
            }
            "down" => {
                msg.header.flags.remove(LinkFlags::Up);
                msg.header.change_mask |= LinkFlags::Up;
            }
            "mtu" => {
                let v = w.value("mtu")?;
                let mtu = v.parse().map_err(|_| {
                    Fail::Usage(format!(
                        "Error: argument \"{v}\" is wrong: Invalid \"mtu\" value\n"
                    ))
                })?;
                msg.attributes.push(LinkAttribute::Mtu(mtu));
            }
            "master" => {
                let m = w.value("master")?;
                let idx = links.index(&m).map_err(|_| {
                    Fail::Usage(format!(
                        "Error: argument \"{m}\" is wrong: Device does not exist\n"
                    ))
                })?;
                msg.attributes.push(LinkAttribute::Controller(idx));
            }
            "nomaster" => msg.attributes.push(LinkAttribute::Controller(0)),
            "name" => msg.attributes.push(LinkAttribute::IfName(w.value("name")?)),
            "address" => {
                let v = w.value("address")?;
                let mac = parse_mac(&v)
                    .ok_or_else(|| Fail::Msg(format!("\"{v}\" is invalid lladdr.")))?;
                msg.attributes.push(LinkAttribute::Address(mac));
            }
            "txqueuelen" | "qlen" | "txqlen" => {
                let v = w.value(&word)?;
                let n = v
                    .parse()
                    .map_err(|_| Fail::Usage(format!("Invalid \"txqueuelen\" value \"{v}\"")))?;
                msg.attributes.push(LinkAttribute::TxQueueLen(n));
            }
            "type" => {
                let kind = w.value("type")?;
                info.extend(link_type(&kind, w)?);
            }
            _ if dev.is_none() => dev = Some(word),
            _ => {
                return Err(Fail::Usage(format!(
                    "Error: either \"dev\" is duplicate, or \"{word}\" is a garbage."
                )))
            }
        }
    }
    let dev = dev
        .ok_or_else(|| Fail::Msg("Not enough information: \"dev\" argument is required.".into()))?;
    msg.header.index = links.index(&dev)?;
    if !info.is_empty() {
        msg.attributes.push(LinkAttribute::LinkInfo(info));
    }
    // RTM_NEWLINK on an existing link, as iproute2 sends it: RTM_SETLINK
    // would ignore kind and port settings.
    nl.change(RouteNetlinkMessage::NewLink(msg), 0)?;
    Ok(())
}

/// `type KIND [ARGS]` of `ip link add|set`: the kind and its data.
fn link_type(kind: &str, w: &mut Words) -> Result<Vec<LinkInfo>, Fail> {
    let (kind, data) = match kind {
        "dummy" => (InfoKind::Dummy, None),
        "bond" => {
            let mut data = Vec::new();
            while let Some(word) = w.next() {
                match word.as_str() {
                    "mode" => {
                        let v = w.value("mode")?;
                        let mode = match v.as_str() {
                            "balance-rr" | "0" => BondMode::BalanceRr,
                            "active-backup" | "1" => BondMode::ActiveBackup,
                            "balance-xor" | "2" => BondMode::BalanceXor,
                            "broadcast" | "3" => BondMode::Broadcast,
                            "802.3ad" | "4" => BondMode::Ieee8023Ad,
                            "balance-tlb" | "5" => BondMode::BalanceTlb,
                            "balance-alb" | "6" => BondMode::BalanceAlb,
                            _ => return Err(Fail::Usage(format!("invalid mode \"{v}\""))),
                        };
                        data.push(InfoBond::Mode(mode));
                    }
                    "miimon" => {
                        let v = w.value("miimon")?;
                        let n = v
                            .parse()
                            .map_err(|_| Fail::Usage(format!("invalid miimon \"{v}\"")))?;
                        data.push(InfoBond::MiiMon(n));
                    }
                    _ => return Err(Fail::Usage(format!("bond: unknown command \"{word}\"?"))),
                }
            }
            let data = (!data.is_empty()).then_some(InfoData::Bond(data));
            (InfoKind::Bond, data)
        }
        "bridge" => {
            let mut data = Vec::new();
            while let Some(word) = w.next() {
                match word.as_str() {
                    "vlan_filtering" => {
                        let v = w.value("vlan_filtering")?;
                        data.push(InfoBridge::VlanFiltering(v == "1"));
                    }
                    "vlan_default_pvid" => {
                        data.push(InfoBridge::VlanDefaultPvid(number(w, &word)?))
                    }
                    "stp_state" => {
                        data.push(InfoBridge::StpState(BridgeStpState::from(number::<u32>(
                            w, &word,
                        )?)))
                    }
                    "priority" => data.push(InfoBridge::Priority(number(w, &word)?)),
                    "forward_delay" => data.push(InfoBridge::ForwardDelay(number(w, &word)?)),
                    "hello_time" => data.push(InfoBridge::HelloTime(number(w, &word)?)),
                    "max_age" => data.push(InfoBridge::MaxAge(number(w, &word)?)),
                    "ageing_time" => data.push(InfoBridge::AgeingTime(number(w, &word)?)),
                    "mcast_snooping" => {
                        data.push(InfoBridge::MulticastSnooping(number::<u8>(w, &word)? != 0))
                    }
                    _ => return Err(Fail::Usage(format!("bridge: unknown command \"{word}\"?"))),
                }
            }
            let data = (!data.is_empty()).then_some(InfoData::Bridge(data));
            (InfoKind::Bridge, data)
        }
        "bridge_slave" => {
            // Sent as iproute2 sends it: the kind named, the settings as the
            // port's data for its bridge to apply.
            return Ok(vec![
                LinkInfo::Kind(InfoKind::Other("bridge_slave".into())),
                LinkInfo::PortData(InfoPortData::BridgePort(bridge_port_settings(w)?)),
            ]);
        }
        "veth" => {
            let mut peer = LinkMessage::default();
            let mut named = false;
            while let Some(word) = w.next() {
                match word.as_str() {
                    "peer" => {}
                    "name" | "dev" if !named => {
                        named = true;
                        peer.attributes
                            .push(LinkAttribute::IfName(w.value("name")?));
                    }
                    "mtu" => {
                        let v = w.value("mtu")?;
                        let mtu = v
                            .parse()
                            .map_err(|_| Fail::Usage(format!("Invalid \"mtu\" value \"{v}\"")))?;
                        peer.attributes.push(LinkAttribute::Mtu(mtu));
                    }
                    "address" => {
                        let v = w.value("address")?;
                        let mac = parse_mac(&v)
                            .ok_or_else(|| Fail::Msg(format!("\"{v}\" is invalid lladdr.")))?;
                        peer.attributes.push(LinkAttribute::Address(mac));
                    }
                    _ if !named => {
                        named = true;
                        peer.attributes.push(LinkAttribute::IfName(word));
                    }
                    _ => {
                        return Err(Fail::Usage(
                            "both \"name\" and \"dev\" cannot be used when creating devices."
                                .into(),
                        ))
                    }
                }
            }
            (InfoKind::Veth, Some(InfoData::Veth(InfoVeth::Peer(peer))))
        }
        "vlan" => {
            let mut data = Vec::new();
            while let Some(word) = w.next() {
                match word.as_str() {
                    "id" => {
                        let v = w.value("id")?;
                        let id = v
                            .parse()
                            .map_err(|_| Fail::Usage(format!("vlan: id \"{v}\" is invalid")))?;
                        data.push(InfoVlan::Id(id));
                    }
                    _ => return Err(Fail::Usage(format!("vlan: unknown command \"{word}\"?"))),
                }
            }
            (InfoKind::Vlan, Some(InfoData::Vlan(data)))
        }
        other => (InfoKind::Other(other.to_string()), None),
    };
    let mut info = vec![LinkInfo::Kind(kind)];
    info.extend(data.map(LinkInfo::Data));
    Ok(info)
}

/// A number argument of keyword `kw`.
fn number<T: std::str::FromStr>(w: &mut Words, kw: &str) -> Result<T, Fail> {
    let v = w.value(kw)?;
    v.parse()
        .map_err(|_| Fail::Usage(format!("Error: argument \"{v}\" is wrong: invalid {kw}\n")))
}

/// `on`/`off` argument of keyword `kw`.
fn on_off(w: &mut Words, kw: &str) -> Result<bool, Fail> {
    let v = w.value(kw)?;
    match v.as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(Fail::Usage(format!(
            "Error: argument of \"{kw}\" must be \"on\" or \"off\", not \"{v}\""
        ))),
    }
}

/// A bridge port's settings, as `ip link set DEV type bridge_slave` and
/// `bridge link set` take them.
fn bridge_port_settings(w: &mut Words) -> Result<Vec<InfoBridgePort>, Fail> {
    let mut out = Vec::new();
    while let Some(word) = w.next() {
        let kw = word.as_str();
        out.push(match kw {
            "state" => {
                let v = w.value(kw)?;
                let n = match v.as_str() {
                    "disabled" => 0,
                    "listening" => 1,
                    "learning" => 2,
                    "forwarding" => 3,
                    "blocking" => 4,
                    n => n.parse::<u8>().map_err(|_| {
                        Fail::Usage(format!("Error: argument \"{v}\" is wrong: invalid state\n"))
                    })?,
                };
                InfoBridgePort::State(BridgePortState::from(n))
            }
            "priority" => InfoBridgePort::Priority(number(w, kw)?),
            "cost" => InfoBridgePort::Cost(number(w, kw)?),
            "hairpin" => InfoBridgePort::HairpinMode(on_off(w, kw)?),
            "guard" => InfoBridgePort::Guard(on_off(w, kw)?),
            "root_block" => InfoBridgePort::Protect(on_off(w, kw)?),
            "fastleave" => InfoBridgePort::FastLeave(on_off(w, kw)?),
            "learning" => InfoBridgePort::Learning(on_off(w, kw)?),
            "flood" => InfoBridgePort::UnicastFlood(on_off(w, kw)?),
            "mcast_flood" => InfoBridgePort::MulticastFlood(on_off(w, kw)?),
            "bcast_flood" => InfoBridgePort::BroadcastFlood(on_off(w, kw)?),
            "mcast_to_unicast" => InfoBridgePort::MulticastToUnicast(on_off(w, kw)?),
            "neigh_suppress" => InfoBridgePort::NeighSupress(on_off(w, kw)?),
            "isolated" => InfoBridgePort::Isolated(on_off(w, kw)?),
            "locked" => InfoBridgePort::Locked(on_off(w, kw)?),
            _ => {
                return Err(Fail::Usage(format!(
                    "bridge_slave: unknown option \"{word}\"?"
                )))
            }
        });
    }
    Ok(out)
}

fn link_add(w: &mut Words) -> Done {
    let mut nl = open()?;
    let links = Links::load(&mut nl)?;
    let mut msg = LinkMessage::default();
    let mut name = None;
    let mut info = Vec::new();
    while let Some(word) = w.next() {
        match word.as_str() {
            "name" | "dev" => name = Some(w.value(&word)?),
            "link" => {
                let l = w.value("link")?;
                msg.attributes.push(LinkAttribute::Link(links.index(&l)?));
            }
            "mtu" => {
                let v = w.value("mtu")?;
                let mtu = v
                    .parse()
                    .map_err(|_| Fail::Usage(format!("Invalid \"mtu\" value \"{v}\"")))?;
                msg.attributes.push(LinkAttribute::Mtu(mtu));
            }
            "address" => {
                let v = w.value("address")?;
                let mac = parse_mac(&v)
                    .ok_or_else(|| Fail::Msg(format!("\"{v}\" is invalid lladdr.")))?;
                msg.attributes.push(LinkAttribute::Address(mac));
            }
            "up" => {
                msg.header.flags |= LinkFlags::Up;
                msg.header.change_mask |= LinkFlags::Up;
            }
            "type" => {
                let kind = w.value("type")?;
                info.extend(link_type(&kind, w)?);
            }
            _ if name.is_none() => name = Some(word),
            _ => {
                return Err(Fail::Usage(format!(
                    "Error: either \"dev\" is duplicate, or \"{word}\" is a garbage."
                )))
            }
        }
    }
    if info.is_empty() {
        return Err(Fail::Msg(
            "Not enough information: \"type\" argument is required".into(),
        ));
    }
    if let Some(n) = name {
        msg.attributes.push(LinkAttribute::IfName(n));
    }
    msg.attributes.push(LinkAttribute::LinkInfo(info));
    nl.change(RouteNetlinkMessage::NewLink(msg), NLM_F_CREATE | NLM_F_EXCL)?;
    Ok(())
}

fn link_del(w: &mut Words) -> Done {
    let dev = Filter::parse(w)?
        .dev
        .ok_or_else(|| Fail::Msg("Not enough information: \"dev\" argument is required.".into()))?;
    let mut nl = open()?;
    let links = Links::load(&mut nl)?;
    let mut msg = LinkMessage::default();
    msg.header.index = links.index(&dev)?;
    nl.change(RouteNetlinkMessage::DelLink(msg), 0)?;
    Ok(())
}

/// `bridge link show [dev DEV]`: bridge ports with their STP state,
/// priority and cost, in iproute2's `bridge` format (which shares `ip`'s
/// link label and flags, hence living here). Returns the exit status.
pub(crate) fn bridge_link_show(dev: Option<&str>) -> i32 {
    let run = || -> Result<String, Fail> {
        let mut nl = open()?;
        let links = Links::load(&mut nl)?;
        let only = match dev {
            Some(d) => Some(links.index(d)?),
            None => None,
        };
        let mut out = String::new();
        for l in &links.0 {
            if only.is_some_and(|i| i != l.header.index) {
                continue;
            }
            let port: Option<&Vec<InfoBridgePort>> = l.attributes.iter().find_map(|a| match a {
                LinkAttribute::LinkInfo(infos) => infos.iter().find_map(|i| match i {
                    LinkInfo::PortData(InfoPortData::BridgePort(p)) => Some(p),
                    _ => None,
                }),
                _ => None,
            });
            let Some(port) = port else {
                continue;
            };
            let mut s = format!(
                "{}: {}: <{}>",
                l.header.index,
                link_label(l, &links),
                flags_text(l, &links)
            );
            for a in &l.attributes {
                match a {
                    LinkAttribute::Mtu(m) => s.push_str(&format!(" mtu {m}")),
                    LinkAttribute::Controller(m) => {
                        s.push_str(&format!(" master {}", links.name(*m)))
                    }
                    _ => {}
                }
            }
            s.push(' ');
            for p in port {
                if let InfoBridgePort::State(st) = p {
                    let name = match u8::from(*st) {
                        0 => "disabled".to_string(),
                        1 => "listening".to_string(),
                        2 => "learning".to_string(),
                        3 => "forwarding".to_string(),
                        4 => "blocking".to_string(),
                        n => n.to_string(),
                    };
                    s.push_str(&format!("state {name} "));
                }
            }
            for p in port {
                if let InfoBridgePort::Priority(n) = p {
                    s.push_str(&format!("priority {n} "));
                }
            }
            for p in port {
                if let InfoBridgePort::Cost(n) = p {
                    s.push_str(&format!("cost {n} "));
                }
            }
            s.push('\n');
            out.push_str(&s);
        }
        Ok(out)
    };
    match run() {
        Ok(out) => {
            print!("{out}");
            0
        }
        Err(Fail::Usage(m)) | Err(Fail::Msg(m)) => {
            eprintln!("{m}");
            255
        }
        Err(Fail::Netlink(e)) => {
            eprintln!("{e}");
            255
        }
    }
}

// ---------------------------------------------------------------- addr

fn addr(w: &mut Words, opts: Opts) -> Done {
    let cmd = w.next().unwrap_or_else(|| "show".into());
    match cmd.as_str() {
        c if matches(c, "show") || matches(c, "list") || c == "lst" => addr_show(w, opts),
        c if matches(c, "add") => addr_change(w, true, NLM_F_CREATE | NLM_F_EXCL),
        c if matches(c, "change") || c == "chg" => addr_change(w, true, NLM_F_REPLACE),
        c if matches(c, "replace") => addr_change(w, true, NLM_F_CREATE | NLM_F_REPLACE),
        c if matches(c, "delete") => addr_change(w, false, 0),
        c if matches(c, "flush") => addr_flush(w, opts),
        _ => Err(Fail::Usage(format!(
            "Command \"{cmd}\" is unknown, try \"ip address help\"."
        ))),
    }
}

fn addresses(nl: &mut Netlink, opts: Opts) -> Result<Vec<AddressMessage>, Fail> {
    Ok(nl
        .dump(RouteNetlinkMessage::GetAddress(AddressMessage::default()))?
        .into_iter()
        .filter_map(|m| match m {
            RouteNetlinkMessage::NewAddress(a) => Some(a),
            _ => None,
        })
        .filter(|a| opts.family.is_none_or(|f| f == a.header.family))
        .collect())
}

fn scope_text(scope: u8) -> String {
    match scope {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        n => n.to_string(),
    }
}

fn parse_scope(text: &str) -> Result<u8, Fail> {
    match text {
        "global" | "universe" => Ok(0),
        "site" => Ok(200),
        "link" => Ok(253),
        "host" => Ok(254),
        "nowhere" => Ok(255),
        n => n
            .parse()
            .map_err(|_| Fail::Usage(format!("invalid scope \"{n}\""))),
    }
}

/// The local address of an address message (IFA_LOCAL, else IFA_ADDRESS).
fn addr_local(a: &AddressMessage) -> Option<IpAddr> {
    a.attributes
        .iter()
        .find_map(|x| match x {
            AddressAttribute::Local(ip) => Some(*ip),
            _ => None,
        })
        .or_else(|| addr_peer(a))
}

fn addr_peer(a: &AddressMessage) -> Option<IpAddr> {
    a.attributes.iter().find_map(|x| match x {
        AddressAttribute::Address(ip) => Some(*ip),
        _ => None,
    })
}

/// An address's lines as `ip addr` prints them under its link.
fn addr_text(a: &AddressMessage) -> String {
    let v6 = a.header.family == AddressFamily::Inet6;
    let mut s = format!("    {} ", if v6 { "inet6" } else { "inet" });
    let local = addr_local(a);
    let peer = addr_peer(a);
    match (local, peer) {
        (Some(l), Some(p)) if l != p => {
            s.push_str(&format!("{l} peer {p}/{} ", a.header.prefix_len))
        }
        (Some(l), _) => s.push_str(&format!("{l}/{} ", a.header.prefix_len)),
        _ => {}
    }
    for x in &a.attributes {
        if let AddressAttribute::Broadcast(b) = x {
            s.push_str(&format!("brd {b} "));
        }
    }
    s.push_str(&format!("scope {} ", scope_text(u8::from(a.header.scope))));
    let flags = a
        .attributes
        .iter()
        .find_map(|x| match x {
            AddressAttribute::Flags(f) => Some(f.bits()),
            _ => None,
        })
        .unwrap_or(u32::from(a.header.flags.bits()));
    let has = |f: AddressFlags| flags & f.bits() != 0;
    let names: [(AddressFlags, &str, bool); 12] = [
        (
            AddressFlags::Secondary,
            if v6 { "temporary" } else { "secondary" },
            false,
        ),
        (AddressFlags::Nodad, "nodad", true),
        (AddressFlags::Optimistic, "optimistic", true),
        (AddressFlags::Dadfailed, "dadfailed", true),
        (AddressFlags::Homeaddress, "home", true),
        (AddressFlags::Deprecated, "deprecated", true),
        (AddressFlags::Tentative, "tentative", true),
        (AddressFlags::Permanent, "", true),
        (AddressFlags::Managetempaddr, "mngtmpaddr", true),
        (AddressFlags::Noprefixroute, "noprefixroute", false),
        (AddressFlags::Mcautojoin, "autojoin", false),
        (AddressFlags::StablePrivacy, "stable-privacy", true),
    ];
    for (flag, name, v6_only) in names {
        if flag == AddressFlags::Permanent {
            if !has(flag) {
                s.push_str("dynamic ");
            }
            continue;
        }
        if has(flag) && (!v6_only || v6) {
            s.push_str(name);
            s.push(' ');
        }
    }
    if let Some(label) = a.attributes.iter().find_map(|x| match x {
        AddressAttribute::Label(l) => Some(l.as_str()),
        _ => None,
    }) {
        s.push_str(label);
    }
    s.push('\n');
    let (valid, preferred) = a
        .attributes
        .iter()
        .find_map(|x| match x {
            AddressAttribute::CacheInfo(c) => Some((c.ifa_valid, c.ifa_preferred)),
            _ => None,
        })
        .unwrap_or((u32::MAX, u32::MAX));
    let lft = |v: u32| {
        if v == u32::MAX {
            "forever".to_string()
        } else {
            format!("{v}sec")
        }
    };
    s.push_str(&format!(
        "       valid_lft {} preferred_lft {}\n",
        lft(valid),
        lft(preferred)
    ));
    s
}

fn addr_show(w: &mut Words, opts: Opts) -> Done {
    let filter = Filter::parse(w)?;
    let mut nl = open()?;
    let links = Links::load(&mut nl)?;
    let kept = filter.apply(&links)?;
    // -6 (not a prefix's family) makes iproute2 read links the inet6 way.
    let inet6_links = opts.family == Some(AddressFamily::Inet6);
    // A prefix to match chooses its family, as -4/-6 would.
    let mut opts = opts;
    if let Some((ip, len)) = filter.to {
        match opts.family {
            None => opts.family = Some(family_of(&ip)),
            Some(f) if f != family_of(&ip) => {
                let name = if f == AddressFamily::Inet6 {
                    "inet6"
                } else {
                    "inet"
                };
                return Err(Fail::Msg(format!(
                    "Error: {name} prefix is expected rather than \"{ip}/{len}\"."
                )));
            }
            Some(_) => {}
        }
    }
    let addrs = addresses(&mut nl, opts)?;
    let mut out = String::new();
    for l in kept {
        let mine: Vec<&AddressMessage> = addrs
            .iter()
            .filter(|a| a.header.index == l.header.index)
            .filter(|a| {
                filter.to.is_none_or(|(net, len)| {
                    addr_local(a).is_some_and(|ip| in_prefix(ip, net, len))
                })
            })
            .collect();
        if opts.family.is_some() && opts.family != Some(AddressFamily::Packet) && mine.is_empty() {
            continue;
        }
        if opts.brief {
            let mut line = brief_link(l, &links, false);
            for a in &mine {
                if let Some(ip) = addr_local(a) {
                    line.push_str(&format!("{ip}/{} ", a.header.prefix_len));
                }
            }
            out.push_str(&line);
            out.push('\n');
        } else if opts.oneline {
            let prefix = format!("{}: {}", l.header.index, link_name(l).unwrap_or(""));
            for a in &mine {
                let text = addr_text(a);
                let body = text.strip_suffix('\n').unwrap_or(&text);
                out.push_str(&format!("{prefix}{}\n", body.replace('\n', "\\")));
            }
        } else {
            let mut text = link_text(l, &links, false, inet6_links);
            if opts.details {
                add_details(&mut text, l, false);
            }
            if !opts.details
                && matches!(
                    opts.family,
                    Some(AddressFamily::Inet | AddressFamily::Inet6)
                )
            {
                // With a family chosen, iproute2 leaves out the link/ line
                // (unless showing details).
                out.push_str(text.lines().next().unwrap_or(""));
                out.push('\n');
            } else {
                out.push_str(&text);
            }
            for a in &mine {
                out.push_str(&addr_text(a));
            }
            if opts.stats > 0 {
                out.push_str(&stats_text(l, opts.stats > 1));
            }
        }
    }
    print!("{out}");
    Ok(())
}

/// `ADDR[/LEN]`: the address and its prefix length (host length if none).
fn parse_prefix(text: &str) -> Result<(IpAddr, u8), Fail> {
    let bad = || {
        Fail::Msg(format!(
            "Error: any valid prefix is expected rather than \"{text}\"."
        ))
    };
    let (ip, len) = match text.split_once('/') {
        Some((ip, len)) => (ip, Some(len)),
        None => (text, None),
    };
    let ip: IpAddr = ip.parse().map_err(|_| bad())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => l.parse::<u8>().ok().filter(|l| *l <= max).ok_or_else(bad)?,
        None => max,
    };
    Ok((ip, len))
}

/// Whether `ip` lies within `net/len`.
fn in_prefix(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(len.min(32)))
                .unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(len.min(128)))
                .unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn family_of(ip: &IpAddr) -> AddressFamily {
    if ip.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    }
}

fn addr_change(w: &mut Words, add: bool, flags: u16) -> Done {
    let mut local = None;
    let mut dev = None;
    let mut brd = None;
    let mut scope = None;
    let mut label = None;
    let mut extra = AddressFlags::empty();
    let mut metric = None;
    let (mut valid, mut preferred) = (u32::MAX, u32::MAX);
    while let Some(word) = w.next() {
        match word.as_str() {
            "dev" => dev = Some(w.value("dev")?),
            "local" => local = Some(parse_prefix(&w.value("local")?)?),
            b if matches(b, "broadcast") || b == "brd" => brd = Some(w.value(&word)?),
            "scope" => scope = Some(parse_scope(&w.value("scope")?)?),
            "label" => label = Some(w.value("label")?),
            "nodad" => extra |= AddressFlags::Nodad,
            "noprefixroute" => extra |= AddressFlags::Noprefixroute,
            "metric" | "priority" | "preference" => {
                let v = w.value(&word)?;
                metric = Some(
                    v.parse::<u32>()
                        .map_err(|_| Fail::Usage(format!("invalid metric \"{v}\"")))?,
                );
            }
            "valid_lft" | "preferred_lft" => {
                let v = w.value(&word)?;
                let secs = if v == "forever" {
                    u32::MAX
                } else {
                    v.parse().map_err(|_| {
                        Fail::Usage(format!("Error: argument \"{v}\" is wrong: {word} value\n"))
                    })?
                };
                if word == "valid_lft" {
                    valid = secs;
                } else {
                    preferred = secs;
                }
            }
            _ if local.is_none() => local = Some(parse_prefix(&word)?),
            _ => {
                return Err(Fail::Usage(format!(
                    "Error: either \"local\" is duplicate, or \"{word}\" is a garbage."
                )))
            }
        }
    }
    let dev = dev
        .ok_or_else(|| Fail::Msg("Not enough information: \"dev\" argument is required.".into()))?;
    let (ip, len) = local.ok_or_else(|| Fail::Usage("missing address".into()))?;
    let mut nl = open()?;
    let links = Links::load(&mut nl)?;
    let mut msg = AddressMessage::default();
    msg.header.family = family_of(&ip);
    msg.header.prefix_len = len;
    msg.header.index = links.index(&dev)?;
    let default_scope = match ip {
        IpAddr::V4(v4) if v4.is_loopback() => 254,
        IpAddr::V6(v6) if v6.is_loopback() => 254,
        _ => 0,
    };
    if add || scope.is_some() {
        msg.header.scope = AddressScope::from(scope.unwrap_or(default_scope));
    }
    msg.attributes.push(AddressAttribute::Local(ip));
    msg.attributes.push(AddressAttribute::Address(ip));
    if let (Some(b), IpAddr::V4(v4)) = (brd, ip) {
        let host_mask = if len >= 32 { 0 } else { u32::MAX >> len };
        let net = u32::from(v4) & !host_mask;
        let b = match b.as_str() {
            "+" => std::net::Ipv4Addr::from(net | host_mask),
            "-" => std::net::Ipv4Addr::from(net),
            other => other
                .parse()
                .map_err(|_| Fail::Usage(format!("invalid broadcast \"{other}\"")))?,
        };
        msg.attributes.push(AddressAttribute::Broadcast(b));
    }
    if let Some(l) = label {
        msg.attributes.push(AddressAttribute::Label(l));
    }
    if let Some(m) = metric {
        msg.attributes.push(AddressAttribute::RoutePriority(m));
    }
    if valid != u32::MAX || preferred != u32::MAX {
        if preferred > valid {
            return Err(Fail::Msg("preferred_lft is greater than valid_lft".into()));
        }
        let mut lifetimes = CacheInfo::default();
        lifetimes.ifa_preferred = preferred;
        lifetimes.ifa_valid = valid;
        msg.attributes.push(AddressAttribute::CacheInfo(lifetimes));
    }
    if !extra.is_empty() {
        msg.header.flags = AddressHeaderFlags::from_bits_retain((extra.bits() & 0xff) as u8);
        msg.attributes.push(AddressAttribute::Flags(extra));
    }
    let message = if add {
        RouteNetlinkMessage::NewAddress(msg)
    } else {
        RouteNetlinkMessage::DelAddress(msg)
    };
    nl.change(message, flags)?;
    Ok(())
}

fn addr_flush(w: &mut Words, opts: Opts) -> Done {
    let dev = Filter::parse(w)?.dev;
    let Some(dev) = dev else {
        return Err(Fail::Msg("Flush requires arguments.".into()));
    };
    let mut nl = open()?;
    let links = Links::load(&mut nl)?;
    let index = links.index(&dev)?;
    // Secondaries go with their primary: delete newest first and ignore
    // those already gone.
    let mut mine: Vec<AddressMessage> = addresses(&mut nl, opts)?
        .into_iter()
        .filter(|a| a.header.index == index)
        .filter(|a| {
            a.header.family == AddressFamily::Inet
                || u8::from(a.header.scope) != 253
                || opts.family.is_some()
        })
        .collect();
    mine.reverse();
    for a in mine {
        match nl.change(RouteNetlinkMessage::DelAddress(a), 0) {
            Ok(()) => {}
            Err(e) if e.errno() == Some(nix::errno::Errno::EADDRNOTAVAIL as i32) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- route

fn route(w: &mut Words, opts: Opts) -> Done {
    let cmd = w.next().unwrap_or_else(|| "show".into());
    match cmd.as_str() {
        c if matches(c, "show") || matches(c, "list") || c == "lst" => route_list(w, opts, false),
        c if matches(c, "flush") => route_list(w, opts, true),
        c if matches(c, "get") => route_get(w, opts),
        c if matches(c, "add") => route_change(w, opts, true, NLM_F_CREATE | NLM_F_EXCL),
        c if matches(c, "replace") => route_change(w, opts, true, NLM_F_CREATE | NLM_F_REPLACE),
        c if matches(c, "change") || c == "chg" => route_change(w, opts, true, NLM_F_REPLACE),
        c if matches(c, "prepend") => route_change(w, opts, true, NLM_F_CREATE),
        c if matches(c, "append") => route_change(w, opts, true, NLM_F_CREATE | NLM_F_APPEND),
        c if matches(c, "delete") => route_change(w, opts, false, 0),
        _ => Err(Fail::Usage(format!(
            "Command \"{cmd}\" is unknown, try \"ip route help\"."
        ))),
    }
}

fn route_addr(a: &RouteAddress) -> String {
    match a {
        RouteAddress::Inet(v4) => v4.to_string(),
        RouteAddress::Inet6(v6) => v6.to_string(),
        _ => "?".into(),
    }
}

fn table_name(t: u32) -> String {
    match t {
        255 => "local".into(),
        254 => "main".into(),
        253 => "default".into(),
        n => n.to_string(),
    }
}

fn parse_table(text: &str) -> Result<u32, Fail> {
    match text {
        "local" => Ok(255),
        "main" => Ok(254),
        "default" => Ok(253),
        n => n
            .parse()
            .map_err(|_| Fail::Usage(format!("invalid table ID \"{n}\""))),
    }
}

fn route_table(r: &RouteMessage) -> u32 {
    r.attributes
        .iter()
        .find_map(|a| match a {
            RouteAttribute::Table(t) => Some(*t),
            _ => None,
        })
        .unwrap_or(u32::from(r.header.table))
}

fn protocol_name(p: RouteProtocol) -> String {
    match p {
        RouteProtocol::Kernel => "kernel".into(),
        RouteProtocol::Boot => "boot".into(),
        RouteProtocol::Static => "static".into(),
        RouteProtocol::Ra => "ra".into(),
        RouteProtocol::Dhcp => "dhcp".into(),
        RouteProtocol::IcmpRedirect => "redirect".into(),
        other => u8::from(other).to_string(),
    }
}

fn type_name(t: RouteType) -> Option<&'static str> {
    match t {
        RouteType::Unicast => None,
        RouteType::Local => Some("local"),
        RouteType::Broadcast => Some("broadcast"),
        RouteType::Anycast => Some("anycast"),
        RouteType::Multicast => Some("multicast"),
        RouteType::BlackHole => Some("blackhole"),
        RouteType::Unreachable => Some("unreachable"),
        RouteType::Prohibit => Some("prohibit"),
        RouteType::Throw => Some("throw"),
        RouteType::Nat => Some("nat"),
        _ => None,
    }
}

/// One route as iproute2 prints it; `show_table` unless the listing is
/// of one table, `show_dev` unless it is of one device.
fn route_text(r: &RouteMessage, links: &Links, show_table: bool, show_dev: bool) -> String {
    let mut s = String::new();
    if let Some(t) = type_name(r.header.kind) {
        s.push_str(t);
        s.push(' ');
    }
    let dst = r.attributes.iter().find_map(|a| match a {
        RouteAttribute::Destination(d) => Some(route_addr(d)),
        _ => None,
    });
    let host_len = if r.header.address_family == AddressFamily::Inet6 {
        128
    } else {
        32
    };
    match dst {
        Some(d) if r.header.destination_prefix_length == host_len => s.push_str(&format!("{d} ")),
        Some(d) => s.push_str(&format!("{d}/{} ", r.header.destination_prefix_length)),
        None if r.header.destination_prefix_length == 0 => s.push_str("default "),
        None => s.push_str(&format!("0/{} ", r.header.destination_prefix_length)),
    }
    for a in &r.attributes {
        if let RouteAttribute::Source(f) = a {
            if r.header.source_prefix_length == host_len {
                s.push_str(&format!("from {} ", route_addr(f)));
            } else {
                let len = r.header.source_prefix_length;
                s.push_str(&format!("from {}/{len} ", route_addr(f)));
            }
        }
    }
    for a in &r.attributes {
        if let RouteAttribute::Gateway(g) = a {
            s.push_str(&format!("via {} ", route_addr(g)));
        }
    }
    for a in &r.attributes {
        if let (RouteAttribute::Oif(i), true) = (a, show_dev) {
            s.push_str(&format!("dev {} ", links.name(*i)));
        }
    }
    let table = route_table(r);
    if table != 254 && show_table {
        s.push_str(&format!("table {} ", table_name(table)));
    }
    if r.header.protocol != RouteProtocol::Boot {
        s.push_str(&format!("proto {} ", protocol_name(r.header.protocol)));
    }
    if r.header.scope != RouteScope::Universe {
        s.push_str(&format!("scope {} ", scope_text(u8::from(r.header.scope))));
    }
    for a in &r.attributes {
        if let RouteAttribute::PrefSource(p) = a {
            s.push_str(&format!("src {} ", route_addr(p)));
        }
    }
    for a in &r.attributes {
        if let RouteAttribute::Priority(m) = a {
            s.push_str(&format!("metric {m} "));
        }
    }
    if r.header.flags.contains(RouteFlags::Linkdown) {
        s.push_str("linkdown ");
    }
    if r.header.flags.contains(RouteFlags::Onlink) {
        s.push_str("onlink ");
    }
    if r.header.address_family == AddressFamily::Inet6 {
        let pref = r.attributes.iter().find_map(|a| match a {
            RouteAttribute::Preference(p) => Some(u8::from(*p)),
            _ => None,
        });
        match pref {
            Some(1) => s.push_str("pref high"),
            Some(3) => s.push_str("pref low"),
            Some(_) => s.push_str("pref medium"),
            None => {}
        }
    }
    s.push('\n');
    s
}

/// `ip route show`, or with `flush` the deletion of what it would show.
fn route_list(w: &mut Words, opts: Opts, flush: bool) -> Done {
    let mut table = Some(254);
    let mut dev = None;
    while let Some(word) = w.next() {
        match word.as_str() {
            "table" => {
                let t = w.value("table")?;
                table = if t == "all" {
                    None
                } else {
                    Some(parse_table(&t)?)
                };
            }
            "dev" => dev = Some(w.value("dev")?),
            _ => {
                return Err(Fail::Usage(format!(
                    "Error: either \"to\" is duplicate, or \"{word}\" is a garbage."
                )))
            }
        }
    }
    // iproute2 lists IPv4 only unless asked, except for "table all".
    let family = opts.family.or(table.map(|_| AddressFamily::Inet));
    let mut nl = open()?;
    let links = Links::load(&mut nl)?;
    let only = match &dev {
        Some(d) => Some(links.index(d)?),
        None => None,
    };
    let mut req = RouteMessage::default();
    req.header.address_family = family.unwrap_or(AddressFamily::Unspec);
    let mut out = String::new();
    let mut doomed = Vec::new();
    for m in nl.dump(RouteNetlinkMessage::GetRoute(req))? {
        let RouteNetlinkMessage::NewRoute(r) = m else {
            continue;
        };
        if family.is_some_and(|f| f != r.header.address_family)
            || r.header.flags.contains(RouteFlags::Cloned)
            || table.is_some_and(|t| t != route_table(&r))
        {
            continue;
        }
        if let Some(i) = only {
            if !r
                .attributes
                .iter()
                .any(|a| matches!(a, RouteAttribute::Oif(o) if *o == i))
            {
                continue;
            }
        }
        if flush {
            doomed.push(r);
        } else {
            out.push_str(&route_text(&r, &links, table.is_none(), only.is_none()));
        }
    }
    for r in doomed {
        match nl.change(RouteNetlinkMessage::DelRoute(r), 0) {
            // Gone with an earlier one (e.g. with its address).
            Err(e) if e.errno() == Some(nix::errno::Errno::ESRCH as i32) => {}
            other => other?,
        }
    }
    print!("{out}");
    Ok(())
}

/// `ip route get ADDR [from SRC] [dev DEV]`: the kernel's lookup.
fn route_get(w: &mut Words, opts: Opts) -> Done {
    let mut dst = None;
    let mut from = None;
    let mut dev = None;
    while let Some(word) = w.next() {
        match word.as_str() {
            "from" => from = Some(parse_prefix(&w.value("from")?)?),
            "dev" | "oif" => dev = Some(w.value(&word)?),
            "to" => {}
            _ if dst.is_none() => dst = Some(parse_prefix(&word)?),
            _ => {
                return Err(Fail::Usage(format!(
                    "Error: either \"to\" is duplicate, or \"{word}\" is a garbage."
                )))
            }
        }
    }
    let (ip, len) = dst.ok_or_else(|| Fail::Usage("need at least a destination address".into()))?;
    let mut nl = open()?;
    let links = Links::load(&mut nl)?;
    let mut req = RouteMessage::default();
    req.header.address_family = opts.family.unwrap_or(family_of(&ip));
    req.header.destination_prefix_length = len;
    req.attributes
        .push(RouteAttribute::Destination(RouteAddress::from(ip)));
    if let Some((src, src_len)) = from {
        req.header.source_prefix_length = src_len;
        req.attributes
            .push(RouteAttribute::Source(RouteAddress::from(src)));
    }
    if let Some(d) = dev {
        req.attributes.push(RouteAttribute::Oif(links.index(&d)?));
    }
    let mut out = String::new();
    for m in nl.get(RouteNetlinkMessage::GetRoute(req))? {
        if let RouteNetlinkMessage::NewRoute(r) = m {
            // IPv6 answers with the route itself rather than a cache entry.
            if r.header.flags.contains(RouteFlags::Cloned) {
                out.push_str(&route_get_text(&r, &links));
            } else {
                out.push_str(&route_text(&r, &links, true, true));
            }
        }
    }
    print!("{out}");
    Ok(())
}

/// A looked-up route as `ip route get` prints it, with its cache line.
fn route_get_text(r: &RouteMessage, links: &Links) -> String {
    let mut s = String::new();
    if let Some(t) = type_name(r.header.kind) {
        s.push_str(t);
        s.push(' ');
    }
    let addr = |want: fn(&RouteAttribute) -> Option<&RouteAddress>| {
        r.attributes.iter().find_map(want).map(route_addr)
    };
    if let Some(d) = addr(|a| match a {
        RouteAttribute::Destination(d) => Some(d),
        _ => None,
    }) {
        s.push_str(&format!("{d} "));
    }
    if let Some(f) = addr(|a| match a {
        RouteAttribute::Source(f) => Some(f),
        _ => None,
    }) {
        s.push_str(&format!("from {f} "));
    }
    if let Some(g) = addr(|a| match a {
        RouteAttribute::Gateway(g) => Some(g),
        _ => None,
    }) {
        s.push_str(&format!("via {g} "));
    }
    for a in &r.attributes {
        if let RouteAttribute::Oif(i) = a {
            s.push_str(&format!("dev {} ", links.name(*i)));
        }
    }
    if let Some(p) = addr(|a| match a {
        RouteAttribute::PrefSource(p) => Some(p),
        _ => None,
    }) {
        s.push_str(&format!("src {p} "));
    }
    for a in &r.attributes {
        if let RouteAttribute::Uid(u) = a {
            s.push_str(&format!("uid {u} "));
        }
    }
    s.push_str("\n    cache ");
    // RTCF_LOCAL in the high bits of the flags: a route to this host.
    if r.header.flags.bits() & 0x8000_0000 != 0 {
        s.push_str("<local> ");
    }
    s.push('\n');
    s
}

fn route_change(w: &mut Words, opts: Opts, add: bool, flags: u16) -> Done {
    let mut dst: Option<Option<(IpAddr, u8)>> = None;
    let mut via = None;
    let mut dev = None;
    let mut metric = None;
    let mut table = 254u32;
    let mut src = None;
    let mut kind = RouteType::Unicast;
    let mut scope = None;
    let mut protocol = None;
    let mut onlink = false;
    while let Some(word) = w.next() {
        match word.as_str() {
            "via" => {
                let v = w.value("via")?;
                via = Some(v.parse::<IpAddr>().map_err(|_| {
                    Fail::Msg(format!(
                        "Error: any valid address is expected rather than \"{v}\"."
                    ))
                })?);
            }
            "dev" | "oif" => dev = Some(w.value(&word)?),
            "metric" | "priority" | "preference" => {
                let v = w.value(&word)?;
                metric = Some(v.parse::<u32>().map_err(|_| {
                    Fail::Msg(format!(
                        "Error: argument \"{v}\" is wrong: \"metric\" value is invalid"
                    ))
                })?);
            }
            "table" => table = parse_table(&w.value("table")?)?,
            "src" => {
                let v = w.value("src")?;
                src = Some(v.parse::<IpAddr>().map_err(|_| {
                    Fail::Msg(format!(
                        "Error: any valid address is expected rather than \"{v}\"."
                    ))
                })?);
            }
            "scope" => scope = Some(parse_scope(&w.value("scope")?)?),
            "proto" | "protocol" => {
                let v = w.value(&word)?;
                protocol =
                    Some(match v.as_str() {
                        "kernel" => RouteProtocol::Kernel,
                        "boot" => RouteProtocol::Boot,
                        "static" => RouteProtocol::Static,
                        "dhcp" => RouteProtocol::Dhcp,
                        n => RouteProtocol::from(n.parse::<u8>().map_err(|_| {
                            Fail::Usage(format!("invalid \"protocol\" value \"{n}\""))
                        })?),
                    });
            }
            "onlink" => onlink = true,
            "blackhole" => kind = RouteType::BlackHole,
            "unreachable" => kind = RouteType::Unreachable,
            "prohibit" => kind = RouteType::Prohibit,
            "unicast" | "to" => {}
            "default" | "all" => dst = Some(None),
            _ if dst.is_none() => dst = Some(Some(parse_prefix(&word)?)),
            _ => {
                return Err(Fail::Usage(format!(
                    "Error: either \"to\" is duplicate, or \"{word}\" is a garbage."
                )))
            }
        }
    }
    let dst = dst.ok_or_else(|| Fail::Usage("missing destination".into()))?;
    let family = match (dst, via) {
        (Some((ip, _)), _) => family_of(&ip),
        (None, Some(g)) => family_of(&g),
        (None, None) => opts.family.unwrap_or(AddressFamily::Inet),
    };
    let mut nl = open()?;
    let links = Links::load(&mut nl)?;
    let mut msg = RouteMessage::default();
    let h: &mut RouteHeader = &mut msg.header;
    h.address_family = family;
    h.table = if table < 256 { table as u8 } else { 252 };
    if add {
        h.protocol = protocol.unwrap_or(RouteProtocol::Boot);
        h.kind = kind;
        h.scope = match scope {
            Some(s) => RouteScope::from(s),
            // A route without a gateway reaches its destination directly.
            None if via.is_none() && kind == RouteType::Unicast => RouteScope::Link,
            None => RouteScope::Universe,
        };
    } else {
        h.scope = RouteScope::NoWhere;
        if let Some(p) = protocol {
            h.protocol = p;
        }
        if kind != RouteType::Unicast {
            h.kind = kind;
        }
    }
    if onlink {
        h.flags |= RouteFlags::Onlink;
    }
    if let Some((ip, len)) = dst {
        h.destination_prefix_length = len;
        msg.attributes
            .push(RouteAttribute::Destination(RouteAddress::from(ip)));
    }
    if table >= 256 {
        msg.attributes.push(RouteAttribute::Table(table));
    }
    if let Some(g) = via {
        msg.attributes
            .push(RouteAttribute::Gateway(RouteAddress::from(g)));
    }
    if let Some(d) = dev {
        msg.attributes.push(RouteAttribute::Oif(links.index(&d)?));
    }
    if let Some(s) = src {
        msg.attributes
            .push(RouteAttribute::PrefSource(RouteAddress::from(s)));
    }
    if let Some(m) = metric {
        msg.attributes.push(RouteAttribute::Priority(m));
    }
    let message = if add {
        RouteNetlinkMessage::NewRoute(msg)
    } else {
        RouteNetlinkMessage::DelRoute(msg)
    };
    nl.change(message, flags)?;
    Ok(())
}

// ---------------------------------------------------------------- neigh

fn neigh(w: &mut Words, opts: Opts) -> Done {
    let cmd = w.next().unwrap_or_else(|| "show".into());
    match cmd.as_str() {
        c if matches(c, "show") || matches(c, "list") || c == "lst" => neigh_show(w, opts, false),
        c if matches(c, "flush") => neigh_show(w, opts, true),
        c if matches(c, "add") => neigh_change(w, true, NLM_F_CREATE | NLM_F_EXCL),
        c if matches(c, "replace") => neigh_change(w, true, NLM_F_CREATE | NLM_F_REPLACE),
        c if matches(c, "change") => neigh_change(w, true, NLM_F_REPLACE),
        c if matches(c, "delete") => neigh_change(w, false, 0),
        _ => Err(Fail::Usage(format!(
            "Command \"{cmd}\" is unknown, try \"ip neigh help\"."
        ))),
    }
}

fn nud_name(s: NeighbourState) -> String {
    match s {
        NeighbourState::Incomplete => "INCOMPLETE".into(),
        NeighbourState::Reachable => "REACHABLE".into(),
        NeighbourState::Stale => "STALE".into(),
        NeighbourState::Delay => "DELAY".into(),
        NeighbourState::Probe => "PROBE".into(),
        NeighbourState::Failed => "FAILED".into(),
        NeighbourState::Noarp => "NOARP".into(),
        NeighbourState::Permanent => "PERMANENT".into(),
        NeighbourState::None => "NONE".into(),
        other => format!("{:x}", u16::from(other)),
    }
}

fn parse_nud(text: &str) -> Result<NeighbourState, Fail> {
    Ok(match text {
        "permanent" => NeighbourState::Permanent,
        "reachable" => NeighbourState::Reachable,
        "stale" => NeighbourState::Stale,
        "noarp" => NeighbourState::Noarp,
        "delay" => NeighbourState::Delay,
        "probe" => NeighbourState::Probe,
        "failed" => NeighbourState::Failed,
        "incomplete" => NeighbourState::Incomplete,
        "none" => NeighbourState::None,
        other => return Err(Fail::Usage(format!("nud state \"{other}\" is invalid"))),
    })
}

/// `ip neigh show`, or with `flush` the deletion of the entries it would
/// show that the kernel did not make permanent.
fn neigh_show(w: &mut Words, opts: Opts, flush: bool) -> Done {
    let dev = Filter::parse(w)?.dev;
    let mut nl = open()?;
    let links = Links::load(&mut nl)?;
    let only = match &dev {
        Some(d) => Some(links.index(d)?),
        None => None,
    };
    let mut doomed = Vec::new();
    let mut out = String::new();
    for m in nl.dump(RouteNetlinkMessage::GetNeighbour(
        NeighbourMessage::default(),
    ))? {
        let RouteNetlinkMessage::NewNeighbour(n) = m else {
            continue;
        };
        let fam = n.header.family;
        if fam != AddressFamily::Inet && fam != AddressFamily::Inet6 {
            continue;
        }
        if opts.family.is_some_and(|f| f != fam)
            || only.is_some_and(|i| i != n.header.ifindex)
            || matches!(n.header.state, NeighbourState::Noarp | NeighbourState::None)
        {
            continue;
        }
        if flush {
            if n.header.state != NeighbourState::Permanent {
                doomed.push(n);
            }
            continue;
        }
        let mut s = String::new();
        for a in &n.attributes {
            if let NeighbourAttribute::Destination(d) = a {
                match d {
                    NeighbourAddress::Inet(v4) => s.push_str(&format!("{v4} ")),
                    NeighbourAddress::Inet6(v6) => s.push_str(&format!("{v6} ")),
                    _ => {}
                }
            }
        }
        if only.is_none() {
            s.push_str(&format!("dev {} ", links.name(n.header.ifindex)));
        }
        for a in &n.attributes {
            if let NeighbourAttribute::LinkLayerAddress(l) = a {
                s.push_str(&format!("lladdr {} ", mac_text(l)));
            }
        }
        if n.header.flags.bits() & 0x80 != 0 {
            s.push_str("router ");
        }
        s.push_str(&nud_name(n.header.state));
        s.push_str(" \n");
        out.push_str(&s);
    }
    for n in doomed {
        match nl.change(RouteNetlinkMessage::DelNeighbour(n), 0) {
            Err(e) if e.errno() == Some(nix::errno::Errno::ENOENT as i32) => {}
            other => other?,
        }
    }
    print!("{out}");
    Ok(())
}

fn neigh_change(w: &mut Words, add: bool, flags: u16) -> Done {
    let mut dst = None;
    let mut dev = None;
    let mut lladdr = None;
    let mut state = NeighbourState::Permanent;
    while let Some(word) = w.next() {
        match word.as_str() {
            "dev" => dev = Some(w.value("dev")?),
            "lladdr" => {
                let v = w.value("lladdr")?;
                lladdr = Some(
                    parse_mac(&v)
                        .ok_or_else(|| Fail::Msg(format!("\"{v}\" is invalid lladdr.")))?,
                );
            }
            "nud" => state = parse_nud(&w.value("nud")?)?,
            "to" => {}
            _ if dst.is_none() => {
                dst = Some(word.parse::<IpAddr>().map_err(|_| {
                    Fail::Msg(format!(
                        "Error: any valid address is expected rather than \"{word}\"."
                    ))
                })?)
            }
            _ => {
                return Err(Fail::Usage(format!(
                    "Error: either \"to\" is duplicate, or \"{word}\" is a garbage."
                )))
            }
        }
    }
    let dev =
        dev.ok_or_else(|| Fail::Msg("Device and destination are required arguments.".into()))?;
    let dst =
        dst.ok_or_else(|| Fail::Msg("Device and destination are required arguments.".into()))?;
    let mut nl = open()?;
    let links = Links::load(&mut nl)?;
    let mut msg = NeighbourMessage::default();
    msg.header.family = family_of(&dst);
    msg.header.ifindex = links.index(&dev)?;
    msg.header.state = state;
    msg.header.kind = RouteType::Unicast;
    msg.attributes
        .push(NeighbourAttribute::Destination(match dst {
            IpAddr::V4(v4) => NeighbourAddress::Inet(v4),
            IpAddr::V6(v6) => NeighbourAddress::Inet6(v6),
        }));
    if let Some(l) = lladdr {
        msg.attributes.push(NeighbourAttribute::LinkLayerAddress(l));
    }
    let message = if add {
        RouteNetlinkMessage::NewNeighbour(msg)
    } else {
        RouteNetlinkMessage::DelNeighbour(msg)
    };
    nl.change(message, flags)?;
    Ok(())
}

// ---------------------------------------------------------------- rule

fn rule(w: &mut Words, opts: Opts) -> Done {
    let cmd = w.next().unwrap_or_else(|| "show".into());
    match cmd.as_str() {
        c if matches(c, "show") || matches(c, "list") || c == "lst" => rule_show(opts),
        c if matches(c, "add") => rule_change(w, opts, true),
        c if matches(c, "delete") => rule_change(w, opts, false),
        _ => Err(Fail::Usage(format!(
            "Command \"{cmd}\" is unknown, try \"ip rule help\"."
        ))),
    }
}

fn rule_show(opts: Opts) -> Done {
    let family = opts.family.unwrap_or(AddressFamily::Inet);
    let mut nl = open()?;
    let mut req = RuleMessage::default();
    req.header.family = family;
    let mut out = String::new();
    for m in nl.dump(RouteNetlinkMessage::GetRule(req))? {
        let RouteNetlinkMessage::NewRule(r) = m else {
            continue;
        };
        if r.header.family != family {
            continue;
        }
        let prio = r
            .attributes
            .iter()
            .find_map(|a| match a {
                RuleAttribute::Priority(p) => Some(*p),
                _ => None,
            })
            .unwrap_or(0);
        let mut s = format!("{prio}:\t");
        let with_len = |ip: &IpAddr, len: u8| {
            let host = if ip.is_ipv4() { 32 } else { 128 };
            if len == host {
                ip.to_string()
            } else {
                format!("{ip}/{len}")
            }
        };
        let find = |want: fn(&RuleAttribute) -> Option<String>| r.attributes.iter().find_map(want);
        match r.attributes.iter().find_map(|a| match a {
            RuleAttribute::Source(ip) => Some(*ip),
            _ => None,
        }) {
            Some(ip) => s.push_str(&format!("from {} ", with_len(&ip, r.header.src_len))),
            None => s.push_str("from all "),
        }
        if let Some(ip) = r.attributes.iter().find_map(|a| match a {
            RuleAttribute::Destination(ip) => Some(*ip),
            _ => None,
        }) {
            s.push_str(&format!("to {} ", with_len(&ip, r.header.dst_len)));
        }
        let mask = r.attributes.iter().find_map(|a| match a {
            RuleAttribute::FwMask(m) => Some(*m),
            _ => None,
        });
        if let Some(m) = r.attributes.iter().find_map(|a| match a {
            RuleAttribute::FwMark(m) => Some(*m),
            _ => None,
        }) {
            match mask {
                Some(k) if k != u32::MAX => s.push_str(&format!("fwmark {m:#x}/{k:#x} ")),
                _ => s.push_str(&format!("fwmark {m:#x} ")),
            }
        }
        if let Some(n) = find(|a| match a {
            RuleAttribute::Iifname(n) => Some(n.clone()),
            _ => None,
        }) {
            s.push_str(&format!("iif {n} "));
        }
        if let Some(n) = find(|a| match a {
            RuleAttribute::Oifname(n) => Some(n.clone()),
            _ => None,
        }) {
            s.push_str(&format!("oif {n} "));
        }
        let table = r
            .attributes
            .iter()
            .find_map(|a| match a {
                RuleAttribute::Table(t) => Some(*t),
                _ => None,
            })
            .unwrap_or(u32::from(r.header.table));
        match r.header.action {
            RuleAction::ToTable => s.push_str(&format!("lookup {}", table_name(table))),
            RuleAction::Goto => s.push_str("goto"),
            RuleAction::Nop => s.push_str("nop"),
            RuleAction::Blackhole => s.push_str("blackhole"),
            RuleAction::Unreachable => s.push_str("unreachable"),
            RuleAction::Prohibit => s.push_str("prohibit"),
            _ => {}
        }
        out.push_str(s.trim_end());
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}

fn rule_change(w: &mut Words, opts: Opts, add: bool) -> Done {
    let mut msg = RuleMessage::default();
    let mut family = opts.family;
    let mut table = None;
    while let Some(word) = w.next() {
        match word.as_str() {
            "from" | "to" => {
                let v = w.value(&word)?;
                if v == "all" {
                    continue;
                }
                let (ip, len) = parse_prefix(&v)?;
                family = Some(family_of(&ip));
                if word == "from" {
                    msg.header.src_len = len;
                    msg.attributes.push(RuleAttribute::Source(ip));
                } else {
                    msg.header.dst_len = len;
                    msg.attributes.push(RuleAttribute::Destination(ip));
                }
            }
            p if p == "priority" || p == "preference" || p == "prio" || p == "pref" => {
                let v = w.value(&word)?;
                let n = v.parse().map_err(|_| {
                    Fail::Usage(format!(
                        "Error: argument \"{v}\" is wrong: preference value is invalid"
                    ))
                })?;
                msg.attributes.push(RuleAttribute::Priority(n));
            }
            "fwmark" => {
                let v = w.value("fwmark")?;
                let (mark, mask) = match v.split_once('/') {
                    Some((m, k)) => (m.to_string(), Some(k.to_string())),
                    None => (v.clone(), None),
                };
                let num = |t: &str| {
                    let parsed = match t.strip_prefix("0x") {
                        Some(h) => u32::from_str_radix(h, 16).ok(),
                        None => t.parse().ok(),
                    };
                    parsed.ok_or_else(|| {
                        Fail::Usage(format!(
                            "Error: argument \"{v}\" is wrong: fwmark value is invalid"
                        ))
                    })
                };
                msg.attributes.push(RuleAttribute::FwMark(num(&mark)?));
                if let Some(k) = mask {
                    msg.attributes.push(RuleAttribute::FwMask(num(&k)?));
                }
            }
            "iif" | "dev" => msg.attributes.push(RuleAttribute::Iifname(w.value(&word)?)),
            "oif" => msg.attributes.push(RuleAttribute::Oifname(w.value("oif")?)),
            "table" | "lookup" => table = Some(parse_table(&w.value(&word)?)?),
            _ => {
                return Err(Fail::Usage(format!(
                    "Error: argument \"{word}\" is wrong: Failed to parse rule type"
                )))
            }
        }
    }
    msg.header.family = family.unwrap_or(AddressFamily::Inet);
    if let Some(t) = table {
        // Tables past 255 travel in FRA_TABLE alone.
        msg.header.table = u8::try_from(t).unwrap_or(0);
        msg.attributes.push(RuleAttribute::Table(t));
    } else if add {
        msg.header.table = 254;
    }
    let mut nl = open()?;
    let message = if add {
        msg.header.action = RuleAction::ToTable;
        RouteNetlinkMessage::NewRule(msg)
    } else {
        RouteNetlinkMessage::DelRule(msg)
    };
    let flags = if add { NLM_F_CREATE | NLM_F_EXCL } else { 0 };
    nl.change(message, flags)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_parse_with_host_length_by_default() {
        assert!(matches!(parse_prefix("10.0.0.1/24"), Ok((_, 24))));
        assert!(matches!(parse_prefix("10.0.0.1"), Ok((_, 32))));
        assert!(matches!(parse_prefix("2001:db8::1/64"), Ok((_, 64))));
        assert!(parse_prefix("10.0.0.1/33").is_err());
        assert!(parse_prefix("nonsense").is_err());
    }

    #[test]
    fn prefixes_contain_their_addresses() {
        let ip = |t: &str| t.parse::<IpAddr>().expect("address");
        assert!(in_prefix(ip("10.0.0.7"), ip("10.0.0.0"), 24));
        assert!(!in_prefix(ip("10.0.1.7"), ip("10.0.0.0"), 24));
        assert!(in_prefix(ip("1.2.3.4"), ip("0.0.0.0"), 0));
        assert!(in_prefix(ip("2001:db8::5"), ip("2001:db8::"), 64));
        assert!(!in_prefix(ip("2001:db9::5"), ip("2001:db8::"), 32));
        assert!(!in_prefix(ip("10.0.0.7"), ip("2001:db8::"), 0));
    }

    #[test]
    fn keywords_abbreviate_like_iproute2() {
        assert!(matches("a", "address"));
        assert!(matches("sh", "show"));
        assert!(!matches("shows", "show"));
        assert!(!matches("", "show"));
    }

    #[test]
    fn oneline_joins_record_lines() {
        assert_eq!(one_line("a\n    b\n", true), "a\\    b\n");
        assert_eq!(one_line("a\n    b\n", false), "a\n    b\n");
    }
}
