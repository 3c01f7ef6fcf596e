//! Issue 10's second scenario: the switch image with three clients (the
//! default image) on its ports, wired with [`Cable`]s. Ports eth0 and eth1
//! are VLAN 10, eth2 is VLAN 20, all clients in one IP subnet: only the
//! bridge's VLAN filtering keeps the VLAN 20 client away from the others
//! and from the switch's management address (br0.10). The switch runs in
//! 64 MB of RAM.

use ibex_tests::{build_image, default_image, wired_command, Cable, Vm};

#[test]
fn vlans_separate_clients_on_one_switch() {
    let switch_image = build_image("qemu-x86_64", "switch", None).expect("switch image");
    let cables = [Cable::new(), Cable::new(), Cable::new()];
    let mut switch_cmd = wired_command(
        &switch_image,
        &[cables[0].end(0), cables[1].end(0), cables[2].end(0)],
    );
    switch_cmd.args(["-m", "64"]);
    let mut switch = Vm::boot_command(switch_cmd);
    let total = switch.memory_total_kib();
    assert!(total < 64 * 1024, "{total} KiB");
    let mut clients: Vec<Vm> = cables
        .iter()
        .enumerate()
        .map(|(i, cable)| {
            let mut vm = Vm::boot_wired(default_image(), &[cable.end(1)]);
            vm.ok(&format!(
                "ip addr add 10.10.0.{}/24 dev eth0 && ip link set eth0 up",
                i + 1
            ));
            vm
        })
        .collect();

    // The bridge filters VLANs, and each port is in its own.
    let vlans = switch.ok("bridge vlan show");
    assert!(vlans.contains("eth2"), "{vlans}");
    let mgmt = switch.ok("ip -4 -o addr show dev br0.10");
    assert!(mgmt.contains("10.10.0.254/24"), "{mgmt}");

    // VLAN 10: the two clients and the management address.
    let ping = clients[0].ok("ping -c 2 -W 5 10.10.0.2");
    assert!(ping.contains("2 packets received"), "{ping}");
    let ping = clients[1].ok("ping -c 1 -W 5 10.10.0.254");
    assert!(ping.contains("1 packets received"), "{ping}");

    // VLAN 20 reaches neither.
    for target in ["10.10.0.1", "10.10.0.2", "10.10.0.254"] {
        let out = clients[2].run(&format!("ping -c 2 -W 2 {target}"));
        assert_ne!(out.status, 0, "VLAN 20 reached {target}:\n{}", out.text);
    }
}
