//! `udhcpd`: the DHCP server, configured as BusyBox's is. It hands out
//! addresses from one pool on one interface, honours static leases, keeps
//! leases across restarts in its lease file, and writes a hosts file of
//! client names beside it. A packet that does not parse is logged and
//! dropped; nothing a client sends can stop the server.

mod config;
mod leases;

use std::ffi::OsString;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use ibex_dhcp::{Message, MessageType, BOOTREPLY, BOOTREQUEST, CLIENT_PORT, SERVER_PORT};
use nix::sys::signal::Signal;

use crate::common::{self, error_msg, getopt, lossy, EXIT_FAILURE};
use crate::dhcpnet::{self, Interface, Signals};
use config::Config;
use leases::{Lease, NOBODY};

/// Usage text.
pub const USAGE: &str = "[-fS] [-I ADDR] [CONFFILE]

DHCP server

\t-f\tRun in foreground
\t-S\tLog to syslog too (accepted; messages go to standard error)
\t-I ADDR\tLocal address (default: the interface's)";

const APPLET: &str = "udhcpd";
const DEFAULT_CONFIG: &str = "/etc/udhcpd.conf";
/// Most addresses of a pool looked at when searching for a free one, so
/// that a pool of a whole /8 cannot stall the server.
const MAX_SCAN: u32 = 65536;

/// Runs the server.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "fSI:a:P:", &[("foreground", 'f')], true) {
        Ok(p) => p,
        Err(common::Exit(c)) => return c,
    };
    let path = p
        .operands
        .first()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            common::perror(APPLET, path.display(), &e);
            return EXIT_FAILURE;
        }
    };
    let cfg = match config::parse(&text) {
        Ok(c) => c,
        Err(e) if e.line == 0 => {
            error_msg(APPLET, &format!("{}: {}", path.display(), e.message));
            return EXIT_FAILURE;
        }
        Err(e) => {
            error_msg(
                APPLET,
                &format!("{}:{}: {}", path.display(), e.line, e.message),
            );
            return EXIT_FAILURE;
        }
    };
    let iface = match Interface::find(&cfg.interface) {
        Ok(i) => i,
        Err(e) => {
            common::perror(APPLET, format!("interface {}", cfg.interface), &e);
            return EXIT_FAILURE;
        }
    };
    let server_ip = match p.value('I').map(|v| lossy(v).parse::<Ipv4Addr>()) {
        Some(Ok(a)) => a,
        Some(Err(_)) => return common::usage_error(APPLET, "bad address for -I"),
        None => match iface.address() {
            Ok(a) => a,
            Err(e) => {
                common::perror(APPLET, format!("address of {}", cfg.interface), &e);
                return EXIT_FAILURE;
            }
        },
    };
    let socket = match dhcpnet::udp_socket(&cfg.interface, SERVER_PORT) {
        Ok(s) => s,
        Err(e) => {
            common::perror(APPLET, "socket", &e);
            return EXIT_FAILURE;
        }
    };
    let signals = match Signals::catch(&[Signal::SIGTERM, Signal::SIGINT, Signal::SIGUSR1]) {
        Ok(s) => s,
        Err(e) => {
            common::perror(APPLET, "signals", &e);
            return EXIT_FAILURE;
        }
    };
    let leases = match std::fs::read_to_string(&cfg.lease_file) {
        Ok(text) => {
            let (leases, bad) = leases::parse(&text);
            for line in bad {
                error_msg(
                    APPLET,
                    &format!("{}:{line}: bad lease, skipped", cfg.lease_file.display()),
                );
            }
            leases
        }
        Err(_) => Vec::new(),
    };
    error_msg(APPLET, "started, v1.35.0 (ibox)");
    if !p.has('f') {
        dhcpnet::daemonize();
    }
    dhcpnet::write_pidfile(cfg.pidfile.as_deref());
    let mut server = Server {
        cfg,
        server_ip,
        leases,
        socket,
    };
    server.run(&signals)
}

struct Server {
    cfg: Config,
    server_ip: Ipv4Addr,
    leases: Vec<Lease>,
    socket: UdpSocket,
}

impl Server {
    fn run(&mut self, signals: &Signals) -> i32 {
        let mut buf = vec![0u8; 65536];
        let auto_ms = if self.cfg.auto_time == 0 {
            -1
        } else {
            i32::try_from(u64::from(self.cfg.auto_time) * 1000).unwrap_or(i32::MAX)
        };
        loop {
            let ready =
                dhcpnet::wait_readable(&[signals.as_raw_fd(), self.socket.as_raw_fd()], auto_ms);
            if !ready.iter().any(|r| *r) {
                self.save();
                continue;
            }
            if ready[0] {
                while let Some(sig) = signals.next() {
                    self.save();
                    if sig != Signal::SIGUSR1 as i32 {
                        error_msg(APPLET, "received SIGTERM");
                        if let Some(p) = &self.cfg.pidfile {
                            let _ = std::fs::remove_file(p);
                        }
                        return 0;
                    }
                }
            }
            if ready[1] {
                let (n, from) = match self.socket.recv_from(&mut buf) {
                    Ok(r) => r,
                    Err(_) => continue,
                };
                match Message::parse(&buf[..n]) {
                    Ok(m) => {
                        if let Some((reply, to)) = self.handle(&m) {
                            if let Err(e) = self.socket.send_to(&reply.encode(), to) {
                                common::perror(APPLET, format!("sendto {to}"), &e);
                            }
                        }
                    }
                    Err(e) => error_msg(APPLET, &format!("bad packet from {from}: {e}")),
                }
            }
        }
    }

