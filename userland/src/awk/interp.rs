//! The tree-walking interpreter: variables, rules, statements,
//! expressions, getline and output redirections.

use super::array::Array;
use super::ast::special::*;
use super::ast::*;
use super::fields::{split_spans, FsMode, Record};
use super::io::{self as aio, InStream, OutStream, RecReader, RsMode};
use super::value::{looks_numeric, num_to_str, str_to_num, Value};
use crate::regex::{Options, Regex};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::rc::Rc;

/// Deepest user function recursion allowed.
const MAX_CALL_DEPTH: usize = 10_000;

/// A variable's storage.
#[derive(Clone)]
pub enum Cell {
    /// A scalar (or not yet used).
    Val(Value),
    /// An array, shared with callers when passed as a parameter.
    Arr(Rc<RefCell<Array>>),
}

/// Why evaluation stopped early.
pub enum Flow {
    /// `next`.
    Next,
    /// `nextfile`.
    NextFile,
    /// `exit` (the status is in [`Interp::exit_code`]).
    Exit,
    /// `return`.
    Return(Value),
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// A fatal error: message.
    Err(String),
}

type R<T> = Result<T, Flow>;

fn err<T>(msg: impl Into<String>) -> R<T> {
    Err(Flow::Err(msg.into()))
}

/// Where an assignment goes.
enum Place {
    Var(Var),
    Elem(Rc<RefCell<Array>>, Vec<u8>),
    Field(usize),
}

/// The main input: ARGV operands read in turn.
struct MainInput {
    reader: Option<RecReader>,
    argi: usize,
    used_file: bool,
    done: bool,
}

/// A running program.
pub struct Interp {
    prog: Rc<Program>,
    globals: Vec<Cell>,
    frames: Vec<Vec<Cell>>,
    rec: Record,
    /// FS as it is now; `rec_fs` is the one the current record is split by.
    fs: FsMode,
    rec_fs: FsMode,
    rs: RsMode,
    ofs: Vec<u8>,
    ors: Vec<u8>,
    subsep: Vec<u8>,
    convfmt: Vec<u8>,
    ofmt: Vec<u8>,
    nr: f64,
    fnr: f64,
    regexes: Vec<Rc<Regex>>,
    dyn_re: HashMap<Vec<u8>, Rc<Regex>>,
    outputs: HashMap<Vec<u8>, OutStream>,
    inputs: HashMap<Vec<u8>, InStream>,
    main: MainInput,
    stdout: io::BufWriter<io::Stdout>,
    ranges: Vec<bool>,
    rand_state: u64,
    seed: f64,
    /// Line of the statement running, for messages.
    pub line: u32,
    /// The status `exit` set.
    pub exit_code: i32,
    outbuf: Vec<u8>,
    /// An input file could not be opened: the exit status is 2.
    file_error: bool,
    /// Standard output is a terminal: flush after every write, so that
    /// output and prompts show up at once.
    tty: bool,
}

/// Compiles an ERE for awk.
pub fn compile_re(pat: &[u8]) -> Result<Regex, String> {
    Regex::with_options(
        pat,
        &Options {
            extended: true,
            ..Options::default()
        },
    )
    .map_err(|e| format!("bad regex '{}': {e}", String::from_utf8_lossy(pat)))
}

impl Interp {
    /// Prepares `prog` to run with `argv` (ARGV[0] first) and the `-v`
    /// assignments already split into name and value.
    pub fn new(prog: Program, argv: &[Vec<u8>]) -> Result<Interp, String> {
        let regexes = prog
            .regexes
            .iter()
            .map(|r| compile_re(r).map(Rc::new))
            .collect::<Result<Vec<_>, _>>()?;
        let mut globals = vec![Cell::Val(Value::Uninit); prog.globals.len()];
        let mut env = Array::default();
        for (k, v) in std::env::vars_os() {
            env.set(k.as_bytes(), Value::input(v.as_bytes()));
        }
        globals[ENVIRON] = Cell::Arr(Rc::new(RefCell::new(env)));
        let mut av = Array::default();
        for (i, a) in argv.iter().enumerate() {
            av.set(i.to_string().as_bytes(), Value::input(a));
        }
        globals[ARGV] = Cell::Arr(Rc::new(RefCell::new(av)));
        globals[ARGC] = Cell::Val(Value::Num(argv.len() as f64));
        let s = |b: &[u8]| Cell::Val(Value::str(b));
        globals[FS] = s(b" ");
        globals[OFS] = s(b" ");
        globals[ORS] = s(b"\n");
        globals[RS] = s(b"\n");
        globals[SUBSEP] = s(b"\x1c");
        globals[CONVFMT] = s(b"%.6g");
        globals[OFMT] = s(b"%.6g");
        globals[RSTART] = Cell::Val(Value::Num(0.0));
        globals[RLENGTH] = Cell::Val(Value::Num(-1.0));
        globals[FILENAME] = Cell::Val(Value::Uninit);
        let nranges = prog.nranges;
        Ok(Interp {
            prog: Rc::new(prog),
            globals,
            frames: Vec::new(),
            rec: Record::default(),
            fs: FsMode::Space,
            rec_fs: FsMode::Space,
            rs: RsMode::Byte(b'\n'),
            ofs: b" ".to_vec(),
            ors: b"\n".to_vec(),
            subsep: b"\x1c".to_vec(),
            convfmt: b"%.6g".to_vec(),
            ofmt: b"%.6g".to_vec(),
            nr: 0.0,
            fnr: 0.0,
            regexes,
            dyn_re: HashMap::new(),
            outputs: HashMap::new(),
            inputs: HashMap::new(),
            main: MainInput {
                reader: None,
                argi: 1,
                used_file: false,
                done: false,
            },
            stdout: io::BufWriter::with_capacity(64 * 1024, io::stdout()),
            ranges: vec![false; nranges],
            rand_state: 0x2545_F491_4F6C_DD1D,
            seed: 0.0,
            line: 0,
            exit_code: 0,
            outbuf: Vec::new(),
            file_error: false,
            tty: io::IsTerminal::is_terminal(&io::stdout()),
        })
    }

    /// Assigns a command-line `name=value` (escapes processed); false if
    /// `arg` is not such an assignment.
    pub fn cmdline_assign(&mut self, arg: &[u8]) -> R<bool> {
        let Some(eq) = arg.iter().position(|&b| b == b'=') else {
            return Ok(false);
        };
        let name = &arg[..eq];
        let valid = !name.is_empty()
            && !name[0].is_ascii_digit()
            && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
        if !valid {
            return Ok(false);
        }
        let name = String::from_utf8_lossy(name);
        let Some(i) = self.prog.globals.iter().position(|g| *g == name) else {
            // A variable the program never mentions: nothing to do.
            return Ok(true);
        };
        let val = super::lexer::unescape(&arg[eq + 1..]);
        self.set_var(Var::Global(i), Value::input(&val))?;
        Ok(true)
    }

