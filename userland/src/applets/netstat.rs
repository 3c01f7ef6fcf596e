//! `netstat [-ral] [-tuwx] [-np]`: sockets from /proc/net/{tcp,tcp6,
//! udp,udp6,raw,raw6,unix} and the IPv4 routing table from /proc/net/route,
//! in BusyBox's columns. Names come from /etc/hosts and /etc/services only (see
//! resolve.rs), so listing never waits on the network.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::common::{getopt, Exit};
use crate::procfs;
use crate::resolve;

pub const USAGE: &str = "[-ral] [-tuwx] [-np]\n\nDisplay networking information\n\n\t-r\tRouting table\n\t-a\tAll sockets\n\t-l\tListening sockets\n\t\tElse: connected sockets\n\t-t\tTCP sockets\n\t-u\tUDP sockets\n\t-w\tRaw sockets\n\t-x\tUnix sockets\n\t\tElse: all socket types\n\t-n\tDon't resolve names\n\t-p\tShow PID/program name for sockets";

/// Width of the address columns.
const ADDR_WIDTH: usize = 23;
/// The header of the -p column: BusyBox's, 20 wide.
const PROGNAME_BANNER: &str = "PID/Program name    ";
/// SO_ACCEPTCON in /proc/net/unix's flags: a listening socket.
const SO_ACCEPTCON: u32 = 1 << 16;

/// Which sockets to show.
struct Filter {
    listening: bool,
    connected: bool,
    numeric: bool,
    programs: Option<HashMap<u64, String>>,
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "raltuwxnp", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut out = Vec::new();
    if p.has('r') {
        let route = std::fs::read_to_string(procfs::system_file("net/route")).unwrap_or_default();
        routes(&mut out, &route, p.has('n'));
        return flush(&out);
    }
    let filter = Filter {
        listening: p.has('l') || p.has('a'),
        connected: !p.has('l') || p.has('a'),
        numeric: p.has('n'),
        programs: p.has('p').then(programs),
    };
    let all = !(p.has('t') || p.has('u') || p.has('w') || p.has('x'));
    let read = |name: &str| std::fs::read_to_string(procfs::system_file(name)).unwrap_or_default();
    let which = match (filter.listening, filter.connected) {
        (true, true) => "servers and established",
        (true, false) => "only servers",
        _ => "w/o servers",
    };
    let banner = if filter.programs.is_some() {
        PROGNAME_BANNER
    } else {
        ""
    };
    if all || p.has('t') || p.has('u') || p.has('w') {
        out.extend_from_slice(
            format!(
                "Active Internet connections ({which})\nProto Recv-Q Send-Q {:<w$} {:<w$} State       {banner}\n",
                "Local Address",
                "Foreign Address",
                w = ADDR_WIDTH
            )
            .as_bytes(),
        );
        if all || p.has('t') {
            inet(&mut out, &read("net/tcp"), "tcp", &filter);
            inet(&mut out, &read("net/tcp6"), "tcp", &filter);
        }
        if all || p.has('u') {
            inet(&mut out, &read("net/udp"), "udp", &filter);
            inet(&mut out, &read("net/udp6"), "udp", &filter);
        }
        if all || p.has('w') {
            inet(&mut out, &read("net/raw"), "raw", &filter);
            inet(&mut out, &read("net/raw6"), "raw", &filter);
        }
    }
    if all || p.has('x') {
        out.extend_from_slice(
            format!(
                "Active UNIX domain sockets ({which})\nProto RefCnt Flags       Type       State         I-Node {banner}Path\n"
            )
            .as_bytes(),
        );
        unix(&mut out, &read("net/unix"), &filter);
    }
    flush(&out)
}

fn flush(out: &[u8]) -> i32 {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(out).and_then(|_| stdout.flush()) {
        Ok(()) => 0,
        Err(e) => crate::text::write_failed("netstat", &e),
    }
}

