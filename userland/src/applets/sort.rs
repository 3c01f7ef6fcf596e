//! `sort [-nrusfbdighMVcz] [-k KEYDEF]... [-t SEP] [-o FILE] [FILE]...`:
//! sort lines. Input larger than a memory limit (64 MiB, or
//! `IBOX_SORT_MEM` bytes) is sorted in runs written to temporary files in
//! `$TMPDIR`, which are then merged.

use crate::common::{error_msg, getopt, perror, Exit};
use crate::text;
use std::cmp::Ordering;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[-nrughMVcszbdfi] [-o FILE] [-k START[.OFS][OPTS][,END[.OFS][OPTS]] [-t CHAR] [FILE]...\n\nSort lines of text\n\n\t-o FILE\tOutput to FILE\n\t-c\tCheck whether input is sorted\n\t-b\tIgnore leading blanks\n\t-f\tIgnore case\n\t-i\tIgnore unprintable characters\n\t-d\tDictionary order (blank or alphanumeric only)\n\t-n\tSort numbers\n\t-g\tGeneral numerical sort\n\t-h\tHuman readable numbers (2K 1G)\n\t-M\tSort month\n\t-V\tSort version\n\t-t CHAR\tField separator\n\t-k N[,M] Sort by Nth field\n\t-r\tReverse sort order\n\t-s\tStable (don't sort ties alphabetically)\n\t-u\tSuppress duplicate lines\n\t-z\tNUL terminated input and output";

/// Exit status for errors: 1 means "not sorted" for -c (POSIX).
const SORT_FAILURE: i32 = 2;

/// Default memory limit before runs go to temporary files.
const DEFAULT_MEM: usize = 64 << 20;

/// Runs merged at once: bounds the number of open temporary files.
const MERGE_FAN_IN: usize = 16;

/// Ordering options of a key (or of the whole line).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Flags {
    blanks: bool,
    dictionary: bool,
    fold: bool,
    printable: bool,
    numeric: bool,
    general: bool,
    human: bool,
    month: bool,
    version: bool,
    reverse: bool,
}

impl Flags {
    /// Sets the flag for option letter `c`; false if it is not one.
    fn set(&mut self, c: u8) -> bool {
        match c {
            b'b' => self.blanks = true,
            // -d and -i pick one table of ignored characters; -d wins (GNU).
            b'd' => {
                self.dictionary = true;
                self.printable = false;
            }
            b'f' => self.fold = true,
            b'i' => self.printable = !self.dictionary,
            b'n' => self.numeric = true,
            b'g' => self.general = true,
            b'h' => self.human = true,
            b'M' => self.month = true,
            b'V' => self.version = true,
            b'r' => self.reverse = true,
            _ => return false,
        }
        true
    }
}

/// One `-k START[.C][OPTS][,END[.C][OPTS]]`; fields and characters count
/// from 1, an end character of 0 means the end of the field.
#[derive(Clone, Copy)]
struct Key {
    start_field: usize,
    start_char: usize,
    end_field: Option<usize>,
    end_char: usize,
    flags: Flags,
    /// `b` given on the start (or end) part.
    start_blanks: bool,
    end_blanks: bool,
}

/// Everything a comparison needs.
struct Config {
    keys: Vec<Key>,
    global: Flags,
    sep: Option<u8>,
    stable: bool,
    unique: bool,
}

/// Parses a KEYDEF; the message on failure.
fn parse_key(s: &[u8]) -> Result<Key, &'static str> {
    let (start, end) = match s.iter().position(|&b| b == b',') {
        Some(c) => (&s[..c], Some(&s[c + 1..])),
        None => (s, None),
    };
    let part = |p: &[u8], is_start: bool| -> Result<(usize, usize, Flags), &'static str> {
        let digits = p.iter().take_while(|b| b.is_ascii_digit()).count();
        let field: usize = std::str::from_utf8(&p[..digits])
            .ok()
            .and_then(|d| d.parse().ok())
            .ok_or("bad field specification")?;
        let mut rest = &p[digits..];
        let mut ch = 0;
        if let Some(r) = rest.strip_prefix(b".") {
            let d = r.iter().take_while(|b| b.is_ascii_digit()).count();
            ch = std::str::from_utf8(&r[..d])
                .ok()
                .and_then(|d| d.parse().ok())
                .ok_or("bad field specification")?;
            rest = &r[d..];
        }
        if field == 0 || (is_start && ch == 0 && p.contains(&b'.')) {
            return Err("bad field specification");
        }
        let mut flags = Flags::default();
        for &c in rest {
            if !flags.set(c) {
                return Err("unknown key option");
            }
        }
        Ok((field, ch, flags))
    };
    let (start_field, start_char, sflags) = part(start, true)?;
    let mut key = Key {
        start_field,
        start_char: start_char.max(1),
        end_field: None,
        end_char: 0,
        flags: sflags,
        start_blanks: sflags.blanks,
        end_blanks: false,
    };
    if let Some(e) = end {
        let (f, c, eflags) = part(e, false)?;
        key.end_field = Some(f);
        key.end_char = c;
        key.end_blanks = eflags.blanks;
        let b = key.flags.blanks;
        let mut merged = eflags;
        merged.blanks = b || eflags.blanks;
        for (m, k) in [
            (&mut key.flags.dictionary, merged.dictionary),
            (&mut key.flags.fold, merged.fold),
            (&mut key.flags.printable, merged.printable),
            (&mut key.flags.numeric, merged.numeric),
            (&mut key.flags.general, merged.general),
            (&mut key.flags.human, merged.human),
            (&mut key.flags.month, merged.month),
            (&mut key.flags.version, merged.version),
            (&mut key.flags.reverse, merged.reverse),
        ] {
            *m |= k;
        }
    }
    Ok(key)
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Offset where field `n` (from 1) begins; the line's length if past it.
/// Without a separator a field is its leading blanks plus non-blanks.
fn field_start(line: &[u8], n: usize, sep: Option<u8>) -> usize {
    let mut i = 0;
    for _ in 1..n {
        if i >= line.len() {
            return line.len();
        }
        match sep {
            Some(s) => match line[i..].iter().position(|&b| b == s) {
                Some(p) => i += p + 1,
                None => return line.len(),
            },
            None => {
                while i < line.len() && is_blank(line[i]) {
                    i += 1;
                }
                while i < line.len() && !is_blank(line[i]) {
                    i += 1;
                }
            }
        }
    }
    i
}

