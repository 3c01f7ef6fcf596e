//! `ntpd`: an SNTP client (RFC 4330 / RFC 5905 on-wire protocol) that sets
//! the clock from its peers, and with `-l` a server answering clients from
//! the local clock, with BusyBox's options.
//!
//! A round asks each peer for a few samples, one at a time; the sample
//! with the smallest round-trip delay gives the offset (the least queued,
//! so the most accurate). Offsets over 128 ms step the clock, smaller ones
//! slew it. In daemon mode rounds repeat every 64 s, doubling up to
//! 1024 s while they succeed.
//!
//! A reply counts only when it comes from the peer's address (a connected
//! socket per peer), echoes the random transmit timestamp of our request
//! (so an off-path forger must guess 64 bits), and its server is
//! synchronized: no kiss-o'-death (stratum 0), no stratum 16, no LI 3.
//!
//! One thread polls every socket, so that the server's receive timestamps
//! are taken when requests arrive, also while a round is under way.

mod clock;
mod packet;

use crate::common::{error_msg, getopt, lossy, usage_error, Exit};
use crate::resolve::{self, Family};
use nix::libc;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use packet::{Packet, Timestamp};
use std::ffi::OsString;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::os::fd::AsFd;
use std::time::{Duration, Instant, SystemTime};

pub const USAGE: &str = "[-dnqNwl] [-P PORT] [-p [HOST][:PORT]]...\n\nNTP client/server\n\n\t-d\tVerbose: print every reply's offset and delay\n\t-n\tRun in foreground\n\t-q\tQuit after clock is set (or after 3 rounds without an answer)\n\t-N\tRun at high priority\n\t-w\tDo not set time (only query peers and print the offset), implies -n\n\t-p PEER\tObtain time from PEER (may be repeated; PORT default 123)\n\t-l\tAlso run as server on port 123\n\t-P PORT\tServe on PORT instead of 123";

/// The NTP port.
const NTP_PORT: u16 = 123;
/// Samples asked of each peer per round.
const SAMPLES: u32 = 4;
/// How long one request waits for its reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(1);
/// The first poll interval, and the one after a step (2^6 s).
const MIN_POLL: Duration = Duration::from_secs(64);
/// The longest poll interval (2^10 s).
const MAX_POLL: Duration = Duration::from_secs(1024);
/// How soon a round without any valid reply is tried again in daemon
/// mode (BusyBox's RETRY_INTERVAL).
const RETRY: Duration = Duration::from_secs(32);
/// With -q: the pause between failed rounds, and how many are tried.
const QUIT_RETRY: Duration = Duration::from_secs(1);
const QUIT_ROUNDS: u32 = 3;
/// The stratum served with -l and no peers: the local clock is taken as
/// a reference clock (as BusyBox's `ntpd -l` without peers), so that a
/// test network has a server to sync from.
const LOCAL_STRATUM: u8 = 1;
/// The stratum that means "not synchronized".
const UNSYNC_STRATUM: u8 = 16;
/// log2 seconds of the clock's precision advertised (about 1 µs).
const PRECISION: i8 = -20;
/// Requests answered per poll round, so that a flood cannot starve the
/// client side.
const BURST: usize = 64;
/// The nice value of -N (BusyBox's).
const HIGH_PRIORITY: libc::c_int = -15;

/// Why ntpd stopped.
#[derive(Debug)]
enum Error {
    /// An option's value is not valid.
    BadValue(char, String),
    /// The server socket could not be bound.
    Bind(SocketAddr, io::Error),
    /// Detaching into the background failed.
    Daemon(nix::errno::Errno),
    /// Polling the sockets failed.
    Poll(nix::errno::Errno),
    /// -q: no peer gave a valid reply.
    NoReply,
    /// The clock could not be set.
    SetClock(nix::errno::Errno),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::BadValue(c, v) => write!(f, "invalid -{c} '{v}'"),
            Error::Bind(a, e) => write!(f, "bind {a}: {}", crate::common::strerror(e)),
            Error::Daemon(e) => write!(f, "daemon: {}", e.desc()),
            Error::Poll(e) => write!(f, "poll: {}", e.desc()),
            Error::NoReply => f.write_str("no valid reply from any peer"),
            Error::SetClock(e) => write!(f, "can't set the clock: {}", e.desc()),
        }
    }
}

