//! `ibox pkg` on the host, against repositories of packages made in the
//! tests (hostile ones included), in scratch roots under the system's
//! temporary directory. Booting an image and installing over HTTP is
//! tested in tests/tests/.

use ibex_package::{
    compress, encode_index, encode_package, sha256, Dependency, FileEntry, FileKind, Index,
    IndexEntry, Metadata, SigningKey,
};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::Scratch;

fn key() -> SigningKey {
    SigningKey::from_seed([42; 32])
}

/// A package under construction.
struct Pkg {
    meta: Metadata,
    data: Vec<u8>,
}

impl Pkg {
    fn new(name: &str, version: &str) -> Pkg {
        Pkg {
            meta: Metadata {
                name: name.into(),
                version: version.into(),
                arch: "x86_64".into(),
                description: format!("the {name} package"),
                ..Metadata::default()
            },
            data: Vec::new(),
        }
    }

    fn dep(mut self, d: &str) -> Pkg {
        self.meta.depends.push(Dependency::parse(d).unwrap());
        self
    }

    fn conflict(mut self, d: &str) -> Pkg {
        self.meta.conflicts.push(Dependency::parse(d).unwrap());
        self
    }

    fn dir(mut self, path: &str) -> Pkg {
        self.meta.files.push(FileEntry {
            path: path.into(),
            kind: FileKind::Dir,
            mode: 0o755,
            uid: 0,
            gid: 0,
        });
        self
    }

    fn file(mut self, path: &str, content: &str, mode: u32) -> Pkg {
        self.meta.files.push(FileEntry {
            path: path.into(),
            kind: FileKind::File {
                size: content.len() as u64,
                sha256: sha256(content.as_bytes()),
            },
            mode,
            uid: 0,
            gid: 0,
        });
        self.meta.installed_size += content.len() as u64;
        self.data.extend_from_slice(content.as_bytes());
        self
    }

    fn link(mut self, path: &str, target: &str) -> Pkg {
        self.meta.files.push(FileEntry {
            path: path.into(),
            kind: FileKind::Symlink {
                target: target.into(),
            },
            mode: 0o777,
            uid: 0,
            gid: 0,
        });
        self
    }

    fn config(mut self, path: &str) -> Pkg {
        self.meta.config.push(path.into());
        self
    }

    fn bytes(&self) -> Vec<u8> {
        encode_package(&self.meta, &compress(&self.data), &key())
    }
}

/// A repository directory with an index signed by [`key`].
fn write_repo(dir: &Path, packages: &[&Pkg]) {
    fs::create_dir_all(dir).unwrap();
    let mut index = Index::default();
    for p in packages {
        let bytes = p.bytes();
        let file = format!("{}-{}.ibx", p.meta.name, p.meta.version);
        fs::write(dir.join(&file), &bytes).unwrap();
        index.packages.push(IndexEntry {
            name: p.meta.name.clone(),
            version: p.meta.version.clone(),
            arch: p.meta.arch.clone(),
            description: p.meta.description.clone(),
            depends: p.meta.depends.clone(),
            provides: p.meta.provides.clone(),
            conflicts: p.meta.conflicts.clone(),
            file,
            size: bytes.len() as u64,
            sha256: sha256(&bytes),
            installed_size: p.meta.installed_size,
        });
    }
    fs::write(dir.join("INDEX.ibx"), encode_index(&index, &key())).unwrap();
}

/// A root that trusts [`key`] and uses the repository at `repo`.
fn make_root(root: &Path, repo: &Path) {
    make_root_at(root, &repo.display().to_string());
}

/// A root that trusts [`key`] and uses the repository `location`.
fn make_root_at(root: &Path, location: &str) {
    fs::create_dir_all(root.join("etc/ibex/keys")).unwrap();
    fs::write(
        root.join("etc/ibex/keys/test.pub"),
        key().public().to_text(),
    )
    .unwrap();
    fs::write(
        root.join("etc/ibex/repositories"),
        format!("# test repository\n{location}\n"),
    )
    .unwrap();
}

fn pkg(root: &Path, args: &[&str]) -> Output {
    pkg_env(root, args, None)
}

