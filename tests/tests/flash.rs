//! Raw flash (MTD), as on the flash boards: `ibox mtd` writes, verifies
//! and erases a partition found by its name in /proc/mtd, and `ibox
//! sysupgrade` writes a flash board's signed firmware image into the
//! `firmware` partition. QEMU's PC has no flash chip, so the default image
//! turns a virtio disk into a real MTD device with the kernel's block2mtd
//! (64 KiB erase blocks, labelled `firmware`); what was written is then
//! checked on the host in the disk file. One boot.

use ibex_image::sysimage::PayloadKind;
use ibex_linker::qemu;
use ibex_tests::{default_image, root, Vm, BOOT_TIMEOUT};
use std::path::{Path, PathBuf};

const FLASH_BYTES: usize = 1 << 20;
const ERASE_BLOCK: usize = 64 << 10;

fn scratch() -> PathBuf {
    let dir = root().join("target/flash-tests");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// `bytes` written to `path`, zero-padded to whole 512-byte sectors, so
/// that QEMU can attach it as a disk.
fn write_disk(path: &Path, bytes: &[u8]) {
    let mut padded = bytes.to_vec();
    padded.resize(bytes.len().div_ceil(512) * 512, 0);
    std::fs::write(path, padded).expect("writing a disk file");
}

/// Runs `command`, which must fail with status 1 and say `message`.
fn fails(vm: &mut Vm, command: &str, message: &str) {
    let out = vm.run(command);
    assert_eq!(out.status, 1, "`{command}`: {}", out.text);
    assert!(out.text.contains(message), "`{command}`: {}", out.text);
}

/// What `seq 1 N` prints.
fn seq(n: u32) -> Vec<u8> {
    (1..=n)
        .map(|i| format!("{i}\n"))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn mtd_and_sysupgrade_write_raw_flash() {
    let built = default_image();
    let dir = scratch();
    // The flash starts as 0x00 everywhere, so the test can see which erase
    // blocks a write erased (0xFF) and which it left alone.
    let flash = dir.join("flash.img");
    std::fs::write(&flash, vec![0u8; FLASH_BYTES]).unwrap();
    // Firmware images for this board, signed by the development key; one
    // for another board; one with a flipped payload byte.
    let firmware: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let board = &built.board.name;
    let seal = |board: &str, payload: &[u8]| {
        ibex_linker::disk::seal_with_dev_key(&root(), board, "9.9", PayloadKind::Flash, payload)
            .expect("sealing")
    };
    let good = seal(board, &firmware);
    let other_board = seal("mt7621", &firmware);
    let mut tampered = good.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    for (name, bytes) in [
        ("good.img", &good),
        ("other.img", &other_board),
        ("tampered.img", &tampered),
    ] {
        write_disk(&dir.join(name), bytes);
    }

    let mut cmd = qemu::command(built, qemu::Console::Piped).expect("QEMU command");
    // vda: the flash; vdb, vdc, vdd: the images.
    for disk in ["flash.img", "good.img", "other.img", "tampered.img"] {
        cmd.arg("-drive").arg(format!(
            "file={},if=virtio,format=raw",
            dir.join(disk).display()
        ));
    }
    let mut vm = Vm::start(cmd);
    vm.wait_for("# ", BOOT_TIMEOUT);
    vm.plain_shell();

    vm.ok("echo /dev/vda,65536,firmware > /sys/module/block2mtd/parameters/block2mtd");
    let table = vm.ok("cat /proc/mtd");
    assert!(
        table.contains("mtd0: 00100000 00010000 \"firmware\""),
        "{table}"
    );

    // mtd: write a file of 168 894 bytes (two full erase blocks and part of
    // a third), verify it, and refuse what cannot be done.
    vm.ok("seq 1 30000 > /tmp/fw");
    let out = vm.ok("mtd write /tmp/fw firmware 2>&1");
    assert!(out.contains("mtd: writing firmware: 100%"), "{out}");
    assert!(
        out.contains("mtd: firmware: 168894 bytes written and verified"),
        "{out}"
    );
    vm.ok("mtd -q verify /tmp/fw mtd0");
    vm.ok("echo changed >> /tmp/fw");
    fails(
        &mut vm,
        "mtd verify /tmp/fw /dev/mtd0",
        "differs from the image at byte 0x293be",
    );
    fails(
        &mut vm,
        "mtd write /tmp/fw nosuch",
        "mtd: no MTD partition named 'nosuch' in /proc/mtd",
    );
    fails(
        &mut vm,
        "head -c 1100000 /dev/zero > /tmp/big; mtd write /tmp/big firmware",
        "do not fit the partition",
    );
    fails(
        &mut vm,
        "mtd write /tmp/fw /dev/vdb",
        "/dev/vdb: not an MTD device",
    );
    assert_eq!(vm.run("mtd frobnicate firmware").status, 1);

    // sysupgrade: the board's firmware image goes into `firmware`; the
    // other board's and the tampered one are refused before any erase.
    let key = std::fs::read_to_string(root().join("target/ibex/keys/ibex-dev.pub")).unwrap();
    vm.ok(&format!(
        "mkdir -p /etc/ibex/keys && echo '{}' > /etc/ibex/keys/dev.pub",
        key.trim()
    ));
    fails(
        &mut vm,
        "sysupgrade /dev/vdc",
        "the image is for board 'mt7621'",
    );
    fails(
        &mut vm,
        "sysupgrade /dev/vdd",
        "/dev/vdd: refused: payload CRC32 mismatch",
    );
    vm.ok("seq 1 30000 | mtd -q verify - firmware");
    let out = vm.ok("sysupgrade -T /dev/vdb 2>&1");
    assert!(
        out.contains("would write the firmware partition (/dev/mtd0)"),
        "{out}"
    );
    let out = vm.ok("sysupgrade --no-reboot /dev/vdb 2>&1");
    assert!(out.contains("signature and checksums good"), "{out}");
    assert!(out.contains("writing firmware (/dev/mtd0): 100%"), "{out}");
    assert!(
        out.contains("firmware: 100000 bytes written and verified"),
        "{out}"
    );
    // `mtd erase` then leaves the whole partition erased.
    vm.ok("sync");
    let before_erase = std::fs::read(&flash).unwrap();
    vm.ok("mtd -q erase firmware && sync");
    vm.send("poweroff");
    vm.wait_exit(std::time::Duration::from_secs(60));
    drop(vm);

    // Before the erase, on the host: the firmware image's payload from the
    // start, its last erase block padded with 0xFF, and the blocks past it
    // as the mtd write of 168 894 bytes left them (its third block, erased
    // and partly written, then zeros).
    let fw_end = firmware.len();
    let block_end = fw_end.div_ceil(ERASE_BLOCK) * ERASE_BLOCK;
    assert_eq!(&before_erase[..fw_end], &firmware[..]);
    assert!(before_erase[fw_end..block_end].iter().all(|&b| b == 0xff));
    let written = seq(30000);
    assert_eq!(
        &before_erase[block_end..written.len()],
        &written[block_end..]
    );
    let third_end = written.len().div_ceil(ERASE_BLOCK) * ERASE_BLOCK;
    assert!(before_erase[written.len()..third_end]
        .iter()
        .all(|&b| b == 0xff));
    assert!(before_erase[third_end..].iter().all(|&b| b == 0));
    let after = std::fs::read(&flash).unwrap();
    assert!(
        after.iter().all(|&b| b == 0xff),
        "erase left bytes unerased"
    );
}
