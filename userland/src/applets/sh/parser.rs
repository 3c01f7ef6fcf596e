//! A recursive-descent parser for the shell grammar (XCU 2.10), one complete
//! command at a time so that the shell can run each command before it reads
//! the next (a script may change what follows, and `sh < file` must not
//! consume input the commands read themselves).

use std::cell::RefCell;
use std::rc::Rc;

use super::ast::{
    AndOrList, Assignment, CaseItem, Command, Connector, Pipeline, RedirOp, Redirect,
    SimpleCommand, Word, WordPart,
};
use super::lexer::{is_name, Lexer, Op, PendingHereDoc, Token};

/// Why the input could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The input ends inside a construct (an open quote, a trailing `|`):
    /// more input could complete it.
    Incomplete(&'static str),
    /// The input is wrong whatever follows.
    Syntax(String),
}

impl ParseError {
    /// The message for `sh: syntax error: ...`.
    pub fn message(&self) -> String {
        match self {
            ParseError::Incomplete(m) => (*m).to_string(),
            ParseError::Syntax(m) => m.clone(),
        }
    }
}

/// The parser: a lexer and one token of lookahead.
pub struct Parser<'a> {
    lexer: Lexer<'a>,
    peeked: Option<Token>,
    /// The source, for the text of pipelines (shown by `jobs`).
    src: &'a [u8],
    /// Where the peeked token's lexing started.
    peek_start: usize,
    /// The end of the last token taken.
    last_end: usize,
}

/// Parses all of `src` (for `` `...` ``, `eval` and tests).
pub fn parse_all(src: &[u8]) -> Result<Vec<AndOrList>, ParseError> {
    let mut p = Parser::new(src, 0);
    let mut all = Vec::new();
    while let Some((lists, _)) = p.complete_command()? {
        all.extend(lists);
    }
    Ok(all)
}

/// Parses the commands of `$(...)` starting at `pos` (just after the `(`);
/// returns them with the offset after the closing `)`.
pub fn parse_substitution(src: &[u8], pos: usize) -> Result<(Vec<AndOrList>, usize), ParseError> {
    let mut p = Parser::new(src, pos);
    let lists = p.compound_list()?;
    match p.next()? {
        Token::Op(Op::RParen) => Ok((lists, p.lexer.pos())),
        Token::Eof => Err(ParseError::Incomplete("missing ')'")),
        t => Err(unexpected(&t)),
    }
}

/// The error for token `t` where it is not allowed.
fn unexpected(t: &Token) -> ParseError {
    match t {
        Token::Eof => ParseError::Incomplete("unexpected end of file"),
        Token::Op(op) if *op == Op::Newline => ParseError::Syntax("unexpected newline".into()),
        Token::Op(op) => ParseError::Syntax(format!("unexpected \"{}\"", op.text())),
        Token::IoNumber(n) => ParseError::Syntax(format!("unexpected \"{n}\"")),
        Token::Word(w) => ParseError::Syntax(format!(
            "unexpected \"{}\"",
            String::from_utf8_lossy(literal(w).unwrap_or(b"word"))
        )),
    }
}

/// Reserved words that end a `compound_list`: they can never start a
/// command, so a command position holding one closes the enclosing construct.
const TERMINATORS: &[&[u8]] = &[
    b"}", b"then", b"elif", b"else", b"fi", b"do", b"done", b"esac",
];

/// The delimiter of a here-document as written without its quotes, and
/// whether any part of it was quoted (which turns off expansion).
fn delimiter(w: &Word) -> (Vec<u8>, bool) {
    fn flatten(parts: &[WordPart], text: &mut Vec<u8>, quoted: &mut bool) {
        for p in parts {
            match p {
                WordPart::Literal(s) => text.extend_from_slice(s),
                WordPart::Quoted(s) => {
                    *quoted = true;
                    text.extend_from_slice(s);
                }
                WordPart::DoubleQuoted(inner) => {
                    *quoted = true;
                    flatten(inner, text, quoted);
                }
                WordPart::Param(p) => {
                    text.push(b'$');
                    text.extend_from_slice(&p.name);
                }
                WordPart::Tilde(u) => {
                    text.push(b'~');
                    text.extend_from_slice(u);
                }
                WordPart::CommandSub(_) | WordPart::Arith(_) => {}
            }
        }
    }
    let (mut text, mut quoted) = (Vec::new(), false);
    flatten(&w.parts, &mut text, &mut quoted);
    (text, quoted)
}

