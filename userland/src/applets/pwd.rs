//! `pwd [-LP]`: print the working directory.

use crate::common::{getopt, perror, Exit};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub const USAGE: &str = "[-LP]\n\nPrint the full filename of the current working directory\n\n\t-L\tUse $PWD if it names the current directory (default)\n\t-P\tPrint the directory with all symlinks resolved";

/// Entry point: `pwd [-LP]`; the last of -L and -P wins.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "LP", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let physical = p.opts.last().is_some_and(|(c, _)| *c == 'P');
    let dir = match (!physical).then(logical).flatten() {
        Some(d) => d,
        None => match std::env::current_dir() {
            Ok(d) => d.into_os_string(),
            Err(e) => {
                perror("pwd", "getcwd", &e);
                return 1;
            }
        },
    };
    let mut line = dir.into_vec();
    line.push(b'\n');
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(&line).and_then(|()| out.flush()) {
        perror("pwd", "write error", &e);
        return 1;
    }
    0
}

/// `$PWD` when POSIX allows printing it: absolute, without `.` or `..`
/// components, and naming the current directory.
fn logical() -> Option<OsString> {
    let pwd = std::env::var_os("PWD")?;
    let b = pwd.as_bytes();
    if b.first() != Some(&b'/') || b.split(|&c| c == b'/').any(|c| c == b"." || c == b"..") {
        return None;
    }
    let (here, there) = (
        std::fs::metadata(".").ok()?,
        std::fs::metadata(Path::new(&pwd)).ok()?,
    );
    let same = here.dev() == there.dev() && here.ino() == there.ino();
    same.then(|| OsString::from_vec(b.to_vec()))
}
