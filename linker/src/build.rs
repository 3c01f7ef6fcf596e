//! `ibex build`: device binaries → root filesystem → initramfs → kernel with
//! the initramfs built in. Every output is written to a temporary name and
//! renamed into place, so an interrupted or failed build never leaves a
//! half-written image behind.

use crate::cpio::{self, Node};
use crate::definitions::{Board, Image};
use crate::Error;
use ibex_plan::BootPlan;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Applets that live in /sbin, as on Alpine (scripts and ifupdown call
/// `/sbin/udhcpc`, `/sbin/ip`); all others go to /bin.
const SBIN_APPLETS: &[&str] = &[
    "arp", "bridge", "dnsd", "halt", "ifdown", "ifquery", "ifup", "ip", "klogd", "ntpd",
    "poweroff", "reboot", "syslogd", "udhcpc", "udhcpd",
];

/// The script `udhcpc` runs on lease events, installed with it.
const UDHCPC_SCRIPT: &[u8] = include_bytes!("../../userland/share/udhcpc/default.script");

/// What to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Board name (`boards/<board>.toml`).
    pub board: String,
    /// Image name (`images/<image>.toml`).
    pub image: String,
    /// Output directory; `out/<board>-<image>` when `None`.
    pub out: Option<PathBuf>,
    /// Report progress on standard error.
    pub verbose: bool,
    /// Release version the image carries (`/etc/os-release`, the system
    /// image header); the workspace version when `None`.
    pub release: Option<String>,
}

impl BuildOptions {
    /// The release version the image carries.
    pub fn release(&self) -> &str {
        self.release.as_deref().unwrap_or(env!("CARGO_PKG_VERSION"))
    }

    /// Reports progress on standard error when `verbose` is set.
    pub fn say(&self, msg: &str) {
        if self.verbose {
            eprintln!("ibex: {msg}");
        }
    }
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            board: "qemu-x86_64".into(),
            image: "default".into(),
            out: None,
            verbose: true,
            release: None,
        }
    }
}

/// A finished build.
#[derive(Debug, Clone)]
pub struct Built {
    /// The board it is for.
    pub board: Board,
    /// The image profile it was built from.
    pub image: Image,
    /// Output directory.
    pub dir: PathBuf,
    /// The single-binary image: kernel with the root filesystem inside.
    pub kernel_image: PathBuf,
    /// The root filesystem on its own, as an uncompressed newc cpio.
    pub initramfs: PathBuf,
}

/// A root filesystem laid out for an image, before it is archived.
struct Prepared {
    board: Board,
    image: Image,
    dir: PathBuf,
    tree: cpio::Tree,
}

/// Builds the device binaries and lays out the root filesystem of the
/// image, with its packages installed.
fn prepare(root: &Path, opts: &BuildOptions) -> Result<Prepared, Error> {
    let board = Board::load(root, &opts.board)?;
    let image = Image::load(root, &opts.image)?;
    let dir = opts.out.clone().unwrap_or_else(|| {
        root.join("out")
            .join(format!("{}-{}", board.name, image.name))
    });
    fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let say = |msg: &str| opts.say(msg);

    say(&format!(
        "building device binaries for {}",
        board.rust_target
    ));
    let applets = crate::applets::Selection::for_image(root, &image.name, &image.applets)?;
    let bins = build_device_binaries(root, &board.rust_target, &applets)?;

    let mut tree = root_filesystem(&board, &image, &bins, opts.release())?;
    if !image.packages.is_empty() {
        let arch = board.rust_target.split('-').next().unwrap_or("x86_64");
        say(&format!("packages: {}", image.packages.join(" ")));
        let repo = crate::pkg::build_repository(root, arch, &image.packages, false)?;
        let scratch = root
            .join("target/ibex/roots")
            .join(format!("{}-{}", board.name, image.name));
        crate::image_packages::install(
            &mut tree,
            &scratch,
            &repo.dir,
            &repo.public_key,
            &image.packages,
        )?;
    }
    if image.trust_dev_key {
        let key = dev_public_key(root)?;
        let name = key.file_name().unwrap_or_default().to_string_lossy();
        tree.add_dir_all(ibex_package::keys::TRUSTED_DIR, 0o755)?;
        tree.add(
            &format!("{}/{name}", ibex_package::keys::TRUSTED_DIR),
            Node::File {
                mode: 0o644,
                data: fs::read(&key).map_err(Error::io(&key))?,
            },
        )?;
    }
    if let Some(path) = &image.tuf_root {
        tree.add_dir_all(ibex_tuf::DEVICE_DIR, 0o755)?;
        tree.add(
            &format!("{}/root.json", ibex_tuf::DEVICE_DIR),
            Node::File {
                mode: 0o644,
                data: tuf_root(&root.join(path))?,
            },
        )?;
    }
    // Last: it describes everything the image put in /etc.
    crate::etc_manifest::add(&mut tree)?;
    Ok(Prepared {
        board,
        image,
        dir,
        tree,
    })
}