/// The settings from the command line.
struct Config {
    foreground: bool,
    quit: bool,
    high_priority: bool,
    no_set: bool,
    verbose: bool,
    serve: Option<u16>,
    peers: Vec<(String, u16)>,
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "dnqNwlp:P:", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if !p.operands.is_empty() {
        return usage_error("ntpd", "too many arguments");
    }
    let cfg = match config(&p) {
        Ok(c) => c,
        Err(e) => {
            error_msg("ntpd", &e.to_string());
            return 1;
        }
    };
    if cfg.peers.is_empty() && cfg.serve.is_none() {
        return usage_error("ntpd", "no peers (-p) and no -l");
    }
    match run(cfg) {
        Ok(()) => 0,
        Err(e) => {
            error_msg("ntpd", &e.to_string());
            1
        }
    }
}

/// Reads the options into a [`Config`].
fn config(p: &crate::common::Parsed) -> Result<Config, Error> {
    let mut peers = Vec::new();
    for (c, v) in &p.opts {
        if *c != 'p' {
            continue;
        }
        let text = v.as_deref().map(lossy).unwrap_or_default();
        match resolve::host_port(&text, NTP_PORT) {
            Some((host, port)) if !host.is_empty() => peers.push((host, port)),
            _ => return Err(Error::BadValue('p', text.into_owned())),
        }
    }
    let port = match p.value('P').map(lossy) {
        Some(v) => v
            .parse::<u16>()
            .map_err(|_| Error::BadValue('P', v.into_owned()))?,
        None => NTP_PORT,
    };
    Ok(Config {
        foreground: p.has('n') || p.has('w'),
        quit: p.has('q'),
        high_priority: p.has('N'),
        no_set: p.has('w'),
        verbose: p.has('d'),
        serve: p.has('l').then_some(port),
        peers,
    })
}

/// One reply's measurements.
#[derive(Debug, Clone, Copy)]
struct Sample {
    peer: SocketAddr,
    /// How far our clock is behind the peer's, in seconds.
    offset: f64,
    /// The round trip, in seconds.
    delay: f64,
    stratum: u8,
    root_delay: u32,
    root_dispersion: u32,
}

/// A peer and the state of its current round.
struct Peer {
    host: String,
    port: u16,
    socket: Option<UdpSocket>,
    /// The request waiting for its reply: the nonce we sent as transmit
    /// timestamp, the real time it left, and when we stop waiting.
    pending: Option<(Timestamp, Timestamp, Instant)>,
    tries: u32,
}

/// What the server side says about our clock.
#[derive(Debug, Clone, Copy)]
struct SyncState {
    stratum: u8,
    reference_id: [u8; 4],
    reference: Timestamp,
    root_delay: u32,
    root_dispersion: u32,
}

