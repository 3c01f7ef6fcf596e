//! Runs the real `init` binary on the host, where it is not PID 1: it makes
//! itself the child subreaper and supervises the services of a boot plan
//! given in IBEX_PLAN. These tests watch real processes.

use ibex_control::{Request, Response, State as Shown};
use ibex_plan::{BootPlan, Kind, Readiness, Resource, Restart, Rlimit, Service};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
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
        .env("IBEX_CONTROL_SOCKET", dir.join("run/control.sock"))
        .env("IBEX_LOG_DIR", dir.join("log"))
        .env("IBEX_SERVICES_DIR", dir.join("services.d"))
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn plan(services: Vec<Service>) -> Vec<u8> {
    BootPlan {
        hostname: "test".into(),
        services,
        main: None,
        confirm: Default::default(),
        watchdog_secs: 0,
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
    let init = start_init(&dir, b"IBXP\x05\x00\xff\xff\xff");
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
    // The service reads its own status after exec: a shell's mask while it
    // waits for a child (dash blocks everything then) is not what init gave.
    let script = format!("exec cat /proc/self/status > {}", out.display());
    let init = start_init(&dir, &plan(vec![service("mask", &script, Restart::Never)]));
    eventually("the service's status", || {
        std::fs::read_to_string(&out).is_ok_and(|s| s.contains("voluntary_ctxt_switches"))
    });
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
        out.contains("crasher: failed 3 times in a row (exited with status 2); giving up"),
        "{out}"
    );
}

/// Sends one request to the init running in `dir` and reads one answer.
fn ask(dir: &Path, request: &Request) -> Response {
    let mut stream = UnixStream::connect(dir.join("run/control.sock")).unwrap();
    stream.write_all(&ibex_control::encode(request)).unwrap();
    read_response(&mut stream)
}

fn read_response(stream: &mut UnixStream) -> Response {
    let mut prefix = [0u8; 4];
    stream.read_exact(&mut prefix).unwrap();
    let mut body = vec![0u8; ibex_control::frame_len(prefix).unwrap()];
    stream.read_exact(&mut body).unwrap();
    ibex_control::decode(&body).unwrap()
}

fn status(dir: &Path, name: &str) -> ibex_control::ServiceStatus {
    match ask(dir, &Request::Status(name.into())) {
        Response::Services(mut list) => list.remove(0),
        other => panic!("unexpected answer {other:?}"),
    }
}

fn wait_for_socket(dir: &Path) {
    eventually("the control socket", || {
        dir.join("run/control.sock").exists()
    });
}

#[test]
fn control_socket_starts_stops_restarts_and_reports() {
    let dir = scratch("control");
    let init = start_init(
        &dir,
        &plan(vec![service("daemon", "exec sleep 100", Restart::Always)]),
    );
    wait_for_socket(&dir);
    eventually("daemon started", || {
        status(&dir, "daemon").state == Shown::Started
    });
    let first = status(&dir, "daemon").pid.unwrap();
    let mode = std::fs::metadata(dir.join("run/control.sock")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.permissions().mode() & 0o777, 0o600);

    assert_eq!(ask(&dir, &Request::Stop("daemon".into())), Response::Done);
    eventually("daemon stopped", || {
        status(&dir, "daemon").state == Shown::Stopped
    });
    assert!(!Path::new(&format!("/proc/{first}")).exists());
    // Stopped on request: not restarted although its policy is `always`.
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(status(&dir, "daemon").state, Shown::Stopped);

    assert_eq!(ask(&dir, &Request::Start("daemon".into())), Response::Done);
    eventually("daemon started again", || {
        status(&dir, "daemon").state == Shown::Started
    });
    let second = status(&dir, "daemon").pid.unwrap();
    assert_ne!(first, second);

    assert_eq!(
        ask(&dir, &Request::Restart("daemon".into())),
        Response::Done
    );
    eventually("daemon restarted", || {
        let s = status(&dir, "daemon");
        s.state == Shown::Started && s.pid != Some(second)
    });
    assert_eq!(
        ask(&dir, &Request::Status("nope".into())),
        Response::NoSuchService("nope".into())
    );
    match ask(&dir, &Request::List) {
        Response::Services(list) => assert_eq!(list.len(), 1),
        other => panic!("{other:?}"),
    }
    // Garbage and a silent client get an error or nothing; init goes on.
    let mut raw = UnixStream::connect(dir.join("run/control.sock")).unwrap();
    raw.write_all(&[8, 0, 0, 0, b'I', b'B', b'X', b'C', 2, 0, 0xff, 0xff])
        .unwrap();
    assert!(matches!(read_response(&mut raw), Response::Error(_)));
    let _silent = UnixStream::connect(dir.join("run/control.sock")).unwrap();
    assert_eq!(status(&dir, "daemon").state, Shown::Started);
    let (code, out) = stop(init);
    assert!(code.success(), "{out}");
}

