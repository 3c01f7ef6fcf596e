//! Helpers shared by the host tests: running the built `ibox`, reading its
//! output, and scratch directories. Each test file has `mod common;` and
//! uses what it needs, so not every helper is used in every file.

#![allow(dead_code)]

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The binary under test.
pub const IBOX: &str = env!("CARGO_BIN_EXE_ibox");

/// Runs `cmd` with `input` on stdin and collects its output. The input is
/// written from a separate thread while stdout and stderr are read, so
/// that a filter pushing more than a pipe's worth of data cannot deadlock;
/// a program that exits without reading all of it (EPIPE) is fine.
pub fn output_of(cmd: &mut Command, input: &[u8]) -> Output {
    output_and_pid(cmd, input).0
}

/// [`output_of`], also returning the child's pid.
pub fn output_and_pid(cmd: &mut Command, input: &[u8]) -> (Output, u32) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ibox");
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait for ibox");
    writer.join().expect("stdin writer");
    (out, pid)
}

/// `ibox ARGS...` as a command to add to.
pub fn ibox_cmd(args: &[&str]) -> Command {
    let mut cmd = Command::new(IBOX);
    cmd.args(args);
    cmd
}

/// `ibox ARGS...` with empty stdin.
pub fn ibox(args: &[&str]) -> Output {
    ibox_stdin(args, b"")
}

/// `ibox ARGS...` with `input` on stdin.
pub fn ibox_stdin(args: &[&str], input: &[u8]) -> Output {
    output_of(&mut ibox_cmd(args), input)
}

/// `ibox ARGS...` in `dir` (the current directory if None) with `input`
/// on stdin.
pub fn ibox_in(dir: Option<&Path>, args: &[&str], input: &[u8]) -> Output {
    let mut cmd = ibox_cmd(args);
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    output_of(&mut cmd, input)
}

/// `ibox ARGS...` run in `dir` (with `PWD` saying so) with `input` on
/// stdin.
pub fn run_in(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    output_of(ibox_cmd(args).current_dir(dir).env("PWD", dir), input)
}

/// Bytes as text, invalid UTF-8 replaced.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

pub fn stderr(o: &Output) -> String {
    text(&o.stderr)
}

/// Asserts status 1, nothing on stdout and exactly `message` as the first
/// line of stderr (a usage text may follow).
#[track_caller]
pub fn assert_fails(o: &Output, message: &str) {
    assert_eq!(o.status.code(), Some(1), "stderr: {}", stderr(o));
    assert_eq!(stdout(o), "");
    assert_eq!(stderr(o).lines().next(), Some(message), "{}", stderr(o));
}

