//! `/etc/firewall.conf`: reading and checking it. The format is described
//! in `applets/fw.rs` and docs/formats.md; every error names the line it
//! was found on.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

/// What happens to a packet no rule decided on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Let it through.
    Accept,
    /// Drop it silently.
    Drop,
    /// Drop it and tell the sender (TCP reset or ICMP port unreachable).
    Reject,
}

/// The policies of traffic that comes from, or goes to, no zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Defaults {
    /// To this host.
    pub input: Policy,
    /// Through this host.
    pub forward: Policy,
    /// From this host.
    pub output: Policy,
}

impl Default for Defaults {
    /// Closed to the outside, open from the inside: what a router wants
    /// when an interface belongs to no zone.
    fn default() -> Defaults {
        Defaults {
            input: Policy::Drop,
            forward: Policy::Drop,
            output: Policy::Accept,
        }
    }
}

/// A set of interfaces treated alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// Its name.
    pub name: String,
    /// The line it starts on.
    pub line: usize,
    /// Interface names; one ending in `*` matches every name it starts.
    pub interfaces: Vec<String>,
    /// Traffic from the zone to this host (the default's when not given).
    pub input: Policy,
    /// Traffic from the zone through this host.
    pub forward: Policy,
    /// Traffic from this host out through the zone.
    pub output: Policy,
    /// Whether IPv4 leaving through the zone takes its interface's address.
    pub masquerade: bool,
}

/// `forwarding A -> B`: traffic from zone A may go out through zone B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarding {
    /// Source zone.
    pub from: String,
    /// Destination zone.
    pub to: String,
    /// Its line.
    pub line: usize,
}

/// A transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// TCP (6).
    Tcp,
    /// UDP (17).
    Udp,
    /// ICMP (1), IPv4 only.
    Icmp,
    /// ICMPv6 (58), IPv6 only.
    Icmpv6,
    /// Any other protocol by number.
    Number(u8),
}

impl Proto {
    /// The IP protocol number.
    pub fn number(self) -> u8 {
        match self {
            Proto::Tcp => 6,
            Proto::Udp => 17,
            Proto::Icmp => 1,
            Proto::Icmpv6 => 58,
            Proto::Number(n) => n,
        }
    }

    /// Whether it has ports.
    pub fn has_ports(self) -> bool {
        matches!(self, Proto::Tcp | Proto::Udp)
    }
}

/// An address family restriction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4 only.
    Ipv4,
    /// IPv6 only.
    Ipv6,
}

/// An address with a prefix length (a whole address when none was given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    /// The address, host bits cleared.
    pub addr: IpAddr,
    /// Prefix length in bits.
    pub prefix: u8,
}

impl Net {
    /// Its family.
    pub fn family(&self) -> Family {
        match self.addr {
            IpAddr::V4(_) => Family::Ipv4,
            IpAddr::V6(_) => Family::Ipv6,
        }
    }
}

/// A port or an inclusive range of ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    /// First port.
    pub from: u16,
    /// Last port (equal to `from` for one port).
    pub to: u16,
}

/// A filter rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Its name.
    pub name: String,
    /// The line it starts on.
    pub line: usize,
    /// The zone the traffic comes from.
    pub zone: String,
    /// For forwarded traffic: the zone it goes to. Without it the rule is
    /// about traffic to this host.
    pub dest: Option<String>,
    /// Address family, when restricted.
    pub family: Option<Family>,
    /// Transport protocol.
    pub proto: Option<Proto>,
    /// Source addresses.
    pub src: Option<Net>,
    /// Destination addresses.
    pub dst: Option<Net>,
    /// Source ports.
    pub sport: Option<Ports>,
    /// Destination ports.
    pub dport: Option<Ports>,
    /// What is done with matching packets.
    pub action: Policy,
}

/// A port forward: TCP or UDP to a port of this host from a zone goes to
/// another address (and port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// Its name.
    pub name: String,
    /// The line it starts on.
    pub line: usize,
    /// The zone the traffic comes from.
    pub from: String,
    /// TCP or UDP.
    pub proto: Proto,
    /// The port it arrives at.
    pub dport: u16,
    /// Where it goes.
    pub to: Ipv4Addr,
    /// The port it goes to; the same when not given.
    pub to_port: Option<u16>,
}

/// A whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    /// Policies outside zones.
    pub defaults: Defaults,
    /// Zones, in file order.
    pub zones: Vec<Zone>,
    /// Forwardings.
    pub forwardings: Vec<Forwarding>,
    /// Rules, in file order (the first match wins).
    pub rules: Vec<Rule>,
    /// Port forwards.
    pub redirects: Vec<Redirect>,
}

impl Config {
    /// The zone called `name`.
    pub fn zone(&self, name: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.name == name)
    }
}

