//! The NAS image on a network: it takes its address from the net-upstream
//! image's DHCP server, mounts its data disk (an ext4 filesystem made on
//! the host, attached as a virtio disk) from /etc/fstab at boot, found by
//! its label, and serves the share, which the other guest fetches over the
//! cable. The NAS runs in 64 MB of RAM.
//!
//! The same two guests then play issue 10's third scenario: the NAS runs
//! `sshd` (its host key made on first boot) and upstream is the client. A
//! key made there with `ssh-keygen` and installed in the NAS's
//! /root/.ssh/authorized_keys logs in and runs a command whose output and
//! exit status come back; another key, and a password (even root's right
//! one), are refused.

use ibex_tests::{build_image, root, wired_command, Cable, Vm};

#[test]
fn the_nas_mounts_its_disk_serves_it_and_takes_ssh_logins_by_key_only() {
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
    // httpd may still be starting (the services start beside the console
    // shell): tried for up to a minute.
    let page = upstream.ok(&format!(
        "for i in $(seq 60); do wget -q -O - http://{nas_ip}/share/hello.txt 2>/dev/null \
         && break; sleep 1; done"
    ));
    assert_eq!(page, "hello from the data disk");

    // Issue 10's third scenario, SSH from guest to guest, on the same two
    // machines: upstream is the client.
    // The host key was made on first boot, private to root.
    let key_mode = nas.ok(
        "i=0; until [ -s /etc/ssh/ssh_host_ed25519_key ]; do i=$((i+1)); [ $i -ge 30 ] && break; \
         sleep 1; done; stat -c %a /etc/ssh/ssh_host_ed25519_key",
    );
    assert!(key_mode.ends_with("600"), "{key_mode}");
    // And sshd listens (it makes the key first).
    nas.ok("for i in $(seq 30); do netstat -ltn | grep -q ':22 ' && break; sleep 1; done");

    upstream.ok("ssh-keygen -q -t ed25519 -N '' -C client -f /tmp/key");
    upstream.ok("ssh-keygen -q -t ed25519 -N '' -C other -f /tmp/wrong");
    let public = upstream.ok("cat /tmp/key.pub");
    let public = public
        .lines()
        .find(|l| l.starts_with("ssh-ed25519 "))
        .expect("the client's public key");
    nas.ok(&format!(
        "mkdir -p /root/.ssh && chmod 700 /root/.ssh && echo '{public}' > /root/.ssh/authorized_keys \
         && chmod 600 /root/.ssh/authorized_keys"
    ));
    // Root gets a password, so that refusing it means passwords are off,
    // not that root has none.
    nas.ok("printf 'secret\\nsecret\\n' | passwd root >/dev/null 2>&1");

    let login = upstream.run(&format!(
        "ssh -y -i /tmp/key root@{nas_ip} 'echo hi; exit 3' </dev/null"
    ));
    assert_eq!(login.status, 3, "{}", login.text);
    assert!(login.text.lines().any(|l| l == "hi"), "{}", login.text);

    let wrong = upstream.run(&format!(
        "ssh -i /tmp/wrong root@{nas_ip} 'echo hi' </dev/null"
    ));
    assert_eq!(wrong.status, 255, "{}", wrong.text);
    assert!(!wrong.text.lines().any(|l| l == "hi"), "{}", wrong.text);

    // No key at all, root's right password: still refused.
    let password = upstream.run(&format!(
        "DROPBEAR_PASSWORD=secret ssh root@{nas_ip} 'echo hi' </dev/null"
    ));
    assert_eq!(password.status, 255, "{}", password.text);
    assert!(
        !password.text.lines().any(|l| l == "hi"),
        "{}",
        password.text
    );

    let log = nas.ok("cat /var/log/sshd.log");
    assert!(log.contains("Accepted publickey for root"), "{log}");
    assert!(log.contains("Failed publickey for root"), "{log}");
    assert!(log.contains("Failed password for root"), "{log}");
    assert!(!log.contains("Accepted password"), "{log}");
}
