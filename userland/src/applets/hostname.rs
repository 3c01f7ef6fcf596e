//! `hostname [-sfdi] [-F FILE | NAME]`: show the host name (or parts of it,
//! looked up in /etc/hosts), or set it with sethostname(2).

use crate::common::{error_msg, getopt, perror, Exit};
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[-sfdi] [-F FILE | HOSTNAME]\n\nShow or set hostname or DNS domain name\n\n\t-s\tShort\n\t-i\tAddresses for the hostname\n\t-d\tDNS domain name\n\t-f\tFully qualified domain name\n\t-F FILE\tUse FILE's content as hostname";

/// Where names are looked up: there is no resolver, only the hosts file.
const HOSTS: &str = "/etc/hosts";

/// Entry point: set from `-F FILE` or NAME, else show.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "sfdiF:",
        &[
            ("short", 's'),
            ("fqdn", 'f'),
            ("long", 'f'),
            ("domain", 'd'),
            ("ip-address", 'i'),
            ("file", 'F'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.len() > 1 || (p.has('F') && !p.operands.is_empty()) {
        return crate::common::usage_error("hostname", "too many arguments");
    }
    if let Some(file) = p.value('F') {
        let text = match std::fs::read(file) {
            Ok(t) => t,
            Err(e) => {
                perror(
                    "hostname",
                    format!("can't open '{}'", file.to_string_lossy()),
                    &e,
                );
                return 1;
            }
        };
        // The first line that is not blank or a comment, trimmed.
        let name = text
            .split(|&b| b == b'\n')
            .map(|l| l.trim_ascii())
            .find(|l| !l.is_empty() && !l.starts_with(b"#"));
        return match name {
            Some(name) => set(name),
            // BusyBox sets nothing from an empty file and says nothing.
            None => 0,
        };
    }
    if let Some(name) = p.operands.first() {
        return set(name.as_bytes());
    }
    let name = match nix::unistd::gethostname() {
        Ok(n) => n.as_bytes().to_vec(),
        Err(e) => {
            error_msg("hostname", &format!("gethostname: {}", e.desc()));
            return 1;
        }
    };
    let hosts = std::fs::read(HOSTS).unwrap_or_default();
    let line = if p.has('s') {
        short(&name).to_vec()
    } else if p.has('f') || p.has('d') {
        let full = canonical(&hosts, &name).unwrap_or_else(|| name.clone());
        if p.has('f') {
            full
        } else {
            match full.iter().position(|&b| b == b'.') {
                Some(dot) => full[dot + 1..].to_vec(),
                // No domain: an empty line, as BusyBox prints.
                None => Vec::new(),
            }
        }
    } else if p.has('i') {
        let addrs = addresses(&hosts, &name);
        if addrs.is_empty() {
            error_msg(
                "hostname",
                &format!("{}: Unknown host", String::from_utf8_lossy(&name)),
            );
            return 1;
        }
        addrs.join(&b' ')
    } else {
        name
    };
    let mut out = std::io::stdout().lock();
    match out
        .write_all(&line)
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush())
    {
        Ok(()) => 0,
        Err(e) => crate::text::write_failed("hostname", &e),
    }
}

/// sethostname(2); only root may.
fn set(name: &[u8]) -> i32 {
    match nix::unistd::sethostname(OsStr::from_bytes(name)) {
        Ok(()) => 0,
        Err(e) => {
            error_msg("hostname", &format!("sethostname: {}", e.desc()));
            1
        }
    }
}

/// The name up to the first dot.
fn short(name: &[u8]) -> &[u8] {
    name.split(|&b| b == b'.').next().unwrap_or(name)
}

/// Each hosts-file entry: the address and the names after it.
fn entries(hosts: &[u8]) -> impl Iterator<Item = (&[u8], Vec<&[u8]>)> {
    hosts.split(|&b| b == b'\n').filter_map(|line| {
        let line = line.split(|&b| b == b'#').next().unwrap_or_default();
        let mut words = line
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty());
        let addr = words.next()?;
        Some((addr, words.collect::<Vec<_>>()))
    })
}

/// The canonical (first) name of the first entry that lists `name`.
fn canonical(hosts: &[u8], name: &[u8]) -> Option<Vec<u8>> {
    entries(hosts)
        .find(|(_, names)| names.contains(&name))
        .and_then(|(_, names)| names.first().map(|n| n.to_vec()))
}

/// The addresses of every entry that lists `name`.
fn addresses<'a>(hosts: &'a [u8], name: &[u8]) -> Vec<&'a [u8]> {
    entries(hosts)
        .filter(|(_, names)| names.contains(&name))
        .map(|(addr, _)| addr)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_lookups() {
        let hosts =
            b"127.0.0.1 localhost\n# 10.0.0.9 box\n10.0.0.2\tbox.example.org  box # me\n::2 box\n";
        assert_eq!(canonical(hosts, b"box"), Some(b"box.example.org".to_vec()));
        assert_eq!(canonical(hosts, b"none"), None);
        assert_eq!(addresses(hosts, b"box"), vec![&b"10.0.0.2"[..], b"::2"]);
        assert_eq!(short(b"a.b.c"), b"a");
    }
}
