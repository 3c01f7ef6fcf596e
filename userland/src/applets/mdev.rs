//! `mdev [-s]`: create device nodes. `-s` scans /sys/class and /sys/block
//! for `dev` files; without it mdev is the kernel's hotplug helper and acts
//! on ACTION, DEVPATH, SUBSYSTEM and MODALIAS from the environment (loading
//! modules for MODALIAS with modprobe's code). Rules from /etc/mdev.conf
//! give owners, modes, names, links and commands.
//!
//! `$IBOX_MDEV_ROOT` moves /sys, /dev, /etc/mdev.conf and /lib/modules
//! under another root so that a scratch tree can be used; modules found
//! there are not for the running kernel, so they are only shown
//! (`insmod PATH` lines), never loaded.

use crate::common::{error_msg, getopt, perror, Exit};
use crate::regex::{Options, Regex};
use nix::sys::stat::{makedev, mknod, Mode, SFlag};
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

pub const USAGE: &str = "[-s]\n\nmdev -s is to be run during boot to scan /sys and populate /dev.\n\nBare mdev is a kernel hotplug helper. To activate it:\n\techo /sbin/mdev >/proc/sys/kernel/hotplug\n\nIt uses /etc/mdev.conf with lines\n\t[-][$ENVVAR=regex|@maj,min[-min2]|regex] uid:gid mode [=path|>path|!] [@|$|*cmd args...]";

/// One line of mdev.conf.
struct Rule {
    /// `-`: go on matching after this rule.
    keep_going: bool,
    matcher: Matcher,
    uid: u32,
    gid: u32,
    mode: u32,
    /// `=path` (move/rename) or `>path` (and link the name to it).
    alias: Option<(Vec<u8>, bool)>,
    /// `!`: no node.
    no_node: bool,
    /// `@`, `$` or `*` and the command.
    command: Option<(u8, Vec<u8>)>,
}

/// What a rule matches.
enum Matcher {
    Name(Regex),
    Env(String, Regex),
    Numbers(u64, u64, u64),
}

/// One device to act on.
struct Device {
    name: Vec<u8>,
    major: u64,
    minor: u64,
    block: bool,
}

/// Where everything is.
struct Roots {
    root: PathBuf,
    dev: PathBuf,
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "s", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let root = std::env::var_os("IBOX_MDEV_ROOT")
        .filter(|r| !r.is_empty())
        .map(PathBuf::from);
    let scratch = root.is_some();
    let root = root.unwrap_or_else(|| PathBuf::from("/"));
    let roots = Roots {
        dev: root.join("dev"),
        root,
    };
    let conf = std::fs::read(roots.root.join("etc/mdev.conf")).unwrap_or_default();
    let rules = match parse_rules(&conf) {
        Ok(r) => r,
        Err(msg) => {
            error_msg("mdev", &msg);
            return 1;
        }
    };
    if p.has('s') {
        let mut status = 0;
        for dev in scan(&roots.root.join("sys")) {
            status |= act(&roots, &rules, &dev, true);
        }
        return status;
    }
    let Some(action) = std::env::var_os("ACTION") else {
        return crate::common::usage_error("mdev", "no ACTION in the environment (or use -s)");
    };
    let add = action.as_bytes() == b"add";
    let mut status = 0;
    if add {
        if let Some(alias) = std::env::var_os("MODALIAS") {
            status |= load_modalias(&roots.root, &alias.to_string_lossy(), scratch);
        }
    }
    if let Some(dev) = hotplug_device(&roots.root, add) {
        match action.as_bytes() {
            b"add" => status |= act(&roots, &rules, &dev, true),
            b"remove" => status |= act(&roots, &rules, &dev, false),
            // change, move, bind...: nothing to create or remove.
            _ => {}
        }
    }
    status
}

