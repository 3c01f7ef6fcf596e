//! What the file applets share: mode parsing (chmod, mkdir, install, mkfifo,
//! mknod), a recursive tree walk that cannot loop on symlinks (chmod, chown,
//! chgrp, du), removing (rm, mv) and copying (cp, mv, install) trees the way
//! BusyBox's `remove_file` and `copy_file` do, `-i` prompts, user and group
//! names from /etc/passwd and /etc/group, path canonicalisation (readlink,
//! realpath), sizes with suffixes (dd, truncate) and human-readable sizes
//! (df, du).

use crate::common::{error_msg, lossy, perror};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, Metadata};
use std::io::{self, BufRead, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Replaces `path` with `data` so that readers (and a reboot after a power
/// cut) see the old file or the new one, never part of one: a temporary
/// file beside it, created with `mode` (less the umask), written, synced,
/// renamed over `path`, and the directory synced so the rename lasts. On
/// error the temporary file is removed and `path` is untouched.
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let _ = fs::remove_file(&tmp);
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `path` as text for messages (file names need not be UTF-8).
pub fn show(path: &Path) -> Cow<'_, str> {
    lossy(path.as_os_str())
}

/// The process's umask. umask(2) can only be read by setting it, so it is
/// set to 0 and back at once; applets are single-threaded.
pub fn umask() -> u32 {
    use nix::sys::stat::{umask, Mode};
    let old = umask(Mode::empty());
    umask(old);
    old.bits()
}

/// Parses an octal (`755`) or symbolic (`u+x,go-w,a=r,+X,u=g`) mode the way
/// BusyBox's `bb_parse_mode` does and applies it to `base`, the file's
/// current permission bits. `is_dir` decides what `X` means. A clause
/// without `ugoa` is filtered through the umask (`chmod +w` does not make a
/// file world-writable under umask 022); `=` first clears the bits of the
/// classes named (all of them when none is). Empty clauses (`u+x,,g+w`) are
/// allowed. Returns `None` for an invalid mode.
pub fn parse_mode(text: &str, base: u32, is_dir: bool) -> Option<u32> {
    const ALL: u32 = 0o7777;
    let b = text.as_bytes();
    if b.first().is_some_and(|c| (b'0'..=b'7').contains(c)) {
        if !b.iter().all(|c| (b'0'..=b'7').contains(c)) {
            return None;
        }
        return u32::from_str_radix(text, 8).ok().filter(|&m| m <= ALL);
    }
    if b.is_empty() {
        return None;
    }
    let mut mode = base & ALL;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b',' {
            i += 1;
            continue;
        }
        let mut who = 0u32;
        while i < b.len() && b"ugoa".contains(&b[i]) {
            who |= match b[i] {
                b'u' => 0o4700,
                b'g' => 0o2070,
                b'o' => 0o0007,
                _ => ALL,
            };
            i += 1;
        }
        // A clause needs at least one action: "u" or "u," is invalid.
        if i >= b.len() || b[i] == b',' {
            return None;
        }
        while i < b.len() && b[i] != b',' {
            let op = b[i];
            if !b"+-=".contains(&op) {
                return None;
            }
            i += 1;
            if op == b'=' {
                mode &= if who == 0 { !ALL } else { !who };
            }
            let mut perm = 0u32;
            if i < b.len() && b"ugo".contains(&b[i]) {
                // Copy another class's bits to the classes named: `u=g`.
                let shift = match b[i] {
                    b'u' => 6,
                    b'g' => 3,
                    _ => 0,
                };
                let bits = (mode >> shift) & 7;
                perm = (bits << 6) | (bits << 3) | bits;
                i += 1;
            } else {
                while i < b.len() && b"rwxXst".contains(&b[i]) {
                    perm |= match b[i] {
                        b'r' => 0o444,
                        b'w' => 0o222,
                        b'x' => 0o111,
                        b'X' if is_dir || mode & 0o111 != 0 => 0o111,
                        b'X' => 0,
                        b's' => 0o6000,
                        _ => 0o1000,
                    };
                    i += 1;
                }
            }
            perm &= if who == 0 { !umask() & ALL } else { who };
            match op {
                b'-' => mode &= !perm,
                _ => mode |= perm,
            }
        }
    }
    Some(mode)
}

/// The `-m MODE` option of mkfifo, mknod and install (`applet`), applied
/// to `base`: `Some(None)` without -m, `None` after reporting an invalid
/// mode.
pub fn mode_option(applet: &str, text: Option<&OsStr>, base: u32) -> Option<Option<u32>> {
    let Some(text) = text else {
        return Some(None);
    };
    let text = lossy(text);
    match parse_mode(&text, base, false) {
        Some(m) => Some(Some(m)),
        None => {
            error_msg(applet, &format!("invalid mode '{text}'"));
            None
        }
    }
}

