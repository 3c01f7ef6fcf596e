//! A backtracking matcher, used only for patterns with back-references
//! (which no automaton can match). It explores every way to match from each
//! start and keeps the longest; a step budget bounds the work, so a hostile
//! pattern ends with the best match found so far instead of hanging.

use super::compile::{look_ok, Inst, Prog};

/// Steps allowed for one search.
const BUDGET: usize = 20_000_000;

/// Work on the explicit stack (no recursion, so long subjects cannot
/// overflow the stack).
enum Job {
    Try(usize, usize),
    RestoreCap(usize, usize),
    RestoreReg(usize, usize),
}

/// Searches `text` from `start` for the leftmost-longest match and returns
/// its capture slots.
pub fn search(prog: &Prog, text: &[u8], start: usize) -> Option<Vec<usize>> {
    let mut steps = 0usize;
    let mut stack: Vec<Job> = Vec::new();
    let mut caps = vec![usize::MAX; prog.slots];
    let mut regs = vec![usize::MAX; prog.regs];
    for s in start..=text.len() {
        let mut best: Option<Vec<usize>> = None;
        stack.clear();
        caps.fill(usize::MAX);
        stack.push(Job::Try(0, s));
        'jobs: while let Some(job) = stack.pop() {
            let (mut pc, mut pos) = match job {
                Job::Try(pc, pos) => (pc, pos),
                Job::RestoreCap(i, v) => {
                    caps[i] = v;
                    continue;
                }
                Job::RestoreReg(i, v) => {
                    regs[i] = v;
                    continue;
                }
            };
            loop {
                steps += 1;
                if steps > BUDGET {
                    return best;
                }
                match &prog.insts[pc] {
                    Inst::Byte(c) => {
                        if text.get(pos) != Some(c) {
                            continue 'jobs;
                        }
                        pc += 1;
                        pos += 1;
                    }
                    Inst::Set(set) => {
                        if !text.get(pos).is_some_and(|&b| set.contains(b)) {
                            continue 'jobs;
                        }
                        pc += 1;
                        pos += 1;
                    }
                    Inst::Split(a, b) => {
                        stack.push(Job::Try(*b, pos));
                        pc = *a;
                    }
                    Inst::Jmp(t) => pc = *t,
                    Inst::Save(i) => {
                        stack.push(Job::RestoreCap(*i, caps[*i]));
                        caps[*i] = pos;
                        pc += 1;
                    }
                    Inst::Look(l) => {
                        if !look_ok(*l, text, pos) {
                            continue 'jobs;
                        }
                        pc += 1;
                    }
                    Inst::Backref(n) => {
                        let (a, b) = (caps[2 * n], caps[2 * n + 1]);
                        if a == usize::MAX || b == usize::MAX || b < a {
                            continue 'jobs;
                        }
                        let want = &text[a..b];
                        let Some(have) = text.get(pos..pos + want.len()) else {
                            continue 'jobs;
                        };
                        let same = if prog.icase {
                            want.eq_ignore_ascii_case(have)
                        } else {
                            want == have
                        };
                        if !same {
                            continue 'jobs;
                        }
                        // A successful comparison costs its length: count
                        // it, so that `\(a*\)*\1` on a long line stays
                        // within the budget.
                        steps += want.len();
                        pos += want.len();
                        pc += 1;
                    }
                    Inst::RepStart(r) => {
                        stack.push(Job::RestoreReg(*r, regs[*r]));
                        regs[*r] = pos;
                        pc += 1;
                    }
                    Inst::RepCheck(r) => {
                        if regs[*r] == pos {
                            continue 'jobs;
                        }
                        pc += 1;
                    }
                    Inst::Match => {
                        if best.as_ref().is_none_or(|b| pos > b[1]) {
                            best = Some(caps.clone());
                            if pos == text.len() {
                                return best;
                            }
                        }
                        continue 'jobs;
                    }
                }
            }
        }
        if best.is_some() {
            return best;
        }
    }
    None
}