    /// Runs the program: BEGIN, the input, END. Returns the exit status.
    pub fn run(&mut self) -> i32 {
        let r = self.run_all();
        let status = match r {
            Ok(()) | Err(Flow::Exit) => self.exit_code,
            Err(Flow::Err(msg)) => {
                let _ = self.stdout.flush();
                self.report(&msg);
                2
            }
            Err(_) => self.exit_code,
        };
        let st = self.close_all();
        if status == 0 {
            if self.file_error {
                2
            } else {
                st
            }
        } else {
            status
        }
    }

    /// Prints a runtime error with the current line.
    fn report(&self, msg: &str) {
        if self.line == 0 {
            eprintln!("awk: {msg}");
            return;
        }
        eprintln!("awk: {}: {msg}", super::where_line(self.line));
    }

    fn close_all(&mut self) -> i32 {
        let mut st = 0;
        if let Err(e) = self.stdout.flush() {
            if e.kind() != io::ErrorKind::BrokenPipe {
                eprintln!("awk: write error: {}", crate::common::strerror(&e));
                st = 2;
            }
        }
        for (_, o) in self.outputs.drain() {
            o.close();
        }
        for (_, mut i) in self.inputs.drain() {
            if let Some(mut c) = i.child.take() {
                drop(i.reader);
                let _ = c.wait();
            }
        }
        st
    }

