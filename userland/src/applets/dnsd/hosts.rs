//! Local names: hosts-format files (/etc/hosts, the DHCP server's
//! `<lease_file>.hosts`), answered with authority, and re-read when a file
//! changes so that a new lease is found by name at once.

use ibex_dns::{rtype, Name, Question, RData, Record, CLASS_IN};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// Local answers carry TTL 0, as dnsmasq's do: a lease may change at any
/// time and clients should not keep the old address.
const LOCAL_TTL: u32 = 0;

/// What the local files say about a question.
#[derive(Debug, PartialEq, Eq)]
pub enum Local {
    /// The name is local and has records of the asked type.
    Answer(Vec<Record>),
    /// The name is local but has no record of the asked type.
    NoData,
    /// The name is in the local domain (or has no dot) and is not known:
    /// it must not leak to the upstream servers.
    NxDomain,
}

/// One hosts file and what it said when last read.
struct File {
    path: PathBuf,
    /// Modification time, size and inode when read; None when missing.
    stamp: Option<(i64, i64, u64, u64)>,
    /// Each line's address and names (lower case), in file order.
    entries: Vec<(IpAddr, Vec<Name>)>,
    /// Whether the file has been read (or found missing) at least once.
    loaded: bool,
}

/// The local names of every hosts file, and the local domain.
pub struct Hosts {
    files: Vec<File>,
    domain: Option<Name>,
    /// Every name's addresses, files and lines in order: rebuilt when a
    /// file changes, so that a large (ad-blocking) hosts file costs one
    /// hash lookup per query, not a scan.
    by_name: HashMap<Name, Vec<IpAddr>>,
    /// Every address's first name, for PTR.
    by_addr: HashMap<IpAddr, Name>,
}

impl Hosts {
    /// Hosts from `paths` (read on the first [`Hosts::refresh`]); names in
    /// `domain` are answered with or without it.
    pub fn new(paths: Vec<PathBuf>, domain: Option<Name>) -> Hosts {
        Hosts {
            files: paths
                .into_iter()
                .map(|path| File {
                    path,
                    stamp: None,
                    entries: Vec::new(),
                    loaded: false,
                })
                .collect(),
            domain: domain.map(|d| d.lowercase()),
            by_name: HashMap::new(),
            by_addr: HashMap::new(),
        }
    }

    /// Re-reads every file whose modification time, size or inode changed
    /// (a file replaced by rename has a new inode). A missing or unreadable
    /// file holds no names.
    pub fn refresh(&mut self) {
        let mut changed = false;
        for f in &mut self.files {
            let stamp = std::fs::metadata(&f.path)
                .ok()
                .map(|m| (m.mtime(), m.mtime_nsec(), m.size(), m.ino()));
            if f.loaded && stamp == f.stamp {
                continue;
            }
            f.loaded = true;
            f.stamp = stamp;
            changed = true;
            f.entries = std::fs::read(&f.path)
                .map(|text| parse(&text))
                .unwrap_or_default();
        }
        if changed {
            self.index();
        }
    }

    /// Rebuilds the maps from the files' entries.
    fn index(&mut self) {
        self.by_name.clear();
        self.by_addr.clear();
        for (addr, names) in self.files.iter().flat_map(|f| f.entries.iter()) {
            for n in names {
                let addrs = self.by_name.entry(n.clone()).or_default();
                if !addrs.contains(addr) {
                    addrs.push(*addr);
                }
            }
            if let Some(first) = names.first() {
                self.by_addr.entry(*addr).or_insert_with(|| first.clone());
            }
        }
    }

    /// The local answer to `q`, or None when it is for the upstream servers.
    pub fn lookup(&self, q: &Question) -> Option<Local> {
        if q.qclass != CLASS_IN {
            return None;
        }
        let name = q.name.lowercase();
        if let Some(addr) = reverse_address(&name) {
            return self.lookup_address(q, addr);
        }
        // "box" and "box.lan" are the same host when the domain is "lan".
        let short = self.domain.as_ref().and_then(|d| name.strip_suffix(d));
        let addrs: Vec<IpAddr> = self
            .by_name
            .get(&name)
            .or_else(|| short.as_ref().and_then(|s| self.by_name.get(s)))
            .cloned()
            .unwrap_or_default();
        if addrs.is_empty() {
            // Unknown names of the local domain, and names without a dot,
            // stay here (dnsmasq's local=/lan/ and domain-needed).
            let in_domain = short.is_some();
            return (in_domain || name.labels().len() == 1).then_some(Local::NxDomain);
        }
        let records: Vec<Record> = addrs
            .into_iter()
            .filter_map(|addr| {
                let (t, data) = match addr {
                    IpAddr::V4(a) => (rtype::A, RData::A(a)),
                    IpAddr::V6(a) => (rtype::AAAA, RData::Aaaa(a)),
                };
                (q.qtype == t || q.qtype == rtype::ANY).then(|| record(&q.name, t, data))
            })
            .collect();
        Some(if records.is_empty() {
            Local::NoData
        } else {
            Local::Answer(records)
        })
    }

