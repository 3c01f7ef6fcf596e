//! syslogd on a scratch socket: lines as BusyBox writes them from what
//! `ibox logger` sends, rotation by size, forwarding over UDP, and garbage
//! that does not stop it. klogd's lines are checked in the router test
//! (the kernel log needs a machine of its own).

mod common;

use common::{ibox_cmd, scratch, Scratch, IBOX};
use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A running `ibox syslogd -n -p SOCK -O FILE ...`.
struct Syslogd {
    child: common::Reaped,
    socket: PathBuf,
    file: PathBuf,
}

impl Syslogd {
    fn start(dir: &Scratch, args: &[&str]) -> Syslogd {
        let socket = dir.path("log.sock");
        let file = dir.path("messages");
        let child = Command::new(IBOX)
            .args(["syslogd", "-n", "-p"])
            .arg(&socket)
            .arg("-O")
            .arg(&file)
            .args(args)
            .stdin(Stdio::null())
            .spawn()
            .expect("run ibox syslogd");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "syslogd made no socket");
            std::thread::sleep(Duration::from_millis(20));
        }
        Syslogd {
            child: common::Reaped(child),
            socket,
            file,
        }
    }

    /// Sends one raw datagram.
    fn send(&self, datagram: &[u8]) {
        let s = UnixDatagram::unbound().unwrap();
        s.send_to(datagram, &self.socket).expect("send to syslogd");
    }

    /// `ibox logger ARGS` pointed at this daemon.
    fn logger(&self, args: &[&str]) {
        let out = ibox_cmd(&["logger"])
            .args(args)
            .env("IBOX_LOG_SOCKET", &self.socket)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }

    fn alive(&mut self) -> bool {
        self.child.alive()
    }
}

