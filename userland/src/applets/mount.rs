//! `mount [-rw] [-t TYPE] [-o OPTS] DEVICE DIR`, `mount --bind A B`, and
//! `mount` alone to list what is mounted. DEVICE (here or in fstab) may be
//! `LABEL=NAME` or `UUID=ID`, found by probing /proc/partitions.

use crate::common::{error_msg, getopt, Exit};
use nix::mount::{mount, MsFlags};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[OPTIONS] [-o OPT] DEVICE NODE\n\nMount a filesystem. Filesystem autodetection requires /proc.\n\n\t-r\tRead-only mount\n\t-w\tRead-write mount (default)\n\t-t FSTYPE[,...]\tFilesystem type(s)\n\t-o OPT\tMount options (ro, rw, nosuid, nodev, noexec, remount, bind, ...)\n\t-a\tMount all filesystems in fstab (not noauto, swap or already mounted)\n\t-T FSTAB\tRead FSTAB instead of /etc/fstab\n\t-f\tFake: do everything but the mount(2) call\n\t-v\tVerbose: show each mount as it is made\n\t-n\tIgnored (there is no /etc/mtab)\n\t--bind\tBind a file or directory\n\t--rbind\tBind a directory and the mounts under it\n\t--move\tRelocate an existing mount point";

/// Option words and the flags they set (`true`) or clear (`false`).
const FLAG_WORDS: &[(&str, MsFlags, bool)] = &[
    ("ro", MsFlags::MS_RDONLY, true),
    ("rw", MsFlags::MS_RDONLY, false),
    ("nosuid", MsFlags::MS_NOSUID, true),
    ("suid", MsFlags::MS_NOSUID, false),
    ("nodev", MsFlags::MS_NODEV, true),
    ("dev", MsFlags::MS_NODEV, false),
    ("noexec", MsFlags::MS_NOEXEC, true),
    ("exec", MsFlags::MS_NOEXEC, false),
    ("sync", MsFlags::MS_SYNCHRONOUS, true),
    ("async", MsFlags::MS_SYNCHRONOUS, false),
    ("remount", MsFlags::MS_REMOUNT, true),
    ("bind", MsFlags::MS_BIND, true),
    ("rbind", MsFlags::MS_BIND.union(MsFlags::MS_REC), true),
    ("move", MsFlags::MS_MOVE, true),
    ("private", MsFlags::MS_PRIVATE, true),
    ("rprivate", MsFlags::MS_PRIVATE.union(MsFlags::MS_REC), true),
    ("shared", MsFlags::MS_SHARED, true),
    ("rshared", MsFlags::MS_SHARED.union(MsFlags::MS_REC), true),
    ("slave", MsFlags::MS_SLAVE, true),
    ("rslave", MsFlags::MS_SLAVE.union(MsFlags::MS_REC), true),
    ("unbindable", MsFlags::MS_UNBINDABLE, true),
    ("relatime", MsFlags::MS_RELATIME, true),
    ("norelatime", MsFlags::MS_RELATIME, false),
    ("noatime", MsFlags::MS_NOATIME, true),
    ("atime", MsFlags::MS_NOATIME, false),
    ("nodiratime", MsFlags::MS_NODIRATIME, true),
    ("diratime", MsFlags::MS_NODIRATIME, false),
    ("strictatime", MsFlags::MS_STRICTATIME, true),
    ("dirsync", MsFlags::MS_DIRSYNC, true),
    ("mand", MsFlags::MS_MANDLOCK, true),
    ("nomand", MsFlags::MS_MANDLOCK, false),
    ("defaults", MsFlags::empty(), true),
];

/// Flags whose mount(2) needs no filesystem type (and no source).
const TYPELESS: MsFlags = MsFlags::MS_BIND
    .union(MsFlags::MS_MOVE)
    .union(MsFlags::MS_REMOUNT)
    .union(PROPAGATION);

/// Flags that change a mount's propagation type: only the target matters.
const PROPAGATION: MsFlags = MsFlags::MS_PRIVATE
    .union(MsFlags::MS_SHARED)
    .union(MsFlags::MS_SLAVE)
    .union(MsFlags::MS_UNBINDABLE);

