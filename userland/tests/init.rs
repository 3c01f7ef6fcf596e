//! The `init` applet: Ibex's init (the `ibex-init` crate, tested on its own
//! in init/tests) entered through ibox, by `argv[0]` as the kernel and a
//! container runtime start it (`/sbin/init` → `/bin/ibox`) and as
//! `ibox init`. Here it runs in container mode, as a child of the test, on
//! a command of its own: no boot plan, nothing outside the scratch tree.

use std::process::Command;

mod common;
use common::{ibox, output_of, scratch, stderr, stdout, Scratch, IBOX};

/// `cmd` (ibox entered one way or another) as init in container mode
/// running `command` as its main service, with its files in `dir`.
fn container(cmd: &mut Command, dir: &Scratch, command: &[&str]) -> std::process::Output {
    cmd.args(["--container", "--"])
        .args(command)
        .env("IBEX_PLAN", dir.path("missing.plan"))
        .env("IBEX_CONTROL_SOCKET", dir.path("run/control.sock"))
        .env("IBEX_LOG_DIR", dir.path("log"))
        .env("IBEX_SERVICES_DIR", dir.path("services.d"));
    output_of(cmd, b"")
}

#[test]
fn init_runs_by_argv0_and_as_ibox_init() {
    let dir = scratch("argv0");
    std::fs::create_dir(dir.path("sbin")).unwrap();
    let link = dir.path("sbin/init");
    std::os::unix::fs::symlink(IBOX, &link).unwrap();

    let o = container(
        &mut Command::new(&link),
        &dir,
        &[IBOX, "sh", "-c", "exit 7"],
    );
    assert_eq!(o.status.code(), Some(7), "{}", stderr(&o));
    assert!(stderr(&o).contains("init: Ibex init"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("init: main service ended: stopping the container with status 7"),
        "{}",
        stderr(&o)
    );

    let mut multi = Command::new(IBOX);
    multi.arg("init");
    let o = container(&mut multi, &dir, &[IBOX, "echo", "hello"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "hello\n");
}

/// What Rust's runtime did for init's own binary and ibox's C `main` does
/// not (SIGPIPE ignored), and what init does for itself (its signals
/// blocked for the signalfd), must hold when it runs inside ibox.
#[test]
fn init_in_ibox_ignores_sigpipe_and_blocks_its_signals() {
    let dir = scratch("signals");
    // The main service is sh, a child of init: it reads init's pid from its
    // own /proc/self/stat (read is a builtin, so "self" is sh) and shows
    // init's status.
    let script = "read pid comm state ppid rest < /proc/self/stat; cat /proc/$ppid/status";
    let mut multi = Command::new(IBOX);
    multi.arg("init");
    let o = container(&mut multi, &dir, &[IBOX, "sh", "-c", script]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let status = stdout(&o);
    let mask = |field: &str| {
        let line = status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .unwrap_or_else(|| panic!("no {field} in\n{status}"));
        u64::from_str_radix(line.trim(), 16).unwrap()
    };
    let bit = |sig: i32| 1u64 << (sig - 1);
    assert_ne!(mask("SigIgn:") & bit(nix::libc::SIGPIPE), 0, "{status}");
    for sig in [nix::libc::SIGCHLD, nix::libc::SIGTERM, nix::libc::SIGINT] {
        assert_ne!(mask("SigBlk:") & bit(sig), 0, "signal {sig}: {status}");
    }
}

#[test]
fn help_is_usage_when_not_pid_1() {
    let o = ibox(&["init", "--help"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("Usage: init [--container]"));
}
