//! `ls [-1aACdFhilnRrSt] [FILE]...`: list directory contents, sorted by name
//! in byte order; columns on a terminal, one name per line otherwise.

use crate::accounts::id_names;
use crate::calendar;
use crate::common::{getopt, perror, Exit, Parsed};
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::Metadata;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub const USAGE: &str = "[-1aACdFhilnRrSt] [FILE]...\n\nList directory contents\n\n\t-1\tOne column output\n\t-C\tList by columns (the default on a terminal)\n\t-a\tInclude names starting with .\n\t-A\tLike -a, but exclude . and ..\n\t-d\tList directory names, not contents\n\t-F\tAppend indicator (one of */=@|) to names\n\t-h\tHuman readable sizes (1K 243M 2G)\n\t-i\tList inode numbers\n\t-l\tLong format\n\t-n\tList numeric UIDs and GIDs instead of names\n\t-R\tRecurse\n\t-r\tReverse sort order\n\t-S\tSort by size\n\t-t\tSort by mtime";

/// One name to show and what stat said about it.
struct Entry {
    name: OsString,
    path: PathBuf,
    meta: Metadata,
}

/// What the command line asked for.
struct Options {
    all: bool,
    almost_all: bool,
    long: bool,
    one: bool,
    classify: bool,
    human: bool,
    inode: bool,
    numeric: bool,
    recursive: bool,
    reverse: bool,
    by_size: bool,
    by_time: bool,
    dir_itself: bool,
    columns: Option<usize>,
}

