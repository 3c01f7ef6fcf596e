//! `ibox dnsd` and `ibox nslookup` on 127.0.0.1: dnsd forwards to a fake
//! upstream server run by the test (a UDP socket in a thread answering
//! from a fixed zone and counting what reaches it), so that forwarding,
//! caching and TTLs can be seen from both sides. nslookup's output is
//! compared with BusyBox's when /bin/busybox is installed.

mod common;

use common::{ibox, stdout, IBOX};
use ibex_dns::{rcode, rtype, Header, Message, Name, Question, RData, Record, CLASS_IN};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const BUSYBOX: &str = "/bin/busybox";

/// A name's A record in the fake zone.
fn a(name: &Name, ttl: u32, addr: [u8; 4]) -> Record {
    Record {
        name: name.clone(),
        rtype: rtype::A,
        class: CLASS_IN,
        ttl,
        data: RData::A(Ipv4Addr::from(addr)),
    }
}

/// The zone's SOA, for negative answers: negative TTL 60.
fn soa() -> Record {
    let zone = Name::from_dotted("example.com").unwrap();
    Record {
        name: zone.clone(),
        rtype: rtype::SOA,
        class: CLASS_IN,
        ttl: 60,
        data: RData::Soa {
            mname: Name::from_dotted("ns.example.com").unwrap(),
            rname: Name::from_dotted("hostmaster.example.com").unwrap(),
            serial: 1,
            refresh: 3600,
            retry: 600,
            expire: 86400,
            minimum: 60,
        },
    }
}

/// The fake zone: the reply to `q`, authoritative as a real zone's
/// server would be.
fn zone(q: &Question) -> (u8, Vec<Record>, Vec<Record>) {
    let n = &q.name;
    let name = n.lowercase().to_string();
    let t = q.qtype;
    match (name.as_str(), t) {
        ("www.example.com", rtype::A) => (0, vec![a(n, 300, [192, 0, 2, 1])], vec![]),
        ("short.example.com", rtype::A) => (0, vec![a(n, 1, [192, 0, 2, 2])], vec![]),
        ("spoof.example.com", rtype::A) => (0, vec![a(n, 300, [192, 0, 2, 3])], vec![]),
        ("alias.example.com", rtype::A) => {
            let www = Name::from_dotted("www.example.com").unwrap();
            let cname = Record {
                name: n.clone(),
                rtype: rtype::CNAME,
                class: CLASS_IN,
                ttl: 300,
                data: RData::Cname(www.clone()),
            };
            (0, vec![cname, a(&www, 300, [192, 0, 2, 1])], vec![])
        }
        ("example.com", rtype::MX) => {
            let mx = Record {
                name: n.clone(),
                rtype: rtype::MX,
                class: CLASS_IN,
                ttl: 300,
                data: RData::Mx {
                    preference: 10,
                    exchange: Name::from_dotted("mail.example.com").unwrap(),
                },
            };
            (0, vec![mx], vec![])
        }
        // Twenty 100-byte strings: more than dnsd's 1232-byte EDNS0 size,
        // so the fake upstream truncates and dnsd must ask over TCP.
        ("huge.example.com", rtype::TXT) => {
            let txt = (0..20u8)
                .map(|i| Record {
                    name: n.clone(),
                    rtype: rtype::TXT,
                    class: CLASS_IN,
                    ttl: 300,
                    data: RData::Txt(vec![vec![b'a' + i; 100]]),
                })
                .collect();
            (0, txt, vec![])
        }
        // Ten 100-byte strings: more than 512 bytes, less than 1232.
        ("big.example.com", rtype::TXT) => {
            let txt = (0..10u8)
                .map(|i| Record {
                    name: n.clone(),
                    rtype: rtype::TXT,
                    class: CLASS_IN,
                    ttl: 300,
                    data: RData::Txt(vec![vec![b'a' + i; 100]]),
                })
                .collect();
            (0, txt, vec![])
        }
        ("www.example.com" | "short.example.com" | "example.com" | "big.example.com", _) => {
            (0, vec![], vec![soa()])
        }
        _ => (rcode::NXDOMAIN, vec![], vec![soa()]),
    }
}