/// What is wrong with a configuration, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The line (from 1).
    pub line: usize,
    /// What.
    pub kind: ErrorKind,
}

/// The kinds of mistakes [`parse`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// A word where another was expected.
    Expected {
        /// What was expected.
        what: &'static str,
        /// What was found ("end of file" at the end).
        found: String,
    },
    /// A section or setting that does not exist.
    Unknown {
        /// "section", "zone setting", ...
        what: &'static str,
        /// The word.
        word: String,
    },
    /// A setting given the wrong number of values.
    Arity {
        /// The setting.
        setting: String,
        /// How many values it takes ("one", "none", "at least one").
        wants: &'static str,
    },
    /// A name that is not letters, digits, `-` and `_`, or too long.
    BadName(String),
    /// An interface name the kernel would not take.
    BadInterface(String),
    /// Not accept, drop or reject.
    BadPolicy(String),
    /// Not a protocol name or number.
    BadProto(String),
    /// Not a port (1-65535) or range.
    BadPort(String),
    /// Not an address or address/prefix.
    BadAddress(String),
    /// Not ipv4 or ipv6.
    BadFamily(String),
    /// A second zone, rule or redirect of the same name.
    Duplicate {
        /// "zone", "rule", "redirect".
        what: &'static str,
        /// The name.
        name: String,
        /// Where the first one is.
        first: usize,
    },
    /// A setting given twice in one section.
    Repeated(String),
    /// A zone that is not defined.
    UnknownZone(String),
    /// An interface listed in two zones.
    InterfaceInTwoZones {
        /// The interface (or pattern) in the second zone.
        interface: String,
        /// The interface (or pattern) in the first zone that names it too.
        other: String,
        /// The zone it is in first.
        first: String,
        /// The zone it is listed in again.
        second: String,
    },
    /// A zone with no interfaces.
    NoInterfaces(String),
    /// A section lacking a setting it needs.
    Missing {
        /// The section ("rule ssh").
        section: String,
        /// The setting.
        setting: &'static str,
    },
    /// Ports given for a protocol without them.
    PortsNeedTcpOrUdp,
    /// Settings about different address families in one rule.
    MixedFamilies,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Expected { what, found } => write!(f, "expected {what}, found {found}"),
            ErrorKind::Unknown { what, word } => write!(f, "unknown {what} '{word}'"),
            ErrorKind::Arity { setting, wants } => {
                write!(f, "'{setting}' takes {wants} value(s)")
            }
            ErrorKind::BadName(n) => write!(
                f,
                "bad name '{n}': use up to 24 letters, digits, '-' and '_'"
            ),
            ErrorKind::BadInterface(n) => write!(f, "bad interface name '{n}'"),
            ErrorKind::BadPolicy(p) => {
                write!(f, "bad policy '{p}': use accept, drop or reject")
            }
            ErrorKind::BadProto(p) => write!(
                f,
                "bad protocol '{p}': use tcp, udp, icmp, icmpv6 or a number"
            ),
            ErrorKind::BadPort(p) => write!(f, "bad port '{p}': use 1-65535 or a range A-B"),
            ErrorKind::BadAddress(a) => write!(f, "bad address '{a}'"),
            ErrorKind::BadFamily(a) => write!(f, "bad family '{a}': use ipv4 or ipv6"),
            ErrorKind::Duplicate { what, name, first } => {
                write!(f, "{what} '{name}' is already defined on line {first}")
            }
            ErrorKind::Repeated(s) => write!(f, "'{s}' is given twice"),
            ErrorKind::UnknownZone(z) => write!(f, "unknown zone '{z}'"),
            ErrorKind::InterfaceInTwoZones {
                interface,
                other,
                first,
                second,
            } if interface == other => write!(
                f,
                "interface '{interface}' is in zone '{first}' and in zone '{second}'"
            ),
            ErrorKind::InterfaceInTwoZones {
                interface,
                other,
                first,
                second,
            } => write!(
                f,
                "interface '{interface}' of zone '{second}' overlaps '{other}' of zone '{first}'"
            ),
            ErrorKind::NoInterfaces(z) => write!(f, "zone '{z}' has no interfaces"),
            ErrorKind::Missing { section, setting } => {
                write!(f, "{section} needs '{setting}'")
            }
            ErrorKind::PortsNeedTcpOrUdp => f.write_str("ports need 'proto tcp' or 'proto udp'"),
            ErrorKind::MixedFamilies => f.write_str("settings for IPv4 and for IPv6 in one rule"),
        }
    }
}

/// A word of the file and its line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    text: String,
    line: usize,
}

