//! Parsing POSIX basic (BRE) and extended (ERE) regular expressions, with
//! the GNU extensions BusyBox users rely on, into an [`Node`] tree.

use super::Error;

/// A set of bytes, one bit per byte value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ByteSet(pub [u64; 4]);

impl ByteSet {
    /// Adds byte `b`.
    pub fn insert(&mut self, b: u8) {
        self.0[(b >> 6) as usize] |= 1u64 << (b & 63);
    }

    /// Whether byte `b` is in the set.
    #[inline]
    pub fn contains(&self, b: u8) -> bool {
        self.0[(b >> 6) as usize] & (1u64 << (b & 63)) != 0
    }

    /// Replaces the set by its complement.
    pub fn negate(&mut self) {
        for w in &mut self.0 {
            *w = !*w;
        }
    }

    /// Adds the other case of every ASCII letter already present.
    pub fn fold_case(&mut self) {
        for b in b'a'..=b'z' {
            let u = b.to_ascii_uppercase();
            if self.contains(b) || self.contains(u) {
                self.insert(b);
                self.insert(u);
            }
        }
    }

    /// Adds every byte for which `f` holds.
    fn insert_if(&mut self, f: impl Fn(u8) -> bool) {
        for b in 0..=255u8 {
            if f(b) {
                self.insert(b);
            }
        }
    }
}

/// A zero-width assertion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Look {
    /// `^`: start of the subject.
    Start,
    /// `$`: end of the subject.
    End,
    /// `\<`: a word starts here.
    WordStart,
    /// `\>`: a word ends here.
    WordEnd,
    /// `\b`: a word starts or ends here.
    WordBoundary,
    /// `\B`: not a word boundary.
    NotWordBoundary,
    /// No word character just before (`grep -w`'s left edge).
    NoWordBefore,
    /// No word character just after (`grep -w`'s right edge).
    NoWordAfter,
}

/// The parsed form of a regular expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// Matches the empty string.
    Empty,
    /// One literal byte.
    Byte(u8),
    /// Any byte of the set (`.` and bracket expressions).
    Set(Box<ByteSet>),
    /// A zero-width assertion.
    Look(Look),
    /// A capturing group with its number (1-based).
    Group(Box<Node>, usize),
    /// A sequence.
    Concat(Vec<Node>),
    /// Alternatives.
    Alt(Vec<Node>),
    /// `node{min,max}`; `max == None` means no upper bound.
    Repeat(Box<Node>, u32, Option<u32>),
    /// `\N`: what group N matched.
    Backref(usize),
}

/// Largest count allowed in `{m,n}` (RE_DUP_MAX in glibc is 32767, but
/// counts are expanded, and 255 is what POSIX guarantees and musl allows).
pub const DUP_MAX: u32 = 255;

/// A parsed pattern: its tree, the number of groups and whether it uses
/// back-references.
pub struct Parsed {
    /// The tree.
    pub node: Node,
    /// Number of capturing groups.
    pub groups: usize,
    /// Whether a back-reference occurs (needs the backtracking matcher).
    pub backrefs: bool,
}

/// Parses `pat` as an ERE (`extended`) or a BRE.
/// With `icase`, bracket expressions are case-folded before negation
/// (`[^a]` must not match `A`).
pub fn parse(pat: &[u8], extended: bool, icase: bool) -> Result<Parsed, Error> {
    let mut p = Parser {
        pat,
        pos: 0,
        extended,
        icase,
        groups: 0,
        open: Vec::new(),
        backrefs: false,
        depth: 0,
    };
    let node = p.alternation()?;
    if p.pos < pat.len() {
        // Only a stray close paren stops alternation() early.
        return Err(Error::UnmatchedParen);
    }
    Ok(Parsed {
        node,
        groups: p.groups,
        backrefs: p.backrefs,
    })
}