/// Entry point: files given are listed first, then each directory's contents.
pub fn main(args: Vec<OsString>) -> i32 {
    let p: Parsed = match getopt(
        &args,
        "1aAdFhilnRrStC",
        &[("all", 'a'), ("almost-all", 'A')],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let opts = Options {
        all: p.has('a'),
        almost_all: p.has('A'),
        long: p.has('l') || p.has('n'),
        one: p.has('1'),
        classify: p.has('F'),
        human: p.has('h'),
        inode: p.has('i'),
        numeric: p.has('n'),
        recursive: p.has('R'),
        reverse: p.has('r'),
        by_size: p.has('S'),
        by_time: p.has('t'),
        dir_itself: p.has('d'),
        // -C asks for columns even off a terminal, at the default width.
        columns: terminal_width().or(p.has('C').then_some(80)),
    };
    let mut ls = Lister {
        opts,
        out: Vec::new(),
        status: 0,
        broken: false,
        users: None,
        groups: None,
    };
    let operands = if p.operands.is_empty() {
        vec![OsString::from(".")]
    } else {
        p.operands
    };
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for name in operands {
        let path = PathBuf::from(&name);
        match std::fs::metadata(&path).or_else(|_| std::fs::symlink_metadata(&path)) {
            Ok(meta) => {
                let meta = if ls.opts.long || ls.opts.dir_itself {
                    std::fs::symlink_metadata(&path).unwrap_or(meta)
                } else {
                    meta
                };
                let entry = Entry { name, path, meta };
                if entry.meta.is_dir() && !ls.opts.dir_itself {
                    dirs.push(entry);
                } else {
                    files.push(entry);
                }
            }
            Err(e) => {
                perror("ls", format!("cannot access '{}'", path.display()), &e);
                ls.status = 1;
            }
        }
    }
    ls.sort(&mut files);
    ls.sort(&mut dirs);
    let show_headers = !files.is_empty() || dirs.len() > 1 || ls.opts.recursive;
    ls.print(&files);
    let mut first = files.is_empty();
    for dir in &dirs {
        if ls.broken {
            break;
        }
        ls.directory(&dir.path, show_headers, &mut first);
    }
    if !ls.flush() {
        return 1;
    }
    ls.status
}

/// The listing in progress: options, output not yet written, exit status,
/// and the id → name tables, read once on first use.
struct Lister {
    opts: Options,
    out: Vec<u8>,
    status: i32,
    /// Writing failed: nobody reads the rest, so stop walking.
    broken: bool,
    users: Option<HashMap<u32, String>>,
    groups: Option<HashMap<u32, String>>,
}

impl Lister {
    /// Writes the pending output; false (after a message) if writing failed.
    /// Output is kept until a directory is done so that a huge `ls -R` does
    /// not grow without bound yet costs few write(2) calls.
    fn flush(&mut self) -> bool {
        if self.broken {
            return false;
        }
        let mut stdout = std::io::stdout().lock();
        let result = stdout.write_all(&self.out).and_then(|_| stdout.flush());
        self.out.clear();
        if let Err(e) = result {
            perror("ls", "write error", &e);
            self.broken = true;
        }
        !self.broken
    }

    /// Orders entries by name in byte order, or by size or time (largest or
    /// newest first, ties by name), then reverses for -r.
    fn sort(&self, entries: &mut [Entry]) {
        ibex_sort::sort_by(entries, |a, b| {
            let order = if self.opts.by_size {
                b.meta.len().cmp(&a.meta.len())
            } else if self.opts.by_time {
                (b.meta.mtime(), b.meta.mtime_nsec()).cmp(&(a.meta.mtime(), a.meta.mtime_nsec()))
            } else {
                std::cmp::Ordering::Equal
            };
            order.then_with(|| a.name.as_bytes().cmp(b.name.as_bytes()))
        });
        if self.opts.reverse {
            entries.reverse();
        }
    }

    /// Lists the contents of `dir` (under a `dir:` header if asked), then its
    /// subdirectories for -R.
    fn directory(&mut self, dir: &Path, header: bool, first: &mut bool) {
        if header {
            if !*first {
                self.out.push(b'\n');
            }
            self.out.extend_from_slice(dir.as_os_str().as_bytes());
            self.out.extend_from_slice(b":\n");
        }
        *first = false;
        let reader = match std::fs::read_dir(dir) {
            Ok(r) => r,
            Err(e) => {
                perror("ls", format!("can't open '{}'", dir.display()), &e);
                self.status = 1;
                return;
            }
        };
        let mut entries = Vec::new();
        if self.opts.all {
            for dot in [".", ".."] {
                if let Ok(meta) = std::fs::symlink_metadata(dir.join(dot)) {
                    entries.push(Entry {
                        name: dot.into(),
                        path: dir.join(dot),
                        meta,
                    });
                }
            }
        }
        for item in reader.filter_map(Result::ok) {
            let name = item.file_name();
            if name.as_bytes().starts_with(b".") && !self.opts.all && !self.opts.almost_all {
                continue;
            }
            let path = item.path();
            match std::fs::symlink_metadata(&path) {
                Ok(meta) => entries.push(Entry { name, path, meta }),
                Err(e) => {
                    perror("ls", format!("cannot access '{}'", path.display()), &e);
                    self.status = 1;
                }
            }
        }
        self.sort(&mut entries);
        if self.opts.long {
            let blocks: u64 = entries.iter().map(|e| e.meta.blocks()).sum();
            self.out
                .extend_from_slice(format!("total {}\n", blocks / 2).as_bytes());
        }
        self.print(&entries);
        if self.out.len() >= 64 * 1024 {
            self.flush();
        }
        if self.opts.recursive && !self.broken {
            for e in &entries {
                let n = e.name.as_bytes();
                if e.meta.is_dir() && n != b"." && n != b".." {
                    self.directory(&e.path, true, first);
                }
            }
        }
    }

    /// Appends entries in long format, in columns, or one per line.
    fn print(&mut self, entries: &[Entry]) {
        if entries.is_empty() {
            return;
        }
        if self.opts.long {
            for e in entries {
                let line = self.long_line(e);
                self.out.extend_from_slice(&line);
            }
            return;
        }
        let names: Vec<Vec<u8>> = entries
            .iter()
            .map(|e| {
                let mut n = Vec::new();
                if self.opts.inode {
                    n.extend_from_slice(format!("{} ", e.meta.ino()).as_bytes());
                }
                n.extend_from_slice(e.name.as_bytes());
                if self.opts.classify {
                    n.extend_from_slice(indicator(&e.meta).as_bytes());
                }
                n
            })
            .collect();
        match self.opts.columns {
            Some(width) if !self.opts.one => self.columns(&names, width),
            _ => {
                for n in names {
                    self.out.extend_from_slice(&n);
                    self.out.push(b'\n');
                }
            }
        }
    }

    /// Column layout filled down then across, as BusyBox and coreutils do.
    fn columns(&mut self, names: &[Vec<u8>], width: usize) {
        let widest = names.iter().map(Vec::len).max().unwrap_or(0) + 2;
        let cols = (width / widest).max(1);
        let rows = names.len().div_ceil(cols);
        for r in 0..rows {
            for c in 0..cols {
                let Some(name) = names.get(c * rows + r) else {
                    continue;
                };
                self.out.extend_from_slice(name);
                let last = c + 1 == cols || names.get((c + 1) * rows + r).is_none();
                if !last {
                    self.out.resize(self.out.len() + widest - name.len(), b' ');
                }
            }
            self.out.push(b'\n');
        }
    }

    /// One `-l` line: mode, links, owner, group, size, date, name, target.
    fn long_line(&mut self, e: &Entry) -> Vec<u8> {
        let m = &e.meta;
        let mut line = Vec::new();
        if self.opts.inode {
            line.extend_from_slice(format!("{:>8} ", m.ino()).as_bytes());
        }
        let (owner, group) = if self.opts.numeric {
            (m.uid().to_string(), m.gid().to_string())
        } else {
            let users = self.users.get_or_insert_with(|| id_names("/etc/passwd"));
            let owner = users
                .get(&m.uid())
                .cloned()
                .unwrap_or_else(|| m.uid().to_string());
            let groups = self.groups.get_or_insert_with(|| id_names("/etc/group"));
            let group = groups
                .get(&m.gid())
                .cloned()
                .unwrap_or_else(|| m.gid().to_string());
            (owner, group)
        };
        let size = if m.file_type().is_char_device() || m.file_type().is_block_device() {
            format!(
                "{:>4}, {:>3}",
                (m.rdev() >> 8) & 0xfff,
                (m.rdev() & 0xff) | ((m.rdev() >> 12) & 0xfff00)
            )
        } else if self.opts.human {
            human(m.len())
        } else {
            m.len().to_string()
        };
        line.extend_from_slice(
            format!(
                "{} {:>4} {:<8} {:<8} {:>9} {} ",
                mode_string(m),
                m.nlink(),
                owner,
                group,
                size,
                date(m.mtime())
            )
            .as_bytes(),
        );
        line.extend_from_slice(e.name.as_bytes());
        if m.file_type().is_symlink() {
            if let Ok(target) = std::fs::read_link(&e.path) {
                line.extend_from_slice(b" -> ");
                line.extend_from_slice(target.as_os_str().as_bytes());
            }
        } else if self.opts.classify {
            line.extend_from_slice(indicator(m).as_bytes());
        }
        line.push(b'\n');
        line
    }
}

/// `-F` suffix: `/` directory, `@` link, `|` fifo, `=` socket, `*` executable.
fn indicator(m: &Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_dir() {
        "/"
    } else if t.is_symlink() {
        "@"
    } else if t.is_fifo() {
        "|"
    } else if t.is_socket() {
        "="
    } else if m.permissions().mode() & 0o111 != 0 {
        "*"
    } else {
        ""
    }
}

/// `drwxr-xr-x`, with setuid, setgid and sticky bits.
pub fn mode_string(m: &Metadata) -> String {
    let t = m.file_type();
    let kind = if t.is_dir() {
        'd'
    } else if t.is_symlink() {
        'l'
    } else if t.is_char_device() {
        'c'
    } else if t.is_block_device() {
        'b'
    } else if t.is_fifo() {
        'p'
    } else if t.is_socket() {
        's'
    } else {
        '-'
    };
    let mode = m.permissions().mode();
    let mut s = String::with_capacity(10);
    s.push(kind);
    let bit = |mask: u32, c: char| if mode & mask != 0 { c } else { '-' };
    let special = |exec: bool, set: bool, on: char, off: char| match (exec, set) {
        (true, true) => on,
        (false, true) => off,
        (true, false) => 'x',
        (false, false) => '-',
    };
    s.push(bit(0o400, 'r'));
    s.push(bit(0o200, 'w'));
    s.push(special(mode & 0o100 != 0, mode & 0o4000 != 0, 's', 'S'));
    s.push(bit(0o040, 'r'));
    s.push(bit(0o020, 'w'));
    s.push(special(mode & 0o010 != 0, mode & 0o2000 != 0, 's', 'S'));
    s.push(bit(0o004, 'r'));
    s.push(bit(0o002, 'w'));
    s.push(special(mode & 0o001 != 0, mode & 0o1000 != 0, 't', 'T'));
    s
}

/// 1.5K, 243M, 2.0G: BusyBox's -h style.
fn human(bytes: u64) -> String {
    const UNITS: &[&str] = &["K", "M", "G", "T", "P"];
    if bytes < 1024 {
        return bytes.to_string();
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1}{}", UNITS[unit])
    } else {
        format!("{value:.0}{}", UNITS[unit])
    }
}

