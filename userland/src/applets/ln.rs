//! `ln [-sfnv] TARGET... LINK|DIR`: make links.

use crate::common::{getopt, perror, print_usage_brief, Exit};
use crate::fsutil::{self, show};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub const USAGE: &str = "[-sfnv] TARGET... LINK|DIR\n\nCreate a link LINK or DIR/TARGET to the specified TARGET(s)\n\n\t-s\tMake symlinks instead of hardlinks\n\t-f\tRemove existing destinations\n\t-n\tDon't dereference symlinks - treat like normal file\n\t-v\tVerbose";

/// Entry point: `ln [-sfnv] TARGET... LINK|DIR`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "sfnv",
        &[
            ("symbolic", 's'),
            ("force", 'f'),
            ("no-dereference", 'n'),
            ("verbose", 'v'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let pairs: Vec<(&Path, PathBuf)> = match p.operands.as_slice() {
        [] => {
            print_usage_brief("ln");
            return 1;
        }
        // `ln -s /a/b` makes `./b`.
        [target] => vec![(
            Path::new(target),
            PathBuf::from(fsutil::last_component(target)),
        )],
        [.., last] => {
            let last = Path::new(last);
            // -n: a symlink to a directory is a file to replace, not a
            // directory to link into.
            let dir = if p.has('n') {
                std::fs::symlink_metadata(last).is_ok_and(|m| m.is_dir())
            } else {
                fsutil::is_dir(last)
            };
            match fsutil::destinations("ln", &p.operands, dir) {
                Some(pairs) => pairs,
                None => return 1,
            }
        }
    };
    let mut status = 0;
    for (target, link) in pairs {
        if !p.has('s') {
            if let Err(e) = std::fs::symlink_metadata(target) {
                perror("ln", show(target), &e);
                status = 1;
                continue;
            }
        }
        if p.has('f') {
            if let Ok(m) = std::fs::symlink_metadata(&link) {
                if !m.is_dir() {
                    let _ = std::fs::remove_file(&link);
                }
            }
        }
        let made = if p.has('s') {
            std::os::unix::fs::symlink(target, &link)
        } else {
            std::fs::hard_link(target, &link)
        };
        match made {
            Ok(()) if p.has('v') => {
                fsutil::say(&format!("'{}' -> '{}'", show(&link), show(target)))
            }
            Ok(()) => {}
            Err(e) => {
                perror("ln", show(&link), &e);
                status = 1;
            }
        }
    }
    status
}
