//! `:` commands: ranges, writing and quitting, `:e`, `:r`, `:s`, `:d`,
//! `:set nu`.

use super::{show, Editor};
use crate::regex::Regex;

impl Editor {
    /// Parses one address at `s[*i..]`: a line index, None when absent.
    fn address(&mut self, s: &[u8], i: &mut usize) -> Result<Option<usize>, String> {
        let last = self.buf.lines.len() - 1;
        let mut base: Option<i64> = None;
        match s.get(*i) {
            Some(b'.') => {
                *i += 1;
                base = Some(self.cy as i64);
            }
            Some(b'$') => {
                *i += 1;
                base = Some(last as i64);
            }
            Some(c) if c.is_ascii_digit() => {
                let mut n: i64 = 0;
                while let Some(d @ b'0'..=b'9') = s.get(*i) {
                    n = n.saturating_mul(10).saturating_add((d - b'0') as i64);
                    *i += 1;
                }
                base = Some((n - 1).max(0));
            }
            _ => {}
        }
        while let Some(&c @ (b'+' | b'-')) = s.get(*i) {
            *i += 1;
            let mut n: i64 = 0;
            let mut any = false;
            while let Some(d @ b'0'..=b'9') = s.get(*i) {
                n = n.saturating_mul(10).saturating_add((d - b'0') as i64);
                *i += 1;
                any = true;
            }
            if !any {
                n = 1;
            }
            let b = base.unwrap_or(self.cy as i64);
            base = Some(if c == b'+' { b + n } else { b - n });
        }
        match base {
            None => Ok(None),
            Some(b) if b < 0 || b > last as i64 => Err("Invalid range".into()),
            Some(b) => Ok(Some(b as usize)),
        }
    }

    /// Runs an ex command line.
    pub fn ex(&mut self, line: &[u8]) {
        if let Err(e) = self.ex_inner(line) {
            self.error(e);
        }
    }

    fn ex_inner(&mut self, line: &[u8]) -> Result<(), String> {
        let mut i = 0;
        while matches!(line.get(i), Some(b':' | b' ' | b'\t')) {
            i += 1;
        }
        let mut range: Option<(usize, usize)> = None;
        if line.get(i) == Some(&b'%') {
            i += 1;
            range = Some((0, self.buf.lines.len() - 1));
        } else if let Some(a) = self.address(line, &mut i)? {
            range = Some((a, a));
            if line.get(i) == Some(&b',') {
                i += 1;
                let b = self.address(line, &mut i)?.ok_or("Invalid range")?;
                range = Some((a, b));
            }
        }
        if let Some((a, b)) = range {
            if a > b {
                return Err("Invalid range".into());
            }
        }
        let start = i;
        while line.get(i).is_some_and(|c| c.is_ascii_alphabetic()) {
            i += 1;
        }
        let name = &line[start..i];
        let bang = line.get(i) == Some(&b'!');
        if bang {
            i += 1;
        }
        let arg: Vec<u8> = line[i..].trim_ascii().to_vec();
        let file = if arg.is_empty() { None } else { Some(&arg[..]) };
        match name {
            b"" => {
                if let Some((_, b)) = range {
                    self.cy = b;
                    self.cx = self.first_nonblank(b);
                }
            }
            b"w" | b"write" => {
                self.write(file, range, bang);
            }
            b"wq" | b"x" | b"xit" => {
                if (name == b"wq" || self.buf.modified() || file.is_some())
                    && !self.write(file, range, bang)
                {
                    return Ok(());
                }
                self.quit = true;
            }
            b"q" | b"quit" => {
                if self.buf.modified() && !bang {
                    return Err("No write since last change (:quit! overrides)".into());
                }
                self.quit = true;
            }
            b"e" | b"edit" => {
                if self.buf.modified() && !bang {
                    return Err("No write since last change (:edit! overrides)".into());
                }
                let Some(f) = file.map(|f| f.to_vec()).or_else(|| self.filename.clone()) else {
                    return Err("No current filename".into());
                };
                self.filename = Some(f.clone());
                self.load(&f);
            }
            b"r" | b"read" => {
                let Some(f) = file else {
                    return Err("No filename given".into());
                };
                let data = std::fs::read(std::ffi::OsStr::from_bytes_compat(f))
                    .map_err(|e| format!("'{}' {}", show(f), crate::common::strerror(&e)))?;
                let at = range.map(|r| r.1).unwrap_or(self.cy);
                let mut lines: Vec<Vec<u8>> =
                    data.split(|&b| b == b'\n').map(|l| l.to_vec()).collect();
                if data.ends_with(b"\n") {
                    lines.pop();
                }
                let n = lines.len();
                if n > 0 {
                    self.buf.begin((self.cy, self.cx));
                    self.buf.lines.splice(at + 1..at + 1, lines);
                    self.cy = at + 1;
                    self.cx = 0;
                }
                self.info(format!("'{}' {n}L, {}C", show(f), data.len()));
            }
            b"d" | b"delete" => {
                let (a, b) = range.unwrap_or((self.cy, self.cy));
                self.cy = a;
                self.apply(
                    b'd',
                    super::command::Motion {
                        y: b,
                        x: 0,
                        kind: super::command::Kind::Linewise,
                    },
                );
            }
            b"s" | b"substitute" => {
                let (a, b) = range.unwrap_or((self.cy, self.cy));
                self.substitute(&line[i..], a, b)?;
            }
            b"set" | b"se" => {
                for opt in arg.split(|&c| c == b' ').filter(|o| !o.is_empty()) {
                    match opt {
                        b"nu" | b"number" => self.number = true,
                        b"nonu" | b"nonumber" => self.number = false,
                        _ => return Err(format!("Unknown option: {}", show(opt))),
                    }
                }
            }
            _ => return Err(format!("'{}' is not implemented", show(&line[start..]))),
        }
        Ok(())
    }

