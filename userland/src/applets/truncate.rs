//! `truncate [-c] -s [+-]SIZE FILE...`: set file sizes.

use crate::common::{error_msg, getopt, perror, print_usage_brief, Exit};
use crate::fsutil::{self, show};
use std::ffi::OsString;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

pub const USAGE: &str = "[-c] -s [+-]SIZE FILE...\n\nTruncate FILEs to SIZE\n\n\t-c\tDo not create files\n\t-s SIZE\tTruncate to SIZE; +SIZE extends, -SIZE shrinks (suffixes: k, M, G, ...)";

/// Entry point: `truncate [-c] -s [+-]SIZE FILE...`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "cs:", &[("no-create", 'c'), ("size", 's')], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let Some(spec) = p.value('s') else {
        print_usage_brief("truncate");
        return 1;
    };
    if p.operands.is_empty() {
        print_usage_brief("truncate");
        return 1;
    }
    let spec = spec.to_string_lossy();
    let (sign, number) = match spec.as_bytes().first() {
        Some(b'+') => (1, &spec[1..]),
        Some(b'-') => (-1, &spec[1..]),
        _ => (0, &spec[..]),
    };
    let Some(size) = fsutil::parse_size(number, false) else {
        error_msg("truncate", &format!("invalid number '{spec}'"));
        return 1;
    };
    let mut status = 0;
    for file in &p.operands {
        let path = Path::new(file);
        // O_NONBLOCK: a fifo named by mistake must not hang us.
        let f = match std::fs::OpenOptions::new()
            .write(true)
            .create(!p.has('c'))
            .truncate(false)
            .mode(0o666)
            .custom_flags(nix::libc::O_NONBLOCK)
            .open(path)
        {
            Ok(f) => f,
            Err(e) if p.has('c') && e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                perror("truncate", format!("{}: open", show(path)), &e);
                status = 1;
                continue;
            }
        };
        let result = f.metadata().and_then(|m| {
            let new = match sign {
                0 => size,
                1 => m.len().saturating_add(size),
                _ => m.len().saturating_sub(size),
            };
            f.set_len(new)
        });
        if let Err(e) = result {
            perror("truncate", format!("{}: truncate", show(path)), &e);
            status = 1;
        }
    }
    status
}
