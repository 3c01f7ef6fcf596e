//! Normal-mode commands, motions and operators, and insert/replace mode.

use super::keys::Key;
use super::{Editor, Mode, Register};

/// How a motion's range is taken.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Up to but not including the target.
    Exclusive,
    /// Including the target character.
    Inclusive,
    /// Whole lines.
    Linewise,
}

/// A motion's target.
#[derive(Clone, Copy)]
pub struct Motion {
    /// Target line.
    pub y: usize,
    /// Target byte.
    pub x: usize,
    /// How a range to it is taken.
    pub kind: Kind,
}

/// Character classes for word motions: 0 blank (and line ends), 1 word
/// characters (any non-blank for WORDs), 2 punctuation.
fn class(b: Option<u8>, big: bool) -> u8 {
    match b {
        None | Some(b' ') | Some(b'\t') => 0,
        Some(_) if big => 1,
        Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 => 1,
        _ => 2,
    }
}

impl Editor {
    fn len(&self, y: usize) -> usize {
        self.buf.lines[y].len()
    }

    fn at(&self, p: (usize, usize)) -> Option<u8> {
        self.buf.lines[p.0].get(p.1).copied()
    }

    fn next_pos(&self, p: (usize, usize)) -> Option<(usize, usize)> {
        if p.1 < self.len(p.0) {
            Some((p.0, p.1 + 1))
        } else if p.0 + 1 < self.buf.lines.len() {
            Some((p.0 + 1, 0))
        } else {
            None
        }
    }

    fn prev_pos(&self, p: (usize, usize)) -> Option<(usize, usize)> {
        if p.1 > 0 {
            Some((p.0, p.1 - 1))
        } else if p.0 > 0 {
            Some((p.0 - 1, self.len(p.0 - 1)))
        } else {
            None
        }
    }

    /// First non-blank byte of line `y`.
    pub fn first_nonblank(&self, y: usize) -> usize {
        let l = &self.buf.lines[y];
        l.iter()
            .position(|&b| b != b' ' && b != b'\t')
            .unwrap_or(l.len())
    }

    /// Keeps the cursor on the text (on a character in normal mode).
    pub fn clamp(&mut self) {
        if self.buf.lines.is_empty() {
            self.buf.lines.push(Vec::new());
        }
        self.cy = self.cy.min(self.buf.lines.len() - 1);
        let len = self.len(self.cy);
        let max = if self.mode == Mode::Normal {
            len.saturating_sub(1)
        } else {
            len
        };
        self.cx = self.cx.min(max);
    }

    fn word_fwd(&self, p: (usize, usize), big: bool, op: bool) -> (usize, usize) {
        let start = p;
        let mut p = p;
        let c = class(self.at(p), big);
        if c != 0 {
            loop {
                match self.next_pos(p) {
                    Some(q) => {
                        p = q;
                        if class(self.at(q), big) != c {
                            break;
                        }
                    }
                    None => return (p.0, self.len(p.0)),
                }
            }
        }
        while class(self.at(p), big) == 0 {
            if self.len(p.0) == 0 && p.0 != start.0 {
                break;
            }
            // An operator stops at the end of its line (`dw` on a line's
            // last word does not join lines).
            if op && p.0 != start.0 {
                break;
            }
            match self.next_pos(p) {
                Some(q) => p = q,
                None => break,
            }
        }
        if op && p.0 != start.0 {
            return (start.0, self.len(start.0));
        }
        p
    }

    fn word_end(&self, p: (usize, usize), big: bool) -> (usize, usize) {
        let Some(mut p) = self.next_pos(p) else {
            return p;
        };
        while class(self.at(p), big) == 0 {
            match self.next_pos(p) {
                Some(q) => p = q,
                None => return p,
            }
        }
        let c = class(self.at(p), big);
        while let Some(q) = self.next_pos(p) {
            if class(self.at(q), big) != c {
                break;
            }
            p = q;
        }
        p
    }

