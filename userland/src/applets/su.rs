//! `su`: run a shell as another user (root by default). Root needs no
//! password; others give the target's. Accounts come from `$IBOX_ROOT`.

use crate::accounts::{self, crypt, passwd as pw, Database, Session};
use crate::common::{error_msg, getopt, Exit};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[-lmp] [-s SH] [-c CMD] [-] [USER [ARGS...]]\n\n\
Run shell under USER (by default, root)\n\n\
\t-,-l\tClear environment, go to home dir, run shell as login shell\n\
\t-p,-m\tDo not set new $HOME, $SHELL, $USER, $LOGNAME\n\
\t-c CMD\tCommand to pass to 'sh -c'\n\
\t-s SH\tShell to use instead of user's default";

const APPLET: &str = "su";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "lmps:c:",
        &[
            ("login", 'l'),
            ("preserve-environment", 'p'),
            ("shell", 's'),
            ("command", 'c'),
        ],
        false,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut operands = p.operands.clone().into_iter().peekable();
    let mut login = p.has('l');
    if operands.peek().is_some_and(|o| o.as_bytes() == b"-") {
        login = true;
        operands.next();
    }
    let name = operands.next().unwrap_or_else(|| OsString::from("root"));
    let rest: Vec<OsString> = operands.collect();
    let db = match Database::load("/etc/passwd") {
        Ok(db) => db,
        Err(e) => {
            crate::common::perror(APPLET, "can't open '/etc/passwd'", &e);
            return 1;
        }
    };
    let Some(user) = pw::by_name(&db, name.as_bytes()) else {
        error_msg(
            APPLET,
            &format!("unknown user {}", crate::common::lossy(&name)),
        );
        return 1;
    };
    let caller = nix::unistd::getuid().as_raw();
    if caller != 0 {
        let hash = accounts::stored_hash(&user);
        // An empty hash lets anyone in, as crypt(3)-based su does.
        if !hash.is_empty() {
            let given = accounts::ask_noecho("Password: ").unwrap_or_default();
            if accounts::is_locked(&hash) || !crypt::verify(&given, &hash) {
                std::thread::sleep(std::time::Duration::from_secs(3));
                error_msg(APPLET, "incorrect password");
                return 1;
            }
        }
    }
    let mut shell = accounts::shell_of(&user);
    if let Some(s) = p.value('s') {
        // Others may only pick a shell when theirs is a normal one, so a
        // restricted account stays restricted.
        if caller != 0 && !listed_shell(&shell) {
            error_msg(APPLET, "using restricted shell");
        } else {
            shell = s.as_bytes().to_vec();
        }
    }
    let mut shell_args = Vec::new();
    if let Some(c) = p.value('c') {
        shell_args.push(OsString::from("-c"));
        shell_args.push(c.to_os_string());
    }
    shell_args.extend(rest);
    if let Err(e) = accounts::become_user(&user) {
        crate::common::perror(APPLET, "can't set user id", &e);
        return 1;
    }
    accounts::exec_shell(
        APPLET,
        Session {
            user: &user,
            shell,
            login,
            preserve: p.has('p') || p.has('m'),
            args: shell_args,
        },
    )
}

/// Whether `shell` is listed in /etc/shells (or is /bin/sh when there is
/// no such file, as getusershell(3) assumes).
fn listed_shell(shell: &[u8]) -> bool {
    match Database::load("/etc/shells") {
        Ok(db) if db.exists => db.lines.iter().any(|l| l == shell),
        _ => shell == b"/bin/sh",
    }
}
