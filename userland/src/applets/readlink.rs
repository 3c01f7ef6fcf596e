//! `readlink [-fnemqv] FILE...`: show a symlink's target or a canonical path.

use crate::common::{getopt, perror, print_usage_brief, Exit};
use crate::fsutil::{self, show, Canon};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub const USAGE: &str = "[-fnemqv] FILE...\n\nDisplay the value of a symlink\n\n\t-f\tCanonicalize by following all symlinks (all but the last component must exist)\n\t-e\tAll components must exist\n\t-m\tNo component need exist\n\t-n\tDon't add newline\n\t-q,-s\tQuiet\n\t-v\tVerbose";

/// Entry point: `readlink [-fnemqsv] FILE...`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "fnemqsv",
        &[
            ("canonicalize", 'f'),
            ("canonicalize-existing", 'e'),
            ("canonicalize-missing", 'm'),
            ("no-newline", 'n'),
            ("quiet", 'q'),
            ("silent", 's'),
            ("verbose", 'v'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.is_empty() {
        print_usage_brief("readlink");
        return 1;
    }
    let canon = p.opts.iter().rev().find_map(|(c, _)| match c {
        'f' => Some(Canon::Parent),
        'e' => Some(Canon::Existing),
        'm' => Some(Canon::Missing),
        _ => None,
    });
    // Errors are silent, as in BusyBox, unless -v asks for them.
    let verbose = p.opts.iter().rev().find_map(|(c, _)| match c {
        'v' => Some(true),
        'q' | 's' => Some(false),
        _ => None,
    }) == Some(true);
    let mut out = std::io::stdout().lock();
    let mut status = 0;
    for file in &p.operands {
        let path = Path::new(file);
        let result = match canon {
            Some(mode) => fsutil::canonicalize(path, mode),
            None => std::fs::read_link(path),
        };
        match result {
            Ok(target) => {
                let _ = out.write_all(target.as_os_str().as_bytes());
                if !p.has('n') {
                    let _ = out.write_all(b"\n");
                }
            }
            Err(e) => {
                if verbose {
                    perror("readlink", show(path), &e);
                }
                status = 1;
            }
        }
    }
    if let Err(e) = out.flush() {
        perror("readlink", "write error", &e);
        return 1;
    }
    status
}
