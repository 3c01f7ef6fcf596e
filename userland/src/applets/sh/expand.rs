//! Word expansion (XCU 2.6): tilde, parameter, command and arithmetic
//! substitution, field splitting of the unquoted results, then pathname
//! expansion.
//!
//! Pattern matching must know which bytes were quoted, so when a word is
//! expanded as a pattern (for globbing, `case` and `${x%pat}`) [`Fields`]
//! escapes quoted metacharacters with a backslash, the form
//! [`pattern`](super::pattern) reads.

use std::borrow::Cow;

use super::arith;
use super::ast::{Param, ParamOp, Word, WordPart};
use super::exec::{Flow, Shell};
use super::lexer::is_name;
use super::pattern;

/// The default field separators when `IFS` is unset.
const DEFAULT_IFS: &[u8] = b" \t\n";

/// A set of bytes (the IFS characters), each tested in constant time.
#[derive(Debug, Clone, Copy, Default)]
struct ByteSet([u64; 4]);

impl ByteSet {
    /// The set of the bytes in `s`.
    fn of(s: &[u8]) -> Self {
        let mut set = ByteSet::default();
        for &c in s {
            set.0[usize::from(c >> 6)] |= 1 << (c & 63);
        }
        set
    }

    /// Whether `c` is in the set.
    fn contains(self, c: u8) -> bool {
        self.0[usize::from(c >> 6)] & (1 << (c & 63)) != 0
    }
}

/// Fields under construction.
struct Fields {
    /// Finished fields.
    out: Vec<Vec<u8>>,
    /// The field being built.
    cur: Vec<u8>,
    /// Whether `cur` is a field even if empty (it contains quotes or text).
    has: bool,
    /// Whether unquoted expansion results are split (not in assignments and
    /// redirection targets).
    split: bool,
    /// The separators, when splitting.
    ifs: ByteSet,
    /// Whether the result is a pattern: quoted bytes are escaped.
    glob: bool,
}

impl Fields {
    /// Fields for splitting with `ifs` (or, when `None`, not splitting).
    fn new(ifs: Option<ByteSet>, glob: bool) -> Self {
        Fields {
            out: Vec::new(),
            cur: Vec::new(),
            has: false,
            split: ifs.is_some(),
            ifs: ifs.unwrap_or_default(),
            glob,
        }
    }

    /// Appends quoted text, which is not split and matches literally.
    fn push(&mut self, s: &[u8]) {
        let meta = |c: &u8| matches!(c, b'*' | b'?' | b'[' | b']' | b'\\');
        if self.glob && s.iter().any(meta) {
            for &c in s {
                if matches!(c, b'*' | b'?' | b'[' | b']' | b'\\') {
                    self.cur.push(b'\\');
                }
                self.cur.push(c);
            }
        } else {
            self.cur.extend_from_slice(s);
        }
        self.has = true;
    }

    /// Appends unquoted text whose metacharacters are active in patterns;
    /// only a backslash (which would otherwise escape) is escaped.
    fn push_active(&mut self, s: &[u8]) {
        if self.glob && s.contains(&b'\\') {
            for &c in s {
                if c == b'\\' {
                    self.cur.push(b'\\');
                }
                self.cur.push(c);
            }
        } else {
            self.cur.extend_from_slice(s);
        }
        self.has = true;
    }

    /// Ends the current field.
    fn end_field(&mut self) {
        self.out.push(std::mem::take(&mut self.cur));
        self.has = false;
    }

    /// Appends the result of an unquoted expansion, splitting it at IFS
    /// characters: runs of IFS white space separate fields, each other IFS
    /// character ends one (so `a::b` with `IFS=:` is three fields).
    fn push_split(&mut self, s: &[u8]) {
        if !self.split {
            self.push_active(s);
            return;
        }
        let ifs = self.ifs;
        let is_ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n');
        let mut i = 0;
        while i < s.len() {
            // The text up to the next separator, in one piece.
            let run = s[i..].iter().position(|&c| ifs.contains(c));
            let end = run.map_or(s.len(), |n| i + n);
            if end > i {
                self.push_active(&s[i..end]);
                i = end;
                continue;
            }
            // One delimiter: IFS white space, optionally one other IFS
            // character, then IFS white space.
            let mut j = i;
            while j < s.len() && is_ws(s[j]) && ifs.contains(s[j]) {
                j += 1;
            }
            let mut hard = false;
            if j < s.len() && ifs.contains(s[j]) && !is_ws(s[j]) {
                hard = true;
                j += 1;
                while j < s.len() && is_ws(s[j]) && ifs.contains(s[j]) {
                    j += 1;
                }
            }
            if self.has || hard {
                self.end_field();
            }
            i = j;
        }
    }
}