/// The text of a word that is one piece of unquoted text (a candidate
/// reserved word).
fn literal(w: &Word) -> Option<&[u8]> {
    match w.parts.as_slice() {
        [WordPart::Literal(s)] => Some(s),
        _ => None,
    }
}

impl<'a> Parser<'a> {
    /// A parser reading `src` from byte `pos`.
    pub fn new(src: &'a [u8], pos: usize) -> Self {
        Parser {
            lexer: Lexer::new(src, pos),
            peeked: None,
            src,
            peek_start: pos,
            last_end: pos,
        }
    }

    fn peek(&mut self) -> Result<&Token, ParseError> {
        if self.peeked.is_none() {
            self.peek_start = self.lexer.pos();
            self.peeked = Some(self.lexer.next_token()?);
        }
        Ok(self.peeked.get_or_insert(Token::Eof))
    }

    fn next(&mut self) -> Result<Token, ParseError> {
        let t = match self.peeked.take() {
            Some(t) => t,
            None => self.lexer.next_token()?,
        };
        self.last_end = self.lexer.pos();
        Ok(t)
    }

    /// Whether the next token is a reserved word that ends a list.
    fn at_terminator(&mut self) -> Result<bool, ParseError> {
        Ok(
            matches!(self.peek()?, Token::Word(w) if literal(w).is_some_and(|l| TERMINATORS.contains(&l))),
        )
    }

    /// Consumes the reserved word `kw`, or fails on whatever is there.
    fn expect(&mut self, kw: &[u8]) -> Result<(), ParseError> {
        if self.at_keyword(kw)? {
            self.next()?;
            return Ok(());
        }
        let t = self.next()?;
        Err(unexpected(&t))
    }

    /// A `compound_list` that must not be empty, followed by `kw`.
    fn body(&mut self, kw: &[u8]) -> Result<Vec<AndOrList>, ParseError> {
        let list = self.compound_list()?;
        if list.is_empty() {
            let t = self.next()?;
            return Err(unexpected(&t));
        }
        self.expect(kw)?;
        Ok(list)
    }

    /// `if c; then b; [elif c; then b;]... [else b;] fi`.
    fn if_clause(&mut self) -> Result<Command, ParseError> {
        let mut branches = Vec::new();
        let mut otherwise = None;
        loop {
            let cond = self.body(b"then")?;
            let list = self.compound_list()?;
            if list.is_empty() {
                let t = self.next()?;
                return Err(unexpected(&t));
            }
            branches.push((cond, list));
            if self.at_keyword(b"elif")? {
                self.next()?;
                continue;
            }
            if self.at_keyword(b"else")? {
                self.next()?;
                otherwise = Some(self.body(b"fi")?);
                break;
            }
            self.expect(b"fi")?;
            break;
        }
        Ok(Command::If {
            branches,
            otherwise,
            redirects: self.redirects()?,
        })
    }

    /// `for name [in word...]; do b; done`.
    fn for_clause(&mut self) -> Result<Command, ParseError> {
        let var = match self.next()? {
            Token::Word(w) if literal(&w).is_some_and(is_name) => {
                literal(&w).unwrap_or_default().to_vec()
            }
            t => return Err(unexpected(&t)),
        };
        self.linebreak()?;
        let mut words = None;
        if self.at_keyword(b"in")? {
            self.next()?;
            let mut list = Vec::new();
            while let Token::Word(_) = self.peek()? {
                if let Token::Word(w) = self.next()? {
                    list.push(w);
                }
            }
            match self.next()? {
                Token::Op(Op::Semi | Op::Newline) => {}
                t => return Err(unexpected(&t)),
            }
            words = Some(list);
        } else if *self.peek()? == Token::Op(Op::Semi) {
            self.next()?;
        }
        self.linebreak()?;
        self.expect(b"do")?;
        let body = self.body(b"done")?;
        Ok(Command::For {
            var,
            words,
            body,
            redirects: self.redirects()?,
        })
    }

