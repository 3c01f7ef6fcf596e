//! `zcat [-f] [FILE]...`: decompress FILEs (or stdin) to stdout. The work
//! is gzip's.

use std::ffi::OsString;

pub const USAGE: &str = "[-f] [FILE]...\n\nDecompress to stdout";

/// Entry point: gzip -dc.
pub fn main(args: Vec<OsString>) -> i32 {
    super::gzip::run("zcat", args, true, true)
}
