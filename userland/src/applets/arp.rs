//! `arp [-n] [-i IF] [-a [HOST]]`, `arp [-i IF] -s HOST HWADDR [temp|pub]`
//! and `arp [-i IF] -d HOST`: the IPv4 neighbour table from /proc/net/arp
//! in BusyBox's format, and adding or removing entries. Changes go through
//! the SIOCSARP/SIOCDARP ioctls, as BusyBox's do: unlike an rtnetlink
//! neighbour message they need no interface index, because the kernel picks
//! the interface from the route to HOST when -i is not given.

use std::ffi::OsString;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use nix::libc;

use crate::common::{error_msg, getopt, lossy, perror, usage_error, Exit};
use crate::procfs;
use crate::resolve::{self, Family};

pub const USAGE: &str = "\n[-vn]\t[-i IF] -a [HOSTNAME]\n[-v]\t[-i IF] -d HOSTNAME\n[-v]\t[-i IF] -s HOSTNAME HWADDR [temp|pub]\n\nManipulate ARP cache\n\n\t-a\t\tDisplay (all) hosts\n\t-d\t\tDelete ARP entry\n\t-s\t\tSet new entry\n\t-v\t\tVerbose\n\t-n\t\tDon't resolve names\n\t-i IF\t\tNetwork interface";

/// Entry flags (ATF_* of <net/if_arp.h>).
const ATF_COM: u32 = 0x02;
const ATF_PERM: u32 = 0x04;
const ATF_PUBL: u32 = 0x08;
const ATF_NETMASK: u32 = 0x20;
const ATF_MAGIC: u32 = 0x80;

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "vnadsi:H:A:p:", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let device = p.value('i').map(|d| lossy(d).into_owned());
    let operands: Vec<String> = p.operands.iter().map(|o| lossy(o).into_owned()).collect();
    if p.has('s') {
        return set(&operands, device.as_deref());
    }
    if p.has('d') {
        return delete(&operands, device.as_deref());
    }
    if operands.len() > 1 {
        return usage_error("arp", "too many arguments");
    }
    let table = match std::fs::read_to_string(procfs::system_file("net/arp")) {
        Ok(t) => t,
        Err(e) => {
            perror("arp", "can't open '/proc/net/arp'", &e);
            return 1;
        }
    };
    let host = match operands.first() {
        Some(h) => match resolve::lookup(h, Family::V4) {
            Ok(a) => Some(a[0]),
            Err(_) => {
                error_msg("arp", &format!("bad address '{h}'"));
                return 1;
            }
        },
        None => None,
    };
    let text = display(&table, p.has('n'), host, device.as_deref(), p.has('v'));
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(e) => crate::text::write_failed("arp", &e),
    }
}

/// The name of a hardware type number, as BusyBox's table has it.
fn hw_name(kind: u32) -> &'static str {
    match kind {
        512 => "ppp",
        772 => "loop",
        776 => "sit",
        // Ethernet, and what BusyBox does not know, shown as its default.
        _ => "ether",
    }
}

/// The table, filtered by host and device, in BusyBox's lines.
fn display(
    table: &str,
    numeric: bool,
    host: Option<IpAddr>,
    device: Option<&str>,
    verbose: bool,
) -> String {
    let mut out = String::new();
    let (mut entries, mut shown) = (0, 0);
    for line in table.lines().skip(1) {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 6 {
            continue;
        }
        entries += 1;
        let Ok(ip) = w[0].parse::<IpAddr>() else {
            continue;
        };
        let hex = |s: &str| u32::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or(0);
        let (kind, flags, hwaddr, mask, dev) = (hex(w[1]), hex(w[2]), w[3], w[4], w[5]);
        if host.is_some_and(|h| h != ip) || device.is_some_and(|d| d != dev) {
            continue;
        }
        shown += 1;
        let name = if numeric {
            "?".to_string()
        } else {
            resolve::reverse(ip).unwrap_or_else(|| "?".to_string())
        };
        out.push_str(&format!("{name} ({ip}) at "));
        if flags & ATF_COM == 0 {
            out.push_str(if flags & ATF_PUBL != 0 {
                "* "
            } else {
                "<incomplete> "
            });
        } else {
            out.push_str(&format!("{hwaddr} [{}] ", hw_name(kind)));
        }
        if flags & ATF_NETMASK != 0 {
            out.push_str(&format!("netmask {mask} "));
        }
        if flags & ATF_PERM != 0 {
            out.push_str("PERM ");
        }
        if flags & ATF_PUBL != 0 {
            out.push_str("PUB ");
        }
        if flags & ATF_MAGIC != 0 {
            out.push_str("AUTO ");
        }
        // BusyBox pads with a second space when no flag word was written.
        if flags & (ATF_NETMASK | ATF_PERM | ATF_PUBL | ATF_MAGIC) == 0 {
            out.push(' ');
        }
        out.push_str(&format!("on {dev}\n"));
    }
    if verbose {
        out.push_str(&format!(
            "Entries: {entries}\tSkipped: {}\tFound: {shown}\n",
            entries - shown
        ));
    }
    if shown == 0 && (host.is_some() || device.is_some()) {
        out.push_str(&format!("No match found in {entries} entries\n"));
    }
    out
}