/// Loads the modules for a MODALIAS (blacklist applied, quietly, as udev
/// does); under a scratch root only shows what would be loaded.
fn load_modalias(root: &Path, alias: &str, scratch: bool) -> i32 {
    let version = super::modprobe::kernel_version();
    let Ok(db) = super::modprobe::Db::load(root, &version) else {
        // No module tree: nothing to load.
        return 0;
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut run = super::modprobe::Run {
        db: &db,
        dry_run: scratch,
        verbose: scratch,
        show_depends: false,
        quiet: true,
        blacklist_names: true,
        out: &mut out,
    };
    // An alias no module claims is normal for hotplug: not an error.
    run.load(alias, "");
    0
}

/// The device of a hotplug event: name from DEVNAME or DEVPATH's last
/// part, numbers from MAJOR/MINOR or ROOT/sys/DEVPATH/dev. Removing needs
/// no numbers (the sysfs directory may be gone by then): `need_numbers`
/// is false for it.
fn hotplug_device(root: &Path, need_numbers: bool) -> Option<Device> {
    let devpath = std::env::var_os("DEVPATH")?;
    let rel = devpath
        .as_bytes()
        .strip_prefix(b"/")
        .unwrap_or(devpath.as_bytes());
    let sysdir = root.join("sys").join(OsStr::from_bytes(rel));
    let numbers = match (std::env::var("MAJOR"), std::env::var("MINOR")) {
        (Ok(a), Ok(b)) => a.parse().ok().zip(b.parse().ok()),
        _ => read_dev(&sysdir.join("dev")),
    };
    let (major, minor) = match numbers {
        Some(n) => n,
        None if !need_numbers => (0, 0),
        None => return None,
    };
    let name = std::env::var_os("DEVNAME")
        .map(|n| n.as_bytes().to_vec())
        .or_else(|| uevent_devname(&sysdir))
        .unwrap_or_else(|| crate::procfs::basename(devpath.as_bytes()).to_vec());
    let block = std::env::var("SUBSYSTEM").is_ok_and(|s| s == "block");
    Some(Device {
        name,
        major,
        minor,
        block,
    })
}

/// `MAJ:MIN` from a sysfs `dev` file.
fn read_dev(path: &Path) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(path).ok()?;
    let (a, b) = text.trim().split_once(':')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// DEVNAME= from a sysfs `uevent` file (`input/event0`).
fn uevent_devname(dir: &Path) -> Option<Vec<u8>> {
    let text = std::fs::read(dir.join("uevent")).ok()?;
    text.split(|&b| b == b'\n')
        .find_map(|l| l.strip_prefix(b"DEVNAME="))
        .map(<[u8]>::to_vec)
}

/// Every device with a `dev` file under sys/class/*/ and sys/block/ (and
/// partitions one level down), each name once.
fn scan(sys: &Path) -> Vec<Device> {
    let mut found: Vec<Device> = Vec::new();
    let add = |dir: &Path, block: bool, found: &mut Vec<Device>| {
        let Some((major, minor)) = read_dev(&dir.join("dev")) else {
            return;
        };
        let name = uevent_devname(dir).unwrap_or_else(|| {
            dir.file_name()
                .map(|n| n.as_bytes().to_vec())
                .unwrap_or_default()
        });
        if !found.iter().any(|d| d.name == name) {
            found.push(Device {
                name,
                major,
                minor,
                block,
            });
        }
    };
    let list = |dir: &Path| -> Vec<PathBuf> {
        crate::fsutil::read_dir_sorted(dir)
            .unwrap_or_default()
            .into_iter()
            .map(|n| dir.join(n))
            .collect()
    };
    for class in list(&sys.join("class")) {
        let block = class.file_name().is_some_and(|n| n == "block");
        for dev in list(&class) {
            add(&dev, block, &mut found);
        }
    }
    for disk in list(&sys.join("block")) {
        add(&disk, true, &mut found);
        for part in list(&disk) {
            if part.is_dir() {
                add(&part, true, &mut found);
            }
        }
    }
    found
}

/// Parses mdev.conf; a bad line is an error naming it.
fn parse_rules(text: &[u8]) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        let bad = |what: &str| format!("bad line {} in mdev.conf: {what}", n + 1);
        let mut rest = line;
        let mut word = || -> Option<&[u8]> {
            let r = rest.trim_ascii_start();
            if r.is_empty() {
                return None;
            }
            let end = r
                .iter()
                .position(u8::is_ascii_whitespace)
                .unwrap_or(r.len());
            rest = &r[end..];
            Some(&r[..end])
        };
        let (Some(pattern), Some(owner), Some(mode)) = (word(), word(), word()) else {
            return Err(bad("too few fields"));
        };
        let mut next = word();
        let (keep_going, pattern) = match pattern.strip_prefix(b"-") {
            Some(p) => (true, p),
            None => (false, pattern),
        };
        let regex = |pat: &[u8]| {
            let opts = Options {
                extended: true,
                line: true,
                ..Options::default()
            };
            Regex::with_options(pat, &opts).map_err(|e| bad(&e.to_string()))
        };
        let matcher = if let Some(nums) = pattern.strip_prefix(b"@") {
            let text = String::from_utf8_lossy(nums);
            let parse = || -> Option<(u64, u64, u64)> {
                let (maj, mins) = text.split_once(',')?;
                let (lo, hi) = match mins.split_once('-') {
                    Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
                    None => {
                        let m = mins.trim().parse().ok()?;
                        (m, m)
                    }
                };
                Some((maj.trim().parse().ok()?, lo, hi))
            };
            let (maj, lo, hi) = parse().ok_or_else(|| bad("bad device numbers"))?;
            Matcher::Numbers(maj, lo, hi)
        } else if let Some(env) = pattern.strip_prefix(b"$") {
            let eq = env
                .iter()
                .position(|&b| b == b'=')
                .ok_or_else(|| bad("no '=' in $VAR=regex"))?;
            Matcher::Env(
                String::from_utf8_lossy(&env[..eq]).into_owned(),
                regex(&env[eq + 1..])?,
            )
        } else {
            Matcher::Name(regex(pattern)?)
        };
        let (user, group) = match owner.iter().position(|&b| b == b':') {
            Some(c) => (&owner[..c], &owner[c + 1..]),
            None => return Err(bad("owner is not user:group")),
        };
        let uid = crate::fsutil::parse_user(OsStr::from_bytes(user))
            .ok_or_else(|| bad("unknown user"))?;
        let gid = crate::fsutil::parse_group(OsStr::from_bytes(group))
            .ok_or_else(|| bad("unknown group"))?;
        let mode = std::str::from_utf8(mode)
            .ok()
            .and_then(|m| u32::from_str_radix(m, 8).ok())
            .filter(|&m| m <= 0o7777)
            .ok_or_else(|| bad("bad mode"))?;
        let mut alias = None;
        let mut no_node = false;
        match next.and_then(|w| w.first()) {
            Some(b'=') | Some(b'>') => {
                let w = next.unwrap_or_default();
                alias = Some((w[1..].to_vec(), w[0] == b'>'));
                next = word();
            }
            Some(b'!') => {
                no_node = true;
                next = word();
            }
            _ => {}
        }
        let command = match next {
            Some(w) if matches!(w.first(), Some(b'@' | b'$' | b'*')) => {
                // The command is the rest of the line, spaces and all.
                let mut cmd = w[1..].to_vec();
                cmd.extend_from_slice(rest);
                Some((w[0], cmd.trim_ascii().to_vec()))
            }
            Some(_) => return Err(bad("unknown field")),
            None => None,
        };
        rules.push(Rule {
            keep_going,
            matcher,
            uid,
            gid,
            mode,
            alias,
            no_node,
            command,
        });
    }
    Ok(rules)
}