/// The checkout's development public key (`target/ibex/keys/ibex-dev.pub`),
/// made on first use as the package build does.
pub fn dev_public_key(root: &Path) -> Result<PathBuf, Error> {
    crate::pkg::dev_key(root).map(|(_, public)| public)
}

/// A TUF root file for an image to carry, checked first: an image that
/// trusts a damaged root could never update through its repository.
fn tuf_root(path: &Path) -> Result<Vec<u8>, Error> {
    use ibex_tuf::metadata::{Envelope, Root};
    use ibex_tuf::Role;
    let bytes = fs::read(path).map_err(Error::io(path))?;
    let check = || -> Result<(), ibex_tuf::Error> {
        let env = Envelope::parse(Role::Root, &bytes)?;
        let root: Root = env.decode(Role::Root)?;
        env.verify(Role::Root, &root.role_keys(Role::Root)?)
    };
    check().map_err(|e| Error::Invalid(format!("tuf_root {}: {e}", path.display())))?;
    Ok(bytes)
}

/// Builds the OCI image layout of an image (see [`crate::oci`]): no
/// kernel is built. The root filesystem is also written as
/// `initramfs.cpio`, as for a kernel build.
pub fn build_oci(root: &Path, opts: &BuildOptions) -> Result<(Built, crate::oci::OciImage), Error> {
    let say = |msg: &str| opts.say(msg);
    let Prepared {
        board,
        image,
        dir,
        tree,
    } = prepare(root, opts)?;
    let mtime = source_date_epoch();
    let initramfs = dir.join("initramfs.cpio");
    write_atomic(&initramfs, &tree.write(mtime)?)?;
    let oci = crate::oci::write(&dir, &board, &image, &tree, mtime)?;
    say(&format!(
        "oci: {} bytes of files; layer {} bytes as tar, {} gzipped",
        oci.content_size, oci.layer_tar_size, oci.layer_size
    ));
    say(&format!(
        "oci: {} ({}:{}) and {}",
        oci.layout.display(),
        oci.manifest_digest,
        crate::oci::TAG,
        oci.archive.display()
    ));
    let kernel_image = dir.join(&board.kernel.image_name);
    Ok((
        Built {
            board,
            image,
            dir,
            kernel_image,
            initramfs,
        },
        oci,
    ))
}