#[test]
fn output_is_logged_stamped_rotated_and_served() {
    let dir = scratch("logs");
    let mut chatty = service(
        "chatty",
        "i=0; while [ $i -lt 300 ]; do echo \"line $i of some length to fill the log\"; i=$((i+1)); done; echo done >&2; exec sleep 100",
        Restart::Never,
    );
    chatty.log.rotate_bytes = 2048;
    chatty.log.keep = 2;
    let init = start_init(&dir, &plan(vec![chatty]));
    wait_for_socket(&dir);
    let logs = dir.join("log");
    eventually("the last line", || {
        std::fs::read_to_string(logs.join("chatty.log")).is_ok_and(|t| t.contains(" done\n"))
    });
    let mut files: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files, ["chatty.log", "chatty.log.1", "chatty.log.2"]);
    for f in &files {
        assert!(std::fs::metadata(logs.join(f)).unwrap().len() <= 2048);
    }
    let text = std::fs::read_to_string(logs.join("chatty.log")).unwrap();
    let first = text.lines().next().unwrap();
    // 2026-11-24T20:33:05.123Z line N ...
    assert_eq!(&first[4..5], "-", "{first}");
    assert_eq!(&first[23..25], "Z ", "{first}");
    match ask(
        &dir,
        &Request::Log {
            service: Some("chatty".into()),
            follow: false,
        },
    ) {
        Response::Log(lines) => {
            assert_eq!(lines.last().unwrap().text, b"done");
            assert!(lines.len() > 50);
        }
        other => panic!("{other:?}"),
    }
    // Following: the ring first, then lines as they come.
    let mut follower = UnixStream::connect(dir.join("run/control.sock")).unwrap();
    follower
        .write_all(&ibex_control::encode(&Request::Log {
            service: None,
            follow: true,
        }))
        .unwrap();
    assert!(matches!(read_response(&mut follower), Response::Log(_)));
    assert_eq!(ask(&dir, &Request::Stop("chatty".into())), Response::Done);
    drop(follower);
    let (code, out) = stop(init);
    assert!(code.success(), "{out}");
}

#[test]
fn readiness_holds_back_dependents() {
    let dir = scratch("ready");
    let events_file = dir.join("events");
    let e = events_file.display();
    let mut slow = service(
        "slow",
        &format!("sleep 0.5; echo ready >> {e}; echo >&3; exec sleep 100"),
        Restart::Never,
    );
    slow.readiness = Readiness::NotifyFd(3);
    let mut dependent = oneshot("dependent", &format!("echo dependent >> {e}"));
    dependent.needs = vec![0];
    let init = start_init(&dir, &plan(vec![slow, dependent]));
    eventually("the dependent", || events(&events_file).len() == 2);
    assert_eq!(events(&events_file), ["ready", "dependent"]);
    let (_, out) = stop(init);
    assert!(out.contains("slow is ready"), "{out}");
}

#[test]
fn limits_and_identity_are_applied() {
    let dir = scratch("limits");
    let out_file = dir.join("out");
    let mut limited = oneshot(
        "limited",
        &format!("echo $(ulimit -n) $(id -u) $USER > {}", out_file.display()),
    );
    limited.rlimits = vec![Rlimit {
        resource: Resource::Nofile,
        soft: 123,
        hard: 456,
    }];
    let root = nix_is_root();
    if root {
        limited.user = Some(ibex_plan::Credentials {
            uid: 65534,
            gid: 65534,
            groups: vec![65534],
            name: "nobody".into(),
            home: "/".into(),
        });
        // nobody must be able to write the result.
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .unwrap();
    }
    let init = start_init(&dir, &plan(vec![limited]));
    eventually("the result", || {
        std::fs::read_to_string(&out_file).is_ok_and(|t| t.ends_with('\n'))
    });
    let got = std::fs::read_to_string(&out_file).unwrap();
    if root {
        assert_eq!(got, "123 65534 nobody\n");
    } else {
        assert!(got.starts_with("123 "), "{got}");
    }
    stop(init);
}

fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
}

