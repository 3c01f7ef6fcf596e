//! `wget [-cqS] [--spider] [-O FILE|-] [-T SEC] [-U AGENT] URL...`: HTTP/1.1
//! and HTTPS downloads over ibex-pkg's client, redirects followed (up to 5).
//! A file is written under a temporary name and renamed only once the whole
//! body arrived, so an error never leaves half a file behind. HTTPS servers
//! must show a certificate that chains to a root in the system's CA bundle
//! (`$SSL_CERT_FILE`, else /etc/ssl/certs/ca-certificates.crt) or in
//! `--ca-certificate FILE` (GNU wget's option), for the URL's host name;
//! `--no-check-certificate` (BusyBox's and GNU's) believes any.

use std::ffi::OsString;
use std::fs;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ibex_pkg::http::{self, Connection, Request, Trust, Url};

use crate::common::{error_msg, getopt, lossy, strerror, usage_error, Exit};
use crate::resolve::{self, Family};

pub const USAGE: &str = "[-cqS] [--spider] [--no-check-certificate] [--ca-certificate FILE] [-O FILE] [-T SEC] [-U AGENT] URL...\n\nRetrieve files via HTTP or HTTPS\n\n\t--spider\tOnly check URL existence: $? is 0 if exists\n\t--no-check-certificate\tDon't validate the server's certificate\n\t--ca-certificate FILE\tTrust the CA certificates in FILE (PEM)\n\t-c\t\tContinue retrieval of aborted transfer\n\t-q\t\tQuiet\n\t-S    \t\tShow server response\n\t-T SEC\t\tNetwork read timeout is SEC seconds\n\t-O FILE\t\tSave to FILE ('-' for stdout)\n\t-U STR\t\tUse STR for User-Agent header";

/// How many redirects are followed before giving up.
const MAX_REDIRECTS: usize = 5;
/// The default network timeout (BusyBox's).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(900);

/// Why a download failed; each reads as BusyBox's message.
#[derive(Debug)]
enum Error {
    /// A message already in BusyBox's words.
    Message(String),
    /// A local file operation failed.
    File(String, io::Error),
}

impl Error {
    fn print(&self) {
        match self {
            Error::Message(m) => error_msg("wget", m),
            Error::File(what, e) => error_msg("wget", &format!("{what}: {}", strerror(e))),
        }
    }
}

/// What the command line asked for.
struct Options {
    output: Option<OsString>,
    quiet: bool,
    timeout: Duration,
    show_headers: bool,
    spider: bool,
    resume: bool,
    agent: String,
    trust: Trust,
}

/// Entry point: each URL in turn; the status is 1 if any failed.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "cqSO:T:U:\u{3}:",
        &[
            ("spider", '\u{1}'),
            ("no-check-certificate", '\u{2}'),
            ("ca-certificate", '\u{3}'),
            ("continue", 'c'),
            ("quiet", 'q'),
            ("server-response", 'S'),
            ("output-document", 'O'),
            ("timeout", 'T'),
            ("user-agent", 'U'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.is_empty() {
        return usage_error("wget", "URL expected");
    }
    let timeout = match p.value('T').map(|t| lossy(t).parse::<u64>()) {
        None => DEFAULT_TIMEOUT,
        Some(Ok(0)) => DEFAULT_TIMEOUT,
        Some(Ok(s)) => Duration::from_secs(s),
        Some(Err(_)) => {
            error_msg(
                "wget",
                &format!(
                    "invalid number '{}'",
                    lossy(p.value('T').unwrap_or_default())
                ),
            );
            return 1;
        }
    };
    let o = Options {
        output: p.value('O').map(|v| v.to_os_string()),
        quiet: p.has('q'),
        timeout,
        show_headers: p.has('S'),
        spider: p.has('\u{1}'),
        resume: p.has('c'),
        agent: p
            .value('U')
            .map(|u| lossy(u).into_owned())
            .unwrap_or_else(|| "Wget".to_string()),
        trust: if p.has('\u{2}') {
            Trust::AnyCertificate
        } else if let Some(bundle) = p.value('\u{3}') {
            Trust::Roots(bundle.into())
        } else {
            Trust::default()
        },
    };
    let mut status = 0;
    for url in &p.operands {
        if let Err(e) = fetch(&lossy(url), &o) {
            e.print();
            status = 1;
        }
    }
    status
}

/// Turns what the user typed into a URL: no scheme means http.
fn parse_url(text: &str) -> Result<Url, Error> {
    let full = if text.contains("://") {
        text.to_string()
    } else {
        format!("http://{text}")
    };
    if let Some((scheme, _)) = full.split_once("://") {
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(Error::Message(format!("unsupported URL scheme '{scheme}'")));
        }
    }
    Url::parse(&full).map_err(|e| Error::Message(e.to_string()))
}

