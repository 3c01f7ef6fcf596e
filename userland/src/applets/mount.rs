//! `mount [-rw] [-t TYPE] [-o OPTS] DEVICE DIR`, `mount --bind A B`, and
//! `mount` alone to list what is mounted.

use crate::common::{error_msg, getopt, Exit};
use nix::mount::{mount, MsFlags};
use std::ffi::OsString;
use std::io::Write;

pub const USAGE: &str = "[OPTIONS] [-o OPT] DEVICE NODE\n\nMount a filesystem. Filesystem autodetection requires /proc.\n\n\t-r\tRead-only mount\n\t-w\tRead-write mount (default)\n\t-t FSTYPE[,...]\tFilesystem type(s)\n\t-o OPT\tMount options (ro, rw, nosuid, nodev, noexec, remount, bind, ...)\n\t--bind\tBind a file or directory\n\t--move\tRelocate an existing mount point";

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
    if p.operands.is_empty() && words.is_empty() {
        return list();
    }
    let (flags, data) = parse_options(&words);
    let fstype = p.value('t').map(|t| t.to_string_lossy().into_owned());
    let (source, target) = match p.operands.as_slice() {
        [source, target] => (Some(source.clone()), target.clone()),
        // `mount -o remount DIR`: the source is not needed.
        [target] if flags.contains(MsFlags::MS_REMOUNT) => (None, target.clone()),
        [_] => {
            return crate::common::usage_error(
                "mount",
                "can't find the device of a lone mount point without /etc/fstab",
            )
        }
        _ => return crate::common::usage_error("mount", "wrong number of arguments"),
    };
    let source_or_type = source
        .clone()
        .or_else(|| fstype.clone().map(OsString::from));
    let data = (!data.is_empty()).then_some(data);
    let fstype = fstype.or_else(|| {
        (flags.intersects(MsFlags::MS_BIND | MsFlags::MS_MOVE | MsFlags::MS_REMOUNT))
            .then(|| "none".to_string())
    });
    let Some(fstype) = fstype else {
        return crate::common::usage_error("mount", "filesystem type not given (-t TYPE)");
    };
    match mount(
        source_or_type.as_deref(),
        target.as_os_str(),
        Some(fstype.as_str()),
        flags,
        data.as_deref(),
    ) {
        Ok(()) => 0,
        Err(e) => {
            error_msg(
                "mount",
                &format!(
                    "mounting {} on {} failed: {}",
                    source
                        .as_deref()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| fstype.clone()),
                    target.to_string_lossy(),
                    e.desc()
                ),
            );
            1
        }
    }
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
            out.push_str(&format!("{} on {} type {} ({})\n", f[0], f[1], f[2], f[3]));
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
}
