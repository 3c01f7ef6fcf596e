//! The Pike VM: runs a [`Prog`] over the subject once, carrying every
//! possible thread at the same time, so the work is bounded by
//! `len(text) * len(program)` whatever the pattern.
//!
//! It reports the POSIX leftmost-longest match: new threads start only until
//! a match is found, threads that started later than the best match are
//! dropped, and the others run on in case they match further.

use super::compile::{look_ok, Inst, Prog};
use super::literal;
use super::parse::ByteSet;

/// A sparse set of program counters, with each member's capture slots.
pub struct Threads {
    dense: Vec<usize>,
    sparse: Vec<usize>,
    len: usize,
    caps: Vec<usize>,
}

impl Threads {
    fn new(ninst: usize, nslots: usize) -> Threads {
        Threads {
            dense: vec![0; ninst],
            sparse: vec![0; ninst],
            len: 0,
            caps: vec![usize::MAX; ninst * nslots],
        }
    }

    #[inline]
    fn contains(&self, pc: usize) -> bool {
        let i = self.sparse[pc];
        i < self.len && self.dense[i] == pc
    }

    #[inline]
    fn insert(&mut self, pc: usize) {
        self.sparse[pc] = self.len;
        self.dense[self.len] = pc;
        self.len += 1;
    }
}

/// Work in the epsilon closure: follow a pc, or put a capture slot back.
enum Frame {
    Pc(usize),
    Restore(usize, usize),
}

/// Reusable memory for [`search`], so that matching line after line does
/// not allocate.
pub struct Cache {
    clist: Threads,
    nlist: Threads,
    stack: Vec<Frame>,
    scratch: Vec<usize>,
    nslots: usize,
}

impl Cache {
    /// Memory for running `prog` while recording `nslots` slots.
    pub fn new(prog: &Prog, nslots: usize) -> Cache {
        let n = prog.insts.len();
        Cache {
            clist: Threads::new(n, nslots),
            nlist: Threads::new(n, nslots),
            stack: Vec::new(),
            scratch: vec![usize::MAX; nslots],
            nslots,
        }
    }

    /// How many slots this memory records.
    pub fn nslots(&self) -> usize {
        self.nslots
    }
}

/// Hints that let the search skip ahead.
pub struct Hints<'a> {
    /// Every match begins with these bytes.
    pub prefix: &'a [u8],
    /// The prefix is compared ignoring ASCII case.
    pub icase: bool,
    /// Every match begins with one of these bytes (None: it may be empty).
    pub first: Option<&'a ByteSet>,
    /// Every match begins at position 0.
    pub anchored: bool,
}

/// Searches `text` from `start`; with `cache.nslots == 0` it only says
/// whether there is a match (returning an empty vector), otherwise it returns
/// the slots of the leftmost-longest match (`usize::MAX` for unset ones).
pub fn search(
    prog: &Prog,
    cache: &mut Cache,
    hints: &Hints,
    text: &[u8],
    start: usize,
) -> Option<Vec<usize>> {
    let nslots = cache.nslots;
    let Cache {
        clist,
        nlist,
        stack,
        scratch,
        ..
    } = cache;
    clist.len = 0;
    nlist.len = 0;
    let mut best: Option<Vec<usize>> = None;
    let mut pos = start;
    loop {
        if best.is_none() && clist.len == 0 {
            if hints.anchored && pos > 0 {
                break;
            }
            let rest = &text[pos.min(text.len())..];
            if !hints.prefix.is_empty() {
                let found = if hints.icase {
                    literal::find_icase(hints.prefix, rest)
                } else {
                    literal::find(hints.prefix, rest)
                };
                match found {
                    Some(i) => pos += i,
                    None => break,
                }
            } else if let Some(first) = hints.first {
                match rest.iter().position(|&b| first.contains(b)) {
                    Some(i) => pos += i,
                    None => break,
                }
            }
        }
        if best.is_none() && (!hints.anchored || pos == 0) {
            scratch.fill(usize::MAX);
            add(prog, clist, stack, scratch, nslots, 0, text, pos);
        }
        if clist.len == 0 {
            break;
        }
        let byte = text.get(pos).copied();
        for i in 0..clist.len {
            let pc = clist.dense[i];
            let caps = &clist.caps[pc * nslots..(pc + 1) * nslots];
            if let (Some(b), Some(first)) = (&best, caps.first()) {
                if *first > b[0] {
                    continue;
                }
            }
            let next = match &prog.insts[pc] {
                Inst::Match => {
                    if nslots == 0 {
                        return Some(Vec::new());
                    }
                    let better = match &best {
                        None => true,
                        Some(b) => caps[0] < b[0] || (caps[0] == b[0] && caps[1] > b[1]),
                    };
                    if better {
                        best = Some(caps.to_vec());
                    }
                    continue;
                }
                Inst::Byte(c) => byte == Some(*c),
                Inst::Set(s) => byte.is_some_and(|b| s.contains(b)),
                _ => false,
            };
            if next {
                scratch.copy_from_slice(caps);
                add(prog, nlist, stack, scratch, nslots, pc + 1, text, pos + 1);
            }
        }
        std::mem::swap(clist, nlist);
        nlist.len = 0;
        if pos >= text.len() {
            break;
        }
        pos += 1;
    }
    best
}