/// Splits the file into words and the punctuation `{`, `}` and `;`;
/// `#` starts a comment, and a line that ends in a word ends in a `;`.
fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let code = line.split('#').next().unwrap_or("");
        let mut word = String::new();
        for c in code.chars() {
            if c.is_whitespace() || matches!(c, '{' | '}' | ';') {
                if !word.is_empty() {
                    tokens.push(Token {
                        text: std::mem::take(&mut word),
                        line: line_no,
                    });
                }
                if !c.is_whitespace() {
                    tokens.push(Token {
                        text: c.to_string(),
                        line: line_no,
                    });
                }
            } else {
                word.push(c);
            }
        }
        if !word.is_empty() {
            tokens.push(Token {
                text: word,
                line: line_no,
            });
        }
        // The end of a line ends a setting, as a `;` does.
        if tokens
            .last()
            .is_some_and(|t| t.line == line_no && !matches!(t.text.as_str(), "{" | "}" | ";"))
        {
            tokens.push(Token {
                text: ";".into(),
                line: line_no,
            });
        }
    }
    tokens
}

/// One `setting value...;` inside a section.
struct Setting {
    name: String,
    values: Vec<String>,
    line: usize,
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    last_line: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self, what: &'static str) -> Result<Token, Error> {
        match self.tokens.get(self.at) {
            Some(t) => {
                self.at += 1;
                Ok(t.clone())
            }
            None => Err(Error {
                line: self.last_line,
                kind: ErrorKind::Expected {
                    what,
                    found: "end of file".into(),
                },
            }),
        }
    }

    fn expect(&mut self, text: &'static str) -> Result<Token, Error> {
        let t = self.next(text)?;
        if t.text != text {
            return Err(Error {
                line: t.line,
                kind: ErrorKind::Expected {
                    what: text,
                    found: format!("'{}'", t.text),
                },
            });
        }
        Ok(t)
    }

    /// A name: of a section or a zone.
    fn name(&mut self) -> Result<Token, Error> {
        let t = self.next("a name")?;
        if matches!(t.text.as_str(), "{" | "}" | ";") {
            return Err(Error {
                line: t.line,
                kind: ErrorKind::Expected {
                    what: "a name",
                    found: format!("'{}'", t.text),
                },
            });
        }
        check_name(&t)?;
        Ok(t)
    }

    /// `{ setting values; ... }`; the `;` before `}` or a line's end may be
    /// left out.
    fn block(&mut self) -> Result<Vec<Setting>, Error> {
        // The brace may be on the next line.
        while self.peek().is_some_and(|t| t.text == ";") {
            self.at += 1;
        }
        self.expect("{")?;
        let mut settings = Vec::new();
        loop {
            let t = self.next("a setting or '}'")?;
            match t.text.as_str() {
                "}" => return Ok(settings),
                ";" => continue,
                "{" => {
                    return Err(Error {
                        line: t.line,
                        kind: ErrorKind::Expected {
                            what: "a setting or '}'",
                            found: "'{'".into(),
                        },
                    })
                }
                _ => {}
            }
            let mut values = Vec::new();
            loop {
                let v = self.next("';' or '}'")?;
                match v.text.as_str() {
                    ";" => break,
                    "}" => {
                        self.at -= 1;
                        break;
                    }
                    "{" => {
                        return Err(Error {
                            line: v.line,
                            kind: ErrorKind::Expected {
                                what: "';' or '}'",
                                found: "'{'".into(),
                            },
                        })
                    }
                    _ => values.push(v.text),
                }
            }
            settings.push(Setting {
                name: t.text,
                values,
                line: t.line,
            });
        }
    }
}

fn check_name(t: &Token) -> Result<(), Error> {
    let ok = !t.text.is_empty()
        && t.text.len() <= 24
        && t.text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error {
            line: t.line,
            kind: ErrorKind::BadName(t.text.clone()),
        })
    }
}

/// The one value of `s`.
fn one(s: &Setting) -> Result<&str, Error> {
    match s.values.as_slice() {
        [v] => Ok(v),
        _ => Err(Error {
            line: s.line,
            kind: ErrorKind::Arity {
                setting: s.name.clone(),
                wants: "one",
            },
        }),
    }
}

/// Checks that `s` has no value (a flag).
fn none(s: &Setting) -> Result<(), Error> {
    if s.values.is_empty() {
        Ok(())
    } else {
        Err(Error {
            line: s.line,
            kind: ErrorKind::Arity {
                setting: s.name.clone(),
                wants: "no",
            },
        })
    }
}

/// Stores `value` in `slot`, refusing a second one.
fn set<T>(slot: &mut Option<T>, value: T, s: &Setting) -> Result<(), Error> {
    if slot.is_some() {
        return Err(Error {
            line: s.line,
            kind: ErrorKind::Repeated(s.name.clone()),
        });
    }
    *slot = Some(value);
    Ok(())
}

