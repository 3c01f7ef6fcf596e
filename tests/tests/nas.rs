//! The NAS image on a network: it takes its address from the net-upstream
//! image's DHCP server, mounts its data disk (an ext4 filesystem made on
//! the host, attached as a virtio disk) from /etc/fstab at boot, found by
//! its label, and serves the share, which the other guest fetches over the
//! cable. The NAS runs in 64 MB of RAM.

use ibex_tests::{build_image, root, wired_command, Cable, Vm};

#[test]
fn the_nas_mounts_its_disk_from_fstab_and_serves_it_on_the_lan() {
    let dir = root().join("target/nas-tests");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("content/share")).expect("scratch directory");
    std::fs::write(
        dir.join("content/share/hello.txt"),
        "hello from the data disk\n",
    )
    .expect("a file for the share");
    let disk = dir.join("data.img");
    let status = std::process::Command::new("mkfs.ext4")
        .args(["-q", "-F", "-L", "data", "-d"])
        .arg(dir.join("content"))
        .arg(&disk)
        .arg("8M")
        .status()
        .expect("running mkfs.ext4 (e2fsprogs)");
    assert!(status.success(), "mkfs.ext4 failed");

    let upstream_image = build_image("qemu-x86_64", "net-upstream", None).expect("net-upstream");
    let nas_image = build_image("qemu-x86_64", "nas", None).expect("nas");
    let lan = Cable::new();
    let mut upstream = Vm::boot_wired(&upstream_image, &[lan.end(0)]);
    let mut nas_cmd = wired_command(&nas_image, &[lan.end(1)]);
    nas_cmd
        .arg("-drive")
        .arg(format!("file={},if=virtio,format=raw", disk.display()))
        .args(["-m", "64"]);
    let mut nas = Vm::boot_command(nas_cmd);
    let total = nas.memory_total_kib();
    assert!(total < 64 * 1024, "{total} KiB");

    // fstab names the disk by its label; mount found the device.
    let mounts = nas.ok("grep ' /srv ' /proc/mounts");
    assert!(mounts.starts_with("/dev/vda /srv ext4"), "{mounts}");
    let missing = nas.run("mkdir -p /mnt && mount UUID=0000-0000 /mnt");
    assert_eq!(missing.status, 1, "{}", missing.text);
    assert!(
        missing.text.contains("can't find UUID=0000-0000"),
        "{}",
        missing.text
    );
    let addr = nas.ok(
        "i=0; until ip -4 -o addr show dev eth0 | grep -q 'inet 10\\.0\\.0\\.'; do \
         i=$((i+1)); [ $i -ge 60 ] && break; sleep 1; done; \
         ip -4 -o addr show dev eth0 | grep -o 'inet 10\\.0\\.0\\.[0-9]*'",
    );
    // init's messages about the services may share the console with it.
    let nas_ip = addr
        .lines()
        .filter_map(|l| l.trim().strip_prefix("inet "))
        .next_back()
        .expect("the NAS's address");
    let page = upstream.ok(&format!("wget -q -O - http://{nas_ip}/share/hello.txt"));
    assert_eq!(page, "hello from the data disk");
}
