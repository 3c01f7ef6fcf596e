//! `httpd [-f] [-v] [-p [IP:]PORT] [-h HOME]`: BusyBox's small web server,
//! static files only: GET and HEAD of files under HOME (`index.html` for a
//! directory), everything else refused with the matching status. With `-v`
//! every request is logged on stderr as `PEER METHOD PATH STATUS`, which is
//! how the network tests see whose address a request came from (a NAT
//! router's, not its client's).
//!
//! Each connection gets a thread and a read timeout, so one slow client
//! cannot stall the others; requests are bounded in size.

use crate::common::{error_msg, getopt, lossy, Exit};
use std::ffi::OsString;
use std::fs;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const NAME: &str = "httpd";

pub const USAGE: &str = "[-f] [-v] [-p [IP:]PORT] [-h HOME]\n\nListen for incoming HTTP requests\n\n\t-f\t\tDon't daemonize\n\t-v\t\tVerbose: log every request on stderr\n\t-p [IP:]PORT\tBind to IP:PORT (default *:80)\n\t-h HOME\t\tHome directory (default .)";

/// The longest request head read: a request line and headers.
const MAX_HEAD: usize = 8192;
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What the server was told.
struct Server {
    home: PathBuf,
    verbose: bool,
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "fvp:h:", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let listen = p.value('p').map(lossy).unwrap_or("80".into()).into_owned();
    let addr: SocketAddr = match listen.parse::<u16>() {
        Ok(port) => SocketAddr::from(([0, 0, 0, 0], port)),
        Err(_) => match listen.parse() {
            Ok(addr) => addr,
            Err(_) => {
                error_msg(NAME, &format!("bad address '{listen}'"));
                return 1;
            }
        },
    };
    let home = PathBuf::from(p.value('h').unwrap_or(".".as_ref()));
    if !home.is_dir() {
        error_msg(
            NAME,
            &format!("can't change directory to '{}'", home.display()),
        );
        return 1;
    }
    let listener = match TcpListener::bind(addr) {
        Ok(l) => l,
        Err(e) => {
            error_msg(NAME, &format!("bind: {}", crate::common::strerror(&e)));
            return 1;
        }
    };
    if !p.has('f') {
        // Daemonize as BusyBox does: the parent returns once the socket
        // is bound, so a script can use the server right away.
        match unsafe { nix::unistd::fork() } {
            Ok(nix::unistd::ForkResult::Parent { .. }) => return 0,
            Ok(nix::unistd::ForkResult::Child) => {
                let _ = nix::unistd::setsid();
            }
            Err(e) => {
                error_msg(NAME, &format!("fork: {e}"));
                return 1;
            }
        }
    }
    let server = Arc::new(Server {
        home,
        verbose: p.has('v'),
    });
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let server = Arc::clone(&server);
        std::thread::spawn(move || {
            let _ = server.serve(conn);
        });
    }
    0
}

impl Server {
    /// Answers one request on `conn` and closes it.
    fn serve(&self, conn: TcpStream) -> io::Result<()> {
        let peer = conn.peer_addr()?;
        conn.set_read_timeout(Some(READ_TIMEOUT))?;
        let mut reader = BufReader::new(conn.try_clone()?);
        let mut head = Vec::new();
        let mut line = Vec::new();
        loop {
            line.clear();
            let room = (MAX_HEAD - head.len().min(MAX_HEAD)) as u64 + 1;
            let n = io::Read::take(&mut reader, room).read_until(b'\n', &mut line)?;
            if n == 0 || head.len() + line.len() > MAX_HEAD {
                return self.reply(conn, peer, "-", "-", 400, None);
            }
            if line == b"\r\n" || line == b"\n" {
                break;
            }
            head.extend_from_slice(&line);
        }
        let head = String::from_utf8_lossy(&head);
        let request = head.lines().next().unwrap_or("");
        let mut words = request.split(' ');
        let (method, target) = (words.next().unwrap_or("-"), words.next().unwrap_or("-"));
        if words.next().is_none_or(|v| !v.starts_with("HTTP/1.")) {
            return self.reply(conn, peer, method, target, 400, None);
        }
        if method != "GET" && method != "HEAD" {
            return self.reply(conn, peer, method, target, 501, None);
        }
        let path = target.split(['?', '#']).next().unwrap_or("/");
        let Some(file) = self.resolve(path) else {
            return self.reply(conn, peer, method, target, 403, None);
        };
        match fs::read(&file) {
            Ok(body) => {
                let body = (method == "GET").then_some(body.as_slice()).or(Some(&[]));
                // HEAD still reports the length GET would send.
                let len = fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
                self.reply_len(conn, peer, method, target, 200, body, len)
            }
            Err(_) => self.reply(conn, peer, method, target, 404, None),
        }
    }

    /// The file a request path names, or `None` when it would leave HOME.
    fn resolve(&self, path: &str) -> Option<PathBuf> {
        let relative = Path::new(path.trim_start_matches('/'));
        if relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return None;
        }
        let mut file = self.home.join(relative);
        if file.is_dir() {
            file.push("index.html");
        }
        Some(file)
    }

    /// Sends a status with a short HTML body of its own (errors), or none.
    fn reply(
        &self,
        conn: TcpStream,
        peer: SocketAddr,
        method: &str,
        target: &str,
        status: u16,
        body: Option<&[u8]>,
    ) -> io::Result<()> {
        let page = format!("<HTML><HEAD><TITLE>{status} {0}</TITLE></HEAD>\n<BODY><H1>{status} {0}</H1>\n</BODY></HTML>\n", reason(status));
        let body = body.unwrap_or(page.as_bytes());
        self.reply_len(
            conn,
            peer,
            method,
            target,
            status,
            Some(body),
            body.len() as u64,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn reply_len(
        &self,
        mut conn: TcpStream,
        peer: SocketAddr,
        method: &str,
        target: &str,
        status: u16,
        body: Option<&[u8]>,
        len: u64,
    ) -> io::Result<()> {
        if self.verbose {
            eprintln!("{peer} {method} {target} {status}");
        }
        write!(
            conn,
            "HTTP/1.1 {status} {}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n",
            reason(status)
        )?;
        if let Some(body) = body {
            conn.write_all(body)?;
        }
        conn.flush()
    }
}

/// The reason phrase of the statuses the server sends.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        501 => "Not Implemented",
        _ => "Error",
    }
}
