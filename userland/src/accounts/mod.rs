//! The account databases (/etc/passwd, /etc/shadow, /etc/group) for the
//! applets that read and change them: adduser, addgroup, passwd, login, su.
//!
//! Every path is taken under [`root`] (`$IBOX_ROOT`, default `/`) so tests
//! work in a scratch tree. Files are handled as lists of raw lines: a line
//! that does not parse is written back exactly as read, never dropped, and
//! every rewrite is locked and atomic (see [`Database::save`]).

pub mod crypt;
pub mod group;
pub mod passwd;
pub mod shadow;

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The directory the account files live under: `$IBOX_ROOT` or `/`.
pub fn root() -> PathBuf {
    match std::env::var_os("IBOX_ROOT") {
        Some(r) if !r.is_empty() => PathBuf::from(r),
        _ => PathBuf::from("/"),
    }
}

/// `rel` (an absolute path like `/etc/passwd`) under [`root`].
pub fn under_root(rel: &[u8]) -> PathBuf {
    let rel = rel.strip_prefix(b"/").unwrap_or(rel);
    root().join(OsStr::from_bytes(rel))
}

/// The fields of a `:`-separated database line.
pub fn fields(line: &[u8]) -> Vec<&[u8]> {
    line.split(|&b| b == b':').collect()
}

/// A decimal id field.
pub fn parse_id(text: &[u8]) -> Option<u32> {
    if text.is_empty() || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// Whether `name` may be a user or group name: no `:` or newline (which
/// would corrupt the file), not empty, not starting with `-` or `+`
/// (options, NIS markers), and only portable characters as BusyBox
/// requires.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && !matches!(name[0], b'-' | b'+' | b'.')
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'@'))
        && name != b"."
        && name != b".."
}

/// Whether `field` may go into a database field: no `:` or newline.
pub fn valid_field(field: &[u8]) -> bool {
    !field.iter().any(|&b| b == b':' || b == b'\n')
}

/// One account file as raw lines (without their newlines).
pub struct Database {
    /// Where the file is.
    pub path: PathBuf,
    /// Its lines, in order, unparsed.
    pub lines: Vec<Vec<u8>>,
    /// Whether the file existed when read.
    pub exists: bool,
}

impl Database {
    /// Reads `rel` (e.g. `/etc/passwd`) under [`root`]; a missing file is
    /// an empty database.
    pub fn load(rel: &str) -> io::Result<Database> {
        let path = under_root(rel.as_bytes());
        let mut data = Vec::new();
        let exists = match File::open(&path) {
            Ok(mut f) => {
                f.read_to_end(&mut data)?;
                true
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        // The final newline ends the last line rather than starting one.
        if lines.last().is_some_and(Vec::is_empty) {
            lines.pop();
        }
        Ok(Database {
            path,
            lines,
            exists,
        })
    }

    /// Index of the line whose first field is `name`.
    pub fn find(&self, name: &[u8]) -> Option<usize> {
        self.lines
            .iter()
            .position(|l| l.split(|&b| b == b':').next() == Some(name) && l.contains(&b':'))
    }

    /// Writes the lines back atomically: a temporary file in the same
    /// directory gets the original's mode and owner (`new_mode` for a new
    /// file), is fsynced and renamed over the original, so readers see
    /// either the old or the new file, never a half-written one. The caller
    /// holds a [`Lock`].
    pub fn save(&self, new_mode: u32) -> io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let name = self.path.file_name().unwrap_or(OsStr::new("db"));
        let (mode, owner) = match fs::metadata(&self.path) {
            Ok(m) => (m.mode() & 0o7777, Some((m.uid(), m.gid()))),
            Err(_) => (new_mode, None),
        };
        let mut tmp_name = name.to_os_string();
        tmp_name.push(format!(".ibox{}", std::process::id()));
        let tmp = dir.join(tmp_name);
        let _ = fs::remove_file(&tmp);
        let result = (|| {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&tmp)?;
            if let Some((uid, gid)) = owner {
                // Only root can give the file away; others keep their own.
                let _ = std::os::unix::fs::fchown(&f, Some(uid), Some(gid));
            }
            // The umask may have cut the mode.
            f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))?;
            let mut data = Vec::new();
            for l in &self.lines {
                data.extend_from_slice(l);
                data.push(b'\n');
            }
            f.write_all(&data)?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)?;
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
}

/// The lock on all account files: `/etc/passwd.lock` created with
/// O_EXCL (as shadow-utils do), removed when dropped.
pub struct Lock(PathBuf);