fn policy(s: &Setting) -> Result<Policy, Error> {
    let v = one(s)?;
    parse_policy(v).ok_or(Error {
        line: s.line,
        kind: ErrorKind::BadPolicy(v.into()),
    })
}

fn parse_policy(v: &str) -> Option<Policy> {
    match v {
        "accept" => Some(Policy::Accept),
        "drop" => Some(Policy::Drop),
        "reject" => Some(Policy::Reject),
        _ => None,
    }
}

fn proto(s: &Setting) -> Result<Proto, Error> {
    let v = one(s)?;
    Ok(match v {
        "tcp" => Proto::Tcp,
        "udp" => Proto::Udp,
        "icmp" => Proto::Icmp,
        "icmpv6" | "ipv6-icmp" => Proto::Icmpv6,
        n => match n.parse::<u8>() {
            Ok(6) => Proto::Tcp,
            Ok(17) => Proto::Udp,
            Ok(1) => Proto::Icmp,
            Ok(58) => Proto::Icmpv6,
            Ok(n) => Proto::Number(n),
            Err(_) => {
                return Err(Error {
                    line: s.line,
                    kind: ErrorKind::BadProto(v.into()),
                })
            }
        },
    })
}

/// A port from 1 to 65535, in decimal.
fn parse_port(v: &str) -> Option<u16> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse::<u16>().ok().filter(|&p| p != 0)
}

fn ports(s: &Setting) -> Result<Ports, Error> {
    let v = one(s)?;
    let bad = || Error {
        line: s.line,
        kind: ErrorKind::BadPort(v.into()),
    };
    let (from, to) = match v.split_once('-') {
        Some((a, b)) => (
            parse_port(a).ok_or_else(bad)?,
            parse_port(b).ok_or_else(bad)?,
        ),
        None => {
            let p = parse_port(v).ok_or_else(bad)?;
            (p, p)
        }
    };
    if from > to {
        return Err(bad());
    }
    Ok(Ports { from, to })
}

fn net(s: &Setting) -> Result<Net, Error> {
    let v = one(s)?;
    parse_net(v).ok_or(Error {
        line: s.line,
        kind: ErrorKind::BadAddress(v.into()),
    })
}

/// `ADDR` or `ADDR/PREFIX`; host bits are cleared.
fn parse_net(v: &str) -> Option<Net> {
    let (addr, prefix) = match v.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (v, None),
    };
    let addr: IpAddr = addr.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse::<u8>().ok()?
        }
        Some(_) => return None,
        None => max,
    };
    if prefix > max {
        return None;
    }
    let addr = match addr {
        IpAddr::V4(a) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(std::net::Ipv6Addr::from(u128::from(a) & mask))
        }
    };
    Some(Net { addr, prefix })
}

/// Whether the kernel would take `name` as an interface name (IFNAMSIZ
/// less the NUL, no `/`, `:` or spaces); a final `*` makes it a prefix.
fn valid_interface(name: &str) -> bool {
    let stem = name.strip_suffix('*').unwrap_or(name);
    !stem.is_empty()
        && name.len() <= 15
        && stem != "."
        && stem != ".."
        && !stem
            .chars()
            .any(|c| c == '/' || c == ':' || c == '*' || c.is_whitespace() || c.is_control())
}

fn unknown(s: &Setting, what: &'static str) -> Error {
    Error {
        line: s.line,
        kind: ErrorKind::Unknown {
            what,
            word: s.name.clone(),
        },
    }
}

fn missing(section: String, setting: &'static str, line: usize) -> Error {
    Error {
        line,
        kind: ErrorKind::Missing { section, setting },
    }
}

