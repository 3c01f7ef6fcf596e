//! `install [-cdDpv] [-o USER] [-g GRP] [-m MODE] SOURCE... DEST`: copy
//! files and set their attributes, or (`-d`) create directories.

use crate::common::{error_msg, getopt, lossy, perror, print_usage_brief, Exit};
use crate::fsutil::{self, show, CopyOptions, Follow};
use std::ffi::OsString;
use std::path::Path;

pub const USAGE: &str = "[-cdDpv] [-o USER] [-g GRP] [-m MODE] [SOURCE]... DEST\n\nCopy files and set attributes\n\n\t-c\tJust copy (default)\n\t-d\tCreate directories\n\t-D\tCreate leading target directories\n\t-p\tPreserve date\n\t-o USER\tSet ownership\n\t-g GRP\tSet group ownership\n\t-m MODE\tSet permissions (default 755)\n\t-v\tVerbose";

/// Entry point: `install [-cdDpv] [-o USER] [-g GRP] [-m MODE] SOURCE... DEST`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "cdDpvo:g:m:",
        &[
            ("directory", 'd'),
            ("preserve-timestamps", 'p'),
            ("verbose", 'v'),
            ("owner", 'o'),
            ("group", 'g'),
            ("mode", 'm'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let Some(mode) = fsutil::mode_option("install", p.value('m'), 0o755) else {
        return 1;
    };
    let mode = mode.unwrap_or(0o755);
    let uid = match p.value('o') {
        None => None,
        Some(u) => match fsutil::parse_user(u) {
            Some(u) => Some(u),
            None => {
                error_msg("install", &format!("unknown user {}", lossy(u)));
                return 1;
            }
        },
    };
    let gid = match p.value('g') {
        None => None,
        Some(g) => match fsutil::parse_group(g) {
            Some(g) => Some(g),
            None => {
                error_msg("install", &format!("unknown group {}", lossy(g)));
                return 1;
            }
        },
    };
    let finish = |path: &Path| -> bool {
        let result = fsutil::set_exact_mode(path, Some(mode)).and_then(|()| {
            if uid.is_some() || gid.is_some() {
                std::os::unix::fs::lchown(path, uid, gid)
            } else {
                Ok(())
            }
        });
        match result {
            Ok(()) => true,
            Err(e) => {
                perror("install", show(path), &e);
                false
            }
        }
    };
    let mut status = 0;
    if p.has('d') {
        if p.operands.is_empty() {
            print_usage_brief("install");
            return 1;
        }
        for dir in &p.operands {
            let path = Path::new(dir);
            if let Err(e) = std::fs::DirBuilder::new().recursive(true).create(path) {
                perror(
                    "install",
                    format!("can't create directory '{}'", show(path)),
                    &e,
                );
                status = 1;
            } else if !finish(path) {
                status = 1;
            } else if p.has('v') {
                fsutil::say(&format!("install: creating directory '{}'", show(path)));
            }
        }
        return status;
    }
    if p.operands.len() < 2 {
        print_usage_brief("install");
        return 1;
    }
    let last = p.operands.last().map(Path::new).unwrap_or(Path::new(""));
    if p.has('D') {
        // -D: DEST's leading directories, or DEST itself for several sources.
        let lead = if p.operands.len() > 2 {
            Some(last)
        } else {
            last.parent().filter(|d| !d.as_os_str().is_empty())
        };
        if let Some(dir) = lead {
            if let Err(e) = std::fs::DirBuilder::new().recursive(true).create(dir) {
                perror(
                    "install",
                    format!("can't create directory '{}'", show(dir)),
                    &e,
                );
                return 1;
            }
        }
    }
    let Some(pairs) = fsutil::destinations("install", &p.operands, fsutil::is_dir(last)) else {
        return 1;
    };
    let copy = CopyOptions {
        recursive: false,
        preserve: p.has('p'),
        follow: Follow::Always,
        force: true,
        interactive: false,
        no_clobber: false,
        verbose: p.has('v'),
    };
    for (src, dst) in pairs {
        // Replace rather than overwrite: a running program may be the
        // destination (ETXTBSY), and a hard link to it must keep its data.
        if std::fs::symlink_metadata(&dst).is_ok_and(|m| !m.is_dir()) {
            let same = match (std::fs::metadata(src), std::fs::metadata(&dst)) {
                (Ok(a), Ok(b)) => {
                    use std::os::unix::fs::MetadataExt;
                    a.dev() == b.dev() && a.ino() == b.ino()
                }
                _ => false,
            };
            if !same {
                let _ = std::fs::remove_file(&dst);
            }
        }
        if !fsutil::copy("install", src, &dst, copy) || !finish(&dst) {
            status = 1;
        }
    }
    status
}
