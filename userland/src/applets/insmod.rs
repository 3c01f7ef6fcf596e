//! `insmod FILE [SYMBOL=VALUE]...`: load one kernel module file, without
//! dependencies (see modprobe).

use crate::common::{error_msg, getopt, Exit};
use std::ffi::OsString;
use std::path::Path;

pub const USAGE: &str = "FILE [SYMBOL=VALUE]...\n\nLoad kernel module";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let Some((file, params)) = p.operands.split_first() else {
        return crate::common::usage_error("insmod", "no module file given");
    };
    let params: Vec<String> = params
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    match super::modprobe::insert(Path::new(file), &params.join(" ")) {
        Ok(()) => 0,
        Err(msg) => {
            error_msg("insmod", &msg);
            1
        }
    }
}
