//! `dnsd`: the caching DNS forwarder, the part of dnsmasq a router needs.
//! It answers local names from hosts files (the DHCP server's leases
//! included) with authority, and forwards every other question to the
//! upstream servers, caching what they say for as long as they allow.
//!
//! One thread polls every socket: the UDP and TCP listeners, one socket per
//! question waiting upstream and the TCP clients. Nothing blocks except the
//! TCP retry of an upstream answer too large for UDP.
//!
//! A forged upstream answer must match a random 16-bit id, come to a fresh
//! random source port (a socket per question, connected to the server so
//! that the kernel drops datagrams from anywhere else), and repeat the
//! question (RFC 5452).

mod cache;
mod hosts;
mod upstream;

use crate::common::{error_msg, getopt, lossy, usage_error, Exit};
use cache::Cache;
pub use hosts::reverse_name;
use hosts::{Hosts, Local};
use ibex_dns::{rcode, rtype, Header, Message, Name, Question, RData, Record};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
pub use upstream::{resolv_conf_servers, Rng};

pub const USAGE: &str = "[-fv] [-a ADDR] [-p PORT] [-u IP[:PORT]]... [-c N] [-H FILE]... [-d DOMAIN]\n\nCaching DNS forwarder; local names from hosts files\n\n\t-a ADDR\t\tListen on ADDR (default 0.0.0.0)\n\t-p PORT\t\tListen on PORT (default 53)\n\t-u IP[:PORT]\tUpstream server (repeatable; default: /etc/resolv.conf)\n\t-c N\t\tCache N answers (default 150; 0: none)\n\t-H FILE\t\tHosts file besides /etc/hosts (repeatable)\n\t-d DOMAIN\tLocal domain: NAME.DOMAIN is NAME\n\t-f\t\tStay in the foreground\n\t-v\t\tLog queries to stderr";

/// The system's hosts file, always read.
const ETC_HOSTS: &str = "/etc/hosts";

/// Where the upstream servers come from without `-u`.
const RESOLV_CONF: &str = "/etc/resolv.conf";

/// dnsmasq's default cache size.
const DEFAULT_CACHE: usize = 150;

/// How long an upstream has to answer before the next one is asked.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(2);

/// A TCP client silent this long is disconnected.
const TCP_IDLE: Duration = Duration::from_secs(10);

/// At most this many TCP clients at once; more are refused.
const MAX_TCP_CLIENTS: usize = 32;

/// At most this many questions waiting for upstream, each with a socket of
/// its own; more are dropped (their clients ask again), so a flood cannot
/// grow memory or run out of file descriptors.
const MAX_PENDING: usize = 256;

/// The UDP payload size offered upstream and to EDNS0 clients: the size
/// that avoids IP fragmentation (DNS flag day 2020).
const EDNS_SIZE: u16 = 1232;

/// Datagrams read from one socket per poll round, so that a busy socket
/// does not starve the others.
const BURST: usize = 64;

/// Set by SIGHUP: clear the cache and re-read the hosts files, as dnsmasq.
static HANGUP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_hangup(_: nix::libc::c_int) {
    HANGUP.store(true, Ordering::Relaxed);
}

/// Why the daemon could not start.
#[derive(Debug)]
enum StartError {
    /// An option's value is not an address, port or number.
    BadValue(char, String),
    /// A socket could not be opened or bound.
    Socket(&'static str, SocketAddr, io::Error),
    /// Detaching into the background failed.
    Daemon(nix::errno::Errno),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::BadValue(c, v) => write!(f, "invalid -{c} '{v}'"),
            StartError::Socket(what, addr, e) => {
                write!(f, "{what} {addr}: {}", crate::common::strerror(e))
            }
            StartError::Daemon(e) => write!(f, "daemon: {}", e.desc()),
        }
    }
}