/// Offset where the field starting at `start` ends.
fn field_end(line: &[u8], start: usize, sep: Option<u8>) -> usize {
    let mut i = start;
    match sep {
        Some(s) => line[i..]
            .iter()
            .position(|&b| b == s)
            .map_or(line.len(), |p| i + p),
        None => {
            while i < line.len() && is_blank(line[i]) {
                i += 1;
            }
            while i < line.len() && !is_blank(line[i]) {
                i += 1;
            }
            i
        }
    }
}

/// The slice of `line` that `key` selects.
fn key_slice<'a>(line: &'a [u8], key: &Key, sep: Option<u8>) -> &'a [u8] {
    let mut start = field_start(line, key.start_field, sep);
    if key.start_blanks {
        while start < line.len() && is_blank(line[start]) {
            start += 1;
        }
    }
    start = start.saturating_add(key.start_char - 1).min(line.len());
    let end = match key.end_field {
        None => line.len(),
        Some(f) => {
            let fs = field_start(line, f, sep);
            if key.end_char == 0 {
                field_end(line, fs, sep)
            } else {
                let mut s = fs;
                if key.end_blanks {
                    while s < line.len() && is_blank(line[s]) {
                        s += 1;
                    }
                }
                s.saturating_add(key.end_char).min(line.len())
            }
        }
    };
    if end <= start {
        &line[start..start]
    } else {
        &line[start..end]
    }
}

