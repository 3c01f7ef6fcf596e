//! `df [-PkmhTa] [FILESYSTEM]...`: report free disk space.

use crate::common::{error_msg, getopt, lossy, Exit};
use crate::fsutil::{self, Mount};
use std::ffi::OsString;
use std::path::Path;

pub const USAGE: &str = "[-PkmhTa] [FILESYSTEM]...\n\nPrint filesystem usage statistics\n\n\t-P\tPOSIX output format\n\t-k\t1024-byte blocks (default)\n\t-m\t1M-byte blocks\n\t-h\tHuman readable (e.g. 1K 243M 2G)\n\t-T\tPrint filesystem type\n\t-a\tShow all filesystems";

/// Entry point: `df [-PkmhTa] [FILESYSTEM]...`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "PkmhTa",
        &[
            ("portability", 'P'),
            ("human-readable", 'h'),
            ("print-type", 'T'),
            ("all", 'a'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    // Units per block shown; 0 is -h. The last of -k, -m, -h wins.
    let unit = p
        .opts
        .iter()
        .rev()
        .find_map(|(c, _)| match c {
            'k' => Some(1024),
            'm' => Some(1024 * 1024),
            'h' => Some(0),
            _ => None,
        })
        .unwrap_or(1024);
    let posix = p.has('P');
    let header = match unit {
        0 => "     Size".to_string(),
        1024 if posix => "1024-blocks".to_string(),
        1024 => "1K-blocks".to_string(),
        _ => "1M-blocks".to_string(),
    };
    let mut status = 0;
    let mut rows = Vec::new();
    if p.operands.is_empty() {
        match fsutil::mounts() {
            Ok(all) => rows = all,
            Err(e) => {
                crate::common::perror("df", "/proc/mounts", &e);
                return 1;
            }
        }
    } else {
        for name in &p.operands {
            match fsutil::mount_of(Path::new(name)) {
                Some(m) => rows.push(m),
                None => {
                    error_msg("df", &format!("{}: can't find mount point", lossy(name)));
                    status = 1;
                }
            }
        }
    }
    let mut out = format!(
        "Filesystem           {}{header:<15}Used Available {} Mounted on\n",
        if p.has('T') { "Type       " } else { "" },
        if posix { "Capacity" } else { "Use%" },
    );
    let listing = p.operands.is_empty();
    for m in &rows {
        if let Some(line) = row(m, unit, posix, p.has('T'), listing && !p.has('a')) {
            out += &line;
        } else if !listing {
            status = 1;
        }
    }
    use std::io::Write;
    if let Err(e) = std::io::stdout().write_all(out.as_bytes()) {
        crate::common::perror("df", "write error", &e);
        return 1;
    }
    status
}

/// One line for mount `m`; `None` when statvfs(2) fails or, with
/// `skip_empty`, when the file system has no blocks (proc, sysfs...).
fn row(m: &Mount, unit: u64, posix: bool, show_type: bool, skip_empty: bool) -> Option<String> {
    let s = match nix::sys::statvfs::statvfs(&m.dir) {
        Ok(s) => s,
        Err(e) => {
            if !skip_empty {
                crate::common::perror("df", lossy(m.dir.as_os_str()), &fsutil::io_err(e));
            }
            return None;
        }
    };
    let (blocks, bfree, bavail) = (s.blocks(), s.blocks_free(), s.blocks_available());
    if skip_empty && blocks == 0 {
        return Some(String::new());
    }
    let frsize = s.fragment_size();
    let used = blocks.saturating_sub(bfree);
    let pct = match used + bavail {
        0 => 0,
        all => (used * 100 + all / 2) / all,
    };
    let amount = |n: u64| {
        if unit == 0 {
            fsutil::human(n, frsize)
        } else {
            // Rounded to the nearest unit, as BusyBox does.
            ((u128::from(n) * u128::from(frsize) + u128::from(unit / 2)) / u128::from(unit))
                .to_string()
        }
    };
    let mut line = String::new();
    let device = lossy(&m.device);
    line += &format!("{device:<20}");
    // A long device name gets a line of its own, unless -P.
    if device.len() > 20 && !posix {
        line += &format!("\n{:20}", "");
    }
    if show_type {
        line += &format!(" {:<10}", m.fstype);
    }
    line += &format!(
        " {:>9} {:>9} {:>9} {:>3}% {}\n",
        amount(blocks),
        amount(used),
        amount(bavail),
        pct,
        lossy(m.dir.as_os_str())
    );
    Some(line)
}
