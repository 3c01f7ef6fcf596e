//! `whoami`: print the user name of the effective user id.

use crate::common::{error_msg, getopt, usage_error, Exit};
use std::ffi::OsString;

pub const USAGE: &str = "\n\nPrint the user name associated with the current effective user id";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if !p.operands.is_empty() {
        return usage_error("whoami", "too many arguments");
    }
    let uid = nix::unistd::geteuid().as_raw();
    match crate::fsutil::user_name(uid) {
        Some(name) => {
            crate::fsutil::say(&name);
            0
        }
        None => {
            error_msg("whoami", &format!("unknown uid {uid}"));
            1
        }
    }
}