/// Sets `mode` exactly when one was given: an explicit `-m` is not
/// narrowed by the umask as the mode given to mknod(2) or mkdir(2) is.
pub fn set_exact_mode(path: &Path, mode: Option<u32>) -> io::Result<()> {
    match mode {
        Some(m) => fs::set_permissions(path, fs::Permissions::from_mode(m)),
        None => Ok(()),
    }
}

/// How a walk treats symbolic links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Follow {
    /// `-P`: act on links themselves.
    Never,
    /// `-H`: follow only the operand itself.
    CommandLine,
    /// `-L`: follow every link.
    Always,
}

/// What [`walk`] reports for one file. The `usize` is the depth below the
/// operand (0 for the operand itself).
pub enum Event<'a> {
    /// A directory, before its entries; the visitor returns `false` to
    /// skip them (and the matching `Leave`).
    Enter(&'a Path, &'a Metadata),
    /// A directory, after its entries, with its depth.
    Leave(&'a Path, usize),
    /// Anything that is not a directory.
    File(&'a Path, &'a Metadata, usize),
    /// The file could not be examined or the directory could not be read.
    Error(&'a Path, io::Error),
    /// A followed symlink leads back to a directory being walked.
    Loop(&'a Path),
}

/// Walks the tree at `root`, calling `visit` in pre-order (`Enter`, `File`)
/// and post-order (`Leave`), entries sorted by name so that output is
/// reproducible. A directory reached through followed links that is one of
/// those being walked is reported as a `Loop` instead of recursing forever.
/// With `xdev`, files on other file systems than `root` are skipped
/// entirely (`du -x`).
pub fn walk(root: &Path, follow: Follow, xdev: bool, visit: &mut dyn FnMut(Event) -> bool) {
    let meta = if follow == Follow::Never {
        fs::symlink_metadata(root)
    } else {
        fs::metadata(root)
    };
    match meta {
        Ok(m) => {
            let dev = xdev.then_some(m.dev());
            walk_at(root, m, 0, follow, dev, &mut Vec::new(), visit);
        }
        Err(e) => {
            visit(Event::Error(root, e));
        }
    }
}

/// One step of [`walk`]; `ancestors` are the (device, inode) pairs of the
/// directories being walked.
fn walk_at(
    path: &Path,
    meta: Metadata,
    depth: usize,
    follow: Follow,
    xdev: Option<u64>,
    ancestors: &mut Vec<(u64, u64)>,
    visit: &mut dyn FnMut(Event) -> bool,
) {
    if xdev.is_some_and(|d| d != meta.dev()) {
        return;
    }
    if !meta.is_dir() {
        visit(Event::File(path, &meta, depth));
        return;
    }
    let id = (meta.dev(), meta.ino());
    if ancestors.contains(&id) {
        visit(Event::Loop(path));
        return;
    }
    if !visit(Event::Enter(path, &meta)) {
        return;
    }
    match read_dir_sorted(path) {
        Ok(names) => {
            ancestors.push(id);
            for name in names {
                let child = path.join(&name);
                let m = if follow == Follow::Always {
                    // A dangling link is still a file to report.
                    fs::metadata(&child).or_else(|_| fs::symlink_metadata(&child))
                } else {
                    fs::symlink_metadata(&child)
                };
                match m {
                    Ok(m) => walk_at(&child, m, depth + 1, follow, xdev, ancestors, visit),
                    Err(e) => {
                        visit(Event::Error(&child, e));
                    }
                }
            }
            ancestors.pop();
        }
        Err(e) => {
            visit(Event::Error(path, e));
        }
    }
    visit(Event::Leave(path, depth));
}

/// The names in directory `path` (without `.` and `..`), sorted bytewise.
pub fn read_dir_sorted(path: &Path) -> io::Result<Vec<OsString>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(path)? {
        names.push(entry?.file_name());
    }
    ibex_sort::sort_by(&mut names, |a, b| a.as_bytes().cmp(b.as_bytes()));
    Ok(names)
}

/// Converts a nix error to an `io::Error` carrying the same errno.
pub fn io_err(e: nix::errno::Errno) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

/// Sets the access and modification times of `path`; `follow` decides
/// whether a symlink's target or the link itself gets them.
pub fn set_times(
    path: &Path,
    atime: &nix::sys::time::TimeSpec,
    mtime: &nix::sys::time::TimeSpec,
    follow: bool,
) -> io::Result<()> {
    use nix::sys::stat::{utimensat, UtimensatFlags};
    let flag = if follow {
        UtimensatFlags::FollowSymlink
    } else {
        UtimensatFlags::NoFollowSymlink
    };
    utimensat(None, path, atime, mtime, flag).map_err(io_err)
}

/// Gives `path` (not following a symlink) the owner, mode and times in
/// `meta` (`cp -p`). Ownership is best effort, as in cp: only root may give
/// files away. The mode is set after chown(2), which clears setuid bits.
pub fn copy_attributes(path: &Path, meta: &Metadata) -> io::Result<()> {
    use nix::sys::time::TimeSpec;
    if std::os::unix::fs::lchown(path, Some(meta.uid()), Some(meta.gid())).is_err() {
        let _ = std::os::unix::fs::lchown(path, None, Some(meta.gid()));
    }
    if !meta.file_type().is_symlink() {
        fs::set_permissions(path, fs::Permissions::from_mode(meta.mode() & 0o7777))?;
    }
    let atime = TimeSpec::new(meta.atime(), meta.atime_nsec());
    let mtime = TimeSpec::new(meta.mtime(), meta.mtime_nsec());
    set_times(path, &atime, &mtime, false)
}

/// Prints `line` and a newline on stdout for -v and similar reports.
/// Unlike `println!` it cannot panic: a report that cannot be written
/// (stdout closed or full) is dropped, and the work itself goes on.
pub fn say(line: &str) {
    let mut out = io::stdout().lock();
    let _ = out
        .write_all(line.as_bytes())
        .and_then(|()| out.write_all(b"\n"));
}

/// Asks `applet: QUESTION? ` on stderr and reads an answer line from stdin;
/// only an answer starting with `y` or `Y` is a yes.
pub fn confirm(applet: &str, question: &str) -> bool {
    eprint!("{applet}: {question}? ");
    let _ = io::stderr().flush();
    let mut line = String::new();
    match io::stdin().lock().read_line(&mut line) {
        Ok(_) => line.starts_with(['y', 'Y']),
        Err(_) => false,
    }
}

/// Whether stdin is a terminal: rm and mv only ask about write-protected
/// files when someone can answer.
pub fn stdin_is_tty() -> bool {
    nix::unistd::isatty(0).unwrap_or(false)
}

/// Whether the caller may write `path` (access(2), so root always may).
pub fn writable(path: &Path) -> bool {
    nix::unistd::access(path, nix::unistd::AccessFlags::W_OK).is_ok()
}

/// How [`remove`] behaves (rm's options).
#[derive(Clone, Copy, Debug, Default)]
pub struct RemoveOptions {
    /// `-f`: no error for missing files, never ask.
    pub force: bool,
    /// `-i`: ask before every removal.
    pub interactive: bool,
    /// `-r`: remove directories and their contents.
    pub recursive: bool,
    /// `-v`: say what was removed.
    pub verbose: bool,
}

/// Removes `path` (a symlink itself, never its target) as BusyBox's
/// `remove_file` does, reporting errors as `applet`. Returns `false` if
/// anything could not be removed. Refusing `/`, `.` and `..` is the
/// caller's job, since it must happen before anything is touched.
pub fn remove(applet: &str, path: &Path, o: RemoveOptions) -> bool {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if o.force {
                return true;
            }
            perror(applet, format!("can't remove '{}'", show(path)), &e);
            return false;
        }
        Err(e) => {
            perror(applet, format!("can't stat '{}'", show(path)), &e);
            return false;
        }
    };
    let ask = |meta: &Metadata| {
        o.interactive
            || (!o.force && !meta.file_type().is_symlink() && !writable(path) && stdin_is_tty())
    };
    if meta.is_dir() {
        if !o.recursive {
            error_msg(applet, &format!("'{}' is a directory", show(path)));
            return false;
        }
        if ask(&meta) && !confirm(applet, &format!("descend into directory '{}'", show(path))) {
            return true;
        }
        let mut ok = true;
        match read_dir_sorted(path) {
            Ok(names) => {
                for name in names {
                    ok &= remove(applet, &path.join(name), o);
                }
            }
            Err(e) => {
                perror(applet, format!("can't open '{}'", show(path)), &e);
                ok = false;
            }
        }
        if o.interactive && !confirm(applet, &format!("remove directory '{}'", show(path))) {
            return ok;
        }
        if !ok {
            return false;
        }
        if let Err(e) = fs::remove_dir(path) {
            perror(applet, format!("can't remove '{}'", show(path)), &e);
            return false;
        }
        if o.verbose {
            say(&format!("removed directory: '{}'", show(path)));
        }
        return true;
    }
    if ask(&meta) && !confirm(applet, &format!("remove '{}'", show(path))) {
        return true;
    }
    if let Err(e) = fs::remove_file(path) {
        perror(applet, format!("can't remove '{}'", show(path)), &e);
        return false;
    }
    if o.verbose {
        say(&format!("removed '{}'", show(path)));
    }
    true
}

