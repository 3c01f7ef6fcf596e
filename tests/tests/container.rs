//! Runs the `container-test` image's root filesystem under Debian's `runc`
//! with our init as the container's PID 1: `runc kill` SIGTERM reaches the
//! main service through init, and the container exits with its status.

use ibex_tests::{build_oci_image, is_root};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn runc_sigterm_ends_the_container_with_the_main_services_status() {
    if !is_root() {
        eprintln!("skipped: runc needs root (scripts/test runs as root in CI)");
        return;
    }
    // The root filesystem is all a container needs: no kernel is built.
    let (built, _) = build_oci_image("qemu-x86_64", "container-test", None).expect("build");
    let bundle = std::env::temp_dir().join(format!("ibex-runc-{}", std::process::id()));
    let rootfs = bundle.join("rootfs");
    let _ = std::fs::remove_dir_all(&bundle);
    std::fs::create_dir_all(&rootfs).unwrap();
    let cpio = std::fs::File::open(&built.initramfs).unwrap();
    let unpacked = Command::new("cpio")
        .args(["-idm", "--quiet", "--no-absolute-filenames"])
        .current_dir(&rootfs)
        .stdin(cpio)
        .status()
        .expect("cpio (scripts/setup installs it)");
    assert!(unpacked.success());
    let spec = Command::new("runc")
        .args(["spec"])
        .current_dir(&bundle)
        .status()
        .expect("runc (scripts/setup installs it)");
    assert!(spec.success());
    let config_path = bundle.join("config.json");
    let config = std::fs::read_to_string(&config_path)
        .unwrap()
        .replace("\"terminal\": true", "\"terminal\": false")
        .replace("\"readonly\": true", "\"readonly\": false")
        .replacen("\"sh\"", "\"/sbin/init\"", 1);
    std::fs::write(&config_path, config).unwrap();

    let id = format!("ibex-test-{}", std::process::id());
    let mut runc = Command::new("runc")
        .args(["run", "--bundle"])
        .arg(&bundle)
        .arg(&id)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = runc.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                let done = line == "app: running";
                seen.push(line);
                if done {
                    break;
                }
            }
            Err(_) => panic!("the service never said it was running: {seen:?}"),
        }
    }
    let kill = Command::new("runc")
        .args(["kill", &id, "TERM"])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = runc.wait().unwrap();
    let mut err = String::new();
    use std::io::Read;
    runc.stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
        seen.push(line);
    }
    let _ = Command::new("runc").args(["delete", "-f", &id]).status();
    let _ = std::fs::remove_dir_all(&bundle);
    assert_eq!(status.code(), Some(42), "stdout: {seen:?}\nstderr: {err}");
    assert!(err.contains("container mode"), "{err}");
    assert!(
        err.contains("SIGTERM: passing it on to the services"),
        "{err}"
    );
    assert!(seen.iter().any(|l| l == "app: got TERM"), "{seen:?}");
}