fn run(cfg: Config) -> Result<(), Error> {
    let server = match cfg.serve {
        Some(port) => {
            let addr = SocketAddr::from(([0u8; 4], port));
            let s = UdpSocket::bind(addr).map_err(|e| Error::Bind(addr, e))?;
            s.set_nonblocking(true).map_err(|e| Error::Bind(addr, e))?;
            Some(s)
        }
        None => None,
    };
    if !cfg.foreground {
        nix::unistd::daemon(false, false).map_err(Error::Daemon)?;
    }
    if cfg.high_priority {
        // SAFETY: plain system call on this process; failure (no
        // privilege) leaves the priority as it was, which is harmless.
        unsafe {
            libc::setpriority(libc::PRIO_PROCESS, 0, HIGH_PRIORITY);
        }
    }
    let mut peers: Vec<Peer> = cfg
        .peers
        .iter()
        .map(|(host, port)| Peer {
            host: host.clone(),
            port: *port,
            socket: None,
            pending: None,
            tries: SAMPLES,
        })
        .collect();
    let mut sync = peers.is_empty().then(|| SyncState {
        stratum: LOCAL_STRATUM - 1,
        reference_id: *b"LOCL",
        reference: Timestamp::default(),
        root_delay: 0,
        root_dispersion: 0,
    });
    let mut samples: Vec<Sample> = Vec::new();
    let mut in_round = false;
    let mut next_round = Instant::now();
    let mut interval = MIN_POLL;
    let mut failed_rounds = 0;
    loop {
        let now = Instant::now();
        if !peers.is_empty() && !in_round && now >= next_round {
            in_round = true;
            samples.clear();
            for peer in &mut peers {
                peer.tries = 0;
                peer.start();
            }
        }
        // Requests whose reply is overdue are lost; the next one goes.
        for peer in &mut peers {
            if peer.pending.is_some_and(|(_, _, deadline)| now >= deadline) {
                peer.pending = None;
                peer.start();
            }
        }
        if in_round && peers.iter().all(|p| p.pending.is_none()) {
            in_round = false;
            let best = samples
                .iter()
                .copied()
                .min_by(|a, b| a.delay.total_cmp(&b.delay));
            match best {
                Some(best) => {
                    failed_rounds = 0;
                    if cfg.no_set {
                        println!("{}", describe(&best));
                    } else {
                        let adjusted = clock::adjust(best.offset).map_err(Error::SetClock)?;
                        if let clock::Adjustment::Stepped(t) = adjusted {
                            error_msg(
                                "ntpd",
                                &format!(
                                    "setting time to {} (offset {:+.6}s)",
                                    format_time(t),
                                    best.offset
                                ),
                            );
                            interval = MIN_POLL;
                        } else {
                            interval = (interval * 2).min(MAX_POLL);
                        }
                    }
                    sync = Some(SyncState {
                        stratum: best.stratum,
                        reference_id: match best.peer.ip() {
                            IpAddr::V4(a) => a.octets(),
                            IpAddr::V6(_) => [0; 4],
                        },
                        reference: Timestamp::from_system_time(SystemTime::now()),
                        root_delay: best
                            .root_delay
                            .saturating_add(packet::short_format(best.delay)),
                        root_dispersion: best.root_dispersion,
                    });
                    if cfg.quit {
                        return Ok(());
                    }
                    next_round = Instant::now() + interval;
                }
                None if cfg.quit => {
                    failed_rounds += 1;
                    if failed_rounds >= QUIT_ROUNDS {
                        return Err(Error::NoReply);
                    }
                    next_round = Instant::now() + QUIT_RETRY;
                }
                None => next_round = Instant::now() + RETRY,
            }
        }

        let mut fds = Vec::new();
        if let Some(s) = &server {
            fds.push(PollFd::new(s.as_fd(), PollFlags::POLLIN));
        }
        let waiting: Vec<usize> = (0..peers.len())
            .filter(|&i| peers[i].pending.is_some())
            .collect();
        for &i in &waiting {
            if let Some(s) = &peers[i].socket {
                fds.push(PollFd::new(s.as_fd(), PollFlags::POLLIN));
            }
        }
        let wake = peers
            .iter()
            .filter_map(|p| p.pending.map(|(_, _, d)| d))
            .chain((!in_round && !peers.is_empty()).then_some(next_round))
            .min();
        let timeout = match wake {
            Some(t) => {
                let ms = t.saturating_duration_since(Instant::now()).as_millis() + 1;
                PollTimeout::try_from(ms.min(60_000) as i32).unwrap_or(PollTimeout::MAX)
            }
            None => PollTimeout::NONE,
        };
        match poll(&mut fds, timeout) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(Error::Poll(e)),
        }
        let ready: Vec<bool> = fds
            .iter()
            .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
            .collect();
        drop(fds);
        let mut ready = ready.into_iter();
        if let Some(s) = &server {
            if ready.next() == Some(true) {
                serve(s, sync.as_ref());
            }
        }
        for &i in &waiting {
            if peers[i].socket.is_some() && ready.next() == Some(true) {
                if let Some(sample) = peers[i].receive(cfg.verbose) {
                    samples.push(sample);
                    peers[i].start();
                }
            }
        }
    }
}

