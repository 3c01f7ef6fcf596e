//! The container base (`ibex build --image container --format oci`): the
//! OCI image layout is valid by our own reading and deterministic; Debian's
//! `skopeo` reads it; `umoci unpack` makes a bundle that Debian's `runc`
//! runs with our init as PID 1 (a command's output and exit status come
//! back, `runc kill` SIGTERM ends it); and a derived image adds a package
//! with `ibox pkg add` and runs its program. Without umoci the layer is
//! unpacked with tar instead, so that runc is still exercised; tests that
//! need a missing tool, or root, say so and pass.

use ibex_linker::oci::{self, OciImage};
use ibex_linker::pkg::build::{self, load_signing_key};
use ibex_tests::{build_oci_image, is_root, root};
use serde_json::Value;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A scratch directory of this test process, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("ibex-oci-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The container image, built once per test process into its default
/// output directory.
fn image() -> &'static OciImage {
    static IMAGE: OnceLock<OciImage> = OnceLock::new();
    IMAGE.get_or_init(|| {
        build_oci_image("qemu-x86_64", "container", None)
            .expect("building the container image")
            .1
    })
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads the blob a descriptor points to, checking its size and digest.
fn blob(layout: &Path, desc: &Value, media_type: &str) -> Vec<u8> {
    assert_eq!(desc["mediaType"], media_type, "{desc}");
    let digest = desc["digest"].as_str().unwrap();
    let hex = digest.strip_prefix("sha256:").unwrap();
    let bytes = fs::read(layout.join("blobs/sha256").join(hex)).unwrap();
    assert_eq!(desc["size"].as_u64(), Some(bytes.len() as u64), "{desc}");
    assert_eq!(oci::sha256(&bytes), digest);
    bytes
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// `tar -t` of an archive on standard input.
fn tar_list(bytes: &[u8], args: &[&str]) -> String {
    let dir = Scratch::new("list");
    let file = dir.0.join("a.tar");
    fs::write(&file, bytes).unwrap();
    let out = Command::new("tar").args(args).arg(&file).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn layout_is_valid_by_our_own_reading() {
    let img = image();
    let layout = &img.layout;
    assert_eq!(
        fs::read_to_string(layout.join("oci-layout")).unwrap(),
        r#"{"imageLayoutVersion":"1.0.0"}"#
    );
    let index = json(&layout.join("index.json"));
    assert_eq!(index["schemaVersion"], 2);
    assert_eq!(index["mediaType"], oci::MEDIA_INDEX);
    let manifests = index["manifests"].as_array().unwrap();
    assert_eq!(manifests.len(), 1);
    let desc = &manifests[0];
    assert_eq!(
        desc["annotations"]["org.opencontainers.image.ref.name"],
        "latest"
    );
    assert_eq!(desc["platform"]["architecture"], "amd64");
    assert_eq!(desc["platform"]["os"], "linux");
    assert_eq!(desc["digest"], img.manifest_digest.as_str());
    let manifest: Value = serde_json::from_slice(&blob(layout, desc, oci::MEDIA_MANIFEST)).unwrap();
    assert_eq!(manifest["schemaVersion"], 2);
    let config: Value =
        serde_json::from_slice(&blob(layout, &manifest["config"], oci::MEDIA_CONFIG)).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 1);
    let layer = blob(layout, &layers[0], oci::MEDIA_LAYER);
    assert_eq!(layer.len() as u64, img.layer_size);
    let tar = gunzip(&layer);
    assert_eq!(tar.len() as u64, img.layer_tar_size);

    assert_eq!(config["architecture"], "amd64");
    assert_eq!(config["os"], "linux");
    assert_eq!(config["rootfs"]["type"], "layers");
    assert_eq!(config["rootfs"]["diff_ids"][0], oci::sha256(&tar).as_str());
    let c = &config["config"];
    assert_eq!(
        c["Entrypoint"],
        serde_json::json!(["/sbin/init", "--container", "--"])
    );
    assert_eq!(c["Cmd"], serde_json::json!(["/bin/sh"]));
    assert_eq!(c["WorkingDir"], "/");
    assert!(c["Env"][0].as_str().unwrap().starts_with("PATH=/"), "{c}");
    assert_eq!(
        c["Labels"]["org.opencontainers.image.title"],
        "ibex-container"
    );
    assert_eq!(
        c["Labels"]["org.opencontainers.image.version"],
        env!("CARGO_PKG_VERSION")
    );

    // What the base holds, and no device nodes or host owners.
    let listing = tar_list(&tar, &["-tvf"]);
    for needle in [
        // PID 1 is ibox's init applet, as with BusyBox.
        " sbin/init -> ../bin/ibox\n",
        " bin/ibox\n",
        " bin/sh -> ibox\n",
        " bin/pkg -> ibox\n",
        " etc/passwd\n",
        " etc/group\n",
        " etc/os-release\n",
        " etc/ibex/keys/ibex-dev.pub\n",
        " tmp/\n",
    ] {
        assert!(listing.contains(needle), "{needle:?} missing in\n{listing}");
    }
    for line in listing.lines() {
        assert!(line.contains(" root/root "), "{line}");
        assert!(!line.starts_with('c'), "{line}");
    }

    // The archive holds the same layout.
    let archive = fs::read(&img.archive).unwrap();
    let names = tar_list(&archive, &["-tf"]);
    let mut expected = vec![
        "blobs/".to_string(),
        "blobs/sha256/".to_string(),
        "index.json".to_string(),
        "oci-layout".to_string(),
    ];
    for entry in fs::read_dir(layout.join("blobs/sha256")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        expected.push(format!("blobs/sha256/{name}"));
    }
    expected.sort();
    assert_eq!(names.lines().collect::<Vec<_>>(), expected);
}

#[test]
fn same_inputs_same_digests() {
    let scratch = Scratch::new("twice");
    let (a, b) = (scratch.0.join("a"), scratch.0.join("b"));
    let (_, one) = build_oci_image("qemu-x86_64", "container", Some(a.clone())).unwrap();
    let (_, two) = build_oci_image("qemu-x86_64", "container", Some(b.clone())).unwrap();
    assert_eq!(one.manifest_digest, two.manifest_digest);
    for file in ["oci/index.json", "oci/oci-layout", "container-oci.tar"] {
        assert!(
            fs::read(a.join(file)).unwrap() == fs::read(b.join(file)).unwrap(),
            "{file} differs"
        );
    }
    let blobs = |dir: &Path| {
        let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(dir.join("oci/blobs/sha256"))
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().into_string().unwrap(),
                    fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let (ba, bb) = (blobs(&a), blobs(&b));
    assert_eq!(ba.len(), 3);
    assert!(ba == bb, "blobs differ");
}

#[test]
fn skopeo_inspects_the_layout() {
    if !have("skopeo") {
        eprintln!("skipped: skopeo is not installed (scripts/setup installs it)");
        return;
    }
    let img = image();
    let out = Command::new("skopeo")
        .arg("inspect")
        .arg(format!("oci:{}:latest", img.layout.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "skopeo inspect: {stderr}");
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["Architecture"], "amd64", "{info}");
    assert_eq!(info["Os"], "linux", "{info}");
    assert_eq!(info["Digest"], img.manifest_digest.as_str(), "{info}");
    assert_eq!(info["Layers"].as_array().map(Vec::len), Some(1), "{info}");
    assert_eq!(
        info["Labels"]["org.opencontainers.image.title"],
        "ibex-container"
    );
    // The raw config too, as a registry client reads it.
    let out = Command::new("skopeo")
        .args(["inspect", "--config"])
        .arg(format!("oci:{}:latest", img.layout.display()))
        .output()
        .unwrap();
    assert!(out.status.success());
    let config: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(config["config"]["Cmd"], serde_json::json!(["/bin/sh"]));
    // The one-file archive is the same image.
    let out = Command::new("skopeo")
        .arg("inspect")
        .arg(format!("oci-archive:{}:latest", img.archive.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["Digest"], img.manifest_digest.as_str(), "{info}");
}

/// A runc bundle of the image: `umoci unpack` where installed, else the
/// layer unpacked with tar under a config from `runc spec`; either way the
/// process is the image's entrypoint with `cmd` as its command.
struct Bundle {
    dir: Scratch,
}

impl Bundle {
    fn new(name: &str, cmd: &[&str]) -> Bundle {
        let img = image();
        let dir = Scratch::new(name);
        let bundle = dir.0.join("bundle");
        let mut config_args: Vec<String> = Vec::new();
        // IBEX_TEST_NO_UMOCI=1 tries the fallback where umoci is installed.
        if have("umoci") && std::env::var_os("IBEX_TEST_NO_UMOCI").is_none() {
            let out = Command::new("umoci")
                .args(["unpack", "--image"])
                .arg(format!("{}:latest", img.layout.display()))
                .arg(&bundle)
                .output()
                .unwrap();
            assert!(out.status.success(), "umoci unpack: {out:?}");
        } else {
            eprintln!("without umoci (scripts/setup installs it): unpacking the layer with tar");
            let rootfs = bundle.join("rootfs");
            fs::create_dir_all(&rootfs).unwrap();
            let index = json(&img.layout.join("index.json"));
            let manifest: Value = serde_json::from_slice(&blob(
                &img.layout,
                &index["manifests"][0],
                oci::MEDIA_MANIFEST,
            ))
            .unwrap();
            let config: Value =
                serde_json::from_slice(&blob(&img.layout, &manifest["config"], oci::MEDIA_CONFIG))
                    .unwrap();
            let layer = manifest["layers"][0]["digest"].as_str().unwrap();
            let layer = img
                .layout
                .join("blobs/sha256")
                .join(layer.trim_start_matches("sha256:"));
            let ok = Command::new("tar")
                .arg("-xzpf")
                .arg(&layer)
                .arg("-C")
                .arg(&rootfs)
                .status()
                .unwrap();
            assert!(ok.success());
            let ok = Command::new("runc")
                .arg("spec")
                .current_dir(&bundle)
                .status()
                .unwrap();
            assert!(ok.success());
            for part in ["Entrypoint", "Cmd"] {
                if let Some(a) = config["config"][part].as_array() {
                    config_args.extend(a.iter().map(|v| v.as_str().unwrap().to_string()));
                }
            }
        }
        // The image's entrypoint, with the test's command instead of Cmd.
        let path = bundle.join("config.json");
        let mut spec = json(&path);
        let mut args: Vec<Value> = if config_args.is_empty() {
            spec["process"]["args"].as_array().unwrap().clone()
        } else {
            config_args.into_iter().map(Value::from).collect()
        };
        let entry = args.iter().position(|a| a == "--").expect("-- in the args");
        args.truncate(entry + 1);
        args.extend(cmd.iter().map(|a| Value::from(*a)));
        assert_eq!(args[0], "/sbin/init", "{args:?}");
        spec["process"]["args"] = Value::from(args);
        spec["process"]["terminal"] = Value::from(false);
        spec["root"]["readonly"] = Value::from(false);
        fs::write(&path, serde_json::to_vec_pretty(&spec).unwrap()).unwrap();
        Bundle { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.0.join("bundle")
    }

    fn rootfs(&self) -> PathBuf {
        self.path().join("rootfs")
    }

    /// `runc run` in the foreground: its output and status.
    fn run(&self, id: &str) -> Output {
        let _container = Container(id.to_string());
        Command::new("runc")
            .args(["run", "--bundle"])
            .arg(self.path())
            .arg(id)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

fn container_id(what: &str) -> String {
    format!("ibex-oci-{what}-{}", std::process::id())
}

/// Deletes this test's container (by its own id) however the test ends.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("runc")
            .args(["delete", "-f", &self.0])
            .stderr(Stdio::null())
            .status();
    }
}

fn runnable() -> bool {
    if !is_root() {
        eprintln!("skipped: runc needs root (scripts/test runs as root in CI)");
        return false;
    }
    if !have("runc") {
        eprintln!("skipped: runc is not installed (scripts/setup installs it)");
        return false;
    }
    true
}

#[test]
fn runc_runs_a_command_and_its_status_comes_back() {
    if !runnable() {
        return;
    }
    let bundle = Bundle::new(
        "cmd",
        &[
            "/bin/sh",
            "-c",
            "echo hello from $(cat /etc/hostname); exit 3",
        ],
    );
    let out = bundle.run(&container_id("cmd"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hello from ibex\n",
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("container mode"), "{stderr}");
}

#[test]
fn runc_kill_sigterm_ends_a_long_running_command() {
    if !runnable() {
        return;
    }
    let bundle = Bundle::new("term", &["sleep", "100000"]);
    let id = container_id("term");
    let _container = Container(id.clone());
    let mut runc = Command::new("runc")
        .args(["run", "--bundle"])
        .arg(bundle.path())
        .arg(&id)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the container runs sleep under init.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ps = Command::new("runc").args(["ps", &id]).output().unwrap();
        if String::from_utf8_lossy(&ps.stdout).contains("sleep") {
            break;
        }
        assert!(Instant::now() < deadline, "sleep never ran: {ps:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let started = Instant::now();
    let kill = Command::new("runc")
        .args(["kill", &id, "TERM"])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = runc.wait().unwrap();
    let stopped_in = started.elapsed();
    let mut err = String::new();
    runc.stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    // init passes SIGTERM on; sleep dies of it: 128 + 15.
    assert_eq!(status.code(), Some(143), "{err}");
    assert!(err.contains("SIGTERM: passing it on"), "{err}");
    // Cleanly: not after a kill timeout.
    assert!(stopped_in < Duration::from_secs(2), "{stopped_in:?}\n{err}");
}

#[test]
fn a_derived_image_adds_a_package_and_runs_it() {
    if !runnable() {
        return;
    }
    // The image build made the development key the image trusts.
    let _ = image();
    let bundle = Bundle::new(
        "derived",
        &[
            "/bin/sh",
            "-c",
            "echo /srv/repo > /etc/ibex/repositories && pkg update && pkg add ibex-hello \
             && ibex-hello --count 1 --config /dev/null && pkg info ibex-hello",
        ],
    );
    // A local repository of ibex-hello (and musl, which it needs) signed by
    // the development key, inside the bundle's root filesystem.
    let repo = bundle.rootfs().join("srv/repo");
    fs::create_dir_all(&repo).unwrap();
    let key = root().join("target/ibex/keys/ibex-dev.sec");
    for recipe in ["musl", "ibex-hello"] {
        build::build(
            &root(),
            &build::Options {
                recipe: root().join("packages").join(recipe),
                key: key.clone(),
                out: Some(repo.clone()),
                arch: Some("x86_64".into()),
                verbose: false,
            },
        )
        .unwrap_or_else(|e| panic!("building {recipe}: {e}"));
    }
    ibex_linker::pkg::index(&repo, &load_signing_key(&key).unwrap()).unwrap();

    let out = bundle.run(&container_id("derived"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Installing ibex-hello (1.0-r0)"),
        "{stdout}"
    );
    assert!(
        format!("{stdout}{stderr}").contains("ibex-hello 1.0-r0: started"),
        "{stdout}\n{stderr}"
    );
    // The files are in the bundle's root filesystem: a new layer's worth.
    assert!(bundle.rootfs().join("usr/bin/ibex-hello").is_file());
}