    fn word_back(&self, p: (usize, usize), big: bool) -> (usize, usize) {
        let Some(mut p) = self.prev_pos(p) else {
            return p;
        };
        while class(self.at(p), big) == 0 {
            if self.len(p.0) == 0 {
                return p;
            }
            match self.prev_pos(p) {
                Some(q) => p = q,
                None => return p,
            }
        }
        let c = class(self.at(p), big);
        while let Some(q) = self.prev_pos(p) {
            if class(self.at(q), big) != c {
                break;
            }
            p = q;
        }
        p
    }

    /// `f`/`F`/`t`/`T` for `ch`, `count` times, in the cursor line.
    /// With `again` (`;` and `,`), a `t`/`T` target next to the cursor
    /// is passed over, so that repeating makes progress.
    fn find_char(&self, cmd: u8, ch: u8, count: usize, again: bool) -> Option<usize> {
        let l = &self.buf.lines[self.cy];
        let mut x = self.cx;
        for i in 0..count {
            let skip = usize::from((again || i > 0) && (cmd == b't' || cmd == b'T'));
            match cmd {
                b'f' | b't' => {
                    let from = x + 1 + skip;
                    let i = l.get(from..)?.iter().position(|&b| b == ch)?;
                    x = from + i - usize::from(cmd == b't');
                }
                _ => {
                    let to = x.checked_sub(skip)?;
                    let i = l[..to].iter().rposition(|&b| b == ch)?;
                    x = i + usize::from(cmd == b'T');
                }
            }
        }
        Some(x)
    }

    /// The bracket matching the one at or after the cursor.
    fn match_pair(&self) -> Option<(usize, usize)> {
        let l = &self.buf.lines[self.cy];
        let x = self.cx
            + l.get(self.cx..)?
                .iter()
                .position(|b| b"()[]{}".contains(b))?;
        let c = l[x];
        let (open, close, fwd) = match c {
            b'(' => (b'(', b')', true),
            b')' => (b'(', b')', false),
            b'[' => (b'[', b']', true),
            b']' => (b'[', b']', false),
            b'{' => (b'{', b'}', true),
            _ => (b'{', b'}', false),
        };
        let mut depth = 0usize;
        let mut p = (self.cy, x);
        loop {
            match self.at(p) {
                Some(b) if b == open => {
                    if fwd {
                        depth += 1
                    } else {
                        depth -= 1
                    }
                }
                Some(b) if b == close => {
                    if fwd {
                        depth -= 1
                    } else {
                        depth += 1
                    }
                }
                _ => {}
            }
            if depth == 0 {
                return Some(p);
            }
            p = if fwd {
                self.next_pos(p)?
            } else {
                self.prev_pos(p)?
            };
        }
    }

    /// Searches for `pat` from the cursor; the match position.
    pub fn do_search(&mut self, pat: &[u8], fwd: bool) -> Option<(usize, usize)> {
        let re = match crate::regex::Regex::with_options(pat, &crate::regex::Options::default()) {
            Ok(r) => r,
            Err(_) => {
                self.error("Bad regular expression");
                return None;
            }
        };
        let n = self.buf.lines.len();
        if fwd {
            for i in 0..=n {
                let y = (self.cy + i) % n;
                let l = &self.buf.lines[y];
                let from = if i == 0 { self.cx + 1 } else { 0 };
                if i == n && from == 0 {
                    // Back at the start line: only matches before the cursor.
                    if let Some((s, _)) = re.find_at(l, 0) {
                        if s <= self.cx {
                            return Some((y, s));
                        }
                    }
                    break;
                }
                if from <= l.len() {
                    if let Some((s, _)) = re.find_at(l, from) {
                        if s < l.len() || l.is_empty() || s == from {
                            return Some((y, s.min(l.len().saturating_sub(1))));
                        }
                    }
                }
            }
        } else {
            for i in 0..=n {
                let y = (self.cy + n * 2 - i) % n;
                let l = &self.buf.lines[y];
                let limit = if i == 0 { self.cx } else { usize::MAX };
                let mut best = None;
                let mut from = 0;
                while from <= l.len() {
                    match re.find_at(l, from) {
                        Some((s, e)) if s < limit => {
                            best = Some(s);
                            from = if e > s { e } else { s + 1 };
                        }
                        _ => break,
                    }
                }
                if let Some(s) = best {
                    return Some((y, s.min(l.len().saturating_sub(1))));
                }
            }
        }
        self.error(format!(
            "Pattern not found: {}",
            String::from_utf8_lossy(pat)
        ));
        None
    }

