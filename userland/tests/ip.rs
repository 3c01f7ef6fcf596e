//! `ip` and `bridge`, each test in a network namespace of its own (`unshare
//! -n`) so that the host's network is never touched. iproute2's own `ip`
//! and `bridge` (when installed) check what ibox set and set what ibox
//! reads, and the two are compared line for line on the same state.
//!
//! Tests print a note and pass when namespaces cannot be made (not root,
//! no `unshare`), and parts needing kernel features this machine lacks
//! (dummy, 802.1Q, bridge VLAN filtering) are skipped with a note.

mod common;

use common::IBOX;
use std::process::Command;

const IPROUTE2_IP: &str = "/usr/sbin/ip";
const IPROUTE2_BRIDGE: &str = "/usr/sbin/bridge";

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

/// Whether iproute2 is there to compare with.
fn iproute2_available() -> bool {
    let ok = std::path::Path::new(IPROUTE2_IP).exists()
        && std::path::Path::new(IPROUTE2_BRIDGE).exists();
    if !ok {
        eprintln!("note: skipping comparison: iproute2 is not installed");
    }
    ok
}

/// Runs `script` with `sh` in a new network namespace; `$IBOX` is the
/// binary under test, `$IP`/`$BRIDGE` iproute2's. Returns stdout, stderr
/// and the status.
fn in_netns(script: &str) -> (String, String, i32) {
    let o = Command::new("unshare")
        .args(["-n", "sh", "-c", script])
        .env("IBOX", IBOX)
        .env("IP", IPROUTE2_IP)
        .env("BRIDGE", IPROUTE2_BRIDGE)
        .output()
        .expect("run unshare");
    (
        common::stdout(&o),
        common::stderr(&o),
        o.status.code().unwrap_or(-1),
    )
}

/// After `setup`, runs each of `commands` (`ip ...` or `bridge ...`)
/// with iproute2 and with ibox on the same state and asserts that output,
/// error text and status agree.
fn assert_same_as_iproute2(setup: &str, commands: &[&str]) {
    let mut script = format!("{setup}\n");
    for (i, c) in commands.iter().enumerate() {
        let (tool, rest) = c.split_once(' ').unwrap_or((c, ""));
        let theirs = if tool == "ip" { "$IP" } else { "$BRIDGE" };
        script.push_str(&format!(
            "echo '@@{i} iproute2'; {theirs} {rest} 2>&1; echo \"rc $?\"\n\
             echo '@@{i} ibox'; \"$IBOX\" {tool} {rest} 2>&1; echo \"rc $?\"\n"
        ));
    }
    let (out, err, _) = in_netns(&script);
    for (i, c) in commands.iter().enumerate() {
        let section = |who: &str| {
            let start = format!("@@{i} {who}\n");
            let from = out.find(&start).map(|p| p + start.len()).unwrap_or(0);
            let rest = &out[from..];
            let end = rest.find("@@").unwrap_or(rest.len());
            rest[..end].to_string()
        };
        assert_eq!(
            section("ibox"),
            section("iproute2"),
            "`{c}` differs from iproute2 (setup stderr: {err})"
        );
    }
}

/// Whether the kernel can make a link by `ip link add ADD_ARGS` (asked
/// of iproute2, so that a fault of ibox's cannot turn into a skip), with
/// a veth pair v0/v1 there to build on.
fn kernel_has(add_args: &str) -> bool {
    let (_, _, status) = in_netns(&format!(
        "$IP link add v0 type veth peer name v1 && $IP link add {add_args} >/dev/null 2>&1"
    ));
    if status != 0 {
        eprintln!("note: skipping part: this kernel cannot do `ip link add {add_args}`");
    }
    status == 0
}

/// A namespace with a veth pair, a bridge with one of its ends as a port,
/// addresses, routes with metrics and a neighbour: made by iproute2, so
/// that ibox's reading of it can be compared with iproute2's. The port
/// does not learn, so that traffic (IPv6 router solicitations) cannot add
/// forwarding entries between the two tools' listings, and IPv6 addresses
/// skip duplicate detection, so that none turns from tentative between
/// them (the setting is the namespace's own).
const STATE: &str = r#"
echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad
$IP link set lo up
$IP link add v0 type veth peer name v1
$IP link add br0 type bridge
$IP link set v0 master br0
$BRIDGE link set dev v0 learning off
$IP link set v0 up
$IP link set v1 up mtu 1400
$IP link set br0 up
$IP addr add 10.0.0.1/24 dev v1 broadcast +
$IP addr add 10.0.0.2/24 dev v1
$IP addr add 10.9.0.1/16 dev br0 label br0:1
$IP -6 addr add 2001:db8::1/64 dev v1 nodad
$IP route add default via 10.0.0.254 metric 10
$IP route add 192.168.5.0/24 dev v1 metric 5
$IP route add 192.168.6.0/24 via 10.0.0.3
$IP route add 192.168.7.0/24 via 10.0.0.3 table 100
$IP -6 route add 2001:db8:1::/48 via 2001:db8::fe metric 7
$IP neigh add 10.0.0.9 lladdr 00:11:22:33:44:55 dev v1 nud permanent
$IP neigh add 2001:db8::9 lladdr 00:11:22:33:44:66 dev v1 nud permanent
"#;