/// The file name wget saves a URL under: the path's last part, or
/// index.html.
fn default_name(url: &Url) -> String {
    let path = url.path.split('?').next().unwrap_or("");
    match path.rsplit('/').next() {
        Some(last) if !last.is_empty() => last.to_string(),
        _ => "index.html".to_string(),
    }
}

/// Connects to the URL's host, saying so unless quiet, and for https://
/// completes the TLS handshake.
fn connect(url: &Url, o: &Options) -> Result<Connection, Error> {
    let addr = resolve::socket_addr(&url.host, url.port, Family::Any)
        .map_err(|_| Error::Message(format!("bad address '{}'", url.host)))?;
    if !o.quiet {
        let shown = match addr {
            std::net::SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
            a => a.to_string(),
        };
        eprintln!("Connecting to {} ({shown})", host_port(url));
    }
    let stream = TcpStream::connect_timeout(&addr, o.timeout).map_err(|e| {
        Error::Message(format!(
            "can't connect to remote host ({}): {}",
            addr.ip(),
            strerror(&e)
        ))
    })?;
    let _ = stream.set_read_timeout(Some(o.timeout));
    let _ = stream.set_write_timeout(Some(o.timeout));
    Connection::open(stream, url, &o.trust).map_err(|e| Error::Message(e.to_string()))
}

/// The "host:port" wget names in "Connecting to".
fn host_port(url: &Url) -> String {
    if url.host.contains(':') {
        format!("[{}]:{}", url.host, url.port)
    } else {
        format!("{}:{}", url.host, url.port)
    }
}

fn response_error(e: http::Error) -> Error {
    match e {
        http::Error::Io(e) => Error::Message(format!("error getting response: {}", strerror(&e))),
        http::Error::BadHeaders(_) => {
            Error::Message("error getting response: connection closed in the headers".into())
        }
        other => Error::Message(format!("error getting response: {other}")),
    }
}

/// Downloads one URL.
fn fetch(text: &str, o: &Options) -> Result<(), Error> {
    let mut url = parse_url(text)?;
    let name = o
        .output
        .clone()
        .unwrap_or_else(|| OsString::from(default_name(&url)));
    let to_stdout = name == "-";
    // -c: ask for what is missing from the file already there.
    let have = if o.resume && !to_stdout {
        fs::metadata(&name).map(|m| m.len()).ok().filter(|&n| n > 0)
    } else {
        None
    };
    let mut redirects = 0;
    let response = loop {
        let stream = connect(&url, o)?;
        let req = Request {
            method: "GET",
            user_agent: &o.agent,
            range_from: have,
        };
        let response = http::request(stream, &url, &req).map_err(response_error)?;
        if o.show_headers {
            eprintln!("  {}", response.status_line);
            for (n, v) in &response.headers {
                eprintln!("  {n}: {v}");
            }
            // BusyBox shows the blank line that ends the headers too.
            eprintln!("  ");
        }
        match response.code {
            301 | 302 | 303 | 307 | 308 => {
                let Some(location) = response.header("location") else {
                    return Err(Error::Message(format!(
                        "server returned error: {}",
                        response.status_line
                    )));
                };
                redirects += 1;
                if redirects > MAX_REDIRECTS {
                    return Err(Error::Message("too many redirections".into()));
                }
                let next = if location.contains("://") {
                    parse_url(location)?
                } else {
                    url.join(location)
                        .map_err(|e| Error::Message(e.to_string()))?
                };
                url = next;
            }
            200 | 206 => break response,
            // Asking beyond the end of a complete file: nothing to do.
            416 if have.is_some() => return Ok(()),
            _ => {
                return Err(Error::Message(format!(
                    "server returned error: {}",
                    response.status_line
                )))
            }
        }
    };
    if o.spider {
        if !o.quiet {
            eprintln!("remote file exists");
        }
        return Ok(());
    }
    let resumed = response.code == 206 && have.is_some();
    let mut body = response.body;
    let shown = if to_stdout {
        "-".to_string()
    } else {
        Path::new(&name)
            .file_name()
            .map(|f| lossy(f).into_owned())
            .unwrap_or_else(|| lossy(&name).into_owned())
    };
    if to_stdout {
        if !o.quiet {
            eprintln!("writing to stdout");
        }
        let mut out = io::stdout().lock();
        let n = copy(&mut body, &mut out, "stdout")?;
        if !o.quiet {
            eprintln!("{}", progress_line(&shown, n));
            eprintln!("written to stdout");
        }
        return Ok(());
    }
    if !o.quiet {
        eprintln!("saving to '{}'", lossy(&name));
    }
    let target = PathBuf::from(&name);
    let written = save(&target, &mut body, resumed)?;
    if !o.quiet {
        eprintln!("{}", progress_line(&shown, written));
        eprintln!("'{}' saved", lossy(&name));
    }
    Ok(())
}