    fn search_motion(&mut self, fwd: bool) -> Option<Motion> {
        let (pat, dir) = self.search.clone()?;
        let f = if fwd { dir } else { !dir };
        let (y, x) = self.do_search(&pat, f)?;
        Some(Motion {
            y,
            x,
            kind: Kind::Exclusive,
        })
    }

    /// The motion for key `k`, or None if `k` is not one (or fails).
    pub fn motion(&mut self, k: Key, count: Option<usize>, op: bool) -> Option<Motion> {
        let n = count.unwrap_or(1).max(1);
        let last = self.buf.lines.len() - 1;
        let (cy, cx) = (self.cy, self.cx);
        let ex = |y, x| {
            Some(Motion {
                y,
                x,
                kind: Kind::Exclusive,
            })
        };
        let inc = |y, x| {
            Some(Motion {
                y,
                x,
                kind: Kind::Inclusive,
            })
        };
        let lw = |y: usize| {
            Some(Motion {
                y,
                x: 0,
                kind: Kind::Linewise,
            })
        };
        let rows = self.screen.rows.saturating_sub(1).max(1);
        match k {
            Key::Byte(b'h') | Key::Left | Key::Byte(8) | Key::Byte(127) => {
                ex(cy, cx.saturating_sub(n))
            }
            Key::Byte(b'l') | Key::Right | Key::Byte(b' ') => {
                let max = if op {
                    self.len(cy)
                } else {
                    self.len(cy).saturating_sub(1)
                };
                ex(cy, (cx + n).min(max))
            }
            Key::Byte(b'j') | Key::Down | Key::Byte(14) => lw((cy + n).min(last)),
            Key::Byte(b'k') | Key::Up | Key::Byte(16) => lw(cy.saturating_sub(n)),
            Key::Byte(b'+') | Key::Byte(b'\r') | Key::Byte(b'\n') => lw((cy + n).min(last)),
            Key::Byte(b'-') => lw(cy.saturating_sub(n)),
            Key::Byte(b'0') | Key::Home => ex(cy, 0),
            Key::Byte(b'^') => ex(cy, self.first_nonblank(cy)),
            Key::Byte(b'$') | Key::End => {
                let y = (cy + n - 1).min(last);
                inc(y, self.len(y).saturating_sub(1))
            }
            Key::Byte(b'|') => ex(cy, (n - 1).min(self.len(cy).saturating_sub(1))),
            Key::Byte(c @ (b'w' | b'W')) => {
                let mut p = (cy, cx);
                for i in 0..n {
                    p = self.word_fwd(p, c == b'W', op && i + 1 == n);
                }
                if !op {
                    p.1 = p.1.min(self.len(p.0).saturating_sub(1));
                }
                ex(p.0, p.1)
            }
            Key::Byte(c @ (b'e' | b'E')) => {
                let mut p = (cy, cx);
                for _ in 0..n {
                    p = self.word_end(p, c == b'E');
                }
                inc(p.0, p.1)
            }
            Key::Byte(c @ (b'b' | b'B')) => {
                let mut p = (cy, cx);
                for _ in 0..n {
                    p = self.word_back(p, c == b'B');
                }
                ex(p.0, p.1)
            }
            Key::Byte(b'G') => lw(count.map(|c| c.saturating_sub(1).min(last)).unwrap_or(last)),
            Key::Byte(b'g') => match self.key() {
                Key::Byte(b'g') => lw(count.map(|c| c.saturating_sub(1).min(last)).unwrap_or(0)),
                _ => None,
            },
            // The screen as last drawn may show lines deleted since.
            Key::Byte(b'H') => lw((self.top + n - 1).min(self.bottom.max(self.top)).min(last)),
            Key::Byte(b'L') => lw(self.bottom.saturating_sub(n - 1).max(self.top).min(last)),
            Key::Byte(b'M') => lw(((self.top + self.bottom) / 2).min(last)),
            Key::Byte(c @ (b'f' | b'F' | b't' | b'T')) => {
                let Key::Byte(ch) = self.key() else {
                    return None;
                };
                if ch == 27 {
                    return None;
                }
                self.find = Some((c, ch));
                let x = self.find_char(c, ch, n, false)?;
                if c == b'f' || c == b't' {
                    inc(cy, x)
                } else {
                    ex(cy, x)
                }
            }
            Key::Byte(c @ (b';' | b',')) => {
                let (cmd, ch) = self.find?;
                let cmd = if c == b',' {
                    match cmd {
                        b'f' => b'F',
                        b'F' => b'f',
                        b't' => b'T',
                        _ => b't',
                    }
                } else {
                    cmd
                };
                let x = self.find_char(cmd, ch, n, true)?;
                if cmd == b'f' || cmd == b't' {
                    inc(cy, x)
                } else {
                    ex(cy, x)
                }
            }
            Key::Byte(b'%') => {
                let (y, x) = self.match_pair()?;
                inc(y, x)
            }
            Key::Byte(c @ (b'/' | b'?')) => {
                let pat = self.read_line(c)?;
                let pat = if pat.is_empty() {
                    self.search.as_ref()?.0.clone()
                } else {
                    pat
                };
                self.search = Some((pat, c == b'/'));
                self.search_motion(true)
            }
            Key::Byte(c @ (b'n' | b'N')) => {
                let (y, x) = (self.cy, self.cx);
                let mut m = None;
                for _ in 0..n {
                    m = self.search_motion(c == b'n');
                    let Some(found) = m else {
                        break;
                    };
                    self.cy = found.y;
                    self.cx = found.x;
                }
                // The caller moves the cursor (or applies an operator).
                self.cy = y;
                self.cx = x;
                m
            }
            Key::Byte(6) | Key::PageDown if !op => {
                self.top = (self.top + rows.saturating_sub(2).max(1) * n).min(last);
                lw(self.top)
            }
            Key::Byte(2) | Key::PageUp if !op => {
                self.top = self.top.saturating_sub(rows.saturating_sub(2).max(1) * n);
                lw((self.top + rows - 1).min(last).min(cy))
            }
            Key::Byte(4) if !op => {
                self.top = (self.top + rows / 2).min(last);
                lw((cy + rows / 2).min(last))
            }
            Key::Byte(21) if !op => {
                self.top = self.top.saturating_sub(rows / 2);
                lw(cy.saturating_sub(rows / 2))
            }
            _ => None,
        }
    }

