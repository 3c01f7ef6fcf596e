//! `addgroup`: create a group, or add an existing user to a group, in
//! /etc/group under `$IBOX_ROOT` when set.

use crate::accounts::{self, group as gr, passwd as pw, Database, Lock};
use crate::common::{error_msg, getopt, lossy, usage_error, Exit};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[-g GID] [-S] [USER] GROUP\n\n\
Add a group or add a user to a group\n\n\
\t-g GID\tGroup id\n\
\t-S\tCreate a system group";

const APPLET: &str = "addgroup";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "g:S", &[], true) {
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
    if p.operands.len() == 2 {
        if p.has('g') || p.has('S') {
            return usage_error(APPLET, "-g and -S only create groups");
        }
        return add_member(APPLET, p.operands[0].as_bytes(), p.operands[1].as_bytes());
    }
    let name = p.operands[0].as_bytes();
    if !accounts::valid_name(name) {
        error_msg(
            APPLET,
            &format!("invalid group name '{}'", lossy(OsStr::from_bytes(name))),
        );
        return 1;
    }
    let gid = match p.value('g') {
        Some(g) => match accounts::parse_id(g.as_bytes()) {
            Some(gid) => Some(gid),
            None => {
                error_msg(APPLET, &format!("invalid number '{}'", lossy(g)));
                return 1;
            }
        },
        None => None,
    };
    match create(name, gid, p.has('S')) {
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

/// Adds group `name` with `gid` or the next free id (100..999 for a
/// system group, else from 1000).
fn create(name: &[u8], gid: Option<u32>, system: bool) -> Result<(), String> {
    let _lock = Lock::take().map_err(|e| io_msg("can't lock '/etc/passwd'", e))?;
    let mut db = Database::load("/etc/group").map_err(|e| io_msg("can't open '/etc/group'", e))?;
    let groups = gr::groups(&db);
    if db.find(name).is_some() {
        return Err(format!("group '{}' in use", String::from_utf8_lossy(name)));
    }
    let gid = match gid {
        Some(g) if groups.iter().any(|x| x.gid == g) => return Err(format!("gid '{g}' in use")),
        Some(g) => g,
        None => {
            let (lo, hi) = if system { (100, 999) } else { (1000, 64999) };
            accounts::next_free_id(lo, hi, |id| groups.iter().any(|x| x.gid == id))
                .ok_or("no gids left")?
        }
    };
    db.lines.push(
        gr::Group {
            name: name.to_vec(),
            passwd: b"x".to_vec(),
            gid,
            members: Vec::new(),
        }
        .to_line(),
    );
    db.save(0o644)
        .map_err(|e| io_msg("can't update '/etc/group'", e))
}

/// Adds existing `user` to the member list of existing `group`; for
/// `addgroup USER GROUP` and `adduser USER GROUP`. Returns the exit status.
pub fn add_member(applet: &str, user: &[u8], group: &[u8]) -> i32 {
    let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let result = (|| -> Result<(), String> {
        let _lock = Lock::take().map_err(|e| io_msg("can't lock '/etc/passwd'", e))?;
        let users =
            Database::load("/etc/passwd").map_err(|e| io_msg("can't open '/etc/passwd'", e))?;
        if pw::by_name(&users, user).is_none() {
            return Err(format!("unknown user {}", show(user)));
        }
        let mut db =
            Database::load("/etc/group").map_err(|e| io_msg("can't open '/etc/group'", e))?;
        let i = db
            .find(group)
            .ok_or_else(|| format!("unknown group {}", show(group)))?;
        let mut g = gr::Group::parse(&db.lines[i])
            .ok_or_else(|| format!("malformed entry for group {}", show(group)))?;
        if g.members.iter().any(|m| m == user) {
            return Err(format!(
                "'{}' already in group '{}'",
                show(user),
                show(group)
            ));
        }
        g.members.push(user.to_vec());
        db.lines[i] = g.to_line();
        db.save(0o644)
            .map_err(|e| io_msg("can't update '/etc/group'", e))
    })();
    match result {
        Ok(()) => 0,
        Err(msg) => {
            error_msg(applet, &msg);
            1
        }
    }
}