impl Shell {
    /// The separators for field splitting.
    fn ifs(&self) -> ByteSet {
        ByteSet::of(self.vars.get(b"IFS").unwrap_or(DEFAULT_IFS))
    }

    /// Expands command words into fields, then expands the fields that are
    /// patterns into the paths they match (unless `set -f`).
    pub fn expand_words(&mut self, words: &[Word]) -> Result<Vec<Vec<u8>>, Flow> {
        let glob = !self.opts.noglob;
        let mut f = Fields::new(Some(self.ifs()), glob);
        for w in words {
            self.expand_parts(&w.parts, &mut f, false)?;
            if f.has {
                f.end_field();
            }
        }
        if !glob {
            return Ok(f.out);
        }
        if !f.out.iter().any(|field| pattern::has_meta(field)) {
            // No pattern: the fields only lose their escapes, in place.
            for field in f.out.iter_mut() {
                pattern::unescape_in_place(field);
            }
            return Ok(f.out);
        }
        let mut out = Vec::with_capacity(f.out.len());
        for mut field in f.out {
            let found = if pattern::has_meta(&field) {
                pattern::glob(&field)
            } else {
                Vec::new()
            };
            // A pattern that matches nothing stays as written.
            if found.is_empty() {
                pattern::unescape_in_place(&mut field);
                out.push(field);
            } else {
                out.extend(found);
            }
        }
        Ok(out)
    }

    /// Expands a word to one string, without field splitting (assignment
    /// values, redirection targets, `${x=word}`).
    pub fn expand_single(&mut self, word: &Word) -> Result<Vec<u8>, Flow> {
        self.expand_one(word, false)
    }