#[test]
fn reading_matches_iproute2() {
    if !netns_available() || !iproute2_available() {
        return;
    }
    assert_same_as_iproute2(
        STATE,
        &[
            "ip link show",
            "ip link",
            "ip link show v0",
            "ip link show dev br0",
            "ip link show up",
            "ip link show master br0",
            "ip link show type bridge",
            "ip link show type veth up",
            "ip -br link show master br0",
            "ip addr show up",
            "ip -o link show",
            "ip -d link show lo",
            "ip -d link show v1",
            "ip -d -o link show v1",
            "ip -d addr show dev v1",
            "ip -d addr show lo",
            "ip -4 -d addr show dev v1",
            "ip -br link",
            "ip addr show",
            "ip a",
            "ip addr show dev v1",
            "ip -4 addr show",
            "ip -6 addr show",
            "ip -o addr show",
            "ip -o -4 addr show",
            "ip -br addr",
            "ip route show",
            "ip route",
            "ip r show table 100",
            "ip route show table main",
            "ip route show table all",
            "ip -4 route show table all",
            "ip l s lo",
            "ip addr show to 10.0.0.0/24",
            "ip addr show to 2001:db8::/32",
            "ip -6 addr show to 2001:db8::/32",
            "ip -4 addr show to 2001:db8::/32",
            "ip -o addr show dev v1 to 10.0.0.2",
            "ip -6 route show",
            "ip route show dev v1",
            "ip route get 1.1.1.1",
            "ip route get 10.0.0.5",
            "ip route get 10.0.0.1",
            "ip route get 5.5.5.5 from 10.0.0.1",
            "ip route get 192.168.7.1",
            "ip -6 route get 2001:db8:1::5",
            "ip -6 route get ::1",
            "ip neigh show",
            "ip -4 neigh",
            "ip neigh show dev v1",
            "ip rule show",
            "ip -6 rule show",
            "bridge fdb show",
            "bridge fdb show dev v0",
            "bridge fdb show br br0",
            "bridge vlan show",
            "bridge link show",
            "bridge link",
            "bridge link show dev v0",
            "bridge link show v0",
            "bridge link show dev nope",
        ],
    );
}

#[test]
fn errors_match_iproute2() {
    if !netns_available() || !iproute2_available() {
        return;
    }
    assert_same_as_iproute2(
        STATE,
        &[
            "ip link show nope",
            "ip link show master nope",
            "ip addr show dev nope",
            "ip link set nope up",
            "ip link del nope",
            "ip link frob",
            "ip frob",
            "ip link set v1 garbage",
            "ip link set v0 master nope",
            "ip link add v0 type veth peer name v9",
            "ip addr add 10.0.0.1/24 dev v1",
            "ip addr add 10.0.0.5/24 dev v1 frob",
            "ip addr add 1.2.3.4/40 dev v1",
            "ip addr add 10.0.0.3/24 dev v1 valid_lft 100",
            "ip addr add 10.0.0.3/24 dev v1 valid_lft 10 preferred_lft 50",
            "ip addr del 10.9.9.9/24 dev v1",
            "ip route add default via 10.0.0.254 metric 10",
            "ip route del 10.7.0.0/24",
            "ip route add 10.5.0.0/16 via 10.0.0.2 dev nope",
            "ip route add 10.5.0.0/16 via 10.0.0.2 frob",
            "ip route add 10.6.0.0/16 via 10.77.0.1",
            "ip neigh del 10.0.0.77 dev v1",
            "bridge vlan add dev nope vid 3",
            "bridge vlan add dev v0",
            "bridge vlan frob",
        ],
    );
}