/// The settings from the command line.
struct Config {
    listen: SocketAddr,
    upstreams: Vec<SocketAddr>,
    /// The upstreams come from /etc/resolv.conf (no `-u`), which is
    /// followed as it changes.
    follow_resolv_conf: bool,
    cache: usize,
    hosts: Vec<PathBuf>,
    domain: Option<Name>,
    foreground: bool,
    verbose: bool,
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "fva:p:u:c:H:d:", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if !p.operands.is_empty() {
        return usage_error("dnsd", "too many arguments");
    }
    let cfg = match config(&p) {
        Ok(c) => c,
        Err(e) => {
            error_msg("dnsd", &e.to_string());
            return 1;
        }
    };
    let mut server = match Server::start(&cfg) {
        Ok(s) => s,
        Err(e) => {
            error_msg("dnsd", &e.to_string());
            return 1;
        }
    };
    if cfg.upstreams.is_empty() {
        error_msg(
            "dnsd",
            if cfg.follow_resolv_conf {
                "no upstream servers yet: answering local names until /etc/resolv.conf names some"
            } else {
                "no upstream servers: answering local names only"
            },
        );
    }
    if !cfg.foreground {
        // Sockets are bound first, so that a busy port is reported to the
        // caller; -v keeps stderr open for the log.
        if let Err(e) = nix::unistd::daemon(false, cfg.verbose) {
            error_msg("dnsd", &StartError::Daemon(e).to_string());
            return 1;
        }
    }
    let act = nix::sys::signal::SigAction::new(
        nix::sys::signal::SigHandler::Handler(on_hangup),
        nix::sys::signal::SaFlags::empty(),
        nix::sys::signal::SigSet::empty(),
    );
    // SAFETY: the handler only stores to an atomic.
    let _ = unsafe { nix::sys::signal::sigaction(nix::sys::signal::Signal::SIGHUP, &act) };
    server.run()
}

/// The name servers /etc/resolv.conf lists, except dnsd itself.
fn resolv_conf_upstreams(listen: SocketAddr) -> Vec<SocketAddr> {
    let conf = std::fs::read_to_string(RESOLV_CONF).unwrap_or_default();
    upstream::resolv_conf_servers(&conf)
        .into_iter()
        .map(|ip| SocketAddr::new(ip, upstream::PORT))
        .filter(|&s| !upstream::is_self(s, listen))
        .collect()
}

/// What identifies a version of a file: modification time, size, inode.
type FileStamp = (std::time::SystemTime, u64, u64);

/// The [`FileStamp`] of `path`, if it can be read.
fn file_stamp(path: &str) -> Option<FileStamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len(), m.ino()))
}

/// Reads the options into a [`Config`].
fn config(p: &crate::common::Parsed) -> Result<Config, StartError> {
    let value = |c: char| p.value(c).map(|v| lossy(v).into_owned());
    let bad = |c: char, v: &str| StartError::BadValue(c, v.to_string());
    let ip: IpAddr = match value('a') {
        Some(a) => a.parse().map_err(|_| bad('a', &a))?,
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    };
    let port: u16 = match value('p') {
        Some(v) => v.parse().map_err(|_| bad('p', &v))?,
        None => upstream::PORT,
    };
    let listen = SocketAddr::new(ip, port);
    let cache = match value('c') {
        Some(v) => v.parse().map_err(|_| bad('c', &v))?,
        None => DEFAULT_CACHE,
    };
    let mut upstreams = Vec::new();
    for (c, v) in &p.opts {
        if let (Some(v), 'u') = (v, c) {
            let v = lossy(v);
            upstreams.push(upstream::parse_server(&v).ok_or_else(|| bad('u', &v))?);
        }
    }
    let follow_resolv_conf = upstreams.is_empty();
    if follow_resolv_conf {
        upstreams = resolv_conf_upstreams(listen);
    }
    // Relative paths are made absolute: the daemon changes to / when it
    // detaches.
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut hosts = vec![PathBuf::from(ETC_HOSTS)];
    hosts.extend(p.opts.iter().filter_map(|(c, v)| match (c, v) {
        ('H', Some(v)) => Some(cwd.join(v)),
        _ => None,
    }));
    let domain = match value('d') {
        Some(d) => Some(Name::from_dotted(&d).map_err(|_| bad('d', &d))?),
        None => None,
    };
    Ok(Config {
        listen,
        upstreams,
        follow_resolv_conf,
        cache,
        hosts,
        domain: domain.filter(|d| !d.is_root()),
        foreground: p.has('f'),
        verbose: p.has('v'),
    })
}

/// Who asked, so that the answer goes back the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    /// A UDP client at this address.
    Udp(SocketAddr),
    /// The TCP client with this token.
    Tcp(u64),
}

