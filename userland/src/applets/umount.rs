//! `umount [-alfrv] [-t TYPES] [--fake] DIR...`: unmount filesystems.

use crate::common::{error_msg, getopt, Exit};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::PathBuf;

pub const USAGE: &str = "[-alfrv] [-t TYPES] [--fake] DIR...\n\nUnmount filesystems\n\n\t-a\tUnmount all filesystems (in reverse mount order)\n\t-t TYPES\tWith -a, only these types (comma-separated)\n\t-l\tLazy umount (detach filesystem)\n\t-f\tForce umount (i.e., unreachable NFS server)\n\t-r\tRemount read-only if umount fails\n\t-v\tShow each unmounted filesystem\n\t--fake\tDo everything but the umount2(2) call";

/// What the options say.
struct Mode {
    flags: MntFlags,
    remount_ro: bool,
    fake: bool,
    verbose: bool,
}

/// Entry point: unmounts each DIR (or all with -a); a failure does not
/// stop the others.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "alfnrvt:d",
        &[
            ("all", 'a'),
            ("lazy", 'l'),
            ("force", 'f'),
            ("read-only", 'r'),
            ("verbose", 'v'),
            ("types", 't'),
            ("fake", 'F'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut flags = MntFlags::empty();
    if p.has('l') {
        flags |= MntFlags::MNT_DETACH;
    }
    if p.has('f') {
        flags |= MntFlags::MNT_FORCE;
    }
    let mode = Mode {
        flags,
        remount_ro: p.has('r'),
        fake: p.has('F'),
        verbose: p.has('v'),
    };
    let dirs: Vec<OsString> = if p.has('a') {
        // $IBOX_MOUNTS stands in for /proc/mounts in tests.
        let table = std::env::var_os("IBOX_MOUNTS")
            .filter(|t| !t.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/proc/mounts"));
        let mounts = match crate::fsutil::mounts_in(&table) {
            Ok(m) => m,
            Err(e) => {
                crate::common::perror("umount", table.display(), &e);
                return 1;
            }
        };
        let types: Vec<String> = p
            .value('t')
            .map(|t| t.to_string_lossy().split(',').map(str::to_string).collect())
            .unwrap_or_default();
        mounts
            .into_iter()
            .rev()
            .filter(|m| types.is_empty() || types.contains(&m.fstype))
            .map(|m| m.dir.into_os_string())
            .collect()
    } else {
        if p.operands.is_empty() {
            return crate::common::usage_error("umount", "missing operand");
        }
        p.operands.clone()
    };
    let mut status = 0;
    for dir in &dirs {
        if !unmount(dir, &mode) {
            status = 1;
        }
    }
    status
}

/// Unmounts `dir`, or with -r at least makes a busy filesystem read-only
/// (what a shutdown script wants); false after a message on failure.
fn unmount(dir: &OsStr, mode: &Mode) -> bool {
    let name = dir.to_string_lossy();
    let result = if mode.fake {
        Ok(())
    } else {
        umount2(dir, mode.flags)
    };
    match result {
        Ok(()) => {
            if mode.verbose {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "umount: {name} unmounted").and_then(|_| out.flush());
            }
            true
        }
        Err(e) => {
            if mode.remount_ro
                && mount(
                    None::<&str>,
                    dir,
                    None::<&str>,
                    MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
                    None::<&str>,
                )
                .is_ok()
            {
                error_msg("umount", &format!("{name} busy - remounted read-only"));
                return true;
            }
            error_msg("umount", &format!("can't unmount {name}: {}", e.desc()));
            false
        }
    }
}
