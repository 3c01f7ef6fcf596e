//! `/etc/network/interfaces` as Alpine's ifupdown-ng reads it: `auto`,
//! `allow-CLASS`, `iface` stanzas with indented options, `source` and
//! `source-directory`, `#` comments and `\` line continuations.
//!
//! Everything is checked here, before `ifup` changes anything, so that a
//! mistake is reported with its file and line instead of half-configuring
//! the network. Options this module does not know are kept as they are:
//! ifupdown passes every option to hooks as `IF_<OPTION>`, and configs
//! carry options meant for other tools (`hostname`, `wireless-*`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

/// The file ifupdown reads unless told otherwise (`-i FILE`).
pub const DEFAULT_FILE: &str = "/etc/network/interfaces";

/// How deep `source` may nest before it is taken for a loop.
const MAX_DEPTH: usize = 16;

/// Longest interface name the kernel accepts (IFNAMSIZ - 1).
const MAX_NAME: usize = 15;

/// Why a configuration could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// A file could not be read (the system's message).
    Read(String),
    /// A keyword at the top level that ifupdown-ng does not have.
    UnknownKeyword(String),
    /// An option line before any `iface`.
    OptionOutsideIface(String),
    /// A keyword or option is missing its value.
    MissingValue(String),
    /// `iface` with an address family other than inet or inet6.
    BadFamily(String),
    /// `iface` with a method this family does not have.
    BadMethod(String),
    /// A method ifupdown-ng has that is not supported here.
    Unsupported(String),
    /// An interface name the kernel would refuse.
    BadName(String),
    /// An option's value is malformed: the option and the value.
    BadValue(String, String),
    /// `use` names an executor that does not exist here.
    UnknownExecutor(String),
    /// `source` nested deeper than [`MAX_DEPTH`] (a loop).
    TooDeep,
    /// A backslash continuation ran into the end of the file.
    DanglingContinuation,
}

/// A configuration error and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The file that holds the mistake.
    pub file: PathBuf,
    /// Its line, from 1 (0 when the file itself could not be read).
    pub line: usize,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: ", self.file.display())?;
        } else {
            write!(f, "{}:{}: ", self.file.display(), self.line)?;
        }
        match &self.kind {
            ErrorKind::Read(e) => write!(f, "{e}"),
            ErrorKind::UnknownKeyword(k) => write!(f, "unknown keyword '{k}'"),
            ErrorKind::OptionOutsideIface(k) => {
                write!(f, "option '{k}' outside of an iface stanza")
            }
            ErrorKind::MissingValue(k) => write!(f, "'{k}' needs a value"),
            ErrorKind::BadFamily(k) => write!(f, "unknown address family '{k}'"),
            ErrorKind::BadMethod(k) => write!(f, "unknown method '{k}'"),
            ErrorKind::Unsupported(k) => write!(f, "{k} is not supported"),
            ErrorKind::BadName(n) => write!(f, "invalid interface name '{n}'"),
            ErrorKind::BadValue(o, v) => write!(f, "invalid value '{v}' for '{o}'"),
            ErrorKind::UnknownExecutor(e) => write!(f, "unknown executor '{e}' in 'use'"),
            ErrorKind::TooDeep => write!(f, "source nested too deeply (a loop?)"),
            ErrorKind::DanglingContinuation => {
                write!(f, "line continuation at the end of the file")
            }
        }
    }
}

impl std::error::Error for Error {}

/// An address family of an `iface` stanza.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4.
    Inet,
    /// IPv6.
    Inet6,
}

impl Family {
    /// The keyword, as `ADDRFAM` carries it to hooks.
    pub fn name(self) -> &'static str {
        match self {
            Family::Inet => "inet",
            Family::Inet6 => "inet6",
        }
    }
}

/// How an `iface` stanza configures its addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Addresses and gateways from the options.
    Static,
    /// A DHCP client (udhcpc) for IPv4.
    Dhcp,
    /// IPv6 stateless autoconfiguration (router advertisements).
    Auto,
    /// The loopback device.
    Loopback,
    /// Only the link: up, hooks, nothing else.
    Manual,
}

impl Method {
    /// The keyword, as `METHOD` carries it to hooks.
    pub fn name(self) -> &'static str {
        match self {
            Method::Static => "static",
            Method::Dhcp => "dhcp",
            Method::Auto => "auto",
            Method::Loopback => "loopback",
            Method::Manual => "manual",
        }
    }
}

/// When a hook command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Before anything is configured (after virtual devices are made).
    PreUp,
    /// Right after the link, addresses and routes are in place.
    Up,
    /// Last on the way up.
    PostUp,
    /// First on the way down.
    PreDown,
    /// After `pre-down`, before addresses and link are removed.
    Down,
    /// After everything is removed.
    PostDown,
}

impl Phase {
    /// The option keyword, also `PHASE` for hooks.
    pub fn name(self) -> &'static str {
        match self {
            Phase::PreUp => "pre-up",
            Phase::Up => "up",
            Phase::PostUp => "post-up",
            Phase::PreDown => "pre-down",
            Phase::Down => "down",
            Phase::PostDown => "post-down",
        }
    }

    fn from_keyword(k: &str) -> Option<Phase> {
        Some(match k {
            "pre-up" => Phase::PreUp,
            "up" => Phase::Up,
            "post-up" => Phase::PostUp,
            "pre-down" => Phase::PreDown,
            "down" => Phase::Down,
            "post-down" => Phase::PostDown,
            _ => return None,
        })
    }
}