/// Reads and checks a configuration.
pub fn parse(text: &str) -> Result<Config, Error> {
    let tokens = tokenize(text);
    let last_line = tokens.last().map(|t| t.line).unwrap_or(1);
    let mut p = Parser {
        tokens,
        at: 0,
        last_line,
    };
    let mut config = Config::default();
    let mut defaults_seen = false;
    let mut unset: Vec<Unset> = Vec::new();
    while let Some(t) = p.peek().cloned() {
        p.at += 1;
        match t.text.as_str() {
            ";" => {}
            "defaults" => {
                if defaults_seen {
                    return Err(Error {
                        line: t.line,
                        kind: ErrorKind::Repeated("defaults".into()),
                    });
                }
                defaults_seen = true;
                for s in p.block()? {
                    match s.name.as_str() {
                        "input" => config.defaults.input = policy(&s)?,
                        "forward" => config.defaults.forward = policy(&s)?,
                        "output" => config.defaults.output = policy(&s)?,
                        _ => return Err(unknown(&s, "defaults setting")),
                    }
                }
            }
            "zone" => {
                let name = p.name()?;
                let (zone, zone_unset) = zone(&name, p.block()?)?;
                if let Some(first) = config.zone(&zone.name) {
                    return Err(Error {
                        line: name.line,
                        kind: ErrorKind::Duplicate {
                            what: "zone",
                            name: name.text,
                            first: first.line,
                        },
                    });
                }
                config.zones.push(zone);
                unset.push(zone_unset);
            }
            "forwarding" => {
                let from = p.name()?;
                p.expect("->")?;
                let to = p.name()?;
                config.forwardings.push(Forwarding {
                    from: from.text,
                    to: to.text,
                    line: t.line,
                });
            }
            "rule" => {
                let name = p.name()?;
                let rule = rule(&name, p.block()?)?;
                if let Some(first) = config.rules.iter().find(|r| r.name == rule.name) {
                    return Err(Error {
                        line: name.line,
                        kind: ErrorKind::Duplicate {
                            what: "rule",
                            name: name.text,
                            first: first.line,
                        },
                    });
                }
                config.rules.push(rule);
            }
            "redirect" => {
                let name = p.name()?;
                let redirect = redirect(&name, p.block()?)?;
                if let Some(first) = config.redirects.iter().find(|r| r.name == redirect.name) {
                    return Err(Error {
                        line: name.line,
                        kind: ErrorKind::Duplicate {
                            what: "redirect",
                            name: name.text,
                            first: first.line,
                        },
                    });
                }
                config.redirects.push(redirect);
            }
            _ => {
                return Err(Error {
                    line: t.line,
                    kind: ErrorKind::Unknown {
                        what: "section",
                        word: t.text,
                    },
                })
            }
        }
    }
    // A zone without a policy takes the default one, as in fw4, so that
    // leaving it out never opens more than the defaults do.
    for (zone, unset) in config.zones.iter_mut().zip(unset) {
        let d = config.defaults;
        for (slot, (policy, default)) in unset.iter().zip([
            (&mut zone.input, d.input),
            (&mut zone.forward, d.forward),
            (&mut zone.output, d.output),
        ]) {
            if *slot {
                *policy = default;
            }
        }
    }
    check_references(&config)?;
    Ok(config)
}

/// The policies a zone section left out, which the `defaults` give.
type Unset = [bool; 3];

fn zone(name: &Token, settings: Vec<Setting>) -> Result<(Zone, Unset), Error> {
    let mut interfaces: Option<Vec<String>> = None;
    let (mut input, mut forward, mut output) = (None, None, None);
    let mut masquerade = None;
    for s in &settings {
        match s.name.as_str() {
            "interfaces" | "interface" => {
                if s.values.is_empty() {
                    return Err(Error {
                        line: s.line,
                        kind: ErrorKind::Arity {
                            setting: s.name.clone(),
                            wants: "at least one",
                        },
                    });
                }
                if let Some(bad) = s.values.iter().find(|i| !valid_interface(i)) {
                    return Err(Error {
                        line: s.line,
                        kind: ErrorKind::BadInterface(bad.clone()),
                    });
                }
                set(&mut interfaces, s.values.clone(), s)?;
            }
            "input" => set(&mut input, policy(s)?, s)?,
            "forward" => set(&mut forward, policy(s)?, s)?,
            "output" => set(&mut output, policy(s)?, s)?,
            "masquerade" => {
                none(s)?;
                set(&mut masquerade, true, s)?;
            }
            _ => return Err(unknown(s, "zone setting")),
        }
    }
    let interfaces = interfaces.ok_or_else(|| Error {
        line: name.line,
        kind: ErrorKind::NoInterfaces(name.text.clone()),
    })?;
    let unset = [input.is_none(), forward.is_none(), output.is_none()];
    let mut zone = Zone {
        name: name.text.clone(),
        line: name.line,
        interfaces,
        // Placeholders until the defaults are known (they may come later
        // in the file): see `Unset`.
        input: Policy::Accept,
        forward: Policy::Accept,
        output: Policy::Accept,
        masquerade: masquerade.unwrap_or(false),
    };
    zone.input = input.unwrap_or(zone.input);
    zone.forward = forward.unwrap_or(zone.forward);
    zone.output = output.unwrap_or(zone.output);
    Ok((zone, unset))
}

