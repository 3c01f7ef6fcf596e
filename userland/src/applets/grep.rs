//! `grep`, `egrep`, `fgrep`: print lines matching a pattern.

use crate::common::{getopt, lossy, strerror, Exit};
use crate::regex::{self, Regex};
use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Usage text after "Usage: grep " (BusyBox's, with -G).
pub const USAGE: &str = "[-HhnlLoqvsrRiwFEz] [-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...\n\nSearch for PATTERN in FILEs (or stdin)\n\n\t-H\tAdd 'filename:' prefix\n\t-h\tDo not add 'filename:' prefix\n\t-n\tAdd 'line_no:' prefix\n\t-l\tShow only names of files that match\n\t-L\tShow only names of files that don't match\n\t-c\tShow only count of matching lines\n\t-o\tShow only the matching part of line\n\t-q\tQuiet. Return 0 if PATTERN is found, 1 otherwise\n\t-v\tSelect non-matching lines\n\t-s\tSuppress open and read errors\n\t-r\tRecurse\n\t-R\tRecurse and dereference symlinks\n\t-i\tIgnore case\n\t-w\tMatch whole words only\n\t-x\tMatch whole lines only\n\t-a\tIgnored (binary files are searched as text)\n\t-F\tPATTERN is a literal (not regexp)\n\t-G\tPATTERN is a basic regexp (default)\n\t-E\tPATTERN is an extended regexp\n\t-z\tNUL terminated input and output\n\t-m N\tMatch up to N times per file\n\t-A N\tPrint N lines of trailing context\n\t-B N\tPrint N lines of leading context\n\t-C N\tSame as '-A N -B N'\n\t-e PTRN\tPattern to match\n\t-f FILE\tRead pattern from file";

/// Exit status for errors (bad pattern, unreadable file), as in GNU and
/// BusyBox grep: 1 only means "nothing selected".
const EXIT_ERROR: i32 = 2;

/// Long option names, GNU's.
const LONG: &[(&str, char)] = &[
    ("extended-regexp", 'E'),
    ("fixed-strings", 'F'),
    ("basic-regexp", 'G'),
    ("regexp", 'e'),
    ("file", 'f'),
    ("ignore-case", 'i'),
    ("word-regexp", 'w'),
    ("line-regexp", 'x'),
    ("null-data", 'z'),
    ("no-messages", 's'),
    ("invert-match", 'v'),
    ("max-count", 'm'),
    ("line-number", 'n'),
    ("with-filename", 'H'),
    ("no-filename", 'h'),
    ("only-matching", 'o'),
    ("quiet", 'q'),
    ("silent", 'q'),
    ("recursive", 'r'),
    ("dereference-recursive", 'R'),
    ("files-without-match", 'L'),
    ("files-with-matches", 'l'),
    ("count", 'c'),
    ("text", 'a'),
    ("after-context", 'A'),
    ("before-context", 'B'),
    ("context", 'C'),
];

/// What the command line asked for.
struct Config {
    patterns: Vec<Regex>,
    invert: bool,
    count: bool,
    list: Option<bool>,
    number: bool,
    names: bool,
    quiet: bool,
    silent: bool,
    only: bool,
    max: Option<u64>,
    after: usize,
    before: usize,
    eol: u8,
    recursive: bool,
    deref: bool,
}

/// State shared by all files: the output and what happened so far.
struct Grep<'a> {
    cfg: Config,
    out: io::BufWriter<io::StdoutLock<'a>>,
    matched: bool,
    error: bool,
    /// Device and inode of the directories being searched, outermost
    /// first: -R meeting one again has followed a link into a loop.
    open_dirs: Vec<(u64, u64)>,
}

/// Why grep stops early.
enum Stop {
    /// `-q` found a match.
    Quiet,
    /// Writing failed.
    Write(io::Error),
}