/// How [`copy`] behaves (cp's options; mv and install use it too).
#[derive(Clone, Copy, Debug)]
pub struct CopyOptions {
    /// `-R`: copy directories and their contents.
    pub recursive: bool,
    /// `-p`: keep owner, mode and times.
    pub preserve: bool,
    /// Which symlinks are copied as the files they point to.
    pub follow: Follow,
    /// `-f`: remove a destination that cannot be opened and retry.
    pub force: bool,
    /// `-i`: ask before overwriting.
    pub interactive: bool,
    /// `-n`: never overwrite.
    pub no_clobber: bool,
    /// `-v`: print `'SRC' -> 'DST'`.
    pub verbose: bool,
}

/// Copies `src` to `dst` as BusyBox's `copy_file` does, reporting errors as
/// `applet`; returns `false` if anything failed. A directory is never
/// copied into itself (`cp -r a a/b`), and a link loop met with `-L` is
/// reported instead of followed forever.
pub fn copy(applet: &str, src: &Path, dst: &Path, o: CopyOptions) -> bool {
    let follow = o.follow != Follow::Never;
    if let Ok(m) = if follow {
        fs::metadata(src)
    } else {
        fs::symlink_metadata(src)
    } {
        if m.is_dir() && o.recursive {
            if let (Ok(s), Ok(d)) = (
                canonicalize(src, Canon::Existing),
                canonicalize(dst, Canon::Missing),
            ) {
                if d.starts_with(&s) {
                    error_msg(
                        applet,
                        &format!(
                            "can't copy a directory, '{}', into itself, '{}'",
                            show(src),
                            show(dst)
                        ),
                    );
                    return false;
                }
            }
        }
    }
    copy_at(applet, src, dst, o, true, &mut Vec::new())
}

