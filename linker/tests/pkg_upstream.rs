//! The upstream C programs in `packages/`: built from their pinned
//! sources (downloaded once into target/ibex/sources, so this needs the
//! network the first time), unpacked from the signed package, and run on
//! this host through musl's loader, /lib/ld-musl-x86_64.so.1.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A scratch directory of this test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("ibex-pkg-upstream-{}-{tag}", std::process::id()));
        fs::create_dir(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Only the directory this test created.
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Builds `packages/NAME` with a fresh key, checks it and unpacks it
/// into `root`.
fn build_and_unpack(s: &Scratch, name: &str, root: &Path) -> ibex_package::Metadata {
    let dir = s.0.join(format!("keys-{name}"));
    fs::create_dir(&dir).unwrap();
    let ibex = env!("CARGO_BIN_EXE_ibex");
    let out = Command::new(ibex)
        .args(["pkg", "keygen", "--dir"])
        .arg(&dir)
        .arg("k")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let recipe = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../packages")
        .join(name);
    let out = Command::new(ibex)
        .args(["pkg", "build"])
        .arg(&recipe)
        .arg("--key")
        .arg(dir.join("k.sec"))
        .arg("--out")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{name}: {}", text(&out));
    let file = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "ibx"))
        .unwrap();
    let bytes = fs::read(&file).unwrap();
    let key = ibex_package::PublicKey::from_text(&fs::read_to_string(dir.join("k.pub")).unwrap())
        .unwrap();
    let pkg = ibex_package::decode_package(&bytes, &[key]).unwrap();
    assert!(pkg.metadata.waivers.is_empty(), "{name} needs no waiver");
    assert_eq!(pkg.metadata.depends[0].name, "musl");
    let contents = ibex_package::unpack(&pkg).unwrap();
    for (i, f) in pkg.metadata.files.iter().enumerate() {
        let to = root.join(&f.path);
        match &f.kind {
            ibex_package::FileKind::Dir => fs::create_dir_all(&to).unwrap(),
            ibex_package::FileKind::File { .. } => {
                fs::write(&to, contents.of(i)).unwrap();
                fs::set_permissions(&to, fs::Permissions::from_mode(f.mode)).unwrap();
            }
            ibex_package::FileKind::Symlink { target } => {
                std::os::unix::fs::symlink(target, &to).unwrap()
            }
        }
    }
    eprintln!(
        "{name}: {} bytes packaged, {} installed",
        bytes.len(),
        pkg.metadata.installed_size
    );
    pkg.metadata
}

#[test]
fn upstream_programs_build_and_run_through_musl() {
    assert!(
        Path::new("/lib/ld-musl-x86_64.so.1").exists(),
        "this test runs the packages' programs through the host's musl loader"
    );
    let s = Scratch::new("all");
    let root = s.0.join("root");
    fs::create_dir(&root).unwrap();
    for name in ["bzip2", "lua", "sqlite3"] {
        build_and_unpack(&s, name, &root);
    }
    let bin = root.join("usr/bin");

    let out = Command::new(bin.join("sqlite3"))
        .args([":memory:", "select 1+1; select sqlite_version();"])
        .output()
        .unwrap();
    assert_eq!(text(&out), "2\n3.52.0\n");

    let out = Command::new(bin.join("lua"))
        .args(["-e", "print(2^10, _VERSION, string.format('%d', 6*7))"])
        .output()
        .unwrap();
    assert_eq!(text(&out), "1024.0\tLua 5.4\t42\n");

    let data: Vec<u8> = (0..200_000u32)
        .flat_map(|i| (i % 251).to_le_bytes())
        .collect();
    let mut child = Command::new(bin.join("bzip2"))
        .arg("-9c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        let data = data.clone();
        std::thread::spawn(move || stdin.write_all(&data).unwrap());
    }
    let packed = child.wait_with_output().unwrap();
    assert!(packed.status.success());
    assert!(packed.stdout.starts_with(b"BZh9"));
    assert!(packed.stdout.len() < data.len() / 10);
    let packed_file = s.0.join("data.bz2");
    fs::write(&packed_file, &packed.stdout).unwrap();
    // bzcat is a link to bzip2, which decompresses under that name.
    let out = Command::new(bin.join("bzcat"))
        .arg(&packed_file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(out.stdout, data);
}
