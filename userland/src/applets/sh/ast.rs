//! The syntax tree the parser builds and the executor walks.
//!
//! Words keep their quoting structure (rather than being flattened to
//! strings) because expansion needs to know which bytes were quoted: only
//! unquoted expansion results are split into fields.

use std::cell::RefCell;
use std::rc::Rc;

/// One piece of a word, in source order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordPart {
    /// Unquoted literal text.
    Literal(Vec<u8>),
    /// Text quoted with `'...'` or a backslash: never expanded or split.
    Quoted(Vec<u8>),
    /// `"..."`: its parts are expanded but the result is never split.
    DoubleQuoted(Vec<WordPart>),
    /// `$name`, `${name}` and `${name OP word}`.
    Param(Param),
    /// `$(...)` or `` `...` ``: the commands whose output replaces it.
    CommandSub(Vec<AndOrList>),
    /// `~` or `~user` at the start of a word.
    Tilde(Vec<u8>),
    /// `$((...))`: the expression text, expanded (without splitting) and
    /// then evaluated.
    Arith(Word),
}

/// A word: the parts that concatenate to one (or, after splitting, several)
/// fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Word {
    /// The parts in source order.
    pub parts: Vec<WordPart>,
}

/// A parameter expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The parameter: a variable name, a digit string, or one of `?$!#@*-0`.
    pub name: Vec<u8>,
    /// What to do with its value.
    pub op: ParamOp,
}

/// The operators of `${...}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamOp {
    /// Plain `$name` / `${name}`.
    Plain,
    /// `${#name}`: the length of the value.
    Length,
    /// `${name-word}`; with `colon`, `${name:-word}` (also when empty).
    Default { colon: bool, word: Word },
    /// `${name=word}` / `${name:=word}`: assign the default too.
    Assign { colon: bool, word: Word },
    /// `${name+word}` / `${name:+word}`: the alternative when set.
    Alternative { colon: bool, word: Word },
    /// `${name?word}` / `${name:?word}`: fail with a message when unset.
    Error { colon: bool, word: Word },
    /// `${name%pat}`, `${name%%pat}` (`suffix`) and `${name#pat}`,
    /// `${name##pat}`: remove the shortest (or `longest`) match.
    Trim {
        suffix: bool,
        longest: bool,
        pattern: Word,
    },
    /// ash's `${name/pat/rep}`; `all` for `//`, `anchor` `#` or `%` for
    /// `/#` and `/%` (match at the start or end only).
    Replace {
        all: bool,
        anchor: Option<u8>,
        pattern: Word,
        with: Word,
    },
    /// ash's `${name:offset}` and `${name:offset:length}`, both arithmetic.
    Substr { offset: Word, length: Option<Word> },
}

/// The redirection operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirOp {
    /// `<`
    Read,
    /// `>`
    Write,
    /// `>|`
    Clobber,
    /// `>>`
    Append,
    /// `<>`
    ReadWrite,
    /// `<&`
    DupIn,
    /// `>&`
    DupOut,
    /// `<<` / `<<-`: the body is in [`Redirect::heredoc`].
    HereDoc,
}

impl RedirOp {
    /// The descriptor the operator applies to when no number is written.
    pub fn default_fd(self) -> i32 {
        match self {
            RedirOp::Read | RedirOp::ReadWrite | RedirOp::DupIn | RedirOp::HereDoc => 0,
            _ => 1,
        }
    }
}

/// One redirection: `[fd]OP target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The descriptor being redirected.
    pub fd: i32,
    /// The operator.
    pub op: RedirOp,
    /// The file name, or for `<&`/`>&` a descriptor number or `-`; for a
    /// here-document, its delimiter.
    pub target: Word,
    /// A here-document's body. It is shared because the lexer reads it
    /// only at the next newline, after the parser has built this node.
    pub heredoc: Option<Rc<RefCell<Word>>>,
}

/// A variable assignment `name=value` in front of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The variable name.
    pub name: Vec<u8>,
    /// The value, expanded without field splitting.
    pub value: Word,
}

/// A simple command: assignments, words and redirections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimpleCommand {
    /// Assignments written before the command name.
    pub assigns: Vec<Assignment>,
    /// The command name and its arguments.
    pub words: Vec<Word>,
    /// Redirections, in the order written.
    pub redirects: Vec<Redirect>,
}

/// One `pat|pat) list ;;` item of a `case`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseItem {
    /// The alternative patterns.
    pub patterns: Vec<Word>,
    /// The commands run when one matches.
    pub body: Vec<AndOrList>,
}

/// A command: one element of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A simple command.
    Simple(SimpleCommand),
    /// `( list )`: run in a forked copy of the shell.
    Subshell(Vec<AndOrList>, Vec<Redirect>),
    /// `{ list; }`: run in the current shell.
    Group(Vec<AndOrList>, Vec<Redirect>),
    /// `if c; then b; elif c; then b; else b; fi`.
    If {
        /// Each condition with the body run when it succeeds.
        branches: Vec<(Vec<AndOrList>, Vec<AndOrList>)>,
        /// The `else` body.
        otherwise: Option<Vec<AndOrList>>,
        /// Redirections after `fi`.
        redirects: Vec<Redirect>,
    },
    /// `while c; do b; done`, or with `until` the condition inverted.
    Loop {
        /// Whether it is `until`.
        until: bool,
        /// The condition.
        cond: Vec<AndOrList>,
        /// The body.
        body: Vec<AndOrList>,
        /// Redirections after `done`.
        redirects: Vec<Redirect>,
    },
    /// `for name [in word...]; do b; done`.
    For {
        /// The loop variable.
        var: Vec<u8>,
        /// The words after `in`; `None` means `"$@"`.
        words: Option<Vec<Word>>,
        /// The body.
        body: Vec<AndOrList>,
        /// Redirections after `done`.
        redirects: Vec<Redirect>,
    },
    /// `case word in pat) list ;; ... esac`.
    Case {
        /// The word matched.
        word: Word,
        /// The items, tried in order.
        items: Vec<CaseItem>,
        /// Redirections after `esac`.
        redirects: Vec<Redirect>,
    },
    /// `name() compound-command`: defines a function. The body is shared so
    /// that defining (and re-running a loop that defines) copies nothing.
    FuncDef(Vec<u8>, Rc<Command>),
}

/// `[!] cmd | cmd | ...`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    /// Whether the status is inverted by `!`.
    pub negate: bool,
    /// The commands, left to right.
    pub commands: Vec<Command>,
    /// Its source text, which `jobs` shows.
    pub text: std::rc::Rc<[u8]>,
}

/// How a pipeline is joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    /// `&&`: run when the previous status is zero.
    And,
    /// `||`: run when the previous status is non-zero.
    Or,
}

/// `pipeline && pipeline || ...`, terminated by `;`, `&` or a newline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AndOrList {
    /// The first pipeline.
    pub first: Pipeline,
    /// The following pipelines with their connectors.
    pub rest: Vec<(Connector, Pipeline)>,
    /// Whether it was terminated by `&` (run in the background).
    pub background: bool,
}
