//! Compiling a [`Node`] tree into a program for the Pike VM and the
//! backtracker: Thompson's construction with explicit capture slots.

use super::parse::{is_word, ByteSet, Look, Node};
use super::Error;

/// One instruction of a compiled program.
#[derive(Clone, Debug)]
pub enum Inst {
    /// Consume this byte.
    Byte(u8),
    /// Consume any byte of the set.
    Set(ByteSet),
    /// Try both, preferring the first (greedy order for equal lengths).
    Split(usize, usize),
    /// Continue elsewhere.
    Jmp(usize),
    /// Record the position in capture slot N.
    Save(usize),
    /// Zero-width assertion.
    Look(Look),
    /// Match what group N matched (backtracker only).
    Backref(usize),
    /// Remember the position in loop register N, so that an iteration of a
    /// loop whose body can match empty is known to have made progress.
    RepStart(usize),
    /// Fail unless the position moved since `RepStart(N)`: stops the
    /// backtracker looping forever on `(a*)*`.
    RepCheck(usize),
    /// The whole pattern matched.
    Match,
}

/// Groups beyond this one are not recorded: nothing can refer to them
/// (`\1`..`\9`), and every recorded group costs memory in each thread.
pub const MAX_GROUP: usize = 9;

/// A compiled program.
pub struct Prog {
    /// Instructions; execution starts at 0.
    pub insts: Vec<Inst>,
    /// Number of capture slots (two per group, group 0 included).
    pub slots: usize,
    /// Number of loop registers.
    pub regs: usize,
    /// Whether matching ignores ASCII case (back-references need it).
    pub icase: bool,
}

/// Instruction count beyond which a pattern is refused: `{m,n}` is expanded,
/// so nested counts could otherwise demand unbounded memory.
const MAX_INSTS: usize = 100_000;

/// Compiles `node` with `groups` capturing groups.
pub fn compile(node: &Node, groups: usize, icase: bool) -> Result<Prog, Error> {
    let mut c = Compiler {
        insts: Vec::new(),
        regs: 0,
        icase,
    };
    c.push(Inst::Save(0))?;
    c.node(node)?;
    c.push(Inst::Save(1))?;
    c.push(Inst::Match)?;
    Ok(Prog {
        insts: c.insts,
        slots: 2 * (groups.min(MAX_GROUP) + 1),
        regs: c.regs,
        icase,
    })
}

struct Compiler {
    insts: Vec<Inst>,
    regs: usize,
    icase: bool,
}

impl Compiler {
    fn push(&mut self, inst: Inst) -> Result<usize, Error> {
        if self.insts.len() >= MAX_INSTS {
            return Err(Error::TooBig);
        }
        self.insts.push(inst);
        Ok(self.insts.len() - 1)
    }

    fn node(&mut self, node: &Node) -> Result<(), Error> {
        match node {
            Node::Empty => {}
            Node::Byte(b) => {
                if self.icase && b.is_ascii_alphabetic() {
                    let mut s = ByteSet::default();
                    s.insert(b.to_ascii_lowercase());
                    s.insert(b.to_ascii_uppercase());
                    self.push(Inst::Set(s))?;
                } else {
                    self.push(Inst::Byte(*b))?;
                }
            }
            // Sets were case-folded by the parser, before any negation.
            Node::Set(s) => {
                self.push(Inst::Set(**s))?;
            }
            Node::Look(l) => {
                self.push(Inst::Look(*l))?;
            }
            Node::Backref(n) => {
                self.push(Inst::Backref(*n))?;
            }
            Node::Group(inner, n) => {
                if *n <= MAX_GROUP {
                    self.push(Inst::Save(2 * n))?;
                    self.node(inner)?;
                    self.push(Inst::Save(2 * n + 1))?;
                } else {
                    self.node(inner)?;
                }
            }
            Node::Concat(items) => {
                for item in items {
                    self.node(item)?;
                }
            }
            Node::Alt(alts) => {
                // Split(a1, next); a1; Jmp end; next: Split(a2, ...) ...
                let mut jumps = Vec::new();
                for (i, alt) in alts.iter().enumerate() {
                    if i + 1 < alts.len() {
                        let split = self.push(Inst::Split(0, 0))?;
                        self.node(alt)?;
                        jumps.push(self.push(Inst::Jmp(0))?);
                        let next = self.insts.len();
                        self.insts[split] = Inst::Split(split + 1, next);
                    } else {
                        self.node(alt)?;
                    }
                }
                let end = self.insts.len();
                for j in jumps {
                    self.insts[j] = Inst::Jmp(end);
                }
            }
            Node::Repeat(inner, min, max) => self.repeat(inner, *min, *max)?,
        }
        Ok(())
    }

    fn repeat(&mut self, inner: &Node, min: u32, max: Option<u32>) -> Result<(), Error> {
        for _ in 0..min {
            self.node(inner)?;
        }
        match max {
            None => {
                // loop: Split(body, out); [RepStart] body [RepCheck]; Jmp loop
                let nullable = nullable(inner);
                let split = self.push(Inst::Split(0, 0))?;
                let reg = self.regs;
                if nullable {
                    self.regs += 1;
                    self.push(Inst::RepStart(reg))?;
                }
                self.node(inner)?;
                if nullable {
                    self.push(Inst::RepCheck(reg))?;
                }
                self.push(Inst::Jmp(split))?;
                let out = self.insts.len();
                self.insts[split] = Inst::Split(split + 1, out);
            }
            Some(max) => {
                // Nested optionals all jumping to one end: x{0,3} is
                // (x(x(x)?)?)?, which keeps the backtracker's choices linear.
                let mut splits = Vec::new();
                for _ in min..max {
                    splits.push(self.push(Inst::Split(0, 0))?);
                    self.node(inner)?;
                }
                let end = self.insts.len();
                for s in splits {
                    self.insts[s] = Inst::Split(s + 1, end);
                }
            }
        }
        Ok(())
    }
}

/// Whether `node` can match the empty string.
pub fn nullable(node: &Node) -> bool {
    match node {
        Node::Empty | Node::Look(_) | Node::Backref(_) => true,
        Node::Byte(_) | Node::Set(_) => false,
        Node::Group(inner, _) => nullable(inner),
        Node::Concat(items) => items.iter().all(nullable),
        Node::Alt(alts) => alts.iter().any(nullable),
        Node::Repeat(inner, min, _) => *min == 0 || nullable(inner),
    }
}

/// Whether assertion `look` holds at `pos` in `text`.
#[inline]
pub fn look_ok(look: Look, text: &[u8], pos: usize) -> bool {
    let prev_word = pos > 0 && text.get(pos - 1).is_some_and(|&b| is_word(b));
    look_ok_ctx(look, pos == 0, prev_word, text.get(pos).copied())
}

/// Whether assertion `look` holds at a position that is the start of the
/// subject (`at_start`), follows a word character (`prev_word`), and is
/// followed by `next` (None at the end).
#[inline]
pub fn look_ok_ctx(look: Look, at_start: bool, prev_word: bool, next: Option<u8>) -> bool {
    let next_word = next.is_some_and(is_word);
    match look {
        Look::Start => at_start,
        Look::End => next.is_none(),
        Look::WordStart => !prev_word && next_word,
        Look::WordEnd => prev_word && !next_word,
        Look::WordBoundary => prev_word != next_word,
        Look::NotWordBoundary => prev_word == next_word,
        Look::NoWordBefore => !prev_word,
        Look::NoWordAfter => !next_word,
    }
}
