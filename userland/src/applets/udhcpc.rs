//! `udhcpc`: the DHCP client, BusyBox's in options, messages and script
//! protocol. The program only talks DHCP; configuring the interface is the
//! script's job (`deconfig`, `bound`, `renew`, `nak`, `leasefail`, with the
//! lease in the environment), as with BusyBox, so the same scripts work.
//!
//! Before it has an address it speaks through a packet socket with IP and
//! UDP headers built by hand; renewing and rebinding go through a UDP
//! socket tied to the interface. One `poll()` loop waits for packets,
//! timeouts and signals (SIGUSR1 renew, SIGUSR2 release, SIGTERM exit).

use std::ffi::{OsStr, OsString};
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ibex_dhcp::{frame, Message, MessageType, CLIENT_PORT, FLAG_BROADCAST, SERVER_PORT};
use nix::sys::signal::Signal;

use crate::common::{self, error_msg, getopt, lossy, usage_error, EXIT_FAILURE};
use crate::dhcpnet::{self, Interface, PacketSocket, Signals};

/// Usage text.
pub const USAGE: &str = "[-fbnqoRCB] [-i IFACE] [-s PROG] [-p PIDFILE] [-t N] [-T SEC] [-A SEC]
\t[-r IP] [-x OPT:VAL]... [-O OPT]... [-V VENDOR] [-H HOSTNAME]

\t-i IFACE\tInterface to use (default eth0)
\t-s PROG\t\tRun PROG at DHCP events (default /usr/share/udhcpc/default.script)
\t-p FILE\t\tCreate pidfile
\t-B\t\tRequest broadcast replies
\t-t N\t\tSend up to N discover packets (default 3)
\t-T SEC\t\tPause between packets (default 3)
\t-A SEC\t\tWait if lease is not obtained (default 20)
\t-b\t\tBackground if lease is not obtained
\t-n\t\tExit if lease is not obtained
\t-q\t\tExit after obtaining lease
\t-R\t\tRelease IP on exit
\t-f\t\tRun in foreground
\t-r IP\t\tRequest this IP address
\t-x OPT:VAL\tInclude option OPT in sent packets (e.g. hostname:box)
\t-O OPT\t\tRequest option OPT from server
\t-C\t\tDon't send MAC as client identifier
\t-V VENDOR\tVendor identifier (default 'udhcp ibox')
\t-H NAME\t\tSend NAME as client hostname
Signals:
\tUSR1\tRenew lease
\tUSR2\tRelease lease";

const APPLET: &str = "udhcpc";
/// The script BusyBox and Alpine install.
const DEFAULT_SCRIPT: &str = "/usr/share/udhcpc/default.script";
/// Lease time assumed when the server sends none (BusyBox's).
const DEFAULT_LEASE: u32 = 3600;
/// Pause after a NAK before starting over (BusyBox's).
const NAK_PAUSE: Duration = Duration::from_secs(3);
/// Options asked for by default: subnet, router, DNS, hostname, domain,
/// broadcast, NTP servers (those BusyBox marks as requested by default).
const DEFAULT_REQUESTS: [u8; 7] = [1, 3, 6, 12, 15, 28, 42];

/// Named options for `-O` and `-x`, and the environment names the script
/// sees them under (BusyBox's names).
const OPTION_NAMES: &[(&str, u8)] = &[
    ("subnet", 1),
    ("timezone", 2),
    ("router", 3),
    ("dns", 6),
    ("hostname", 12),
    ("domain", 15),
    ("mtu", 26),
    ("broadcast", 28),
    ("ntpsrv", 42),
    ("lease", 51),
    ("serverid", 54),
    ("message", 56),
    ("tftp", 66),
    ("bootfile", 67),
    ("search", 119),
    ("staticroutes", 121),
];

/// What the command line asked for.
struct Config {
    iface: String,
    script: PathBuf,
    pidfile: Option<PathBuf>,
    foreground: bool,
    background: bool,
    exit_no_lease: bool,
    quit: bool,
    release_on_exit: bool,
    client_id: bool,
    broadcast_flag: bool,
    retries: u32,
    timeout: Duration,
    tryagain: Duration,
    request_ip: Option<Ipv4Addr>,
    requests: Vec<u8>,
    extra: Vec<(u8, Vec<u8>)>,
    vendor: Vec<u8>,
}