/// Builds an image of the project at `root`.
pub fn build(root: &Path, opts: &BuildOptions) -> Result<Built, Error> {
    let say = |msg: &str| opts.say(msg);
    let Prepared {
        board,
        image,
        dir,
        tree,
    } = prepare(root, opts)?;
    let mtime = source_date_epoch();
    let cpio_bytes = tree.write(mtime)?;
    let initramfs = dir.join("initramfs.cpio");
    write_atomic(&initramfs, &cpio_bytes)?;
    let mut gz = flate2::GzBuilder::new()
        .mtime(mtime)
        .write(Vec::new(), flate2::Compression::best());
    gz.write_all(&cpio_bytes)
        .map_err(Error::io(&dir.join("initramfs.cpio.gz")))?;
    let gz_bytes = gz
        .finish()
        .map_err(Error::io(&dir.join("initramfs.cpio.gz")))?;
    write_atomic(&dir.join("initramfs.cpio.gz"), &gz_bytes)?;
    say(&format!(
        "initramfs: {} bytes ({} gzipped)",
        cpio_bytes.len(),
        gz_bytes.len()
    ));

    let kernel_image = dir.join(&board.kernel.image_name);
    build_kernel(root, &board, &initramfs, &kernel_image, opts.verbose)?;
    say(&format!("image: {}", kernel_image.display()));
    Ok(Built {
        board,
        image,
        dir,
        kernel_image,
        initramfs,
    })
}

/// Paths of the device binaries just built.
pub struct DeviceBinaries {
    /// The multi-call binary: the userland and PID 1 (its `init` applet),
    /// so that the image holds one copy of the C library and std, not two.
    pub ibox: PathBuf,
}

/// Builds `ibox` (init included) as static PIE for `rust_target` with the size
/// profile and the `applets` an image wants, in a target directory of their
/// own (`target/device`, or `target/device-HASH` for a subset of the
/// applets) so that their flags never reach host builds and a surrounding
/// `cargo test` does not hold their lock.
pub fn build_device_binaries(
    root: &Path,
    rust_target: &str,
    applets: &crate::applets::Selection,
) -> Result<DeviceBinaries, Error> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = applets.target_dir(&root.join("target"));
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "--locked",
            "--profile",
            "device",
            "--target",
            rust_target,
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        // ibex-init comes in as a library of ibox; its own `init` binary
        // is for its tests only.
        .args(["-p", "ibex-userland"])
        .args(applets.cargo_args())
        // With `--target`, these reach the device crates only, not build
        // scripts; and they take precedence over an outer cargo's
        // (`cargo test`) flags of any kind, which must not leak in.
        .env(
            "CARGO_ENCODED_RUSTFLAGS",
            device_rustflags(root, rust_target).join("\x1f"),
        )
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_MAKEFLAGS");
    let status = cmd
        .status()
        .map_err(|e| Error::Tool(format!("cannot run cargo: {e}")))?;
    if !status.success() {
        return Err(Error::Tool(format!(
            "building the device binaries failed ({status})"
        )));
    }
    let out = target_dir.join(rust_target).join("device");
    Ok(DeviceBinaries {
        ibox: out.join("ibox"),
    })
}

/// The compiler flags of the device build: a static C library (musl on
/// x86_64, see `userland/build.rs`; glibc elsewhere), and on x86_64
/// no unwind tables.
///
/// `profile.device` aborts on panic, so nothing unwinds: `.eh_frame` and
/// its index are about 300 KB that nothing reads, a ninth of the
/// container's ibox. `-C force-unwind-tables=no` does not remove them (the
/// standard library and glibc come compiled with theirs), so the link
/// discards the section (`userland/no-eh-frame.ld`). What is lost is the
/// backtrace under `RUST_BACKTRACE`: a panic still prints its message and
/// aborts, and the stripped binary had no symbols to name frames with.
/// Only x86_64 gets it, the target it was tried on (as DT_RELR in
/// `userland/build.rs`); the other boards' cross linkers are untried.
pub fn device_rustflags(root: &Path, rust_target: &str) -> Vec<String> {
    let mut flags: Vec<String> = ["-C", "target-feature=+crt-static"]
        .map(String::from)
        .into();
    if rust_target == "x86_64-unknown-linux-gnu" {
        let script = root.join("userland/no-eh-frame.ld");
        flags.extend([
            "-C".into(),
            "link-arg=-Wl,--no-eh-frame-hdr".into(),
            "-C".into(),
            format!("link-arg=-Wl,-T,{}", script.display()),
        ]);
    }
    flags
}

