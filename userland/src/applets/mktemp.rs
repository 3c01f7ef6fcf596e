//! `mktemp [-dqtu] [-p DIR] [TEMPLATE]`: make a unique temporary file or
//! directory and print its name.

use crate::common::{error_msg, getopt, lossy, perror, print_usage_brief, Exit};
use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::PathBuf;

pub const USAGE: &str = "[-dt] [-p DIR] [TEMPLATE]\n\nCreate a temporary file with name based on TEMPLATE and print its name.\nTEMPLATE must end with XXXXXX (e.g. [/dir/]nameXXXXXX).\nWithout TEMPLATE, -t tmp.XXXXXX is assumed.\n\n\t-d\tMake directory, not file\n\t-q\tFail silently on errors\n\t-t\tPrepend base directory name to TEMPLATE\n\t-p DIR\tUse DIR as a base directory (implies -t)\n\t-u\tDo not create anything; print a name\n\nBase directory is: -p DIR, else $TMPDIR, else /tmp";

/// Entry point: `mktemp [-dqtu] [-p DIR] [TEMPLATE]`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "dqtup:",
        &[
            ("directory", 'd'),
            ("quiet", 'q'),
            ("dry-run", 'u'),
            ("tmpdir", 'p'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.len() > 1 {
        print_usage_brief("mktemp");
        return 1;
    }
    let template = p.operands.first().cloned();
    let in_tmpdir = template.is_none() || p.has('t') || p.has('p');
    let template = template.unwrap_or_else(|| OsString::from("tmp.XXXXXX"));
    let path = if in_tmpdir {
        let base = p
            .value('p')
            .map(OsStr::to_os_string)
            .or_else(|| std::env::var_os("TMPDIR").filter(|d| !d.is_empty()))
            .unwrap_or_else(|| OsString::from("/tmp"));
        PathBuf::from(base).join(&template)
    } else {
        PathBuf::from(&template)
    };
    let what = if p.has('d') { "directory" } else { "file" };
    let fail = |e: &std::io::Error| {
        if !p.has('q') {
            perror(
                "mktemp",
                format!(
                    "failed to create {what} via template '{}'",
                    lossy(&template)
                ),
                e,
            );
        }
        1
    };
    let bytes = path.as_os_str().as_bytes();
    let xs = bytes.iter().rev().take_while(|&&b| b == b'X').count();
    if xs < 6 {
        return fail(&std::io::Error::from_raw_os_error(nix::libc::EINVAL));
    }
    let mut last_err = std::io::Error::from_raw_os_error(nix::libc::EEXIST);
    for _ in 0..100 {
        let mut name = bytes.to_vec();
        let len = name.len();
        fill_random(&mut name[len - xs..]);
        let candidate = PathBuf::from(OsStr::from_bytes(&name));
        let made = if p.has('u') {
            match std::fs::symlink_metadata(&candidate) {
                Ok(_) => Err(std::io::Error::from_raw_os_error(nix::libc::EEXIST)),
                Err(_) => Ok(()),
            }
        } else if p.has('d') {
            std::fs::DirBuilder::new().mode(0o700).create(&candidate)
        } else {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&candidate)
                .map(drop)
        };
        match made {
            Ok(()) => {
                name.push(b'\n');
                if let Err(e) = std::io::stdout().write_all(&name) {
                    error_msg("mktemp", &format!("write error: {e}"));
                    return 1;
                }
                return 0;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_err = e,
            Err(e) => return fail(&e),
        }
    }
    fail(&last_err)
}

/// Replaces every byte of `out` with a random letter or digit, from
/// /dev/urandom or, failing that, the clock and the process id.
fn fill_random(out: &mut [u8]) {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut noise = vec![0u8; out.len()];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut noise));
    if read.is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let mut x = nanos ^ (u64::from(std::process::id()) << 32) | 1;
        for n in noise.iter_mut() {
            // xorshift64: enough to make a name unlikely to be taken.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *n = x as u8;
        }
    }
    for (o, n) in out.iter_mut().zip(noise) {
        *o = CHARS[usize::from(n) % CHARS.len()];
    }
}
