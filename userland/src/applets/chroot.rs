//! `chroot NEWROOT [COMMAND [ARG]...]`: run a command (default
//! `$SHELL -i`, else `/bin/sh -i`) with NEWROOT as its root directory.

use crate::common::{getopt, perror, Exit};
use std::ffi::OsString;
use std::process::Command;

pub const USAGE: &str = "NEWROOT [PROG ARGS]\n\nRun PROG with root directory set to NEWROOT";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let Some(root) = p.operands.first() else {
        crate::common::print_usage_brief("chroot");
        return 1;
    };
    if let Err(e) = nix::unistd::chroot(root.as_os_str()) {
        perror(
            "chroot",
            format!(
                "can't change root directory to '{}'",
                root.to_string_lossy()
            ),
            &crate::fsutil::io_err(e),
        );
        return 1;
    }
    if let Err(e) = nix::unistd::chdir("/") {
        perror(
            "chroot",
            "can't change directory to '/'",
            &crate::fsutil::io_err(e),
        );
        return 1;
    }
    let (prog, rest): (OsString, Vec<OsString>) = if p.operands.len() > 1 {
        (p.operands[1].clone(), p.operands[2..].to_vec())
    } else {
        (
            std::env::var_os("SHELL").unwrap_or_else(|| "/bin/sh".into()),
            vec!["-i".into()],
        )
    };
    let mut cmd = Command::new(&prog);
    cmd.args(&rest);
    super::env::exec("chroot", cmd, &prog)
}
