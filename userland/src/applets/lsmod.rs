//! `lsmod`: the loaded kernel modules, from /proc/modules.

use crate::common::{getopt, perror, Exit};
use std::ffi::OsString;
use std::io::Write;

pub const USAGE: &str = "\n\nList loaded kernel modules";

/// Entry point: BusyBox's columns (name, size, use count, users).
pub fn main(args: Vec<OsString>) -> i32 {
    if let Err(Exit(code)) = getopt(&args, "", &[], true) {
        return code;
    }
    let path = crate::procfs::system_file("modules");
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) => {
            perror("lsmod", format!("can't open '{}'", path.display()), &e);
            return 1;
        }
    };
    let mut out = format!("{:<24}Size  Used by\n", "Module");
    for line in String::from_utf8_lossy(&text).lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [name, size, used, users, ..] = f.as_slice() else {
            continue;
        };
        let users = if *users == "-" {
            ""
        } else {
            users.trim_end_matches(',')
        };
        let row = format!("{name:<19} {size:>8} {used:>2} {users}");
        out.push_str(row.trim_end());
        out.push('\n');
    }
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Ok(()) => 0,
        Err(e) => crate::text::write_failed("lsmod", &e),
    }
}
