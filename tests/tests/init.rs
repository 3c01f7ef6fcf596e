//! Boots the `init-test` image (images/init-test/) and checks, from its
//! console, everything init does with services: dependency order and
//! parallel start, readiness, backoff and the failure limit, logs and
//! their rotation, `svc` and `logread`, identities and limits, orphans,
//! surviving `kill -9`, and an orderly shutdown. One VM for all of it.

use ibex_tests::{build_image, Vm};
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(300);

/// Runs `command` until its output satisfies `done`, or panics.
fn eventually(vm: &mut Vm, command: &str, done: impl Fn(&str, i32) -> bool) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let out = vm.run(command);
        let text = out.text.clone();
        if done(&text, out.status) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "`{command}` never got there; last output ({}):\n{}",
            out.status,
            out.text
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Milliseconds of day from a `logread` line (`2026-11-24T20:33:05.123Z svc: text`).
fn millis(line: &str) -> u64 {
    let t = &line[11..23];
    let h: u64 = t[0..2].parse().unwrap();
    let m: u64 = t[3..5].parse().unwrap();
    let s: u64 = t[6..8].parse().unwrap();
    let ms: u64 = t[9..12].parse().unwrap();
    ((h * 60 + m) * 60 + s) * 1000 + ms
}

/// The time of the first `logread` line that ends with `service: text`.
fn when(log: &str, service: &str, text: &str) -> u64 {
    let needle = format!(" {service}: {text}");
    millis(
        log.lines()
            .find(|l| l.ends_with(&needle))
            .unwrap_or_else(|| panic!("no '{needle}' in the log:\n{log}")),
    )
}

fn pid_of(vm: &mut Vm, service: &str) -> String {
    let status = vm.ok(&format!("svc status {service}"));
    status
        .split("(pid ")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("no pid in: {status}"))
        .to_string()
}