/// The file's text once it contains `needle` (waits up to 10 s).
fn wait_for(file: &Path, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if text.contains(needle) || Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn host() -> String {
    let h = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    h.trim().split('.').next().unwrap().to_string()
}

#[test]
fn writes_busybox_lines() {
    let dir = scratch("syslogd-lines");
    let d = Syslogd::start(&dir, &[]);
    d.logger(&["-t", "tag", "-p", "local3.err", "hello", "world"]);
    d.send(b"<6>Jan  2 03:04:05 kernel: old time\n");
    d.send(b"<13>garbage\x01x\nsecond line\0<12>next");
    d.send(b"<999>bad pri");
    d.send(b"no pri at all");
    let text = wait_for(&d.file, "no pri at all");
    let host = host();
    let lines: Vec<&str> = text.lines().collect();
    // Mmm dd hh:mm:ss HOST FACILITY.LEVEL TAG: msg
    assert!(lines[0].ends_with(&format!(" {host} syslog.info syslogd started: ibox")));
    let hello = lines[1];
    assert_eq!(hello.as_bytes()[3], b' ', "{hello}");
    assert_eq!(hello.as_bytes()[15], b' ', "{hello}");
    assert_eq!(&hello[16..], format!("{host} local3.err tag: hello world"));
    assert_eq!(
        lines[2],
        format!("Jan  2 03:04:05 {host} kern.info kernel: old time")
    );
    assert_eq!(
        &lines[3][16..],
        format!("{host} user.notice garbage^Ax second line")
    );
    assert_eq!(&lines[4][16..], format!("{host} user.warn next"));
    assert_eq!(&lines[5][16..], format!("{host} <999> bad pri"));
    assert_eq!(&lines[6][16..], format!("{host} user.notice no pri at all"));
}

#[test]
fn small_output_and_level_filter() {
    let dir = scratch("syslogd-small");
    let d = Syslogd::start(&dir, &["-S", "-l", "5"]);
    d.send(b"<14>quiet: info is not < 5");
    d.send(b"<12>loud: warning");
    let text = wait_for(&d.file, "loud");
    assert!(!text.contains("quiet"), "{text}");
    let line = text.lines().find(|l| l.contains("loud")).unwrap();
    assert_eq!(&line[15..], " loud: warning");
}

#[test]
fn rotates_at_the_size() {
    let dir = scratch("syslogd-rotate");
    let d = Syslogd::start(&dir, &["-s", "1", "-b", "2"]);
    let line = "x".repeat(100);
    for i in 0..30 {
        d.send(format!("<13>n{i:02}: {line}").as_bytes());
    }
    wait_for(&d.file, "n29:");
    let read = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default();
    let (cur, r0, r1) = (
        read(d.file.clone()),
        read(dir.path("messages.0")),
        read(dir.path("messages.1")),
    );
    for f in [&cur, &r0, &r1] {
        assert!(f.len() <= 1024, "{}", f.len());
    }
    assert!(!r0.is_empty() && !r1.is_empty());
    assert!(!dir.path("messages.2").exists());
    // Newest last: nothing in .0 is older than .1, nothing current older
    // than .0, and the newest line is in the current file.
    assert!(cur.contains("n29:"));
    let last = |t: &str| t.lines().last().unwrap_or("").to_string();
    assert!(
        last(&r1) < last(&r0) && last(&r0) < last(&cur),
        "{r1}\n{r0}\n{cur}"
    );
}

#[test]
fn forwards_over_udp() {
    let dir = scratch("syslogd-forward");
    let remote = UdpSocket::bind("127.0.0.1:0").unwrap();
    remote
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let target = format!("127.0.0.1:{}", remote.local_addr().unwrap().port());
    // Without -L only the network gets messages.
    let d = Syslogd::start(&dir, &["-R", &target]);
    d.logger(&["-t", "fwd", "-p", "daemon.info", "over the wire"]);
    let mut buf = [0u8; 2048];
    let (n, _) = remote.recv_from(&mut buf).expect("a forwarded packet");
    let first = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(first.starts_with("<46>"), "{first}");
    let (n, _) = remote.recv_from(&mut buf).expect("a forwarded packet");
    let packet = String::from_utf8_lossy(&buf[..n]).into_owned();
    // <PRI>Mmm dd hh:mm:ss HOST TAG: msg
    assert!(packet.starts_with("<30>"), "{packet}");
    assert_eq!(&packet[4 + 15..], format!(" {} fwd: over the wire", host()));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!d.file.exists(), "logged locally without -L");
    drop(d);

    let dir = scratch("syslogd-forward-local");
    let d = Syslogd::start(&dir, &["-R", &target, "-L"]);
    d.logger(&["-t", "both", "here and there"]);
    let text = wait_for(&d.file, "here and there");
    assert!(text.contains("both: here and there"), "{text}");
    let mut got = String::new();
    for _ in 0..2 {
        let (n, _) = remote.recv_from(&mut buf).expect("a forwarded packet");
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(got.contains("both: here and there"), "{got}");
}

#[test]
fn survives_garbage_and_oversize() {
    let dir = scratch("syslogd-garbage");
    let mut d = Syslogd::start(&dir, &[]);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..200 {
        let len = if i % 50 == 0 { 60_000 } else { i * 7 % 300 };
        let junk: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        d.send(&junk);
    }
    d.send(&[b'y'; 5000]);
    d.logger(&["-t", "after", "still here"]);
    let text = wait_for(&d.file, "still here");
    assert!(text.contains("after: still here"), "{text}");
    assert!(d.alive());
    // The oversize message was cut, not split into lines of its own.
    let long = text.lines().find(|l| l.contains("yyyy")).unwrap();
    assert!(long.len() < 1100, "{}", long.len());
    // 1024 bytes at most, each at most two characters once escaped.
    for line in text.lines() {
        assert!(line.chars().count() <= 2 * 1024 + 64, "{line}");
    }
}

#[test]
fn hangup_reopens_the_file() {
    let dir = scratch("syslogd-hup");
    let d = Syslogd::start(&dir, &[]);
    d.send(b"<13>one: before");
    wait_for(&d.file, "before");
    std::fs::rename(&d.file, dir.path("moved")).unwrap();
    let pid = nix::unistd::Pid::from_raw(d.child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGHUP).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    d.send(b"<13>two: after");
    let text = wait_for(&d.file, "after");
    assert!(
        text.contains("two: after") && !text.contains("before"),
        "{text}"
    );
}

#[test]
fn bad_options_are_refused() {
    for args in [
        &["-l", "9"][..],
        &["-b", "100"],
        &["-s", "x"],
        &["-R", "h:port"],
    ] {
        let out = ibox_cmd(&["syslogd", "-n", "-p", "/nonexistent/x"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("invalid"),
            "{out:?}"
        );
    }
}
