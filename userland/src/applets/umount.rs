//! `umount [-lfr] DIR...`: unmount filesystems.

use crate::common::{error_msg, getopt, Exit};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use std::ffi::{OsStr, OsString};

pub const USAGE: &str = "[-lfr] DIR...\n\nUnmount filesystems\n\n\t-l\tLazy umount (detach filesystem)\n\t-f\tForce umount (i.e., unreachable NFS server)\n\t-r\tRemount read-only if umount fails";

/// Entry point: unmounts each DIR; a failure does not stop the others.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "lfnr",
        &[("lazy", 'l'), ("force", 'f'), ("read-only", 'r')],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.is_empty() {
        return crate::common::usage_error("umount", "missing operand");
    }
    let mut flags = MntFlags::empty();
    if p.has('l') {
        flags |= MntFlags::MNT_DETACH;
    }
    if p.has('f') {
        flags |= MntFlags::MNT_FORCE;
    }
    let mut status = 0;
    for dir in &p.operands {
        if !unmount(dir, flags, p.has('r')) {
            status = 1;
        }
    }
    status
}

/// Unmounts `dir`, or with `remount_ro` at least makes a busy filesystem
/// read-only (what a shutdown script wants); false after a message on failure.
fn unmount(dir: &OsStr, flags: MntFlags, remount_ro: bool) -> bool {
    let Err(e) = umount2(dir, flags) else {
        return true;
    };
    let name = dir.to_string_lossy();
    if remount_ro
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