/// Creates (`add`) or removes the node of `dev` as the first matching rule
/// (and any `-` rules before it) say; 0:0 660 without one.
fn act(roots: &Roots, rules: &[Rule], dev: &Device, add: bool) -> i32 {
    let default = Rule {
        keep_going: false,
        matcher: Matcher::Numbers(0, 0, 0),
        uid: 0,
        gid: 0,
        mode: 0o660,
        alias: None,
        no_node: false,
        command: None,
    };
    let mut status = 0;
    let mut matched_final = false;
    for rule in rules {
        let Some(caps) = rule_matches(rule, dev) else {
            continue;
        };
        status |= apply(roots, rule, dev, &caps, add);
        if !rule.keep_going {
            matched_final = true;
            break;
        }
    }
    if !matched_final {
        status |= apply(roots, &default, dev, &[], add);
    }
    status
}

/// The captured texts (`%0`..`%9`) if `rule` applies to `dev`.
fn rule_matches(rule: &Rule, dev: &Device) -> Option<Vec<Vec<u8>>> {
    let subject_caps = |re: &Regex, text: &[u8]| -> Option<Vec<Vec<u8>>> {
        let caps = re.captures_at(text, 0)?;
        Some(
            caps.iter()
                .map(|c| c.map(|(a, b)| text[a..b].to_vec()).unwrap_or_default())
                .collect(),
        )
    };
    match &rule.matcher {
        Matcher::Name(re) => subject_caps(re, &dev.name),
        Matcher::Env(var, re) => {
            let value = std::env::var_os(var)?;
            subject_caps(re, value.as_bytes())
        }
        Matcher::Numbers(maj, lo, hi) => {
            (dev.major == *maj && (*lo..=*hi).contains(&dev.minor)).then(Vec::new)
        }
    }
}

