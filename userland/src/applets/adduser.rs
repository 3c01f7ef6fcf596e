//! `adduser`: create a user (passwd, shadow and group entries and a home
//! directory), or add an existing user to a group. Files live under
//! `$IBOX_ROOT` when set.

use crate::accounts::{self, group as gr, passwd as pw, shadow, Database, Lock};
use crate::common::{error_msg, getopt, lossy, perror, usage_error, Exit};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub const USAGE: &str = "[OPTIONS] USER [GROUP]\n\n\
Create new user, or add USER to GROUP\n\n\
\t-h DIR\t\tHome directory\n\
\t-g GECOS\tGECOS field\n\
\t-s SHELL\tLogin shell\n\
\t-G GRP\t\tGroup\n\
\t-S\t\tCreate a system user\n\
\t-D\t\tDon't assign a password\n\
\t-H\t\tDon't create home directory\n\
\t-u UID\t\tUser id\n\
\t-k SKEL\t\tSkeleton directory (/etc/skel)";

const APPLET: &str = "adduser";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "h:g:s:G:SDHu:k:", &[], true) {
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
    if p.operands.len() == 2 {
        // `adduser USER GROUP` is `addgroup USER GROUP`.
        return super::addgroup::add_member(APPLET, name, p.operands[1].as_bytes());
    }
    if !accounts::valid_name(name) {
        error_msg(
            APPLET,
            &format!("invalid user name '{}'", lossy(OsStr::from_bytes(name))),
        );
        return 1;
    }
    for c in ['h', 'g', 's'] {
        if p.value(c)
            .is_some_and(|v| !accounts::valid_field(v.as_bytes()))
        {
            error_msg(APPLET, &format!("invalid value for -{c}"));
            return 1;
        }
    }
    let (user, created) = match create(&p, name) {
        Ok(r) => r,
        Err(msg) => {
            error_msg(APPLET, &msg);
            return 1;
        }
    };
    let mut status = 0;
    if created && !p.has('H') && !make_home(&p, &user) {
        status = 1;
    }
    if !p.has('D') {
        // Like BusyBox, run passwd's dialogue for the new user.
        let Some(hash) = super::passwd::read_new_password() else {
            error_msg(APPLET, "password for the new user is unchanged");
            return 1;
        };
        if let Err(e) = super::passwd::store(&user.name, &hash) {
            perror(APPLET, "can't update password file", &e);
            return 1;
        }
    }
    status
}

