//! `cpio -o|-i|-t [-dmuv] [-H newc] [-F FILE] [--quiet] [PATTERN]...`:
//! copy files into (names from stdin) or out of a newc archive.
//!
//! Extraction follows tar's safety rules (`archive::extract`): nothing is
//! written outside the current directory, whatever the names say.

use crate::archive::cpio::{CpioReader, CpioWriter, Member};
use crate::archive::extract::{Extractor, Options};
use crate::archive::{is_root, Entry, Kind};
use crate::common::{error_msg, getopt, lossy, perror, usage_error, Exit};
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io::{self, BufRead, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

pub const USAGE: &str = "[-dmuvt] [-H newc] [-F FILE] [--quiet] [-i | -o] [PATTERN]...\n\nExtract (-i), list (-t) or create (-o, names on stdin) a cpio archive\n\n\t-i\tExtract\n\t-t\tList\n\t-o\tCreate (newc format)\n\t-d\tMake leading directories\n\t-m\tRestore mtime\n\t-u\tReplace newer files too\n\t-v\tVerbose\n\t-H newc\tArchive format\n\t-F FILE\tArchive file instead of stdin/stdout\n\t--quiet\tDon't print the block count";

/// Internal letter of --quiet.
const QUIET: char = '\u{100}';

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let long = [
        ("extract", 'i'),
        ("create", 'o'),
        ("list", 't'),
        ("make-directories", 'd'),
        ("preserve-modification-time", 'm'),
        ("unconditional", 'u'),
        ("verbose", 'v'),
        ("format", 'H'),
        ("file", 'F'),
        ("quiet", QUIET),
    ];
    let short = format!("iotdmuvH:F:{QUIET}");
    let p = match getopt(&args, &short, &long, true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if let Some(f) = p.value('H') {
        if f.as_bytes() != b"newc" && f.as_bytes() != b"crc" {
            return usage_error("cpio", &format!("unsupported format '{}'", lossy(f)));
        }
    }
    let list = p.has('t');
    let extract = p.has('i') && !list;
    let create = p.has('o');
    if usize::from(list || extract) + usize::from(create) != 1 {
        return usage_error("cpio", "need exactly one of -i, -o or -t");
    }
    let quiet = p.has(QUIET);
    let verbose = p.has('v');
    let file = p.value('F').filter(|f| f.as_bytes() != b"-");
    if create {
        if !p.operands.is_empty() {
            return usage_error("cpio", "-o takes no operands");
        }
        return create_archive(file, verbose, quiet);
    }
    let input: Box<dyn Read> = match file {
        Some(f) => match File::open(f) {
            Ok(f) => Box::new(f),
            Err(e) => {
                perror("cpio", format!("can't open '{}'", lossy(f)), &e);
                return 1;
            }
        },
        None => Box::new(io::stdin().lock()),
    };
    let opts = Options {
        keep_perms: true,
        touch: !p.has('m'),
        same_owner: is_root(),
        numeric_owner: true,
        make_parents: p.has('d'),
    };
    let patterns: Vec<Vec<u8>> = p.operands.iter().map(|o| o.as_bytes().to_vec()).collect();
    let how = Extract {
        list: !extract,
        verbose,
        quiet,
        unconditional: p.has('u'),
    };
    read_archive(
        io::BufReader::with_capacity(64 * 1024, input),
        &how,
        opts,
        &patterns,
    )
}

/// `cpio -o`: names on stdin, one a line, archive on stdout or -F FILE.
fn create_archive(file: Option<&OsStr>, verbose: bool, quiet: bool) -> i32 {
    let mut names = Vec::new();
    let mut stdin = io::stdin().lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        match stdin.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {
                let name = crate::text::chomp(&line, b'\n');
                if !name.is_empty() {
                    names.push(name.to_vec());
                }
            }
            Err(e) => {
                perror("cpio", "read error", &e);
                return 1;
            }
        }
    }
    let out: Box<dyn Write> = match file {
        Some(f) => match File::create(f) {
            Ok(f) => Box::new(f),
            Err(e) => {
                perror("cpio", format!("can't open '{}'", lossy(f)), &e);
                return 1;
            }
        },
        None => Box::new(io::stdout()),
    };
    let mut cpio = CpioWriter::new(io::BufWriter::with_capacity(64 * 1024, out));
    let mut status = 0;
    // First pass: what each name is, and which hard links share an inode,
    // so that only the last of them carries the data (as GNU cpio writes).
    let mut members: Vec<(Vec<u8>, Member)> = Vec::new();
    let mut inodes: HashMap<(u64, u64), u32> = HashMap::new();
    let mut last_link: HashMap<u32, usize> = HashMap::new();
    for name in names {
        let path = PathBuf::from(OsStr::from_bytes(&name));
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                perror(
                    "cpio",
                    format!("can't stat '{}'", lossy(path.as_os_str())),
                    &e,
                );
                status = 1;
                continue;
            }
        };
        let Some(kind) = Kind::of(meta.file_type()) else {
            error_msg(
                "cpio",
                &format!("{}: socket ignored", lossy(path.as_os_str())),
            );
            continue;
        };
        let mut e = Entry::new(name.clone(), kind);
        e.mode = meta.mode() & 0o7777;
        e.uid = meta.uid();
        e.gid = meta.gid();
        e.mtime = meta.mtime();
        if kind == Kind::File {
            e.size = meta.len();
        }
        if matches!(kind, Kind::Char | Kind::Block) {
            e.dev = (nix::libc::major(meta.rdev()), nix::libc::minor(meta.rdev()));
        }
        if kind == Kind::Symlink {
            match fs::read_link(&path) {
                Ok(t) => e.link = t.into_os_string().into_vec(),
                Err(err) => {
                    perror("cpio", lossy(path.as_os_str()), &err);
                    status = 1;
                    continue;
                }
            }
        }
        // Inode numbers are renumbered from 1: real ones may not fit in
        // 32 bits, and only their equality matters.
        let next = inodes.len() as u32 + 1;
        let ino = *inodes.entry((meta.dev(), meta.ino())).or_insert(next);
        let nlink = if kind == Kind::Dir {
            2
        } else {
            meta.nlink() as u32
        };
        if kind == Kind::File && nlink > 1 {
            last_link.insert(ino, members.len());
        }
        members.push((
            name,
            Member {
                entry: e,
                ino,
                nlink,
                fsdev: (0, 0),
            },
        ));
    }
    let carries_data: Vec<bool> = members
        .iter()
        .enumerate()
        .map(|(i, (_, m))| {
            m.nlink <= 1 || m.entry.kind != Kind::File || last_link.get(&m.ino) == Some(&i)
        })
        .collect();
    for (i, (name, mut m)) in members.into_iter().enumerate() {
        let path = PathBuf::from(OsStr::from_bytes(&name));
        let mut file = None;
        if m.entry.kind == Kind::File && carries_data[i] && m.entry.size > 0 {
            match File::open(&path) {
                Ok(f) => file = Some(f),
                Err(e) => {
                    perror(
                        "cpio",
                        format!("can't open '{}'", lossy(path.as_os_str())),
                        &e,
                    );
                    status = 1;
                    continue;
                }
            }
        } else if m.entry.kind == Kind::File && !carries_data[i] {
            m.entry.size = 0;
        }
        if verbose {
            let mut l = name.clone();
            l.push(b'\n');
            let _ = io::stderr().write_all(&l);
        }
        if let Err(e) = cpio.append(&m, file.as_mut().map(|f| f as &mut dyn Read)) {
            if e.kind() == io::ErrorKind::InvalidData {
                // The archive is now inconsistent: stop here.
                perror("cpio", lossy(path.as_os_str()), &e);
                return 1;
            }
            perror("cpio", "write error", &e);
            return 1;
        }
    }
    match cpio.finish() {
        Ok((mut w, blocks)) => {
            if let Err(e) = w.flush() {
                perror("cpio", "write error", &e);
                return 1;
            }
            if !quiet {
                eprintln!("{blocks} blocks");
            }
        }
        Err(e) => {
            perror("cpio", "write error", &e);
            return 1;
        }
    }
    status
}