/// A /proc/net address: IPv4 as one host-order word, IPv6 as four.
fn parse_addr(hex: &str) -> Option<IpAddr> {
    let word = |s: &str| u32::from_str_radix(s, 16).ok().map(u32::to_ne_bytes);
    match hex.len() {
        8 => Some(IpAddr::V4(Ipv4Addr::from(word(hex)?))),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(hex.get(i * 8..i * 8 + 8)?)?);
            }
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        }
        _ => None,
    }
}

/// "ADDR:PORT" from /proc/net.
fn parse_endpoint(text: &str) -> Option<(IpAddr, u16)> {
    let (addr, port) = text.split_once(':')?;
    Some((parse_addr(addr)?, u16::from_str_radix(port, 16).ok()?))
}

/// BusyBox's "host:port": names unless numeric; port 0 is "*".
fn endpoint_text(addr: IpAddr, port: u16, proto: &str, numeric: bool) -> String {
    let host = (!numeric && !addr.is_unspecified())
        .then(|| resolve::reverse(addr))
        .flatten()
        .unwrap_or_else(|| addr.to_string());
    let port = if port == 0 {
        "*".to_string()
    } else if numeric {
        port.to_string()
    } else {
        resolve::service_name(port, proto).unwrap_or_else(|| port.to_string())
    };
    format!("{host}:{port}")
}

/// The kernel's TCP state numbers, by name.
fn tcp_state(n: u8) -> &'static str {
    match n {
        1 => "ESTABLISHED",
        2 => "SYN_SENT",
        3 => "SYN_RECV",
        4 => "FIN_WAIT1",
        5 => "FIN_WAIT2",
        6 => "TIME_WAIT",
        7 => "CLOSE",
        8 => "CLOSE_WAIT",
        9 => "LAST_ACK",
        10 => "LISTEN",
        11 => "CLOSING",
        _ => "UNKNOWN",
    }
}

/// The lines of one /proc/net/{tcp,udp}[6] file.
fn inet(out: &mut Vec<u8>, table: &str, proto: &str, f: &Filter) {
    for line in table.lines().skip(1) {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 10 {
            continue;
        }
        let (Some((laddr, lport)), Some((raddr, rport))) =
            (parse_endpoint(w[1]), parse_endpoint(w[2]))
        else {
            continue;
        };
        let state = u8::from_str_radix(w[3], 16).unwrap_or(0);
        let (txq, rxq) = w[4].split_once(':').unwrap_or(("0", "0"));
        let txq = u64::from_str_radix(txq, 16).unwrap_or(0) as u32;
        let rxq = u64::from_str_radix(rxq, 16).unwrap_or(0) as u32;
        let raw_state;
        let (state_text, connected) = if proto == "tcp" {
            (tcp_state(state), state != 10)
        } else if proto == "raw" {
            // BusyBox fills a raw socket's State column with its protocol
            // number (the "port" of its local address), not the kernel's
            // state; shown the same so that scripts see the same columns.
            raw_state = lport.to_string();
            (raw_state.as_str(), !raddr.is_unspecified())
        } else {
            // UDP has no listening state: bound but unconnected is a server.
            let text = match state {
                1 => "ESTABLISHED",
                7 => "",
                _ => "UNKNOWN",
            };
            (text, !raddr.is_unspecified())
        };
        if (connected && !f.connected) || (!connected && !f.listening) {
            continue;
        }
        let local = endpoint_text(laddr, lport, proto, f.numeric);
        let remote = endpoint_text(raddr, rport, proto, f.numeric);
        let mut text = format!(
            "{proto}   {rxq:>6} {txq:>6} {local:<w$} {remote:<w$} {state_text:<12}",
            w = ADDR_WIDTH
        );
        if let Some(programs) = &f.programs {
            let inode = w[9].parse::<u64>().unwrap_or(0);
            text.push_str(&program(programs, inode));
        }
        text.push('\n');
        out.extend_from_slice(text.as_bytes());
    }
}

/// The "PID/name" of the process owning socket `inode`, or "-".
fn program(programs: &HashMap<u64, String>, inode: u64) -> String {
    let p = programs.get(&inode).map_or("-", String::as_str);
    p.chars().take(20).collect()
}

