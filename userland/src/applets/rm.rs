//! `rm [-irfv] FILE...`: remove files and directories.

use crate::common::{error_msg, getopt, lossy, print_usage_brief, Exit};
use crate::fsutil::{self, RemoveOptions};
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub const USAGE: &str = "[-irfv] FILE...\n\nRemove (unlink) FILEs\n\n\t-i\tAlways prompt before removing\n\t-f\tNever prompt\n\t-R,-r\tRecurse\n\t-v\tVerbose";

/// Entry point: `rm [-irfRv] FILE...`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "fiRrv",
        &[
            ("force", 'f'),
            ("interactive", 'i'),
            ("recursive", 'r'),
            ("verbose", 'v'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut o = RemoveOptions::default();
    for (c, _) in &p.opts {
        match c {
            // -f and -i cancel each other: the last one given wins.
            'f' => (o.force, o.interactive) = (true, false),
            'i' => (o.force, o.interactive) = (false, true),
            'R' | 'r' => o.recursive = true,
            _ => o.verbose = true,
        }
    }
    if p.operands.is_empty() {
        if o.force {
            return 0;
        }
        print_usage_brief("rm");
        return 1;
    }
    // Before anything is removed: an operand that is the root directory
    // stops the whole command, so that `rm -rf / x` removes nothing.
    if p.operands.iter().any(|f| is_root(Path::new(f))) {
        error_msg("rm", "refusing to remove '/'");
        return 1;
    }
    let mut status = 0;
    for file in &p.operands {
        let base = fsutil::last_component(file);
        if base == "." || base == ".." {
            error_msg("rm", "can't remove '.' or '..'");
            status = 1;
            continue;
        }
        if file.is_empty() {
            error_msg(
                "rm",
                &format!("can't remove '{}': No such file or directory", lossy(file)),
            );
            status = 1;
            continue;
        }
        if !fsutil::remove("rm", Path::new(file), o) {
            status = 1;
        }
    }
    status
}

/// Whether `path` names the root directory itself (`/`, `//`, `/./`, a
/// symlink to `/` written with a trailing slash): the file that lstat(2)
/// finds there is `/`. A symlink to `/` named without a slash is just a
/// link and may go.
fn is_root(path: &Path) -> bool {
    let bytes = path.as_os_str().as_encoded_bytes();
    if !bytes.is_empty() && bytes.iter().all(|&b| b == b'/') {
        return true;
    }
    match (std::fs::symlink_metadata(path), std::fs::metadata("/")) {
        (Ok(m), Ok(root)) => m.dev() == root.dev() && m.ino() == root.ino(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    #[test]
    fn root_is_recognised_without_touching_it() {
        for p in ["/", "//", "///", "/.", "/./", "/..", "/tmp/..", "/tmp/../"] {
            assert!(super::is_root(Path::new(p)), "{p}");
        }
        for p in ["/tmp", "tmp", "", "/nonexistent/.."] {
            assert!(!super::is_root(Path::new(p)), "{p}");
        }
    }
}