/// `Mon DD HH:MM` for times within six months, else `Mon DD  YYYY` (UTC:
/// the image carries no time zone data).
fn date(mtime: i64) -> String {
    let now = calendar::now();
    let days = mtime.div_euclid(86400);
    let secs = mtime.rem_euclid(86400);
    let (y, m, d) = calendar::civil_from_days(days);
    let month = calendar::MONTH_ABBR[(m - 1) as usize];
    if (now - mtime).abs() < 183 * 86400 {
        format!("{month} {d:>2} {:02}:{:02}", secs / 3600, secs % 3600 / 60)
    } else {
        format!("{month} {d:>2}  {y}")
    }
}

/// The terminal's width when standard output is a terminal.
fn terminal_width() -> Option<usize> {
    if !nix::unistd::isatty(1).unwrap_or(false) {
        return None;
    }
    let mut ws = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize into the valid pointer given.
    let r = unsafe { nix::libc::ioctl(1, nix::libc::TIOCGWINSZ, &mut ws) };
    Some(if r == 0 && ws.ws_col > 0 {
        usize::from(ws.ws_col)
    } else {
        80
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_sizes() {
        assert_eq!(calendar::civil_from_days(0), (1970, 1, 1));
        assert_eq!(calendar::civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(human(1536), "1.5K");
        assert_eq!(human(500), "500");
        assert_eq!(human(300 * 1024 * 1024), "300M");
    }
}
