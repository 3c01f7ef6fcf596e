//! `printf FORMAT [ARG]...`: the standalone form of the shell's printf
//! builtin, whose implementation (in `sh::printf`) it shares.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

pub const USAGE: &str =
    "FORMAT [ARG]...\n\nFormat and print ARG(s) according to FORMAT (a-la C printf)";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    if args.len() == 2 && args[1] == "--help" {
        crate::common::print_usage("printf");
        return 0;
    }
    let argv: Vec<Vec<u8>> = args.into_iter().map(OsString::into_vec).collect();
    super::sh::printf::run("printf", &argv)
}