/// An option code from a name or a number (`dns`, `6`, `0x06`).
fn option_code(text: &str) -> Option<u8> {
    if let Some(&(_, c)) = OPTION_NAMES.iter().find(|(n, _)| *n == text) {
        return Some(c);
    }
    match text.strip_prefix("0x") {
        Some(hex) => u8::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// The value of `-x OPT:VAL`: text for the text options, a number for
/// lease and mtu, an address for address options, hex for others.
fn option_value(code: u8, text: &str) -> Option<Vec<u8>> {
    match code {
        12 | 15 | 56 | 66 | 67 => Some(text.as_bytes().to_vec()),
        51 => text.parse::<u32>().ok().map(|n| n.to_be_bytes().to_vec()),
        26 => text.parse::<u16>().ok().map(|n| n.to_be_bytes().to_vec()),
        1 | 28 | 50 | 54 => text.parse::<Ipv4Addr>().ok().map(|a| a.octets().to_vec()),
        _ => {
            let hex: Vec<u8> = text.bytes().filter(|b| *b != b':').collect();
            if hex.len() & 1 == 1 {
                return None;
            }
            hex.chunks(2)
                .map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
                .collect()
        }
    }
}

fn parse_args(args: &[OsString]) -> Result<Config, i32> {
    let p = getopt(
        args,
        "i:s:p:fbnqoRCBSat:T:A:r:x:O:V:H:h:F:",
        &[
            ("interface", 'i'),
            ("script", 's'),
            ("pidfile", 'p'),
            ("foreground", 'f'),
            ("background", 'b'),
            ("now", 'n'),
            ("quit", 'q'),
            ("release", 'R'),
            ("retries", 't'),
            ("timeout", 'T'),
            ("tryagain", 'A'),
            ("request", 'r'),
            ("request-option", 'O'),
            ("vendorclass", 'V'),
            ("hostname", 'H'),
            ("broadcast", 'B'),
        ],
        true,
    )
    .map_err(|common::Exit(c)| c)?;
    let text = |c: char| p.value(c).map(|v| lossy(v).into_owned());
    let number = |c: char, default: u32| -> Result<u32, i32> {
        match text(c) {
            None => Ok(default),
            Some(t) => t
                .parse()
                .map_err(|_| usage_error(APPLET, &format!("invalid number '{t}'"))),
        }
    };
    let mut cfg = Config {
        iface: text('i').unwrap_or_else(|| "eth0".into()),
        script: p
            .value('s')
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SCRIPT)),
        pidfile: p.value('p').map(PathBuf::from),
        foreground: p.has('f'),
        background: p.has('b'),
        exit_no_lease: p.has('n'),
        quit: p.has('q'),
        release_on_exit: p.has('R'),
        client_id: !p.has('C'),
        broadcast_flag: p.has('B'),
        retries: number('t', 3)?,
        timeout: Duration::from_secs(u64::from(number('T', 3)?.max(1))),
        tryagain: Duration::from_secs(u64::from(number('A', 20)?.max(1))),
        request_ip: None,
        // -o: ask only for what -O names.
        requests: if p.has('o') {
            Vec::new()
        } else {
            DEFAULT_REQUESTS.to_vec()
        },
        extra: Vec::new(),
        vendor: b"udhcp ibox".to_vec(),
    };
    if let Some(t) = text('r') {
        cfg.request_ip = Some(
            t.parse()
                .map_err(|_| usage_error(APPLET, &format!("bad IP address '{t}'")))?,
        );
    }
    if let Some(v) = p.value('V') {
        cfg.vendor = v.as_bytes().to_vec();
    }
    for (c, v) in &p.opts {
        let Some(v) = v.as_deref().map(lossy) else {
            continue;
        };
        match c {
            'O' => {
                let code = option_code(&v)
                    .ok_or_else(|| usage_error(APPLET, &format!("unknown option '{v}'")))?;
                if !cfg.requests.contains(&code) {
                    cfg.requests.push(code);
                }
            }
            'x' => {
                let (name, value) = v
                    .split_once(':')
                    .ok_or_else(|| usage_error(APPLET, &format!("bad -x option '{v}'")))?;
                let code = option_code(name)
                    .ok_or_else(|| usage_error(APPLET, &format!("unknown option '{name}'")))?;
                let value = option_value(code, value)
                    .ok_or_else(|| usage_error(APPLET, &format!("bad value '{value}'")))?;
                cfg.extra.retain(|(o, _)| *o != code);
                cfg.extra.push((code, value));
            }
            'H' | 'h' => {
                cfg.extra.retain(|(o, _)| *o != 12);
                cfg.extra.push((12, v.as_bytes().to_vec()));
            }
            _ => {}
        }
    }
    Ok(cfg)
}

