//! `sed`: the POSIX stream editor, with the GNU extensions BusyBox has
//! (`-i`, `-E`, `-s`, `-z`, `0,/re/`, `addr,+N`, `first~step`, `Q`, `T`,
//! `F`, `z`, `\U`/`\L` in replacements, `I` on regexes).

use crate::common::{getopt, lossy, strerror, Exit};
use crate::regex::{Options, Regex};
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Usage text after "Usage: sed ".
pub const USAGE: &str = "[-i[SFX]] [-nrEsz] [-f FILE]... [-e CMD]... [FILE]...\n   or: sed [-i[SFX]] [-nrEsz] CMD [FILE]...\n\n\t-e CMD\tAdd CMD to sed commands to be executed\n\t-f FILE\tAdd FILE contents to sed commands to be executed\n\t-i[SFX]\tEdit files in-place (otherwise write to stdout)\n\t\tSave original file with SFX suffix if given\n\t-n\tSuppress automatic printing of pattern space\n\t-r,-E\tUse extended regex syntax\n\t-s\tTreat files as separate (line numbers and $ restart)\n\t-z\tLines end with NUL\n\t-l N\tWrap 'l' output at N columns\n\nIf no -e or -f, the first non-option argument is the sed command string.\nRemaining arguments are input files (stdin if none).";

/// Exit status for a script error.
const EXIT_SCRIPT: i32 = 1;
/// Exit status when an input file cannot be read (GNU's).
const EXIT_INPUT: i32 = 2;
/// Exit status for an I/O error while editing in place (GNU's).
const EXIT_IO: i32 = 4;

/// Long options.
const LONG: &[(&str, char)] = &[
    ("expression", 'e'),
    ("file", 'f'),
    ("quiet", 'n'),
    ("silent", 'n'),
    ("regexp-extended", 'E'),
    ("separate", 's'),
    ("null-data", 'z'),
    ("line-length", 'l'),
    ("posix", 'P'),
];

/// A failure: the message (without "sed: ") and the exit status.
struct Fail(String, i32);

fn fail<T>(msg: impl Into<String>) -> Result<T, Fail> {
    Err(Fail(msg.into(), EXIT_SCRIPT))
}

/// One address.
#[derive(Clone)]
enum Addr {
    /// Line N.
    Line(u64),
    /// `$`.
    Last,
    /// `/re/`; None means the last regex used.
    Re(Option<Rc<Regex>>),
    /// `first~step`.
    Step(u64, u64),
    /// `0` in `0,/re/`.
    Zero,
}

/// The second address of a range.
#[derive(Clone)]
enum Addr2 {
    /// An ordinary address.
    Addr(Addr),
    /// `addr1,+N`.
    Plus(u64),
    /// `addr1,~N`: up to the next line that is a multiple of N.
    Multiple(u64),
}

/// A piece of an `s` replacement.
#[derive(Clone)]
enum Piece {
    Lit(Vec<u8>),
    Group(usize),
    /// `\U`, `\L`, `\E`, `\u`, `\l`.
    Case(u8),
}

/// An `s` command.
struct Subst {
    re: Option<Rc<Regex>>,
    repl: Vec<Piece>,
    global: bool,
    nth: u64,
    print: bool,
    wfile: Option<usize>,
}

/// What a command does.
enum Kind {
    /// `{`: where to go when the address does not match.
    Block(usize),
    /// `}`.
    EndBlock,
    Eq,
    Append(Vec<u8>),
    Insert(Vec<u8>),
    Change(Vec<u8>),
    /// `b`, `t`, `T` with the resolved target (None: end of script).
    Branch(u8, Option<usize>),
    Delete,
    DeleteFirst,
    Get,
    GetAppend,
    Hold,
    HoldAppend,
    List(Option<usize>),
    Next,
    NextAppend,
    Print,
    PrintFirst,
    Quit(i32),
    QuitSilent(i32),
    ReadFile(Vec<u8>),
    Subst(Box<Subst>),
    Write(usize),
    Exchange,
    Translate(Box<[u8; 256]>),
    Label,
    Zap,
    FileName,
}

/// A command with its addresses.
struct Cmd {
    a1: Option<Addr>,
    a2: Option<Addr2>,
    negate: bool,
    kind: Kind,
}

/// Where a range stands.
#[derive(Clone, Copy, Default)]
struct Range {
    active: bool,
    end: u64,
}

/// Options that affect parsing.
struct ParseOpts {
    extended: bool,
}

/// The parsed script.
struct Script {
    cmds: Vec<Cmd>,
    /// `w` file names, in order of first use (index 1.. in the outputs).
    wfiles: Vec<Vec<u8>>,
    /// `#n` on the first line.
    quiet: bool,
}

