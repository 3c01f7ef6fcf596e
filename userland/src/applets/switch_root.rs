//! `switch_root [-c CONSOLE] NEW_ROOT NEW_INIT [ARGS]`: from an initramfs,
//! free the old root's files, move NEW_ROOT onto `/`, chroot into it and
//! exec NEW_INIT as PID 1.
//!
//! Every check comes before anything is changed, read-only ones first, so
//! that a mistaken run (not PID 1, a root that is not ramfs/tmpfs, a NEW_ROOT
//! that is not a mount point or lacks NEW_INIT) only prints why it refused.

use crate::common::{error_msg, getopt, usage_error, Exit};
use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

pub const USAGE: &str = "[-c CONSOLE_DEV] NEW_ROOT NEW_INIT [ARGS]\n\nFree initramfs and switch to another root fs:\nchroot to NEW_ROOT, delete all in /, move NEW_ROOT to /,\nexecute NEW_INIT. PID must be 1. NEW_ROOT must be a mountpoint.\n\n\t-c DEV\tReopen stdio to DEV after switch";

/// statfs magic numbers of the filesystems an initramfs lives on.
const RAMFS_MAGIC: i64 = 0x858458f6;
const TMPFS_MAGIC: i64 = 0x01021994;

/// Entry point: only returns on failure.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "c:", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let [new_root, init, init_args @ ..] = p.operands.as_slice() else {
        return usage_error("switch_root", "NEW_ROOT and NEW_INIT are required");
    };
    let root = Path::new(new_root);
    let shown = root.display();
    let (root_meta, parent_meta) =
        match (std::fs::metadata(root), std::fs::metadata(root.join(".."))) {
            (Ok(r), Ok(p)) if r.is_dir() => (r, p),
            (Err(e), _) | (_, Err(e)) => {
                crate::common::perror("switch_root", format!("can't access '{shown}'"), &e);
                return 1;
            }
            _ => {
                error_msg("switch_root", &format!("'{shown}' is not a directory"));
                return 1;
            }
        };
    // A mount point's device differs from its parent's, and the new root
    // must not be on the old root's device, or the old files' removal
    // below would reach it.
    let slash_dev = std::fs::metadata("/").map(|m| m.dev()).ok();
    if root_meta.dev() == parent_meta.dev() || Some(root_meta.dev()) == slash_dev {
        error_msg("switch_root", &format!("'{shown}' is not a mount point"));
        return 1;
    }
    let init_rel = init
        .as_bytes()
        .strip_prefix(b"/")
        .unwrap_or(init.as_bytes());
    let init_path = root.join(std::ffi::OsStr::from_bytes(init_rel));
    match std::fs::metadata(&init_path) {
        Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => {}
        _ => {
            error_msg(
                "switch_root",
                &format!("'{}' is not an executable file", init_path.display()),
            );
            return 1;
        }
    }
    if std::process::id() != 1 {
        error_msg("switch_root", "PID must be 1");
        return 1;
    }
    match nix::sys::statfs::statfs("/") {
        Ok(fs) if [RAMFS_MAGIC, TMPFS_MAGIC].contains(&fs.filesystem_type().0) => {}
        _ => {
            error_msg("switch_root", "root filesystem is not ramfs/tmpfs");
            return 1;
        }
    }
    let old_dev = match std::fs::metadata("/") {
        Ok(m) => m.dev(),
        Err(e) => {
            crate::common::perror("switch_root", "/", &e);
            return 1;
        }
    };
    // The initramfs's files would otherwise pin memory forever. Only the
    // root filesystem's own files go: never across a mount point.
    delete_contents(Path::new("/"), old_dev);
    if let Err(e) = std::env::set_current_dir(root) {
        crate::common::perror(
            "switch_root",
            format!("can't change directory to '{shown}'"),
            &e,
        );
        return 1;
    }
    let moved = nix::mount::mount(
        Some("."),
        "/",
        None::<&str>,
        nix::mount::MsFlags::MS_MOVE,
        None::<&str>,
    );
    if let Err(e) = moved {
        error_msg("switch_root", &format!("error moving root: {}", e.desc()));
        return 1;
    }
    if let Err(e) = nix::unistd::chroot(".").and_then(|()| nix::unistd::chdir("/")) {
        error_msg(
            "switch_root",
            &format!("can't change root directory to '.': {}", e.desc()),
        );
        return 1;
    }
    if let Some(console) = p.value('c') {
        reopen_console(console);
    }
    let mut argv = vec![init.clone()];
    argv.extend(init_args.iter().cloned());
    let Ok(argv) = argv
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<Vec<_>, _>>()
    else {
        error_msg("switch_root", "argument contains a NUL byte");
        return 1;
    };
    let err = nix::unistd::execv(&argv[0], &argv).unwrap_err();
    error_msg(
        "switch_root",
        &format!("can't execute '{}': {}", init.to_string_lossy(), err.desc()),
    );
    1
}

/// Removes everything under `dir` that is on device `dev`, leaving mount
/// points (other devices) and their contents alone.
fn delete_contents(dir: &Path, dev: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.dev() != dev {
            continue;
        }
        if meta.is_dir() {
            delete_contents(&path, dev);
            let _ = std::fs::remove_dir(&path);
        } else {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// Points standard input, output and error at `console`.
fn reopen_console(console: &std::ffi::OsStr) {
    use std::os::fd::AsRawFd;
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(console)
    {
        Ok(f) => {
            for fd in 0..3 {
                // SAFETY: dup2 onto the standard descriptors, which we own.
                unsafe { nix::libc::dup2(f.as_raw_fd(), fd) };
            }
        }
        Err(e) => crate::common::perror("switch_root", console.to_string_lossy(), &e),
    }
}
