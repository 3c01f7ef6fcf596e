//! A/B upgrades on a GPT disk booted by UEFI firmware (OVMF), as a PC or
//! NAS runs Ibex: `ibox sysupgrade` writes the other slot and boots it
//! once; the new system stays only if its critical services come up, and a
//! broken one ends back on the old slot with no one at the console.
//! Corrupt and wrongly signed images are refused without writing, a
//! power cut in the middle of writing a slot leaves the old system booting,
//! and a release that hangs the machine is reset by the hardware watchdog
//! (QEMU's i6300esb, which init pets) and rolled back.
//!
//! The system images reach the guest as extra read-only disks (`/dev/vdb`
//! …), padded to whole sectors as a disk is; `sysupgrade` reads as many
//! bytes as the header says.

use ibex_linker::build::BuildOptions;
use ibex_linker::disk::{build_disk, DiskBuilt};
use ibex_linker::qemu;
use ibex_tests::{root, Vm, BOOT_TIMEOUT};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

const V1: &str = "1.0.0-test";
const V2: &str = "2.0.0-test";
const BAD: &str = "3.0.0-bad";
const PANIC: &str = "4.0.0-panic";
const HANG: &str = "5.0.0-hang";

/// The builds the tests here use: the disk as shipped (v1), the next
/// release (v2), a broken one and one that hangs, each built once per test
/// process.
struct Builds {
    v1: DiskBuilt,
    v2: DiskBuilt,
    bad: DiskBuilt,
    hang: DiskBuilt,
    /// A system image whose kernel panics at boot (its root filesystem
    /// has no init).
    panic: Vec<u8>,
}

fn builds() -> &'static Builds {
    static BUILDS: OnceLock<Builds> = OnceLock::new();
    BUILDS.get_or_init(|| {
        let out = root().join("target/upgrade-tests");
        let build = |image: &str, release: &str, dir: &str| {
            let opts = BuildOptions {
                board: "qemu-x86_64".into(),
                image: image.into(),
                out: Some(out.join(dir)),
                verbose: true,
                release: Some(release.into()),
            };
            build_disk(&root(), &opts).unwrap_or_else(|e| panic!("building {image} {release}: {e}"))
        };
        let v1 = build("upgrade-test", V1, "v1");
        Builds {
            panic: panicking_system_image(&v1, &out.join("panic")),
            v2: build("upgrade-test", V2, "v2"),
            bad: build("upgrade-bad", BAD, "bad"),
            hang: build("upgrade-hang", HANG, "hang"),
            v1,
        }
    })
}

/// The board's kernel around a root filesystem without an init, in a
/// slot filesystem, sealed with the development key: the kernel panics
/// ("No working init found") on its first boot.
fn panicking_system_image(v1: &DiskBuilt, dir: &Path) -> Vec<u8> {
    std::fs::create_dir_all(dir).unwrap();
    let initramfs = dir.join("initramfs.cpio");
    std::fs::write(&initramfs, ibex_tests::minimal_initramfs(None)).unwrap();
    let (builder, spec, lock) = ibex_tests::kernel_builder(&v1.built.board);
    let tree = builder.configure(&spec).expect("configuring the kernel");
    let image = builder
        .build_with_initramfs(&tree, &initramfs)
        .expect("building the kernel");
    let kernel = std::fs::read(&image).unwrap();
    drop(lock);
    let slot = ibex_linker::disk::slot_filesystem(&kernel, 1).unwrap();
    ibex_linker::disk::seal_with_dev_key(
        &root(),
        &v1.built.board.name,
        PANIC,
        ibex_image::sysimage::PayloadKind::EfiSlot,
        &slot,
    )
    .unwrap()
}

