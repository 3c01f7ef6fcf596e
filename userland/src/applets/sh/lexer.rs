//! Turns shell source into tokens, following the token recognition rules of
//! POSIX (XCU 2.3): operators, words with their quoting structure, and
//! `IO_NUMBER`s. Reserved words are left to the parser, which alone knows
//! whether a word stands where a command name would.

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
    /// `;;` (for `case`, which comes later; recognised now so that it is
    /// reported as a syntax error rather than as two empty commands).
    DSemi,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// A newline: the end of a complete command.
    Newline,
    /// A redirection operator.
    Redir(RedirOp),
    /// `<<` or `<<-` (here-documents are not supported yet).
    HereDoc,
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
            Op::HereDoc => "<<",
            Op::Redir(r) => match r {
                RedirOp::Read => "<",
                RedirOp::Write => ">",
                RedirOp::Clobber => ">|",
                RedirOp::Append => ">>",
                RedirOp::ReadWrite => "<>",
                RedirOp::DupIn => "<&",
                RedirOp::DupOut => ">&",
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
/// closing brace.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WordEnd {
    Meta,
    Brace,
}

/// Whether `c` ends an unquoted word.
fn is_meta(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
    )
}

/// Whether `c` may start a variable name.
pub fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

/// Whether `c` may continue a variable name.
pub fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Whether `s` is a valid variable name.
pub fn is_name(s: &[u8]) -> bool {
    !s.is_empty() && is_name_start(s[0]) && s.iter().all(|&c| is_name_char(c))
}

/// A cursor over shell source.
pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    /// A lexer reading `src` from byte `pos`.
    pub fn new(src: &'a [u8], pos: usize) -> Self {
        Lexer { src, pos }
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
            return Ok(Token::Eof);
        };
        if let Some(op) = self.operator(c) {
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
                let len = if self.src.get(self.pos + 2) == Some(&b'-') {
                    3
                } else {
                    2
                };
                (Op::HereDoc, len)
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
                if end == WordEnd::Brace {
                    return Err(ParseError::Incomplete("missing '}'"));
                }
                break;
            };
            match c {
                b'}' if end == WordEnd::Brace => break,
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
        let mut parts = Vec::new();
        let mut lit = Vec::new();
        loop {
            let Some(c) = self.cur() else {
                return Err(ParseError::Incomplete("unterminated quoted string"));
            };
            match c {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => {
                    // Inside double quotes a backslash only escapes the
                    // characters that would otherwise be special there.
                    match self.raw_at(1) {
                        Some(e @ (b'$' | b'`' | b'"' | b'\\')) => {
                            lit.push(e);
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
                    return Err(ParseError::Syntax(
                        "arithmetic expansion is not supported".into(),
                    ));
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
        if !matches!(c, b'-' | b'=' | b'+' | b'?') {
            return Err(bad());
        }
        self.pos += 1;
        let word = self.word(WordEnd::Brace, dquoted)?;
        self.pos += 1; // the closing brace
        let op = match c {
            b'-' => ParamOp::Default { colon, word },
            b'=' => ParamOp::Assign { colon, word },
            b'+' => ParamOp::Alternative { colon, word },
            _ => ParamOp::Error { colon, word },
        };
        Ok(WordPart::Param(Param { name, op }))
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
        let mut lx = Lexer::new(b"${x%y}", 0);
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
}