/// How `-i` / `-t` handle members.
struct Extract {
    list: bool,
    verbose: bool,
    quiet: bool,
    unconditional: bool,
}

/// Hard links whose data comes later: (ino, fs dev) → members waiting.
type Pending = HashMap<(u32, (u32, u32)), Vec<(Entry, Vec<u8>)>>;

/// `cpio -i` and `cpio -t`.
fn read_archive(input: impl Read, how: &Extract, opts: Options, patterns: &[Vec<u8>]) -> i32 {
    let mut cpio = CpioReader::new(input);
    let mut x = Extractor::new("cpio", PathBuf::from("."), opts);
    let mut status = 0;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    // Hard links whose data came: key → relative path extracted.
    let mut linked: HashMap<(u32, (u32, u32)), Vec<u8>> = HashMap::new();
    let mut pending: Pending = HashMap::new();
    loop {
        let m = match cpio.next_member() {
            Ok(Some(m)) => m,
            Ok(None) => {
                cpio.drain();
                break;
            }
            Err(e) => {
                let _ = out.flush();
                error_msg("cpio", &crate::common::strerror(&e));
                status = 1;
                break;
            }
        };
        let e = &m.entry;
        if !patterns.is_empty()
            && !patterns
                .iter()
                .any(|p| crate::applets::sh::pattern::matches(p, &e.name))
        {
            continue;
        }
        if how.list {
            let line = if how.verbose {
                e.long_listing(&e.name)
            } else {
                e.name.clone()
            };
            if let Err(err) = out.write_all(&line).and_then(|_| out.write_all(b"\n")) {
                return crate::text::write_failed("cpio", &err);
            }
            continue;
        }
        let Some(rel) = x.sanitize(&e.name, true) else {
            continue;
        };
        if !how.unconditional && e.kind != Kind::Dir {
            if let Some(old) = x.existing(&rel) {
                if !old.is_dir() && old.mtime() >= e.mtime {
                    error_msg(
                        "cpio",
                        &format!(
                            "{} not created: newer or same age version exists",
                            String::from_utf8_lossy(&rel)
                        ),
                    );
                    continue;
                }
            }
        }
        if how.verbose {
            let mut l = e.name.clone();
            l.push(b'\n');
            let _ = io::stderr().write_all(&l);
        }
        let key = (m.ino, m.fsdev);
        let hard = e.kind == Kind::File && m.nlink > 1;
        let result = if hard && e.size == 0 {
            if let Some(first) = linked.get(&key) {
                let mut l = e.clone();
                l.kind = Kind::HardLink;
                l.link = first.clone();
                x.extract(&l, &rel, &mut io::empty())
            } else {
                pending.entry(key).or_default().push((e.clone(), rel));
                continue;
            }
        } else {
            let r = x.extract(e, &rel, &mut cpio.data());
            if r.is_ok() && hard {
                linked.insert(key, rel.clone());
                for (w, wrel) in pending.remove(&key).unwrap_or_default() {
                    let mut l = w;
                    l.kind = Kind::HardLink;
                    l.link = rel.clone();
                    if let Err(err) = x.extract(&l, &wrel, &mut io::empty()) {
                        perror(
                            "cpio",
                            format!("can't create '{}'", String::from_utf8_lossy(&wrel)),
                            &err,
                        );
                        status = 1;
                    }
                }
            }
            r
        };
        if let Err(err) = result {
            perror(
                "cpio",
                format!("can't create '{}'", String::from_utf8_lossy(&rel)),
                &err,
            );
            status = 1;
            if err.kind() == io::ErrorKind::InvalidData {
                break;
            }
        }
    }
    // Links whose data never came are empty files.
    for (_, waiting) in pending {
        for (e, rel) in waiting {
            if let Err(err) = x.extract(&e, &rel, &mut io::empty()) {
                perror(
                    "cpio",
                    format!("can't create '{}'", String::from_utf8_lossy(&rel)),
                    &err,
                );
                status = 1;
            }
        }
    }
    if let Err(err) = out.flush() {
        return crate::text::write_failed("cpio", &err);
    }
    if !how.list && !x.finish() {
        status = 1;
    }
    if !how.quiet {
        eprintln!("{} blocks", cpio.position().div_ceil(512));
    }
    status
}
