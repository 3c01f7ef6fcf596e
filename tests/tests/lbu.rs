//! Saved configuration on a system that runs from RAM (`ibox lbu`, crate
//! `ibex-lbu`): what the user changes under /etc survives a reboot once
//! committed to the disk's `data` partition; a damaged archive boots the
//! image's configuration; a commit killed half-way leaves the previous one
//! in force. One disk, four boots of the default image.

use ibex_image::gpt::{self, Guid, Table};
use ibex_linker::qemu;
use ibex_tests::{default_image, root, Vm, BOOT_TIMEOUT};
use std::path::{Path, PathBuf};
use std::time::Duration;

const DISK_BYTES: usize = 8 << 20;

/// An 8 MiB disk with a GPT holding one partition, `data`, from 1 MiB to
/// the end; returns the partition's byte offset.
fn make_disk(path: &Path) -> u64 {
    let sectors = (DISK_BYTES as u64) / gpt::SECTOR;
    let disk_guid = Guid::from_hash(b"ibex lbu test disk");
    let partitions = gpt::layout(
        sectors,
        &disk_guid,
        &[("data", Guid::LINUX_FILESYSTEM, None)],
    )
    .expect("layout");
    let first = partitions[0].first_lba * gpt::SECTOR;
    let (primary, backup) = gpt::write(
        &Table {
            disk_guid,
            partitions,
        },
        sectors,
    )
    .expect("GPT");
    let mut disk = vec![0u8; DISK_BYTES];
    disk[..primary.len()].copy_from_slice(&primary);
    disk[DISK_BYTES - backup.len()..].copy_from_slice(&backup);
    std::fs::write(path, disk).expect("writing the disk");
    first
}

/// Boots the default image with `disk` as a virtio disk (`/dev/vda`) and
/// waits for the shell.
fn boot(disk: &Path) -> Vm {
    let mut cmd = qemu::command(default_image(), qemu::Console::Piped).expect("QEMU command");
    cmd.arg("-drive")
        .arg(format!("file={},if=virtio,format=raw", disk.display()));
    let mut vm = Vm::start(cmd);
    vm.wait_for("# ", BOOT_TIMEOUT);
    vm.plain_shell();
    vm
}

fn scratch() -> PathBuf {
    let dir = root().join("target/lbu-tests");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

#[test]
fn configuration_survives_reboot_corruption_and_an_interrupted_commit() {
    let dir = scratch();
    let disk = dir.join("disk.img");
    let data_offset = make_disk(&disk);

    // 1. A fresh medium: nothing to restore; the image's own /etc does not
    //    differ from its manifest.
    let mut vm = boot(&disk);
    let log = vm.transcript();
    assert!(
        log.contains("lbu: no saved configuration on /dev/vda1"),
        "{log}"
    );
    assert_eq!(vm.ok("lbu status"), "");
    vm.ok("echo box > /etc/hostname");
    vm.ok("echo 'hello from lbu' > /etc/motd");
    let status = vm.ok("lbu status");
    assert_eq!(status, "M /etc/hostname\nA /etc/motd");
    assert_eq!(vm.ok("lbu list"), "/etc/hostname\n/etc/motd");
    // Against the last commit, of which there is none yet.
    assert_eq!(vm.ok("lbu diff"), "A /etc/hostname\nA /etc/motd");
    let out = vm.ok("lbu commit -v");
    assert!(
        out.contains("lbu: saved 2 files to /dev/vda1 (commit #1)"),
        "{out}"
    );
    assert_eq!(vm.ok("lbu diff"), "");
    vm.send("reboot");
    vm.wait_exit(Duration::from_secs(60));
    drop(vm);

    // 2. Restored before the services, host name included.
    let mut vm = boot(&disk);
    let log = vm.transcript();
    assert!(
        log.contains("lbu: restored 2 files from /dev/vda1 (commit #1)"),
        "{log}"
    );
    assert_eq!(vm.ok("hostname"), "box");
    assert_eq!(vm.ok("cat /etc/motd"), "hello from lbu");
    assert_eq!(vm.ok("lbu status"), "M /etc/hostname\nA /etc/motd");

    // A commit killed after its payload and before its header.
    vm.ok("echo other > /etc/hostname");
    let diff = vm.ok("lbu diff -u");
    assert!(diff.starts_with("M /etc/hostname\n"), "{diff}");
    assert!(diff.contains("\n-box\n+other"), "{diff}");
    vm.send("IBEX_LBU_HOLD_AFTER_PAYLOAD=1 lbu commit");
    vm.wait_for("lbu: holding after payload", Duration::from_secs(30));
    drop(vm);

    // 3. The previous commit is still the one in force.
    let mut vm = boot(&disk);
    let log = vm.transcript();
    assert!(
        log.contains("lbu: restored 2 files from /dev/vda1 (commit #1)"),
        "{log}"
    );
    assert_eq!(vm.ok("hostname"), "box");
    drop(vm);

    // 4. Damage commit #1's payload (the first half of the partition; the
    //    other half holds the interrupted commit's payload and no header).
    let mut bytes = std::fs::read(&disk).expect("reading the disk");
    let at = data_offset as usize + 64 + 4;
    for b in &mut bytes[at..at + 16] {
        *b ^= 0x5a;
    }
    std::fs::write(&disk, bytes).expect("writing the disk");
    let mut vm = boot(&disk);
    let log = vm.transcript();
    assert!(
        log.contains("; booting with the image's configuration"),
        "{log}"
    );
    assert!(log.contains("payload checksum mismatch"), "{log}");
    assert_eq!(vm.ok("hostname"), "ibex");
    assert_eq!(vm.run("cat /etc/motd").status, 1);
    drop(vm);
    let _ = std::fs::remove_dir_all(&dir);
}
