//! `passwd`: change a user's password in /etc/shadow (or /etc/passwd when
//! the user has no shadow entry), under `$IBOX_ROOT` when set.

use crate::accounts::{self, crypt, passwd as pw, shadow, Database, Lock};
use crate::common::{error_msg, getopt, lossy, usage_error, Exit};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[OPTIONS] [USER]\n\n\
Change USER's password (default: current user)\n\n\
\t-a ALG\tHash algorithm: sha512 (default)\n\
\t-d\tSet password to ''\n\
\t-l\tLock (disable) account\n\
\t-u\tUnlock (enable) account";

const APPLET: &str = "passwd";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "a:dlu", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if let Some(alg) = p.value('a') {
        if !matches!(alg.as_bytes(), b"sha512" | b"SHA512" | b"sha-512") {
            error_msg(APPLET, &format!("unsupported algorithm '{}'", lossy(alg)));
            return 1;
        }
    }
    if p.operands.len() > 1 {
        return usage_error(APPLET, "too many arguments");
    }
    let modes = ['d', 'l', 'u'].iter().filter(|&&c| p.has(c)).count();
    if modes > 1 {
        return usage_error(APPLET, "-d, -l and -u are exclusive");
    }
    let passwd_db = match Database::load("/etc/passwd") {
        Ok(db) => db,
        Err(e) => {
            crate::common::perror(APPLET, "can't open '/etc/passwd'", &e);
            return 1;
        }
    };
    let myuid = nix::unistd::getuid().as_raw();
    let myname = pw::by_uid(&passwd_db, myuid)
        .map(|u| u.name)
        .unwrap_or_else(|| myuid.to_string().into_bytes());
    let name = match p.operands.first() {
        Some(n) => n.as_bytes().to_vec(),
        None => myname.clone(),
    };
    let Some(user) = pw::by_name(&passwd_db, &name) else {
        error_msg(
            APPLET,
            &format!("unknown user {}", String::from_utf8_lossy(&name)),
        );
        return 1;
    };
    // Only root may change others' passwords or lock and unlock.
    if myuid != 0 && (user.uid != myuid || modes > 0) {
        error_msg(APPLET, "permission denied (are you root?)");
        return 1;
    }
    let old = accounts::stored_hash(&user);
    let new = if p.has('d') {
        Vec::new()
    } else if p.has('l') {
        if old.starts_with(b"!") {
            old.clone()
        } else {
            [b"!".as_slice(), &old].concat()
        }
    } else if p.has('u') {
        match old.strip_prefix(b"!") {
            Some(rest) if !rest.is_empty() => rest.to_vec(),
            // Unlocking "!" alone would leave an account without password.
            _ => {
                error_msg(APPLET, "can't unlock: no password set");
                return 1;
            }
        }
    } else {
        println!("Changing password for {}", String::from_utf8_lossy(&name));
        if myuid != 0 && !old.is_empty() {
            let given = accounts::ask_noecho("Old password: ").unwrap_or_default();
            if !crypt::verify(&given, &old) {
                std::thread::sleep(std::time::Duration::from_secs(3));
                error_msg(APPLET, "incorrect password");
                return 1;
            }
        }
        match read_new_password() {
            Some(h) => h,
            None => {
                error_msg(
                    APPLET,
                    &format!(
                        "password for {} is unchanged",
                        String::from_utf8_lossy(&name)
                    ),
                );
                return 1;
            }
        }
    };
    if let Err(e) = store(&name, &new) {
        crate::common::perror(APPLET, "can't update password file", &e);
        return 1;
    }
    println!(
        "{APPLET}: password for {} changed by {}",
        String::from_utf8_lossy(&name),
        String::from_utf8_lossy(&myname)
    );
    0
}

/// Asks for a new password twice and returns its hash; `None` if the two
/// differ or input ends.
pub fn read_new_password() -> Option<Vec<u8>> {
    let first = accounts::ask_noecho("New password: ")?;
    let second = accounts::ask_noecho("Retype password: ")?;
    if first != second {
        println!("Passwords don't match");
        return None;
    }
    let setting = crypt::new_setting().ok()?;
    crypt::sha512_crypt(&first, &setting)
}

/// Writes `hash` as `name`'s password: into /etc/shadow when it has the
/// user (and `x` into /etc/passwd), else into /etc/passwd's field, as
/// BusyBox's update_passwd does.
pub fn store(name: &[u8], hash: &[u8]) -> std::io::Result<()> {
    let _lock = Lock::take()?;
    let mut passwd_field = hash.to_vec();
    let mut sh = Database::load("/etc/shadow")?;
    if sh.exists && shadow::set_password(&mut sh, name, hash, Some(accounts::today())) {
        sh.save(0o600)?;
        passwd_field = b"x".to_vec();
    }
    let mut db = Database::load("/etc/passwd")?;
    if let Some(i) = db.find(name) {
        if let Some(mut u) = pw::User::parse(&db.lines[i]) {
            if u.passwd != passwd_field {
                u.passwd = passwd_field;
                db.lines[i] = u.to_line();
                db.save(0o644)?;
            }
        }
    }
    Ok(())
}