#[test]
fn init_supervises_every_kind_of_service() {
    let built = build_image("qemu-x86_64", "init-test", None).expect("build init-test");
    let mut vm = Vm::boot(&built);

    // Dependencies: joined waited for both slow services to be ready, and
    // the slow services started in parallel, after the setup oneshot.
    let log = eventually(&mut vm, "logread", |text, _| {
        text.contains("joined: starting")
    });
    let setup_end = when(&log, "setup", "setup end");
    let a_start = when(&log, "slow-a", "starting");
    let b_start = when(&log, "slow-b", "starting");
    let a_ready = when(&log, "slow-a", "ready");
    let b_ready = when(&log, "slow-b", "ready");
    let joined = when(&log, "joined", "starting");
    assert!(setup_end <= a_start && setup_end <= b_start, "{log}");
    assert!(
        b_start < a_ready && a_start < b_ready,
        "not parallel:\n{log}"
    );
    assert!(
        joined >= a_ready && joined >= b_ready,
        "readiness ignored:\n{log}"
    );

    // The crasher restarts with growing delays, then is marked failed; the
    // service that needs it was never started.
    eventually(&mut vm, "svc status crasher", |_, code| code == 32);
    let status = vm.run("svc status crasher");
    assert!(
        status.text.starts_with("crasher: failed"),
        "{}",
        status.text
    );
    assert!(
        status.text.contains("failed 4 times in a row"),
        "{}",
        status.text
    );
    let log = vm.ok("logread crasher");
    let starts: Vec<u64> = log
        .lines()
        .filter(|l| l.ends_with("crasher: crashing"))
        .map(millis)
        .collect();
    assert_eq!(starts.len(), 4, "{log}");
    // The delays init chose grow 300 ms, 600 ms, 1.2 s; the gaps seen are
    // at least that minus the difference in how long each start took, so
    // only the longest is checked, with room for a slow machine.
    let console = vm.transcript();
    for delay in ["300ms", "600ms", "1.2s"] {
        assert!(
            console.contains(&format!("init: crasher: restarting in {delay}")),
            "no {delay} delay:\n{console}"
        );
    }
    assert!(starts[3] - starts[2] >= 600, "{starts:?}");
    let after = vm.run("svc status after-crasher");
    assert_eq!(after.status, 32, "{}", after.text);
    assert!(
        after.text.contains("needs crasher, which failed"),
        "{}",
        after.text
    );
    assert!(!vm.ok("logread").contains("should never run"));

    // Logs: written to /var/log with time stamps, rotated to two old files.
    eventually(&mut vm, "logread chatty", |t, _| t.contains("chatty done"));
    assert_eq!(
        vm.ok("ls /var/log | while read f; do case $f in chatty*) echo $f;; esac; done"),
        "chatty.log\nchatty.log.1\nchatty.log.2"
    );
    let newest = vm.ok("cat /var/log/chatty.log");
    assert!(newest.ends_with("Z chatty done"), "{newest}");

    // svc: list, stop, start, restart, unknown names.
    let list = vm.ok("svc list");
    assert!(list.starts_with("SERVICE"), "{list}");
    for name in ["joined", "crasher", "limited", "stubborn", "setup"] {
        assert!(
            list.lines().any(|l| l.starts_with(name)),
            "{name} missing:\n{list}"
        );
    }
    assert_eq!(vm.ok("svc status setup").split(' ').nth(1), Some("done"));
    let stop = vm.ok("svc stop joined");
    assert!(stop.starts_with("joined: stopped"), "{stop}");
    assert_eq!(vm.run("svc status joined").status, 3);
    let start = vm.ok("svc start joined");
    assert!(start.starts_with("joined: started (pid"), "{start}");
    let before = pid_of(&mut vm, "joined");
    vm.ok("svc restart joined");
    assert_ne!(pid_of(&mut vm, "joined"), before);
    let unknown = vm.run("svc status nosuch");
    assert_eq!(unknown.status, 1);
    assert!(
        unknown.text.contains("service 'nosuch' does not exist"),
        "{}",
        unknown.text
    );

    // A non-root client is refused (the socket is root's alone).
    let refused = vm.ok("logread refused");
    assert!(refused.contains("Permission denied"), "{refused}");
    assert_eq!(
        vm.ok("ls -l /run/ibex/control.sock").get(..10),
        Some("srw-------")
    );

    // Identity, rlimits and cgroup limits of `limited`.
    let pid = pid_of(&mut vm, "limited");
    let status = vm.ok(&format!("cat /proc/{pid}/status"));
    assert!(
        status.lines().any(|l| l.starts_with("Uid:\t65534\t65534")),
        "{status}"
    );
    let limits = vm.ok(&format!("cat /proc/{pid}/limits"));
    assert!(
        limits
            .lines()
            .any(|l| l.starts_with("Max open files") && l.contains(" 64 ")),
        "{limits}"
    );
    assert_eq!(vm.ok("cat /sys/fs/cgroup/limited/memory.max"), "33554432");
    assert_eq!(vm.ok("cat /sys/fs/cgroup/limited/pids.max"), "16");
    assert_eq!(vm.ok("cat /sys/fs/cgroup/limited/cpu.max"), "50000 100000");
    assert_eq!(vm.ok("cat /sys/fs/cgroup/limited/cgroup.procs"), pid);

    // kill -9 of a service is survived and the service comes back.
    let victim = pid_of(&mut vm, "joined");
    vm.ok(&format!("kill -9 {victim}"));
    eventually(&mut vm, "svc status joined", |t, code| {
        code == 0 && !t.contains(&format!("(pid {victim})"))
    });

    // The 1000 orphans were all reaped: no zombie is left.
    eventually(&mut vm, "logread orphans", |t, _| {
        t.contains("orphans: spawned 1000")
    });
    let zombies = "n=0; for f in /proc/[0-9]*/stat; do read l < $f; case $l in *') Z '*) n=$((n+1));; esac; done; echo $n";
    eventually(&mut vm, zombies, |t, _| t == "0");

    // Shutdown: reverse dependency order, SIGKILL for the stubborn one.
    vm.send("poweroff");
    let status = vm.wait_exit(Duration::from_secs(120));
    let full = vm.transcript();
    assert!(status.success(), "{full}");
    let log = &full[full
        .find("init: poweroff: stopping all processes")
        .expect("shutdown")..];
    assert!(
        log.contains("init: stubborn still running after its stop timeout: sending SIGKILL"),
        "{log}"
    );
    let joined_stop = log.find("init: joined (pid").expect("joined stopped");
    let slow_a_stop = log.rfind("init: slow-a (pid").expect("slow-a stopped");
    assert!(joined_stop < slow_a_stop, "not reverse order:\n{log}");
}
