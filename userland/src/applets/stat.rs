//! `stat [-Lt] [-c FMT] FILE...`: show file status.

use crate::common::{getopt, lossy, perror, print_usage_brief, Exit};
use crate::fsutil::{self, show};
use std::ffi::OsString;
use std::fs::Metadata;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub const USAGE: &str = "[-Lt] [-c FMT] FILE...\n\nDisplay file status\n\n\t-c FMT\tUse the specified format\n\t-L\tFollow links\n\t-t\tTerse display\n\nFMT sequences:\n %a\tAccess rights in octal\n %A\tAccess rights in human readable form\n %b\tNumber of blocks allocated (see %B)\n %B\tSize in bytes of each block reported by %b\n %d\tDevice number in decimal\n %D\tDevice number in hex\n %f\tRaw mode in hex\n %F\tFile type\n %g\tGroup ID of owner\n %G\tGroup name of owner\n %h\tNumber of hard links\n %i\tInode number\n %m\tMount point\n %n\tFile name\n %N\tFile name, with -> TARGET if symlink\n %o\tI/O block size\n %s\tTotal size in bytes\n %t\tMajor device type in hex\n %T\tMinor device type in hex\n %u\tUser ID of owner\n %U\tUser name of owner\n %x\tTime of last access\n %X\tTime of last access as seconds since Epoch\n %y\tTime of last modification\n %Y\tTime of last modification as seconds since Epoch\n %z\tTime of last change\n %Z\tTime of last change as seconds since Epoch";

/// Entry point: `stat [-Lt] [-c FMT] FILE...`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "c:Lt",
        &[("format", 'c'), ("dereference", 'L'), ("terse", 't')],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.is_empty() {
        print_usage_brief("stat");
        return 1;
    }
    let format = match p.value('c') {
        Some(f) => f.as_encoded_bytes().to_vec(),
        None if p.has('t') => b"%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %o".to_vec(),
        None => Vec::new(),
    };
    let mut out = std::io::stdout().lock();
    let mut status = 0;
    for file in &p.operands {
        let path = Path::new(file);
        let meta = if p.has('L') {
            std::fs::metadata(path)
        } else {
            std::fs::symlink_metadata(path)
        };
        let meta = match meta {
            Ok(m) => m,
            Err(e) => {
                let _ = out.flush();
                perror("stat", format!("can't stat '{}'", show(path)), &e);
                status = 1;
                continue;
            }
        };
        let mut text = if format.is_empty() {
            default_output(path, &meta)
        } else {
            expand(&format, path, &meta)
        };
        text.push(b'\n');
        if let Err(e) = out.write_all(&text) {
            perror("stat", "write error", &e);
            return 1;
        }
    }
    if let Err(e) = out.flush() {
        perror("stat", "write error", &e);
        return 1;
    }
    status
}

/// Expands the `%` sequences of `format` for one file; an unknown one
/// prints `?`, as in BusyBox.
fn expand(format: &[u8], path: &Path, m: &Metadata) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < format.len() {
        let c = format[i];
        i += 1;
        if c != b'%' || i >= format.len() {
            out.push(c);
            continue;
        }
        let spec = format[i];
        i += 1;
        let text = match spec {
            b'%' => "%".to_string(),
            b'n' => {
                out.extend_from_slice(path.as_os_str().as_encoded_bytes());
                continue;
            }
            b'N' => quoted_name(path, m),
            b'a' => format!("{:o}", m.mode() & 0o7777),
            b'A' => crate::applets::ls::mode_string(m),
            b'b' => m.blocks().to_string(),
            b'B' => "512".to_string(),
            b'd' => m.dev().to_string(),
            b'D' => format!("{:x}", m.dev()),
            b'f' => format!("{:x}", m.mode()),
            b'F' => fsutil::file_type_name(m).to_string(),
            b'g' => m.gid().to_string(),
            b'G' => fsutil::group_name(m.gid()).unwrap_or_else(|| "UNKNOWN".into()),
            b'h' => m.nlink().to_string(),
            b'i' => m.ino().to_string(),
            b'm' => fsutil::mount_of(path)
                .map(|mnt| lossy(mnt.dir.as_os_str()).into_owned())
                .unwrap_or_else(|| "?".into()),
            b'o' => m.blksize().to_string(),
            b's' => m.size().to_string(),
            b't' => format!("{:x}", nix::sys::stat::major(m.rdev())),
            b'T' => format!("{:x}", nix::sys::stat::minor(m.rdev())),
            b'u' => m.uid().to_string(),
            b'U' => fsutil::user_name(m.uid()).unwrap_or_else(|| "UNKNOWN".into()),
            b'x' => human_time(m.atime(), m.atime_nsec()),
            b'X' => m.atime().to_string(),
            b'y' => human_time(m.mtime(), m.mtime_nsec()),
            b'Y' => m.mtime().to_string(),
            b'z' => human_time(m.ctime(), m.ctime_nsec()),
            b'Z' => m.ctime().to_string(),
            _ => "?".to_string(),
        };
        out.extend_from_slice(text.as_bytes());
    }
    out
}

/// `'name'`, or `'name' -> 'target'` for a symlink.
fn quoted_name(path: &Path, m: &Metadata) -> String {
    match std::fs::read_link(path) {
        Ok(target) if m.file_type().is_symlink() => {
            format!("'{}' -> '{}'", show(path), show(&target))
        }
        _ => format!("'{}'", show(path)),
    }
}

/// `2024-01-02 03:04:05.123456789 +0000` (UTC: the system has no zones).
fn human_time(secs: i64, nsec: i64) -> String {
    format!("{}.{nsec:09} +0000", crate::calendar::format_time(secs))
}

/// BusyBox's multi-line report.
fn default_output(path: &Path, m: &Metadata) -> Vec<u8> {
    let name = if m.file_type().is_symlink() {
        quoted_name(path, m)
    } else {
        format!("'{}'", show(path))
    };
    let mut s = format!("  File: {name}\n");
    s += &format!(
        "  Size: {:<10}\tBlocks: {:<10} IO Block: {:<6} {}\n",
        m.size(),
        m.blocks(),
        m.blksize(),
        fsutil::file_type_name(m)
    );
    s += &format!(
        "Device: {:x}h/{}d\tInode: {:<10}  Links: {:<5}",
        m.dev(),
        m.dev(),
        m.ino(),
        m.nlink()
    );
    let ft = m.file_type();
    use std::os::unix::fs::FileTypeExt;
    if ft.is_char_device() || ft.is_block_device() {
        s += &format!(
            " Device type: {:x},{:x}\n",
            nix::sys::stat::major(m.rdev()),
            nix::sys::stat::minor(m.rdev())
        );
    } else {
        s.push('\n');
    }
    s += &format!(
        "Access: ({:04o}/{})  Uid: ({:5}/{:>8})   Gid: ({:5}/{:>8})\n",
        m.mode() & 0o7777,
        crate::applets::ls::mode_string(m),
        m.uid(),
        fsutil::user_name(m.uid()).unwrap_or_else(|| "UNKNOWN".into()),
        m.gid(),
        fsutil::group_name(m.gid()).unwrap_or_else(|| "UNKNOWN".into()),
    );
    s += &format!("Access: {}\n", human_time(m.atime(), m.atime_nsec()));
    s += &format!("Modify: {}\n", human_time(m.mtime(), m.mtime_nsec()));
    s += &format!("Change: {}", human_time(m.ctime(), m.ctime_nsec()));
    s.into_bytes()
}