/// A question forwarded upstream and not yet answered.
struct Pending {
    client: Client,
    /// The client's query, to build the answer from.
    query: Message,
    /// The question as sent upstream: the reply must repeat it.
    question: Question,
    /// The query as sent upstream, its id the key of `Server::pending`.
    upstream_query: Message,
    /// The socket it went out on, connected to the upstream; None if it
    /// could not be opened (the deadline then moves on).
    sock: Option<UdpSocket>,
    /// Index of the upstream asked last.
    upstream: usize,
    /// How many times it has been sent.
    tries: usize,
    deadline: Instant,
}

/// An answer's code, flags and sections, before it is addressed.
#[derive(Default)]
struct Answer {
    rcode: u8,
    /// Authoritative: the name is local.
    aa: bool,
    /// The upstream's answer was truncated and TCP could not fetch it all.
    tc: bool,
    answers: Vec<Record>,
    authorities: Vec<Record>,
    additionals: Vec<Record>,
}

impl Answer {
    /// An answer with only a response code.
    fn code(rcode: u8) -> Answer {
        Answer {
            rcode,
            ..Answer::default()
        }
    }
}

/// Which sockets poll found ready.
struct Ready {
    /// The UDP listener has datagrams.
    udp: bool,
    /// The TCP listener has connections to accept.
    tcp: bool,
    /// Ids of the pending questions whose sockets have replies.
    replies: Vec<u16>,
    /// Each TCP client's events, in `conns` order.
    conns: Vec<PollFlags>,
}

/// One TCP client connection.
struct Conn {
    token: u64,
    stream: TcpStream,
    input: Vec<u8>,
    output: Vec<u8>,
    deadline: Instant,
    /// The client closed its side; answers still pending are written.
    eof: bool,
    /// Reading or writing failed: drop it.
    broken: bool,
}

/// The running daemon.
struct Server {
    udp: UdpSocket,
    tcp: TcpListener,
    upstreams: Vec<SocketAddr>,
    /// Where the upstreams come from when they follow /etc/resolv.conf (a
    /// router's WAN lease writes it after dnsd has started): the listening
    /// address to leave out and the version of the file they were read
    /// from.
    resolv_conf: Option<(SocketAddr, Option<FileStamp>)>,
    /// The upstream that answered last: asked first next time.
    preferred: usize,
    pending: HashMap<u16, Pending>,
    conns: Vec<Conn>,
    next_token: u64,
    cache: Cache,
    hosts: Hosts,
    rng: upstream::Rng,
    verbose: bool,
}

impl Server {
    /// Binds the listening sockets.
    fn start(cfg: &Config) -> Result<Server, StartError> {
        let udp = UdpSocket::bind(cfg.listen)
            .map_err(|e| StartError::Socket("bind UDP", cfg.listen, e))?;
        let tcp = TcpListener::bind(cfg.listen)
            .map_err(|e| StartError::Socket("bind TCP", cfg.listen, e))?;
        udp.set_nonblocking(true)
            .map_err(|e| StartError::Socket("set up", cfg.listen, e))?;
        tcp.set_nonblocking(true)
            .map_err(|e| StartError::Socket("set up", cfg.listen, e))?;
        Ok(Server {
            udp,
            tcp,
            upstreams: cfg.upstreams.clone(),
            resolv_conf: cfg
                .follow_resolv_conf
                .then(|| (cfg.listen, file_stamp(RESOLV_CONF))),
            preferred: 0,
            pending: HashMap::new(),
            conns: Vec::new(),
            next_token: 0,
            cache: Cache::new(cfg.cache),
            hosts: Hosts::new(cfg.hosts.clone(), cfg.domain.clone()),
            rng: upstream::Rng::new(),
            verbose: cfg.verbose,
        })
    }

    /// The poll loop; returns only if poll itself fails.
    fn run(&mut self) -> i32 {
        let mut buf = vec![0u8; 65536];
        loop {
            if HANGUP.swap(false, Ordering::Relaxed) {
                self.cache.clear();
                self.hosts.refresh();
            }
            let ready = match self.wait() {
                Ok(r) => r,
                Err(e) => {
                    error_msg("dnsd", &format!("poll: {}", e.desc()));
                    return 1;
                }
            };
            if ready.udp {
                for _ in 0..BURST {
                    let Ok((n, from)) = self.udp.recv_from(&mut buf) else {
                        break;
                    };
                    let data = buf[..n].to_vec();
                    self.handle_query(&data, Client::Udp(from));
                }
            }
            if ready.tcp {
                self.accept();
            }
            for id in ready.replies {
                for _ in 0..BURST {
                    let sock = self.pending.get(&id).and_then(|p| p.sock.as_ref());
                    let Some(Ok((n, from))) = sock.map(|s| s.recv_from(&mut buf)) else {
                        break;
                    };
                    let data = buf[..n].to_vec();
                    self.handle_reply(&data, from, id);
                }
            }
            self.serve_conns(&ready.conns);
            self.expire();
        }
    }