fn start_container(dir: &Path, plan_bytes: &[u8]) -> Child {
    let plan = dir.join("boot.plan");
    std::fs::write(&plan, plan_bytes).unwrap();
    Command::new(env!("CARGO_BIN_EXE_init"))
        .arg("--container")
        .env("IBEX_PLAN", &plan)
        .env("IBEX_CONTROL_SOCKET", dir.join("run/control.sock"))
        .env("IBEX_LOG_DIR", dir.join("log"))
        .env("IBEX_SERVICES_DIR", dir.join("services.d"))
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_exit(mut child: Child) -> (i32, String) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut log = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut log)
                .unwrap();
            return (status.code().unwrap_or(-1), log);
        }
        assert!(Instant::now() < deadline, "init did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn container_mode_exits_with_the_main_services_status() {
    let dir = scratch("container-exit");
    let helper = service("helper", "exec sleep 100", Restart::Always);
    let main = service("main", "sleep 0.3; exit 7", Restart::Never);
    let mut bytes = BootPlan {
        hostname: "c".into(),
        services: vec![helper, main],
        main: Some(1),
        confirm: Default::default(),
        watchdog_secs: 0,
    };
    let init = start_container(&dir, &bytes.encode());
    let (code, log) = wait_exit(init);
    assert_eq!(code, 7, "{log}");
    assert!(log.contains("container mode"), "{log}");
    // Without a main service: exits when everything has ended.
    bytes.services = vec![oneshot("only", "exit 0")];
    bytes.main = None;
    let (code, log) = wait_exit(start_container(&dir, &bytes.encode()));
    assert_eq!(code, 0, "{log}");
}

#[test]
fn container_mode_passes_sigterm_on() {
    let dir = scratch("container-term");
    let ready = dir.join("ready");
    let main = service(
        "main",
        &format!(
            "trap 'exit 3' TERM; touch {}; while :; do sleep 0.05; done",
            ready.display()
        ),
        Restart::Always,
    );
    let plan = BootPlan {
        hostname: "c".into(),
        services: vec![main],
        main: Some(0),
        confirm: Default::default(),
        watchdog_secs: 0,
    };
    let init = start_container(&dir, &plan.encode());
    eventually("the service", || ready.exists());
    let _ = Command::new("kill").arg(init.id().to_string()).status();
    let (code, log) = wait_exit(init);
    assert_eq!(code, 3, "{log}");
    assert!(log.contains("SIGTERM: passing it on"), "{log}");
}

/// Writes a package's plan file into the services directory of `dir`.
fn install(dir: &Path, file: &str, services: Vec<Service>) {
    let services_d = dir.join("services.d");
    std::fs::create_dir_all(&services_d).unwrap();
    std::fs::write(services_d.join(file), plan(services)).unwrap();
}

fn reload(dir: &Path) -> (Vec<String>, Vec<String>) {
    match ask(dir, &Request::Reload) {
        Response::Reloaded { started, stopped } => (started, stopped),
        other => panic!("unexpected answer {other:?}"),
    }
}