/// One step of [`copy`]; `ancestors` are the source directories being
/// copied.
fn copy_at(
    applet: &str,
    src: &Path,
    dst: &Path,
    o: CopyOptions,
    top: bool,
    ancestors: &mut Vec<(u64, u64)>,
) -> bool {
    let follow = o.follow == Follow::Always || (top && o.follow == Follow::CommandLine);
    let meta = match if follow {
        fs::metadata(src)
    } else {
        fs::symlink_metadata(src)
    } {
        Ok(m) => m,
        Err(e) => {
            perror(applet, format!("can't stat '{}'", show(src)), &e);
            return false;
        }
    };
    let dest = fs::symlink_metadata(dst).ok();
    let same = |d: &Metadata| d.dev() == meta.dev() && d.ino() == meta.ino();
    if dest.as_ref().is_some_and(same) || fs::metadata(dst).as_ref().is_ok_and(same) {
        error_msg(
            applet,
            &format!("'{}' and '{}' are the same file", show(src), show(dst)),
        );
        return false;
    }
    let verbose = || {
        if o.verbose {
            say(&format!("'{}' -> '{}'", show(src), show(dst)));
        }
    };
    if meta.is_dir() {
        if !o.recursive {
            error_msg(applet, &format!("omitting directory '{}'", show(src)));
            return false;
        }
        let id = (meta.dev(), meta.ino());
        if ancestors.contains(&id) {
            error_msg(
                applet,
                &format!("recursion detected, omitting directory '{}'", show(src)),
            );
            return false;
        }
        let created = match fs::metadata(dst) {
            Ok(d) if d.is_dir() => false,
            Ok(_) => {
                error_msg(applet, &format!("'{}' is not a directory", show(dst)));
                return false;
            }
            Err(_) => {
                // Owner rwx until the contents are in, whatever the source's mode.
                let mode = (meta.mode() & 0o7777) | 0o700;
                if let Err(e) = fs::DirBuilder::new().mode(mode).create(dst) {
                    perror(
                        applet,
                        format!("can't create directory '{}'", show(dst)),
                        &e,
                    );
                    return false;
                }
                true
            }
        };
        verbose();
        let mut ok = true;
        match read_dir_sorted(src) {
            Ok(names) => {
                ancestors.push(id);
                for name in names {
                    ok &= copy_at(
                        applet,
                        &src.join(&name),
                        &dst.join(&name),
                        o,
                        false,
                        ancestors,
                    );
                }
                ancestors.pop();
            }
            Err(e) => {
                perror(applet, format!("can't open '{}'", show(src)), &e);
                ok = false;
            }
        }
        let done = if o.preserve {
            copy_attributes(dst, &meta)
        } else if created {
            fs::set_permissions(
                dst,
                fs::Permissions::from_mode(meta.mode() & 0o7777 & !umask()),
            )
        } else {
            Ok(())
        };
        if let Err(e) = done {
            perror(
                applet,
                format!("can't preserve attributes of '{}'", show(dst)),
                &e,
            );
            ok = false;
        }
        return ok;
    }
    if dest.is_some() {
        if o.no_clobber {
            return true;
        }
        if o.interactive && !confirm(applet, &format!("overwrite '{}'", show(dst))) {
            return true;
        }
    }
    let ft = meta.file_type();
    if ft.is_file() {
        verbose();
        let mut input = match File::open(src) {
            Ok(f) => f,
            Err(e) => {
                perror(applet, format!("can't open '{}'", show(src)), &e);
                return false;
            }
        };
        let create = |new: bool| {
            let mut oo = fs::OpenOptions::new();
            oo.write(true).mode(meta.mode() & 0o777);
            if new {
                oo.create_new(true);
            } else {
                oo.create(true).truncate(true);
            }
            oo.open(dst)
        };
        let mut output = match create(false) {
            Ok(f) => f,
            Err(_) if o.force && dest.is_some() && fs::remove_file(dst).is_ok() => {
                match create(true) {
                    Ok(f) => f,
                    Err(e) => {
                        perror(applet, format!("can't create '{}'", show(dst)), &e);
                        return false;
                    }
                }
            }
            Err(e) => {
                perror(applet, format!("can't create '{}'", show(dst)), &e);
                return false;
            }
        };
        if let Err(e) = io::copy(&mut input, &mut output) {
            perror(applet, format!("error copying '{}'", show(src)), &e);
            return false;
        }
        drop(output);
        if o.preserve {
            if let Err(e) = copy_attributes(dst, &meta) {
                perror(
                    applet,
                    format!("can't preserve attributes of '{}'", show(dst)),
                    &e,
                );
                return false;
            }
        }
        return true;
    }
    if let Some(d) = &dest {
        if d.is_dir() {
            error_msg(
                applet,
                &format!("can't overwrite directory '{}'", show(dst)),
            );
            return false;
        }
        if let Err(e) = fs::remove_file(dst) {
            perror(applet, format!("can't remove '{}'", show(dst)), &e);
            return false;
        }
    }
    verbose();
    let made = if ft.is_symlink() {
        match fs::read_link(src) {
            Ok(target) => std::os::unix::fs::symlink(target, dst),
            Err(e) => {
                perror(applet, format!("can't read link '{}'", show(src)), &e);
                return false;
            }
        }
    } else {
        use nix::sys::stat::{mknod, Mode, SFlag};
        let kind = SFlag::from_bits_truncate(meta.mode() & SFlag::S_IFMT.bits());
        mknod(
            dst,
            kind,
            Mode::from_bits_truncate(meta.mode() & 0o7777),
            meta.rdev(),
        )
        .map_err(io_err)
    };
    if let Err(e) = made {
        perror(applet, format!("can't create '{}'", show(dst)), &e);
        return false;
    }
    if o.preserve {
        if let Err(e) = copy_attributes(dst, &meta) {
            perror(
                applet,
                format!("can't preserve attributes of '{}'", show(dst)),
                &e,
            );
            return false;
        }
    }
    true
}