/// Skips leading blanks.
fn trim_blanks(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| is_blank(b) || b == b'\n').count();
    &s[n..]
}

/// Compares two numbers written as `[-]digits[.digits]` (leading blanks
/// skipped; anything else counts as 0) without converting them, so any
/// length works.
fn numeric_cmp(a: &[u8], b: &[u8]) -> Ordering {
    // Borrowed parts only: this runs for every comparison.
    fn parse(s: &[u8]) -> (bool, &[u8], &[u8]) {
        let s = trim_blanks(s);
        let (neg, s) = match s.strip_prefix(b"-") {
            Some(r) => (true, r),
            None => (false, s),
        };
        let int_len = s.iter().take_while(|b| b.is_ascii_digit()).count();
        let zeros = s[..int_len].iter().take_while(|&&b| b == b'0').count();
        let int = &s[zeros..int_len];
        let mut frac: &[u8] = &[];
        if s.get(int_len) == Some(&b'.') {
            let rest = &s[int_len + 1..];
            let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            frac = &rest[..n];
            while let [head @ .., b'0'] = frac {
                frac = head;
            }
        }
        let zero = int.is_empty() && frac.is_empty();
        (neg && !zero, int, frac)
    }
    let (na, ia, fa) = parse(a);
    let (nb, ib, fb) = parse(b);
    let magnitude = ia
        .len()
        .cmp(&ib.len())
        .then_with(|| ia.cmp(ib))
        .then_with(|| fa.cmp(fb));
    match (na, nb) {
        (false, false) => magnitude,
        (true, true) => magnitude.reverse(),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    }
}

/// -h: a number with an optional K/M/G/T/P/E/Z/Y suffix; the suffix
/// decides first.
fn human_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let suffix = |s: &[u8]| -> (bool, usize) {
        let s = trim_blanks(s);
        let neg = s.first() == Some(&b'-');
        let body = if neg { &s[1..] } else { s };
        let n = body
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'.')
            .count();
        let rank = match body.get(n).filter(|_| n > 0) {
            Some(b'k' | b'K') => 1,
            Some(b'M') => 2,
            Some(b'G') => 3,
            Some(b'T') => 4,
            Some(b'P') => 5,
            Some(b'E') => 6,
            Some(b'Z') => 7,
            Some(b'Y') => 8,
            _ => 0,
        };
        (neg, rank)
    };
    let (na, ra) = suffix(a);
    let (nb, rb) = suffix(b);
    if na != nb {
        return numeric_cmp(a, b);
    }
    let by_rank = if na { rb.cmp(&ra) } else { ra.cmp(&rb) };
    by_rank.then_with(|| numeric_cmp(a, b))
}

/// -g: floating point prefix; non-numbers sort first.
fn general_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let value = |s: &[u8]| -> Option<f64> {
        let s = trim_blanks(s);
        let s = std::str::from_utf8(&s[..s.iter().take_while(|b| b.is_ascii_graphic()).count()])
            .ok()?;
        (1..=s.len())
            .rev()
            .find_map(|n| s.get(..n)?.parse::<f64>().ok())
    };
    match (value(a), value(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => x
            .partial_cmp(&y)
            .unwrap_or_else(|| x.is_nan().cmp(&y.is_nan()).reverse()),
    }
}

/// -M: month number (1-12), 0 for anything else.
fn month(s: &[u8]) -> u8 {
    const MONTHS: [&[u8]; 12] = [
        b"JAN", b"FEB", b"MAR", b"APR", b"MAY", b"JUN", b"JUL", b"AUG", b"SEP", b"OCT", b"NOV",
        b"DEC",
    ];
    let s = trim_blanks(s);
    if s.len() < 3 {
        return 0;
    }
    MONTHS
        .iter()
        .position(|m| s[..3].eq_ignore_ascii_case(m))
        .map_or(0, |p| p as u8 + 1)
}