    /// `case word in [(]pat[|pat]...) list ;; ... esac`.
    fn case_clause(&mut self) -> Result<Command, ParseError> {
        let word = match self.next()? {
            Token::Word(w) => w,
            t => return Err(unexpected(&t)),
        };
        self.linebreak()?;
        self.expect(b"in")?;
        let mut items = Vec::new();
        loop {
            self.linebreak()?;
            if self.at_keyword(b"esac")? {
                self.next()?;
                break;
            }
            if *self.peek()? == Token::Op(Op::LParen) {
                self.next()?;
            }
            let mut patterns = Vec::new();
            loop {
                match self.next()? {
                    Token::Word(w) => patterns.push(w),
                    t => return Err(unexpected(&t)),
                }
                match self.next()? {
                    Token::Op(Op::Pipe) => {}
                    Token::Op(Op::RParen) => break,
                    t => return Err(unexpected(&t)),
                }
            }
            let body = self.compound_list()?;
            items.push(CaseItem { patterns, body });
            if *self.peek()? == Token::Op(Op::DSemi) {
                self.next()?;
                continue;
            }
            // The last item may omit its `;;`.
            self.expect(b"esac")?;
            break;
        }
        Ok(Command::Case {
            word,
            items,
            redirects: self.redirects()?,
        })
    }

    /// After `name (`: the rest of a function definition, `) body`, where
    /// the body must be a compound command.
    fn function_def(&mut self, name: Vec<u8>) -> Result<Command, ParseError> {
        match self.next()? {
            Token::Op(Op::RParen) => {}
            t => return Err(unexpected(&t)),
        }
        self.linebreak()?;
        if !matches!(self.peek()?, Token::Op(Op::LParen) | Token::Word(_))
            || self.at_terminator()?
        {
            let t = self.next()?;
            return Err(unexpected(&t));
        }
        let body = self.command()?;
        if matches!(body, Command::Simple(_) | Command::FuncDef(..)) {
            return Err(ParseError::Syntax(
                "function body must be a compound command".into(),
            ));
        }
        Ok(Command::FuncDef(name, Rc::new(body)))
    }

    /// Whether the next token is the reserved word `kw`.
    fn at_keyword(&mut self, kw: &[u8]) -> Result<bool, ParseError> {
        Ok(matches!(self.peek()?, Token::Word(w) if literal(w) == Some(kw)))
    }

    /// Skips newlines (the grammar's `linebreak`).
    fn linebreak(&mut self) -> Result<(), ParseError> {
        while *self.peek()? == Token::Op(Op::Newline) {
            self.next()?;
        }
        Ok(())
    }

    /// Parses the next complete command: the and-or lists up to a newline
    /// or the end of the input. Returns them with the offset just after
    /// the command, or `None` at the end of the input.
    pub fn complete_command(&mut self) -> Result<Option<(Vec<AndOrList>, usize)>, ParseError> {
        self.linebreak()?;
        if *self.peek()? == Token::Eof {
            return Ok(None);
        }
        let mut lists = Vec::new();
        loop {
            let mut list = self.and_or()?;
            match self.next()? {
                Token::Op(Op::Amp) => list.background = true,
                Token::Op(Op::Semi) => {}
                Token::Op(Op::Newline) | Token::Eof => {
                    lists.push(list);
                    break;
                }
                t => return Err(unexpected(&t)),
            }
            lists.push(list);
            if matches!(self.peek()?, Token::Op(Op::Newline) | Token::Eof) {
                self.next()?;
                break;
            }
        }
        // The lookahead is never past the newline, so the lexer's position is
        // exactly where this command ended.
        Ok(Some((lists, self.lexer.pos())))
    }