/// Where the client is in RFC 2131's state diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Broadcasting DISCOVERs.
    Selecting,
    /// Asked for an offered address.
    Requesting { offered: Ipv4Addr, server: Ipv4Addr },
    /// Holding a lease until T1.
    Bound,
    /// Asking the lease's server, by unicast, to extend it.
    Renewing,
    /// Asking any server, by broadcast, to extend it.
    Rebinding,
    /// Gave the lease back; waits for SIGUSR1.
    Released,
}

/// The lease held.
struct Lease {
    ip: Ipv4Addr,
    server: Ipv4Addr,
    t2: Instant,
    expiry: Instant,
}

/// How packets are being received.
enum Listen {
    None,
    Raw(PacketSocket),
    Udp(UdpSocket),
}

struct Client {
    cfg: Config,
    iface: Interface,
    state: State,
    xid: u32,
    lease: Option<Lease>,
    listen: Listen,
    sent: u32,
    next: Option<Instant>,
    in_background: bool,
}

/// Runs the client.
pub fn main(args: Vec<OsString>) -> i32 {
    let cfg = match parse_args(&args) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let iface = match Interface::find(&cfg.iface) {
        Ok(i) => i,
        Err(e) => {
            common::perror(APPLET, format!("ioctl on {}", cfg.iface), &e);
            return EXIT_FAILURE;
        }
    };
    let signals = match Signals::catch(&[
        Signal::SIGUSR1,
        Signal::SIGUSR2,
        Signal::SIGTERM,
        Signal::SIGINT,
    ]) {
        Ok(s) => s,
        Err(e) => {
            common::perror(APPLET, "signals", &e);
            return EXIT_FAILURE;
        }
    };
    dhcpnet::write_pidfile(cfg.pidfile.as_deref());
    error_msg(APPLET, "started, v1.35.0 (ibox)");
    let mut c = Client {
        cfg,
        iface,
        state: State::Selecting,
        xid: 0,
        lease: None,
        listen: Listen::None,
        sent: 0,
        next: Some(Instant::now()),
        in_background: false,
    };
    c.script("deconfig", None);
    let code = c.run(&signals);
    if let Some(p) = &c.cfg.pidfile {
        let _ = std::fs::remove_file(p);
    }
    code
}

impl Client {
    fn run(&mut self, signals: &Signals) -> i32 {
        let mut buf = vec![0u8; 4096];
        loop {
            if let Err(e) = self.set_listen() {
                common::perror(APPLET, "socket", &e);
                return EXIT_FAILURE;
            }
            let wait = match self.next {
                None => -1,
                Some(t) => {
                    let left = t.saturating_duration_since(Instant::now()).as_millis();
                    i32::try_from(left).unwrap_or(i32::MAX)
                }
            };
            let mut fds = vec![signals.as_raw_fd()];
            match &self.listen {
                Listen::None => {}
                Listen::Raw(s) => fds.push(s.as_raw_fd()),
                Listen::Udp(s) => fds.push(s.as_raw_fd()),
            }
            let ready = dhcpnet::wait_readable(&fds, wait);
            if ready[0] {
                while let Some(sig) = signals.next() {
                    if let Some(code) = self.on_signal(sig) {
                        return code;
                    }
                }
            }
            if ready.get(1) == Some(&true) {
                if let Some(m) = self.receive(&mut buf) {
                    if let Some(code) = self.on_message(m) {
                        return code;
                    }
                }
            }
            if self.next.is_some_and(|t| t <= Instant::now()) {
                if let Some(code) = self.on_timeout() {
                    return code;
                }
            }
        }
    }

