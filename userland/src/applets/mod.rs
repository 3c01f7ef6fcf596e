//! The registration table: every applet is one module here and one row in
//! [`APPLETS`], kept sorted by name.
//!
//! Each applet can be left out of the binary at compile time, so that an
//! image carries only the applets it lists (`ibex build` builds ibox with
//! `--no-default-features --features ...` for an image that does not say
//! `"*"`). A module is compiled when its feature is on, and each row is
//! there when the feature named after the row's own name is on (`[` goes
//! with `test`): an applet left out is then no entry point, so the linker
//! drops its code and whatever only it calls.
//!
//! Adding an applet `foo` in `foo.rs`:
//!
//! - here, `#[cfg(feature = "foo")] pub mod foo;` among the modules and
//!   `#[cfg(feature = "foo")] applet!("foo", foo),` at its place in
//!   [`APPLETS`] (`cargo fmt` puts each attribute on a line of its own);
//! - in `userland/Cargo.toml`, `foo = []` under `[features]` and `"foo"`
//!   in `all`. When foo calls into another applet's module, or needs an
//!   optional crate, its feature lists them: `foo = ["sh", "dep:crate"]`.
//!   A second name for the same code (`egrep` for `grep`) is a row of its
//!   own and a feature that turns the module's on: `egrep = ["grep"]`.

use std::ffi::OsString;

