//! What `udhcpc` and `udhcpd` share besides the message codec (crate
//! `ibex-dhcp`): an interface's index, MAC and address, the packet socket
//! a client without an address speaks through, UDP sockets tied to one
//! interface, signals turned into readable bytes for a `poll()` loop,
//! files replaced atomically, and going to the background.

use std::ffi::CString;
use std::io;
use std::net::{Ipv4Addr, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::sync::atomic::{AtomicI32, Ordering};

use nix::libc;

/// EtherType of IPv4.
const ETH_P_IP: u16 = 0x0800;
/// Packet socket option: deliver `tpacket_auxdata` with each packet.
const PACKET_AUXDATA: libc::c_int = 8;
/// `tp_status` bit: the checksum is left to an offload, not yet valid.
const TP_STATUS_CSUMNOTREADY: u32 = 1 << 3;

/// An interface as the DHCP programs need it.
#[derive(Debug, Clone)]
pub struct Interface {
    /// Its name.
    pub name: String,
    /// Its index.
    pub index: i32,
    /// Its hardware address.
    pub mac: [u8; 6],
}

/// A zeroed `ifreq` naming `name`, or `None` when the name is too long.
fn ifreq(name: &str) -> Option<libc::ifreq> {
    // SAFETY: ifreq is plain data; all zeroes is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= req.ifr_name.len() || bytes.contains(&0) {
        return None;
    }
    for (d, s) in req.ifr_name.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    Some(req)
}

/// Runs interface ioctl `request` on a throwaway socket.
fn if_ioctl(name: &str, request: libc::c_ulong) -> io::Result<libc::ifreq> {
    let mut req = ifreq(name).ok_or_else(|| io::Error::from_raw_os_error(libc::ENODEV))?;
    let sock = udp_fd()?;
    // SAFETY: `req` is a valid ifreq for these SIOCGIF* requests, which
    // only write inside it.
    let r = unsafe { libc::ioctl(sock.as_raw_fd(), request as _, &mut req) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(req)
}

impl Interface {
    /// Looks `name` up.
    pub fn find(name: &str) -> io::Result<Interface> {
        let req = if_ioctl(name, libc::SIOCGIFINDEX)?;
        // SAFETY: SIOCGIFINDEX filled the union's index member.
        let index = unsafe { req.ifr_ifru.ifru_ifindex };
        let req = if_ioctl(name, libc::SIOCGIFHWADDR)?;
        // SAFETY: SIOCGIFHWADDR filled the union's hwaddr member.
        let hw = unsafe { req.ifr_ifru.ifru_hwaddr };
        let mut mac = [0u8; 6];
        for (d, s) in mac.iter_mut().zip(hw.sa_data.iter()) {
            *d = *s as u8;
        }
        Ok(Interface {
            name: name.to_string(),
            index,
            mac,
        })
    }

    /// The interface's (first) IPv4 address.
    pub fn address(&self) -> io::Result<Ipv4Addr> {
        let req = if_ioctl(&self.name, libc::SIOCGIFADDR)?;
        // SAFETY: SIOCGIFADDR filled the union's addr member with a
        // sockaddr_in (family AF_INET for IPv4 addresses).
        let sa = unsafe { req.ifr_ifru.ifru_addr };
        let d = sa.sa_data;
        Ok(Ipv4Addr::new(
            d[2] as u8, d[3] as u8, d[4] as u8, d[5] as u8,
        ))
    }
}

/// A new close-on-exec IPv4 UDP socket.
fn udp_fd() -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2); the descriptor is owned right away.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// setsockopt(2) with an int or a byte-string value.
fn set_opt(fd: RawFd, level: libc::c_int, name: libc::c_int, value: &[u8]) -> io::Result<()> {
    // SAFETY: `value` is valid for its length for the duration of the call.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            value.as_ptr().cast(),
            value.len() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A UDP socket on `port` that only sees and sends through `iface`, may
/// broadcast, and shares the port with others bound to other interfaces.
pub fn udp_socket(iface: &str, port: u16) -> io::Result<UdpSocket> {
    let fd = udp_fd()?;
    let one = 1i32.to_ne_bytes();
    set_opt(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, &one)?;
    set_opt(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_BROADCAST, &one)?;
    set_opt(
        fd.as_raw_fd(),
        libc::SOL_SOCKET,
        libc::SO_BINDTODEVICE,
        iface.as_bytes(),
    )?;
    // SAFETY: sockaddr_in is plain data; zero is a valid value.
    let mut sa: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    sa.sin_family = libc::AF_INET as libc::sa_family_t;
    sa.sin_port = port.to_be();
    // SAFETY: `sa` is a valid sockaddr_in of the length given.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&sa as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(UdpSocket::from(fd))
}

/// A packet socket for IPv4 on one interface, below the kernel's IP: it
/// sends IP packets built by hand to the broadcast MAC and receives every
/// IPv4 packet the interface sees.
pub struct PacketSocket {
    fd: OwnedFd,
    index: i32,
}

impl PacketSocket {
    /// Opens and binds it to interface `index`.
    pub fn open(index: i32) -> io::Result<PacketSocket> {
        // SAFETY: plain socket(2); the descriptor is owned right away.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                i32::from(ETH_P_IP.to_be()),
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let sa = Self::address(index);
        // SAFETY: `sa` is a valid sockaddr_ll of the length given.
        let r = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sa as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        set_opt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            PACKET_AUXDATA,
            &1i32.to_ne_bytes(),
        )?;
        Ok(PacketSocket { fd, index })
    }

    /// The link-layer address of the interface's broadcast.
    fn address(index: i32) -> libc::sockaddr_ll {
        // SAFETY: sockaddr_ll is plain data; zero is a valid value.
        let mut sa: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        sa.sll_family = libc::AF_PACKET as u16;
        sa.sll_protocol = ETH_P_IP.to_be();
        sa.sll_ifindex = index;
        sa.sll_halen = 6;
        sa.sll_addr[..6].fill(0xff);
        sa
    }

    /// Sends one IP packet to the broadcast MAC.
    pub fn send_broadcast(&self, packet: &[u8]) -> io::Result<()> {
        let sa = Self::address(self.index);
        // SAFETY: `packet` and `sa` are valid for the lengths given.
        let r = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                packet.as_ptr().cast(),
                packet.len(),
                0,
                (&sa as *const libc::sockaddr_ll).cast(),
                std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Receives one IP packet into `buf`: its length, and whether its
    /// checksums are final (false for a packet whose checksum an offload
    /// was to fill in, which must not be checked).
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<(usize, bool)> {
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // u64s: the control buffer must be aligned for cmsghdr.
        let mut control = [0u64; 16];
        // SAFETY: msghdr is plain data; zero is a valid value.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control) as _;
        // SAFETY: `msg` points at `iov` (into `buf`) and `control`, both
        // valid for the lengths given and alive during the call.
        let r = unsafe { libc::recvmsg(self.fd.as_raw_fd(), &mut msg, 0) };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut ready = true;
        // SAFETY: the CMSG_* walk stays inside the control buffer the
        // kernel filled, as msg_controllen says.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                if (*c).cmsg_level == libc::SOL_PACKET && (*c).cmsg_type == PACKET_AUXDATA {
                    let status = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<u32>());
                    if status & TP_STATUS_CSUMNOTREADY != 0 {
                        ready = false;
                    }
                }
                c = libc::CMSG_NXTHDR(&msg, c);
            }
        }
        Ok((r as usize, ready))
    }
}