/// Parses the whole script.
fn parse_script(text: &[u8], opts: &ParseOpts) -> Result<Script, Fail> {
    let mut p = Parser {
        s: text,
        pos: 0,
        opts,
        wfiles: Vec::new(),
    };
    let quiet = text.starts_with(b"#n") && (text.len() == 2 || text[2] == b'\n');
    let mut cmds: Vec<Cmd> = Vec::new();
    let mut blocks: Vec<usize> = Vec::new();
    let mut labels: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut jumps: Vec<(usize, Vec<u8>)> = Vec::new();
    loop {
        p.skip(b" \t\n;");
        let Some(c) = p.peek() else { break };
        if c == b'#' {
            p.rest_of_line();
            continue;
        }
        let a1 = p.address()?;
        let mut a2 = None;
        if a1.is_some() {
            p.skip(b" \t");
            if p.peek() == Some(b',') {
                p.pos += 1;
                p.skip(b" \t");
                a2 = Some(match p.peek() {
                    Some(b'+') => {
                        p.pos += 1;
                        Addr2::Plus(
                            p.number()
                                .ok_or_else(|| Fail("expected number after '+'".into(), 1))?,
                        )
                    }
                    Some(b'~') => {
                        p.pos += 1;
                        Addr2::Multiple(
                            p.number()
                                .ok_or_else(|| Fail("expected number after '~'".into(), 1))?,
                        )
                    }
                    _ => match p.address()? {
                        Some(Addr::Zero) => return fail("invalid usage of line address 0"),
                        Some(a) => Addr2::Addr(a),
                        None => return fail("unexpected ','"),
                    },
                });
            }
        }
        if matches!(a1, Some(Addr::Zero)) && !matches!(a2, Some(Addr2::Addr(Addr::Re(_)))) {
            return fail("invalid usage of line address 0");
        }
        p.skip(b" \t");
        let mut negate = false;
        while p.peek() == Some(b'!') {
            negate = true;
            p.pos += 1;
            p.skip(b" \t");
        }
        let Some(c) = p.peek() else {
            return fail("missing command");
        };
        p.pos += 1;
        let one_addr = |a2: &Option<Addr2>| -> Result<(), Fail> {
            if a2.is_some() {
                return fail(format!("command only uses one address: {}", c as char));
            }
            Ok(())
        };
        let no_addr = a1.is_none();
        let kind = match c {
            b'{' => {
                blocks.push(cmds.len());
                Kind::Block(0)
            }
            b'}' => {
                if !no_addr {
                    return fail("} doesn't want any addresses");
                }
                let Some(open) = blocks.pop() else {
                    return fail("unexpected '}'");
                };
                cmds[open].kind = Kind::Block(cmds.len() + 1);
                Kind::EndBlock
            }
            b'=' => Kind::Eq,
            b'a' | b'i' | b'c' => {
                if c != b'c' {
                    one_addr(&a2)?;
                }
                let text = p.text()?;
                match c {
                    b'a' => Kind::Append(text),
                    b'i' => Kind::Insert(text),
                    _ => Kind::Change(text),
                }
            }
            b':' => {
                if !no_addr {
                    return fail(": doesn't want any addresses");
                }
                let label = p.label();
                if label.is_empty() {
                    return fail("\":\" lacks a label");
                }
                labels.insert(label, cmds.len());
                Kind::Label
            }
            b'b' | b't' | b'T' => {
                let label = p.label();
                if !label.is_empty() {
                    jumps.push((cmds.len(), label));
                }
                Kind::Branch(c, None)
            }
            b'd' => Kind::Delete,
            b'D' => Kind::DeleteFirst,
            b'g' => Kind::Get,
            b'G' => Kind::GetAppend,
            b'h' => Kind::Hold,
            b'H' => Kind::HoldAppend,
            b'l' => {
                p.skip(b" \t");
                Kind::List(p.number().map(|n| usize::try_from(n).unwrap_or(usize::MAX)))
            }
            b'n' => Kind::Next,
            b'N' => Kind::NextAppend,
            b'p' => Kind::Print,
            b'P' => Kind::PrintFirst,
            b'q' | b'Q' => {
                one_addr(&a2)?;
                p.skip(b" \t");
                let code = p
                    .number()
                    .map_or(0, |n| i32::try_from(n).unwrap_or(i32::MAX));
                if c == b'q' {
                    Kind::Quit(code)
                } else {
                    Kind::QuitSilent(code)
                }
            }
            b'r' => {
                p.skip(b" \t");
                Kind::ReadFile(p.rest_of_line())
            }
            b'w' => {
                p.skip(b" \t");
                let name = p.rest_of_line();
                Kind::Write(p.wfile(name)?)
            }
            b's' => Kind::Subst(Box::new(p.subst()?)),
            b'y' => Kind::Translate(p.translate()?),
            b'x' => Kind::Exchange,
            b'z' => Kind::Zap,
            b'F' => Kind::FileName,
            b'#' => return fail("comments don't accept any addresses"),
            _ => return fail(format!("unsupported command {}", c as char)),
        };
        cmds.push(Cmd {
            a1,
            a2,
            negate,
            kind,
        });
        // After a command: blanks, then its end (`{` needs none).
        p.skip(b" \t");
        if c == b'{' {
            continue;
        }
        match p.peek() {
            None | Some(b'\n' | b';' | b'}' | b'#') => {}
            Some(_) => {
                return fail(format!(
                    "extra characters after command: {}",
                    String::from_utf8_lossy(&p.s[p.pos..])
                        .lines()
                        .next()
                        .unwrap_or("")
                ))
            }
        }
    }
    if !blocks.is_empty() {
        return fail("unmatched '{'");
    }
    for (at, label) in jumps {
        let Some(&target) = labels.get(&label) else {
            return fail(format!(
                "can't find label for jump to '{}'",
                String::from_utf8_lossy(&label)
            ));
        };
        if let Kind::Branch(c, _) = cmds[at].kind {
            cmds[at].kind = Kind::Branch(c, Some(target));
        }
    }
    Ok(Script {
        cmds,
        wfiles: p.wfiles,
        quiet,
    })
}