#[test]
fn links_set_by_ibox_read_back_by_iproute2() {
    if !netns_available() || !iproute2_available() {
        return;
    }
    let (out, err, status) = in_netns(
        r#"set -e
"$IBOX" ip link add v0 type veth peer name v1
"$IBOX" ip link add name br0 type bridge
"$IBOX" ip link set v0 master br0
"$IBOX" ip link set dev v0 up
"$IBOX" ip link set v1 up mtu 1280
"$IBOX" ip link set v1 address 02:00:00:00:00:01
"$IBOX" ip link set br0 up
$IP -o link show v0
$IP -o link show v1
echo ---
"$IBOX" ip link set v0 nomaster
"$IBOX" ip link set v1 down
"$IBOX" ip link set v1 name eth7
$IP -o link show v0
$IP -o link show eth7
echo ---
"$IBOX" ip link del eth7
"$IBOX" ip link delete br0
$IP -o link show
"#,
    );
    assert_eq!(status, 0, "{err}");
    let parts: Vec<&str> = out.split("---\n").collect();
    assert_eq!(parts.len(), 3, "{out}");
    let (v0, v1) = parts[0].split_once('\n').expect("two lines");
    assert!(
        v0.contains("v0@v1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500"),
        "{v0}"
    );
    assert!(v0.contains(" master br0 state UP "), "{v0}");
    assert!(
        v1.contains("v1@v0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1280"),
        "{v1}"
    );
    assert!(
        v1.contains("link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff"),
        "{v1}"
    );
    let (v0, eth7) = parts[1].split_once('\n').expect("two lines");
    assert!(!v0.contains("master"), "{v0}");
    assert!(v0.contains("NO-CARRIER"), "{v0}");
    assert!(
        eth7.contains("eth7@v0: <BROADCAST,MULTICAST> mtu 1280"),
        "{eth7}"
    );
    assert!(eth7.contains("state DOWN"), "{eth7}");
    assert!(parts[2].starts_with("1: lo:"), "{}", parts[2]);
    assert_eq!(parts[2].lines().count(), 1, "{}", parts[2]);
}

#[test]
fn addresses_set_by_ibox_read_back_by_iproute2() {
    if !netns_available() || !iproute2_available() {
        return;
    }
    let (out, err, status) = in_netns(
        r#"set -e
$IP link add v0 type veth peer name v1
$IP link set v1 up
"$IBOX" ip addr add 10.0.0.1/24 dev v1 broadcast +
"$IBOX" ip address add 10.0.0.7/24 brd + dev v1
"$IBOX" ip addr add 10.1.0.1/16 dev v1 label v1:a
"$IBOX" ip -6 addr add 2001:db8::1/64 dev v1 nodad
"$IBOX" ip addr add 127.0.0.2/8 dev lo
"$IBOX" ip addr add 10.2.0.1/16 dev v1 valid_lft 1000 preferred_lft 500
$IP -o addr show dev v1
$IP -o addr show dev lo
echo ---
"$IBOX" ip addr del 10.0.0.7/24 dev v1
"$IBOX" ip addr del 2001:db8::1/64 dev v1
$IP -o addr show dev v1
echo ---
"$IBOX" ip addr flush dev v1
$IP -o -4 addr show dev v1
"#,
    );
    assert_eq!(status, 0, "{err}");
    let parts: Vec<&str> = out.split("---\n").collect();
    assert_eq!(parts.len(), 3, "{out}");
    let first = parts[0];
    assert!(
        first.contains("inet 10.0.0.1/24 brd 10.0.0.255 scope global v1\\"),
        "{first}"
    );
    assert!(
        first.contains("inet 10.0.0.7/24 brd 10.0.0.255 scope global secondary v1\\"),
        "{first}"
    );
    assert!(
        first.contains("inet 10.1.0.1/16 scope global v1:a\\"),
        "{first}"
    );
    assert!(
        first.contains("inet6 2001:db8::1/64 scope global nodad"),
        "{first}"
    );
    assert!(first.contains("inet 127.0.0.2/8 scope host lo"), "{first}");
    let timed = first
        .lines()
        .find(|l| l.contains("10.2.0.1/16"))
        .expect("address with lifetimes");
    assert!(timed.contains("scope global dynamic v1\\"), "{timed}");
    assert!(!timed.contains("forever"), "{timed}");
    assert!(!parts[1].contains("10.0.0.7"), "{}", parts[1]);
    assert!(!parts[1].contains("2001:db8::1"), "{}", parts[1]);
    assert!(parts[1].contains("10.0.0.1/24"), "{}", parts[1]);
    assert_eq!(parts[2], "", "flush left {}", parts[2]);
}