/// One mount(2) to make.
struct Request {
    /// The device (`None` for a remount or a propagation change).
    source: Option<OsString>,
    target: OsString,
    /// Filesystem types to try in turn; empty means guess.
    types: Vec<String>,
    flags: MsFlags,
    /// Options that are not flags, for the filesystem (`mode=755`).
    data: String,
}

/// How mounts are made: `-f` does everything but the mount(2) call and
/// `-v` shows each mount as it is made, so that what `mount -a` would do
/// can be checked safely; `-T` names another fstab.
struct Mode {
    fake: bool,
    verbose: bool,
    fstab: OsString,
}

/// Entry point: list, mount one filesystem, or (`-a`) everything in fstab.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "rwt:o:aifvnT:",
        &[
            ("bind", 'B'),
            ("rbind", 'R'),
            ("move", 'M'),
            ("read-only", 'r'),
            ("types", 't'),
            ("options", 'o'),
            ("fake", 'f'),
            ("verbose", 'v'),
            ("fstab", 'T'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mode = Mode {
        fake: p.has('f'),
        verbose: p.has('v'),
        fstab: p
            .value('T')
            .map(OsString::from)
            .unwrap_or_else(|| OsString::from("/etc/fstab")),
    };
    // Long-only options arrive as letters outside the short set.
    let mut words: Vec<String> = Vec::new();
    for (c, v) in &p.opts {
        match (c, v) {
            ('r', _) => words.push("ro".into()),
            ('w', _) => words.push("rw".into()),
            ('B', _) => words.push("bind".into()),
            ('R', _) => words.push("rbind".into()),
            ('M', _) => words.push("move".into()),
            ('o', Some(v)) => words.extend(v.to_string_lossy().split(',').map(str::to_string)),
            _ => {}
        }
    }
    let types = split_types(p.value('t').map(|t| t.to_string_lossy().into_owned()));
    if p.has('a') {
        return mount_all(&words, &types, &mode);
    }
    if p.operands.is_empty() && words.is_empty() {
        return list();
    }
    let (flags, data) = parse_options(&words);
    let (source, target, types, flags, data) = match p.operands.as_slice() {
        [source, target] => (Some(source.clone()), target.clone(), types, flags, data),
        // `mount -o remount DIR`, `mount --make-private DIR`: no source.
        [target] if flags.intersects(MsFlags::MS_REMOUNT | PROPAGATION) => {
            (None, target.clone(), types, flags, data)
        }
        // `mount DIR` or `mount DEVICE`: the rest comes from fstab, and
        // options given here are added to the entry's.
        [one] => {
            let fstab = std::fs::read(&mode.fstab).unwrap_or_default();
            let Some(entry) = parse_fstab(&fstab)
                .into_iter()
                .find(|e| e.target == *one || e.source == *one)
            else {
                error_msg(
                    "mount",
                    &format!(
                        "can't find {} in {}",
                        one.to_string_lossy(),
                        mode.fstab.to_string_lossy()
                    ),
                );
                return 1;
            };
            let mut all = entry.options.clone();
            all.retain(|w| !IGNORED.contains(&w.as_str()));
            all.extend_from_slice(&words);
            let (flags, data) = parse_options(&all);
            let types = if types.is_empty() {
                split_types(Some(entry.fstype.clone()))
            } else {
                types
            };
            (Some(entry.source), entry.target, types, flags, data)
        }
        _ => return crate::common::usage_error("mount", "wrong number of arguments"),
    };
    perform(
        &Request {
            source,
            target,
            types,
            flags,
            data,
        },
        &mode,
    )
}

/// fstab options that are for mount itself, not the kernel.
const IGNORED: &[&str] = &[
    "auto", "noauto", "nofail", "user", "nouser", "users", "owner", "_netdev",
];

/// One line of fstab.
#[derive(Debug, PartialEq)]
struct FstabEntry {
    source: OsString,
    target: OsString,
    fstype: String,
    options: Vec<String>,
}

/// The entries of an fstab: blank lines and `#` comments skipped, `\040`
/// escapes undone, lines of fewer than three fields ignored.
fn parse_fstab(text: &[u8]) -> Vec<FstabEntry> {
    String::from_utf8_lossy(text)
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 3 {
                return None;
            }
            Some(FstabEntry {
                source: unescape(f[0]).into(),
                target: unescape(f[1]).into(),
                fstype: f[2].to_string(),
                options: f
                    .get(3)
                    .map(|o| o.split(',').map(str::to_string).collect())
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// `-t ext4,vfat` → the types to try; `auto` (or nothing) means guess.
fn split_types(arg: Option<String>) -> Vec<String> {
    arg.unwrap_or_default()
        .split(',')
        .filter(|t| !t.is_empty() && *t != "auto")
        .map(str::to_string)
        .collect()
}

/// Makes one mount, trying each candidate type; reports failure and returns
/// the exit status.
fn perform(req: &Request, mode: &Mode) -> i32 {
    // `LABEL=` and `UUID=` name the device by the filesystem on it.
    let source = match &req.source {
        Some(s) => match crate::fsprobe::Tag::parse(s.as_bytes()) {
            Some(tag) => match tag.find() {
                Some(device) => Some(device),
                None => {
                    error_msg("mount", &format!("can't find {}", s.to_string_lossy()));
                    return 1;
                }
            },
            None => Some(s.clone()),
        },
        None => None,
    };
    let types = if !req.types.is_empty() {
        req.types.clone()
    } else if req.flags.intersects(TYPELESS) {
        vec!["none".to_string()]
    } else if mode.fake {
        // Nothing is probed in a fake run.
        vec!["auto".to_string()]
    } else {
        guess_types()
    };
    if mode.verbose {
        let shown = req
            .source
            .as_deref()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "none".to_string());
        let line = format!(
            "{shown} on {} type {} ({})\n",
            req.target.to_string_lossy(),
            types.join(","),
            describe(req.flags, &req.data)
        );
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(line.as_bytes()).and_then(|_| out.flush()) {
            return crate::text::write_failed("mount", &e);
        }
    }
    if mode.fake {
        return 0;
    }
    if types.is_empty() {
        error_msg("mount", "can't find the filesystem type; use -t TYPE");
        return 1;
    }
    let data = (!req.data.is_empty()).then_some(req.data.as_str());
    let mut last = nix::errno::Errno::EINVAL;
    for fstype in &types {
        // Without a device the type stands in, as in `mount -t proc proc
        // /proc`; a remount or propagation change ignores it anyway.
        let source = source.clone().or_else(|| Some(OsString::from(fstype)));
        match mount(
            source.as_deref(),
            req.target.as_os_str(),
            Some(fstype.as_str()),
            req.flags,
            data,
        ) {
            Ok(()) => return 0,
            // Wrong guess: the kernel says so with EINVAL or ENODEV.
            Err(e @ (nix::errno::Errno::EINVAL | nix::errno::Errno::ENODEV)) => last = e,
            Err(e) => {
                last = e;
                break;
            }
        }
    }
    let shown = req
        .source
        .as_deref()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| types.join(","));
    error_msg(
        "mount",
        &format!(
            "mounting {shown} on {} failed: {}",
            req.target.to_string_lossy(),
            last.desc()
        ),
    );
    1
}

/// Filesystems that need a device, from /proc/filesystems (those marked
/// `nodev` are pseudo filesystems and never the answer for a device).
fn guess_types() -> Vec<String> {
    std::fs::read_to_string("/proc/filesystems")
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with("nodev"))
        .map(|l| l.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// `mount -a`: every fstab entry that is not `noauto`, swap, or already
/// mounted (and, with -t, of one of `types`); `words` (from -o) are added
/// to each entry's options.
fn mount_all(words: &[String], types: &[String], mode: &Mode) -> i32 {
    let fstab = match std::fs::read(&mode.fstab) {
        Ok(t) => t,
        Err(e) => {
            crate::common::perror(
                "mount",
                format!("can't read '{}'", mode.fstab.to_string_lossy()),
                &e,
            );
            return 1;
        }
    };
    let mounted = crate::fsutil::mounts().unwrap_or_default();
    let mut status = 0;
    for entry in parse_fstab(&fstab) {
        let already = mounted.iter().any(|m| m.dir.as_os_str() == entry.target);
        let wanted = types.is_empty() || types.contains(&entry.fstype);
        if entry.fstype == "swap" || already || !wanted {
            continue;
        }
        if entry.options.iter().any(|w| w == "noauto") {
            continue;
        }
        let mut entry_words = entry.options.clone();
        entry_words.retain(|w| !IGNORED.contains(&w.as_str()));
        entry_words.extend_from_slice(words);
        let (flags, data) = parse_options(&entry_words);
        status |= perform(
            &Request {
                source: Some(entry.source),
                target: entry.target,
                types: split_types(Some(entry.fstype)),
                flags,
                data,
            },
            mode,
        );
    }
    status
}

/// The options of a mount as words, as `mount -v` shows them: `ro` or `rw`,
/// the flags in table order (`rbind` rather than `bind,rbind`), then the
/// filesystem's own options.
fn describe(flags: MsFlags, data: &str) -> String {
    let mut words = vec![if flags.contains(MsFlags::MS_RDONLY) {
        "ro"
    } else {
        "rw"
    }];
    for (i, (name, f, set)) in FLAG_WORDS.iter().enumerate() {
        if !*set || f.is_empty() || *f == MsFlags::MS_RDONLY || !flags.contains(*f) {
            continue;
        }
        // A later word that says more (rbind after bind) stands for both.
        let wider = FLAG_WORDS[i + 1..]
            .iter()
            .any(|(_, g, s)| *s && g.contains(*f) && *g != *f && flags.contains(*g));
        if !wider {
            words.push(name);
        }
    }
    let mut text = words.join(",");
    if !data.is_empty() {
        text.push(',');
        text.push_str(data);
    }
    text
}

/// Splits option words into mount flags and the filesystem's data string.
fn parse_options(words: &[String]) -> (MsFlags, String) {
    let mut flags = MsFlags::empty();
    let mut data: Vec<&str> = Vec::new();
    for word in words.iter().filter(|w| !w.is_empty()) {
        match FLAG_WORDS.iter().find(|(name, _, _)| name == word) {
            Some((_, f, true)) => flags |= *f,
            Some((_, f, false)) => flags &= !*f,
            None => data.push(word),
        }
    }
    (flags, data.join(","))
}

/// `mount` with no arguments: what /proc/mounts says, BusyBox-style.
fn list() -> i32 {
    let text = match std::fs::read_to_string("/proc/mounts") {
        Ok(t) => t,
        Err(e) => {
            crate::common::perror("mount", "/proc/mounts", &e);
            return 1;
        }
    };
    let mut out = String::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() >= 4 {
            out.push_str(&format!(
                "{} on {} type {} ({})\n",
                unescape(f[0]),
                unescape(f[1]),
                f[2],
                f[3]
            ));
        }
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(out.as_bytes()) {
        Ok(()) => 0,
        Err(e) => {
            crate::common::perror("mount", "write error", &e);
            1
        }
    }
}

/// Decodes the octal escapes (`\\040` for a space) the kernel writes in
/// /proc/mounts for white space and backslashes in names.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).filter(|d| {
            bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)) && d[0] <= b'3'
        });
        match octal {
            Some(d) => {
                out.push(d.iter().fold(0u8, |v, b| v * 8 + (b - b'0')));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_split_into_flags_and_data() {
        let words: Vec<String> = ["ro", "nosuid", "mode=755", "rw", "size=1m"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (flags, data) = parse_options(&words);
        assert_eq!(flags, MsFlags::MS_NOSUID);
        assert_eq!(data, "mode=755,size=1m");
    }

    #[test]
    fn mounts_escapes_and_types() {
        assert_eq!(unescape("/mnt/a\\040b\\134"), "/mnt/a b\\");
        assert_eq!(unescape("/x\\9"), "/x\\9");
        assert_eq!(split_types(Some("ext4,auto,vfat".into())), ["ext4", "vfat"]);
        assert!(split_types(None).is_empty());
    }

    #[test]
    fn fstab_and_descriptions() {
        let entries = parse_fstab(
            b"# c\n\n/dev/a\t/mnt/x\\040y ext4 ro,noauto 0 1\nshort line\nproc /proc proc\n",
        );
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].target, OsString::from("/mnt/x y"));
        assert_eq!(entries[0].options, ["ro", "noauto"]);
        assert!(entries[1].options.is_empty());
        let words: Vec<String> = ["rbind", "nosuid", "ro", "size=1m"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (flags, data) = parse_options(&words);
        assert_eq!(describe(flags, &data), "ro,nosuid,rbind,size=1m");
        assert_eq!(describe(MsFlags::MS_BIND, ""), "rw,bind");
    }
}