impl Lock {
    /// Takes the lock, waiting up to about two seconds for another holder.
    pub fn take() -> io::Result<Lock> {
        let path = under_root(b"/etc/passwd.lock");
        let mut tries = 0;
        loop {
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(mut f) => {
                    let _ = writeln!(f, "{}", std::process::id());
                    return Ok(Lock(path));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && stale(&path) => {
                    // Its holder died without removing it.
                    let _ = fs::remove_file(&path);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && tries < 20 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Whether the lock file names a process that no longer exists (checked in
/// /proc, so nothing is signalled). A lock without a readable pid is never
/// taken for stale.
fn stale(path: &Path) -> bool {
    let Ok(text) = fs::read(path) else {
        return false;
    };
    let text = text.strip_suffix(b"\n").unwrap_or(&text);
    match parse_id(text) {
        Some(pid) if pid > 0 => {
            Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
        }
        _ => false,
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

/// id → name from a passwd- or group-style file at `path` (name in the
/// first field, id in the third), for `ls -l` and `ps`; a missing file
/// gives an empty map, and they show numbers.
pub fn id_names(path: &str) -> std::collections::HashMap<u32, String> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let id = f.nth(1)?.parse().ok()?;
            Some((id, name.to_string()))
        })
        .collect()
}

/// Days since 1970-01-01, for shadow's "last changed" field.
pub fn today() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86400)
        .unwrap_or(0)
}

/// Reads one line from `fd` byte by byte (so nothing after it is consumed
/// and the next read gets the next line), without its newline. `None` at
/// end of input with nothing read.
pub fn read_line_fd(fd: i32) -> Option<Vec<u8>> {
    let mut line = Vec::new();
    loop {
        let mut b = [0u8; 1];
        match nix::unistd::read(fd, &mut b) {
            Ok(0) => return if line.is_empty() { None } else { Some(line) },
            Ok(_) if b[0] == b'\n' => return Some(line),
            Ok(_) if b[0] == b'\r' => {}
            Ok(_) => line.push(b[0]),
            Err(nix::errno::Errno::EINTR) => {}
            Err(_) => return if line.is_empty() { None } else { Some(line) },
        }
    }
}

/// Prints `prompt` on stdout and reads a line from stdin with echo off when
/// stdin is a terminal (restored afterwards, with the newline the user's
/// Enter did not echo).
pub fn ask_noecho(prompt: &str) -> Option<Vec<u8>> {
    use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg};
    let mut out = io::stdout();
    let _ = out.write_all(prompt.as_bytes());
    let _ = out.flush();
    let stdin = io::stdin();
    let saved = tcgetattr(&stdin).ok();
    if let Some(t) = &saved {
        let mut quiet = t.clone();
        quiet.local_flags &= !(LocalFlags::ECHO | LocalFlags::ECHOE | LocalFlags::ECHOK);
        quiet.local_flags |= LocalFlags::ECHONL;
        let _ = tcsetattr(&stdin, SetArg::TCSANOW, &quiet);
    }
    let line = read_line_fd(0);
    if let Some(t) = &saved {
        let _ = tcsetattr(&stdin, SetArg::TCSANOW, t);
    } else {
        // Not a terminal: end the prompt's line ourselves, as BusyBox does.
        let _ = out.write_all(b"\n");
        let _ = out.flush();
    }
    line
}

/// Prints `prompt` and reads a line from stdin with echo on.
pub fn ask(prompt: &str) -> Option<Vec<u8>> {
    let mut out = io::stdout();
    let _ = out.write_all(prompt.as_bytes());
    let _ = out.flush();
    read_line_fd(0)
}

/// The lowest id in `lo..=hi` for which `taken` is false.
pub fn next_free_id(lo: u32, hi: u32, taken: impl Fn(u32) -> bool) -> Option<u32> {
    (lo..=hi).find(|&id| !taken(id))
}

/// Whether changing the real account files needs root: only when they are
/// the system's own (no `$IBOX_ROOT`), so tests in a scratch tree can run
/// as anyone while a real `/etc` is never edited by an ordinary user.
pub fn need_root(applet: &str) -> bool {
    if root() == Path::new("/") && !nix::unistd::geteuid().is_root() {
        crate::common::error_msg(applet, "permission denied (are you root?)");
        return true;
    }
    false
}

/// The password hash that authenticates `user`: its /etc/shadow entry when
/// the passwd field points there (`x`) or the shadow file has the user,
/// else the passwd field itself.
pub fn stored_hash(user: &passwd::User) -> Vec<u8> {
    if let Ok(sh) = Database::load("/etc/shadow") {
        if let Some(p) = shadow::password(&sh, &user.name) {
            return p;
        }
    }
    user.passwd.clone()
}

/// Whether a stored hash can never be logged into: locked (`!...`),
/// disabled (`*`), or the shadow marker without a shadow entry.
pub fn is_locked(hash: &[u8]) -> bool {
    hash.first().is_some_and(|&c| c == b'!' || c == b'*') || hash == b"x"
}

/// Sets the groups, gid and uid of the process to `user`'s (supplementary
/// groups from /etc/group under [`root`], as initgroups(3) does). Groups
/// and gid go first: after setuid the process may no longer change them.
pub fn become_user(user: &passwd::User) -> io::Result<()> {
    use nix::unistd::{setgid, setgroups, setuid, Gid, Uid};
    let ids = Database::load("/etc/group")
        .map(|db| group::group_list(&db, &user.name, user.gid))
        .unwrap_or_else(|_| vec![user.gid]);
    let gids: Vec<Gid> = ids.into_iter().map(Gid::from_raw).collect();
    setgroups(&gids).map_err(crate::fsutil::io_err)?;
    setgid(Gid::from_raw(user.gid)).map_err(crate::fsutil::io_err)?;
    setuid(Uid::from_raw(user.uid)).map_err(crate::fsutil::io_err)?;
    Ok(())
}

/// The shell `user` logs in with: their passwd shell, `/bin/sh` if empty.
pub fn shell_of(user: &passwd::User) -> Vec<u8> {
    if user.shell.is_empty() {
        b"/bin/sh".to_vec()
    } else {
        user.shell.clone()
    }
}

/// How [`exec_shell`] prepares the new session.
pub struct Session<'a> {
    /// The user to become.
    pub user: &'a passwd::User,
    /// The shell program to run.
    pub shell: Vec<u8>,
    /// Start it as a login shell (`-sh`), with a fresh environment (only
    /// TERM kept) and in the home directory.
    pub login: bool,
    /// Keep the environment as it is (`su -p`, `login -p`).
    pub preserve: bool,
    /// Arguments after argv[0] (`-c CMD` and the like).
    pub args: Vec<OsString>,
}

/// Sets up the environment of `s.user`, changes to its home when asked, and
/// execs the shell; returns only on failure, with the error reported as
/// `applet`, giving the exit status (126/127 as shells do).
pub fn exec_shell(applet: &str, s: Session) -> i32 {
    use std::os::unix::process::CommandExt;
    let shell_path = PathBuf::from(OsStr::from_bytes(&s.shell));
    let base = shell_path
        .file_name()
        .map(|b| b.as_bytes().to_vec())
        .unwrap_or_else(|| s.shell.clone());
    let mut cmd = std::process::Command::new(&shell_path);
    let show = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    if s.login {
        cmd.arg0(OsStr::from_bytes(&[b"-".as_slice(), &base].concat()));
        if !s.preserve {
            let term = std::env::var_os("TERM");
            cmd.env_clear();
            if let Some(t) = term {
                cmd.env("TERM", t);
            }
        }
        let home = under_root(&s.user.home);
        if std::env::set_current_dir(&home).is_err() {
            crate::common::error_msg(
                applet,
                &format!("can't change directory to '{}'", show(&s.user.home)),
            );
            let _ = std::env::set_current_dir("/");
        }
    } else {
        cmd.arg0(OsStr::from_bytes(&base));
    }
    if !s.preserve {
        cmd.env("HOME", OsStr::from_bytes(&s.user.home));
        cmd.env("SHELL", OsStr::from_bytes(&s.shell));
        cmd.env("USER", OsStr::from_bytes(&s.user.name));
        cmd.env("LOGNAME", OsStr::from_bytes(&s.user.name));
        if s.login {
            cmd.env(
                "PATH",
                if s.user.uid == 0 {
                    "/sbin:/usr/sbin:/bin:/usr/bin"
                } else {
                    "/bin:/usr/bin"
                },
            );
        }
    }
    cmd.args(&s.args);
    let e = cmd.exec();
    crate::common::perror(applet, format!("can't execute '{}'", show(&s.shell)), &e);
    if e.kind() == io::ErrorKind::NotFound {
        127
    } else {
        126
    }
}
