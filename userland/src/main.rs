//! `ibox`: one binary, many programs. It dispatches on the base name of
//! `argv[0]` (so `/bin/ls` linked to `/bin/ibox` runs `ls`), or on its first
//! argument when called as `ibox APPLET ARGS`.

mod accounts;
mod applets;
mod archive;
mod awk;
mod common;
mod control;
mod digest;
mod fsutil;
mod procfs;
mod regex;
mod text;
mod vi;

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

fn main() {
    // Rust ignores SIGPIPE; a Unix tool must die quietly when its reader goes
    // away (`ls | head`), and children started by `sh` inherit this default.
    // SAFETY: setting a signal to SIG_DFL installs no handler code.
    let _ = unsafe {
        nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        )
    };
    let args: Vec<OsString> = std::env::args_os().collect();
    std::process::exit(run(args));
}

/// Runs the applet named by `args[0]` (or by `args[1]` when `args[0]` is `ibox`).
fn run(args: Vec<OsString>) -> i32 {
    let argv0 = args.first().cloned().unwrap_or_default();
    let name = Path::new(&argv0)
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    // A login shell is started as "-sh".
    let name = name
        .as_bytes()
        .strip_prefix(b"-")
        .unwrap_or(name.as_bytes());
    if name != b"ibox" {
        return match applets::find(name) {
            Some(applet) => (applet.main)(args),
            None => {
                common::error_msg(
                    "ibox",
                    &format!("applet not found: {}", String::from_utf8_lossy(name)),
                );
                127
            }
        };
    }
    multi_call(args)
}

/// `ibox --list`, `ibox --install DIR`, `ibox APPLET ARGS`.
fn multi_call(args: Vec<OsString>) -> i32 {
    let Some(first) = args.get(1) else {
        usage();
        return 1;
    };
    match first.as_bytes() {
        b"--list" => {
            for applet in applets::APPLETS {
                println!("{}", applet.name);
            }
            0
        }
        b"--install" => match args.get(2) {
            Some(dir) if args.len() == 3 => install(Path::new(dir)),
            _ => {
                common::error_msg("ibox", "usage: ibox --install DIR");
                1
            }
        },
        b"--help" | b"-h" => {
            usage();
            0
        }
        name => match applets::find(name) {
            Some(applet) => (applet.main)(args[1..].to_vec()),
            None => {
                common::error_msg(
                    "ibox",
                    &format!("applet not found: {}", String::from_utf8_lossy(name)),
                );
                127
            }
        },
    }
}

/// Creates one symbolic link per applet in `dir`, each pointing at this binary.
/// Existing entries are left alone so that an install never clobbers a file.
fn install(dir: &Path) -> i32 {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            common::error_msg("ibox", &format!("can't find own executable: {e}"));
            return 1;
        }
    };
    let mut status = 0;
    for applet in applets::APPLETS {
        let link = dir.join(applet.name);
        if link.symlink_metadata().is_ok() {
            continue;
        }
        if let Err(e) = std::os::unix::fs::symlink(&exe, &link) {
            common::error_msg("ibox", &format!("{}: {e}", link.display()));
            status = 1;
        }
    }
    status
}

fn usage() {
    println!("ibox: Ibex multi-call binary\n");
    println!("Usage: ibox APPLET [ARGS...]\n   or: APPLET [ARGS...]   (via a link named APPLET)");
    println!("   or: ibox --list | --install DIR\n\nApplets:");
    let names: Vec<&str> = applets::APPLETS.iter().map(|a| a.name).collect();
    println!("  {}", names.join(", "));
}