/// Entry point for grep, egrep (-E) and fgrep (-F).
pub fn main(mut args: Vec<OsString>) -> i32 {
    // Accepted and ignored: output is never coloured, and lines are always
    // printed as text.
    let end = args
        .iter()
        .position(|a| a.as_bytes() == b"--")
        .unwrap_or(args.len());
    let mut i = 1;
    let mut limit = end;
    while i < limit {
        let a = args[i].as_bytes();
        if a == b"--color"
            || a == b"--colour"
            || a.starts_with(b"--color=")
            || a.starts_with(b"--colour=")
            || a == b"--line-buffered"
        {
            args.remove(i);
            limit -= 1;
        } else {
            i += 1;
        }
    }
    let p = match getopt(&args, "EFGe:f:iwxzsvm:nHhoqrRLlcA:B:C:ya", LONG, true) {
        Ok(p) => p,
        Err(Exit(0)) => return 0,
        Err(Exit(_)) => return EXIT_ERROR,
    };
    let name = args
        .first()
        .map(|a| {
            Path::new(a)
                .file_name()
                .unwrap_or(a.as_os_str())
                .to_os_string()
        })
        .unwrap_or_default();
    let mut extended = name.as_bytes() == b"egrep";
    let mut fixed = name.as_bytes() == b"fgrep";
    let mut sources: Vec<Vec<u8>> = Vec::new();
    let mut have_source = false;
    // -A and -B win over -C whatever their order, as in GNU grep.
    let mut after = None;
    let mut before = None;
    let mut context = 0;
    let mut max = None;
    for (c, v) in &p.opts {
        match c {
            'E' => (extended, fixed) = (true, false),
            'F' => (extended, fixed) = (false, true),
            'G' => (extended, fixed) = (false, false),
            'e' => {
                have_source = true;
                let v = v.as_deref().unwrap_or_default().as_bytes();
                sources.extend(v.split(|&b| b == b'\n').map(<[u8]>::to_vec));
            }
            'f' => {
                have_source = true;
                let file = v.as_deref().unwrap_or_default();
                let data = if file.as_bytes() == b"-" {
                    let mut d = Vec::new();
                    io::stdin().lock().read_to_end(&mut d).map(|_| d)
                } else {
                    std::fs::read(file)
                };
                match data {
                    Ok(d) => {
                        // One pattern a line; the final newline ends the
                        // last line, and an empty file holds no pattern
                        // (so it matches nothing).
                        if !d.is_empty() {
                            let body = d.strip_suffix(b"\n").unwrap_or(&d);
                            sources.extend(body.split(|&b| b == b'\n').map(<[u8]>::to_vec));
                        }
                    }
                    Err(e) => {
                        eprintln!("grep: {}: {}", lossy(file), strerror(&e));
                        return EXIT_ERROR;
                    }
                }
            }
            'A' | 'B' | 'C' => {
                let v = v.as_deref().unwrap_or_default();
                let Some(n) = number(v) else {
                    eprintln!("grep: invalid number '{}'", lossy(v));
                    return EXIT_ERROR;
                };
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                match c {
                    'A' => after = Some(n),
                    'B' => before = Some(n),
                    _ => context = n,
                }
            }
            'm' => {
                let v = v.as_deref().unwrap_or_default();
                let Some(n) = number(v) else {
                    eprintln!("grep: invalid number '{}'", lossy(v));
                    return EXIT_ERROR;
                };
                max = Some(n);
            }
            _ => {}
        }
    }
    let mut operands = p.operands.clone();
    if !have_source {
        if operands.is_empty() {
            crate::common::print_usage_brief(&lossy(&name));
            return EXIT_ERROR;
        }
        let pat = operands.remove(0);
        sources.extend(pat.as_bytes().split(|&b| b == b'\n').map(<[u8]>::to_vec));
    }
    let opts = regex::Options {
        extended,
        fixed,
        icase: p.has('i') || p.has('y'),
        word: p.has('w'),
        line: p.has('x'),
    };
    let mut patterns = Vec::new();
    for src in &sources {
        match Regex::with_options(src, &opts) {
            Ok(re) => patterns.push(re),
            Err(e) => {
                eprintln!("grep: bad regex '{}': {e}", String::from_utf8_lossy(src));
                return EXIT_ERROR;
            }
        }
    }
    // Several regular expressions run as one automaton. Fixed strings stay
    // apart: a substring search each beats an automaton over many words.
    if patterns.len() > 1 && !fixed {
        if let Some(Ok(re)) = Regex::any_of(&sources, &opts) {
            patterns = vec![re];
        }
    }
    let recursive = p.has('r') || p.has('R');
    let defaulted = operands.is_empty();
    if defaulted {
        operands.push(OsString::from(if recursive { "." } else { "-" }));
    }
    let names = if p.has('h') {
        false
    } else {
        p.has('H') || operands.len() > 1 || recursive
    };
    let list = if p.has('l') {
        Some(true)
    } else if p.has('L') {
        Some(false)
    } else {
        None
    };
    let cfg = Config {
        patterns,
        invert: p.has('v'),
        count: p.has('c'),
        list,
        number: p.has('n'),
        names,
        quiet: p.has('q'),
        silent: p.has('s'),
        only: p.has('o'),
        max,
        after: after.unwrap_or(context),
        before: before.unwrap_or(context),
        eol: if p.has('z') { 0 } else { b'\n' },
        recursive,
        deref: p.has('R'),
    };
    let stdout = io::stdout();
    let mut g = Grep {
        cfg,
        out: io::BufWriter::with_capacity(64 * 1024, stdout.lock()),
        matched: false,
        error: false,
        open_dirs: Vec::new(),
    };
    let result = (|| -> Result<(), Stop> {
        for op in &operands {
            let path = PathBuf::from(op);
            // `grep -r PAT` shows "dir/file", not "./dir/file", as GNU.
            let shown = if defaulted && recursive {
                None
            } else {
                Some(op.as_bytes().to_vec())
            };
            g.operand(&path, shown, true)?;
        }
        Ok(())
    })();
    let flushed = g.out.flush();
    match result {
        Err(Stop::Quiet) => return 0,
        Err(Stop::Write(e)) => return write_error(&e),
        Ok(()) => {}
    }
    if let Err(e) = flushed {
        return write_error(&e);
    }
    if g.error && !(g.cfg.quiet && g.matched) {
        EXIT_ERROR
    } else if g.matched {
        0
    } else {
        1
    }
}

