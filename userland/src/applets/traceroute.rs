//! `traceroute [-46n] [-f 1ST_TTL] [-m MAXTTL] [-q PROBES] [-p PORT]
//! [-w SEC] HOST [BYTES]`: UDP probes with growing TTLs, answered by ICMP
//! "time exceeded" from each router and "port unreachable" from HOST,
//! read on a raw ICMP socket (root only). BusyBox's output.

use std::ffi::OsString;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use nix::libc;

use crate::applets::ping::millis;
use crate::common::{error_msg, getopt, lossy, perror, usage_error, Exit};
use crate::icmp;
use crate::resolve::{self, Family};

pub const USAGE: &str = "[-46n] [-f 1ST_TTL] [-m MAXTTL] [-q PROBES] [-p PORT]\n\t[-w WAIT_SEC] HOST [BYTES]\n\nTrace the route to HOST\n\n\t-4,-6\tForce IP or IPv6 name resolution\n\t-n\tPrint numeric addresses\n\t-f N\tFirst number of hops (default 1)\n\t-m N\tMax number of hops\n\t-q N\tNumber of probes per hop (default 3)\n\t-p N\tBase UDP port number used in probes\n\t\t(default 33434)\n\t-w SEC\tWait for a response (default 3)";

/// Header sizes: IPv4, IPv6, UDP.
const IP4_HEADER: usize = 20;
const IP6_HEADER: usize = 40;
const UDP_HEADER: usize = 8;

/// Parses a number within `lo..=hi`, BusyBox's way.
fn ranged(text: &std::ffi::OsStr, lo: u32, hi: u32) -> Result<u32, String> {
    let t = lossy(text);
    match t.parse::<u32>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        Ok(_) => Err(format!("number {t} is not in {lo}..{hi} range")),
        Err(_) => Err(format!("invalid number '{t}'")),
    }
}

/// What the command line asked for.
struct Options {
    numeric: bool,
    first: u32,
    max: u32,
    probes: u32,
    port: u16,
    wait: Duration,
    family: Family,
}

fn options(p: &crate::common::Parsed) -> Result<Options, String> {
    let mut o = Options {
        numeric: p.has('n'),
        first: 1,
        max: 30,
        probes: 3,
        port: 33434,
        wait: Duration::from_secs(3),
        family: Family::Any,
    };
    for (c, v) in &p.opts {
        let v = v.as_deref().unwrap_or_default();
        match c {
            'f' => o.first = ranged(v, 1, 255)?,
            'm' => o.max = ranged(v, 1, 255)?,
            'q' => o.probes = ranged(v, 1, 255)?,
            'p' => o.port = ranged(v, 1, 65535)? as u16,
            'w' => o.wait = Duration::from_secs(u64::from(ranged(v, 0, 86400)?)),
            '4' => o.family = Family::V4,
            '6' => o.family = Family::V6,
            _ => {}
        }
    }
    if o.first > o.max {
        return Err(format!("first ttl ({}) > max ttl ({})", o.first, o.max));
    }
    Ok(o)
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "46nf:m:q:p:w:", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let o = match options(&p) {
        Ok(o) => o,
        Err(m) => {
            error_msg("traceroute", &m);
            return 1;
        }
    };
    let (host, bytes) = match p.operands.as_slice() {
        [h] => (lossy(h).into_owned(), None),
        [h, b] => match ranged(b, 0, 32768) {
            Ok(n) => (lossy(h).into_owned(), Some(n as usize)),
            Err(m) => {
                error_msg("traceroute", &m);
                return 1;
            }
        },
        _ => return usage_error("traceroute", "HOST expected"),
    };
    let dest = match resolve::lookup(&host, o.family) {
        Ok(a) => a[0],
        Err(_) => {
            error_msg("traceroute", &format!("bad address '{host}'"));
            return 1;
        }
    };
    let v6 = dest.is_ipv6();
    let headers = if v6 { IP6_HEADER } else { IP4_HEADER } + UDP_HEADER;
    // BusyBox's default probe sizes: 46 bytes over IPv4, 72 over IPv6.
    let packet_len = bytes.unwrap_or(if v6 { 72 } else { 46 }).max(headers);
    let icmp = match icmp::Socket::raw(v6) {
        Ok(s) => s,
        Err(e) => {
            perror("traceroute", "socket", &e);
            return 1;
        }
    };
    let local: SocketAddr = if v6 {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    };
    let udp = match UdpSocket::bind(local) {
        Ok(s) => s,
        Err(e) => {
            perror("traceroute", "bind", &e);
            return 1;
        }
    };
    let src_port = udp.local_addr().map(|a| a.port()).unwrap_or(0);
    println!(
        "traceroute to {host} ({dest}), {} hops max, {packet_len} byte packets",
        o.max
    );
    let payload = vec![0u8; packet_len - headers];
    let mut seq: u32 = 0;
    let mut buf = vec![0u8; 4096];
    for ttl in o.first..=o.max {
        let mut line = format!("{ttl:2}");
        let mut last: Option<IpAddr> = None;
        let mut done = false;
        if let Err(e) = set_ttl(&udp, v6, ttl) {
            perror("traceroute", "setsockopt", &e);
            return 1;
        }
        for _ in 0..o.probes {
            seq += 1;
            let port = o.port.wrapping_add(seq as u16);
            let sent = Instant::now();
            if let Err(e) = udp.send_to(&payload, SocketAddr::new(dest, port)) {
                // An ICMP error from an earlier probe may surface here as
                // ECONNREFUSED on some paths; only a real failure stops us.
                if e.raw_os_error() != Some(libc::ECONNREFUSED) {
                    perror("traceroute", "sendto", &e);
                    return 1;
                }
            }
            match await_answer(&icmp, &mut buf, v6, src_port, port, o.wait) {
                Some((from, reached)) => {
                    if last != Some(from) {
                        line.push_str(&address_text(from, o.numeric));
                        last = Some(from);
                    }
                    line.push_str(&format!("  {} ms", millis(sent.elapsed().as_micros())));
                    done |= reached;
                }
                None => line.push_str("  *"),
            }
        }
        println!("{line}");
        let _ = std::io::stdout().flush();
        if done {
            return 0;
        }
    }
    0
}

