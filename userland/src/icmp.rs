//! ICMP sockets for `ping` and `traceroute`: opening them (unprivileged
//! ICMP datagram sockets first, raw sockets when those are not allowed),
//! building echo requests, and receiving messages with the TTL or hop
//! limit they arrived with. std has no such sockets, so this is the one
//! place that talks to the socket calls directly.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use nix::libc;

/// ICMP echo request and reply types, for IPv4 and IPv6.
pub const ECHO_REQUEST_V4: u8 = 8;
/// ICMP echo reply (IPv4).
pub const ECHO_REPLY_V4: u8 = 0;
/// ICMPv6 echo request.
pub const ECHO_REQUEST_V6: u8 = 128;
/// ICMPv6 echo reply.
pub const ECHO_REPLY_V6: u8 = 129;

/// An ICMP socket of either family and kind.
pub struct Socket {
    fd: OwnedFd,
    v6: bool,
    /// Raw sockets see the IPv4 header and every ICMP message; datagram
    /// ("ping") sockets see only the ICMP message of their own echoes.
    raw: bool,
}

/// One received ICMP message.
#[derive(Debug)]
pub struct Received {
    /// Who sent it.
    pub from: IpAddr,
    /// Where the ICMP message (type byte first) lies in the buffer.
    pub start: usize,
    /// Its end in the buffer.
    pub end: usize,
    /// The TTL or hop limit it arrived with, when the kernel said.
    pub ttl: Option<u8>,
}

/// Makes a socket: its own file descriptor or the error.
fn socket(domain: i32, kind: i32, protocol: i32) -> io::Result<OwnedFd> {
    // SAFETY: socket(2) takes no pointers; a non-negative result is a new
    // descriptor that nothing else owns.
    let fd = unsafe { libc::socket(domain, kind | libc::SOCK_CLOEXEC, protocol) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just returned by socket(2) and is owned by no one else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// setsockopt(2) with an int value.
pub fn set_int_option(fd: &impl AsRawFd, level: i32, name: i32, value: i32) -> io::Result<()> {
    // SAFETY: the pointer and length describe `value`, alive for the call.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl Socket {
    /// An ICMP socket for echoes: a datagram socket when the system allows
    /// them (net.ipv4.ping_group_range), else a raw one (root).
    pub fn echo(v6: bool) -> io::Result<Socket> {
        let (domain, proto) = family(v6);
        match socket(domain, libc::SOCK_DGRAM, proto) {
            Ok(fd) => Socket::setup(fd, v6, false),
            Err(dgram_err) => match socket(domain, libc::SOCK_RAW, proto) {
                Ok(fd) => Socket::setup(fd, v6, true),
                // The raw socket's EPERM says more than the datagram one's
                // EACCES only if datagram sockets were simply unsupported.
                Err(raw_err) => Err(if dgram_err.raw_os_error() == Some(libc::EPROTONOSUPPORT) {
                    raw_err
                } else {
                    dgram_err
                }),
            },
        }
    }

    /// A raw ICMP socket, which sees every ICMP message (the errors that
    /// answer `traceroute`'s probes); needs root.
    pub fn raw(v6: bool) -> io::Result<Socket> {
        let (domain, proto) = family(v6);
        Socket::setup(socket(domain, libc::SOCK_RAW, proto)?, v6, true)
    }

    fn setup(fd: OwnedFd, v6: bool, raw: bool) -> io::Result<Socket> {
        // Ask for the TTL / hop limit of what arrives, for ping's "ttl=".
        // A raw IPv4 socket reads it from the IP header instead.
        if v6 {
            set_int_option(&fd, libc::IPPROTO_IPV6, libc::IPV6_RECVHOPLIMIT, 1)?;
        } else if !raw {
            set_int_option(&fd, libc::IPPROTO_IP, libc::IP_RECVTTL, 1)?;
        }
        Ok(Socket { fd, v6, raw })
    }

    /// Whether this is a raw socket (echo identifiers are then ours to check).
    pub fn is_raw(&self) -> bool {
        self.raw
    }

    /// Sends `message` (an ICMP message, checksum filled in for IPv4; the
    /// kernel does it for IPv6) to `dest`.
    pub fn send_to(&self, message: &[u8], dest: IpAddr) -> io::Result<()> {
        let (storage, len) = sockaddr(SocketAddr::new(dest, 0));
        // SAFETY: message and storage are valid for the lengths given.
        let r = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                message.as_ptr().cast(),
                message.len(),
                0,
                (&storage as *const libc::sockaddr_storage).cast(),
                len,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Waits up to `timeout` for a message; `Ok(None)` on timeout. An
    /// interrupting signal also returns `Ok(None)`, so callers re-check
    /// their flags.
    pub fn recv(&self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<Received>> {
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd, valid for the call.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Ok(None)
            } else {
                Err(e)
            };
        }
        if r == 0 {
            return Ok(None);
        }
        // SAFETY: zeroed sockaddr_storage and byte arrays are valid values.
        let mut from: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut control = [0u64; 16];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: an all-zero msghdr is valid; the fields are set below.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = (&mut from as *mut libc::sockaddr_storage).cast();
        msg.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        // SAFETY: every pointer in msg refers to a live local buffer of the
        // length stated.
        let n = unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut msg, libc::MSG_DONTWAIT) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(None),
                _ => Err(e),
            };
        }
        let n = (n as usize).min(buf.len());
        let Some(from) = from_sockaddr(&from) else {
            return Ok(None);
        };
        let mut ttl = control_ttl(&msg);
        let mut start = 0;
        if self.raw && !self.v6 {
            // The IPv4 header comes first: its length, and the TTL in it.
            let Some(&vhl) = buf.first() else {
                return Ok(None);
            };
            start = usize::from(vhl & 0x0f) * 4;
            ttl = buf.get(8).copied();
            if start > n {
                return Ok(None);
            }
        }
        Ok(Some(Received {
            from: from.ip(),
            start,
            end: n,
            ttl,
        }))
    }
}