#[test]
fn routes_set_by_ibox_read_back_by_iproute2() {
    if !netns_available() || !iproute2_available() {
        return;
    }
    let (out, err, status) = in_netns(
        r#"set -e
$IP link add v0 type veth peer name v1
$IP link set v1 up
$IP link set v0 up
$IP addr add 10.0.0.1/24 dev v1
$IP -6 addr add 2001:db8::1/64 dev v1 nodad
"$IBOX" ip route add default via 10.0.0.254 metric 10
"$IBOX" ip route add default via 10.0.0.253 dev v1 metric 20
"$IBOX" ip route add 192.168.5.0/24 dev v1 metric 5
"$IBOX" ip route add 192.168.6.0/24 via 10.0.0.3
"$IBOX" ip route add 192.168.7.0/24 via 10.0.0.3 table 100
"$IBOX" ip route add 2001:db8:1::/48 via 2001:db8::fe metric 7
$IP route show
$IP route show table 100
$IP -6 route show 2001:db8:1::/48
echo ---
"$IBOX" ip route del default via 10.0.0.253 metric 20
"$IBOX" ip route del 192.168.5.0/24 dev v1 metric 5
"$IBOX" ip route replace 192.168.6.0/24 via 10.0.0.4 metric 3
$IP route show
echo ---
"$IBOX" ip route add default via 10.0.0.254 metric 10 || echo "rc $?"
"#,
    );
    assert_eq!(status, 0, "{err}");
    let parts: Vec<&str> = out.split("---\n").collect();
    assert_eq!(parts.len(), 3, "{out}");
    assert_eq!(
        parts[0],
        "default via 10.0.0.254 dev v1 metric 10 \n\
         default via 10.0.0.253 dev v1 metric 20 \n\
         10.0.0.0/24 dev v1 proto kernel scope link src 10.0.0.1 \n\
         192.168.5.0/24 dev v1 scope link metric 5 \n\
         192.168.6.0/24 via 10.0.0.3 dev v1 \n\
         192.168.7.0/24 via 10.0.0.3 dev v1 \n\
         2001:db8:1::/48 via 2001:db8::fe dev v1 metric 7 pref medium\n"
    );
    assert_eq!(
        parts[1],
        "default via 10.0.0.254 dev v1 metric 10 \n\
         10.0.0.0/24 dev v1 proto kernel scope link src 10.0.0.1 \n\
         192.168.6.0/24 via 10.0.0.3 dev v1 \n\
         192.168.6.0/24 via 10.0.0.4 dev v1 metric 3 \n"
    );
    assert_eq!(parts[2], "rc 2\n");
    assert!(err.contains("RTNETLINK answers: File exists"), "{err}");
}

#[test]
fn neighbours_set_by_ibox_read_back_by_iproute2() {
    if !netns_available() || !iproute2_available() {
        return;
    }
    let (out, err, status) = in_netns(
        r#"set -e
$IP link add v0 type veth peer name v1
$IP link set v1 up
$IP addr add 10.0.0.1/24 dev v1
"$IBOX" ip neigh add 10.0.0.9 lladdr 00:11:22:33:44:55 dev v1
"$IBOX" ip neighbour add 10.0.0.10 lladdr 00:11:22:33:44:56 dev v1 nud stale
$IP neigh show dev v1
echo ---
"$IBOX" ip neigh del 10.0.0.9 dev v1
$IP neigh show
"#,
    );
    assert_eq!(status, 0, "{err}");
    // The kernel lists neighbours in hash order.
    let (before, after) = out.split_once("---\n").expect("two parts");
    let mut before: Vec<&str> = before.lines().collect();
    before.sort();
    assert_eq!(
        before,
        [
            "10.0.0.10 lladdr 00:11:22:33:44:56 STALE ",
            "10.0.0.9 lladdr 00:11:22:33:44:55 PERMANENT ",
        ]
    );
    assert_eq!(after, "10.0.0.10 dev v1 lladdr 00:11:22:33:44:56 STALE \n");
}

#[test]
fn iproute2_reads_what_bridge_fdb_shows() {
    if !netns_available() || !iproute2_available() {
        return;
    }
    // A static entry on a port, then the same listing from both tools.
    assert_same_as_iproute2(
        &format!("{STATE}\n$BRIDGE fdb add 02:00:00:00:00:aa dev v0 master static"),
        &[
            "bridge fdb show",
            "bridge fdb show br br0",
            "bridge fdb show dev v0",
        ],
    );
}

#[test]
fn kinds_this_kernel_may_lack() {
    if !netns_available() || !iproute2_available() {
        return;
    }
    if kernel_has("probe0 type dummy") {
        let (out, err, status) = in_netns(
            r#"set -e
"$IBOX" ip link add d0 type dummy
"$IBOX" ip link set d0 up
$IP -o link show d0
"#,
        );
        assert_eq!(status, 0, "{err}");
        assert!(out.contains("d0: <BROADCAST,NOARP,UP,LOWER_UP>"), "{out}");
    } else {
        // Then both tools must report the kernel's refusal alike.
        assert_same_as_iproute2("", &["ip link add d0 type dummy"]);
    }
    if kernel_has("link v0 name probe0 type vlan id 5") {
        let (out, err, status) = in_netns(
            r#"set -e
$IP link add v0 type veth peer name v1
"$IBOX" ip link add link v0 name v0.5 type vlan id 5
$IP -d -o link show v0.5
"#,
        );
        assert_eq!(status, 0, "{err}");
        assert!(out.contains("v0.5@v0:"), "{out}");
        assert!(out.contains("vlan protocol 802.1Q id 5"), "{out}");
    } else {
        assert_same_as_iproute2(
            "$IP link add v0 type veth peer name v1",
            &["ip link add link v0 name v0.5 type vlan id 5"],
        );
    }
    if kernel_has("probe0 type bridge vlan_filtering 1") {
        let setup = r#"
"$IBOX" ip link add br0 type bridge vlan_filtering 1
$IP link add v0 type veth peer name v1
$IP link set v0 master br0
"$IBOX" bridge vlan add dev v0 vid 10 pvid untagged
"$IBOX" bridge vlan add dev v0 vid 20-22
"$IBOX" bridge vlan add dev br0 vid 10 self
"$IBOX" bridge vlan del dev v0 vid 1
"#;
        let (out, err, status) = in_netns(&format!("set -e\n{setup}\n$BRIDGE vlan show dev v0"));
        assert_eq!(status, 0, "{err}");
        assert!(
            out.contains("v0                10 PVID Egress Untagged"),
            "{out}"
        );
        assert!(out.contains("                  20"), "{out}");
        assert_same_as_iproute2(
            setup,
            &[
                "bridge vlan show",
                "bridge vlan show dev v0",
                "bridge vlan show vid 21",
            ],
        );
    } else {
        assert_same_as_iproute2("", &["ip link add br0 type bridge vlan_filtering 1"]);
    }
}