/// Lays out the root filesystem of `image` on `board`.
pub fn root_filesystem(
    board: &Board,
    image: &Image,
    bins: &DeviceBinaries,
    release: &str,
) -> Result<cpio::Tree, Error> {
    let mut tree = cpio::Tree::new();
    for dir in [
        "bin", "dev", "etc/ibex", "home", "mnt", "proc", "run", "sbin", "sys", "usr/bin",
        "usr/sbin", "var/log",
    ] {
        tree.add_dir_all(dir, 0o755)?;
    }
    tree.add("root", Node::Dir { mode: 0o700 })?;
    tree.add("tmp", Node::Dir { mode: 0o1777 })?;
    // The kernel opens /dev/console for PID 1's stdio before anything is
    // mounted, so the node must exist in the archive itself.
    tree.add(
        "dev/console",
        Node::CharDev {
            mode: 0o600,
            major: 5,
            minor: 1,
        },
    )?;
    tree.add(
        "dev/null",
        Node::CharDev {
            mode: 0o666,
            major: 1,
            minor: 3,
        },
    )?;

    tree.add(
        "bin/ibox",
        Node::File {
            mode: 0o755,
            data: fs::read(&bins.ibox).map_err(Error::io(&bins.ibox))?,
        },
    )?;
    // PID 1 is ibox's init applet, chosen by argv[0] ("/init" or
    // "/sbin/init"), as BusyBox does it. It is there whatever applets the
    // image lists: the kernel and the container entrypoint need it.
    tree.add(
        "sbin/init",
        Node::Symlink {
            target: "../bin/ibox".into(),
        },
    )?;
    tree.add(
        "init",
        Node::Symlink {
            target: "sbin/init".into(),
        },
    )?;

    let available = list_applets(&bins.ibox)?;
    let wanted: Vec<String> = if image.applets.iter().any(|a| a == "*") {
        available.clone()
    } else {
        image.applets.clone()
    };
    for applet in &wanted {
        if applet == "init" {
            // Linked above in any case.
            continue;
        }
        if !available.contains(applet) {
            return Err(Error::Invalid(format!(
                "image '{}' lists applet '{applet}', which ibox does not have",
                image.name
            )));
        }
        let (path, target) = if SBIN_APPLETS.contains(&applet.as_str()) {
            (format!("sbin/{applet}"), "../bin/ibox")
        } else {
            (format!("bin/{applet}"), "ibox")
        };
        tree.add(
            &path,
            Node::Symlink {
                target: target.into(),
            },
        )?;
    }

    let etc = |data: &str| Node::File {
        mode: 0o644,
        data: data.as_bytes().to_vec(),
    };
    tree.add("etc/hostname", etc(&format!("{}\n", image.hostname)))?;
    tree.add("etc/passwd", etc(crate::accounts::PASSWD))?;
    tree.add("etc/group", etc(crate::accounts::GROUP))?;
    tree.add(
        "etc/os-release",
        etc(&format!(
            "NAME=\"Ibex\"\nID=ibex\nVERSION_ID={release}\nPRETTY_NAME=\"Ibex {release} ({} on {})\"\n",
            image.name, board.name
        )),
    )?;
    // udhcpc's hook, which configures what a lease says (BusyBox's path).
    if wanted.iter().any(|a| a == "udhcpc") {
        tree.add_dir_all("usr/share/udhcpc", 0o755)?;
        tree.add(
            "usr/share/udhcpc/default.script",
            Node::File {
                mode: 0o755,
                data: UDHCPC_SCRIPT.to_vec(),
            },
        )?;
    }
    // What `ibox sysupgrade` checks a system image's board against.
    tree.add("etc/ibex/board", etc(&format!("{}\n", board.name)))?;
    // Where `ibox lbu` saves the configuration and init restores it from:
    // the GPT partition named `data` (Alpine's variable, see ibex_lbu).
    tree.add_dir_all("etc/lbu", 0o755)?;
    tree.add(ibex_lbu::medium::CONF, etc("LBU_MEDIA=data\n"))?;
    crate::overlay::add(&mut tree, &image.files_dir)?;
    // Last: the plan checks that every service's program is in the tree,
    // the image's own files included.
    let plan = boot_plan(board, image, &tree)?;
    tree.add(
        ibex_plan::PATH.trim_start_matches('/'),
        Node::File {
            mode: 0o644,
            data: plan.encode(),
        },
    )?;
    Ok(tree)
}