/// The fake upstream server: answers from [`zone`] in a thread until
/// dropped, counting the queries that reach it.
struct Upstream {
    addr: SocketAddr,
    count: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Upstream {
    fn start() -> Upstream {
        // UDP and TCP on the same port, as a real server listens.
        let (sock, tcp) = (0..20)
            .find_map(|_| {
                let u = UdpSocket::bind("127.0.0.1:0").unwrap();
                let port = u.local_addr().unwrap().port();
                let t = std::net::TcpListener::bind(("127.0.0.1", port)).ok()?;
                Some((u, t))
            })
            .expect("a free port");
        tcp.set_nonblocking(true).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let addr = sock.local_addr().unwrap();
        let count = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (count.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let spoofer = UdpSocket::bind("127.0.0.1:0").unwrap();
            let mut buf = [0u8; 4096];
            while !s.load(Ordering::Relaxed) {
                if let Ok((mut conn, _)) = tcp.accept() {
                    c.fetch_add(1, Ordering::Relaxed);
                    serve_tcp(&mut conn);
                }
                let Ok((n, from)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                let Ok(q) = Message::parse(&buf[..n]) else {
                    continue;
                };
                c.fetch_add(1, Ordering::Relaxed);
                let Some(question) = q.questions.first() else {
                    continue;
                };
                let (code, answers, authorities) = zone(question);
                let reply = Message {
                    header: Header {
                        id: q.header.id,
                        qr: true,
                        aa: true,
                        rd: q.header.rd,
                        rcode: code,
                        ..Header::default()
                    },
                    questions: q.questions.clone(),
                    answers,
                    authorities,
                    additionals: Vec::new(),
                };
                if question.name.to_string() == "spoof.example.com" {
                    // A forged answer first, right id and question, from
                    // another port: dnsd must ignore it.
                    let mut forged = reply.clone();
                    forged.answers = vec![a(&question.name, 300, [6, 6, 6, 6])];
                    spoofer.send_to(&forged.encode().unwrap(), from).unwrap();
                    std::thread::sleep(Duration::from_millis(20));
                }
                let limit = q.udp_limit();
                sock.send_to(&reply.encode_within(limit).unwrap(), from)
                    .unwrap();
            }
        });
        Upstream {
            addr,
            count,
            stop,
            thread: Some(thread),
        }
    }

    fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one length-prefixed query on a TCP connection from [`zone`].
fn serve_tcp(conn: &mut TcpStream) {
    conn.set_nonblocking(false).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut len = [0u8; 2];
    if conn.read_exact(&mut len).is_err() {
        return;
    }
    let mut q = vec![0u8; u16::from_be_bytes(len) as usize];
    if conn.read_exact(&mut q).is_err() {
        return;
    }
    let Ok(q) = Message::parse(&q) else { return };
    let Some(question) = q.questions.first() else {
        return;
    };
    let (code, answers, authorities) = zone(question);
    let reply = Message {
        header: Header {
            id: q.header.id,
            qr: true,
            aa: true,
            rcode: code,
            ..Header::default()
        },
        questions: q.questions.clone(),
        answers,
        authorities,
        additionals: Vec::new(),
    }
    .encode()
    .unwrap();
    let mut framed = (reply.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&reply);
    let _ = conn.write_all(&framed);
}

/// A running `ibox dnsd -f` on 127.0.0.1, killed when dropped.
struct Dnsd {
    child: common::Reaped,
    port: u16,
}

impl Dnsd {
    /// Starts dnsd with `args` on a free port and waits until it answers.
    fn start(args: &[&str]) -> Dnsd {
        for _ in 0..10 {
            // A port free for UDP and TCP a moment ago: dnsd binds both;
            // if another process took it meanwhile, dnsd exits and the
            // next port is tried.
            let port = {
                let u = UdpSocket::bind("127.0.0.1:0").unwrap();
                let port = u.local_addr().unwrap().port();
                if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
                    continue;
                }
                port
            };
            let mut child = Command::new(IBOX)
                .args(["dnsd", "-f", "-a", "127.0.0.1", "-p", &port.to_string()])
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("run ibox dnsd");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                // Any answer at all means it is up: a local name costs the
                // upstream nothing.
                if try_query(port, "localhost", rtype::A, Duration::from_millis(100)).is_some() {
                    return Dnsd {
                        child: common::Reaped(child),
                        port,
                    };
                }
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("dnsd did not start");
    }

    /// Whether the daemon is still running.
    fn alive(&mut self) -> bool {
        self.child.alive()
    }
}

/// A query message for `name`.
fn query_msg(id: u16, name: &str, qtype: u16) -> Message {
    Message {
        header: Header {
            id,
            rd: true,
            ..Header::default()
        },
        questions: vec![Question {
            name: Name::from_dotted(name).unwrap(),
            qtype,
            qclass: CLASS_IN,
        }],
        ..Message::default()
    }
}

/// Asks over UDP; None if no (matching) answer came in time.
fn try_query(port: u16, name: &str, qtype: u16, wait: Duration) -> Option<Message> {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(wait)).unwrap();
    let id = (Instant::now().elapsed().subsec_nanos() as u16) ^ 0x5a5a;
    let q = query_msg(id, name, qtype);
    sock.send_to(&q.encode().unwrap(), ("127.0.0.1", port))
        .unwrap();
    let mut buf = [0u8; 65536];
    let (n, _) = sock.recv_from(&mut buf).ok()?;
    let reply = Message::parse(&buf[..n]).expect("dnsd sent a valid message");
    assert_eq!(reply.header.id, id);
    assert!(reply.header.qr);
    assert_eq!(reply.questions, q.questions);
    Some(reply)
}

/// Asks over UDP, expecting an answer within 5 seconds.
fn query(port: u16, name: &str, qtype: u16) -> Message {
    try_query(port, name, qtype, Duration::from_secs(5)).expect("an answer from dnsd")
}

/// Asks over TCP.
fn query_tcp(port: u16, name: &str, qtype: u16) -> Message {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let q = query_msg(4321, name, qtype).encode().unwrap();
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    s.write_all(&framed).unwrap();
    let mut len = [0u8; 2];
    s.read_exact(&mut len).unwrap();
    let mut reply = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut reply).unwrap();
    let reply = Message::parse(&reply).unwrap();
    assert_eq!(reply.header.id, 4321);
    reply
}

