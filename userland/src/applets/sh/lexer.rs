//! Turns shell source into tokens, following the token recognition rules of
//! POSIX (XCU 2.3): operators, words with their quoting structure, and
//! `IO_NUMBER`s. Reserved words are left to the parser, which alone knows
//! whether a word stands where a command name would.

use std::cell::RefCell;
use std::rc::Rc;

use super::ast::{Param, ParamOp, RedirOp, Word, WordPart};
use super::parser::{self, ParseError};

/// Control and redirection operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `&&`
    AndIf,
    /// `||`
    OrIf,
    /// `|`
    Pipe,
    /// `&`
    Amp,
    /// `;`
    Semi,
    /// `;;`: the end of a `case` item.
    DSemi,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// A newline: the end of a complete command.
    Newline,
    /// A redirection operator.
    Redir(RedirOp),
    /// `<<`, or with `true` `<<-` (strip leading tabs).
    HereDoc(bool),
}

impl Op {
    /// The operator as written, for error messages.
    pub fn text(self) -> &'static str {
        match self {
            Op::AndIf => "&&",
            Op::OrIf => "||",
            Op::Pipe => "|",
            Op::Amp => "&",
            Op::Semi => ";",
            Op::DSemi => ";;",
            Op::LParen => "(",
            Op::RParen => ")",
            Op::Newline => "newline",
            Op::HereDoc(_) => "<<",
            Op::Redir(r) => match r {
                RedirOp::Read => "<",
                RedirOp::Write => ">",
                RedirOp::Clobber => ">|",
                RedirOp::Append => ">>",
                RedirOp::ReadWrite => "<>",
                RedirOp::DupIn => "<&",
                RedirOp::DupOut => ">&",
                RedirOp::HereDoc => "<<",
            },
        }
    }
}

/// One token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A word, with its quoting structure.
    Word(Word),
    /// Digits directly before `<` or `>`: the descriptor to redirect.
    IoNumber(i32),
    /// An operator.
    Op(Op),
    /// The end of the input.
    Eof,
}

/// Where a word ends: at a metacharacter, or (inside `${name-word}`) at the
/// closing brace or the given other byte (`:` and `/` separate the words of
/// `${x:off:len}` and `${x/pat/rep}`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum WordEnd {
    Meta,
    Brace(u8),
}

/// A here-document whose body is still to be read: it starts after the next
/// newline token.
pub struct PendingHereDoc {
    /// The delimiter line, quotes removed.
    pub delim: Vec<u8>,
    /// `<<-`: leading tabs are stripped from each line.
    pub strip_tabs: bool,
    /// A quoted delimiter: the body is not expanded.
    pub quoted: bool,
    /// Where the body goes.
    pub body: Rc<RefCell<Word>>,
}

/// Whether `c` ends an unquoted word.
fn is_meta(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
    )
}

/// Whether `c` may start a variable name.
///
/// Spelled as byte ranges, which the device build compiles in line when told to: the
/// shell checks every environment variable's name at start-up.
#[inline(always)]
pub fn is_name_start(c: u8) -> bool {
    matches!(c, b'a'..=b'z' | b'A'..=b'Z' | b'_')
}

/// Whether `c` may continue a variable name.
#[inline(always)]
pub fn is_name_char(c: u8) -> bool {
    matches!(c, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_')
}

/// Whether `s` is a valid variable name.
pub fn is_name(s: &[u8]) -> bool {
    !s.is_empty() && is_name_start(s[0]) && s.iter().all(|&c| is_name_char(c))
}

/// A cursor over shell source.
pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    /// Here-documents to read at the next newline, in order.
    pub pending: Vec<PendingHereDoc>,
}

impl<'a> Lexer<'a> {
    /// A lexer reading `src` from byte `pos`.
    pub fn new(src: &'a [u8], pos: usize) -> Self {
        Lexer {
            src,
            pos,
            pending: Vec::new(),
        }
    }

