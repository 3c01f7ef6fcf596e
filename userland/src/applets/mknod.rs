//! `mknod [-m MODE] NAME TYPE [MAJOR MINOR]`: make block or character
//! special files and named pipes.

use crate::common::{error_msg, getopt, perror, print_usage_brief, Exit};
use crate::fsutil::{self, io_err, show};
use nix::sys::stat::{makedev, mknod, Mode, SFlag};
use std::ffi::OsString;
use std::path::Path;

pub const USAGE: &str = "[-m MODE] NAME TYPE [MAJOR MINOR]\n\nCreate a special file (block, character, or pipe)\n\n\t-m MODE\tCreation mode (default a=rw)\nTYPE:\n\tb\tBlock device\n\tc or u\tCharacter device\n\tp\tNamed pipe (MAJOR MINOR must be omitted)";

/// Entry point: `mknod [-m MODE] NAME TYPE [MAJOR MINOR]`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "m:", &[("mode", 'm')], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let Some(mode) = fsutil::mode_option("mknod", p.value('m'), 0o666) else {
        return 1;
    };
    let ops: Vec<&str> = p
        .operands
        .iter()
        .skip(1)
        .map(|o| o.to_str().unwrap_or(""))
        .collect();
    let (kind, numbers) = match ops.as_slice() {
        ["b", rest @ ..] => (SFlag::S_IFBLK, rest),
        ["c" | "u", rest @ ..] => (SFlag::S_IFCHR, rest),
        ["p"] => (SFlag::S_IFIFO, &[][..]),
        _ => {
            print_usage_brief("mknod");
            return 1;
        }
    };
    let dev = match numbers {
        [] if kind == SFlag::S_IFIFO => 0,
        [major, minor] => match (major.parse::<u64>(), minor.parse::<u64>()) {
            (Ok(a), Ok(b)) if a <= u64::from(u32::MAX) && b <= u64::from(u32::MAX) => makedev(a, b),
            _ => {
                error_msg("mknod", &format!("invalid number '{major} {minor}'"));
                return 1;
            }
        },
        _ => {
            print_usage_brief("mknod");
            return 1;
        }
    };
    let Some(name) = p.operands.first() else {
        print_usage_brief("mknod");
        return 1;
    };
    let path = Path::new(name);
    let made = mknod(path, kind, Mode::from_bits_truncate(0o666), dev)
        .map_err(io_err)
        .and_then(|()| fsutil::set_exact_mode(path, mode));
    if let Err(e) = made {
        perror("mknod", show(path), &e);
        return 1;
    }
    0
}
