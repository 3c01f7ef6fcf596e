//! The early mounts every Ibex system has, made before any service starts.

use nix::errno::Errno;
use nix::mount::{mount, MsFlags};
use nix::sys::stat::Mode;

/// One early mount.
struct EarlyMount {
    target: &'static str,
    fstype: &'static str,
    flags: MsFlags,
    data: &'static str,
}

const NOSUID_NODEV_NOEXEC: MsFlags = MsFlags::MS_NOSUID
    .union(MsFlags::MS_NODEV)
    .union(MsFlags::MS_NOEXEC);

/// In order: /dev must exist before /dev/pts and /dev/shm.
const EARLY_MOUNTS: &[EarlyMount] = &[
    EarlyMount {
        target: "/proc",
        fstype: "proc",
        flags: NOSUID_NODEV_NOEXEC,
        data: "",
    },
    EarlyMount {
        target: "/sys",
        fstype: "sysfs",
        flags: NOSUID_NODEV_NOEXEC,
        data: "",
    },
    EarlyMount {
        target: "/sys/fs/cgroup",
        fstype: "cgroup2",
        flags: NOSUID_NODEV_NOEXEC,
        data: "",
    },
    EarlyMount {
        target: "/dev",
        fstype: "devtmpfs",
        flags: MsFlags::MS_NOSUID,
        data: "mode=0755",
    },
    EarlyMount {
        target: "/dev/pts",
        fstype: "devpts",
        flags: MsFlags::MS_NOSUID.union(MsFlags::MS_NOEXEC),
        data: "mode=0620,ptmxmode=0666",
    },
    EarlyMount {
        target: "/dev/shm",
        fstype: "tmpfs",
        flags: MsFlags::MS_NOSUID.union(MsFlags::MS_NODEV),
        data: "mode=1777",
    },
    EarlyMount {
        target: "/run",
        fstype: "tmpfs",
        flags: MsFlags::MS_NOSUID.union(MsFlags::MS_NODEV),
        data: "mode=0755",
    },
    EarlyMount {
        target: "/tmp",
        fstype: "tmpfs",
        flags: MsFlags::MS_NOSUID.union(MsFlags::MS_NODEV),
        data: "mode=1777",
    },
];

/// Mounts the pseudo filesystems. A mount that fails is logged and skipped:
/// a system without /dev/shm is still a system worth a shell.
pub fn mount_early() {
    for m in EARLY_MOUNTS {
        match nix::unistd::mkdir(m.target, Mode::from_bits_truncate(0o755)) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => crate::log!("mkdir {}: {}", m.target, e.desc()),
        }
        match mount(
            Some(m.fstype),
            m.target,
            Some(m.fstype),
            m.flags,
            Some(m.data),
        ) {
            // Already mounted (a kernel with DEVTMPFS_MOUNT, a re-exec).
            Ok(()) | Err(Errno::EBUSY) => {}
            Err(e) => crate::log!("mount {} on {}: {}", m.fstype, m.target, e.desc()),
        }
    }
    // UEFI variables (boot entries, A/B trial state), on a system the
    // firmware booted; the directory exists only then.
    const EFIVARS: &str = "/sys/firmware/efi/efivars";
    if std::path::Path::new(EFIVARS).is_dir() {
        if let Err(e) = mount(
            Some("efivarfs"),
            EFIVARS,
            Some("efivarfs"),
            NOSUID_NODEV_NOEXEC,
            Some(""),
        ) {
            if e != Errno::EBUSY {
                crate::log!("mount efivarfs on {EFIVARS}: {}", e.desc());
            }
        }
    }
}

/// At shutdown, once every process is gone: unmounts everything but the
/// root in reverse mount order, then makes the root read-only, so that no
/// filesystem is left dirty. Failures are logged; the machine goes down
/// regardless.
pub fn unmount_all() {
    let Ok(table) = std::fs::read_to_string("/proc/mounts") else {
        return;
    };
    let targets: Vec<String> = table
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(|t| t.replace("\\040", " "))
        .filter(|t| t != "/")
        .collect();
    for target in targets.iter().rev() {
        if let Err(e) = nix::mount::umount(target.as_str()) {
            // Busy or the kernel's own: read-only is the next best thing.
            let ro = mount(
                None::<&str>,
                target.as_str(),
                None::<&str>,
                MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
                None::<&str>,
            );
            if ro.is_err() && e != Errno::EINVAL && e != Errno::EBUSY {
                crate::log!("umount {target}: {}", e.desc());
            }
        }
    }
    let _ = mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
        None::<&str>,
    );
}