/// An address with its prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The address.
    pub ip: IpAddr,
    /// Its prefix length.
    pub len: u8,
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.ip, self.len)
    }
}

impl Cidr {
    /// Parses `ADDR[/LEN]`; without a length, `None` in the second place.
    pub fn parse(text: &str) -> Option<(IpAddr, Option<u8>)> {
        let (ip, len) = match text.split_once('/') {
            Some((ip, len)) => (ip, Some(len)),
            None => (text, None),
        };
        let ip: IpAddr = ip.parse().ok()?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let len = match len {
            Some(l) => Some(l.parse::<u8>().ok().filter(|l| *l <= max)?),
            None => None,
        };
        Some((ip, len))
    }
}

/// A VLAN range of `bridge-vids`, inclusive.
pub type VidRange = (u16, u16);

/// One option line as written, kept for `IF_*` and `ifquery`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    /// The keyword.
    pub key: String,
    /// Everything after it, whitespace collapsed.
    pub value: String,
}

/// One interface: all of its `iface` stanzas merged, in the order read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Iface {
    /// The interface's name.
    pub name: String,
    /// Listed in `auto` (or `allow-auto`): brought up by `ifup -a`.
    pub auto: bool,
    /// The classes of the `allow-CLASS` lines that list it (`hotplug`),
    /// for `ifup --allow=CLASS`.
    pub allow: Vec<String>,
    /// The stanzas' families and methods.
    pub methods: Vec<(Family, Method)>,
    /// Addresses to add (with `netmask` applied).
    pub addresses: Vec<Cidr>,
    /// Default gateways.
    pub gateways: Vec<IpAddr>,
    /// Link MTU.
    pub mtu: Option<u32>,
    /// Link hardware address.
    pub hwaddress: Option<Vec<u8>>,
    /// Metric of the default routes.
    pub metric: Option<u32>,
    /// Hook commands in the order written.
    pub hooks: Vec<(Phase, String)>,
    /// `bridge-ports`: `Some` makes this a bridge (empty for `none`).
    pub bridge_ports: Option<Vec<String>>,
    /// `bridge-vlan-aware yes`.
    pub bridge_vlan_aware: bool,
    /// `bridge-vids`.
    pub bridge_vids: Vec<VidRange>,
    /// `bridge-pvid`.
    pub bridge_pvid: Option<u16>,
    /// A VLAN: raw device and id (from `vlan-raw-device`, `vlan-id` or the
    /// `RAW.ID` name).
    pub vlan: Option<(String, u16)>,
    /// `requires`: interfaces to bring up first.
    pub requires: Vec<String>,
    /// `use`: ifupdown-ng executors named explicitly.
    pub uses: Vec<String>,
    /// `dhcp-program`: the DHCP client, `udhcpc` or a path to a program
    /// that takes udhcpc's arguments.
    pub dhcp_program: Option<String>,
    /// Every option as written.
    pub options: Vec<Opt>,
    /// Where the first stanza is.
    pub file: PathBuf,
    /// Its line.
    pub line: usize,
}

impl Iface {
    /// Whether an `allow-CLASS` line lists it (`auto` for `auto` lines).
    pub fn allowed(&self, class: &str) -> bool {
        if class == "auto" {
            self.auto
        } else {
            self.allow.iter().any(|c| c == class)
        }
    }

    /// Whether this interface is a bridge `ifup` creates.
    pub fn is_bridge(&self) -> bool {
        self.bridge_ports.is_some() || self.uses.iter().any(|u| u == "bridge")
    }

    /// Interfaces that must be up before this one: bridge ports, the VLAN's
    /// raw device and `requires`, in that order, without repeats.
    pub fn dependencies(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let ports = self.bridge_ports.iter().flatten();
        let raw = self.vlan.iter().map(|(raw, _)| raw);
        for d in ports.chain(raw).chain(self.requires.iter()) {
            if !out.contains(d) {
                out.push(d.clone());
            }
        }
        out
    }

    /// The method of the first stanza (`manual` when there is none).
    pub fn method(&self) -> Method {
        self.methods.first().map_or(Method::Manual, |m| m.1)
    }

    /// `ADDRFAM` for hooks: the families, comma-separated.
    pub fn addrfam(&self) -> String {
        let mut v: Vec<&str> = Vec::new();
        for (f, _) in &self.methods {
            if !v.contains(&f.name()) {
                v.push(f.name());
            }
        }
        v.join(",")
    }

    /// `IF_<OPTION>` variables: option names upper-cased with `-` as `_`,
    /// repeated options joined with spaces, hooks left out.
    pub fn env(&self) -> BTreeMap<String, String> {
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        for o in &self.options {
            if Phase::from_keyword(&o.key).is_some() {
                continue;
            }
            let name: String = o
                .key
                .chars()
                .filter_map(|c| match c {
                    '-' | '_' => Some('_'),
                    c if c.is_ascii_alphanumeric() => Some(c.to_ascii_uppercase()),
                    _ => None,
                })
                .collect();
            env.entry(format!("IF_{name}"))
                .and_modify(|v| {
                    v.push(' ');
                    v.push_str(&o.value);
                })
                .or_insert_with(|| o.value.clone());
        }
        env
    }
}

/// A whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Interfaces in the order they were first named (by `auto` or `iface`).
    pub ifaces: Vec<Iface>,
}