/// A non-negative decimal number.
fn number(v: &OsStr) -> Option<u64> {
    std::str::from_utf8(v.as_bytes()).ok()?.parse().ok()
}

/// Reports a failed write (quietly for a closed pipe).
fn write_error(e: &io::Error) -> i32 {
    if e.kind() != io::ErrorKind::BrokenPipe {
        eprintln!("grep: write error: {}", strerror(e));
    }
    EXIT_ERROR
}

impl Grep<'_> {
    /// Reports an error about `what` unless -s.
    fn complain(&mut self, what: &[u8], e: &io::Error) {
        self.error = true;
        if !self.cfg.silent {
            eprintln!("grep: {}: {}", String::from_utf8_lossy(what), strerror(e));
        }
    }

    /// Searches one operand: stdin, a file, or (with -r) a directory tree.
    /// `shown` is the name printed (None for the implicit `.` of `grep -r`);
    /// `top` tells whether it was named on the command line.
    fn operand(&mut self, path: &Path, shown: Option<Vec<u8>>, top: bool) -> Result<(), Stop> {
        let name = shown.clone().unwrap_or_else(|| b".".to_vec());
        if top && path.as_os_str().as_bytes() == b"-" {
            let stdin = io::stdin();
            let mut lock = stdin.lock();
            return self.file(&mut lock, b"(standard input)");
        }
        if self.cfg.recursive {
            let follow = top || self.cfg.deref;
            let meta = if follow {
                std::fs::metadata(path)
            } else {
                std::fs::symlink_metadata(path)
            };
            match meta {
                Ok(m) if m.is_dir() => return self.directory(path, shown),
                // Symbolic links met inside a tree are skipped by -r.
                Ok(m) if m.file_type().is_symlink() => return Ok(()),
                Ok(m) if !top && !m.is_file() => return Ok(()),
                Ok(_) => {}
                Err(e) => {
                    self.complain(&name, &e);
                    return Ok(());
                }
            }
        }
        match File::open(path) {
            Ok(mut f) => self.file(&mut f, &name),
            Err(e) => {
                self.complain(&name, &e);
                Ok(())
            }
        }
    }

    /// Searches every entry of a directory, in name order.
    fn directory(&mut self, path: &Path, shown: Option<Vec<u8>>) -> Result<(), Stop> {
        let name = shown.clone().unwrap_or_else(|| b".".to_vec());
        let entries = match std::fs::read_dir(path) {
            Ok(rd) => rd,
            Err(e) => {
                self.complain(&name, &e);
                return Ok(());
            }
        };
        let id = std::fs::metadata(path).map_or((0, 0), |m| (m.dev(), m.ino()));
        if self.open_dirs.contains(&id) {
            if !self.cfg.silent {
                eprintln!(
                    "grep: {}: recursive directory loop",
                    String::from_utf8_lossy(&name)
                );
            }
            return Ok(());
        }
        let mut children: Vec<OsString> = entries
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        ibex_sort::sort(&mut children);
        self.open_dirs.push(id);
        let result = self.children(path, &shown, children);
        self.open_dirs.pop();
        result
    }

    /// Searches the entries `children` of directory `path`.
    fn children(
        &mut self,
        path: &Path,
        shown: &Option<Vec<u8>>,
        children: Vec<OsString>,
    ) -> Result<(), Stop> {
        for child in children {
            let child_shown = match shown {
                None => child.as_bytes().to_vec(),
                Some(s) => {
                    let mut v = s.clone();
                    if !v.ends_with(b"/") {
                        v.push(b'/');
                    }
                    v.extend_from_slice(child.as_bytes());
                    v
                }
            };
            let child_path = path.join(&child);
            self.operand(&child_path, Some(child_shown), false)?;
        }
        Ok(())
    }

    /// Searches one open file named `name`.
    fn file(&mut self, input: &mut dyn Read, name: &[u8]) -> Result<(), Stop> {
        let cfg = &self.cfg;
        let out = &mut self.out;
        let mut reader = LineReader::new(input, cfg.eol);
        let mut selected: u64 = 0;
        let mut lineno: u64 = 0;
        // Leading context kept for -B, and lines of trailing context owed.
        let mut before: VecDeque<(u64, Vec<u8>)> = VecDeque::new();
        let mut after_left = 0usize;
        let mut last_printed: u64 = 0;
        let context = cfg.before > 0 || cfg.after > 0;
        let printing = !cfg.quiet && !cfg.count && cfg.list.is_none();
        let w = Stop::Write;
        // A line can only be selected if it holds the pattern's required
        // string: search the input for that string block by block, and
        // look at only the lines that hold it. Not with -v or -B, which
        // need every line; line numbers are kept for -n and for the `--`
        // between context groups.
        let skip = match cfg.patterns.as_slice() {
            [re] if !cfg.invert && cfg.before == 0 => {
                re.required().filter(|(lit, _)| !lit.contains(&cfg.eol))
            }
            _ => None,
        };
        let counting = cfg.number || context;
        loop {
            let skipped = match skip {
                Some((lit, icase)) if after_left == 0 => reader.skip_to(lit, icase, counting),
                _ => Ok(0),
            };
            let line = match skipped.and_then(|n| {
                lineno += n;
                reader.next_line()
            }) {
                Ok(Some(l)) => l,
                Ok(None) => break,
                Err(e) => {
                    self.error = true;
                    if !cfg.silent {
                        eprintln!("grep: {}: {}", String::from_utf8_lossy(name), strerror(&e));
                    }
                    break;
                }
            };
            lineno += 1;
            if cfg.max.is_some_and(|m| selected >= m) {
                // -m reached: only trailing context remains to print.
                if after_left == 0 || !printing {
                    break;
                }
                let matches = cfg.patterns.iter().any(|re| re.is_match(line));
                if matches != cfg.invert {
                    break;
                }
                after_left -= 1;
                print_line(out, cfg, name, lineno, b'-', line).map_err(w)?;
                last_printed = lineno;
                continue;
            }
            let matches = cfg.patterns.iter().any(|re| re.is_match(line));
            if matches == cfg.invert {
                if printing && context {
                    if after_left > 0 {
                        after_left -= 1;
                        print_line(out, cfg, name, lineno, b'-', line).map_err(w)?;
                        last_printed = lineno;
                    } else if cfg.before > 0 {
                        if before.len() == cfg.before {
                            before.pop_front();
                        }
                        before.push_back((lineno, line.to_vec()));
                    }
                }
                continue;
            }
            selected += 1;
            self.matched = true;
            if cfg.quiet {
                return Err(Stop::Quiet);
            }
            if cfg.list.is_some() {
                break;
            }
            if !printing {
                continue;
            }
            if context {
                let first = before.front().map_or(lineno, |(n, _)| *n);
                if last_printed > 0 && first > last_printed + 1 {
                    out.write_all(b"--\n").map_err(w)?;
                }
                for (n, l) in before.drain(..) {
                    print_line(out, cfg, name, n, b'-', &l).map_err(w)?;
                }
                after_left = cfg.after;
                last_printed = lineno;
            }
            if cfg.only {
                if !cfg.invert {
                    print_matches(out, cfg, name, lineno, line).map_err(w)?;
                }
            } else {
                print_line(out, cfg, name, lineno, b':', line).map_err(w)?;
            }
        }
        if cfg.count {
            if cfg.names {
                out.write_all(name).map_err(w)?;
                out.write_all(b":").map_err(w)?;
            }
            writeln!(out, "{selected}").map_err(w)?;
        }
        if let Some(want) = cfg.list {
            if (selected > 0) == want {
                out.write_all(name).map_err(w)?;
                out.write_all(&[if cfg.eol == 0 { 0 } else { b'\n' }])
                    .map_err(w)?;
            }
        }
        Ok(())
    }
}