#[cfg(feature = "addgroup")]
pub mod addgroup;
#[cfg(feature = "adduser")]
pub mod adduser;
#[cfg(feature = "arp")]
pub mod arp;
#[cfg(feature = "awk")]
pub mod awk;
#[cfg(feature = "base64")]
pub mod base64;
#[cfg(feature = "basename")]
pub mod basename;
#[cfg(feature = "blkid")]
pub mod blkid;
#[cfg(feature = "bridge")]
pub mod bridge;
#[cfg(feature = "cat")]
pub mod cat;
#[cfg(feature = "chgrp")]
pub mod chgrp;
#[cfg(feature = "chmod")]
pub mod chmod;
#[cfg(feature = "chown")]
pub mod chown;
#[cfg(feature = "chroot")]
pub mod chroot;
#[cfg(feature = "chrt")]
pub mod chrt;
#[cfg(feature = "cksum")]
pub mod cksum;
#[cfg(feature = "cmp")]
pub mod cmp;
#[cfg(feature = "comm")]
pub mod comm;
#[cfg(feature = "cp")]
pub mod cp;
#[cfg(feature = "cpio")]
pub mod cpio;
#[cfg(feature = "cut")]
pub mod cut;
#[cfg(feature = "date")]
pub mod date;
#[cfg(feature = "dd")]
pub mod dd;
#[cfg(feature = "delgroup")]
pub mod delgroup;
#[cfg(feature = "deluser")]
pub mod deluser;
#[cfg(feature = "df")]
pub mod df;
#[cfg(feature = "diff")]
pub mod diff;
#[cfg(feature = "dirname")]
pub mod dirname;
#[cfg(feature = "dmesg")]
pub mod dmesg;
#[cfg(feature = "dnsd")]
pub mod dnsd;
#[cfg(feature = "du")]
pub mod du;
#[cfg(feature = "echo")]
pub mod echo;
#[cfg(feature = "env")]
pub mod env;
#[cfg(feature = "expr")]
pub mod expr;
#[cfg(feature = "false")]
pub mod r#false;
#[cfg(feature = "find")]
pub mod find;
#[cfg(feature = "fold")]
pub mod fold;
#[cfg(feature = "free")]
pub mod free;
#[cfg(feature = "fw")]
pub mod fw;
#[cfg(feature = "getty")]
pub mod getty;
#[cfg(feature = "grep")]
pub mod grep;
#[cfg(feature = "gunzip")]
pub mod gunzip;
#[cfg(feature = "gzip")]
pub mod gzip;
#[cfg(feature = "head")]
pub mod head;
#[cfg(feature = "hexdump")]
pub mod hexdump;
#[cfg(feature = "hostname")]
pub mod hostname;
#[cfg(feature = "httpd")]
pub mod httpd;
#[cfg(feature = "id")]
pub mod id;
#[cfg(feature = "ifup")]
pub mod ifup;
#[cfg(feature = "init")]
pub mod init;
#[cfg(feature = "insmod")]
pub mod insmod;
#[cfg(feature = "install")]
pub mod install;
#[cfg(feature = "ip")]
pub mod ip;
#[cfg(feature = "kill")]
pub mod kill;
#[cfg(feature = "killall")]
pub mod killall;
#[cfg(feature = "klogd")]
pub mod klogd;
#[cfg(feature = "lbu")]
pub mod lbu;
#[cfg(feature = "ln")]
pub mod ln;
#[cfg(feature = "logger")]
pub mod logger;
#[cfg(feature = "login")]
pub mod login;
#[cfg(feature = "logread")]
pub mod logread;
#[cfg(feature = "losetup")]
pub mod losetup;
#[cfg(feature = "ls")]
pub mod ls;
#[cfg(feature = "lsmod")]
pub mod lsmod;
#[cfg(feature = "md5sum")]
pub mod md5sum;
#[cfg(feature = "mdev")]
pub mod mdev;
#[cfg(feature = "mkdir")]
pub mod mkdir;
#[cfg(feature = "mkfifo")]
pub mod mkfifo;
#[cfg(feature = "mknod")]
pub mod mknod;
#[cfg(feature = "mktemp")]
pub mod mktemp;
#[cfg(feature = "modprobe")]
pub mod modprobe;
#[cfg(feature = "mount")]
pub mod mount;
#[cfg(feature = "mtd")]
pub mod mtd;
#[cfg(feature = "mv")]
pub mod mv;
#[cfg(feature = "nc")]
pub mod nc;
#[cfg(feature = "netstat")]
pub mod netstat;
#[cfg(feature = "nice")]
pub mod nice;
#[cfg(feature = "nl")]
pub mod nl;
#[cfg(feature = "nohup")]
pub mod nohup;
#[cfg(feature = "nslookup")]
pub mod nslookup;
#[cfg(feature = "ntpd")]
pub mod ntpd;
#[cfg(feature = "od")]
pub mod od;
#[cfg(feature = "passwd")]
pub mod passwd;
#[cfg(feature = "paste")]
pub mod paste;
#[cfg(feature = "pgrep")]
pub mod pgrep;
#[cfg(feature = "pidof")]
pub mod pidof;
#[cfg(feature = "ping")]
pub mod ping;
#[cfg(feature = "pkg")]
pub mod pkg;
#[cfg(feature = "poweroff")]
pub mod poweroff;
#[cfg(feature = "printf")]
pub mod printf;
#[cfg(feature = "ps")]
pub mod ps;
#[cfg(feature = "pwd")]
pub mod pwd;
#[cfg(feature = "readlink")]
pub mod readlink;
#[cfg(feature = "realpath")]
pub mod realpath;
#[cfg(feature = "rev")]
pub mod rev;
#[cfg(feature = "rm")]
pub mod rm;
#[cfg(feature = "rmdir")]
pub mod rmdir;
#[cfg(feature = "rmmod")]
pub mod rmmod;
#[cfg(feature = "sed")]
pub mod sed;
#[cfg(feature = "seq")]
pub mod seq;
#[cfg(feature = "sh")]
pub mod sh;
#[cfg(feature = "sleep")]
pub mod sleep;
#[cfg(feature = "sort")]
pub mod sort;
#[cfg(feature = "split")]
pub mod split;
#[cfg(feature = "ssh")]
pub mod ssh;
#[cfg(feature = "ssh-keygen")]
pub mod ssh_keygen;
#[cfg(feature = "sshd")]
pub mod sshd;
#[cfg(feature = "stat")]
pub mod stat;
#[cfg(feature = "strings")]
pub mod strings;
#[cfg(feature = "su")]
pub mod su;
#[cfg(feature = "svc")]
pub mod svc;
#[cfg(feature = "switch_root")]
pub mod switch_root;
#[cfg(feature = "sync")]
pub mod sync;
#[cfg(feature = "sysctl")]
pub mod sysctl;
#[cfg(feature = "syslogd")]
pub mod syslogd;
#[cfg(feature = "sysupgrade")]
pub mod sysupgrade;
#[cfg(feature = "tac")]
pub mod tac;
#[cfg(feature = "tail")]
pub mod tail;
#[cfg(feature = "tar")]
pub mod tar;
#[cfg(feature = "tee")]
pub mod tee;
#[cfg(feature = "test")]
pub mod test;
#[cfg(feature = "timeout")]
pub mod timeout;
#[cfg(feature = "touch")]
pub mod touch;
#[cfg(feature = "tr")]
pub mod tr;
#[cfg(feature = "traceroute")]
pub mod traceroute;
#[cfg(feature = "true")]
pub mod r#true;
#[cfg(feature = "truncate")]
pub mod truncate;
#[cfg(feature = "udhcpc")]
pub mod udhcpc;
#[cfg(feature = "udhcpd")]
pub mod udhcpd;
#[cfg(feature = "umount")]
pub mod umount;
#[cfg(feature = "uname")]
pub mod uname;
#[cfg(feature = "uniq")]
pub mod uniq;
#[cfg(feature = "uptime")]
pub mod uptime;
#[cfg(feature = "vi")]
pub mod vi;
#[cfg(feature = "watch")]
pub mod watch;
#[cfg(feature = "wc")]
pub mod wc;
#[cfg(feature = "wget")]
pub mod wget;
#[cfg(feature = "which")]
pub mod which;
#[cfg(feature = "whoami")]
pub mod whoami;
#[cfg(feature = "xargs")]
pub mod xargs;
#[cfg(feature = "yes")]
pub mod yes;
#[cfg(feature = "zcat")]
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