/// The last component of `path` with trailing slashes ignored, as
/// BusyBox's `bb_get_last_path_component_strip`: `a/b/` → `b`, `/` → `/`.
pub fn last_component(path: &OsStr) -> &OsStr {
    let b = path.as_bytes();
    let end = b.iter().rposition(|&c| c != b'/').map_or(0, |i| i + 1);
    if end == 0 {
        return OsStr::new(if b.is_empty() { "" } else { "/" });
    }
    let start = b[..end]
        .iter()
        .rposition(|&c| c == b'/')
        .map_or(0, |i| i + 1);
    OsStr::from_bytes(&b[start..end])
}

/// Whether `path` is a directory, following symlinks (the `DIR` of
/// `cp A B DIR`).
pub fn is_dir(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_dir())
}

/// Pairs each SOURCE of `cp/mv/ln/install SOURCE... DEST` (`operands`,
/// at least two) with where it goes: `DEST/NAME` when `dest_is_dir`, else
/// DEST itself, which then allows only one source. Reports the error
/// itself and returns `None` for several sources and a DEST that is no
/// directory.
pub fn destinations<'a>(
    applet: &str,
    operands: &'a [OsString],
    dest_is_dir: bool,
) -> Option<Vec<(&'a Path, PathBuf)>> {
    let (last, sources) = operands.split_last()?;
    let last = Path::new(last);
    if sources.len() > 1 && !dest_is_dir {
        error_msg(applet, &format!("'{}' is not a directory", show(last)));
        return None;
    }
    Some(
        sources
            .iter()
            .map(|src| {
                let dst = if dest_is_dir {
                    last.join(last_component(src))
                } else {
                    last.to_path_buf()
                };
                (Path::new(src), dst)
            })
            .collect(),
    )
}

