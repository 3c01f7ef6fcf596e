//! The network applets: `ping`, `nc`, `wget`, `arp`, `netstat` and
//! `traceroute`, against BusyBox (/bin/busybox) where it is installed.
//!
//! `nc` and `wget` talk to servers run by the test itself on 127.0.0.1.
//! What needs a quiet network of its own (ping, netstat, arp changes) runs
//! in a fresh network namespace (`unshare -n`, `lo` brought up), so that
//! the host's sockets and neighbours never differ between the two runs
//! being compared. Tests print a note and pass when namespaces, raw
//! sockets or BusyBox are not available.

mod common;

use common::IBOX;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BUSYBOX: &str = "/bin/busybox";

/// Whether BusyBox is there to compare with.
fn busybox_available() -> bool {
    let ok = Path::new(BUSYBOX).exists();
    if !ok {
        eprintln!("note: skipping comparison: {BUSYBOX} is not installed");
    }
    ok
}

/// Whether a fresh network namespace can be made here.
fn netns_available() -> bool {
    let ok = Command::new("unshare")
        .args(["-n", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: skipping: `unshare -n` is not permitted here");
    }
    ok
}

/// Runs `script` with `sh` in a new network namespace with `lo` up; `$IBOX`
/// and `$BB` are the two binaries. Returns stdout (stderr merged where the
/// script says 2>&1).
fn in_netns(script: &str) -> String {
    let o = Command::new("unshare")
        .args(["-n", "sh", "-c", &format!("ip link set lo up\n{script}")])
        .env("IBOX", IBOX)
        .env("BB", BUSYBOX)
        .output()
        .expect("run unshare");
    common::stdout(&o)
}

/// Runs each of `commands` with BusyBox and with ibox after `setup`, in a
/// namespace, and returns each pair of outputs (stdout and stderr merged,
/// then "rc N"), each passed through `normalize`.
fn compare_in_netns(
    setup: &str,
    commands: &[&str],
    normalize: fn(&str) -> String,
) -> Vec<(String, String, String)> {
    let mut script = format!("{setup}\n");
    for (i, c) in commands.iter().enumerate() {
        script.push_str(&format!(
            "echo '@@{i} busybox'; $BB {c} 2>&1; echo \"rc $?\"\n\
             echo '@@{i} ibox'; \"$IBOX\" {c} 2>&1; echo \"rc $?\"\n"
        ));
    }
    let out = in_netns(&script);
    commands
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let section = |who: &str| {
                let start = format!("@@{i} {who}\n");
                let from = out.find(&start).map(|p| p + start.len()).unwrap_or(0);
                let rest = &out[from..];
                let end = rest.find("@@").unwrap_or(rest.len());
                normalize(&rest[..end])
            };
            (c.to_string(), section("busybox"), section("ibox"))
        })
        .collect()
}

/// Replaces every "N.NNN" time (a run of digits, a dot, three digits)
/// with "T": round-trip times differ between any two runs.
fn mask_times(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let mut j = i;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            if j + 4 <= b.len()
                && b[j] == b'.'
                && b[j + 1..j + 4].iter().all(u8::is_ascii_digit)
                && b.get(j + 4).is_none_or(|c| !c.is_ascii_digit())
            {
                out.push('T');
                i = j + 4;
                continue;
            }
            out.push_str(&text[i..j]);
            i = j;
            continue;
        }
        let c = text[i..].chars().next().unwrap_or('?');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

fn same(text: &str) -> String {
    text.to_string()
}

#[track_caller]
fn assert_all_same(pairs: &[(String, String, String)]) {
    for (c, bb, ib) in pairs {
        assert_eq!(ib, bb, "`{c}`: ibox (left) differs from busybox (right)");
    }
}

// ---------------------------------------------------------------- ping