/// The IPv4 addresses in an answer.
fn addrs(m: &Message) -> Vec<String> {
    m.answers
        .iter()
        .filter_map(|r| match r.data {
            RData::A(a) => Some(a.to_string()),
            _ => None,
        })
        .collect()
}

fn upstream_arg(u: &Upstream) -> String {
    u.addr.to_string()
}

#[test]
fn forwards_and_caches() {
    let up = Upstream::start();
    let d = Dnsd::start(&["-u", &upstream_arg(&up)]);
    let r = query(d.port, "www.example.com", rtype::A);
    assert_eq!(addrs(&r), ["192.0.2.1"]);
    assert_eq!(r.header.rcode, rcode::NOERROR);
    assert!(r.header.ra && !r.header.aa);
    assert_eq!(up.count(), 1);
    // Cached: the upstream is not asked again, in any letter case.
    let r = query(d.port, "WWW.example.com", rtype::A);
    assert_eq!(addrs(&r), ["192.0.2.1"]);
    assert!(r.answers[0].ttl <= 300);
    assert_eq!(up.count(), 1);
    // A CNAME chain and an MX pass through.
    let r = query(d.port, "alias.example.com", rtype::A);
    assert_eq!(r.answers.len(), 2);
    assert_eq!(addrs(&r), ["192.0.2.1"]);
    let r = query(d.port, "example.com", rtype::MX);
    assert!(matches!(
        r.answers[0].data,
        RData::Mx { preference: 10, .. }
    ));
    // NXDOMAIN, cached negatively (the SOA's 60 seconds).
    let before = up.count();
    let r = query(d.port, "nx.example.com", rtype::A);
    assert_eq!(r.header.rcode, rcode::NXDOMAIN);
    assert!(matches!(r.authorities[0].data, RData::Soa { .. }));
    let r = query(d.port, "nx.example.com", rtype::A);
    assert_eq!(r.header.rcode, rcode::NXDOMAIN);
    // No data for AAAA: cached negatively too.
    let r = query(d.port, "www.example.com", rtype::AAAA);
    assert!(r.answers.is_empty() && r.header.rcode == rcode::NOERROR);
    query(d.port, "www.example.com", rtype::AAAA);
    assert_eq!(up.count(), before + 2);
}

#[test]
fn hangup_clears_the_cache() {
    let up = Upstream::start();
    let d = Dnsd::start(&["-u", &upstream_arg(&up)]);
    query(d.port, "www.example.com", rtype::A);
    query(d.port, "www.example.com", rtype::A);
    assert_eq!(up.count(), 1);
    let pid = nix::unistd::Pid::from_raw(d.child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGHUP).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    query(d.port, "www.example.com", rtype::A);
    assert_eq!(up.count(), 2);
}

