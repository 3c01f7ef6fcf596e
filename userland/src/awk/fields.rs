//! The current record and its fields. Splitting is lazy and keeps only
//! the fields' spans, so `{ s += $2 }` allocates nothing per record; the
//! fields become values of their own only once one is assigned.

use super::value::Value;
use crate::regex::Regex;
use std::rc::Rc;

/// How FS splits a record.
#[derive(Clone)]
pub enum FsMode {
    /// `FS = " "`: runs of blanks and newlines, ignoring those at the ends.
    Space,
    /// One literal byte.
    Byte(u8),
    /// One literal byte, or a newline (a byte FS in paragraph mode).
    ByteNl(u8),
    /// A regular expression.
    Regex(Rc<Regex>),
    /// `FS = ""`: every byte is a field.
    Chars,
}

/// The current record.
#[derive(Default)]
pub struct Record {
    /// `$0`.
    pub text: Vec<u8>,
    /// Whether `spans` (or `owned`) are up to date.
    pub split: bool,
    /// Field spans in `text`.
    pub spans: Vec<(usize, usize)>,
    /// The fields as values once one was assigned (then authoritative).
    pub owned: Option<Vec<Value>>,
}

impl Record {
    /// Replaces `$0`; fields will be split again when needed.
    pub fn set_text(&mut self) {
        self.split = false;
        self.owned = None;
    }

    /// Number of fields (split must have happened).
    pub fn nf(&self) -> usize {
        match &self.owned {
            Some(o) => o.len(),
            None => self.spans.len(),
        }
    }

    /// Splits `$0` by `fs` if not yet done.
    pub fn ensure_split(&mut self, fs: &FsMode) {
        if self.split {
            return;
        }
        self.split = true;
        self.owned = None;
        let mut spans = std::mem::take(&mut self.spans);
        spans.clear();
        split_spans(&self.text, fs, &mut spans);
        self.spans = spans;
    }

    /// Field `i` (1-based) as bytes, when it exists.
    pub fn field_bytes(&self, i: usize) -> Option<&[u8]> {
        match &self.owned {
            Some(_) => None,
            None if !self.split => None,
            None => self
                .spans
                .get(i.wrapping_sub(1))
                .and_then(|&(s, e)| self.text.get(s..e)),
        }
    }

    /// Field `i` (1-based) as a value.
    pub fn field(&self, i: usize) -> Value {
        match &self.owned {
            Some(o) => o.get(i.wrapping_sub(1)).cloned().unwrap_or_default(),
            None => match self.spans.get(i.wrapping_sub(1)) {
                Some(&(s, e)) if self.split => {
                    Value::input(self.text.get(s..e).unwrap_or_default())
                }
                _ => Value::Uninit,
            },
        }
    }

    /// Makes the fields values of their own, ready for assignment.
    fn own(&mut self) -> &mut Vec<Value> {
        if self.owned.is_none() {
            let v = self
                .spans
                .iter()
                .map(|&(s, e)| Value::input(&self.text[s..e]))
                .collect();
            self.owned = Some(v);
        }
        self.owned.get_or_insert_with(Vec::new)
    }

    /// Assigns field `i` (1-based), rebuilding `$0` with `ofs`.
    pub fn set_field(&mut self, i: usize, v: Value, ofs: &[u8], convfmt: &[u8]) {
        let f = self.own();
        if f.len() < i {
            f.resize(i, Value::Uninit);
        }
        f[i - 1] = v;
        self.rebuild(ofs, convfmt);
    }

    /// Sets NF, dropping or adding fields and rebuilding `$0`.
    pub fn set_nf(&mut self, n: usize, ofs: &[u8], convfmt: &[u8]) {
        self.own().resize(n, Value::Uninit);
        self.rebuild(ofs, convfmt);
    }

    fn rebuild(&mut self, ofs: &[u8], convfmt: &[u8]) {
        let mut text = std::mem::take(&mut self.text);
        text.clear();
        if let Some(f) = &self.owned {
            for (k, v) in f.iter().enumerate() {
                if k > 0 {
                    text.extend_from_slice(ofs);
                }
                v.push_str(&mut text, convfmt);
            }
        }
        self.text = text;
    }
}

/// Whether `b` separates fields under the default FS.
fn blank(b: u8) -> bool {
    b == b' ' || b == b'\t' || b == b'\n'
}

/// Splits `text` by `fs`, pushing the field spans.
pub fn split_spans(text: &[u8], fs: &FsMode, spans: &mut Vec<(usize, usize)>) {
    if text.is_empty() {
        return;
    }
    match fs {
        FsMode::Space => {
            let mut i = 0;
            let n = text.len();
            loop {
                while i < n && blank(text[i]) {
                    i += 1;
                }
                if i >= n {
                    break;
                }
                let s = i;
                while i < n && !blank(text[i]) {
                    i += 1;
                }
                spans.push((s, i));
            }
        }
        FsMode::Byte(b) => {
            let mut s = 0;
            while let Some(p) = crate::regex::memchr(*b, &text[s..]) {
                spans.push((s, s + p));
                s += p + 1;
            }
            spans.push((s, text.len()));
        }
        FsMode::ByteNl(b) => {
            let mut s = 0;
            for (i, &c) in text.iter().enumerate() {
                if c == *b || c == b'\n' {
                    spans.push((s, i));
                    s = i + 1;
                }
            }
            spans.push((s, text.len()));
        }
        FsMode::Chars => spans.extend((0..text.len()).map(|i| (i, i + 1))),
        FsMode::Regex(re) => {
            let mut s = 0;
            let mut at = 0;
            while at <= text.len() {
                match re.find_at(text, at) {
                    Some((ms, me)) if me > ms => {
                        spans.push((s, ms));
                        s = me;
                        at = me;
                    }
                    // An empty match separates nothing: look further on.
                    Some((ms, _)) => at = ms + 1,
                    None => break,
                }
            }
            spans.push((s, text.len()));
        }
    }
}
