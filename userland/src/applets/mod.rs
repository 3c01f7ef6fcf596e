//! The registration table: every applet is one module here and one row in
//! [`APPLETS`], kept sorted by name.

use std::ffi::OsString;

pub mod cat;
pub mod chgrp;
pub mod chmod;
pub mod chown;
pub mod cp;
pub mod dd;
pub mod df;
pub mod du;
pub mod echo;
pub mod r#false;
pub mod grep;
pub mod install;
pub mod kill;
pub mod ln;
pub mod logread;
pub mod ls;
pub mod mkdir;
pub mod mkfifo;
pub mod mknod;
pub mod mktemp;
pub mod mount;
pub mod mv;
pub mod poweroff;
pub mod ps;
pub mod pwd;
pub mod readlink;
pub mod realpath;
pub mod rm;
pub mod rmdir;
pub mod sed;
pub mod sh;
pub mod sleep;
pub mod stat;
pub mod svc;
pub mod sync;
pub mod touch;
pub mod r#true;
pub mod truncate;
pub mod umount;
pub mod uname;

/// One program inside `ibox`.
pub struct Applet {
    /// Name it is called by (`argv[0]` base name).
    pub name: &'static str,
    /// Entry point: receives `argv` with `argv[0]` the applet's name and
    /// returns the exit status.
    pub main: fn(Vec<OsString>) -> i32,
    /// Usage text printed after "Usage: NAME " by `--help` and on usage errors.
    pub usage: &'static str,
}

/// All applets, sorted by name.
pub static APPLETS: &[Applet] = &[
    Applet {
        name: "cat",
        main: cat::main,
        usage: cat::USAGE,
    },
    Applet {
        name: "chgrp",
        main: chgrp::main,
        usage: chgrp::USAGE,
    },
    Applet {
        name: "chmod",
        main: chmod::main,
        usage: chmod::USAGE,
    },
    Applet {
        name: "chown",
        main: chown::main,
        usage: chown::USAGE,
    },
    Applet {
        name: "cp",
        main: cp::main,
        usage: cp::USAGE,
    },
    Applet {
        name: "dd",
        main: dd::main,
        usage: dd::USAGE,
    },
    Applet {
        name: "df",
        main: df::main,
        usage: df::USAGE,
    },
    Applet {
        name: "du",
        main: du::main,
        usage: du::USAGE,
    },
    Applet {
        name: "echo",
        main: echo::main,
        usage: echo::USAGE,
    },
    Applet {
        name: "egrep",
        main: grep::main,
        usage: grep::USAGE,
    },
    Applet {
        name: "false",
        main: r#false::main,
        usage: r#false::USAGE,
    },
    Applet {
        name: "fgrep",
        main: grep::main,
        usage: grep::USAGE,
    },
    Applet {
        name: "grep",
        main: grep::main,
        usage: grep::USAGE,
    },
    Applet {
        name: "halt",
        main: poweroff::main,
        usage: poweroff::USAGE,
    },
    Applet {
        name: "install",
        main: install::main,
        usage: install::USAGE,
    },
    Applet {
        name: "kill",
        main: kill::main,
        usage: kill::USAGE,
    },
    Applet {
        name: "ln",
        main: ln::main,
        usage: ln::USAGE,
    },
    Applet {
        name: "logread",
        main: logread::main,
        usage: logread::USAGE,
    },
    Applet {
        name: "ls",
        main: ls::main,
        usage: ls::USAGE,
    },
    Applet {
        name: "mkdir",
        main: mkdir::main,
        usage: mkdir::USAGE,
    },
    Applet {
        name: "mkfifo",
        main: mkfifo::main,
        usage: mkfifo::USAGE,
    },
    Applet {
        name: "mknod",
        main: mknod::main,
        usage: mknod::USAGE,
    },
    Applet {
        name: "mktemp",
        main: mktemp::main,
        usage: mktemp::USAGE,
    },
    Applet {
        name: "mount",
        main: mount::main,
        usage: mount::USAGE,
    },
    Applet {
        name: "mv",
        main: mv::main,
        usage: mv::USAGE,
    },
    Applet {
        name: "poweroff",
        main: poweroff::main,
        usage: poweroff::USAGE,
    },
    Applet {
        name: "ps",
        main: ps::main,
        usage: ps::USAGE,
    },
    Applet {
        name: "pwd",
        main: pwd::main,
        usage: pwd::USAGE,
    },
    Applet {
        name: "readlink",
        main: readlink::main,
        usage: readlink::USAGE,
    },
    Applet {
        name: "realpath",
        main: realpath::main,
        usage: realpath::USAGE,
    },
    Applet {
        name: "reboot",
        main: poweroff::main,
        usage: poweroff::USAGE,
    },
    Applet {
        name: "rm",
        main: rm::main,
        usage: rm::USAGE,
    },
    Applet {
        name: "rmdir",
        main: rmdir::main,
        usage: rmdir::USAGE,
    },
    Applet {
        name: "sed",
        main: sed::main,
        usage: sed::USAGE,
    },
    Applet {
        name: "sh",
        main: sh::main,
        usage: sh::USAGE,
    },
    Applet {
        name: "sleep",
        main: sleep::main,
        usage: sleep::USAGE,
    },
    Applet {
        name: "stat",
        main: stat::main,
        usage: stat::USAGE,
    },
    Applet {
        name: "svc",
        main: svc::main,
        usage: svc::USAGE,
    },
    Applet {
        name: "sync",
        main: sync::main,
        usage: sync::USAGE,
    },
    Applet {
        name: "touch",
        main: touch::main,
        usage: touch::USAGE,
    },
    Applet {
        name: "true",
        main: r#true::main,
        usage: r#true::USAGE,
    },
    Applet {
        name: "truncate",
        main: truncate::main,
        usage: truncate::USAGE,
    },
    Applet {
        name: "umount",
        main: umount::main,
        usage: umount::USAGE,
    },
    Applet {
        name: "uname",
        main: uname::main,
        usage: uname::USAGE,
    },
];

/// Looks an applet up by name.
pub fn find(name: &[u8]) -> Option<&'static Applet> {
    APPLETS
        .binary_search_by(|a| a.name.as_bytes().cmp(name))
        .ok()
        .map(|i| &APPLETS[i])
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_is_sorted_and_unique() {
        for pair in super::APPLETS.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
    }
}