#[test]
fn rules_set_by_ibox_list_as_iproute2_lists_them() {
    if !netns_available() || !iproute2_available() {
        return;
    }
    let setup = r#"
"$IBOX" ip rule add from 10.0.0.0/24 lookup 100 prio 100
"$IBOX" ip rule add fwmark 0x10 table 200
"$IBOX" ip rule add to 192.168.0.0/16 iif lo lookup main pref 50
"$IBOX" ip rule add fwmark 0x20/0xff lookup 1000 pref 500
"$IBOX" ip rule add from 10.1.2.3 lookup 7 pref 600
"$IBOX" ip -6 rule add from 2001:db8::/32 table 5
"$IBOX" ip rule del prio 600
"$IBOX" ip rule del fwmark 0x10 table 200
"#;
    let (out, err, status) = in_netns(&format!("set -e\n{setup}\n$IP rule show"));
    assert_eq!(status, 0, "{err}");
    assert_eq!(
        out,
        "0:\tfrom all lookup local\n\
         50:\tfrom all to 192.168.0.0/16 iif lo lookup main\n\
         100:\tfrom 10.0.0.0/24 lookup 100\n\
         500:\tfrom all fwmark 0x20/0xff lookup 1000\n\
         32766:\tfrom all lookup main\n\
         32767:\tfrom all lookup default\n"
    );
    assert_same_as_iproute2(
        setup,
        &[
            "ip rule show",
            "ip -6 rule show",
            "ip rule add from 10.0.0.0/24 lookup 100 prio 100",
            "ip rule add frob",
            "ip rule del prio 4242",
        ],
    );
}

#[test]
fn flushes_leave_what_iproute2_leaves() {
    if !netns_available() || !iproute2_available() {
        return;
    }
    let (out, err, status) = in_netns(
        r#"set -e
$IP link add v0 type veth peer name v1
$IP link set v1 up
$IP addr add 10.0.0.1/24 dev v1
$IP route add default via 10.0.0.254
$IP route add 192.168.1.0/24 via 10.0.0.3 metric 4
$IP neigh add 10.0.0.7 lladdr 00:11:22:33:44:55 dev v1
$IP neigh add 10.0.0.8 lladdr 00:11:22:33:44:56 dev v1 nud stale
"$IBOX" ip neigh flush dev v1
$IP neigh show
echo ---
"$IBOX" ip route flush dev v1
$IP route show
echo ---
$IP addr show dev v1 | grep -c inet
"#,
    );
    assert_eq!(status, 0, "{err}");
    assert_eq!(
        out,
        "10.0.0.7 dev v1 lladdr 00:11:22:33:44:55 PERMANENT \n---\n---\n1\n"
    );
}

/// Whether strace is there to read the requests sent.
fn strace_available() -> bool {
    let ok = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: skipping: strace is not installed");
    }
    ok
}

