//! `fw`: configurations checked, loaded into nf_tables and shown, and
//! traffic between network namespaces that the loaded rules let through
//! or stop. Every namespace is a fresh one (`unshare -n sleep`, entered
//! with `nsenter` for commands and `setns` for the test's own sockets),
//! joined by veth pairs, so that the host's firewall and network are never
//! touched.
//!
//! Tests print a note and pass when namespaces cannot be made (not root,
//! no `unshare`/`nsenter`/`ip`, no veth).

mod common;

use common::IBOX;
use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A network namespace kept alive by a `sleep` started inside it.
struct Netns {
    holder: Child,
}

impl Netns {
    /// A fresh namespace, once `unshare` has made it.
    fn new() -> Netns {
        let holder = Command::new("unshare")
            .args(["-n", "sleep", "600"])
            .stdin(Stdio::null())
            .spawn()
            .expect("start unshare");
        let ns = Netns { holder };
        let ours = std::fs::read_link("/proc/self/ns/net").expect("own netns");
        let deadline = Instant::now() + common::TIMEOUT;
        // unshare execs sleep after unsharing: wait for the link to differ.
        while std::fs::read_link(ns.path()).is_ok_and(|l| l == ours) {
            assert!(
                Instant::now() < deadline,
                "unshare did not make a namespace"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        ns
    }

    fn pid(&self) -> String {
        self.holder.id().to_string()
    }

    fn path(&self) -> String {
        format!("/proc/{}/ns/net", self.holder.id())
    }

    /// Runs `script` with `sh` inside; `$IBOX` is the binary under test.
    /// Panics when it fails.
    fn sh(&self, script: &str) {
        let o = self.run(&["sh", "-ec", script]);
        assert!(
            o.status.success(),
            "`{script}` failed: {}{}",
            common::stdout(&o),
            common::stderr(&o)
        );
    }

    /// Runs `argv` inside.
    fn run(&self, argv: &[&str]) -> Output {
        Command::new("nsenter")
            .args(["-t", &self.pid(), "-n", "--"])
            .args(argv)
            .env("IBOX", IBOX)
            .stdin(Stdio::null())
            .output()
            .expect("run nsenter")
    }

    /// `ibox fw ARGS` inside.
    fn fw(&self, args: &[&str]) -> Output {
        let mut argv = vec![IBOX, "fw"];
        argv.extend_from_slice(args);
        self.run(&argv)
    }

    /// Loads `config` (written to `file`), asserting that it loads.
    fn reload(&self, file: &std::path::Path, config: &str) {
        std::fs::write(file, config).expect("write config");
        let o = self.fw(&["reload", "-c", &file.to_string_lossy()]);
        assert!(
            o.status.success(),
            "fw reload failed: {}",
            common::stderr(&o)
        );
    }

    /// Listens on TCP `port` inside, on every address, accepting for a
    /// while; the peers of accepted connections arrive on the channel.
    fn listen(&self, port: u16) -> mpsc::Receiver<SocketAddr> {
        let path = self.path();
        let (bound_tx, bound_rx) = mpsc::channel();
        let (peer_tx, peer_rx) = mpsc::channel();
        std::thread::spawn(move || {
            enter(&path);
            let listener = TcpListener::bind(("0.0.0.0", port)).expect("bind");
            listener.set_nonblocking(true).expect("nonblocking");
            let _ = bound_tx.send(());
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                match listener.accept() {
                    Ok((_, peer)) => {
                        if peer_tx.send(peer).is_err() {
                            return;
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        bound_rx.recv().expect("listener bound");
        peer_rx
    }

    /// Whether a TCP connection from inside to `to` is made within a
    /// second and a half.
    fn connects(&self, to: &str) -> bool {
        let path = self.path();
        let to: SocketAddr = to.parse().expect("address");
        std::thread::spawn(move || {
            enter(&path);
            TcpStream::connect_timeout(&to, Duration::from_millis(1500)).is_ok()
        })
        .join()
        .expect("connect thread")
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// Moves the calling thread into the network namespace at `path`.
fn enter(path: &str) {
    let ns = File::open(path).expect("open netns");
    // SAFETY: setns only changes this thread's network namespace; the fd
    // is valid for the call.
    let rc = unsafe { nix::libc::setns(ns.as_raw_fd(), nix::libc::CLONE_NEWNET) };
    assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
}

/// Whether namespaces joined by veth pairs can be made here.
fn netns_available() -> bool {
    let ok = Command::new("unshare")
        .args(["-n", "sh", "-c", "ip link add v0 type veth peer name v1"])
        .output()
        .is_ok_and(|o| o.status.success())
        && Command::new("nsenter")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: skipping: cannot make network namespaces with veth pairs here");
    }
    ok
}

/// Joins `a` and `b` with a veth pair: `a_end` in `a` with `a_addr`,
/// `b_end` in `b` with `b_addr` (addresses with their prefix).
fn link(a: &Netns, a_end: &str, a_addr: &str, b: &Netns, b_end: &str, b_addr: &str) {
    a.sh(&format!(
        "ip link add {a_end} type veth peer name {b_end} netns {}\n\
         ip addr add {a_addr} dev {a_end}\nip link set {a_end} up\nip link set lo up",
        b.pid()
    ));
    b.sh(&format!(
        "ip addr add {b_addr} dev {b_end}\nip link set {b_end} up\nip link set lo up"
    ));
}

#[test]
fn check_reports_file_and_line() {
    let dir = common::scratch("check");
    let good = dir.path("good.conf");
    std::fs::write(
        &good,
        "zone lan { interfaces br-lan; }\nzone wan { interfaces eth0; input drop; masquerade; }\n\
         forwarding lan -> wan\nrule ssh { zone wan; proto tcp; dport 22; accept; }\n",
    )
    .expect("write");
    let o = common::ibox(&["fw", "check", "-c", &good.to_string_lossy()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert_eq!(common::stdout(&o), "");

    let bad = dir.path("bad.conf");
    std::fs::write(
        &bad,
        "zone lan { interfaces br-lan; }\n\nforwarding lan -> wan\n",
    )
    .expect("write");
    let o = common::ibox(&["fw", "check", "-c", &bad.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        common::stderr(&o),
        format!("{}:3: unknown zone 'wan'\n", bad.display())
    );

    let o = common::ibox(&["fw", "print", "-c", &good.to_string_lossy()]);
    assert!(o.status.success());
    let listing = common::stdout(&o);
    assert!(listing.starts_with("table inet ibex {\n"), "{listing}");
    assert!(
        listing.contains("\t\tmeta l4proto tcp th dport 22 counter packets 0 bytes 0 accept\n"),
        "{listing}"
    );
}

#[test]
fn input_policy_drops_all_but_the_allowed_port() {
    if !netns_available() {
        return;
    }
    let dir = common::scratch("input");
    let (host, peer) = (Netns::new(), Netns::new());
    link(&host, "h0", "10.9.0.1/24", &peer, "p0", "10.9.0.2/24");
    let allowed = host.listen(7001);
    let _other = host.listen(7002);
    assert!(
        peer.connects("10.9.0.1:7002"),
        "no connection before the firewall"
    );

    let config = dir.path("firewall.conf");
    host.reload(
        &config,
        "zone outside { interfaces h0; input drop; }\n\
         rule allowed { zone outside; proto tcp; dport 7001; accept; }\n",
    );
    assert!(peer.connects("10.9.0.1:7001"), "the allowed port is closed");
    assert_eq!(
        allowed
            .recv_timeout(Duration::from_secs(5))
            .map(|p| p.ip().to_string()),
        Ok("10.9.0.2".to_string())
    );
    assert!(!peer.connects("10.9.0.1:7002"), "the dropped port is open");
    // The host's own connections out still work (established replies).
    let _back = peer.listen(7003);
    assert!(host.connects("10.9.0.2:7003"));

    // The rule's counter saw the connection.
    let shown = common::stdout(&host.fw(&["show"]));
    assert!(shown.contains("chain input_outside {"), "{shown}");
    assert!(
        shown.contains("\t\ttype filter hook input priority 0; policy drop;\n"),
        "{shown}"
    );
    assert!(
        shown.contains("\t\tiifname \"h0\" jump input_outside # handle "),
        "{shown}"
    );
    assert!(
        !shown.contains("th dport 7001 counter packets 0 "),
        "the allowed rule counted nothing: {shown}"
    );

    // Flushed, everything is open again, and a second flush is no error.
    let o = host.fw(&["flush"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert_eq!(common::stdout(&host.fw(&["show"])), "");
    assert!(peer.connects("10.9.0.1:7002"), "flush left the port closed");
    assert!(host.fw(&["flush"]).status.success());
}

/// client (lan) — router — server (wan): the router masquerades out of
/// wan and forwards port 8080 of its wan address to the client's port 80
/// when the configuration says so.
#[test]
fn masquerade_and_port_forward_through_a_router() {
    if !netns_available() {
        return;
    }
    let dir = common::scratch("router");
    let (client, router, server) = (Netns::new(), Netns::new(), Netns::new());
    link(
        &router,
        "r-lan",
        "192.168.7.1/24",
        &client,
        "c0",
        "192.168.7.2/24",
    );
    link(
        &router,
        "r-wan",
        "10.8.0.1/24",
        &server,
        "s0",
        "10.8.0.2/24",
    );
    client.sh("ip route add default via 192.168.7.1");
    // The server could answer the client directly: only masquerading
    // makes it see the router instead.
    server.sh("ip route add 192.168.7.0/24 via 10.8.0.1");
    router.sh("echo 1 > /proc/sys/net/ipv4/ip_forward");

    let zones = "zone lan { interfaces r-lan; input accept; forward accept; }\n\
                 zone wan { interfaces r-wan; input drop; forward drop; masquerade; }\n\
                 forwarding lan -> wan\n";
    let config = dir.path("firewall.conf");
    router.reload(&config, zones);

    let at_server = server.listen(9000);
    assert!(client.connects("10.8.0.2:9000"), "lan cannot reach wan");
    assert_eq!(
        at_server
            .recv_timeout(Duration::from_secs(5))
            .map(|p| p.ip().to_string()),
        Ok("10.8.0.1".to_string()),
        "the server did not see the router's address"
    );

    // wan may not reach lan, and no port is forwarded yet.
    let at_client = client.listen(80);
    assert!(
        !server.connects("192.168.7.2:80"),
        "wan reaches lan directly"
    );
    assert!(
        !server.connects("10.8.0.1:8080"),
        "a port is forwarded undeclared"
    );

    router.reload(
        &config,
        &format!("{zones}redirect web {{ from wan; proto tcp; dport 8080; to 192.168.7.2:80; }}\n"),
    );
    assert!(
        server.connects("10.8.0.1:8080"),
        "the declared port forward does not work"
    );
    assert_eq!(
        at_client
            .recv_timeout(Duration::from_secs(5))
            .map(|p| p.ip().to_string()),
        Ok("10.8.0.2".to_string())
    );
    // Only the forwarded connection passes, not the client at large.
    assert!(
        !server.connects("192.168.7.2:80"),
        "the port forward opened lan"
    );
}

#[test]
fn a_broken_file_leaves_the_running_rules_alone() {
    if !netns_available() {
        return;
    }
    let dir = common::scratch("broken");
    let ns = Netns::new();
    let config = dir.path("firewall.conf");
    ns.reload(
        &config,
        "zone wan { interfaces eth0; input drop; }\nrule ssh { zone wan; proto tcp; dport 22; accept; }\n",
    );
    let before = ns.fw(&["show"]);
    assert!(common::stdout(&before).contains("table inet ibex {"));

    let broken = dir.path("broken.conf");
    std::fs::write(
        &broken,
        "zone wan { interfaces eth0; input drop; }\n\nrule ssh { zone wan; proto tcp; dport 99999; accept; }\n",
    )
    .expect("write");
    let o = ns.fw(&["reload", "-c", &broken.to_string_lossy()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        common::stderr(&o),
        format!(
            "{}:3: bad port '99999': use 1-65535 or a range A-B\n",
            broken.display()
        )
    );
    assert_eq!(common::stdout(&ns.fw(&["show"])), common::stdout(&before));

    // Reloading replaces the table rather than adding to it.
    ns.reload(&config, "zone lan { interfaces eth1; }\n");
    let after = common::stdout(&ns.fw(&["show"]));
    assert!(
        after.contains("jump input_lan") && !after.contains("input_wan"),
        "{after}"
    );
    assert_eq!(after.matches("table inet ibex").count(), 1);
}