    fn save(&self) {
        if let Err(e) = leases::save(&self.cfg.lease_file, &self.leases, dhcpnet::unix_now()) {
            common::perror(APPLET, self.cfg.lease_file.display(), &e);
            return;
        }
        if let Some(prog) = &self.cfg.notify_file {
            let _ = std::process::Command::new(prog)
                .arg(&self.cfg.lease_file)
                .status();
        }
    }

    fn in_pool(&self, ip: Ipv4Addr) -> bool {
        let n = u32::from(ip);
        (u32::from(self.cfg.start)..=u32::from(self.cfg.end)).contains(&n)
    }

    fn static_ip(&self, mac: &[u8; 6]) -> Option<Ipv4Addr> {
        self.cfg
            .static_leases
            .iter()
            .find(|s| &s.mac == mac)
            .map(|s| s.ip)
    }

    /// Whether `ip` may be given to `mac` now.
    fn free_for(&self, ip: Ipv4Addr, mac: &[u8; 6], now: u64) -> bool {
        let last = ip.octets()[3];
        if ip == self.server_ip || !self.in_pool(ip) || last == 0 || last == 255 {
            return false;
        }
        if self
            .cfg
            .static_leases
            .iter()
            .any(|s| s.ip == ip && &s.mac != mac)
        {
            return false;
        }
        !self
            .leases
            .iter()
            .any(|l| l.ip == ip && &l.mac != mac && l.expires > now)
    }

    /// Leases running now, held-back addresses excluded.
    fn active(&self, now: u64) -> usize {
        self.leases
            .iter()
            .filter(|l| l.expires > now && l.mac != NOBODY)
            .count()
    }

    /// The address to offer `mac`: its static one, the one it had, the
    /// one it asks for, a never-used one, or the longest-expired one.
    fn choose(&self, mac: &[u8; 6], requested: Option<Ipv4Addr>, now: u64) -> Option<Ipv4Addr> {
        if let Some(ip) = self.static_ip(mac) {
            return Some(ip);
        }
        if let Some(l) = self.leases.iter().find(|l| &l.mac == mac) {
            if self.free_for(l.ip, mac, now) {
                return Some(l.ip);
            }
        }
        if self.active(now) >= self.cfg.max_leases as usize {
            return None;
        }
        if let Some(ip) = requested.filter(|ip| self.free_for(*ip, mac, now)) {
            return Some(ip);
        }
        let start = u32::from(self.cfg.start);
        let end = u32::from(self.cfg.end).min(start.saturating_add(MAX_SCAN));
        let mut oldest: Option<(u64, Ipv4Addr)> = None;
        for n in start..=end {
            let ip = Ipv4Addr::from(n);
            if !self.free_for(ip, mac, now) {
                continue;
            }
            match self.leases.iter().find(|l| l.ip == ip) {
                None => return Some(ip),
                Some(l) => {
                    if oldest.is_none_or(|(e, _)| l.expires < e) {
                        oldest = Some((l.expires, ip));
                    }
                }
            }
        }
        oldest.map(|(_, ip)| ip)
    }

    /// Records that `mac` holds `ip` until `expires`, replacing its other
    /// lease and any stale one on the address.
    fn record(&mut self, mac: [u8; 6], ip: Ipv4Addr, expires: u64, hostname: Option<String>) {
        let keep_name = self
            .leases
            .iter()
            .find(|l| l.mac == mac)
            .and_then(|l| l.hostname.clone());
        self.leases.retain(|l| l.mac != mac && l.ip != ip);
        self.leases.push(Lease {
            mac,
            ip,
            expires,
            hostname: hostname.or(keep_name),
        });
    }

    /// A reply to `req` of type `t` offering or confirming `yiaddr`.
    fn reply(&self, req: &Message, t: MessageType, yiaddr: Ipv4Addr, lease: u32) -> Message {
        let mut m = Message {
            op: BOOTREPLY,
            htype: req.htype,
            hlen: req.hlen,
            xid: req.xid,
            flags: req.flags,
            ciaddr: if t == MessageType::Offer {
                Ipv4Addr::UNSPECIFIED
            } else {
                req.ciaddr
            },
            yiaddr,
            siaddr: self.cfg.siaddr,
            giaddr: req.giaddr,
            chaddr: req.chaddr,
            sname: self.cfg.sname.clone(),
            file: self.cfg.boot_file.clone(),
            ..Message::default()
        };
        if t != MessageType::Nak {
            m.options = self.cfg.options.clone();
            if t != MessageType::Ack || !yiaddr.is_unspecified() {
                m.options.lease_time = Some(lease);
            }
        }
        m.options.message_type = Some(t);
        m.options.server_id = Some(self.server_ip);
        m
    }

