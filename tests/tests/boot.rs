//! Boot the default image in QEMU and check the system from its console.
//! One VM serves many checks: boots are the slow part.

use ibex_tests::{default_image, Vm};
use std::time::Duration;

#[test]
fn default_image_boots_to_a_working_shell() {
    let mut vm = Vm::boot(default_image());
    eprintln!("prompt after {:?}", vm.uptime());
    let boot_log = vm.transcript();
    assert!(
        boot_log.contains("init: Ibex init"),
        "no init banner:\n{boot_log}"
    );

    // Applets and the shell.
    assert_eq!(vm.ok("echo hello   world"), "hello world");
    assert_eq!(vm.ok("echo \"a  b\" 'c  d'"), "a  b c  d");
    let uname = vm.ok("uname -a");
    assert!(uname.starts_with("Linux ibex 6.1."), "{uname}");
    assert!(uname.contains("x86_64"), "{uname}");
    let proc = vm.ok("ls /proc");
    for entry in ["1", "self", "mounts", "cpuinfo", "uptime"] {
        assert!(
            proc.split_whitespace().any(|e| e == entry),
            "/proc lacks {entry}:\n{proc}"
        );
    }
    assert_eq!(vm.run("false").status, 1);
    assert_eq!(vm.run("no-such-command").status, 127);
    assert_eq!(
        vm.ok("X=1; export X; sh -c 'echo $X' && echo and || echo or"),
        "1\nand"
    );

    // Services start with no signals blocked (init's own mask is not inherited).
    let status = vm.ok("cat /proc/$$/status");
    assert!(
        status.lines().any(|l| l == "SigBlk:\t0000000000000000"),
        "{status}"
    );

    // ibox (a static PIE that relocates itself) leaves one writable
    // mapping of its file, .data and .bss: the relocated RELRO part (vtables,
    // GOT, init arrays) is read-only, and nothing is writable and executable.
    let maps = vm.ok("grep /bin/ibox /proc/self/maps");
    let modes: Vec<&str> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(modes, ["r--p", "r-xp", "r--p", "rw-p"], "{maps}");

    // PID 1 is our init (ibox's init applet, started through the /init
    // link), and it mounted and named the system.
    assert_eq!(vm.ok("cat /proc/1/comm"), "init");
    assert!(vm.ok("ls -l /proc/1/exe").ends_with("-> /bin/ibox"));
    assert_eq!(vm.ok("cat /proc/sys/kernel/hostname"), "ibex");
    let mounts = vm.ok("cat /proc/mounts");
    for (fs, dir) in [
        ("proc", "/proc"),
        ("sysfs", "/sys"),
        ("devtmpfs", "/dev"),
        ("devpts", "/dev/pts"),
        ("tmpfs", "/run"),
        ("tmpfs", "/tmp"),
    ] {
        assert!(
            mounts
                .lines()
                .any(|l| l.starts_with(&format!("{fs} {dir} {fs}"))),
            "{fs} not mounted on {dir}:\n{mounts}"
        );
    }

    // An orphan is reparented to init and reaped when it exits.
    let pid = vm.ok("sh -c 'sleep 3 & echo $!'");
    let stat = vm.ok(&format!("cat /proc/{pid}/stat"));
    let ppid = stat.rsplit(')').next().unwrap().split_whitespace().nth(1);
    assert_eq!(ppid, Some("1"), "orphan not reparented to init: {stat}");
    vm.ok("sleep 4");
    assert_ne!(
        vm.run(&format!("ls /proc/{pid}")).status,
        0,
        "orphan {pid} not reaped"
    );
    let ps = vm.ok("ps");
    assert!(
        !ps.lines().skip(1).any(|l| l
            .split_whitespace()
            .nth(3)
            .is_some_and(|s| s.starts_with('Z'))),
        "zombie left:\n{ps}"
    );

    // The console shell is respawned when it exits.
    vm.send("exit");
    vm.wait_for("# ", Duration::from_secs(60));
    vm.plain_shell();
    assert_eq!(vm.ok("echo back"), "back");
}

#[test]
fn poweroff_ends_qemu_cleanly() {
    let mut vm = Vm::boot(default_image());
    // Running processes are stopped, not waited for.
    vm.ok("sleep 1000 & true");
    vm.send("poweroff");
    let status = vm.wait_exit(Duration::from_secs(120));
    assert!(status.success(), "QEMU exited with {status}");
    let log = vm.transcript();
    assert!(
        log.contains("init: poweroff: stopping all processes"),
        "{log}"
    );
    // The console shell ignores SIGTERM but ends on the hangup init sends its
    // terminal session, so nothing had to be killed.
    assert!(!log.contains("sending SIGKILL"), "{log}");
}

#[test]
fn halt_stops_the_system_without_powering_off() {
    let mut vm = Vm::boot(default_image());
    vm.send("halt");
    vm.wait_for("init: halt: now", Duration::from_secs(60));
    vm.wait_for("System halted", Duration::from_secs(60));
}

#[test]
fn reboot_ends_qemu_with_no_reboot() {
    let mut vm = Vm::boot(default_image());
    vm.send("reboot");
    let status = vm.wait_exit(Duration::from_secs(120));
    assert!(status.success(), "QEMU exited with {status}");
    assert!(vm.transcript().contains("init: reboot: now"));
}