/// Recursive-descent parser state.
struct Parser<'a> {
    pat: &'a [u8],
    pos: usize,
    extended: bool,
    icase: bool,
    groups: usize,
    /// Groups opened and not yet closed (a back-reference to one of them is
    /// invalid).
    open: Vec<usize>,
    backrefs: bool,
    /// Nesting depth, bounded so that hostile input cannot overflow the stack.
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.pat.get(self.pos).copied()
    }

    fn peek2(&self) -> Option<u8> {
        self.pat.get(self.pos + 1).copied()
    }

    /// Whether the input continues with an alternation bar (`|` or `\|`).
    fn at_bar(&self) -> bool {
        if self.extended {
            self.peek() == Some(b'|')
        } else {
            self.peek() == Some(b'\\') && self.peek2() == Some(b'|')
        }
    }

    /// Whether the input continues with a group's close (`)` or `\)`)
    /// inside a group.
    fn at_close(&self) -> bool {
        if self.open.is_empty() {
            return false;
        }
        if self.extended {
            self.peek() == Some(b')')
        } else {
            self.peek() == Some(b'\\') && self.peek2() == Some(b')')
        }
    }

    fn alternation(&mut self) -> Result<Node, Error> {
        self.depth += 1;
        if self.depth > 200 {
            return Err(Error::TooBig);
        }
        let mut alts = vec![self.concat()?];
        while self.at_bar() {
            self.pos += if self.extended { 1 } else { 2 };
            alts.push(self.concat()?);
        }
        self.depth -= 1;
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(alts)
        })
    }

    fn concat(&mut self) -> Result<Node, Error> {
        let mut items: Vec<Node> = Vec::new();
        let start = self.pos;
        while self.pos < self.pat.len() && !self.at_bar() && !self.at_close() {
            let c = self.pat[self.pos];
            // A BRE's `^` is an anchor only first in a branch (GNU also
            // after `\(` and `\|`), and `$` only last.
            if c == b'^' && (self.extended || self.pos == start) {
                self.pos += 1;
                if self.extended {
                    // `^*` in an ERE repeats the anchor (glibc).
                    let node = self.postfix(Node::Look(Look::Start))?;
                    items.push(node);
                } else {
                    items.push(Node::Look(Look::Start));
                    // `^*` in a BRE: the star is literal.
                    if self.peek() == Some(b'*') {
                        self.pos += 1;
                        items.push(Node::Byte(b'*'));
                    }
                }
                continue;
            }
            if c == b'$' && (self.extended || self.at_branch_end(self.pos + 1)) {
                self.pos += 1;
                let node = if self.extended {
                    self.postfix(Node::Look(Look::End))?
                } else {
                    Node::Look(Look::End)
                };
                items.push(node);
                continue;
            }
            if self.extended && c == b')' && self.open.is_empty() {
                // A lone `)` in an ERE is an ordinary character (GNU).
                self.pos += 1;
                items.push(Node::Byte(c));
                continue;
            }
            let first = items.is_empty() || matches!(items.last(), Some(Node::Look(Look::Start)));
            let atom = self.atom(first)?;
            let atom = self.postfix(atom)?;
            items.push(atom);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(items),
        })
    }

    /// Whether position `i` ends a BRE branch (so a `$` before it is an
    /// anchor).
    fn at_branch_end(&self, i: usize) -> bool {
        let rest = &self.pat[i.min(self.pat.len())..];
        rest.is_empty()
            || rest.starts_with(b"\\|")
            || (!self.open.is_empty() && rest.starts_with(b"\\)"))
    }

    /// One atom; `first` tells whether it begins a branch (where `*` is
    /// an ordinary character).
    fn atom(&mut self, first: bool) -> Result<Node, Error> {
        let c = self.pat[self.pos];
        self.pos += 1;
        match c {
            b'.' => {
                let mut s = ByteSet::default();
                s.negate();
                Ok(Node::Set(Box::new(s)))
            }
            b'[' => self.bracket(),
            b'*' if first => Ok(Node::Byte(b'*')),
            b'*' => Err(Error::BadRepeat),
            b'(' if self.extended => self.group(),
            b'+' | b'?' if self.extended && first => Ok(Node::Byte(c)),
            b'+' | b'?' if self.extended => Err(Error::BadRepeat),
            b'\\' => self.escape(first),
            _ => Ok(Node::Byte(c)),
        }
    }

    fn escape(&mut self, first: bool) -> Result<Node, Error> {
        let Some(c) = self.peek() else {
            return Err(Error::TrailingBackslash);
        };
        self.pos += 1;
        let class = |f: fn(u8) -> bool, neg: bool| {
            let mut s = ByteSet::default();
            s.insert_if(f);
            if neg {
                s.negate();
            }
            Ok(Node::Set(Box::new(s)))
        };
        match c {
            b'(' if !self.extended => self.group(),
            b'{' if !self.extended && first => Ok(Node::Byte(b'{')),
            b'{' if !self.extended => Err(Error::BadRepeat),
            b'+' | b'?' if !self.extended && first => Ok(Node::Byte(c)),
            b'+' | b'?' if !self.extended => Err(Error::BadRepeat),
            b'1'..=b'9' => {
                let n = (c - b'0') as usize;
                if n > self.groups || self.open.contains(&n) {
                    return Err(Error::BadBackref);
                }
                self.backrefs = true;
                Ok(Node::Backref(n))
            }
            b'<' => Ok(Node::Look(Look::WordStart)),
            b'>' => Ok(Node::Look(Look::WordEnd)),
            b'b' => Ok(Node::Look(Look::WordBoundary)),
            b'B' => Ok(Node::Look(Look::NotWordBoundary)),
            b'`' => Ok(Node::Look(Look::Start)),
            b'\'' => Ok(Node::Look(Look::End)),
            b'w' => class(is_word, false),
            b'W' => class(is_word, true),
            b's' => class(|b| b.is_ascii_whitespace() || b == 0x0b, false),
            b'S' => class(|b| b.is_ascii_whitespace() || b == 0x0b, true),
            b'n' => Ok(Node::Byte(b'\n')),
            b't' => Ok(Node::Byte(b'\t')),
            _ => Ok(Node::Byte(c)),
        }
    }

    fn group(&mut self) -> Result<Node, Error> {
        self.groups += 1;
        let n = self.groups;
        self.open.push(n);
        let inner = self.alternation()?;
        let closed = if self.extended {
            self.peek() == Some(b')')
        } else {
            self.peek() == Some(b'\\') && self.peek2() == Some(b')')
        };
        if !closed {
            return Err(Error::UnmatchedParen);
        }
        self.pos += if self.extended { 1 } else { 2 };
        self.open.pop();
        Ok(Node::Group(Box::new(inner), n))
    }

    /// Applies any repetition operators following an atom.
    fn postfix(&mut self, mut atom: Node) -> Result<Node, Error> {
        // Stacked operators (`a**`, `a{2}{3}`) nest; bound the nesting so
        // that compiling and dropping the tree cannot exhaust the stack.
        let mut layers = 0;
        loop {
            let (min, max) = match (self.peek(), self.peek2()) {
                (Some(b'*'), _) => {
                    self.pos += 1;
                    (0, None)
                }
                (Some(b'+'), _) if self.extended => {
                    self.pos += 1;
                    (1, None)
                }
                (Some(b'?'), _) if self.extended => {
                    self.pos += 1;
                    (0, Some(1))
                }
                (Some(b'\\'), Some(b'+')) if !self.extended => {
                    self.pos += 2;
                    (1, None)
                }
                (Some(b'\\'), Some(b'?')) if !self.extended => {
                    self.pos += 2;
                    (0, Some(1))
                }
                (Some(b'{'), Some(d)) if self.extended && (d.is_ascii_digit() || d == b',') => {
                    // An ERE `{` that does not start a valid interval is an
                    // ordinary character, as in GNU grep.
                    let at = self.pos;
                    self.pos += 1;
                    match self.interval() {
                        Ok(range) => range,
                        Err(Error::BadBrace) if self.pos >= self.pat.len() => {
                            self.pos = at;
                            return Ok(atom);
                        }
                        Err(Error::UnmatchedBrace) => {
                            self.pos = at;
                            return Ok(atom);
                        }
                        Err(e) => return Err(e),
                    }
                }
                (Some(b'\\'), Some(b'{')) if !self.extended => {
                    self.pos += 2;
                    self.interval()?
                }
                _ => return Ok(atom),
            };
            if matches!(atom, Node::Look(_)) {
                // `^*` and similar: repeating an assertion is pointless;
                // keep the assertion itself when at least one is required.
                if min == 0 {
                    atom = Node::Empty;
                }
                continue;
            }
            if let Node::Repeat(_, inner_min, None) = &atom {
                // x* or x+ under *, + or ?: x** is x*, x+? is x*, x++ is x+.
                if *inner_min <= 1 && (max.is_none() || (min, max) == (0, Some(1))) {
                    let new_min = (*inner_min).min(min);
                    if let Node::Repeat(inner, _, _) = atom {
                        atom = Node::Repeat(inner, new_min, None);
                    }
                    continue;
                }
            }
            layers += 1;
            if layers > 32 {
                return Err(Error::TooBig);
            }
            atom = Node::Repeat(Box::new(atom), min, max);
        }
    }

    /// The inside of `{m,n}` / `\{m,n\}` after the opening brace.
    fn interval(&mut self) -> Result<(u32, Option<u32>), Error> {
        let min = self.number()?;
        if self.pos >= self.pat.len() {
            return Err(Error::UnmatchedBrace);
        }
        if min.is_none() && self.peek() != Some(b',') {
            return Err(Error::BadBrace);
        }
        let max = if self.peek() == Some(b',') {
            self.pos += 1;
            self.number()?
        } else {
            Some(min.unwrap_or(0))
        };
        let close = if self.extended {
            self.peek() == Some(b'}')
        } else {
            self.peek() == Some(b'\\') && self.peek2() == Some(b'}')
        };
        if !close {
            return Err(if self.pos >= self.pat.len() {
                Error::UnmatchedBrace
            } else {
                Error::BadBrace
            });
        }
        self.pos += if self.extended { 1 } else { 2 };
        let min = min.unwrap_or(0);
        if max.is_some_and(|m| m < min) {
            return Err(Error::BadBrace);
        }
        Ok((min, max))
    }

    fn number(&mut self) -> Result<Option<u32>, Error> {
        let mut n: Option<u32> = None;
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            self.pos += 1;
            let v = n.unwrap_or(0) * 10 + u32::from(d - b'0');
            if v > DUP_MAX {
                return Err(Error::BadBrace);
            }
            n = Some(v);
        }
        Ok(n)
    }

    /// A bracket expression after its `[`.
    fn bracket(&mut self) -> Result<Node, Error> {
        let mut set = ByteSet::default();
        let negate = self.peek() == Some(b'^');
        if negate {
            self.pos += 1;
        }
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(Error::UnmatchedBracket);
            };
            if c == b']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            let lo = if c == b'[' && matches!(self.peek2(), Some(b':' | b'=' | b'.')) {
                let kind = self.pat[self.pos + 1];
                let body_start = self.pos + 2;
                let end = self.pat[body_start..]
                    .windows(2)
                    .position(|w| w[0] == kind && w[1] == b']')
                    .ok_or(Error::UnmatchedBracket)?;
                let body = &self.pat[body_start..body_start + end];
                self.pos = body_start + end + 2;
                match kind {
                    b':' => {
                        let f = class_fn(body).ok_or(Error::BadClass)?;
                        set.insert_if(f);
                        continue;
                    }
                    // Only single-byte collating elements exist here.
                    _ if body.len() == 1 => body[0],
                    _ => return Err(Error::BadCollation),
                }
            } else {
                self.pos += 1;
                c
            };
            // A range, unless the `-` is last (`[a-]`).
            if self.peek() == Some(b'-') && self.peek2().is_some_and(|n| n != b']') {
                self.pos += 1;
                let hi = if self.peek() == Some(b'[') && matches!(self.peek2(), Some(b'=' | b'.')) {
                    let kind = self.pat[self.pos + 1];
                    let body_start = self.pos + 2;
                    let end = self.pat[body_start..]
                        .windows(2)
                        .position(|w| w[0] == kind && w[1] == b']')
                        .ok_or(Error::UnmatchedBracket)?;
                    if end != 1 {
                        return Err(Error::BadCollation);
                    }
                    self.pos = body_start + end + 2;
                    self.pat[body_start]
                } else {
                    let Some(h) = self.peek() else {
                        return Err(Error::UnmatchedBracket);
                    };
                    self.pos += 1;
                    h
                };
                if hi < lo {
                    return Err(Error::BadRange);
                }
                for b in lo..=hi {
                    set.insert(b);
                }
            } else {
                set.insert(lo);
            }
        }
        if self.icase {
            set.fold_case();
        }
        if negate {
            set.negate();
        }
        Ok(Node::Set(Box::new(set)))
    }
}

/// Whether `b` is a word character (`\w`, `\<`): alphanumeric or `_`.
pub fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The test for the character class named `name` (`alpha` in `[:alpha:]`).
fn class_fn(name: &[u8]) -> Option<fn(u8) -> bool> {
    let f: fn(u8) -> bool = match name {
        b"alpha" => |b: u8| b.is_ascii_alphabetic(),
        b"digit" => |b: u8| b.is_ascii_digit(),
        b"alnum" => |b: u8| b.is_ascii_alphanumeric(),
        b"upper" => |b: u8| b.is_ascii_uppercase(),
        b"lower" => |b: u8| b.is_ascii_lowercase(),
        b"space" => |b: u8| b.is_ascii_whitespace() || b == 0x0b,
        b"blank" => |b: u8| b == b' ' || b == b'\t',
        b"punct" => |b: u8| b.is_ascii_punctuation(),
        b"print" => |b: u8| (0x20..0x7f).contains(&b),
        b"graph" => |b: u8| b.is_ascii_graphic(),
        b"cntrl" => |b: u8| b < 0x20 || b == 0x7f,
        b"xdigit" => |b: u8| b.is_ascii_hexdigit(),
        _ => return None,
    };
    Some(f)
}
