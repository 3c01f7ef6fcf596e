//! Writing archive members to disk without ever writing outside the target
//! directory: names lose leading `/` and everything up to their last `..`
//! (with BusyBox's "removing leading '...' from member names"), a path
//! through a symbolic link that this extraction made is refused (so a
//! member `link -> /etc` followed by `link/passwd` cannot escape), and
//! regular files are written to a temporary file renamed into place, so an
//! error never leaves half a file where the member belongs.

use super::{is_root, temp_file, Entry, Kind};
use crate::common::error_msg;
use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// How members are restored.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Give files their archived permission bits unchanged (`tar -p`);
    /// otherwise the umask applies.
    pub keep_perms: bool,
    /// Leave modification times at now (`tar -m`; cpio without `-m`).
    pub touch: bool,
    /// Restore owners (root only).
    pub same_owner: bool,
    /// Use the archived uid/gid even when a name is stored.
    pub numeric_owner: bool,
    /// Create missing parent directories (always for tar; `cpio -d`).
    pub make_parents: bool,
}

/// An extraction in progress into one directory.
pub struct Extractor {
    applet: &'static str,
    root: PathBuf,
    opts: Options,
    umask: u32,
    /// Relative paths this extraction created (of every kind).
    created: HashSet<Vec<u8>>,
    /// Directories whose mode and time are set at the end, once their
    /// contents no longer change them (and a read-only one stays writable
    /// meanwhile).
    dirs: Vec<(PathBuf, u32, i64)>,
    /// Prefixes already reported as removed.
    warned: HashSet<Vec<u8>>,
    /// Names already looked up in /etc/passwd and /etc/group.
    users: HashMap<Vec<u8>, Option<u32>>,
    groups: HashMap<Vec<u8>, Option<u32>>,
}

/// An error with a plain message.
fn err(msg: String) -> io::Error {
    io::Error::other(msg)
}

impl Extractor {
    /// Extracts into `root` (which must exist).
    pub fn new(applet: &'static str, root: PathBuf, opts: Options) -> Extractor {
        Extractor {
            applet,
            root,
            opts,
            umask: crate::fsutil::umask(),
            created: HashSet::new(),
            dirs: Vec::new(),
            warned: HashSet::new(),
            users: HashMap::new(),
            groups: HashMap::new(),
        }
    }

    /// The safe relative form of member name `name`: no leading `/`, no
    /// `.` or empty components, nothing up to and including the last `..`.
    /// What was removed is reported once per distinct prefix. `None` when
    /// nothing is left (the member is the target directory itself).
    pub fn sanitize(&mut self, name: &[u8], report: bool) -> Option<Vec<u8>> {
        let parts: Vec<&[u8]> = name.split(|&b| b == b'/').collect();
        let last_dotdot = parts.iter().rposition(|p| *p == b"..");
        let start = match last_dotdot {
            Some(i) => i + 1,
            None => 0,
        };
        if report && (start > 0 || name.starts_with(b"/")) {
            // The removed prefix as the user wrote it, e.g. "/" or "../../".
            let mut prefix: Vec<u8> = Vec::new();
            if start > 0 {
                prefix = parts[..start].join(&b'/');
                prefix.push(b'/');
            } else {
                let n = name.iter().take_while(|&&b| b == b'/').count();
                prefix.extend_from_slice(&name[..n]);
            }
            if self.warned.insert(prefix.clone()) {
                error_msg(
                    self.applet,
                    &format!(
                        "removing leading '{}' from member names",
                        String::from_utf8_lossy(&prefix)
                    ),
                );
            }
        }
        let kept: Vec<&[u8]> = parts[start..]
            .iter()
            .copied()
            .filter(|p| !p.is_empty() && *p != b".")
            .collect();
        if kept.is_empty() {
            return None;
        }
        Some(kept.join(&b'/'))
    }

    /// The full path of relative `rel`.
    pub fn path(&self, rel: &[u8]) -> PathBuf {
        self.root.join(OsStr::from_bytes(rel))
    }