fn pkg_env(root: &Path, args: &[&str], crash_at: Option<u64>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ibox"));
    cmd.arg("pkg").arg("--root").arg(root).args(args);
    if let Some(n) = crash_at {
        cmd.env("IBEX_PKG_CRASH_AT", n.to_string());
    }
    common::output_of(&mut cmd, b"")
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(1),
        "should fail: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every path under `dir` with its kind and contents, to compare trees.
fn snapshot(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            if rel.starts_with("var/cache") || rel.ends_with("pkg/lock") {
                continue;
            }
            let m = fs::symlink_metadata(&p).unwrap();
            let what = if m.file_type().is_symlink() {
                format!("-> {}", fs::read_link(&p).unwrap().display())
            } else if m.is_dir() {
                stack.push(p.clone());
                format!("dir {:o}", m.mode() & 0o7777)
            } else {
                format!(
                    "{:o} {}",
                    m.mode() & 0o7777,
                    String::from_utf8_lossy(&fs::read(&p).unwrap())
                )
            };
            out.push((rel, what));
        }
    }
    out.sort();
    out
}

fn hello(version: &str, text: &str) -> Pkg {
    Pkg::new("hello", version)
        .dep("libgreet>=1")
        .dir("usr")
        .dir("usr/bin")
        .file("usr/bin/hello", &format!("#!/bin/sh\necho {text}\n"), 0o755)
        .dir("etc")
        .file("etc/hello.conf", &format!("greeting={text}\n"), 0o644)
        .config("etc/hello.conf")
}

fn libgreet(version: &str) -> Pkg {
    Pkg::new("libgreet", version)
        .dir("usr")
        .dir("usr/lib")
        .file("usr/lib/libgreet.so", &format!("greet {version}"), 0o644)
        .link("usr/lib/libgreet.so.1", "libgreet.so")
}

