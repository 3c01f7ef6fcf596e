//! The upstream side: which servers to forward to, random transaction ids,
//! and the TCP exchange used when an upstream's UDP answer was truncated.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

/// The DNS port.
pub const PORT: u16 = 53;

/// Reads an upstream address: `IP`, `IP:PORT` or `[IPv6]:PORT`.
pub fn parse_server(s: &str) -> Option<SocketAddr> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Some(a);
    }
    s.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, PORT))
}

/// The `nameserver` lines of a resolv.conf, in order. Addresses with a zone
/// (`fe80::1%eth0`) and lines that do not parse are skipped.
pub fn resolv_conf_servers(text: &str) -> Vec<IpAddr> {
    text.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("nameserver"))
                .then(|| words.next())
                .flatten()
                .and_then(|a| a.parse().ok())
        })
        .collect()
}

/// Whether forwarding to `server` would send queries back to a daemon
/// listening on `listen`: the same address, or a loopback address while
/// listening on loopback or on every address, on the same port.
pub fn is_self(server: SocketAddr, listen: SocketAddr) -> bool {
    server.port() == listen.port()
        && (server.ip() == listen.ip()
            || (server.ip().is_loopback()
                && (listen.ip().is_unspecified() || listen.ip().is_loopback())))
}

/// Unpredictable 16-bit ids: a spoofer must guess the id (and the source
/// port) of a pending query to slip an answer in, so they come from the
/// kernel's random source, buffered.
pub struct Rng {
    file: Option<std::fs::File>,
    buf: [u8; 256],
    pos: usize,
    /// Fallback when /dev/urandom cannot be read: SipHash with the
    /// process's random keys over a counter.
    fallback: RandomState,
    counter: u64,
}

impl Rng {
    /// A generator reading /dev/urandom.
    pub fn new() -> Rng {
        Rng {
            file: std::fs::File::open("/dev/urandom").ok(),
            buf: [0; 256],
            pos: 256,
            fallback: RandomState::new(),
            counter: 0,
        }
    }

    /// The next random 16-bit number.
    pub fn next_u16(&mut self) -> u16 {
        if self.pos + 2 > self.buf.len() {
            let filled = self
                .file
                .as_mut()
                .is_some_and(|f| f.read_exact(&mut self.buf).is_ok());
            if !filled {
                self.counter += 1;
                let mut h = self.fallback.build_hasher();
                h.write_u64(self.counter);
                return h.finish() as u16;
            }
            self.pos = 0;
        }
        let v = u16::from_be_bytes([self.buf[self.pos], self.buf[self.pos + 1]]);
        self.pos += 2;
        v
    }
}

/// Sends `query` to `server` over TCP (length-prefixed, RFC 1035 4.2.2)
/// and returns the reply's bytes. Blocking, with `timeout` for each step:
/// it runs only for the rare answer too large for UDP.
pub fn tcp_exchange(
    server: SocketAddr,
    query: &[u8],
    timeout: Duration,
) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect_timeout(&server, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    let len = u16::try_from(query.len())
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    let mut framed = len.to_be_bytes().to_vec();
    framed.extend_from_slice(query);
    s.write_all(&framed)?;
    let mut len = [0u8; 2];
    s.read_exact(&mut len)?;
    let mut reply = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut reply)?;
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers() {
        assert_eq!(parse_server("10.0.0.1"), "10.0.0.1:53".parse().ok());
        assert_eq!(parse_server("10.0.0.1:5353"), "10.0.0.1:5353".parse().ok());
        assert_eq!(parse_server("::1"), "[::1]:53".parse().ok());
        assert_eq!(parse_server("x"), None);
        let conf =
            "# c\nnameserver 127.0.0.1\nnameserver fe80::1%eth0\nsearch lan\nnameserver 9.9.9.9\n";
        let list = resolv_conf_servers(conf);
        assert_eq!(list.len(), 2);
        let any: SocketAddr = "0.0.0.0:53".parse().unwrap();
        assert!(is_self(SocketAddr::new(list[0], 53), any));
        assert!(!is_self(SocketAddr::new(list[1], 53), any));
        assert!(!is_self(
            "127.0.0.1:53".parse().unwrap(),
            "127.0.0.1:5300".parse().unwrap()
        ));
    }
}
