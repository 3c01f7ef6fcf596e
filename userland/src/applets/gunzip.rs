//! `gunzip [-cfkntqv] [FILE]...`: decompress FILE.gz to FILE (or stdin to
//! stdout); `-t` tests integrity. The work is gzip's.

use std::ffi::OsString;

pub const USAGE: &str = "[-cfkntqv] [FILE]...\n\nDecompress FILEs (or stdin)\n\n\t-c\tWrite to stdout\n\t-f\tForce: overwrite, read from a terminal\n\t-k\tKeep input files\n\t-t\tTest integrity\n\t-q\tQuiet\n\t-v\tVerbose";

/// Entry point: gzip -d.
pub fn main(args: Vec<OsString>) -> i32 {
    super::gzip::run("gunzip", args, true, false)
}