fn rule(name: &Token, settings: Vec<Setting>) -> Result<Rule, Error> {
    let section = format!("rule '{}'", name.text);
    let mut zone = None;
    let mut dest = None;
    let mut family = None;
    let mut proto_ = None;
    let (mut src, mut dst, mut sport, mut dport) = (None, None, None, None);
    let mut action = None;
    for s in &settings {
        match s.name.as_str() {
            "zone" | "from" => set(&mut zone, one(s)?.to_string(), s)?,
            "dest" | "to" => set(&mut dest, one(s)?.to_string(), s)?,
            "family" => {
                let f = match one(s)? {
                    "ipv4" => Family::Ipv4,
                    "ipv6" => Family::Ipv6,
                    v => {
                        return Err(Error {
                            line: s.line,
                            kind: ErrorKind::BadFamily(v.into()),
                        })
                    }
                };
                set(&mut family, f, s)?;
            }
            "proto" => set(&mut proto_, proto(s)?, s)?,
            "src" => set(&mut src, net(s)?, s)?,
            "dst" => set(&mut dst, net(s)?, s)?,
            "sport" => set(&mut sport, ports(s)?, s)?,
            "dport" => set(&mut dport, ports(s)?, s)?,
            word => match parse_policy(word) {
                Some(p) => {
                    none(s)?;
                    set(&mut action, p, s)?;
                }
                None => return Err(unknown(s, "rule setting")),
            },
        }
    }
    let zone = zone.ok_or_else(|| missing(section.clone(), "zone", name.line))?;
    let action =
        action.ok_or_else(|| missing(section.clone(), "accept, drop or reject", name.line))?;
    if (sport.is_some() || dport.is_some()) && !proto_.is_some_and(Proto::has_ports) {
        return Err(Error {
            line: name.line,
            kind: ErrorKind::PortsNeedTcpOrUdp,
        });
    }
    // Everything that implies a family must imply the same one.
    let implied = [
        family,
        src.map(|n: Net| n.family()),
        dst.map(|n: Net| n.family()),
        match proto_ {
            Some(Proto::Icmp) => Some(Family::Ipv4),
            Some(Proto::Icmpv6) => Some(Family::Ipv6),
            _ => None,
        },
    ];
    let mut families = implied.iter().flatten();
    let first = families.next().copied();
    if families.any(|f| Some(*f) != first) {
        return Err(Error {
            line: name.line,
            kind: ErrorKind::MixedFamilies,
        });
    }
    Ok(Rule {
        name: name.text.clone(),
        line: name.line,
        zone,
        dest,
        family: first,
        proto: proto_,
        src,
        dst,
        sport,
        dport,
        action,
    })
}

fn redirect(name: &Token, settings: Vec<Setting>) -> Result<Redirect, Error> {
    let section = format!("redirect '{}'", name.text);
    let (mut from, mut proto_, mut dport, mut to) = (None, None, None, None);
    for s in &settings {
        match s.name.as_str() {
            "from" | "zone" => set(&mut from, one(s)?.to_string(), s)?,
            "proto" => {
                let p = proto(s)?;
                if !p.has_ports() {
                    return Err(Error {
                        line: s.line,
                        kind: ErrorKind::PortsNeedTcpOrUdp,
                    });
                }
                set(&mut proto_, p, s)?;
            }
            "dport" => {
                let v = one(s)?;
                let p = parse_port(v).ok_or(Error {
                    line: s.line,
                    kind: ErrorKind::BadPort(v.into()),
                })?;
                set(&mut dport, p, s)?;
            }
            "to" => {
                let v = one(s)?;
                let target = parse_target(v).map_err(|kind| Error { line: s.line, kind })?;
                set(&mut to, target, s)?;
            }
            _ => return Err(unknown(s, "redirect setting")),
        }
    }
    let (to, to_port) = to.ok_or_else(|| missing(section.clone(), "to", name.line))?;
    Ok(Redirect {
        name: name.text.clone(),
        line: name.line,
        from: from.ok_or_else(|| missing(section.clone(), "from", name.line))?,
        proto: proto_.ok_or_else(|| missing(section.clone(), "proto", name.line))?,
        dport: dport.ok_or_else(|| missing(section.clone(), "dport", name.line))?,
        to,
        to_port,
    })
}

/// `ADDR` or `ADDR:PORT`, IPv4.
fn parse_target(v: &str) -> Result<(Ipv4Addr, Option<u16>), ErrorKind> {
    let (addr, port) = match v.split_once(':') {
        Some((a, p)) => (a, Some(p)),
        None => (v, None),
    };
    let addr: Ipv4Addr = addr
        .parse()
        .map_err(|_| ErrorKind::BadAddress(v.to_string()))?;
    let port = match port {
        Some(p) => Some(parse_port(p).ok_or_else(|| ErrorKind::BadPort(p.to_string()))?),
        None => None,
    };
    Ok((addr, port))
}

/// Whether interface patterns `a` and `b` can name the same interface
/// (`eth*` and `eth0`, or `eth*` and `et*`).
fn overlap(a: &str, b: &str) -> bool {
    match (a.strip_suffix('*'), b.strip_suffix('*')) {
        (None, None) => a == b,
        (Some(p), None) => b.starts_with(p),
        (None, Some(p)) => a.starts_with(p),
        (Some(p), Some(q)) => p.starts_with(q) || q.starts_with(p),
    }
}

