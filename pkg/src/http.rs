//! A small HTTP/1.1 client: `GET` (and `HEAD`) over TCP, enough to fetch
//! signed files from a repository and to be `ibox wget`. HTTPS comes with
//! the `tls` feature ([`crate::tls`], rustls): `wget` needs it, while what
//! `pkg` fetches is checked by signature, not trusted for its transport, so
//! builds without `wget` leave the TLS stack out.
//!
//! The pieces are separate so that callers can choose: [`Url::parse`],
//! [`request`] on a stream the caller connected (wget resolves names and
//! follows redirects itself, with its own messages), and [`Body`], which
//! decodes Content-Length and chunked framing and reports a body cut short
//! as an error instead of handing out a truncated file. [`get`] ties them
//! together for `pkg` and `sysupgrade`.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Why a URL, a request or a response failed.
#[derive(Debug)]
pub enum Error {
    /// The URL is not `http[s]://host[:port][/path]` (the text says why).
    BadUrl(String),
    /// An `https://` URL, and this build has no TLS.
    NoTls,
    /// The TLS handshake failed: the peer's certificate was not trusted, or
    /// the peer does not speak TLS (the text is rustls's reason).
    Tls(String),
    /// The connection failed while sending or receiving.
    Io(io::Error),
    /// The peer did not answer with an HTTP/1.x status line.
    NotHttp,
    /// The headers ended before the blank line, or were malformed.
    BadHeaders(&'static str),
    /// The server answered with a status other than the one wanted: the
    /// whole status line ("HTTP/1.1 404 Not Found").
    Status(String),
    /// The body is larger than the caller allowed.
    TooLarge(u64),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadUrl(m) => f.write_str(m),
            Error::NoTls => f.write_str("HTTPS is not supported by this build (no TLS)"),
            Error::Tls(m) => write!(f, "TLS: {m}"),
            Error::Io(e) => write!(f, "{e}"),
            Error::NotHttp => f.write_str("not an HTTP response"),
            Error::BadHeaders(m) => f.write_str(m),
            Error::Status(line) => write!(f, "HTTP {line}"),
            Error::TooLarge(limit) => write!(f, "response larger than {limit} bytes"),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Io(e)
    }
}

/// How a URL's bytes travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `http://`: plain TCP, port 80 by default.
    Http,
    /// `https://`: TLS over TCP, port 443 by default.
    Https,
}

impl Scheme {
    /// The scheme's name as a URL starts with it ("http").
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The port used when a URL names none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// A parsed `http://` or `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// Plain or TLS.
    pub scheme: Scheme,
    /// Host name or address (an IPv6 literal without its brackets).
    pub host: String,
    /// Port (the scheme's by default).
    pub port: u16,
    /// Path with its leading `/`, query included.
    pub path: String,
}

impl Url {
    /// Parses `http[s]://host[:port]/path` (`[v6addr]` allowed as host; a
    /// `#fragment` is dropped, as it is never sent).
    pub fn parse(url: &str) -> Result<Url, Error> {
        let bad = |why: &str| Error::BadUrl(format!("'{url}': {why}"));
        let (scheme, rest) = if let Some(rest) = url.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else if let Some(rest) = url.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else {
            return Err(bad("not an http:// or https:// URL"));
        };
        let rest = rest.split('#').next().unwrap_or(rest);
        let (authority, path) = match rest.find(['/', '?']) {
            Some(at) if rest[at..].starts_with('?') => (&rest[..at], format!("/{}", &rest[at..])),
            Some(at) => (&rest[..at], rest[at..].to_string()),
            None => (rest, "/".to_string()),
        };
        // User information is not supported; drop it rather than send it.
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(|| bad("bad URL"))?;
            match after.strip_prefix(':') {
                Some(p) => (host, p),
                None if after.is_empty() => (host, ""),
                None => return Err(bad("bad URL")),
            }
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h, p),
                None => (authority, ""),
            }
        };
        let port = if port.is_empty() {
            scheme.default_port()
        } else {
            port.parse::<u16>()
                .map_err(|_| bad(&format!("bad port '{port}'")))?
        };
        if host.is_empty() || path.contains(char::is_whitespace) {
            return Err(bad("bad URL"));
        }
        Ok(Url {
            scheme,
            host: host.to_string(),
            port,
            path,
        })
    }

    /// The value of the Host header: the host, bracketed if IPv6, with the
    /// port when it is not the scheme's.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == self.scheme.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// Resolves `location` (a redirect target) against this URL: absolute
    /// URLs, absolute paths and relative paths (which keep the scheme).
    pub fn join(&self, location: &str) -> Result<Url, Error> {
        if location.contains("://") {
            return Url::parse(location);
        }
        let path = if location.starts_with('/') {
            location.to_string()
        } else {
            let dir = match self.path.split('?').next().and_then(|p| p.rfind('/')) {
                Some(slash) => &self.path[..=slash],
                None => "/",
            };
            format!("{dir}{location}")
        };
        Url::parse(&format!(
            "{}://{}{path}",
            self.scheme.name(),
            self.host_header()
        ))
    }
}