    /// Opens the socket the state listens on, closing the other.
    fn set_listen(&mut self) -> std::io::Result<()> {
        match (self.state, &self.listen) {
            (State::Selecting | State::Requesting { .. }, Listen::Raw(_)) => {}
            (State::Selecting | State::Requesting { .. }, _) => {
                self.listen = Listen::None;
                self.listen = Listen::Raw(PacketSocket::open(self.iface.index)?);
            }
            (State::Renewing | State::Rebinding, Listen::Udp(_)) => {}
            (State::Renewing | State::Rebinding, _) => {
                self.listen = Listen::None;
                self.listen = Listen::Udp(dhcpnet::udp_socket(&self.iface.name, CLIENT_PORT)?);
            }
            (State::Bound | State::Released, _) => self.listen = Listen::None,
        }
        Ok(())
    }

    /// Reads one packet and keeps it if it is a reply to us.
    fn receive(&mut self, buf: &mut [u8]) -> Option<Message> {
        let payload = match &self.listen {
            Listen::None => return None,
            Listen::Raw(s) => {
                let (n, ready) = s.recv(buf).ok()?;
                let d = frame::parse_with(&buf[..n], ready).ok()?;
                if d.destination_port != CLIENT_PORT {
                    return None;
                }
                d.payload.to_vec()
            }
            Listen::Udp(s) => {
                let (n, _) = s.recv_from(buf).ok()?;
                buf[..n].to_vec()
            }
        };
        let m = match Message::parse(&payload) {
            Ok(m) => m,
            Err(e) => {
                error_msg(APPLET, &format!("bad packet: {e}"));
                return None;
            }
        };
        let ours = m.op == ibex_dhcp::BOOTREPLY
            && m.xid == self.xid
            && m.chaddr[..6] == self.iface.mac
            && m.options.message_type.is_some();
        ours.then_some(m)
    }

    /// A message with what every one of ours carries.
    fn message(&self, t: MessageType) -> Message {
        let mut m = Message {
            xid: self.xid,
            ..Message::default()
        };
        m.chaddr[..6].copy_from_slice(&self.iface.mac);
        if self.cfg.broadcast_flag {
            m.flags = FLAG_BROADCAST;
        }
        let o = &mut m.options;
        o.message_type = Some(t);
        if self.cfg.client_id {
            let mut id = vec![1];
            id.extend_from_slice(&self.iface.mac);
            o.client_id = Some(id);
        }
        if matches!(
            t,
            MessageType::Discover | MessageType::Request | MessageType::Inform
        ) {
            o.parameter_request_list =
                (!self.cfg.requests.is_empty()).then(|| self.cfg.requests.clone());
            o.max_message_size = Some(576);
            o.vendor_class = Some(self.cfg.vendor.clone());
            for (c, v) in &self.cfg.extra {
                set_option(o, *c, v);
            }
        }
        m
    }

    /// Sends through the packet socket from 0.0.0.0 to everyone.
    fn broadcast_raw(&self, m: &Message) {
        let packet = frame::build(
            Ipv4Addr::UNSPECIFIED,
            CLIENT_PORT,
            Ipv4Addr::BROADCAST,
            SERVER_PORT,
            &m.encode(),
        );
        let sent = match &self.listen {
            Listen::Raw(s) => s.send_broadcast(&packet),
            _ => PacketSocket::open(self.iface.index).and_then(|s| s.send_broadcast(&packet)),
        };
        if let Err(e) = sent {
            common::perror(APPLET, "sendto", &e);
        }
    }

    /// Sends through the kernel's UDP (we have an address) to `to`.
    fn send_udp(&self, m: &Message, to: Ipv4Addr) {
        let sent = match &self.listen {
            Listen::Udp(s) => s.send_to(&m.encode(), SocketAddrV4::new(to, SERVER_PORT)),
            _ => dhcpnet::udp_socket(&self.iface.name, CLIENT_PORT)
                .and_then(|s| s.send_to(&m.encode(), SocketAddrV4::new(to, SERVER_PORT))),
        };
        if let Err(e) = sent {
            common::perror(APPLET, "sendto", &e);
        }
    }

    fn send_discover(&mut self) {
        if self.sent == 0 {
            self.xid = dhcpnet::random_u32();
        }
        let mut m = self.message(MessageType::Discover);
        m.options.requested_ip = self.cfg.request_ip;
        error_msg(APPLET, "broadcasting discover");
        self.broadcast_raw(&m);
        self.sent += 1;
        self.next = Some(Instant::now() + self.cfg.timeout);
    }