    /// Moves the cursor for a motion outside an operator.
    fn move_to(&mut self, k: Key, m: Motion) {
        self.cy = m.y.min(self.buf.lines.len() - 1);
        match k {
            Key::Byte(b'j' | b'k' | 14 | 16) | Key::Up | Key::Down => {
                self.cx = self.want;
            }
            _ if m.kind == Kind::Linewise => {
                self.cx = self.first_nonblank(self.cy);
                self.want = self.cx;
            }
            Key::Byte(b'$') | Key::End => {
                self.cx = m.x;
                self.want = usize::MAX;
            }
            _ => {
                self.cx = m.x;
                self.want = m.x;
            }
        }
    }

    /// The text from `a` to `b` (b exclusive, b after a).
    fn extract(&self, a: (usize, usize), b: (usize, usize)) -> Vec<Vec<u8>> {
        if a.0 == b.0 {
            return vec![self.buf.lines[a.0][a.1..b.1].to_vec()];
        }
        let mut v = vec![self.buf.lines[a.0][a.1..].to_vec()];
        for y in a.0 + 1..b.0 {
            v.push(self.buf.lines[y].clone());
        }
        v.push(self.buf.lines[b.0][..b.1].to_vec());
        v
    }

    fn delete_range(&mut self, a: (usize, usize), b: (usize, usize)) {
        let mut new = self.buf.lines[a.0][..a.1].to_vec();
        new.extend_from_slice(&self.buf.lines[b.0][b.1..]);
        self.buf.lines.splice(a.0..=b.0, [new]);
    }

