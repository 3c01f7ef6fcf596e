//! `cp [-arPLHpfinv] SOURCE... DEST`: copy files and directories.

use crate::common::{getopt, print_usage_brief, Exit};
use crate::fsutil::{self, CopyOptions, Follow};
use std::ffi::OsString;
use std::path::Path;

pub const USAGE: &str = "[-arPLHpfinv] SOURCE... DEST\n\nCopy SOURCEs to DEST\n\n\t-a\tSame as -dpR\n\t-R,-r\tRecurse\n\t-d,-P\tPreserve symlinks (default if -R)\n\t-L\tFollow all symlinks\n\t-H\tFollow symlinks on command line\n\t-p\tPreserve file attributes if possible\n\t-f\tOverwrite\n\t-i\tPrompt before overwrite\n\t-n\tDon't overwrite\n\t-v\tVerbose";

/// Entry point: `cp [-arPLHpfinv] SOURCE... DEST`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "aRrdPLHpfinv",
        &[
            ("archive", 'a'),
            ("recursive", 'R'),
            ("no-dereference", 'P'),
            ("dereference", 'L'),
            ("preserve", 'p'),
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
    let mut o = CopyOptions {
        recursive: false,
        preserve: false,
        follow: Follow::Always,
        force: false,
        interactive: false,
        no_clobber: false,
        verbose: false,
    };
    let mut follow = None;
    for (c, _) in &p.opts {
        match c {
            'a' => {
                (o.recursive, o.preserve) = (true, true);
                follow = Some(Follow::Never);
            }
            'R' | 'r' => o.recursive = true,
            'd' | 'P' => follow = Some(Follow::Never),
            'L' => follow = Some(Follow::Always),
            'H' => follow = Some(Follow::CommandLine),
            'p' => o.preserve = true,
            'f' => o.force = true,
            'i' => (o.interactive, o.no_clobber) = (true, false),
            'n' => (o.interactive, o.no_clobber) = (false, true),
            _ => o.verbose = true,
        }
    }
    // Plain cp copies what links point to; cp -R copies the links.
    o.follow = follow.unwrap_or(if o.recursive {
        Follow::Never
    } else {
        Follow::Always
    });
    if p.operands.len() < 2 {
        print_usage_brief("cp");
        return 1;
    }
    let last = p.operands.last().map(Path::new).unwrap_or(Path::new(""));
    let Some(pairs) = fsutil::destinations("cp", &p.operands, fsutil::is_dir(last)) else {
        return 1;
    };
    let mut status = 0;
    for (src, dst) in pairs {
        if !fsutil::copy("cp", src, &dst, o) {
            status = 1;
        }
    }
    status
}
