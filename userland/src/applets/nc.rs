//! `nc [-u] [-w SEC] [-p PORT] HOST PORT` and `nc -l [-u] [-p PORT]
//! [-e PROG ARGS...]`: a TCP (or UDP) connection relayed to and from
//! standard input and output, or handed to PROG. Standard input's end
//! half-closes a TCP connection, so the peer sees EOF while its answer can
//! still come back.

use std::ffi::OsString;
use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::libc;

use crate::common::{error_msg, getopt, lossy, perror, usage_error, Exit};
use crate::resolve::{self, Family};

pub const USAGE: &str = "[-u] [-wN] [-l] [-p PORT] [IPADDR PORT] [-e PROG]\n\nOpen a pipe to IP:PORT\n\n\t-l\tListen mode, for inbound connects\n\t-u\tUDP mode\n\t-p PORT\tLocal port\n\t-w SEC\tConnect timeout\n\t-e PROG\tRun PROG after connect (the rest of the line is its arguments)";

/// Why nc stopped early.
#[derive(Debug)]
enum Error {
    /// A usage or lookup error already worded for the user.
    Message(String),
    /// A system call failed: what was being done, and why.
    Io(String, io::Error),
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    // "-e PROG ARGS...": everything after -e belongs to PROG, so it is
    // split off before the options are parsed.
    let (args, prog) = match args.iter().position(|a| a == "-e") {
        Some(at) => (args[..at].to_vec(), Some(args[at + 1..].to_vec())),
        None => (args, None),
    };
    if prog.as_ref().is_some_and(|p| p.is_empty()) {
        return usage_error("nc", "option requires an argument -- 'e'");
    }
    let p = match getopt(&args, "lup:w:", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    match run(&p, prog) {
        Ok(()) => 0,
        Err(Error::Message(m)) => {
            error_msg("nc", &m);
            1
        }
        Err(Error::Io(what, e)) => {
            perror("nc", what, &e);
            1
        }
    }
}

fn parse_port(text: &std::ffi::OsStr) -> Result<u16, Error> {
    let t = lossy(text);
    t.parse::<u16>()
        .map_err(|_| Error::Message(format!("bad port '{t}'")))
}

fn run(p: &crate::common::Parsed, prog: Option<Vec<OsString>>) -> Result<(), Error> {
    let udp = p.has('u');
    let local_port = p.value('p').map(parse_port).transpose()?;
    let timeout = match p.value('w') {
        Some(w) => {
            let t = lossy(w);
            let secs = t
                .parse::<u64>()
                .map_err(|_| Error::Message(format!("invalid number '{t}'")))?;
            (secs > 0).then(|| Duration::from_secs(secs))
        }
        None => None,
    };
    let conn = if p.has('l') {
        if !p.operands.is_empty() {
            return Err(Error::Message("too many arguments".into()));
        }
        listen(udp, local_port.unwrap_or(0), timeout)?
    } else {
        let [host, port] = p.operands.as_slice() else {
            usage_error("nc", "HOST and PORT expected");
            return Err(Error::Message("missing HOST or PORT".into()));
        };
        let host = lossy(host).into_owned();
        let port = parse_port(port)?;
        let addr = resolve::socket_addr(&host, port, Family::Any)
            .map_err(|_| Error::Message(format!("bad address '{host}'")))?;
        connect(udp, addr, local_port, timeout)?
    };
    if let Some(prog) = prog {
        return exec(conn, &prog);
    }
    match conn {
        Conn::Tcp(s) => relay(s.as_fd(), true, None),
        Conn::Udp(s, first) => {
            if !first.is_empty() {
                write_out(&first)?;
            }
            relay(s.as_fd(), false, timeout)
        }
    }
}

/// A connected socket; for UDP listening, also the first datagram, which
/// told us whom to talk to.
enum Conn {
    Tcp(TcpStream),
    Udp(UdpSocket, Vec<u8>),
}

/// The wildcard address to listen on: IPv6 (which also takes IPv4 on
/// Linux, as BusyBox's nc does) when the system has it.
fn wildcard(port: u16) -> [SocketAddr; 2] {
    [
        (Ipv6Addr::UNSPECIFIED, port).into(),
        (Ipv4Addr::UNSPECIFIED, port).into(),
    ]
}

/// Waits until `fd` is readable, at most `timeout` (None: forever).
fn wait_readable(fd: &impl AsRawFd, timeout: Option<Duration>) -> Result<bool, Error> {
    let ms = timeout.map_or(-1, |t| i32::try_from(t.as_millis()).unwrap_or(i32::MAX));
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: one pollfd, valid for the call.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r >= 0 {
            return Ok(r > 0);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(Error::Io("poll".into(), e));
        }
    }
}