    /// Applies operator `op` (`d`, `c`, `y`) from the cursor to `m`.
    pub fn apply(&mut self, op: u8, mut m: Motion) {
        m.y = m.y.min(self.buf.lines.len() - 1);
        let here = (self.cy, self.cx);
        if m.kind == Kind::Linewise {
            let (y1, y2) = (here.0.min(m.y), here.0.max(m.y));
            self.reg = Register {
                text: self.buf.lines[y1..=y2].to_vec(),
                linewise: true,
            };
            match op {
                b'd' => {
                    self.buf.begin(here);
                    self.buf.lines.drain(y1..=y2);
                    if self.buf.lines.is_empty() {
                        self.buf.lines.push(Vec::new());
                    }
                    self.cy = y1.min(self.buf.lines.len() - 1);
                    self.cx = self.first_nonblank(self.cy);
                }
                b'c' => {
                    self.buf.begin(here);
                    self.buf.lines.splice(y1..=y2, [Vec::new()]);
                    self.cy = y1;
                    self.cx = 0;
                    self.start_insert(Mode::Insert, 1);
                }
                _ => {
                    self.cy = y1;
                    if y2 > y1 {
                        self.info(format!("{} lines yanked", y2 - y1 + 1));
                    }
                }
            }
            return;
        }
        let t = (m.y, m.x);
        let (a, mut b) = if t < here { (t, here) } else { (here, t) };
        if m.kind == Kind::Inclusive {
            b.1 += 1;
        }
        b.1 = b.1.min(self.len(b.0));
        self.reg = Register {
            text: self.extract(a, b),
            linewise: false,
        };
        match op {
            b'd' | b'c' => {
                self.buf.begin(here);
                self.delete_range(a, b);
                self.cy = a.0;
                self.cx = a.1;
                if op == b'c' {
                    self.start_insert(Mode::Insert, 1);
                }
            }
            _ => {
                self.cy = a.0;
                self.cx = a.1;
            }
        }
    }

    /// Enters insert or replace mode (the change began already or begins now).
    pub fn start_insert(&mut self, mode: Mode, count: usize) {
        self.buf.begin((self.cy, self.cx));
        self.mode = mode;
        self.ins_count = count;
        self.ins_text.clear();
    }

    /// Inserts `text` (which may hold newlines) at the cursor, leaving
    /// the cursor after it.
    pub fn insert_bytes(&mut self, text: &[u8]) {
        for &b in text {
            if b == b'\n' {
                let rest = self.buf.lines[self.cy].split_off(self.cx);
                self.buf.lines.insert(self.cy + 1, rest);
                self.cy += 1;
                self.cx = 0;
            } else {
                self.buf.lines[self.cy].insert(self.cx, b);
                self.cx += 1;
            }
        }
    }