impl AsRawFd for PacketSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

/// The write end of the signal pipe, for the handler.
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = SIGNAL_PIPE.load(Ordering::Relaxed);
    let byte = sig as u8;
    // SAFETY: write(2) is async-signal-safe; a full pipe just drops it.
    unsafe {
        libc::write(fd, (&byte as *const u8).cast(), 1);
    }
}

/// Signals delivered as bytes on a pipe, so that a `poll()` loop sees
/// them beside its sockets.
pub struct Signals {
    read: OwnedFd,
    _write: OwnedFd,
}

impl Signals {
    /// Catches `signals` from now on.
    pub fn catch(signals: &[nix::sys::signal::Signal]) -> io::Result<Signals> {
        use nix::fcntl::OFlag;
        use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet};
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)
            .map_err(crate::fsutil::io_err)?;
        SIGNAL_PIPE.store(write.as_raw_fd(), Ordering::Relaxed);
        let action = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        for &s in signals {
            // SAFETY: the handler only calls write(2).
            unsafe { sigaction(s, &action) }.map_err(crate::fsutil::io_err)?;
        }
        Ok(Signals {
            read,
            _write: write,
        })
    }

    /// The next signal caught, if any.
    pub fn next(&self) -> Option<i32> {
        let mut byte = 0u8;
        // SAFETY: one byte into a valid local.
        let r = unsafe { libc::read(self.read.as_raw_fd(), (&mut byte as *mut u8).cast(), 1) };
        (r == 1).then_some(i32::from(byte))
    }
}

impl AsRawFd for Signals {
    fn as_raw_fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }
}

/// Waits until one of `fds` is readable or `timeout_ms` passes (negative:
/// no limit); returns which are readable.
pub fn wait_readable(fds: &[RawFd], timeout_ms: i32) -> Vec<bool> {
    let mut p: Vec<libc::pollfd> = fds
        .iter()
        .map(|&fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    // SAFETY: `p` is a valid array of pollfd of the length given.
    let r = unsafe { libc::poll(p.as_mut_ptr(), p.len() as libc::nfds_t, timeout_ms) };
    if r <= 0 {
        return vec![false; fds.len()];
    }
    p.iter().map(|x| x.revents != 0).collect()
}

/// Writes our pid to `path` (when given).
pub fn write_pidfile(path: Option<&Path>) {
    if let Some(p) = path {
        let _ = std::fs::write(p, format!("{}\n", std::process::id()));
    }
}

/// Goes to the background: the parent exits 0, the child leaves the
/// terminal's session and gets /dev/null as standard input and output.
pub fn daemonize() {
    use nix::unistd::{fork, setsid, ForkResult};
    // SAFETY: ibox is single-threaded; the child only goes on running.
    match unsafe { fork() } {
        Ok(ForkResult::Parent { .. }) => std::process::exit(0),
        Ok(ForkResult::Child) => {
            let _ = setsid();
            if let Ok(null) = CString::new("/dev/null") {
                // SAFETY: open/dup2/close on descriptors we own.
                unsafe {
                    let fd = libc::open(null.as_ptr(), libc::O_RDWR);
                    if fd >= 0 {
                        libc::dup2(fd, 0);
                        libc::dup2(fd, 1);
                        if fd > 2 {
                            libc::close(fd);
                        }
                    }
                }
            }
        }
        // Staying in the foreground is the safe failure.
        Err(_) => {}
    }
}

/// Four random bytes from the kernel (transaction ids), or the clock's
/// nanoseconds when it cannot give them.
pub fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    // SAFETY: getrandom(2) writes at most 4 bytes into `b`.
    let r = unsafe { libc::getrandom(b.as_mut_ptr().cast(), 4, 0) };
    if r == 4 {
        return u32::from_ne_bytes(b);
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() ^ std::process::id())
        .unwrap_or(0)
}

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Prefix length of a netmask (its leading ones).
pub fn prefix_len(mask: Ipv4Addr) -> u32 {
    u32::from(mask).leading_ones()
}
