//! `ifup`, `ifdown` and `ifquery`. The parts that change the network run
//! as root in a fresh network namespace with a mount namespace of their
//! own and a tmpfs on /run (`unshare -nm`), so that neither the host's
//! network nor its /run/ifstate is touched; Debian's iproute2
//! (/usr/sbin/ip) checks what ibox did. Veth pairs stand in for real
//! cards (this machine's kernel has no dummy links).
//!
//! Tests print a note and pass when namespaces cannot be made (not root,
//! no `unshare`), and the VLAN part is skipped with a note when the kernel
//! has no 802.1Q support, as is the VLAN-aware bridge part when its
//! bridges cannot filter VLANs.

mod common;

use common::{scratch, IBOX};
use std::path::Path;
use std::process::Command;

const IPROUTE2_IP: &str = "/usr/sbin/ip";
const IPROUTE2_BRIDGE: &str = "/usr/sbin/bridge";

/// Whether fresh network and mount namespaces can be made here, with
/// iproute2 there to set up veth pairs and check the result.
fn netns_available() -> bool {
    let ok = Command::new("unshare")
        .args(["-nm", "sh", "-c", "mount -t tmpfs tmpfs /run"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: skipping: `unshare -nm` is not permitted here");
        return false;
    }
    if !Path::new(IPROUTE2_IP).exists() {
        eprintln!("note: skipping: iproute2 is not installed");
        return false;
    }
    true
}

/// Runs `script` with `sh` in new network and mount namespaces with an
/// empty /run, in `dir`; `$IBOX` is the binary under test, `$IP` and
/// `$BRIDGE` iproute2's, `$DIR` the scratch directory. Returns stdout, stderr and
/// the status.
fn in_netns(dir: &Path, script: &str) -> (String, String, i32) {
    let script = format!("mount -t tmpfs tmpfs /run || exit 99\nset -u\n{script}");
    let o = Command::new("unshare")
        .args(["-nm", "sh", "-c", &script])
        .current_dir(dir)
        .env("IBOX", IBOX)
        .env("IP", IPROUTE2_IP)
        .env("BRIDGE", IPROUTE2_BRIDGE)
        .env("DIR", dir)
        .output()
        .expect("run unshare");
    (
        common::stdout(&o),
        common::stderr(&o),
        o.status.code().unwrap_or(-1),
    )
}

/// The part of `out` between `@@name` and the next `@@` marker.
fn section<'a>(out: &'a str, name: &str) -> &'a str {
    let start = format!("@@{name}\n");
    let Some(from) = out.find(&start).map(|p| p + start.len()) else {
        return "";
    };
    let rest = &out[from..];
    &rest[..rest.find("@@").unwrap_or(rest.len())]
}

/// A static veth end, a bridge over two veth ends with IPv4 and IPv6
/// addresses, hooks recording their environment, a loopback.
const STATIC: &str = r#"# the test's network
auto lo
iface lo inet loopback

auto v1
iface v1 inet static
	address 10.1.0.1
	netmask 255.255.255.0
	gateway 10.1.0.254
	metric 10
	mtu 1400
	hwaddress ether 02:00:00:00:01:01
	pre-up env | grep -E '^(IFACE|LOGICAL|MODE|PHASE|METHOD|ADDRFAM|IF_)' | sort > "$DIR/marks/$IFACE.$PHASE"
	up env | grep -E '^(IFACE|MODE|PHASE|METHOD|ADDRFAM|IF_)' | sort > "$DIR/marks/$IFACE.$PHASE"
	post-up ip -o addr show dev $IFACE > "$DIR/marks/$IFACE.$PHASE"
	pre-down echo "$MODE $PHASE" > "$DIR/marks/$IFACE.$PHASE"
	down echo "$MODE $PHASE" > "$DIR/marks/$IFACE.$PHASE"
	post-down ip -o addr show dev $IFACE > "$DIR/marks/$IFACE.$PHASE"

auto br0
iface br0 inet static
	bridge-ports v2 v3
	address 10.2.0.1/24