    /// `compound_list`: and-or lists separated by `;`, `&` or newlines,
    /// ending before a token that cannot start a command (`)`, `}`, ...).
    fn compound_list(&mut self) -> Result<Vec<AndOrList>, ParseError> {
        let mut lists = Vec::new();
        loop {
            self.linebreak()?;
            if matches!(self.peek()?, Token::Op(Op::RParen | Op::DSemi) | Token::Eof)
                || self.at_terminator()?
            {
                break;
            }
            let mut list = self.and_or()?;
            match self.peek()? {
                Token::Op(Op::Amp) => {
                    list.background = true;
                    self.next()?;
                }
                Token::Op(Op::Semi | Op::Newline) => {
                    self.next()?;
                }
                _ => {
                    lists.push(list);
                    break;
                }
            }
            lists.push(list);
        }
        Ok(lists)
    }

    /// `and_or`: pipelines joined by `&&` and `||`.
    fn and_or(&mut self) -> Result<AndOrList, ParseError> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let conn = match self.peek()? {
                Token::Op(Op::AndIf) => Connector::And,
                Token::Op(Op::OrIf) => Connector::Or,
                _ => break,
            };
            self.next()?;
            self.linebreak()?;
            rest.push((conn, self.pipeline()?));
        }
        Ok(AndOrList {
            first,
            rest,
            background: false,
        })
    }

    /// `pipeline`: `[!] command | command ...`.
    fn pipeline(&mut self) -> Result<Pipeline, ParseError> {
        self.peek()?;
        let start = self.peek_start;
        let negate = self.at_keyword(b"!")?;
        if negate {
            self.next()?;
        }
        let mut commands = vec![self.command()?];
        while *self.peek()? == Token::Op(Op::Pipe) {
            self.next()?;
            self.linebreak()?;
            commands.push(self.command()?);
        }
        let text = self
            .src
            .get(start..self.last_end.max(start))
            .unwrap_or_default()
            .trim_ascii()
            .into();
        Ok(Pipeline {
            negate,
            commands,
            text,
        })
    }

    /// `command`: a subshell, a brace group or a simple command.
    fn command(&mut self) -> Result<Command, ParseError> {
        if *self.peek()? == Token::Op(Op::LParen) {
            self.next()?;
            let body = self.compound_list()?;
            if body.is_empty() {
                let t = self.next()?;
                return Err(unexpected(&t));
            }
            match self.next()? {
                Token::Op(Op::RParen) => {}
                t => return Err(unexpected(&t)),
            }
            return Ok(Command::Subshell(body, self.redirects()?));
        }
        if self.at_keyword(b"{")? {
            self.next()?;
            let body = self.compound_list()?;
            if body.is_empty() || !self.at_keyword(b"}")? {
                let t = self.next()?;
                return Err(unexpected(&t));
            }
            self.next()?;
            return Ok(Command::Group(body, self.redirects()?));
        }
        if self.at_keyword(b"if")? {
            self.next()?;
            return self.if_clause();
        }
        for (kw, until) in [(&b"while"[..], false), (b"until", true)] {
            if self.at_keyword(kw)? {
                self.next()?;
                let cond = self.body(b"do")?;
                let body = self.body(b"done")?;
                return Ok(Command::Loop {
                    until,
                    cond,
                    body,
                    redirects: self.redirects()?,
                });
            }
        }
        if self.at_keyword(b"for")? {
            self.next()?;
            return self.for_clause();
        }
        if self.at_keyword(b"case")? {
            self.next()?;
            return self.case_clause();
        }
        if self.at_terminator()? {
            let t = self.next()?;
            return Err(unexpected(&t));
        }
        // `name (` starts a function definition; otherwise the word is the
        // first of a simple command.
        let mut first = None;
        if matches!(self.peek()?, Token::Word(w) if literal(w).is_some_and(is_name)) {
            if let Token::Word(w) = self.next()? {
                if *self.peek()? == Token::Op(Op::LParen) {
                    self.next()?;
                    return self.function_def(literal(&w).unwrap_or_default().to_vec());
                }
                first = Some(w);
            }
        }
        self.simple_command(first).map(Command::Simple)
    }

    /// Redirections after a compound command.
    fn redirects(&mut self) -> Result<Vec<Redirect>, ParseError> {
        let mut out = Vec::new();
        while let Some(r) = self.redirect()? {
            out.push(r);
        }
        Ok(out)
    }

    /// A redirection, if one is next.
    fn redirect(&mut self) -> Result<Option<Redirect>, ParseError> {
        let fd = match *self.peek()? {
            Token::IoNumber(n) => {
                self.next()?;
                Some(n)
            }
            Token::Op(Op::Redir(_) | Op::HereDoc(_)) => None,
            _ => return Ok(None),
        };
        let op = match self.next()? {
            Token::Op(Op::Redir(op)) => op,
            Token::Op(Op::HereDoc(strip_tabs)) => {
                let target = match self.next()? {
                    Token::Word(w) => w,
                    Token::Eof => return Err(ParseError::Syntax("unexpected end of file".into())),
                    t => return Err(unexpected(&t)),
                };
                let (delim, quoted) = delimiter(&target);
                let body = Rc::new(RefCell::new(Word::default()));
                self.lexer.pending.push(PendingHereDoc {
                    delim,
                    strip_tabs,
                    quoted,
                    body: Rc::clone(&body),
                });
                return Ok(Some(Redirect {
                    fd: fd.unwrap_or(0),
                    op: RedirOp::HereDoc,
                    target,
                    heredoc: Some(body),
                }));
            }
            t => return Err(unexpected(&t)),
        };
        match self.next()? {
            Token::Word(target) => Ok(Some(Redirect {
                fd: fd.unwrap_or_else(|| op.default_fd()),
                op,
                target,
                heredoc: None,
            })),
            // After a redirection operator the file name is required even at
            // the end of the input: no further line could supply it.
            Token::Eof => Err(ParseError::Syntax("unexpected end of file".into())),
            t => Err(unexpected(&t)),
        }
    }

    /// `simple_command`: assignments, words and redirections in any order
    /// (assignments only before the first word). `first` is a command name
    /// already read while looking for a function definition.
    fn simple_command(&mut self, first: Option<Word>) -> Result<SimpleCommand, ParseError> {
        let mut cmd = SimpleCommand::default();
        cmd.words.extend(first);
        loop {
            if let Some(r) = self.redirect()? {
                cmd.redirects.push(r);
                continue;
            }
            if !matches!(self.peek()?, Token::Word(_)) {
                break;
            }
            let Token::Word(word) = self.next()? else {
                break;
            };
            if cmd.words.is_empty() {
                if let Some(a) = assignment(&word) {
                    cmd.assigns.push(a);
                    continue;
                }
            }
            cmd.words.push(word);
        }
        if cmd.words.is_empty() && cmd.assigns.is_empty() && cmd.redirects.is_empty() {
            let t = self.next()?;
            return Err(unexpected(&t));
        }
        Ok(cmd)
    }
}