    /// Where a reply goes: the relay, the client's address when it has
    /// one, or everyone on the link.
    fn destination(req: &Message, t: MessageType) -> SocketAddrV4 {
        if !req.giaddr.is_unspecified() {
            SocketAddrV4::new(req.giaddr, SERVER_PORT)
        } else if t != MessageType::Nak && !req.ciaddr.is_unspecified() {
            SocketAddrV4::new(req.ciaddr, CLIENT_PORT)
        } else {
            SocketAddrV4::new(Ipv4Addr::BROADCAST, CLIENT_PORT)
        }
    }

    /// The lease time for a client that asked for `asked` seconds.
    fn lease_time(&self, asked: Option<u32>) -> u32 {
        match asked {
            Some(a) if a < self.cfg.lease => a.max(self.cfg.min_lease),
            _ => self.cfg.lease,
        }
    }

    /// Answers one request, or not.
    fn handle(&mut self, req: &Message) -> Option<(Message, SocketAddrV4)> {
        if req.op != BOOTREQUEST || req.hlen != 6 {
            return None;
        }
        let t = req.options.message_type?;
        let mut mac = [0u8; 6];
        mac.copy_from_slice(&req.chaddr[..6]);
        if mac == NOBODY {
            // All zeroes marks held-back addresses; no client has it.
            error_msg(APPLET, "request without a client MAC, dropped");
            return None;
        }
        let mac_text = crate::mac::mac_text(&mac);
        let now = dhcpnet::unix_now();
        let hostname = req
            .options
            .hostname
            .as_deref()
            .and_then(leases::clean_hostname);
        let answer = |server: &Server, t: MessageType, ip: Ipv4Addr, lease: u32| {
            Some((server.reply(req, t, ip, lease), Self::destination(req, t)))
        };
        match t {
            MessageType::Discover => {
                let Some(ip) = self.choose(&mac, req.options.requested_ip, now) else {
                    error_msg(APPLET, "no free IP addresses. OFFER abandoned");
                    return None;
                };
                // Hold the address for the offer, without shortening a
                // lease the client already has on it.
                let held = now + u64::from(self.cfg.offer_time);
                let expires = self
                    .leases
                    .iter()
                    .find(|l| l.mac == mac && l.ip == ip)
                    .map_or(held, |l| l.expires.max(held));
                self.record(mac, ip, expires, hostname);
                error_msg(APPLET, &format!("sending OFFER to {ip}"));
                let lease = self.lease_time(req.options.lease_time);
                answer(self, MessageType::Offer, ip, lease)
            }
            MessageType::Request => {
                if let Some(sid) = req.options.server_id {
                    if sid != self.server_ip {
                        // The client took another server's offer.
                        return None;
                    }
                }
                let requested = req
                    .options
                    .requested_ip
                    .or((!req.ciaddr.is_unspecified()).then_some(req.ciaddr))?;
                let ours = self
                    .leases
                    .iter()
                    .any(|l| l.mac == mac && l.ip == requested);
                let allowed = match self.static_ip(&mac) {
                    Some(s) => s == requested,
                    None => ours || self.free_for(requested, &mac, now),
                };
                if allowed && (ours || self.static_ip(&mac).is_some() || self.in_pool(requested)) {
                    let lease = self.lease_time(req.options.lease_time);
                    self.record(mac, requested, now + u64::from(lease), hostname);
                    self.save();
                    error_msg(APPLET, &format!("sending ACK to {requested}"));
                    return answer(self, MessageType::Ack, requested, lease);
                }
                // Stay silent about addresses of other networks (another
                // server may own them); refuse ours.
                if req.options.server_id.is_some() || self.in_pool(requested) {
                    error_msg(APPLET, &format!("sending NAK to {mac_text}"));
                    return answer(self, MessageType::Nak, Ipv4Addr::UNSPECIFIED, 0);
                }
                None
            }
            MessageType::Decline => {
                let ip = req.options.requested_ip?;
                if req.options.server_id != Some(self.server_ip) {
                    return None;
                }
                error_msg(APPLET, &format!("{mac_text} declined {ip}"));
                let until = now + u64::from(self.cfg.decline_time);
                self.leases.retain(|l| l.ip != ip);
                self.leases.push(Lease {
                    mac: NOBODY,
                    ip,
                    expires: until,
                    hostname: None,
                });
                self.save();
                None
            }
            MessageType::Release => {
                if let Some(l) = self
                    .leases
                    .iter_mut()
                    .find(|l| l.mac == mac && l.ip == req.ciaddr)
                {
                    l.expires = now;
                    error_msg(APPLET, &format!("{mac_text} released {}", req.ciaddr));
                }
                self.save();
                None
            }
            MessageType::Inform => answer(self, MessageType::Ack, Ipv4Addr::UNSPECIFIED, 0),
            _ => None,
        }
    }
}
