//! `mount [-rw] [-t TYPE] [-o OPTS] DEVICE DIR`, `mount --bind A B`, and
//! `mount` alone to list what is mounted.

use crate::common::{error_msg, getopt, Exit};
use nix::mount::{mount, MsFlags};
use std::ffi::OsString;
use std::io::Write;

pub const USAGE: &str = "[OPTIONS] [-o OPT] DEVICE NODE\n\nMount a filesystem. Filesystem autodetection requires /proc.\n\n\t-r\tRead-only mount\n\t-w\tRead-write mount (default)\n\t-t FSTYPE[,...]\tFilesystem type(s)\n\t-o OPT\tMount options (ro, rw, nosuid, nodev, noexec, remount, bind, ...)\n\t-a\tMount all filesystems in /etc/fstab\n\t--bind\tBind a file or directory\n\t--rbind\tBind a directory and the mounts under it\n\t--move\tRelocate an existing mount point";

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

/// Entry point: list, mount one filesystem, or (`-a`) everything in fstab.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "rwt:o:ai",
        &[
            ("bind", 'B'),
            ("rbind", 'R'),
            ("move", 'M'),
            ("read-only", 'r'),
            ("types", 't'),
            ("options", 'o'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
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
        return mount_all(&words);
    }
    if p.operands.is_empty() && words.is_empty() {
        return list();
    }
    let (flags, data) = parse_options(&words);
    let (source, target) = match p.operands.as_slice() {
        [source, target] => (Some(source.clone()), target.clone()),
        // `mount -o remount DIR`, `mount --make-private DIR`: no source.
        [target] if flags.intersects(MsFlags::MS_REMOUNT | PROPAGATION) => (None, target.clone()),
        [_] => {
            return crate::common::usage_error(
                "mount",
                "can't find the device of a lone mount point without /etc/fstab",
            )
        }
        _ => return crate::common::usage_error("mount", "wrong number of arguments"),
    };
    perform(&Request {
        source,
        target,
        types,
        flags,
        data,
    })
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
fn perform(req: &Request) -> i32 {
    let types = if !req.types.is_empty() {
        req.types.clone()
    } else if req.flags.intersects(TYPELESS) {
        vec!["none".to_string()]
    } else {
        guess_types()
    };
    if types.is_empty() {
        error_msg("mount", "can't find the filesystem type; use -t TYPE");
        return 1;
    }
    let data = (!req.data.is_empty()).then_some(req.data.as_str());
    let mut last = nix::errno::Errno::EINVAL;
    for fstype in &types {
        // Without a device the type stands in, as in `mount -t proc proc
        // /proc`; a remount or propagation change ignores it anyway.
        let source = req.source.clone().or_else(|| Some(OsString::from(fstype)));
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

/// `mount -a`: every /etc/fstab entry that is not `noauto`, swap, or
/// already mounted; `words` (from -o) are added to each entry's options.
fn mount_all(words: &[String]) -> i32 {
    let fstab = match std::fs::read_to_string("/etc/fstab") {
        Ok(t) => t,
        Err(e) => {
            crate::common::perror("mount", "can't read '/etc/fstab'", &e);
            return 1;
        }
    };
    let mounted = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let is_mounted = |dir: &str| {
        mounted
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some(dir))
    };
    let mut status = 0;
    for line in fstab.lines().map(str::trim) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if line.starts_with('#') || f.len() < 3 || f[2] == "swap" || is_mounted(f[1]) {
            continue;
        }
        let mut entry_words: Vec<String> = f
            .get(3)
            .map(|o| o.split(',').map(str::to_string).collect())
            .unwrap_or_default();
        if entry_words.iter().any(|w| w == "noauto") {
            continue;
        }
        entry_words.retain(|w| w != "auto" && w != "nofail" && w != "user");
        entry_words.extend_from_slice(words);
        let (flags, data) = parse_options(&entry_words);
        status |= perform(&Request {
            source: Some(f[0].into()),
            target: f[1].into(),
            types: split_types(Some(f[2].to_string())),
            flags,
            data,
        });
    }
    status
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
}
