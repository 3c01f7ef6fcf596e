//! `mkfifo [-m MODE] NAME...`: make named pipes.

use crate::common::{getopt, perror, print_usage_brief, Exit};
use crate::fsutil::{self, io_err, show};
use std::ffi::OsString;
use std::path::Path;

pub const USAGE: &str = "[-m MODE] NAME...\n\nCreate named pipe\n\n\t-m MODE\tMode (default a=rw)";

/// Entry point: `mkfifo [-m MODE] NAME...`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "m:", &[("mode", 'm')], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let Some(mode) = fsutil::mode_option("mkfifo", p.value('m'), 0o666) else {
        return 1;
    };
    if p.operands.is_empty() {
        print_usage_brief("mkfifo");
        return 1;
    }
    let mut status = 0;
    for name in &p.operands {
        let path = Path::new(name);
        let made = nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o666))
            .map_err(io_err)
            .and_then(|()| fsutil::set_exact_mode(path, mode));
        if let Err(e) = made {
            perror("mkfifo", show(path), &e);
            status = 1;
        }
    }
    status
}
