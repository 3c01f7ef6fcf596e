//! `diff [-abBiNqrsuw] [-U N] [-L LABEL] FILE1 FILE2`: compare files line
//! by line, in the normal format or (-u) the unified one.
//!
//! The differences are found with Myers' O(ND) algorithm in its
//! linear-space form (the "middle snake" bisection), so that large inputs
//! with many differences need memory proportional to the input only.
//! Exit status 0 if no differences, 1 if some, 2 on trouble.

use crate::common::{error_msg, getopt, lossy, perror, Exit};
use crate::text;
use std::borrow::Cow;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

pub const USAGE: &str = "[-abBiNqrsuw] [-U LINES] [-L LABEL] FILE1 FILE2\n\nCompare files line by line and output the differences between them.\n\n\t-a\tTreat all files as text\n\t-b\tIgnore changes in the amount of whitespace\n\t-B\tIgnore changes whose lines are all blank\n\t-i\tIgnore case differences\n\t-L\tUse LABEL instead of the filename in the unified header\n\t-N\tTreat absent files as empty\n\t-q\tOutput only whether files differ\n\t-r\tRecurse\n\t-s\tReport when two files are the same\n\t-u\tUnified format with 3 lines of context\n\t-U\tUnified format with LINES lines of context\n\t-w\tIgnore all whitespace";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "abBdiNqrsuU:wL:",
        &[
            ("text", 'a'),
            ("ignore-space-change", 'b'),
            ("ignore-blank-lines", 'B'),
            ("ignore-case", 'i'),
            ("new-file", 'N'),
            ("brief", 'q'),
            ("recursive", 'r'),
            ("report-identical-files", 's'),
            ("unified", 'U'),
            ("ignore-all-space", 'w'),
            ("label", 'L'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(_)) => return 2,
    };
    let mut context = None;
    for (c, v) in &p.opts {
        match (c, v) {
            ('u', _) => context = Some(context.unwrap_or(3)),
            ('U', Some(v)) => match lossy(v).parse::<usize>() {
                Ok(n) => context = Some(n),
                Err(_) => {
                    error_msg("diff", &format!("invalid number '{}'", lossy(v)));
                    return 2;
                }
            },
            _ => {}
        }
    }
    if p.operands.len() != 2 {
        crate::common::usage_error("diff", "need two files");
        return 2;
    }
    let labels: Vec<OsString> = p
        .opts
        .iter()
        .filter(|(c, _)| *c == 'L')
        .filter_map(|(_, v)| v.clone())
        .collect();
    let mut d = Diff {
        o: Options {
            text: p.has('a'),
            space_change: p.has('b'),
            all_space: p.has('w'),
            blank_lines: p.has('B'),
            icase: p.has('i'),
            new_file: p.has('N'),
            brief: p.has('q'),
            recursive: p.has('r'),
            same: p.has('s'),
            context,
        },
        labels,
        out: text::stdout(),
        status: 0,
    };
    let a = PathBuf::from(&p.operands[0]);
    let b = PathBuf::from(&p.operands[1]);
    d.top(&a, &b);
    if let Err(e) = d.out.flush() {
        text::write_failed("diff", &e);
        return 2;
    }
    d.status
}

/// The options that shape comparison and output.
struct Options {
    text: bool,
    space_change: bool,
    all_space: bool,
    blank_lines: bool,
    icase: bool,
    new_file: bool,
    brief: bool,
    recursive: bool,
    same: bool,
    /// Lines of context for the unified format; `None` for normal format.
    context: Option<usize>,
}

/// One diff run.
struct Diff {
    o: Options,
    labels: Vec<OsString>,
    out: text::Out,
    status: i32,
}

/// What a path is, for comparing.
enum Kind {
    Missing,
    Dir,
    File,
}

fn kind(p: &Path) -> io::Result<Kind> {
    if p.as_os_str() == "-" {
        return Ok(Kind::File);
    }
    match fs::metadata(p) {
        Ok(m) if m.is_dir() => Ok(Kind::Dir),
        Ok(_) => Ok(Kind::File),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Kind::Missing),
        Err(e) => Err(e),
    }
}

impl Diff {
    fn trouble(&mut self) {
        self.status = 2;
    }

    fn differ(&mut self) {
        if self.status == 0 {
            self.status = 1;
        }
    }