/// Script parser state.
struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    opts: &'a ParseOpts,
    wfiles: Vec<Vec<u8>>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip(&mut self, set: &[u8]) {
        while self.peek().is_some_and(|c| set.contains(&c)) {
            self.pos += 1;
        }
    }

    /// The rest of the line (consumed, up to the newline).
    fn rest_of_line(&mut self) -> Vec<u8> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c != b'\n') {
            self.pos += 1;
        }
        self.s[start..self.pos].to_vec()
    }

    fn number(&mut self) -> Option<u64> {
        let start = self.pos;
        let mut n: u64 = 0;
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            n = n.saturating_mul(10).saturating_add(u64::from(d - b'0'));
            self.pos += 1;
        }
        (self.pos > start).then_some(n)
    }

    /// A label for `:`, `b`, `t`, `T`: up to a newline or `;`.
    fn label(&mut self) -> Vec<u8> {
        self.skip(b" \t");
        let start = self.pos;
        while self.peek().is_some_and(|c| c != b'\n' && c != b';') {
            self.pos += 1;
        }
        let mut label = self.s[start..self.pos].to_vec();
        while label.last().is_some_and(|c| *c == b' ' || *c == b'\t') {
            label.pop();
        }
        label
    }

    /// The index of output file `name` (opened before input is read).
    fn wfile(&mut self, name: Vec<u8>) -> Result<usize, Fail> {
        if name.is_empty() {
            return fail("missing filename in r/R/w/W commands");
        }
        // Standard output is output 0, so that `w /dev/stdout` keeps its
        // place among the other lines printed.
        if name == b"/dev/stdout" {
            return Ok(0);
        }
        if let Some(i) = self.wfiles.iter().position(|n| *n == name) {
            return Ok(i + 1);
        }
        self.wfiles.push(name);
        Ok(self.wfiles.len())
    }

    /// An address, if one starts here.
    fn address(&mut self) -> Result<Option<Addr>, Fail> {
        match self.peek() {
            Some(b'0'..=b'9') => {
                let n = self.number().unwrap_or(0);
                if self.peek() == Some(b'~') {
                    self.pos += 1;
                    let step = self.number().unwrap_or(0);
                    return Ok(Some(Addr::Step(n, step)));
                }
                Ok(Some(if n == 0 { Addr::Zero } else { Addr::Line(n) }))
            }
            Some(b'$') => {
                self.pos += 1;
                Ok(Some(Addr::Last))
            }
            Some(b'/') => {
                self.pos += 1;
                Ok(Some(Addr::Re(self.address_regex(b'/')?)))
            }
            Some(b'\\') => {
                self.pos += 1;
                let Some(d) = self.peek() else {
                    return fail("unexpected end of script");
                };
                self.pos += 1;
                Ok(Some(Addr::Re(self.address_regex(d)?)))
            }
            _ => Ok(None),
        }
    }

    /// `/re/` after its first delimiter, with an optional `I` flag.
    fn address_regex(&mut self, delim: u8) -> Result<Option<Rc<Regex>>, Fail> {
        let Some(raw) = self.delimited(delim) else {
            return fail("unterminated address regex");
        };
        let mut icase = false;
        while self.peek() == Some(b'I') {
            icase = true;
            self.pos += 1;
        }
        self.regex(&raw, icase)
    }

    /// Compiles a regex (None for the empty one: "the last regex used").
    fn regex(&self, raw: &[u8], icase: bool) -> Result<Option<Rc<Regex>>, Fail> {
        if raw.is_empty() {
            return Ok(None);
        }
        let opts = Options {
            extended: self.opts.extended,
            icase,
            ..Options::default()
        };
        match Regex::with_options(raw, &opts) {
            Ok(re) => Ok(Some(Rc::new(re))),
            Err(e) => fail(format!("bad regex '{}': {e}", String::from_utf8_lossy(raw))),
        }
    }

    /// After a backslash and `n`: if `n` is `x` followed by hex digits
    /// (GNU's `\xHH`), consumes them and returns the byte.
    fn hex_escape(&mut self, n: u8) -> Option<u8> {
        if n != b'x' {
            return None;
        }
        let mut v: u8 = 0;
        let mut digits = 0;
        while digits < 2 {
            let Some(d) = self.peek().and_then(|c| (c as char).to_digit(16)) else {
                break;
            };
            v = v * 16 + d as u8;
            self.pos += 1;
            digits += 1;
        }
        (digits > 0).then_some(v)
    }

    /// Text up to the next unescaped `delim` (consumed), outside bracket
    /// expressions; `\delim` becomes `delim` and `\n` a newline.
    fn delimited(&mut self, delim: u8) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            if c == delim {
                return Some(out);
            }
            match c {
                b'\\' => {
                    let n = self.peek()?;
                    self.pos += 1;
                    if n == delim {
                        out.push(delim);
                    } else if n == b'n' {
                        out.push(b'\n');
                    } else if n == b'\n' {
                        // A backslash-newline is a newline.
                        out.push(b'\n');
                    } else if let Some(b) = self.hex_escape(n) {
                        // GNU's `\xHH` is that byte, as if typed (so
                        // `\x2e` is a dot that matches any byte there too).
                        out.push(b);
                    } else {
                        out.push(b'\\');
                        out.push(n);
                    }
                }
                b'[' => {
                    // Copy a bracket expression whole: the delimiter is an
                    // ordinary character inside it.
                    out.push(c);
                    let start = self.pos;
                    let mut i = start;
                    if self.s.get(i) == Some(&b'^') {
                        i += 1;
                    }
                    if self.s.get(i) == Some(&b']') {
                        i += 1;
                    }
                    loop {
                        match self.s.get(i) {
                            None | Some(b'\n') => {
                                // Not a bracket after all: go on normally.
                                i = start;
                                break;
                            }
                            Some(b'[') if matches!(self.s.get(i + 1), Some(b':' | b'.' | b'=')) => {
                                let kind = self.s[i + 1];
                                let mut j = i + 2;
                                while j + 1 < self.s.len()
                                    && !(self.s[j] == kind && self.s[j + 1] == b']')
                                {
                                    j += 1;
                                }
                                i = j + 2;
                            }
                            Some(b']') => {
                                i += 1;
                                break;
                            }
                            Some(_) => i += 1,
                        }
                    }
                    let end = i.min(self.s.len());
                    // GNU sed reads `\n` and `\t` in a bracket as a
                    // newline and a tab too.
                    let mut k = start;
                    while k < end && self.s[k] != b'\n' {
                        let next = self.s.get(k + 1).copied();
                        if self.s[k] == b'\\' && matches!(next, Some(b'n' | b't')) && k + 1 < end {
                            out.push(if next == Some(b'n') { b'\n' } else { b'\t' });
                            k += 2;
                        } else {
                            out.push(self.s[k]);
                            k += 1;
                        }
                    }
                    self.pos = end;
                }
                _ => out.push(c),
            }
        }
        None
    }

    /// The text of `a`, `i`, `c`: `a\` + newline + lines, or GNU's
    /// one-line `a text`.
    fn text(&mut self) -> Result<Vec<u8>, Fail> {
        self.skip(b" \t");
        if self.peek() == Some(b'\\') {
            // `a\` newline text, or GNU's `a\text` (blanks kept).
            self.pos += 1;
            if self.peek() == Some(b'\n') {
                self.pos += 1;
            }
            if self.peek().is_none() {
                return Ok(Vec::new());
            }
        } else if self.peek().is_none_or(|c| c == b'\n') {
            return fail("expected \\ after 'a', 'c' or 'i'");
        }
        let mut out = Vec::new();
        // Up to an unescaped newline, which is left for the command loop.
        while let Some(c) = self.peek().filter(|&c| c != b'\n') {
            self.pos += 1;
            if c == b'\\' {
                match self.peek() {
                    Some(n) => {
                        self.pos += 1;
                        out.push(n);
                    }
                    None => break,
                }
            } else {
                out.push(c);
            }
        }
        out.push(b'\n');
        Ok(out)
    }

    /// `s/re/repl/flags` after the `s`.
    fn subst(&mut self) -> Result<Subst, Fail> {
        let Some(delim) = self.peek().filter(|&d| d != b'\n' && d != b'\\') else {
            return fail("unterminated 's' command");
        };
        self.pos += 1;
        let Some(raw) = self.delimited(delim) else {
            return fail("unterminated 's' command");
        };
        let repl = self.replacement(delim)?;
        let mut s = Subst {
            re: None,
            repl,
            global: false,
            nth: 1,
            print: false,
            wfile: None,
        };
        let mut icase = false;
        let mut nth_seen = false;
        loop {
            match self.peek() {
                Some(b'g') => s.global = true,
                Some(b'p') => s.print = true,
                Some(b'i' | b'I') => icase = true,
                Some(b'0'..=b'9') => {
                    if nth_seen {
                        return fail("multiple number options to 's' command");
                    }
                    nth_seen = true;
                    let n = self.number().unwrap_or(0);
                    if n == 0 {
                        return fail("number option to 's' command may not be zero");
                    }
                    s.nth = n;
                    continue;
                }
                Some(b'w') => {
                    self.pos += 1;
                    self.skip(b" \t");
                    let name = self.rest_of_line();
                    s.wfile = Some(self.wfile(name)?);
                    break;
                }
                None | Some(b'\n' | b';' | b'}' | b'#' | b' ' | b'\t') => break,
                Some(_) => return fail("unknown option to 's'"),
            }
            self.pos += 1;
        }
        s.re = self.regex(&raw, icase)?;
        if let Some(re) = &s.re {
            let max = s
                .repl
                .iter()
                .filter_map(|p| match p {
                    Piece::Group(n) => Some(*n),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            if max > re.groups() {
                return fail(format!("invalid reference \\{max} on 's' command's RHS"));
            }
        }
        Ok(s)
    }

    /// The replacement of `s` up to its closing delimiter.
    fn replacement(&mut self, delim: u8) -> Result<Vec<Piece>, Fail> {
        let mut pieces = Vec::new();
        let mut lit = Vec::new();
        let flush = |lit: &mut Vec<u8>, pieces: &mut Vec<Piece>| {
            if !lit.is_empty() {
                pieces.push(Piece::Lit(std::mem::take(lit)));
            }
        };
        loop {
            let Some(c) = self.peek() else {
                return fail("unterminated 's' command");
            };
            self.pos += 1;
            if c == delim {
                break;
            }
            match c {
                b'&' => {
                    flush(&mut lit, &mut pieces);
                    pieces.push(Piece::Group(0));
                }
                b'\\' => {
                    let Some(n) = self.peek() else {
                        return fail("unterminated 's' command");
                    };
                    self.pos += 1;
                    match n {
                        b'0'..=b'9' => {
                            flush(&mut lit, &mut pieces);
                            pieces.push(Piece::Group(usize::from(n - b'0')));
                        }
                        b'n' => lit.push(b'\n'),
                        b't' => lit.push(b'\t'),
                        b'x' => match self.hex_escape(n) {
                            Some(b) => lit.push(b),
                            None => lit.push(n),
                        },
                        b'U' | b'L' | b'E' | b'u' | b'l' => {
                            flush(&mut lit, &mut pieces);
                            pieces.push(Piece::Case(n));
                        }
                        _ => lit.push(n),
                    }
                }
                _ => lit.push(c),
            }
        }
        flush(&mut lit, &mut pieces);
        Ok(pieces)
    }

    /// `y/src/dst/` after the `y`.
    fn translate(&mut self) -> Result<Box<[u8; 256]>, Fail> {
        let Some(delim) = self.peek().filter(|&d| d != b'\n' && d != b'\\') else {
            return fail("unterminated 'y' command");
        };
        self.pos += 1;
        let mut part = || -> Result<Vec<u8>, Fail> {
            let mut out = Vec::new();
            loop {
                let Some(c) = self.peek() else {
                    return fail("unterminated 'y' command");
                };
                self.pos += 1;
                if c == delim {
                    return Ok(out);
                }
                if c == b'\\' {
                    let Some(n) = self.peek() else {
                        return fail("unterminated 'y' command");
                    };
                    self.pos += 1;
                    out.push(match n {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'\\' => b'\\',
                        _ if n == delim => delim,
                        _ => return fail("unknown option to 'y'"),
                    });
                } else {
                    out.push(c);
                }
            }
        };
        let src = part()?;
        let dst = part()?;
        if src.len() != dst.len() {
            return fail("strings for 'y' command are different lengths");
        }
        let mut map = Box::new([0u8; 256]);
        for (i, m) in map.iter_mut().enumerate() {
            *m = i as u8;
        }
        for (s, d) in src.iter().zip(dst.iter()) {
            map[*s as usize] = *d;
        }
        Ok(map)
    }
}

/// An output: stdout, a `w` file, or the temporary file of `-i`.
struct Output {
    w: Box<dyn Write>,
    /// The last line written lacked its newline (the input's last line
    /// did): one is owed before anything else is written.
    missing_newline: bool,
}

impl Output {
    fn new(w: Box<dyn Write>) -> Output {
        Output {
            w,
            missing_newline: false,
        }
    }

    /// Writes a line, with its terminator unless `chomped` is false.
    fn line(&mut self, data: &[u8], chomped: bool, eol: u8) -> io::Result<()> {
        self.owed(eol)?;
        self.w.write_all(data)?;
        if chomped {
            self.w.write_all(&[eol])
        } else {
            self.missing_newline = true;
            Ok(())
        }
    }

    /// Writes text that carries its own newlines.
    fn text(&mut self, data: &[u8], eol: u8) -> io::Result<()> {
        self.owed(eol)?;
        self.w.write_all(data)
    }

    fn owed(&mut self, eol: u8) -> io::Result<()> {
        if std::mem::take(&mut self.missing_newline) {
            self.w.write_all(&[eol])?;
        }
        Ok(())
    }
}

/// The input: files read one after the other as one stream (or one file
/// for -s and -i), one line ahead so that `$` is known.
struct Input {
    files: std::collections::VecDeque<OsString>,
    reader: Option<Box<dyn BufRead>>,
    /// The next line and whether it ended with the terminator.
    ahead: Option<(Vec<u8>, bool)>,
    name: Vec<u8>,
    /// Name of the file the `ahead` line comes from.
    ahead_name: Vec<u8>,
    eol: u8,
    /// Some input file could not be read.
    failed: bool,
}

impl Input {
    fn new(files: Vec<OsString>, eol: u8) -> Input {
        Input {
            files: files.into(),
            reader: None,
            ahead: None,
            name: Vec::new(),
            ahead_name: Vec::new(),
            eol,
            failed: false,
        }
    }

    /// Loads the line after the current one, opening files as needed.
    fn fill(&mut self) -> Result<(), Fail> {
        while self.ahead.is_none() {
            if self.reader.is_none() {
                let Some(name) = self.files.pop_front() else {
                    return Ok(());
                };
                if name.as_bytes() == b"-" {
                    self.reader = Some(Box::new(BufReader::with_capacity(128 * 1024, io::stdin())));
                } else {
                    match File::open(&name) {
                        Ok(f) => {
                            if f.metadata().is_ok_and(|m| m.is_dir()) {
                                eprintln!("sed: read error on {}: Is a directory", lossy(&name));
                                self.failed = true;
                                continue;
                            }
                            self.reader = Some(Box::new(BufReader::with_capacity(128 * 1024, f)));
                        }
                        Err(e) => {
                            eprintln!("sed: {}: {}", lossy(&name), strerror(&e));
                            self.failed = true;
                            continue;
                        }
                    }
                }
                self.ahead_name = name.as_bytes().to_vec();
            }
            let Some(reader) = self.reader.as_mut() else {
                continue;
            };
            let mut line = Vec::new();
            match reader.read_until(self.eol, &mut line) {
                Ok(0) => self.reader = None,
                Ok(_) => {
                    let chomped = line.last() == Some(&self.eol);
                    if chomped {
                        line.pop();
                    }
                    self.ahead = Some((line, chomped));
                }
                Err(e) => {
                    return Err(Fail(
                        format!(
                            "read error on {}: {}",
                            String::from_utf8_lossy(&self.ahead_name),
                            strerror(&e)
                        ),
                        EXIT_INPUT,
                    ))
                }
            }
        }
        Ok(())
    }

    /// The next line, if any.
    fn next(&mut self) -> Result<Option<(Vec<u8>, bool)>, Fail> {
        self.fill()?;
        let line = self.ahead.take();
        if line.is_some() && self.name != self.ahead_name {
            self.name.clone_from(&self.ahead_name);
        }
        Ok(line)
    }

    /// Whether the current line is the last one.
    fn is_last(&mut self) -> Result<bool, Fail> {
        self.fill()?;
        Ok(self.ahead.is_none())
    }
}

/// What is queued for the end of the cycle (`a`, `r`).
enum Queued {
    Text(Vec<u8>),
    File(Vec<u8>),
}

/// How a cycle ended.
#[derive(PartialEq, Eq)]
enum Flow {
    /// Normally (autoprint applies).
    End,
    /// `d`, `c`: no autoprint.
    Deleted,
    /// `D` with a newline: restart without reading.
    Restart,
    /// `q`: autoprint, then stop with this status.
    Quit(i32),
    /// `Q`: stop now.
    QuitSilent(i32),
    /// `n`/`N` found no more input: autoprint (GNU) and stop.
    NoInput,
}

/// The editor's state.
struct Sed {
    cmds: Vec<Cmd>,
    ranges: Vec<Range>,
    outs: Vec<Output>,
    /// Which output is "standard output" (the temporary file with -i).
    main: usize,
    quiet: bool,
    eol: u8,
    line_wrap: usize,
    hold: Vec<u8>,
    last_re: Option<Rc<Regex>>,
    queue: Vec<Queued>,
    lineno: u64,
    tflag: bool,
    posix: bool,
}

/// Why processing stopped.
enum Stop {
    /// All input done.
    Done,
    /// `q`/`Q` with a status.
    Quit(i32),
}

impl Sed {
    /// Runs the script over `input`.
    fn run(&mut self, input: &mut Input) -> Result<Stop, Fail> {
        let mut ps: Vec<u8> = Vec::new();
        let mut chomped = true;
        let mut restart = false;
        loop {
            if !restart {
                let Some((line, c)) = input.next()? else {
                    return Ok(Stop::Done);
                };
                ps = line;
                chomped = c;
                self.lineno += 1;
                self.tflag = false;
            }
            restart = false;
            let flow = self.cycle(input, &mut ps, &mut chomped)?;
            let eol = self.eol;
            match flow {
                Flow::End | Flow::Quit(_) | Flow::NoInput => {
                    if !self.quiet {
                        self.outs[self.main]
                            .line(&ps, chomped, eol)
                            .map_err(write_fail)?;
                    }
                }
                Flow::Restart => restart = true,
                Flow::Deleted | Flow::QuitSilent(_) => {}
            }
            if !matches!(flow, Flow::QuitSilent(_)) {
                self.flush_queue()?;
            }
            match flow {
                Flow::Quit(n) | Flow::QuitSilent(n) => return Ok(Stop::Quit(n)),
                Flow::NoInput => return Ok(Stop::Done),
                _ => {}
            }
        }
    }

    /// Writes what `a` and `r` queued.
    fn flush_queue(&mut self) -> Result<(), Fail> {
        let eol = self.eol;
        for q in std::mem::take(&mut self.queue) {
            let out = &mut self.outs[self.main];
            match q {
                Queued::Text(t) => out.text(&t, eol).map_err(write_fail)?,
                Queued::File(name) => {
                    // A file that cannot be read is silently ignored.
                    if let Ok(data) = std::fs::read(OsStr::from_bytes(&name)) {
                        if !data.is_empty() {
                            // Written as is: GNU adds no newline either.
                            out.text(&data, eol).map_err(write_fail)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether command `i` applies to the current line.
    fn selected(&mut self, i: usize, input: &mut Input, ps: &[u8]) -> Result<bool, Fail> {
        let cmd = &self.cmds[i];
        let Some(a1) = cmd.a1.clone() else {
            return Ok(!cmd.negate);
        };
        let negate = cmd.negate;
        let Some(a2) = cmd.a2.clone() else {
            let m = self.addr(&a1, input, ps)?;
            return Ok(m != negate);
        };
        let n = self.lineno;
        let mut st = self.ranges[i];
        let m = if st.active {
            match &a2 {
                Addr2::Addr(Addr::Line(l)) => {
                    if n >= *l {
                        st.active = false;
                    }
                }
                Addr2::Plus(_) => {
                    if n >= st.end {
                        st.active = false;
                    }
                }
                Addr2::Multiple(m) => {
                    if *m == 0 || n.is_multiple_of(*m) {
                        st.active = false;
                    }
                }
                Addr2::Addr(a) => {
                    if self.addr(a, input, ps)? {
                        st.active = false;
                    }
                }
            }
            true
        } else if self.addr(&a1, input, ps)? {
            st.active = true;
            match &a2 {
                Addr2::Addr(Addr::Line(l)) => st.active = *l > n,
                Addr2::Plus(p) => {
                    st.end = n.saturating_add(*p);
                    st.active = *p > 0;
                }
                // GNU: up to the *next* multiple of m.
                Addr2::Multiple(m) => st.active = *m > 0,
                Addr2::Addr(Addr::Last) => st.active = !input.is_last()?,
                _ => {}
            }
            true
        } else {
            false
        };
        self.ranges[i] = st;
        Ok(m != negate)
    }

    /// Whether a single address matches the current line.
    fn addr(&mut self, a: &Addr, input: &mut Input, ps: &[u8]) -> Result<bool, Fail> {
        Ok(match a {
            Addr::Line(l) => self.lineno == *l,
            Addr::Last => input.is_last()?,
            Addr::Step(first, step) => {
                if *step == 0 {
                    self.lineno == *first
                } else {
                    self.lineno >= *first && (self.lineno - first).is_multiple_of(*step)
                }
            }
            Addr::Zero => false,
            Addr::Re(re) => self.regex(re)?.is_match(ps),
        })
    }

    /// The regex to use: `re`, or the last one used for `//`.
    fn regex(&mut self, re: &Option<Rc<Regex>>) -> Result<Rc<Regex>, Fail> {
        match re {
            Some(re) => {
                self.last_re = Some(re.clone());
                Ok(re.clone())
            }
            None => match &self.last_re {
                Some(re) => Ok(re.clone()),
                None => fail("no previous regular expression"),
            },
        }
    }

    /// Runs the commands once over the pattern space.
    fn cycle(
        &mut self,
        input: &mut Input,
        ps: &mut Vec<u8>,
        chomped: &mut bool,
    ) -> Result<Flow, Fail> {
        let eol = self.eol;
        let mut pc = 0;
        while pc < self.cmds.len() {
            if !self.selected(pc, input, ps)? {
                pc = match self.cmds[pc].kind {
                    Kind::Block(end) => end,
                    _ => pc + 1,
                };
                continue;
            }
            let main = self.main;
            match &self.cmds[pc].kind {
                Kind::Block(_) | Kind::EndBlock | Kind::Label => {}
                Kind::Eq => {
                    let text = format!("{}\n", self.lineno);
                    self.outs[main]
                        .text(text.as_bytes(), eol)
                        .map_err(write_fail)?;
                }
                Kind::Append(t) => self.queue.push(Queued::Text(t.clone())),
                Kind::Insert(t) => {
                    let t = t.clone();
                    self.outs[main].text(&t, eol).map_err(write_fail)?;
                }
                Kind::Change(t) => {
                    let t = t.clone();
                    let cmd = &self.cmds[pc];
                    // In a range, the text replaces the whole range: it is
                    // printed at its last line only.
                    let in_range = cmd.a2.is_some() && !cmd.negate;
                    if !in_range || !self.ranges[pc].active {
                        self.outs[main].text(&t, eol).map_err(write_fail)?;
                    }
                    return Ok(Flow::Deleted);
                }
                Kind::Branch(c, target) => {
                    let jump = match c {
                        b'b' => true,
                        b't' => std::mem::take(&mut self.tflag),
                        _ => !std::mem::take(&mut self.tflag),
                    };
                    if jump {
                        match target {
                            Some(t) => pc = *t,
                            None => return Ok(Flow::End),
                        }
                        continue;
                    }
                }
                Kind::Delete => return Ok(Flow::Deleted),
                Kind::DeleteFirst => match ps.iter().position(|&b| b == b'\n') {
                    None => return Ok(Flow::Deleted),
                    Some(i) => {
                        ps.drain(..=i);
                        return Ok(Flow::Restart);
                    }
                },
                Kind::Get => ps.clone_from(&self.hold),
                Kind::GetAppend => {
                    ps.push(b'\n');
                    ps.extend_from_slice(&self.hold);
                }
                Kind::Hold => self.hold.clone_from(ps),
                Kind::HoldAppend => {
                    self.hold.push(b'\n');
                    self.hold.extend_from_slice(ps);
                }
                Kind::Exchange => std::mem::swap(ps, &mut self.hold),
                Kind::List(width) => {
                    let width = width.unwrap_or(self.line_wrap);
                    let text = list(ps, width);
                    self.outs[main].text(&text, eol).map_err(write_fail)?;
                }
                Kind::Next | Kind::NextAppend => {
                    let append = matches!(self.cmds[pc].kind, Kind::NextAppend);
                    if input.is_last()? {
                        // GNU prints the pattern space (unless -n) when N
                        // finds no more input; POSIX sed just quits.
                        if append && self.posix {
                            return Ok(Flow::Deleted);
                        }
                        return Ok(Flow::NoInput);
                    }
                    if !append && !self.quiet {
                        self.outs[main]
                            .line(ps, *chomped, eol)
                            .map_err(write_fail)?;
                    }
                    self.flush_queue()?;
                    let Some((line, c)) = input.next()? else {
                        return Ok(Flow::NoInput);
                    };
                    self.lineno += 1;
                    *chomped = c;
                    if append {
                        ps.push(b'\n');
                        ps.extend_from_slice(&line);
                    } else {
                        *ps = line;
                    }
                }
                Kind::Print => self.outs[main]
                    .line(ps, *chomped, eol)
                    .map_err(write_fail)?,
                Kind::PrintFirst => {
                    let out = &mut self.outs[main];
                    match ps.iter().position(|&b| b == b'\n') {
                        Some(end) => out.line(&ps[..end], true, eol),
                        None => out.line(ps, *chomped, eol),
                    }
                    .map_err(write_fail)?;
                }
                Kind::Quit(n) => return Ok(Flow::Quit(*n)),
                Kind::QuitSilent(n) => return Ok(Flow::QuitSilent(*n)),
                Kind::ReadFile(name) => self.queue.push(Queued::File(name.clone())),
                Kind::Write(i) => {
                    let i = *i;
                    self.outs[i].line(ps, *chomped, eol).map_err(write_fail)?;
                }
                Kind::Subst(_) => {
                    if self.substitute(pc, ps)? {
                        self.tflag = true;
                        let Kind::Subst(s) = &self.cmds[pc].kind else {
                            unreachable!()
                        };
                        let (print, wfile) = (s.print, s.wfile);
                        if print {
                            self.outs[main]
                                .line(ps, *chomped, eol)
                                .map_err(write_fail)?;
                        }
                        if let Some(w) = wfile {
                            self.outs[w].line(ps, *chomped, eol).map_err(write_fail)?;
                        }
                    }
                }
                Kind::Translate(map) => {
                    for b in ps.iter_mut() {
                        *b = map[*b as usize];
                    }
                }
                Kind::Zap => ps.clear(),
                Kind::FileName => {
                    let mut name = if input.name.is_empty() {
                        b"-".to_vec()
                    } else {
                        input.name.clone()
                    };
                    name.push(b'\n');
                    self.outs[main].text(&name, eol).map_err(write_fail)?;
                }
            }
            pc += 1;
        }
        Ok(Flow::End)
    }

    /// Runs the `s` command at `pc`; whether it replaced anything.
    fn substitute(&mut self, pc: usize, ps: &mut Vec<u8>) -> Result<bool, Fail> {
        let Kind::Subst(s) = &self.cmds[pc].kind else {
            return Ok(false);
        };
        let re_opt = s.re.clone();
        let re = self.regex(&re_opt)?;
        let Kind::Subst(s) = &self.cmds[pc].kind else {
            return Ok(false);
        };
        // The yes/no automaton is much faster than finding the groups:
        // most lines are ruled out by it.
        if !re.is_match(ps) {
            return Ok(false);
        }
        let mut out = Vec::new();
        let mut copied = 0;
        let mut pos = 0;
        let mut count = 0u64;
        let mut replaced = false;
        // End of the previous non-empty match: an empty match right there
        // does not count (`s/b*/X/g` on "abc" gives "XaXcX").
        let mut prev_end: Option<usize> = None;
        while pos <= ps.len() {
            let Some(caps) = re.captures_at(ps, pos) else {
                break;
            };
            let Some(Some((start, end))) = caps.first().copied() else {
                break;
            };
            if start == end && prev_end == Some(start) {
                pos = start + 1;
                continue;
            }
            count += 1;
            if count >= s.nth {
                out.extend_from_slice(&ps[copied..start]);
                expand(&s.repl, &caps, ps, &mut out);
                copied = end;
                replaced = true;
                if !s.global {
                    break;
                }
            }
            if end > start {
                prev_end = Some(end);
                pos = end;
            } else {
                pos = end + 1;
            }
        }
        if replaced {
            out.extend_from_slice(&ps[copied..]);
            *ps = out;
        }
        Ok(replaced)
    }
}

/// Appends the replacement `repl` for a match with `caps` in `ps`.
fn expand(repl: &[Piece], caps: &[Option<(usize, usize)>], ps: &[u8], out: &mut Vec<u8>) {
    // Case conversion: the lasting mode (`\U`, `\L`) and a one-shot one
    // (`\u`, `\l`) for the next byte.
    let mut mode = b'E';
    let mut once: Option<u8> = None;
    let push = |bytes: &[u8], mode: u8, once: &mut Option<u8>, out: &mut Vec<u8>| {
        for &b in bytes {
            let b = match std::mem::take(once) {
                Some(b'u') => b.to_ascii_uppercase(),
                Some(_) => b.to_ascii_lowercase(),
                None => match mode {
                    b'U' => b.to_ascii_uppercase(),
                    b'L' => b.to_ascii_lowercase(),
                    _ => b,
                },
            };
            out.push(b);
        }
    };
    for piece in repl {
        match piece {
            Piece::Lit(l) => push(l, mode, &mut once, out),
            Piece::Group(n) => {
                if let Some(Some((a, b))) = caps.get(*n) {
                    push(&ps[*a..*b], mode, &mut once, out);
                }
            }
            Piece::Case(c @ (b'u' | b'l')) => once = Some(*c),
            Piece::Case(c) => {
                mode = *c;
                once = None;
            }
        }
    }
}

/// The `l` form of `ps`: escapes, octal for other bytes, lines wrapped at
/// `width` (0 or 1: no wrapping), `$` at the end.
fn list(ps: &[u8], width: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut col = 0;
    for &b in ps {
        let esc: Vec<u8> = match b {
            b'\\' => b"\\\\".to_vec(),
            0x07 => b"\\a".to_vec(),
            0x08 => b"\\b".to_vec(),
            0x0c => b"\\f".to_vec(),
            b'\n' => b"\\n".to_vec(),
            b'\r' => b"\\r".to_vec(),
            b'\t' => b"\\t".to_vec(),
            0x0b => b"\\v".to_vec(),
            0x20..=0x7e => vec![b],
            _ => format!("\\{b:03o}").into_bytes(),
        };
        if width > 1 && col + esc.len() > width - 1 {
            out.extend_from_slice(b"\\\n");
            col = 0;
        }
        col += esc.len();
        out.extend_from_slice(&esc);
    }
    out.extend_from_slice(b"$\n");
    out
}

fn write_fail(e: io::Error) -> Fail {
    if e.kind() == io::ErrorKind::BrokenPipe {
        // Quietly, like a C program killed by SIGPIPE.
        return Fail(String::new(), EXIT_IO);
    }
    Fail(format!("couldn't write: {}", strerror(&e)), EXIT_IO)
}

/// Takes `-i[SUFFIX]` and `--in-place[=SUFFIX]` out of `args` (getopt has
/// no optional arguments); returns the suffix if in-place editing was asked.
fn take_in_place(args: &mut Vec<OsString>) -> Option<Vec<u8>> {
    let mut suffix = None;
    let mut i = 1;
    while i < args.len() {
        let a = args[i].as_bytes().to_vec();
        if a == b"--" {
            break;
        }
        if a == b"--in-place" || a.starts_with(b"--in-place=") {
            suffix = Some(a.get(11..).unwrap_or_default().to_vec());
            args.remove(i);
            continue;
        }
        if a.starts_with(b"--") {
            if matches!(&a[..], b"--expression" | b"--file" | b"--line-length") {
                i += 1;
            }
            i += 1;
            continue;
        }
        if a.len() < 2 || a[0] != b'-' {
            i += 1;
            continue;
        }
        let mut j = 1;
        let mut skip_next = false;
        while j < a.len() {
            match a[j] {
                b'e' | b'f' | b'l' => {
                    skip_next = j + 1 == a.len();
                    break;
                }
                b'i' => {
                    suffix = Some(a[j + 1..].to_vec());
                    let rest = &a[..j];
                    if rest == b"-" {
                        args.remove(i);
                        i -= 1;
                    } else {
                        args[i] = OsStr::from_bytes(rest).to_os_string();
                    }
                    break;
                }
                _ => j += 1,
            }
        }
        i += 1 + usize::from(skip_next);
    }
    suffix
}

/// Entry point.
pub fn main(mut args: Vec<OsString>) -> i32 {
    let in_place = take_in_place(&mut args);
    let p = match getopt(&args, "e:f:nrEszl:P", LONG, true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut script = Vec::new();
    let mut have_script = false;
    for (c, v) in &p.opts {
        match c {
            'e' => {
                have_script = true;
                script.extend_from_slice(v.as_deref().unwrap_or_default().as_bytes());
                script.push(b'\n');
            }
            'f' => {
                have_script = true;
                let name = v.as_deref().unwrap_or_default();
                let data = if name.as_bytes() == b"-" {
                    let mut d = Vec::new();
                    io::stdin().lock().read_to_end(&mut d).map(|_| d)
                } else {
                    std::fs::read(name)
                };
                match data {
                    Ok(d) => {
                        script.extend_from_slice(&d);
                        if !d.ends_with(b"\n") {
                            script.push(b'\n');
                        }
                    }
                    Err(e) => {
                        eprintln!("sed: couldn't open file {}: {}", lossy(name), strerror(&e));
                        return EXIT_SCRIPT;
                    }
                }
            }
            _ => {}
        }
    }
    let mut files = p.operands.clone();
    if !have_script {
        if files.is_empty() {
            crate::common::print_usage_brief("sed");
            return EXIT_SCRIPT;
        }
        script = files.remove(0).as_bytes().to_vec();
    }
    let line_wrap = match p.value('l').map(|v| {
        std::str::from_utf8(v.as_bytes())
            .ok()
            .and_then(|s| s.parse().ok())
    }) {
        None => 70,
        Some(Some(n)) => n,
        Some(None) => {
            eprintln!("sed: invalid line length");
            return EXIT_SCRIPT;
        }
    };
    let parsed = match parse_script(
        &script,
        &ParseOpts {
            extended: p.has('E') || p.has('r'),
        },
    ) {
        Ok(s) => s,
        Err(Fail(msg, code)) => {
            eprintln!("sed: {msg}");
            return code;
        }
    };
    let stdout: Box<dyn Write> = Box::new(io::BufWriter::with_capacity(64 * 1024, io::stdout()));
    let mut outs = vec![Output::new(stdout)];
    for name in &parsed.wfiles {
        let w: Box<dyn Write> = match &name[..] {
            b"/dev/stderr" => Box::new(io::stderr()),
            _ => match File::create(OsStr::from_bytes(name)) {
                Ok(f) => Box::new(io::BufWriter::new(f)),
                Err(e) => {
                    eprintln!(
                        "sed: couldn't open file {}: {}",
                        String::from_utf8_lossy(name),
                        strerror(&e)
                    );
                    return EXIT_IO;
                }
            },
        };
        outs.push(Output::new(w));
    }
    let ncmds = parsed.cmds.len();
    let mut ranges = vec![Range::default(); ncmds];
    for (r, c) in ranges.iter_mut().zip(&parsed.cmds) {
        // `0,/re/` is in its range before line 1.
        r.active = matches!(c.a1, Some(Addr::Zero));
    }
    let eol = if p.has('z') { 0 } else { b'\n' };
    let mut sed = Sed {
        cmds: parsed.cmds,
        ranges,
        outs,
        main: 0,
        quiet: p.has('n') || parsed.quiet,
        eol,
        line_wrap,
        hold: Vec::new(),
        last_re: None,
        queue: Vec::new(),
        lineno: 0,
        tflag: false,
        posix: p.has('P'),
    };
    let status = if let Some(suffix) = in_place {
        if files.is_empty() {
            eprintln!("sed: no input files");
            return EXIT_SCRIPT;
        }
        edit_in_place(&mut sed, &files, &suffix)
    } else {
        stream(&mut sed, files, p.has('s'), eol)
    };
    for out in &mut sed.outs {
        if let Err(e) = out.w.flush() {
            if e.kind() != io::ErrorKind::BrokenPipe {
                eprintln!("sed: couldn't flush: {}", strerror(&e));
            }
            return EXIT_IO;
        }
    }
    status
}

/// Runs over the files as one stream (or, with -s, one at a time).
fn stream(sed: &mut Sed, files: Vec<OsString>, separate: bool, eol: u8) -> i32 {
    let files = if files.is_empty() {
        vec![OsString::from("-")]
    } else {
        files
    };
    let groups: Vec<Vec<OsString>> = if separate {
        files.into_iter().map(|f| vec![f]).collect()
    } else {
        vec![files]
    };
    let mut status = 0;
    for group in groups {
        let mut input = Input::new(group, eol);
        if separate {
            sed.lineno = 0;
        }
        let r = sed.run(&mut input);
        if input.failed {
            status = EXIT_INPUT;
        }
        match r {
            Ok(Stop::Done) => {}
            Ok(Stop::Quit(n)) => return n,
            Err(Fail(msg, code)) => {
                if !msg.is_empty() {
                    eprintln!("sed: {msg}");
                }
                return code;
            }
        }
    }
    status
}

/// `-i`: each file is edited through a temporary file in its directory,
/// renamed over it only when all went well, so a failure never loses it.
fn edit_in_place(sed: &mut Sed, files: &[OsString], suffix: &[u8]) -> i32 {
    let mut status = 0;
    for name in files {
        let path = Path::new(name);
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("sed: can't read {}: {}", lossy(name), strerror(&e));
                status = status.max(EXIT_INPUT);
                continue;
            }
        };
        if !meta.is_file() {
            eprintln!("sed: couldn't edit {}: not a regular file", lossy(name));
            status = status.max(EXIT_IO);
            continue;
        }
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let (tmp_path, tmp) = match temp_file(dir, meta.permissions().mode() & 0o7777) {
            Ok(t) => t,
            Err(e) => {
                eprintln!(
                    "sed: couldn't open temporary file in {}: {}",
                    dir.display(),
                    strerror(&e)
                );
                return EXIT_IO;
            }
        };
        // Keep the owner where allowed (root editing another's file).
        let _ = std::os::unix::fs::fchown(&tmp, Some(meta.uid()), Some(meta.gid()));
        let tmp_index = sed.outs.len();
        sed.outs
            .push(Output::new(Box::new(io::BufWriter::with_capacity(
                64 * 1024,
                tmp,
            ))));
        sed.main = tmp_index;
        sed.lineno = 0;
        let mut input = Input::new(vec![name.clone()], sed.eol);
        let result = sed.run(&mut input);
        sed.main = 0;
        let mut out = sed.outs.pop().map(|o| o.w);
        let flushed = out.as_mut().map_or(Ok(()), |w| w.flush());
        drop(out);
        let failed = input.failed || result.is_err() || flushed.is_err();
        if failed {
            let _ = std::fs::remove_file(&tmp_path);
            if let Err(Fail(msg, _)) = &result {
                if !msg.is_empty() {
                    eprintln!("sed: {msg}");
                }
            }
            if let Err(e) = &flushed {
                eprintln!(
                    "sed: couldn't write {}: {}",
                    tmp_path.display(),
                    strerror(e)
                );
            }
            return match result {
                Err(Fail(_, code)) => code,
                _ => EXIT_IO,
            };
        }
        if !suffix.is_empty() {
            let backup = backup_name(path, suffix);
            if let Err(e) = std::fs::hard_link(path, &backup).or_else(|_| {
                let _ = std::fs::remove_file(&backup);
                std::fs::hard_link(path, &backup)
            }) {
                let _ = std::fs::remove_file(&tmp_path);
                eprintln!("sed: cannot rename {}: {}", lossy(name), strerror(&e));
                return EXIT_IO;
            }
        }
        if let Err(e) = std::fs::rename(&tmp_path, path) {
            let _ = std::fs::remove_file(&tmp_path);
            eprintln!(
                "sed: cannot rename {}: {}",
                tmp_path.display(),
                strerror(&e)
            );
            return EXIT_IO;
        }
        if let Ok(Stop::Quit(n)) = result {
            return n;
        }
    }
    status
}

/// Creates a new file in `dir` with mode `mode`, with a name no other file
/// has.
fn temp_file(dir: &Path, mode: u32) -> io::Result<(PathBuf, File)> {
    let pid = std::process::id();
    let mut last = io::Error::from(io::ErrorKind::AlreadyExists);
    for n in 0..1000u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = dir.join(format!(
            ".sed{pid:x}{:06x}",
            (nanos ^ n.wrapping_mul(2654435761)) & 0xff_ffff
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(f) => {
                f.set_permissions(std::fs::Permissions::from_mode(mode))?;
                return Ok((path, f));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = e,
            Err(e) => return Err(e),
        }
    }
    Err(last)
}

/// The backup name for `-iSUFFIX`: the suffix appended, or with `*` in
/// it, the suffix with `*` replaced by the file's base name.
fn backup_name(path: &Path, suffix: &[u8]) -> PathBuf {
    let base = path
        .file_name()
        .map(|b| b.as_bytes().to_vec())
        .unwrap_or_default();
    if suffix.contains(&b'*') {
        let mut name = Vec::new();
        for &b in suffix {
            if b == b'*' {
                name.extend_from_slice(&base);
            } else {
                name.push(b);
            }
        }
        let name = PathBuf::from(OsStr::from_bytes(&name));
        if name.components().count() > 1 {
            return name;
        }
        return path.with_file_name(name);
    }
    let mut name = path.as_os_str().as_bytes().to_vec();
    name.extend_from_slice(suffix);
    PathBuf::from(OsStr::from_bytes(&name))
}