#[test]
fn ttl_expiry() {
    let up = Upstream::start();
    let d = Dnsd::start(&["-u", &upstream_arg(&up)]);
    assert_eq!(
        addrs(&query(d.port, "short.example.com", rtype::A)),
        ["192.0.2.2"]
    );
    query(d.port, "short.example.com", rtype::A);
    assert_eq!(up.count(), 1);
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(
        addrs(&query(d.port, "short.example.com", rtype::A)),
        ["192.0.2.2"]
    );
    assert_eq!(up.count(), 2);
}

#[test]
fn cache_size_zero_caches_nothing() {
    let up = Upstream::start();
    let d = Dnsd::start(&["-u", &upstream_arg(&up), "-c", "0"]);
    query(d.port, "www.example.com", rtype::A);
    query(d.port, "www.example.com", rtype::A);
    assert_eq!(up.count(), 2);
}

#[test]
fn hosts_files_answer_and_reload() {
    let dir = common::scratch("hosts");
    let leases = dir.path("leases.hosts");
    std::fs::write(&leases, "10.0.0.5 box\n# comment\n10.0.0.9 printer.lan\n").unwrap();
    let up = Upstream::start();
    let d = Dnsd::start(&[
        "-u",
        &upstream_arg(&up),
        "-H",
        leases.to_str().unwrap(),
        "-d",
        "lan",
    ]);
    for name in ["box", "box.lan", "BOX.Lan"] {
        let r = query(d.port, name, rtype::A);
        assert_eq!(addrs(&r), ["10.0.0.5"], "{name}");
        assert!(r.header.aa);
    }
    assert_eq!(addrs(&query(d.port, "printer.lan", rtype::A)), ["10.0.0.9"]);
    // Local but no AAAA: no data, not forwarded.
    let r = query(d.port, "box.lan", rtype::AAAA);
    assert!(r.answers.is_empty() && r.header.rcode == rcode::NOERROR && r.header.aa);
    // Unknown in the local domain: NXDOMAIN, not forwarded.
    assert_eq!(
        query(d.port, "ghost.lan", rtype::A).header.rcode,
        rcode::NXDOMAIN
    );
    // Reverse.
    let r = query(d.port, "5.0.0.10.in-addr.arpa", rtype::PTR);
    assert_eq!(
        r.answers[0].data,
        RData::Ptr(Name::from_dotted("box.lan").unwrap())
    );
    assert_eq!(up.count(), 0);
    // The DHCP server rewrites the file: new leases are seen at once.
    std::fs::write(&leases, "10.0.0.6 box\n10.0.0.7 laptop\n").unwrap();
    assert_eq!(addrs(&query(d.port, "box.lan", rtype::A)), ["10.0.0.6"]);
    assert_eq!(addrs(&query(d.port, "laptop", rtype::A)), ["10.0.0.7"]);
    let r = query(d.port, "7.0.0.10.in-addr.arpa", rtype::PTR);
    assert_eq!(
        r.answers[0].data,
        RData::Ptr(Name::from_dotted("laptop.lan").unwrap())
    );
    assert_eq!(
        query(d.port, "printer.lan", rtype::A).header.rcode,
        rcode::NXDOMAIN
    );
    // An address not in any file goes upstream.
    query(d.port, "99.0.0.10.in-addr.arpa", rtype::PTR);
    assert_eq!(up.count(), 1);
    std::fs::remove_file(&leases).unwrap();
    assert_eq!(
        query(d.port, "box.lan", rtype::A).header.rcode,
        rcode::NXDOMAIN
    );
}

#[test]
fn large_answers_over_tcp() {
    let up = Upstream::start();
    let d = Dnsd::start(&["-u", &upstream_arg(&up)]);
    // Over UDP without EDNS0 the answer does not fit 512 bytes: TC.
    let r = query(d.port, "big.example.com", rtype::TXT);
    assert!(r.header.tc && r.answers.is_empty());
    // The client asks again over TCP and gets all of it (from the cache).
    let r = query_tcp(d.port, "big.example.com", rtype::TXT);
    assert!(!r.header.tc);
    assert_eq!(r.answers.len(), 10);
    assert_eq!(up.count(), 1);
    // Too large for the upstream's UDP answer too: dnsd asks it over TCP
    // (one UDP and one TCP query reach it).
    let r = query_tcp(d.port, "huge.example.com", rtype::TXT);
    assert_eq!(r.answers.len(), 20);
    assert_eq!(up.count(), 3);
    // TCP for a name not yet cached, forwarded while the client waits.
    let r = query_tcp(d.port, "www.example.com", rtype::A);
    assert_eq!(addrs(&r), ["192.0.2.1"]);
}

