//! `mkdir [-p] [-m MODE] DIR...`: create directories.

use crate::common::{error_msg, getopt, perror, usage_error, Exit};
use crate::fsutil::parse_mode;
use std::ffi::OsString;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

pub const USAGE: &str = "[-m MODE] [-p] DIRECTORY...\n\nCreate DIRECTORY\n\n\t-m MODE\tMode\n\t-p\tNo error if exists; make parent directories as needed";

/// Entry point: `mkdir [-pv] [-m MODE] DIR...`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "m:pv",
        &[("mode", 'm'), ("parents", 'p'), ("verbose", 'v')],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mode = match p.value('m') {
        None => None,
        // Symbolic modes apply to a+rwx, as in BusyBox: `-m u-w` is 0577.
        Some(text) => match parse_mode(&text.to_string_lossy(), 0o777, true) {
            Some(m) => Some(m),
            None => {
                error_msg(
                    "mkdir",
                    &format!("invalid mode '{}'", text.to_string_lossy()),
                );
                return 1;
            }
        },
    };
    if p.operands.is_empty() {
        return usage_error("mkdir", "missing operand");
    }
    let mut status = 0;
    for dir in &p.operands {
        let path = Path::new(dir);
        if let Err((what, e)) = make(path, mode, p.has('p')) {
            perror("mkdir", format!("{what} '{}'", path.display()), &e);
            status = 1;
        } else if p.has('v') {
            let line = format!("mkdir: created directory '{}'\n", path.display());
            if let Err(e) = std::io::stdout().write_all(line.as_bytes()) {
                perror("mkdir", "write error", &e);
                status = 1;
            }
        }
    }
    status
}

/// Creates `path`; on failure says what failed ("can't create directory",
/// "can't chmod") and why.
fn make(path: &Path, mode: Option<u32>, parents: bool) -> Result<(), (&'static str, io::Error)> {
    const CREATE: &str = "can't create directory";
    if parents {
        if path.is_dir() {
            return Ok(());
        }
        // Parents get the default mode, not MODE, as in coreutils and
        // BusyBox: `mkdir -p -m 500 a/b` must still be able to create `b`.
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .create(parent)
                .map_err(|e| (CREATE, e))?;
        }
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.mode(mode.unwrap_or(0o777));
    match builder.create(path) {
        Ok(()) => {}
        // Another process may have made it between the check and mkdir(2).
        Err(e) if parents && e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => {
            return Ok(())
        }
        Err(e) => return Err((CREATE, e)),
    }
    // The umask narrows the mode given to mkdir(2); an explicit -m is meant
    // exactly (setuid/setgid/sticky bits included), so set it again.
    if let Some(m) = mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m))
            .map_err(|e| ("can't chmod", e))?;
    }
    Ok(())
}
