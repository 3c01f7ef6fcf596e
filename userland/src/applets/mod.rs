//! The registration table: every applet is one module here and one row in
//! [`APPLETS`], kept sorted by name.

use std::ffi::OsString;

pub mod addgroup;
pub mod adduser;
pub mod arp;
pub mod awk;
pub mod base64;
pub mod basename;
pub mod blkid;
pub mod bridge;
pub mod cat;
pub mod chgrp;
pub mod chmod;
pub mod chown;
pub mod chroot;
pub mod cksum;
pub mod cmp;
pub mod comm;
pub mod cp;
pub mod cpio;
pub mod cut;
pub mod date;
pub mod dd;
pub mod delgroup;
pub mod deluser;
pub mod df;
pub mod diff;
pub mod dirname;
pub mod dmesg;
pub mod dnsd;
pub mod du;
pub mod echo;
pub mod env;
pub mod expr;
pub mod r#false;
pub mod find;
pub mod fold;
pub mod free;
pub mod fw;
pub mod getty;
pub mod grep;
pub mod gunzip;
pub mod gzip;
pub mod head;
pub mod hexdump;
pub mod hostname;
pub mod httpd;
pub mod id;
pub mod ifup;
pub mod init;
pub mod insmod;
pub mod install;
pub mod ip;
pub mod kill;
pub mod killall;
pub mod lbu;
pub mod ln;
pub mod logger;
pub mod login;
pub mod logread;
pub mod losetup;
pub mod ls;
pub mod lsmod;
pub mod md5sum;
pub mod mdev;
pub mod mkdir;
pub mod mkfifo;
pub mod mknod;
pub mod mktemp;
pub mod modprobe;
pub mod mount;
pub mod mv;
pub mod nc;
pub mod netstat;
pub mod nice;
pub mod nl;
pub mod nohup;
pub mod nslookup;
pub mod od;
pub mod passwd;
pub mod paste;
pub mod pgrep;
pub mod pidof;
pub mod ping;
pub mod pkg;
pub mod poweroff;
pub mod printf;
pub mod ps;
pub mod pwd;
pub mod readlink;
pub mod realpath;
pub mod rev;
pub mod rm;
pub mod rmdir;
pub mod rmmod;
pub mod sed;
pub mod seq;
pub mod sh;
pub mod sleep;
pub mod sort;
pub mod split;
pub mod stat;
pub mod strings;
pub mod su;
pub mod svc;
pub mod switch_root;
pub mod sync;
pub mod sysctl;
pub mod sysupgrade;
pub mod tac;
pub mod tail;
pub mod tar;
pub mod tee;
pub mod test;
pub mod timeout;
pub mod touch;
pub mod tr;
pub mod traceroute;
pub mod r#true;
pub mod truncate;
pub mod udhcpc;
pub mod udhcpd;
pub mod umount;
pub mod uname;
pub mod uniq;
pub mod uptime;
pub mod vi;
pub mod watch;
pub mod wc;
pub mod wget;
pub mod which;
pub mod whoami;
pub mod xargs;
pub mod yes;
pub mod zcat;

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
        name: "[",
        main: test::main,
        usage: test::USAGE,
    },
    Applet {
        name: "addgroup",
        main: addgroup::main,
        usage: addgroup::USAGE,
    },
    Applet {
        name: "adduser",
        main: adduser::main,
        usage: adduser::USAGE,
    },
    Applet {
        name: "arp",
        main: arp::main,
        usage: arp::USAGE,
    },
    Applet {
        name: "awk",
        main: awk::main,
        usage: awk::USAGE,
    },
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
        name: "blkid",
        main: blkid::main,
        usage: blkid::USAGE,
    },
    Applet {
        name: "bridge",
        main: bridge::main,
        usage: bridge::USAGE,
    },
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
        name: "chroot",
        main: chroot::main,
        usage: chroot::USAGE,
    },
    Applet {
        name: "cksum",
        main: cksum::main,
        usage: cksum::USAGE,
    },
    Applet {
        name: "cmp",
        main: cmp::main,
        usage: cmp::USAGE,
    },
    Applet {
        name: "comm",
        main: comm::main,
        usage: comm::USAGE,
    },
    Applet {
        name: "cp",
        main: cp::main,
        usage: cp::USAGE,
    },
    Applet {
        name: "cpio",
        main: cpio::main,
        usage: cpio::USAGE,
    },
    Applet {
        name: "cut",
        main: cut::main,
        usage: cut::USAGE,
    },
    Applet {
        name: "date",
        main: date::main,
        usage: date::USAGE,
    },
    Applet {
        name: "dd",
        main: dd::main,
        usage: dd::USAGE,
    },
    Applet {
        name: "delgroup",
        main: delgroup::main,
        usage: delgroup::USAGE,
    },
    Applet {
        name: "deluser",
        main: deluser::main,
        usage: deluser::USAGE,
    },
    Applet {
        name: "df",
        main: df::main,
        usage: df::USAGE,
    },
    Applet {
        name: "diff",
        main: diff::main,
        usage: diff::USAGE,
    },
    Applet {
        name: "dirname",
        main: dirname::main,
        usage: dirname::USAGE,
    },
    Applet {
        name: "dmesg",
        main: dmesg::main,
        usage: dmesg::USAGE,
    },
    Applet {
        name: "dnsd",
        main: dnsd::main,
        usage: dnsd::USAGE,
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
        name: "env",
        main: env::main,
        usage: env::USAGE,
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
        name: "fgrep",
        main: grep::main,
        usage: grep::USAGE,
    },
    Applet {
        name: "find",
        main: find::main,
        usage: find::USAGE,
    },
    Applet {
        name: "fold",
        main: fold::main,
        usage: fold::USAGE,
    },
    Applet {
        name: "free",
        main: free::main,
        usage: free::USAGE,
    },
    Applet {
        name: "fw",
        main: fw::main,
        usage: fw::USAGE,
    },
    Applet {
        name: "getty",
        main: getty::main,
        usage: getty::USAGE,
    },
    Applet {
        name: "grep",
        main: grep::main,
        usage: grep::USAGE,
    },
    Applet {
        name: "gunzip",
        main: gunzip::main,
        usage: gunzip::USAGE,
    },
    Applet {
        name: "gzip",
        main: gzip::main,
        usage: gzip::USAGE,
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
        name: "hostname",
        main: hostname::main,
        usage: hostname::USAGE,
    },
    Applet {
        name: "httpd",
        main: httpd::main,
        usage: httpd::USAGE,
    },
    Applet {
        name: "id",
        main: id::main,
        usage: id::USAGE,
    },
    Applet {
        name: "ifdown",
        main: ifup::ifdown_main,
        usage: ifup::IFDOWN_USAGE,
    },
    Applet {
        name: "ifquery",
        main: ifup::ifquery_main,
        usage: ifup::IFQUERY_USAGE,
    },
    Applet {
        name: "ifup",
        main: ifup::main,
        usage: ifup::USAGE,
    },
    Applet {
        name: "init",
        main: init::main,
        usage: init::USAGE,
    },
    Applet {
        name: "insmod",
        main: insmod::main,
        usage: insmod::USAGE,
    },
    Applet {
        name: "install",
        main: install::main,
        usage: install::USAGE,
    },
    Applet {
        name: "ip",
        main: ip::main,
        usage: ip::USAGE,
    },
    Applet {
        name: "kill",
        main: kill::main,
        usage: kill::USAGE,
    },
    Applet {
        name: "killall",
        main: killall::main,
        usage: killall::USAGE,
    },
    Applet {
        name: "lbu",
        main: lbu::main,
        usage: lbu::USAGE,
    },
    Applet {
        name: "ln",
        main: ln::main,
        usage: ln::USAGE,
    },
    Applet {
        name: "logger",
        main: logger::main,
        usage: logger::USAGE,
    },
    Applet {
        name: "login",
        main: login::main,
        usage: login::USAGE,
    },
    Applet {
        name: "logread",
        main: logread::main,
        usage: logread::USAGE,
    },
    Applet {
        name: "losetup",
        main: losetup::main,
        usage: losetup::USAGE,
    },
    Applet {
        name: "ls",
        main: ls::main,
        usage: ls::USAGE,
    },
    Applet {
        name: "lsmod",
        main: lsmod::main,
        usage: lsmod::USAGE,
    },
    Applet {
        name: "md5sum",
        main: md5sum::main,
        usage: md5sum::USAGE,
    },
    Applet {
        name: "mdev",
        main: mdev::main,
        usage: mdev::USAGE,
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
        name: "modprobe",
        main: modprobe::main,
        usage: modprobe::USAGE,
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
        name: "nc",
        main: nc::main,
        usage: nc::USAGE,
    },
    Applet {
        name: "netstat",
        main: netstat::main,
        usage: netstat::USAGE,
    },
    Applet {
        name: "nice",
        main: nice::main,
        usage: nice::USAGE,
    },
    Applet {
        name: "nl",
        main: nl::main,
        usage: nl::USAGE,
    },
    Applet {
        name: "nohup",
        main: nohup::main,
        usage: nohup::USAGE,
    },
    Applet {
        name: "nslookup",
        main: nslookup::main,
        usage: nslookup::USAGE,
    },
    Applet {
        name: "od",
        main: od::main,
        usage: od::USAGE,
    },
    Applet {
        name: "passwd",
        main: passwd::main,
        usage: passwd::USAGE,
    },
    Applet {
        name: "paste",
        main: paste::main,
        usage: paste::USAGE,
    },
    Applet {
        name: "pgrep",
        main: pgrep::main,
        usage: pgrep::USAGE,
    },
    Applet {
        name: "pidof",
        main: pidof::main,
        usage: pidof::USAGE,
    },
    Applet {
        name: "ping",
        main: ping::main,
        usage: ping::USAGE,
    },
    Applet {
        name: "ping6",
        main: ping::main,
        usage: ping::USAGE,
    },
    Applet {
        name: "pkg",
        main: pkg::main,
        usage: pkg::USAGE,
    },
    Applet {
        name: "pkill",
        main: pgrep::pkill_main,
        usage: pgrep::PKILL_USAGE,
    },
    Applet {
        name: "poweroff",
        main: poweroff::main,
        usage: poweroff::USAGE,
    },
    Applet {
        name: "printf",
        main: printf::main,
        usage: printf::USAGE,
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
        name: "rev",
        main: rev::main,
        usage: rev::USAGE,
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
        name: "rmmod",
        main: rmmod::main,
        usage: rmmod::USAGE,
    },
    Applet {
        name: "sed",
        main: sed::main,
        usage: sed::USAGE,
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
        name: "sha1sum",
        main: md5sum::main,
        usage: md5sum::USAGE,
    },
    Applet {
        name: "sha256sum",
        main: md5sum::main,
        usage: md5sum::USAGE,
    },
    Applet {
        name: "sha512sum",
        main: md5sum::main,
        usage: md5sum::USAGE,
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
        name: "split",
        main: split::main,
        usage: split::USAGE,
    },
    Applet {
        name: "stat",
        main: stat::main,
        usage: stat::USAGE,
    },
    Applet {
        name: "strings",
        main: strings::main,
        usage: strings::USAGE,
    },
    Applet {
        name: "su",
        main: su::main,
        usage: su::USAGE,
    },
    Applet {
        name: "svc",
        main: svc::main,
        usage: svc::USAGE,
    },
    Applet {
        name: "switch_root",
        main: switch_root::main,
        usage: switch_root::USAGE,
    },
    Applet {
        name: "sync",
        main: sync::main,
        usage: sync::USAGE,
    },
    Applet {
        name: "sysctl",
        main: sysctl::main,
        usage: sysctl::USAGE,
    },
    Applet {
        name: "sysupgrade",
        main: sysupgrade::main,
        usage: sysupgrade::USAGE,
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
        name: "tar",
        main: tar::main,
        usage: tar::USAGE,
    },
    Applet {
        name: "tee",
        main: tee::main,
        usage: tee::USAGE,
    },
    Applet {
        name: "test",
        main: test::main,
        usage: test::USAGE,
    },
    Applet {
        name: "timeout",
        main: timeout::main,
        usage: timeout::USAGE,
    },
    Applet {
        name: "touch",
        main: touch::main,
        usage: touch::USAGE,
    },
    Applet {
        name: "tr",
        main: tr::main,
        usage: tr::USAGE,
    },
    Applet {
        name: "traceroute",
        main: traceroute::main,
        usage: traceroute::USAGE,
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
        name: "udhcpc",
        main: udhcpc::main,
        usage: udhcpc::USAGE,
    },
    Applet {
        name: "udhcpd",
        main: udhcpd::main,
        usage: udhcpd::USAGE,
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
        name: "uptime",
        main: uptime::main,
        usage: uptime::USAGE,
    },
    Applet {
        name: "vi",
        main: vi::main,
        usage: vi::USAGE,
    },
    Applet {
        name: "watch",
        main: watch::main,
        usage: watch::USAGE,
    },
    Applet {
        name: "wc",
        main: wc::main,
        usage: wc::USAGE,
    },
    Applet {
        name: "wget",
        main: wget::main,
        usage: wget::USAGE,
    },
    Applet {
        name: "which",
        main: which::main,
        usage: which::USAGE,
    },
    Applet {
        name: "whoami",
        main: whoami::main,
        usage: whoami::USAGE,
    },
    Applet {
        name: "xargs",
        main: xargs::main,
        usage: xargs::USAGE,
    },
    Applet {
        name: "yes",
        main: yes::main,
        usage: yes::USAGE,
    },
    Applet {
        name: "zcat",
        main: zcat::main,
        usage: zcat::USAGE,
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
