//! Issue 10's first scenario, three real systems wired together with
//! [`Cable`]s: "upstream" (the net-upstream image: DHCP server, DNS zone,
//! web server on 10.0.0.1) ↔ router (the router image) ↔ a client (the
//! default image). Everything is checked from inside the guests over their
//! consoles: the router's WAN lease, the client's LAN lease, a name resolved
//! through the router, a page fetched through its NAT (upstream logs the
//! router's address, not the client's), inbound connections dropped unless
//! a port forward is declared; garbage sent at its DHCP and DNS servers
//! does not stop them, and a broken firewall file leaves the running rules
//! in place. The router's system log (syslogd, klogd) is written locally
//! and forwarded to upstream, and its clock, set back to 2001, is set
//! again from upstream's ntpd. The router runs in 64 MB of RAM.

use ibex_tests::{build_image, default_image, wired_command, Cable, Vm};

/// Runs `check` in the guest's shell once a second until it succeeds (at
/// most `tries` times); returns its last output.
fn eventually(vm: &mut Vm, check: &str, tries: u32) -> String {
    vm.ok(&format!(
        "i=0; until {check} >/dev/null 2>&1; do i=$((i+1)); [ $i -ge {tries} ] && break; sleep 1; done; {check}"
    ))
}

#[test]
fn client_behind_the_router_reaches_upstream_through_nat() {
    let upstream_image = build_image("qemu-x86_64", "net-upstream", None).expect("net-upstream");
    let router_image = build_image("qemu-x86_64", "router", None).expect("router");
    let wan = Cable::new();
    let lan = Cable::new();
    let mut upstream = Vm::boot_wired(&upstream_image, &[wan.end(0)]);
    // The router runs in 64 MB of RAM, as small routers have.
    let mut router_cmd = wired_command(&router_image, &[wan.end(1), lan.end(0)]);
    router_cmd.args(["-m", "64"]);
    let mut router = Vm::boot_command(router_cmd);
    let mut client = Vm::boot_wired(default_image(), &[lan.end(1)]);

    // The router's WAN address comes from upstream's pool.
    let wan_addr = eventually(
        &mut router,
        "ip -4 -o addr show dev eth0 | grep -o 'inet 10\\.0\\.0\\.[0-9]*'",
        60,
    );
    let wan_ip = wan_addr.trim_start_matches("inet ").to_string();
    let memory = router.ok("free -k");
    println!("router: memory in use after boot, 64 MB machine:\n{memory}");
    let total_kib: u64 = memory
        .lines()
        .find(|l| l.starts_with("Mem:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|t| t.parse().ok())
        .expect("free's Mem: line");
    assert!(total_kib < 64 * 1024, "{memory}");
    assert!(wan_ip.starts_with("10.0.0.1"), "{wan_ip}");
    let lease = upstream.ok("cat /var/lib/udhcpd/udhcpd.leases.hosts; echo; ls /var/lib/udhcpd");
    assert!(lease.contains("udhcpd.leases"), "{lease}");

    // The client gets a LAN lease from the router, with the router as its
    // gateway and name server.
    client.ok("ip link set lo up");
    client.ok("udhcpc -i eth0 -n -q -t 10 -T 2");
    let addr = client.ok("ip -4 -o addr show dev eth0");
    assert!(addr.contains("inet 192.168.1.1"), "{addr}");
    let resolv = client.ok("cat /etc/resolv.conf");
    assert!(resolv.contains("nameserver 192.168.1.1"), "{resolv}");

    // A name of upstream's zone, resolved through the router's dnsd.
    let answer = client.ok("nslookup www.example.net");
    assert!(answer.contains("10.0.0.1"), "{answer}");

    // Garbage at the router's DHCP and DNS servers (as a broken or hostile
    // client sends): they drop it and go on serving.
    client.ok(
        "for i in 1 2 3 4 5; do head -c 512 /dev/urandom | nc -u -w 1 192.168.1.1 67; \
         head -c 100 /dev/urandom | nc -u -w 1 192.168.1.1 53; done; true",
    );
    let answer = client.ok("nslookup www.example.net");
    assert!(answer.contains("10.0.0.1"), "dnsd after garbage: {answer}");
    client.ok("udhcpc -i eth0 -n -q -t 10 -T 2");
    router.ok("pidof udhcpd && pidof dnsd");

    // A broken firewall file is refused with its line, and the running
    // rules stay as they were.
    // Counters move with traffic; the rules themselves must not.
    let rules = |vm: &mut Vm| -> String {
        vm.ok("fw show")
            .split_whitespace()
            .scan(false, |skip, w| {
                let keep = !*skip && w != "counter";
                *skip = matches!(w, "packets" | "bytes");
                Some(if keep && !matches!(w, "packets" | "bytes") {
                    w
                } else {
                    ""
                })
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let before = rules(&mut router);
    router.ok("cp /etc/firewall.conf /tmp/broken.conf && echo 'rule oops { zone nowhere; accept; }' >> /tmp/broken.conf");
    let refused = router.run("fw reload -c /tmp/broken.conf");
    assert_eq!(refused.status, 1, "{}", refused.text);
    assert!(
        refused.text.contains("/tmp/broken.conf:"),
        "{}",
        refused.text
    );
    assert_eq!(rules(&mut router), before);

    // A page fetched from upstream through the router's NAT: upstream sees
    // the router's WAN address, never the client's.
    let page = client.ok("wget -q -O - http://www.example.net/");
    assert_eq!(page, "upstream web page");
    let log = upstream.ok("cat /var/log/httpd.log");
    assert!(log.contains(&format!("{wan_ip}:")), "{log}");
    assert!(!log.contains("192.168.1."), "{log}");

    // Upstream cannot open a port on the client while no forward is
    // declared; once the router declares one, it can.
    client.ok("mkdir -p /srv && echo client page > /srv/index.html");
    client.ok("httpd -p 80 -h /srv");
    let refused = upstream.run(&format!("wget -q -T 5 -O - http://{wan_ip}:8080/"));
    assert_ne!(refused.status, 0, "{}", refused.text);
    let client_ip = addr
        .split_whitespace()
        .skip_while(|w| *w != "inet")
        .nth(1)
        .and_then(|a| a.split('/').next())
        .expect("client address")
        .to_string();
    router.ok(&format!(
        "printf 'redirect web {{ from wan; proto tcp; dport 8080; to {client_ip}:80; }}\\n' >> /etc/firewall.conf && fw reload"
    ));
    let page = upstream.ok(&format!("wget -q -T 10 -O - http://{wan_ip}:8080/"));
    assert_eq!(page, "client page");

    // The system log: upstream listens on the syslog port, the router's
    // syslogd (-L -R 10.0.0.1) writes what logger sends to
    // /var/log/messages and forwards it there; klogd's kernel lines are in
    // the file too.
    upstream.ok("nc -u -l -p 514 > /tmp/remote.log 2>/dev/null & sleep 1");
    router.ok("sleep 1; logger -t test hello from the router");
    let remote = eventually(
        &mut upstream,
        "grep -o 'router test: hello from the router' /tmp/remote.log",
        20,
    );
    assert_eq!(remote, "router test: hello from the router");
    let local = router.ok("grep 'test: hello' /var/log/messages");
    assert!(
        local.contains(" router user.notice test: hello from the router"),
        "{local}"
    );
    let kernel = router.ok("grep -c ' kern\\.[a-z]* kernel: ' /var/log/messages");
    assert!(
        kernel.trim().parse::<u32>().unwrap_or(0) > 10,
        "kernel lines: {kernel}"
    );

    // The clock: set back to 2001, then set from upstream's ntpd (-l, the
    // VM's clock from the host) by a one-shot client.
    router.ok("date -s '2001-01-01 00:00:00'");
    assert_eq!(router.ok("date +%Y"), "2001");
    let set = router.ok("ntpd -n -q -p 10.0.0.1");
    assert!(set.contains("setting time to"), "{set}");
    let year = upstream.ok("date +%Y");
    assert_eq!(router.ok("date +%Y"), year);
    // Only a query: the offset is now small.
    let query = router.ok("ntpd -n -q -w -p 10.0.0.1");
    let offset: f64 = query
        .split_whitespace()
        .find_map(|w| w.strip_prefix("offset:"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::MAX);
    assert!(offset.abs() < 1.0, "{query}");
    router.ok("pidof syslogd && pidof klogd && pidof ntpd");

    // No service of either image had to be restarted (a daemon that forks
    // away from its supervisor shows up here as one restart after another).
    for (name, vm) in [("upstream", &upstream), ("router", &router)] {
        let console = vm.transcript();
        assert!(
            !console.contains("restarting in"),
            "{name} restarted a service:\n{console}"
        );
    }
}
