//! A lazily built DFA that answers "is there a match?" (grep's question,
//! and sed's before it looks for groups) with one table lookup per byte.
//!
//! A state is the set of program counters reached right after consuming a
//! byte, together with what the assertions need to know about the past:
//! whether the position is the start of the subject and whether the byte
//! before is a word character. The epsilon closure is taken when the next
//! byte is known, so `^`, `$`, `\<`, `\>`, `\b`, `\B` and grep -w's edges are
//! all decided exactly; a transition also records whether a match ended just
//! before its byte. States and transitions are made on first use and cached.
//! If the cache grows past a bound it is dropped and the caller falls back to
//! the Pike VM for that search, so memory stays bounded whatever the pattern.
//! Programs with back-references never get here.

use super::compile::{look_ok_ctx, Inst, Prog};
use std::collections::HashMap;

/// Transition not computed yet.
const UNKNOWN: u32 = u32::MAX;

/// Bit set in a transition when a match ends before its byte.
const MATCHED: u32 = 1 << 31;

/// Most states kept (each holds a 1 KiB transition table).
const MAX_STATES: usize = 2048;

/// What the assertions know about a position.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Past {
    at_start: bool,
    prev_word: bool,
}

/// One DFA state.
struct State {
    /// Program counters reached, before their epsilon closure.
    pcs: Box<[u32]>,
    past: Past,
    /// For each byte: the next state, with [`MATCHED`] if a match ends
    /// before that byte.
    next: Box<[u32; 256]>,
}

/// The lazily built automaton for one program.
pub struct Dfa {
    states: Vec<State>,
    index: HashMap<(Box<[u32]>, Past), u32>,
    /// Every match begins at 0: no new attempt starts later, so a state
    /// with no pcs is dead.
    anchored: bool,
    stack: Vec<usize>,
    seen: Vec<bool>,
}

impl Dfa {
    /// A DFA for `prog` (which must not use back-references).
    pub fn new(prog: &Prog, anchored: bool) -> Option<Dfa> {
        if prog.insts.iter().any(|i| matches!(i, Inst::Backref(_))) {
            return None;
        }
        let mut dfa = Dfa {
            states: Vec::new(),
            index: HashMap::new(),
            anchored,
            stack: Vec::new(),
            seen: vec![false; prog.insts.len()],
        };
        dfa.reset();
        Some(dfa)
    }

    /// Empties the cache, keeping only the start state (index 0).
    fn reset(&mut self) {
        self.states.clear();
        self.index.clear();
        self.intern(
            vec![0],
            Past {
                at_start: true,
                prev_word: false,
            },
        );
    }

    /// The epsilon closure of `pcs` at a position with `past` behind it and
    /// `next` after it (None: the end). Collects the consuming pcs into
    /// `out` and returns whether `Match` was reached.
    fn closure(
        &mut self,
        prog: &Prog,
        pcs: &[u32],
        past: Past,
        next: Option<u8>,
        out: &mut Vec<u32>,
    ) -> bool {
        self.seen.fill(false);
        self.stack.clear();
        self.stack.extend(pcs.iter().rev().map(|&pc| pc as usize));
        let mut matched = false;
        while let Some(pc) = self.stack.pop() {
            if std::mem::replace(&mut self.seen[pc], true) {
                continue;
            }
            match &prog.insts[pc] {
                Inst::Jmp(t) => self.stack.push(*t),
                Inst::Split(a, b) => {
                    self.stack.push(*b);
                    self.stack.push(*a);
                }
                Inst::Save(_) | Inst::RepStart(_) | Inst::RepCheck(_) => self.stack.push(pc + 1),
                Inst::Look(l) => {
                    if look_ok_ctx(*l, past.at_start, past.prev_word, next) {
                        self.stack.push(pc + 1);
                    }
                }
                Inst::Byte(_) | Inst::Set(_) => out.push(pc as u32),
                Inst::Match => matched = true,
                Inst::Backref(_) => {}
            }
        }
        matched
    }

    /// The state for `pcs` after `past`, made if new.
    fn intern(&mut self, mut pcs: Vec<u32>, past: Past) -> u32 {
        ibex_sort::sort(&mut pcs);
        pcs.dedup();
        let key = (pcs.into_boxed_slice(), past);
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.states.len() as u32;
        self.states.push(State {
            pcs: key.0.clone(),
            past,
            next: Box::new([UNKNOWN; 256]),
        });
        self.index.insert(key, i);
        i
    }

    /// Computes the transition of state `s` on byte `b`.
    fn step(&mut self, prog: &Prog, s: u32, b: u8) -> u32 {
        let state = &self.states[s as usize];
        let (pcs, past) = (state.pcs.clone(), state.past);
        let mut live = Vec::new();
        let matched = self.closure(prog, &pcs, past, Some(b), &mut live);
        let mut next: Vec<u32> = live
            .into_iter()
            .filter(|&pc| match &prog.insts[pc as usize] {
                Inst::Byte(c) => *c == b,
                Inst::Set(set) => set.contains(b),
                _ => false,
            })
            .map(|pc| pc + 1)
            .collect();
        if !self.anchored {
            // A new attempt starts at every position.
            next.push(0);
        }
        let t = self.intern(
            next,
            Past {
                at_start: false,
                prev_word: super::parse::is_word(b),
            },
        );
        let t = if matched { t | MATCHED } else { t };
        self.states[s as usize].next[b as usize] = t;
        t
    }

    /// Whether `text` contains a match; None if the cache overflowed (the
    /// caller then asks the Pike VM).
    pub fn is_match(&mut self, prog: &Prog, text: &[u8]) -> Option<bool> {
        let mut s = 0u32;
        for &b in text {
            let mut t = self.states[s as usize].next[b as usize];
            if t == UNKNOWN {
                if self.states.len() >= MAX_STATES {
                    self.reset();
                    return None;
                }
                t = self.step(prog, s, b);
            }
            if t & MATCHED != 0 {
                return Some(true);
            }
            s = t;
            if self.anchored && self.states[s as usize].pcs.is_empty() {
                return Some(false);
            }
        }
        let state = &self.states[s as usize];
        let (pcs, past) = (state.pcs.clone(), state.past);
        let mut scratch = Vec::new();
        Some(self.closure(prog, &pcs, past, None, &mut scratch))
    }
}