iface br0 inet6 static
	address fd00:2::1/64
	gateway fd00:2::fe
"#;

/// The veth pairs the configurations use; IPv6 addresses skip duplicate
/// detection so that they are usable at once.
const VETHS: &str = r#"
echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad
$IP link add v0 type veth peer name v1
$IP link add v2 type veth peer name v2p
$IP link add v3 type veth peer name v3p
mkdir -p "$DIR/marks"
"#;

#[test]
fn static_bridge_and_hooks_up_twice_then_down() {
    if !netns_available() {
        return;
    }
    let dir = scratch("static");
    std::fs::write(dir.path("interfaces"), STATIC).expect("write");
    let script = format!(
        r#"{VETHS}
echo @@up; "$IBOX" ifup -a -i interfaces 2>&1; echo "rc $?"
echo @@state; cat /run/ifstate
echo @@addr; $IP -o addr show | sed 's/ *\\.*valid_lft.*//' | awk '{{print $2, $3, $4}}'
echo @@route; $IP route show default; $IP -6 route show dev br0 | grep fd00; $IP -6 route show default
echo @@links; for l in lo v1 v2 v3 br0; do $IP -o -d link show $l; done
echo @@again; "$IBOX" ifup -a -i interfaces 2>&1; echo "rc $?"
echo @@state2; cat /run/ifstate
echo @@query; "$IBOX" ifquery -s br0 v1; "$IBOX" ifquery -L -a -i interfaces
echo @@down; "$IBOX" ifdown -a -i interfaces 2>&1; echo "rc $?"
echo @@after; $IP -o addr show | grep -v ' lo ' | awk '{{print $2, $3, $4}}'; $IP route; $IP -6 route | grep fd00
$IP -o link show | grep -c 'br0'; $IP -o link show v2 | grep -c master; cat /run/ifstate
echo @@again-down; "$IBOX" ifdown v1 -i interfaces 2>&1; echo "rc $?"
echo @@end
"#
    );
    let (out, err, status) = in_netns(&dir, &script);
    assert_eq!(status, 0, "{out}\n{err}");
    assert_eq!(section(&out, "up"), "rc 0\n");
    assert_eq!(
        section(&out, "state"),
        "lo=lo up=lo\n\
         v1=v1 up=v1 addr=v1,10.1.0.1/24 route=v1,10.1.0.254,10\n\
         br0=br0 created=br0 master=v2 up=v2 master=v3 up=v3 up=br0 \
         addr=br0,10.2.0.1/24 addr=br0,fd00:2::1/64 route=br0,fd00:2::fe,0\n"
    );
    let addr = section(&out, "addr");
    for want in [
        "lo inet 127.0.0.1/8",
        "v1 inet 10.1.0.1/24",
        "br0 inet 10.2.0.1/24",
        "br0 inet6 fd00:2::1/64",
    ] {
        assert!(addr.contains(want), "{want} missing from:\n{addr}");
    }
    let route = section(&out, "route");
    assert!(
        route.contains("default via 10.1.0.254 dev v1 metric 10"),
        "{route}"
    );
    assert!(route.contains("fd00:2::/64"), "{route}");
    assert!(route.contains("default via fd00:2::fe dev br0"), "{route}");
    let links: Vec<&str> = section(&out, "links").lines().collect();
    assert_eq!(links.len(), 5, "{links:?}");
    assert!(links[0].contains("<LOOPBACK,UP,LOWER_UP>"), "{}", links[0]);
    assert!(links[1].contains(",UP") && links[1].contains("mtu 1400"));
    assert!(links[1].contains("link/ether 02:00:00:00:01:01"));
    assert!(links[2].contains("master br0") && links[2].contains(",UP"));
    assert!(links[3].contains("master br0") && links[3].contains(",UP"));
    assert!(links[4].contains("bridge") && links[4].contains(",UP"));
    // The second ifup is a no-op.
    assert_eq!(section(&out, "again"), "rc 0\n");
    assert_eq!(section(&out, "state2"), section(&out, "state"));
    assert_eq!(section(&out, "query"), "br0=br0\nv1=v1\nlo\nv1\nbr0\n");
    // ifdown -a undid all of it, in reverse order.
    assert_eq!(section(&out, "down"), "rc 0\n");
    let after = section(&out, "after");
    assert_eq!(after, "0\n0\n", "left behind:\n{after}");
    assert_eq!(
        section(&out, "again-down"),
        "ifdown: interface v1 not configured\nrc 0\n"
    );
    // The hooks ran in their phases with ifupdown's environment.
    let mark =
        |n: &str| std::fs::read_to_string(dir.path(&format!("marks/{n}"))).unwrap_or_default();
    assert_eq!(
        mark("v1.pre-up"),
        "ADDRFAM=inet\nIFACE=v1\nIF_ADDRESS=10.1.0.1\nIF_GATEWAY=10.1.0.254\n\
         IF_HWADDRESS=ether 02:00:00:00:01:01\nIF_METRIC=10\nIF_MTU=1400\n\
         IF_NETMASK=255.255.255.0\nLOGICAL=v1\nMETHOD=static\nMODE=start\nPHASE=pre-up\n"
    );
    assert!(mark("v1.up").contains("PHASE=up\n"));
    assert!(
        mark("v1.post-up").contains("inet 10.1.0.1/24"),
        "{}",
        mark("v1.post-up")
    );
    assert_eq!(mark("v1.pre-down"), "stop pre-down\n");
    assert_eq!(mark("v1.down"), "stop down\n");
    // post-down runs after the addresses are gone.
    assert_eq!(mark("v1.post-down"), "");
    assert!(dir.path("marks/v1.post-down").exists());
}

