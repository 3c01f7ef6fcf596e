//! The registration table: every applet is one module here and one row in
//! [`APPLETS`], kept sorted by name.

use std::ffi::OsString;

pub mod base64;
pub mod basename;
pub mod cat;
pub mod cksum;
pub mod comm;
pub mod cut;
pub mod dirname;
pub mod echo;
pub mod expr;
pub mod r#false;
pub mod fold;
pub mod head;
pub mod hexdump;
pub mod kill;
pub mod ls;
pub mod mkdir;
pub mod mount;
pub mod nl;
pub mod od;
pub mod paste;
pub mod poweroff;
pub mod ps;
pub mod rev;
pub mod seq;
pub mod sh;
pub mod sleep;
pub mod sort;
pub mod strings;
pub mod tac;
pub mod tail;
pub mod tee;
pub mod tr;
pub mod r#true;
pub mod umount;
pub mod uname;
pub mod uniq;
pub mod wc;
pub mod yes;

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
        name: "base64",
        main: base64::main,
        usage: base64::USAGE,
    },
    Applet {
        name: "basename",
        main: basename::main,
        usage: basename::USAGE,
    },
    Applet {
        name: "cat",
        main: cat::main,
        usage: cat::USAGE,
    },
    Applet {
        name: "cksum",
        main: cksum::main,
        usage: cksum::USAGE,
    },
    Applet {
        name: "comm",
        main: comm::main,
        usage: comm::USAGE,
    },
    Applet {
        name: "cut",
        main: cut::main,
        usage: cut::USAGE,
    },
    Applet {
        name: "dirname",
        main: dirname::main,
        usage: dirname::USAGE,
    },
    Applet {
        name: "echo",
        main: echo::main,
        usage: echo::USAGE,
    },
    Applet {
        name: "expr",
        main: expr::main,
        usage: expr::USAGE,
    },
    Applet {
        name: "false",
        main: r#false::main,
        usage: r#false::USAGE,
    },
    Applet {
        name: "fold",
        main: fold::main,
        usage: fold::USAGE,
    },
    Applet {
        name: "halt",
        main: poweroff::main,
        usage: poweroff::USAGE,
    },
    Applet {
        name: "head",
        main: head::main,
        usage: head::USAGE,
    },
    Applet {
        name: "hexdump",
        main: hexdump::main,
        usage: hexdump::USAGE,
    },
    Applet {
        name: "kill",
        main: kill::main,
        usage: kill::USAGE,
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
        name: "mount",
        main: mount::main,
        usage: mount::USAGE,
    },
    Applet {
        name: "nl",
        main: nl::main,
        usage: nl::USAGE,
    },
    Applet {
        name: "od",
        main: od::main,
        usage: od::USAGE,
    },
    Applet {
        name: "paste",
        main: paste::main,
        usage: paste::USAGE,
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
        name: "reboot",
        main: poweroff::main,
        usage: poweroff::USAGE,
    },
    Applet {
        name: "rev",
        main: rev::main,
        usage: rev::USAGE,
    },
    Applet {
        name: "seq",
        main: seq::main,
        usage: seq::USAGE,
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
        name: "sort",
        main: sort::main,
        usage: sort::USAGE,
    },
    Applet {
        name: "strings",
        main: strings::main,
        usage: strings::USAGE,
    },
    Applet {
        name: "tac",
        main: tac::main,
        usage: tac::USAGE,
    },
    Applet {
        name: "tail",
        main: tail::main,
        usage: tail::USAGE,
    },
    Applet {
        name: "tee",
        main: tee::main,
        usage: tee::USAGE,
    },
    Applet {
        name: "tr",
        main: tr::main,
        usage: tr::USAGE,
    },
    Applet {
        name: "true",
        main: r#true::main,
        usage: r#true::USAGE,
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
    Applet {
        name: "uniq",
        main: uniq::main,
        usage: uniq::USAGE,
    },
    Applet {
        name: "wc",
        main: wc::main,
        usage: wc::USAGE,
    },
    Applet {
        name: "yes",
        main: yes::main,
        usage: yes::USAGE,
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