#[test]
fn spoofed_replies_are_ignored() {
    let up = Upstream::start();
    let d = Dnsd::start(&["-u", &upstream_arg(&up)]);
    let r = query(d.port, "spoof.example.com", rtype::A);
    assert_eq!(addrs(&r), ["192.0.2.3"]);
}

#[test]
fn falls_back_to_the_next_upstream() {
    // The first upstream never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let up = Upstream::start();
    let d = Dnsd::start(&[
        "-u",
        &silent.local_addr().unwrap().to_string(),
        "-u",
        &upstream_arg(&up),
    ]);
    let r = query(d.port, "www.example.com", rtype::A);
    assert_eq!(addrs(&r), ["192.0.2.1"]);
    // The server that answered is asked first from now on.
    let r = query(d.port, "short.example.com", rtype::A);
    assert_eq!(addrs(&r), ["192.0.2.2"]);
}

#[test]
fn no_upstream_answer_is_servfail() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let d = Dnsd::start(&["-u", &silent.local_addr().unwrap().to_string()]);
    let r = try_query(d.port, "www.example.com", rtype::A, Duration::from_secs(8)).unwrap();
    assert_eq!(r.header.rcode, rcode::SERVFAIL);
}

#[test]
fn garbage_does_not_kill_it() {
    let up = Upstream::start();
    let mut d = Dnsd::start(&["-u", &upstream_arg(&up)]);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let to = ("127.0.0.1", d.port);
    let mut junk: Vec<Vec<u8>> = vec![
        vec![],
        vec![0xff],
        vec![0; 11],
        // A response: dropped.
        vec![0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0],
        // A question whose name points at itself.
        vec![0, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1],
        // 65535 questions announced, none there.
        vec![0, 3, 1, 0, 0xff, 0xff, 0, 0, 0, 0, 0, 0],
    ];
    let mut seed = 0x1234_5678u32;
    for _ in 0..200 {
        let len = (seed % 300) as usize;
        let mut v = Vec::with_capacity(len);
        for _ in 0..len {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            v.push((seed >> 16) as u8);
        }
        junk.push(v);
    }
    for j in &junk {
        sock.send_to(j, to).unwrap();
    }
    // The self-pointing question gets FORMERR, with its id.
    let q = vec![0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1];
    sock.send_to(&q, to).unwrap();
    let mut buf = [0u8; 512];
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        assert!(Instant::now() < deadline, "no FORMERR");
        let Ok(n) = sock.recv(&mut buf) else { continue };
        if buf[..2] == [0, 9] {
            assert_eq!(n, 12);
            assert_eq!(buf[3] & 0xf, rcode::FORMERR);
            break;
        }
    }
    // Junk over TCP: a short frame, then a hang-up mid-frame.
    for frame in [&[0u8, 3, 1, 2, 3][..], &[0, 200, 1]] {
        let mut s = TcpStream::connect(("127.0.0.1", d.port)).unwrap();
        s.write_all(frame).unwrap();
    }
    assert!(d.alive());
    assert_eq!(
        addrs(&query(d.port, "www.example.com", rtype::A)),
        ["192.0.2.1"]
    );
    assert!(d.alive());
}

/// Runs nslookup (`ibox nslookup` or BusyBox's) with `args`.
fn nslookup(prog: &[&str], args: &[&str]) -> (String, i32) {
    let out = Command::new(prog[0])
        .args(&prog[1..])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (stdout(&out), out.status.code().unwrap_or(-1))
}