    /// Compares the two operands.
    fn top(&mut self, a: &Path, b: &Path) {
        let ka = kind(a);
        let kb = kind(b);
        let (ka, kb) = match (ka, kb) {
            (Ok(ka), Ok(kb)) => (ka, kb),
            (Err(e), _) => {
                perror("diff", format!("can't stat '{}'", a.display()), &e);
                return self.trouble();
            }
            (_, Err(e)) => {
                perror("diff", format!("can't stat '{}'", b.display()), &e);
                return self.trouble();
            }
        };
        match (ka, kb) {
            (Kind::Missing, Kind::Missing) | (Kind::Missing, _) | (_, Kind::Missing)
                if !self.o.new_file =>
            {
                let missing = if matches!(kind(a), Ok(Kind::Missing)) {
                    a
                } else {
                    b
                };
                error_msg(
                    "diff",
                    &format!(
                        "can't stat '{}': No such file or directory",
                        missing.display()
                    ),
                );
                self.trouble();
            }
            (Kind::Dir, Kind::Dir) => self.dirs(a, b),
            (Kind::Dir, Kind::File) => {
                if b.as_os_str() == "-" {
                    error_msg("diff", "can't compare stdin to a directory");
                    return self.trouble();
                }
                let name = crate::fsutil::last_component(b.as_os_str());
                self.files(&a.join(name), b);
            }
            (Kind::File, Kind::Dir) => {
                if a.as_os_str() == "-" {
                    error_msg("diff", "can't compare stdin to a directory");
                    return self.trouble();
                }
                let name = crate::fsutil::last_component(a.as_os_str());
                self.files(a, &b.join(name));
            }
            _ => self.files(a, b),
        }
    }

    /// Compares two directories entry by entry, in name order.
    fn dirs(&mut self, a: &Path, b: &Path) {
        let list = |p: &Path| -> Vec<OsString> {
            match kind(p) {
                Ok(Kind::Dir) => crate::fsutil::read_dir_sorted(p).unwrap_or_default(),
                _ => Vec::new(),
            }
        };
        let (na, nb) = (list(a), list(b));
        let mut names: Vec<OsString> = na.iter().chain(nb.iter()).cloned().collect();
        ibex_sort::sort_by(&mut names, |x, y| x.as_bytes().cmp(y.as_bytes()));
        names.dedup();
        for name in names {
            let (pa, pb) = (a.join(&name), b.join(&name));
            let (ka, kb) = (kind(&pa), kind(&pb));
            match (ka, kb) {
                (Ok(Kind::Dir), Ok(Kind::Dir)) => {
                    if self.o.recursive {
                        self.dirs(&pa, &pb);
                    } else {
                        self.say(&format!(
                            "Common subdirectories: {} and {}",
                            pa.display(),
                            pb.display()
                        ));
                    }
                }
                (Ok(Kind::File), Ok(Kind::File)) => self.files(&pa, &pb),
                (Ok(Kind::Missing), Ok(k)) | (Ok(k), Ok(Kind::Missing)) => {
                    let (dir, present) = if matches!(k, Kind::Dir | Kind::File)
                        && matches!(kind(&pa), Ok(Kind::Missing))
                    {
                        (b, &pb)
                    } else {
                        (a, &pa)
                    };
                    if self.o.new_file && matches!(k, Kind::File) {
                        self.files(&pa, &pb);
                    } else if self.o.new_file && self.o.recursive && matches!(k, Kind::Dir) {
                        self.dirs(&pa, &pb);
                    } else {
                        let _ = present;
                        self.say(&format!("Only in {}: {}", dir.display(), lossy(&name)));
                        self.differ();
                    }
                }
                (Ok(Kind::Dir), Ok(Kind::File)) => {
                    self.say(&format!(
                        "File {} is a directory while file {} is a regular file",
                        pa.display(),
                        pb.display()
                    ));
                    self.differ();
                }
                (Ok(Kind::File), Ok(Kind::Dir)) => {
                    self.say(&format!(
                        "File {} is a regular file while file {} is a directory",
                        pa.display(),
                        pb.display()
                    ));
                    self.differ();
                }
                (Err(e), _) | (_, Err(e)) => {
                    perror("diff", format!("{}", pa.display()), &e);
                    self.trouble();
                }
            }
        }
    }

    fn say(&mut self, line: &str) {
        if let Err(e) = writeln!(self.out, "{line}") {
            text::write_failed("diff", &e);
            self.trouble();
        }
    }

