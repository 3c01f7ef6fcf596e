//! `mkdir [-p] [-m MODE] DIR...`: create directories.

use crate::common::{getopt, perror, Exit};
use std::ffi::OsString;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

pub const USAGE: &str = "[-m MODE] [-p] DIRECTORY...\n\nCreate DIRECTORY\n\n\t-m MODE\tMode\n\t-p\tNo error if exists; make parent directories as needed";

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
        Some(text) => match u32::from_str_radix(&text.to_string_lossy(), 8) {
            Ok(m) if m <= 0o7777 => Some(m),
            _ => {
                crate::common::error_msg(
                    "mkdir",
                    &format!("invalid mode '{}'", text.to_string_lossy()),
                );
                return 1;
            }
        },
    };
    if p.operands.is_empty() {
        return crate::common::usage_error("mkdir", "missing operand");
    }
    let mut status = 0;
    for dir in &p.operands {
        let path = Path::new(dir);
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(p.has('p'));
        if let Some(m) = mode {
            builder.mode(m);
        }
        match builder.create(path) {
            Ok(()) => {
                // The umask narrows the mode given to mkdir(2); an explicit -m
                // is meant exactly, so set it again afterwards.
                if let Some(m) = mode {
                    if let Err(e) =
                        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m))
                    {
                        perror("mkdir", format!("can't chmod '{}'", path.display()), &e);
                        status = 1;
                    }
                }
                if p.has('v') {
                    println!("mkdir: created directory '{}'", path.display());
                }
            }
            Err(e) => {
                perror(
                    "mkdir",
                    format!("can't create directory '{}'", path.display()),
                    &e,
                );
                status = 1;
            }
        }
    }
    status
}