/// `%N` in `text` replaced by capture N.
fn substitute(text: &[u8], caps: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'%' && i + 1 < text.len() && text[i + 1].is_ascii_digit() {
            let n = usize::from(text[i + 1] - b'0');
            out.extend_from_slice(caps.get(n).map(Vec::as_slice).unwrap_or_default());
            i += 2;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

/// Does what one rule says for `dev`.
fn apply(roots: &Roots, rule: &Rule, dev: &Device, caps: &[Vec<u8>], add: bool) -> i32 {
    let mut status = 0;
    // Where the node goes: `=dir/` keeps the name in dir, `=name` renames.
    let node_name: Vec<u8> = match &rule.alias {
        Some((path, _)) => {
            let path = substitute(path, caps);
            if path.ends_with(b"/") {
                let mut p = path;
                p.extend_from_slice(&dev.name);
                p
            } else {
                path
            }
        }
        None => dev.name.clone(),
    };
    let node = roots.dev.join(OsStr::from_bytes(&node_name));
    let link = rule
        .alias
        .as_ref()
        .filter(|(_, link)| *link)
        .map(|_| roots.dev.join(OsStr::from_bytes(&dev.name)));
    let run_if = |kinds: &[u8]| match &rule.command {
        Some((k, cmd)) if kinds.contains(k) => run_command(roots, cmd, &node_name, add),
        _ => 0,
    };
    if !add {
        status |= run_if(b"$*");
        if !rule.no_node {
            let _ = std::fs::remove_file(&node);
            if let Some(l) = &link {
                let _ = std::fs::remove_file(l);
            }
        }
        return status;
    }
    if !rule.no_node {
        status |= make_node(&node, rule, dev);
        if let Some(l) = &link {
            let _ = std::fs::remove_file(l);
            if let Err(e) = std::os::unix::fs::symlink(OsStr::from_bytes(&node_name), l) {
                perror(
                    "mdev",
                    format!("can't create symlink '{}'", l.display()),
                    &e,
                );
                status = 1;
            }
        }
    }
    status | run_if(b"@*")
}

/// mknod with the rule's mode and owner; an existing node is reused (its
/// mode and owner still set).
fn make_node(node: &Path, rule: &Rule, dev: &Device) -> i32 {
    if let Some(parent) = node.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    let kind = if dev.block {
        SFlag::S_IFBLK
    } else {
        SFlag::S_IFCHR
    };
    let perm = Mode::from_bits_truncate(rule.mode);
    match mknod(node, kind, perm, makedev(dev.major, dev.minor)) {
        Ok(()) | Err(nix::errno::Errno::EEXIST) => {}
        Err(e) => {
            error_msg(
                "mdev",
                &format!("can't create '{}': {}", node.display(), e.desc()),
            );
            return 1;
        }
    }
    // mknod honoured the umask: set the exact mode, then the owner.
    let _ = crate::fsutil::set_exact_mode(node, Some(rule.mode));
    if let Err(e) = nix::unistd::chown(
        node,
        Some(nix::unistd::Uid::from_raw(rule.uid)),
        Some(nix::unistd::Gid::from_raw(rule.gid)),
    ) {
        error_msg(
            "mdev",
            &format!("can't chown '{}': {}", node.display(), e.desc()),
        );
        return 1;
    }
    0
}

/// Runs a rule's command with `sh -c` in the /dev directory, with MDEV
/// set to the node's name and ACTION to add or remove.
fn run_command(roots: &Roots, cmd: &[u8], node_name: &[u8], add: bool) -> i32 {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(OsStr::from_bytes(cmd))
        .current_dir(&roots.dev)
        .env("MDEV", OsStr::from_bytes(node_name))
        .env("ACTION", if add { "add" } else { "remove" })
        .status();
    match status {
        Ok(s) if s.success() => 0,
        Ok(_) => 1,
        Err(e) => {
            perror("mdev", "can't run 'sh'", &e);
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse() {
        let rules = parse_rules(
            b"# c\n-null 0:0 666\nsd[a-z]([0-9]*) 0:6 0640 =disk/%1/ @echo hi there\n@4,0-63 0:5 620 >tty/%0\n$MODALIAS=.* 0:0 660 ! *modprobe\n",
        )
        .unwrap();
        assert_eq!(rules.len(), 4);
        assert!(rules[0].keep_going);
        assert_eq!((rules[1].gid, rules[1].mode), (6, 0o640));
        assert_eq!(rules[1].alias, Some((b"disk/%1/".to_vec(), false)));
        assert_eq!(rules[1].command, Some((b'@', b"echo hi there".to_vec())));
        assert!(matches!(rules[2].matcher, Matcher::Numbers(4, 0, 63)));
        assert!(rules[3].no_node);
        assert!(parse_rules(b"a 0:0\n").is_err());
        assert!(parse_rules(b"a 0 600\n").is_err());
        assert!(parse_rules(b"a 0:0 9z\n").is_err());
        assert!(parse_rules(b"a( 0:0 600\n").is_err());
        assert_eq!(
            substitute(b"x/%1/%2%", &[b"all".to_vec(), b"1".to_vec()]),
            b"x/1/%"
        );
    }
}