    /// Reads a file for comparison; a missing one is empty under -N.
    fn read(&mut self, p: &Path) -> Option<Vec<u8>> {
        match text::read_all(p.as_os_str()) {
            Ok(d) => Some(d),
            Err(e) if e.kind() == io::ErrorKind::NotFound && self.o.new_file => Some(Vec::new()),
            Err(e) => {
                perror("diff", format!("can't open '{}'", p.display()), &e);
                self.trouble();
                None
            }
        }
    }

    /// Compares two files and prints their differences.
    fn files(&mut self, a: &Path, b: &Path) {
        let (Some(da), Some(db)) = (self.read(a), self.read(b)) else {
            return;
        };
        let name_a = self.labels.first().map_or(a.as_os_str(), |l| l.as_os_str());
        let name_b = self.labels.get(1).map_or(b.as_os_str(), |l| l.as_os_str());
        let (name_a, name_b) = (lossy(name_a).into_owned(), lossy(name_b).into_owned());
        if da == db {
            if self.o.same {
                self.say(&format!("Files {name_a} and {name_b} are identical"));
            }
            return;
        }
        let binary = |d: &[u8]| d[..d.len().min(8192)].contains(&0);
        if !self.o.text && (binary(&da) || binary(&db)) {
            self.say(&format!("Binary files {name_a} and {name_b} differ"));
            self.differ();
            return;
        }
        let la: Vec<&[u8]> = da.split_inclusive(|&c| c == b'\n').collect();
        let lb: Vec<&[u8]> = db.split_inclusive(|&c| c == b'\n').collect();
        let hunks = self.changes(&la, &lb);
        if hunks.iter().all(|c| c.ignore) {
            if self.o.same {
                self.say(&format!("Files {name_a} and {name_b} are identical"));
            }
            return;
        }
        self.differ();
        if self.o.brief {
            self.say(&format!("Files {name_a} and {name_b} differ"));
            return;
        }
        let mut buf = Vec::new();
        match self.o.context {
            Some(n) => {
                buf.extend_from_slice(format!("--- {name_a}\n+++ {name_b}\n").as_bytes());
                unified(&la, &lb, &hunks, n, &mut buf);
            }
            None => {
                if self.o.recursive {
                    buf.extend_from_slice(
                        format!("diff -r {} {}\n", a.display(), b.display()).as_bytes(),
                    );
                }
                normal(&la, &lb, &hunks, &mut buf);
            }
        }
        if let Err(e) = self.out.write_all(&buf) {
            text::write_failed("diff", &e);
            self.trouble();
        }
    }

    /// The line-level changes between `a` and `b` under the options.
    fn changes<'a>(&self, a: &[&'a [u8]], b: &[&'a [u8]]) -> Vec<Change> {
        let mut ids: HashMap<Cow<'a, [u8]>, u32> = HashMap::new();
        let mut number = |lines: &[&'a [u8]]| -> Vec<u32> {
            let mut out = Vec::with_capacity(lines.len());
            for &l in lines {
                let next = ids.len() as u32;
                out.push(*ids.entry(self.normalize(l)).or_insert(next));
            }
            out
        };
        let ia = number(a);
        let ib = number(b);
        let mut changes = myers(&ia, &ib);
        if self.o.blank_lines {
            // Marked rather than removed: the hunks around them must still
            // line up.
            let blank = |l: &[u8]| l.iter().all(|c| c.is_ascii_whitespace());
            for c in &mut changes {
                c.ignore = a[c.a..c.a + c.a_len].iter().all(|l| blank(l))
                    && b[c.b..c.b + c.b_len].iter().all(|l| blank(l));
            }
        }
        changes
    }

    /// The form of a line that comparison looks at.
    fn normalize<'a>(&self, line: &'a [u8]) -> Cow<'a, [u8]> {
        if !(self.o.all_space || self.o.space_change || self.o.icase) {
            // The common case: lines are compared as they are, unallocated.
            return Cow::Borrowed(line);
        }
        let mut l: Vec<u8> = if self.o.all_space {
            line.iter()
                .copied()
                .filter(|c| !c.is_ascii_whitespace())
                .collect()
        } else if self.o.space_change {
            let mut out = Vec::with_capacity(line.len());
            let mut space = false;
            for &c in line {
                if c.is_ascii_whitespace() {
                    space = true;
                } else {
                    if space && !out.is_empty() {
                        out.push(b' ');
                    }
                    space = false;
                    out.push(c);
                }
            }
            if space && out.is_empty() {
                // An all-blank line still differs from a missing one.
            }
            out
        } else {
            line.to_vec()
        };
        if self.o.icase {
            l.make_ascii_lowercase();
        }
        Cow::Owned(l)
    }
}

