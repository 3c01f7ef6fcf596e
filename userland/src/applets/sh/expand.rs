//! Word expansion (XCU 2.6): tilde, parameter and command substitution,
//! then field splitting of the unquoted results. Pathname expansion (globs)
//! is not done yet; when it is, it needs to know which bytes were quoted, so
//! it will slot in where [`Fields`] collects bytes.

use super::ast::{Param, ParamOp, Word, WordPart};
use super::exec::{Flow, Shell};
use super::lexer::is_name;

/// The default field separators when `IFS` is unset.
const DEFAULT_IFS: &[u8] = b" \t\n";

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
    ifs: Vec<u8>,
}

impl Fields {
    /// Appends text that is not split.
    fn push(&mut self, s: &[u8]) {
        self.cur.extend_from_slice(s);
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
            self.push(s);
            return;
        }
        let is_ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n');
        let mut i = 0;
        while i < s.len() {
            let c = s[i];
            if !self.ifs.contains(&c) {
                self.push(&[c]);
                i += 1;
                continue;
            }
            // One delimiter: IFS white space, optionally one other IFS
            // character, then IFS white space.
            let mut j = i;
            while j < s.len() && is_ws(s[j]) && self.ifs.contains(&s[j]) {
                j += 1;
            }
            let mut hard = false;
            if j < s.len() && self.ifs.contains(&s[j]) && !is_ws(s[j]) {
                hard = true;
                j += 1;
                while j < s.len() && is_ws(s[j]) && self.ifs.contains(&s[j]) {
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
    fn ifs(&self) -> Vec<u8> {
        self.vars
            .get(b"IFS")
            .map_or_else(|| DEFAULT_IFS.to_vec(), <[u8]>::to_vec)
    }

    /// Expands command words into fields.
    pub fn expand_words(&mut self, words: &[Word]) -> Result<Vec<Vec<u8>>, Flow> {
        let mut f = Fields {
            out: Vec::new(),
            cur: Vec::new(),
            has: false,
            split: true,
            ifs: self.ifs(),
        };
        for w in words {
            self.expand_parts(&w.parts, &mut f, false)?;
            if f.has {
                f.end_field();
            }
        }
        Ok(f.out)
    }

    /// Expands a word to one string, without field splitting (assignment
    /// values, redirection targets, `${x=word}`).
    pub fn expand_single(&mut self, word: &Word) -> Result<Vec<u8>, Flow> {
        let mut f = Fields {
            out: Vec::new(),
            cur: Vec::new(),
            has: false,
            split: false,
            ifs: Vec::new(),
        };
        self.expand_parts(&word.parts, &mut f, false)?;
        f.end_field();
        let mut out = f.out;
        // Only `"$@"` ends fields without splitting; join them as `$*` does.
        let first = out.remove(0);
        Ok(out.into_iter().fold(first, |mut acc, s| {
            acc.push(b' ');
            acc.extend_from_slice(&s);
            acc
        }))
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
                WordPart::Literal(s) | WordPart::Quoted(s) => f.push(s),
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
        use std::os::unix::ffi::OsStrExt;
        if user.is_empty() {
            if let Some(home) = self.vars.get(b"HOME") {
                return home.to_vec();
            }
        } else if let Ok(Some(u)) = std::str::from_utf8(user)
            .map_err(|_| ())
            .and_then(|name| nix::unistd::User::from_name(name).map_err(|_| ()))
        {
            return u.dir.as_os_str().as_bytes().to_vec();
        }
        let mut s = vec![b'~'];
        s.extend_from_slice(user);
        s
    }

    /// The value of a parameter other than `@` and `*`.
    pub fn param(&self, name: &[u8]) -> Option<Vec<u8>> {
        match name {
            b"?" => Some(self.status.to_string().into_bytes()),
            b"$" => Some(self.pid.to_string().into_bytes()),
            b"!" => self.last_bg.map(|p| p.to_string().into_bytes()),
            b"#" => Some(self.positional.len().to_string().into_bytes()),
            b"-" => Some(self.option_flags()),
            b"0" => Some(self.arg0.clone()),
            b"@" | b"*" => Some(self.positional.join(&b' ')),
            n if n[0].is_ascii_digit() => {
                let i: usize = std::str::from_utf8(n).ok()?.parse().ok()?;
                self.positional.get(i.checked_sub(1)?).cloned()
            }
            n => self.vars.get(n).map(<[u8]>::to_vec),
        }
    }

    /// Expands one parameter expansion into `f`.
    fn expand_param(&mut self, p: &Param, f: &mut Fields, quoted: bool) -> Result<(), Flow> {
        let name = p.name.as_slice();
        let multi = name == b"@" || name == b"*";
        let value = if multi && self.positional.is_empty() {
            None
        } else {
            self.param(name)
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
                self.push_value(&value.unwrap_or_default(), f, quoted);
                Ok(())
            }
            ParamOp::Length => {
                let len = if multi {
                    self.positional.len()
                } else {
                    value.map_or(0, |v| v.len())
                };
                f.push(len.to_string().as_bytes());
                Ok(())
            }
            ParamOp::Default { colon, word } => {
                if use_word(*colon) {
                    self.expand_parts_in(&word.parts, f, quoted, true)
                } else if multi {
                    self.expand_positional(name == b"@", f, quoted);
                    Ok(())
                } else {
                    self.push_value(&value.unwrap_or_default(), f, quoted);
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
                    v
                } else {
                    value.unwrap_or_default()
                };
                self.push_value(&value, f, quoted);
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
                self.push_value(&value.unwrap_or_default(), f, quoted);
                Ok(())
            }
        }
    }

    /// Reports an expansion error; a non-interactive shell exits (XCU 2.8.1).
    fn fail(&self, name: &[u8], msg: &[u8]) -> Flow {
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