/// Where a file name's suffix (`.tar.gz`, `.txt~`) begins, as GNU's
/// filevercmp cuts it: suffixes are runs of `.` + letter or `~` + alnum/`~`.
fn version_prefix_len(s: &[u8]) -> usize {
    let n = s.len();
    let mut prefix = 0;
    let mut i = 0;
    while i < n {
        i += 1;
        prefix = i;
        while i + 1 < n && s[i] == b'.' && (s[i + 1].is_ascii_alphabetic() || s[i + 1] == b'~') {
            i += 2;
            while i < n && (s[i].is_ascii_alphanumeric() || s[i] == b'~') {
                i += 1;
            }
        }
    }
    prefix
}

/// Rank of a non-digit in a version: letters first, then other
/// characters; `~` before everything, even the end.
fn version_order(c: Option<&u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(*c),
        Some(b'~') => -1,
        Some(c) => i32::from(*c) + 256,
    }
}

/// GNU's verrevcmp: alternate runs of non-digits (by [`version_order`])
/// and digits (by value).
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let (ca, cb) = (version_order(a.get(i)), version_order(b.get(j)));
            if ca != cb {
                return ca.cmp(&cb);
            }
            i += 1;
            j += 1;
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while i < a.len() && j < b.len() && a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// -V, as GNU's filevercmp: empty first, then `.`, `..` and other
/// dot names; versions are compared without their file suffixes first.
fn version_cmp(a: &[u8], b: &[u8]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    match (a[0] == b'.', b[0] == b'.') {
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        (true, true) => {
            for special in [&b"."[..], b".."] {
                match (a == special, b == special) {
                    (true, true) => return Ordering::Equal,
                    (true, false) => return Ordering::Less,
                    (false, true) => return Ordering::Greater,
                    _ => {}
                }
            }
        }
        _ => {}
    }
    let (pa, pb) = (version_prefix_len(a), version_prefix_len(b));
    let c = verrevcmp(&a[..pa], &b[..pb]);
    if c != Ordering::Equal || (pa == a.len() && pb == b.len()) {
        return c;
    }
    verrevcmp(a, b)
}

/// The key with -d/-i characters dropped and -f case folding applied:
/// GNU applies these before any kind of comparison.
fn translate(s: &[u8], f: &Flags) -> Vec<u8> {
    s.iter()
        .filter(|&&c| {
            (!f.dictionary || c.is_ascii_alphanumeric() || is_blank(c))
                && (!f.printable || (0x20..0x7f).contains(&c))
        })
        .map(|&c| if f.fold { c.to_ascii_uppercase() } else { c })
        .collect()
}

/// Compares two keys by `f` (reverse not applied).
fn compare_by(a: &[u8], b: &[u8], f: &Flags) -> Ordering {
    if f.dictionary || f.printable || f.fold {
        return compare_typed(&translate(a, f), &translate(b, f), f);
    }
    compare_typed(a, b, f)
}

/// Compares two (translated) keys by the comparison kind in `f`.
fn compare_typed(a: &[u8], b: &[u8], f: &Flags) -> Ordering {
    if f.numeric {
        numeric_cmp(a, b)
    } else if f.human {
        human_cmp(a, b)
    } else if f.general {
        general_cmp(a, b)
    } else if f.month {
        month(a).cmp(&month(b))
    } else if f.version {
        version_cmp(a, b)
    } else {
        a.cmp(b)
    }
}

/// Byte-wise comparison of whole lines, the first eight bytes as one
/// big-endian number: most lines differ there, and one integer comparison
/// settles them without a call to memcmp.
#[inline(always)]
fn bytes_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let head = |s: &[u8]| {
        let h = &s[..8];
        u64::from_be_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]])
    };
    if a.len() >= 8 && b.len() >= 8 {
        let (x, y) = (head(a), head(b));
        if x != y {
            return x.cmp(&y);
        }
    }
    a.cmp(b)
}

