//! `deluser`: delete a user (passwd and shadow entries, group memberships
//! and the same-named group), or remove a user from a group. Files live
//! under `$IBOX_ROOT` when set.

use crate::accounts::{self, group as gr, passwd as pw, Database, Lock};
use crate::common::{error_msg, getopt, usage_error, Exit};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[--remove-home] USER [GROUP]\n\n\
Delete USER from the system, or remove USER from GROUP\n\n\
\t--remove-home\tRemove the user's home directory";

const APPLET: &str = "deluser";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "", &[("remove-home", 'r')], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.is_empty() || p.operands.len() > 2 {
        return usage_error(
            APPLET,
            if p.operands.is_empty() {
                "missing operand"
            } else {
                "too many arguments"
            },
        );
    }
    if accounts::need_root(APPLET) {
        return 1;
    }
    let name = p.operands[0].as_bytes();
    let result = if p.operands.len() == 2 {
        super::delgroup::remove_member(name, p.operands[1].as_bytes())
    } else {
        delete_user(name, p.has('r'))
    };
    match result {
        Ok(()) => 0,
        Err(msg) => {
            error_msg(APPLET, &msg);
            1
        }
    }
}

fn io_msg(what: &str, e: std::io::Error) -> String {
    format!("{what}: {}", crate::common::strerror(&e))
}

/// Removes `name` from passwd, shadow and every group's member list, then
/// its same-named group if no other user logs in with it.
fn delete_user(name: &[u8], remove_home: bool) -> Result<(), String> {
    let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let _lock = Lock::take().map_err(|e| io_msg("can't lock '/etc/passwd'", e))?;
    let mut passwd_db =
        Database::load("/etc/passwd").map_err(|e| io_msg("can't open '/etc/passwd'", e))?;
    let i = passwd_db
        .find(name)
        .ok_or_else(|| format!("unknown user {}", show(name)))?;
    let user = pw::User::parse(&passwd_db.lines[i]);
    passwd_db.lines.remove(i);
    passwd_db
        .save(0o644)
        .map_err(|e| io_msg("can't update '/etc/passwd'", e))?;
    let mut shadow_db =
        Database::load("/etc/shadow").map_err(|e| io_msg("can't open '/etc/shadow'", e))?;
    if let Some(i) = shadow_db.find(name) {
        shadow_db.lines.remove(i);
        shadow_db
            .save(0o600)
            .map_err(|e| io_msg("can't update '/etc/shadow'", e))?;
    }
    let mut group_db =
        Database::load("/etc/group").map_err(|e| io_msg("can't open '/etc/group'", e))?;
    let mut changed = false;
    for line in group_db.lines.iter_mut() {
        if let Some(mut g) = gr::Group::parse(line) {
            if g.members.iter().any(|m| m == name) {
                g.members.retain(|m| m != name);
                *line = g.to_line();
                changed = true;
            }
        }
    }
    if changed {
        group_db
            .save(0o644)
            .map_err(|e| io_msg("can't update '/etc/group'", e))?;
    }
    // The user's own group goes too, unless someone else still uses it.
    if let Err(msg) = super::delgroup::delete_group(name, false) {
        error_msg(APPLET, &msg);
    }
    if remove_home {
        if let Some(u) = user {
            let home = accounts::under_root(&u.home);
            if std::fs::symlink_metadata(&home).is_err() {
                return Ok(());
            }
            // Never the root itself or anything outside it, whatever the
            // passwd line says (`/`, `/home/..`, a link out of the root).
            let real = std::fs::canonicalize(&home).ok();
            let top = std::fs::canonicalize(accounts::root()).ok();
            let inside = matches!((&real, &top), (Some(r), Some(t)) if r != t && r.starts_with(t));
            if u.home.is_empty() || !inside {
                return Err(format!("not removing home directory '{}'", show(&u.home)));
            }
            let o = crate::fsutil::RemoveOptions {
                recursive: true,
                force: true,
                ..Default::default()
            };
            if !crate::fsutil::remove(APPLET, &home, o) {
                return Err(format!("can't remove home directory '{}'", show(&u.home)));
            }
        }
    }
    Ok(())
}
