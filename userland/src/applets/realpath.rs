//! `realpath FILE...`: print absolute paths with symlinks resolved.

use crate::common::{getopt, perror, print_usage_brief, Exit};
use crate::fsutil::{self, show, Canon};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub const USAGE: &str = "FILE...\n\nReturn the canonicalized absolute pathname";

/// Entry point: `realpath FILE...`; every component must exist.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.is_empty() {
        print_usage_brief("realpath");
        return 1;
    }
    let mut out = std::io::stdout().lock();
    let mut status = 0;
    for file in &p.operands {
        let path = Path::new(file);
        match fsutil::canonicalize(path, Canon::Existing) {
            Ok(real) => {
                let _ = out.write_all(real.as_os_str().as_bytes());
                let _ = out.write_all(b"\n");
            }
            Err(e) => {
                let _ = out.flush();
                perror("realpath", show(path), &e);
                status = 1;
            }
        }
    }
    if let Err(e) = out.flush() {
        perror("realpath", "write error", &e);
        return 1;
    }
    status
}