/// Bridge VLAN changes need a kernel with VLAN filtering, which the test
/// machine may lack: then at least the requests must be iproute2's, byte
/// for byte (as strace decodes them), whatever the kernel answers.
#[test]
fn bridge_vlan_requests_are_iproute2s() {
    if !netns_available() || !iproute2_available() || !strace_available() {
        return;
    }
    // The last change request each tool sends, without its sequence
    // number or how the tool passed its buffer to the kernel.
    let last_request = r#"strace -e trace=sendmsg,sendto -s 400 -xx "$@" 2>&1 \
        | grep -E 'RTM_(SET|DEL)LINK' | tail -1 \
        | sed -E 's/nlmsg_seq=[0-9]+//; s/^.*\[\{nlmsg_len/[{nlmsg_len/; s/, iov_len=.*$//; s/, [0-9]+, 0, NULL, 0\) = [0-9]+$//'"#;
    let commands = [
        "vlan add dev v0 vid 10 pvid untagged",
        "vlan add dev br0 vid 10 self",
        "vlan add dev v0 vid 20-22 master",
        "vlan del dev v0 vid 20-22",
        "vlan del dev v0 vid 1",
    ];
    let mut script = format!(
        "last_request() {{ {last_request}; }}\n\
         $IP link add v0 type veth peer name v1\n\
         $IP link add br0 type bridge\n\
         $IP link set v0 master br0\n"
    );
    for c in commands {
        script.push_str(&format!(
            "echo \"@@ {c}\"; last_request $BRIDGE {c}; last_request \"$IBOX\" bridge {c}\n"
        ));
    }
    let (out, err, _) = in_netns(&script);
    let sections: Vec<&str> = out.split("@@ ").skip(1).collect();
    assert_eq!(sections.len(), commands.len(), "{out}{err}");
    for s in sections {
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 3, "{s}");
        assert!(lines[1].contains("IFLA_BRIDGE_VLAN_INFO"), "{s}");
        assert_eq!(
            lines[2], lines[1],
            "`bridge {}` sends another request",
            lines[0]
        );
    }
}

/// Kinds of link the test machine's kernel may lack (dummy, 802.1Q,
/// bond, VLAN-filtering bridges): the parts of ibox's request that say
/// what to make must be iproute2's. (The kind's name is NUL-terminated in
/// ibox's request and not in iproute2's, which the kernel takes alike, so
/// lengths are left out of the comparison.)
#[test]
fn link_kind_requests_are_iproute2s() {
    if !netns_available() || !iproute2_available() || !strace_available() {
        return;
    }
    let parts = r#"strace -e trace=sendmsg,sendto -s 400 -xx "$@" 2>&1 \
        | grep RTM_NEWLINK | tail -1 \
        | grep -oE 'nla_type=IFLA_(LINK|IFNAME)\}, [^]]*|IFLA_INFO_KIND\}, "[^"]*"|IFLA_INFO_DATA.*\]\]' \
        | tr '\n' ' '; echo"#;
    let commands = [
        "link add d0 type dummy",
        "link add link v0 name v0.5 type vlan id 5",
        "link add br1 type bridge vlan_filtering 1",
        "link add b0 type bond mode active-backup miimon 100",
        "link add b1 type bond mode 802.3ad",
    ];
    let mut script = format!(
        "parts() {{ {parts}; }}\n\
         $IP link add v0 type veth peer name v1\n"
    );
    for c in commands {
        script.push_str(&format!(
            "echo \"@@ {c}\"; parts $IP {c}; parts \"$IBOX\" ip {c}\n"
        ));
    }
    let (out, err, _) = in_netns(&script);
    let sections: Vec<&str> = out.split("@@ ").skip(1).collect();
    assert_eq!(sections.len(), commands.len(), "{out}{err}");
    for s in sections {
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 3, "{s}");
        assert!(lines[1].contains("IFLA_INFO_KIND"), "{s}");
        assert_eq!(
            lines[2], lines[1],
            "`ip {}` sends another request",
            lines[0]
        );
    }
}

/// `ip -d` shows the main settings of a bridge and its ports, in iproute2's
/// words and order though not all of them.
#[test]
fn details_of_bridges_begin_as_iproute2s() {
    if !netns_available() || !iproute2_available() {
        return;
    }
    let (out, err, status) = in_netns(&format!(
        "{STATE}\n$IP -d link show br0; echo ---; \"$IBOX\" ip -d link show br0; echo ---; \
         $IP -d link show v0; echo ---; \"$IBOX\" ip -d link show v0"
    ));
    assert_eq!(status, 0, "{err}");
    let parts: Vec<&str> = out.split("---\n").collect();
    assert_eq!(parts.len(), 4, "{out}");
    for (theirs, ours, kind_line) in [(parts[0], parts[1], 2), (parts[2], parts[3], 3)] {
        let theirs: Vec<&str> = theirs.lines().collect();
        let ours: Vec<&str> = ours.lines().collect();
        assert_eq!(ours.len(), theirs.len(), "{ours:?} {theirs:?}");
        assert_eq!(ours[..kind_line], theirs[..kind_line]);
        // Ours stops where iproute2 goes on; the sizes follow.
        let head = ours[kind_line]
            .split(" addrgenmode")
            .next()
            .expect("kind line");
        assert!(
            theirs[kind_line].starts_with(head),
            "{head:?} vs {:?}",
            theirs[kind_line]
        );
    }
    assert!(
        parts[1].contains(" stp_state 0 priority 32768 vlan_filtering 0 "),
        "{}",
        parts[1]
    );
    assert!(parts[3].contains("\n    bridge_slave "), "{}", parts[3]);
}