/// Splits `NAME=value` into an assignment when the word starts with an
/// unquoted valid name followed by `=`.
fn assignment(word: &Word) -> Option<Assignment> {
    let Some(WordPart::Literal(first)) = word.parts.first() else {
        return None;
    };
    let eq = first.iter().position(|&c| c == b'=')?;
    if !is_name(&first[..eq]) {
        return None;
    }
    let mut parts = Vec::with_capacity(word.parts.len());
    if eq + 1 < first.len() {
        parts.push(WordPart::Literal(first[eq + 1..].to_vec()));
    }
    parts.extend(word.parts[1..].iter().cloned());
    Some(Assignment {
        name: first[..eq].to_vec(),
        value: Word { parts },
    })
}

#[cfg(test)]
mod tests {
    use super::super::ast::ParamOp;
    use super::*;

    fn parse(src: &str) -> Result<Vec<AndOrList>, ParseError> {
        parse_all(src.as_bytes())
    }

    fn simple(c: &Command) -> &SimpleCommand {
        match c {
            Command::Simple(s) => s,
            _ => panic!("not simple: {c:?}"),
        }
    }

    #[test]
    fn lists_and_pipelines() {
        let l = parse("a | b | c && ! d || e & f; g\nh").unwrap();
        assert_eq!(l.len(), 4);
        assert_eq!(l[0].first.commands.len(), 3);
        assert_eq!(l[0].rest.len(), 2);
        assert_eq!(l[0].rest[0].0, Connector::And);
        assert!(l[0].rest[0].1.negate);
        assert_eq!(l[0].rest[1].0, Connector::Or);
        assert!(l[0].background);
        assert!(!l[1].background);
    }

