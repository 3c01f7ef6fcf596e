//! `chown [-RhLHPcvf] USER[:[GRP]] FILE...` and, through [`run`], chgrp:
//! change the owner and group of files.

use crate::common::{error_msg, getopt, lossy, perror, print_usage_brief, Exit};
use crate::fsutil::{self, show, Event, Follow};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub const USAGE: &str = "[-RhLHPcvf] USER[:[GRP]] FILE...\n\nChange the owner and/or group of FILEs to USER and/or GRP\n\n\t-h\tAffect symlinks instead of symlink targets\n\t-L\tTraverse all symlinks to directories\n\t-H\tTraverse symlinks on command line only\n\t-P\tDon't traverse symlinks (default)\n\t-R\tRecurse\n\t-c\tList changed files\n\t-v\tVerbose\n\t-f\tHide errors";

/// Entry point: `chown [-RhLHPcvf] USER[:[GRP]] FILE...`.
pub fn main(args: Vec<OsString>) -> i32 {
    run("chown", args)
}

/// Shared by chown and chgrp (`applet`): for chgrp the first operand is
/// only a group.
pub fn run(applet: &str, args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "RhLHPcvf",
        &[
            ("recursive", 'R'),
            ("no-dereference", 'h'),
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
    let Some((spec, files)) = p.operands.split_first().filter(|(_, f)| !f.is_empty()) else {
        print_usage_brief(applet);
        return 1;
    };
    let owner = if applet == "chgrp" {
        parse_group(applet, spec).map(|g| (None, Some(g)))
    } else {
        parse_owner(applet, spec)
    };
    let Some((uid, gid)) = owner else {
        return 1;
    };
    // -R walks without following links unless -L or -H says otherwise.
    let follow = p
        .opts
        .iter()
        .rev()
        .find_map(|(c, _)| match c {
            'L' => Some(Follow::Always),
            'H' => Some(Follow::CommandLine),
            'P' => Some(Follow::Never),
            _ => None,
        })
        .unwrap_or(Follow::Never);
    let quiet = p.has('f');
    let mut failed = false;
    let mut apply = |path: &Path, link: bool| {
        let done = if link {
            std::os::unix::fs::lchown(path, uid, gid)
        } else {
            std::os::unix::fs::chown(path, uid, gid)
        };
        match done {
            Ok(()) => {
                if p.has('v') || p.has('c') {
                    fsutil::say(&format!("changed ownership of '{}'", show(path)));
                }
            }
            Err(e) => {
                if !quiet {
                    perror(applet, show(path), &e);
                }
                failed = true;
            }
        }
    };
    let mut status = 0;
    for file in files {
        let path = Path::new(file);
        if !p.has('R') {
            apply(path, p.has('h'));
            continue;
        }
        let mut errors = false;
        fsutil::walk(path, follow, false, &mut |ev| {
            match ev {
                Event::Enter(path, meta) | Event::File(path, meta, _) => {
                    apply(path, meta.file_type().is_symlink() || p.has('h'))
                }
                Event::Error(path, e) => {
                    if !quiet {
                        perror(applet, show(path), &e);
                    }
                    errors = true;
                }
                Event::Loop(_) | Event::Leave(..) => {}
            }
            true
        });
        if errors {
            status = 1;
        }
    }
    if failed {
        status = 1;
    }
    status
}

/// chgrp's GROUP: a name or a number.
fn parse_group(applet: &str, text: &OsStr) -> Option<u32> {
    let gid = fsutil::parse_group(text);
    if gid.is_none() {
        error_msg(applet, &format!("unknown group {}", lossy(text)));
    }
    gid
}

/// chown's `USER`, `USER:GROUP`, `USER:` (the user's login group),
/// `:GROUP`, or the same with `.` when no `:` is present and the whole is
/// not a user name.
fn parse_owner(applet: &str, text: &OsStr) -> Option<(Option<u32>, Option<u32>)> {
    let b = text.as_bytes();
    let split = b.iter().position(|&c| c == b':').or_else(|| {
        if fsutil::parse_user(text).is_some() {
            None
        } else {
            b.iter().position(|&c| c == b'.')
        }
    });
    let (user, group) = match split {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    let user = OsStr::from_bytes(user);
    let uid = if user.is_empty() {
        None
    } else {
        match fsutil::parse_user(user) {
            Some(u) => Some(u),
            None => {
                error_msg(applet, &format!("unknown user {}", lossy(user)));
                return None;
            }
        }
    };
    let gid = match group {
        None => None,
        Some([]) => fsutil::user_by_name(user).map(|(_, g)| g),
        Some(g) => Some(parse_group(applet, OsStr::from_bytes(g))?),
    };
    Some((uid, gid))
}