/// How much of a path [`canonicalize`] requires to exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Canon {
    /// Every component (`readlink -e`, `realpath`).
    Existing,
    /// All but the last (`readlink -f`).
    Parent,
    /// None (`readlink -m`).
    Missing,
}

/// `path` made absolute with every symlink resolved and `.`/`..` removed.
/// Missing components are allowed as `mode` says; they are kept as
/// written. More than 40 links is `ELOOP`, as in the kernel.
pub fn canonicalize(path: &Path, mode: Canon) -> io::Result<PathBuf> {
    fn parts(p: &Path) -> impl Iterator<Item = OsString> + '_ {
        p.as_os_str()
            .as_bytes()
            .split(|&c| c == b'/')
            .filter(|c| !c.is_empty() && *c != b".")
            .map(|c| OsStr::from_bytes(c).to_os_string())
    }
    if path.as_os_str().is_empty() {
        return Err(io::Error::from_raw_os_error(nix::libc::ENOENT));
    }
    let mut result = if path.is_absolute() {
        PathBuf::from("/")
    } else {
        std::env::current_dir()?
    };
    let mut rest: VecDeque<OsString> = parts(path).collect();
    let mut links = 0;
    let mut missing = false;
    while let Some(part) = rest.pop_front() {
        if part == ".." {
            result.pop();
            continue;
        }
        let next = result.join(&part);
        if missing {
            result = next;
            continue;
        }
        match fs::symlink_metadata(&next) {
            Ok(m) if m.file_type().is_symlink() => {
                links += 1;
                if links > 40 {
                    return Err(io::Error::from_raw_os_error(nix::libc::ELOOP));
                }
                let target = fs::read_link(&next)?;
                if target.is_absolute() {
                    result = PathBuf::from("/");
                }
                for p in parts(&target).collect::<Vec<_>>().into_iter().rev() {
                    rest.push_front(p);
                }
            }
            Ok(m) => {
                if !m.is_dir() && !rest.is_empty() && mode != Canon::Missing {
                    return Err(io::Error::from_raw_os_error(nix::libc::ENOTDIR));
                }
                result = next;
            }
            Err(e) => {
                let last = rest.is_empty();
                match mode {
                    Canon::Missing => {}
                    Canon::Parent if last && e.kind() == io::ErrorKind::NotFound => {}
                    _ => return Err(e),
                }
                missing = true;
                result = next;
            }
        }
    }
    Ok(result)
}

/// One line of /proc/mounts.
#[derive(Clone, Debug)]
pub struct Mount {
    /// What is mounted (`/dev/vda`, `tmpfs`).
    pub device: OsString,
    /// Where it is mounted.
    pub dir: PathBuf,
    /// The file system type.
    pub fstype: String,
}

/// The mounted file systems in mount order. The kernel writes a space in
/// a field as `\040` (and tab, newline, backslash alike), which is undone.
pub fn mounts() -> io::Result<Vec<Mount>> {
    mounts_in(Path::new("/proc/mounts"))
}

