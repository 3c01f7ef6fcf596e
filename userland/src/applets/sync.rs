//! `sync [-d] [-f] [FILE]...`: write cached data to disk.

use crate::common::{getopt, perror, Exit};
use crate::fsutil::{io_err, show};
use std::ffi::OsString;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

pub const USAGE: &str = "[-df] [FILE]...\n\nWrite all buffered blocks to disk\n\n\t-d\tAvoid syncing metadata\n\t-f\tSync filesystems underlying FILEs";

/// Entry point: `sync [-df] [FILE]...`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "df", &[("data", 'd'), ("file-system", 'f')], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.is_empty() {
        nix::unistd::sync();
        return 0;
    }
    let mut status = 0;
    for file in &p.operands {
        let path = Path::new(file);
        let result = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(path)
            .and_then(|f| {
                if p.has('f') {
                    nix::unistd::syncfs(f.as_raw_fd()).map_err(io_err)
                } else if p.has('d') {
                    f.sync_data()
                } else {
                    f.sync_all()
                }
            });
        if let Err(e) = result {
            perror("sync", show(path), &e);
            status = 1;
        }
    }
    status
}