impl Config {
    /// The interface called `name`.
    pub fn get(&self, name: &str) -> Option<&Iface> {
        self.ifaces.iter().find(|i| i.name == name)
    }

    /// Interfaces marked `auto`, in order.
    pub fn auto(&self) -> Vec<String> {
        self.ifaces
            .iter()
            .filter(|i| i.auto)
            .map(|i| i.name.clone())
            .collect()
    }

    /// `targets` and everything they depend on, dependencies first. A name
    /// without a stanza is kept (it is a device made elsewhere). Returns
    /// the names of a dependency loop as the error.
    pub fn up_order(&self, targets: &[String]) -> Result<Vec<String>, Vec<String>> {
        let mut done: Vec<String> = Vec::new();
        let mut path: Vec<String> = Vec::new();
        for t in targets {
            self.visit(t, &mut path, &mut done)?;
        }
        Ok(done)
    }

    fn visit(
        &self,
        name: &str,
        path: &mut Vec<String>,
        done: &mut Vec<String>,
    ) -> Result<(), Vec<String>> {
        if done.iter().any(|d| d == name) {
            return Ok(());
        }
        if let Some(at) = path.iter().position(|p| p == name) {
            let mut cycle = path[at..].to_vec();
            cycle.push(name.to_string());
            return Err(cycle);
        }
        path.push(name.to_string());
        if let Some(iface) = self.get(name) {
            for dep in iface.dependencies() {
                self.visit(&dep, path, done)?;
            }
        }
        path.pop();
        done.push(name.to_string());
        Ok(())
    }

    /// The order to take `targets` down in: whatever depends on an
    /// interface goes down before it (the reverse of [`Config::up_order`]),
    /// without adding interfaces that were not asked for.
    pub fn down_order(&self, targets: &[String]) -> Result<Vec<String>, Vec<String>> {
        let all = self.up_order(targets)?;
        Ok(all
            .into_iter()
            .rev()
            .filter(|n| targets.contains(n))
            .collect())
    }
}

/// Reads `path` and what it sources.
pub fn load(path: &Path) -> Result<Config, Error> {
    let mut parser = Parser::default();
    parser.file(path, 0)?;
    parser.finish()
}

/// Parses `text` as if it were the file `path` (`source` lines are read
/// relative to its directory).
#[cfg(test)]
pub fn parse_str(path: &Path, text: &str) -> Result<Config, Error> {
    let mut parser = Parser::default();
    parser.text(path, text, 0)?;
    parser.finish()
}

/// A logical line: continuations joined, with the number of its first line.
fn logical_lines(path: &Path, text: &str) -> Result<Vec<(usize, String, bool)>, Error> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String, bool)> = None;
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let (start, mut line, indented) = match pending.take() {
            Some(p) => p,
            None => {
                let trimmed = raw.trim_start();
                if trimmed.starts_with('#') {
                    continue;
                }
                (number, String::new(), trimmed.len() != raw.len())
            }
        };
        let piece = raw.trim_end();
        if let Some(head) = piece.strip_suffix('\\') {
            line.push_str(head);
            line.push(' ');
            pending = Some((start, line, indented));
        } else {
            line.push_str(piece);
            if !line.trim().is_empty() {
                out.push((start, line, indented));
            }
        }
    }
    if pending.is_some() {
        return Err(Error {
            file: path.to_path_buf(),
            line: text.lines().count(),
            kind: ErrorKind::DanglingContinuation,
        });
    }
    Ok(out)
}

/// Whether the kernel would take `name` as an interface name.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name != "."
        && name != ".."
        && !name
            .bytes()
            .any(|b| b == b'/' || b == b':' || b.is_ascii_whitespace() || b.is_ascii_control())
}

/// A VLAN id 1..=4094.
fn vid(text: &str) -> Option<u16> {
    text.parse::<u16>().ok().filter(|v| (1..=4094).contains(v))
}

/// `RAW.ID`: the VLAN a name implies.
fn vlan_from_name(name: &str) -> Option<(String, u16)> {
    let (raw, id) = name.rsplit_once('.')?;
    if raw.is_empty() {
        return None;
    }
    Some((raw.to_string(), vid(id)?))
}

