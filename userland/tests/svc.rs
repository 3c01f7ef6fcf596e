//! `svc` and `logread` without an init to talk to: their error paths. The
//! way they work with init is tested by booting an image (tests/tests/init.rs).

use std::process::Output;

mod common;
use common::stderr;

fn run(args: &[&str]) -> Output {
    common::output_of(
        common::ibox_cmd(args).env("IBEX_CONTROL_SOCKET", "/nonexistent/ibex/control.sock"),
        b"",
    )
}

#[test]
fn without_init_they_say_why_and_fail() {
    for args in [
        &["svc", "list"][..],
        &["svc", "stop", "x"],
        &["svc", "reload"],
        &["logread"],
        &["logread", "-f", "x"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&o).contains(
                "can't connect to /nonexistent/ibex/control.sock: No such file or directory"
            ),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn bad_commands_are_usage_errors() {
    let o = run(&["svc", "frobnicate", "x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("svc: unknown command 'frobnicate'"),
        "{}",
        stderr(&o)
    );
    let o = run(&["svc", "start"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("wrong number of arguments"),
        "{}",
        stderr(&o)
    );
    let o = run(&["svc", "reload", "x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("wrong number of arguments"),
        "{}",
        stderr(&o)
    );
    let o = run(&["logread", "a", "b"]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["logread", "-x"]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["svc", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("restart NAME"));
    assert!(String::from_utf8_lossy(&o.stdout).contains("reload"));
}