#[test]
fn vlan_on_a_veth() {
    if !netns_available() {
        return;
    }
    let dir = scratch("vlan");
    let (_, _, status) = in_netns(
        &dir,
        "$IP link add v0 type veth peer name v1 && \
         $IP link add link v0 name v0.10 type vlan id 10 2>/dev/null",
    );
    if status != 0 {
        eprintln!("note: skipping: this kernel has no 802.1Q VLANs");
        return;
    }
    std::fs::write(
        dir.path("interfaces"),
        "auto v0.10\niface v0.10 inet static\n\taddress 10.10.0.1/24\n\
         auto vlan20\niface vlan20\n\tvlan-raw-device v0\n\taddress 10.20.0.1/24\n",
    )
    .expect("write");
    let (out, err, status) = in_netns(
        &dir,
        r#"$IP link add v0 type veth peer name v1
"$IBOX" ifup -a -i interfaces || exit 1
echo @@up; $IP -o -d link show v0.10 | grep -o 'vlan protocol 802.1Q id 10'
$IP -o -d link show vlan20 | grep -o 'vlan protocol 802.1Q id 20'
$IP -o addr show dev v0.10 | awk '{print $4}'; $IP -o link show v0 | grep -c ',UP'
"$IBOX" ifdown -a -i interfaces || exit 2
echo @@down; $IP -o link show | grep -c '@v0'; $IP -o link show v0 | grep -c ',UP'
echo @@end"#,
    );
    assert_eq!(status, 0, "{out}\n{err}");
    assert_eq!(
        section(&out, "up"),
        "vlan protocol 802.1Q id 10\nvlan protocol 802.1Q id 20\n10.10.0.1/24\n1\n"
    );
    // The VLANs are gone; the raw device, perhaps shared, stays up.
    assert_eq!(section(&out, "down"), "1\n1\n");
}

