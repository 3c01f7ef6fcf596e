//! Reading the saved paths from the running system and putting an
//! archive's paths back.

use crate::archive::{valid_path, Archive, Entry, Kind};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Largest single file read into an archive.
pub const MAX_FILE: u64 = 16 << 20;

/// `root` joined with an absolute path (`/`, `/etc/x` → `/etc/x`).
pub fn host(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// Whether `path` is `base` or below it.
pub fn under(path: &str, base: &str) -> bool {
    path == base
        || (path.starts_with(base) && path.as_bytes().get(base.len()) == Some(&b'/'))
        || base == "/"
}

/// Everything under each of `roots` (absolute paths) that is a file,
/// directory or symbolic link, not below any of `excluded`, by path. Links
/// are not followed. Unreadable paths are reported in `problems` and left
/// out.
pub fn scan(
    root: &Path,
    roots: &[String],
    excluded: &[String],
    problems: &mut Vec<String>,
) -> BTreeMap<String, Entry> {
    let mut out = BTreeMap::new();
    for r in roots {
        walk(root, r, excluded, &mut out, problems);
    }
    out
}

fn walk(
    root: &Path,
    path: &str,
    excluded: &[String],
    out: &mut BTreeMap<String, Entry>,
    problems: &mut Vec<String>,
) {
    if !valid_path(path) || excluded.iter().any(|x| under(path, x)) || out.contains_key(path) {
        return;
    }
    let on_host = host(root, path);
    let Ok(meta) = fs::symlink_metadata(&on_host) else {
        return;
    };
    let ft = meta.file_type();
    let kind = if ft.is_dir() {
        Kind::Dir
    } else if ft.is_symlink() {
        match fs::read_link(&on_host) {
            Ok(t) => Kind::Symlink(t.to_string_lossy().into_owned()),
            Err(e) => {
                problems.push(format!("{path}: {e}"));
                return;
            }
        }
    } else if ft.is_file() {
        if meta.len() > MAX_FILE {
            problems.push(format!("{path}: larger than {MAX_FILE} bytes, not saved"));
            return;
        }
        match fs::read(&on_host) {
            Ok(d) => Kind::File(d),
            Err(e) => {
                problems.push(format!("{path}: {e}"));
                return;
            }
        }
    } else {
        // Sockets, pipes and device nodes are not configuration.
        return;
    };
    let is_dir = matches!(kind, Kind::Dir);
    out.insert(
        path.to_string(),
        Entry {
            path: path.to_string(),
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            kind,
        },
    );
    if is_dir {
        let Ok(dir) = fs::read_dir(&on_host) else {
            problems.push(format!("{path}: cannot list"));
            return;
        };
        let mut names: Vec<String> = dir
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        ibex_sort::sort(&mut names);
        for name in names {
            walk(root, &format!("{path}/{name}"), excluded, out, problems);
        }
    }
}

/// Puts `archive` in place under `root`: each file and link is written
/// beside its place and renamed over it, so a reader sees the old or the
/// new one; then the removed paths are deleted (children first). Goes on
/// after a failure; returns the number of files and links restored and
/// what failed.
pub fn apply(root: &Path, archive: &Archive) -> (usize, Vec<String>) {
    let mut restored = 0;
    let mut errors = Vec::new();
    for e in &archive.entries {
        match put(root, e) {
            Ok(()) => {
                if !matches!(e.kind, Kind::Dir) {
                    restored += 1;
                }
            }
            Err(err) => errors.push(format!("{}: {err}", e.path)),
        }
    }
    let mut removed: Vec<&String> = archive.removed.iter().collect();
    ibex_sort::sort(&mut removed);
    for path in removed.into_iter().rev() {
        let p = host(root, path);
        let r = match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => fs::remove_dir(&p),
            Ok(_) => fs::remove_file(&p),
            Err(_) => Ok(()),
        };
        if let Err(err) = r {
            errors.push(format!("{path}: cannot remove: {err}"));
        }
    }
    (restored, errors)
}

fn put(root: &Path, e: &Entry) -> std::io::Result<()> {
    let p = host(root, &e.path);
    if let Kind::Dir = e.kind {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                fs::remove_file(&p)?;
                fs::create_dir_all(&p)?;
            }
            Err(_) => fs::create_dir_all(&p)?,
        }
        fs::set_permissions(&p, fs::Permissions::from_mode(e.mode))?;
        return std::os::unix::fs::lchown(&p, Some(e.uid), Some(e.gid));
    }
    let parent = p.parent().unwrap_or(root);
    fs::create_dir_all(parent)?;
    let name = p.file_name().unwrap_or_default().to_string_lossy();
    let tmp = parent.join(format!(".{name}.lbu-new"));
    let _ = fs::remove_file(&tmp);
    match &e.kind {
        Kind::File(data) => {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(data)?;
            f.set_permissions(fs::Permissions::from_mode(e.mode))?;
        }
        Kind::Symlink(target) => std::os::unix::fs::symlink(target, &tmp)?,
        Kind::Dir => {}
    }
    std::os::unix::fs::lchown(&tmp, Some(e.uid), Some(e.gid))?;
    // A directory in the way is replaced: the archive says a file is here.
    if fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
        fs::remove_dir_all(&p)?;
    }
    fs::rename(&tmp, &p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_matches_whole_components() {
        assert!(under("/etc/ssh", "/etc/ssh"));
        assert!(under("/etc/ssh/key", "/etc/ssh"));
        assert!(!under("/etc/sshd", "/etc/ssh"));
        assert!(under("/etc/x", "/"));
    }
}
