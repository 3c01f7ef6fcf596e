//! Recursive-descent parser for the POSIX awk grammar, producing the tree
//! in [`super::ast`] with variables resolved to slots.

use super::ast::*;
use super::lexer::{Tok, Token};
use std::collections::HashMap;
use std::rc::Rc;

/// A syntax error: line and message.
pub type Error = (u32, String);

/// Deepest expression or statement nesting accepted, so that a hostile
/// program cannot overflow the stack.
const MAX_DEPTH: usize = 6000;

/// Parses the tokens of a whole program.
pub fn parse(toks: Vec<Token>) -> Result<Program, Error> {
    let mut p = Parser {
        toks,
        pos: 0,
        prog: Program::default(),
        globals: HashMap::new(),
        funcs: HashMap::new(),
        locals: None,
        cur_func: None,
        depth: 0,
        loops: 0,
        no_gt: false,
        no_in: false,
        array_locals: Vec::new(),
        calls: Vec::new(),
        func_lines: HashMap::new(),
    };
    for name in special::NAMES {
        p.global(name);
    }
    p.program()?;
    p.finish()?;
    Ok(p.prog)
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    prog: Program,
    globals: HashMap<String, usize>,
    funcs: HashMap<String, usize>,
    /// Parameter names of the function being parsed.
    locals: Option<HashMap<String, usize>>,
    cur_func: Option<usize>,
    depth: usize,
    loops: usize,
    /// In an unparenthesised print list: `>` is a redirection.
    no_gt: bool,
    /// In a for-init: `in` is not an operator.
    no_in: bool,
    /// (function, local) pairs used as arrays.
    array_locals: Vec<(usize, usize)>,
    /// (caller, caller local, callee, argument position): a local passed on.
    calls: Vec<(usize, usize, usize, usize)>,
    /// Line of the first call of each function, for "undefined" messages.
    func_lines: HashMap<usize, u32>,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].tok
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].tok
    }

    fn line(&self) -> u32 {
        self.toks[self.pos.min(self.toks.len() - 1)].line
    }

    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        // Always advances (peek stays on the final Eof), so that stepping
        // back after a look is always possible.
        self.pos += 1;
        t
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Kw(k) if *k == kw)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn err<T>(&self) -> Result<T, Error> {
        let near = match self.peek() {
            Tok::Num(n) => format!("{n}"),
            Tok::Str(s) => format!("\"{}\"", String::from_utf8_lossy(s)),
            Tok::Regex(s) => format!("/{}/", String::from_utf8_lossy(s)),
            Tok::Name(n) | Tok::FuncName(n) | Tok::Builtin(n) => n.clone(),
            Tok::Kw(k) => k.to_string(),
            Tok::Op(o) => o.to_string(),
            Tok::Newline => "newline".into(),
            Tok::Eof => "end of file".into(),
        };
        Err((self.line(), format!("syntax error near '{near}'")))
    }

    fn expect_op(&mut self, op: &str) -> Result<(), Error> {
        if self.eat_op(op) {
            Ok(())
        } else {
            self.err()
        }
    }

    fn skip_nl(&mut self) {
        while *self.peek() == Tok::Newline {
            self.pos += 1;
        }
    }

    fn skip_terms(&mut self) {
        while *self.peek() == Tok::Newline || self.is_op(";") {
            self.pos += 1;
        }
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err((self.line(), "program too deeply nested".into()));
        }
        Ok(())
    }

    fn global(&mut self, name: &str) -> usize {
        if let Some(&i) = self.globals.get(name) {
            return i;
        }
        let i = self.prog.globals.len();
        self.prog.globals.push(name.to_string());
        self.globals.insert(name.to_string(), i);
        i
    }

    fn var(&mut self, name: &str) -> Var {
        if let Some(l) = self.locals.as_ref().and_then(|m| m.get(name)) {
            return Var::Local(*l);
        }
        Var::Global(self.global(name))
    }

    /// Notes that `v` is used as an array (for by-reference parameters).
    fn array_use(&mut self, v: Var) {
        if let (Var::Local(l), Some(f)) = (v, self.cur_func) {
            self.array_locals.push((f, l));
        }
    }

    fn func(&mut self, name: &str) -> usize {
        if let Some(&i) = self.funcs.get(name) {
            return i;
        }
        let i = self.prog.funcs.len();
        self.prog.funcs.push(Func {
            name: name.to_string(),
            ..Func::default()
        });
        self.funcs.insert(name.to_string(), i);
        i
    }

    fn program(&mut self) -> Result<(), Error> {
        loop {
            self.skip_terms();
            match self.peek().clone() {
                Tok::Eof => return Ok(()),
                Tok::Kw("function") => self.function()?,
                Tok::Kw("BEGIN") | Tok::Kw("END") => {
                    let begin = self.is_kw("BEGIN");
                    self.next();
                    if !self.is_op("{") {
                        return self.err();
                    }
                    let action = self.block()?;
                    self.prog.rules.push(Rule {
                        pattern: if begin { Pattern::Begin } else { Pattern::End },
                        action: Some(action),
                    });
                }
                Tok::Op("{") => {
                    let action = self.block()?;
                    self.prog.rules.push(Rule {
                        pattern: Pattern::All,
                        action: Some(action),
                    });
                }
                _ => {
                    let e = self.expr()?;
                    let pattern = if self.eat_op(",") {
                        self.skip_nl();
                        let e2 = self.expr()?;
                        self.prog.nranges += 1;
                        Pattern::Range(e, e2, self.prog.nranges - 1)
                    } else {
                        Pattern::Expr(e)
                    };
                    let action = if self.is_op("{") {
                        Some(self.block()?)
                    } else {
                        None
                    };
                    self.prog.rules.push(Rule { pattern, action });
                }
            }
            match self.peek() {
                Tok::Newline | Tok::Eof | Tok::Op(";") => {}
                _ if matches!(self.toks[self.pos - 1].tok, Tok::Op("}")) => {}
                _ => return self.err(),
            }
        }
    }

    fn function(&mut self) -> Result<(), Error> {
        self.next();
        let name = match self.next() {
            Tok::Name(n) | Tok::FuncName(n) => n,
            _ => {
                self.pos -= 1;
                return self.err();
            }
        };
        if self.globals.contains_key(&name) && special::NAMES.contains(&name.as_str()) {
            return Err((
                self.line(),
                format!("can't use '{name}' as a function name"),
            ));
        }
        let f = self.func(&name);
        if self.prog.funcs[f].body.is_some() {
            return Err((self.line(), format!("function '{name}' redefined")));
        }
        self.expect_op("(")?;
        let mut params = HashMap::new();
        let mut n = 0;
        self.skip_nl();
        while let Tok::Name(p) = self.peek().clone() {
            self.next();
            if params.insert(p.clone(), n).is_some() {
                return Err((self.line(), format!("duplicate parameter '{p}'")));
            }
            n += 1;
            self.skip_nl();
            if !self.eat_op(",") {
                break;
            }
            self.skip_nl();
        }
        self.expect_op(")")?;
        self.skip_nl();
        self.prog.funcs[f].nparams = n;
        self.locals = Some(params);
        self.cur_func = Some(f);
        let body = self.block()?;
        self.locals = None;
        self.cur_func = None;
        self.prog.funcs[f].body = Some(body);
        Ok(())
    }

    fn finish(&mut self) -> Result<(), Error> {
        for (i, f) in self.prog.funcs.iter().enumerate() {
            if f.body.is_none() {
                let line = self.func_lines.get(&i).copied().unwrap_or(0);
                return Err((line, format!("calling undefined function {}", f.name)));
            }
        }
        for f in &mut self.prog.funcs {
            f.array_params = vec![false; f.nparams];
        }
        for &(f, l) in &self.array_locals {
            if let Some(p) = self.prog.funcs[f].array_params.get_mut(l) {
                *p = true;
            }
        }
        // A parameter passed on to a parameter used as an array is an array.
        loop {
            let mut changed = false;
            for &(caller, local, callee, pos) in &self.calls {
                let is_array = self.prog.funcs[callee].array_params.get(pos) == Some(&true);
                if is_array {
                    if let Some(p) = self.prog.funcs[caller].array_params.get_mut(local) {
                        if !*p {
                            *p = true;
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                return Ok(());
            }
        }
    }

    fn block(&mut self) -> Result<Vec<Stmt>, Error> {
        self.expect_op("{")?;
        let mut stmts = Vec::new();
        loop {
            self.skip_terms();
            if self.eat_op("}") {
                return Ok(stmts);
            }
            if *self.peek() == Tok::Eof {
                return self.err();
            }
            stmts.push(self.stmt()?);
        }
    }

    /// Ends a simple statement: `;`, newline, or before `}`.
    fn end_simple(&mut self) -> Result<(), Error> {
        match self.peek() {
            Tok::Op(";") | Tok::Newline => {
                self.pos += 1;
                Ok(())
            }
            Tok::Op("}") | Tok::Eof => Ok(()),
            _ => self.err(),
        }
    }

    fn stmt(&mut self) -> Result<Stmt, Error> {
        self.enter()?;
        let r = self.stmt_inner();
        self.depth -= 1;
        r
    }

    fn body(&mut self) -> Result<Stmt, Error> {
        self.skip_nl();
        if self.eat_op(";") {
            return Ok(Stmt::Block(Vec::new()));
        }
        self.loops += 1;
        let s = self.stmt();
        self.loops -= 1;
        s
    }

    fn stmt_inner(&mut self) -> Result<Stmt, Error> {
        let line = self.line();
        match self.peek().clone() {
            Tok::Op("{") => Ok(Stmt::Block(self.block()?)),
            Tok::Op(";") => {
                self.next();
                Ok(Stmt::Block(Vec::new()))
            }
            Tok::Kw("if") => {
                self.next();
                self.expect_op("(")?;
                let c = self.expr()?;
                self.expect_op(")")?;
                self.skip_nl();
                let then = if self.eat_op(";") {
                    Stmt::Block(Vec::new())
                } else {
                    self.stmt()?
                };
                let save = self.pos;
                self.skip_terms();
                if self.is_kw("else") {
                    self.next();
                    self.skip_nl();
                    let els = if self.eat_op(";") {
                        Stmt::Block(Vec::new())
                    } else {
                        self.stmt()?
                    };
                    Ok(Stmt::If(c, Box::new(then), Some(Box::new(els))))
                } else {
                    self.pos = save;
                    Ok(Stmt::If(c, Box::new(then), None))
                }
            }
            Tok::Kw("while") => {
                self.next();
                self.expect_op("(")?;
                let c = self.expr()?;
                self.expect_op(")")?;
                if self.is_op(";") {
                    self.next();
                    return Ok(Stmt::While(c, Box::new(Stmt::Block(Vec::new()))));
                }
                let b = self.body()?;
                Ok(Stmt::While(c, Box::new(b)))
            }
            Tok::Kw("do") => {
                self.next();
                let b = self.body()?;
                self.skip_terms();
                if !self.is_kw("while") {
                    return self.err();
                }
                self.next();
                self.expect_op("(")?;
                let c = self.expr()?;
                self.expect_op(")")?;
                self.end_simple()?;
                Ok(Stmt::Do(Box::new(b), c))
            }
            Tok::Kw("for") => {
                self.next();
                if let (Tok::Op("("), Tok::Name(k), Tok::Kw("in"), Tok::Name(a), Tok::Op(")")) = (
                    self.peek().clone(),
                    self.peek_at(1).clone(),
                    self.peek_at(2).clone(),
                    self.peek_at(3).clone(),
                    self.peek_at(4).clone(),
                ) {
                    self.pos += 5;
                    let kv = self.var(&k);
                    let av = self.var(&a);
                    self.array_use(av);
                    let b = self.body()?;
                    return Ok(Stmt::ForIn(kv, av, Box::new(b)));
                }
                self.expect_op("(")?;
                let init = if self.is_op(";") {
                    None
                } else {
                    self.no_in = true;
                    let s = self.simple_stmt();
                    self.no_in = false;
                    Some(Box::new(s?))
                };
                self.expect_op(";")?;
                self.skip_nl();
                let cond = if self.is_op(";") {
                    None
                } else {
                    Some(self.expr()?)
                };
                self.expect_op(";")?;
                self.skip_nl();
                let step = if self.is_op(")") {
                    None
                } else {
                    Some(Box::new(self.simple_stmt()?))
                };
                self.expect_op(")")?;
                if self.is_op(";") {
                    self.next();
                    return Ok(Stmt::For(
                        init,
                        cond,
                        step,
                        Box::new(Stmt::Block(Vec::new())),
                    ));
                }
                let b = self.body()?;
                Ok(Stmt::For(init, cond, step, Box::new(b)))
            }
            _ => {
                let s = match self.peek() {
                    Tok::Kw("break") | Tok::Kw("continue") => {
                        let brk = self.is_kw("break");
                        if self.loops == 0 {
                            return Err((
                                line,
                                format!(
                                    "{} outside a loop",
                                    if brk { "break" } else { "continue" }
                                ),
                            ));
                        }
                        self.next();
                        if brk {
                            Stmt::Break
                        } else {
                            Stmt::Continue
                        }
                    }
                    Tok::Kw("next") | Tok::Kw("nextfile") => {
                        let nf = self.is_kw("nextfile");
                        if self.cur_func.is_none() && self.in_begin_end() {
                            return Err((line, "next used in BEGIN or END".into()));
                        }
                        self.next();
                        if nf {
                            Stmt::NextFile
                        } else {
                            Stmt::Next
                        }
                    }
                    Tok::Kw("exit") => {
                        self.next();
                        if self.at_simple_end() {
                            Stmt::Exit(None)
                        } else {
                            Stmt::Exit(Some(self.expr()?))
                        }
                    }
                    Tok::Kw("return") => {
                        if self.cur_func.is_none() {
                            return Err((line, "return outside a function".into()));
                        }
                        self.next();
                        if self.at_simple_end() {
                            Stmt::Return(None)
                        } else {
                            Stmt::Return(Some(self.expr()?))
                        }
                    }
                    _ => self.simple_stmt()?,
                };
                self.end_simple()?;
                Ok(s)
            }
        }
    }

    /// Whether the rule being parsed is BEGIN or END (where `next` is wrong).
    fn in_begin_end(&self) -> bool {
        // The rule is pushed after its action is parsed: look back for the
        // keyword that opened it.
        let mut depth = 0i32;
        let mut i = self.pos;
        while i > 0 {
            i -= 1;
            match self.toks[i].tok {
                Tok::Op("}") => depth += 1,
                Tok::Op("{") => {
                    if depth == 0 {
                        return i > 0
                            && matches!(self.toks[i - 1].tok, Tok::Kw("BEGIN") | Tok::Kw("END"));
                    }
                    depth -= 1;
                }
                _ => {}
            }
        }
        false
    }

    fn at_simple_end(&self) -> bool {
        matches!(
            self.peek(),
            Tok::Op(";") | Tok::Op("}") | Tok::Newline | Tok::Eof
        )
    }

    fn simple_stmt(&mut self) -> Result<Stmt, Error> {
        let line = self.line();
        match self.peek().clone() {
            Tok::Kw("print") | Tok::Kw("printf") => {
                let printf = self.is_kw("printf");
                self.next();
                let mut args = Vec::new();
                if !self.at_simple_end() && !self.is_redir() {
                    args = self.print_args()?;
                }
                let redir = if self.eat_op(">") {
                    Some(Redir::File(self.concat_expr_noredir()?))
                } else if self.eat_op(">>") {
                    Some(Redir::Append(self.concat_expr_noredir()?))
                } else if self.eat_op("|") {
                    Some(Redir::Pipe(self.concat_expr_noredir()?))
                } else {
                    None
                };
                if printf {
                    if args.is_empty() {
                        return Err((line, "printf: no format".into()));
                    }
                    Ok(Stmt::Printf(args, redir, line))
                } else {
                    Ok(Stmt::Print(args, redir, line))
                }
            }
            Tok::Kw("delete") => {
                self.next();
                let Tok::Name(n) = self.next() else {
                    self.pos -= 1;
                    return self.err();
                };
                let v = self.var(&n);
                self.array_use(v);
                if self.eat_op("[") {
                    let keys = self.expr_list()?;
                    self.expect_op("]")?;
                    Ok(Stmt::Delete(v, Some(keys), line))
                } else {
                    Ok(Stmt::Delete(v, None, line))
                }
            }
            _ => Ok(Stmt::Expr(self.expr()?, line)),
        }
    }

    fn is_redir(&self) -> bool {
        self.is_op(">") || self.is_op(">>") || self.is_op("|")
    }

    /// The target of a redirection: a concatenation without `>`.
    fn concat_expr_noredir(&mut self) -> Result<Expr, Error> {
        let save = self.no_gt;
        self.no_gt = true;
        let e = self.concat();
        self.no_gt = save;
        e
    }

    fn print_args(&mut self) -> Result<Vec<Expr>, Error> {
        // `print (a, b) > f`: a parenthesised list is the argument list.
        if self.is_op("(") {
            let save = self.pos;
            self.next();
            let list = self.expr_list();
            if let Ok(list) = list {
                if self.eat_op(")") && (self.at_simple_end() || self.is_redir()) {
                    return Ok(list);
                }
            }
            self.pos = save;
        }
        let save = self.no_gt;
        self.no_gt = true;
        let mut args = Vec::new();
        let r = (|| loop {
            args.push(self.expr()?);
            if !self.eat_op(",") {
                return Ok(());
            }
            self.skip_nl();
        })();
        self.no_gt = save;
        r.map(|()| args)
    }

    fn expr_list(&mut self) -> Result<Vec<Expr>, Error> {
        let save = (self.no_gt, self.no_in);
        self.no_gt = false;
        self.no_in = false;
        let mut list = Vec::new();
        let r = (|| loop {
            self.skip_nl();
            list.push(self.expr()?);
            self.skip_nl();
            if !self.eat_op(",") {
                return Ok(());
            }
        })();
        (self.no_gt, self.no_in) = save;
        r.map(|()| list)
    }

    /// A full expression (assignment level).
    pub fn expr(&mut self) -> Result<Expr, Error> {
        self.enter()?;
        let r = self.ternary();
        self.depth -= 1;
        r
    }

    fn ternary(&mut self) -> Result<Expr, Error> {
        let c = self.or()?;
        let op = match self.peek() {
            Tok::Op("=") => Some(None),
            Tok::Op("+=") => Some(Some(Arith::Add)),
            Tok::Op("-=") => Some(Some(Arith::Sub)),
            Tok::Op("*=") => Some(Some(Arith::Mul)),
            Tok::Op("/=") => Some(Some(Arith::Div)),
            Tok::Op("%=") => Some(Some(Arith::Mod)),
            Tok::Op("^=") => Some(Some(Arith::Pow)),
            _ => None,
        };
        if let Some(op) = op {
            if let Some(lv) = to_lvalue(c) {
                self.next();
                self.skip_nl();
                let rhs = self.expr()?;
                return Ok(Expr::Assign(op, Box::new(lv), Box::new(rhs)));
            }
            return self.err();
        }
        if self.eat_op("?") {
            self.skip_nl();
            let a = self.expr()?;
            self.skip_nl();
            self.expect_op(":")?;
            self.skip_nl();
            let b = self.expr()?;
            return Ok(Expr::Cond(Box::new(c), Box::new(a), Box::new(b)));
        }
        Ok(c)
    }

    fn or(&mut self) -> Result<Expr, Error> {
        let mut l = self.and()?;
        while self.eat_op("||") {
            self.skip_nl();
            let r = self.and()?;
            l = Expr::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Expr, Error> {
        let mut l = self.in_expr()?;
        while self.eat_op("&&") {
            self.skip_nl();
            let r = self.in_expr()?;
            l = Expr::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn in_expr(&mut self) -> Result<Expr, Error> {
        let mut l = self.match_expr()?;
        while !self.no_in && self.is_kw("in") {
            self.next();
            let Tok::Name(n) = self.next() else {
                self.pos -= 1;
                return self.err();
            };
            let v = self.var(&n);
            self.array_use(v);
            l = Expr::In(vec![l], v);
        }
        Ok(l)
    }

    fn match_expr(&mut self) -> Result<Expr, Error> {
        let mut l = self.comparison()?;
        loop {
            let neg = if self.is_op("~") {
                false
            } else if self.is_op("!~") {
                true
            } else {
                return Ok(l);
            };
            self.next();
            let r = self.comparison()?;
            l = Expr::Match(neg, Box::new(l), Box::new(r));
        }
    }

    fn comparison(&mut self) -> Result<Expr, Error> {
        let l = self.pipe_getline()?;
        let op = match self.peek() {
            Tok::Op("<") => Cmp::Lt,
            Tok::Op("<=") => Cmp::Le,
            Tok::Op("==") => Cmp::Eq,
            Tok::Op("!=") => Cmp::Ne,
            Tok::Op(">") if !self.no_gt => Cmp::Gt,
            Tok::Op(">=") => Cmp::Ge,
            _ => return Ok(l),
        };
        self.next();
        let r = self.pipe_getline()?;
        Ok(Expr::Cmp(op, Box::new(l), Box::new(r)))
    }

    fn pipe_getline(&mut self) -> Result<Expr, Error> {
        let mut l = self.concat()?;
        while self.is_op("|") && matches!(self.peek_at(1), Tok::Kw("getline")) {
            self.pos += 2;
            let lv = self.opt_lvalue()?;
            l = Expr::Getline(GetSrc::Cmd(Box::new(l)), lv);
        }
        Ok(l)
    }

    fn concat(&mut self) -> Result<Expr, Error> {
        let mut l = self.additive()?;
        loop {
            let starts = match self.peek() {
                Tok::Num(_) | Tok::Str(_) | Tok::Regex(_) | Tok::Name(_) | Tok::FuncName(_) => true,
                Tok::Builtin(_) => true,
                Tok::Op("$") | Tok::Op("(") | Tok::Op("!") | Tok::Op("-") | Tok::Op("+") => {
                    // `a -1` subtracts; only `!`, `$`, `(` start a new operand.
                    matches!(self.peek(), Tok::Op("$") | Tok::Op("(") | Tok::Op("!"))
                        && !matches!(self.peek_at(1), Tok::Op("="))
                }
                Tok::Op("++") | Tok::Op("--") => true,
                Tok::Kw("in") => false,
                _ => false,
            };
            if !starts {
                return Ok(l);
            }
            let r = self.additive()?;
            l = Expr::Concat(Box::new(l), Box::new(r));
        }
    }

    fn additive(&mut self) -> Result<Expr, Error> {
        let mut l = self.mul()?;
        loop {
            let op = match self.peek() {
                Tok::Op("+") => Arith::Add,
                Tok::Op("-") => Arith::Sub,
                _ => return Ok(l),
            };
            self.next();
            let r = self.mul()?;
            l = Expr::Arith(op, Box::new(l), Box::new(r));
        }
    }

    fn mul(&mut self) -> Result<Expr, Error> {
        let mut l = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Op("*") => Arith::Mul,
                Tok::Op("/") => Arith::Div,
                Tok::Op("%") => Arith::Mod,
                _ => return Ok(l),
            };
            self.next();
            let r = self.unary()?;
            l = Expr::Arith(op, Box::new(l), Box::new(r));
        }
    }

    fn unary(&mut self) -> Result<Expr, Error> {
        self.enter()?;
        let r = match self.peek() {
            Tok::Op("!") => {
                self.next();
                self.unary().map(|e| Expr::Not(Box::new(e)))
            }
            Tok::Op("-") => {
                self.next();
                self.unary().map(|e| Expr::Neg(Box::new(e)))
            }
            Tok::Op("+") => {
                self.next();
                self.unary().map(|e| Expr::Plus(Box::new(e)))
            }
            _ => self.power(),
        };
        self.depth -= 1;
        r
    }

    fn power(&mut self) -> Result<Expr, Error> {
        let base = self.postfix()?;
        if self.eat_op("^") {
            let e = self.unary_pow()?;
            return Ok(Expr::Arith(Arith::Pow, Box::new(base), Box::new(e)));
        }
        Ok(base)
    }

    /// The exponent of `^`: signs allowed, right-associative.
    fn unary_pow(&mut self) -> Result<Expr, Error> {
        self.enter()?;
        let r = match self.peek() {
            Tok::Op("-") => {
                self.next();
                self.unary_pow().map(|e| Expr::Neg(Box::new(e)))
            }
            Tok::Op("+") => {
                self.next();
                self.unary_pow()
            }
            Tok::Op("!") => {
                self.next();
                self.unary_pow().map(|e| Expr::Not(Box::new(e)))
            }
            _ => self.power(),
        };
        self.depth -= 1;
        r
    }

    fn postfix(&mut self) -> Result<Expr, Error> {
        if self.is_op("++") || self.is_op("--") {
            let d = if self.is_op("++") { 1.0 } else { -1.0 };
            self.next();
            let e = self.postfix()?;
            let Some(lv) = to_lvalue(e) else {
                return self.err();
            };
            return Ok(Expr::IncDec(true, d, Box::new(lv)));
        }
        let e = self.primary()?;
        if (self.is_op("++") || self.is_op("--")) && is_lvalue(&e) {
            let d = if self.is_op("++") { 1.0 } else { -1.0 };
            self.next();
            if let Some(lv) = to_lvalue(e) {
                return Ok(Expr::IncDec(false, d, Box::new(lv)));
            }
            return self.err();
        }
        Ok(e)
    }

    fn opt_lvalue(&mut self) -> Result<Option<Box<LValue>>, Error> {
        match self.peek() {
            Tok::Name(_) | Tok::Op("$") => {
                let e = self.primary()?;
                Ok(to_lvalue(e).map(Box::new))
            }
            _ => Ok(None),
        }
    }

    fn primary(&mut self) -> Result<Expr, Error> {
        self.enter()?;
        let r = self.primary_inner();
        self.depth -= 1;
        r
    }

    fn primary_inner(&mut self) -> Result<Expr, Error> {
        let line = self.line();
        match self.next() {
            Tok::Num(n) => Ok(Expr::Num(n)),
            Tok::Str(s) => Ok(Expr::Str(Rc::from(s))),
            Tok::Regex(r) => {
                self.prog.regexes.push(r);
                Ok(Expr::Regex(self.prog.regexes.len() - 1))
            }
            Tok::Op("$") => {
                let e = if self.is_op("++") || self.is_op("--") {
                    self.postfix()?
                } else if self.eat_op("-") {
                    Expr::Neg(Box::new(self.primary()?))
                } else {
                    self.primary()?
                };
                Ok(Expr::Field(Box::new(e)))
            }
            Tok::Op("!") => Ok(Expr::Not(Box::new(self.unary()?))),
            Tok::Op("-") => Ok(Expr::Neg(Box::new(self.unary()?))),
            Tok::Op("(") => {
                let list = self.expr_list()?;
                self.expect_op(")")?;
                if list.len() > 1 {
                    if !self.is_kw("in") {
                        return self.err();
                    }
                    self.next();
                    let Tok::Name(n) = self.next() else {
                        self.pos -= 1;
                        return self.err();
                    };
                    let v = self.var(&n);
                    self.array_use(v);
                    return Ok(Expr::In(list, v));
                }
                let e = list
                    .into_iter()
                    .next()
                    .ok_or((line, "syntax error".to_string()))?;
                Ok(Expr::Group(Box::new(e)))
            }
            Tok::Name(n) => {
                let v = self.var(&n);
                if self.eat_op("[") {
                    self.array_use(v);
                    let keys = self.expr_list()?;
                    self.expect_op("]")?;
                    Ok(Expr::Index(v, keys))
                } else {
                    Ok(Expr::Var(v))
                }
            }
            Tok::FuncName(n) => {
                let f = self.func(&n);
                self.func_lines.entry(f).or_insert(line);
                self.expect_op("(")?;
                let args = if self.is_op(")") {
                    Vec::new()
                } else {
                    self.expr_list()?
                };
                self.expect_op(")")?;
                if let Some(caller) = self.cur_func {
                    for (pos, a) in args.iter().enumerate() {
                        if let Expr::Var(Var::Local(l)) = a {
                            self.calls.push((caller, *l, f, pos));
                        }
                    }
                }
                Ok(Expr::Call(f, args))
            }
            Tok::Builtin(name) => {
                let name: &'static str = super::lexer::BUILTINS
                    .iter()
                    .find(|b| **b == name)
                    .copied()
                    .unwrap_or("length");
                if !self.is_op("(") {
                    if name == "length" {
                        return Ok(Expr::Builtin(name, Vec::new()));
                    }
                    return self.err();
                }
                self.next();
                let args = if self.is_op(")") {
                    Vec::new()
                } else {
                    self.expr_list()?
                };
                self.expect_op(")")?;
                let (min, max) = match name {
                    "length" | "srand" | "close" | "fflush" | "system" | "int" | "sin" | "cos"
                    | "exp" | "log" | "sqrt" | "tolower" | "toupper" => match name {
                        "length" | "srand" | "fflush" => (0, 1),
                        _ => (1, 1),
                    },
                    "rand" => (0, 0),
                    "substr" => (2, 3),
                    "index" | "atan2" | "match" => (2, 2),
                    "split" => (2, 3),
                    "sub" | "gsub" => (2, 3),
                    _ => (1, usize::MAX),
                };
                if args.len() < min || args.len() > max {
                    return Err((line, format!("wrong number of arguments to {name}")));
                }
                if name == "split" {
                    match &args[1] {
                        Expr::Var(v) => self.array_use(*v),
                        _ => return Err((line, "split: second argument must be an array".into())),
                    }
                }
                if matches!(name, "sub" | "gsub") && args.len() == 3 && !is_lvalue(&args[2]) {
                    return Err((line, format!("{name}: third argument must be assignable")));
                }
                Ok(Expr::Builtin(name, args))
            }
            Tok::Kw("getline") => {
                let lv = self.opt_lvalue()?;
                if self.eat_op("<") {
                    let f = self.postfix()?;
                    return Ok(Expr::Getline(GetSrc::File(Box::new(f)), lv));
                }
                Ok(Expr::Getline(GetSrc::Main, lv))
            }
            _ => {
                self.pos -= 1;
                self.err()
            }
        }
    }
}

fn is_lvalue(e: &Expr) -> bool {
    matches!(e, Expr::Var(_) | Expr::Index(..) | Expr::Field(_))
        || matches!(e, Expr::Group(g) if is_lvalue(g))
}

fn to_lvalue(e: Expr) -> Option<LValue> {
    match e {
        Expr::Var(v) => Some(LValue::Var(v)),
        Expr::Index(v, k) => Some(LValue::Index(v, k)),
        Expr::Field(f) => Some(LValue::Field(f)),
        Expr::Group(g) => to_lvalue(*g),
        _ => None,
    }
}