#[test]
fn vlan_aware_bridge() {
    if !netns_available() {
        return;
    }
    let dir = scratch("vlan-aware");
    let (_, _, status) = in_netns(
        &dir,
        "$IP link add br9 type bridge vlan_filtering 1 2>/dev/null && [ -x \"$BRIDGE\" ]",
    );
    if status != 0 {
        eprintln!("note: skipping: this kernel's bridges cannot filter VLANs");
        return;
    }
    std::fs::write(
        dir.path("interfaces"),
        "auto br0\niface br0\n\tbridge-ports v0 v2\n\tbridge-vlan-aware yes\n\
         \tbridge-vids 10 20-21\n\
         iface v2 inet manual\n\tbridge-vids 30\n\tbridge-pvid 5\n",
    )
    .expect("write");
    let (out, err, status) = in_netns(
        &dir,
        r#"$IP link add v0 type veth peer name v1
$IP link add v2 type veth peer name v3
"$IBOX" ifup -a -i interfaces || exit 1
echo @@filtering; $IP -d link show br0 | grep -o 'vlan_filtering 1'
echo @@v0; $BRIDGE vlan show dev v0
echo @@v2; $BRIDGE vlan show dev v2
echo @@br0; $BRIDGE vlan show dev br0
"$IBOX" ifdown -a -i interfaces || exit 2
echo @@down; $IP -o link show | grep -c br0
echo @@end"#,
    );
    assert_eq!(status, 0, "{out}\n{err}");
    assert_eq!(section(&out, "filtering"), "vlan_filtering 1\n");
    // Words, since iproute2's column layout varies between versions.
    let words = |name: &str| -> String {
        section(&out, name)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let v0 = words("v0");
    for vid in ["10", "20", "21"] {
        assert!(v0.split(' ').any(|w| w == vid), "vid {vid} on v0: {v0}");
    }
    let v2 = words("v2");
    assert!(v2.split(' ').any(|w| w == "30"), "{v2}");
    assert!(v2.contains("5 PVID Egress Untagged"), "{v2}");
    let br0 = words("br0");
    for vid in ["10", "20", "21"] {
        assert!(br0.split(' ').any(|w| w == vid), "vid {vid} on br0: {br0}");
    }
    assert_eq!(section(&out, "down"), "0\n");
}

#[test]
fn dhcp_runs_the_client_and_ifdown_stops_it() {
    if !netns_available() {
        return;
    }
    let dir = scratch("dhcp");
    // A udhcpc stand-in: records its arguments, configures an address as
    // a lease would and, as udhcpc -b does, leaves a process behind whose
    // pid it writes to the -p file.
    let fake = dir.path("udhcpc");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho \"$@\" > \"$DIR/args\"\nsleep 30 &\n\
         while [ $# -gt 0 ]; do case \"$1\" in\n\
         -p) echo $! > \"$2\";;\n\
         -i) \"$IP\" addr add 10.9.0.5/24 dev \"$2\";;\n\
         esac; shift; done\nexit 0\n",
    )
    .expect("write");
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    std::fs::write(
        dir.path("interfaces"),
        format!(
            "auto d0\niface d0 inet dhcp\n\tdhcp-program {}\n",
            fake.display()
        ),
    )
    .expect("write");
    let (out, err, status) = in_netns(
        &dir,
        r#"$IP link add d0 type veth peer name d1
"$IBOX" ifup d0 -i interfaces || exit 1
echo @@up; cat "$DIR/args"; pid=$(cat /run/udhcpc.d0.pid); kill -0 $pid && echo alive
$IP -o link show d0 | grep -c ',UP'; $IP -o addr show dev d0 | grep -c 10.9.0.5; cat /run/ifstate
"$IBOX" ifdown d0 -i interfaces || exit 2
sleep 0.2
echo @@down; st=$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)
{ [ -z "$st" ] || [ "$st" = Z ]; } && echo gone
$IP -o addr show dev d0 | grep -c 10.9.0.5
echo @@end"#,
    );
    assert_eq!(status, 0, "{out}\n{err}");
    assert_eq!(
        section(&out, "up"),
        "-b -p /run/udhcpc.d0.pid -i d0\nalive\n1\n1\nd0=d0 up=d0 dhcp=d0,/run/udhcpc.d0.pid\n"
    );
    // The client is gone and so is the address it configured.
    assert_eq!(section(&out, "down"), "gone\n0\n");
}

