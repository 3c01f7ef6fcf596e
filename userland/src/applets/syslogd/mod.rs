//! `syslogd`: the system log daemon, BusyBox's options. It reads the
//! datagrams that syslog(3), `logger` and `klogd` send to /dev/log and
//! writes each message as a line of /var/log/messages (rotated by size),
//! forwards it to remote syslog servers over UDP (`-R`), or both (`-L`).
//!
//! One blocking receive loop: a message costs one write and one send per
//! remote, and nothing a client sends (garbage, oversize datagrams) can
//! stop it; a line that cannot be written is dropped. SIGHUP reopens the
//! file (after an outside log rotation); SIGTERM logs that the daemon
//! exits and removes the socket.

mod logfile;
mod message;

use crate::common::{error_msg, getopt, lossy, usage_error, Exit};
use crate::resolve::{self, Family};
use logfile::LogFile;
use message::Message;
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use std::ffi::OsString;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub const USAGE: &str = "[OPTIONS]\n\nSystem logging utility\n\n\t-n\t\tRun in foreground\n\t-p SOCKET\tListen on SOCKET (default /dev/log)\n\t-R HOST[:PORT]\tLog to HOST:PORT over UDP (default PORT:514; repeatable)\n\t-L\t\tLog locally and via network (default is network only if -R)\n\t-O FILE\t\tLog to FILE (default /var/log/messages, stdout if -)\n\t-s SIZE\t\tMax size (KB) before rotation (default 200KB, 0=off)\n\t-b N\t\tN rotated logs to keep (default 1, max 99, 0=purge)\n\t-l N\t\tLog only messages more urgent than prio N (1-8)\n\t-S\t\tSmaller output\n\t-t\t\tStrip client-generated timestamps";

/// Where clients send.
const DEFAULT_SOCKET: &str = "/dev/log";
/// Where lines go.
const DEFAULT_FILE: &str = "/var/log/messages";
/// The syslog port.
const SYSLOG_PORT: u16 = 514;
/// The largest datagram read; longer ones are truncated (RFC 3164's
/// limit is 1024 bytes for a whole packet).
const MAX_DATAGRAM: usize = 1024;
/// How long a remote host whose name did not resolve waits before the
/// next try, so that a missing DNS server does not stall every message.
const RESOLVE_RETRY: Duration = Duration::from_secs(30);
/// syslog's own messages: facility syslog, level info.
const SYSLOG_INFO: u16 = 5 * 8 + 6;

/// Set by SIGHUP: reopen the log file.
static HANGUP: AtomicBool = AtomicBool::new(false);
/// Set by SIGTERM and SIGINT: log the exit and stop.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_hangup(_: nix::libc::c_int) {
    HANGUP.store(true, Ordering::Relaxed);
}

extern "C" fn on_stop(_: nix::libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// Why the daemon could not start.
#[derive(Debug)]
enum StartError {
    /// An option's value is not valid.
    BadValue(char, String),
    /// The log socket could not be made.
    Socket(PathBuf, io::Error),
    /// Detaching into the background failed.
    Daemon(nix::errno::Errno),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::BadValue(c, v) => write!(f, "invalid -{c} '{v}'"),
            StartError::Socket(p, e) => {
                write!(f, "{}: {}", p.display(), crate::common::strerror(e))
            }
            StartError::Daemon(e) => write!(f, "daemon: {}", e.desc()),
        }
    }
}

/// A remote syslog server (`-R`), resolved when first needed.
struct Remote {
    host: String,
    port: u16,
    addr: Option<SocketAddr>,
    /// When resolving may be tried again after a failure.
    retry_at: Option<Instant>,
}

/// The settings from the command line.
struct Config {
    foreground: bool,
    socket: PathBuf,
    file: PathBuf,
    limit: u64,
    keep: u32,
    level: u16,
    small: bool,
    strip_stamps: bool,
    remotes: Vec<Remote>,
    local: bool,
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "np:R:LO:s:b:l:St", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if !p.operands.is_empty() {
        return usage_error("syslogd", "too many arguments");
    }
    match config(&p).and_then(run) {
        Ok(code) => code,
        Err(e) => {
            error_msg("syslogd", &e.to_string());
            1
        }
    }
}

/// Reads the options into a [`Config`].
fn config(p: &crate::common::Parsed) -> Result<Config, StartError> {
    let value = |c: char| p.value(c).map(|v| lossy(v).into_owned());
    let bad = |c: char, v: &str| StartError::BadValue(c, v.to_string());
    let number = |c: char, default: u64, max: u64| -> Result<u64, StartError> {
        match value(c) {
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| bad(c, &v)),
            None => Ok(default),
        }
    };
    let limit = number('s', 200, u64::MAX / 1024)? * 1024;
    let keep = number('b', 1, 99)? as u32;
    let level = number('l', 8, 8)? as u16;
    if level == 0 {
        return Err(bad('l', "0"));
    }
    let mut remotes = Vec::new();
    for (c, v) in &p.opts {
        if *c != 'R' {
            continue;
        }
        let text = v.as_deref().map(lossy).unwrap_or_default();
        match resolve::host_port(&text, SYSLOG_PORT) {
            Some((host, port)) if !host.is_empty() => remotes.push(Remote {
                host,
                port,
                addr: None,
                retry_at: None,
            }),
            _ => return Err(bad('R', &text)),
        }
    }
    let local = remotes.is_empty() || p.has('L');
    // Relative paths are made absolute: the daemon changes to / when it
    // detaches. `-` (standard output) stays as it is.
    let absolute = |path: String| {
        let path = PathBuf::from(path);
        match std::env::current_dir() {
            Ok(dir) if path.is_relative() && path != std::path::Path::new("-") => dir.join(path),
            _ => path,
        }
    };
    Ok(Config {
        foreground: p.has('n'),
        socket: absolute(value('p').unwrap_or_else(|| DEFAULT_SOCKET.into())),
        file: absolute(value('O').unwrap_or_else(|| DEFAULT_FILE.into())),
        limit,
        keep,
        level,
        small: p.has('S'),
        strip_stamps: p.has('t'),
        remotes,
        local,
    })
}