/// The domain and protocol numbers of ICMP for a family.
fn family(v6: bool) -> (i32, i32) {
    if v6 {
        (libc::AF_INET6, libc::IPPROTO_ICMPV6)
    } else {
        (libc::AF_INET, libc::IPPROTO_ICMP)
    }
}

/// The TTL or hop limit among a received message's control messages.
fn control_ttl(msg: &libc::msghdr) -> Option<u8> {
    // SAFETY: msg was filled by recvmsg(2); the CMSG macros walk the
    // control buffer it points to within msg_controllen.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(msg);
        while !cmsg.is_null() {
            let c = &*cmsg;
            let wanted = (c.cmsg_level == libc::IPPROTO_IP && c.cmsg_type == libc::IP_TTL)
                || (c.cmsg_level == libc::IPPROTO_IPV6 && c.cmsg_type == libc::IPV6_HOPLIMIT);
            if wanted {
                let value = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<i32>());
                return u8::try_from(value).ok();
            }
            cmsg = libc::CMSG_NXTHDR(msg, cmsg);
        }
    }
    None
}

/// A socket address in the kernel's layout, and its length.
pub fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: all-zero is a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: 0,
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for sockaddr_in6.
            unsafe { std::ptr::write((&mut storage as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

/// The address in a kernel socket address, if it is IPv4 or IPv6.
fn from_sockaddr(storage: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match i32::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let sin: libc::sockaddr_in =
                unsafe { std::ptr::read((storage as *const libc::sockaddr_storage).cast()) };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let sin6: libc::sockaddr_in6 =
                unsafe { std::ptr::read((storage as *const libc::sockaddr_storage).cast()) };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// The Internet checksum (RFC 1071) of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An echo request: header, then `payload`; checksummed for IPv4.
pub fn echo_request(v6: bool, id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let kind = if v6 { ECHO_REQUEST_V6 } else { ECHO_REQUEST_V4 };
    let mut m = Vec::with_capacity(8 + payload.len());
    m.extend_from_slice(&[kind, 0, 0, 0]);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(payload);
    if !v6 {
        let sum = checksum(&m);
        m[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_and_echoes() {
        // The example of RFC 1071 section 3: sum 0xddf2, complement 0x220d.
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
        let m = echo_request(false, 0x1234, 7, b"abc");
        assert_eq!(&m[..2], &[8, 0]);
        assert_eq!(&m[4..8], &[0x12, 0x34, 0, 7]);
        // A correct checksum makes the whole message sum to zero.
        assert_eq!(checksum(&m), 0);
        assert_eq!(echo_request(true, 1, 2, b"")[0], 128);
    }

    #[test]
    fn socket_addresses_round_trip() {
        for a in ["10.1.2.3:80", "[fe80::1]:53"] {
            let addr: SocketAddr = a.parse().unwrap();
            let (storage, _) = sockaddr(addr);
            assert_eq!(from_sockaddr(&storage), Some(addr));
        }
    }
}
