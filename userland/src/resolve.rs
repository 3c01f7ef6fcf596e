//! Name resolution for the network applets, without the C library (the
//! device binary is static): numeric addresses, then /etc/hosts, then a
//! minimal DNS A/AAAA query to the nameservers of /etc/resolv.conf. Kept in
//! this one module so that a fuller DNS implementation can replace the
//! query part later without touching the applets.
//!
//! Also the reverse direction that `netstat`, `arp` and `traceroute` need
//! for names: /etc/hosts only, so that listing sockets never waits on the
//! network; and service names from /etc/services.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;

/// The hosts file.
const HOSTS: &str = "/etc/hosts";
/// The resolver configuration.
const RESOLV_CONF: &str = "/etc/resolv.conf";
/// The services file.
const SERVICES: &str = "/etc/services";
/// How long one DNS query waits for its answer.
const QUERY_TIMEOUT: Duration = Duration::from_secs(3);
/// How many times each nameserver is asked before giving up on it.
const ATTEMPTS: usize = 2;

/// Which address families a lookup may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4 or IPv6; IPv4 first (BusyBox's PREFER_IPV4_ADDRESS default).
    Any,
    /// IPv4 only (`-4`).
    V4,
    /// IPv6 only (`-6`).
    V6,
}

impl Family {
    fn admits(self, addr: &IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => addr.is_ipv4(),
            Family::V6 => addr.is_ipv6(),
        }
    }
}

/// Why a name has no address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Nothing knows the name (or it is not a valid name).
    NotFound,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotFound => f.write_str("no address for the name"),
        }
    }
}

/// The addresses of `host`, preferred first; never empty on success.
pub fn lookup(host: &str, family: Family) -> Result<Vec<IpAddr>, Error> {
    // "[::1]" as written in URLs and by habit.
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(addr) = bare.parse::<IpAddr>() {
        return if family.admits(&addr) {
            Ok(vec![addr])
        } else {
            Err(Error::NotFound)
        };
    }
    if host.is_empty() || host.len() > 253 {
        return Err(Error::NotFound);
    }
    let hosts = std::fs::read_to_string(HOSTS).unwrap_or_default();
    let mut found = hosts_lookup(&hosts, host);
    if found.is_empty() {
        let conf = std::fs::read_to_string(RESOLV_CONF).unwrap_or_default();
        found = dns_lookup(&nameservers(&conf), host, family);
    }
    found.retain(|a| family.admits(a));
    // Stable: keeps each family's own order.
    ibex_sort::sort_by_key(&mut found, |a| a.is_ipv6());
    found.dedup();
    if found.is_empty() {
        Err(Error::NotFound)
    } else {
        Ok(found)
    }
}

/// The first address of `host` with `port`: what most applets connect to.
pub fn socket_addr(host: &str, port: u16, family: Family) -> Result<SocketAddr, Error> {
    let addrs = lookup(host, family)?;
    addrs
        .first()
        .map(|a| SocketAddr::new(*a, port))
        .ok_or(Error::NotFound)
}

/// Splits `HOST[:PORT]` (`[V6]:PORT` for an IPv6 address with a port; a
/// bare IPv6 address has no port) into the host and the port, `default`
/// when none is given. None when the port is not a number; the host may be
/// empty (`:123`), for callers that have a default host.
pub fn host_port(text: &str, default: u16) -> Option<(String, u16)> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        match after.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if after.is_empty() => (host, None),
            None => return None,
        }
    } else if text.matches(':').count() == 1 {
        let (h, p) = text.split_once(':')?;
        (h, Some(p))
    } else {
        (text, None)
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => default,
    };
    Some((host.to_string(), port))
}

/// The name /etc/hosts gives `addr`, if any (no DNS: see the module text).
pub fn reverse(addr: IpAddr) -> Option<String> {
    let hosts = std::fs::read_to_string(HOSTS).ok()?;
    hosts_reverse(&hosts, addr)
}

/// The service name of `port` for `proto` ("tcp", "udp") in /etc/services.
pub fn service_name(port: u16, proto: &str) -> Option<String> {
    let services = std::fs::read_to_string(SERVICES).ok()?;
    services_lookup(&services, port, proto)
}

/// Each hosts-file entry: the address and its names.
fn hosts_entries(hosts: &str) -> impl Iterator<Item = (IpAddr, Vec<&str>)> {
    hosts.lines().filter_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let addr = words.next()?.parse::<IpAddr>().ok()?;
        Some((addr, words.collect()))
    })
}