/// The IPv4 address of an operand, or BusyBox's complaint.
fn address(host: &str) -> Result<Ipv4Addr, i32> {
    match resolve::lookup(host, Family::V4) {
        Ok(a) => match a[0] {
            IpAddr::V4(v4) => Ok(v4),
            IpAddr::V6(_) => Err(1),
        },
        Err(_) => {
            error_msg("arp", &format!("bad address '{host}'"));
            Err(1)
        }
    }
}

/// A `struct arpreq` for `ip` on `device`.
fn request(ip: Ipv4Addr, device: Option<&str>) -> Result<libc::arpreq, i32> {
    // SAFETY: arpreq is plain data; all-zero is a valid value.
    let mut req: libc::arpreq = unsafe { std::mem::zeroed() };
    let (storage, _) = crate::icmp::sockaddr((ip, 0).into());
    // SAFETY: sockaddr_storage starts with a sockaddr_in here, which has
    // the size of the sockaddr being filled.
    req.arp_pa = unsafe { std::ptr::read((&storage as *const libc::sockaddr_storage).cast()) };
    if let Some(dev) = device {
        if dev.len() >= req.arp_dev.len() {
            error_msg("arp", &format!("interface name '{dev}' too long"));
            return Err(1);
        }
        for (d, b) in req.arp_dev.iter_mut().zip(dev.bytes()) {
            *d = b as libc::c_char;
        }
    }
    Ok(req)
}

/// Runs an ARP ioctl on a throwaway socket.
fn ioctl(request: libc::c_ulong, req: &mut libc::arpreq) -> io::Result<()> {
    // SAFETY: socket(2) takes no pointers.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a new descriptor owned by no one else.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: req is a valid arpreq, which is what SIOC[SDG]ARP read/write.
    let r = unsafe { libc::ioctl(socket.as_raw_fd(), request as _, req as *mut libc::arpreq) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `-s HOST HWADDR [temp] [pub]`.
fn set(operands: &[String], device: Option<&str>) -> i32 {
    let [host, hw, rest @ ..] = operands else {
        return usage_error("arp", "HOSTNAME and HWADDR expected");
    };
    let ip = match address(host) {
        Ok(ip) => ip,
        Err(code) => return code,
    };
    let Some(mac) = crate::mac::parse_mac(hw).filter(|m| m.len() == 6) else {
        error_msg("arp", &format!("invalid hardware address '{hw}'"));
        return 1;
    };
    let mut flags = ATF_PERM | ATF_COM;
    for word in rest {
        match word.as_str() {
            "temp" => flags &= !ATF_PERM,
            "pub" => flags |= ATF_PUBL,
            _ => return usage_error("arp", &format!("unknown argument '{word}'")),
        }
    }
    let mut req = match request(ip, device) {
        Ok(r) => r,
        Err(code) => return code,
    };
    req.arp_ha.sa_family = libc::ARPHRD_ETHER;
    for (d, b) in req.arp_ha.sa_data.iter_mut().zip(mac) {
        *d = b as libc::c_char;
    }
    req.arp_flags = flags as libc::c_int;
    match ioctl(libc::SIOCSARP, &mut req) {
        Ok(()) => 0,
        Err(e) => {
            perror("arp", "SIOCSARP", &e);
            1
        }
    }
}

/// `-d HOST`.
fn delete(operands: &[String], device: Option<&str>) -> i32 {
    let [host, rest @ ..] = operands else {
        return usage_error("arp", "HOSTNAME expected");
    };
    let ip = match address(host) {
        Ok(ip) => ip,
        Err(code) => return code,
    };
    let mut req = match request(ip, device) {
        Ok(r) => r,
        Err(code) => return code,
    };
    // Without "pub", BusyBox deletes the private entry and, if there is
    // none, the published one; its messages follow that order.
    let only_pub = rest.iter().any(|w| w == "pub");
    if !only_pub {
        match ioctl(libc::SIOCDARP, &mut req) {
            Ok(()) => return 0,
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {}
            Err(e) => {
                perror("arp", "SIOCDARP(priv)", &e);
                return 1;
            }
        }
    }
    req.arp_flags = ATF_PUBL as libc::c_int;
    match ioctl(libc::SIOCDARP, &mut req) {
        Ok(()) => 0,
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
            println!("No ARP entry for {host}");
            1
        }
        Err(e) => {
            perror("arp", "SIOCDARP(pub)", &e);
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "IP address       HW type     Flags       HW address            Mask     Device\n192.0.2.1        0x1         0x2         02:fc:00:00:00:05     *        eth0\n192.0.2.55       0x1         0x0         00:00:00:00:00:00     *        eth0\n10.0.0.9         0x1         0x6         02:00:00:00:00:09     *        br0\n";

    #[test]
    fn lines_like_busybox() {
        assert_eq!(
            display(TABLE, true, None, None, false),
            "? (192.0.2.1) at 02:fc:00:00:00:05 [ether]  on eth0\n? (192.0.2.55) at <incomplete>  on eth0\n? (10.0.0.9) at 02:00:00:00:00:09 [ether] PERM on br0\n"
        );
        assert_eq!(
            display(TABLE, true, None, Some("br0"), false),
            "? (10.0.0.9) at 02:00:00:00:00:09 [ether] PERM on br0\n"
        );
        assert_eq!(
            display(TABLE, true, Some("10.1.1.1".parse().unwrap()), None, false),
            "No match found in 3 entries\n"
        );
    }
}