/// What to ask for.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// `GET` or `HEAD`.
    pub method: &'a str,
    /// The User-Agent header.
    pub user_agent: &'a str,
    /// Ask only for the bytes from this offset on (`Range: bytes=N-`).
    pub range_from: Option<u64>,
}

impl Default for Request<'_> {
    fn default() -> Self {
        Request {
            method: "GET",
            user_agent: "ibox-pkg",
            range_from: None,
        }
    }
}

/// A response whose headers have been read; the body follows in `body`.
pub struct Response<R> {
    /// The status line without its line ending ("HTTP/1.1 200 OK").
    pub status_line: String,
    /// The status code.
    pub code: u16,
    /// Header lines in order, as (name, value) with the value trimmed.
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub body: Body<R>,
}

impl<R> Response<R> {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How the body's end is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// This many bytes remain (Content-Length).
    Length(u64),
    /// Chunked: bytes left in the current chunk, `None` before a size line.
    Chunked(Option<u64>),
    /// The body runs until the server closes the connection.
    UntilClose,
    /// Everything has been read.
    Done,
}

/// A response body: reads yield the decoded bytes and end (`Ok(0)`) only
/// where the framing says the body ends. A connection that closes before
/// that is an `UnexpectedEof` error, so a caller never mistakes a cut-short
/// download for a complete one.
pub struct Body<R> {
    reader: R,
    framing: Framing,
}

impl<R> Body<R> {
    /// The number of body bytes still expected, when the server said.
    pub fn remaining(&self) -> Option<u64> {
        match self.framing {
            Framing::Length(n) => Some(n),
            Framing::Done => Some(0),
            _ => None,
        }
    }
}

fn cut_short() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed early")
}

fn bad_data(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// Reads one line, failing on a connection closed before it ended.
fn read_line<R: BufRead>(reader: &mut R) -> io::Result<String> {
    let mut line = Vec::new();
    // A line longer than this is not HTTP; stop before it eats memory.
    let n = reader.take(8192).read_until(b'\n', &mut line)?;
    if n == 0 || !line.ends_with(b"\n") {
        return Err(cut_short());
    }
    Ok(String::from_utf8_lossy(&line).trim_end().to_string())
}

impl<R: BufRead> Read for Body<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.framing {
                Framing::Done => return Ok(0),
                Framing::UntilClose => {
                    let n = self.reader.read(buf)?;
                    if n == 0 {
                        self.framing = Framing::Done;
                    }
                    return Ok(n);
                }
                Framing::Length(0) => self.framing = Framing::Done,
                Framing::Length(left) => {
                    let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let n = self.reader.read(&mut buf[..want])?;
                    if n == 0 && want > 0 {
                        return Err(cut_short());
                    }
                    self.framing = Framing::Length(left - n as u64);
                    return Ok(n);
                }
                Framing::Chunked(None) => {
                    let line = read_line(&mut self.reader)?;
                    let size = line.split(';').next().unwrap_or("").trim();
                    let size =
                        u64::from_str_radix(size, 16).map_err(|_| bad_data("bad chunk size"))?;
                    if size == 0 {
                        // Trailers end at an empty line.
                        while !read_line(&mut self.reader)?.is_empty() {}
                        self.framing = Framing::Done;
                    } else {
                        self.framing = Framing::Chunked(Some(size));
                    }
                }
                Framing::Chunked(Some(0)) => {
                    if !read_line(&mut self.reader)?.is_empty() {
                        return Err(bad_data("bad chunk end"));
                    }
                    self.framing = Framing::Chunked(None);
                }
                Framing::Chunked(Some(left)) => {
                    let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let n = self.reader.read(&mut buf[..want])?;
                    if n == 0 && want > 0 {
                        return Err(cut_short());
                    }
                    self.framing = Framing::Chunked(Some(left - n as u64));
                    return Ok(n);
                }
            }
        }
    }
}