/// One difference: `a_len` lines of A at `a` replaced by `b_len` lines of
/// B at `b` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// First changed line of A.
    pub a: usize,
    /// Lines of A removed.
    pub a_len: usize,
    /// First changed line of B.
    pub b: usize,
    /// Lines of B inserted.
    pub b_len: usize,
    /// Only blank lines change and -B said to ignore that.
    pub ignore: bool,
}

/// Myers' diff of two sequences of line ids: the changes in order.
pub fn myers(a: &[u32], b: &[u32]) -> Vec<Change> {
    let mut ca = vec![false; a.len()];
    let mut cb = vec![false; b.len()];
    let mut v = Vec::new();
    bisect_range(a, b, 0, a.len(), 0, b.len(), &mut ca, &mut cb, &mut v);
    // Turn the per-line marks into change groups.
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && !ca[i] && !cb[j] {
            i += 1;
            j += 1;
            continue;
        }
        let (si, sj) = (i, j);
        while i < a.len() && ca[i] {
            i += 1;
        }
        while j < b.len() && cb[j] {
            j += 1;
        }
        if i == si && j == sj {
            // Only possible if the marks disagree; advance to stay safe.
            i = (i + 1).min(a.len());
            j = (j + 1).min(b.len());
            continue;
        }
        out.push(Change {
            a: si,
            a_len: i - si,
            b: sj,
            b_len: j - sj,
            ignore: false,
        });
    }
    out
}

/// Marks the lines of `a[a0..a1]` and `b[b0..b1]` that are not part of a
/// longest common subsequence.
#[allow(clippy::too_many_arguments)]
fn bisect_range(
    a: &[u32],
    b: &[u32],
    mut a0: usize,
    mut a1: usize,
    mut b0: usize,
    mut b1: usize,
    ca: &mut [bool],
    cb: &mut [bool],
    v: &mut Vec<isize>,
) {
    while a0 < a1 && b0 < b1 && a[a0] == b[b0] {
        a0 += 1;
        b0 += 1;
    }
    while a0 < a1 && b0 < b1 && a[a1 - 1] == b[b1 - 1] {
        a1 -= 1;
        b1 -= 1;
    }
    if a0 == a1 {
        cb[b0..b1].fill(true);
        return;
    }
    if b0 == b1 {
        ca[a0..a1].fill(true);
        return;
    }
    match middle_snake(&a[a0..a1], &b[b0..b1], v) {
        Some((x, y)) if (x, y) != (0, 0) && (x, y) != (a1 - a0, b1 - b0) => {
            bisect_range(a, b, a0, a0 + x, b0, b0 + y, ca, cb, v);
            bisect_range(a, b, a0 + x, a1, b0 + y, b1, ca, cb, v);
        }
        _ => {
            // Cannot happen for trimmed inputs; marking all is still a
            // correct (if not minimal) diff.
            ca[a0..a1].fill(true);
            cb[b0..b1].fill(true);
        }
    }
}

