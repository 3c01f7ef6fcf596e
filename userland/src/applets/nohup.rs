//! `nohup COMMAND [ARG]...`: run a command immune to hangups. Output that
//! would go to a terminal goes to `nohup.out` (or `$HOME/nohup.out`).

use crate::common::{error_msg, perror};
use std::ffi::OsString;
use std::fs::OpenOptions;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::process::Command;

pub const USAGE: &str = "PROG ARGS\n\nRun PROG immune to hangups, with output to a non-tty";

/// Opens `nohup.out` for appending, falling back to `$HOME/nohup.out`.
fn open_out() -> Option<(std::fs::File, String)> {
    let open = |p: &std::path::Path| {
        OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(p)
    };
    if let Ok(f) = open(std::path::Path::new("nohup.out")) {
        return Some((f, "nohup.out".into()));
    }
    let home = std::path::PathBuf::from(std::env::var_os("HOME")?).join("nohup.out");
    match open(&home) {
        Ok(f) => Some((f, home.display().to_string())),
        Err(e) => {
            perror("nohup", format!("can't open '{}'", home.display()), &e);
            None
        }
    }
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let ops: &[OsString] = match args.get(1).map(|a| a.as_encoded_bytes()) {
        Some(b"--help") => {
            crate::common::print_usage("nohup");
            return 0;
        }
        Some(b"--") => &args[2..],
        _ => args.get(1..).unwrap_or_default(),
    };
    if ops.is_empty() {
        crate::common::print_usage_brief("nohup");
        return 127;
    }
    let tty = |fd: i32| nix::unistd::isatty(fd).unwrap_or(false);
    if tty(0) {
        // Input from a terminal could stop us with SIGTTIN: read nothing.
        if let Ok(null) = std::fs::File::open("/dev/null") {
            let _ = nix::unistd::dup2(null.as_raw_fd(), 0);
        }
    }
    if tty(1) {
        let Some((f, name)) = open_out() else {
            return 127;
        };
        error_msg("nohup", &format!("appending output to {name}"));
        let _ = nix::unistd::dup2(f.as_raw_fd(), 1);
    }
    if tty(2) {
        let _ = nix::unistd::dup2(1, 2);
    }
    // SAFETY: ignoring a signal installs no handler code.
    let _ = unsafe {
        nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGHUP,
            nix::sys::signal::SigHandler::SigIgn,
        )
    };
    let mut cmd = Command::new(&ops[0]);
    cmd.args(&ops[1..]);
    super::env::exec("nohup", cmd, &ops[0])
}