/// Writes the "name:" and "number:" prefixes (`sep` is `:` for selected
/// lines, `-` for context).
fn prefix(out: &mut impl Write, cfg: &Config, name: &[u8], lineno: u64, sep: u8) -> io::Result<()> {
    if cfg.names {
        out.write_all(name)?;
        out.write_all(&[sep])?;
    }
    if cfg.number {
        write!(out, "{lineno}")?;
        out.write_all(&[sep])?;
    }
    Ok(())
}

/// Writes one line with its prefixes and terminator.
fn print_line(
    out: &mut impl Write,
    cfg: &Config,
    name: &[u8],
    lineno: u64,
    sep: u8,
    line: &[u8],
) -> io::Result<()> {
    prefix(out, cfg, name, lineno, sep)?;
    out.write_all(line)?;
    out.write_all(&[cfg.eol])
}

/// `-o`: writes each non-empty match of the line on its own line.
fn print_matches(
    out: &mut impl Write,
    cfg: &Config,
    name: &[u8],
    lineno: u64,
    line: &[u8],
) -> io::Result<()> {
    let mut pos = 0;
    while pos <= line.len() {
        // The leftmost match of any pattern; the longest among equals.
        let mut best: Option<(usize, usize)> = None;
        for re in &cfg.patterns {
            if let Some((s, e)) = re.find_at(line, pos) {
                if best.is_none_or(|(bs, be)| s < bs || (s == bs && e > be)) {
                    best = Some((s, e));
                }
            }
        }
        let Some((s, e)) = best else { break };
        if e == s {
            pos = s + 1;
            continue;
        }
        prefix(out, cfg, name, lineno, b':')?;
        out.write_all(&line[s..e])?;
        out.write_all(&[cfg.eol])?;
        pos = e;
    }
    Ok(())
}