#[test]
fn add_list_info_verify_del() {
    let s = Scratch::new("basic");
    let (repo, root) = (s.join("repo"), s.join("root"));
    write_repo(&repo, &[&hello("1.0-r0", "hi"), &libgreet("1.2")]);
    make_root(&root, &repo);

    let out = ok(&pkg(&root, &["add", "hello"]));
    assert!(out.contains("Installing hello (1.0-r0)"), "{out}");
    assert!(out.contains("Installing libgreet (1.2)"), "{out}");
    assert_eq!(
        fs::read_to_string(root.join("usr/bin/hello")).unwrap(),
        "#!/bin/sh\necho hi\n"
    );
    let mode = fs::metadata(root.join("usr/bin/hello")).unwrap().mode();
    assert_eq!(mode & 0o7777, 0o755);
    assert_eq!(
        fs::read_link(root.join("usr/lib/libgreet.so.1")).unwrap(),
        Path::new("libgreet.so")
    );
    assert_eq!(
        fs::read_to_string(root.join("etc/ibex/world")).unwrap(),
        "hello\n"
    );
    assert!(!root.join("lib/ibex/pkg/journal").exists());

    let list = ok(&pkg(&root, &["list", "-I"]));
    assert_eq!(
        list,
        "hello-1.0-r0 x86_64 {the hello package} [installed]\n\
         libgreet-1.2 x86_64 {the libgreet package} [installed]\n"
    );
    let info = ok(&pkg(&root, &["info", "-f", "hello"]));
    assert!(
        info.contains("hello-1.0-r0 depends on:\nlibgreet>=1\n"),
        "{info}"
    );
    assert!(info.contains("/usr/bin/hello"), "{info}");
    assert!(
        info.contains("hello-1.0-r0 config files:\n/etc/hello.conf"),
        "{info}"
    );
    assert!(ok(&pkg(&root, &["search", "greet"])).starts_with("libgreet-1.2"));
    assert!(ok(&pkg(&root, &["verify"])).contains("OK: 2 packages verified"));

    // Damage: a changed binary, a removed library, a changed config file.
    fs::write(root.join("usr/bin/hello"), "evil").unwrap();
    fs::remove_file(root.join("usr/lib/libgreet.so")).unwrap();
    fs::write(root.join("etc/hello.conf"), "greeting=mine\n").unwrap();
    let o = pkg(&root, &["verify"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out.contains("hello: /usr/bin/hello: SHA-256 mismatch\n"),
        "{out}"
    );
    assert!(
        out.contains("libgreet: /usr/lib/libgreet.so: missing\n"),
        "{out}"
    );
    assert!(
        out.contains("/etc/hello.conf: SHA-256 mismatch (modified config file)"),
        "{out}"
    );
    let out = ok(&pkg(&root, &["fix"]));
    assert!(out.contains("Reinstalling hello"), "{out}");
    assert!(out.contains("keeping modified /etc/hello.conf"), "{out}");
    assert!(ok(&pkg(&root, &["verify"])).contains("OK: 2 packages verified"));
    assert_eq!(
        fs::read_to_string(root.join("etc/hello.conf")).unwrap(),
        "greeting=mine\n"
    );

    let out = ok(&pkg(&root, &["del", "hello"]));
    assert!(out.contains("Purging hello (1.0-r0)"), "{out}");
    assert!(out.contains("Purging libgreet (1.2)"), "{out}");
    assert!(!root.join("usr/bin/hello").exists());
    assert!(!root.join("usr/lib").exists(), "emptied directories go");
    // The user's changed config file stays.
    assert!(root.join("etc/hello.conf").exists());
    assert_eq!(fs::read_to_string(root.join("etc/ibex/world")).unwrap(), "");
    assert!(ok(&pkg(&root, &["list", "-I"])).is_empty());
}

#[test]
fn upgrade_keeps_changed_config_and_removes_dropped_files() {
    let s = Scratch::new("upgrade");
    let (repo, root) = (s.join("repo"), s.join("root"));
    write_repo(&repo, &[&hello("1.0-r0", "hi"), &libgreet("1.2")]);
    make_root(&root, &repo);
    ok(&pkg(&root, &["add", "hello"]));
    fs::write(root.join("etc/hello.conf"), "greeting=mine\n").unwrap();

    let v2 = hello("1.1-r0", "hello").file("usr/bin/hello-extra", "x", 0o755);
    let lib2 = Pkg::new("libgreet", "2.0").dir("usr").dir("usr/lib").file(
        "usr/lib/libgreet.so.2",
        "greet 2",
        0o644,
    );
    write_repo(
        &repo,
        &[&hello("1.0-r0", "hi"), &v2, &libgreet("1.2"), &lib2],
    );
    ok(&pkg(&root, &["update"]));
    let up = ok(&pkg(&root, &["list", "-u"]));
    assert!(
        up.contains("hello-1.0-r0 x86_64 {the hello package} [upgradable to: 1.1-r0]"),
        "{up}"
    );
    let out = ok(&pkg(&root, &["upgrade"]));
    assert!(out.contains("Upgrading hello (1.0-r0 -> 1.1-r0)"), "{out}");
    assert!(out.contains("Upgrading libgreet (1.2 -> 2.0)"), "{out}");
    assert!(out.contains("keeping modified /etc/hello.conf, new one in /etc/hello.conf.new"));
    assert_eq!(
        fs::read_to_string(root.join("etc/hello.conf")).unwrap(),
        "greeting=mine\n"
    );
    assert_eq!(
        fs::read_to_string(root.join("etc/hello.conf.new")).unwrap(),
        "greeting=hello\n"
    );
    assert!(root.join("usr/bin/hello-extra").exists());
    assert!(
        !root.join("usr/lib/libgreet.so").exists(),
        "dropped file removed"
    );
    assert!(
        !root.join("usr/lib/libgreet.so.1").exists(),
        "dropped link removed"
    );
    assert!(root.join("usr/lib/libgreet.so.2").exists());
    // A constraint in the world holds a package back.
    ok(&pkg(&root, &["add", "libgreet<2"]));
    assert!(root.join("usr/lib/libgreet.so").exists());
    assert_eq!(
        fs::read_to_string(root.join("etc/ibex/world")).unwrap(),
        "hello\nlibgreet<2\n"
    );
}

#[test]
fn unsatisfiable_requests_explain_and_change_nothing() {
    let s = Scratch::new("unsat");
    let (repo, root) = (s.join("repo"), s.join("root"));
    let app = Pkg::new("app", "1.0").dep("mid").file("app", "a", 0o644);
    let mid = Pkg::new("mid", "1.0")
        .dep("libgreet>=3")
        .file("mid", "m", 0o644);
    let other = Pkg::new("other", "1.0")
        .conflict("libgreet")
        .file("o", "o", 0o644);
    write_repo(&repo, &[&app, &mid, &libgreet("2.1"), &other]);
    make_root(&root, &repo);
    ok(&pkg(&root, &["add", "libgreet"]));
    let before = snapshot(&root);
    let e = err(&pkg(&root, &["add", "app"]));
    assert!(
        e.contains(
            "unsatisfiable: world → app-1.0 → mid-1.0 → libgreet>=3: no version matches (available: libgreet-2.1)"
        ),
        "{e}"
    );
    let e = err(&pkg(&root, &["add", "other"]));
    assert!(e.contains("conflicts with"), "{e}");
    let e = err(&pkg(&root, &["add", "nosuch"]));
    assert!(e.contains("world → nosuch: no such package"), "{e}");
    assert_eq!(snapshot(&root), before);
    // Simulation changes nothing either.
    let out = ok(&pkg(&root, &["-s", "del", "libgreet"]));
    assert!(out.contains("Purging libgreet"), "{out}");
    assert_eq!(snapshot(&root), before);
}

#[test]
fn bad_usage_and_missing_things() {
    let s = Scratch::new("usage");
    let root = s.join("root");
    fs::create_dir_all(&root).unwrap();
    for (args, want) in [
        (&["frob"][..], "unknown command 'frob'"),
        (&["add"], "add: missing package name"),
        (&["update", "x"], "update: takes no arguments"),
        (&["cache", "dirty"], "only 'cache clean'"),
        (&["--bogus"], "unrecognized option '--bogus'"),
    ] {
        let o = pkg(&root, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(want),
            "{args:?}"
        );
    }
    assert!(err(&pkg(&root, &["del", "x"])).contains("x: not installed"));
    assert!(err(&pkg(&root, &["add", "/nonexistent/x.ibx"])).contains("No such file"));
    assert!(err(&pkg(&root, &["info", "x"])).contains("x: no such package"));
    // A repository that is not there.
    let o = pkg(&root, &["-X", "/nonexistent/repo", "update"]);
    assert!(err(&o).contains("/nonexistent/repo/INDEX.ibx"));
    let o = pkg(&root, &["-X", "ftp://x/", "update"]);
    assert!(err(&o).contains("only directories and http:// are supported"));
}

/// Installs `bad` as a file and checks the refusal and that nothing changed.
fn refused(name: &str, bad: &[u8], want: &str) {
    let s = Scratch::new(name);
    let root = s.join("root");
    let repo = s.join("repo");
    write_repo(&repo, &[&libgreet("1.0")]);
    make_root(&root, &repo);
    ok(&pkg(&root, &["add", "libgreet"]));
    let before = snapshot(&root);
    let file = s.join("bad.ibx");
    fs::write(&file, bad).unwrap();
    let e = err(&pkg(&root, &["add", file.to_str().unwrap()]));
    assert!(e.contains(want), "{name}: {e:?} should contain {want:?}");
    assert_eq!(snapshot(&root), before, "{name} changed the root");
}

fn hostile(p: Pkg) -> Vec<u8> {
    p.bytes()
}

#[test]
fn hostile_packages_are_refused_and_write_nothing() {
    let good = Pkg::new("x", "1.0").file("x", "x", 0o644).bytes();
    let mut flipped = good.clone();
    let n = flipped.len();
    flipped[n / 2] ^= 1;
    refused("crc", &flipped, "CRC32 mismatch");
    refused("truncated", &good[..good.len() - 10], "CRC32 mismatch");
    refused("short", &good[..40], "truncated");
    refused("magic", b"MZ not a package at all", "bad magic");
    let stranger = {
        let p = Pkg::new("x", "1.0").file("x", "x", 0o644);
        encode_package(&p.meta, &compress(&p.data), &SigningKey::from_seed([7; 32]))
    };
    refused("key", &stranger, "signed by an untrusted key");
    // A valid signature over other metadata: re-signed header, CRC fixed.
    let mut forged = good.clone();
    forged[100] ^= 0x20;
    let body = forged.len() - 4;
    let crc = crc32(&forged[..body]);
    forged[body..].copy_from_slice(&crc.to_le_bytes());
    refused("signature", &forged, "bad signature");
    refused(
        "traversal",
        &hostile(Pkg::new("x", "1.0").file("../../etc/passwd", "root::0:0::/:/bin/sh", 0o644)),
        "unsafe path '../../etc/passwd'",
    );
    refused(
        "absolute",
        &hostile(Pkg::new("x", "1.0").file("/etc/passwd", "x", 0o644)),
        "unsafe path '/etc/passwd': absolute",
    );
    refused(
        "symlink-out",
        &hostile(Pkg::new("x", "1.0").link("escape", "../../../..")),
        "points out of the root",
    );
    refused(
        "through-own-symlink",
        &hostile(
            Pkg::new("x", "1.0")
                .link("sneaky", "/etc")
                .file("sneaky/passwd", "x", 0o644),
        ),
        "would be written through the symlink sneaky",
    );
    let mut device = Pkg::new("x", "1.0").file("dev-sda", "", 0o644);
    device.meta.files[0].mode = 0o60644;
    refused(
        "device",
        &hostile(device),
        "device nodes and other special files are refused",
    );
    refused(
        "setuid",
        &hostile(Pkg::new("x", "1.0").file("usr/bin/sh", "x", 0o4755)),
        "set-id bits the recipe did not declare",
    );
    let mut bomb = Pkg::new("x", "1.0").file("zero", "0123456789", 0o644);
    bomb.data = vec![0; 4 << 20];
    refused("bomb", &hostile(bomb), "decompression bomb");
    let mut lying = Pkg::new("x", "1.0").file("a", "aaaa", 0o644);
    lying.data = b"bbbb".to_vec();
    refused("file-hash", &hostile(lying), "a: SHA-256 mismatch");
}

fn crc32(data: &[u8]) -> u32 {
    // The IEEE CRC32, bit by bit: independent of the code under test.
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn writes_never_go_through_symlinks_on_disk() {
    let s = Scratch::new("through-disk");
    let (repo, root) = (s.join("repo"), s.join("root"));
    let outside = s.join("outside");
    fs::create_dir_all(&outside).unwrap();
    // Package a makes usr/share a symlink; package b puts a file under it.
    let a = Pkg::new("a", "1.0")
        .dir("usr")
        .link("usr/share", outside.to_str().unwrap());
    let b = Pkg::new("b", "1.0").file("usr/share/f", "x", 0o644);
    write_repo(&repo, &[&a, &b]);
    make_root(&root, &repo);
    ok(&pkg(&root, &["add", "a"]));
    let e = err(&pkg(&root, &["add", "b"]));
    assert!(
        e.contains("/usr/share/f: refusing to write through the symlink /usr/share"),
        "{e}"
    );
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
    // The same with a symlink nobody owns.
    ok(&pkg(&root, &["del", "a"]));
    fs::create_dir_all(root.join("usr")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("usr/share")).unwrap();
    let e = err(&pkg(&root, &["add", "b"]));
    assert!(
        e.contains("refusing to write through the symlink /usr/share"),
        "{e}"
    );
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
    // Two packages may not own one file.
    let c = Pkg::new("c", "1.0").file("shared", "c", 0o644);
    let d = Pkg::new("d", "1.0").file("shared", "d", 0o644);
    write_repo(&repo, &[&a, &b, &c, &d]);
    ok(&pkg(&root, &["update"]));
    ok(&pkg(&root, &["add", "c"]));
    let e = err(&pkg(&root, &["add", "d"]));
    assert!(e.contains("/shared: belongs to both c and d"), "{e}");
    assert_eq!(fs::read_to_string(root.join("shared")).unwrap(), "c");
}

#[test]
fn a_killed_transaction_leaves_the_old_or_the_new_state() {
    let s = Scratch::new("crash");
    let (repo, root) = (s.join("repo"), s.join("root"));
    let old = hello("1.0-r0", "hi");
    let old_lib = libgreet("1.2");
    let new = hello("2.0-r0", "hello").file("usr/bin/hello2", "new", 0o755);
    let new_lib = Pkg::new("libgreet", "2.0").dir("usr").dir("usr/lib").file(
        "usr/lib/libgreet.so.2",
        "greet 2",
        0o644,
    );
    write_repo(&repo, &[&old, &old_lib]);
    make_root(&root, &repo);
    ok(&pkg(&root, &["add", "hello"]));
    let old_tree = snapshot(&root);
    write_repo(&repo, &[&old, &new, &old_lib, &new_lib]);
    ok(&pkg(&root, &["update"]));
    let pristine = s.join("pristine");
    copy_tree(&root, &pristine);

    // The same upgrade once to completion, for the new state.
    ok(&pkg(&root, &["upgrade"]));
    let new_tree = snapshot(&root);
    assert_ne!(old_tree, new_tree);

    let mut crashes = 0;
    for step in 1.. {
        fs::remove_dir_all(&root).unwrap();
        copy_tree(&pristine, &root);
        let o = pkg_env(&root, &["upgrade"], Some(step));
        if o.status.success() {
            break;
        }
        crashes += 1;
        assert!(step < 200, "never finished");
        // The next command finishes or undoes it; verify then sees one state.
        let v = pkg(&root, &["verify"]);
        assert!(
            v.status.success(),
            "step {step}: {}",
            String::from_utf8_lossy(&v.stdout)
        );
        let tree = snapshot(&root);
        assert!(
            tree == old_tree || tree == new_tree,
            "step {step}: a mix of old and new:\n{tree:#?}"
        );
    }
    assert!(crashes > 10, "only {crashes} crash points");
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let m = fs::symlink_metadata(&src).unwrap();
        if m.file_type().is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if m.is_dir() {
            copy_tree(&src, &dst);
            fs::set_permissions(&dst, m.permissions()).unwrap();
        } else {
            fs::copy(&src, &dst).unwrap();
            fs::set_permissions(&dst, fs::Permissions::from_mode(m.mode() & 0o7777)).unwrap();
        }
    }
}

/// Serves the files of `dir` under `/repo/` over HTTP/1.1 on a loopback
/// port, chunked, to exercise that decoder too.
fn serve(dir: PathBuf) -> u16 {
    common::http_server(common::Framing::Chunked, move |path| {
        let name = path.trim_start_matches("/repo/");
        if name.contains('/') {
            return None;
        }
        fs::read(dir.join(name)).ok()
    })
}

#[test]
fn installs_from_an_http_repository() {
    let s = Scratch::new("http");
    let (repo, root) = (s.join("repo"), s.join("root"));
    write_repo(&repo, &[&hello("1.0-r0", "hi"), &libgreet("1.2")]);
    let port = serve(repo.clone());
    make_root_at(&root, &format!("http://127.0.0.1:{port}/repo"));
    let out = ok(&pkg(&root, &["update"]));
    assert_eq!(out, format!("http://127.0.0.1:{port}/repo: 2 packages\n"));
    ok(&pkg(&root, &["add", "hello"]));
    assert!(root.join("usr/bin/hello").exists());
    assert!(ok(&pkg(&root, &["verify"])).contains("OK: 2 packages verified"));
    // A tampered package on the server is caught by the signed index.
    let file = repo.join("libgreet-1.2.ibx");
    let mut bytes = fs::read(&file).unwrap();
    let n = bytes.len();
    bytes[n - 5] ^= 1;
    fs::write(&file, bytes).unwrap();
    ok(&pkg(&root, &["del", "hello"]));
    ok(&pkg(&root, &["cache", "clean"]));
    let e = err(&pkg(&root, &["add", "hello"]));
    assert!(e.contains("does not match the signed index"), "{e}");
    assert!(!root.join("usr/bin/hello").exists());
    let o = pkg(
        &root,
        &["-X", &format!("http://127.0.0.1:{port}/nothing"), "update"],
    );
    assert!(err(&o).contains("HTTP/1.1 404 Not Found"));
}