#[test]
fn ping_output_summary_and_status_match_busybox() {
    if !netns_available() || !busybox_available() {
        return;
    }
    let pairs = compare_in_netns(
        "",
        &[
            "ping -c 2 -i 0.2 127.0.0.1",
            "ping -q -c 2 -i 0.2 127.0.0.1",
            "ping -4 -c 1 localhost",
            "ping -c 1 -s 100 127.0.0.1",
            "ping -c 1 -s 2 127.0.0.1",
            "ping -6 -c 2 -i 0.2 ::1",
            // No route: sendto fails, and ping stops there.
            "ping -c 1 -W 1 192.0.2.1",
            "ping -c 1 no.such.host.invalid",
            "ping -c x 127.0.0.1",
        ],
        mask_times,
    );
    assert_all_same(&pairs);
    assert!(pairs[0]
        .2
        .contains("2 packets transmitted, 2 packets received, 0% packet loss"));
    assert!(pairs[0].2.ends_with("rc 0\n"));
    assert!(pairs[6].2.ends_with("rc 1\n"));
}

#[test]
fn ping_reports_loss_when_nothing_answers() {
    if !netns_available() || !busybox_available() {
        return;
    }
    // A veth pair: the peer has no address, so ARP for 10.5.0.2 never
    // resolves and the echoes go unanswered.
    let probe = in_netns("ip link add v0 type veth peer name v1 && echo ok");
    if !probe.contains("ok") {
        eprintln!("note: skipping: no veth here");
        return;
    }
    let pairs = compare_in_netns(
        "ip link add v0 type veth peer name v1; ip link set v0 up; ip link set v1 up; ip addr add 10.5.0.1/24 dev v0",
        &["ping -c 2 -i 0.2 -W 1 10.5.0.2"],
        mask_times,
    );
    assert_all_same(&pairs);
    assert!(pairs[0]
        .2
        .contains("2 packets transmitted, 0 packets received, 100% packet loss\nrc 1"));
}

#[test]
fn ping_deadline_ends_the_run() {
    if !netns_available() {
        return;
    }
    let start = Instant::now();
    let out = in_netns("\"$IBOX\" ping -w 1 -i 0.3 127.0.0.1; echo \"rc $?\"");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(out.contains("packets received, 0% packet loss"), "{out}");
    assert!(out.ends_with("rc 0\n"), "{out}");
}

#[test]
fn ping_uses_datagram_sockets_without_root() {
    if !netns_available() || !busybox_available() {
        return;
    }
    if !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("note: skipping: no setpriv");
        return;
    }
    let nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups";
    // Allowed to use ICMP datagram sockets: works without privileges.
    let out = in_netns(&format!(
        "sysctl -qw net.ipv4.ping_group_range='0 2147483647'\n{nobody} \"$IBOX\" ping -c 1 127.0.0.1 2>&1; echo \"rc $?\""
    ));
    assert!(out.contains("1 packets received"), "{out}");
    assert!(out.ends_with("rc 0\n"), "{out}");
    // Not allowed, and no raw socket either: BusyBox's message.
    let script = format!(
        "sysctl -qw net.ipv4.ping_group_range='1 0'\n\
         {nobody} $BB ping -c 1 127.0.0.1 2>&1; echo \"rc $?\"; echo @@\n\
         {nobody} \"$IBOX\" ping -c 1 127.0.0.1 2>&1; echo \"rc $?\""
    );
    let out = in_netns(&script);
    let (bb, ib) = out.split_once("@@\n").expect("two runs");
    assert_eq!(ib, bb);
    assert!(ib.contains("permission denied (are you root?)"), "{ib}");
}

// ---------------------------------------------------------------- nc

/// A port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Connects to 127.0.0.1:`port`, retrying while the listener starts.
fn connect_retrying(port: u16) -> TcpStream {
    let deadline = Instant::now() + common::TIMEOUT;
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => return s,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("connect to {port}: {e}"),
        }
    }
}