/// `bridge fdb add|replace|del` send iproute2's requests (state and flags
/// defaults included), and what they add reads back through iproute2.
#[test]
fn fdb_changes_are_iproute2s() {
    if !netns_available() || !iproute2_available() || !strace_available() {
        return;
    }
    let last_request = r#"strace -e trace=sendmsg,sendto -s 400 -v "$@" 2>&1 \
        | grep -E 'RTM_(NEW|DEL)NEIGH' | tail -1 \
        | sed -E 's/nlmsg_seq=[0-9]+//; s/^.*\[\{nlmsg_len/[{nlmsg_len/; s/, iov_len=.*$//; s/, [0-9]+, 0, NULL, 0\) = [0-9]+$//'"#;
    let commands = [
        "fdb add 02:00:00:00:00:01 dev v0 master static",
        "fdb add 02:00:00:00:00:02 dev v0",
        "fdb add 02:00:00:00:00:03 dev v0 master permanent vlan 5",
        "fdb replace 02:00:00:00:00:04 dev v0 master dynamic",
        "fdb del 02:00:00:00:00:01 dev v0 master",
    ];
    let mut script = format!(
        "last_request() {{ {last_request}; }}\n\
         $IP link add v0 type veth peer name v1\n\
         $IP link add br0 type bridge\n\
         $IP link set v0 master br0\n"
    );
    for c in commands {
        script.push_str(&format!(
            "echo \"@@ {c}\"; last_request $BRIDGE {c}; last_request \"$IBOX\" bridge {c}\n"
        ));
    }
    let (out, err, _) = in_netns(&script);
    let sections: Vec<&str> = out.split("@@ ").skip(1).collect();
    assert_eq!(sections.len(), commands.len(), "{out}{err}");
    for s in sections {
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines.len(), 3, "{s}");
        assert!(lines[1].contains("NDA_LLADDR"), "{s}");
        assert_eq!(
            lines[2], lines[1],
            "`bridge {}` sends another request",
            lines[0]
        );
    }

    let (out, err, status) = in_netns(
        r#"set -e
$IP link add v0 type veth peer name v1
$IP link add br0 type bridge
$IP link set v0 master br0
"$IBOX" bridge fdb add 02:00:00:00:00:01 dev v0 master static
"$IBOX" bridge fdb add 02:00:00:00:00:02 dev v0
$BRIDGE fdb show dev v0 | grep 02:00:00:00:00
"$IBOX" bridge fdb del 02:00:00:00:00:01 dev v0 master
echo ---
$BRIDGE fdb show dev v0 | grep 02:00:00:00:00
"$IBOX" bridge fdb add 02:00:00:00:00:02 dev v0 || echo "rc $?"
"#,
    );
    assert_eq!(status, 0, "{err}");
    assert_eq!(
        out,
        "02:00:00:00:00:01 master br0 static\n\
         02:00:00:00:00:02 self permanent\n\
         ---\n\
         02:00:00:00:00:02 self permanent\n\
         rc 255\n"
    );
    assert_eq!(err, "RTNETLINK answers: File exists\n");
}

/// `-s` and `-s -s` counters, on links without background traffic (lo
/// after a few pings, a veth pair left down) so that both tools read the
/// same numbers.
#[test]
fn statistics_match_iproute2() {
    if !netns_available() || !iproute2_available() {
        return;
    }
    assert_same_as_iproute2(
        r#"
$IP link set lo up
ping -c 3 -i 0.2 -s 2000 -W 1 127.0.0.1 >/dev/null 2>&1 || true
$IP link add v0 type veth peer name v1
"#,
        &[
            "ip -s link show",
            "ip -s -s link show",
            "ip -s addr show",
            "ip -s -s addr show dev lo",
        ],
    );
}

/// Runs `changes` (lines of `$TOOL ...` with `$TOOL` iproute2's `ip` in
/// one namespace and ibox's in another) after `setup`, then asserts that
/// `report` (run with iproute2) reads the same in both. (Operational
/// states are left out of reports: a bridge comes up in its own time.)
fn assert_same_effect(setup: &str, changes: &str, report: &str) {
    let run = |tool: &str| {
        let (out, err, _) = in_netns(&format!(
            "TOOL=\"{tool}\"\n{setup}\n{changes}\necho @@report\n{report}"
        ));
        (out, err)
    };
    let (theirs, their_err) = run("$IP");
    let (ours, our_err) = run("$IBOX ip");
    assert!(theirs.contains("@@report"), "{theirs}{their_err}");
    let differing: Vec<(&str, &str)> = ours
        .lines()
        .zip(theirs.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        ours, theirs,
        "differing lines (ibox, iproute2): {differing:#?}\n\
         iproute2's stderr: {their_err}\nibox's stderr: {our_err}"
    );
    assert_eq!(our_err, their_err);
}