    /// Expands a word to a pattern for [`pattern::matches`]: one string in
    /// which quoted bytes are escaped. A plain word (`a*` in `case`) is its
    /// own pattern and is not copied.
    pub fn expand_pattern<'w>(&mut self, word: &'w Word) -> Result<Cow<'w, [u8]>, Flow> {
        match literal_pattern(word) {
            Some(p) => Ok(Cow::Borrowed(p)),
            None => self.expand_one(word, true).map(Cow::Owned),
        }
    }

    /// Expands a word to one string, as a pattern with `glob`.
    fn expand_one(&mut self, word: &Word, glob: bool) -> Result<Vec<u8>, Flow> {
        let mut f = Fields::new(None, glob);
        self.expand_parts(&word.parts, &mut f, false)?;
        if f.out.is_empty() {
            return Ok(f.cur);
        }
        // Only `"$@"` ends fields without splitting; join them as `$*` does.
        let mut joined = f.out.join(&b' ');
        joined.push(b' ');
        joined.extend_from_slice(&f.cur);
        Ok(joined)
    }

    /// Expands `parts` into `f`; `quoted` inside double quotes.
    fn expand_parts(
        &mut self,
        parts: &[WordPart],
        f: &mut Fields,
        quoted: bool,
    ) -> Result<(), Flow> {
        self.expand_parts_in(parts, f, quoted, false)
    }

    /// Expands `parts` into `f`. With `in_param`, the parts are the word of
    /// an unquoted `${name-word}`, whose unquoted text is itself the result
    /// of an expansion and so is split too (`${x:-a b}` is two fields).
    fn expand_parts_in(
        &mut self,
        parts: &[WordPart],
        f: &mut Fields,
        quoted: bool,
        in_param: bool,
    ) -> Result<(), Flow> {
        for part in parts {
            match part {
                WordPart::Literal(s) if in_param && !quoted => f.push_split(s),
                WordPart::Literal(s) if !quoted => f.push_active(s),
                WordPart::Literal(s) | WordPart::Quoted(s) => f.push(s),
                WordPart::Arith(w) => {
                    let expr = self.expand_single(w)?;
                    match arith::eval(&mut self.vars, &expr) {
                        Ok(v) => self.push_value(arith::format_int(v, &mut [0; 20]), f, quoted),
                        Err(msg) => return Err(self.fail(&expr, msg.as_bytes())),
                    }
                }
                WordPart::Tilde(user) => {
                    let home = self.tilde(user);
                    f.push(&home);
                }
                WordPart::DoubleQuoted(inner) => {
                    // `"$@"` with no positional parameters is no field at
                    // all; any other double-quoted text makes a field, even
                    // an empty one.
                    let only_at = matches!(inner.as_slice(), [WordPart::Param(Param { name, op: ParamOp::Plain })] if name == b"@");
                    if !(only_at && self.positional.is_empty()) {
                        f.has = true;
                    }
                    self.expand_parts(inner, f, true)?;
                }
                WordPart::Param(p) => self.expand_param(p, f, quoted)?,
                WordPart::CommandSub(lists) => {
                    let out = self.command_subst(lists)?;
                    if quoted {
                        f.push(&out);
                    } else {
                        f.push_split(&out);
                    }
                }
            }
        }
        Ok(())
    }

    /// `~` is `$HOME`; `~user` is that user's home directory. When neither
    /// is known the text stays as written.
    fn tilde(&self, user: &[u8]) -> Vec<u8> {
        if user.is_empty() {
            if let Some(home) = self.vars.get(b"HOME") {
                return home.to_vec();
            }
        } else if let Some(u) = crate::accounts::Database::load("/etc/passwd")
            .ok()
            .and_then(|db| crate::accounts::passwd::by_name(&db, user))
        {
            // Read by ibox itself, not glibc's getpwnam_r, whose
            // name-service switch would be in every ibox.
            return u.home;
        }
        let mut s = vec![b'~'];
        s.extend_from_slice(user);
        s
    }

    /// The value of a parameter other than `@` and `*`.
    pub fn param(&self, name: &[u8]) -> Option<Vec<u8>> {
        self.param_ref(name).map(Cow::into_owned)
    }

    /// The value of a parameter, borrowed where the shell stores it (a
    /// variable, `$0`, `$1`...) and made only for the special ones.
    fn param_ref(&self, name: &[u8]) -> Option<Cow<'_, [u8]>> {
        let made = |s: String| Some(Cow::Owned(s.into_bytes()));
        match name {
            b"?" => made(self.status.to_string()),
            b"$" => made(self.pid.to_string()),
            b"!" => self.last_bg.and_then(|p| made(p.to_string())),
            b"#" => made(self.positional.len().to_string()),
            b"-" => Some(Cow::Owned(self.option_flags())),
            b"0" => Some(Cow::Borrowed(&self.arg0)),
            b"@" | b"*" => Some(Cow::Owned(self.positional.join(&b' '))),
            n if n[0].is_ascii_digit() => {
                let i: usize = std::str::from_utf8(n).ok()?.parse().ok()?;
                self.positional
                    .get(i.checked_sub(1)?)
                    .map(|p| Cow::Borrowed(&p[..]))
            }
            n => self.vars.get(n).map(Cow::Borrowed),
        }
    }

    /// Expands one parameter expansion into `f`. The value is borrowed
    /// until an operator needs the shell for expanding its own word.
    fn expand_param(&mut self, p: &Param, f: &mut Fields, quoted: bool) -> Result<(), Flow> {
        let name = p.name.as_slice();
        let multi = name == b"@" || name == b"*";
        let value = if multi && self.positional.is_empty() {
            None
        } else {
            self.param_ref(name)
        };
        let null = value.as_ref().is_none_or(|v| v.is_empty());
        let use_word = |colon: bool| value.is_none() || (colon && null);
        match &p.op {
            ParamOp::Plain if multi => {
                self.expand_positional(name == b"@", f, quoted);
                Ok(())
            }
            ParamOp::Plain => {
                if value.is_none() && self.opts.nounset && name != b"!" {
                    return Err(self.fail(name, b"parameter not set"));
                }
                self.push_value(value.as_deref().unwrap_or_default(), f, quoted);
                Ok(())
            }
            ParamOp::Length => {
                let len = if multi {
                    self.positional.len()
                } else {
                    value.map_or(0, |v| v.len())
                };
                f.push(arith::format_int(len as i64, &mut [0; 20]));
                Ok(())
            }
            ParamOp::Default { colon, word } => {
                if use_word(*colon) {
                    self.expand_parts_in(&word.parts, f, quoted, true)
                } else if multi {
                    self.expand_positional(name == b"@", f, quoted);
                    Ok(())
                } else {
                    self.push_value(value.as_deref().unwrap_or_default(), f, quoted);
                    Ok(())
                }
            }
            ParamOp::Alternative { colon, word } => {
                if use_word(*colon) {
                    Ok(())
                } else {
                    self.expand_parts_in(&word.parts, f, quoted, true)
                }
            }
            ParamOp::Assign { colon, word } => {
                let value = if use_word(*colon) {
                    if !is_name(name) {
                        return Err(self.fail(name, b"cannot assign in this way"));
                    }
                    let v = self.expand_single(word)?;
                    self.vars.set(name, v.clone());
                    Cow::Owned(v)
                } else {
                    value.unwrap_or_default()
                };
                self.push_value(&value, f, quoted);
                Ok(())
            }
            ParamOp::Trim {
                suffix,
                longest,
                pattern,
            } => {
                let v = self.checked(name, value)?;
                if let Some(pat) = literal_pattern(pattern) {
                    self.push_value(trim(&v, pat, *suffix, *longest), f, quoted);
                    return Ok(());
                }
                let v = v.into_owned();
                let pat = self.expand_pattern(pattern)?;
                let r = trim(&v, &pat, *suffix, *longest);
                self.push_value(r, f, quoted);
                Ok(())
            }
            ParamOp::Replace {
                all,
                anchor,
                pattern,
                with,
            } => {
                let v = self.checked(name, value)?.into_owned();
                let pat = self.expand_pattern(pattern)?;
                let with = self.expand_single(with)?;
                let r = replace(&v, &pat, &with, *all, *anchor);
                self.push_value(&r, f, quoted);
                Ok(())
            }
            ParamOp::Substr { offset, length } => {
                let v = self.checked(name, value)?.into_owned();
                let off = self.arith_word(offset)?;
                let len = match length {
                    Some(l) => Some(self.arith_word(l)?),
                    None => None,
                };
                self.push_value(substr(&v, off, len), f, quoted);
                Ok(())
            }
            ParamOp::Error { colon, word } => {
                if use_word(*colon) {
                    let mut msg = self.expand_single(word)?;
                    if msg.is_empty() {
                        msg = if *colon {
                            b"parameter null or not set".to_vec()
                        } else {
                            b"parameter not set".to_vec()
                        };
                    }
                    return Err(self.fail(name, &msg));
                }
                self.push_value(value.as_deref().unwrap_or_default(), f, quoted);
                Ok(())
            }
        }
    }

    /// A parameter's value for the operators that work on it, `""` when
    /// unset (an error under `set -u`).
    fn checked<'v>(
        &self,
        name: &[u8],
        value: Option<Cow<'v, [u8]>>,
    ) -> Result<Cow<'v, [u8]>, Flow> {
        match value {
            None if self.opts.nounset => Err(self.fail(name, b"parameter not set")),
            v => Ok(v.unwrap_or_default()),
        }
    }

    /// Expands and evaluates an arithmetic word (`${x:off:len}`).
    fn arith_word(&mut self, w: &Word) -> Result<i64, Flow> {
        let expr = self.expand_single(w)?;
        arith::eval(&mut self.vars, &expr).map_err(|msg| self.fail(&expr, msg.as_bytes()))
    }

    /// Reports an expansion error; a non-interactive shell exits (XCU 2.8.1).
    pub(super) fn fail(&self, name: &[u8], msg: &[u8]) -> Flow {
        eprintln!(
            "sh: {}: {}",
            String::from_utf8_lossy(name),
            String::from_utf8_lossy(msg)
        );
        if self.interactive {
            Flow::Abort(2)
        } else {
            Flow::Exit(2)
        }
    }

    /// Appends a parameter's value, split when unquoted.
    fn push_value(&self, v: &[u8], f: &mut Fields, quoted: bool) {
        if quoted {
            f.push(v);
        } else {
            f.push_split(v);
        }
    }

    /// `$@` and `$*`: quoted `"$@"` is one field per parameter, quoted
    /// `"$*"` joins them with the first IFS character, and unquoted both are
    /// each split.
    fn expand_positional(&self, at: bool, f: &mut Fields, quoted: bool) {
        let params = &self.positional;
        if quoted && !at {
            let sep = match self.vars.get(b"IFS") {
                None => Some(b' '),
                Some(ifs) => ifs.first().copied(),
            };
            let mut joined = Vec::new();
            for (i, p) in params.iter().enumerate() {
                if i > 0 {
                    joined.extend(sep);
                }
                joined.extend_from_slice(p);
            }
            f.push(&joined);
            return;
        }
        for (i, p) in params.iter().enumerate() {
            if i > 0 {
                if quoted || f.split {
                    if f.has || quoted {
                        f.end_field();
                    }
                } else {
                    f.push(b" ");
                }
            }
            if quoted {
                f.push(p);
            } else {
                f.push_split(p);
            }
        }
    }
}