/// Adds `pc` and everything reachable from it without consuming input to
/// `list`, with the capture slots in `caps`.
#[allow(clippy::too_many_arguments)]
fn add(
    prog: &Prog,
    list: &mut Threads,
    stack: &mut Vec<Frame>,
    caps: &mut [usize],
    nslots: usize,
    pc: usize,
    text: &[u8],
    pos: usize,
) {
    stack.push(Frame::Pc(pc));
    while let Some(frame) = stack.pop() {
        let pc = match frame {
            Frame::Restore(slot, v) => {
                caps[slot] = v;
                continue;
            }
            Frame::Pc(pc) => pc,
        };
        if list.contains(pc) {
            continue;
        }
        list.insert(pc);
        match &prog.insts[pc] {
            Inst::Jmp(t) => stack.push(Frame::Pc(*t)),
            Inst::Split(a, b) => {
                stack.push(Frame::Pc(*b));
                stack.push(Frame::Pc(*a));
            }
            Inst::Save(s) => {
                if *s < nslots {
                    stack.push(Frame::Restore(*s, caps[*s]));
                    caps[*s] = pos;
                }
                stack.push(Frame::Pc(pc + 1));
            }
            Inst::Look(l) => {
                if look_ok(*l, text, pos) {
                    stack.push(Frame::Pc(pc + 1));
                }
            }
            Inst::RepStart(_) | Inst::RepCheck(_) => stack.push(Frame::Pc(pc + 1)),
            // Back-references never reach the Pike VM; treat as failing.
            Inst::Backref(_) => {}
            Inst::Byte(_) | Inst::Set(_) | Inst::Match => {
                list.caps[pc * nslots..(pc + 1) * nslots].copy_from_slice(caps);
            }
        }
    }
}

/// The bytes a match can begin with, or None if it can be empty (or
/// begins with a back-reference).
pub fn first_bytes(prog: &Prog) -> Option<ByteSet> {
    let mut set = ByteSet::default();
    let mut seen = vec![false; prog.insts.len()];
    let mut stack = vec![0];
    while let Some(pc) = stack.pop() {
        if std::mem::replace(&mut seen[pc], true) {
            continue;
        }
        match &prog.insts[pc] {
            Inst::Byte(b) => set.insert(*b),
            Inst::Set(s) => {
                for (w, o) in set.0.iter_mut().zip(s.0.iter()) {
                    *w |= o;
                }
            }
            Inst::Split(a, b) => {
                stack.push(*a);
                stack.push(*b);
            }
            Inst::Jmp(t) => stack.push(*t),
            Inst::Save(_) | Inst::Look(_) | Inst::RepStart(_) | Inst::RepCheck(_) => {
                stack.push(pc + 1)
            }
            Inst::Match | Inst::Backref(_) => return None,
        }
    }
    Some(set)
}
