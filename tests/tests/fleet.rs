//! Fleet updates (issue 9): releases published with `ibex release` as a
//! TUF repository, served by a plain static HTTP server on the host's
//! 127.0.0.1, reached by a guest booted from a GPT disk under UEFI through
//! QEMU's user-mode network (the host is 10.0.2.2 there). The guest checks
//! for and installs the new release with `ibox sysupgrade --check` and
//! `--from-repo`, and refuses tampered and expired metadata.

use ibex_linker::build::BuildOptions;
use ibex_linker::disk::build_disk;
use ibex_linker::qemu;
use ibex_linker::release::{release, ReleaseOptions};
use ibex_tests::{root, Nic, Vm, BOOT_TIMEOUT};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

const V1: &str = "1.0.0-fleet";
const V2: &str = "2.0.0-fleet";

/// Serves the files under `dir` over HTTP/1.1 on 127.0.0.1 until the test
/// process ends (a CDN's role: it knows nothing of TUF); returns the port.
fn serve(dir: PathBuf) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listening socket");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(conn.try_clone().expect("socket"));
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // The rest of the request head.
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let path = line
                .split(' ')
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let file = dir.join(path);
            let reply = match std::fs::read(&file) {
                Ok(body) if !path.contains("..") => {
                    let mut r = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .into_bytes();
                    r.extend_from_slice(&body);
                    r
                }
                _ => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = conn.write_all(&reply);
        }
    });
    port
}

fn options(out: &Path, expires_days: i64) -> ReleaseOptions {
    ReleaseOptions {
        repo: out.join("repo"),
        keys: out.join("keys"),
        expires_days,
        root_expires_days: 365,
        now: ibex_linker::release::now(),
    }
}

#[test]
fn a_guest_upgrades_from_a_tuf_repository_and_refuses_bad_metadata() {
    let out = root().join("target/fleet-tests");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("scratch directory");
    // The repository first: the image carries its root.
    release(&options(&out, 30), None).expect("creating the repository");
    let build = |version: &str| {
        let opts = BuildOptions {
            board: "qemu-x86_64".into(),
            image: "fleet-test".into(),
            out: Some(out.join(version)),
            verbose: true,
            release: Some(version.into()),
        };
        build_disk(&root(), &opts).unwrap_or_else(|e| panic!("building {version}: {e}"))
    };
    let v1 = build(V1);
    let v2 = build(V2);
    let published = release(
        &options(&out, 30),
        Some(&std::fs::read(&v2.sysupgrade).expect("the v2 system image")),
    )
    .expect("publishing v2");
    let target = published.target.expect("a target");
    let port = serve(out.join("repo"));
    let url = format!("http://10.0.2.2:{port}/");

    let disk = out.join("disk.img");
    std::fs::copy(&v1.disk, &disk).expect("copying the disk");
    let mut cmd = qemu::firmware_command(
        &v1.built.board,
        &disk,
        &out.join("efivars.fd"),
        &[],
        qemu::Console::Piped,
    )
    .expect("QEMU command");
    cmd.args(Nic::User.qemu_args(0));
    let mut vm = Vm::start(cmd);
    vm.wait_for("# ", BOOT_TIMEOUT);
    vm.plain_shell();
    vm.ok("ip link set lo up && ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up");
    vm.ok("ip route add default via 10.0.2.2");

    // The new release is found through the verified metadata.
    let found = vm.ok(&format!("sysupgrade --check {url}"));
    assert_eq!(found, format!("{V2} {target}"));

    // Tampered metadata (the timestamp's signed version raised, the
    // signature kept) is refused.
    let timestamp = out.join("repo/timestamp.json");
    let good = std::fs::read_to_string(&timestamp).expect("timestamp.json");
    let mut doc: serde_json::Value = serde_json::from_str(&good).expect("JSON");
    let version = doc["signed"]["version"].as_u64().expect("a version");
    doc["signed"]["version"] = (version + 1).into();
    let forged = doc.to_string();
    assert_ne!(forged, good);
    std::fs::write(&timestamp, &forged).expect("forging timestamp.json");
    let refused = vm.run(&format!("sysupgrade --check {url}"));
    assert_eq!(refused.status, 2, "{}", refused.text);
    std::fs::write(&timestamp, &good).expect("restoring timestamp.json");

    // Metadata published already expired (a frozen or stale mirror) is
    // refused too, and then fresh metadata is accepted again.
    release(&options(&out, -1), None).expect("publishing expired metadata");
    let expired = vm.run(&format!("sysupgrade --check {url}"));
    assert_eq!(expired.status, 2, "{}", expired.text);
    assert!(expired.text.contains("expired"), "{}", expired.text);
    release(&options(&out, 30), None).expect("publishing fresh metadata");

    // The upgrade itself: verified, written to slot B, booted, kept.
    vm.send(&format!("sysupgrade --from-repo {url}"));
    vm.wait_for("metadata verified", Duration::from_secs(120));
    vm.wait_for("writing slot b", Duration::from_secs(120));
    vm.shell_after(&["reboot: now", "Ibex init", "upgrade: good: slot b"]);
    assert_eq!(vm.ok(". /etc/os-release; echo $VERSION_ID"), V2);
    vm.ok("ip link set lo up && ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up");
    vm.ok("ip route add default via 10.0.2.2");
    let up_to_date = vm.run(&format!("sysupgrade --check {url}"));
    assert_eq!(up_to_date.status, 1, "{}", up_to_date.text);
}