#[test]
fn inet6_auto_switches_on_autoconfiguration() {
    if !netns_available() {
        return;
    }
    let dir = scratch("slaac");
    std::fs::write(dir.path("interfaces"), "auto a0\niface a0 inet6 auto\n").expect("write");
    let (out, err, status) = in_netns(
        &dir,
        r#"$IP link add a0 type veth peer name a1
echo 0 > /proc/sys/net/ipv6/conf/a0/accept_ra
echo 0 > /proc/sys/net/ipv6/conf/a0/autoconf
"$IBOX" ifup -a -i interfaces || exit 1
echo @@up; cat /proc/sys/net/ipv6/conf/a0/accept_ra /proc/sys/net/ipv6/conf/a0/autoconf
$IP -o link show a0 | grep -c ',UP'
echo @@end"#,
    );
    assert_eq!(status, 0, "{out}\n{err}");
    assert_eq!(section(&out, "up"), "1\n1\n1\n");
}

#[test]
fn a_failing_interface_is_rolled_back_and_its_dependents_skipped() {
    if !netns_available() {
        return;
    }
    let dir = scratch("rollback");
    std::fs::write(
        dir.path("interfaces"),
        "auto ok0\niface ok0\n\taddress 10.3.0.1/24\n\
         auto br0\niface br0\n\tbridge-ports v2\n\taddress 10.4.0.1/24\n\tpost-up false\n\
         auto top\niface top inet manual\n\trequires br0\n\
         auto gone\niface gone\n\tbridge-ports nosuch\n",
    )
    .expect("write");
    let (out, err, status) = in_netns(
        &dir,
        r#"$IP link add ok0 type veth peer name ok1
$IP link add v2 type veth peer name v2p
echo @@up; "$IBOX" ifup -a -i interfaces 2>&1; echo "rc $?"
echo @@after; cat /run/ifstate; $IP -o link show | grep -c br0
$IP -o link show v2 | grep -c ',UP'; $IP -o addr show | grep -c 10.4.0.1
$IP -o link show | grep -c gone
echo @@end"#,
    );
    assert_eq!(status, 0, "{out}\n{err}");
    assert_eq!(
        section(&out, "up"),
        "ifup: br0: 'false' exited with status 1\nifup: top: skipped: br0 failed\n\
         ifup: gone: ip link set nosuch master gone: Cannot find device \"nosuch\"\nrc 1\n"
    );
    assert_eq!(
        section(&out, "after"),
        "ok0=ok0 up=ok0 addr=ok0,10.3.0.1/24\n0\n0\n0\n0\n"
    );
}

/// `-f`: ifdown undoes what the configuration says ifup would have done
/// when the state file does not know the interface, and ifup runs again
/// over an interface already up, keeping what is already there.
#[test]
fn force_works_without_the_state() {
    if !netns_available() {
        return;
    }
    let dir = scratch("force");
    std::fs::write(
        dir.path("interfaces"),
        "iface br0\n\tbridge-ports v0\n\taddress 10.6.0.1/24\n",
    )
    .expect("write");
    let (out, err, status) = in_netns(
        &dir,
        r#"$IP link add v0 type veth peer name v1
"$IBOX" ifup br0 -i interfaces || exit 1
"$IBOX" ifup -f br0 -i interfaces || exit 2
echo @@state; cat /run/ifstate
rm /run/ifstate
echo @@down; "$IBOX" ifdown br0 -i interfaces 2>&1; $IP -o link show | grep -c ': br0:'
"$IBOX" ifdown -f br0 -i interfaces || exit 3
echo @@forced; $IP -o link show | grep -c ': br0:'; $IP -o link show v0 | grep -c ',UP'
echo @@end"#,
    );
    assert_eq!(status, 0, "{out}\n{err}");
    assert_eq!(
        section(&out, "state"),
        "br0=br0 created=br0 master=v0 up=v0 up=br0 addr=br0,10.6.0.1/24\n"
    );
    assert_eq!(
        section(&out, "down"),
        "ifdown: interface br0 not configured\n1\n"
    );
    assert_eq!(section(&out, "forced"), "0\n0\n");
}

