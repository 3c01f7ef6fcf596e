//! A small HTTP/1.1 client: `GET` over plain TCP, enough to fetch signed
//! files from a repository. No TLS on purpose: what comes over it is
//! checked by signature, not trusted for its transport.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A parsed `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// Host name or address.
    pub host: String,
    /// Port (80 by default).
    pub port: u16,
    /// Path with its leading `/`.
    pub path: String,
}

impl Url {
    /// Parses `http://host[:port]/path`.
    pub fn parse(url: &str) -> Result<Url, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("'{url}': not an http:// URL"))?;
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("'{url}': bad port '{p}'"))?,
            ),
            None => (authority, 80),
        };
        if host.is_empty() || path.contains(char::is_whitespace) {
            return Err(format!("'{url}': bad URL"));
        }
        Ok(Url {
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }
}

/// Fetches `url`, refusing bodies longer than `limit` bytes.
pub fn get(url: &str, limit: u64) -> Result<Vec<u8>, String> {
    let u = Url::parse(url)?;
    let io = |e: std::io::Error| e.to_string();
    let stream = TcpStream::connect((u.host.as_str(), u.port)).map_err(io)?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(io)?;
    let mut writer = stream.try_clone().map_err(io)?;
    write!(
        writer,
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: ibox-pkg\r\nConnection: close\r\n\r\n",
        u.path, u.host
    )
    .map_err(io)?;
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).map_err(io)?;
    let code = status.split_whitespace().nth(1).unwrap_or("");
    if !status.starts_with("HTTP/1.") {
        return Err("not an HTTP response".into());
    }
    if code != "200" {
        return Err(format!("HTTP {}", status.trim_end()));
    }
    let mut length: Option<u64> = None;
    let mut chunked = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).map_err(io)? == 0 {
            return Err("connection closed in the headers".into());
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse().map_err(|_| "bad Content-Length")?);
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            }
        }
    }
    let too_big = || format!("response larger than {limit} bytes");
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).map_err(io)?;
            let size = size.trim().split(';').next().unwrap_or("");
            let n = u64::from_str_radix(size, 16).map_err(|_| "bad chunk size")?;
            if n == 0 {
                break;
            }
            if body.len() as u64 + n > limit {
                return Err(too_big());
            }
            let start = body.len();
            body.resize(start + n as usize, 0);
            reader.read_exact(&mut body[start..]).map_err(io)?;
            let mut crlf = [0; 2];
            reader.read_exact(&mut crlf).map_err(io)?;
        }
    } else if let Some(n) = length {
        if n > limit {
            return Err(too_big());
        }
        body.resize(n as usize, 0);
        reader.read_exact(&mut body).map_err(io)?;
    } else {
        reader.take(limit + 1).read_to_end(&mut body).map_err(io)?;
        if body.len() as u64 > limit {
            return Err(too_big());
        }
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
                host: "10.0.2.2".into(),
                port: 8080,
                path: "/repo/INDEX.ibx".into()
            }
        );
        assert_eq!(Url::parse("http://example.org").unwrap().port, 80);
        assert!(Url::parse("https://example.org/").is_err());
        assert!(Url::parse("http://:80/").is_err());
        assert!(Url::parse("http://h:x/").is_err());
    }
}
