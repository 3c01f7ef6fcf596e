//! `umount [-lf] DIR...`: unmount filesystems.

use crate::common::{error_msg, getopt, Exit};
use nix::mount::{umount2, MntFlags};
use std::ffi::OsString;

pub const USAGE: &str = "[-lf] DIR...\n\nUnmount filesystems\n\n\t-l\tLazy umount (detach filesystem)\n\t-f\tForce umount (i.e., unreachable NFS server)";

pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "lfnr", &[("lazy", 'l'), ("force", 'f')], true) {
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
        if let Err(e) = umount2(dir.as_os_str(), flags) {
            error_msg(
                "umount",
                &format!("can't unmount {}: {}", dir.to_string_lossy(), e.desc()),
            );
            status = 1;
        }
    }
    status
}
