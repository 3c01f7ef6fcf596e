//! Package installs side by side: `ibox pkg --root` against `dpkg --root`
//! on the same payloads, and the size and update time of a 1,000-package
//! index. Prints Markdown tables (docs/benchmarks.md records a run).
//!
//! Usage: `pkg-bench IBOX [RUNS]` (scripts/bench-pkg builds ibox and runs
//! this). Everything is written under a fresh `mktemp -d`-style directory
//! in the system's temporary directory and removed at the end.
//!
//! Inputs: 100 packages `p000`..`p099` with 4 to 24 files each, sizes drawn
//! from a seeded generator between 512 bytes and 512 KiB (about 50 MB in all),
//! contents half text-like (compressible) and half random bytes. The same
//! payload trees become `.deb` files with `dpkg-deb --build -Zgzip -z6`
//! (DEFLATE, like ours) and signed `.ibx` packages in a local repository.

use ibex_package::{
    compress, encode_index, encode_package, sha256, FileEntry, FileKind, Index, IndexEntry,
    Metadata, SigningKey,
};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// xorshift64*: a seeded generator, so every run has the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "router", "switch", "packet", "config", "daemon", "kernel", "ibex", "alpine", "musl", "init",
    "service", "bridge", "vlan", "firewall", "route", "table", "entry", "value", "0x1f", "42",
];

fn content(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size);
    if rng.below(2) == 0 {
        while out.len() < size {
            out.extend_from_slice(WORDS[rng.below(WORDS.len() as u64) as usize].as_bytes());
            out.push(if rng.below(8) == 0 { b'\n' } else { b' ' });
        }
        out.truncate(size);
    } else {
        while out.len() < size {
            out.extend_from_slice(&rng.next().to_le_bytes());
        }
        out.truncate(size);
    }
    out
}

struct Generated {
    name: String,
    files: Vec<(String, Vec<u8>)>,
}

fn generate() -> Vec<Generated> {
    let mut rng = Rng(0x1b3d_5eed_0f1b_e700);
    (0..100)
        .map(|i| {
            let n = 4 + rng.below(21) as usize;
            let files = (0..n)
                .map(|f| {
                    // Mostly small files, a few large ones: sizes spread
                    // over 512 bytes .. 512 KiB on a log scale.
                    let exp = 9 + rng.below(9);
                    let size = (1u64 << exp) + rng.below(1 << exp);
                    let size = size.min(2 << 20) as usize;
                    (
                        format!("usr/share/p{i:03}/file{f:02}"),
                        content(&mut rng, size),
                    )
                })
                .collect();
            Generated {
                name: format!("p{i:03}"),
                files,
            }
        })
        .collect()
}

fn metadata(g: &Generated) -> (Metadata, Vec<u8>) {
    let mut meta = Metadata {
        name: g.name.clone(),
        version: "1.0-r0".into(),
        arch: "x86_64".into(),
        description: format!("benchmark package {}", g.name),
        ..Metadata::default()
    };
    let mut payload = Vec::new();
    let dir = |p: &str| FileEntry {
        path: p.into(),
        kind: FileKind::Dir,
        mode: 0o755,
        uid: 0,
        gid: 0,
    };
    meta.files.push(dir("usr"));
    meta.files.push(dir("usr/share"));
    meta.files.push(dir(&format!("usr/share/{}", g.name)));
    for (path, data) in &g.files {
        meta.files.push(FileEntry {
            path: path.clone(),
            kind: FileKind::File {
                size: data.len() as u64,
                sha256: sha256(data),
            },
            mode: 0o644,
            uid: 0,
            gid: 0,
        });
        meta.installed_size += data.len() as u64;
        payload.extend_from_slice(data);
    }
    (meta, payload)
}

fn write_repo(dir: &Path, packages: &[(Metadata, Vec<u8>)], key: &SigningKey) -> u64 {
    fs::create_dir_all(dir).expect("repo dir");
    let mut index = Index::default();
    for (meta, payload) in packages {
        let bytes = encode_package(meta, &compress(payload), key);
        let file = format!("{}-{}.ibx", meta.name, meta.version);
        fs::write(dir.join(&file), &bytes).expect("write package");
        index.packages.push(IndexEntry {
            name: meta.name.clone(),
            version: meta.version.clone(),
            arch: meta.arch.clone(),
            description: meta.description.clone(),
            depends: meta.depends.clone(),
            provides: vec![],
            conflicts: vec![],
            file,
            size: bytes.len() as u64,
            sha256: sha256(&bytes),
            installed_size: meta.installed_size,
        });
    }
    let bytes = encode_index(&index, key);
    fs::write(dir.join("INDEX.ibx"), &bytes).expect("write index");
    bytes.len() as u64
}

fn build_debs(dir: &Path, generated: &[Generated]) {
    fs::create_dir_all(dir).expect("deb dir");
    for g in generated {
        let tree = dir.join(format!("tree-{}", g.name));
        fs::create_dir_all(tree.join("DEBIAN")).expect("DEBIAN");
        fs::write(
            tree.join("DEBIAN/control"),
            format!(
                "Package: {}\nVersion: 1.0-0\nArchitecture: all\nMaintainer: bench <bench@example.org>\nDescription: benchmark package {}\n",
                g.name, g.name
            ),
        )
        .expect("control");
        for (path, data) in &g.files {
            let p = tree.join(path);
            fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            fs::write(&p, data).expect("write");
        }
        let status = Command::new("dpkg-deb")
            .args(["--root-owner-group", "-Zgzip", "-z6", "--build"])
            .arg(&tree)
            .arg(dir.join(format!("{}.deb", g.name)))
            .stdout(std::process::Stdio::null())
            .status()
            .expect("dpkg-deb");
        assert!(status.success(), "dpkg-deb failed");
        fs::remove_dir_all(&tree).expect("remove tree");
    }
}