/// The lines of /proc/net/unix.
fn unix(out: &mut Vec<u8>, table: &str, f: &Filter) {
    for line in table.lines().skip(1) {
        let (w, path) = fields_and_rest(line, 7);
        if w.len() < 7 {
            continue;
        }
        let hex = |s: &str| u32::from_str_radix(s, 16).unwrap_or(0);
        let (refcnt, flags, kind, state) = (hex(w[1]), hex(w[3]), hex(w[4]), hex(w[5]));
        let inode = w[6].parse::<u64>().unwrap_or(0);
        let listening = flags & SO_ACCEPTCON != 0;
        if (listening && !f.listening) || (!listening && !f.connected) {
            continue;
        }
        let state = match state {
            0 => "FREE",
            1 if listening => "LISTENING",
            1 => "",
            2 => "CONNECTING",
            3 => "CONNECTED",
            4 => "DISCONNECTING",
            _ => "UNKNOWN",
        };
        let kind = match kind {
            1 => "STREAM",
            2 => "DGRAM",
            3 => "RAW",
            4 => "RDM",
            5 => "SEQPACKET",
            _ => "UNKNOWN",
        };
        let mut flag_text = String::from("[ ");
        if listening {
            flag_text.push_str("ACC ");
        }
        // SO_WAITDATA and SO_NOSPACE, as BusyBox shows them.
        if flags & (1 << 17) != 0 {
            flag_text.push_str("W ");
        }
        if flags & (1 << 18) != 0 {
            flag_text.push_str("N ");
        }
        flag_text.push(']');
        let prog = match &f.programs {
            Some(programs) => format!("{:<20}", program(programs, inode)),
            None => String::new(),
        };
        out.extend_from_slice(
            format!("unix  {refcnt:<6} {flag_text:<11} {kind:<10} {state:<13} {inode:>6} {prog}{path}\n")
                .as_bytes(),
        );
    }
}

/// The first `n` whitespace-separated fields of `line` and what follows
/// them (a path, which may itself contain spaces), trimmed.
fn fields_and_rest(line: &str, n: usize) -> (Vec<&str>, &str) {
    let mut fields = Vec::with_capacity(n);
    let mut rest = line;
    while fields.len() < n {
        let t = rest.trim_start();
        if t.is_empty() {
            break;
        }
        let end = t.find(char::is_whitespace).unwrap_or(t.len());
        fields.push(&t[..end]);
        rest = &t[end..];
    }
    (fields, rest.trim())
}

/// Every socket inode held open by a process: "PID/program", program being
/// the base name of its first argument (its command name if it has none).
fn programs() -> HashMap<u64, String> {
    let mut map = HashMap::new();
    for pid in procfs::pids().unwrap_or_default() {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        let name = std::fs::read(format!("/proc/{pid}/cmdline"))
            .ok()
            .and_then(|c| {
                let first = c.split(|&b| b == 0).next()?.to_vec();
                (!first.is_empty()).then(|| procfs::basename(&first).to_vec())
            })
            .or_else(|| {
                std::fs::read(format!("/proc/{pid}/comm"))
                    .ok()
                    .map(|c| c.trim_ascii_end().to_vec())
            })
            .unwrap_or_default();
        let label = format!("{pid}/{}", String::from_utf8_lossy(&name));
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let target = target.to_string_lossy();
            if let Some(inode) = target
                .strip_prefix("socket:[")
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|t| t.parse::<u64>().ok())
            {
                map.entry(inode).or_insert_with(|| label.clone());
            }
        }
    }
    map
}

/// RTF_* flags shown in the Flags column, in BusyBox's order.
const ROUTE_FLAGS: [(u32, char); 6] = [
    (0x0001, 'U'),
    (0x0002, 'G'),
    (0x0004, 'H'),
    (0x0008, 'R'),
    (0x0010, 'D'),
    (0x0020, 'M'),
];