/// Finds a point on an optimal edit path from both ends at once (Myers'
/// "middle snake"); returns where to split `a` and `b`.
fn middle_snake(a: &[u32], b: &[u32], v: &mut Vec<isize>) -> Option<(usize, usize)> {
    let n = a.len() as isize;
    let m = b.len() as isize;
    let max_d = (n + m + 1) / 2;
    let off = max_d;
    let len = (2 * max_d + 2) as usize;
    v.clear();
    v.resize(2 * len, -1);
    let (v1, v2) = v.split_at_mut(len);
    v1[(off + 1) as usize] = 0;
    v2[(off + 1) as usize] = 0;
    let delta = n - m;
    let front = delta % 2 != 0;
    let (mut k1start, mut k1end, mut k2start, mut k2end) = (0isize, 0isize, 0isize, 0isize);
    // GNU diff's bound on the edit distance searched for exactly: about
    // the square root of the input size, but at least 4096.
    let mut too_expensive: isize = 1;
    let mut diags = n + m + 3;
    while diags != 0 {
        too_expensive <<= 1;
        diags >>= 2;
    }
    let too_expensive = too_expensive.max(4096);
    for d in 0..max_d {
        let mut k1 = -d + k1start;
        while k1 <= d - k1end {
            let i = (off + k1) as usize;
            let mut x1 = if k1 == -d || (k1 != d && v1[i - 1] < v1[i + 1]) {
                v1[i + 1]
            } else {
                v1[i - 1] + 1
            };
            let mut y1 = x1 - k1;
            while x1 < n && y1 < m && a[x1 as usize] == b[y1 as usize] {
                x1 += 1;
                y1 += 1;
            }
            v1[i] = x1;
            if x1 > n {
                k1end += 2;
            } else if y1 > m {
                k1start += 2;
            } else if front {
                let k2 = off + delta - k1;
                if k2 >= 0 && (k2 as usize) < len && v2[k2 as usize] != -1 {
                    let x2 = n - v2[k2 as usize];
                    if x1 >= x2 {
                        return Some((x1 as usize, y1 as usize));
                    }
                }
            }
            k1 += 2;
        }
        let mut k2 = -d + k2start;
        while k2 <= d - k2end {
            let i = (off + k2) as usize;
            let mut x2 = if k2 == -d || (k2 != d && v2[i - 1] < v2[i + 1]) {
                v2[i + 1]
            } else {
                v2[i - 1] + 1
            };
            let mut y2 = x2 - k2;
            while x2 < n && y2 < m && a[(n - x2 - 1) as usize] == b[(m - y2 - 1) as usize] {
                x2 += 1;
                y2 += 1;
            }
            v2[i] = x2;
            if x2 > n {
                k2end += 2;
            } else if y2 > m {
                k2start += 2;
            } else if !front {
                let k1 = off + delta - k2;
                if k1 >= 0 && (k1 as usize) < len && v1[k1 as usize] != -1 {
                    let x1 = v1[k1 as usize];
                    let y1 = off + x1 - k1;
                    if x1 >= n - x2 {
                        return Some((x1 as usize, y1 as usize));
                    }
                }
            }
            k2 += 2;
        }
        if d >= too_expensive {
            // Give up on a minimal diff, as GNU diff does: split at the
            // point furthest from its end among those reached so far. Any
            // split still gives a correct diff, and the cost stays bounded.
            let mut best: Option<(isize, usize, usize)> = None;
            let mut k = -d + k1start;
            while k <= d - k1end {
                let x = v1[(off + k) as usize];
                let y = x - k;
                if (0..=n).contains(&x) && (0..=m).contains(&y) && best.is_none_or(|b| x + y > b.0)
                {
                    best = Some((x + y, x as usize, y as usize));
                }
                k += 2;
            }
            let mut k = -d + k2start;
            while k <= d - k2end {
                let x = v2[(off + k) as usize];
                let y = x - k;
                if (0..=n).contains(&x) && (0..=m).contains(&y) && best.is_none_or(|b| x + y > b.0)
                {
                    best = Some((x + y, (n - x) as usize, (m - y) as usize));
                }
                k += 2;
            }
            return best.map(|(_, x, y)| (x, y));
        }
    }
    None
}

/// `start,end` (1-based) of `len` lines at 0-based `start` for the normal
/// format; an empty range names the line before it.
fn normal_range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start}"),
        1 => format!("{}", start + 1),
        _ => format!("{},{}", start + 1, start + len),
    }
}

/// Appends `prefix` and `line`, and the "no newline" note if it lacks one.
fn put_line(out: &mut Vec<u8>, prefix: &[u8], line: &[u8]) {
    out.extend_from_slice(prefix);
    out.extend_from_slice(line);
    if line.last() != Some(&b'\n') {
        out.extend_from_slice(b"\n\\ No newline at end of file\n");
    }
}

/// The normal (POSIX default) format: `2c2`, `< old`, `---`, `> new`.
fn normal(a: &[&[u8]], b: &[&[u8]], changes: &[Change], out: &mut Vec<u8>) {
    for c in changes.iter().filter(|c| !c.ignore) {
        let op = match (c.a_len, c.b_len) {
            (_, 0) => 'd',
            (0, _) => 'a',
            _ => 'c',
        };
        out.extend_from_slice(
            format!(
                "{}{op}{}\n",
                normal_range(c.a, c.a_len),
                normal_range(c.b, c.b_len)
            )
            .as_bytes(),
        );
        for l in &a[c.a..c.a + c.a_len] {
            put_line(out, b"< ", l);
        }
        if op == 'c' {
            out.extend_from_slice(b"---\n");
        }
        for l in &b[c.b..c.b + c.b_len] {
            put_line(out, b"> ", l);
        }
    }
}

/// `start,len` for a unified hunk header.
fn unified_range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}