/// The pattern a word is when it is plain unquoted text with no backslash
/// (`a*`): expanding it would only copy it.
fn literal_pattern(word: &Word) -> Option<&[u8]> {
    match word.parts.as_slice() {
        [WordPart::Literal(s)] if !s.contains(&b'\\') => Some(s),
        _ => None,
    }
}

/// `${v%pat}` and relatives: `v` without the shortest (or longest) suffix
/// (or prefix) matching `pat`.
fn trim<'v>(v: &'v [u8], pat: &[u8], suffix: bool, longest: bool) -> &'v [u8] {
    let n = v.len();
    // Candidate cut points, in the order that finds the wanted match first:
    // from the start for the shortest prefix and the longest suffix.
    let forward = suffix == longest;
    for k in 0..=n {
        let i = if forward { k } else { n - k };
        if suffix && pattern::matches(pat, &v[i..]) {
            return &v[..i];
        }
        if !suffix && pattern::matches(pat, &v[..i]) {
            return &v[i..];
        }
    }
    v
}

/// ash's `${v/pat/with}`: replaces the first (or `all`) longest non-empty
/// matches of `pat`; with `anchor` `#` or `%` only a match at the start or
/// the end.
fn replace(v: &[u8], pat: &[u8], with: &[u8], all: bool, anchor: Option<u8>) -> Vec<u8> {
    let n = v.len();
    match anchor {
        Some(b'#') => {
            if let Some(j) = (0..=n).rev().find(|&j| pattern::matches(pat, &v[..j])) {
                return [with, &v[j..]].concat();
            }
            return v.to_vec();
        }
        Some(_) => {
            if let Some(i) = (0..=n).find(|&i| pattern::matches(pat, &v[i..])) {
                return [&v[..i], with].concat();
            }
            return v.to_vec();
        }
        None => {}
    }
    if pat.is_empty() {
        return v.to_vec();
    }
    let mut out = Vec::with_capacity(n);
    // Plain text is searched for directly: trying every substring against
    // the pattern would be cubic in the length of the value.
    if !pattern::has_meta(pat) {
        let text = pattern::unescape(pat);
        let mut i = 0;
        while let Some(at) = v[i..].windows(text.len()).position(|w| w == text) {
            out.extend_from_slice(&v[i..i + at]);
            out.extend_from_slice(with);
            i += at + text.len();
            if !all {
                break;
            }
        }
        out.extend_from_slice(&v[i..]);
        return out;
    }
    let mut i = 0;
    while i < n {
        match (i + 1..=n).rev().find(|&j| pattern::matches(pat, &v[i..j])) {
            Some(j) => {
                out.extend_from_slice(with);
                i = j;
                if !all {
                    break;
                }
            }
            None => {
                out.push(v[i]);
                i += 1;
            }
        }
    }
    out.extend_from_slice(&v[i..]);
    out
}