/// Every address that /etc/hosts lists for `name` (case-insensitive).
fn hosts_lookup(hosts: &str, name: &str) -> Vec<IpAddr> {
    hosts_entries(hosts)
        .filter(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
        .map(|(a, _)| a)
        .collect()
}

/// The first name /etc/hosts lists for `addr`.
fn hosts_reverse(hosts: &str, addr: IpAddr) -> Option<String> {
    hosts_entries(hosts)
        .find(|(a, names)| *a == addr && !names.is_empty())
        .and_then(|(_, names)| names.first().map(|n| n.to_string()))
}

/// The name of `port`/`proto` in a services file.
fn services_lookup(services: &str, port: u16, proto: &str) -> Option<String> {
    services.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let name = words.next()?;
        let (p, pr) = words.next()?.split_once('/')?;
        (p.parse::<u16>().ok()? == port && pr == proto).then(|| name.to_string())
    })
}

/// The `nameserver` addresses of a resolv.conf.
fn nameservers(conf: &str) -> Vec<IpAddr> {
    conf.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()? == "nameserver")
                .then(|| words.next()?.parse().ok())
                .flatten()
        })
        .collect()
}

/// DNS record types asked for.
const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;

/// Asks each nameserver in turn for the addresses of `name`.
fn dns_lookup(servers: &[IpAddr], name: &str, family: Family) -> Vec<IpAddr> {
    let types: &[u16] = match family {
        Family::Any => &[TYPE_A, TYPE_AAAA],
        Family::V4 => &[TYPE_A],
        Family::V6 => &[TYPE_AAAA],
    };
    for server in servers {
        let mut found = Vec::new();
        let mut answered = false;
        for &qtype in types {
            if let Some(addrs) = query(*server, name, qtype) {
                answered = true;
                found.extend(addrs);
            }
        }
        if answered {
            return found;
        }
    }
    Vec::new()
}

/// One question to one server: the addresses of the answer, or None when
/// the server did not answer usefully (timeout, garbage, server failure).
/// A name the server says does not exist is `Some(empty)`.
fn query(server: IpAddr, name: &str, qtype: u16) -> Option<Vec<IpAddr>> {
    let bind: SocketAddr = match server {
        IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(bind).ok()?;
    socket.connect((server, 53)).ok()?;
    socket.set_read_timeout(Some(QUERY_TIMEOUT)).ok()?;
    let id = query_id();
    let packet = encode_query(id, name, qtype)?;
    let mut buf = [0u8; 1500];
    for _ in 0..ATTEMPTS {
        socket.send(&packet).ok()?;
        while let Ok(n) = socket.recv(&mut buf) {
            match decode_answer(&buf[..n], id, qtype) {
                Answer::Addresses(a) => return Some(a),
                Answer::Failed => return None,
                // Not ours (a late answer to an earlier try): keep waiting.
                Answer::Ignore => continue,
            }
        }
    }
    None
}

/// A query id that differs between runs; not a defence against spoofing
/// (a full resolver is to do that), only against mixing up our own tries.
fn query_id() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (nanos ^ std::process::id()) as u16
}

/// A recursive query for `name`/`qtype`; None for a name that cannot be
/// encoded (empty or over-long labels).
fn encode_query(id: u16, name: &str, qtype: u16) -> Option<Vec<u8>> {
    let mut p = Vec::with_capacity(name.len() + 18);
    p.extend_from_slice(&id.to_be_bytes());
    // Flags: recursion desired; one question.
    p.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
        p.push(label.len() as u8);
        p.extend_from_slice(label.as_bytes());
    }
    p.push(0);
    p.extend_from_slice(&qtype.to_be_bytes());
    p.extend_from_slice(&1u16.to_be_bytes());
    Some(p)
}

/// What an answer datagram meant.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// The server answered: these addresses (none if the name does not exist).
    Addresses(Vec<IpAddr>),
    /// The server failed (SERVFAIL, REFUSED, truncated).
    Failed,
    /// Not an answer to our question.
    Ignore,
}

/// Skips an encoded name at `at`, returning the offset after it.
fn skip_name(msg: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *msg.get(at)?;
        match len {
            0 => return Some(at + 1),
            // A compression pointer ends the name.
            l if l & 0xc0 == 0xc0 => return Some(at + 2),
            l if l & 0xc0 == 0 => at += 1 + l as usize,
            _ => return None,
        }
    }
}

fn be16(msg: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*msg.get(at)?, *msg.get(at + 1)?]))
}