/// Splits input into lines with one large buffer, so that most lines are
/// handed out without copying.
pub struct LineReader<'a> {
    input: &'a mut dyn Read,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eol: u8,
    eof: bool,
}

impl<'a> LineReader<'a> {
    /// Reads lines ending in `eol` from `input`.
    pub fn new(input: &'a mut dyn Read, eol: u8) -> LineReader<'a> {
        LineReader {
            input,
            buf: vec![0; 256 * 1024],
            start: 0,
            end: 0,
            eol,
            eof: false,
        }
    }

    /// The next line without its terminator (the last line may lack one).
    pub fn next_line(&mut self) -> io::Result<Option<&[u8]>> {
        let mut scanned = self.start;
        loop {
            if let Some(i) = regex::memchr(self.eol, &self.buf[scanned..self.end]) {
                let line_start = self.start;
                let line_end = scanned + i;
                self.start = line_end + 1;
                return Ok(Some(&self.buf[line_start..line_end]));
            }
            scanned = self.end;
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                let line_start = self.start;
                self.start = self.end;
                return Ok(Some(&self.buf[line_start..self.end]));
            }
            scanned -= self.fill()?;
        }
    }

    /// Skips the lines before the next one that contains `needle` (which
    /// holds no terminator), searching whole blocks rather than line by
    /// line; at the end of the input, skips everything. Returns the number
    /// of lines skipped if `counting` (0 otherwise).
    pub fn skip_to(&mut self, needle: &[u8], icase: bool, counting: bool) -> io::Result<u64> {
        let eol = self.eol;
        let count = |lines: &[u8]| {
            if counting {
                regex::count(eol, lines) as u64
            } else {
                0
            }
        };
        let mut skipped = 0;
        loop {
            let hay = &self.buf[self.start..self.end];
            if let Some(i) = regex::find_literal(needle, icase, hay) {
                let line = hay[..i]
                    .iter()
                    .rposition(|&b| b == eol)
                    .map_or(0, |j| j + 1);
                skipped += count(&hay[..line]);
                self.start += line;
                return Ok(skipped);
            }
            if self.eof {
                self.start = self.end;
                return Ok(skipped);
            }
            // Every complete line goes; the partial one waits for more.
            if let Some(j) = hay.iter().rposition(|&b| b == eol) {
                skipped += count(&hay[..=j]);
                self.start += j + 1;
            }
            self.fill()?;
        }
    }

    /// Reads more input after the partial line at `start`, first moving it
    /// to the front of the buffer (or growing the buffer if it fills it).
    /// Returns by how much the line moved.
    fn fill(&mut self) -> io::Result<usize> {
        let moved = self.start;
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let len = self.buf.len();
            self.buf.resize(len * 2, 0);
        }
        match self.input.read(&mut self.buf[self.end..]) {
            Ok(0) => self.eof = true,
            Ok(n) => self.end += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        Ok(moved)
    }
}
