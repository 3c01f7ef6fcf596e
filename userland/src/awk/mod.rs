//! A POSIX awk: [`lexer`] and [`parser`] turn the program into the tree of
//! [`ast`], which [`interp`] runs. Values and their conversions are in
//! [`value`], records and fields in [`fields`], input and output streams in
//! [`io`], printf in [`format`]. Regular expressions are the shared engine
//! in `crate::regex`, in ERE mode.

pub mod array;
pub mod ast;
pub mod fields;
pub mod format;
pub mod interp;
pub mod io;
pub mod lexer;
pub mod parser;
pub mod value;

use std::cell::RefCell;

thread_local! {
    /// Names of the program sources, for messages ("cmd. line" for `-e`-style text).
    static SOURCES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Bits of a line number that hold the line; the rest is the source index.
const LINE_BITS: u32 = 20;

/// "cmd. line:N" or "FILE:N" for an encoded line number.
pub fn where_line(line: u32) -> String {
    let src = (line >> LINE_BITS) as usize;
    let l = line & ((1 << LINE_BITS) - 1);
    let name = SOURCES.with(|s| s.borrow().get(src).cloned());
    format!("{}:{l}", name.unwrap_or_else(|| "cmd. line".into()))
}

/// One program source: its name for messages (None: the command line) and
/// text.
pub struct Source {
    /// File name, or None for program text given as an operand.
    pub name: Option<String>,
    /// The text.
    pub text: Vec<u8>,
}

/// Lexes and parses the sources into one program; an error is the message
/// to print.
pub fn compile(sources: &[Source]) -> Result<ast::Program, String> {
    SOURCES.with(|s| {
        *s.borrow_mut() = sources
            .iter()
            .map(|x| x.name.clone().unwrap_or_else(|| "cmd. line".into()))
            .collect()
    });
    let mut toks = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        let base = (i as u32) << LINE_BITS;
        let t = lexer::lex(&src.text).map_err(|(l, m)| format!("{}: {m}", where_line(base | l)))?;
        for mut tok in t {
            if tok.tok == lexer::Tok::Eof {
                continue;
            }
            tok.line |= base;
            toks.push(tok);
        }
        toks.push(lexer::Token {
            tok: lexer::Tok::Newline,
            line: base | 1,
        });
    }
    let line = toks.last().map_or(1, |t| t.line);
    toks.push(lexer::Token {
        tok: lexer::Tok::Eof,
        line,
    });
    parser::parse(toks).map_err(|(l, m)| format!("{}: {m}", where_line(l)))
}