/// Zones named by forwardings, rules and redirects must exist, and no
/// interface may be in two zones.
fn check_references(config: &Config) -> Result<(), Error> {
    let known = |name: &str, line: usize| {
        if config.zone(name).is_some() {
            Ok(())
        } else {
            Err(Error {
                line,
                kind: ErrorKind::UnknownZone(name.to_string()),
            })
        }
    };
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for zone in &config.zones {
        for interface in &zone.interfaces {
            if let Some((other, first)) = seen
                .iter()
                .find(|(i, z)| *z != zone.name && overlap(i, interface))
            {
                return Err(Error {
                    line: zone.line,
                    kind: ErrorKind::InterfaceInTwoZones {
                        interface: interface.clone(),
                        other: other.to_string(),
                        first: first.to_string(),
                        second: zone.name.clone(),
                    },
                });
            }
            seen.push((interface, &zone.name));
        }
    }
    for f in &config.forwardings {
        known(&f.from, f.line)?;
        known(&f.to, f.line)?;
    }
    for r in &config.rules {
        known(&r.zone, r.line)?;
        if let Some(d) = &r.dest {
            known(d, r.line)?;
        }
    }
    for r in &config.redirects {
        known(&r.from, r.line)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "\
# a router
zone lan { interfaces br-lan; input accept; forward accept; }
zone wan { interfaces eth0 ppp*; input drop; forward drop; masquerade; }
forwarding lan -> wan
rule allow-ssh-lan { zone lan; proto tcp; dport 22; accept; }
rule ping-wan { zone wan; proto icmp; accept }
rule web {
    zone wan
    dest lan
    proto tcp; dst 192.168.1.0/24; dport 8000-8100
    reject
}
redirect web { from wan; proto tcp; dport 8080; to 192.168.1.10:80; }
";

    fn error(text: &str) -> String {
        let e = parse(text).expect_err("should not parse");
        format!("{}: {e}", e.line)
    }

    #[test]
    fn reads_the_example() {
        let c = parse(EXAMPLE).expect("parses");
        assert_eq!(c.defaults, Defaults::default());
        assert_eq!(c.zones.len(), 2);
        assert_eq!(c.zones[1].interfaces, ["eth0", "ppp*"]);
        assert!(c.zones[1].masquerade && !c.zones[0].masquerade);
        assert_eq!(c.zones[1].input, Policy::Drop);
        assert_eq!(
            c.forwardings,
            [Forwarding {
                from: "lan".into(),
                to: "wan".into(),
                line: 4
            }]
        );
        assert_eq!(c.rules.len(), 3);
        assert_eq!(c.rules[0].dport, Some(Ports { from: 22, to: 22 }));
        assert_eq!(c.rules[1].family, Some(Family::Ipv4));
        let web = &c.rules[2];
        assert_eq!(web.line, 7);
        assert_eq!(web.dest.as_deref(), Some("lan"));
        assert_eq!(
            web.dport,
            Some(Ports {
                from: 8000,
                to: 8100
            })
        );
        assert_eq!(web.dst.map(|n| n.prefix), Some(24));
        assert_eq!(web.action, Policy::Reject);
        assert_eq!(c.redirects[0].to, Ipv4Addr::new(192, 168, 1, 10));
        assert_eq!(c.redirects[0].to_port, Some(80));
    }

    #[test]
    fn reports_mistakes_with_their_line() {
        let zones = "zone lan { interfaces br-lan; }\nzone wan { interfaces eth0; }\n";
        assert_eq!(
            error(&format!("{zones}forwarding lan -> dmz\n")),
            "3: unknown zone 'dmz'"
        );
        assert_eq!(
            error(&format!("{zones}\nrule a {{ zone dmz; accept; }}\n")),
            "4: unknown zone 'dmz'"
        );
        assert_eq!(
            error(&format!("{zones}zone dmz {{ interfaces eth1 eth0; }}\n")),
            "3: interface 'eth0' is in zone 'wan' and in zone 'dmz'"
        );
        assert_eq!(
            error(&format!(
                "{zones}rule a {{ zone lan;\n proto tcp; dport 70000; accept; }}\n"
            )),
            "4: bad port '70000': use 1-65535 or a range A-B"
        );
        assert_eq!(
            error(&format!(
                "{zones}rule a {{ zone lan; proto tcp; dport 0; accept; }}\n"
            )),
            "3: bad port '0': use 1-65535 or a range A-B"
        );
        assert_eq!(
            error(&format!(
                "{zones}rule a {{ zone lan; src 10.0.0.300; accept; }}\n"
            )),
            "3: bad address '10.0.0.300'"
        );
        assert_eq!(
            error(&format!(
                "{zones}rule a {{ zone lan; src 10.0.0.0/33; accept; }}\n"
            )),
            "3: bad address '10.0.0.0/33'"
        );
        assert_eq!(
            error(&format!(
                "{zones}rule a {{ zone lan; dport 22; accept; }}\n"
            )),
            "3: ports need 'proto tcp' or 'proto udp'"
        );
        assert_eq!(
            error(&format!("{zones}rule a {{ zone lan; proto tcp; }}\n")),
            "3: rule 'a' needs 'accept, drop or reject'"
        );
        assert_eq!(
            error(&format!(
                "{zones}rule a {{ zone lan; src 10.0.0.1; dst ::1; accept; }}\n"
            )),
            "3: settings for IPv4 and for IPv6 in one rule"
        );
        assert_eq!(
            error(&format!(
                "{zones}redirect r {{ from wan; proto tcp; dport 80; to 10.0.0.1:0; }}"
            )),
            "3: bad port '0': use 1-65535 or a range A-B"
        );
        assert_eq!(
            error(&format!("{zones}redirect r {{ from wan; proto icmp; }}")),
            "3: ports need 'proto tcp' or 'proto udp'"
        );
        assert_eq!(
            error(&format!(
                "{zones}redirect r {{ from wan; proto tcp; to 10.0.0.1; }}"
            )),
            "3: redirect 'r' needs 'dport'"
        );
        assert_eq!(
            error(&format!("{zones}zone dmz {{ interfaces eth*; }}\n")),
            "3: interface 'eth*' of zone 'dmz' overlaps 'eth0' of zone 'wan'"
        );
        assert_eq!(
            error("zone lan { interfaces br*; }\nzone wan { interfaces b*; }"),
            "2: interface 'b*' of zone 'wan' overlaps 'br*' of zone 'lan'"
        );
        assert_eq!(
            error("zone lan { input maybe; }"),
            "1: bad policy 'maybe': use accept, drop or reject"
        );
        assert_eq!(
            error("zone lan { input accept; }"),
            "1: zone 'lan' has no interfaces"
        );
        assert_eq!(
            error("zone lan { interfaces a/b; }"),
            "1: bad interface name 'a/b'"
        );
        assert_eq!(
            error("zone lan { interfaces abcdefghijklmnop; }"),
            "1: bad interface name 'abcdefghijklmnop'"
        );
        assert_eq!(
            error("zone lan { colour red; }"),
            "1: unknown zone setting 'colour'"
        );
        assert_eq!(
            error("zone lan {\n interfaces a;\n"),
            "2: expected a setting or '}', found end of file"
        );
        assert_eq!(
            error("zone lan interfaces a;"),
            "1: expected {, found 'interfaces'"
        );
        assert_eq!(error("zones lan {}"), "1: unknown section 'zones'");
        assert_eq!(
            error("zone lan { interfaces a; }\nzone lan { interfaces b; }"),
            "2: zone 'lan' is already defined on line 1"
        );
        assert_eq!(
            error("zone l@n { interfaces a; }"),
            "1: bad name 'l@n': use up to 24 letters, digits, '-' and '_'"
        );
        assert_eq!(
            error("zone lan { interfaces a; input accept; input drop; }"),
            "1: 'input' is given twice"
        );
        assert_eq!(error("forwarding lan wan"), "1: expected ->, found 'wan'");
    }

    #[test]
    fn zones_take_the_default_policies_they_leave_out() {
        let c = parse(
            "zone lan { interfaces a; forward reject; }\n\
             defaults { input reject; output drop; }",
        )
        .expect("parses");
        let lan = &c.zones[0];
        assert_eq!(
            (lan.input, lan.forward, lan.output),
            (Policy::Reject, Policy::Reject, Policy::Drop)
        );
        let c = parse("zone lan { interfaces a; }").expect("parses");
        let lan = &c.zones[0];
        assert_eq!(
            (lan.input, lan.forward, lan.output),
            (Policy::Drop, Policy::Drop, Policy::Accept)
        );
    }

    #[test]
    fn prefixes_lose_their_host_bits() {
        let n = parse_net("10.1.2.3/8").expect("net");
        assert_eq!(n.addr, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 0)));
        let n = parse_net("2001:db8::1/32").expect("net");
        assert_eq!(n.addr.to_string(), "2001:db8::");
        assert_eq!(
            parse_net("10.0.0.1/0")
                .map(|n| n.addr.to_string())
                .as_deref(),
            Some("0.0.0.0")
        );
        assert!(parse_net("10.0.0.1/").is_none());
        assert!(parse_net("10.0.0.1/+3").is_none());
    }
}