/// Binds the socket, detaches unless `-n`, and serves until SIGTERM.
fn run(cfg: Config) -> Result<i32, StartError> {
    // A socket left by an earlier run would make bind fail.
    let _ = std::fs::remove_file(&cfg.socket);
    let socket =
        UnixDatagram::bind(&cfg.socket).map_err(|e| StartError::Socket(cfg.socket.clone(), e))?;
    // Every user may log, as with any syslogd.
    let _ = std::fs::set_permissions(&cfg.socket, std::fs::Permissions::from_mode(0o666));
    if !cfg.foreground {
        nix::unistd::daemon(false, false).map_err(StartError::Daemon)?;
    }
    let without_restart = |handler: extern "C" fn(nix::libc::c_int)| {
        // No SA_RESTART: a signal interrupts the receive, so the flag is
        // seen at once.
        SigAction::new(
            SigHandler::Handler(handler),
            SaFlags::empty(),
            SigSet::empty(),
        )
    };
    // SAFETY: the handlers only store to atomics.
    unsafe {
        let _ = sigaction(Signal::SIGHUP, &without_restart(on_hangup));
        let _ = sigaction(Signal::SIGTERM, &without_restart(on_stop));
        let _ = sigaction(Signal::SIGINT, &without_restart(on_stop));
    }
    let mut daemon = Daemon::new(cfg);
    daemon.log_own("syslogd started: ibox");
    let mut buf = vec![0u8; MAX_DATAGRAM];
    while !STOP.load(Ordering::Relaxed) {
        if HANGUP.swap(false, Ordering::Relaxed) {
            if let Some(f) = daemon.file.as_mut() {
                f.reopen();
            }
        }
        match socket.recv(&mut buf) {
            Ok(n) => daemon.handle(&buf[..n]),
            // EINTR from a signal; anything else is transient too (the
            // socket is ours), and a busy loop is avoided by blocking.
            Err(_) => continue,
        }
    }
    daemon.log_own("syslogd exiting");
    let _ = std::fs::remove_file(&daemon.cfg.socket);
    Ok(0)
}

/// The running daemon.
struct Daemon {
    cfg: Config,
    /// The host name lines carry, up to its first dot, as BusyBox.
    host: String,
    file: Option<LogFile>,
    /// One socket per address family, made when a remote needs it.
    udp4: Option<UdpSocket>,
    udp6: Option<UdpSocket>,
}

impl Daemon {
    fn new(cfg: Config) -> Daemon {
        let host = nix::unistd::gethostname()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default();
        let host = host.split('.').next().unwrap_or("").to_string();
        let file = cfg
            .local
            .then(|| LogFile::open(&cfg.file, cfg.limit, cfg.keep));
        Daemon {
            cfg,
            host,
            file,
            udp4: None,
            udp6: None,
        }
    }

    /// A message of syslogd's own.
    fn log_own(&mut self, text: &str) {
        let msg = Message {
            pri: SYSLOG_INFO,
            stamp: None,
            body: text.to_string(),
        };
        self.log(&msg);
    }

    /// Every message of one datagram.
    fn handle(&mut self, datagram: &[u8]) {
        for mut msg in message::split(datagram) {
            if self.cfg.strip_stamps {
                msg.stamp = None;
            }
            if msg.level() < self.cfg.level {
                self.log(&msg);
            }
        }
    }

    /// One message to the file and the remotes.
    fn log(&mut self, msg: &Message) {
        let now = crate::calendar::syslog_stamp(crate::calendar::now());
        if let Some(file) = self.file.as_mut() {
            let host = (!self.cfg.small).then_some(self.host.as_str());
            // A line that cannot be written is dropped (see logfile).
            let _ = file.write(message::file_line(msg, &now, host).as_bytes());
        }
        if self.cfg.remotes.is_empty() {
            return;
        }
        let packet = message::remote_packet(msg, &now, &self.host);
        for i in 0..self.cfg.remotes.len() {
            let Some(addr) = self.remote_addr(i) else {
                continue;
            };
            let slot = if addr.is_ipv4() {
                &mut self.udp4
            } else {
                &mut self.udp6
            };
            if slot.is_none() {
                let any: SocketAddr = if addr.is_ipv4() {
                    ([0u8; 4], 0).into()
                } else {
                    ([0u16; 8], 0).into()
                };
                *slot = UdpSocket::bind(any).ok();
                if let Some(s) = slot.as_ref() {
                    // A full send queue must not block local logging.
                    let _ = s.set_nonblocking(true);
                }
            }
            if let Some(s) = slot.as_ref() {
                // UDP is lossy by design; a failed send is a lost message.
                let _ = s.send_to(&packet, addr);
            }
        }
    }

    /// The address of remote `i`, resolving its name when due.
    fn remote_addr(&mut self, i: usize) -> Option<SocketAddr> {
        let remote = self.cfg.remotes.get_mut(i)?;
        if remote.addr.is_none() && remote.retry_at.is_none_or(|t| Instant::now() >= t) {
            match resolve::socket_addr(&remote.host, remote.port, Family::Any) {
                Ok(a) => remote.addr = Some(a),
                Err(_) => remote.retry_at = Some(Instant::now() + RESOLVE_RETRY),
            }
        }
        remote.addr
    }
}