/// A dotted netmask or a prefix length.
fn netmask_len(text: &str) -> Option<u8> {
    if let Ok(n) = text.parse::<u8>() {
        return (n <= 128).then_some(n);
    }
    let mask = u32::from(text.parse::<Ipv4Addr>().ok()?);
    let len = mask.leading_ones();
    // A mask must be ones then zeros.
    (mask.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
}

/// A hardware address, with or without ifupdown's `ether` class word.
fn hwaddress(text: &str) -> Option<Vec<u8>> {
    let mac = text.strip_prefix("ether ").unwrap_or(text).trim();
    crate::netlink::parse_mac(mac).filter(|m| m.len() == 6)
}

/// `bridge-vids`: ids and ranges separated by spaces or commas.
fn vid_ranges(text: &str) -> Option<Vec<VidRange>> {
    let mut out = Vec::new();
    for word in text.split([' ', ',']).filter(|w| !w.is_empty()) {
        let range = match word.split_once('-') {
            Some((a, b)) => (vid(a)?, vid(b)?),
            None => {
                let v = vid(word)?;
                (v, v)
            }
        };
        if range.0 > range.1 {
            return None;
        }
        out.push(range);
    }
    (!out.is_empty()).then_some(out)
}

/// The executors `use` may name: those of ifupdown-ng's that this ifup
/// has (`link`, `static` and `loopback` are what every stanza gets).
const EXECUTORS: &[&str] = &[
    "link", "static", "dhcp", "bridge", "vlan", "loopback", "ipv6-ra",
];

/// A stanza being read, with the addresses still waiting for `netmask`.
struct Stanza {
    index: usize,
    family: Option<Family>,
    first_address: usize,
    netmask: Option<u8>,
}

#[derive(Default)]
struct Parser {
    ifaces: Vec<Iface>,
    current: Option<Stanza>,
    /// Addresses written without a length, by interface and position.
    bare: BTreeSet<(usize, usize)>,
}

impl Parser {
    fn error(path: &Path, line: usize, kind: ErrorKind) -> Error {
        Error {
            file: path.to_path_buf(),
            line,
            kind,
        }
    }

    fn file(&mut self, path: &Path, depth: usize) -> Result<(), Error> {
        let text = std::fs::read(path)
            .map_err(|e| Self::error(path, 0, ErrorKind::Read(crate::common::strerror(&e))))?;
        let text = String::from_utf8_lossy(&text);
        self.text(path, &text, depth)
    }

    fn slot(&mut self, name: &str, path: &Path, line: usize) -> Result<usize, Error> {
        if !valid_name(name) {
            return Err(Self::error(
                path,
                line,
                ErrorKind::BadName(name.to_string()),
            ));
        }
        if let Some(i) = self.ifaces.iter().position(|i| i.name == name) {
            return Ok(i);
        }
        self.ifaces.push(Iface {
            name: name.to_string(),
            file: path.to_path_buf(),
            line,
            ..Iface::default()
        });
        Ok(self.ifaces.len() - 1)
    }

    fn text(&mut self, path: &Path, text: &str, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(Self::error(path, 0, ErrorKind::TooDeep));
        }
        // A stanza never continues into or out of another file.
        self.end_stanza();
        for (line, content, indented) in logical_lines(path, text)? {
            let mut words = content.split_whitespace();
            let Some(key) = words.next() else {
                continue;
            };
            let rest: Vec<&str> = words.collect();
            let err = |kind| Self::error(path, line, kind);
            match key {
                "auto" | "allow-auto" => {
                    self.end_stanza();
                    if rest.is_empty() {
                        return Err(err(ErrorKind::MissingValue(key.into())));
                    }
                    for name in rest {
                        let i = self.slot(name, path, line)?;
                        self.ifaces[i].auto = true;
                    }
                }
                k if k.len() > "allow-".len() && k.starts_with("allow-") => {
                    self.end_stanza();
                    if rest.is_empty() {
                        return Err(err(ErrorKind::MissingValue(key.into())));
                    }
                    let class = &k["allow-".len()..];
                    for name in rest {
                        let i = self.slot(name, path, line)?;
                        if !self.ifaces[i].allow.iter().any(|c| c == class) {
                            self.ifaces[i].allow.push(class.to_string());
                        }
                    }
                }
                "iface" => {
                    self.end_stanza();
                    self.iface(path, line, &rest)?;
                }
                "source" | "source-directory" => {
                    self.end_stanza();
                    if rest.is_empty() {
                        return Err(err(ErrorKind::MissingValue(key.into())));
                    }
                    let base = path.parent().unwrap_or(Path::new("/"));
                    for pattern in rest {
                        let files = if key == "source" {
                            glob(base, pattern)
                        } else {
                            directory(&base.join(pattern))
                        };
                        for f in files.map_err(|e| err(ErrorKind::Read(e)))? {
                            self.file(&f, depth + 1)?;
                        }
                    }
                }
                "mapping" => return Err(err(ErrorKind::Unsupported("mapping".into()))),
                "template" => return Err(err(ErrorKind::Unsupported("template".into()))),
                _ if self.current.is_some() => self.option(path, line, key, &rest)?,
                _ if indented => {
                    return Err(err(ErrorKind::OptionOutsideIface(key.into())));
                }
                _ => return Err(err(ErrorKind::UnknownKeyword(key.into()))),
            }
        }
        self.end_stanza();
        Ok(())
    }

    /// `iface NAME [FAMILY [METHOD]]`.
    fn iface(&mut self, path: &Path, line: usize, rest: &[&str]) -> Result<(), Error> {
        let err = |kind| Self::error(path, line, kind);
        let Some(name) = rest.first() else {
            return Err(err(ErrorKind::MissingValue("iface".into())));
        };
        let family = match rest.get(1).copied() {
            None => None,
            Some("inet") => Some(Family::Inet),
            Some("inet6") => Some(Family::Inet6),
            Some(f) => return Err(err(ErrorKind::BadFamily(f.into()))),
        };
        let method = match rest.get(2).copied() {
            None => None,
            Some("static") => Some(Method::Static),
            Some("dhcp") => Some(Method::Dhcp),
            Some("auto") => Some(Method::Auto),
            Some("loopback") => Some(Method::Loopback),
            Some("manual") => Some(Method::Manual),
            Some(m) => return Err(err(ErrorKind::BadMethod(m.into()))),
        };
        if rest.len() > 3 {
            return Err(err(ErrorKind::BadValue(
                "iface".into(),
                rest[3..].join(" "),
            )));
        }
        match (family, method) {
            (Some(Family::Inet), Some(Method::Auto)) => {
                return Err(err(ErrorKind::BadMethod("auto".into())))
            }
            (Some(Family::Inet6), Some(Method::Dhcp)) => {
                return Err(err(ErrorKind::Unsupported("inet6 dhcp".into())))
            }
            _ => {}
        }
        let index = self.slot(name, path, line)?;
        let iface = &mut self.ifaces[index];
        if iface.methods.is_empty() {
            // The stanza's place wins over an earlier `auto` line's.
            iface.file = path.to_path_buf();
            iface.line = line;
        }
        // Without a method ifupdown-ng treats the stanza as static, so that
        // `address` lines still apply; without a family, inet.
        let method = method.unwrap_or(Method::Static);
        iface.methods.push((family.unwrap_or(Family::Inet), method));
        if iface.vlan.is_none() {
            iface.vlan = vlan_from_name(name);
        }
        self.current = Some(Stanza {
            index,
            family,
            first_address: iface.addresses.len(),
            netmask: None,
        });
        Ok(())
    }

    /// One indented option of the current stanza.
    fn option(&mut self, path: &Path, line: usize, key: &str, rest: &[&str]) -> Result<(), Error> {
        let Some(stanza) = self.current.as_mut() else {
            return Err(Self::error(
                path,
                line,
                ErrorKind::OptionOutsideIface(key.into()),
            ));
        };
        let value = rest.join(" ");
        let err = |kind| Self::error(path, line, kind);
        let bad = || err(ErrorKind::BadValue(key.into(), value.clone()));
        if value.is_empty() {
            return Err(err(ErrorKind::MissingValue(key.into())));
        }
        let index = stanza.index;
        let iface = &mut self.ifaces[index];
        let one = || -> Result<&str, Error> {
            match rest {
                [v] => Ok(v),
                _ => Err(bad()),
            }
        };
        if let Some(phase) = Phase::from_keyword(key) {
            iface.hooks.push((phase, value.clone()));
        } else {
            match key {
                "address" => {
                    let (ip, len) = Cidr::parse(one()?).ok_or_else(bad)?;
                    let family = if ip.is_ipv4() {
                        Family::Inet
                    } else {
                        Family::Inet6
                    };
                    if stanza.family.is_some_and(|f| f != family) {
                        return Err(bad());
                    }
                    let max = if ip.is_ipv4() { 32 } else { 128 };
                    if len.is_none() {
                        self.bare.insert((index, iface.addresses.len()));
                    }
                    let len = len.or(stanza.netmask).unwrap_or(max);
                    iface.addresses.push(Cidr { ip, len });
                }
                "netmask" => {
                    let len = netmask_len(one()?).ok_or_else(bad)?;
                    stanza.netmask = Some(len);
                    // It applies to this stanza's addresses written
                    // without a length, before or after it.
                    for (n, a) in iface.addresses.iter_mut().enumerate() {
                        let max = if a.ip.is_ipv4() { 32 } else { 128 };
                        if n >= stanza.first_address && self.bare.contains(&(index, n)) {
                            if len > max {
                                return Err(bad());
                            }
                            a.len = len;
                        }
                    }
                }
                "gateway" => {
                    let gw: IpAddr = one()?.parse().map_err(|_| bad())?;
                    iface.gateways.push(gw);
                }
                "mtu" => {
                    let mtu = one()?.parse::<u32>().ok().filter(|m| *m >= 68);
                    iface.mtu = Some(mtu.ok_or_else(bad)?);
                }
                "hwaddress" => iface.hwaddress = Some(hwaddress(&value).ok_or_else(bad)?),
                "metric" => iface.metric = Some(one()?.parse().map_err(|_| bad())?),
                "bridge-ports" => {
                    let ports: Vec<String> = if rest == ["none"] {
                        Vec::new()
                    } else {
                        rest.iter().map(|p| p.to_string()).collect()
                    };
                    if ports.iter().any(|p| !valid_name(p) || *p == iface.name) {
                        return Err(bad());
                    }
                    iface.bridge_ports = Some(ports);
                }
                "bridge-vlan-aware" => {
                    iface.bridge_vlan_aware = match one()? {
                        "yes" | "on" | "1" | "true" => true,
                        "no" | "off" | "0" | "false" => false,
                        _ => return Err(bad()),
                    }
                }
                "bridge-vids" => iface.bridge_vids = vid_ranges(&value).ok_or_else(bad)?,
                "bridge-pvid" => iface.bridge_pvid = Some(vid(one()?).ok_or_else(bad)?),
                "vlan-raw-device" => {
                    let raw = one()?;
                    if !valid_name(raw) || raw == iface.name {
                        return Err(bad());
                    }
                    let id = match &iface.vlan {
                        Some((_, id)) => *id,
                        // `vlanN` names carry the id too.
                        None => iface.name.strip_prefix("vlan").and_then(vid).unwrap_or(0),
                    };
                    iface.vlan = Some((raw.to_string(), id));
                }
                "vlan-id" => {
                    let id = vid(one()?).ok_or_else(bad)?;
                    let raw = iface.vlan.take().map(|(r, _)| r).unwrap_or_default();
                    iface.vlan = Some((raw, id));
                }
                "requires" => {
                    for r in rest {
                        if !valid_name(r) || *r == iface.name {
                            return Err(bad());
                        }
                        if !iface.requires.iter().any(|x| x == r) {
                            iface.requires.push(r.to_string());
                        }
                    }
                }
                "use" => {
                    for u in rest {
                        if !EXECUTORS.contains(u) {
                            return Err(err(ErrorKind::UnknownExecutor(u.to_string())));
                        }
                        if !iface.uses.iter().any(|x| x == u) {
                            iface.uses.push(u.to_string());
                        }
                    }
                }
                "dhcp-program" => {
                    let p = one()?;
                    if p != "udhcpc" && !p.starts_with('/') {
                        return Err(err(ErrorKind::Unsupported(format!("dhcp-program {p}"))));
                    }
                    iface.dhcp_program = Some(p.to_string());
                }
                _ => {}
            }
        }
        iface.options.push(Opt {
            key: key.to_string(),
            value,
        });
        Ok(())
    }

    fn end_stanza(&mut self) {
        self.current = None;
    }

    /// Checks what only the whole configuration shows.
    fn finish(self) -> Result<Config, Error> {
        for iface in &self.ifaces {
            if let Some((raw, id)) = &iface.vlan {
                if raw.is_empty() || *id == 0 {
                    let what = if raw.is_empty() {
                        "vlan-raw-device"
                    } else {
                        "vlan-id"
                    };
                    return Err(Self::error(
                        &iface.file,
                        iface.line,
                        ErrorKind::MissingValue(what.into()),
                    ));
                }
            }
            if iface.uses.iter().any(|u| u == "vlan") && iface.vlan.is_none() {
                return Err(Self::error(
                    &iface.file,
                    iface.line,
                    ErrorKind::MissingValue("vlan-raw-device".into()),
                ));
            }
        }
        Ok(Config {
            ifaces: self.ifaces,
        })
    }
}