#[test]
fn configuration_errors_change_nothing() {
    if !netns_available() {
        return;
    }
    let dir = scratch("bad");
    std::fs::write(
        dir.path("interfaces"),
        "auto a0\niface a0\n\taddress 10.5.0.1/24\n\
         auto b0\niface b0 inet static\n\tgateway 10.5.0.300\n",
    )
    .expect("write");
    let (out, err, status) = in_netns(
        &dir,
        r#"$IP link add a0 type veth peer name a1
echo @@up; "$IBOX" ifup -a -i interfaces 2>&1; echo "rc $?"
echo @@after; ls /run; $IP -o addr show dev a0 | grep -c inet
echo @@end"#,
    );
    assert_eq!(status, 0, "{out}\n{err}");
    assert_eq!(
        section(&out, "up"),
        "ifup: interfaces:6: invalid value '10.5.0.300' for 'gateway'\nrc 1\n"
    );
    assert_eq!(section(&out, "after"), "0\n");
}

/// Without root: what `-n` would do, in dependency order, and `ifquery`.
#[test]
fn no_act_prints_the_steps_in_dependency_order() {
    let dir = scratch("noact");
    let file = dir.path("interfaces");
    std::fs::write(
        &file,
        "auto top\niface top inet manual\n\trequires br0\n\tup echo hi\n\
         iface br0\n\tbridge-ports p0 p1\n\
         iface p1 inet manual\n\tpre-up echo p1\n",
    )
    .expect("write");
    let file = file.to_str().expect("utf-8 path");
    let o = common::ibox(&["ifup", "-n", "-a", "-i", file]);
    assert_eq!(common::stderr(&o), "");
    assert_eq!(
        common::stdout(&o),
        "echo p1\n\
         ip link set p1 up\n\
         ip link add br0 type bridge\n\
         ip link set p0 master br0\n\
         ip link set p0 up\n\
         ip link set p1 master br0\n\
         ip link set br0 up\n\
         ip link set top up\n\
         echo hi\n"
    );
    assert_eq!(o.status.code(), Some(0));
    let o = common::ibox(&["ifquery", "-i", file, "top"]);
    assert_eq!(common::stdout(&o), "requires: br0\nup: echo hi\n");
    let o = common::ibox(&["ifquery", "-L", "-i", file]);
    assert_eq!(common::stdout(&o), "top\nbr0\np1\n");
    // --allow=CLASS: only interfaces of an allow-CLASS line.
    let hot = dir.path("hotplug");
    std::fs::write(&hot, "auto a0\nallow-hotplug h0\niface a0\niface h0\n").expect("write");
    let hot = hot.to_str().expect("utf-8 path");
    let o = common::ibox(&["ifup", "-n", "-a", "--allow=hotplug", "-i", hot]);
    assert_eq!(common::stdout(&o), "ip link set h0 up\n");
    let o = common::ibox(&["ifup", "-n", "--allow", "hotplug", "-i", hot, "a0", "h0"]);
    assert_eq!(common::stdout(&o), "ip link set h0 up\n");
    let o = common::ibox(&["ifup", "-n", "-a", "-i", hot]);
    assert_eq!(common::stdout(&o), "ip link set a0 up\n");
    let o = common::ibox(&["ifup", "-n", "-i", file, "nosuch"]);
    common::assert_fails(&o, "ifup: unknown interface nosuch");
    let o = common::ibox(&["ifup", "-i", file]);
    common::assert_fails(&o, "ifup: no interface given");
    std::fs::write(
        dir.path("loop"),
        "iface a\n\trequires b\niface b\n\trequires a\n",
    )
    .expect("write");
    let o = common::ibox(&[
        "ifup",
        "-n",
        "-i",
        dir.path("loop").to_str().expect("path"),
        "a",
    ]);
    common::assert_fails(&o, "ifup: dependency loop: a -> b -> a");
}
