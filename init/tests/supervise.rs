//! Runs the real `init` binary on the host, where it is not PID 1: it makes
//! itself the child subreaper and supervises the services of a boot plan
//! given in IBEX_PLAN. These tests watch real processes.

use ibex_plan::{BootPlan, Kind, Restart, Service};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(60);

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ibex-init-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn service(name: &str, script: &str, restart: Restart) -> Service {
    Service::daemon(name, &["/bin/sh", "-c", script], restart)
}

fn oneshot(name: &str, script: &str) -> Service {
    let mut s = service(name, script, Restart::Never);
    s.kind = Kind::Oneshot;
    s
}

fn start_init(dir: &Path, plan_bytes: &[u8]) -> Child {
    let plan = dir.join("boot.plan");
    std::fs::write(&plan, plan_bytes).unwrap();
    Command::new(env!("CARGO_BIN_EXE_init"))
        .env("IBEX_PLAN", &plan)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn plan(services: Vec<Service>) -> Vec<u8> {
    BootPlan {
        hostname: "test".into(),
        services,
    }
    .encode()
}

/// Polls `cond` until it holds or PATIENCE runs out.
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends SIGTERM and returns init's exit status and its log.
fn stop(mut init: Child) -> (std::process::ExitStatus, String) {
    let _ = Command::new("kill").arg(init.id().to_string()).status();
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = init.try_wait().unwrap() {
            let mut log = String::new();
            use std::io::Read;
            init.stderr
                .take()
                .unwrap()
                .read_to_string(&mut log)
                .unwrap();
            return (status, log);
        }
        assert!(Instant::now() < deadline, "init did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn lines(path: &Path) -> Vec<f64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

#[test]
fn crashing_service_restarts_with_growing_delay() {
    let dir = scratch("crash");
    let starts = dir.join("starts");
    let script = format!("date +%s.%N >> {}; exit 1", starts.display());
    let init = start_init(
        &dir,
        &plan(vec![service("crasher", &script, Restart::Always)]),
    );
    eventually("four starts", || lines(&starts).len() >= 4);
    let (status, log) = stop(init);
    assert!(status.success(), "{status}\n{log}");
    let t = lines(&starts);
    let first_gap = t[1] - t[0];
    let third_gap = t[3] - t[2];
    assert!(
        third_gap > first_gap * 2.0,
        "restart delay did not grow: {t:?}"
    );
    assert!(log.contains("crasher (pid"), "{log}");
    assert!(log.contains("exited with status 1"), "{log}");
}

#[test]
fn adopted_orphans_are_reaped() {
    let dir = scratch("orphan");
    let pidfile = dir.join("orphan");
    let script = format!("sleep 0.3 & echo $! > {}; exit 0", pidfile.display());
    let init = start_init(
        &dir,
        &plan(vec![service("parent", &script, Restart::Never)]),
    );
    eventually("the orphan's pid", || {
        std::fs::read_to_string(&pidfile).is_ok_and(|s| s.ends_with('\n'))
    });
    let pid = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .to_string();
    // A zombie keeps its /proc entry until its parent (init) reaps it.
    eventually("the orphan to be reaped", || {
        !Path::new(&format!("/proc/{pid}")).exists()
    });
    let (status, _) = stop(init);
    assert!(status.success());
}

#[test]
fn sigterm_stops_services_and_kills_the_stubborn() {
    let dir = scratch("stop");
    let pidfile = dir.join("pid");
    let script = format!(
        "trap '' TERM; echo $$ > {}; while :; do sleep 0.1; done",
        pidfile.display()
    );
    let init = start_init(
        &dir,
        &plan(vec![service("stubborn", &script, Restart::Always)]),
    );
    eventually("the service to start", || {
        std::fs::read_to_string(&pidfile).is_ok_and(|s| s.ends_with('\n'))
    });
    let pid = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .to_string();
    let (status, log) = stop(init);
    assert!(status.success(), "{log}");
    assert!(log.contains("sending SIGKILL"), "{log}");
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "service {pid} survived"
    );
}

#[test]
fn broken_plan_is_reported_and_survived() {
    let dir = scratch("broken");
    let init = start_init(&dir, b"IBXP\x02\x00\xff\xff\xff");
    std::thread::sleep(Duration::from_millis(300));
    let (status, log) = stop(init);
    assert!(status.success());
    assert!(
        log.contains("boot plan body is malformed; starting a rescue shell"),
        "{log}"
    );
}

#[test]
fn services_start_with_an_empty_signal_mask() {
    let dir = scratch("mask");
    let out = dir.join("status");
    let script = format!(
        "cat /proc/$$/status > {}.tmp; mv {0}.tmp {0}",
        out.display()
    );
    let init = start_init(&dir, &plan(vec![service("mask", &script, Restart::Never)]));
    eventually("the service's status", || out.exists());
    let status = std::fs::read_to_string(&out).unwrap();
    assert!(
        status.lines().any(|l| l == "SigBlk:\t0000000000000000"),
        "{status}"
    );
    stop(init);
}

/// Lines of a log file that services append to.
fn events(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn dependencies_start_in_order_and_oneshots_finish_first() {
    let dir = scratch("order");
    let log = dir.join("events");
    let l = log.display();
    // setup (oneshot) -> db (daemon) -> app (needs both); extra wants a
    // missing-at-runtime failure and still starts.
    let setup = oneshot(
        "setup",
        &format!("echo setup-start >> {l}; sleep 0.3; echo setup-end >> {l}"),
    );
    let mut db = service(
        "db",
        &format!("echo db >> {l}; exec sleep 100"),
        Restart::Never,
    );
    db.needs = vec![0];
    let broken = oneshot("broken", "exit 3");
    let mut app = service(
        "app",
        &format!("echo app >> {l}; exec sleep 100"),
        Restart::Never,
    );
    app.needs = vec![0, 1];
    app.wants = vec![2];
    let init = start_init(&dir, &plan(vec![setup, db, broken, app]));
    eventually("app to start", || events(&log).contains(&"app".to_string()));
    assert_eq!(events(&log), ["setup-start", "setup-end", "db", "app"]);
    let (status, out) = stop(init);
    assert!(status.success(), "{out}");
    // Shutdown goes in reverse order: app before db.
    let app_stop = out.find("app (pid").unwrap();
    let db_stop = out.find("db (pid").unwrap();
    assert!(app_stop < db_stop, "{out}");
}

#[test]
fn a_service_whose_needs_failed_is_not_started() {
    let dir = scratch("needs-failed");
    let marker = dir.join("started");
    let broken = oneshot("broken", "exit 1");
    let mut dependent = oneshot("dependent", &format!("touch {}", marker.display()));
    dependent.needs = vec![0];
    let init = start_init(&dir, &plan(vec![broken, dependent]));
    std::thread::sleep(Duration::from_millis(500));
    let (_, out) = stop(init);
    assert!(
        out.contains("dependent: not started: needs broken, which failed"),
        "{out}"
    );
    assert!(!marker.exists());
}

#[test]
fn failure_limit_marks_a_crashing_service_failed() {
    let dir = scratch("limit");
    let starts = dir.join("starts");
    let mut crasher = service(
        "crasher",
        &format!("echo x >> {}; exit 2", starts.display()),
        Restart::OnFailure,
    );
    crasher.failure_limit = 3;
    crasher.backoff.initial_ms = 10;
    let init = start_init(&dir, &plan(vec![crasher]));
    eventually("three starts", || events(&starts).len() >= 3);
    std::thread::sleep(Duration::from_millis(500));
    let (_, out) = stop(init);
    assert_eq!(events(&starts).len(), 3, "{out}");
    assert!(
        out.contains("crasher: failed 3 times in a row; giving up"),
        "{out}"
    );
}