    /// Polls every socket until one is ready or a deadline comes.
    fn wait(&self) -> Result<Ready, nix::errno::Errno> {
        let now = Instant::now();
        let next = self
            .pending
            .values()
            .map(|p| p.deadline)
            .chain(self.conns.iter().map(|c| c.deadline))
            .min();
        let ms = next.map_or(-1, |d| {
            i32::try_from(d.saturating_duration_since(now).as_millis() + 1).unwrap_or(i32::MAX)
        });
        let mut fds = vec![
            PollFd::new(self.udp.as_fd(), PollFlags::POLLIN),
            PollFd::new(self.tcp.as_fd(), PollFlags::POLLIN),
        ];
        for c in &self.conns {
            let mut ev = PollFlags::POLLIN;
            if !c.output.is_empty() {
                ev |= PollFlags::POLLOUT;
            }
            fds.push(PollFd::new(c.stream.as_fd(), ev));
        }
        let waiting: Vec<(u16, &UdpSocket)> = self
            .pending
            .iter()
            .filter_map(|(&id, p)| Some((id, p.sock.as_ref()?)))
            .collect();
        for (_, sock) in &waiting {
            fds.push(PollFd::new(sock.as_fd(), PollFlags::POLLIN));
        }
        let timeout = PollTimeout::try_from(ms).unwrap_or(PollTimeout::NONE);
        match poll(&mut fds, timeout) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => {
                return Ok(Ready {
                    udp: false,
                    tcp: false,
                    replies: Vec::new(),
                    conns: vec![PollFlags::empty(); self.conns.len()],
                })
            }
            Err(e) => return Err(e),
        }
        let ready = |f: &PollFd| {
            f.revents()
                .is_some_and(|r| r.intersects(PollFlags::POLLIN | PollFlags::POLLERR))
        };
        let (conns, replies) = fds[2..].split_at(self.conns.len());
        Ok(Ready {
            udp: ready(&fds[0]),
            tcp: ready(&fds[1]),
            replies: waiting
                .iter()
                .zip(replies)
                .filter(|(_, f)| ready(f))
                .map(|((id, _), _)| *id)
                .collect(),
            conns: conns
                .iter()
                .map(|f| f.revents().unwrap_or(PollFlags::empty()))
                .collect(),
        })
    }

    /// Answers one query from a client.
    fn handle_query(&mut self, data: &[u8], client: Client) {
        let query = match Message::parse(data) {
            Ok(q) => q,
            Err(_) => {
                // A header that reads as a query gets FORMERR; anything
                // else is dropped, never answered, so that forged
                // "responses" cannot bounce between servers.
                if data.len() >= 12 && data[2] & 0x80 == 0 {
                    self.send_header_only(client, data, rcode::FORMERR);
                }
                return;
            }
        };
        if query.header.qr {
            return;
        }
        if query.header.opcode != 0 {
            self.respond(client, &query, Answer::code(rcode::NOTIMP));
            return;
        }
        let [question] = query.questions.as_slice() else {
            self.respond(client, &query, Answer::code(rcode::FORMERR));
            return;
        };
        let question = question.clone();
        self.log(|| {
            format!(
                "query[{}] {} from {}",
                type_name(question.qtype),
                question.name,
                client_text(client)
            )
        });
        self.hosts.refresh();
        if let Some(local) = self.hosts.lookup(&question) {
            let (code, answers) = match local {
                Local::Answer(a) => (rcode::NOERROR, a),
                Local::NoData => (rcode::NOERROR, Vec::new()),
                Local::NxDomain => (rcode::NXDOMAIN, Vec::new()),
            };
            self.log(|| format!("local {} is {}", question.name, summary(code, &answers)));
            let answer = Answer {
                rcode: code,
                aa: true,
                answers,
                ..Answer::default()
            };
            self.respond(client, &query, answer);
            return;
        }
        if let Some(hit) = self.cache.get(&question, Instant::now()) {
            self.log(|| {
                format!(
                    "cached {} is {}",
                    question.name,
                    summary(hit.rcode, &hit.answers)
                )
            });
            let answer = Answer {
                rcode: hit.rcode,
                answers: hit.answers,
                authorities: hit.authorities,
                additionals: hit.additionals,
                ..Answer::default()
            };
            self.respond(client, &query, answer);
            return;
        }
        self.forward(client, query, question);
    }

    /// Reads the upstreams again if /etc/resolv.conf changed since they
    /// were read. Only between questions: a waiting question refers to its
    /// server by position in the list.
    fn follow_resolv_conf(&mut self) {
        let Some((listen, stamp)) = self.resolv_conf else {
            return;
        };
        let now = file_stamp(RESOLV_CONF);
        if now == stamp || !self.pending.is_empty() {
            return;
        }
        self.upstreams = resolv_conf_upstreams(listen);
        self.preferred = 0;
        self.resolv_conf = Some((listen, now));
        let list = self
            .upstreams
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>();
        self.log(|| format!("upstreams from {RESOLV_CONF}: {}", list.join(" ")));
    }

    /// Sends a new question upstream, to the preferred server.
    fn forward(&mut self, client: Client, query: Message, question: Question) {
        self.follow_resolv_conf();
        if self.upstreams.is_empty() {
            self.respond(client, &query, Answer::code(rcode::SERVFAIL));
            return;
        }
        if self.pending.len() >= MAX_PENDING {
            return;
        }
        // The client's OPT passes through (its options and DO bit), with
        // a payload size large enough that most answers need no TCP.
        let opt = match query.opt() {
            Some(o) => Record {
                class: o.class.max(EDNS_SIZE),
                ..o.clone()
            },
            None => opt_record(),
        };
        let upstream_query = Message {
            header: Header {
                rd: query.header.rd,
                // CD passes through; AD in a query asks for it back.
                z: query.header.z & 0x3,
                ..Header::default()
            },
            questions: vec![question.clone()],
            additionals: vec![opt],
            ..Message::default()
        };
        let upstream = self.preferred % self.upstreams.len();
        let p = Pending {
            client,
            query,
            question,
            upstream_query,
            upstream,
            tries: 0,
            sock: None,
            deadline: Instant::now(),
        };
        self.send_upstream(p);
    }

    /// Sends `p` to its upstream with a fresh random id from a new socket
    /// (a fresh random port), and waits for it.
    fn send_upstream(&mut self, mut p: Pending) {
        let id = loop {
            let id = self.rng.next_u16();
            if !self.pending.contains_key(&id) {
                break id;
            }
        };
        p.upstream_query.header.id = id;
        p.tries += 1;
        p.deadline = Instant::now() + UPSTREAM_TIMEOUT;
        let server = self.upstreams[p.upstream];
        // Any failure here (no descriptors left, no route) is handled like
        // a lost datagram: the deadline moves on to the next server.
        p.sock = p.upstream_query.encode().ok().and_then(|bytes| {
            let any = match server {
                SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            };
            let sock = UdpSocket::bind(SocketAddr::new(any, 0)).ok()?;
            sock.set_nonblocking(true).ok()?;
            sock.connect(server).ok()?;
            sock.send(&bytes).ok()?;
            Some(sock)
        });
        self.log(|| format!("forwarded {} to {}", p.question.name, server));
        self.pending.insert(id, p);
    }

    /// Takes a reply that came on the socket of pending query `id`: it
    /// must come from the server asked, carry the query's id and repeat its
    /// question; anything else is dropped as a possible spoof.
    fn handle_reply(&mut self, data: &[u8], from: SocketAddr, id: u16) {
        let Ok(mut reply) = Message::parse(data) else {
            return;
        };
        let Some(p) = self.pending.get(&id) else {
            return;
        };
        let matches = reply.header.qr
            && reply.header.id == id
            && from == self.upstreams[p.upstream]
            && matches!(reply.questions.as_slice(), [q] if q.name.eq_ignore_case(&p.question.name)
                && q.qtype == p.question.qtype && q.qclass == p.question.qclass);
        if !matches {
            self.log(|| format!("dropped a reply from {from} that matches no query"));
            return;
        }
        let Some(p) = self.pending.remove(&id) else {
            return;
        };
        // A failing server: ask the next one while there is one to ask.
        if matches!(reply.header.rcode, rcode::SERVFAIL | rcode::REFUSED)
            && p.tries < self.upstreams.len()
        {
            self.next_upstream(p);
            return;
        }
        if reply.header.tc {
            let mut q = p.upstream_query.clone();
            q.header.id = id;
            let full = q
                .encode()
                .ok()
                .and_then(|b| upstream::tcp_exchange(from, &b, UPSTREAM_TIMEOUT).ok())
                .and_then(|b| Message::parse(&b).ok())
                .filter(|m| m.header.id == id && m.questions == reply.questions);
            if let Some(full) = full {
                reply = full;
            }
        }
        self.preferred = p.upstream;
        self.log(|| {
            format!(
                "reply {} is {}",
                p.question.name,
                summary(reply.header.rcode, &reply.answers)
            )
        });
        self.cache.insert(&p.question, &reply, Instant::now());
        let answer = Answer {
            rcode: reply.header.rcode,
            aa: false,
            tc: reply.header.tc,
            answers: reply.answers,
            authorities: reply.authorities,
            additionals: reply
                .additionals
                .into_iter()
                .filter(|r| r.rtype != rtype::OPT)
                .collect(),
        };
        self.respond(p.client, &p.query, answer);
    }

    /// Asks the next upstream after a timeout or failure; after every
    /// server has had its chance (and the only one a second), SERVFAIL.
    fn next_upstream(&mut self, mut p: Pending) {
        let n = self.upstreams.len();
        if p.tries >= n.max(2) {
            self.log(|| format!("no answer for {}", p.question.name));
            self.respond(p.client, &p.query, Answer::code(rcode::SERVFAIL));
            return;
        }
        p.upstream = (p.upstream + 1) % n;
        self.send_upstream(p);
    }

    /// Retries or fails every pending query whose deadline passed, and
    /// drops TCP clients that are idle, done or broken.
    fn expire(&mut self) {
        let now = Instant::now();
        let late: Vec<u16> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline <= now)
            .map(|(&id, _)| id)
            .collect();
        for id in late {
            if let Some(p) = self.pending.remove(&id) {
                self.next_upstream(p);
            }
        }
        let pending = &self.pending;
        self.conns.retain(|c| {
            let waiting = pending.values().any(|p| p.client == Client::Tcp(c.token));
            !(c.broken || c.deadline <= now || (c.eof && c.output.is_empty() && !waiting))
        });
    }

    /// Accepts new TCP clients, refusing beyond the limit.
    fn accept(&mut self) {
        while let Ok((stream, _)) = self.tcp.accept() {
            if self.conns.len() >= MAX_TCP_CLIENTS || stream.set_nonblocking(true).is_err() {
                continue;
            }
            self.next_token += 1;
            self.conns.push(Conn {
                token: self.next_token,
                stream,
                input: Vec::new(),
                output: Vec::new(),
                deadline: Instant::now() + TCP_IDLE,
                eof: false,
                broken: false,
            });
        }
    }

    /// Reads queries from and writes answers to the TCP clients poll
    /// reported ready.
    fn serve_conns(&mut self, events: &[PollFlags]) {
        let mut queries = Vec::new();
        for (c, ev) in self.conns.iter_mut().zip(events) {
            if ev.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR) {
                let mut chunk = [0u8; 4096];
                loop {
                    match c.stream.read(&mut chunk) {
                        Ok(0) => {
                            c.eof = true;
                            break;
                        }
                        Ok(n) => {
                            c.input.extend_from_slice(&chunk[..n]);
                            c.deadline = Instant::now() + TCP_IDLE;
                            // One message is at most 2 + 65535 bytes.
                            if c.input.len() > 2 * 65537 {
                                c.broken = true;
                                break;
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => {
                            c.broken = true;
                            break;
                        }
                    }
                }
                while c.input.len() >= 2 {
                    let len = usize::from(u16::from_be_bytes([c.input[0], c.input[1]]));
                    if c.input.len() < 2 + len {
                        break;
                    }
                    queries.push((c.token, c.input[2..2 + len].to_vec()));
                    c.input.drain(..2 + len);
                }
            }
        }
        for (token, q) in queries {
            self.handle_query(&q, Client::Tcp(token));
        }
        for c in &mut self.conns {
            flush(c);
        }
    }

    /// Builds and sends the answer to `query`: its id, question and RD
    /// copied, RA set, and an OPT record if the client sent one. Over UDP
    /// an answer larger than the client accepts is cut, with TC set.
    fn respond(&mut self, client: Client, query: &Message, answer: Answer) {
        let mut additionals = answer.additionals;
        if query.opt().is_some() {
            additionals.push(opt_record());
        }
        let msg = Message {
            header: Header {
                id: query.header.id,
                qr: true,
                opcode: query.header.opcode,
                aa: answer.aa,
                tc: answer.tc,
                rd: query.header.rd,
                ra: true,
                z: 0,
                rcode: answer.rcode,
            },
            questions: query.questions.clone(),
            answers: answer.answers,
            authorities: answer.authorities,
            additionals,
        };
        let bytes = match client {
            Client::Udp(_) => msg.encode_within(query.udp_limit()),
            Client::Tcp(_) => msg.encode(),
        };
        match bytes {
            Ok(b) => self.send(client, &b),
            Err(_) => {
                let head = query.encode().unwrap_or_default();
                self.send_header_only(client, &head, rcode::SERVFAIL)
            }
        }
    }

    /// Answers with only a header: the query's id and opcode, no sections.
    fn send_header_only(&mut self, client: Client, query: &[u8], code: u8) {
        let [a, b, c, ..] = *query else { return };
        let mut h = [0u8; 12];
        h[0] = a;
        h[1] = b;
        // QR set, opcode and RD kept, RA set.
        h[2] = 0x80 | (c & 0x79);
        h[3] = 0x80 | code;
        self.send(client, &h);
    }

    /// Sends `bytes` to the client: a datagram, or length-prefixed on its
    /// TCP connection.
    fn send(&mut self, client: Client, bytes: &[u8]) {
        match client {
            Client::Udp(to) => {
                // A full socket buffer drops the answer; the client retries.
                let _ = self.udp.send_to(bytes, to);
            }
            Client::Tcp(token) => {
                let Ok(len) = u16::try_from(bytes.len()) else {
                    return;
                };
                if let Some(c) = self.conns.iter_mut().find(|c| c.token == token) {
                    c.output.extend_from_slice(&len.to_be_bytes());
                    c.output.extend_from_slice(bytes);
                    flush(c);
                }
            }
        }
    }

    /// With -v, logs a line on stderr; `line` is built only then.
    fn log(&self, line: impl FnOnce() -> String) {
        if self.verbose {
            eprintln!("dnsd: {}", line());
        }
    }
}

