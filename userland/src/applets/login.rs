//! `login`: ask for a user name and password, check them against the
//! account files (under `$IBOX_ROOT`) and start the user's login shell.

use crate::accounts::{self, crypt, passwd as pw, Database, Session};
use crate::common::{error_msg, getopt, usage_error, Exit};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[-p] [-h HOST] [[-f] USER]\n\n\
Begin a new session on the system\n\n\
\t-f\tDon't authenticate (user already authenticated)\n\
\t-h HOST\tHost user came from (for network logins)\n\
\t-p\tPreserve environment";

const APPLET: &str = "login";

/// Failed attempts allowed before giving up, as BusyBox.
const ATTEMPTS: u32 = 3;
/// Pause after a failed attempt, making guessing slow.
const FAIL_DELAY: std::time::Duration = std::time::Duration::from_secs(3);

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "fh:p", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.len() > 1 {
        return usage_error(APPLET, "too many arguments");
    }
    let root = nix::unistd::getuid().is_root();
    if p.has('f') && !root {
        error_msg(APPLET, "-f is for root only");
        return 1;
    }
    let mut name = p.operands.first().map(|n| n.as_bytes().to_vec());
    let mut count = 0;
    let user = loop {
        let n = match name.take() {
            Some(n) if !n.is_empty() => n,
            _ => match accounts::ask("login: ") {
                Some(n) if n.is_empty() => continue,
                Some(n) => n,
                // Input ended: nobody is there to log in.
                None => return 1,
            },
        };
        let db = Database::load("/etc/passwd").ok();
        let user = db.as_ref().and_then(|db| pw::by_name(db, &n));
        if p.has('f') {
            if let Some(u) = user {
                break u;
            }
        } else {
            let hash = user.as_ref().map(accounts::stored_hash);
            // An empty password needs no prompt; unknown and locked users
            // are still asked, so the prompt does not tell which exist.
            let ok = match &hash {
                Some(h) if h.is_empty() => true,
                _ => {
                    let given = accounts::ask_noecho("Password: ").unwrap_or_default();
                    hash.as_ref()
                        .is_some_and(|h| !accounts::is_locked(h) && crypt::verify(&given, h))
                }
            };
            if ok {
                if let Some(u) = user {
                    break u;
                }
            }
        }
        std::thread::sleep(FAIL_DELAY);
        println!("Login incorrect");
        count += 1;
        if count >= ATTEMPTS {
            return 1;
        }
    };
    if nix::unistd::isatty(0).unwrap_or(false) {
        // The terminal becomes the user's and nobody else's to read.
        let stdin = std::io::stdin();
        let _ = std::os::unix::fs::fchown(&stdin, Some(user.uid), Some(user.gid));
        let _ = nix::sys::stat::fchmod(
            std::os::fd::AsRawFd::as_raw_fd(&stdin),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        );
    }
    if let Err(e) = accounts::become_user(&user) {
        crate::common::perror(APPLET, "can't set user id", &e);
        return 1;
    }
    motd(&user);
    accounts::exec_shell(
        APPLET,
        Session {
            shell: accounts::shell_of(&user),
            user: &user,
            login: true,
            preserve: p.has('p'),
            args: Vec::new(),
        },
    )
}

/// Shows /etc/motd unless the user has a `.hushlogin`.
fn motd(user: &pw::User) {
    let home = accounts::under_root(&user.home);
    if home.join(".hushlogin").exists() {
        return;
    }
    if let Ok(text) = std::fs::read(accounts::under_root(b"/etc/motd")) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&text);
        let _ = out.flush();
    }
}