    /// One key in insert or replace mode.
    pub fn insert_key(&mut self, k: Key) {
        match k {
            Key::Byte(27) => {
                for _ in 1..self.ins_count {
                    let t = self.ins_text.clone();
                    self.insert_bytes(&t);
                }
                self.mode = Mode::Normal;
                self.cx = self.cx.saturating_sub(1);
                self.want = self.cx;
            }
            Key::Byte(8) | Key::Byte(127) => {
                self.ins_text.pop();
                if self.cx > 0 {
                    self.cx -= 1;
                    if self.mode == Mode::Insert {
                        self.buf.lines[self.cy].remove(self.cx);
                    }
                } else if self.cy > 0 && self.mode == Mode::Insert {
                    let l = self.buf.lines.remove(self.cy);
                    self.cy -= 1;
                    self.cx = self.len(self.cy);
                    self.buf.lines[self.cy].extend_from_slice(&l);
                }
            }
            Key::Delete if self.cx < self.len(self.cy) => {
                self.buf.lines[self.cy].remove(self.cx);
            }
            Key::Left => self.cx = self.cx.saturating_sub(1),
            Key::Right => self.cx = (self.cx + 1).min(self.len(self.cy)),
            Key::Up => self.cy = self.cy.saturating_sub(1),
            Key::Down => self.cy = (self.cy + 1).min(self.buf.lines.len() - 1),
            Key::Home => self.cx = 0,
            Key::End => self.cx = self.len(self.cy),
            Key::Byte(b) => {
                let b = if b == b'\r' {
                    b'\n'
                } else if b == 22 {
                    // Ctrl-V: the next byte as it is.
                    match self.key() {
                        Key::Byte(c) => c,
                        _ => return,
                    }
                } else {
                    b
                };
                self.ins_text.push(b);
                if self.mode == Mode::Replace && b != b'\n' && self.cx < self.len(self.cy) {
                    self.buf.lines[self.cy][self.cx] = b;
                    self.cx += 1;
                } else {
                    self.insert_bytes(&[b]);
                }
            }
            _ => {}
        }
        if !matches!(k, Key::Byte(_)) {
            self.ins_text.clear();
            self.clamp();
        }
    }

    fn put(&mut self, before: bool, count: usize) {
        let reg = self.reg.clone();
        if reg.text.is_empty() {
            return;
        }
        self.buf.begin((self.cy, self.cx));
        if reg.linewise {
            let at = if before { self.cy } else { self.cy + 1 };
            let mut lines = Vec::new();
            for _ in 0..count {
                lines.extend(reg.text.iter().cloned());
            }
            self.buf.lines.splice(at..at, lines);
            self.cy = at;
            self.cx = self.first_nonblank(at);
            return;
        }
        let mut text = Vec::new();
        for _ in 0..count {
            text.extend_from_slice(&reg.text.join(&b'\n'));
        }
        if !before && !self.buf.lines[self.cy].is_empty() {
            self.cx += 1;
        }
        let (y, x) = (self.cy, self.cx);
        self.insert_bytes(&text);
        if reg.text.len() > 1 {
            self.cy = y;
            self.cx = x;
        } else {
            self.cx = self.cx.saturating_sub(1);
        }
    }

    fn join(&mut self, count: usize) {
        let n = count.max(2) - 1;
        if self.cy + 1 >= self.buf.lines.len() {
            return;
        }
        self.buf.begin((self.cy, self.cx));
        for _ in 0..n {
            if self.cy + 1 >= self.buf.lines.len() {
                break;
            }
            let next = self.buf.lines.remove(self.cy + 1);
            let skip = next
                .iter()
                .position(|&b| b != b' ' && b != b'\t')
                .unwrap_or(next.len());
            let next = &next[skip..];
            let line = &mut self.buf.lines[self.cy];
            while line.last() == Some(&b' ') || line.last() == Some(&b'\t') {
                line.pop();
            }
            self.cx = line.len();
            if !next.is_empty() && !line.is_empty() && next[0] != b')' {
                line.push(b' ');
            }
            line.extend_from_slice(next);
        }
    }