#[test]
fn nslookup_prints_like_busybox() {
    let dir = common::scratch("nslookup");
    let leases = dir.path("leases.hosts");
    std::fs::write(&leases, "10.0.0.5 box\nfd00::5 box\n").unwrap();
    let up = Upstream::start();
    let d = Dnsd::start(&[
        "-u",
        &upstream_arg(&up),
        "-H",
        leases.to_str().unwrap(),
        "-d",
        "lan",
    ]);
    let port = format!("-port={}", d.port);
    let cases: &[&[&str]] = &[
        &["box.lan"],
        &["10.0.0.5"],
        &["www.example.com"],
        &["alias.example.com"],
        &["-type=mx", "example.com"],
        &["-type=txt", "big.example.com"],
        &["-type=soa", "nothing.example.com"],
        &["-type=a", "short.example.com"],
        &["nx.example.com"],
        &["ghost.lan"],
    ];
    let ours = [IBOX, "nslookup"];
    for case in cases {
        let mut args = vec![port.as_str()];
        args.extend_from_slice(case);
        args.push("127.0.0.1");
        let (out, code) = nslookup(&ours, &args);
        assert!(out.starts_with(&format!(
            "Server:\t\t127.0.0.1\nAddress:\t127.0.0.1:{}\n\n",
            d.port
        )));
        if std::path::Path::new(BUSYBOX).exists() {
            let (bb, bb_code) = nslookup(&[BUSYBOX, "nslookup"], &args);
            assert_eq!(out, bb, "{case:?}");
            assert_eq!(code, bb_code, "{case:?}");
        }
    }
    // SERVER with its port.
    let server = format!("127.0.0.1:{}", d.port);
    let (out, code) = nslookup(&ours, &["box.lan", &server]);
    assert_eq!(code, 0);
    assert!(out.starts_with(&format!("Server:\t\t{server}\nAddress:\t{server}\n")));
    if std::path::Path::new(BUSYBOX).exists() {
        assert_eq!(
            nslookup(&[BUSYBOX, "nslookup"], &["box.lan", &server]),
            (out, code)
        );
    }
    let (out, code) = nslookup(&ours, &[&port, "box.lan", "127.0.0.1"]);
    assert_eq!(code, 0);
    assert!(out.contains("Name:\tbox.lan\nAddress: 10.0.0.5\n"));
    assert!(out.contains("Name:\tbox.lan\nAddress: fd00::5\n"));
    let (out, code) = nslookup(&ours, &[&port, "ghost.lan", "127.0.0.1"]);
    assert_eq!(code, 1);
    assert!(out.contains("** server can't find ghost.lan: NXDOMAIN\n"));
}

#[test]
fn nslookup_timeout() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = format!("-port={}", silent.local_addr().unwrap().port());
    let args = ["-timeout=1", "-retry=1", &port, "example.com", "127.0.0.1"];
    let (out, code) = nslookup(&[IBOX, "nslookup"], &args);
    assert_eq!(
        out,
        ";; connection timed out; no servers could be reached\n\n"
    );
    assert_eq!(code, 1);
    if std::path::Path::new(BUSYBOX).exists() {
        assert_eq!(nslookup(&[BUSYBOX, "nslookup"], &args), (out, code));
    }
}

#[test]
fn registered_with_usage() {
    let list = stdout(&ibox(&["--list"]));
    for name in ["dnsd", "nslookup"] {
        assert!(list.lines().any(|l| l == name), "{name} missing");
        let o = ibox(&[name, "--help"]);
        assert!(stdout(&o).starts_with(&format!("Usage: {name} ")), "{name}");
        assert_eq!(o.status.code(), Some(0));
    }
}

#[test]
fn usage_errors() {
    let o = ibox(&["nslookup"]);
    assert_eq!(o.status.code(), Some(1));
    let o = ibox(&["dnsd", "-p", "notaport"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(common::stderr(&o).contains("invalid -p"));
}

/// Cached answers per second, printed, never failing on speed:
/// `cargo test --release -p ibex-userland --test dns -- --ignored --nocapture`.
#[test]
#[ignore]
fn cached_queries_per_second() {
    let up = Upstream::start();
    let d = Dnsd::start(&["-u", &upstream_arg(&up)]);
    query(d.port, "www.example.com", rtype::A);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.connect(("127.0.0.1", d.port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut buf = [0u8; 512];
    let n = 20_000;
    // A cached forwarded answer, then a local name from /etc/hosts.
    for (what, name) in [("cached", "www.example.com"), ("local", "localhost")] {
        let q = query_msg(7, name, rtype::A).encode().unwrap();
        let start = Instant::now();
        for _ in 0..n {
            sock.send(&q).unwrap();
            sock.recv(&mut buf).unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        eprintln!(
            "{n} {what} queries, one at a time: {:.0} queries/s",
            n as f64 / secs
        );
    }
    assert_eq!(up.count(), 1);
}
