//! `find [-HLP] [PATH]... [EXPRESSION]`: walk directory trees and evaluate
//! an expression of tests and actions on every file.
//!
//! The walk uses the file types readdir(3) reports (d_type), so that a
//! search that only looks at names or types (`find -name '*.c'`,
//! `find -type d`) never calls stat(2); metadata is fetched lazily, once
//! per file, by the first test that needs it.

use crate::applets::sh::pattern;
use crate::common::{error_msg, lossy, perror};
use crate::fsutil;
use crate::text;
use std::ffi::{OsStr, OsString};
use std::fs::{self, FileType, Metadata};
use std::io::{self, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

pub const USAGE: &str = "[-HLP] [PATH]... [OPTIONS] [ACTIONS]\n\nSearch for files and perform actions on them.\nFirst failed action stops processing of current file.\nDefaults: PATH is current directory, action is '-print'\n\n\t-L,-follow\tFollow symlinks\n\t-H\t\t...on command line only\n\t-P\t\tNever follow symlinks (default)\n\t-xdev\t\tDon't descend directories on other filesystems\n\t-maxdepth N\tDescend at most N levels. -maxdepth 0 applies\n\t\t\tactions to command line arguments only\n\t-mindepth N\tDon't act on first N levels\n\t-depth\t\tAct on directory *after* traversing it\n\nActions:\n\t( ACTIONS )\tGroup actions for -o / -a\n\t! ACT\t\tInvert ACT's success/failure\n\tACT1 [-a] ACT2\tIf ACT1 fails, stop, else do ACT2\n\tACT1 -o ACT2\tIf ACT1 succeeds, stop, else do ACT2\n\t-name PATTERN\tMatch file name (w/o directory name) to PATTERN\n\t-iname PATTERN\tCase insensitive -name\n\t-path PATTERN\tMatch path to PATTERN\n\t-ipath PATTERN\tCase insensitive -path\n\t-regex PATTERN\tMatch path to regex PATTERN\n\t-iregex PATTERN\tCase insensitive -regex\n\t-type X\t\tFile type is X (one of: f,d,l,b,c,s,p)\n\t-executable\tFile is executable\n\t-perm MASK\tAt least one mask bit (/MASK), all bits (-MASK),\n\t\t\tor exactly MASK bits are set in file's mode\n\t-mtime DAYS\tmtime is greater than (+N), less than (-N),\n\t\t\tor exactly N days in the past\n\t-atime DAYS\tatime +N/-N/N days in the past\n\t-ctime DAYS\tctime +N/-N/N days in the past\n\t-mmin MINS\tmtime is greater than (+N), less than (-N),\n\t\t\tor exactly N minutes in the past\n\t-amin MINS\tatime +N/-N/N minutes in the past\n\t-cmin MINS\tctime +N/-N/N minutes in the past\n\t-newer FILE\tmtime is more recent than FILE's\n\t-inum N\t\tFile has inode number N\n\t-samefile FILE\tFile is same as FILE\n\t-user NAME/ID\tFile is owned by given user\n\t-group NAME/ID\tFile is owned by given group\n\t-size N[bckMG]\tFile size is N (c:bytes,k:kbytes,b:512 bytes(def.))\n\t\t\t+/-N: file size is bigger/smaller than N\n\t-links N\tNumber of links is greater than (+N), less than (-N),\n\t\t\tor exactly N\n\t-empty\t\tMatch empty file/directory\n\t-prune\t\tIf current file is directory, don't descend into it\n\t-true, -false\tAlways true / false\nIf none of the following actions is specified, -print is assumed\n\t-print\t\tPrint file name\n\t-print0\t\tPrint file name, NUL terminated\n\t-exec CMD ARG ;\tRun CMD with all instances of {} replaced by\n\t\t\tfile name. Fails if CMD exits with nonzero\n\t-exec CMD ARG + Run CMD with {} replaced by list of file names\n\t-delete\t\tDelete current file/directory. Turns on -depth option\n\t-quit\t\tExit";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let args: Vec<Vec<u8>> = args.into_iter().map(OsString::into_vec).collect();
    if args.get(1).map(Vec::as_slice) == Some(b"--help") {
        crate::common::print_usage("find");
        return 0;
    }
    let mut follow = fsutil::Follow::Never;
    let mut i = 1;
    // Leading -H/-L/-P (possibly grouped, the last one wins).
    while let Some(a) = args.get(i) {
        if a.len() < 2 || a[0] != b'-' || !a[1..].iter().all(|c| b"HLP".contains(c)) {
            break;
        }
        for c in &a[1..] {
            follow = match c {
                b'H' => fsutil::Follow::CommandLine,
                b'L' => fsutil::Follow::Always,
                _ => fsutil::Follow::Never,
            };
        }
        i += 1;
    }
    let mut paths = Vec::new();
    while let Some(a) = args.get(i) {
        if (a.first() == Some(&b'-') && a.len() > 1) || a == b"(" || a == b"!" {
            break;
        }
        paths.push(a.clone());
        i += 1;
    }
    if paths.is_empty() {
        paths.push(b".".to_vec());
    }
    let mut parser = Parser {
        args: &args[i..],
        pos: 0,
        globals: Globals {
            follow,
            ..Globals::default()
        },
        has_action: false,
    };
    let expr = match parser.parse() {
        Ok(e) => e,
        Err(msg) => {
            error_msg("find", &msg);
            return 1;
        }
    };
    let globals = parser.globals;
    let expr = match expr {
        Some(e) if parser.has_action => e,
        // No action anywhere: `( EXPR ) -print`.
        Some(e) => Expr::And(Box::new(e), Box::new(Expr::Print(b'\n'))),
        None => Expr::Print(b'\n'),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut f = Finder {
        expr,
        g: globals,
        now,
        out: text::stdout(),
        status: 0,
        quit: false,
        prune: false,
        ancestors: Vec::new(),
        resolved: None,
    };
    for p in &paths {
        if f.quit {
            break;
        }
        f.start(p);
    }
    f.flush_batches();
    if let Err(e) = f.out.flush() {
        return text::write_failed("find", &e);
    }
    f.status
}

/// Options that apply to the whole walk wherever they appear.
#[derive(Clone, Copy)]
struct Globals {
    follow: fsutil::Follow,
    maxdepth: usize,
    mindepth: usize,
    /// Act on a directory after its entries (-depth, -delete).
    depth_first: bool,
    xdev: bool,
}

impl Default for Globals {
    fn default() -> Self {
        Globals {
            follow: fsutil::Follow::Never,
            maxdepth: usize::MAX,
            mindepth: 0,
            depth_first: false,
            xdev: false,
        }
    }
}

/// How a numeric test compares: `+N`, `-N` or `N`.
#[derive(Clone, Copy, Debug)]
enum Cmp {
    More(u64),
    Less(u64),
    Equal(u64),
}

impl Cmp {
    fn test(self, v: u64) -> bool {
        match self {
            Cmp::More(n) => v > n,
            Cmp::Less(n) => v < n,
            Cmp::Equal(n) => v == n,
        }
    }
}

/// Which timestamp a time test reads.
#[derive(Clone, Copy, Debug)]
enum Stamp {
    Access,
    Change,
    Modify,
}

/// A node of the expression.
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Const(bool),
    /// -name/-iname (pattern lower-cased for -iname).
    Name(Vec<u8>, bool),
    /// -path/-ipath.
    PathMatch(Vec<u8>, bool),
    /// -regex/-iregex: a basic regular expression that must match the
    /// whole path.
    Regex(Box<crate::regex::Regex>),
    /// -type: the letters accepted.
    Type(Vec<u8>),
    /// -size: comparison in units of the given size.
    Size(Cmp, u64),
    /// -mtime & co: comparison, stamp, seconds per unit.
    Time(Cmp, Stamp, i64),
    /// -newer: strictly newer mtime (seconds, nanoseconds) than this.
    Newer(i64, i64),
    /// -perm: bits and how they must match ('=', '-' all, '/' any).
    Perm(u32, u8),
    User(u32),
    Group(u32),
    Links(Cmp),
    Inum(Cmp),
    SameFile(u64, u64),
    Empty,
    Executable,
    Prune,
    Quit,
    /// -print / -print0: the terminator.
    Print(u8),
    Delete,
    Exec(Exec),
}