impl Config {
    /// Whether lines are compared whole, byte by byte (perhaps reversed):
    /// no key and no ordering option.
    fn is_plain(&self) -> bool {
        self.keys.is_empty()
            && self.global
                == Flags {
                    reverse: self.global.reverse,
                    ..Flags::default()
                }
    }

    /// Compares by the keys (or the whole line) only.
    fn key_cmp(&self, a: &[u8], b: &[u8]) -> Ordering {
        if self.keys.is_empty() {
            // The whole line is the key; -b skips its leading blanks.
            let (a, b) = if self.global.blanks {
                (trim_blanks(a), trim_blanks(b))
            } else {
                (a, b)
            };
            let c = compare_by(a, b, &self.global);
            return if self.global.reverse { c.reverse() } else { c };
        }
        for k in &self.keys {
            let (ka, kb) = (key_slice(a, k, self.sep), key_slice(b, k, self.sep));
            let c = compare_by(ka, kb, &k.flags);
            if c != Ordering::Equal {
                return if k.flags.reverse { c.reverse() } else { c };
            }
        }
        Ordering::Equal
    }

    /// The full comparison: keys, then (unless -s or -u) the whole lines
    /// byte by byte as a last resort.
    fn cmp(&self, a: &[u8], b: &[u8]) -> Ordering {
        let c = match self.is_plain() {
            true if self.global.reverse => bytes_cmp(b, a),
            true => bytes_cmp(a, b),
            false => self.key_cmp(a, b),
        };
        if c != Ordering::Equal || self.stable || self.unique {
            return c;
        }
        let last = a.cmp(b);
        if self.global.reverse {
            last.reverse()
        } else {
            last
        }
    }
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "nrusfbdighMVczCo:k:t:ST:y",
        &[
            ("numeric-sort", 'n'),
            ("reverse", 'r'),
            ("unique", 'u'),
            ("stable", 's'),
            ("ignore-case", 'f'),
            ("ignore-leading-blanks", 'b'),
            ("dictionary-order", 'd'),
            ("ignore-nonprinting", 'i'),
            ("general-numeric-sort", 'g'),
            ("human-numeric-sort", 'h'),
            ("month-sort", 'M'),
            ("version-sort", 'V'),
            ("check", 'c'),
            ("zero-terminated", 'z'),
            ("output", 'o'),
            ("key", 'k'),
            ("field-separator", 't'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut global = Flags::default();
    let mut keys = Vec::new();
    let mut sep = None;
    for (opt, value) in &p.opts {
        match (*opt, value) {
            ('k', Some(v)) => match parse_key(v.as_bytes()) {
                Ok(k) => keys.push(k),
                Err(msg) => {
                    error_msg("sort", &format!("{msg}: '{}'", v.to_string_lossy()));
                    return SORT_FAILURE;
                }
            },
            ('t', Some(v)) => match v.as_bytes() {
                [c] => sep = Some(*c),
                b"\\0" => sep = Some(0),
                _ => {
                    error_msg(
                        "sort",
                        &format!("multi-character tab '{}'", v.to_string_lossy()),
                    );
                    return SORT_FAILURE;
                }
            },
            (c, None) if c.is_ascii() => {
                global.set(c as u8);
            }
            _ => {}
        }
    }
    // A key with no ordering options of its own takes the global ones.
    for k in keys.iter_mut() {
        if k.flags == Flags::default() && !k.start_blanks && !k.end_blanks {
            k.flags = global;
            k.start_blanks = global.blanks;
            k.end_blanks = global.blanks;
        }
    }
    let config = Config {
        keys,
        global,
        sep,
        stable: p.has('s'),
        unique: p.has('u'),
    };
    let delim = if p.has('z') { 0 } else { b'\n' };
    let files = text::operands_or_stdin(&p.operands);
    if p.has('c') || p.has('C') {
        return check(&config, &files, delim, p.has('C'));
    }
    let mem = std::env::var("IBOX_SORT_MEM")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(DEFAULT_MEM)
        .max(1);
    let mut sorter = Sorter {
        config: &config,
        delim,
        mem,
        data: Vec::new(),
        lines: Vec::new(),
        runs: Vec::new(),
    };
    let mut status = 0;
    for name in &files {
        let Some(mut input) = text::open_or_report("sort", name) else {
            status = SORT_FAILURE;
            continue;
        };
        if let Err(e) = sorter.read(&mut *input) {
            match e {
                Failure::Read(e) => text::report_read("sort", name, &e),
                Failure::Temp(e) => {
                    perror("sort", "can't write temporary file", &e);
                    return SORT_FAILURE;
                }
            }
            status = SORT_FAILURE;
        }
    }
    // The output file is opened only now: it may be one of the inputs.
    let result = match p.value('o') {
        Some(name) if !text::is_stdin(name) => match File::create(name) {
            Ok(f) => {
                let mut out = BufWriter::with_capacity(text::BUF_SIZE, f);
                sorter.finish(&mut out).and_then(|_| out.flush())
            }
            Err(e) => {
                text::report_open("sort", name, &e);
                return SORT_FAILURE;
            }
        },
        _ => {
            let mut out = text::stdout();
            sorter.finish(&mut out).and_then(|_| out.flush())
        }
    };
    if let Err(e) = result {
        text::write_failed("sort", &e);
        return SORT_FAILURE;
    }
    status
}

/// Why reading input failed.
enum Failure {
    Read(io::Error),
    Temp(io::Error),
}

/// Collects lines, spilling sorted runs to temporary files past `mem`.
struct Sorter<'a> {
    config: &'a Config,
    delim: u8,
    mem: usize,
    /// The lines of the current run, back to back, each with its delimiter.
    data: Vec<u8>,
    /// (start, end) of each line in `data`, delimiter excluded.
    lines: Vec<(usize, usize)>,
    /// Sorted runs on disk, in input order (so merging stays stable).
    runs: Vec<File>,
}

impl Sorter<'_> {
    /// Adds all records of `input`.
    fn read(&mut self, input: &mut dyn BufRead) -> Result<(), Failure> {
        loop {
            // Grow the buffer by doubling, but never past the limit (Vec's
            // own doubling could allocate twice the limit).
            if self.data.capacity() - self.data.len() < text::BUF_SIZE {
                let want = (self.data.capacity() * 2)
                    .max(4 * text::BUF_SIZE)
                    .min(self.mem.saturating_add(text::BUF_SIZE));
                let extra = want.saturating_sub(self.data.len()).max(text::BUF_SIZE);
                self.data.reserve_exact(extra);
            }
            let start = self.data.len();
            let n = input
                .read_until(self.delim, &mut self.data)
                .map_err(Failure::Read)?;
            if n == 0 {
                return Ok(());
            }
            let mut end = self.data.len();
            if self.data[end - 1] == self.delim {
                end -= 1;
            } else {
                self.data.push(self.delim);
            }
            self.lines.push((start, end));
            if self.data.len() + self.lines.len() * 16 > self.mem {
                self.spill().map_err(Failure::Temp)?;
            }
        }
    }