/// Compiles the image's service definitions into the plan init reads.
fn boot_plan(board: &Board, image: &Image, tree: &cpio::Tree) -> Result<BootPlan, Error> {
    let defs = crate::services::load_dir(&image.services_dir)?;
    let accounts = crate::accounts::Accounts::standard();
    let services = crate::services::compile(&defs, &board.console, &accounts, |path| {
        tree.contains(path.trim_start_matches('/'))
    })?;
    let main = match &image.main_service {
        None => None,
        Some(name) => Some(
            services
                .iter()
                .position(|s| &s.name == name)
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "image '{}': main_service '{name}' is not one of its services",
                        image.name
                    ))
                })? as u16,
        ),
    };
    let mut critical = Vec::new();
    for name in &image.upgrade.critical {
        let i = services
            .iter()
            .position(|s| &s.name == name)
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "image '{}': upgrade.critical names '{name}', which is not one of its services",
                    image.name
                ))
            })?;
        critical.push(i as u16);
    }
    let confirm = ibex_plan::Confirm {
        critical,
        deadline_secs: image
            .upgrade
            .deadline_secs
            .unwrap_or(ibex_plan::DEFAULT_CONFIRM_SECS),
    };
    Ok(BootPlan {
        hostname: image.hostname.clone(),
        services,
        main,
        confirm,
        watchdog_secs: crate::definitions::WatchdogDef::resolve(&board.watchdog, &image.watchdog),
    })
}