/// Whether the tests run as root (permissions are not enforced then).
pub fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A scratch directory of one test's own under the system's temporary
/// directory, removed with everything in it when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    /// A fresh, empty directory named after the test file, the process,
    /// a counter and `name`, so that no two tests ever share one.
    pub fn new(name: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let crate_name = env!("CARGO_CRATE_NAME");
        let leaf = format!("ibox-{crate_name}-{}-{n}-{name}", std::process::id());
        assert!(
            !name.is_empty() && !name.contains('/') && name != "..",
            "bad scratch name {name:?}"
        );
        let dir = std::env::temp_dir().join(leaf);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    /// `rel` inside the directory.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Tests may leave read-only directories behind: open them up first.
        fn open_up(p: &Path) {
            if let Ok(m) = std::fs::symlink_metadata(p) {
                if m.is_dir() {
                    let _ = std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700));
                    if let Ok(entries) = std::fs::read_dir(p) {
                        for e in entries.flatten() {
                            open_up(&e.path());
                        }
                    }
                }
            }
        }
        // Only ever a directory made by `new`, under the temporary one.
        if self.0.starts_with(std::env::temp_dir()) && self.0 != std::env::temp_dir() {
            open_up(&self.0);
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A fresh, empty scratch directory for one test.
pub fn scratch(name: &str) -> Scratch {
    Scratch::new(name)
}

/// How long to wait for a terminal's output or a program's exit:
/// generous, for slow machines.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The controlling side of a pseudo-terminal and what has been read from
/// it: for driving `sh -i` and `vi` as a person at a terminal would.
pub struct Pty {
    pub master: std::fs::File,
    /// Everything read from the terminal so far.
    pub out: Vec<u8>,
    /// How much of `out` earlier expectations consumed.
    pub seen: usize,
}

impl Pty {
    /// A new `rows` x `cols` terminal: the (non-blocking) controlling side
    /// and the terminal side, for the program's standard streams.
    pub fn open(rows: u16, cols: u16) -> (Pty, std::os::fd::OwnedFd) {
        use std::os::fd::AsRawFd;
        let ws = nix::pty::Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(Some(&ws), None).expect("openpty");
        let master = std::fs::File::from(pty.master);
        nix::fcntl::fcntl(
            master.as_raw_fd(),
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        )
        .expect("nonblock");
        let pty_side = Pty {
            master,
            out: Vec::new(),
            seen: 0,
        };
        (pty_side, pty.slave)
    }

    /// Reads what is available; false once the terminal is closed.
    pub fn pump(&mut self) -> bool {
        use std::io::Read;
        let mut buf = [0u8; 4096];
        match self.master.read(&mut buf) {
            Ok(0) => false,
            Ok(n) => {
                self.out.extend_from_slice(&buf[..n]);
                true
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(std::time::Duration::from_millis(10));
                true
            }
            Err(_) => false,
        }
    }

    /// Consumes up to the end of `needle` if it is in what was read after
    /// earlier expectations.
    pub fn take(&mut self, needle: &str) -> bool {
        match find(&self.out[self.seen..], needle.as_bytes()) {
            Some(i) => {
                self.seen += i + needle.len();
                true
            }
            None => false,
        }
    }

    /// Waits until `needle` appears after what was already matched.
    #[track_caller]
    pub fn expect(&mut self, needle: &str) {
        let deadline = std::time::Instant::now() + TIMEOUT;
        loop {
            if self.take(needle) {
                return;
            }
            if !self.pump() || std::time::Instant::now() > deadline {
                // One last look at what the final read brought.
                if self.take(needle) {
                    return;
                }
                panic!(
                    "expected {needle:?}; got {:?}",
                    String::from_utf8_lossy(&self.out[self.seen..])
                );
            }
        }
    }

    /// Types `keys`.
    pub fn send(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).expect("write keys");
    }
}

/// Where `needle` first occurs in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// How [`http_server`] frames the bodies it sends.
#[derive(Clone, Copy)]
pub enum Framing {
    /// A Content-Length header.
    Length,
    /// Transfer-Encoding: chunked, one chunk.
    Chunked,
}

/// An HTTP/1.1 server on a loopback port that answers each request (one
/// per connection) with `body_for(path)`: 200 with the body, or 404 for
/// `None`. Serves until the test ends; returns the port.
pub fn http_server(
    framing: Framing,
    body_for: impl Fn(&str) -> Option<Vec<u8>> + Send + 'static,
) -> u16 {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let Ok(read_half) = stream.try_clone() else {
                continue;
            };
            let mut reader = BufReader::new(read_half);
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/");
            let _ = match (body_for(path), framing) {
                (Some(body), Framing::Length) => write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )
                .and_then(|_| stream.write_all(&body)),
                (Some(body), Framing::Chunked) => write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
                    body.len()
                )
                .and_then(|_| stream.write_all(&body))
                .and_then(|_| stream.write_all(b"\r\n0\r\n\r\n")),
                (None, _) => {
                    stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                }
            };
        }
    });
    port
}

/// A spawned daemon under test, killed and reaped when the guard goes, so
/// that a test failing half-way leaves no process behind. It derefs to the
/// `Child` for its pid, pipes and `wait`.
pub struct Reaped(pub std::process::Child);

impl Reaped {
    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.0.try_wait().unwrap().is_none()
    }
}

impl std::ops::Deref for Reaped {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for Reaped {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
