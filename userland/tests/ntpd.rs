//! ntpd on the loopback: a server (`-l -P PORT`) answers a client that
//! only queries (`-w`, so the host's clock is never touched); the client
//! refuses forged and unsynchronized replies; garbage does not stop the
//! server. Setting the clock is checked in the router test's guest.

mod common;

use common::{ibox_cmd, IBOX};
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A running `ibox ntpd -n -l -P PORT`.
struct Server {
    child: common::Reaped,
    port: u16,
}

impl Server {
    fn start() -> Server {
        for _ in 0..10 {
            let port = {
                let u = UdpSocket::bind("127.0.0.1:0").unwrap();
                u.local_addr().unwrap().port()
            };
            let mut child = Command::new(IBOX)
                .args(["ntpd", "-n", "-l", "-P", &port.to_string()])
                .stdin(Stdio::null())
                .spawn()
                .expect("run ibox ntpd");
            std::thread::sleep(Duration::from_millis(200));
            if child.try_wait().unwrap().is_none() {
                return Server {
                    child: common::Reaped(child),
                    port,
                };
            }
        }
        panic!("ntpd -l did not start");
    }

    fn alive(&mut self) -> bool {
        self.child.alive()
    }
}

/// `ibox ntpd -n -q -w -p PEER`: its status, stdout and stderr.
fn query(peer: &str) -> (i32, String, String) {
    let out = ibox_cmd(&["ntpd", "-n", "-q", "-w", "-p", peer])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The offset the client printed.
fn offset(stdout: &str) -> f64 {
    let line = stdout.lines().last().unwrap_or("");
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("offset:"))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no offset in {stdout:?}"))
}

#[test]
fn client_queries_server() {
    let server = Server::start();
    let (code, out, err) = query(&format!("127.0.0.1:{}", server.port));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("reply from 127.0.0.1: offset:"), "{out}");
    assert!(out.contains("strat:1"), "{out}");
    // Same clock on both ends.
    assert!(offset(&out).abs() < 0.05, "{out}");
}

#[test]
fn server_survives_garbage() {
    let mut server = Server::start();
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let target = ("127.0.0.1", server.port);
    let mut seed = 0x1234_5678_9abc_def1u64;
    for i in 0..300usize {
        let len = [0, 1, 47, 48, 49, 68, 500, 1500][i % 8];
        let mut junk: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        if i % 3 == 0 && len >= 1 {
            // Client mode with random everything else.
            junk[0] = (junk[0] & 0xc0) | 0x1b;
        }
        s.send_to(&junk, target).unwrap();
    }
    std::thread::sleep(Duration::from_millis(200));
    assert!(server.alive());
    let (code, out, err) = query(&format!("127.0.0.1:{}", server.port));
    assert_eq!(code, 0, "{out}{err}");
}

/// A fake server that answers each request with `forge(request)`;
/// returns the client's status and output.
fn against_fake(forge: fn(&[u8]) -> Vec<u8>) -> (i32, String, String, usize) {
    let fake = UdpSocket::bind("127.0.0.1:0").unwrap();
    fake.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let port = fake.local_addr().unwrap().port();
    let mut client = ibox_cmd(&["ntpd", "-n", "-q", "-w", "-d", "-p"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut answered = 0;
    while client.try_wait().unwrap().is_none() && Instant::now() < deadline {
        let mut buf = [0u8; 512];
        if let Ok((n, from)) = fake.recv_from(&mut buf) {
            fake.send_to(&forge(&buf[..n]), from).unwrap();
            answered += 1;
        }
    }
    let out = client.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        answered,
    )
}

/// A well-formed stratum-2 reply to `request` with `origin` echoed.
fn reply(request: &[u8], leap: u8, stratum: u8, echo: bool) -> Vec<u8> {
    let mut r = vec![0u8; 48];
    r[0] = leap << 6 | 4 << 3 | 4;
    r[1] = stratum;
    r[12..16].copy_from_slice(b"RATE");
    if echo && request.len() >= 48 {
        r[24..32].copy_from_slice(&request[40..48]);
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let secs = (now.as_secs() + 2_208_988_800) as u32;
    for at in [32, 40] {
        r[at..at + 4].copy_from_slice(&secs.to_be_bytes());
    }
    r
}

#[test]
fn client_refuses_forged_origin() {
    let (code, out, err, answered) = against_fake(|req| {
        let mut r = reply(req, 0, 2, true);
        r[31] ^= 1;
        r
    });
    assert!(answered >= 3, "{answered}");
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("origin timestamp is not our request's"),
        "{out}"
    );
    assert!(!out.contains("offset:"), "{out}");
    assert!(err.contains("no valid reply"), "{err}");
}

#[test]
fn client_ignores_unsynchronized_and_kiss_of_death() {
    let (code, out, _, _) = against_fake(|req| reply(req, 3, 2, true));
    assert_eq!(code, 1);
    assert!(out.contains("not synchronized"), "{out}");
    let (code, out, _, _) = against_fake(|req| reply(req, 0, 0, true));
    assert_eq!(code, 1);
    assert!(out.contains("kiss-o'-death \"RATE\""), "{out}");
    // The same fake, honest, is believed.
    let (code, out, err, _) = against_fake(|req| reply(req, 0, 2, true));
    assert_eq!(code, 0, "{out}{err}");
    assert!(offset(&out).abs() < 2.0, "{out}");
}

#[test]
fn usage_errors() {
    for args in [&["-n"][..], &["-p", "h:x"], &["-l", "-P", "70000"]] {
        let out = ibox_cmd(&["ntpd"]).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
    }
}
