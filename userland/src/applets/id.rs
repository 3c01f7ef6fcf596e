//! `id [-u|-g|-G] [-nr] [USER]`: print user and group ids.

use crate::common::{error_msg, getopt, lossy, usage_error, Exit};
use crate::fsutil::{group_name, user_by_name, user_name};
use std::ffi::OsString;

pub const USAGE: &str = "[-ugGnr] [USER]\n\nPrint information about USER or the current user\n\n\t-u\tUser ID\n\t-g\tGroup ID\n\t-G\tSupplementary group IDs\n\t-n\tPrint names instead of numbers\n\t-r\tPrint real ID instead of effective ID";

/// The groups that list `user` as a member in /etc/group.
fn member_groups(user: &[u8]) -> Vec<u32> {
    let Ok(data) = std::fs::read("/etc/group") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for line in data.split(|&c| c == b'\n') {
        let f: Vec<&[u8]> = line.split(|&c| c == b':').collect();
        if f.len() < 4 {
            continue;
        }
        if f[3].split(|&c| c == b',').any(|m| m == user) {
            if let Some(gid) = std::str::from_utf8(f[2]).ok().and_then(|g| g.parse().ok()) {
                out.push(gid);
            }
        }
    }
    out
}

/// `N(name)`, or just `N` when the name is unknown.
fn both(id: u32, name: Option<String>) -> String {
    match name {
        Some(n) => format!("{id}({n})"),
        None => id.to_string(),
    }
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "ugGnr",
        &[
            ("user", 'u'),
            ("group", 'g'),
            ("groups", 'G'),
            ("name", 'n'),
            ("real", 'r'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let which = ['u', 'g', 'G'].iter().filter(|&&c| p.has(c)).count();
    if which > 1 {
        return usage_error("id", "cannot print \"only\" of more than one choice");
    }
    if p.operands.len() > 1 {
        return usage_error("id", "too many arguments");
    }
    if which == 0 && (p.has('n') || p.has('r')) {
        return usage_error(
            "id",
            "cannot print only names or real IDs in default format",
        );
    }
    let (uid, gid, euid, egid, groups) = match p.operands.first() {
        Some(name) => {
            let Some((uid, gid)) = user_by_name(name).or_else(|| {
                // A number names a user too.
                let uid: u32 = lossy(name).parse().ok()?;
                let n = user_name(uid)?;
                user_by_name(std::ffi::OsStr::new(&n))
            }) else {
                error_msg("id", &format!("unknown user {}", lossy(name)));
                return 1;
            };
            let uname = user_name(uid).unwrap_or_else(|| lossy(name).into_owned());
            let mut groups = vec![gid];
            for g in member_groups(uname.as_bytes()) {
                if !groups.contains(&g) {
                    groups.push(g);
                }
            }
            (uid, gid, uid, gid, groups)
        }
        None => {
            let (uid, euid) = (
                nix::unistd::getuid().as_raw(),
                nix::unistd::geteuid().as_raw(),
            );
            let (gid, egid) = (
                nix::unistd::getgid().as_raw(),
                nix::unistd::getegid().as_raw(),
            );
            let mut groups = vec![egid];
            for g in nix::unistd::getgroups().unwrap_or_default() {
                if !groups.contains(&g.as_raw()) {
                    groups.push(g.as_raw());
                }
            }
            (uid, gid, euid, egid, groups)
        }
    };
    let names = p.has('n');
    let show = |id: u32, name: Option<String>| -> String {
        if names {
            name.unwrap_or_else(|| id.to_string())
        } else {
            id.to_string()
        }
    };
    let line = if p.has('u') {
        let id = if p.has('r') { uid } else { euid };
        show(id, user_name(id))
    } else if p.has('g') {
        let id = if p.has('r') { gid } else { egid };
        show(id, group_name(id))
    } else if p.has('G') {
        groups
            .iter()
            .map(|&g| show(g, group_name(g)))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        let mut s = format!(
            "uid={} gid={}",
            both(uid, user_name(uid)),
            both(gid, group_name(gid))
        );
        if euid != uid {
            s.push_str(&format!(" euid={}", both(euid, user_name(euid))));
        }
        if egid != gid {
            s.push_str(&format!(" egid={}", both(egid, group_name(egid))));
        }
        let list: Vec<String> = groups.iter().map(|&g| both(g, group_name(g))).collect();
        s.push_str(&format!(" groups={}", list.join(",")));
        s
    };
    crate::fsutil::say(&line);
    0
}