    fn send_select(&mut self, offered: Ipv4Addr, server: Ipv4Addr) {
        let mut m = self.message(MessageType::Request);
        m.options.requested_ip = Some(offered);
        m.options.server_id = Some(server);
        error_msg(
            APPLET,
            &format!("broadcasting select for {offered}, server {server}"),
        );
        self.broadcast_raw(&m);
        self.sent += 1;
        self.next = Some(Instant::now() + self.cfg.timeout);
    }

    /// A renewing (unicast) or rebinding (broadcast) request, then the
    /// next try half way to the deadline (T2 or expiry), at least 1 s on.
    fn send_renew(&mut self) {
        let Some(lease) = &self.lease else {
            return;
        };
        let (ip, server) = (lease.ip, lease.server);
        let deadline = if self.state == State::Renewing {
            lease.t2
        } else {
            lease.expiry
        };
        self.xid = dhcpnet::random_u32();
        let mut m = self.message(MessageType::Request);
        m.ciaddr = ip;
        if self.state == State::Renewing {
            error_msg(APPLET, &format!("sending renew to server {server}"));
            self.send_udp(&m, server);
        } else {
            error_msg(APPLET, "broadcasting renew");
            self.send_udp(&m, Ipv4Addr::BROADCAST);
        }
        let now = Instant::now();
        let half = deadline.saturating_duration_since(now) / 2;
        self.next = Some((now + half.max(Duration::from_secs(1))).min(deadline.max(now)));
    }

    fn release(&mut self) {
        if let Some(lease) = self.lease.take() {
            error_msg(
                APPLET,
                &format!(
                    "sending release to server {} for {}",
                    lease.server, lease.ip
                ),
            );
            let mut m = self.message(MessageType::Release);
            m.ciaddr = lease.ip;
            m.options.server_id = Some(lease.server);
            self.send_udp(&m, lease.server);
            self.script("deconfig", None);
        }
        error_msg(APPLET, "entering released state");
        self.state = State::Released;
        self.next = None;
    }

    /// Starts over from DISCOVER, now.
    fn restart(&mut self) {
        self.state = State::Selecting;
        self.sent = 0;
        self.next = Some(Instant::now());
    }

    fn on_signal(&mut self, sig: i32) -> Option<i32> {
        match sig {
            s if s == Signal::SIGUSR1 as i32 => {
                error_msg(APPLET, "performing DHCP renew");
                if self.lease.is_some() {
                    self.state = State::Renewing;
                    let _ = self.set_listen();
                    self.send_renew();
                } else {
                    self.restart();
                }
            }
            s if s == Signal::SIGUSR2 as i32 => {
                error_msg(APPLET, "performing DHCP release");
                self.release();
            }
            _ => {
                error_msg(APPLET, "received SIGTERM");
                if self.cfg.release_on_exit {
                    self.release();
                }
                return Some(0);
            }
        }
        None
    }

    fn on_timeout(&mut self) -> Option<i32> {
        let now = Instant::now();
        match self.state {
            State::Selecting => {
                if self.sent < self.cfg.retries.max(1) {
                    self.send_discover();
                    return None;
                }
                self.script("leasefail", None);
                if self.cfg.exit_no_lease {
                    error_msg(APPLET, "no lease, failing");
                    return Some(EXIT_FAILURE);
                }
                if self.cfg.background && !self.cfg.foreground && !self.in_background {
                    error_msg(APPLET, "no lease, forking to background");
                    self.go_background();
                }
                self.sent = 0;
                self.next = Some(now + self.cfg.tryagain);
            }
            State::Requesting { offered, server } => {
                if self.sent < self.cfg.retries.max(1) {
                    self.send_select(offered, server);
                } else {
                    self.restart();
                }
            }
            State::Bound | State::Renewing | State::Rebinding => {
                let Some(lease) = &self.lease else {
                    self.restart();
                    return None;
                };
                if now >= lease.expiry {
                    error_msg(APPLET, "lease lost, entering init state");
                    self.lease = None;
                    self.script("deconfig", None);
                    self.restart();
                } else if now >= lease.t2 {
                    self.state = State::Rebinding;
                    let _ = self.set_listen();
                    self.send_renew();
                } else {
                    self.state = State::Renewing;
                    let _ = self.set_listen();
                    self.send_renew();
                }
            }
            State::Released => self.next = None,
        }
        None
    }