#[test]
fn nc_client_relays_both_ways_and_half_closes() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        // Read to EOF: only nc's half-close on its stdin's end gives one.
        let mut got = Vec::new();
        s.read_to_end(&mut got).expect("read");
        s.write_all(b"answer after EOF\n").expect("write");
        got
    });
    let o = common::ibox_stdin(&["nc", "127.0.0.1", &port.to_string()], b"question\n");
    assert_eq!(server.join().expect("server"), b"question\n");
    assert_eq!(common::stdout(&o), "answer after EOF\n");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn nc_client_binds_the_local_port_it_is_given() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let local = free_port();
    let server = std::thread::spawn(move || {
        let (mut s, peer) = listener.accept().expect("accept");
        let mut got = Vec::new();
        s.read_to_end(&mut got).expect("read");
        (peer.port(), got)
    });
    let o = common::ibox_stdin(
        &[
            "nc",
            "-w",
            "5",
            "-p",
            &local.to_string(),
            "127.0.0.1",
            &port.to_string(),
        ],
        b"x",
    );
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    assert_eq!(server.join().expect("server"), (local, b"x".to_vec()));
}

#[test]
fn nc_listens_and_relays() {
    let port = free_port();
    let mut child = common::ibox_cmd(&["nc", "-l", "-p", &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("nc -l");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"from the listener\n").expect("feed nc");
    drop(stdin);
    let mut s = connect_retrying(port);
    s.write_all(b"from the client\n").expect("send");
    s.shutdown(Shutdown::Write).expect("half-close");
    let mut got = String::new();
    s.read_to_string(&mut got).expect("read");
    drop(s);
    let o = child.wait_with_output().expect("wait nc");
    assert_eq!(got, "from the listener\n");
    assert_eq!(common::stdout(&o), "from the client\n");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn nc_listen_exec_runs_the_program_on_the_connection() {
    let port = free_port();
    let mut child = common::ibox_cmd(&[
        "nc",
        "-l",
        "-p",
        &port.to_string(),
        "-e",
        "sh",
        "-c",
        "read line; echo \"got: $line\"",
    ])
    .stdin(Stdio::null())
    .spawn()
    .expect("nc -l -e");
    let mut s = connect_retrying(port);
    s.write_all(b"hello\n").expect("send");
    let mut got = String::new();
    s.read_to_string(&mut got).expect("read");
    assert_eq!(got, "got: hello\n");
    assert!(child.wait().expect("wait").success());
}

#[test]
fn nc_udp_both_ways() {
    let server = UdpSocket::bind("127.0.0.1:0").expect("udp");
    server
        .set_read_timeout(Some(common::TIMEOUT))
        .expect("timeout");
    let port = server.local_addr().expect("addr").port();
    let responder = std::thread::spawn(move || {
        let mut buf = [0u8; 100];
        let (n, from) = server.recv_from(&mut buf).expect("datagram");
        server.send_to(b"pong\n", from).expect("reply");
        buf[..n].to_vec()
    });
    let o = common::ibox_stdin(
        &["nc", "-u", "-w", "1", "127.0.0.1", &port.to_string()],
        b"ping\n",
    );
    assert_eq!(responder.join().expect("responder"), b"ping\n");
    assert_eq!(common::stdout(&o), "pong\n");
}

#[test]
fn nc_errors_read_like_busybox() {
    let port = free_port().to_string();
    let o = common::ibox(&["nc", "127.0.0.1", &port]);
    common::assert_fails(
        &o,
        "nc: can't connect to remote host (127.0.0.1): Connection refused",
    );
    let o = common::ibox(&["nc", "no.such.host.invalid", "80"]);
    common::assert_fails(&o, "nc: bad address 'no.such.host.invalid'");
}

// ---------------------------------------------------------------- wget

/// A tiny HTTP server on 127.0.0.1: its port. Serves until the test ends.
fn http_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            std::thread::spawn(move || serve(&mut conn));
        }
    });
    port
}

/// Answers one request by its path.
fn serve(conn: &mut impl ReadWrite) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let agent = head
        .lines()
        .find_map(|l| l.strip_prefix("User-Agent: "))
        .unwrap_or("")
        .to_string();
    let range = head
        .lines()
        .find_map(|l| l.strip_prefix("Range: bytes="))
        .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok());
    let body_of = "0123456789abcdefghij";
    let reply: Vec<u8> = match path.as_str() {
        "/len.txt" => {
            format!("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n{body_of}").into_bytes()
        }
        "/resume.txt" => match range {
            Some(from) if from <= 20 => format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\n\r\n{}",
                20 - from,
                &body_of[from..]
            )
            .into_bytes(),
            _ => format!("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n{body_of}").into_bytes(),
        },
        "/chunked" => {
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n".to_vec()
        }
        "/agent" => format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{agent}",
            agent.len()
        )
        .into_bytes(),
        "/redirect" => b"HTTP/1.1 302 Found\r\nLocation: /len.txt\r\nContent-Length: 0\r\n\r\n".to_vec(),
        "/loop" => b"HTTP/1.1 301 Moved\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n".to_vec(),
        "/drop" => b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly the start".to_vec(),
        "/dropchunk" => {
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n100\r\nshort".to_vec()
        }
        _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found".to_vec(),
    };
    let _ = conn.write_all(&reply);
}