    /// The offset of the next unread byte.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The next byte, after removing line continuations (backslash-newline),
    /// which vanish everywhere except inside single quotes.
    fn cur(&mut self) -> Option<u8> {
        while self.src.get(self.pos) == Some(&b'\\') && self.src.get(self.pos + 1) == Some(&b'\n') {
            self.pos += 2;
        }
        self.src.get(self.pos).copied()
    }

    /// The byte after the current one, without continuation processing.
    fn raw_at(&self, off: usize) -> Option<u8> {
        self.src.get(self.pos + off).copied()
    }

    /// Reads the next token.
    pub fn next_token(&mut self) -> Result<Token, ParseError> {
        // Blanks and comments separate tokens.
        loop {
            match self.cur() {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(b'#') => {
                    while let Some(c) = self.src.get(self.pos) {
                        if *c == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
        let Some(c) = self.cur() else {
            if !self.pending.is_empty() {
                return Err(ParseError::Incomplete("missing here-document delimiter"));
            }
            return Ok(Token::Eof);
        };
        if let Some(op) = self.operator(c) {
            if op == Op::Newline && !self.pending.is_empty() {
                self.read_heredocs()?;
            }
            return Ok(Token::Op(op));
        }
        if c.is_ascii_digit() {
            let digits = self.src[self.pos..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if matches!(self.raw_at(digits), Some(b'<' | b'>')) {
                let text = &self.src[self.pos..self.pos + digits];
                self.pos += digits;
                // A descriptor too large to be one is a syntax error, as in
                // dash; parsing never panics on input.
                return std::str::from_utf8(text)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .map(Token::IoNumber)
                    .ok_or_else(|| ParseError::Syntax("bad file descriptor number".into()));
            }
        }
        self.word(WordEnd::Meta, false).map(Token::Word)
    }

    /// Reads an operator starting with `c`, if there is one.
    fn operator(&mut self, c: u8) -> Option<Op> {
        let next = self.src.get(self.pos + 1).copied();
        let (op, len) = match (c, next) {
            (b'&', Some(b'&')) => (Op::AndIf, 2),
            (b'&', _) => (Op::Amp, 1),
            (b'|', Some(b'|')) => (Op::OrIf, 2),
            (b'|', _) => (Op::Pipe, 1),
            (b';', Some(b';')) => (Op::DSemi, 2),
            (b';', _) => (Op::Semi, 1),
            (b'(', _) => (Op::LParen, 1),
            (b')', _) => (Op::RParen, 1),
            (b'\n', _) => (Op::Newline, 1),
            (b'<', Some(b'<')) => {
                if self.src.get(self.pos + 2) == Some(&b'-') {
                    (Op::HereDoc(true), 3)
                } else {
                    (Op::HereDoc(false), 2)
                }
            }
            (b'<', Some(b'&')) => (Op::Redir(RedirOp::DupIn), 2),
            (b'<', Some(b'>')) => (Op::Redir(RedirOp::ReadWrite), 2),
            (b'<', _) => (Op::Redir(RedirOp::Read), 1),
            (b'>', Some(b'>')) => (Op::Redir(RedirOp::Append), 2),
            (b'>', Some(b'&')) => (Op::Redir(RedirOp::DupOut), 2),
            (b'>', Some(b'|')) => (Op::Redir(RedirOp::Clobber), 2),
            (b'>', _) => (Op::Redir(RedirOp::Write), 1),
            _ => return None,
        };
        self.pos += len;
        Some(op)
    }

    /// Reads a word up to `end`. With `dquoted`, literal text counts as
    /// quoted (the word of `${x-word}` inside double quotes).
    fn word(&mut self, end: WordEnd, dquoted: bool) -> Result<Word, ParseError> {
        let mut parts = Vec::new();
        let mut lit = Vec::new();
        let flush = |lit: &mut Vec<u8>, parts: &mut Vec<WordPart>| {
            if !lit.is_empty() {
                let text = std::mem::take(lit);
                parts.push(if dquoted {
                    WordPart::Quoted(text)
                } else {
                    WordPart::Literal(text)
                });
            }
        };
        if end == WordEnd::Meta && self.cur() == Some(b'~') {
            if let Some(user) = self.tilde_prefix() {
                parts.push(WordPart::Tilde(user));
            }
        }
        loop {
            let Some(c) = self.cur() else {
                if end != WordEnd::Meta {
                    return Err(ParseError::Incomplete("missing '}'"));
                }
                break;
            };
            match c {
                c if end == WordEnd::Brace(c) || (c == b'}' && end != WordEnd::Meta) => break,
                c if end == WordEnd::Meta && is_meta(c) => break,
                b'\'' => {
                    flush(&mut lit, &mut parts);
                    self.pos += 1;
                    let start = self.pos;
                    let Some(len) = self.src[start..].iter().position(|&c| c == b'\'') else {
                        return Err(ParseError::Incomplete("unterminated quoted string"));
                    };
                    parts.push(WordPart::Quoted(self.src[start..start + len].to_vec()));
                    self.pos = start + len + 1;
                }
                b'"' => {
                    flush(&mut lit, &mut parts);
                    self.pos += 1;
                    let inner = self.double_quoted()?;
                    parts.push(WordPart::DoubleQuoted(inner));
                }
                b'\\' => {
                    // `cur` has removed continuations, so the next byte is
                    // not a newline: it is escaped.
                    match self.raw_at(1) {
                        Some(e) => {
                            flush(&mut lit, &mut parts);
                            parts.push(WordPart::Quoted(vec![e]));
                            self.pos += 2;
                        }
                        None => {
                            lit.push(b'\\');
                            self.pos += 1;
                        }
                    }
                }
                b'$' => {
                    self.pos += 1;
                    match self.dollar(dquoted)? {
                        Some(part) => {
                            flush(&mut lit, &mut parts);
                            parts.push(part);
                        }
                        None => lit.push(b'$'),
                    }
                }
                b'`' => {
                    flush(&mut lit, &mut parts);
                    self.pos += 1;
                    parts.push(self.backquote()?);
                }
                c => {
                    lit.push(c);
                    self.pos += 1;
                }
            }
        }
        flush(&mut lit, &mut parts);
        Ok(Word { parts })
    }

    /// At a `~` starting a word: consumes and returns the login name after it
    /// when the prefix up to the first `/` is unquoted plain text.
    fn tilde_prefix(&mut self) -> Option<Vec<u8>> {
        let rest = &self.src[self.pos + 1..];
        let len = rest
            .iter()
            .position(|&c| c == b'/' || is_meta(c))
            .unwrap_or(rest.len());
        let user = &rest[..len];
        if user
            .iter()
            .any(|c| matches!(c, b'\'' | b'"' | b'\\' | b'$' | b'`'))
        {
            return None;
        }
        self.pos += 1 + len;
        Some(user.to_vec())
    }

    /// Reads the inside of `"..."`, after the opening quote.
    fn double_quoted(&mut self) -> Result<Vec<WordPart>, ParseError> {
        self.quoted_text(false)
    }

    /// Reads text expanded as inside double quotes: up to the closing `"`,
    /// or with `heredoc` (an unquoted here-document body, where `"` is an
    /// ordinary character) up to the end of the input.
    fn quoted_text(&mut self, heredoc: bool) -> Result<Vec<WordPart>, ParseError> {
        let mut parts = Vec::new();
        let mut lit = Vec::new();
        loop {
            let Some(c) = self.cur() else {
                if heredoc {
                    break;
                }
                return Err(ParseError::Incomplete("unterminated quoted string"));
            };
            match c {
                b'"' if !heredoc => {
                    self.pos += 1;
                    break;
                }
                b'\\' => {
                    // Inside double quotes a backslash only escapes the
                    // characters that would otherwise be special there.
                    match self.raw_at(1) {
                        Some(e @ (b'$' | b'`' | b'\\')) => {
                            lit.push(e);
                            self.pos += 2;
                        }
                        Some(b'"') if !heredoc => {
                            lit.push(b'"');
                            self.pos += 2;
                        }
                        _ => {
                            lit.push(b'\\');
                            self.pos += 1;
                        }
                    }
                }
                b'$' => {
                    self.pos += 1;
                    match self.dollar(true)? {
                        Some(part) => {
                            if !lit.is_empty() {
                                parts.push(WordPart::Quoted(std::mem::take(&mut lit)));
                            }
                            parts.push(part);
                        }
                        None => lit.push(b'$'),
                    }
                }
                b'`' => {
                    if !lit.is_empty() {
                        parts.push(WordPart::Quoted(std::mem::take(&mut lit)));
                    }
                    self.pos += 1;
                    parts.push(self.backquote()?);
                }
                c => {
                    lit.push(c);
                    self.pos += 1;
                }
            }
        }
        if !lit.is_empty() {
            parts.push(WordPart::Quoted(lit));
        }
        Ok(parts)
    }

    /// Reads what follows a `$`; `None` when the `$` is literal.
    fn dollar(&mut self, dquoted: bool) -> Result<Option<WordPart>, ParseError> {
        let Some(c) = self.cur() else {
            return Ok(None);
        };
        let plain = |name: Vec<u8>| {
            Some(WordPart::Param(Param {
                name,
                op: ParamOp::Plain,
            }))
        };
        match c {
            b'{' => {
                self.pos += 1;
                self.braced_param(dquoted).map(Some)
            }
            b'(' => {
                if self.raw_at(1) == Some(b'(') {
                    if let Some(part) = self.arith()? {
                        return Ok(Some(part));
                    }
                }
                self.pos += 1;
                let (lists, end) = parser::parse_substitution(self.src, self.pos)?;
                self.pos = end;
                Ok(Some(WordPart::CommandSub(lists)))
            }
            c if is_name_start(c) => {
                let start = self.pos;
                while self.cur().is_some_and(is_name_char) {
                    self.pos += 1;
                }
                Ok(plain(self.src[start..self.pos].to_vec()))
            }
            c if c.is_ascii_digit() || b"?$!#@*-".contains(&c) => {
                self.pos += 1;
                Ok(plain(vec![c]))
            }
            _ => Ok(None),
        }
    }

    /// Reads the parameter name at the cursor: a variable name, a number,
    /// or one special character.
    fn param_name(&mut self) -> Vec<u8> {
        let start = self.pos;
        match self.cur() {
            Some(c) if is_name_start(c) => {
                while self.cur().is_some_and(is_name_char) {
                    self.pos += 1;
                }
            }
            Some(c) if c.is_ascii_digit() => {
                while self.cur().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
            }
            Some(c) if b"?$!#@*-".contains(&c) => self.pos += 1,
            _ => {}
        }
        self.src[start..self.pos].to_vec()
    }

    /// Reads `${...}` after the `${`.
    fn braced_param(&mut self, dquoted: bool) -> Result<WordPart, ParseError> {
        let bad = || ParseError::Syntax("bad substitution".into());
        // `${#name}` is the length; `${#}` and `${#-w}` are about `$#`.
        if self.cur() == Some(b'#')
            && !matches!(
                self.raw_at(1),
                Some(b'}' | b'-' | b'=' | b'+' | b'?' | b':') | None
            )
        {
            self.pos += 1;
            let name = self.param_name();
            if name.is_empty() {
                return Err(bad());
            }
            return match self.cur() {
                Some(b'}') => {
                    self.pos += 1;
                    Ok(WordPart::Param(Param {
                        name,
                        op: ParamOp::Length,
                    }))
                }
                None => Err(ParseError::Incomplete("missing '}'")),
                _ => Err(bad()),
            };
        }
        let name = self.param_name();
        if name.is_empty() {
            return match self.cur() {
                None => Err(ParseError::Incomplete("missing '}'")),
                _ => Err(bad()),
            };
        }
        let colon = self.cur() == Some(b':');
        if colon {
            self.pos += 1;
        }
        let Some(c) = self.cur() else {
            return Err(ParseError::Incomplete("missing '}'"));
        };
        if c == b'}' && !colon {
            self.pos += 1;
            return Ok(WordPart::Param(Param {
                name,
                op: ParamOp::Plain,
            }));
        }
        if let Some(op) = self.param_pattern_op(c, colon, dquoted)? {
            return Ok(WordPart::Param(Param { name, op }));
        }
        if !matches!(c, b'-' | b'=' | b'+' | b'?') {
            return Err(bad());
        }
        self.pos += 1;
        let word = self.word(WordEnd::Brace(b'}'), dquoted)?;
        self.pos += 1; // the closing brace
        let op = match c {
            b'-' => ParamOp::Default { colon, word },
            b'=' => ParamOp::Assign { colon, word },
            b'+' => ParamOp::Alternative { colon, word },
            _ => ParamOp::Error { colon, word },
        };
        Ok(WordPart::Param(Param { name, op }))
    }

    /// Reads the operators of `${name OP ...}` beyond POSIX's `-=+?`, with
    /// the cursor on `c`: trimming, ash's replacement and substrings.
    /// Patterns are never quoted by enclosing double quotes, as POSIX says
    /// for trimming.
    fn param_pattern_op(
        &mut self,
        c: u8,
        colon: bool,
        dquoted: bool,
    ) -> Result<Option<ParamOp>, ParseError> {
        let op = match c {
            b'%' | b'#' if !colon => {
                self.pos += 1;
                let longest = self.cur() == Some(c);
                if longest {
                    self.pos += 1;
                }
                let pattern = self.word(WordEnd::Brace(b'}'), false)?;
                ParamOp::Trim {
                    suffix: c == b'%',
                    longest,
                    pattern,
                }
            }
            b'/' if !colon => {
                self.pos += 1;
                let (all, anchor) = match self.cur() {
                    Some(b'/') => (true, None),
                    Some(a @ (b'#' | b'%')) => (false, Some(a)),
                    _ => (false, None),
                };
                if all || anchor.is_some() {
                    self.pos += 1;
                }
                let pattern = self.word(WordEnd::Brace(b'/'), false)?;
                let with = if self.cur() == Some(b'/') {
                    self.pos += 1;
                    self.word(WordEnd::Brace(b'}'), dquoted)?
                } else {
                    Word::default()
                };
                ParamOp::Replace {
                    all,
                    anchor,
                    pattern,
                    with,
                }
            }
            c if colon && !matches!(c, b'-' | b'=' | b'+' | b'?') => {
                let offset = self.word(WordEnd::Brace(b':'), true)?;
                let length = if self.cur() == Some(b':') {
                    self.pos += 1;
                    Some(self.word(WordEnd::Brace(b'}'), true)?)
                } else {
                    None
                };
                ParamOp::Substr { offset, length }
            }
            _ => return Ok(None),
        };
        self.pos += 1; // the closing brace
        Ok(Some(op))
    }

    /// At `((` after a `$`: reads `$((expr))`. Returns `None`, consuming
    /// nothing, when the parentheses close separately: then it is a command
    /// substitution starting with a subshell, `$( (cmd) )`.
    fn arith(&mut self) -> Result<Option<WordPart>, ParseError> {
        let start = self.pos + 2;
        let mut depth = 0usize;
        let mut i = start;
        loop {
            match self.src.get(i) {
                None => return Err(ParseError::Incomplete("missing '))'")),
                Some(b'(') => depth += 1,
                Some(b')') if depth > 0 => depth -= 1,
                Some(b')') if self.src.get(i + 1) == Some(&b')') => break,
                Some(b')') => return Ok(None),
                _ => {}
            }
            i += 1;
        }
        let text = self.src[start..i].to_vec();
        self.pos = i + 2;
        let mut inner = Lexer::new(&text, 0);
        let mut parts = Vec::new();
        let mut lit = Vec::new();
        // The expression is expanded like double-quoted text, except that
        // `"` is not special (and quotes are rare in expressions anyway).
        while let Some(c) = inner.cur() {
            let part = match c {
                b'$' => {
                    inner.pos += 1;
                    match inner.dollar(true)? {
                        Some(p) => p,
                        None => {
                            lit.push(b'$');
                            continue;
                        }
                    }
                }
                b'`' => {
                    inner.pos += 1;
                    inner.backquote()?
                }
                c => {
                    lit.push(c);
                    inner.pos += 1;
                    continue;
                }
            };
            if !lit.is_empty() {
                parts.push(WordPart::Literal(std::mem::take(&mut lit)));
            }
            parts.push(part);
        }
        if !lit.is_empty() {
            parts.push(WordPart::Literal(lit));
        }
        Ok(Some(WordPart::Arith(Word { parts })))
    }

    /// Just after a newline token: reads the bodies of the pending
    /// here-documents, one after the other, each up to its delimiter line.
    fn read_heredocs(&mut self) -> Result<(), ParseError> {
        for doc in std::mem::take(&mut self.pending) {
            let mut body = Vec::new();
            loop {
                if self.pos >= self.src.len() {
                    return Err(ParseError::Incomplete("missing here-document delimiter"));
                }
                let rest = &self.src[self.pos..];
                let len = rest.iter().position(|&c| c == b'\n');
                let mut line = &rest[..len.unwrap_or(rest.len())];
                self.pos += len.map_or(rest.len(), |l| l + 1);
                if doc.strip_tabs {
                    while line.first() == Some(&b'\t') {
                        line = &line[1..];
                    }
                }
                if line == doc.delim.as_slice() {
                    break;
                }
                body.extend_from_slice(line);
                body.push(b'\n');
            }
            let word = if doc.quoted {
                Word {
                    parts: vec![WordPart::Quoted(body)],
                }
            } else {
                Word {
                    parts: Lexer::new(&body, 0).quoted_text(true)?,
                }
            };
            *doc.body.borrow_mut() = word;
        }
        Ok(())
    }

    /// Reads `` `...` `` after the opening backquote: the text up to the
    /// closing one, with `\$`, `` \` `` and `\\` unescaped, is parsed as
    /// commands of its own.
    fn backquote(&mut self) -> Result<WordPart, ParseError> {
        let mut text = Vec::new();
        loop {
            let Some(c) = self.cur() else {
                return Err(ParseError::Incomplete("unterminated quoted string"));
            };
            self.pos += 1;
            match c {
                b'`' => break,
                b'\\' => match self.src.get(self.pos) {
                    Some(&e @ (b'$' | b'`' | b'\\')) => {
                        text.push(e);
                        self.pos += 1;
                    }
                    _ => text.push(b'\\'),
                },
                c => text.push(c),
            }
        }
        let lists = parser::parse_all(&text).map_err(|e| match e {
            ParseError::Incomplete(m) => ParseError::Syntax(m.into()),
            e => e,
        })?;
        Ok(WordPart::CommandSub(lists))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(src: &str) -> Vec<Token> {
        let mut lx = Lexer::new(src.as_bytes(), 0);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token().unwrap();
            if t == Token::Eof {
                return out;
            }
            out.push(t);
        }
    }

    fn lit(s: &str) -> Token {
        Token::Word(Word {
            parts: vec![WordPart::Literal(s.as_bytes().to_vec())],
        })
    }

    #[test]
    fn operators_and_words() {
        assert_eq!(
            tokens("a|b||c&&d&e;f\n"),
            vec![
                lit("a"),
                Token::Op(Op::Pipe),
                lit("b"),
                Token::Op(Op::OrIf),
                lit("c"),
                Token::Op(Op::AndIf),
                lit("d"),
                Token::Op(Op::Amp),
                lit("e"),
                Token::Op(Op::Semi),
                lit("f"),
                Token::Op(Op::Newline),
            ]
        );
    }

    #[test]
    fn io_numbers() {
        assert_eq!(
            tokens("2>&1 3<x 12>>y a2>z"),
            vec![
                Token::IoNumber(2),
                Token::Op(Op::Redir(RedirOp::DupOut)),
                lit("1"),
                Token::IoNumber(3),
                Token::Op(Op::Redir(RedirOp::Read)),
                lit("x"),
                Token::IoNumber(12),
                Token::Op(Op::Redir(RedirOp::Append)),
                lit("y"),
                lit("a2"),
                Token::Op(Op::Redir(RedirOp::Write)),
                lit("z"),
            ]
        );
    }

    #[test]
    fn quoting() {
        let t = tokens(r#"'a b'"c $x"\d"#);
        assert_eq!(
            t,
            vec![Token::Word(Word {
                parts: vec![
                    WordPart::Quoted(b"a b".to_vec()),
                    WordPart::DoubleQuoted(vec![
                        WordPart::Quoted(b"c ".to_vec()),
                        WordPart::Param(Param {
                            name: b"x".to_vec(),
                            op: ParamOp::Plain
                        }),
                    ]),
                    WordPart::Quoted(b"d".to_vec()),
                ]
            })]
        );
    }

    #[test]
    fn comments_and_continuations() {
        assert_eq!(
            tokens("ec\\\nho # hi\n"),
            vec![lit("echo"), Token::Op(Op::Newline)]
        );
        assert_eq!(tokens("a#b"), vec![lit("a#b")]);
    }

    #[test]
    fn incomplete_input() {
        for src in ["'abc", "\"abc", "${x", "`ls", "$(ls"] {
            let mut lx = Lexer::new(src.as_bytes(), 0);
            assert!(
                matches!(lx.next_token(), Err(ParseError::Incomplete(_))),
                "{src}"
            );
        }
    }

    #[test]
    fn braced_params() {
        let t = tokens("${#x}${y:-a b}");
        let Token::Word(w) = &t[0] else {
            panic!("not a word")
        };
        assert_eq!(
            w.parts[0],
            WordPart::Param(Param {
                name: b"x".to_vec(),
                op: ParamOp::Length
            })
        );
        assert_eq!(
            w.parts[1],
            WordPart::Param(Param {
                name: b"y".to_vec(),
                op: ParamOp::Default {
                    colon: true,
                    word: Word {
                        parts: vec![WordPart::Literal(b"a b".to_vec())]
                    }
                }
            })
        );
        let mut lx = Lexer::new(b"${x!y}", 0);
        assert!(matches!(lx.next_token(), Err(ParseError::Syntax(_))));
    }

    #[test]
    fn tilde() {
        assert_eq!(
            tokens("~/a ~b a~"),
            vec![
                Token::Word(Word {
                    parts: vec![WordPart::Tilde(vec![]), WordPart::Literal(b"/a".to_vec())]
                }),
                Token::Word(Word {
                    parts: vec![WordPart::Tilde(b"b".to_vec())]
                }),
                lit("a~"),
            ]
        );
    }

    #[test]
    fn pattern_operators() {
        let t = tokens("${x%%a*} ${x/a/b} ${x:1:2} ${x: -1}");
        let op = |i: usize| match &t[i] {
            Token::Word(w) => match &w.parts[0] {
                WordPart::Param(p) => p.op.clone(),
                p => panic!("not a parameter: {p:?}"),
            },
            t => panic!("not a word: {t:?}"),
        };
        assert!(matches!(
            op(0),
            ParamOp::Trim {
                suffix: true,
                longest: true,
                ..
            }
        ));
        assert!(matches!(
            op(1),
            ParamOp::Replace {
                all: false,
                anchor: None,
                ..
            }
        ));
        assert!(matches!(
            op(2),
            ParamOp::Substr {
                length: Some(_),
                ..
            }
        ));
        assert!(matches!(op(3), ParamOp::Substr { length: None, .. }));
    }
}