/// The unified format with `ctx` lines of context; changes closer than
/// twice that share a hunk.
fn unified(a: &[&[u8]], b: &[&[u8]], changes: &[Change], ctx: usize, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < changes.len() {
        // Gather the changes of one hunk.
        let mut j = i;
        while j + 1 < changes.len()
            && changes[j + 1].a - (changes[j].a + changes[j].a_len) <= 2 * ctx
        {
            j += 1;
        }
        if changes[i..=j].iter().all(|c| c.ignore) {
            i = j + 1;
            continue;
        }
        let first = changes[i];
        let last = changes[j];
        let a_start = first.a.saturating_sub(ctx);
        let b_start = first.b - (first.a - a_start);
        let a_end = (last.a + last.a_len + ctx).min(a.len());
        let b_end = b
            .len()
            .min(last.b + last.b_len + (a_end - (last.a + last.a_len)));
        out.extend_from_slice(
            format!(
                "@@ -{} +{} @@\n",
                unified_range(a_start, a_end - a_start),
                unified_range(b_start, b_end - b_start)
            )
            .as_bytes(),
        );
        let mut ai = a_start;
        for c in &changes[i..=j] {
            for l in &a[ai..c.a] {
                put_line(out, b" ", l);
            }
            for l in &a[c.a..c.a + c.a_len] {
                put_line(out, b"-", l);
            }
            for l in &b[c.b..c.b + c.b_len] {
                put_line(out, b"+", l);
            }
            ai = c.a + c.a_len;
        }
        for l in &a[ai..a_end] {
            put_line(out, b" ", l);
        }
        i = j + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies `changes` to `a` and checks that it gives `b`, and that the
    /// edit count is the expected minimum.
    fn check(a: &[u32], b: &[u32], want_edits: usize) {
        let changes = myers(a, b);
        let mut out = Vec::new();
        let mut i = 0;
        for c in &changes {
            out.extend_from_slice(&a[i..c.a]);
            out.extend_from_slice(&b[c.b..c.b + c.b_len]);
            i = c.a + c.a_len;
        }
        out.extend_from_slice(&a[i..]);
        assert_eq!(out, b);
        let edits: usize = changes.iter().map(|c| c.a_len + c.b_len).sum();
        assert_eq!(edits, want_edits, "{a:?} -> {b:?}: {changes:?}");
    }

    #[test]
    fn myers_is_minimal() {
        check(&[], &[], 0);
        check(&[1, 2, 3], &[], 3);
        check(&[], &[1, 2], 2);
        check(&[1, 2, 3], &[1, 2, 3], 0);
        // The classic example from Myers' paper: ABCABBA -> CBABAC, D = 5.
        check(&[1, 2, 3, 1, 2, 2, 1], &[3, 2, 1, 2, 1, 3], 5);
        check(&[1, 2, 3, 4], &[5, 6, 7], 7);
        check(&[1, 2, 3, 4, 5, 6], &[1, 9, 3, 4, 9, 6, 7], 5);
        // A pseudo-random pair, checked against a quadratic LCS.
        let mut s = 12345u32;
        let mut rnd = || {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (s >> 16) % 4
        };
        for _ in 0..50 {
            let a: Vec<u32> = (0..30).map(|_| rnd()).collect();
            let b: Vec<u32> = (0..25).map(|_| rnd()).collect();
            let lcs = lcs_len(&a, &b);
            check(&a, &b, a.len() + b.len() - 2 * lcs);
        }
    }

    fn lcs_len(a: &[u32], b: &[u32]) -> usize {
        let mut t = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                t[i][j] = if a[i] == b[j] {
                    t[i + 1][j + 1] + 1
                } else {
                    t[i + 1][j].max(t[i][j + 1])
                };
            }
        }
        t[0][0]
    }

    #[test]
    fn formats() {
        let a: Vec<&[u8]> = vec![b"a\n", b"b\n", b"c"];
        let b: Vec<&[u8]> = vec![b"a\n", b"B\n", b"c"];
        let ch = myers(&[0, 1, 2], &[0, 3, 2]);
        let mut out = Vec::new();
        normal(&a, &b, &ch, &mut out);
        assert_eq!(out, b"2c2\n< b\n---\n> B\n");
        let mut out = Vec::new();
        unified(&a, &b, &ch, 1, &mut out);
        assert_eq!(
            out,
            b"@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n\\ No newline at end of file\n"
        );
    }
}
