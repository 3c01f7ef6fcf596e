//! `which [-a] COMMAND...`: show which file in PATH each command runs.

use crate::common::{getopt, Exit};
use crate::text;
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

pub const USAGE: &str = "[-a] COMMAND...\n\nLocate COMMAND\n\n\t-a\tShow all matches";

/// Whether `p` is a regular file someone may execute.
fn executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        && nix::unistd::access(p, nix::unistd::AccessFlags::X_OK).is_ok()
}

/// Entry point: status 1 if any COMMAND was not found.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "a", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.is_empty() {
        crate::common::print_usage_brief("which");
        return 1;
    }
    let path =
        std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/sbin:/usr/sbin:/bin:/usr/bin"));
    let mut out = text::stdout();
    let mut status = 0;
    for name in &p.operands {
        let mut found = false;
        let mut report = |p: &[u8]| {
            found = true;
            out.write_all(p).and_then(|()| out.write_all(b"\n"))
        };
        let r = if name.as_bytes().contains(&b'/') {
            if executable(Path::new(name)) {
                report(name.as_bytes())
            } else {
                Ok(())
            }
        } else {
            let mut r = Ok(());
            for dir in path.as_bytes().split(|&c| c == b':') {
                // An empty PATH element means the current directory.
                let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
                let mut cand = dir.to_vec();
                cand.push(b'/');
                cand.extend_from_slice(name.as_bytes());
                if !name.is_empty() && executable(Path::new(OsStr::from_bytes(&cand))) {
                    r = report(&cand);
                    if !p.has('a') || r.is_err() {
                        break;
                    }
                }
            }
            r
        };
        if let Err(e) = r {
            return text::write_failed("which", &e);
        }
        if !found {
            status = 1;
        }
    }
    text::finish("which", &mut out, status)
}