    /// Sorts the lines in memory.
    fn sort_lines(&mut self) {
        let data = &self.data;
        let config = self.config;
        if config.is_plain() {
            // Lines that compare equal are identical: order is moot. One
            // comparison function, inlined, instead of five calls deep.
            let rev = config.global.reverse;
            self.lines.sort_unstable_by(|a, b| {
                let (x, y) = if rev { (b, a) } else { (a, b) };
                bytes_cmp(&data[x.0..x.1], &data[y.0..y.1])
            });
            return;
        }
        let cmp =
            |a: &(usize, usize), b: &(usize, usize)| config.cmp(&data[a.0..a.1], &data[b.0..b.1]);
        if config.stable || config.unique {
            self.lines.sort_by(cmp);
        } else {
            // Lines that compare equal are then identical: order is moot.
            self.lines.sort_unstable_by(cmp);
        }
    }

    /// Writes the current lines, sorted, to a new temporary run.
    fn spill(&mut self) -> io::Result<()> {
        self.sort_lines();
        let mut f = temp_file()?;
        {
            let mut w = BufWriter::with_capacity(text::BUF_SIZE, &mut f);
            self.write_lines(&mut w)?;
            w.flush()?;
        }
        f.seek(SeekFrom::Start(0))?;
        self.runs.push(f);
        self.data.clear();
        self.lines.clear();
        Ok(())
    }

