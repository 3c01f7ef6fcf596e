//! `sshd`, `ssh` and `ssh-keygen` against each other and against the real
//! thing: OpenSSH's client and key tool, and Debian's dropbear server.
//!
//! The server runs as the current user with `-A` pointing at a scratch
//! authorized_keys file, so no real account's ~/.ssh is ever read or
//! written. Dropbear has no such option: it runs in a private mount
//! namespace where a scratch home is bind-mounted over /root (root only;
//! skipped otherwise).

mod common;

use common::{scratch, stderr, stdout, Scratch, IBOX};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on `port`.
fn wait_listening(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not start listening");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A server process, killed on drop; its log is kept in a file.
struct Server {
    /// Held for its guard: sshd is killed when the server goes.
    _child: common::Reaped,
    port: u16,
    log: PathBuf,
}

impl Server {
    /// `ibox sshd` in the foreground with a host key made on start (`-R`)
    /// and the scratch authorized_keys.
    fn ibox(dir: &Scratch, extra: &[&str]) -> Server {
        let port = free_port();
        let log = dir.path(&format!("sshd-{port}.log"));
        let child = Command::new(IBOX)
            .args(["sshd", "-F", "-E", "-p", &format!("127.0.0.1:{port}"), "-r"])
            .arg(dir.path("host_key"))
            .arg("-R")
            .arg("-A")
            .arg(dir.path("home/.ssh/authorized_keys"))
            .args(extra)
            .env("HOME", dir.path("home"))
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        wait_listening(port, "sshd");
        Server {
            _child: common::Reaped(child),
            port,
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A scratch home with a key pair (`key`, made by `ibox ssh-keygen`) whose
/// public half is authorized, and a second key (`wrong`) that is not.
fn setup(name: &str) -> Scratch {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.path("home/.ssh")).unwrap();
    for key in ["key", "wrong"] {
        let o = Command::new(IBOX)
            .args([
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                key,
                "-f",
            ])
            .arg(dir.path(key))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    std::fs::copy(dir.path("key.pub"), dir.path("home/.ssh/authorized_keys")).unwrap();
    dir
}

/// OpenSSH's client with no configuration of the machine's user: batch
/// mode, a scratch known_hosts, only the given key.
fn openssh(dir: &Scratch, port: u16, key: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("ssh");
    c.args(["-F", "/dev/null", "-o", "StrictHostKeyChecking=no"])
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            dir.path("openssh_known_hosts").display()
        ))
        .args(["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"])
        .args(["-o", "IdentityAgent=none", "-o", "LogLevel=ERROR"])
        .arg("-i")
        .arg(key)
        .args(["-p", &port.to_string(), "127.0.0.1"])
        .args(args)
        .stdin(Stdio::null());
    c
}

/// `ibox ssh` with the scratch home (its known_hosts goes there).
fn ibox_ssh(dir: &Scratch, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(IBOX)
        .arg("ssh")
        .args(args)
        .env("HOME", dir.path("home"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let o = child.wait_with_output().unwrap();
    let _ = writer.join();
    o
}

#[test]
fn keygen_writes_openssh_keys() {
    let dir = setup("keygen");
    let mode = std::fs::metadata(dir.path("key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let public = std::fs::read_to_string(dir.path("key.pub")).unwrap();
    assert!(public.starts_with("ssh-ed25519 AAAA") && public.trim_end().ends_with(" key"));
    // OpenSSH reads the private key and finds the same public key.
    let o = Command::new("ssh-keygen")
        .arg("-y")
        .arg("-f")
        .arg(dir.path("key"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let theirs = stdout(&o);
    assert_eq!(theirs.split(' ').nth(1), public.split(' ').nth(1));
    // And ibox reads a key OpenSSH made.
    let o = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(dir.path("theirs"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = Command::new(IBOX)
        .args(["ssh-keygen", "-y", "-f"])
        .arg(dir.path("theirs"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let made = std::fs::read_to_string(dir.path("theirs.pub")).unwrap();
    assert_eq!(stdout(&o).split(' ').nth(1), made.split(' ').nth(1));
    // An existing key is never overwritten.
    let o = Command::new(IBOX)
        .args(["ssh-keygen", "-q", "-N", "", "-f"])
        .arg(dir.path("key"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert_eq!(
        std::fs::read_to_string(dir.path("key.pub")).unwrap(),
        public
    );
}

#[test]
fn openssh_logs_in_with_the_key_and_only_with_it() {
    let dir = setup("openssh");
    let server = Server::ibox(&dir, &[]);
    let mode = std::fs::metadata(dir.path("host_key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "host key mode");

    let o = openssh(
        &dir,
        server.port,
        &dir.path("key"),
        &["echo hi; echo oops >&2; exit 3"],
    )
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(stdout(&o), "hi\n");
    assert!(stderr(&o).contains("oops"), "{}", stderr(&o));

    // A terminal when asked for one.
    let o = openssh(&dir, server.port, &dir.path("key"), &["-tt", "tty"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("/dev/pts/"), "{}", stdout(&o));

    // The wrong key is refused.
    let o = openssh(&dir, server.port, &dir.path("wrong"), &["echo hi"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(255));
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("Permission denied"), "{}", stderr(&o));

    // So is a password, even one a prompt would give.
    let askpass = dir.path("askpass");
    std::fs::write(&askpass, "#!/bin/sh\necho secret\n").unwrap();
    std::fs::set_permissions(&askpass, std::fs::Permissions::from_mode(0o755)).unwrap();
    let o = openssh(&dir, server.port, &dir.path("wrong"), &["echo hi"])
        .args(["-o", "BatchMode=no", "-o", "NumberOfPasswordPrompts=1"])
        .args([
            "-o",
            "PreferredAuthentications=password,keyboard-interactive",
        ])
        .env("SSH_ASKPASS", &askpass)
        .env("SSH_ASKPASS_REQUIRE", "force")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(255));
    assert!(stdout(&o).is_empty());

    let log = server.log();
    assert!(log.contains("Accepted publickey for "), "{log}");
    assert!(log.contains("Failed publickey for "), "{log}");
    assert!(!log.contains("Accepted password"), "{log}");
}

#[test]
fn ibox_client_and_server_and_known_hosts() {
    let dir = setup("ibox-both");
    let server = Server::ibox(&dir, &[]);
    let port = server.port.to_string();
    let key = dir.path("key").display().to_string();

    // Unknown host without -y: refused before logging in.
    let o = ibox_ssh(&dir, &["-i", &key, "-p", &port, "127.0.0.1", "true"], b"");
    assert_eq!(o.status.code(), Some(255));
    assert!(stderr(&o).contains("-y"), "{}", stderr(&o));

    // With -y the key is recorded; input, output and status go through.
    let o = ibox_ssh(
        &dir,
        &[
            "-y",
            "-i",
            &key,
            "-p",
            &port,
            "127.0.0.1",
            "cat; echo done; exit 4",
        ],
        b"some input\n",
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert_eq!(stdout(&o), "some input\ndone\n");
    let known = std::fs::read_to_string(dir.path("home/.ssh/known_hosts")).unwrap();
    assert!(
        known.starts_with(&format!("[127.0.0.1]:{port} ssh-ed25519 ")),
        "{known}"
    );

    // Known now: no -y needed.
    let o = ibox_ssh(
        &dir,
        &["-i", &key, "-p", &port, "127.0.0.1", "echo", "a", "b"],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "a b\n");

    // The wrong key: 255.
    let wrong = dir.path("wrong").display().to_string();
    let o = ibox_ssh(&dir, &["-i", &wrong, "-p", &port, "127.0.0.1", "true"], b"");
    assert_eq!(o.status.code(), Some(255));
    assert!(stderr(&o).contains("denied"), "{}", stderr(&o));

    // A password (dbclient's $DROPBEAR_PASSWORD) is refused too.
    let mut c = Command::new(IBOX);
    let o = c
        .args(["ssh", "-p", &port, "127.0.0.1", "true"])
        .env("HOME", dir.path("home"))
        .env("DROPBEAR_PASSWORD", "secret")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(255));
    assert!(
        server.log().contains("Failed password for "),
        "{}",
        server.log()
    );

    // A changed host key is refused loudly, -y or not.
    let other = std::fs::read_to_string(dir.path("wrong.pub")).unwrap();
    let forged = format!(
        "[127.0.0.1]:{port} {}",
        other.splitn(3, ' ').take(2).collect::<Vec<_>>().join(" ")
    );
    std::fs::write(dir.path("home/.ssh/known_hosts"), forged + "\n").unwrap();
    let o = ibox_ssh(
        &dir,
        &["-y", "-i", &key, "-p", &port, "127.0.0.1", "true"],
        b"",
    );
    assert_eq!(o.status.code(), Some(255));
    assert!(stderr(&o).contains("CHANGED"), "{}", stderr(&o));
}

#[test]
fn garbage_does_not_kill_the_server() {
    let dir = setup("garbage");
    let server = Server::ibox(&dir, &[]);
    for round in 0..3u8 {
        let mut conn = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let junk: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> (round + 3)) as u8)
            .collect();
        let _ = conn.write_all(b"SSH-2.0-junk\r\n");
        let _ = conn.write_all(&junk);
        let mut sink = Vec::new();
        let _ = conn.read_to_end(&mut sink);
    }
    // A connection that says nothing and hangs up.
    drop(TcpStream::connect(("127.0.0.1", server.port)).unwrap());
    let o = openssh(&dir, server.port, &dir.path("key"), &["echo alive"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "alive\n", "{}", stderr(&o));
}

/// Whether a command can be run here (for the dropbear test's tools).
fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn ibox_client_logs_into_dropbear() {
    if !common::is_root() || !have("dropbear") || !have("unshare") || !have("dropbearkey") {
        eprintln!("skipped: needs root, unshare, dropbear and dropbearkey");
        return;
    }
    let dir = setup("dropbear");
    let o = Command::new("dropbearkey")
        .args(["-t", "ed25519", "-f"])
        .arg(dir.path("db_host"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // Dropbear accepts only shells listed in /etc/shells: root's may not
    // be there, so the namespace gets a list that has it.
    std::fs::write(dir.path("shells"), "/bin/sh\n/bin/bash\n/usr/bin/bash\n").unwrap();
    let port = free_port();
    let script = format!(
        "mount --bind {home} /root && mount --bind {shells} /etc/shells && exec dropbear -F -E -s -p 127.0.0.1:{port} -r {key}",
        home = dir.path("home").display(),
        shells = dir.path("shells").display(),
        key = dir.path("db_host").display()
    );
    let mut child = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_listening(port, "dropbear");
    let port = port.to_string();
    let key = dir.path("key").display().to_string();
    let wrong = dir.path("wrong").display().to_string();
    let ok = ibox_ssh(
        &dir,
        &[
            "-y",
            "-i",
            &key,
            "-p",
            &port,
            "root@127.0.0.1",
            "echo from dropbear; exit 6",
        ],
        b"",
    );
    let refused = ibox_ssh(
        &dir,
        &["-i", &wrong, "-p", &port, "root@127.0.0.1", "true"],
        b"",
    );
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(ok.status.code(), Some(6), "{}", stderr(&ok));
    assert_eq!(stdout(&ok), "from dropbear\n");
    assert_eq!(refused.status.code(), Some(255));
}

#[test]
fn interactive_shell_on_a_terminal() {
    let dir = setup("interactive");
    let server = Server::ibox(&dir, &[]);
    let (mut pty, slave) = common::Pty::open(24, 80);
    let mut cmd = Command::new(IBOX);
    cmd.args(["ssh", "-y", "-i"])
        .arg(dir.path("key"))
        .args(["-p", &server.port.to_string(), "127.0.0.1"])
        .env("HOME", dir.path("home"))
        .env("TERM", "xterm")
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            nix::unistd::setsid()?;
            if nix::libc::ioctl(0, nix::libc::TIOCSCTTY, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    // The remote side is a terminal too, of the local one's size.
    pty.send("stty size; echo $((6*7))x\r");
    pty.expect("24 80");
    pty.expect("42x");
    // Resizing the local terminal resizes the remote one.
    let ws = nix::pty::Winsize {
        ws_row: 30,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize from the pointer.
    let r = unsafe {
        nix::libc::ioctl(
            std::os::fd::AsRawFd::as_raw_fd(&pty.master),
            nix::libc::TIOCSWINSZ,
            &ws,
        )
    };
    assert_eq!(r, 0);
    std::thread::sleep(Duration::from_millis(200));
    pty.send("stty size\r");
    pty.expect("30 100");
    pty.send("exit 5\r");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        pty.pump();
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "ssh did not exit");
    };
    assert_eq!(status.code(), Some(5));
}
