//! `chgrp [-RhLHPcvf] GROUP FILE...`: change the group of files (chown's
//! code with only a group).

use std::ffi::OsString;

pub const USAGE: &str = "[-RhLHPcvf] GROUP FILE...\n\nChange the group membership of FILEs to GROUP\n\n\t-h\tAffect symlinks instead of symlink targets\n\t-L\tTraverse all symlinks to directories\n\t-H\tTraverse symlinks on command line only\n\t-P\tDon't traverse symlinks (default)\n\t-R\tRecurse\n\t-c\tList changed files\n\t-v\tVerbose\n\t-f\tHide errors";

/// Entry point: `chgrp [-RhLHPcvf] GROUP FILE...`.
pub fn main(args: Vec<OsString>) -> i32 {
    super::chown::run("chgrp", args)
}