impl Peer {
    /// Sends the next request of the round, if any is left; a peer whose
    /// name does not resolve or whose socket fails sits the round out.
    fn start(&mut self) {
        self.pending = None;
        while self.tries < SAMPLES {
            self.tries += 1;
            if self.socket.is_none() {
                self.socket = self.connect();
            }
            let Some(socket) = &self.socket else {
                self.tries = SAMPLES;
                return;
            };
            let nonce = Timestamp(random_u64());
            let request = Packet {
                version: packet::VERSION,
                mode: packet::MODE_CLIENT,
                transmit: nonce,
                ..Packet::default()
            };
            let sent = Timestamp::from_system_time(SystemTime::now());
            if socket.send(&request.encode()).is_ok() {
                self.pending = Some((nonce, sent, Instant::now() + REPLY_TIMEOUT));
                return;
            }
            // The address may have changed (DHCP, DNS): resolve again.
            self.socket = None;
        }
    }

    /// A socket connected to the peer, so that the kernel drops
    /// datagrams from anyone else.
    fn connect(&self) -> Option<UdpSocket> {
        let addr = resolve::socket_addr(&self.host, self.port, Family::Any).ok()?;
        let any: SocketAddr = if addr.is_ipv4() {
            ([0u8; 4], 0).into()
        } else {
            ([0u16; 8], 0).into()
        };
        let s = UdpSocket::bind(any).ok()?;
        s.connect(addr).ok()?;
        s.set_nonblocking(true).ok()?;
        Some(s)
    }

    /// Reads the replies waiting on the socket: the first valid one ends
    /// the request; anything else is dropped.
    fn receive(&mut self, verbose: bool) -> Option<Sample> {
        let socket = self.socket.as_ref()?;
        let peer = socket.peer_addr().ok()?;
        let (nonce, sent, _) = self.pending?;
        let mut buf = [0u8; 512];
        for _ in 0..BURST {
            let n = match socket.recv(&mut buf) {
                Ok(n) => n,
                // Nothing more (or an ICMP error for the peer): keep
                // waiting until the request's deadline.
                Err(_) => return None,
            };
            let arrived = Timestamp::from_system_time(SystemTime::now());
            let Ok(reply) = Packet::decode(&buf[..n]) else {
                continue;
            };
            match check(&reply, nonce) {
                Ok(()) => {}
                Err(why) => {
                    if verbose {
                        println!("reply from {peer}: ignored: {why}");
                    }
                    continue;
                }
            }
            let sample = Sample {
                peer,
                offset: (reply.receive.minus(sent) + reply.transmit.minus(arrived)) / 2.0,
                delay: (arrived.minus(sent) - reply.transmit.minus(reply.receive)).max(0.0),
                stratum: reply.stratum,
                root_delay: reply.root_delay,
                root_dispersion: reply.root_dispersion,
            };
            if verbose {
                println!("{}", describe(&sample));
            }
            self.pending = None;
            return Some(sample);
        }
        None
    }
}

/// Why a reply is not used (RFC 4330 section 5's checks).
fn check(reply: &Packet, nonce: Timestamp) -> Result<(), String> {
    if reply.mode != packet::MODE_SERVER {
        return Err(format!("mode {}", reply.mode));
    }
    if reply.origin != nonce {
        return Err("origin timestamp is not our request's".into());
    }
    if reply.stratum == 0 {
        let code = String::from_utf8_lossy(&reply.reference_id).into_owned();
        return Err(format!("kiss-o'-death {code:?}"));
    }
    if reply.leap == packet::LEAP_UNSYNC || reply.stratum >= UNSYNC_STRATUM {
        return Err("server not synchronized".into());
    }
    if reply.transmit == Timestamp::default() || !(1..=4).contains(&reply.version) {
        return Err("malformed".into());
    }
    Ok(())
}