/// Copies the body to `out`, naming a cut-short body BusyBox's way.
fn copy(body: &mut impl Read, out: &mut impl Write, what: &str) -> Result<u64, Error> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(Error::Message("connection closed prematurely".into()))
            }
            Err(e) => return Err(Error::Message(format!("read error: {}", strerror(&e)))),
        };
        out.write_all(&buf[..n])
            .map_err(|e| Error::File(format!("write error on {what}"), e))?;
        total += n as u64;
    }
    out.flush()
        .map_err(|e| Error::File(format!("write error on {what}"), e))?;
    Ok(total)
}

/// Writes the body into a temporary file next to `target` (a copy of
/// `target` first when resuming) and renames it over `target` once
/// complete; on any error the temporary file is removed. Special files
/// (`/dev/null`) are written in place, as renaming over them is wrong.
fn save(target: &Path, body: &mut impl Read, resumed: bool) -> Result<u64, Error> {
    let open_err = |e| Error::File(format!("can't open '{}'", target.display()), e);
    let regular = fs::metadata(target).map_or(true, |m| m.is_file());
    if !regular {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .append(resumed)
            .truncate(!resumed)
            .open(target)
            .map_err(open_err)?;
        return copy(body, &mut f, &target.display().to_string());
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = target
        .file_name()
        .map(|f| lossy(f).into_owned())
        .unwrap_or_default();
    let (temp, mut file) = create_temp(&dir, &base).map_err(open_err)?;
    let result = (|| {
        if resumed {
            let mut old = fs::File::open(target).map_err(open_err)?;
            io::copy(&mut old, &mut file)
                .map_err(|e| Error::File(format!("write error on {}", temp.display()), e))?;
        }
        let n = copy(body, &mut file, &target.display().to_string())?;
        drop(file);
        fs::rename(&temp, target)
            .map_err(|e| Error::File(format!("can't rename to '{}'", target.display()), e))?;
        Ok(n)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// A new file `.NAME.wget-N` in `dir`, made exclusively so that nothing
/// already there is overwritten.
fn create_temp(dir: &Path, base: &str) -> io::Result<(PathBuf, fs::File)> {
    let pid = std::process::id();
    for attempt in 0..100u32 {
        let path = dir.join(format!(".{base}.wget-{pid}-{attempt}"));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::from(io::ErrorKind::AlreadyExists))
}

/// BusyBox's final progress line (it prints it even off a terminal).
fn progress_line(name: &str, bytes: u64) -> String {
    let size = if bytes < 100_000 {
        bytes.to_string()
    } else if bytes < 100_000 * 1024 {
        format!("{}k", bytes / 1024)
    } else {
        format!("{}M", bytes / (1024 * 1024))
    };
    let name: String = name.chars().take(20).collect();
    format!("{name:<20} 100% |********************************| {size:>5}  0:00:00 ETA")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_names() {
        assert_eq!(parse_url("h/a/b.txt").unwrap().host, "h");
        assert_eq!(parse_url("https://h/").unwrap().port, 443);
        assert!(parse_url("ftp://h/").is_err());
        assert_eq!(default_name(&parse_url("h/a/b.txt?x=1").unwrap()), "b.txt");
        assert_eq!(default_name(&parse_url("h/a/").unwrap()), "index.html");
        assert_eq!(
            progress_line("a.txt", 6),
            "a.txt                100% |********************************|     6  0:00:00 ETA"
        );
    }
}