    /// `:s/re/rep/[g]` over lines `a..=b`.
    fn substitute(&mut self, s: &[u8], a: usize, b: usize) -> Result<(), String> {
        let Some(&delim) = s.first() else {
            return Err("Bad substitute".into());
        };
        if delim.is_ascii_alphanumeric() || delim == b'\\' || delim == b' ' {
            return Err("Bad substitute".into());
        }
        // Splits off fields ending at an unescaped delimiter.
        let mut fields: Vec<Vec<u8>> = Vec::new();
        let mut cur = Vec::new();
        let mut j = 1;
        while j < s.len() {
            let c = s[j];
            if c == b'\\' && s.get(j + 1) == Some(&delim) {
                cur.push(delim);
                j += 2;
                continue;
            }
            if c == b'\\' && j + 1 < s.len() {
                cur.extend_from_slice(&s[j..j + 2]);
                j += 2;
                continue;
            }
            if c == delim && fields.len() < 2 {
                fields.push(std::mem::take(&mut cur));
            } else {
                cur.push(c);
            }
            j += 1;
        }
        fields.push(cur);
        let pat = fields[0].clone();
        let rep = fields.get(1).cloned().unwrap_or_default();
        let flags = fields.get(2).cloned().unwrap_or_default();
        let global = flags.contains(&b'g');
        let pat = if pat.is_empty() {
            self.search
                .as_ref()
                .map(|s| s.0.clone())
                .ok_or("No previous regular expression")?
        } else {
            pat
        };
        self.search = Some((pat.clone(), true));
        let re = Regex::with_options(&pat, &crate::regex::Options::default())
            .map_err(|_| "Bad regular expression".to_string())?;
        let mut changed = 0;
        let mut last_line = None;
        let cursor = (self.cy, self.cx);
        for y in a..=b {
            let line = &self.buf.lines[y];
            let mut out = Vec::new();
            let mut pos = 0;
            let mut any = false;
            while pos <= line.len() {
                let Some(caps) = re.captures_at(line, pos) else {
                    break;
                };
                let Some((ms, me)) = caps[0] else {
                    break;
                };
                out.extend_from_slice(&line[pos..ms]);
                expand(&rep, line, &caps, &mut out);
                any = true;
                if me == ms {
                    if ms < line.len() {
                        out.push(line[ms]);
                    }
                    pos = ms + 1;
                } else {
                    pos = me;
                }
                if !global {
                    break;
                }
            }
            if any {
                if pos < line.len() {
                    out.extend_from_slice(&line[pos..]);
                }
                self.buf.begin(cursor);
                self.buf.lines[y] = out;
                changed += 1;
                last_line = Some(y);
            }
        }
        match last_line {
            Some(y) => {
                self.cy = y;
                self.cx = self.first_nonblank(y);
                if changed > 1 {
                    self.info(format!("{changed} substitutions"));
                }
                Ok(())
            }
            None => Err(format!("Pattern not found: {}", show(&pat))),
        }
    }
}

/// Appends the replacement `rep` for a match: `&` is the match, `\1`..`\9`
/// its groups, `\&` and `\\` themselves.
fn expand(rep: &[u8], line: &[u8], caps: &crate::regex::Captures, out: &mut Vec<u8>) {
    let mut i = 0;
    while i < rep.len() {
        match rep[i] {
            b'&' => {
                if let Some(Some((s, e))) = caps.first() {
                    out.extend_from_slice(&line[*s..*e]);
                }
            }
            b'\\' if i + 1 < rep.len() => {
                i += 1;
                let c = rep[i];
                if c.is_ascii_digit() {
                    if let Some(Some((s, e))) = caps.get((c - b'0') as usize) {
                        out.extend_from_slice(&line[*s..*e]);
                    }
                } else {
                    out.push(c);
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
}

/// `OsStr` from bytes.
trait FromBytesCompat {
    fn from_bytes_compat(b: &[u8]) -> &std::ffi::OsStr;
}

impl FromBytesCompat for std::ffi::OsStr {
    fn from_bytes_compat(b: &[u8]) -> &std::ffi::OsStr {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::OsStr::from_bytes(b)
    }
}