/// Answers the requests waiting on the server socket from the local clock.
fn serve(socket: &UdpSocket, sync: Option<&SyncState>) {
    let mut buf = [0u8; 512];
    for _ in 0..BURST {
        let Ok((n, from)) = socket.recv_from(&mut buf) else {
            return;
        };
        let received = Timestamp::from_system_time(SystemTime::now());
        let Ok(request) = Packet::decode(&buf[..n]) else {
            continue;
        };
        if request.mode != packet::MODE_CLIENT || !(1..=4).contains(&request.version) {
            continue;
        }
        let (leap, stratum) = match sync {
            Some(s) => (0, (s.stratum + 1).min(UNSYNC_STRATUM - 1)),
            None => (packet::LEAP_UNSYNC, UNSYNC_STRATUM),
        };
        let now = Timestamp::from_system_time(SystemTime::now());
        let reply = Packet {
            leap,
            version: request.version,
            mode: packet::MODE_SERVER,
            stratum,
            poll: request.poll.clamp(4, 17),
            precision: PRECISION,
            root_delay: sync.map_or(0, |s| s.root_delay),
            root_dispersion: sync.map_or(0, |s| s.root_dispersion),
            reference_id: sync.map_or(*b"INIT", |s| s.reference_id),
            reference: match sync {
                Some(s) if s.reference != Timestamp::default() => s.reference,
                _ => now,
            },
            origin: request.transmit,
            receive: received,
            transmit: now,
        };
        // A client that went away is no concern of the server's.
        let _ = socket.send_to(&reply.encode(), from);
    }
}

/// `reply from ADDR: offset:+S delay:S strat:N`, as BusyBox's -d.
fn describe(s: &Sample) -> String {
    format!(
        "reply from {}: offset:{:+.6} delay:{:.6} strat:{}",
        s.peer.ip(),
        s.offset,
        s.delay,
        s.stratum
    )
}

/// `YYYY-MM-DD hh:mm:ss.uuuuuu` in UTC.
fn format_time(t: SystemTime) -> String {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    format!(
        "{}.{:06}",
        crate::calendar::format_time(d.as_secs() as i64),
        d.subsec_micros()
    )
}

/// 64 random bits for a request's nonce, from the kernel; the time and
/// pid if it has none to give (a weaker nonce, still one per request).
fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    // SAFETY: the buffer is 8 writable bytes.
    let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), libc::GRND_NONBLOCK) };
    if n == 8 {
        return u64::from_ne_bytes(b);
    }
    let t = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    (t.as_nanos() as u64) ^ (u64::from(std::process::id()) << 40)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good(nonce: Timestamp) -> Packet {
        Packet {
            version: 4,
            mode: packet::MODE_SERVER,
            stratum: 2,
            origin: nonce,
            receive: Timestamp(5),
            transmit: Timestamp(6),
            ..Packet::default()
        }
    }

    #[test]
    fn replies_are_checked() {
        let n = Timestamp(0x1234_5678_9abc_def0);
        assert_eq!(check(&good(n), n), Ok(()));
        assert!(check(&good(n), Timestamp(1)).is_err());
        for bad in [
            Packet { leap: 3, ..good(n) },
            Packet {
                stratum: 0,
                ..good(n)
            },
            Packet {
                stratum: 16,
                ..good(n)
            },
            Packet { mode: 3, ..good(n) },
            Packet {
                version: 0,
                ..good(n)
            },
            Packet {
                transmit: Timestamp(0),
                ..good(n)
            },
        ] {
            assert!(check(&bad, n).is_err(), "{bad:?}");
        }
    }
}
