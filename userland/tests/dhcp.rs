//! `udhcpc` and `udhcpd` on a real link: each test makes two fresh network
//! namespaces (`unshare -n`), a server side and a client side joined by a
//! veth pair (v0 10.9.0.1/24 on the server, v1 on the client with a fixed
//! MAC), and runs the programs in them with `nsenter`. The host's network
//! is never touched. BusyBox's `udhcpd` and `udhcpc` (busybox-static)
//! check interoperation both ways.
//!
//! The client's script is the shipped default script run by ibox's own
//! `sh`, with ibox's `ip` and `mv` first in PATH, logging each event.
//!
//! Tests print a note and pass when namespaces cannot be made (not root,
//! no `unshare`), or when BusyBox is missing for the interop ones.

mod common;

use common::{scratch, Scratch, IBOX};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

const BUSYBOX: &str = "/bin/busybox";
const CLIENT_MAC: &str = "02:00:00:00:00:01";
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/share/udhcpc/default.script");

/// Which namespace.
#[derive(Clone, Copy)]
enum Side {
    Server,
    Client,
}

/// Two namespaces joined by a veth pair, and a scratch directory.
struct Net {
    server: Child,
    client: Child,
    dir: Scratch,
    /// Programs started in the namespaces, ended on drop.
    started: Vec<Child>,
}

/// Whether network namespaces can be made here.
fn netns_available() -> bool {
    let ok = common::is_root()
        && Command::new("unshare")
            .args(["-n", "true"])
            .output()
            .is_ok_and(|o| o.status.success())
        && Command::new("nsenter")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: skipping: `unshare -n`/`nsenter` are not available here");
    }
    ok
}

fn busybox_available() -> bool {
    let ok = Path::new(BUSYBOX).exists();
    if !ok {
        eprintln!("note: skipping: {BUSYBOX} is not installed");
    }
    ok
}