    fn run_all(&mut self) -> R<()> {
        let prog = self.prog.clone();
        let mut exiting = false;
        for rule in &prog.rules {
            if let (Pattern::Begin, Some(a)) = (&rule.pattern, &rule.action) {
                match self.exec_block(a) {
                    Ok(()) => {}
                    Err(Flow::Exit) => {
                        exiting = true;
                        break;
                    }
                    Err(Flow::Next | Flow::NextFile) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let needs_input = prog
            .rules
            .iter()
            .any(|r| !matches!(r.pattern, Pattern::Begin));
        if !exiting && needs_input {
            match self.main_loop(&prog) {
                Ok(()) => {}
                Err(Flow::Exit) => {}
                Err(e) => return Err(e),
            }
        }
        for rule in &prog.rules {
            if let (Pattern::End, Some(a)) = (&rule.pattern, &rule.action) {
                match self.exec_block(a) {
                    Ok(()) | Err(Flow::Next | Flow::NextFile) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    fn main_loop(&mut self, prog: &Program) -> R<()> {
        let mut text = std::mem::take(&mut self.rec.text);
        loop {
            if !self.next_main_record(&mut text)? {
                // END still sees the last record.
                return Ok(());
            }
            std::mem::swap(&mut self.rec.text, &mut text);
            self.new_record();
            self.nr += 1.0;
            self.fnr += 1.0;
            for rule in &prog.rules {
                let r = self.run_rule(rule);
                match r {
                    Ok(()) => {}
                    Err(Flow::Next) => break,
                    Err(Flow::NextFile) => {
                        self.main.reader = None;
                        break;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }

    fn run_rule(&mut self, rule: &Rule) -> R<()> {
        let hit = match &rule.pattern {
            Pattern::Begin | Pattern::End => return Ok(()),
            Pattern::All => true,
            Pattern::Expr(e) => self.cond(e)?,
            Pattern::Range(a, b, i) => {
                if self.ranges[*i] {
                    if self.cond(b)? {
                        self.ranges[*i] = false;
                    }
                    true
                } else if self.cond(a)? {
                    self.ranges[*i] = !self.cond(b)?;
                    true
                } else {
                    false
                }
            }
        };
        if !hit {
            return Ok(());
        }
        match &rule.action {
            Some(a) => self.exec_block(a),
            None => {
                let mut buf = std::mem::take(&mut self.outbuf);
                buf.clear();
                buf.extend_from_slice(&self.rec.text);
                buf.extend_from_slice(&self.ors);
                let r = self.write_stdout(&buf);
                self.outbuf = buf;
                r
            }
        }
    }

    fn write_err(&self, e: io::Error) -> Flow {
        Flow::Err(format!("write error: {}", crate::common::strerror(&e)))
    }

    /// A new `$0` was read: split it by the FS in force now.
    fn new_record(&mut self) {
        self.rec.set_text();
        self.rec_fs = self.fs.clone();
    }

    /// Reads the next main-input record into `buf`; false at the end.
    fn next_main_record(&mut self, buf: &mut Vec<u8>) -> R<bool> {
        loop {
            if self.main.done {
                return Ok(false);
            }
            if let Some(r) = &mut self.main.reader {
                match r.read(&self.rs, buf) {
                    Ok(true) => return Ok(true),
                    Ok(false) => self.main.reader = None,
                    Err(e) => {
                        // Reported; the next operand is read all the same.
                        self.main.reader = None;
                        let name = self.var_string(FILENAME);
                        let _ = self.stdout.flush();
                        eprintln!(
                            "awk: read error on '{}': {}",
                            String::from_utf8_lossy(&name),
                            crate::common::strerror(&e)
                        );
                        self.file_error = true;
                    }
                }
            }
            if !self.open_next_file()? {
                self.main.done = true;
                return Ok(false);
            }
        }
    }

    fn var_string(&mut self, i: usize) -> Vec<u8> {
        match &self.globals[i] {
            Cell::Val(v) => v.to_bytes(&self.convfmt).to_vec(),
            Cell::Arr(_) => Vec::new(),
        }
    }

    fn open_next_file(&mut self) -> R<bool> {
        loop {
            let argc = match &self.globals[ARGC] {
                Cell::Val(v) => v.num(),
                Cell::Arr(_) => 0.0,
            };
            if (self.main.argi as f64) >= argc {
                break;
            }
            let key = self.main.argi.to_string();
            self.main.argi += 1;
            let arg = match &self.globals[ARGV] {
                Cell::Arr(a) => a.borrow().get(key.as_bytes()).cloned(),
                Cell::Val(_) => None,
            };
            let Some(arg) = arg else { continue };
            let arg = arg.to_bytes(&self.convfmt);
            if arg.is_empty() || self.cmdline_assign(&arg)? {
                continue;
            }
            self.main.used_file = true;
            let src: Box<dyn io::Read> = if &*arg == b"-" || &*arg == b"/dev/stdin" {
                Box::new(io::stdin())
            } else {
                match std::fs::File::open(OsStr::from_bytes(&arg)) {
                    Ok(f) => Box::new(f),
                    Err(e) => {
                        // Reported, and the other operands still read.
                        let _ = self.stdout.flush();
                        eprintln!(
                            "awk: can't open '{}': {}",
                            String::from_utf8_lossy(&arg),
                            crate::common::strerror(&e)
                        );
                        self.file_error = true;
                        continue;
                    }
                }
            };
            self.main.reader = Some(RecReader::new(src));
            self.globals[FILENAME] = Cell::Val(Value::Str(arg));
            self.fnr = 0.0;
            return Ok(true);
        }
        if !self.main.used_file {
            self.main.used_file = true;
            self.main.reader = Some(RecReader::new(Box::new(io::stdin())));
            self.fnr = 0.0;
            return Ok(true);
        }
        Ok(false)
    }

    // ---- statements ----

    fn exec_block(&mut self, stmts: &[Stmt]) -> R<()> {
        for s in stmts {
            self.exec(s)?;
        }
        Ok(())
    }

    fn exec(&mut self, s: &Stmt) -> R<()> {
        match s {
            Stmt::Expr(e, line) => {
                self.line = *line;
                self.eval_discard(e)
            }
            Stmt::Print(args, redir, line) => {
                self.line = *line;
                self.print(args, redir.as_ref())
            }
            Stmt::Printf(args, redir, line) => {
                self.line = *line;
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a)?);
                }
                let fmt = vals[0].to_bytes(&self.convfmt);
                let mut buf = std::mem::take(&mut self.outbuf);
                buf.clear();
                super::format::sprintf(&fmt, &vals[1..], &self.convfmt, &mut buf);
                let r = self.output(redir.as_ref(), &buf);
                self.outbuf = buf;
                r
            }
            Stmt::If(c, a, b) => {
                if self.cond(c)? {
                    self.exec(a)
                } else if let Some(b) = b {
                    self.exec(b)
                } else {
                    Ok(())
                }
            }
            Stmt::While(c, body) => {
                while self.cond(c)? {
                    match self.exec(body) {
                        Ok(()) | Err(Flow::Continue) => {}
                        Err(Flow::Break) => break,
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }
            Stmt::Do(body, c) => {
                loop {
                    match self.exec(body) {
                        Ok(()) | Err(Flow::Continue) => {}
                        Err(Flow::Break) => break,
                        Err(e) => return Err(e),
                    }
                    if !self.cond(c)? {
                        break;
                    }
                }
                Ok(())
            }
            Stmt::For(init, c, step, body) => {
                if let Some(i) = init {
                    self.exec(i)?;
                }
                loop {
                    if let Some(c) = c {
                        if !self.cond(c)? {
                            break;
                        }
                    }
                    match self.exec(body) {
                        Ok(()) | Err(Flow::Continue) => {}
                        Err(Flow::Break) => break,
                        Err(e) => return Err(e),
                    }
                    if let Some(s) = step {
                        self.exec(s)?;
                    }
                }
                Ok(())
            }
            Stmt::ForIn(k, arr, body) => {
                let a = self.array(*arr)?;
                let keys = a.borrow().keys();
                for key in keys {
                    if !a.borrow().contains(&key) {
                        continue;
                    }
                    self.set_var(*k, Value::input(&key))?;
                    match self.exec(body) {
                        Ok(()) | Err(Flow::Continue) => {}
                        Err(Flow::Break) => break,
                        Err(e) => return Err(e),
                    }
                }
                Ok(())
            }
            Stmt::Block(b) => self.exec_block(b),
            Stmt::Next => Err(Flow::Next),
            Stmt::NextFile => Err(Flow::NextFile),
            Stmt::Exit(e) => {
                if let Some(e) = e {
                    self.exit_code = self.num(e)? as i32;
                }
                Err(Flow::Exit)
            }
            Stmt::Return(e) => {
                let v = match e {
                    Some(e) => self.eval(e)?,
                    None => Value::Uninit,
                };
                Err(Flow::Return(v))
            }
            Stmt::Break => Err(Flow::Break),
            Stmt::Continue => Err(Flow::Continue),
            Stmt::Delete(v, keys, line) => {
                self.line = *line;
                let a = self.array(*v)?;
                match keys {
                    None => a.borrow_mut().clear(),
                    Some(k) => {
                        let key = self.key(k)?;
                        a.borrow_mut().remove(&key);
                    }
                }
                Ok(())
            }
        }
    }

    fn print(&mut self, args: &[Expr], redir: Option<&Redir>) -> R<()> {
        let mut buf = std::mem::take(&mut self.outbuf);
        buf.clear();
        let r = (|| {
            if args.is_empty() {
                buf.extend_from_slice(&self.rec.text);
            }
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    buf.extend_from_slice(&self.ofs);
                }
                self.push_expr(a, &mut buf)?;
            }
            buf.extend_from_slice(&self.ors);
            self.output(redir, &buf)
        })();
        self.outbuf = buf;
        r
    }

    /// Appends the output form of `e` (numbers by OFMT).
    fn push_expr(&mut self, e: &Expr, buf: &mut Vec<u8>) -> R<()> {
        match e {
            Expr::Field(i) => {
                let i = self.field_index(i)?;
                if i == 0 {
                    buf.extend_from_slice(&self.rec.text);
                    return Ok(());
                }
                self.rec.ensure_split(&self.rec_fs);
                if let Some(b) = self.rec.field_bytes(i) {
                    buf.extend_from_slice(b);
                } else {
                    self.rec.field(i).push_str(buf, &self.ofmt);
                }
                Ok(())
            }
            Expr::Str(s) => {
                buf.extend_from_slice(s);
                Ok(())
            }
            _ => {
                let v = self.eval(e)?;
                v.push_str(buf, &self.ofmt);
                Ok(())
            }
        }
    }

    fn write_stdout(&mut self, data: &[u8]) -> R<()> {
        let mut r = self.stdout.write_all(data);
        if self.tty && r.is_ok() {
            r = self.stdout.flush();
        }
        r.map_err(|e| self.write_err(e))
    }

    /// Writes `data` where `redir` says.
    fn output(&mut self, redir: Option<&Redir>, data: &[u8]) -> R<()> {
        let Some(redir) = redir else {
            return self.write_stdout(data);
        };
        let (e, mode) = match redir {
            Redir::File(e) => (e, 0),
            Redir::Append(e) => (e, 1),
            Redir::Pipe(e) => (e, 2),
        };
        let name = self.eval(e)?.to_bytes(&self.convfmt);
        if &*name == b"/dev/stdout" || &*name == b"-" {
            return self.write_stdout(data);
        }
        if !self.outputs.contains_key(&*name) {
            let stream = if &*name == b"/dev/stderr" {
                Ok(OutStream::Stderr(io::stderr()))
            } else if mode == 2 {
                let _ = self.stdout.flush();
                aio::open_pipe_out(&name)
            } else {
                let mut o = std::fs::OpenOptions::new();
                o.write(true).create(true);
                if mode == 1 {
                    o.append(true);
                } else {
                    o.truncate(true);
                }
                o.open(OsStr::from_bytes(&name))
                    .map(|f| OutStream::File(io::BufWriter::new(f)))
            };
            match stream {
                Ok(s) => {
                    self.outputs.insert(name.to_vec(), s);
                }
                Err(e) => {
                    return err(format!(
                        "can't redirect to '{}': {}",
                        String::from_utf8_lossy(&name),
                        crate::common::strerror(&e)
                    ))
                }
            }
        }
        if let Some(s) = self.outputs.get_mut(&*name) {
            let w = s.writer();
            if let Err(e) = w.write_all(data) {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    return Ok(());
                }
                return Err(self.write_err(e));
            }
        }
        Ok(())
    }

    // ---- variables ----

    fn cell(&mut self, v: Var) -> &mut Cell {
        match v {
            Var::Global(i) => &mut self.globals[i],
            Var::Local(i) => {
                let f = self.frames.len() - 1;
                &mut self.frames[f][i]
            }
        }
    }

    fn var_name(&self, v: Var) -> String {
        match v {
            Var::Global(i) => self.prog.globals[i].clone(),
            Var::Local(i) => format!("parameter #{}", i + 1),
        }
    }

    fn get_var(&mut self, v: Var) -> R<Value> {
        if let Var::Global(i) = v {
            match i {
                NF => {
                    self.rec.ensure_split(&self.rec_fs);
                    return Ok(Value::Num(self.rec.nf() as f64));
                }
                NR => return Ok(Value::Num(self.nr)),
                FNR => return Ok(Value::Num(self.fnr)),
                _ => {}
            }
        }
        match self.cell(v) {
            Cell::Val(x) => Ok(x.clone()),
            Cell::Arr(_) => err(format!(
                "can't use array {} in scalar context",
                self.var_name(v)
            )),
        }
    }

    fn set_var(&mut self, v: Var, val: Value) -> R<()> {
        if let Var::Global(i) = v {
            if i <= ARGV {
                return self.set_special(i, val);
            }
        }
        match self.cell(v) {
            c @ Cell::Val(_) => {
                *c = Cell::Val(val);
                Ok(())
            }
            Cell::Arr(_) => err(format!(
                "can't assign to {}; it's an array name.",
                self.var_name(v)
            )),
        }
    }

    fn set_special(&mut self, i: usize, val: Value) -> R<()> {
        match i {
            NF => {
                let n = val.num();
                if !(0.0..=10_000_000.0).contains(&n) {
                    return err(format!("NF set to invalid value {n}"));
                }
                self.rec.ensure_split(&self.rec_fs);
                self.rec.set_nf(n as usize, &self.ofs, &self.convfmt);
                return Ok(());
            }
            NR => {
                self.nr = val.num();
                return Ok(());
            }
            FNR => {
                self.fnr = val.num();
                return Ok(());
            }
            ENVIRON | ARGV => return err("can't assign to an array name"),
            _ => {}
        }
        let s = val.to_bytes(&self.convfmt).to_vec();
        match i {
            FS => self.fs = self.fs_mode(&s, matches!(self.rs, RsMode::Para))?,
            OFS => self.ofs = s,
            ORS => self.ors = s,
            SUBSEP => self.subsep = s,
            CONVFMT => self.convfmt = s,
            OFMT => self.ofmt = s,
            RS => {
                self.rs = match s.len() {
                    0 => RsMode::Para,
                    1 => RsMode::Byte(s[0]),
                    _ => RsMode::Regex(self.regex_for(&s)?),
                };
                if !matches!(self.fs, FsMode::Space | FsMode::Chars) {
                    let fs = self.var_string(FS);
                    self.fs = self.fs_mode(&fs, matches!(self.rs, RsMode::Para))?;
                }
            }
            _ => {}
        }
        self.globals[i] = Cell::Val(val);
        if i == FS {
            // A new FS given before any input applies to the first record.
            if !self.main.used_file && self.nr == 0.0 {
                self.rec_fs = self.fs.clone();
            }
        }
        Ok(())
    }

    /// How FS (or split's separator) `s` splits.
    /// `para`: for records read in paragraph mode (newlines separate too).
    fn fs_mode(&mut self, s: &[u8], para: bool) -> R<FsMode> {
        Ok(match s {
            b" " => FsMode::Space,
            b"" => FsMode::Chars,
            [b] if *b != b'\\' => {
                if para {
                    FsMode::ByteNl(*b)
                } else {
                    FsMode::Byte(*b)
                }
            }
            b"\\t" => FsMode::Byte(b'\t'),
            // In paragraph mode a newline always separates fields too.
            _ if para => {
                let mut re = b"(".to_vec();
                re.extend_from_slice(s);
                re.extend_from_slice(b")|\n");
                FsMode::Regex(self.regex_for(&re)?)
            }
            _ => FsMode::Regex(self.regex_for(s)?),
        })
    }

    fn array(&mut self, v: Var) -> R<Rc<RefCell<Array>>> {
        let c = self.cell(v);
        match c {
            Cell::Arr(a) => Ok(a.clone()),
            Cell::Val(Value::Uninit) => {
                let a = Rc::new(RefCell::new(Array::default()));
                *c = Cell::Arr(a.clone());
                Ok(a)
            }
            Cell::Val(_) => err(format!("can't use scalar {} as array", self.var_name(v))),
        }
    }

    /// The subscript for `keys` (joined with SUBSEP).
    fn key(&mut self, keys: &[Expr]) -> R<Vec<u8>> {
        let mut k = Vec::new();
        for (i, e) in keys.iter().enumerate() {
            if i > 0 {
                k.extend_from_slice(&self.subsep);
            }
            match e {
                Expr::Num(n) => num_to_str(*n, &self.convfmt, &mut k),
                Expr::Field(ie) => {
                    let i = self.field_index(ie)?;
                    if i == 0 {
                        k.extend_from_slice(&self.rec.text);
                        continue;
                    }
                    self.rec.ensure_split(&self.rec_fs);
                    match self.rec.field_bytes(i) {
                        Some(b) => k.extend_from_slice(b),
                        None => self.rec.field(i).push_str(&mut k, &self.convfmt),
                    }
                }
                _ => {
                    let v = self.eval(e)?;
                    v.push_str(&mut k, &self.convfmt);
                }
            }
        }
        Ok(k)
    }

    fn field_index(&mut self, e: &Expr) -> R<usize> {
        let n = self.num(e)?;
        if !(0.0..=10_000_000.0).contains(&n) {
            return err(format!("trying to access out of range field {}", n as i64));
        }
        Ok(n as usize)
    }

    fn get_field(&mut self, i: usize) -> Value {
        if i == 0 {
            return Value::input(&self.rec.text);
        }
        self.rec.ensure_split(&self.rec_fs);
        self.rec.field(i)
    }

    fn set_field(&mut self, i: usize, v: Value) {
        if i == 0 {
            self.rec.text.clear();
            v.push_str(&mut self.rec.text, &self.convfmt);
            self.rec.set_text();
            self.rec_fs = self.fs.clone();
        } else {
            self.rec.ensure_split(&self.rec_fs);
            self.rec.set_field(i, v, &self.ofs, &self.convfmt);
        }
    }

    fn place(&mut self, lv: &LValue) -> R<Place> {
        Ok(match lv {
            LValue::Var(v) => Place::Var(*v),
            LValue::Index(v, k) => {
                let key = self.key(k)?;
                Place::Elem(self.array(*v)?, key)
            }
            LValue::Field(e) => Place::Field(self.field_index(e)?),
        })
    }

    fn get_place(&mut self, p: &Place) -> R<Value> {
        match p {
            Place::Var(v) => self.get_var(*v),
            Place::Elem(a, k) => Ok(a.borrow_mut().entry(k).clone()),
            Place::Field(i) => Ok(self.get_field(*i)),
        }
    }

    fn set_place(&mut self, p: &Place, v: Value) -> R<()> {
        match p {
            Place::Var(var) => self.set_var(*var, v),
            Place::Elem(a, k) => {
                a.borrow_mut().set(k, v);
                Ok(())
            }
            Place::Field(i) => {
                self.set_field(*i, v);
                Ok(())
            }
        }
    }

    fn assign(&mut self, lv: &LValue, v: Value) -> R<()> {
        let p = self.place(lv)?;
        self.set_place(&p, v)
    }

    // ---- expressions ----

    fn eval_discard(&mut self, e: &Expr) -> R<()> {
        match e {
            Expr::IncDec(_, d, lv) => {
                let p = self.place(lv)?;
                let n = self.get_place(&p)?.num();
                self.set_place(&p, Value::Num(n + d))
            }
            _ => self.eval(e).map(drop),
        }
    }

    /// Evaluates `e` as a condition.
    pub fn cond(&mut self, e: &Expr) -> R<bool> {
        match e {
            Expr::Regex(i) => Ok(self.regexes[*i].is_match(&self.rec.text)),
            Expr::Not(e) => Ok(!self.cond(e)?),
            Expr::And(a, b) => Ok(self.cond(a)? && self.cond(b)?),
            Expr::Or(a, b) => Ok(self.cond(a)? || self.cond(b)?),
            Expr::Group(e) => self.cond(e),
            Expr::Match(neg, l, r) => Ok(self.matches(l, r)? != *neg),
            Expr::Cmp(op, a, b) => self.compare(*op, a, b),
            _ => Ok(self.eval(e)?.truth()),
        }
    }

    fn matches(&mut self, l: &Expr, r: &Expr) -> R<bool> {
        let re = self.regex_of(r)?;
        if let Expr::Field(i) = l {
            let i = self.field_index(i)?;
            if i == 0 {
                return Ok(re.is_match(&self.rec.text));
            }
            self.rec.ensure_split(&self.rec_fs);
            if let Some(b) = self.rec.field_bytes(i) {
                return Ok(re.is_match(b));
            }
        }
        let s = self.eval(l)?.to_bytes(&self.convfmt);
        Ok(re.is_match(&s))
    }

    /// The regular expression `e` stands for: a constant, or its string value.
    fn regex_of(&mut self, e: &Expr) -> R<Rc<Regex>> {
        if let Expr::Regex(i) = e {
            return Ok(self.regexes[*i].clone());
        }
        let s = self.eval(e)?.to_bytes(&self.convfmt);
        self.regex_for(&s)
    }

    fn regex_for(&mut self, s: &[u8]) -> R<Rc<Regex>> {
        if let Some(r) = self.dyn_re.get(s) {
            return Ok(r.clone());
        }
        let re = Rc::new(compile_re(s).map_err(Flow::Err)?);
        if self.dyn_re.len() > 500 {
            self.dyn_re.clear();
        }
        self.dyn_re.insert(s.to_vec(), re.clone());
        Ok(re)
    }

    /// One operand of a comparison: a field is looked at in place.
    fn side(&mut self, e: &Expr, other: &Expr) -> R<Side> {
        // Only when evaluating the other side cannot change the record.
        let simple = matches!(
            other,
            Expr::Num(_) | Expr::Str(_) | Expr::Var(_) | Expr::Field(_)
        );
        if let (Expr::Field(ie), true) = (e, simple) {
            let i = self.field_index(ie)?;
            if i == 0 {
                return Ok(Side::Field(0, looks_numeric(&self.rec.text)));
            }
            self.rec.ensure_split(&self.rec_fs);
            match self.rec.field_bytes(i) {
                Some(b) => return Ok(Side::Field(i, looks_numeric(b))),
                None if i > self.rec.nf() => return Ok(Side::Val(Value::Uninit)),
                None => {}
            }
        }
        Ok(Side::Val(self.eval(e)?))
    }

    fn side_bytes<'a>(&'a self, s: &'a Side) -> std::borrow::Cow<'a, [u8]> {
        match s {
            Side::Val(v) => match v {
                Value::Str(b) | Value::StrNum(b, _) => std::borrow::Cow::Borrowed(&b[..]),
                _ => std::borrow::Cow::Owned(v.to_bytes(&self.convfmt).to_vec()),
            },
            Side::Field(0, _) => std::borrow::Cow::Borrowed(&self.rec.text[..]),
            Side::Field(i, _) => {
                std::borrow::Cow::Borrowed(self.rec.field_bytes(*i).unwrap_or(b""))
            }
        }
    }

    fn compare(&mut self, op: Cmp, a: &Expr, b: &Expr) -> R<bool> {
        let x = self.side(a, b)?;
        let y = self.side(b, a)?;
        let ord = if let (Some(p), Some(q)) = (x.num(), y.num()) {
            match p.partial_cmp(&q) {
                Some(o) => o,
                None => return Ok(op == Cmp::Ne),
            }
        } else {
            let p = self.side_bytes(&x);
            let q = self.side_bytes(&y);
            p.cmp(&q)
        };
        Ok(match op {
            Cmp::Lt => ord == Ordering::Less,
            Cmp::Le => ord != Ordering::Greater,
            Cmp::Eq => ord == Ordering::Equal,
            Cmp::Ne => ord != Ordering::Equal,
            Cmp::Gt => ord == Ordering::Greater,
            Cmp::Ge => ord != Ordering::Less,
        })
    }

    /// Evaluates `e` as a number, without building strings where possible.
    pub fn num(&mut self, e: &Expr) -> R<f64> {
        match e {
            Expr::Num(n) => Ok(*n),
            Expr::Field(i) => {
                let i = self.field_index(i)?;
                if i == 0 {
                    return Ok(str_to_num(&self.rec.text));
                }
                self.rec.ensure_split(&self.rec_fs);
                match self.rec.field_bytes(i) {
                    Some(b) => Ok(str_to_num(b)),
                    None => Ok(self.rec.field(i).num()),
                }
            }
            Expr::Arith(op, a, b) => {
                let x = self.num(a)?;
                let y = self.num(b)?;
                arith(*op, x, y)
            }
            Expr::Group(e) => self.num(e),
            _ => Ok(self.eval(e)?.num()),
        }
    }

    /// Evaluates `e`.
    pub fn eval(&mut self, e: &Expr) -> R<Value> {
        match e {
            Expr::Num(n) => Ok(Value::Num(*n)),
            Expr::Str(s) => Ok(Value::Str(s.clone())),
            Expr::Regex(_) | Expr::Not(_) | Expr::And(..) | Expr::Or(..) | Expr::Match(..) => {
                Ok(bool_val(self.cond(e)?))
            }
            Expr::Cmp(op, a, b) => Ok(bool_val(self.compare(*op, a, b)?)),
            Expr::Var(v) => self.get_var(*v),
            Expr::Index(v, k) => {
                let key = self.key(k)?;
                let a = self.array(*v)?;
                let val = a.borrow_mut().entry(&key).clone();
                Ok(val)
            }
            Expr::Field(i) => {
                let i = self.field_index(i)?;
                Ok(self.get_field(i))
            }
            Expr::Group(e) => self.eval(e),
            Expr::Assign(op, lv, rhs) => {
                let v = match op {
                    None => {
                        let v = self.eval(rhs)?;
                        // Assignment copies the value, never the array.
                        if let Value::Uninit = v {
                            Value::Uninit
                        } else {
                            v
                        }
                    }
                    Some(op) => {
                        if let LValue::Var(var) = &**lv {
                            let y = self.num(rhs)?;
                            let x = self.get_var(*var)?.num();
                            let v = Value::Num(arith(*op, x, y)?);
                            self.set_var(*var, v.clone())?;
                            return Ok(v);
                        }
                        let p = self.place(lv)?;
                        let y = self.num(rhs)?;
                        let x = self.get_place(&p)?.num();
                        let v = Value::Num(arith(*op, x, y)?);
                        self.set_place(&p, v.clone())?;
                        return Ok(v);
                    }
                };
                let p = self.place(lv)?;
                self.set_place(&p, v.clone())?;
                Ok(v)
            }
            Expr::Cond(c, a, b) => {
                if self.cond(c)? {
                    self.eval(a)
                } else {
                    self.eval(b)
                }
            }
            Expr::Neg(e) => Ok(Value::Num(-self.num(e)?)),
            Expr::Plus(e) => Ok(Value::Num(self.num(e)?)),
            Expr::Arith(..) => Ok(Value::Num(self.num(e)?)),
            Expr::Concat(a, b) => {
                // Walk the left spine so a long chain is built in one
                // buffer rather than copied once per operand.
                let mut parts = vec![&**b];
                let mut cur = &**a;
                while let Expr::Concat(x, y) = cur {
                    parts.push(y);
                    cur = x;
                }
                parts.push(cur);
                let mut s = Vec::new();
                for p in parts.iter().rev() {
                    self.eval(p)?.push_str(&mut s, &self.convfmt);
                }
                Ok(Value::Str(Rc::from(s)))
            }
            Expr::In(k, v) => {
                let key = self.key(k)?;
                let a = self.array(*v)?;
                let r = a.borrow().contains(&key);
                Ok(bool_val(r))
            }
            Expr::IncDec(pre, d, lv) => {
                let p = self.place(lv)?;
                let n = self.get_place(&p)?.num();
                self.set_place(&p, Value::Num(n + d))?;
                Ok(Value::Num(if *pre { n + d } else { n }))
            }
            Expr::Call(f, args) => self.call(*f, args),
            Expr::Builtin(name, args) => self.builtin(name, args),
            Expr::Getline(src, lv) => self.getline(src, lv.as_deref()),
        }
    }

    fn call(&mut self, f: usize, args: &[Expr]) -> R<Value> {
        let prog = self.prog.clone();
        let func = &prog.funcs[f];
        if args.len() > func.nparams {
            return err(format!(
                "function '{}' called with {} args, accepts only {}",
                func.name,
                args.len(),
                func.nparams
            ));
        }
        if self.frames.len() >= MAX_CALL_DEPTH {
            return err(format!("function '{}': call nesting too deep", func.name));
        }
        let mut frame = Vec::with_capacity(func.nparams);
        for (i, a) in args.iter().enumerate() {
            let by_name = match a {
                Expr::Var(v) if !matches!(v, Var::Global(NF | NR | FNR)) => Some(*v),
                _ => None,
            };
            let cell = match by_name {
                Some(v) => match self.cell(v) {
                    Cell::Arr(a) => Cell::Arr(a.clone()),
                    Cell::Val(Value::Uninit) if func.array_params[i] => Cell::Arr(self.array(v)?),
                    Cell::Val(x) => Cell::Val(x.clone()),
                },
                None => Cell::Val(self.eval(a)?),
            };
            frame.push(cell);
        }
        frame.resize(func.nparams, Cell::Val(Value::Uninit));
        self.frames.push(frame);
        let line = self.line;
        let r = match &func.body {
            Some(b) => self.exec_block(b),
            None => Ok(()),
        };
        self.frames.pop();
        self.line = line;
        match r {
            Ok(()) => Ok(Value::Uninit),
            Err(Flow::Return(v)) => Ok(v),
            Err(e) => Err(e),
        }
    }

    fn str_arg(&mut self, e: &Expr) -> R<Rc<[u8]>> {
        Ok(self.eval(e)?.to_bytes(&self.convfmt))
    }

    fn builtin(&mut self, name: &str, args: &[Expr]) -> R<Value> {
        let n = |s: &mut Self, i: usize| -> R<f64> { s.num(&args[i]) };
        Ok(match name {
            "length" => match args.first() {
                None => Value::Num(self.rec.text.len() as f64),
                Some(Expr::Var(v)) if matches!(self.cell(*v), Cell::Arr(_)) => {
                    let a = self.array(*v)?;
                    let l = a.borrow().len();
                    Value::Num(l as f64)
                }
                Some(Expr::Field(ie)) => {
                    let i = self.field_index(ie)?;
                    if i == 0 {
                        Value::Num(self.rec.text.len() as f64)
                    } else {
                        self.rec.ensure_split(&self.rec_fs);
                        match self.rec.field_bytes(i) {
                            Some(b) => Value::Num(b.len() as f64),
                            None => {
                                Value::Num(self.get_field(i).to_bytes(&self.convfmt).len() as f64)
                            }
                        }
                    }
                }
                Some(e) => Value::Num(self.str_arg(e)?.len() as f64),
            },
            "substr" => {
                let s = self.str_arg(&args[0])?;
                let m = round(n(self, 1)?);
                let len = s.len() as f64;
                let end = match args.get(2) {
                    Some(e) => {
                        let l = self.num(e)?;
                        if l.is_nan() {
                            m
                        } else {
                            m + round(l)
                        }
                    }
                    None => f64::INFINITY,
                };
                let start = if m.is_nan() { 1.0 } else { m.max(1.0) };
                let end = end.min(len + 1.0);
                if end <= start {
                    Value::str(b"")
                } else {
                    Value::str(&s[start as usize - 1..end as usize - 1])
                }
            }
            "index" => {
                let s = self.str_arg(&args[0])?;
                let t = self.str_arg(&args[1])?;
                let p = if t.is_empty() {
                    0
                } else {
                    s.windows(t.len())
                        .position(|w| w == &*t)
                        .map_or(0, |p| p + 1)
                };
                Value::Num(p as f64)
            }
            "split" => self.split(args)?,
            "sub" | "gsub" => self.sub(name == "gsub", args)?,
            "match" => {
                let s = self.str_arg(&args[0])?;
                let re = self.regex_of(&args[1])?;
                let (start, len) = match re.find_at(&s, 0) {
                    Some((a, b)) => ((a + 1) as f64, (b - a) as f64),
                    None => (0.0, -1.0),
                };
                self.globals[RSTART] = Cell::Val(Value::Num(start));
                self.globals[RLENGTH] = Cell::Val(Value::Num(len));
                Value::Num(start)
            }
            "sprintf" => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a)?);
                }
                let fmt = vals[0].to_bytes(&self.convfmt);
                let mut out = Vec::new();
                super::format::sprintf(&fmt, &vals[1..], &self.convfmt, &mut out);
                Value::Str(Rc::from(out))
            }
            "sin" => Value::Num(n(self, 0)?.sin()),
            "cos" => Value::Num(n(self, 0)?.cos()),
            "atan2" => {
                let y = n(self, 0)?;
                Value::Num(y.atan2(n(self, 1)?))
            }
            "exp" => Value::Num(n(self, 0)?.exp()),
            "log" => Value::Num(n(self, 0)?.ln()),
            "sqrt" => Value::Num(n(self, 0)?.sqrt()),
            "int" => Value::Num(n(self, 0)?.trunc()),
            "rand" => {
                // xorshift64*: the same sequence for the same seed.
                let mut x = self.rand_state;
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                self.rand_state = x;
                let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
                Value::Num(r as f64 / (1u64 << 53) as f64)
            }
            "srand" => {
                let prev = self.seed;
                self.seed = match args.first() {
                    Some(e) => self.num(e)?,
                    None => std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs() as f64)
                        .unwrap_or(0.0),
                };
                self.rand_state = (self.seed as i64 as u64)
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .wrapping_add(0x2545_F491_4F6C_DD1D)
                    | 1;
                Value::Num(prev)
            }
            "tolower" | "toupper" => {
                let mut s = self.str_arg(&args[0])?.to_vec();
                if name == "tolower" {
                    s.make_ascii_lowercase();
                } else {
                    s.make_ascii_uppercase();
                }
                Value::Str(Rc::from(s))
            }
            "system" => {
                let cmd = self.str_arg(&args[0])?;
                self.flush_all();
                let st = match aio::shell(&cmd).status() {
                    Ok(st) => {
                        use std::os::unix::process::ExitStatusExt;
                        st.code().unwrap_or_else(|| 256 + st.signal().unwrap_or(0))
                    }
                    Err(_) => -1,
                };
                Value::Num(f64::from(st))
            }
            "close" => {
                let name = self.str_arg(&args[0])?;
                let mut st = -1;
                if let Some(o) = self.outputs.remove(&*name) {
                    st = o.close();
                }
                if let Some(mut i) = self.inputs.remove(&*name) {
                    st = 0;
                    if let Some(mut c) = i.child.take() {
                        drop(i.reader);
                        st = aio::wait_status(&mut c);
                    }
                }
                Value::Num(f64::from(st))
            }
            "fflush" => {
                match args.first() {
                    None => self.flush_all(),
                    Some(e) => {
                        let name = self.str_arg(e)?;
                        if &*name == b"/dev/stdout" {
                            let _ = self.stdout.flush();
                        } else if let Some(o) = self.outputs.get_mut(&*name) {
                            let _ = o.writer().flush();
                        } else {
                            return Ok(Value::Num(-1.0));
                        }
                    }
                }
                Value::Num(0.0)
            }
            _ => Value::Uninit,
        })
    }

    fn flush_all(&mut self) {
        let _ = self.stdout.flush();
        for o in self.outputs.values_mut() {
            let _ = o.writer().flush();
        }
    }

    fn split(&mut self, args: &[Expr]) -> R<Value> {
        let s = self.str_arg(&args[0])?;
        let Expr::Var(av) = &args[1] else {
            return err("split: second argument must be an array");
        };
        let mode = match args.get(2) {
            None => self.fs.clone(),
            Some(Expr::Regex(i)) => FsMode::Regex(self.regexes[*i].clone()),
            Some(e) => {
                let sep = self.str_arg(e)?;
                match &*sep {
                    [b] if *b != b' ' && *b != b'\\' => FsMode::Byte(*b),
                    _ => self.fs_mode(&sep, false)?,
                }
            }
        };
        let mut spans = Vec::new();
        split_spans(&s, &mode, &mut spans);
        let a = self.array(*av)?;
        let mut a = a.borrow_mut();
        a.clear();
        for (i, &(x, y)) in spans.iter().enumerate() {
            a.set((i + 1).to_string().as_bytes(), Value::input(&s[x..y]));
        }
        Ok(Value::Num(spans.len() as f64))
    }

    fn sub(&mut self, global: bool, args: &[Expr]) -> R<Value> {
        let re = self.regex_of(&args[0])?;
        let repl = self.str_arg(&args[1])?;
        let place = match args.get(2) {
            Some(e) => match e {
                Expr::Var(v) => Place::Var(*v),
                Expr::Index(v, k) => {
                    let key = self.key(k)?;
                    Place::Elem(self.array(*v)?, key)
                }
                Expr::Field(i) => Place::Field(self.field_index(i)?),
                Expr::Group(g) => match &**g {
                    Expr::Var(v) => Place::Var(*v),
                    _ => return err("sub: third argument must be assignable"),
                },
                _ => return err("sub: third argument must be assignable"),
            },
            None => Place::Field(0),
        };
        let target = self.get_place(&place)?.to_bytes(&self.convfmt);
        let (out, count) = substitute(&re, &target, &repl, global);
        if count > 0 {
            self.set_place(&place, Value::Str(Rc::from(out)))?;
        }
        Ok(Value::Num(count as f64))
    }

    fn getline(&mut self, src: &GetSrc, lv: Option<&LValue>) -> R<Value> {
        let mut buf = Vec::new();
        match src {
            GetSrc::Main => {
                if !self.next_main_record(&mut buf)? {
                    return Ok(Value::Num(0.0));
                }
                self.nr += 1.0;
                self.fnr += 1.0;
            }
            GetSrc::File(e) | GetSrc::Cmd(e) => {
                let is_cmd = matches!(src, GetSrc::Cmd(_));
                let name = self.str_arg(e)?;
                if !self.inputs.contains_key(&*name) {
                    let stream = if is_cmd {
                        self.flush_all();
                        aio::open_pipe_in(&name)
                    } else if &*name == b"-" || &*name == b"/dev/stdin" {
                        Ok(InStream {
                            reader: RecReader::new(Box::new(io::stdin())),
                            child: None,
                        })
                    } else {
                        std::fs::File::open(OsStr::from_bytes(&name)).map(|f| InStream {
                            reader: RecReader::new(Box::new(f)),
                            child: None,
                        })
                    };
                    match stream {
                        Ok(s) => {
                            self.inputs.insert(name.to_vec(), s);
                        }
                        Err(_) => return Ok(Value::Num(-1.0)),
                    }
                }
                let rs = self.rs.clone();
                let Some(s) = self.inputs.get_mut(&*name) else {
                    return Ok(Value::Num(-1.0));
                };
                match s.reader.read(&rs, &mut buf) {
                    Ok(true) => {}
                    Ok(false) => return Ok(Value::Num(0.0)),
                    Err(_) => return Ok(Value::Num(-1.0)),
                }
                if is_cmd {
                    self.nr += 1.0;
                    self.fnr += 1.0;
                }
            }
        }
        match lv {
            Some(lv) => self.assign(lv, Value::input(&buf))?,
            None => {
                self.rec.text = buf;
                self.new_record();
            }
        }
        Ok(Value::Num(1.0))
    }
}

/// A comparison operand.
enum Side {
    /// A value.
    Val(Value),
    /// Field `i` of the current record, with its number if it looks numeric.
    Field(usize, Option<f64>),
}

impl Side {
    /// The number, when the operand compares numerically.
    fn num(&self) -> Option<f64> {
        match self {
            Side::Val(v) if v.is_numeric() => Some(v.num()),
            Side::Val(_) => None,
            Side::Field(_, n) => *n,
        }
    }
}

fn bool_val(b: bool) -> Value {
    Value::Num(if b { 1.0 } else { 0.0 })
}

/// Rounds half away from zero, as awk's substr does with its positions.
fn round(x: f64) -> f64 {
    x.round()
}

fn arith(op: Arith, x: f64, y: f64) -> R<f64> {
    Ok(match op {
        Arith::Add => x + y,
        Arith::Sub => x - y,
        Arith::Mul => x * y,
        Arith::Div => {
            if y == 0.0 {
                return err("division by zero");
            }
            x / y
        }
        Arith::Mod => {
            if y == 0.0 {
                return err("division by zero in %");
            }
            x % y
        }
        Arith::Pow => pow(x, y),
    })
}

/// `x ^ y`, exact for integer exponents.
fn pow(x: f64, y: f64) -> f64 {
    if y == y.trunc() && y.abs() < 1024.0 {
        x.powi(y as i32)
    } else {
        x.powf(y)
    }
}

/// Replaces the first (or every) match of `re` in `s` by `repl`, where
/// `&` is the match and `\&` a literal `&`; returns the result and count.
pub fn substitute(re: &Regex, s: &[u8], repl: &[u8], global: bool) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(s.len());
    let mut pos = 0;
    let mut count = 0;
    let mut last_end: Option<usize> = None;
    while pos <= s.len() {
        let Some((ms, me)) = re.find_at(s, pos) else {
            break;
        };
        if ms == me && last_end == Some(ms) {
            // No empty match right after the previous match.
            if ms >= s.len() {
                break;
            }
            out.extend_from_slice(&s[pos..=ms]);
            pos = ms + 1;
            continue;
        }
        out.extend_from_slice(&s[pos..ms]);
        let mut i = 0;
        while i < repl.len() {
            match repl[i] {
                b'\\' if matches!(repl.get(i + 1), Some(b'&')) => {
                    out.push(b'&');
                    i += 2;
                }
                b'\\' if matches!(repl.get(i + 1), Some(b'\\')) => {
                    out.push(b'\\');
                    i += 2;
                }
                b'&' => {
                    out.extend_from_slice(&s[ms..me]);
                    i += 1;
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        count += 1;
        last_end = Some(me);
        if ms == me {
            if ms < s.len() {
                out.push(s[ms]);
            }
            pos = ms + 1;
        } else {
            pos = me;
        }
        if !global {
            break;
        }
    }
    if pos < s.len() {
        out.extend_from_slice(&s[pos..]);
    }
    (out, count)
}
