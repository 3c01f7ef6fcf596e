//! `tar -c|-x|-t [-zvpOhm] [-f FILE] [-C DIR] [FILE]...`: create, extract
//! or list ustar archives (GNU long names and pax headers read; gzip with
//! `-z`, detected by itself when reading).
//!
//! Extraction never writes outside the target directory: see
//! `archive::extract`.

use crate::archive::extract::{Extractor, Options};
use crate::archive::gzip::{GzDecoder, GzEncoder, MAGIC};
use crate::archive::tar::{TarReader, TarWriter};
use crate::archive::{is_root, Entry, Kind};
use crate::common::{error_msg, getopt, lossy, perror, usage_error, Exit};
use crate::fsutil::{self, Event, Follow};
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, Metadata};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub const USAGE: &str = "c|x|t [-zvpOhm] [-f TARFILE] [-C DIR] [-T FILE] [-X FILE] [--exclude PATTERN]... [FILE]...\n\nCreate, extract, or list files from a tar file\n\n\tc\tCreate\n\tx\tExtract\n\tt\tList\n\t-f FILE\tName of TARFILE ('-' for stdin/out)\n\t-C DIR\tChange to DIR before operation\n\t-v\tVerbose\n\t-O\tExtract to stdout\n\t-m\tDon't restore mtime\n\t-p\tKeep permissions (default for root)\n\t-o\tDon't restore user:group\n\t-z\t(De)compress using gzip\n\t-h\tFollow symlinks\n\t-T FILE\tFile with names to include\n\t-X FILE\tFile with glob patterns to exclude\n\t--exclude PATTERN\tGlob pattern to exclude\n\t--numeric-owner\tUse numeric user:group";

/// Internal letters of long-only options (no byte of argv can produce them).
const EXCLUDE: char = '\u{100}';
const NUMERIC_OWNER: char = '\u{101}';
const SAME_OWNER: char = '\u{102}';

/// Expands the old form `tar cvf FILE DIR` into `tar -c -v -f FILE DIR`:
/// the letters of the first argument, with the arguments of `f`, `C`,
/// `T` and `X` taken from the following words in order.
fn expand_old_style(args: Vec<OsString>) -> Vec<OsString> {
    let Some(first) = args.get(1) else {
        return args;
    };
    if first.as_bytes().starts_with(b"-") {
        return args;
    }
    let letters = first.as_bytes().to_vec();
    let mut out = vec![args[0].clone()];
    let mut rest = args[2..].iter();
    for &c in &letters {
        out.push(OsString::from(format!("-{}", c as char)));
        if b"fCTX".contains(&c) {
            if let Some(v) = rest.next() {
                out.push(v.clone());
            }
        }
    }
    out.extend(rest.cloned());
    out
}

