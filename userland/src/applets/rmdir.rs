//! `rmdir [-pv] DIR...`: remove empty directories.

use crate::common::{getopt, lossy, perror, usage_error, Exit};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub const USAGE: &str = "[-p] DIRECTORY...\n\nRemove DIRECTORY if it is empty\n\n\t-p\tInclude parents\n\t--ignore-fail-on-non-empty";

/// Entry point: `rmdir [-pv] [--ignore-fail-on-non-empty] DIR...`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "pv\u{1}",
        &[
            ("parents", 'p'),
            ("verbose", 'v'),
            ("ignore-fail-on-non-empty", '\u{1}'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.is_empty() {
        return usage_error("rmdir", "missing operand");
    }
    let ignore_non_empty = p.has('\u{1}');
    let mut status = 0;
    for dir in &p.operands {
        let mut path = dir.as_bytes();
        loop {
            if p.has('v') {
                crate::fsutil::say(&format!(
                    "rmdir: removing directory, '{}'",
                    lossy(OsStr::from_bytes(path))
                ));
            }
            if let Err(e) = std::fs::remove_dir(Path::new(OsStr::from_bytes(path))) {
                let non_empty = e.raw_os_error() == Some(nix::libc::ENOTEMPTY)
                    || e.raw_os_error() == Some(nix::libc::EEXIST);
                if !(ignore_non_empty && non_empty) {
                    perror("rmdir", format!("'{}'", lossy(OsStr::from_bytes(path))), &e);
                    status = 1;
                }
                break;
            }
            if !p.has('p') {
                break;
            }
            // `rmdir -p a/b/c` goes on with `a/b`, then `a`.
            match parent(path) {
                Some(up) => path = up,
                None => break,
            }
        }
    }
    status
}

/// `a/b//c/` → `a/b`; `None` when nothing is left (`a`, `/`).
fn parent(path: &[u8]) -> Option<&[u8]> {
    let end = path.iter().rposition(|&b| b != b'/')? + 1;
    let slash = path[..end].iter().rposition(|&b| b == b'/')?;
    let up = path[..slash].iter().rposition(|&b| b != b'/')? + 1;
    Some(&path[..up])
}

#[cfg(test)]
mod tests {
    #[test]
    fn parents() {
        assert_eq!(super::parent(b"a/b//c/"), Some(&b"a/b"[..]));
        assert_eq!(super::parent(b"a"), None);
        assert_eq!(super::parent(b"/a"), None);
        assert_eq!(super::parent(b"/"), None);
    }
}