/// Sends `req` for `url` on `stream` (already connected) and reads the
/// status line and headers. Any status is returned: the caller decides
/// what is an error and whether to follow a redirect.
pub fn request<S: Read + Write>(
    mut stream: S,
    url: &Url,
    req: &Request<'_>,
) -> Result<Response<BufReader<S>>, Error> {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nConnection: close\r\n",
        req.method,
        url.path,
        url.host_header(),
        req.user_agent
    );
    if let Some(from) = req.range_from {
        head.push_str(&format!("Range: bytes={from}-\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.flush()?;
    let mut reader = BufReader::new(stream);
    let status_line = read_line(&mut reader)?;
    if !status_line.starts_with("HTTP/1.") {
        return Err(Error::NotHttp);
    }
    let code = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or(Error::NotHttp)?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(&mut reader)
            .map_err(|_| Error::BadHeaders("connection closed in the headers"))?;
        if line.is_empty() {
            break;
        }
        if headers.len() > 200 {
            return Err(Error::BadHeaders("too many headers"));
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _): &&(String, String)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let no_body = req.method == "HEAD" || code == 204 || code == 304 || (100..200).contains(&code);
    let framing = if no_body {
        Framing::Done
    } else if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        Framing::Chunked(None)
    } else if let Some(len) = find("content-length") {
        Framing::Length(
            len.parse()
                .map_err(|_| Error::BadHeaders("bad Content-Length"))?,
        )
    } else {
        Framing::UntilClose
    };
    Ok(Response {
        status_line,
        code,
        headers,
        body: Body { reader, framing },
    })
}

/// Which servers an `https://` connection believes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// Certificates that chain to a root in this PEM file, for the URL's
    /// host name.
    Roots(std::path::PathBuf),
    /// Any certificate at all (`wget --no-check-certificate`): the traffic
    /// is encrypted but the peer is whoever answered.
    AnyCertificate,
}

impl Default for Trust {
    /// `$SSL_CERT_FILE`, else the CA bundle where Alpine and Debian keep it.
    fn default() -> Trust {
        Trust::Roots(
            std::env::var_os("SSL_CERT_FILE")
                .map(Into::into)
                .unwrap_or_else(|| "/etc/ssl/certs/ca-certificates.crt".into()),
        )
    }
}

/// A connection to a URL's server: plain TCP, or TLS over it.
pub enum Connection {
    /// `http://`.
    Plain(TcpStream),
    /// `https://`, handshake done.
    #[cfg(feature = "tls")]
    Tls(Box<crate::tls::Stream<TcpStream>>),
}

impl Connection {
    /// Makes `tcp` (connected to `url`'s host) the connection `url` asks
    /// for: as it is for `http://`, after a TLS handshake that `trust`
    /// accepts for `https://`.
    pub fn open(tcp: TcpStream, url: &Url, trust: &Trust) -> Result<Connection, Error> {
        match url.scheme {
            Scheme::Http => Ok(Connection::Plain(tcp)),
            #[cfg(feature = "tls")]
            Scheme::Https => Ok(Connection::Tls(Box::new(crate::tls::connect(
                tcp, &url.host, trust,
            )?))),
            #[cfg(not(feature = "tls"))]
            Scheme::Https => {
                let _ = trust;
                Err(Error::NoTls)
            }
        }
    }
}

impl Read for Connection {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Connection::Plain(s) => s.read(buf),
            #[cfg(feature = "tls")]
            Connection::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Connection {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Connection::Plain(s) => s.write(buf),
            #[cfg(feature = "tls")]
            Connection::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Connection::Plain(s) => s.flush(),
            #[cfg(feature = "tls")]
            Connection::Tls(s) => s.flush(),
        }
    }
}