/// ash's `${v:off:len}`: a negative offset counts from the end, a negative
/// length stops that many bytes before the end.
fn substr(v: &[u8], off: i64, len: Option<i64>) -> &[u8] {
    let n = v.len() as i64;
    let start = if off < 0 {
        (n + off).max(0)
    } else {
        off.min(n)
    };
    let end = match len {
        None => n,
        Some(l) if l < 0 => (n + l).max(start),
        Some(l) => start.saturating_add(l).min(n),
    };
    &v[start as usize..end as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming() {
        assert_eq!(trim(b"a.b.c", b".*", true, false), b"a.b");
        assert_eq!(trim(b"a.b.c", b".*", true, true), b"a");
        assert_eq!(trim(b"a.b.c", b"*.", false, false), b"b.c");
        assert_eq!(trim(b"a.b.c", b"*.", false, true), b"c");
        assert_eq!(trim(b"abc", b"x", false, true), b"abc");
    }

    #[test]
    fn replacing() {
        assert_eq!(replace(b"aXbXc", b"X", b"-", false, None), b"a-bXc");
        assert_eq!(replace(b"aXbXc", b"X", b"-", true, None), b"a-b-c");
        assert_eq!(replace(b"abab", b"a*", b"", false, None), b"");
        assert_eq!(replace(b"abab", b"ab", b"x", false, Some(b'%')), b"abx");
        assert_eq!(replace(b"abab", b"ab", b"x", false, Some(b'#')), b"xab");
    }

    #[test]
    fn substrings() {
        assert_eq!(substr(b"hello", 1, Some(3)), b"ell");
        assert_eq!(substr(b"hello", -3, None), b"llo");
        assert_eq!(substr(b"hello", 2, Some(-1)), b"ll");
        assert_eq!(substr(b"hello", 9, Some(2)), b"");
    }
}