/// An `-exec` action.
struct Exec {
    argv: Vec<Vec<u8>>,
    /// `{} +` form: names are collected into `batch`.
    plus: bool,
    batch: Vec<Vec<u8>>,
    batch_bytes: usize,
}

/// Limit on the bytes of names collected for one `-exec ... {} +` run,
/// well below any system's ARG_MAX.
const BATCH_BYTES: usize = 128 * 1024;

/// Recursive-descent parser over the expression arguments.
struct Parser<'a> {
    args: &'a [Vec<u8>],
    pos: usize,
    globals: Globals,
    /// Whether an action that prints or runs something was seen, which
    /// turns off the implicit -print.
    has_action: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&[u8]> {
        self.args.get(self.pos).map(Vec::as_slice)
    }

    fn parse(&mut self) -> Result<Option<Expr>, String> {
        if self.peek().is_none() {
            return Ok(None);
        }
        let e = self.or()?;
        match self.peek() {
            None => Ok(Some(e)),
            Some(b")") => Err("unpaired ')'".into()),
            Some(a) => Err(format!("unrecognized: {}", String::from_utf8_lossy(a))),
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while matches!(self.peek(), Some(b"-o" | b"-or")) {
            self.pos += 1;
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.not()?;
        loop {
            match self.peek() {
                Some(b"-a" | b"-and") => {
                    self.pos += 1;
                }
                None | Some(b"-o" | b"-or" | b")") => return Ok(left),
                _ => {}
            }
            let right = self.not()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
    }

    fn not(&mut self) -> Result<Expr, String> {
        if matches!(self.peek(), Some(b"!" | b"-not")) {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    /// The argument of option `opt`.
    fn arg(&mut self, opt: &[u8]) -> Result<Vec<u8>, String> {
        match self.args.get(self.pos) {
            Some(a) => {
                self.pos += 1;
                Ok(a.clone())
            }
            None => Err(format!(
                "{} requires an argument",
                String::from_utf8_lossy(opt)
            )),
        }
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let Some(tok) = self.peek().map(<[u8]>::to_vec) else {
            return Err("missing argument to expression".into());
        };
        self.pos += 1;
        let show = |a: &[u8]| String::from_utf8_lossy(a).into_owned();
        Ok(match tok.as_slice() {
            b"(" => {
                if self.peek() == Some(b")") {
                    return Err("empty parentheses are not allowed".into());
                }
                let e = self.or()?;
                if self.peek() != Some(b")") {
                    return Err("unpaired '('".into());
                }
                self.pos += 1;
                e
            }
            b"-name" | b"-iname" => {
                let icase = tok[1] == b'i';
                let p = self.arg(&tok)?;
                Expr::Name(if icase { p.to_ascii_lowercase() } else { p }, icase)
            }
            b"-path" | b"-ipath" | b"-wholename" | b"-iwholename" => {
                let icase = tok[1] == b'i';
                let p = self.arg(&tok)?;
                Expr::PathMatch(if icase { p.to_ascii_lowercase() } else { p }, icase)
            }
            b"-regex" | b"-iregex" => {
                let p = self.arg(&tok)?;
                let opts = crate::regex::Options {
                    icase: tok[1] == b'i',
                    line: true,
                    ..crate::regex::Options::default()
                };
                let re = crate::regex::Regex::with_options(&p, &opts)
                    .map_err(|e| format!("bad regex '{}': {e}", show(&p)))?;
                Expr::Regex(Box::new(re))
            }
            b"-type" => {
                let a = self.arg(&tok)?;
                let letters: Vec<u8> = a.iter().copied().filter(|&c| c != b',').collect();
                if letters.is_empty() || !letters.iter().all(|c| b"fdlbcps".contains(c)) {
                    return Err(format!("invalid argument '{}' to '-type'", show(&a)));
                }
                Expr::Type(letters)
            }
            b"-size" => {
                let a = self.arg(&tok)?;
                let (cmp_of, digits) = sign(&a);
                let end = digits
                    .iter()
                    .position(|c| !c.is_ascii_digit())
                    .unwrap_or(digits.len());
                let unit: u64 = match &digits[end..] {
                    b"" | b"b" => 512,
                    b"c" => 1,
                    b"w" => 2,
                    b"k" => 1024,
                    b"M" => 1 << 20,
                    b"G" => 1 << 30,
                    _ => return Err(format!("invalid argument '{}' to '-size'", show(&a))),
                };
                let n = number(&digits[..end])?;
                Expr::Size(cmp_of(n), unit)
            }
            b"-mtime" | b"-atime" | b"-ctime" | b"-mmin" | b"-amin" | b"-cmin" => {
                let a = self.arg(&tok)?;
                let (cmp_of, digits) = sign(&a);
                let n = number(digits)?;
                let stamp = match tok[1] {
                    b'a' => Stamp::Access,
                    b'c' => Stamp::Change,
                    _ => Stamp::Modify,
                };
                let unit = if tok.ends_with(b"min") { 60 } else { 86400 };
                Expr::Time(cmp_of(n), stamp, unit)
            }
            b"-newer" => {
                let a = self.arg(&tok)?;
                let m = self.stat_operand(&a)?;
                Expr::Newer(m.mtime(), m.mtime_nsec())
            }
            b"-samefile" => {
                let a = self.arg(&tok)?;
                let m = self.stat_operand(&a)?;
                Expr::SameFile(m.dev(), m.ino())
            }
            b"-perm" => {
                let a = self.arg(&tok)?;
                let (how, text) = match a.first() {
                    Some(b'-') => (b'-', &a[1..]),
                    Some(b'/' | b'+') => (b'/', &a[1..]),
                    _ => (b'=', &a[..]),
                };
                let mode = std::str::from_utf8(text)
                    .ok()
                    .and_then(|t| fsutil::parse_mode(t, 0, false))
                    .ok_or_else(|| format!("invalid mode '{}'", show(&a)))?;
                Expr::Perm(mode & 0o7777, how)
            }
            b"-user" => {
                let a = self.arg(&tok)?;
                let uid = fsutil::parse_user(OsStr::from_bytes(&a))
                    .ok_or_else(|| format!("unknown user {}", show(&a)))?;
                Expr::User(uid)
            }
            b"-group" => {
                let a = self.arg(&tok)?;
                let gid = fsutil::parse_group(OsStr::from_bytes(&a))
                    .ok_or_else(|| format!("unknown group {}", show(&a)))?;
                Expr::Group(gid)
            }
            b"-links" | b"-inum" => {
                let a = self.arg(&tok)?;
                let (cmp_of, digits) = sign(&a);
                let c = cmp_of(number(digits)?);
                if tok == b"-links" {
                    Expr::Links(c)
                } else {
                    Expr::Inum(c)
                }
            }
            b"-maxdepth" | b"-mindepth" => {
                let a = self.arg(&tok)?;
                let n = number(&a)? as usize;
                if tok == b"-maxdepth" {
                    self.globals.maxdepth = n;
                } else {
                    self.globals.mindepth = n;
                }
                Expr::Const(true)
            }
            b"-depth" | b"-d" => {
                self.globals.depth_first = true;
                Expr::Const(true)
            }
            b"-xdev" | b"-mount" => {
                self.globals.xdev = true;
                Expr::Const(true)
            }
            b"-follow" => {
                self.globals.follow = fsutil::Follow::Always;
                Expr::Const(true)
            }
            b"-true" => Expr::Const(true),
            b"-false" => Expr::Const(false),
            b"-empty" => Expr::Empty,
            b"-executable" => Expr::Executable,
            b"-prune" => Expr::Prune,
            b"-quit" => Expr::Quit,
            b"-print" | b"-print0" => {
                self.has_action = true;
                Expr::Print(if tok == b"-print0" { 0 } else { b'\n' })
            }
            b"-delete" => {
                self.has_action = true;
                self.globals.depth_first = true;
                Expr::Delete
            }
            b"-exec" => {
                self.has_action = true;
                let mut argv = Vec::new();
                let mut plus = false;
                loop {
                    let Some(a) = self.args.get(self.pos) else {
                        return Err("-exec requires an argument".into());
                    };
                    self.pos += 1;
                    if a == b";" {
                        break;
                    }
                    if a == b"+" && argv.last().map(Vec::as_slice) == Some(b"{}") {
                        plus = true;
                        argv.pop();
                        break;
                    }
                    argv.push(a.clone());
                }
                if argv.is_empty() {
                    return Err("-exec requires an argument".into());
                }
                Expr::Exec(Exec {
                    argv,
                    plus,
                    batch: Vec::new(),
                    batch_bytes: 0,
                })
            }
            _ => return Err(format!("unrecognized: {}", show(&tok))),
        })
    }

    /// The metadata of the file named by -newer or -samefile.
    fn stat_operand(&self, name: &[u8]) -> Result<Metadata, String> {
        let path = Path::new(OsStr::from_bytes(name));
        let m = if self.globals.follow == fsutil::Follow::Never {
            fs::symlink_metadata(path)
        } else {
            fs::metadata(path)
        };
        m.map_err(|e| {
            format!(
                "{}: {}",
                String::from_utf8_lossy(name),
                crate::common::strerror(&e)
            )
        })
    }
}

/// Splits a leading `+` or `-` off a numeric argument.
fn sign(a: &[u8]) -> (fn(u64) -> Cmp, &[u8]) {
    match a.first() {
        Some(b'+') => (Cmp::More, &a[1..]),
        Some(b'-') => (Cmp::Less, &a[1..]),
        _ => (Cmp::Equal, a),
    }
}

/// A decimal number argument.
fn number(digits: &[u8]) -> Result<u64, String> {
    std::str::from_utf8(digits)
        .ok()
        .filter(|d| !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()))
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| format!("invalid number '{}'", String::from_utf8_lossy(digits)))
}

/// One file being looked at: its path, its type from readdir if known,
/// and its metadata once something asked for it.
struct Entry {
    path: Vec<u8>,
    /// Where the base name starts in `path` (for -name).
    name_start: usize,
    depth: usize,
    /// Whether symlinks are followed for this file.
    follow: bool,
    /// The type readdir reported (of the link itself), if it did.
    dtype: Option<FileType>,
    meta: Option<Option<Metadata>>,
}

impl Entry {
    fn path(&self) -> &Path {
        Path::new(OsStr::from_bytes(&self.path))
    }

    /// stat(2) or lstat(2) of the file, done once; `None` if it failed.
    /// With links followed, a dangling link is examined as the link.
    fn meta(&mut self) -> Option<&Metadata> {
        if self.meta.is_none() {
            let m = if self.follow {
                fs::metadata(self.path()).or_else(|_| fs::symlink_metadata(self.path()))
            } else {
                fs::symlink_metadata(self.path())
            };
            self.meta = Some(m.ok());
        }
        self.meta.as_ref().and_then(Option::as_ref)
    }

    /// The file's type, without a stat(2) when readdir told it.
    fn file_type(&mut self) -> Option<FileType> {
        match self.dtype {
            Some(t) if !(self.follow && t.is_symlink()) => Some(t),
            _ => self.meta().map(Metadata::file_type),
        }
    }

    fn name(&self) -> &[u8] {
        if self.depth == 0 {
            fsutil::last_component(OsStr::from_bytes(&self.path)).as_bytes()
        } else {
            &self.path[self.name_start..]
        }
    }
}

/// The walk and the evaluation state.
struct Finder {
    expr: Expr,
    g: Globals,
    now: i64,
    out: text::Out,
    status: i32,
    /// -quit was evaluated.
    quit: bool,
    /// -prune was evaluated for the current file.
    prune: bool,
    /// (device, inode) of the directories being walked, with their paths,
    /// to detect loops through followed links.
    ancestors: Vec<(u64, u64, Vec<u8>)>,
    /// The last -exec program looked up in PATH (see `xargs::command`).
    resolved: Option<(Vec<u8>, Option<OsString>)>,
}

impl Finder {
    /// Walks one starting point.
    fn start(&mut self, path: &[u8]) {
        let follow = self.g.follow != fsutil::Follow::Never;
        let mut e = Entry {
            path: path.to_vec(),
            name_start: 0,
            depth: 0,
            follow,
            dtype: None,
            meta: None,
        };
        if e.meta().is_none() {
            let err = if follow {
                fs::metadata(e.path()).err()
            } else {
                fs::symlink_metadata(e.path()).err()
            };
            if let Some(err) = err {
                perror("find", lossy(OsStr::from_bytes(path)), &err);
                self.status = 1;
                return;
            }
        }
        let dev = e.meta().map_or(0, MetadataExt::dev);
        self.visit(e, dev);
    }

    /// Evaluates the expression on `e` and descends into it if it is a
    /// directory.
    fn visit(&mut self, mut e: Entry, root_dev: u64) {
        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
        let act = e.depth >= self.g.mindepth;
        if is_dir && e.follow {
            // Only followed links can make loops.
            if let Some(m) = e.meta() {
                let id = (m.dev(), m.ino());
                if let Some((_, _, p)) = self.ancestors.iter().find(|(d, i, _)| (*d, *i) == id) {
                    error_msg(
                        "find",
                        &format!(
                            "File system loop detected; '{}' is part of the same file system loop as '{}'.",
                            String::from_utf8_lossy(&e.path),
                            String::from_utf8_lossy(p)
                        ),
                    );
                    self.status = 1;
                    return;
                }
            }
        }
        self.prune = false;
        if act && !self.g.depth_first {
            self.eval_root(&mut e);
            if self.quit {
                return;
            }
        }
        let descend = is_dir
            && !self.prune
            && e.depth < self.g.maxdepth
            && !(self.g.xdev && e.meta().is_some_and(|m| m.dev() != root_dev));
        if descend {
            self.descend(&mut e, root_dev);
            if self.quit {
                return;
            }
        }
        if act && self.g.depth_first {
            self.eval_root(&mut e);
        }
    }

    /// Visits the entries of directory `e`, sorted by name so that the
    /// output does not depend on the file system's order.
    fn descend(&mut self, e: &mut Entry, root_dev: u64) {
        let rd = match fs::read_dir(e.path()) {
            Ok(rd) => rd,
            Err(err) => {
                perror("find", lossy(OsStr::from_bytes(&e.path)), &err);
                self.status = 1;
                return;
            }
        };
        let mut children: Vec<(OsString, Option<FileType>)> = Vec::new();
        for ent in rd {
            match ent {
                Ok(ent) => children.push((ent.file_name(), ent.file_type().ok())),
                Err(err) => {
                    perror("find", lossy(OsStr::from_bytes(&e.path)), &err);
                    self.status = 1;
                    break;
                }
            }
        }
        ibex_sort::sort_by(&mut children, |a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let tracked = e.follow;
        if tracked {
            if let Some(m) = e.meta() {
                let id = (m.dev(), m.ino());
                self.ancestors.push((id.0, id.1, e.path.clone()));
            }
        }
        let mut base = e.path.clone();
        if base.last() != Some(&b'/') {
            base.push(b'/');
        }
        let name_start = base.len();
        let follow = self.g.follow == fsutil::Follow::Always;
        for (name, dtype) in children {
            let mut path = base.clone();
            path.extend_from_slice(name.as_bytes());
            let child = Entry {
                path,
                name_start,
                depth: e.depth + 1,
                follow,
                dtype,
                meta: None,
            };
            self.visit(child, root_dev);
            if self.quit {
                break;
            }
        }
        if tracked && e.meta.as_ref().is_some_and(Option::is_some) {
            self.ancestors.pop();
        }
    }

    /// Evaluates the whole expression on `e`.
    fn eval_root(&mut self, e: &mut Entry) {
        let mut expr = std::mem::replace(&mut self.expr, Expr::Const(true));
        self.eval(&mut expr, e);
        self.expr = expr;
    }

    fn eval(&mut self, x: &mut Expr, e: &mut Entry) -> bool {
        match x {
            Expr::And(a, b) => self.eval(a, e) && !self.quit && self.eval(b, e),
            Expr::Or(a, b) => self.eval(a, e) || (!self.quit && self.eval(b, e)),
            Expr::Not(a) => !self.eval(a, e),
            Expr::Const(v) => *v,
            Expr::Name(p, icase) => {
                let name = e.name();
                if *icase {
                    pattern::matches(p, &name.to_ascii_lowercase())
                } else {
                    pattern::matches(p, name)
                }
            }
            Expr::PathMatch(p, icase) => {
                if *icase {
                    pattern::matches(p, &e.path.to_ascii_lowercase())
                } else {
                    pattern::matches(p, &e.path)
                }
            }
            Expr::Regex(re) => re.is_match(&e.path),
            Expr::Type(letters) => e.file_type().is_some_and(|t| {
                let c = if t.is_file() {
                    b'f'
                } else if t.is_dir() {
                    b'd'
                } else if t.is_symlink() {
                    b'l'
                } else if t.is_block_device() {
                    b'b'
                } else if t.is_char_device() {
                    b'c'
                } else if t.is_fifo() {
                    b'p'
                } else if t.is_socket() {
                    b's'
                } else {
                    b'?'
                };
                letters.contains(&c)
            }),
            Expr::Size(cmp, unit) => e.meta().is_some_and(|m| cmp.test(m.len().div_ceil(*unit))),
            Expr::Time(cmp, stamp, unit) => {
                let now = self.now;
                e.meta().is_some_and(|m| {
                    let t = match stamp {
                        Stamp::Access => m.atime(),
                        Stamp::Change => m.ctime(),
                        Stamp::Modify => m.mtime(),
                    };
                    let age = (now - t).div_euclid(*unit);
                    age >= 0 && cmp.test(age as u64) || age < 0 && matches!(cmp, Cmp::Less(_))
                })
            }
            Expr::Newer(s, ns) => e
                .meta()
                .is_some_and(|m| (m.mtime(), m.mtime_nsec()) > (*s, *ns)),
            Expr::Perm(bits, how) => e.meta().is_some_and(|m| {
                let mode = m.permissions().mode() & 0o7777;
                match how {
                    b'-' => mode & *bits == *bits,
                    b'/' => *bits == 0 || mode & *bits != 0,
                    _ => mode == *bits,
                }
            }),
            Expr::User(uid) => e.meta().is_some_and(|m| m.uid() == *uid),
            Expr::Group(gid) => e.meta().is_some_and(|m| m.gid() == *gid),
            Expr::Links(cmp) => e.meta().is_some_and(|m| cmp.test(m.nlink())),
            Expr::Inum(cmp) => e.meta().is_some_and(|m| cmp.test(m.ino())),
            Expr::SameFile(d, i) => e.meta().is_some_and(|m| m.dev() == *d && m.ino() == *i),
            Expr::Empty => match e.file_type() {
                Some(t) if t.is_dir() => {
                    fs::read_dir(e.path()).is_ok_and(|mut r| r.next().is_none())
                }
                Some(t) if t.is_file() => e.meta().is_some_and(|m| m.len() == 0),
                _ => false,
            },
            Expr::Executable => {
                nix::unistd::access(e.path(), nix::unistd::AccessFlags::X_OK).is_ok()
            }
            Expr::Prune => {
                self.prune = true;
                true
            }
            Expr::Quit => {
                self.quit = true;
                true
            }
            Expr::Print(term) => {
                let r = self
                    .out
                    .write_all(&e.path)
                    .and_then(|()| self.out.write_all(&[*term]));
                if let Err(err) = r {
                    if err.kind() != io::ErrorKind::BrokenPipe {
                        perror("find", "write error", &err);
                    }
                    self.status = 1;
                    self.quit = true;
                }
                true
            }
            Expr::Delete => {
                let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                // "." is never removed, as in GNU find.
                if e.path == b"." {
                    return true;
                }
                let r = if is_dir {
                    fs::remove_dir(e.path())
                } else {
                    fs::remove_file(e.path())
                };
                if let Err(err) = r {
                    perror("find", lossy(OsStr::from_bytes(&e.path)), &err);
                    self.status = 1;
                    return false;
                }
                true
            }
            Expr::Exec(x) => {
                if x.plus {
                    x.batch_bytes += e.path.len() + 1;
                    x.batch.push(e.path.clone());
                    if x.batch_bytes >= BATCH_BYTES {
                        let batch = std::mem::take(&mut x.batch);
                        x.batch_bytes = 0;
                        if !self.run(&x.argv, &batch) {
                            self.status = 1;
                        }
                    }
                    true
                } else {
                    let argv: Vec<Vec<u8>> =
                        x.argv.iter().map(|a| replace_braces(a, &e.path)).collect();
                    self.run(&argv, &[])
                }
            }
        }
    }

    /// Runs `argv` followed by `extra`; true if it exited with status 0.
    fn run(&mut self, argv: &[Vec<u8>], extra: &[Vec<u8>]) -> bool {
        // Our buffered output must come before anything the command prints.
        if let Err(e) = self.out.flush() {
            if e.kind() != io::ErrorKind::BrokenPipe {
                perror("find", "write error", &e);
            }
        }
        let Some((cmd, rest)) = argv.split_first() else {
            return false;
        };
        let result = super::xargs::command(cmd, &mut self.resolved)
            .args(rest.iter().map(|a| OsStr::from_bytes(a)))
            .args(extra.iter().map(|a| OsStr::from_bytes(a)))
            .status();
        match result {
            Ok(s) => s.success(),
            Err(err) => {
                perror("find", lossy(OsStr::from_bytes(cmd)), &err);
                self.status = 1;
                false
            }
        }
    }

    /// Runs what is left in the `-exec ... {} +` batches.
    fn flush_batches(&mut self) {
        let mut expr = std::mem::replace(&mut self.expr, Expr::Const(true));
        let mut pending = Vec::new();
        collect_execs(&mut expr, &mut pending);
        for (argv, batch) in pending {
            if !self.run(&argv, &batch) {
                self.status = 1;
            }
        }
        self.expr = expr;
    }
}

/// A command line and the names collected for it.
type Batch = (Vec<Vec<u8>>, Vec<Vec<u8>>);

/// Takes the pending batches of every `-exec ... {} +` in `x`.
fn collect_execs(x: &mut Expr, out: &mut Vec<Batch>) {
    match x {
        Expr::And(a, b) | Expr::Or(a, b) => {
            collect_execs(a, out);
            collect_execs(b, out);
        }
        Expr::Not(a) => collect_execs(a, out),
        Expr::Exec(x) if x.plus && !x.batch.is_empty() => {
            out.push((x.argv.clone(), std::mem::take(&mut x.batch)));
        }
        _ => {}
    }
}

/// `arg` with every `{}` replaced by `path`.
fn replace_braces(arg: &[u8], path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(arg.len());
    let mut i = 0;
    while i < arg.len() {
        if arg[i..].starts_with(b"{}") {
            out.extend_from_slice(path);
            i += 2;
        } else {
            out.push(arg[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(list: &[&str]) -> Result<Option<Expr>, String> {
        let args: Vec<Vec<u8>> = list.iter().map(|s| s.as_bytes().to_vec()).collect();
        let mut p = Parser {
            args: &args,
            pos: 0,
            globals: Globals::default(),
            has_action: false,
        };
        p.parse()
    }

    #[test]
    fn parse_errors() {
        assert_eq!(
            parse(&["-name"]).err().unwrap(),
            "-name requires an argument"
        );
        assert_eq!(parse(&["(", "-true"]).err().unwrap(), "unpaired '('");
        assert_eq!(parse(&["-true", ")"]).err().unwrap(), "unpaired ')'");
        assert_eq!(parse(&["-bogus"]).err().unwrap(), "unrecognized: -bogus");
        assert!(parse(&["-size", "1x"]).is_err());
        assert!(parse(&["-mtime", "x"]).is_err());
        assert!(parse(&["-type", "q"]).is_err());
        assert!(parse(&["!", "-name", "a", "-o", "(", "-type", "f", ")"]).is_ok());
    }

    #[test]
    fn braces_are_replaced() {
        assert_eq!(replace_braces(b"x{}y{}", b"p"), b"xpyp");
        assert_eq!(replace_braces(b"{", b"p"), b"{");
    }

    #[test]
    fn comparisons() {
        assert!(Cmp::More(1).test(2) && !Cmp::More(1).test(1));
        assert!(Cmp::Less(1).test(0) && !Cmp::Less(1).test(1));
        assert!(Cmp::Equal(3).test(3));
    }
}