/// A connection [`serve`] can answer on: plain TCP or TLS.
trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// A certificate authority made for one test, and a server certificate it
/// signed for `localhost` only.
struct TestPki {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

fn test_pki(ca_name: &str) -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, ca_name);
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let key = KeyPair::generate().expect("server key");
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .expect("server params")
        .signed_by(&key, &ca, &ca_key)
        .expect("server certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server config");
    TestPki {
        ca_pem: ca.pem(),
        server: Arc::new(server),
    }
}

/// [`http_server`] behind TLS with `config`: its port.
fn https_server(config: Arc<rustls::ServerConfig>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(tcp) = conn else { continue };
            let config = config.clone();
            std::thread::spawn(move || {
                let Ok(session) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(session, tcp);
                serve(&mut tls);
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    port
}

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn wget_fetches_https_from_servers_it_trusts_only() {
    let pki = test_pki("Ibex test CA");
    let port = https_server(pki.server.clone());
    let dir = common::scratch("wget-https");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).expect("CA file");
    let ca_arg = format!("--ca-certificate={}", ca.display());
    let url = format!("https://localhost:{port}/len.txt");
    // Trusted through --ca-certificate, and through $SSL_CERT_FILE.
    let o = common::ibox(&["wget", "-q", "-O", "-", &ca_arg, &url]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    assert_eq!(o.stdout, b"0123456789abcdefghij");
    let o = Command::new(IBOX)
        .args(["wget", "-q", "-O", "-", &url])
        .env("SSL_CERT_FILE", &ca)
        .output()
        .expect("ibox");
    assert_eq!(o.stdout, b"0123456789abcdefghij", "{}", common::stderr(&o));
    // A relative redirect stays on https.
    let redirect = format!("https://localhost:{port}/redirect");
    let o = common::ibox(&["wget", "-q", "-O", "-", &ca_arg, &redirect]);
    assert_eq!(o.stdout, b"0123456789abcdefghij", "{}", common::stderr(&o));

    // Refused: a CA bundle without our CA, a name the certificate is not
    // for, a bundle that does not exist. Nothing is written.
    let other = test_pki("Some other CA");
    let other_ca = dir.join("other.pem");
    std::fs::write(&other_ca, &other.ca_pem).expect("CA file");
    let wrong_name = format!("https://127.0.0.1:{port}/len.txt");
    for (trust, url, why) in [
        (
            format!("--ca-certificate={}", other_ca.display()),
            &url,
            "UnknownIssuer",
        ),
        (ca_arg.clone(), &wrong_name, "not valid for name"),
        (
            "--ca-certificate=/nonexistent/ca.pem".to_string(),
            &url,
            "can't read CA certificates from /nonexistent/ca.pem",
        ),
    ] {
        let o = common::ibox_in(Some(&dir), &["wget", "-q", "-O", "out", &trust, url], b"");
        let err = common::stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.starts_with("wget: TLS: ") && err.contains(why), "{err}");
        assert!(!dir.join("out").exists(), "{err}");
    }
    // --no-check-certificate believes any certificate, still over TLS.
    let o = common::ibox(&[
        "wget",
        "-q",
        "-O",
        "-",
        "--no-check-certificate",
        &wrong_name,
    ]);
    assert_eq!(o.stdout, b"0123456789abcdefghij", "{}", common::stderr(&o));
    // A plain HTTP server is not mistaken for a TLS one.
    let plain = http_server();
    let o = common::ibox(&[
        "wget",
        "-q",
        "-T",
        "3",
        &ca_arg,
        &format!("https://localhost:{plain}/len.txt"),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
}

#[test]
fn wget_saves_length_and_chunked_bodies() {
    let port = http_server();
    let dir = common::scratch("wget-save");
    let url = format!("http://127.0.0.1:{port}/len.txt");
    let o = common::ibox_in(Some(&dir), &["wget", &url], b"");
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path("len.txt")).expect("saved"),
        "0123456789abcdefghij"
    );
    let err = common::stderr(&o);
    assert!(err.starts_with(&format!(
        "Connecting to 127.0.0.1:{port} (127.0.0.1:{port})\nsaving to 'len.txt'\n"
    )));
    assert!(err.ends_with("'len.txt' saved\n"), "{err}");
    let o = common::ibox_in(
        Some(&dir),
        &[
            "wget",
            "-q",
            "-O",
            "c.txt",
            &format!("http://127.0.0.1:{port}/chunked"),
        ],
        b"",
    );
    assert_eq!(common::stderr(&o), "");
    assert_eq!(
        std::fs::read_to_string(dir.path("c.txt")).expect("saved"),
        "hello, world"
    );
    // Nothing but the two files: no temporary left behind.
    assert_eq!(listing(&dir), ["c.txt", "len.txt"]);
}

#[test]
fn wget_follows_redirects_and_writes_stdout() {
    let port = http_server();
    let o = common::ibox(&[
        "wget",
        "-q",
        "-O",
        "-",
        &format!("http://127.0.0.1:{port}/redirect"),
    ]);
    assert_eq!(common::stdout(&o), "0123456789abcdefghij");
    assert_eq!(o.status.code(), Some(0));
    let o = common::ibox(&[
        "wget",
        "-q",
        "-O",
        "-",
        &format!("http://127.0.0.1:{port}/loop"),
    ]);
    common::assert_fails(&o, "wget: too many redirections");
    let o = common::ibox(&[
        "wget",
        "-q",
        "-U",
        "tester/1",
        "-O",
        "-",
        &format!("http://127.0.0.1:{port}/agent"),
    ]);
    assert_eq!(common::stdout(&o), "tester/1");
}

#[test]
fn wget_errors_leave_no_file_and_match_busybox() {
    let port = http_server();
    let dir = common::scratch("wget-errors");
    for path in ["drop", "dropchunk", "missing"] {
        let url = format!("http://127.0.0.1:{port}/{path}");
        let o = common::ibox_in(Some(&dir), &["wget", "-q", "-O", "out", &url], b"");
        assert_eq!(o.status.code(), Some(1), "{path}: {}", common::stderr(&o));
        assert!(listing(&dir).is_empty(), "{path}: {:?}", listing(&dir));
    }
    let o = common::ibox(&["wget", "-q", &format!("http://127.0.0.1:{port}/missing")]);
    common::assert_fails(&o, "wget: server returned error: HTTP/1.1 404 Not Found");
    let o = common::ibox(&["wget", "-q", &format!("http://127.0.0.1:{port}/drop")]);
    common::assert_fails(&o, "wget: connection closed prematurely");
    let o = common::ibox(&["wget", "-q", "ftp://example.org/"]);
    common::assert_fails(&o, "wget: unsupported URL scheme 'ftp'");
    if !busybox_available() {
        return;
    }
    let closed = free_port();
    for args in [
        vec![
            "wget".to_string(),
            "-q".to_string(),
            format!("http://127.0.0.1:{port}/missing"),
        ],
        vec![
            "wget".to_string(),
            "http://no.such.host.invalid/x".to_string(),
        ],
        vec!["wget".to_string(), format!("http://127.0.0.1:{closed}/")],
    ] {
        let bb = Command::new(BUSYBOX)
            .args(&args)
            .current_dir(&*dir)
            .output()
            .expect("busybox");
        let ib = common::ibox_in(
            Some(&dir),
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
            b"",
        );
        assert_eq!(common::stderr(&ib), common::stderr(&bb), "{args:?}");
        assert_eq!(ib.status.code(), bb.status.code(), "{args:?}");
    }
}

#[test]
fn wget_spider_continue_and_headers() {
    let port = http_server();
    let dir = common::scratch("wget-more");
    let o = common::ibox_in(
        Some(&dir),
        &[
            "wget",
            "--spider",
            &format!("http://127.0.0.1:{port}/len.txt"),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(common::stderr(&o).ends_with("remote file exists\n"));
    assert!(listing(&dir).is_empty());
    let o = common::ibox_in(
        Some(&dir),
        &[
            "wget",
            "-q",
            "--spider",
            &format!("http://127.0.0.1:{port}/nope"),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(1));
    std::fs::write(dir.path("resume.txt"), "0123456789").expect("partial");
    let o = common::ibox_in(
        Some(&dir),
        &[
            "wget",
            "-q",
            "-c",
            &format!("http://127.0.0.1:{port}/resume.txt"),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path("resume.txt")).expect("resumed"),
        "0123456789abcdefghij"
    );
    let o = common::ibox_in(
        Some(&dir),
        &[
            "wget",
            "-S",
            "-O",
            "-",
            &format!("http://127.0.0.1:{port}/len.txt"),
        ],
        b"",
    );
    assert!(common::stderr(&o).contains("\n  HTTP/1.1 200 OK\n  Content-Length: 20\n  \n"));
}

// ---------------------------------------------------------------- netstat

#[test]
fn netstat_shows_a_listening_socket() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let o = common::ibox(&["netstat", "-ltn"]);
    let out = common::stdout(&o);
    assert!(out.starts_with(
        "Active Internet connections (only servers)\nProto Recv-Q Send-Q Local Address           Foreign Address         State       \n"
    ));
    let addr = format!("127.0.0.1:{port}");
    let line = format!("tcp        0      0 {addr:<23} 0.0.0.0:*               LISTEN      ");
    assert!(out.lines().any(|l| l == line), "{out}");
    // -p names this test as the owner.
    let o = common::ibox(&["netstat", "-ltnp"]);
    let me = format!("{}/", std::process::id());
    assert!(
        common::stdout(&o)
            .lines()
            .any(|l| l.contains(&addr) && l.contains(&me)),
        "{}",
        common::stdout(&o)
    );
}

#[test]
fn netstat_matches_busybox() {
    if !netns_available() || !busybox_available() {
        return;
    }
    let setup = "ip addr add 10.9.0.1/24 dev lo\n\
        ip route add 10.8.0.0/16 via 10.9.0.2 dev lo\n\
        sleep 3 | \"$IBOX\" nc -l -p 2222 >/dev/null & l1=$!\n\
        sleep 3 | \"$IBOX\" nc -u -l -p 5353 >/dev/null & l2=$!\n\
        sleep 0.3\n\
        sleep 3 | \"$IBOX\" nc 127.0.0.1 2222 >/dev/null & c1=$!\n\
        \"$IBOX\" ping -q -w 3 127.0.0.1 >/dev/null & r1=$!\n\
        sleep 0.3";
    // The UDP listener waits for a datagram forever: end them all after.
    let commands = [
        "netstat -an",
        "netstat -a",
        "netstat -ltun",
        "netstat -lt",
        "netstat -tn",
        "netstat -lun",
        "netstat -rn",
        "netstat -r",
        "netstat -axn",
        "netstat -wan",
        "netstat -wa",
    ];
    let pairs = compare_in_netns(
        &format!("{setup}\ntrap 'kill $l1 $l2 $c1 $r1 2>/dev/null' EXIT"),
        &commands,
        same,
    );
    assert_all_same(&pairs);
    assert!(pairs[0].2.contains(":2222 "), "{}", pairs[0].2);
}

// ---------------------------------------------------------------- arp

#[test]
fn arp_shows_the_table_like_busybox() {
    if !busybox_available() {
        return;
    }
    // The host's table changes on its own; compare runs made back to back
    // and allow a retry.
    for args in [
        &["arp"][..],
        &["arp", "-n"],
        &["arp", "-a"],
        &["arp", "-n", "-i", "lo"],
    ] {
        let mut last = None;
        for _ in 0..3 {
            let bb = Command::new(BUSYBOX).args(args).output().expect("busybox");
            let ib = common::ibox(args);
            if ib.stdout == bb.stdout && ib.status.code() == bb.status.code() {
                last = None;
                break;
            }
            last = Some((common::stdout(&ib), common::stdout(&bb)));
        }
        assert!(last.is_none(), "{args:?}: {last:?}");
    }
}

#[test]
fn arp_sets_and_deletes_entries() {
    if !netns_available() || !busybox_available() {
        return;
    }
    let probe = in_netns("ip link add v0 type veth peer name v1 && echo ok");
    if !probe.contains("ok") {
        eprintln!("note: skipping: no veth here");
        return;
    }
    let setup = "ip link add v0 type veth peer name v1; ip link set v0 up; ip link set v1 up; \
                 ip addr add 10.5.0.1/24 dev v0";
    let out = in_netns(&format!(
        "{setup}\n\"$IBOX\" arp -s 10.5.0.9 02:00:00:00:00:09; echo \"rc $?\"\n\
         \"$IBOX\" arp -s 10.5.0.10 02:00:00:00:00:0a temp; echo \"rc $?\"\n\
         $BB arp -n; echo @@\n\"$IBOX\" arp -n; echo @@\n\
         \"$IBOX\" arp -n -a 10.5.0.9; echo @@\n\
         \"$IBOX\" arp -d 10.5.0.9; echo \"rc $?\"\n\
         $BB arp -d 10.5.0.9 2>&1; echo \"rc $?\"; echo @@\n\
         \"$IBOX\" arp -d 10.5.0.9 2>&1; echo \"rc $?\"; echo @@\n\
         \"$IBOX\" arp -s 10.5.0.11 zz 2>&1; echo \"rc $?\""
    ));
    let parts: Vec<&str> = out.split("@@\n").collect();
    assert_eq!(parts.len(), 6, "{out}");
    assert!(parts[0].starts_with("rc 0\nrc 0\n"), "{out}");
    assert_eq!(parts[1], parts[0].trim_start_matches("rc 0\nrc 0\n"));
    assert!(parts[1].contains("? (10.5.0.9) at 02:00:00:00:00:09 [ether] PERM on v0\n"));
    assert!(parts[1].contains("? (10.5.0.10) at 02:00:00:00:00:0a [ether]  on v0\n"));
    assert_eq!(
        parts[2],
        "? (10.5.0.9) at 02:00:00:00:00:09 [ether] PERM on v0\n"
    );
    // The entry is gone: deleting it again fails as BusyBox's does.
    let (first, bb_again) = parts[3].split_once('\n').expect("two lines");
    assert_eq!(first, "rc 0");
    assert_eq!(parts[4], bb_again);
    assert!(parts[5].ends_with("rc 1\n"), "{}", parts[5]);
}

// ---------------------------------------------------------------- traceroute

#[test]
fn traceroute_to_localhost_is_one_hop() {
    if !common::is_root() {
        eprintln!("note: skipping: traceroute's raw ICMP socket needs root");
        return;
    }
    let o = common::ibox(&["traceroute", "-n", "127.0.0.1"]);
    let out = common::stdout(&o);
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("traceroute to 127.0.0.1 (127.0.0.1), 30 hops max, 46 byte packets")
    );
    let hop = mask_times(lines.next().unwrap_or(""));
    assert_eq!(hop, " 1  127.0.0.1  T ms  T ms  T ms");
    assert_eq!(lines.next(), None);
    assert_eq!(o.status.code(), Some(0));
    if !busybox_available() {
        return;
    }
    for args in [
        &["traceroute", "127.0.0.1"][..],
        &["traceroute", "-q", "1", "-m", "2", "-n", "127.0.0.1"],
        &["traceroute", "-m", "0", "127.0.0.1"],
        &["traceroute", "no.such.host.invalid"],
    ] {
        let bb = Command::new(BUSYBOX).args(args).output().expect("busybox");
        let ib = common::ibox(args);
        assert_eq!(
            mask_times(&common::stdout(&ib)),
            mask_times(&common::stdout(&bb)),
            "{args:?}"
        );
        assert_eq!(
            common::stderr(&ib).lines().next(),
            common::stderr(&bb).lines().next(),
            "{args:?}"
        );
        assert_eq!(ib.status.code(), bb.status.code(), "{args:?}");
    }
}

// ---------------------------------------------------------------- resolver

/// Set in the environment of the test binary when it is run again as the
/// fake DNS server of [`names_resolve_through_resolv_conf`].
const DNS_HELPER: &str = "IBOX_NETTOOLS_DNS_HELPER";

/// Not a test on its own: the fake nameserver, run inside the namespace by
/// `names_resolve_through_resolv_conf`. It answers A queries for
/// `box.test` with 10.1.2.3, other names with NXDOMAIN, and stops after a
/// few seconds.
#[test]
#[ignore]
fn dns_server_helper() {
    if std::env::var_os(DNS_HELPER).is_none() {
        return;
    }
    let socket = UdpSocket::bind("127.0.0.1:53").expect("bind :53");
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let until = Instant::now() + Duration::from_secs(8);
    let mut buf = [0u8; 512];
    while Instant::now() < until {
        let Ok((n, from)) = socket.recv_from(&mut buf) else {
            continue;
        };
        let query = &buf[..n];
        // The question: labels from offset 12, then type and class.
        let mut at = 12;
        let mut labels = Vec::new();
        while at < n && query[at] != 0 {
            let len = query[at] as usize;
            labels.push(String::from_utf8_lossy(&query[at + 1..at + 1 + len]).into_owned());
            at += 1 + len;
        }
        let end = at + 5;
        let qtype = u16::from_be_bytes([query[at + 1], query[at + 2]]);
        let known = labels.join(".") == "box.test";
        let mut reply = query[..2].to_vec();
        let rcode = if known { 0x80 } else { 0x83 };
        let answers = u8::from(known && qtype == 1);
        reply.extend_from_slice(&[0x81, rcode, 0, 1, 0, answers, 0, 0, 0, 0]);
        reply.extend_from_slice(&query[12..end]);
        if answers == 1 {
            reply.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1, 2, 3]);
        }
        socket.send_to(&reply, from).expect("answer");
    }
}