    fn on_message(&mut self, m: Message) -> Option<i32> {
        let t = m.options.message_type?;
        match (self.state, t) {
            (State::Selecting, MessageType::Offer) => {
                let server = m.options.server_id?;
                if m.yiaddr.is_unspecified() {
                    return None;
                }
                self.state = State::Requesting {
                    offered: m.yiaddr,
                    server,
                };
                self.sent = 0;
                self.send_select(m.yiaddr, server);
            }
            (State::Requesting { server, .. }, MessageType::Ack) => {
                if m.options.server_id.is_some_and(|s| s != server) {
                    return None;
                }
                return self.bound(&m, "bound");
            }
            (State::Renewing | State::Rebinding, MessageType::Ack) => {
                return self.bound(&m, "renew");
            }
            (State::Requesting { .. } | State::Renewing | State::Rebinding, MessageType::Nak) => {
                let text = m
                    .options
                    .message
                    .as_deref()
                    .map(|b| format!(" ({})", String::from_utf8_lossy(b)))
                    .unwrap_or_default();
                error_msg(APPLET, &format!("received DHCP NAK{text}"));
                self.script("nak", Some(&m));
                if self.lease.take().is_some() {
                    self.script("deconfig", None);
                }
                self.restart();
                self.next = Some(Instant::now() + NAK_PAUSE);
            }
            _ => {}
        }
        None
    }

    /// Takes the lease of `m` (an ACK) and tells the script.
    fn bound(&mut self, m: &Message, action: &str) -> Option<i32> {
        let server = m
            .options
            .server_id
            .or(self.lease.as_ref().map(|l| l.server))
            .unwrap_or(Ipv4Addr::UNSPECIFIED);
        let secs = m.options.lease_time.unwrap_or_else(|| {
            error_msg(APPLET, "no lease time with ACK, using 1 hour lease");
            DEFAULT_LEASE
        });
        // Below 10 s the renewal arithmetic would spin; BusyBox also
        // floors it.
        let secs = secs.max(10);
        let t1 = m.options.renewal_time.unwrap_or(secs / 2).min(secs);
        let t2 = m
            .options
            .rebinding_time
            .unwrap_or(secs / 8 * 7)
            .clamp(t1, secs);
        let now = Instant::now();
        let at = |s: u32| now + Duration::from_secs(u64::from(s));
        self.lease = Some(Lease {
            ip: m.yiaddr,
            server,
            t2: at(t2),
            expiry: at(secs),
        });
        error_msg(
            APPLET,
            &format!(
                "lease of {} obtained from {server}, lease time {secs}",
                m.yiaddr
            ),
        );
        self.script(action, Some(m));
        self.state = State::Bound;
        self.next = Some(at(t1));
        if self.cfg.quit {
            if self.cfg.release_on_exit {
                self.release();
            }
            return Some(0);
        }
        if !self.cfg.foreground && !self.in_background {
            self.go_background();
        }
        None
    }

    fn go_background(&mut self) {
        dhcpnet::daemonize();
        self.in_background = true;
        dhcpnet::write_pidfile(self.cfg.pidfile.as_deref());
    }

    /// Runs the script with `action` and the lease of `m` in the
    /// environment.
    fn script(&self, action: &str, m: Option<&Message>) {
        let mut cmd = std::process::Command::new(&self.cfg.script);
        cmd.arg(action).env("interface", &self.iface.name);
        if let Some(m) = m {
            for (k, v) in script_env(m) {
                cmd.env(k, v);
            }
        }
        match cmd.status() {
            Ok(_) => {}
            Err(e) => common::perror(
                APPLET,
                format!("can't execute '{}'", self.cfg.script.display()),
                &e,
            ),
        }
    }
}

/// Sets option `c` in `o` from its wire value, typed when it has a field.
fn set_option(o: &mut ibex_dhcp::Options, c: u8, v: &[u8]) {
    match c {
        12 => o.hostname = Some(v.to_vec()),
        15 => o.domain_name = Some(v.to_vec()),
        50 => o.requested_ip = <[u8; 4]>::try_from(v).ok().map(Ipv4Addr::from),
        51 => o.lease_time = <[u8; 4]>::try_from(v).ok().map(u32::from_be_bytes),
        60 => o.vendor_class = Some(v.to_vec()),
        61 => o.client_id = Some(v.to_vec()),
        _ if !ibex_dhcp::is_known_option(c) => {
            o.other.retain(|(x, _)| *x != c);
            o.other.push((c, v.to_vec()));
        }
        // Other typed options make no sense from a client.
        _ => {}
    }
}

