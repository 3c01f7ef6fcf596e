//! `ibox sysupgrade --check URL` against TUF repositories made here and
//! served from a loopback HTTP server in the test; the trusted root, the
//! trusted versions, the board and the running release live in a scratch
//! directory named by `IBEX_TUF_SYSROOT`. Nothing is written to any slot:
//! `--from-repo` is exercised only as far as "up to date".

use ibex_tuf::repo::{self, Key, RoleSpec};
use ibex_tuf::{Role, State};
use serde_json::json;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

mod common;
use common::{ibox_cmd, output_of, text, Scratch};

const DAY: i64 = 86_400;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A repository's files, shared with the server thread.
type Files = Arc<Mutex<BTreeMap<String, Vec<u8>>>>;

struct Repo {
    files: Files,
    root: Key,
    targets: Key,
    snapshot: Key,
    timestamp: Key,
    port: u16,
}

impl Repo {
    fn new() -> Repo {
        let files: Files = Arc::default();
        let port = serve(files.clone());
        let r = Repo {
            files,
            root: Key::from_seed([1; 32]),
            targets: Key::from_seed([2; 32]),
            snapshot: Key::from_seed([3; 32]),
            timestamp: Key::from_seed([4; 32]),
            port,
        };
        r.put("1.root.json", r.root_file(1, &[&r.root]));
        r
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/fleet/", self.port)
    }

    fn put(&self, name: &str, bytes: Vec<u8>) {
        self.files.lock().unwrap().insert(name.into(), bytes);
    }

    fn get(&self, name: &str) -> Vec<u8> {
        self.files.lock().unwrap()[name].clone()
    }

    fn root_file(&self, version: u64, signers: &[&Key]) -> Vec<u8> {
        let signed = repo::root(
            version,
            now() + 365 * DAY,
            false,
            &[
                RoleSpec {
                    role: Role::Root,
                    keys: &[&self.root],
                    threshold: 1,
                },
                RoleSpec {
                    role: Role::Targets,
                    keys: &[&self.targets],
                    threshold: 1,
                },
                RoleSpec {
                    role: Role::Snapshot,
                    keys: &[&self.snapshot],
                    threshold: 1,
                },
                RoleSpec {
                    role: Role::Timestamp,
                    keys: &[&self.timestamp],
                    threshold: 1,
                },
            ],
        );
        repo::sign(&signed, signers).unwrap()
    }

    /// Publishes `releases` (board, version) at version `v` of every role.
    fn publish(&self, v: u64, releases: &[(&str, &str)], expires: i64) {
        let mut map = BTreeMap::new();
        for (board, version) in releases {
            let name = format!("{board}/{version}/sysupgrade.ibx");
            let bytes = format!("image {board} {version}").into_bytes();
            map.insert(
                name.clone(),
                repo::target(
                    &bytes,
                    json!({ "board": board, "version": version, "build_id": "00" }),
                ),
            );
            self.put(&format!("targets/{name}"), bytes);
        }
        let t = repo::sign(&repo::targets(v, expires, &map), &[&self.targets]).unwrap();
        let s = repo::sign(&repo::snapshot(v, expires, &t, v), &[&self.snapshot]).unwrap();
        let ts = repo::sign(&repo::timestamp(v, expires, &s, v), &[&self.timestamp]).unwrap();
        self.put("targets.json", t);
        self.put("snapshot.json", s);
        self.put("timestamp.json", ts);
    }
}

/// Serves `files` under `/fleet/` over HTTP/1.1 on a loopback port.
fn serve(files: Files) -> u16 {
    common::http_server(common::Framing::Length, move |path| {
        let name = path.strip_prefix("/fleet/")?;
        files.lock().ok()?.get(name).cloned()
    })
}

/// A device's /etc: board, running release, and the repository's root.
fn device(s: &Scratch, repo: &Repo, running: &str) -> PathBuf {
    let root = s.path("sysroot");
    fs::create_dir_all(root.join("etc/ibex/tuf")).unwrap();
    fs::write(root.join("etc/ibex/board"), "qemu-x86_64\n").unwrap();
    fs::write(
        root.join("etc/os-release"),
        format!("NAME=\"Ibex\"\nID=ibex\nVERSION_ID={running}\n"),
    )
    .unwrap();
    fs::write(root.join("etc/ibex/tuf/root.json"), repo.get("1.root.json")).unwrap();
    root
}

fn sysupgrade(sysroot: &Path, args: &[&str]) -> Output {
    let mut all = vec!["sysupgrade"];
    all.extend_from_slice(args);
    output_of(ibox_cmd(&all).env("IBEX_TUF_SYSROOT", sysroot), b"")
}

fn state(sysroot: &Path) -> State {
    State::from_json(&fs::read(sysroot.join("etc/ibex/tuf/state.json")).unwrap()).unwrap()
}