/// The mount table in `table`, a file in /proc/mounts' format.
pub fn mounts_in(table: &Path) -> io::Result<Vec<Mount>> {
    fn unescape(field: &[u8]) -> OsString {
        let mut out = Vec::with_capacity(field.len());
        let mut i = 0;
        while i < field.len() {
            let oct = field
                .get(i + 1..i + 4)
                .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
            match (field[i], oct) {
                (b'\\', Some(d)) => {
                    out.push(
                        d.iter()
                            .fold(0u8, |a, c| a.wrapping_mul(8).wrapping_add(c - b'0')),
                    );
                    i += 4;
                }
                (c, _) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        OsStr::from_bytes(&out).to_os_string()
    }
    let text = fs::read(table)?;
    Ok(text
        .split(|&b| b == b'\n')
        .filter_map(|line| {
            let mut f = line.split(|&b| b == b' ');
            let device = unescape(f.next()?);
            let dir = PathBuf::from(unescape(f.next()?));
            let fstype = String::from_utf8_lossy(f.next()?).into_owned();
            Some(Mount {
                device,
                dir,
                fstype,
            })
        })
        .collect())
}

/// The mount that holds `path`: among the mounts on the same device as
/// `path`, the one with the longest mount point that is a prefix of its
/// canonical path (the last one mounted, if several are stacked there).
pub fn mount_of(path: &Path) -> Option<Mount> {
    let dev = fs::metadata(path).ok()?.dev();
    let real = canonicalize(path, Canon::Existing).ok()?;
    let all = mounts().ok()?;
    let best = |same_dev: bool| {
        all.iter()
            .filter(|m| real.starts_with(&m.dir))
            .filter(|m| !same_dev || fs::metadata(&m.dir).is_ok_and(|d| d.dev() == dev))
            .max_by_key(|m| m.dir.as_os_str().len())
            .cloned()
    };
    best(true).or_else(|| best(false))
}

/// Fields of the first line of /etc/passwd or /etc/group (`file`) whose
/// field `key` equals `value`.
fn db_find(file: &str, key: usize, value: &[u8]) -> Option<Vec<Vec<u8>>> {
    let text = fs::read(file).ok()?;
    text.split(|&b| b == b'\n')
        .map(|line| {
            line.split(|&b| b == b':')
                .map(<[u8]>::to_vec)
                .collect::<Vec<_>>()
        })
        .find(|f| f.len() > 2 && f.get(key).map(Vec::as_slice) == Some(value))
}

/// A decimal id, as in the third field of a passwd or group line.
fn parse_id(text: &[u8]) -> Option<u32> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// The uid and login gid of user `name` in /etc/passwd.
pub fn user_by_name(name: &OsStr) -> Option<(u32, u32)> {
    let f = db_find("/etc/passwd", 0, name.as_bytes())?;
    Some((parse_id(f.get(2)?)?, parse_id(f.get(3)?)?))
}

/// The name of user `uid`, if /etc/passwd has it.
pub fn user_name(uid: u32) -> Option<String> {
    db_find("/etc/passwd", 2, uid.to_string().as_bytes())
        .map(|f| String::from_utf8_lossy(&f[0]).into_owned())
}

/// The name of group `gid`, if /etc/group has it.
pub fn group_name(gid: u32) -> Option<String> {
    db_find("/etc/group", 2, gid.to_string().as_bytes())
        .map(|f| String::from_utf8_lossy(&f[0]).into_owned())
}

/// A uid: a number, else a user name (BusyBox tries the number first).
pub fn parse_user(text: &OsStr) -> Option<u32> {
    parse_id(text.as_bytes()).or_else(|| user_by_name(text).map(|(uid, _)| uid))
}

/// A gid: a number, else a group name.
pub fn parse_group(text: &OsStr) -> Option<u32> {
    parse_id(text.as_bytes()).or_else(|| {
        let f = db_find("/etc/group", 0, text.as_bytes())?;
        parse_id(f.get(2)?)
    })
}

/// A byte count with BusyBox's suffixes: `c` 1, `w` 2, `b` 512, `kB` 1000,
/// `k`/`K` 1024, `MB`, `M`, `GB`, `G`, `TB`, `T`; dd also accepts
/// products (`2x512`) when `products` is set. `None` if invalid or too big.
pub fn parse_size(text: &str, products: bool) -> Option<u64> {
    if products && text.contains('x') {
        return text
            .split('x')
            .try_fold(1u64, |acc, part| acc.checked_mul(parse_size(part, false)?));
    }
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let n: u64 = text[..digits].parse().ok()?;
    let mult: u64 = match &text[digits..] {
        "" | "c" => 1,
        "w" => 2,
        "b" => 512,
        "kB" | "kD" => 1000,
        "k" | "K" => 1 << 10,
        "MB" | "MD" => 1_000_000,
        "M" => 1 << 20,
        "GB" | "GD" => 1_000_000_000,
        "G" => 1 << 30,
        "TB" | "TD" => 1_000_000_000_000,
        "T" => 1 << 40,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// `count` units of `unit` bytes the way BusyBox's
/// `make_human_readable_str` shows them: plain below 1024, otherwise with
/// one decimal and K, M, G...: `4.0K`, `1.9M`. Like BusyBox it rounds the
/// decimal after choosing the unit, so just under 1M shows as `1024.0K`.
pub fn human(count: u64, unit: u64) -> String {
    const UNITS: &[u8] = b"KMGTPEZY";
    let mut val = u128::from(count) * u128::from(unit);
    if val == 0 {
        return "0".to_string();
    }
    let mut frac = 0;
    let mut u = None;
    while val >= 1024 {
        u = Some(u.map_or(0, |i: usize| i + 1));
        frac = ((val % 1024) * 10 + 512) / 1024;
        val /= 1024;
    }
    if frac >= 10 {
        val += 1;
        frac = 0;
    }
    match u {
        None => val.to_string(),
        Some(i) => format!("{val}.{frac}{}", UNITS[i.min(UNITS.len() - 1)] as char),
    }
}

/// What `stat` and `find` call a file's type.
pub fn file_type_name(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_file() {
        if meta.len() == 0 {
            "regular empty file"
        } else {
            "regular file"
        }
    } else if t.is_dir() {
        "directory"
    } else if t.is_symlink() {
        "symbolic link"
    } else if t.is_char_device() {
        "character special file"
    } else if t.is_block_device() {
        "block special file"
    } else if t.is_fifo() {
        "fifo"
    } else if t.is_socket() {
        "socket"
    } else {
        "unknown"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        let m = umask();
        assert_eq!(parse_mode("755", 0, false), Some(0o755));
        assert_eq!(parse_mode("17777", 0, false), None);
        assert_eq!(parse_mode("75x", 0, false), None);
        assert_eq!(parse_mode("00000000000000000755", 0, false), Some(0o755));
        assert_eq!(parse_mode("777777777777777777777", 0, false), None);
        assert_eq!(parse_mode("u+x", 0o644, false), Some(0o744));
        assert_eq!(parse_mode("go-w", 0o666, false), Some(0o644));
        assert_eq!(parse_mode("a=r", 0o777, false), Some(0o444));
        assert_eq!(parse_mode("u=g", 0o640, false), Some(0o440));
        assert_eq!(parse_mode("a+X", 0o644, false), Some(0o644));
        assert_eq!(parse_mode("a+X", 0o644, true), Some(0o755));
        assert_eq!(parse_mode("a+X", 0o744, false), Some(0o755));
        assert_eq!(parse_mode("u+s,+t", 0o755, false), Some(0o5755));
        assert_eq!(parse_mode("u+x,g=rw", 0o600, false), Some(0o760));
        assert_eq!(parse_mode("u+x,,o+r", 0o600, false), Some(0o704));
        assert_eq!(parse_mode("+w", 0o444, false), Some(0o666 & !m | 0o444));
        assert_eq!(parse_mode("=", 0o4755, false), Some(0));
        assert_eq!(parse_mode("u+q", 0o600, false), None);
        assert_eq!(parse_mode("x", 0o600, false), None);
        assert_eq!(parse_mode("u", 0o600, false), None);
        assert_eq!(parse_mode("", 0o600, false), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10", false), Some(10));
        assert_eq!(parse_size("2k", false), Some(2048));
        assert_eq!(parse_size("1M", false), Some(1 << 20));
        assert_eq!(parse_size("3b", false), Some(1536));
        assert_eq!(parse_size("2w", false), Some(4));
        assert_eq!(parse_size("2x512", true), Some(1024));
        assert_eq!(parse_size("2x", true), None);
        assert_eq!(parse_size("1kB", false), Some(1000));
        assert_eq!(parse_size("k", false), None);
        assert_eq!(parse_size("1q", false), None);
        assert_eq!(parse_size("99999999999999999999", false), None);
        assert_eq!(parse_size("99999999999T", false), None);
        assert_eq!(human(0, 1), "0");
        assert_eq!(human(1000, 1), "1000");
        assert_eq!(human(4096, 1), "4.0K");
        assert_eq!(human(8, 512), "4.0K");
        assert_eq!(human(1_992_294, 1), "1.9M");
        assert_eq!(human(1024 * 1024 - 1, 1), "1024.0K");
    }

    #[test]
    fn names() {
        assert_eq!(last_component(OsStr::new("a/b//")), "b");
        assert_eq!(last_component(OsStr::new("b")), "b");
        assert_eq!(last_component(OsStr::new("//")), "/");
    }
}