/// Sets the TTL (IPv4) or unicast hop limit (IPv6) of the probes.
fn set_ttl(udp: &UdpSocket, v6: bool, ttl: u32) -> std::io::Result<()> {
    if v6 {
        icmp::set_int_option(udp, libc::IPPROTO_IPV6, libc::IPV6_UNICAST_HOPS, ttl as i32)
    } else {
        udp.set_ttl(ttl)
    }
}

/// "  NAME (ADDR)" or, numeric, "  ADDR".
fn address_text(addr: IpAddr, numeric: bool) -> String {
    if numeric {
        format!("  {addr}")
    } else {
        let name = resolve::reverse(addr).unwrap_or_else(|| addr.to_string());
        format!("  {name} ({addr})")
    }
}

/// Waits for the ICMP answer to the probe sent from `src_port` to
/// `dst_port`: who answered, and whether that ends the trace (the
/// destination's "port unreachable" or another unreachable).
fn await_answer(
    icmp: &icmp::Socket,
    buf: &mut [u8],
    v6: bool,
    src_port: u16,
    dst_port: u16,
    wait: Duration,
) -> Option<(IpAddr, bool)> {
    let until = Instant::now() + wait;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        let got = icmp.recv(buf, left).ok()??;
        let msg = &buf[got.start..got.end];
        if let Some(reached) = classify(msg, v6, src_port, dst_port) {
            return Some((got.from, reached));
        }
    }
}

/// Whether an ICMP message answers our probe: `Some(false)` for "time
/// exceeded" (a router on the way), `Some(true)` for "unreachable" (the end),
/// `None` if it is about something else.
fn classify(msg: &[u8], v6: bool, src_port: u16, dst_port: u16) -> Option<bool> {
    let (kind, inner) = (*msg.first()?, msg.get(8..)?);
    let (exceeded, unreachable) = if v6 { (3, 1) } else { (11, 3) };
    let reached = if kind == exceeded {
        false
    } else if kind == unreachable {
        true
    } else {
        return None;
    };
    // The quoted probe: its IP header, then the UDP ports.
    let ip_len = if v6 {
        if *inner.get(6)? != 17 {
            return None;
        }
        IP6_HEADER
    } else {
        if *inner.get(9)? != 17 {
            return None;
        }
        usize::from(inner.first()? & 0x0f) * 4
    };
    let udp = inner.get(ip_len..ip_len + 4)?;
    let ours = u16::from_be_bytes([udp[0], udp[1]]) == src_port
        && u16::from_be_bytes([udp[2], udp[3]]) == dst_port;
    ours.then_some(reached)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_answers() {
        // Time exceeded quoting an IPv4/UDP probe from port 5000 to 33435.
        let mut m = vec![11, 0, 0, 0, 0, 0, 0, 0, 0x45];
        m.extend_from_slice(&[0; 8]);
        m.push(17);
        m.extend_from_slice(&[0; 10]);
        m.extend_from_slice(&[0x13, 0x88, 0x82, 0x9b]);
        assert_eq!(classify(&m, false, 5000, 33435), Some(false));
        assert_eq!(classify(&m, false, 5000, 33436), None);
        m[0] = 3;
        assert_eq!(classify(&m, false, 5000, 33435), Some(true));
        m[0] = 0;
        assert_eq!(classify(&m, false, 5000, 33435), None);
        assert_eq!(classify(&m[..12], false, 5000, 33435), None);
    }
}