/// Reads the addresses of type `qtype` out of an answer to query `id`.
fn decode_answer(msg: &[u8], id: u16, qtype: u16) -> Answer {
    let parsed = (|| -> Option<Answer> {
        if be16(msg, 0)? != id || msg.get(2)? & 0x80 == 0 {
            return Some(Answer::Ignore);
        }
        let truncated = msg.get(2)? & 0x02 != 0;
        let rcode = msg.get(3)? & 0x0f;
        match rcode {
            0 if !truncated => {}
            // NXDOMAIN: a definite "no such name".
            3 => return Some(Answer::Addresses(Vec::new())),
            _ => return Some(Answer::Failed),
        }
        let questions = be16(msg, 4)?;
        let answers = be16(msg, 6)?;
        let mut at = 12;
        for _ in 0..questions {
            at = skip_name(msg, at)? + 4;
        }
        let mut found = Vec::new();
        for _ in 0..answers {
            at = skip_name(msg, at)?;
            let rtype = be16(msg, at)?;
            let len = be16(msg, at + 8)? as usize;
            let data = msg.get(at + 10..at + 10 + len)?;
            at += 10 + len;
            match (rtype, data.len()) {
                (t, 4) if t == qtype && t == TYPE_A => {
                    found.push(IpAddr::from(<[u8; 4]>::try_from(data).ok()?));
                }
                (t, 16) if t == qtype && t == TYPE_AAAA => {
                    found.push(IpAddr::from(<[u8; 16]>::try_from(data).ok()?));
                }
                // CNAMEs and the like: their targets' records follow.
                _ => {}
            }
        }
        Some(Answer::Addresses(found))
    })();
    parsed.unwrap_or(Answer::Ignore)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_ports() {
        let hp = |t| host_port(t, 514);
        assert_eq!(hp("10.0.0.1"), Some(("10.0.0.1".into(), 514)));
        assert_eq!(hp("logs:1514"), Some(("logs".into(), 1514)));
        assert_eq!(hp("::1"), Some(("::1".into(), 514)));
        assert_eq!(hp("[::1]:9"), Some(("::1".into(), 9)));
        assert_eq!(hp("[::1]"), Some(("::1".into(), 514)));
        assert_eq!(hp(":123"), Some(("".into(), 123)));
        assert_eq!(hp("h:port"), None);
        assert_eq!(hp("h:99999"), None);
        assert_eq!(hp("[::1]x"), None);
    }

    #[test]
    fn numeric_and_families() {
        assert_eq!(
            lookup("127.0.0.1", Family::Any),
            Ok(vec![IpAddr::V4(Ipv4Addr::LOCALHOST)])
        );
        assert_eq!(
            lookup("[::1]", Family::V6),
            Ok(vec![IpAddr::V6(Ipv6Addr::LOCALHOST)])
        );
        assert_eq!(lookup("::1", Family::V4), Err(Error::NotFound));
    }

    #[test]
    fn hosts_file() {
        let hosts = "127.0.0.1 localhost\n::1 localhost ip6-localhost # v6\n#10.0.0.1 box\n10.0.0.2 Box b\n";
        assert_eq!(hosts_lookup(hosts, "localhost").len(), 2);
        assert_eq!(
            hosts_lookup(hosts, "box"),
            vec!["10.0.0.2".parse::<IpAddr>().unwrap()]
        );
        assert_eq!(
            hosts_reverse(hosts, "::1".parse().unwrap()).as_deref(),
            Some("localhost")
        );
        assert_eq!(hosts_reverse(hosts, "10.0.0.1".parse().unwrap()), None);
    }

    #[test]
    fn services_and_nameservers() {
        let services = "http\t\t80/tcp\t\twww\nhttp 80/udp\ndomain 53/udp # DNS\n";
        assert_eq!(
            services_lookup(services, 80, "tcp").as_deref(),
            Some("http")
        );
        assert_eq!(services_lookup(services, 53, "tcp"), None);
        let conf = "search x\nnameserver 10.0.0.1\nnameserver fe80::1\nnameserver bad\n";
        assert_eq!(nameservers(conf).len(), 2);
    }

    #[test]
    fn dns_messages() {
        let q = encode_query(0x1234, "a.bc", TYPE_A).unwrap();
        assert_eq!(&q[12..], b"\x01a\x02bc\x00\x00\x01\x00\x01");
        assert!(encode_query(1, "a..b", TYPE_A).is_none());
        // The answer: the question echoed, a CNAME, then an A record whose
        // name is a compression pointer.
        let mut r = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
        r.extend_from_slice(&q[12..]);
        r.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 12]);
        r.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 7]);
        assert_eq!(
            decode_answer(&r, 0x1234, TYPE_A),
            Answer::Addresses(vec!["10.0.0.7".parse().unwrap()])
        );
        assert_eq!(decode_answer(&r, 0x9999, TYPE_A), Answer::Ignore);
        assert_eq!(decode_answer(&r[..30], 0x1234, TYPE_A), Answer::Ignore);
        r[3] = 0x83;
        assert_eq!(
            decode_answer(&r, 0x1234, TYPE_A),
            Answer::Addresses(Vec::new())
        );
        r[3] = 0x82;
        assert_eq!(decode_answer(&r, 0x1234, TYPE_A), Answer::Failed);
    }
}