#[test]
fn check_finds_the_newest_release_for_this_board() {
    let s = Scratch::new("newest");
    let repo = Repo::new();
    repo.publish(
        3,
        &[
            ("qemu-x86_64", "1.0"),
            ("qemu-x86_64", "1.10"),
            ("qemu-x86_64", "1.9"),
            ("pc-x86_64", "2.0"),
        ],
        now() + DAY,
    );
    let sysroot = device(&s, &repo, "1.0");
    let o = sysupgrade(&sysroot, &["--check", &repo.url()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // 1.10 is newer than 1.9; the other board's 2.0 is not for us.
    assert_eq!(text(&o.stdout), "1.10 qemu-x86_64/1.10/sysupgrade.ibx\n");
    assert_eq!(
        state(&sysroot),
        State {
            timestamp: 3,
            snapshot: 3,
            targets: 3
        }
    );

    // Running the newest: up to date, exit status 1.
    let sysroot = device(&s, &repo, "1.10");
    let o = sysupgrade(&sysroot, &["--check", &repo.url()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "");
    assert!(
        text(&o.stderr).contains("up to date (Ibex 1.10)"),
        "{}",
        text(&o.stderr)
    );
    // --from-repo has nothing to do either, and writes nothing.
    let o = sysupgrade(&sysroot, &["--from-repo", &repo.url()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("nothing to do"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn check_refuses_a_rolled_back_repository() {
    let s = Scratch::new("rollback");
    let repo = Repo::new();
    repo.publish(5, &[("qemu-x86_64", "1.1")], now() + DAY);
    let sysroot = device(&s, &repo, "1.0");
    assert_eq!(
        sysupgrade(&sysroot, &["--check", &repo.url()])
            .status
            .code(),
        Some(0)
    );
    // An attacker (or a stale mirror) serves older, validly signed metadata
    // that hides the release.
    repo.publish(4, &[], now() + DAY);
    let o = sysupgrade(&sysroot, &["--check", &repo.url()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("timestamp metadata version 4 refused"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(state(&sysroot).timestamp, 5);
}

#[test]
fn check_refuses_expired_and_forged_metadata() {
    let s = Scratch::new("expired");
    let repo = Repo::new();
    repo.publish(1, &[("qemu-x86_64", "1.1")], now() - 60);
    let sysroot = device(&s, &repo, "1.0");
    let o = sysupgrade(&sysroot, &["--check", &repo.url()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("timestamp metadata has expired"),
        "{}",
        text(&o.stderr)
    );

    // Targets signed by a key the root does not name.
    repo.publish(2, &[("qemu-x86_64", "1.1")], now() + DAY);
    let forged = repo::sign(
        &repo::targets(2, now() + DAY, &BTreeMap::new()),
        &[&Key::from_seed([9; 32])],
    )
    .unwrap();
    let s2 = repo::sign(
        &repo::snapshot(2, now() + DAY, &forged, 2),
        &[&repo.snapshot],
    )
    .unwrap();
    let ts = repo::sign(&repo::timestamp(2, now() + DAY, &s2, 2), &[&repo.timestamp]).unwrap();
    repo.put("targets.json", forged);
    repo.put("snapshot.json", s2);
    repo.put("timestamp.json", ts);
    let o = sysupgrade(&sysroot, &["--check", &repo.url()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("targets metadata: 0 valid signature(s), 1 needed"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn check_follows_a_root_rotation_and_keeps_the_new_root() {
    let s = Scratch::new("rotation");
    let mut repo = Repo::new();
    let sysroot = device(&s, &repo, "1.0");
    let old = repo.root.clone();
    repo.root = Key::from_seed([20; 32]);
    repo.targets = Key::from_seed([21; 32]);
    repo.put("2.root.json", repo.root_file(2, &[&old, &repo.root]));
    repo.publish(1, &[("qemu-x86_64", "1.1")], now() + DAY);
    let o = sysupgrade(&sysroot, &["--check", &repo.url()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(
        fs::read(sysroot.join("etc/ibex/tuf/root.json")).unwrap(),
        repo.get("2.root.json")
    );
}

#[test]
fn check_without_a_trusted_root_is_an_error() {
    let s = Scratch::new("noroot");
    let repo = Repo::new();
    let sysroot = device(&s, &repo, "1.0");
    fs::remove_file(sysroot.join("etc/ibex/tuf/root.json")).unwrap();
    let o = sysupgrade(&sysroot, &["--check", &repo.url()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("trusts no release repository"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn check_usage_errors_are_not_up_to_date() {
    let o = common::ibox(&["sysupgrade", "--check"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn from_repo_checks_the_downloaded_image_against_the_metadata() {
    let s = Scratch::new("download");
    let repo = Repo::new();
    repo.publish(1, &[("qemu-x86_64", "1.1")], now() + DAY);
    let sysroot = device(&s, &repo, "1.0");
    let name = "targets/qemu-x86_64/1.1/sysupgrade.ibx";
    let good = repo.get(name);
    let mut bad = good.clone();
    bad[0] ^= 1;
    repo.put(name, bad);
    let o = sysupgrade(&sysroot, &["-T", "--from-repo", &repo.url()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("qemu-x86_64/1.1/sysupgrade.ibx: refused: qemu-x86_64/1.1/sysupgrade.ibx: SHA-256 does not match"),
        "{}",
        text(&o.stderr)
    );
    // The right bytes pass TUF and reach the image's own checks, which this
    // test's fake image does not pass (on a host without /etc/ibex/keys,
    // or as not a system image).
    repo.put(name, good);
    let o = sysupgrade(&sysroot, &["-T", "--from-repo", &repo.url()]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("metadata verified"), "{err}");
    assert!(!err.contains("SHA-256"), "{err}");
}
