//! Guests wired together: two default images joined by a [`Cable`] (QEMU's
//! dgram back-end on 127.0.0.1) reach each other over their own virtio-net
//! cards, and a guest on QEMU's user-mode network reaches a server on the
//! host's 127.0.0.1 as 10.0.2.2. The building block of the router, switch
//! and upgrade-from-a-repository scenarios.

use ibex_tests::{default_image, Cable, Nic, Vm};
use std::io::{Read, Write};

#[test]
fn two_guests_on_one_cable_reach_each_other() {
    let cable = Cable::new();
    let mut a = Vm::boot_wired(default_image(), &[cable.end(0)]);
    let mut b = Vm::boot_wired(default_image(), &[cable.end(1)]);
    for (vm, addr) in [(&mut a, "10.9.0.1/24"), (&mut b, "10.9.0.2/24")] {
        vm.ok(&format!(
            "ip link set lo up && ip addr add {addr} dev eth0 && ip link set eth0 up"
        ));
    }
    let link = a.ok("ip -br link show eth0");
    assert!(link.starts_with("eth0"), "{link}");
    let ping = b.ok("ping -c 2 -W 5 10.9.0.1");
    assert!(ping.contains("2 packets received"), "{ping}");
    // Each side learnt the other's MAC through ARP on the virtual link.
    let neigh = a.ok("ip neigh show dev eth0");
    assert!(neigh.contains("10.9.0.2"), "{neigh}");
}

#[test]
fn a_guest_on_the_user_network_reaches_the_host() {
    let server = std::net::TcpListener::bind("127.0.0.1:0").expect("listening socket");
    let port = server.local_addr().expect("address").port();
    let serve = std::thread::spawn(move || {
        let (mut conn, _) = server.accept().expect("a connection from the guest");
        let mut request = [0u8; 1024];
        let _ = conn.read(&mut request);
        let body = "hello from the host\n";
        let _ = write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let mut vm = Vm::boot_wired(default_image(), &[Nic::User]);
    vm.ok("ip link set lo up && ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up");
    vm.ok("ip route add default via 10.0.2.2");
    let page = vm.ok(&format!("wget -q -O - http://10.0.2.2:{port}/"));
    assert_eq!(page, "hello from the host");
    serve.join().expect("server thread");
}
