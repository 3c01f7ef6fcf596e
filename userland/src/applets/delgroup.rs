//! `delgroup`: delete a group, or remove a user from a group, in
//! /etc/group under `$IBOX_ROOT` when set.

use crate::accounts::{self, group as gr, passwd as pw, Database, Lock};
use crate::common::{error_msg, getopt, usage_error, Exit};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[USER] GROUP\n\nDelete group GROUP or remove USER from GROUP";

const APPLET: &str = "delgroup";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "", &[], true) {
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
    let result = if p.operands.len() == 2 {
        remove_member(p.operands[0].as_bytes(), p.operands[1].as_bytes())
    } else {
        let _lock = match Lock::take() {
            Ok(l) => l,
            Err(e) => {
                error_msg(APPLET, &io_msg("can't lock '/etc/passwd'", e));
                return 1;
            }
        };
        delete_group(p.operands[0].as_bytes(), true)
    };
    match result {
        Ok(()) => 0,
        Err(msg) => {
            error_msg(APPLET, &msg);
            1
        }
    }
}

/// Formats an I/O failure as `what: reason`.
fn io_msg(what: &str, e: std::io::Error) -> String {
    format!("{what}: {}", crate::common::strerror(&e))
}

fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Deletes group `name` unless it is some user's login group; with
/// `must_exist`, a missing group is an error. The caller holds the lock.
pub fn delete_group(name: &[u8], must_exist: bool) -> Result<(), String> {
    let mut db = Database::load("/etc/group").map_err(|e| io_msg("can't open '/etc/group'", e))?;
    let Some(i) = db.find(name) else {
        return if must_exist {
            Err(format!("unknown group {}", show(name)))
        } else {
            Ok(())
        };
    };
    if let Some(g) = gr::Group::parse(&db.lines[i]) {
        let users =
            Database::load("/etc/passwd").map_err(|e| io_msg("can't open '/etc/passwd'", e))?;
        if let Some(u) = pw::users(&users).into_iter().find(|u| u.gid == g.gid) {
            return Err(format!(
                "'{}' still has '{}' as their primary group!",
                show(&u.name),
                show(name)
            ));
        }
    }
    db.lines.remove(i);
    db.save(0o644)
        .map_err(|e| io_msg("can't update '/etc/group'", e))
}

/// Removes `user` from the member list of `group` (`delgroup USER GROUP`,
/// `deluser USER GROUP`).
pub fn remove_member(user: &[u8], group: &[u8]) -> Result<(), String> {
    let _lock = Lock::take().map_err(|e| io_msg("can't lock '/etc/passwd'", e))?;
    let mut db = Database::load("/etc/group").map_err(|e| io_msg("can't open '/etc/group'", e))?;
    let i = db
        .find(group)
        .ok_or_else(|| format!("unknown group {}", show(group)))?;
    let mut g = gr::Group::parse(&db.lines[i])
        .ok_or_else(|| format!("malformed entry for group {}", show(group)))?;
    let before = g.members.len();
    g.members.retain(|m| m != user);
    if g.members.len() == before {
        return Err(format!(
            "can't find {} in group {}",
            show(user),
            show(group)
        ));
    }
    db.lines[i] = g.to_line();
    db.save(0o644)
        .map_err(|e| io_msg("can't update '/etc/group'", e))
}