#[test]
fn names_resolve_through_resolv_conf() {
    if !netns_available() {
        return;
    }
    let probe = Command::new("unshare")
        .args(["-n", "-m", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !probe {
        eprintln!("note: skipping: `unshare -m` is not permitted here");
        return;
    }
    let dir = common::scratch("resolver");
    let conf = dir.path("resolv.conf");
    std::fs::write(&conf, "nameserver 127.0.0.1\n").expect("resolv.conf");
    let me = std::env::current_exe().expect("test binary");
    // A mount namespace of its own, so that only this run sees the
    // replaced /etc/resolv.conf.
    let script = format!(
        "ip link set lo up\n\
         mount --bind '{}' /etc/resolv.conf || exit 0\n\
         '{}' --ignored --exact dns_server_helper >/dev/null 2>&1 & helper=$!; sleep 0.5\n\
         \"$IBOX\" nc -w 1 box.test 9 2>&1; echo \"rc $?\"\n\
         \"$IBOX\" ping -c 1 -W 1 no-such.test 2>&1; echo \"rc $?\"\n\
         \"$IBOX\" wget -q http://box.test:9/ 2>&1; echo \"rc $?\"\n\
         kill $helper",
        conf.display(),
        me.display()
    );
    let o = Command::new("unshare")
        .args(["-n", "-m", "sh", "-c", &script])
        .env("IBOX", IBOX)
        .env(DNS_HELPER, "1")
        .output()
        .expect("unshare");
    let out = common::stdout(&o);
    if out.is_empty() {
        eprintln!("note: skipping: cannot bind-mount /etc/resolv.conf here");
        return;
    }
    assert_eq!(
        out,
        "nc: can't connect to remote host (10.1.2.3): Network is unreachable\nrc 1\n\
         ping: bad address 'no-such.test'\nrc 1\n\
         wget: can't connect to remote host (10.1.2.3): Network is unreachable\nrc 1\n"
    );
}