/// Files matching `pattern` (relative to `base` unless absolute), sorted;
/// wildcards (`*`, `?`) only in the last component, as `source` uses them.
fn glob(base: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let full = base.join(pattern);
    let name = full
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains(['*', '?']) {
        return Ok(vec![full]);
    }
    let dir = full.parent().unwrap_or(Path::new("/"));
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        // A pattern that matches nothing is not an error (as sh's glob in
        // ifupdown-ng): interfaces.d may well be missing.
        Err(_) => return Ok(out),
    };
    for e in entries.flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if !n.starts_with('.') && wildcard(name.as_bytes(), n.as_bytes()) {
            out.push(e.path());
        }
    }
    out.sort();
    Ok(out)
}

/// `*` and `?` matching, backtracking only to the last `*` so that no
/// pattern takes more than quadratic time.
fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                // Let the last `*` take one more byte and retry from there.
                Some((sp, st)) => {
                    star = Some((sp, st + 1));
                    p = sp + 1;
                    t = st + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// `source-directory`: the files in `dir` whose names are letters, digits,
/// `_` and `-` only (run-parts' rule, so editor backups stay out), sorted.
fn directory(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {}", dir.display(), crate::common::strerror(&e)))?;
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                && e.path().is_file()
        })
        .map(|e| e.path())
        .collect();
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Error> {
        parse_str(Path::new("/etc/network/interfaces"), text)
    }

    fn error(text: &str) -> String {
        parse(text).expect_err("should fail").to_string()
    }

    #[test]
    fn stanzas_and_keywords() {
        let c = parse(
            "# comment\n\
             auto lo eth0\n\
             allow-hotplug eth1\n\
             iface lo inet loopback\n\
             \n\
             iface eth0 inet static\n\
             \taddress 192.168.1.2\n\
             \tnetmask 255.255.255.0\n\
             \tgateway 192.168.1.1\n\
             \tmtu 1400\n\
             \thwaddress ether 02:00:00:00:00:01\n\
             \tmetric 5\n\
             \thostname box\n\
             \tpre-up echo pre\n\
             \tup echo up\n\
             \tpost-up echo post\n\
             \tpre-down echo pd\n\
             \tdown echo d\n\
             \tpost-down echo \\\n\
             \t  continued\n\
             iface eth0 inet6 static\n\
             \taddress 2001:db8::1/64\n\
             \tgateway 2001:db8::ff\n\
             iface eth1 inet dhcp\n\
             \tdhcp-program /tmp/fake\n\
             iface eth2 inet6 auto\n\
             iface eth3 inet manual\n",
        )
        .expect("parse");
        assert_eq!(c.auto(), ["lo", "eth0"]);
        let lo = c.get("lo").expect("lo");
        assert_eq!(lo.methods, [(Family::Inet, Method::Loopback)]);
        let e = c.get("eth0").expect("eth0");
        assert_eq!(
            e.addresses,
            [
                Cidr {
                    ip: "192.168.1.2".parse().unwrap(),
                    len: 24
                },
                Cidr {
                    ip: "2001:db8::1".parse().unwrap(),
                    len: 64
                }
            ]
        );
        assert_eq!(e.gateways.len(), 2);
        assert_eq!(e.mtu, Some(1400));
        assert_eq!(e.hwaddress, Some(vec![2, 0, 0, 0, 0, 1]));
        assert_eq!(e.metric, Some(5));
        assert_eq!(e.addrfam(), "inet,inet6");
        assert_eq!(e.line, 6);
        let phases: Vec<Phase> = e.hooks.iter().map(|h| h.0).collect();
        assert_eq!(
            phases,
            [
                Phase::PreUp,
                Phase::Up,
                Phase::PostUp,
                Phase::PreDown,
                Phase::Down,
                Phase::PostDown
            ]
        );
        assert_eq!(e.hooks[5].1, "echo continued");
        let env = e.env();
        assert_eq!(env["IF_ADDRESS"], "192.168.1.2 2001:db8::1/64");
        assert_eq!(env["IF_HOSTNAME"], "box");
        assert_eq!(env["IF_HWADDRESS"], "ether 02:00:00:00:00:01");
        assert!(!env.contains_key("IF_UP"));
        let e1 = c.get("eth1").expect("eth1");
        assert!(e1.allowed("hotplug") && !e1.auto && !e1.allowed("auto"));
        assert!(c.get("eth0").expect("eth0").allowed("auto"));
        assert_eq!(e1.method(), Method::Dhcp);
        assert_eq!(e1.dhcp_program.as_deref(), Some("/tmp/fake"));
        assert_eq!(c.get("eth2").expect("eth2").method(), Method::Auto);
        assert_eq!(c.get("eth3").expect("eth3").method(), Method::Manual);
    }

    #[test]
    fn bridges_vlans_and_dependencies() {
        let c = parse(
            "auto br0\n\
             iface br0\n\
             \tbridge-ports v0 v1\n\
             \tbridge-vlan-aware yes\n\
             \tbridge-vids 10 20-30,40\n\
             \tbridge-pvid 1\n\
             \taddress 10.0.0.1/24\n\
             iface br1\n\tbridge-ports none\n\
             iface br2\n\tuse bridge\n\
             iface v0.10 inet static\n\taddress 10.1.0.1/24\n\
             iface vlan20\n\tvlan-raw-device v1\n\
             iface myvlan\n\tvlan-raw-device v1\n\tvlan-id 30\n\
             iface tun\n\trequires br0 v0.10\n",
        )
        .expect("parse");
        let br = c.get("br0").expect("br0");
        assert!(br.is_bridge() && br.bridge_vlan_aware);
        assert_eq!(
            br.bridge_ports.as_deref(),
            Some(&["v0".into(), "v1".into()][..])
        );
        assert_eq!(br.bridge_vids, [(10, 10), (20, 30), (40, 40)]);
        assert_eq!(br.bridge_pvid, Some(1));
        assert_eq!(br.dependencies(), ["v0", "v1"]);
        assert_eq!(c.get("br1").expect("br1").bridge_ports, Some(vec![]));
        assert!(c.get("br2").expect("br2").is_bridge());
        assert_eq!(c.get("v0.10").expect("v").vlan, Some(("v0".into(), 10)));
        assert_eq!(c.get("vlan20").expect("v").vlan, Some(("v1".into(), 20)));
        assert_eq!(c.get("myvlan").expect("v").vlan, Some(("v1".into(), 30)));
        let tun = c.get("tun").expect("tun");
        assert_eq!(tun.requires, ["br0", "v0.10"]);
        assert_eq!(
            c.up_order(&["tun".into()]).expect("order"),
            ["v0", "v1", "br0", "v0.10", "tun"]
        );
        assert_eq!(
            c.down_order(&["v0".into(), "br0".into(), "tun".into()])
                .expect("order"),
            ["tun", "br0", "v0"]
        );
    }

    #[test]
    fn dependency_loops_are_named() {
        let c = parse("iface a\n\trequires b\niface b\n\trequires a\n").expect("parse");
        assert_eq!(
            c.up_order(&["a".into()]).expect_err("loop"),
            ["a", "b", "a"]
        );
    }

    #[test]
    fn use_and_unknown_options() {
        let c = parse("allow-auto e\niface e\n\tuse link dhcp\n\twireless-essid home\n")
            .expect("parse");
        assert_eq!(c.auto(), ["e"]);
        let e = c.get("e").expect("e");
        assert_eq!(e.uses, ["link", "dhcp"]);
        assert_eq!(e.env()["IF_WIRELESS_ESSID"], "home");
    }

    #[test]
    fn errors_name_file_and_line() {
        let f = "/etc/network/interfaces";
        assert_eq!(
            error("auto lo\n\niface lo inet loopy\n"),
            format!("{f}:3: unknown method 'loopy'")
        );
        assert_eq!(
            error("iface e inet static\n  address 10.0.0.300/24\n"),
            format!("{f}:2: invalid value '10.0.0.300/24' for 'address'")
        );
        assert_eq!(
            error("iface e inet static\n  address 10.0.0.1\n  netmask 255.0.255.0\n"),
            format!("{f}:3: invalid value '255.0.255.0' for 'netmask'")
        );
        assert_eq!(
            error("iface e ipx static\n"),
            format!("{f}:1: unknown address family 'ipx'")
        );
        assert_eq!(
            error("iface e inet auto\n"),
            format!("{f}:1: unknown method 'auto'")
        );
        assert_eq!(
            error("iface e inet6 dhcp\n"),
            format!("{f}:1: inet6 dhcp is not supported")
        );
        assert_eq!(
            error("  address 10.0.0.1\n"),
            format!("{f}:1: option 'address' outside of an iface stanza")
        );
        assert_eq!(
            error("frobnicate eth0\n"),
            format!("{f}:1: unknown keyword 'frobnicate'")
        );
        assert_eq!(error("auto\n"), format!("{f}:1: 'auto' needs a value"));
        assert_eq!(
            error("iface e\n\tgateway\n"),
            format!("{f}:2: 'gateway' needs a value")
        );
        assert_eq!(
            error("iface e\n\tmtu big\n"),
            format!("{f}:2: invalid value 'big' for 'mtu'")
        );
        assert_eq!(
            error("iface e\n\thwaddress 02:00\n"),
            format!("{f}:2: invalid value '02:00' for 'hwaddress'")
        );
        assert_eq!(
            error("iface e\n\tmetric -1\n"),
            format!("{f}:2: invalid value '-1' for 'metric'")
        );
        assert_eq!(
            error("iface e\n\tbridge-vids 5000\n"),
            format!("{f}:2: invalid value '5000' for 'bridge-vids'")
        );
        assert_eq!(
            error("iface e\n\tbridge-pvid 0\n"),
            format!("{f}:2: invalid value '0' for 'bridge-pvid'")
        );
        assert_eq!(
            error("iface e\n\tbridge-vlan-aware maybe\n"),
            format!("{f}:2: invalid value 'maybe' for 'bridge-vlan-aware'")
        );
        assert_eq!(
            error("iface e\n\tbridge-ports e\n"),
            format!("{f}:2: invalid value 'e' for 'bridge-ports'")
        );
        assert_eq!(
            error("iface e\n\tuse magic\n"),
            format!("{f}:2: unknown executor 'magic' in 'use'")
        );
        assert_eq!(
            error("iface e\n\trequires e\n"),
            format!("{f}:2: invalid value 'e' for 'requires'")
        );
        assert_eq!(
            error("iface e\n\tvlan-id 7\n"),
            format!("{f}:1: 'vlan-raw-device' needs a value")
        );
        assert_eq!(
            error("iface e\n\tvlan-raw-device x\n"),
            format!("{f}:1: 'vlan-id' needs a value")
        );
        assert_eq!(
            error("iface e\n\tdhcp-program dhclient\n"),
            format!("{f}:2: dhcp-program dhclient is not supported")
        );
        assert_eq!(
            error("iface averyveryverylongname\n"),
            format!("{f}:1: invalid interface name 'averyveryverylongname'")
        );
        assert_eq!(
            error("iface e inet static\n\taddress 2001:db8::1/64\n"),
            format!("{f}:2: invalid value '2001:db8::1/64' for 'address'")
        );
        assert_eq!(
            error("iface e\n\tup echo \\\n"),
            format!("{f}:2: line continuation at the end of the file")
        );
        assert_eq!(
            error("mapping eth0\n"),
            format!("{f}:1: mapping is not supported")
        );
    }

    #[test]
    fn wildcards() {
        assert!(wildcard(b"*.cfg", b"a.cfg"));
        assert!(wildcard(b"*", b""));
        assert!(wildcard(b"a?c*", b"abcdef"));
        assert!(!wildcard(b"*.cfg", b"a.cfgx"));
        assert!(!wildcard(b"a?c", b"ac"));
        assert!(wildcard(b"*a*a*a*a*b", b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"));
        assert!(!wildcard(b"*a*a*a*a*b", &[b'a'; 200]));
    }

    #[test]
    fn netmask_forms() {
        assert_eq!(netmask_len("255.255.255.0"), Some(24));
        assert_eq!(netmask_len("255.255.255.255"), Some(32));
        assert_eq!(netmask_len("0.0.0.0"), Some(0));
        assert_eq!(netmask_len("16"), Some(16));
        assert_eq!(netmask_len("255.0.255.0"), None);
        let c = parse("iface e inet6 static\n\taddress 2001:db8::2\n\tnetmask 64\n").expect("v6");
        assert_eq!(c.get("e").expect("e").addresses[0].len, 64);
        // An explicit length is not overridden.
        let c = parse("iface e\n\taddress 10.0.0.1/8\n\tnetmask 255.255.0.0\n").expect("v4");
        assert_eq!(c.get("e").expect("e").addresses[0].len, 8);
    }

    #[test]
    fn source_and_source_directory() {
        let dir = std::env::temp_dir().join(format!("ibex-ifaces-{}", std::process::id()));
        let d = dir.join("interfaces.d");
        std::fs::create_dir_all(&d).expect("mkdir");
        std::fs::write(
            dir.join("interfaces"),
            "source interfaces.d/*.cfg\nsource-directory more\n",
        )
        .expect("write");
        std::fs::write(d.join("b.cfg"), "auto b\niface b inet manual\n").expect("write");
        std::fs::write(d.join("a.cfg"), "iface a inet manual\n").expect("write");
        std::fs::write(d.join("c.txt"), "garbage\n").expect("write");
        let m = dir.join("more");
        std::fs::create_dir_all(&m).expect("mkdir");
        std::fs::write(m.join("x"), "iface x\n").expect("write");
        std::fs::write(m.join("x.bak"), "garbage\n").expect("write");
        let c = load(&dir.join("interfaces")).expect("load");
        let names: Vec<&str> = c.ifaces.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "x"]);
        assert_eq!(c.auto(), ["b"]);
        assert_eq!(c.get("a").expect("a").file, d.join("a.cfg"));
        // A mistake in a sourced file names that file.
        std::fs::write(d.join("a.cfg"), "iface a inet manual\n  mtu 1\n").expect("write");
        let e = load(&dir.join("interfaces")).expect_err("bad mtu");
        assert_eq!(e.file, d.join("a.cfg"));
        assert_eq!(e.line, 2);
        // A file that sources itself is a loop.
        std::fs::write(dir.join("loop"), "source loop\n").expect("write");
        let e = load(&dir.join("loop")).expect_err("loop");
        assert_eq!(e.kind, ErrorKind::TooDeep);
        let e = load(&dir.join("missing")).expect_err("missing");
        assert_eq!(
            e.to_string(),
            format!(
                "{}: No such file or directory",
                dir.join("missing").display()
            )
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
