//! `mv [-finv] SOURCE... DEST`: move (rename) files.

use crate::common::{error_msg, getopt, perror, print_usage_brief, Exit};
use crate::fsutil::{self, show, CopyOptions, Follow, RemoveOptions};
use std::ffi::OsString;
use std::path::Path;

pub const USAGE: &str = "[-finv] SOURCE... DEST\n\nRename SOURCE to DEST, or move SOURCEs to DIR\n\n\t-f\tDon't prompt before overwriting\n\t-i\tInteractive, prompt before overwrite\n\t-n\tDon't overwrite an existing file\n\t-v\tVerbose";

/// Entry point: `mv [-finv] SOURCE... DEST`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "finv",
        &[
            ("force", 'f'),
            ("interactive", 'i'),
            ("no-clobber", 'n'),
            ("verbose", 'v'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    // -f, -i and -n cancel each other: the last one wins.
    let mode = p
        .opts
        .iter()
        .rev()
        .find(|(c, _)| "fin".contains(*c))
        .map(|(c, _)| *c);
    if p.operands.len() < 2 {
        print_usage_brief("mv");
        return 1;
    }
    let last = p.operands.last().map(Path::new).unwrap_or(Path::new(""));
    let Some(pairs) = fsutil::destinations("mv", &p.operands, fsutil::is_dir(last)) else {
        return 1;
    };
    let mut status = 0;
    for (src, dst) in pairs {
        if std::fs::symlink_metadata(&dst).is_ok() {
            let ask = mode == Some('i')
                || (mode.is_none() && !fsutil::writable(&dst) && fsutil::stdin_is_tty());
            if mode == Some('n')
                || (ask && !fsutil::confirm("mv", &format!("overwrite '{}'", show(&dst))))
            {
                continue;
            }
        }
        let moved = match std::fs::rename(src, &dst) {
            Ok(()) => true,
            Err(e) if e.raw_os_error() == Some(nix::libc::EXDEV) => move_across(src, &dst),
            Err(e) => {
                perror("mv", format!("can't rename '{}'", show(src)), &e);
                false
            }
        };
        if !moved {
            status = 1;
        } else if p.has('v') {
            fsutil::say(&format!("'{}' -> '{}'", show(src), show(&dst)));
        }
    }
    status
}

/// rename(2) cannot cross file systems: copy `src` with everything it
/// holds and its attributes, then remove it. An existing `dst` is replaced
/// only by the same kind of file.
fn move_across(src: &Path, dst: &Path) -> bool {
    let Ok(from) = std::fs::symlink_metadata(src) else {
        error_msg("mv", &format!("can't stat '{}'", show(src)));
        return false;
    };
    if let Ok(to) = std::fs::symlink_metadata(dst) {
        let removed = match (from.is_dir(), to.is_dir()) {
            (false, true) => {
                error_msg("mv", &format!("can't overwrite directory '{}'", show(dst)));
                return false;
            }
            (true, false) => {
                error_msg(
                    "mv",
                    &format!("can't overwrite non-directory '{}'", show(dst)),
                );
                return false;
            }
            (true, true) => std::fs::remove_dir(dst),
            (false, false) => std::fs::remove_file(dst),
        };
        if let Err(e) = removed {
            perror("mv", format!("can't remove '{}'", show(dst)), &e);
            return false;
        }
    }
    let copy = CopyOptions {
        recursive: true,
        preserve: true,
        follow: Follow::Never,
        force: false,
        interactive: false,
        no_clobber: false,
        verbose: false,
    };
    let remove = RemoveOptions {
        force: true,
        recursive: true,
        ..RemoveOptions::default()
    };
    fsutil::copy("mv", src, dst, copy) && fsutil::remove("mv", src, remove)
}
