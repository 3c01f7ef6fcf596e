//! Archive formats shared by gzip, tar and cpio: gzip framing
//! ([`gzip`]), tar headers ([`tar`]), cpio newc headers ([`cpio`]), and
//! the one extraction path both archivers use ([`extract`]), which never
//! writes outside its target directory.

pub mod cpio;
pub mod extract;
pub mod gzip;
pub mod tar;

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// What kind of file an archive member is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A regular file with data.
    File,
    /// A directory.
    Dir,
    /// A symbolic link to `Entry::link`.
    Symlink,
    /// A hard link to the earlier member `Entry::link`.
    HardLink,
    /// A character device.
    Char,
    /// A block device.
    Block,
    /// A named pipe.
    Fifo,
}

impl Kind {
    /// The member kind for a file of type `ft`; `None` for a socket, which
    /// no archive format here can hold.
    pub fn of(ft: std::fs::FileType) -> Option<Kind> {
        use std::os::unix::fs::FileTypeExt;
        Some(if ft.is_dir() {
            Kind::Dir
        } else if ft.is_symlink() {
            Kind::Symlink
        } else if ft.is_file() {
            Kind::File
        } else if ft.is_char_device() {
            Kind::Char
        } else if ft.is_block_device() {
            Kind::Block
        } else if ft.is_fifo() {
            Kind::Fifo
        } else {
            return None;
        })
    }
}

/// One archive member as tar and cpio both describe it.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The member's name as stored (not yet made safe).
    pub name: Vec<u8>,
    /// Its kind.
    pub kind: Kind,
    /// Permission bits with setuid, setgid and sticky (07777).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Owner's name, if the format stores one.
    pub uname: Vec<u8>,
    /// Group's name, if the format stores one.
    pub gname: Vec<u8>,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Bytes of data that follow (regular files only).
    pub size: u64,
    /// Target of a symbolic or hard link.
    pub link: Vec<u8>,
    /// Device major and minor numbers.
    pub dev: (u32, u32),
}

impl Entry {
    /// An entry of `kind` named `name` with everything else empty.
    pub fn new(name: Vec<u8>, kind: Kind) -> Entry {
        Entry {
            name,
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            uname: Vec::new(),
            gname: Vec::new(),
            mtime: 0,
            size: 0,
            link: Vec::new(),
            dev: (0, 0),
        }
    }

    /// The `S_IFMT` bits of this kind.
    pub fn type_bits(&self) -> u32 {
        match self.kind {
            Kind::File | Kind::HardLink => 0o100000,
            Kind::Dir => 0o040000,
            Kind::Symlink => 0o120000,
            Kind::Char => 0o020000,
            Kind::Block => 0o060000,
            Kind::Fifo => 0o010000,
        }
    }

    /// `ls -l`-style line for `tar -tv` and `cpio -tv`:
    /// `-rw-r--r-- user/group     size YYYY-MM-DD hh:mm name`.
    pub fn long_listing(&self, name: &[u8]) -> Vec<u8> {
        let owner = |n: &[u8], id: u32| {
            if n.is_empty() {
                id.to_string()
            } else {
                String::from_utf8_lossy(n).into_owned()
            }
        };
        let size = match self.kind {
            Kind::Char | Kind::Block => format!("{},{}", self.dev.0, self.dev.1),
            _ => self.size.to_string(),
        };
        let time = crate::calendar::format_time(self.mtime);
        let mut mode = mode_string(self.type_bits() | self.mode);
        if self.kind == Kind::HardLink {
            // GNU tar marks hard links with 'h'.
            mode.replace_range(..1, "h");
        }
        let mut line = format!(
            "{} {}/{} {:>9} {} ",
            mode,
            owner(&self.uname, self.uid),
            owner(&self.gname, self.gid),
            size,
            &time[..16.min(time.len())]
        )
        .into_bytes();
        line.extend_from_slice(name);
        match self.kind {
            Kind::Symlink => {
                line.extend_from_slice(b" -> ");
                line.extend_from_slice(&self.link);
            }
            Kind::HardLink => {
                line.extend_from_slice(b" link to ");
                line.extend_from_slice(&self.link);
            }
            _ => {}
        }
        line
    }
}

/// `drwxr-xr-x` for a full `st_mode`.
pub fn mode_string(mode: u32) -> String {
    let kind = match mode & 0o170000 {
        0o040000 => 'd',
        0o120000 => 'l',
        0o020000 => 'c',
        0o060000 => 'b',
        0o010000 => 'p',
        0o140000 => 's',
        _ => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(kind);
    let bit = |b: u32, c: char| if mode & b != 0 { c } else { '-' };
    let exec =
        |x: u32, special: u32, set: char, unset: char| match (mode & x != 0, mode & special != 0) {
            (true, true) => set,
            (false, true) => unset,
            (true, false) => 'x',
            (false, false) => '-',
        };
    s.push(bit(0o400, 'r'));
    s.push(bit(0o200, 'w'));
    s.push(exec(0o100, 0o4000, 's', 'S'));
    s.push(bit(0o040, 'r'));
    s.push(bit(0o020, 'w'));
    s.push(exec(0o010, 0o2000, 's', 'S'));
    s.push(bit(0o004, 'r'));
    s.push(bit(0o002, 'w'));
    s.push(exec(0o001, 0o1000, 't', 'T'));
    s
}

/// Creates a new, empty file (mode 0600) in `dir` with a name derived from
/// `base` that no other file has, for writing output that is renamed into
/// place only once complete. `O_EXCL | O_NOFOLLOW` so that nothing already
/// there, a planted symlink included, is ever written through.
pub fn temp_file(dir: &Path, base: &OsStr) -> io::Result<(File, PathBuf)> {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
        ^ std::process::id().wrapping_mul(2_654_435_761);
    let mut stem = b".".to_vec();
    // Keep the name within NAME_MAX whatever `base` is.
    stem.extend_from_slice(&base.as_bytes()[..base.len().min(200)]);
    for attempt in 0u32..100 {
        let mut name = stem.clone();
        name.extend_from_slice(
            format!(
                ".{:08x}",
                seed.wrapping_add(attempt.wrapping_mul(0x9e37_79b9))
            )
            .as_bytes(),
        );
        let path = dir.join(OsStr::from_bytes(&name));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&path)
        {
            Ok(f) => return Ok((f, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::from_raw_os_error(nix::libc::EEXIST))
}

/// Whether the process runs as root, and so may restore owners and make
/// device nodes.
pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The directory that holds `path` (`.` for a bare name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}