/// Adds the user's lines to passwd, shadow and (for a new login group)
/// group, under the lock; returns the new user.
fn create(p: &crate::common::Parsed, name: &[u8]) -> Result<(pw::User, bool), String> {
    let io = |what: &str, e: std::io::Error| format!("{what}: {}", crate::common::strerror(&e));
    let _lock = Lock::take().map_err(|e| io("can't lock '/etc/passwd'", e))?;
    let mut passwd_db =
        Database::load("/etc/passwd").map_err(|e| io("can't open '/etc/passwd'", e))?;
    let mut group_db =
        Database::load("/etc/group").map_err(|e| io("can't open '/etc/group'", e))?;
    let mut shadow_db =
        Database::load("/etc/shadow").map_err(|e| io("can't open '/etc/shadow'", e))?;
    let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if passwd_db.find(name).is_some() {
        return Err(format!("user '{}' in use", show(name)));
    }
    let users = pw::users(&passwd_db);
    let groups = gr::groups(&group_db);
    // With -G the user joins an existing group; otherwise a group named
    // after the user is made, and it gets the uid as its gid.
    // A system user joins "nogroup" when there is one, as in BusyBox.
    let nogroup = groups.iter().find(|x| x.name == b"nogroup");
    let use_group = match p.value('G') {
        Some(g) => match groups.iter().find(|x| x.name == g.as_bytes()) {
            Some(x) => Some(x.gid),
            None => return Err(format!("unknown group {}", lossy(g))),
        },
        None if p.has('S') && nogroup.is_some() => nogroup.map(|x| x.gid),
        None => {
            if groups.iter().any(|x| x.name == name) {
                return Err(format!("group '{}' in use", show(name)));
            }
            None
        }
    };
    let uid = match p.value('u') {
        Some(u) => {
            let uid = accounts::parse_id(u.as_bytes())
                .ok_or_else(|| format!("invalid number '{}'", lossy(u)))?;
            if users.iter().any(|x| x.uid == uid) {
                return Err(format!("uid '{uid}' in use"));
            }
            uid
        }
        None => {
            let (lo, hi) = if p.has('S') {
                (100, 999)
            } else {
                (1000, 64999)
            };
            accounts::next_free_id(lo, hi, |id| {
                users.iter().any(|x| x.uid == id)
                    || (use_group.is_none() && groups.iter().any(|g| g.gid == id))
            })
            .ok_or("no uids left")?
        }
    };
    let gid = match use_group {
        Some(g) => g,
        None => {
            let gid = if groups.iter().any(|g| g.gid == uid) {
                accounts::next_free_id(uid, u32::MAX - 1, |id| groups.iter().any(|g| g.gid == id))
                    .ok_or("no gids left")?
            } else {
                uid
            };
            group_db.lines.push(
                gr::Group {
                    name: name.to_vec(),
                    passwd: b"x".to_vec(),
                    gid,
                    members: Vec::new(),
                }
                .to_line(),
            );
            gid
        }
    };
    let mut home = b"/home/".to_vec();
    home.extend_from_slice(name);
    let user = pw::User {
        name: name.to_vec(),
        passwd: if shadow_db.exists {
            b"x".to_vec()
        } else {
            b"!".to_vec()
        },
        uid,
        gid,
        gecos: p
            .value('g')
            .map_or(b"Linux User,,,".to_vec(), |g| g.as_bytes().to_vec()),
        home: p.value('h').map_or(home, |h| h.as_bytes().to_vec()),
        // System users get no usable shell unless asked.
        shell: p.value('s').map_or_else(
            || {
                if p.has('S') {
                    b"/bin/false".to_vec()
                } else {
                    b"/bin/sh".to_vec()
                }
            },
            |s| s.as_bytes().to_vec(),
        ),
    };
    passwd_db.lines.push(user.to_line());
    passwd_db
        .save(0o644)
        .map_err(|e| io("can't update '/etc/passwd'", e))?;
    if shadow_db.exists && shadow_db.find(name).is_none() {
        shadow_db
            .lines
            .push(shadow::new_line(name, b"!", accounts::today()));
        shadow_db
            .save(0o600)
            .map_err(|e| io("can't update '/etc/shadow'", e))?;
    }
    if use_group.is_none() {
        group_db
            .save(0o644)
            .map_err(|e| io("can't update '/etc/group'", e))?;
    }
    Ok((user, true))
}

/// Creates the home directory under the root (mode 0755, owned by the
/// user), filled from the skeleton directory; `false` after an error.
fn make_home(p: &crate::common::Parsed, user: &pw::User) -> bool {
    let home = accounts::under_root(&user.home);
    let shown = String::from_utf8_lossy(&user.home).into_owned();
    if let Some(parent) = home.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    match std::fs::create_dir(&home) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return true,
        Err(e) => {
            perror(APPLET, format!("can't create directory '{shown}'"), &e);
            return false;
        }
    }
    let mut ok = true;
    let skel = match p.value('k') {
        Some(k) => accounts::under_root(k.as_bytes()),
        None => accounts::under_root(b"/etc/skel"),
    };
    if skel.is_dir() {
        if let Ok(names) = crate::fsutil::read_dir_sorted(&skel) {
            let o = crate::fsutil::CopyOptions {
                recursive: true,
                preserve: false,
                follow: crate::fsutil::Follow::Never,
                force: false,
                interactive: false,
                no_clobber: false,
                verbose: false,
            };
            for n in names {
                ok &= crate::fsutil::copy(APPLET, &skel.join(&n), &home.join(&n), o);
            }
        }
        chown_tree(&home, user.uid, user.gid);
    }
    let _ = crate::fsutil::set_exact_mode(&home, Some(0o755));
    if let Err(e) = std::os::unix::fs::lchown(&home, Some(user.uid), Some(user.gid)) {
        perror(APPLET, format!("can't change owner of '{shown}'"), &e);
        ok = false;
    }
    ok
}

/// Gives everything under `dir` (the copied skeleton) to `uid:gid`.
fn chown_tree(dir: &Path, uid: u32, gid: u32) {
    use crate::fsutil::Event;
    crate::fsutil::walk(dir, crate::fsutil::Follow::Never, false, &mut |ev| {
        if let Event::Enter(path, _) | Event::File(path, _, _) = ev {
            let _ = std::os::unix::fs::lchown(path, Some(uid), Some(gid));
        }
        true
    });
}