/// A scratch directory of its own for one test's disk and firmware
/// variables.
fn scratch(name: &str) -> PathBuf {
    let dir = root().join("target/upgrade-tests/run").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// `bytes` written to `path`, zero-padded to whole 512-byte sectors.
fn padded(path: &Path, bytes: &[u8]) -> PathBuf {
    let mut data = bytes.to_vec();
    data.resize(bytes.len().div_ceil(512) * 512, 0);
    std::fs::write(path, data).expect("writing a system image disk");
    path.to_path_buf()
}

/// Boots a copy of the v1 disk with `extra` attached read-only.
fn boot(dir: &Path, extra: &[PathBuf]) -> Vm {
    let disk = dir.join("disk.img");
    if !disk.exists() {
        std::fs::copy(&builds().v1.disk, &disk).expect("copying the disk image");
    }
    let extra: Vec<&Path> = extra.iter().map(PathBuf::as_path).collect();
    let cmd = qemu::firmware_command(
        &builds().v1.built.board,
        &disk,
        &dir.join("efivars.fd"),
        &extra,
        qemu::Console::Piped,
    )
    .expect("QEMU command");
    let mut vm = Vm::start(cmd);
    vm.wait_for("# ", BOOT_TIMEOUT);
    vm.plain_shell();
    vm
}

fn release(vm: &mut Vm) -> String {
    vm.ok(". /etc/os-release; echo $VERSION_ID")
}

#[test]
fn upgrade_is_kept_and_a_broken_one_rolls_back_by_itself() {
    let b = builds();
    let dir = scratch("rollback");
    let v2 = padded(
        &dir.join("v2.img"),
        &std::fs::read(&b.v2.sysupgrade).unwrap(),
    );
    let bad = padded(
        &dir.join("bad.img"),
        &std::fs::read(&b.bad.sysupgrade).unwrap(),
    );
    let mut vm = boot(&dir, &[v2, bad]);
    assert_eq!(release(&mut vm), V1);
    let status = vm.ok("sysupgrade --status");
    assert!(status.contains("running: slot a"), "{status}");
    assert!(status.contains("trial: none"), "{status}");

    // A good release: written to slot B, booted once, kept.
    let out = vm.ok("sysupgrade -T /dev/vdb");
    assert!(out.contains("would write slot b"), "{out}");
    let started = std::time::Instant::now();
    vm.send("sysupgrade /dev/vdb");
    vm.wait_for("writing slot b", Duration::from_secs(60));
    let written = vm.wait_for("rebooting", Duration::from_secs(60));
    println!("upgrade: sysupgrade said: {}", written.trim());
    vm.shell_after(&["reboot: now", "Ibex init", "upgrade: good: slot b"]);
    println!(
        "upgrade: sysupgrade to the new system's shell in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(release(&mut vm), V2);
    let status = vm.ok("sysupgrade --status");
    assert!(status.contains("running: slot b"), "{status}");
    assert!(status.contains("last upgrade: good: slot b"), "{status}");
    println!("upgrade: {status}");
    assert!(status.contains("trial: none"), "{status}");

    // It stays across a reboot.
    vm.send("reboot");
    vm.shell_after(&["reboot: now", "Ibex init"]);
    assert_eq!(release(&mut vm), V2);

    // A broken release: its critical service never comes up; its init
    // gives up at the deadline and reboots, and the firmware comes back
    // to slot B by itself.
    let started = std::time::Instant::now();
    vm.send("sysupgrade /dev/vdc");
    vm.wait_for("writing slot a", Duration::from_secs(60));
    vm.shell_after(&[
        "trial boot of slot a",
        "upgrade: failed: slot a",
        "Ibex init",
    ]);
    println!(
        "upgrade: broken release rolled back, old system's shell {:.1} s after sysupgrade",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(release(&mut vm), V2);
    let status = vm.ok("sysupgrade --status");
    assert!(status.contains("running: slot b"), "{status}");
    assert!(
        status.contains("last upgrade: failed: slot a (Ibex 3.0.0-bad)"),
        "{status}"
    );
}

#[test]
fn bad_images_are_refused_and_a_power_cut_keeps_the_old_system() {
    let b = builds();
    let dir = scratch("refused");
    let good = std::fs::read(&b.v2.sysupgrade).unwrap();
    // One flipped bit in the payload.
    let mut corrupt = good.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0x01;
    // The same payload signed by a key the device does not trust.
    let stranger = ibex_package::SigningKey::from_seed([7; 32]);
    let (header, payload) = {
        let h = ibex_image::sysimage::parse_header(&good).unwrap();
        (h, &good[ibex_image::sysimage::HEADER_LEN..])
    };
    let unsigned = ibex_image::sysimage::seal(
        &header.board,
        &header.version,
        header.kind,
        payload,
        &stranger,
    )
    .unwrap();
    let drives = [
        padded(&dir.join("corrupt.img"), &corrupt),
        padded(&dir.join("stranger.img"), &unsigned),
        padded(&dir.join("good.img"), &good),
        padded(&dir.join("panic.img"), &b.panic),
    ];
    let mut vm = boot(&dir, &drives);
    let before = vm.ok("sha256sum /dev/vda2");

    let out = vm.run("sysupgrade /dev/vdb");
    assert_eq!(out.status, 1, "{}", out.text);
    assert!(out.text.contains("refused"), "{}", out.text);
    let out = vm.run("sysupgrade /dev/vdc");
    assert_eq!(out.status, 1, "{}", out.text);
    assert!(out.text.contains("refused"), "{}", out.text);
    assert_eq!(vm.ok("sha256sum /dev/vda2"), before, "slot B was written");
    let status = vm.ok("sysupgrade --status");
    assert!(status.contains("trial: none"), "{status}");

    // Power cut half-way through writing slot B: QEMU is killed while
    // sysupgrade holds at 50% (a test hook; the kill is real).
    vm.send("IBEX_SYSUPGRADE_HOLD_AT=50 sysupgrade /dev/vdd");
    vm.wait_for("sysupgrade: holding at", Duration::from_secs(60));
    drop(vm);
    let mut vm = boot(&dir, &drives);
    assert_eq!(release(&mut vm), V1);
    let status = vm.ok("sysupgrade --status");
    assert!(status.contains("running: slot a"), "{status}");
    assert!(status.contains("trial: none"), "{status}");

    // A release whose kernel panics: it reboots after 5 s (panic=5 on the
    // built-in command line) and the firmware comes back to slot A, whose
    // init records the failed trial.
    vm.send("sysupgrade /dev/vde");
    vm.shell_after(&["writing slot b", "Kernel panic", "Ibex init"]);
    assert_eq!(release(&mut vm), V1);
    let status = vm.ok("sysupgrade --status");
    assert!(status.contains("running: slot a"), "{status}");
    assert!(
        status.contains("last upgrade: failed: slot b (Ibex 4.0.0-panic) did not come up"),
        "{status}"
    );
}

#[test]
fn a_release_that_hangs_is_reset_by_the_watchdog_and_rolled_back() {
    let b = builds();
    let dir = scratch("hang");
    let hang = padded(
        &dir.join("hang.img"),
        &std::fs::read(&b.hang.sysupgrade).unwrap(),
    );
    let mut vm = boot(&dir, &[hang]);
    assert_eq!(release(&mut vm), V1);

    // Its critical service takes the only CPU at SCHED_FIFO 99 before it
    // is up: init never runs again, so it neither confirms the trial nor
    // reboots at the deadline (600 s); only the watchdog (10 s in that
    // image) ends it. The reset goes to the firmware, which has used its
    // one-shot BootNext and boots slot A again.
    vm.send("sysupgrade /dev/vdb");
    vm.wait_for("writing slot b", Duration::from_secs(60));
    vm.wait_for("trial boot of slot b", BOOT_TIMEOUT);
    vm.wait_for("init: watchdog: /dev/watchdog, timeout 10s", BOOT_TIMEOUT);
    vm.wait_for("app: hanging the system", BOOT_TIMEOUT);
    let hung = std::time::Instant::now();
    vm.wait_for("Ibex init", BOOT_TIMEOUT);
    let reset = hung.elapsed();
    vm.shell_after(&["upgrade: failed: slot b"]);
    println!(
        "upgrade: hang to the old system's init {:.1} s (watchdog 10 s), to its shell {:.1} s",
        reset.as_secs_f64(),
        hung.elapsed().as_secs_f64()
    );
    assert_eq!(release(&mut vm), V1);
    let status = vm.ok("sysupgrade --status");
    assert!(status.contains("running: slot a"), "{status}");
    assert!(status.contains("trial: none"), "{status}");
    assert!(
        status.contains("last upgrade: failed: slot b (Ibex 5.0.0-hang) did not come up"),
        "{status}"
    );
}