fn listed(dir: &Path) -> Vec<String> {
    match ask(dir, &Request::List) {
        Response::Services(list) => list.into_iter().map(|s| s.name).collect(),
        other => panic!("unexpected answer {other:?}"),
    }
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn package_services_start_at_boot_after_the_boot_plan() {
    let dir = scratch("packages-boot");
    let events_file = dir.join("events");
    let e = events_file.display();
    let base = service(
        "base",
        &format!("echo base >> {e}; exec sleep 100"),
        Restart::Never,
    );
    // Local index 0 is setup, not the boot plan's first service.
    let setup = oneshot("setup", &format!("sleep 0.3; echo setup >> {e}"));
    let mut web = service(
        "web",
        &format!("echo hello; echo web >> {e}; exec sleep 100"),
        Restart::Never,
    );
    web.needs = vec![0];
    install(&dir, "web.plan", vec![setup, web]);
    let init = start_init(&dir, &plan(vec![base]));
    wait_for_socket(&dir);
    eventually("web to start", || events(&events_file).len() == 3);
    let order = events(&events_file);
    assert_eq!(order[1..], ["setup", "web"], "{order:?}");
    assert_eq!(listed(&dir), ["base", "setup", "web"]);
    assert_eq!(status(&dir, "web").state, Shown::Started);
    assert_eq!(status(&dir, "setup").state, Shown::Done);
    eventually("web's log file", || {
        std::fs::read_to_string(dir.join("log/web.log")).is_ok_and(|t| t.ends_with(" hello\n"))
    });
    let (code, out) = stop(init);
    assert!(code.success(), "{out}");
    assert!(out.contains("services.d: 2 services"), "{out}");
}

#[test]
fn reload_starts_new_stops_removed_and_restarts_changed_services() {
    let dir = scratch("packages-reload");
    let events_file = dir.join("events");
    let e = events_file.display();
    let web = |version: &str| {
        service(
            "web",
            &format!("echo web-{version}; echo web-{version} >> {e}; exec sleep 100"),
            Restart::Always,
        )
    };
    install(&dir, "web.plan", vec![web("v1")]);
    let init = start_init(
        &dir,
        &plan(vec![service("base", "exec sleep 100", Restart::Never)]),
    );
    wait_for_socket(&dir);
    eventually("web to start", || {
        status(&dir, "web").state == Shown::Started
    });
    assert_eq!(reload(&dir), (vec![], vec![]));

    // A new package.
    install(
        &dir,
        "db.plan",
        vec![service("db", "exec sleep 100", Restart::Always)],
    );
    assert_eq!(reload(&dir), (strings(&["db"]), vec![]));
    eventually("db to start", || status(&dir, "db").state == Shown::Started);
    let db = status(&dir, "db").pid.unwrap();

    // A package removed.
    std::fs::remove_file(dir.join("services.d/db.plan")).unwrap();
    assert_eq!(reload(&dir), (vec![], strings(&["db"])));
    eventually("db to be gone", || {
        !listed(&dir).contains(&"db".to_string())
    });
    assert!(!Path::new(&format!("/proc/{db}")).exists());
    assert_eq!(
        ask(&dir, &Request::Status("db".into())),
        Response::NoSuchService("db".into())
    );
    // Removed services are not restarted whatever their policy.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(listed(&dir), ["base", "web"]);

    // A definition changed.
    let old = status(&dir, "web").pid.unwrap();
    install(&dir, "web.plan", vec![web("v2")]);
    assert_eq!(reload(&dir), (strings(&["web"]), strings(&["web"])));
    eventually("the new web", || {
        let s = status(&dir, "web");
        s.state == Shown::Started && s.pid != Some(old)
    });
    assert!(!Path::new(&format!("/proc/{old}")).exists());
    // Started means spawned: the new run writes its line a moment later.
    eventually("web-v2 to run", || {
        events(&events_file) == ["web-v1", "web-v2"]
    });
    assert_eq!(listed(&dir), ["base", "web"]);
    // One log across both definitions.
    eventually("both runs in web's log", || {
        match ask(
            &dir,
            &Request::Log {
                service: Some("web".into()),
                follow: false,
            },
        ) {
            Response::Log(lines) => {
                let texts: Vec<Vec<u8>> = lines.into_iter().map(|l| l.text).collect();
                texts == [b"web-v1".to_vec(), b"web-v2".to_vec()]
            }
            other => panic!("{other:?}"),
        }
    });
    assert_eq!(reload(&dir), (vec![], vec![]));
    let (code, out) = stop(init);
    assert!(code.success(), "{out}");
    assert!(out.contains("db: removed by reload; stopping"), "{out}");
}

#[test]
fn malformed_files_and_clashing_names_are_skipped() {
    let dir = scratch("packages-skip");
    std::fs::create_dir_all(dir.join("services.d")).unwrap();
    std::fs::write(dir.join("services.d/bad.plan"), b"IBXP\x05\x00\xff\xff").unwrap();
    install(
        &dir,
        "a.plan",
        vec![service("web", "exec sleep 100", Restart::Never)],
    );
    let mut app = service("app", "exec sleep 100", Restart::Never);
    // Its own "web" is skipped: it waits for a.plan's.
    app.needs = vec![1];
    install(
        &dir,
        "b.plan",
        vec![
            service("base", "exec sleep 100", Restart::Never),
            service("web", "exec sleep 100", Restart::Never),
            app,
        ],
    );
    let init = start_init(
        &dir,
        &plan(vec![service("base", "exec sleep 100", Restart::Never)]),
    );
    wait_for_socket(&dir);
    eventually("app to start", || {
        status(&dir, "app").state == Shown::Started
    });
    assert_eq!(listed(&dir), ["base", "web", "app"]);
    // A reload skips them again and changes nothing; a broken file does
    // not stop what others brought.
    std::fs::write(dir.join("services.d/a.plan"), b"IBXP\x05\x00").unwrap();
    install(
        &dir,
        "c.plan",
        vec![service("app", "exec sleep 100", Restart::Never)],
    );
    assert_eq!(reload(&dir), (vec![], vec![]));
    assert_eq!(listed(&dir), ["base", "web", "app"]);
    let (code, out) = stop(init);
    assert!(code.success(), "{out}");
    assert!(
        out.contains("bad.plan: boot plan body is malformed; skipped"),
        "{out}"
    );
    assert!(
        out.contains(
            "services.d/b.plan: service base has the name of one in the boot plan; skipped"
        ),
        "{out}"
    );
    assert!(
        out.contains("services.d/b.plan: service web has the name of one in a.plan; skipped"),
        "{out}"
    );
    assert!(
        out.contains("services.d/c.plan: service app has the name of one in b.plan; skipped"),
        "{out}"
    );
    assert!(
        out.contains("services.d/a.plan: boot plan body is malformed; skipped"),
        "{out}"
    );
}

#[test]
fn dependents_wait_for_the_new_run_of_a_replaced_service() {
    let dir = scratch("packages-deps");
    let events_file = dir.join("events");
    let e = events_file.display();
    let db = |script: &str| {
        let mut db = service("db", script, Restart::Never);
        db.readiness = Readiness::NotifyFd(3);
        db
    };
    install(
        &dir,
        "a.plan",
        vec![db(&format!("echo db-v1 >> {e}; echo >&3; exec sleep 100"))],
    );
    // b.plan names db to depend on it; its own copy is skipped.
    let mut app = service(
        "app",
        &format!("echo app >> {e}; exec sleep 100"),
        Restart::Never,
    );
    app.needs = vec![0];
    install(
        &dir,
        "b.plan",
        vec![service("db", "exit 1", Restart::Never), app],
    );
    let init = start_init(&dir, &plan(vec![]));
    wait_for_socket(&dir);
    eventually("app", || events(&events_file).len() == 2);
    install(
        &dir,
        "a.plan",
        vec![db(&format!(
            "sleep 0.5; echo db-v2 >> {e}; echo >&3; exec sleep 100"
        ))],
    );
    assert_eq!(reload(&dir), (strings(&["db"]), strings(&["db"])));
    assert_eq!(ask(&dir, &Request::Restart("app".into())), Response::Done);
    eventually("app again", || events(&events_file).len() == 4);
    assert_eq!(events(&events_file), ["db-v1", "app", "db-v2", "app"]);
    let (code, out) = stop(init);
    assert!(code.success(), "{out}");
}

/// `init --container -- CMD…` as a container's entrypoint runs with:
/// `args` after the `--`, from `cwd`, with `FOO` in the environment.
fn start_command(dir: &Path, plan: Option<&[u8]>, args: &[&str]) -> Child {
    let plan_path = dir.join("boot.plan");
    match plan {
        Some(bytes) => std::fs::write(&plan_path, bytes).unwrap(),
        None => {
            let _ = std::fs::remove_file(&plan_path);
        }
    }
    Command::new(env!("CARGO_BIN_EXE_init"))
        .args(["--container", "--"])
        .args(args)
        .current_dir(dir)
        .env("FOO", "from the runtime")
        .env("IBEX_PLAN", &plan_path)
        .env("IBEX_CONTROL_SOCKET", dir.join("run/control.sock"))
        .env("IBEX_LOG_DIR", dir.join("log"))
        .env("IBEX_SERVICES_DIR", dir.join("services.d"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn container_command_is_the_main_service_with_the_containers_stdio() {
    let dir = scratch("container-cmd");
    // A sidecar of the image keeps running; the command's end ends all.
    let sidecar = service("sidecar", "exec sleep 100", Restart::Always);
    let plan = BootPlan {
        hostname: "c".into(),
        services: vec![sidecar],
        main: None,
        confirm: Default::default(),
        watchdog_secs: 0,
    };
    let script = "echo \"out $FOO in $(pwd)\"; echo err >&2; exit 5";
    let init = start_command(&dir, Some(&plan.encode()), &["/bin/sh", "-c", script]);
    let out = init.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    // Straight through, without a log prefix: stdout is the command's alone.
    assert_eq!(
        stdout,
        format!("out from the runtime in {}\n", dir.display())
    );
    assert!(stderr.lines().any(|l| l == "err"), "{stderr}");
    assert!(
        stderr.contains("stopping the container with status 5"),
        "{stderr}"
    );

    // Without a plan it runs the command alone (no rescue shell), found
    // on PATH.
    let init = start_command(&dir, None, &["true"]);
    let out = init.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("rescue"), "{stderr}");
}

#[test]
fn container_command_gets_sigterm_and_its_status_is_the_containers() {
    let dir = scratch("container-cmd-term");
    let init = start_command(&dir, None, &["sleep", "100"]);
    // The command runs once init has a child.
    let pid = init.id();
    eventually("the command", || {
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .is_ok_and(|c| !c.trim().is_empty())
    });
    let _ = Command::new("kill").arg(pid.to_string()).status();
    let (code, log) = wait_exit(init);
    // sleep dies of the SIGTERM it was passed: 128 + 15, as a shell says.
    assert_eq!(code, 143, "{log}");
    assert!(log.contains("SIGTERM: passing it on"), "{log}");
}
