//! The parsed program: rules, functions, statements and expressions, with
//! variables already resolved to slots.

use std::rc::Rc;

/// Where a variable lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Var {
    /// A global, by index (the special variables come first).
    Global(usize),
    /// A function parameter or local, by index in the frame.
    Local(usize),
}

/// Something that can be assigned.
#[derive(Debug)]
pub enum LValue {
    /// A scalar variable.
    Var(Var),
    /// An array element (subscripts joined with SUBSEP).
    Index(Var, Vec<Expr>),
    /// A field.
    Field(Box<Expr>),
}

/// Binary arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arith {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `^`
    Pow,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// Where `getline` reads from.
#[derive(Debug)]
pub enum GetSrc {
    /// The main input (`getline`, `getline var`).
    Main,
    /// `getline < file`.
    File(Box<Expr>),
    /// `cmd | getline`.
    Cmd(Box<Expr>),
}

/// An expression.
#[derive(Debug)]
pub enum Expr {
    /// A number constant.
    Num(f64),
    /// A string constant.
    Str(Rc<[u8]>),
    /// `/re/`: by itself it matches `$0`; index into the regex table.
    Regex(usize),
    /// A variable.
    Var(Var),
    /// An array element.
    Index(Var, Vec<Expr>),
    /// `$expr`.
    Field(Box<Expr>),
    /// `lv = e` or `lv op= e`.
    Assign(Option<Arith>, Box<LValue>, Box<Expr>),
    /// `c ? a : b`.
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `&&`.
    And(Box<Expr>, Box<Expr>),
    /// `||`.
    Or(Box<Expr>, Box<Expr>),
    /// `!e`.
    Not(Box<Expr>),
    /// `-e`.
    Neg(Box<Expr>),
    /// `+e`.
    Plus(Box<Expr>),
    /// Arithmetic.
    Arith(Arith, Box<Expr>, Box<Expr>),
    /// Comparison.
    Cmp(Cmp, Box<Expr>, Box<Expr>),
    /// Concatenation.
    Concat(Box<Expr>, Box<Expr>),
    /// `a ~ b` (negated for `!~`).
    Match(bool, Box<Expr>, Box<Expr>),
    /// `(k1, k2) in arr`.
    In(Vec<Expr>, Var),
    /// `++x`, `x--` …: (prefix, delta, target).
    IncDec(bool, f64, Box<LValue>),
    /// A user function call.
    Call(usize, Vec<Expr>),
    /// A built-in call: name and arguments (None: `length` without parens).
    Builtin(&'static str, Vec<Expr>),
    /// `getline`.
    Getline(GetSrc, Option<Box<LValue>>),
    /// A parenthesised expression (for `print (a, b) > f` and `(x) in a`).
    Group(Box<Expr>),
}

/// Output redirection of print and printf.
#[derive(Debug)]
pub enum Redir {
    /// `> file`.
    File(Expr),
    /// `>> file`.
    Append(Expr),
    /// `| cmd`.
    Pipe(Expr),
}

/// A statement.
#[derive(Debug)]
pub enum Stmt {
    /// An expression evaluated for its effects.
    Expr(Expr, u32),
    /// `print args [redir]`.
    Print(Vec<Expr>, Option<Redir>, u32),
    /// `printf fmt, args [redir]`.
    Printf(Vec<Expr>, Option<Redir>, u32),
    /// `if`.
    If(Expr, Box<Stmt>, Option<Box<Stmt>>),
    /// `while`.
    While(Expr, Box<Stmt>),
    /// `do … while`.
    Do(Box<Stmt>, Expr),
    /// `for (init; cond; step)`.
    For(
        Option<Box<Stmt>>,
        Option<Expr>,
        Option<Box<Stmt>>,
        Box<Stmt>,
    ),
    /// `for (k in arr)`.
    ForIn(Var, Var, Box<Stmt>),
    /// `{ … }`.
    Block(Vec<Stmt>),
    /// `next`.
    Next,
    /// `nextfile`.
    NextFile,
    /// `exit [e]`.
    Exit(Option<Expr>),
    /// `return [e]`.
    Return(Option<Expr>),
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `delete arr` or `delete arr[k]`.
    Delete(Var, Option<Vec<Expr>>, u32),
}

/// A rule's pattern.
#[derive(Debug)]
pub enum Pattern {
    /// `BEGIN`.
    Begin,
    /// `END`.
    End,
    /// No pattern: every record.
    All,
    /// An expression pattern.
    Expr(Expr),
    /// `p1, p2`, with the rule's index in the range-state table.
    Range(Expr, Expr, usize),
}

/// A pattern and its action (`None`: print the record).
#[derive(Debug)]
pub struct Rule {
    /// When it runs.
    pub pattern: Pattern,
    /// What it does.
    pub action: Option<Vec<Stmt>>,
}

/// A user-defined function.
#[derive(Debug, Default)]
pub struct Func {
    /// Its name, for messages.
    pub name: String,
    /// Number of parameters (extra ones are locals).
    pub nparams: usize,
    /// Which parameters are used as arrays.
    pub array_params: Vec<bool>,
    /// The body; `None` until defined.
    pub body: Option<Vec<Stmt>>,
}

/// A whole program.
#[derive(Debug, Default)]
pub struct Program {
    /// Rules in order (BEGIN and END included).
    pub rules: Vec<Rule>,
    /// Functions by index.
    pub funcs: Vec<Func>,
    /// Global variable names by index.
    pub globals: Vec<String>,
    /// Regular expression constants.
    pub regexes: Vec<Vec<u8>>,
    /// Number of range patterns.
    pub nranges: usize,
}

/// Indices of the special variables in the global table.
pub mod special {
    /// NF
    pub const NF: usize = 0;
    /// NR
    pub const NR: usize = 1;
    /// FNR
    pub const FNR: usize = 2;
    /// FS
    pub const FS: usize = 3;
    /// OFS
    pub const OFS: usize = 4;
    /// ORS
    pub const ORS: usize = 5;
    /// RS
    pub const RS: usize = 6;
    /// FILENAME
    pub const FILENAME: usize = 7;
    /// SUBSEP
    pub const SUBSEP: usize = 8;
    /// RSTART
    pub const RSTART: usize = 9;
    /// RLENGTH
    pub const RLENGTH: usize = 10;
    /// CONVFMT
    pub const CONVFMT: usize = 11;
    /// OFMT
    pub const OFMT: usize = 12;
    /// ENVIRON
    pub const ENVIRON: usize = 13;
    /// ARGC
    pub const ARGC: usize = 14;
    /// ARGV
    pub const ARGV: usize = 15;
    /// Names in index order.
    pub const NAMES: &[&str] = &[
        "NF", "NR", "FNR", "FS", "OFS", "ORS", "RS", "FILENAME", "SUBSEP", "RSTART", "RLENGTH",
        "CONVFMT", "OFMT", "ENVIRON", "ARGC", "ARGV",
    ];
}
