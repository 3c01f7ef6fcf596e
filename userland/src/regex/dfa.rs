//! A lazily built DFA that answers "is there a match?" (grep's question,
//! and sed's for addresses) in one table lookup per byte.
//!
//! States are sets of program counters, made on first use and cached with
//! their transitions. Programs with word assertions or back-references are
//! left to the Pike VM; `^` and `$` are handled: `^` by a separate start
//! state for position 0, `$` by keeping `Look(End)` in a state and resolving
//! it once the input ends. If the cache grows past a bound, it is dropped
//! and the caller falls back to the Pike VM for that search, so memory
//! stays bounded whatever the pattern.

use super::compile::{Inst, Prog};
use super::parse::Look;
use std::collections::HashMap;

/// Transition not computed yet.
const UNKNOWN: u32 = u32::MAX;

/// Most states kept (each holds a 1 KiB transition table).
const MAX_STATES: usize = 2048;

/// One DFA state.
struct State {
    /// The program counters: consuming instructions, `Match`, `Look(End)`.
    pcs: Box<[u32]>,
    /// `Match` is among them.
    matched: bool,
    /// Next state for each byte.
    next: Box<[u32; 256]>,
}

/// The lazily built automaton for one program.
pub struct Dfa {
    states: Vec<State>,
    index: HashMap<Box<[u32]>, u32>,
    /// State at position 0 (where `^` holds), and the set of pcs that a new
    /// attempt at a later position starts with.
    start: u32,
    restart: Box<[u32]>,
    stack: Vec<usize>,
    seen: Vec<bool>,
}

impl Dfa {
    /// A DFA for `prog`, or None if it has assertions the DFA cannot
    /// decide byte by byte.
    pub fn new(prog: &Prog) -> Option<Dfa> {
        let supported = prog.insts.iter().all(|i| match i {
            Inst::Look(l) => matches!(l, Look::Start | Look::End),
            Inst::Backref(_) => false,
            _ => true,
        });
        if !supported {
            return None;
        }
        let mut dfa = Dfa {
            states: Vec::new(),
            index: HashMap::new(),
            start: 0,
            restart: Box::new([]),
            stack: Vec::new(),
            seen: vec![false; prog.insts.len()],
        };
        dfa.reset(prog);
        Some(dfa)
    }

    /// Empties the cache, keeping only the start state.
    fn reset(&mut self, prog: &Prog) {
        self.states.clear();
        self.index.clear();
        let mut set = Vec::new();
        self.closure(prog, 0, true, &mut set);
        let set = set;
        self.restart = {
            let mut r = Vec::new();
            self.closure(prog, 0, false, &mut r);
            r.sort_unstable();
            r.dedup();
            r.into_boxed_slice()
        };
        self.start = self.intern(prog, set);
    }

    /// Adds to `set` what `pc` reaches without consuming input; `at_start`
    /// tells whether `^` holds.
    fn closure(&mut self, prog: &Prog, pc: usize, at_start: bool, set: &mut Vec<u32>) {
        self.seen.fill(false);
        self.stack.clear();
        self.stack.push(pc);
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
                Inst::Look(Look::Start) => {
                    if at_start {
                        self.stack.push(pc + 1);
                    }
                }
                // Decided when the input ends.
                Inst::Look(_) => set.push(pc as u32),
                Inst::Byte(_) | Inst::Set(_) | Inst::Match => set.push(pc as u32),
                Inst::Backref(_) => {}
            }
        }
    }

    /// The state for the set `set`, made if new.
    fn intern(&mut self, prog: &Prog, mut set: Vec<u32>) -> u32 {
        set.sort_unstable();
        set.dedup();
        let set = set.into_boxed_slice();
        if let Some(&i) = self.index.get(&set) {
            return i;
        }
        let i = self.states.len() as u32;
        self.states.push(State {
            matched: set
                .iter()
                .any(|&pc| matches!(prog.insts[pc as usize], Inst::Match)),
            pcs: set.clone(),
            next: Box::new([UNKNOWN; 256]),
        });
        self.index.insert(set, i);
        i
    }

    /// Computes the transition of state `s` on byte `b`.
    fn step(&mut self, prog: &Prog, s: u32, b: u8) -> u32 {
        let mut set: Vec<u32> = self.restart.to_vec();
        let pcs = self.states[s as usize].pcs.clone();
        for &pc in pcs.iter() {
            let pc = pc as usize;
            let takes = match &prog.insts[pc] {
                Inst::Byte(c) => *c == b,
                Inst::Set(set) => set.contains(b),
                _ => false,
            };
            if takes {
                self.closure(prog, pc + 1, false, &mut set);
            }
        }
        let t = self.intern(prog, set);
        self.states[s as usize].next[b as usize] = t;
        t
    }

    /// Whether state `s` matches once the input ends here (`$` holds;
    /// `^` too when the input is empty).
    fn matches_at_end(&mut self, prog: &Prog, s: u32, empty: bool) -> bool {
        let pcs = self.states[s as usize].pcs.clone();
        for &pc in pcs.iter() {
            let pc = pc as usize;
            match &prog.insts[pc] {
                Inst::Match => return true,
                Inst::Look(Look::End) if self.end_closure_matches(prog, pc + 1, empty) => {
                    return true
                }
                _ => {}
            }
        }
        false
    }

    /// Whether `pc` reaches `Match` without input at the end of the input.
    fn end_closure_matches(&mut self, prog: &Prog, pc: usize, empty: bool) -> bool {
        self.seen.fill(false);
        self.stack.clear();
        self.stack.push(pc);
        while let Some(pc) = self.stack.pop() {
            if std::mem::replace(&mut self.seen[pc], true) {
                continue;
            }
            match &prog.insts[pc] {
                Inst::Match => return true,
                Inst::Jmp(t) => self.stack.push(*t),
                Inst::Split(a, b) => {
                    self.stack.push(*b);
                    self.stack.push(*a);
                }
                Inst::Save(_) | Inst::RepStart(_) | Inst::RepCheck(_) | Inst::Look(Look::End) => {
                    self.stack.push(pc + 1)
                }
                Inst::Look(Look::Start) if empty => self.stack.push(pc + 1),
                _ => {}
            }
        }
        false
    }

    /// Whether `text` contains a match; None if the cache overflowed (the
    /// caller then asks the Pike VM).
    pub fn is_match(&mut self, prog: &Prog, text: &[u8]) -> Option<bool> {
        let mut s = self.start;
        if self.states[s as usize].matched {
            return Some(true);
        }
        for &b in text {
            let mut t = self.states[s as usize].next[b as usize];
            if t == UNKNOWN {
                if self.states.len() >= MAX_STATES {
                    self.reset(prog);
                    return None;
                }
                t = self.step(prog, s, b);
            }
            s = t;
            let state = &self.states[s as usize];
            if state.matched {
                return Some(true);
            }
            if state.pcs.is_empty() {
                // Dead: only an anchored pattern gets here.
                return Some(false);
            }
        }
        Some(self.matches_at_end(prog, s, text.is_empty()))
    }
}
