//! `test EXPR` and `[ EXPR ]`: the standalone forms of the shell's test
//! builtin, whose implementation (in `sh::testcmd`) they share. `[` needs
//! a closing `]`.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

pub const USAGE: &str = "EXPRESSION ]\n\nCheck file types, compare values etc. Return a 0/1 exit code\ndepending on logical value of EXPRESSION";

/// Entry point: `args[0]` (`test` or `[`) decides whether `]` is needed.
pub fn main(args: Vec<OsString>) -> i32 {
    let mut argv: Vec<Vec<u8>> = args.into_iter().map(OsString::into_vec).collect();
    if let Some(first) = argv.first_mut() {
        // Called by path (`/bin/[`): only the base name matters.
        let base = crate::fsutil::last_component(std::ffi::OsStr::from_bytes(first))
            .as_bytes()
            .to_vec();
        *first = base;
    }
    super::sh::testcmd::run("", &argv)
}