/// Addresses in a value, space-separated.
fn addr_list(v: &[u8]) -> String {
    v.chunks_exact(4)
        .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]).to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Text with NULs (which an environment cannot hold) removed.
fn env_text(v: &[u8]) -> OsString {
    OsStr::from_bytes(&v.iter().copied().filter(|&b| b != 0).collect::<Vec<u8>>()).to_os_string()
}

/// The environment BusyBox gives the script for a lease: `ip`, `siaddr`,
/// `sname`, `boot_file`, the named options (`subnet` also as `mask`, the
/// prefix length) and every other option as `optNN` in hex.
fn script_env(m: &Message) -> Vec<(String, OsString)> {
    let mut env: Vec<(String, OsString)> = Vec::new();
    let mut put = |k: &str, v: OsString| env.push((k.to_string(), v));
    if !m.yiaddr.is_unspecified() {
        put("ip", m.yiaddr.to_string().into());
    }
    if !m.siaddr.is_unspecified() {
        put("siaddr", m.siaddr.to_string().into());
    }
    if !m.sname.is_empty() {
        put("sname", env_text(&m.sname));
    }
    if !m.file.is_empty() {
        put("boot_file", env_text(&m.file));
    }
    for (code, v) in m.options.items() {
        let name = OPTION_NAMES
            .iter()
            .find(|(_, c)| *c == code)
            .map(|(n, _)| *n);
        let value: Option<OsString> = match code {
            1 | 3 | 6 | 28 | 42 | 54 if v.len() >= 4 => Some(addr_list(&v).into()),
            51 => <[u8; 4]>::try_from(v.as_slice())
                .ok()
                .map(|b| u32::from_be_bytes(b).to_string().into()),
            26 => <[u8; 2]>::try_from(v.as_slice())
                .ok()
                .map(|b| u16::from_be_bytes(b).to_string().into()),
            12 | 15 | 56 | 66 | 67 | 119 => Some(env_text(&v)),
            121 => Some(
                m.options
                    .static_routes
                    .iter()
                    .map(|r| format!("{}/{} {}", r.destination, r.prefix_len, r.router))
                    .collect::<Vec<_>>()
                    .join(" ")
                    .into(),
            ),
            _ => None,
        };
        match (name, value) {
            (Some(n), Some(v)) => {
                if code == 1 {
                    if let Some(mask) = m.options.subnet_mask {
                        put("mask", dhcpnet::prefix_len(mask).to_string().into());
                    }
                }
                put(n, v);
            }
            _ => {
                let hex: String = v.iter().map(|b| format!("{b:02x}")).collect();
                put(&format!("opt{code}"), hex.into());
            }
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_environment_reads_like_busybox() {
        let mut m = Message {
            yiaddr: Ipv4Addr::new(10, 0, 0, 5),
            ..Message::default()
        };
        m.options.message_type = Some(MessageType::Ack);
        m.options.subnet_mask = Some(Ipv4Addr::new(255, 255, 255, 0));
        m.options.routers = vec![Ipv4Addr::new(10, 0, 0, 1)];
        m.options.dns_servers = vec![Ipv4Addr::new(1, 1, 1, 1), Ipv4Addr::new(8, 8, 8, 8)];
        m.options.lease_time = Some(600);
        let env = script_env(&m);
        let get = |k: &str| {
            env.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.to_string_lossy().into_owned())
        };
        assert_eq!(get("ip").as_deref(), Some("10.0.0.5"));
        assert_eq!(get("opt53").as_deref(), Some("05"));
        assert_eq!(get("mask").as_deref(), Some("24"));
        assert_eq!(get("subnet").as_deref(), Some("255.255.255.0"));
        assert_eq!(get("dns").as_deref(), Some("1.1.1.1 8.8.8.8"));
        assert_eq!(get("lease").as_deref(), Some("600"));
    }

    #[test]
    fn option_names_and_values() {
        assert_eq!(option_code("dns"), Some(6));
        assert_eq!(option_code("0x79"), Some(121));
        assert_eq!(option_value(12, "box"), Some(b"box".to_vec()));
        assert_eq!(option_value(200, "0a0B"), Some(vec![10, 11]));
        assert_eq!(option_value(200, "0a0"), None);
    }
}