fn listen(udp: bool, port: u16, timeout: Option<Duration>) -> Result<Conn, Error> {
    let bind_err = |e| Error::Io("bind".into(), e);
    if udp {
        let s = UdpSocket::bind(&wildcard(port)[..]).map_err(bind_err)?;
        if port == 0 {
            print_port(s.local_addr());
        }
        if !wait_readable(&s, timeout)? {
            return Err(Error::Message("timeout".into()));
        }
        let mut buf = vec![0u8; 65536];
        let (n, from) = s
            .recv_from(&mut buf)
            .map_err(|e| Error::Io("recv".into(), e))?;
        s.connect(from)
            .map_err(|e| Error::Io("connect".into(), e))?;
        buf.truncate(n);
        return Ok(Conn::Udp(s, buf));
    }
    let l = TcpListener::bind(&wildcard(port)[..]).map_err(bind_err)?;
    if port == 0 {
        print_port(l.local_addr());
    }
    if !wait_readable(&l, timeout)? {
        return Err(Error::Message("timeout".into()));
    }
    let (s, _) = l.accept().map_err(|e| Error::Io("accept".into(), e))?;
    Ok(Conn::Tcp(s))
}

/// Without -p the kernel picks the port: say which, on stderr.
fn print_port(addr: io::Result<SocketAddr>) {
    if let Ok(a) = addr {
        eprintln!("{}", a.port());
    }
}

fn connect(
    udp: bool,
    addr: SocketAddr,
    local_port: Option<u16>,
    timeout: Option<Duration>,
) -> Result<Conn, Error> {
    let refused = |e| Error::Io(format!("can't connect to remote host ({})", addr.ip()), e);
    if udp {
        let local: SocketAddr = match addr {
            SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, local_port.unwrap_or(0)).into(),
            SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, local_port.unwrap_or(0)).into(),
        };
        let s = UdpSocket::bind(local).map_err(|e| Error::Io("bind".into(), e))?;
        s.connect(addr).map_err(refused)?;
        return Ok(Conn::Udp(s, Vec::new()));
    }
    let s = match (local_port, timeout) {
        (Some(port), _) => connect_from(port, addr, timeout),
        (None, Some(t)) => TcpStream::connect_timeout(&addr, t),
        (None, None) => TcpStream::connect(addr),
    }
    .map_err(refused)?;
    Ok(Conn::Tcp(s))
}

/// Connects to `addr` from local port `port` (`-p`), which std cannot do:
/// the socket is made and bound here, then handed to std. With a timeout
/// the connect is non-blocking and waited for with poll(2).
fn connect_from(port: u16, addr: SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
    let (domain, local): (i32, SocketAddr) = match addr {
        SocketAddr::V4(_) => (libc::AF_INET, (Ipv4Addr::UNSPECIFIED, port).into()),
        SocketAddr::V6(_) => (libc::AF_INET6, (Ipv6Addr::UNSPECIFIED, port).into()),
    };
    // SAFETY: socket(2) takes no pointers.
    let fd = unsafe { libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a new descriptor that nothing else owns.
    let stream = TcpStream::from(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) });
    // A port just used by an earlier nc may linger in TIME_WAIT.
    crate::icmp::set_int_option(&stream, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    let (storage, len) = crate::icmp::sockaddr(local);
    // SAFETY: storage is a valid socket address of length len.
    if unsafe { libc::bind(fd, (&storage as *const libc::sockaddr_storage).cast(), len) } < 0 {
        return Err(io::Error::last_os_error());
    }
    stream.set_nonblocking(timeout.is_some())?;
    let (storage, len) = crate::icmp::sockaddr(addr);
    // SAFETY: as above.
    let r = unsafe { libc::connect(fd, (&storage as *const libc::sockaddr_storage).cast(), len) };
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(e);
        }
        let ms = timeout.map_or(-1, |t| i32::try_from(t.as_millis()).unwrap_or(i32::MAX));
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: one pollfd, valid for the call.
        match unsafe { libc::poll(&mut pfd, 1, ms) } {
            0 => return Err(io::Error::from_raw_os_error(libc::ETIMEDOUT)),
            n if n < 0 => return Err(io::Error::last_os_error()),
            _ => {}
        }
        if let Some(e) = stream.take_error()? {
            return Err(e);
        }
    }
    stream.set_nonblocking(false)?;
    Ok(stream)
}