fn run(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let out = cmd.output().expect("run");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn fresh(dir: &Path) {
    if dir.exists() {
        fs::remove_dir_all(dir).expect("clean root");
    }
    fs::create_dir_all(dir).expect("root");
}

fn dpkg_root(root: &Path) {
    fresh(root);
    for d in [
        "var/lib/dpkg/info",
        "var/lib/dpkg/updates",
        "var/lib/dpkg/triggers",
    ] {
        fs::create_dir_all(root.join(d)).expect("dpkg dirs");
    }
    fs::write(root.join("var/lib/dpkg/status"), "").expect("status");
    fs::write(root.join("var/lib/dpkg/available"), "").expect("available");
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let ibox = PathBuf::from(args.next().expect("usage: pkg-bench IBOX [RUNS]"));
    let runs: usize = args.next().map_or(3, |r| r.parse().expect("RUNS"));
    let work = std::env::temp_dir().join(format!("ibex-pkg-bench-{}", std::process::id()));
    fresh(&work);
    let key = SigningKey::from_seed([9; 32]);
    fs::write(work.join("bench.pub"), key.public().to_text()).expect("key");

    let generated = generate();
    let packages: Vec<(Metadata, Vec<u8>)> = generated.iter().map(metadata).collect();
    let total: u64 = packages.iter().map(|(m, _)| m.installed_size).sum();
    let files: usize = generated.iter().map(|g| g.files.len()).sum();
    let repo = work.join("repo");
    write_repo(&repo, &packages, &key);
    let debs = work.join("debs");
    build_debs(&debs, &generated);
    let names: Vec<String> = generated.iter().map(|g| g.name.clone()).collect();
    let size_of = |dir: &Path, ext: &str| -> u64 {
        fs::read_dir(dir)
            .expect("read dir")
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == ext))
            .map(|e| e.metadata().map_or(0, |m| m.len()))
            .sum()
    };

    let root = work.join("root");
    let ibox_pkg = |root: &Path| {
        let mut c = Command::new(&ibox);
        c.arg("pkg")
            .arg("--root")
            .arg(root)
            .arg("-k")
            .arg(work.join("bench.pub"))
            .arg("-X")
            .arg(&repo);
        c
    };
    let (mut ibox_add, mut ibox_del, mut dpkg_add, mut dpkg_del) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        fresh(&root);
        // The index is fetched once, as `apk update` would be.
        run(ibox_pkg(&root).arg("update"));
        ibox_add.push(run(ibox_pkg(&root).arg("add").args(&names)));
        ibox_del.push(run(ibox_pkg(&root).arg("del").args(&names)));

        dpkg_root(&root);
        let deb_files: Vec<PathBuf> = names
            .iter()
            .map(|n| debs.join(format!("{n}.deb")))
            .collect();
        dpkg_add.push(run(Command::new("dpkg")
            .arg(format!("--root={}", root.display()))
            .args([
                "--force-not-root",
                "--force-script-chrootless",
                "--no-triggers",
                "-i",
            ])
            .args(&deb_files)));
        dpkg_del.push(run(Command::new("dpkg")
            .arg(format!("--root={}", root.display()))
            .args([
                "--force-not-root",
                "--force-script-chrootless",
                "--no-triggers",
                "-P",
            ])
            .args(&names)));
    }
    let mb = total as f64 / 1e6;
    let row = |what: &str, ibox: Duration, dpkg: Duration| {
        println!(
            "| {what} | {:.2} s ({:.0} MB/s) | {:.2} s ({:.0} MB/s) |",
            ibox.as_secs_f64(),
            mb / ibox.as_secs_f64(),
            dpkg.as_secs_f64(),
            mb / dpkg.as_secs_f64()
        );
    };
    println!(
        "Inputs: 100 packages, {files} files, {:.1} MB installed; {:.1} MB of .ibx, {:.1} MB of .deb. Median of {runs} runs.\n",
        mb,
        size_of(&repo, "ibx") as f64 / 1e6,
        size_of(&debs, "deb") as f64 / 1e6
    );
    println!("| 100 packages into an empty root | ibox pkg --root | dpkg --root |");
    println!("|---|---|---|");
    row("install", median(ibox_add), median(dpkg_add));
    row("remove", median(ibox_del), median(dpkg_del));

    // A 1,000-package repository: index size and update time.
    let big: Vec<(Metadata, Vec<u8>)> = (0..1000)
        .map(|i| {
            let g = Generated {
                name: format!("pkg{i:04}"),
                files: vec![(format!("usr/share/pkg{i:04}/data"), vec![b'x'; 64])],
            };
            metadata(&g)
        })
        .collect();
    let big_repo = work.join("big");
    let index_size = write_repo(&big_repo, &big, &key);
    let mut updates = vec![];
    for _ in 0..runs {
        fresh(&root);
        let mut c = Command::new(&ibox);
        c.arg("pkg")
            .arg("--root")
            .arg(&root)
            .arg("-k")
            .arg(work.join("bench.pub"))
            .arg("-X")
            .arg(&big_repo)
            .arg("update");
        updates.push(run(&mut c));
    }
    println!();
    println!("| 1,000-package repository | ibox pkg |");
    println!("|---|---|");
    println!(
        "| signed index size | {} bytes ({:.0} bytes per package) |",
        index_size,
        index_size as f64 / 1000.0
    );
    println!(
        "| `pkg update` (verify and cache the index) | {:.3} s |",
        median(updates).as_secs_f64()
    );
    fs::remove_dir_all(&work).expect("clean up");
}