/// A process sitting in a new network namespace, once it is in it.
fn namespace_holder() -> Child {
    let child = Command::new("unshare")
        .args(["-n", "sleep", "600"])
        .spawn()
        .expect("unshare");
    let ours = std::fs::read_link("/proc/self/ns/net").expect("own netns");
    let theirs = format!("/proc/{}/ns/net", child.id());
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_link(&theirs).is_ok_and(|l| l == ours) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

impl Net {
    fn new(name: &str) -> Option<Net> {
        if !netns_available() {
            return None;
        }
        let net = Net {
            server: namespace_holder(),
            client: namespace_holder(),
            dir: scratch(name),
            started: Vec::new(),
        };
        let client_pid = net.client.id().to_string();
        let o = net.sh(
            Side::Server,
            &format!(
                "set -e; ip link add v0 type veth peer name v1 netns {client_pid}
                 ip addr add 10.9.0.1/24 dev v0; ip link set v0 up; ip link set lo up"
            ),
        );
        assert!(o.status.success(), "server side: {}", common::stderr(&o));
        let o = net.sh(
            Side::Client,
            &format!(
                "set -e; ip link set v1 address {CLIENT_MAC}; ip link set v1 up; ip link set lo up"
            ),
        );
        assert!(o.status.success(), "client side: {}", common::stderr(&o));
        // The client's tools: ibox's `ip` and `mv` before the host's.
        std::fs::create_dir(net.dir.path("bin")).expect("bin");
        for tool in ["ip", "mv"] {
            std::os::unix::fs::symlink(IBOX, net.dir.path(&format!("bin/{tool}"))).expect("link");
        }
        // The default script under ibox's `sh`, logging each event first.
        let body = std::fs::read_to_string(SCRIPT).expect("default script");
        let body = body.split_once('\n').map_or("", |(_, rest)| rest);
        let script = format!(
            "#!{IBOX} sh\necho \"$1 ${{ip:-}} ${{lease:-}} ${{opt53:-}}\" >> {}\n{body}",
            net.dir.path("events").display()
        );
        let path = net.dir.path("script");
        std::fs::write(&path, script).expect("script");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        Some(net)
    }

    fn pid(&self, side: Side) -> String {
        match side {
            Side::Server => self.server.id(),
            Side::Client => self.client.id(),
        }
        .to_string()
    }

    /// A command run inside the namespace of `side`.
    fn cmd(&self, side: Side, args: &[&str]) -> Command {
        let mut c = Command::new("nsenter");
        c.args(["-t", &self.pid(side), "-n", "--"])
            .args(args)
            .current_dir(&*self.dir)
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    self.dir.path("bin").display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("RESOLV_CONF", self.dir.path("resolv.conf"));
        c
    }

    fn sh(&self, side: Side, script: &str) -> Output {
        self.cmd(side, &["sh", "-c", script])
            .output()
            .expect("nsenter")
    }

    /// Starts a server (ibox's or BusyBox's) on `conf`, its messages in
    /// `log`, and waits until it says it started.
    fn start_server(&mut self, program: &[&str], conf: &Path, log: &str) {
        let log = self.dir.path(log);
        let out = File::create(&log).expect("log");
        let mut args: Vec<&str> = program.to_vec();
        let conf = conf.to_str().expect("utf-8 path");
        args.extend(["-f", conf]);
        let child = self
            .cmd(Side::Server, &args)
            .stdout(out.try_clone().expect("dup"))
            .stderr(out)
            .spawn()
            .expect("server");
        self.started.push(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !read(&log).contains("started") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        // The socket is bound just before the message; give it a moment.
        std::thread::sleep(Duration::from_millis(100));
    }

    /// Stops the servers started so far with SIGTERM and waits for them.
    fn stop_servers(&mut self) {
        for mut c in self.started.drain(..) {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let _ = c.wait();
        }
    }

    /// Runs `udhcpc` (ibox's unless `program` says otherwise) until it has
    /// a lease (`-q`), at most 30 s.
    fn lease(&self, program: &[&str], extra: &[&str]) -> Output {
        let script = self.dir.path("script");
        let mut args: Vec<&str> = vec!["timeout", "30"];
        args.extend(program);
        args.extend([
            "-i",
            "v1",
            "-s",
            script.to_str().expect("utf-8 path"),
            "-f",
            "-q",
            "-n",
            "-t",
            "5",
            "-T",
            "1",
        ]);
        args.extend(extra);
        self.cmd(Side::Client, &args).output().expect("udhcpc")
    }

    /// Whether `ip` leaves v1 within 10 s (the script logs the event
    /// before it acts).
    fn address_gone(&self, ip: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if !self.client_addresses().contains(&format!("inet {ip}/")) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn client_addresses(&self) -> String {
        common::stdout(&self.sh(Side::Client, "ip -4 addr show dev v1; ip -4 route"))
    }

    /// Writes a udhcpd configuration for v0 with `extra` lines.
    fn conf(&self, extra: &str) -> PathBuf {
        let path = self.dir.path("udhcpd.conf");
        std::fs::write(
            &path,
            format!(
                "start 10.9.0.10\nend 10.9.0.20\ninterface v0\n\
                 lease_file {dir}/leases\npidfile {dir}/udhcpd.pid\n\
                 opt subnet 255.255.255.0\nopt router 10.9.0.1\n\
                 opt dns 10.9.0.1 10.9.0.2\nopt domain test.lan\n{extra}",
                dir = self.dir.display()
            ),
        )
        .expect("conf");
        path
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        self.stop_servers();
        for c in [&mut self.server, &mut self.client] {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A client started by a test, killed if the test fails before it ends.
struct Running(common::Reaped);

impl Running {
    /// Starts ibox's udhcpc on v1 with `extra` options, its messages in
    /// `client.log`.
    fn client(net: &Net, extra: &[&str]) -> Running {
        let script = net.dir.path("script");
        let log = File::create(net.dir.path("client.log")).expect("log");
        let mut args = vec![
            IBOX,
            "udhcpc",
            "-i",
            "v1",
            "-s",
            script.to_str().expect("utf-8 path"),
            "-f",
            "-T",
            "1",
        ];
        args.extend(extra);
        Running(common::Reaped(
            net.cmd(Side::Client, &args)
                .stderr(log)
                .spawn()
                .expect("udhcpc"),
        ))
    }

    fn signal(&self, s: &str) {
        let _ = Command::new("kill")
            .args([s, &self.0.id().to_string()])
            .status();
    }

    /// Sends SIGTERM and returns the exit status.
    fn stop(mut self) -> Option<i32> {
        self.signal("-TERM");
        self.0.wait().ok().and_then(|s| s.code())
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Asserts that `o` (a udhcpc run) got `ip` and the script configured it.
fn assert_bound(net: &Net, o: &Output, ip: &str) {
    assert!(
        o.status.success(),
        "udhcpc failed: {}\nserver: {}",
        common::stderr(o),
        read(&net.dir.path("server.log"))
    );
    let addrs = net.client_addresses();
    assert!(addrs.contains(&format!("inet {ip}/24")), "{addrs}");
    assert!(addrs.contains("default via 10.9.0.1 dev v1"), "{addrs}");
    let events = read(&net.dir.path("events"));
    assert!(events.contains(&format!("bound {ip} ")), "{events}");
}

#[test]
fn ibox_client_gets_a_lease_from_ibox_server() {
    let Some(mut net) = Net::new("lease") else {
        return;
    };
    let conf = net.conf("opt lease 600\nopt staticroutes 10.99.0.0/16 10.9.0.1\n");
    net.start_server(&[IBOX, "udhcpd"], &conf, "server.log");
    let o = net.lease(
        &[IBOX, "udhcpc"],
        &["-x", "hostname:boxy", "-O", "staticroutes"],
    );
    assert_bound(&net, &o, "10.9.0.10");
    let routes = net.client_addresses();
    assert!(
        routes.contains("10.99.0.0/16 via 10.9.0.1 dev v1"),
        "{routes}"
    );
    // BusyBox's script protocol: deconfig first, then bound with the lease.
    let events = read(&net.dir.path("events"));
    assert!(
        events.starts_with("deconfig") && events.contains("bound 10.9.0.10 600 05"),
        "{events}"
    );
    assert_eq!(
        read(&net.dir.path("resolv.conf")),
        "search test.lan\nnameserver 10.9.0.1\nnameserver 10.9.0.2\n"
    );
    let leases = read(&net.dir.path("leases"));
    assert!(
        leases.contains(&format!("{CLIENT_MAC} 10.9.0.10 ")) && leases.contains(" boxy"),
        "{leases}"
    );
    assert_eq!(read(&net.dir.path("leases.hosts")), "10.9.0.10 boxy\n");
}

#[test]
fn static_lease_is_honoured() {
    let Some(mut net) = Net::new("static") else {
        return;
    };
    let conf = net.conf(&format!("static_lease {CLIENT_MAC} 10.9.0.77\n"));
    net.start_server(&[IBOX, "udhcpd"], &conf, "server.log");
    let o = net.lease(&[IBOX, "udhcpc"], &[]);
    assert_bound(&net, &o, "10.9.0.77");
}

#[test]
fn leases_survive_a_server_restart() {
    let Some(mut net) = Net::new("restart") else {
        return;
    };
    let conf = net.conf("");
    net.start_server(&[IBOX, "udhcpd"], &conf, "server.log");
    let o = net.lease(&[IBOX, "udhcpc"], &[]);
    assert_bound(&net, &o, "10.9.0.10");
    net.stop_servers();
    net.start_server(&[IBOX, "udhcpd"], &conf, "server2.log");
    // Another client first: it must not be given the first client's address.
    let o = net.sh(Side::Client, "ip link set v1 address 02:00:00:00:00:02");
    assert!(o.status.success());
    let o = net.lease(&[IBOX, "udhcpc"], &[]);
    assert_bound(&net, &o, "10.9.0.11");
    // The first client again: its address from before the restart.
    let o = net.sh(
        Side::Client,
        &format!("ip link set v1 address {CLIENT_MAC}"),
    );
    assert!(o.status.success());
    let o = net.lease(&[IBOX, "udhcpc"], &[]);
    assert_bound(&net, &o, "10.9.0.10");
}

#[test]
fn ibox_client_with_busybox_server() {
    if !busybox_available() {
        return;
    }
    let Some(mut net) = Net::new("bbserver") else {
        return;
    };
    // BusyBox's lease file is its own binary format: a file of its own.
    let conf = net.conf("max_leases 11\n");
    let text = read(&conf).replace("/leases\n", "/bb.leases\n");
    std::fs::write(&conf, text).expect("conf");
    net.start_server(&[BUSYBOX, "udhcpd"], &conf, "server.log");
    let o = net.lease(&[IBOX, "udhcpc"], &[]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let addrs = net.client_addresses();
    assert!(addrs.contains("inet 10.9.0.1"), "{addrs}");
    assert!(addrs.contains("default via 10.9.0.1 dev v1"), "{addrs}");
    assert!(read(&net.dir.path("resolv.conf")).contains("nameserver 10.9.0.2"));
}

#[test]
fn busybox_client_with_ibox_server() {
    if !busybox_available() {
        return;
    }
    let Some(mut net) = Net::new("bbclient") else {
        return;
    };
    let conf = net.conf("opt lease 600\n");
    net.start_server(&[IBOX, "udhcpd"], &conf, "server.log");
    let o = net.lease(&[BUSYBOX, "udhcpc"], &["-x", "hostname:bbox"]);
    assert_bound(&net, &o, "10.9.0.10");
    // BusyBox hands the script what ibox's client hands it.
    let events = read(&net.dir.path("events"));
    assert!(events.contains("bound 10.9.0.10 600 05"), "{events}");
    assert_eq!(read(&net.dir.path("leases.hosts")), "10.9.0.10 bbox\n");
}

#[test]
fn short_lease_is_renewed() {
    let Some(mut net) = Net::new("renew") else {
        return;
    };
    let conf = net.conf("opt lease 10\nmin_lease 1\n");
    net.start_server(&[IBOX, "udhcpd"], &conf, "server.log");
    // T1 is 5 s: after 8 s the client has renewed once.
    let client = Running::client(&net, &[]);
    std::thread::sleep(Duration::from_secs(8));
    assert_eq!(client.stop(), Some(0));
    let err = read(&net.dir.path("client.log"));
    assert!(err.contains("sending renew to server 10.9.0.1"), "{err}");
    let events = read(&net.dir.path("events"));
    assert!(
        events.contains("bound 10.9.0.10 10") && events.contains("renew 10.9.0.10 10"),
        "{events}"
    );
    let log = read(&net.dir.path("server.log"));
    assert_eq!(log.matches("sending ACK to 10.9.0.10").count(), 2, "{log}");
    assert!(net.client_addresses().contains("inet 10.9.0.10/24"));
}

#[test]
fn malformed_packets_do_not_stop_the_server() {
    let Some(mut net) = Net::new("malformed") else {
        return;
    };
    let conf = net.conf("");
    net.start_server(&[IBOX, "udhcpd"], &conf, "server.log");
    // A valid request's header and cookie, then broken options.
    let mut header = vec![0u8; 240];
    header[..4].copy_from_slice(&[1, 1, 6, 0]);
    header[236..240].copy_from_slice(&[99, 130, 83, 99]);
    let with = |tail: &[u8]| {
        let mut p = header.clone();
        p.extend_from_slice(tail);
        p
    };
    let packets: Vec<Vec<u8>> = vec![
        b"junk".to_vec(),
        vec![0u8; 239],
        header[..236].to_vec(),
        with(&[53, 200, 1]),
        with(&[53, 2, 1, 1, 255]),
        with(&[52, 1, 7, 255]),
        with(&[53, 1, 1, 50, 3, 1, 2, 3, 255]),
        with(&[121, 5, 33, 1, 2, 3, 4, 255]),
        with(&[53, 1, 1, 52, 1, 3, 255]),
    ];
    let mut send = String::from("set -e; ip addr add 10.9.0.99/24 dev v1\n");
    for (i, p) in packets.iter().enumerate() {
        let name = format!("p{i}");
        std::fs::write(net.dir.path(&name), p).expect("packet");
        // One write, one datagram.
        send.push_str(&format!("cat {name} > /dev/udp/10.9.0.1/67\n"));
    }
    let o = net
        .cmd(Side::Client, &["bash", "-c", &send])
        .output()
        .expect("bash");
    assert!(o.status.success(), "{}", common::stderr(&o));
    std::thread::sleep(Duration::from_millis(300));
    let log = read(&net.dir.path("server.log"));
    assert!(log.matches("bad packet from").count() >= 6, "{log}");
    // Still serving.
    let o = net.sh(Side::Client, "ip -4 addr flush dev v1");
    assert!(o.status.success());
    let o = net.lease(&[IBOX, "udhcpc"], &[]);
    assert_bound(&net, &o, "10.9.0.10");
}

#[test]
fn config_errors_name_file_and_line() {
    let dir = scratch("conf");
    let conf = dir.path("udhcpd.conf");
    std::fs::write(&conf, "start 10.0.0.1\nopt dns 10.0.0.300\n").expect("conf");
    let o = common::ibox(&["udhcpd", "-f", conf.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        common::stderr(&o),
        format!(
            "udhcpd: {}:2: bad IP address '10.0.0.300'\n",
            conf.display()
        )
    );
    std::fs::write(&conf, "frobnicate yes\n").expect("conf");
    let o = common::ibox(&["udhcpd", "-f", conf.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(common::stderr(&o).contains(":1: unknown keyword 'frobnicate'"));
}

/// Waits until `path` contains `needle` `times` times, at most 15 s.
fn wait_count(path: &Path, needle: &str, times: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if read(path).matches(needle).count() >= times {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Waits until `path` contains `needle`, at most 15 s.
fn wait_for(path: &Path, needle: &str) -> bool {
    wait_count(path, needle, 1)
}

#[test]
fn signals_release_and_renew() {
    let Some(mut net) = Net::new("signals") else {
        return;
    };
    let conf = net.conf("opt lease 600\n");
    net.start_server(&[IBOX, "udhcpd"], &conf, "server.log");
    let client = Running::client(&net, &["-R"]);
    let signal = |s: &str| client.signal(s);
    let events = net.dir.path("events");
    let server_log = net.dir.path("server.log");
    assert!(wait_for(&events, "bound 10.9.0.10"), "{}", read(&events));
    // SIGUSR2: release, the script deconfigures, the server frees it.
    signal("-USR2");
    assert!(
        wait_for(&server_log, "released 10.9.0.10"),
        "{}",
        read(&server_log)
    );
    assert!(wait_count(&events, "deconfig", 2), "{}", read(&events));
    assert!(net.address_gone("10.9.0.10"));
    // SIGUSR1 from the released state: a new lease.
    signal("-USR1");
    assert!(
        wait_count(&events, "bound 10.9.0.10", 2),
        "{}",
        read(&events)
    );
    // SIGUSR1 while bound: a renewal (a third ACK without an offer).
    std::thread::sleep(Duration::from_millis(500));
    signal("-USR1");
    assert!(wait_for(&events, "renew 10.9.0.10"), "{}", read(&events));
    // SIGTERM with -R: released on the way out.
    assert_eq!(client.stop(), Some(0));
    let log = read(&server_log);
    assert_eq!(log.matches("released 10.9.0.10").count(), 2, "{log}");
    assert!(net.address_gone("10.9.0.10"));
}

#[test]
fn unanswered_renewal_rebinds_then_expires() {
    let Some(mut net) = Net::new("expiry") else {
        return;
    };
    let conf = net.conf("opt lease 10\nmin_lease 1\n");
    net.start_server(&[IBOX, "udhcpd"], &conf, "server.log");
    let client = Running::client(&net, &[]);
    let events = net.dir.path("events");
    assert!(wait_for(&events, "bound 10.9.0.10"), "{}", read(&events));
    // No server: renewing at 5 s, rebinding at 7 s, expiry at 10 s.
    net.stop_servers();
    assert!(wait_count(&events, "deconfig", 2), "{}", read(&events));
    let log = read(&net.dir.path("client.log"));
    assert!(
        log.contains("sending renew to server 10.9.0.1")
            && log.contains("broadcasting renew")
            && log.contains("lease lost, entering init state"),
        "{log}"
    );
    assert!(net.address_gone("10.9.0.10"));
    // Back to discovering: a server that comes back gives the lease again.
    net.start_server(&[IBOX, "udhcpd"], &conf, "server2.log");
    assert!(
        wait_count(&events, "bound 10.9.0.10", 2),
        "{}",
        read(&events)
    );
    assert_eq!(client.stop(), Some(0));
}

#[test]
fn no_server_means_leasefail() {
    let Some(net) = Net::new("leasefail") else {
        return;
    };
    // -n: exit 1 after -t discovers without an answer.
    let o = net.lease(&[IBOX, "udhcpc"], &["-t", "2"]);
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
    let err = common::stderr(&o);
    assert_eq!(err.matches("broadcasting discover").count(), 2, "{err}");
    assert!(err.contains("no lease, failing"), "{err}");
    let events = read(&net.dir.path("events"));
    assert_eq!(events, "deconfig   \nleasefail   \n");
}

#[test]
fn refused_renewal_gets_nak_and_starts_over() {
    let Some(mut net) = Net::new("nak") else {
        return;
    };
    let conf = net.conf("opt lease 600\n");
    net.start_server(&[IBOX, "udhcpd"], &conf, "server.log");
    let client = Running::client(&net, &[]);
    let events = net.dir.path("events");
    assert!(wait_for(&events, "bound 10.9.0.10"), "{}", read(&events));
    // The server forgets the lease and now reserves the address for
    // another machine: the renewal is refused.
    net.stop_servers();
    std::fs::remove_file(net.dir.path("leases")).expect("lease file");
    let text = read(&conf) + "static_lease 02:00:00:00:00:99 10.9.0.10\n";
    std::fs::write(&conf, text).expect("conf");
    net.start_server(&[IBOX, "udhcpd"], &conf, "server2.log");
    client.signal("-USR1");
    assert!(wait_for(&events, "bound 10.9.0.11"), "{}", read(&events));
    let events = read(&events);
    let nak = events.find("nak").expect("nak event");
    assert!(events[nak..].contains("deconfig"), "{events}");
    assert!(read(&net.dir.path("server2.log")).contains("sending NAK"));
    assert!(net.address_gone("10.9.0.10"));
    assert_eq!(client.stop(), Some(0));
}