/// A row of [`APPLETS`]: the applet `$name` is `$module::main`, with
/// `$module::USAGE` as its usage text.
macro_rules! applet {
    ($name:literal, $module:ident) => {
        Applet {
            name: $name,
            main: $module::main,
            usage: $module::USAGE,
        }
    };
}

/// All applets this build has (see the module's comment), sorted by name.
pub static APPLETS: &[Applet] = &[
    #[cfg(feature = "test")]
    applet!("[", test),
    #[cfg(feature = "addgroup")]
    applet!("addgroup", addgroup),
    #[cfg(feature = "adduser")]
    applet!("adduser", adduser),
    #[cfg(feature = "arp")]
    applet!("arp", arp),
    #[cfg(feature = "awk")]
    applet!("awk", awk),
    #[cfg(feature = "base64")]
    applet!("base64", base64),
    #[cfg(feature = "basename")]
    applet!("basename", basename),
    #[cfg(feature = "blkid")]
    applet!("blkid", blkid),
    #[cfg(feature = "bridge")]
    applet!("bridge", bridge),
    #[cfg(feature = "cat")]
    applet!("cat", cat),
    #[cfg(feature = "chgrp")]
    applet!("chgrp", chgrp),
    #[cfg(feature = "chmod")]
    applet!("chmod", chmod),
    #[cfg(feature = "chown")]
    applet!("chown", chown),
    #[cfg(feature = "chroot")]
    applet!("chroot", chroot),
    #[cfg(feature = "chrt")]
    applet!("chrt", chrt),
    #[cfg(feature = "cksum")]
    applet!("cksum", cksum),
    #[cfg(feature = "cmp")]
    applet!("cmp", cmp),
    #[cfg(feature = "comm")]
    applet!("comm", comm),
    #[cfg(feature = "cp")]
    applet!("cp", cp),
    #[cfg(feature = "cpio")]
    applet!("cpio", cpio),
    #[cfg(feature = "cut")]
    applet!("cut", cut),
    #[cfg(feature = "date")]
    applet!("date", date),
    #[cfg(feature = "dd")]
    applet!("dd", dd),
    #[cfg(feature = "delgroup")]
    applet!("delgroup", delgroup),
    #[cfg(feature = "deluser")]
    applet!("deluser", deluser),
    #[cfg(feature = "df")]
    applet!("df", df),
    #[cfg(feature = "diff")]
    applet!("diff", diff),
    #[cfg(feature = "dirname")]
    applet!("dirname", dirname),
    #[cfg(feature = "dmesg")]
    applet!("dmesg", dmesg),
    #[cfg(feature = "dnsd")]
    applet!("dnsd", dnsd),
    #[cfg(feature = "du")]
    applet!("du", du),
    #[cfg(feature = "echo")]
    applet!("echo", echo),
    #[cfg(feature = "egrep")]
    applet!("egrep", grep),
    #[cfg(feature = "env")]
    applet!("env", env),
    #[cfg(feature = "expr")]
    applet!("expr", expr),
    #[cfg(feature = "false")]
    applet!("false", r#false),
    #[cfg(feature = "fgrep")]
    applet!("fgrep", grep),
    #[cfg(feature = "find")]
    applet!("find", find),
    #[cfg(feature = "fold")]
    applet!("fold", fold),
    #[cfg(feature = "free")]
    applet!("free", free),
    #[cfg(feature = "fw")]
    applet!("fw", fw),
    #[cfg(feature = "getty")]
    applet!("getty", getty),
    #[cfg(feature = "grep")]
    applet!("grep", grep),
    #[cfg(feature = "gunzip")]
    applet!("gunzip", gunzip),
    #[cfg(feature = "gzip")]
    applet!("gzip", gzip),
    #[cfg(feature = "halt")]
    applet!("halt", poweroff),
    #[cfg(feature = "head")]
    applet!("head", head),
    #[cfg(feature = "hexdump")]
    applet!("hexdump", hexdump),
    #[cfg(feature = "hostname")]
    applet!("hostname", hostname),
    #[cfg(feature = "httpd")]
    applet!("httpd", httpd),
    #[cfg(feature = "id")]
    applet!("id", id),
    #[cfg(feature = "ifdown")]
    Applet {
        name: "ifdown",
        main: ifup::ifdown_main,
        usage: ifup::IFDOWN_USAGE,
    },
    #[cfg(feature = "ifquery")]
    Applet {
        name: "ifquery",
        main: ifup::ifquery_main,
        usage: ifup::IFQUERY_USAGE,
    },
    #[cfg(feature = "ifup")]
    applet!("ifup", ifup),
    #[cfg(feature = "init")]
    applet!("init", init),
    #[cfg(feature = "insmod")]
    applet!("insmod", insmod),
    #[cfg(feature = "install")]
    applet!("install", install),
    #[cfg(feature = "ip")]
    applet!("ip", ip),
    #[cfg(feature = "kill")]
    applet!("kill", kill),
    #[cfg(feature = "killall")]
    applet!("killall", killall),
    #[cfg(feature = "klogd")]
    applet!("klogd", klogd),
    #[cfg(feature = "lbu")]
    applet!("lbu", lbu),
    #[cfg(feature = "ln")]
    applet!("ln", ln),
    #[cfg(feature = "logger")]
    applet!("logger", logger),
    #[cfg(feature = "login")]
    applet!("login", login),
    #[cfg(feature = "logread")]
    applet!("logread", logread),
    #[cfg(feature = "losetup")]
    applet!("losetup", losetup),
    #[cfg(feature = "ls")]
    applet!("ls", ls),
    #[cfg(feature = "lsmod")]
    applet!("lsmod", lsmod),
    #[cfg(feature = "md5sum")]
    applet!("md5sum", md5sum),
    #[cfg(feature = "mdev")]
    applet!("mdev", mdev),
    #[cfg(feature = "mkdir")]
    applet!("mkdir", mkdir),
    #[cfg(feature = "mkfifo")]
    applet!("mkfifo", mkfifo),
    #[cfg(feature = "mknod")]
    applet!("mknod", mknod),
    #[cfg(feature = "mktemp")]
    applet!("mktemp", mktemp),
    #[cfg(feature = "modprobe")]
    applet!("modprobe", modprobe),
    #[cfg(feature = "mount")]
    applet!("mount", mount),
    #[cfg(feature = "mtd")]
    applet!("mtd", mtd),
    #[cfg(feature = "mv")]
    applet!("mv", mv),
    #[cfg(feature = "nc")]
    applet!("nc", nc),
    #[cfg(feature = "netstat")]
    applet!("netstat", netstat),
    #[cfg(feature = "nice")]
    applet!("nice", nice),
    #[cfg(feature = "nl")]
    applet!("nl", nl),
    #[cfg(feature = "nohup")]
    applet!("nohup", nohup),
    #[cfg(feature = "nslookup")]
    applet!("nslookup", nslookup),
    #[cfg(feature = "ntpd")]
    applet!("ntpd", ntpd),
    #[cfg(feature = "od")]
    applet!("od", od),
    #[cfg(feature = "passwd")]
    applet!("passwd", passwd),
    #[cfg(feature = "paste")]
    applet!("paste", paste),
    #[cfg(feature = "pgrep")]
    applet!("pgrep", pgrep),
    #[cfg(feature = "pidof")]
    applet!("pidof", pidof),
    #[cfg(feature = "ping")]
    applet!("ping", ping),
    #[cfg(feature = "ping6")]
    applet!("ping6", ping),
    #[cfg(feature = "pkg")]
    applet!("pkg", pkg),
    #[cfg(feature = "pkill")]
    Applet {
        name: "pkill",
        main: pgrep::pkill_main,
        usage: pgrep::PKILL_USAGE,
    },
    #[cfg(feature = "poweroff")]
    applet!("poweroff", poweroff),
    #[cfg(feature = "printf")]
    applet!("printf", printf),
    #[cfg(feature = "ps")]
    applet!("ps", ps),
    #[cfg(feature = "pwd")]
    applet!("pwd", pwd),
    #[cfg(feature = "readlink")]
    applet!("readlink", readlink),
    #[cfg(feature = "realpath")]
    applet!("realpath", realpath),
    #[cfg(feature = "reboot")]
    applet!("reboot", poweroff),
    #[cfg(feature = "rev")]
    applet!("rev", rev),
    #[cfg(feature = "rm")]
    applet!("rm", rm),
    #[cfg(feature = "rmdir")]
    applet!("rmdir", rmdir),
    #[cfg(feature = "rmmod")]
    applet!("rmmod", rmmod),
    #[cfg(feature = "sed")]
    applet!("sed", sed),
    #[cfg(feature = "seq")]
    applet!("seq", seq),
    #[cfg(feature = "sh")]
    applet!("sh", sh),
    #[cfg(feature = "sha1sum")]
    applet!("sha1sum", md5sum),
    #[cfg(feature = "sha256sum")]
    applet!("sha256sum", md5sum),
    #[cfg(feature = "sha512sum")]
    applet!("sha512sum", md5sum),
    #[cfg(feature = "sleep")]
    applet!("sleep", sleep),
    #[cfg(feature = "sort")]
    applet!("sort", sort),
    #[cfg(feature = "split")]
    applet!("split", split),
    #[cfg(feature = "ssh")]
    applet!("ssh", ssh),
    #[cfg(feature = "ssh-keygen")]
    applet!("ssh-keygen", ssh_keygen),
    #[cfg(feature = "sshd")]
    applet!("sshd", sshd),
    #[cfg(feature = "stat")]
    applet!("stat", stat),
    #[cfg(feature = "strings")]
    applet!("strings", strings),
    #[cfg(feature = "su")]
    applet!("su", su),
    #[cfg(feature = "svc")]
    applet!("svc", svc),
    #[cfg(feature = "switch_root")]
    applet!("switch_root", switch_root),
    #[cfg(feature = "sync")]
    applet!("sync", sync),
    #[cfg(feature = "sysctl")]
    applet!("sysctl", sysctl),
    #[cfg(feature = "syslogd")]
    applet!("syslogd", syslogd),
    #[cfg(feature = "sysupgrade")]
    applet!("sysupgrade", sysupgrade),
    #[cfg(feature = "tac")]
    applet!("tac", tac),
    #[cfg(feature = "tail")]
    applet!("tail", tail),
    #[cfg(feature = "tar")]
    applet!("tar", tar),
    #[cfg(feature = "tee")]
    applet!("tee", tee),
    #[cfg(feature = "test")]
    applet!("test", test),
    #[cfg(feature = "timeout")]
    applet!("timeout", timeout),
    #[cfg(feature = "touch")]
    applet!("touch", touch),
    #[cfg(feature = "tr")]
    applet!("tr", tr),
    #[cfg(feature = "traceroute")]
    applet!("traceroute", traceroute),
    #[cfg(feature = "true")]
    applet!("true", r#true),
    #[cfg(feature = "truncate")]
    applet!("truncate", truncate),
    #[cfg(feature = "udhcpc")]
    applet!("udhcpc", udhcpc),
    #[cfg(feature = "udhcpd")]
    applet!("udhcpd", udhcpd),
    #[cfg(feature = "umount")]
    applet!("umount", umount),
    #[cfg(feature = "uname")]
    applet!("uname", uname),
    #[cfg(feature = "uniq")]
    applet!("uniq", uniq),
    #[cfg(feature = "uptime")]
    applet!("uptime", uptime),
    #[cfg(feature = "vi")]
    applet!("vi", vi),
    #[cfg(feature = "watch")]
    applet!("watch", watch),
    #[cfg(feature = "wc")]
    applet!("wc", wc),
    #[cfg(feature = "wget")]
    applet!("wget", wget),
    #[cfg(feature = "which")]
    applet!("which", which),
    #[cfg(feature = "whoami")]
    applet!("whoami", whoami),
    #[cfg(feature = "xargs")]
    applet!("xargs", xargs),
    #[cfg(feature = "yes")]
    applet!("yes", yes),
    #[cfg(feature = "zcat")]
    applet!("zcat", zcat),
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
    /// `userland/Cargo.toml`'s `[features]` table.
    fn features() -> toml::Table {
        let manifest: toml::Table = include_str!("../../Cargo.toml").parse().unwrap();
        manifest["features"].as_table().unwrap().clone()
    }

    /// The linker finds an applet's feature by the applet's name, and
    /// `all` (the default) must bring every applet in.
    #[test]
    fn every_applet_has_a_feature_in_all() {
        let features = features();
        let all: Vec<&str> = features["all"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for applet in super::APPLETS {
            let feature = if applet.name == "[" {
                "test"
            } else {
                applet.name
            };
            assert!(features.contains_key(feature), "no feature {feature}");
            assert!(all.contains(&feature), "{feature} is not in all");
        }
        for name in features.keys() {
            if name != "all" && name != "default" {
                assert!(all.contains(&name.as_str()), "{name} is not in all");
                assert!(super::find(name.as_bytes()).is_some(), "{name}: no applet");
            }
        }
    }

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