    /// Checks every directory on the way to `rel`: each must be a directory
    /// and not a symbolic link this extraction made; missing ones are made
    /// when allowed and `create` is set.
    fn prepare_parents(&mut self, rel: &[u8], create: bool) -> io::Result<()> {
        let mut end = 0;
        while let Some(i) = rel[end..].iter().position(|&b| b == b'/') {
            let prefix = &rel[..end + i];
            end += i + 1;
            let path = self.path(prefix);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_symlink() => {
                    if self.created.contains(prefix) {
                        return Err(err(format!(
                            "path goes through the archive's own symlink '{}'",
                            String::from_utf8_lossy(prefix)
                        )));
                    }
                    // A link that was there before: the user's own choice
                    // (as with GNU tar), but it must lead to a directory.
                    if !fs::metadata(&path)?.is_dir() {
                        return Err(io::Error::from_raw_os_error(nix::libc::ENOTDIR));
                    }
                }
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(io::Error::from_raw_os_error(nix::libc::ENOTDIR)),
                Err(e)
                    if e.kind() == io::ErrorKind::NotFound && self.opts.make_parents && create =>
                {
                    fs::DirBuilder::new().mode(0o777).create(&path)?;
                    self.created.insert(prefix.to_vec());
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Removes whatever non-directory is at `path` so that a new member can
    /// take its place.
    fn clear(path: &Path) -> io::Result<()> {
        match fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => Err(io::Error::from_raw_os_error(nix::libc::EEXIST)),
            Ok(_) => fs::remove_file(path),
            Err(_) => Ok(()),
        }
    }

    /// The permission bits a member gets.
    fn mode_of(&self, e: &Entry) -> u32 {
        if self.opts.keep_perms {
            e.mode & 0o7777
        } else {
            e.mode & 0o777 & !self.umask
        }
    }

    /// Looks up the uid and gid to give a member (root only).
    fn owner_of(&mut self, e: &Entry) -> (u32, u32) {
        let mut uid = e.uid;
        let mut gid = e.gid;
        if !self.opts.numeric_owner {
            if !e.uname.is_empty() {
                let found = self.users.entry(e.uname.clone()).or_insert_with(|| {
                    crate::fsutil::user_by_name(OsStr::from_bytes(&e.uname)).map(|u| u.0)
                });
                uid = found.unwrap_or(uid);
            }
            if !e.gname.is_empty() {
                let found = self
                    .groups
                    .entry(e.gname.clone())
                    .or_insert_with(|| crate::fsutil::parse_group(OsStr::from_bytes(&e.gname)));
                gid = found.unwrap_or(gid);
            }
        }
        (uid, gid)
    }

    /// Gives `path` (never following a link) the member's owner when
    /// allowed, then its mode (not for links), then its time.
    fn attributes(&mut self, path: &Path, e: &Entry) -> io::Result<()> {
        if self.opts.same_owner && is_root() {
            let (uid, gid) = self.owner_of(e);
            std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
        }
        if e.kind != Kind::Symlink {
            fs::set_permissions(path, fs::Permissions::from_mode(self.mode_of(e)))?;
        }
        if !self.opts.touch {
            let t = nix::sys::time::TimeSpec::new(e.mtime, 0);
            crate::fsutil::set_times(path, &t, &t, false)?;
        }
        Ok(())
    }

    /// Creates member `e` at relative path `rel`, reading a regular file's
    /// `e.size` bytes from `data`. On an error nothing is left at `rel`
    /// that was not there before (a file being replaced stays intact).
    pub fn extract(&mut self, e: &Entry, rel: &[u8], data: &mut dyn Read) -> io::Result<()> {
        self.prepare_parents(rel, true)?;
        let path = self.path(rel);
        match e.kind {
            Kind::Dir => {
                match fs::symlink_metadata(&path) {
                    Ok(m) if m.is_dir() => {}
                    Ok(_) => {
                        fs::remove_file(&path)?;
                        fs::DirBuilder::new().mode(0o700).create(&path)?;
                    }
                    Err(_) => fs::DirBuilder::new().mode(0o700).create(&path)?,
                }
                if self.opts.same_owner && is_root() {
                    let (uid, gid) = self.owner_of(e);
                    std::os::unix::fs::lchown(&path, Some(uid), Some(gid))?;
                }
                let mode = self.mode_of(e);
                self.dirs.push((path, mode, e.mtime));
            }
            Kind::File => {
                let dir = super::parent_dir(&path).to_path_buf();
                let base = path.file_name().unwrap_or_default().to_os_string();
                let (mut file, tmp) = temp_file(&dir, &base)?;
                let result = (|| {
                    let copied = io::copy(&mut data.take(e.size), &mut file)?;
                    if copied < e.size {
                        return Err(err("unexpected end of file".into()));
                    }
                    file.flush()?;
                    drop(file);
                    self.attributes(&tmp, e)?;
                    if fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                        return Err(io::Error::from_raw_os_error(nix::libc::EISDIR));
                    }
                    fs::rename(&tmp, &path)
                })();
                if result.is_err() {
                    let _ = fs::remove_file(&tmp);
                }
                result?;
            }
            Kind::Symlink => {
                Self::clear(&path)?;
                std::os::unix::fs::symlink(OsStr::from_bytes(&e.link), &path)?;
                self.attributes(&path, e)?;
            }
            Kind::HardLink => {
                let Some(target) = self.sanitize(&e.link, false) else {
                    return Err(err("hard link to the target directory".into()));
                };
                self.prepare_parents(&target, false)?;
                let from = self.path(&target);
                let same = match (fs::symlink_metadata(&from), fs::symlink_metadata(&path)) {
                    (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
                    _ => false,
                };
                if !same {
                    Self::clear(&path)?;
                    // link(2) does not follow a symlink at `from`.
                    fs::hard_link(&from, &path)?;
                }
            }
            Kind::Char | Kind::Block | Kind::Fifo => {
                use nix::sys::stat::{mknod, Mode, SFlag};
                let kind = match e.kind {
                    Kind::Char => SFlag::S_IFCHR,
                    Kind::Block => SFlag::S_IFBLK,
                    _ => SFlag::S_IFIFO,
                };
                if e.kind != Kind::Fifo && !is_root() {
                    return Err(io::Error::from_raw_os_error(nix::libc::EPERM));
                }
                Self::clear(&path)?;
                let dev = nix::libc::makedev(e.dev.0, e.dev.1);
                mknod(&path, kind, Mode::from_bits_truncate(0o600), dev)
                    .map_err(crate::fsutil::io_err)?;
                self.attributes(&path, e)?;
            }
        }
        self.created.insert(rel.to_vec());
        Ok(())
    }

    /// Gives the directories made or met their modes and times, deepest
    /// first; reports failures and returns whether all went well.
    pub fn finish(&mut self) -> bool {
        let mut ok = true;
        let dirs = std::mem::take(&mut self.dirs);
        for (path, mode, mtime) in dirs.iter().rev() {
            // chmod follows links: touch only what is still a directory.
            if !fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            let mut r = fs::set_permissions(path, fs::Permissions::from_mode(*mode));
            if r.is_ok() && !self.opts.touch {
                let t = nix::sys::time::TimeSpec::new(*mtime, 0);
                r = crate::fsutil::set_times(path, &t, &t, false);
            }
            if let Err(e) = r {
                crate::common::perror(self.applet, crate::fsutil::show(path), &e);
                ok = false;
            }
        }
        ok
    }

    /// Metadata of what is already at `rel`, if anything (cpio's age check).
    pub fn existing(&self, rel: &[u8]) -> Option<fs::Metadata> {
        fs::symlink_metadata(self.path(rel)).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_dangerous_prefixes() {
        let mut x = Extractor::new("tar", PathBuf::from("."), Options::default());
        let mut s = |n: &str| {
            x.sanitize(n.as_bytes(), false)
                .map(|v| String::from_utf8(v).unwrap())
        };
        assert_eq!(s("/etc/passwd").as_deref(), Some("etc/passwd"));
        assert_eq!(s("a/../../b").as_deref(), Some("b"));
        assert_eq!(s("./a//b/").as_deref(), Some("a/b"));
        assert_eq!(s("..").as_deref(), None);
        assert_eq!(s("./").as_deref(), None);
        assert_eq!(s("a..b/..c").as_deref(), Some("a..b/..c"));
    }
}
