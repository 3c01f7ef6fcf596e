//! The lease table and its file (format in docs/formats.md, "DHCP
//! leases"): text, one lease a line, replaced atomically on every change,
//! with a hosts-format companion `<file>.hosts` for the DNS server.

use std::io;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

/// First line of the file: names the format and its version.
const HEADER: &str = "# ibox udhcpd leases 1";
/// The MAC of an address held back (declined or found in use).
pub const NOBODY: [u8; 6] = [0; 6];

/// One address given to one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The client ([`NOBODY`] for a held-back address).
    pub mac: [u8; 6],
    /// The address.
    pub ip: Ipv4Addr,
    /// When it ends, in seconds since the epoch.
    pub expires: u64,
    /// The host name the client sent, made safe for a hosts file.
    pub hostname: Option<String>,
}

/// Keeps what a hosts file and a shell can carry of a client's host
/// name: letters, digits, `-`, `_` and `.`, at most 63 bytes; `None` when
/// nothing is left.
pub fn clean_hostname(raw: &[u8]) -> Option<String> {
    let s: String = raw
        .iter()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        .take(63)
        .map(|&b| char::from(b))
        .collect();
    let s = s.trim_matches('.').to_string();
    (!s.is_empty()).then_some(s)
}

/// Reads a lease file. Lines that do not parse are skipped (a damaged
/// line must not cost the other leases), and reported in the result.
pub fn parse(text: &str) -> (Vec<Lease>, Vec<usize>) {
    let mut leases = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let w: Vec<&str> = line.split_whitespace().collect();
        let lease = match w.as_slice() {
            [mac, ip, exp] | [mac, ip, exp, _] => {
                match (
                    super::config::parse_mac(mac),
                    ip.parse::<Ipv4Addr>(),
                    exp.parse::<u64>(),
                ) {
                    (Some(mac), Ok(ip), Ok(expires)) => Some(Lease {
                        mac,
                        ip,
                        expires,
                        hostname: w.get(3).and_then(|h| clean_hostname(h.as_bytes())),
                    }),
                    _ => None,
                }
            }
            _ => None,
        };
        match lease {
            Some(l) => leases.push(l),
            None => bad.push(i + 1),
        }
    }
    (leases, bad)
}

/// The file's text for `leases`.
pub fn format(leases: &[Lease]) -> String {
    let mut out = format!("{HEADER}\n");
    for l in leases {
        out.push_str(&format!(
            "{} {} {}",
            crate::mac::mac_text(&l.mac),
            l.ip,
            l.expires
        ));
        if let Some(h) = &l.hostname {
            out.push(' ');
            out.push_str(h);
        }
        out.push('\n');
    }
    out
}

/// The hosts file's text: `IP HOSTNAME` for every lease still running
/// whose client sent a host name.
pub fn format_hosts(leases: &[Lease], now: u64) -> String {
    let mut out = String::new();
    for l in leases {
        if let (Some(h), true) = (&l.hostname, l.expires > now && l.mac != NOBODY) {
            out.push_str(&format!("{} {h}\n", l.ip));
        }
    }
    out
}

/// The hosts file beside `lease_file`.
pub fn hosts_path(lease_file: &Path) -> PathBuf {
    let mut p = lease_file.as_os_str().to_os_string();
    p.push(".hosts");
    PathBuf::from(p)
}

/// Writes the lease file and its hosts file, each atomically. Its
/// directory is made first if missing: on a system running from RAM,
/// /var/lib starts empty at every boot.
pub fn save(lease_file: &Path, leases: &[Lease], now: u64) -> io::Result<()> {
    if let Some(dir) = lease_file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    crate::fsutil::write_atomic(lease_file, format(leases).as_bytes(), 0o666)?;
    crate::fsutil::write_atomic(
        &hosts_path(lease_file),
        format_hosts(leases, now).as_bytes(),
        0o666,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_round_trip_and_bad_lines_are_skipped() {
        let leases = vec![
            Lease {
                mac: [2, 0, 0, 0, 0, 1],
                ip: Ipv4Addr::new(10, 0, 0, 10),
                expires: 1000,
                hostname: Some("box".into()),
            },
            Lease {
                mac: [2, 0, 0, 0, 0, 2],
                ip: Ipv4Addr::new(10, 0, 0, 11),
                expires: 5,
                hostname: None,
            },
        ];
        let text = format(&leases);
        assert_eq!(parse(&text), (leases.clone(), vec![]));
        let (l, bad) = parse(&format!("{text}garbage\n"));
        assert_eq!((l, bad), (leases.clone(), vec![4]));
        assert_eq!(format_hosts(&leases, 10), "10.0.0.10 box\n");
    }

    #[test]
    fn hostnames_are_cleaned() {
        assert_eq!(
            clean_hostname(b"my host;rm -rf"),
            Some("myhostrm-rf".into())
        );
        assert_eq!(clean_hostname(b"\0\n"), None);
    }
}