/// Fetches `url`, refusing bodies longer than `limit` bytes and any status
/// but 200. `https://` URLs are checked against the default [`Trust`].
pub fn get(url: &str, limit: u64) -> Result<Vec<u8>, Error> {
    let u = Url::parse(url)?;
    let tcp = TcpStream::connect((u.host.as_str(), u.port))?;
    tcp.set_read_timeout(Some(Duration::from_secs(30)))?;
    let stream = Connection::open(tcp, &u, &Trust::default())?;
    let response = request(stream, &u, &Request::default())?;
    if response.code != 200 {
        return Err(Error::Status(response.status_line));
    }
    if response.body.remaining().is_some_and(|n| n > limit) {
        return Err(Error::TooLarge(limit));
    }
    let mut body = Vec::new();
    response
        .body
        .take(limit.saturating_add(1))
        .read_to_end(&mut body)?;
    if body.len() as u64 > limit {
        return Err(Error::TooLarge(limit));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        assert_eq!(
            Url::parse("http://10.0.2.2:8080/repo/INDEX.ibx").unwrap(),
            Url {
                scheme: Scheme::Http,
                host: "10.0.2.2".into(),
                port: 8080,
                path: "/repo/INDEX.ibx".into()
            }
        );
        assert_eq!(Url::parse("http://example.org").unwrap().port, 80);
        let tls = Url::parse("https://example.org/").unwrap();
        assert_eq!((tls.scheme, tls.port), (Scheme::Https, 443));
        assert_eq!(tls.host_header(), "example.org");
        assert_eq!(Url::parse("https://h:80/").unwrap().host_header(), "h:80");
        assert!(Url::parse("ftp://example.org/").is_err());
        assert!(Url::parse("http://:80/").is_err());
        assert!(Url::parse("http://h:x/").is_err());
        let v6 = Url::parse("http://[::1]:81/a?b#c").unwrap();
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 81));
        assert_eq!(v6.path, "/a?b");
        assert_eq!(v6.host_header(), "[::1]:81");
        assert_eq!(Url::parse("http://h?q=1").unwrap().path, "/?q=1");
    }

    #[test]
    fn joins_redirects() {
        let base = Url::parse("http://h:8/a/b?x").unwrap();
        assert_eq!(base.join("c").unwrap().path, "/a/c");
        assert_eq!(base.join("/d").unwrap().path, "/d");
        let other = base.join("http://o/e").unwrap();
        assert_eq!((other.host.as_str(), other.port), ("o", 80));
        let secure = Url::parse("https://s/a/b").unwrap();
        assert_eq!(secure.join("c").unwrap().scheme, Scheme::Https);
        assert_eq!(secure.join("http://o/").unwrap().scheme, Scheme::Http);
    }

    /// A fake connection: what the server says, and what was sent.
    struct Fake {
        answer: io::Cursor<Vec<u8>>,
        sent: Vec<u8>,
    }

    impl Read for Fake {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.answer.read(buf)
        }
    }

    impl Write for Fake {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.sent.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn fetch(answer: &str) -> Result<(u16, Vec<u8>), Error> {
        let fake = Fake {
            answer: io::Cursor::new(answer.as_bytes().to_vec()),
            sent: Vec::new(),
        };
        let url = Url::parse("http://h/x").unwrap();
        let mut r = request(fake, &url, &Request::default())?;
        let mut body = Vec::new();
        r.body.read_to_end(&mut body)?;
        Ok((r.code, body))
    }

    #[test]
    fn decodes_bodies() {
        let (code, body) = fetch("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef").unwrap();
        assert_eq!((code, body.as_slice()), (200, &b"abc"[..]));
        let (_, body) = fetch(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(body, b"abcde");
        let (_, body) = fetch("HTTP/1.0 200 OK\r\n\r\nall of it").unwrap();
        assert_eq!(body, b"all of it");
    }

    #[test]
    fn short_bodies_are_errors() {
        assert!(matches!(
            fetch("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"),
            Err(Error::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof
        ));
        assert!(fetch("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab").is_err());
        assert!(fetch("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n").is_err());
        assert!(matches!(fetch("SSH-2.0\r\n\r\n"), Err(Error::NotHttp)));
    }
}