/// Asks the freshly built ibox which applets it has.
fn list_applets(ibox: &Path) -> Result<Vec<String>, Error> {
    let out = Command::new(ibox)
        .arg("--list")
        .output()
        .map_err(|e| Error::Tool(format!("cannot run {} --list: {e}", ibox.display())))?;
    if !out.status.success() {
        return Err(Error::Tool(format!("{} --list failed", ibox.display())));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

/// Configures (once) and builds the board's kernel with `initramfs` inside,
/// copying the result to `dest`.
fn build_kernel(
    root: &Path,
    board: &Board,
    initramfs: &Path,
    dest: &Path,
    verbose: bool,
) -> Result<(), Error> {
    let (builder, spec, _lock) = kernel_builder(root, board, verbose)?;
    let tree = builder.configure(&spec)?;
    let built = builder.build_with_initramfs(&tree, initramfs)?;
    let bytes = fs::read(&built).map_err(Error::io(&built))?;
    write_atomic(dest, &bytes)
}

/// The resolved kernel configuration of `board` (configured on first use,
/// without building), as `.config` text.
pub fn kernel_config(root: &Path, board: &Board, verbose: bool) -> Result<String, Error> {
    let (builder, spec, _lock) = kernel_builder(root, board, verbose)?;
    let tree = builder.configure(&spec)?;
    let path = tree.dir.join(".config");
    fs::read_to_string(&path).map_err(Error::io(&path))
}

/// The kernel builder and spec for `board`, holding the work area's lock:
/// build trees are shared between images, so one build at a time.
pub fn kernel_builder(
    root: &Path,
    board: &Board,
    verbose: bool,
) -> Result<(ibex_kernel::Builder, ibex_kernel::KernelSpec, fs::File), Error> {
    let mut builder = ibex_kernel::Builder::new(root.join("target/kernel"));
    builder.verbose = verbose;
    let spec = ibex_kernel::KernelSpec {
        arch: board.kernel.arch.clone(),
        cross_compile: board.kernel.cross_compile.clone(),
        fragments: board
            .kernel
            .fragments
            .iter()
            .map(|f| root.join("kernel/config").join(format!("{f}.config")))
            .collect(),
        make_target: board.kernel.make_target.clone(),
        image_path: board.kernel.image.clone(),
    };
    fs::create_dir_all(&builder.work_dir).map_err(Error::io(&builder.work_dir))?;
    let lock_path = builder.work_dir.join(".lock");
    let lock = fs::File::create(&lock_path).map_err(Error::io(&lock_path))?;
    lock.lock().map_err(Error::io(&lock_path))?;
    Ok((builder, spec, lock))
}

/// SOURCE_DATE_EPOCH if set (reproducible-builds.org), else 0.
fn source_date_epoch() -> u32 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// Writes `path` through a temporary file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Creates `path` through a temporary file that `fill` writes, synced and
/// renamed into place; on failure the temporary file is removed and
/// `path` is left as it was.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut fs::File) -> std::io::Result<()>,
) -> Result<(), Error> {
    let tmp = path.with_extension("tmp-ibex");
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        fill(&mut f)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(Error::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// The container image's root filesystem with a stand-in ibox: a
    /// script whose `--list` names `applets`.
    fn container_tree_listing(scratch: &Path, applets: &[String]) -> Result<cpio::Tree, Error> {
        let root = crate::project_root().unwrap();
        let board = Board::load(&root, "qemu-x86_64").unwrap();
        let image = Image::load(&root, "container").unwrap();
        fs::create_dir_all(scratch).unwrap();
        let ibox = scratch.join("ibox");
        let mut script = String::from("#!/bin/sh\ncat <<'EOF'\n");
        for applet in applets {
            script.push_str(applet);
            script.push('\n');
        }
        script.push_str("EOF\n");
        fs::write(&ibox, script).unwrap();
        fs::set_permissions(&ibox, fs::Permissions::from_mode(0o755)).unwrap();
        root_filesystem(&board, &image, &DeviceBinaries { ibox }, "0.1.0")
    }

    /// The container image's root filesystem with a stand-in ibox that has
    /// the image's applets and `init`, as the one built for it does.
    fn container_tree(scratch: &Path) -> cpio::Tree {
        let root = crate::project_root().unwrap();
        let mut applets = Image::load(&root, "container").unwrap().applets;
        applets.push("init".into());
        container_tree_listing(scratch, &applets).unwrap()
    }

    #[test]
    fn device_flags_drop_unwind_tables_on_x86_64_only() {
        let root = crate::project_root().unwrap();
        let x86 = device_rustflags(&root, "x86_64-unknown-linux-gnu");
        assert!(x86.contains(&"target-feature=+crt-static".to_string()));
        let script = x86
            .iter()
            .find_map(|f| f.strip_prefix("link-arg=-Wl,-T,"))
            .expect("a link script");
        assert!(Path::new(script).is_file(), "{script}");
        let arm = device_rustflags(&root, "aarch64-unknown-linux-gnu");
        assert_eq!(arm, ["-C", "target-feature=+crt-static"]);
    }

    /// The image's list is checked against what the built ibox has.
    #[test]
    fn an_applet_the_built_ibox_lacks_is_refused() {
        let scratch =
            std::env::temp_dir().join(format!("ibex-linker-lacks-{}", std::process::id()));
        let listed = ["cat", "init", "sh"].map(String::from);
        let err = container_tree_listing(&scratch, &listed).unwrap_err();
        let _ = fs::remove_dir_all(&scratch);
        assert!(
            err.to_string().contains("which ibox does not have"),
            "{err}"
        );
    }

    #[test]
    fn init_is_a_link_to_ibox() {
        let scratch =
            std::env::temp_dir().join(format!("ibex-linker-rootfs-{}", std::process::id()));
        let tree = container_tree(&scratch);
        let _ = fs::remove_dir_all(&scratch);
        let node = |path: &str| {
            tree.entries()
                .find(|(p, _)| *p == path)
                .map(|(_, n)| n.clone())
        };
        let link = |target: &str| {
            Some(Node::Symlink {
                target: target.into(),
            })
        };
        assert_eq!(node("sbin/init"), link("../bin/ibox"));
        assert_eq!(node("init"), link("sbin/init"));
        assert_eq!(node("bin/sh"), link("ibox"));
        // The applet list's `init` gives no second link in /bin.
        assert_eq!(node("bin/init"), None);
        assert!(matches!(node("bin/ibox"), Some(Node::File { .. })));
    }

    #[test]
    fn etc_manifest_describes_etc() {
        let scratch =
            std::env::temp_dir().join(format!("ibex-linker-manifest-{}", std::process::id()));
        let mut tree = container_tree(&scratch);
        let _ = fs::remove_dir_all(&scratch);
        crate::etc_manifest::add(&mut tree).unwrap();
        let text = tree
            .entries()
            .find_map(|(p, n)| match n {
                Node::File { data, .. } if p == ibex_lbu::manifest::PATH => {
                    Some(String::from_utf8(data.clone()).unwrap())
                }
                _ => None,
            })
            .unwrap();
        let m = ibex_lbu::manifest::Manifest::parse(&text).unwrap();
        let hostname = tree
            .entries()
            .find_map(|(p, n)| match n {
                Node::File { data, .. } if p == "etc/hostname" => Some(data.clone()),
                _ => None,
            })
            .unwrap();
        let expected = ibex_lbu::manifest::Item::of(&ibex_lbu::archive::Entry {
            path: "/etc/hostname".into(),
            mode: 0o644,
            uid: 0,
            gid: 0,
            kind: ibex_lbu::archive::Kind::File(hostname),
        });
        assert_eq!(m.items.get("/etc/hostname"), Some(&expected));
        assert_eq!(m.items.get("/etc").map(|i| i.kind), Some('d'));
        assert!(m.items.contains_key("/etc/lbu/lbu.conf"));
        assert!(!m.items.contains_key("/etc/ibex/etc.manifest"));
        assert!(!m.items.keys().any(|p| !p.starts_with("/etc")));
    }

    #[test]
    fn tuf_root_must_be_a_self_signed_root() {
        use ibex_tuf::repo::{self, Key, RoleSpec};
        use ibex_tuf::Role;
        let scratch = std::env::temp_dir().join(format!("ibex-linker-tuf-{}", std::process::id()));
        fs::create_dir_all(&scratch).unwrap();
        let key = Key::from_seed([5; 32]);
        let refs = [&key];
        let specs =
            [Role::Root, Role::Targets, Role::Snapshot, Role::Timestamp].map(|role| RoleSpec {
                role,
                keys: &refs,
                threshold: 1,
            });
        let good = repo::sign(&repo::root(1, 2_000_000_000, true, &specs), &[&key]).unwrap();
        let path = scratch.join("root.json");
        fs::write(&path, &good).unwrap();
        assert_eq!(tuf_root(&path).unwrap(), good);
        let unsigned = repo::sign(&repo::root(1, 2_000_000_000, true, &specs), &[]).unwrap();
        fs::write(&path, unsigned).unwrap();
        assert!(tuf_root(&path).is_err());
        fs::write(&path, "{}").unwrap();
        assert!(tuf_root(&path).is_err());
        fs::remove_dir_all(&scratch).unwrap();
    }
}