    #[test]
    fn assignments_and_redirects() {
        let l = parse("A=1 B=$x cmd C=2 >out 2>&1 <in").unwrap();
        let s = simple(&l[0].first.commands[0]);
        assert_eq!(s.assigns.len(), 2);
        assert_eq!(s.assigns[0].name, b"A");
        assert_eq!(s.words.len(), 2); // cmd and C=2
        assert_eq!(s.redirects.len(), 3);
        assert_eq!(s.redirects[1].fd, 2);
        assert_eq!(s.redirects[1].op, RedirOp::DupOut);
        assert_eq!(s.redirects[2].fd, 0);
    }

    #[test]
    fn incomplete() {
        for src in ["a |", "a &&", "a ||\n", "'x", "(a", "{ a;", "echo $(a"] {
            assert!(
                matches!(parse(src), Err(ParseError::Incomplete(_))),
                "{src}: {:?}",
                parse(src)
            );
        }
    }

    #[test]
    fn syntax_errors() {
        for src in [
            "|a",
            "a ;; b",
            "a && && b",
            "a >",
            "a > ;",
            ")",
            "a & & b",
            "( )",
        ] {
            assert!(
                matches!(parse(src), Err(ParseError::Syntax(_))),
                "{src}: {:?}",
                parse(src)
            );
        }
    }

    #[test]
    fn groups_and_substitutions() {
        let l = parse("{ a; b; } > f; (c | d)").unwrap();
        assert!(
            matches!(&l[0].first.commands[0], Command::Group(b, r) if b.len() == 2 && r.len() == 1)
        );
        assert!(matches!(&l[1].first.commands[0], Command::Subshell(b, _) if b.len() == 1));
        let l = parse("echo $(a; b) `c`").unwrap();
        let s = simple(&l[0].first.commands[0]);
        assert!(matches!(&s.words[1].parts[0], WordPart::CommandSub(c) if c.len() == 2));
        assert!(matches!(&s.words[2].parts[0], WordPart::CommandSub(c) if c.len() == 1));
    }

    #[test]
    fn one_command_at_a_time() {
        let src = b"a\nb; c\n";
        let mut p = Parser::new(src, 0);
        let (l, end) = p.complete_command().unwrap().unwrap();
        assert_eq!((l.len(), end), (1, 2));
        let mut p = Parser::new(src, end);
        let (l, end) = p.complete_command().unwrap().unwrap();
        assert_eq!((l.len(), end), (2, 7));
        assert!(Parser::new(src, end).complete_command().unwrap().is_none());
    }

    #[test]
    fn compound_commands() {
        let l = parse("if a; then b; elif c\nthen d; else e; fi >f").unwrap();
        assert!(matches!(&l[0].first.commands[0],
            Command::If { branches, otherwise: Some(_), redirects } if branches.len() == 2 && redirects.len() == 1));
        let l = parse("while a; do b; done; until c\ndo d\ndone").unwrap();
        assert!(matches!(
            &l[0].first.commands[0],
            Command::Loop { until: false, .. }
        ));
        assert!(matches!(
            &l[1].first.commands[0],
            Command::Loop { until: true, .. }
        ));
        let l = parse("for x in a b; do c; done; for y do d; done").unwrap();
        assert!(
            matches!(&l[0].first.commands[0], Command::For { words: Some(w), .. } if w.len() == 2)
        );
        assert!(matches!(
            &l[1].first.commands[0],
            Command::For { words: None, .. }
        ));
        for src in ["if a; then b;", "while a; do", "for x in a b;", "if a\n"] {
            assert!(
                matches!(parse(src), Err(ParseError::Incomplete(_))),
                "{src}"
            );
        }
        for src in [
            "fi",
            "if a; fi",
            "then",
            "for 1 in a; do b; done",
            "while a; do done",
        ] {
            assert!(matches!(parse(src), Err(ParseError::Syntax(_))), "{src}");
        }
        // Reserved words are only special as command names.
        assert!(parse("echo if then fi").is_ok());
    }