    /// Writes the in-memory lines in order (dropping duplicates for -u).
    fn write_lines(&self, out: &mut impl Write) -> io::Result<()> {
        let mut prev: Option<&[u8]> = None;
        for &(s, e) in &self.lines {
            let line = &self.data[s..e];
            if self.config.unique {
                if let Some(p) = prev {
                    if self.config.key_cmp(p, line) == Ordering::Equal {
                        continue;
                    }
                }
                prev = Some(line);
            }
            out.write_all(&self.data[s..=e])?;
        }
        Ok(())
    }

    /// Writes the sorted result.
    fn finish(mut self, out: &mut impl Write) -> io::Result<()> {
        if self.runs.is_empty() {
            self.sort_lines();
            return self.write_lines(out);
        }
        if !self.lines.is_empty() {
            self.spill()?;
        }
        let mut runs = std::mem::take(&mut self.runs);
        // Merge in passes of at most MERGE_FAN_IN runs.
        while runs.len() > MERGE_FAN_IN {
            let mut next = Vec::new();
            let mut rest = runs.into_iter();
            loop {
                let group: Vec<File> = rest.by_ref().take(MERGE_FAN_IN).collect();
                if group.is_empty() {
                    break;
                }
                let mut f = temp_file()?;
                {
                    let mut w = BufWriter::with_capacity(text::BUF_SIZE, &mut f);
                    merge(self.config, self.delim, group, &mut w)?;
                    w.flush()?;
                }
                f.seek(SeekFrom::Start(0))?;
                next.push(f);
            }
            runs = next;
        }
        merge(self.config, self.delim, runs, out)
    }
}

/// A new temporary file in $TMPDIR (or /tmp), already unlinked so that
/// it disappears with the process however it ends.
fn temp_file() -> io::Result<File> {
    let dir = std::env::var_os("TMPDIR")
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| OsString::from("/tmp"));
    let pid = std::process::id();
    for n in 0u32..10_000 {
        let mut path = std::path::PathBuf::from(&dir);
        path.push(format!("ibox-sort.{pid}.{n}"));
        match std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => {
                std::fs::remove_file(&path)?;
                return Ok(f);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::from(io::ErrorKind::AlreadyExists))
}

/// Merges sorted runs into `out`. Ties go to the earlier run, which keeps
/// the sort stable; with -u equal lines (by keys) are written once.
fn merge(config: &Config, delim: u8, runs: Vec<File>, out: &mut impl Write) -> io::Result<()> {
    let mut readers: Vec<BufReader<File>> = runs
        .into_iter()
        .map(|f| BufReader::with_capacity(text::BUF_SIZE, f))
        .collect();
    let mut heads: Vec<Option<Vec<u8>>> = Vec::with_capacity(readers.len());
    for r in readers.iter_mut() {
        let mut line = Vec::new();
        heads.push(if r.read_until(delim, &mut line)? > 0 {
            Some(line)
        } else {
            None
        });
    }
    let mut prev: Option<Vec<u8>> = None;
    // The buffer of the line last written, reused for the next read.
    let mut spare = Vec::new();
    loop {
        let mut best: Option<usize> = None;
        for (i, h) in heads.iter().enumerate() {
            if let Some(line) = h {
                let better = match best.and_then(|b| heads[b].as_deref()) {
                    None => true,
                    Some(cur) => {
                        config.cmp(text::chomp(line, delim), text::chomp(cur, delim))
                            == Ordering::Less
                    }
                };
                if better {
                    best = Some(i);
                }
            }
        }
        let Some(i) = best else {
            return Ok(());
        };
        let mut line = std::mem::take(&mut spare);
        line.clear();
        let more = readers[i].read_until(delim, &mut line)? > 0;
        let current = std::mem::replace(&mut heads[i], if more { Some(line) } else { None });
        let Some(current) = current else {
            continue;
        };
        if config.unique {
            if let Some(p) = &prev {
                if config.key_cmp(text::chomp(p, delim), text::chomp(&current, delim))
                    == Ordering::Equal
                {
                    spare = current;
                    continue;
                }
            }
        }
        out.write_all(&current)?;
        if config.unique {
            spare = prev.replace(current).unwrap_or_default();
        } else {
            spare = current;
        }
    }
}