    /// Runs one normal-mode command starting with key `k`.
    pub fn normal(&mut self, mut k: Key) {
        let mut count: Option<usize> = None;
        loop {
            match k {
                Key::Byte(d @ b'1'..=b'9') | Key::Byte(d @ b'0')
                    if d != b'0' || count.is_some() =>
                {
                    count = Some(
                        count
                            .unwrap_or(0)
                            .saturating_mul(10)
                            .saturating_add((d - b'0') as usize)
                            .min(1 << 24),
                    );
                    k = self.key();
                }
                _ => break,
            }
        }
        let n = count.unwrap_or(1).max(1);
        let len = self.len(self.cy);
        let (cy, cx) = (self.cy, self.cx);
        let charwise = |x: usize| Motion {
            y: cy,
            x,
            kind: Kind::Exclusive,
        };
        match k {
            Key::Byte(op @ (b'd' | b'c' | b'y')) => {
                let mut k2 = self.key();
                let mut count2: Option<usize> = None;
                while let Key::Byte(d @ b'0'..=b'9') = k2 {
                    if d == b'0' && count2.is_none() {
                        break;
                    }
                    count2 = Some(count2.unwrap_or(0) * 10 + (d - b'0') as usize);
                    k2 = self.key();
                }
                let total = match (count, count2) {
                    (None, None) => None,
                    (a, b) => Some(a.unwrap_or(1) * b.unwrap_or(1)),
                };
                if k2 == Key::Byte(op) {
                    let y = (cy + total.unwrap_or(1) - 1).min(self.buf.lines.len() - 1);
                    self.apply(
                        op,
                        Motion {
                            y,
                            x: 0,
                            kind: Kind::Linewise,
                        },
                    );
                    return;
                }
                // `cw` on a word changes to its end, leaving the blank.
                if op == b'c'
                    && matches!(k2, Key::Byte(b'w' | b'W'))
                    && class(self.at((cy, cx)), false) != 0
                {
                    let big = k2 == Key::Byte(b'W');
                    let mut p = (cy, cx);
                    for i in 0..total.unwrap_or(1) {
                        if i > 0 {
                            p = self.next_pos(p).unwrap_or(p);
                        }
                        if class(self.at(p), big) == 0 {
                            p = self.word_end(p, big);
                        } else {
                            let c = class(self.at(p), big);
                            while let Some(q) = self.next_pos(p) {
                                if class(self.at(q), big) != c || q.0 != p.0 {
                                    break;
                                }
                                p = q;
                            }
                        }
                    }
                    self.apply(
                        op,
                        Motion {
                            y: p.0,
                            x: p.1,
                            kind: Kind::Inclusive,
                        },
                    );
                    return;
                }
                if let Some(m) = self.motion(k2, total, true) {
                    self.apply(op, m);
                }
            }
            Key::Byte(b'x') | Key::Delete if len > 0 => {
                self.apply(b'd', charwise((cx + n).min(len)))
            }
            Key::Byte(b'X') if cx > 0 => self.apply(b'd', charwise(cx.saturating_sub(n))),
            Key::Byte(b'D') => {
                let y = (cy + n - 1).min(self.buf.lines.len() - 1);
                self.apply(
                    b'd',
                    Motion {
                        y,
                        x: self.len(y),
                        kind: Kind::Exclusive,
                    },
                );
            }
            Key::Byte(b'C') => {
                let y = (cy + n - 1).min(self.buf.lines.len() - 1);
                self.apply(
                    b'c',
                    Motion {
                        y,
                        x: self.len(y),
                        kind: Kind::Exclusive,
                    },
                );
            }
            Key::Byte(b's') => self.apply(b'c', charwise((cx + n).min(len))),
            Key::Byte(b'S') => {
                let y = (cy + n - 1).min(self.buf.lines.len() - 1);
                self.apply(
                    b'c',
                    Motion {
                        y,
                        x: 0,
                        kind: Kind::Linewise,
                    },
                );
            }
            Key::Byte(b'Y') => {
                let y = (cy + n - 1).min(self.buf.lines.len() - 1);
                self.apply(
                    b'y',
                    Motion {
                        y,
                        x: 0,
                        kind: Kind::Linewise,
                    },
                );
                self.cy = cy;
                self.cx = cx;
            }
            Key::Byte(b'r') => {
                let Key::Byte(ch) = self.key() else {
                    return;
                };
                if ch != 27 && cx + n <= len {
                    self.buf.begin((cy, cx));
                    for b in &mut self.buf.lines[cy][cx..cx + n] {
                        *b = ch;
                    }
                    self.cx = cx + n - 1;
                }
            }
            Key::Byte(b'~') if len > 0 => {
                self.buf.begin((cy, cx));
                let end = (cx + n).min(len);
                for b in &mut self.buf.lines[cy][cx..end] {
                    if b.is_ascii_lowercase() {
                        *b = b.to_ascii_uppercase();
                    } else if b.is_ascii_uppercase() {
                        *b = b.to_ascii_lowercase();
                    }
                }
                self.cx = end;
            }
            Key::Byte(b'J') => self.join(n),
            Key::Byte(b'p') => self.put(false, n),
            Key::Byte(b'P') => self.put(true, n),
            Key::Byte(b'i') | Key::Insert => self.start_insert(Mode::Insert, n),
            Key::Byte(b'a') => {
                if len > 0 {
                    self.cx += 1;
                }
                self.start_insert(Mode::Insert, n);
            }
            Key::Byte(b'A') => {
                self.cx = len;
                self.start_insert(Mode::Insert, n);
            }
            Key::Byte(b'I') => {
                self.cx = self.first_nonblank(cy);
                self.start_insert(Mode::Insert, n);
            }
            Key::Byte(b'o') | Key::Byte(b'O') => {
                self.buf.begin((cy, cx));
                let at = if k == Key::Byte(b'o') { cy + 1 } else { cy };
                self.buf.lines.insert(at, Vec::new());
                self.cy = at;
                self.cx = 0;
                self.start_insert(Mode::Insert, 1);
            }
            Key::Byte(b'R') => self.start_insert(Mode::Replace, n),
            Key::Byte(b'u') => match self.buf.undo((cy, cx)) {
                Some((y, x)) => {
                    self.cy = y;
                    self.cx = x;
                }
                None => self.info("Already at oldest change"),
            },
            Key::Byte(18) => match self.buf.redo((cy, cx)) {
                Some((y, x)) => {
                    self.cy = y;
                    self.cx = x;
                }
                None => self.info("Already at newest change"),
            },
            Key::Byte(b'.') => {
                let mut keys: Vec<Key> = self.last_change.clone();
                if let Some(c) = count {
                    while matches!(keys.first(), Some(Key::Byte(b'0'..=b'9'))) {
                        keys.remove(0);
                    }
                    let digits: Vec<Key> = c.to_string().bytes().map(Key::Byte).collect();
                    keys.splice(0..0, digits);
                }
                self.pending.extend(keys);
            }
            Key::Byte(b':') => {
                if let Some(line) = self.read_line(b':') {
                    self.ex(&line);
                }
                // An ex command is not repeated by `.`.
                self.rec.clear();
            }
            Key::Byte(b'Z') => match self.key() {
                Key::Byte(b'Z') => self.ex(b"x"),
                Key::Byte(b'Q') => self.ex(b"q!"),
                _ => {}
            },
            Key::Byte(12) => self.screen.invalidate(),
            Key::Byte(7) => {
                let name = self
                    .filename
                    .as_deref()
                    .map(super::show)
                    .unwrap_or_else(|| "No file".into());
                let total = self.buf.lines.len();
                self.info(format!(
                    "'{name}'{} line {} of {total} --{}%--",
                    if self.buf.modified() {
                        " [Modified]"
                    } else {
                        ""
                    },
                    cy + 1,
                    (cy + 1) * 100 / total
                ));
            }
            _ => {
                if let Some(m) = self.motion(k, count, false) {
                    self.move_to(k, m);
                }
            }
        }
    }
}