    #[test]
    fn param_word_keeps_structure() {
        let l = parse("echo ${x:=\"a b\"}").unwrap();
        let s = simple(&l[0].first.commands[0]);
        let WordPart::Param(p) = &s.words[1].parts[0] else {
            panic!()
        };
        assert!(matches!(&p.op, ParamOp::Assign { colon: true, .. }));
    }

    #[test]
    fn case_clauses() {
        let l = parse("case $x in a|b) c;; (d) ;; *) e; f\nesac >o").unwrap();
        let Command::Case {
            items, redirects, ..
        } = &l[0].first.commands[0]
        else {
            panic!("not case")
        };
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].patterns.len(), 2);
        assert!(items[1].body.is_empty());
        assert_eq!(items[2].body.len(), 2);
        assert_eq!(redirects.len(), 1);
        assert!(parse("case x in esac").is_ok());
        assert!(parse("case x\nin\nx)\necho\n;;\nesac").is_ok());
        for src in ["case x in", "case x in a) b;;", "case x in a) b"] {
            assert!(
                matches!(parse(src), Err(ParseError::Incomplete(_))),
                "{src}"
            );
        }
        for src in ["case x a) b;; esac", "case x in a b) c;; esac", "esac"] {
            assert!(matches!(parse(src), Err(ParseError::Syntax(_))), "{src}");
        }
    }

    #[test]
    fn function_definitions() {
        let l = parse("f() { a; }; g ()\n(b) >x; h").unwrap();
        assert!(matches!(&l[0].first.commands[0], Command::FuncDef(n, _) if n == b"f"));
        let Command::FuncDef(n, body) = &l[1].first.commands[0] else {
            panic!("not a function")
        };
        assert_eq!(n, b"g");
        assert!(matches!(&**body, Command::Subshell(_, r) if r.len() == 1));
        assert!(matches!(&l[2].first.commands[0], Command::Simple(_)));
        assert!(matches!(parse("f() a"), Err(ParseError::Syntax(_))));
        assert!(matches!(parse("f("), Err(ParseError::Incomplete(_))));
        assert!(matches!(parse("f() {"), Err(ParseError::Incomplete(_))));
    }

    #[test]
    fn here_documents() {
        let l = parse("cat <<A <<-'B'; echo\nx $y\nA\n\tz $y\n\tB\necho after").unwrap();
        assert_eq!(l.len(), 3);
        let s = simple(&l[0].first.commands[0]);
        let bodies: Vec<Word> = s
            .redirects
            .iter()
            .map(|r| r.heredoc.as_ref().unwrap().borrow().clone())
            .collect();
        assert_eq!(s.redirects[0].op, RedirOp::HereDoc);
        assert_eq!(bodies[0].parts.len(), 3); // "x ", $y, "\n"
        assert_eq!(bodies[1].parts, vec![WordPart::Quoted(b"z $y\n".to_vec())]);
        // The parser stops after the bodies, where the next command starts.
        let src = b"cat <<E\nbody\nE\nnext\n";
        let (_, end) = Parser::new(src, 0).complete_command().unwrap().unwrap();
        assert_eq!(&src[end..], b"next\n");
        assert!(matches!(
            parse("cat <<E\nbody"),
            Err(ParseError::Incomplete(_))
        ));
    }

    #[test]
    fn arithmetic_words() {
        let l = parse("echo $((1 + $x)) $( (a) )").unwrap();
        let s = simple(&l[0].first.commands[0]);
        let WordPart::Arith(w) = &s.words[1].parts[0] else {
            panic!("not arithmetic")
        };
        assert_eq!(w.parts.len(), 2);
        assert!(matches!(&s.words[2].parts[0], WordPart::CommandSub(_)));
    }
}