/// `netstat -r`: BusyBox's "Kernel IP routing table" in netstat's columns.
fn routes(out: &mut Vec<u8>, table: &str, numeric: bool) {
    out.extend_from_slice(
        b"Kernel IP routing table\nDestination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n",
    );
    for line in table.lines().skip(1) {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 11 {
            continue;
        }
        let hex = |s: &str| u32::from_str_radix(s, 16).unwrap_or(0);
        let addr = |s: &str| Ipv4Addr::from(hex(s).to_ne_bytes());
        let (dest, gw, flags, mask) = (addr(w[1]), addr(w[2]), hex(w[3]), addr(w[7]));
        if flags & 1 == 0 {
            continue;
        }
        let (mtu, window, irtt) = (
            w[8].parse::<u64>().unwrap_or(0),
            w[9].parse::<u64>().unwrap_or(0),
            w[10].parse::<u64>().unwrap_or(0),
        );
        let name = |a: Ipv4Addr, zero: &str, host: bool| -> String {
            if numeric {
                a.to_string()
            } else if a.is_unspecified() {
                zero.to_string()
            } else if host {
                resolve::reverse(IpAddr::V4(a)).unwrap_or_else(|| a.to_string())
            } else {
                a.to_string()
            }
        };
        let dest = name(dest, "default", mask == Ipv4Addr::BROADCAST);
        let gw = name(gw, "*", true);
        let flag_text: String = ROUTE_FLAGS
            .iter()
            .filter(|(bit, _)| flags & bit != 0)
            .map(|(_, c)| *c)
            .collect();
        let dest: String = dest.chars().take(15).collect();
        let gw: String = gw.chars().take(15).collect();
        out.extend_from_slice(
            format!(
                "{dest:<15} {gw:<15} {:<16}{flag_text:<6}{mtu:>5} {window:<5} {irtt:>6} {}\n",
                mask.to_string(),
                w[0]
            )
            .as_bytes(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(listening: bool, connected: bool) -> Filter {
        Filter {
            listening,
            connected,
            numeric: true,
            programs: None,
        }
    }

    #[test]
    fn inet_lines() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:08AE 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3516620 1 0 100 0 0 10 0\n   1: 0100007F:08AE 0100007F:94D0 01 00000000:00000005 00:00000000 00000000     0        0 3516630 1\n";
        let mut out = Vec::new();
        inet(&mut out, tcp, "tcp", &filter(true, false));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "tcp        0      0 127.0.0.1:2222          0.0.0.0:*               LISTEN      \n"
        );
        let mut out = Vec::new();
        inet(&mut out, tcp, "tcp", &filter(false, true));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "tcp        5      0 127.0.0.1:2222          127.0.0.1:38096         ESTABLISHED \n"
        );
        let udp6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n 1: 00000000000000000000000001000000:14E9 00000000000000000000000001000000:0009 01 00000000:00000000 00:00000000 00000000     0        0 3516629 2 0 0\n";
        let mut out = Vec::new();
        inet(&mut out, udp6, "udp", &filter(true, true));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "udp        0      0 ::1:5353                ::1:9                   ESTABLISHED \n"
        );
    }

    #[test]
    fn unix_and_route_lines() {
        let unix_table = "Num       RefCount Protocol Flags    Type St Inode Path\n0000000000000000: 00000002 00000000 00010000 0001 01 3516631 /tmp/sock\n0000000000000000: 00000002 00000000 00000000 0002 01 3516632 @abstract\n";
        let mut out = Vec::new();
        unix(&mut out, unix_table, &filter(true, true));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "unix  2      [ ACC ]     STREAM     LISTENING     3516631 /tmp/sock\nunix  2      [ ]         DGRAM                    3516632 @abstract\n"
        );
        let route = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\nlo\t0000080A\t0200090A\t0003\t0\t0\t5\t0000FFFF\t0\t0\t0\neth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
        let mut out = Vec::new();
        routes(&mut out, route, false);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains(
            "\n10.8.0.0        10.9.0.2        255.255.0.0     UG        0 0          0 lo\n"
        ));
        assert!(text.contains(
            "\ndefault         192.0.2.1       0.0.0.0         UG        0 0          0 eth0\n"
        ));
    }
}