/// -c / -C: report the first line out of order (with -u, also a repeat).
fn check(config: &Config, files: &[OsString], delim: u8, quiet: bool) -> i32 {
    let name: &OsStr = &files[0];
    if files.len() > 1 {
        error_msg(
            "sort",
            &format!(
                "extra operand '{}' not allowed with -c",
                files[1].to_string_lossy()
            ),
        );
        return SORT_FAILURE;
    }
    let Some(mut input) = text::open_or_report("sort", name) else {
        return SORT_FAILURE;
    };
    let mut prev = Vec::new();
    let mut line = Vec::new();
    let mut n = 0u64;
    loop {
        match text::read_record(&mut *input, delim, &mut line) {
            Ok(true) => {}
            Ok(false) => return 0,
            Err(e) => {
                text::report_read("sort", name, &e);
                return SORT_FAILURE;
            }
        }
        n += 1;
        if line.last() == Some(&delim) {
            line.pop();
        }
        if n > 1 {
            let c = config.cmp(&prev, &line);
            if c == Ordering::Greater || (config.unique && c == Ordering::Equal) {
                if !quiet {
                    let shown = if text::is_stdin(name) {
                        "-".into()
                    } else {
                        name.to_string_lossy()
                    };
                    error_msg(
                        "sort",
                        &format!("{shown}:{n}: disorder: {}", String::from_utf8_lossy(&line)),
                    );
                }
                return 1;
            }
        }
        std::mem::swap(&mut prev, &mut line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(numeric_cmp(b"10", b"9"), Ordering::Greater);
        assert_eq!(numeric_cmp(b"-10", b"-9"), Ordering::Less);
        assert_eq!(numeric_cmp(b"  007.50", b"7.5"), Ordering::Equal);
        assert_eq!(numeric_cmp(b"abc", b"0"), Ordering::Equal);
        assert_eq!(numeric_cmp(b"-0", b"0"), Ordering::Equal);
        assert_eq!(human_cmp(b"2K", b"1M"), Ordering::Less);
        assert_eq!(human_cmp(b"1G", b"900M"), Ordering::Greater);
    }

    #[test]
    fn versions() {
        assert_eq!(version_cmp(b"a-1.9", b"a-1.10"), Ordering::Less);
        assert_eq!(version_cmp(b"a-1.9~", b"a-1.9"), Ordering::Less);
        assert_eq!(version_cmp(b"a-1.9", b"a-1.9a"), Ordering::Less);
    }

    #[test]
    fn keys() {
        let k = parse_key(b"2,2n").unwrap_or_else(|_| panic!("key"));
        assert!(k.flags.numeric);
        assert_eq!(key_slice(b"a  10 x", &k, None), b"  10");
        let k = parse_key(b"2.2,3.1").unwrap_or_else(|_| panic!("key"));
        assert_eq!(key_slice(b"a:bcd:efg", &k, Some(b':')), b"cd:e");
        assert!(parse_key(b"0").is_err());
        assert!(parse_key(b"1x").is_err());
    }
}
