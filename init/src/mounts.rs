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
}