/// Replaces nc with PROG, the connection as its standard input and output.
fn exec(conn: Conn, prog: &[OsString]) -> Result<(), Error> {
    let fd: OwnedFd = match conn {
        Conn::Tcp(s) => s.into(),
        Conn::Udp(s, _) => s.into(),
    };
    let out = fd.try_clone().map_err(|e| Error::Io("dup".into(), e))?;
    let err = Command::new(&prog[0])
        .args(&prog[1..])
        .stdin(Stdio::from(fd))
        .stdout(Stdio::from(out))
        .exec();
    Err(Error::Io(
        format!("can't execute '{}'", lossy(&prog[0])),
        err,
    ))
}

fn write_out(data: &[u8]) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    out.write_all(data)
        .and_then(|_| out.flush())
        .map_err(|e| Error::Io("write".into(), e))
}

/// read(2) on a descriptor, retrying interruptions.
fn read_fd(fd: i32, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        // SAFETY: buf is valid for writes of its length.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// send(2) of all of `data` on a socket.
fn send_all(fd: i32, mut data: &[u8], stream: bool) -> io::Result<()> {
    while !data.is_empty() {
        // SAFETY: data is valid for reads of its length. MSG_NOSIGNAL: a
        // closed peer is an error to report, not a SIGPIPE.
        let n = unsafe { libc::send(fd, data.as_ptr().cast(), data.len(), libc::MSG_NOSIGNAL) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if !stream {
            // A datagram goes whole or not at all.
            return Ok(());
        }
        data = &data[n as usize..];
    }
    Ok(())
}

/// Copies standard input to the socket and the socket to standard output
/// until the peer closes (TCP) or, for UDP, until `idle` passes with
/// nothing received once standard input has ended.
fn relay(
    sock: std::os::fd::BorrowedFd<'_>,
    stream: bool,
    idle: Option<Duration>,
) -> Result<(), Error> {
    let sfd = sock.as_raw_fd();
    let mut stdin_open = true;
    let mut buf = vec![0u8; 65536];
    loop {
        let mut fds = [
            libc::pollfd {
                fd: sfd,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                // A negative descriptor is ignored by poll(2).
                fd: if stdin_open { 0 } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ms = match idle {
            Some(t) if !stdin_open => i32::try_from(t.as_millis()).unwrap_or(i32::MAX),
            _ => -1,
        };
        // SAFETY: two pollfds, valid for the call.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(Error::Io("poll".into(), e));
        }
        if r == 0 {
            return Ok(());
        }
        let ready = libc::POLLIN | libc::POLLHUP | libc::POLLERR;
        if fds[0].revents & ready != 0 {
            let n = read_fd(sfd, &mut buf).map_err(|e| Error::Io("read".into(), e))?;
            if n == 0 && stream {
                return Ok(());
            }
            write_out(&buf[..n])?;
        }
        if stdin_open && fds[1].revents & ready != 0 {
            let n = read_fd(0, &mut buf).map_err(|e| Error::Io("read".into(), e))?;
            if n == 0 {
                stdin_open = false;
                if stream {
                    // Half-close: the peer sees EOF, its answer still comes.
                    // SAFETY: shutdown(2) on our own socket takes no pointers.
                    unsafe { libc::shutdown(sfd, libc::SHUT_WR) };
                }
                continue;
            }
            send_all(sfd, &buf[..n], stream).map_err(|e| Error::Io("write".into(), e))?;
        }
    }
}