/// Writes what the client's socket takes now; the rest waits for POLLOUT.
fn flush(c: &mut Conn) {
    while !c.output.is_empty() {
        match c.stream.write(&c.output) {
            Ok(0) => {
                c.broken = true;
                return;
            }
            Ok(n) => {
                c.output.drain(..n);
                c.deadline = Instant::now() + TCP_IDLE;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                c.broken = true;
                return;
            }
        }
    }
}

/// Our EDNS0 OPT record: version 0, no flags, no options.
fn opt_record() -> Record {
    Record {
        name: Name::root(),
        rtype: rtype::OPT,
        class: EDNS_SIZE,
        ttl: 0,
        data: RData::Raw(Vec::new()),
    }
}

/// A type's mnemonic, or `TYPEnnn` (RFC 3597).
fn type_name(t: u16) -> String {
    rtype::name(t).map_or_else(|| format!("TYPE{t}"), str::to_string)
}

/// The client's address for the log.
fn client_text(c: Client) -> String {
    match c {
        Client::Udp(a) => a.ip().to_string(),
        Client::Tcp(t) => format!("tcp#{t}"),
    }
}

/// A reply for the log: its addresses and names, or its error.
fn summary(code: u8, answers: &[Record]) -> String {
    if code == rcode::NXDOMAIN {
        return "NXDOMAIN".into();
    }
    if code != rcode::NOERROR {
        return format!("rcode {code}");
    }
    let parts: Vec<String> = answers
        .iter()
        .map(|r| match &r.data {
            RData::A(a) => a.to_string(),
            RData::Aaaa(a) => a.to_string(),
            RData::Cname(n) | RData::Ptr(n) => n.to_string(),
            _ => format!("<{}>", type_name(r.rtype)),
        })
        .collect();
    if parts.is_empty() {
        "NODATA".into()
    } else {
        parts.join(" ")
    }
}