    /// The PTR answer for an address in a hosts file: its first name, in
    /// the local domain when it has no dot of its own. Unknown addresses
    /// go upstream.
    fn lookup_address(&self, q: &Question, addr: IpAddr) -> Option<Local> {
        let first = self.by_addr.get(&addr)?;
        if q.qtype != rtype::PTR && q.qtype != rtype::ANY {
            return Some(Local::NoData);
        }
        let target = match &self.domain {
            Some(d) if first.labels().len() == 1 => first.join(d).unwrap_or_else(|_| first.clone()),
            _ => first.clone(),
        };
        Some(Local::Answer(vec![record(
            &q.name,
            rtype::PTR,
            RData::Ptr(target),
        )]))
    }
}

/// A local record for `owner`.
fn record(owner: &Name, rtype: u16, data: RData) -> Record {
    Record {
        name: owner.clone(),
        rtype,
        class: CLASS_IN,
        ttl: LOCAL_TTL,
        data,
    }
}

/// The lines of a hosts file: address, then names; `#` starts a comment.
/// Lines whose address or names do not parse are skipped.
fn parse(text: &[u8]) -> Vec<(IpAddr, Vec<Name>)> {
    let mut entries = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let line = line.split(|&b| b == b'#').next().unwrap_or_default();
        let mut words = line
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
            .filter_map(|w| std::str::from_utf8(w).ok());
        let Some(addr) = words.next().and_then(|a| a.parse::<IpAddr>().ok()) else {
            continue;
        };
        let names: Vec<Name> = words
            .filter_map(|w| Name::from_dotted(w).ok())
            .filter(|n| !n.is_root())
            .map(|n| n.lowercase())
            .collect();
        if !names.is_empty() {
            entries.push((addr, names));
        }
    }
    entries
}

/// The address a reverse name stands for: `4.3.2.1.in-addr.arpa` is
/// 1.2.3.4, and 32 nibbles under `ip6.arpa` an IPv6 address.
pub fn reverse_address(name: &Name) -> Option<IpAddr> {
    let labels = name.labels();
    let n = labels.len();
    if n == 6 && labels[4] == b"in-addr" && labels[5] == b"arpa" {
        let mut o = [0u8; 4];
        for (i, l) in labels[..4].iter().enumerate() {
            o[3 - i] = std::str::from_utf8(l).ok()?.parse().ok()?;
        }
        return Some(IpAddr::V4(Ipv4Addr::from(o)));
    }
    if n == 34 && labels[32] == b"ip6" && labels[33] == b"arpa" {
        let mut v = 0u128;
        for l in labels[..32].iter().rev() {
            let [c] = l.as_slice() else { return None };
            v = v << 4 | u128::from((*c as char).to_digit(16)?);
        }
        return Some(IpAddr::V6(Ipv6Addr::from(v)));
    }
    None
}

/// The reverse name of an address, as [`reverse_address`] reads it.
pub fn reverse_name(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(a) => {
            let o = a.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(a) => {
            let mut s = String::new();
            for b in a.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", b & 0xf, b >> 4));
            }
            s + "ip6.arpa"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: &str, qtype: u16) -> Question {
        Question {
            name: Name::from_dotted(name).unwrap(),
            qtype,
            qclass: CLASS_IN,
        }
    }

    fn hosts(text: &[u8], domain: Option<&str>) -> Hosts {
        let mut h = Hosts::new(Vec::new(), domain.map(|d| Name::from_dotted(d).unwrap()));
        h.files.push(File {
            path: PathBuf::new(),
            stamp: None,
            entries: parse(text),
            loaded: true,
        });
        h.index();
        h
    }

    #[test]
    fn names_with_and_without_the_domain() {
        let h = hosts(b"10.0.0.5 Box # lease\n::5 box\nbad line\n", Some("lan"));
        let Some(Local::Answer(r)) = h.lookup(&q("box.LAN", rtype::A)) else {
            panic!("no answer");
        };
        assert_eq!(r[0].data, RData::A(Ipv4Addr::new(10, 0, 0, 5)));
        assert_eq!(r[0].name.to_string(), "box.LAN");
        assert!(matches!(
            h.lookup(&q("box", rtype::AAAA)),
            Some(Local::Answer(_))
        ));
        assert_eq!(h.lookup(&q("box", rtype::MX)), Some(Local::NoData));
        assert_eq!(h.lookup(&q("other.lan", rtype::A)), Some(Local::NxDomain));
        assert_eq!(h.lookup(&q("other", rtype::A)), Some(Local::NxDomain));
        assert_eq!(h.lookup(&q("example.org", rtype::A)), None);
        let Some(Local::Answer(r)) = h.lookup(&q("5.0.0.10.in-addr.arpa", rtype::PTR)) else {
            panic!("no PTR");
        };
        assert_eq!(r[0].data, RData::Ptr(Name::from_dotted("box.lan").unwrap()));
        assert_eq!(h.lookup(&q("6.0.0.10.in-addr.arpa", rtype::PTR)), None);
    }

    #[test]
    fn reverse_names_round_trip() {
        for a in ["192.0.2.7", "2001:db8::1"] {
            let addr: IpAddr = a.parse().unwrap();
            let name = Name::from_dotted(&reverse_name(addr)).unwrap();
            assert_eq!(reverse_address(&name), Some(addr));
        }
        let bad = Name::from_dotted("x.3.2.1.in-addr.arpa").unwrap();
        assert_eq!(reverse_address(&bad), None);
    }
}