/// What one invocation does.
struct Opts {
    verbose: bool,
    gzip: bool,
    to_stdout: bool,
    deref: bool,
    excludes: Vec<Vec<u8>>,
    status: i32,
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let args = expand_old_style(args);
    let long = [
        ("create", 'c'),
        ("extract", 'x'),
        ("get", 'x'),
        ("list", 't'),
        ("file", 'f'),
        ("gzip", 'z'),
        ("gunzip", 'z'),
        ("directory", 'C'),
        ("verbose", 'v'),
        ("preserve-permissions", 'p'),
        ("same-permissions", 'p'),
        ("to-stdout", 'O'),
        ("dereference", 'h'),
        ("touch", 'm'),
        ("files-from", 'T'),
        ("exclude-from", 'X'),
        ("exclude", EXCLUDE),
        ("numeric-owner", NUMERIC_OWNER),
        ("no-same-owner", 'o'),
        ("same-owner", SAME_OWNER),
    ];
    let short = format!("cxtf:zC:vpOhmoT:X:{EXCLUDE}:{NUMERIC_OWNER}{SAME_OWNER}");
    let p = match getopt(&args, &short, &long, true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let modes = ['c', 'x', 't'].iter().filter(|&&c| p.has(c)).count();
    if modes != 1 {
        return usage_error("tar", "need exactly one of -c, -x or -t");
    }
    let mut o = Opts {
        verbose: p.has('v'),
        gzip: p.has('z'),
        to_stdout: p.has('O'),
        deref: p.has('h'),
        excludes: Vec::new(),
        status: 0,
    };
    for (c, v) in &p.opts {
        match (*c, v) {
            (EXCLUDE, Some(pat)) => o.excludes.push(trim_slash(pat.as_bytes()).to_vec()),
            ('X', Some(file)) => match read_lines(file) {
                Ok(lines) => o
                    .excludes
                    .extend(lines.iter().map(|l| trim_slash(l).to_vec())),
                Err(e) => {
                    perror("tar", format!("can't open '{}'", lossy(file)), &e);
                    return 1;
                }
            },
            _ => {}
        }
    }
    let mut names: Vec<Vec<u8>> = p.operands.iter().map(|n| n.as_bytes().to_vec()).collect();
    if let Some(file) = p.value('T') {
        match read_lines(file) {
            Ok(lines) => names.extend(lines.into_iter().filter(|l| !l.is_empty())),
            Err(e) => {
                perror("tar", format!("can't open '{}'", lossy(file)), &e);
                return 1;
            }
        }
    }
    let archive = p
        .value('f')
        .filter(|f| f.as_bytes() != b"-")
        .map(OsStr::to_os_string);
    if p.has('c') {
        return create(&mut o, archive.as_deref(), p.value('C'), &names);
    }
    let input: Box<dyn Read> = match &archive {
        Some(f) => match File::open(f) {
            Ok(f) => Box::new(f),
            Err(e) => {
                perror("tar", format!("can't open '{}'", lossy(f)), &e);
                return 1;
            }
        },
        None => Box::new(io::stdin()),
    };
    if let Some(dir) = p.value('C') {
        if let Err(e) = std::env::set_current_dir(dir) {
            perror(
                "tar",
                format!("can't change directory to '{}'", lossy(dir)),
                &e,
            );
            return 1;
        }
    }
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let gz = o.gzip || input.fill_buf().is_ok_and(|b| b.starts_with(&MAGIC));
    let reader: Box<dyn Read> = if gz {
        Box::new(GzDecoder::new(input))
    } else {
        Box::new(input)
    };
    let opts = Options {
        keep_perms: p.has('p') || is_root(),
        touch: p.has('m'),
        same_owner: is_root() && !p.has('o') || p.has(SAME_OWNER),
        numeric_owner: p.has(NUMERIC_OWNER),
        make_parents: true,
    };
    read_archive(&mut o, reader, p.has('x'), opts, &names)
}

/// `pattern` without trailing slashes (GNU matches `dir/` as `dir`).
fn trim_slash(pattern: &[u8]) -> &[u8] {
    let mut p = pattern;
    while p.len() > 1 && p.ends_with(b"/") {
        p = &p[..p.len() - 1];
    }
    p
}

/// The lines of `file` (`-`: stdin).
fn read_lines(file: &OsStr) -> io::Result<Vec<Vec<u8>>> {
    let data = crate::text::read_all(file)?;
    Ok(crate::text::records(&data, b'\n')
        .map(|l| crate::text::chomp(l, b'\n').to_vec())
        .collect())
}

/// Whether member `name` is excluded: a pattern matches the whole name or
/// any tail of it that starts after a `/` (GNU's unanchored default).
fn excluded(o: &Opts, name: &[u8]) -> bool {
    if o.excludes.is_empty() {
        return false;
    }
    let name = trim_slash(name);
    let mut tails = vec![name];
    for (i, &b) in name.iter().enumerate() {
        if b == b'/' && i + 1 < name.len() {
            tails.push(&name[i + 1..]);
        }
    }
    o.excludes.iter().any(|p| {
        tails
            .iter()
            .any(|t| crate::applets::sh::pattern::matches(p, t))
    })
}

/// Where the archive goes: a plain or gzip-compressed stream.
enum Sink {
    Plain(io::BufWriter<Box<dyn Write>>),
    Gz(GzEncoder<io::BufWriter<Box<dyn Write>>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Gz(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gz(w) => w.flush(),
        }
    }
}

impl Sink {
    /// Ends the gzip member if any and flushes.
    fn finish(self) -> io::Result<()> {
        let mut w = match self {
            Sink::Plain(w) => w,
            Sink::Gz(g) => g.finish()?,
        };
        w.flush()
    }
}

/// State of `tar -c`.
struct Creator {
    tar: TarWriter<Sink>,
    /// Files with several links already stored: (dev, ino) → name.
    links: HashMap<(u64, u64), Vec<u8>>,
    users: HashMap<u32, Vec<u8>>,
    groups: HashMap<u32, Vec<u8>>,
    /// The archive's own identity, so that it is not stored in itself.
    archive: Option<(u64, u64)>,
    warned_root: bool,
    /// Where -v names go (stderr when the archive is on stdout).
    verbose_to_stderr: bool,
}

/// `tar -c`.
fn create(o: &mut Opts, archive: Option<&OsStr>, dir: Option<&OsStr>, names: &[Vec<u8>]) -> i32 {
    if names.is_empty() {
        error_msg("tar", "empty archive");
        return 1;
    }
    let (out, id): (Box<dyn Write>, Option<(u64, u64)>) = match archive {
        Some(f) => match File::create(f) {
            Ok(file) => {
                let id = file.metadata().ok().map(|m| (m.dev(), m.ino()));
                (Box::new(file), id)
            }
            Err(e) => {
                perror("tar", format!("can't open '{}'", lossy(f)), &e);
                return 1;
            }
        },
        None => (Box::new(io::stdout()), None),
    };
    let out = io::BufWriter::with_capacity(64 * 1024, out);
    let sink = if o.gzip {
        match GzEncoder::new(out, 6, 0) {
            Ok(g) => Sink::Gz(g),
            Err(e) => {
                perror("tar", "write error", &e);
                return 1;
            }
        }
    } else {
        Sink::Plain(out)
    };
    if let Some(d) = dir {
        if let Err(e) = std::env::set_current_dir(d) {
            perror(
                "tar",
                format!("can't change directory to '{}'", lossy(d)),
                &e,
            );
            return 1;
        }
    }
    let mut c = Creator {
        tar: TarWriter::new(sink),
        links: HashMap::new(),
        users: HashMap::new(),
        groups: HashMap::new(),
        archive: id,
        warned_root: false,
        verbose_to_stderr: archive.is_none(),
    };
    for name in names {
        let root = Path::new(OsStr::from_bytes(name));
        let follow = if o.deref {
            Follow::Always
        } else {
            Follow::Never
        };
        let mut fatal: Option<io::Error> = None;
        fsutil::walk(root, follow, false, &mut |ev| {
            if fatal.is_some() {
                return false;
            }
            match ev {
                Event::Enter(path, meta) => match add(o, &mut c, path, meta) {
                    Ok(keep) => keep,
                    Err(e) => {
                        fatal = Some(e);
                        false
                    }
                },
                Event::File(path, meta, _) => {
                    if let Err(e) = add(o, &mut c, path, meta) {
                        fatal = Some(e);
                    }
                    true
                }
                Event::Error(path, e) => {
                    perror("tar", fsutil::show(path), &e);
                    o.status = 1;
                    true
                }
                Event::Leave(..) | Event::Loop(_) => true,
            }
        });
        if let Some(e) = fatal {
            perror("tar", "write error", &e);
            return 1;
        }
    }
    let result = c.tar.finish().and_then(Sink::finish);
    if let Err(e) = result {
        perror("tar", "write error", &e);
        return 1;
    }
    o.status
}

/// Adds one file to the archive. Returns whether to descend into it (a
/// directory not excluded); an error is a write error.
fn add(o: &mut Opts, c: &mut Creator, path: &Path, meta: &Metadata) -> io::Result<bool> {
    let mut name = path.as_os_str().as_bytes();
    if name.starts_with(b"/") {
        if !c.warned_root {
            error_msg("tar", "removing leading '/' from member names");
            c.warned_root = true;
        }
        while name.starts_with(b"/") {
            name = &name[1..];
        }
    }
    if excluded(o, name) {
        return Ok(false);
    }
    if c.archive == Some((meta.dev(), meta.ino())) {
        error_msg(
            "tar",
            &format!("{}: file is the archive; not dumped", fsutil::show(path)),
        );
        return Ok(false);
    }
    let Some(kind) = Kind::of(meta.file_type()) else {
        error_msg("tar", &format!("{}: socket ignored", fsutil::show(path)));
        return Ok(false);
    };
    let mut member = name.to_vec();
    if kind == Kind::Dir {
        if member.is_empty() {
            // "/" itself: its contents are stored, not an empty name.
            return Ok(true);
        }
        if !member.ends_with(b"/") {
            member.push(b'/');
        }
    }
    let mut e = Entry::new(member, kind);
    e.mode = meta.mode() & 0o7777;
    e.uid = meta.uid();
    e.gid = meta.gid();
    e.uname = c
        .users
        .entry(e.uid)
        .or_insert_with(|| {
            fsutil::user_name(e.uid)
                .map(String::into_bytes)
                .unwrap_or_default()
        })
        .clone();
    e.gname = c
        .groups
        .entry(e.gid)
        .or_insert_with(|| {
            fsutil::group_name(e.gid)
                .map(String::into_bytes)
                .unwrap_or_default()
        })
        .clone();
    e.mtime = meta.mtime();
    if matches!(kind, Kind::Char | Kind::Block) {
        let rdev = meta.rdev();
        e.dev = (nix::libc::major(rdev), nix::libc::minor(rdev));
    }
    if kind == Kind::Symlink {
        match fs::read_link(path) {
            Ok(t) => e.link = t.into_os_string().into_vec(),
            Err(err) => {
                perror("tar", fsutil::show(path), &err);
                o.status = 1;
                return Ok(false);
            }
        }
    }
    if kind != Kind::Dir && meta.nlink() > 1 {
        let id = (meta.dev(), meta.ino());
        if let Some(first) = c.links.get(&id) {
            e.kind = Kind::HardLink;
            e.link = first.clone();
        } else {
            c.links.insert(id, e.name.clone());
        }
    }
    let mut file = None;
    if e.kind == Kind::File {
        match File::open(path) {
            Ok(f) => {
                e.size = meta.len();
                file = Some(f);
            }
            Err(err) => {
                perror("tar", format!("can't open '{}'", fsutil::show(path)), &err);
                o.status = 1;
                return Ok(false);
            }
        }
    }
    if o.verbose {
        let mut line = e.name.clone();
        line.push(b'\n');
        if c.verbose_to_stderr {
            let _ = io::stderr().write_all(&line);
        } else {
            let mut out = io::stdout().lock();
            let _ = out.write_all(&line).and_then(|_| out.flush());
        }
    }
    let problem = c
        .tar
        .append(&e, file.as_mut().map(|f| f as &mut dyn Read))?;
    if let Some(err) = problem {
        perror("tar", fsutil::show(path), &err);
        o.status = 1;
    }
    Ok(kind == Kind::Dir)
}

/// Whether member `name` was asked for by `wanted` (all when empty):
/// the name itself or something under it.
fn selected(name: &[u8], wanted: &[Vec<u8>], found: &mut [bool]) -> bool {
    if wanted.is_empty() {
        return true;
    }
    let name = trim_slash(name);
    let mut any = false;
    for (i, w) in wanted.iter().enumerate() {
        let w = trim_slash(w);
        if name == w || (name.starts_with(w) && name.get(w.len()) == Some(&b'/')) {
            found[i] = true;
            any = true;
        }
    }
    any
}

/// `tar -t` and `tar -x`.
fn read_archive(
    o: &mut Opts,
    input: Box<dyn Read>,
    extract: bool,
    opts: Options,
    wanted: &[Vec<u8>],
) -> i32 {
    let mut tar = TarReader::new(input);
    let mut x = Extractor::new("tar", std::path::PathBuf::from("."), opts);
    let mut found = vec![false; wanted.len()];
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    loop {
        let e = match tar.next_entry() {
            Ok(Some(e)) => e,
            Ok(None) => break,
            Err(err) => {
                let _ = out.flush();
                error_msg("tar", &crate::common::strerror(&err));
                o.status = 1;
                break;
            }
        };
        if !selected(&e.name, wanted, &mut found) || excluded(o, &e.name) {
            continue;
        }
        if !extract || o.verbose && !o.to_stdout {
            let line = if extract || !o.verbose {
                e.name.clone()
            } else {
                e.long_listing(&e.name)
            };
            let r = out.write_all(&line).and_then(|_| out.write_all(b"\n"));
            if let Err(err) = r {
                return crate::text::write_failed("tar", &err);
            }
        }
        if !extract {
            continue;
        }
        if o.to_stdout {
            if e.kind == Kind::File {
                let r = io::copy(&mut tar.data(), &mut out);
                if let Err(err) = r {
                    let _ = out.flush();
                    error_msg("tar", &crate::common::strerror(&err));
                    return 1;
                }
            }
            continue;
        }
        let _ = out.flush();
        let Some(rel) = x.sanitize(&e.name, true) else {
            continue;
        };
        if let Err(err) = x.extract(&e, &rel, &mut tar.data()) {
            perror(
                "tar",
                format!("can't create '{}'", String::from_utf8_lossy(&rel)),
                &err,
            );
            o.status = 1;
            if err.kind() == io::ErrorKind::InvalidData {
                break;
            }
        }
    }
    if let Err(err) = out.flush() {
        return crate::text::write_failed("tar", &err);
    }
    if extract && !o.to_stdout && !x.finish() {
        o.status = 1;
    }
    for (i, f) in found.iter().enumerate() {
        if !f {
            error_msg(
                "tar",
                &format!(
                    "{}: not found in archive",
                    String::from_utf8_lossy(&wanted[i])
                ),
            );
            o.status = 1;
        }
    }
    o.status
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn old_style_arguments() {
        assert_eq!(
            expand_old_style(os(&["tar", "cvf", "a.tar", "dir"])),
            os(&["tar", "-c", "-v", "-f", "a.tar", "dir"])
        );
        assert_eq!(
            expand_old_style(os(&["tar", "xfC", "a.tar", "d", "m"])),
            os(&["tar", "-x", "-f", "a.tar", "-C", "d", "m"])
        );
        assert_eq!(
            expand_old_style(os(&["tar", "-tf", "a"])),
            os(&["tar", "-tf", "a"])
        );
    }
}
