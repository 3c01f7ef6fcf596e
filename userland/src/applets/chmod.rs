//! `chmod [-Rcvf] MODE[,MODE]... FILE...`: change permission bits.

use crate::common::{error_msg, getopt, lossy, perror, print_usage_brief, Exit};
use crate::fsutil::{self, show, Event, Follow};
use std::ffi::OsString;
use std::fs::Metadata;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

pub const USAGE: &str = "[-Rcvf] MODE[,MODE]... FILE...\n\nMODE is octal number (bit pattern sstrwxrwxrwx) or [ugoa]{+|-|=}[rwxXst]\n\n\t-R\tRecurse\n\t-c\tList changed files\n\t-v\tList all files\n\t-f\tHide errors";

/// Entry point: `chmod [-Rcvf] MODE FILE...`.
pub fn main(mut args: Vec<OsString>) -> i32 {
    // A mode such as `-w` looks like an option: take the first one out
    // before parsing options, as BusyBox does.
    let mut mode = None;
    for i in 1..args.len() {
        let a = args[i].as_bytes();
        if a == b"--" || a.first() != Some(&b'-') {
            break;
        }
        if a.len() > 1 && b"rwxXst".contains(&a[1]) {
            mode = Some(args.remove(i));
            break;
        }
    }
    let p = match getopt(
        &args,
        "Rcvf",
        &[
            ("recursive", 'R'),
            ("changes", 'c'),
            ("verbose", 'v'),
            ("silent", 'f'),
            ("quiet", 'f'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut files = p.operands.as_slice();
    let mode = match mode {
        Some(m) => m,
        None => match files.split_first() {
            Some((m, rest)) => {
                files = rest;
                m.clone()
            }
            None => OsString::new(),
        },
    };
    if files.is_empty() {
        print_usage_brief("chmod");
        return 1;
    }
    let mode = lossy(&mode).into_owned();
    if fsutil::parse_mode(&mode, 0, false).is_none() {
        error_msg("chmod", &format!("invalid mode '{mode}'"));
        return 1;
    }
    let quiet = p.has('f');
    let report = |path: &Path, e: &std::io::Error| {
        if !quiet {
            perror("chmod", show(path), e);
        }
    };
    let mut status = 0;
    for file in files {
        let path = Path::new(file);
        if !p.has('R') {
            let result = std::fs::metadata(path).and_then(|m| change(path, &m, &mode, &p));
            if let Err(e) = result {
                report(path, &e);
                status = 1;
            }
            continue;
        }
        // -R follows a link named on the command line but never one
        // inside the tree; links have no mode of their own.
        fsutil::walk(path, Follow::CommandLine, false, &mut |ev| {
            let (path, meta) = match ev {
                Event::Enter(path, meta) | Event::File(path, meta, _) => (path, meta),
                Event::Error(path, e) => {
                    report(path, &e);
                    status = 1;
                    return false;
                }
                Event::Leave(..) | Event::Loop(_) => return true,
            };
            if meta.file_type().is_symlink() {
                return true;
            }
            if let Err(e) = change(path, meta, &mode, &p) {
                report(path, &e);
                status = 1;
            }
            true
        });
    }
    status
}

/// Applies `mode` to `path`, whose metadata is `meta`, and says so for -v
/// (or -c when the mode changes).
fn change(
    path: &Path,
    meta: &Metadata,
    mode: &str,
    p: &crate::common::Parsed,
) -> std::io::Result<()> {
    let old = meta.mode() & 0o7777;
    let new = fsutil::parse_mode(mode, old, meta.is_dir()).unwrap_or(old);
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(new))?;
    if p.has('v') || (p.has('c') && new != old) {
        fsutil::say(&format!("mode of '{}' changed to {new:04o}", show(path)));
    }
    Ok(())
}