#[test]
fn changes_have_iproute2s_effect() {
    if !netns_available() || !iproute2_available() {
        return;
    }
    assert_same_effect(
        r#"
echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad
$IP link add v0 address 02:00:00:00:00:01 type veth peer name v1 address 02:00:00:00:00:02
$IP link add br0 address 02:00:00:00:00:03 type bridge
"#,
        r#"
$TOOL link set v1 up
$TOOL link set v0 up
$TOOL link set v0 master br0
$TOOL link set br0 up mtu 1400
$TOOL addr add 10.0.0.1/24 dev v1 brd +
$TOOL addr add 10.0.0.9/24 dev v1 label v1:x
$TOOL addr change 10.0.0.1/24 dev v1 valid_lft 1000 preferred_lft 1000
$TOOL addr replace 10.0.0.9/24 dev v1 label v1:y
$TOOL -6 addr add 2001:db8::1/64 dev v1
$TOOL addr add 10.1.0.1/16 dev br0
$TOOL route add default via 10.0.0.254 metric 10
$TOOL route append 10.5.0.0/16 via 10.0.0.3
$TOOL route append 10.5.0.0/16 via 10.0.0.4
$TOOL route prepend 10.6.0.0/16 via 10.0.0.4
$TOOL route change 10.6.0.0/16 via 10.0.0.5
$TOOL route replace 10.7.0.0/16 dev br0 metric 3
$TOOL route add 10.8.0.0/16 via 10.1.0.9 table 42
$TOOL route add blackhole 10.9.0.0/16
$TOOL route add unreachable 10.10.0.0/16 metric 9
$TOOL -6 route add 2001:db8:5::/48 via 2001:db8::fe
$TOOL route del 10.5.0.0/16 via 10.0.0.3
$TOOL neigh add 10.0.0.20 lladdr 02:00:00:00:00:20 dev v1
$TOOL neigh replace 10.0.0.20 lladdr 02:00:00:00:00:21 dev v1
$TOOL neigh add 2001:db8::20 lladdr 02:00:00:00:00:22 dev v1 nud reachable
$TOOL rule add from 10.0.0.0/24 table 42 pref 100
$TOOL link add v2 type veth peer name v3
$TOOL link set v2 name v4
$TOOL link del v3
$TOOL route add 10.11.0.0/16 via 10.77.0.1 2>&1
$TOOL link set nope up 2>&1
"#,
        // What the kernel does by itself, a moment after a link comes up,
        // is left out: whether a veth has its carrier yet (NO-CARRIER,
        // LOWER_UP) and its IPv6 link-local address with that address's
        // routes. The two runs are compared, not the clock.
        r#"
$IP -o link show | sed 's/ state [A-Z]* / /; s/qlen.*//; s/NO-CARRIER,//; s/,LOWER_UP//'
$IP -o addr show | grep -v ' fe80::' | sed 's/valid_lft [0-9]*sec preferred_lft [0-9]*sec/valid_lft N preferred_lft N/'
$IP route show table all | grep -v 'fe80::\|ff00::/8'
$IP neigh show
$IP rule show
"#,
    );
}

#[test]
fn bridge_settings_have_iproute2s_effect() {
    if !netns_available() || !iproute2_available() {
        return;
    }
    // `bridge link set` is ibox's own in both runs' second half: iproute2's
    // `bridge` sets the first port, the tool under test the second.
    assert_same_effect(
        r#"
$IP link add v0 type veth peer name v1
$IP link add v2 type veth peer name v3
$IP link add br0 type bridge
$IP link set v0 master br0
$IP link set v2 master br0
if [ "$TOOL" = "$IP" ]; then BR=$BRIDGE; else BR="$IBOX bridge"; fi
"#,
        r#"
$TOOL link set br0 type bridge ageing_time 1000 priority 100 forward_delay 400 hello_time 300 max_age 1500
$TOOL link set v0 type bridge_slave flood off mcast_flood off cost 9 priority 5
$BR link set dev v2 learning off hairpin on cost 5 priority 7 isolated on
$BR link set dev v2 guard on root_block on fastleave on bcast_flood off neigh_suppress on
"#,
        r#"
$BRIDGE -d link show
$IP -d link show br0 | grep -o 'forward_delay.* priority [0-9]*'
"#,
    );
}

#[test]
fn bare_commands_exit_as_iproute2s() {
    for tool in ["ip", "bridge"] {
        let o = common::ibox(&[tool]);
        assert_eq!(o.status.code(), Some(255), "{tool}");
        assert!(
            common::stderr(&o).starts_with(&format!("Usage: {tool} ")),
            "{tool}"
        );
        let o = common::ibox(&[tool, "-V"]);
        assert_eq!(o.status.code(), Some(0), "{tool}");
        assert_eq!(common::stdout(&o), format!("{tool} utility, ibox\n"));
    }
}
