//! `awk [-F FS] [-v VAR=VAL]... [-f PROGFILE]... ['PROGRAM'] [FILE|VAR=VAL]...`:
//! the pattern-action language. The work is done by `crate::awk`.

use crate::awk::{self, interp::Interp, Source};
use crate::common::{getopt, usage_error, Exit};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[OPTIONS] [AWK_PROGRAM] [FILE]...\n\n\t-v VAR=VAL\tSet variable\n\t-F SEP\t\tUse SEP as field separator\n\t-f FILE\t\tRead program from FILE";

/// Stack for the interpreter thread: deep recursion in awk functions and
/// deeply nested expressions must hit awk's own limits, not the stack's.
const STACK_SIZE: usize = 512 << 20;

/// Entry point: parses options, compiles the program and runs it in a
/// thread with a large stack.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "F:v:f:", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut sources = Vec::new();
    for (c, v) in &p.opts {
        if *c == 'f' {
            let name = v.clone().unwrap_or_default();
            match std::fs::read(&name) {
                Ok(text) => sources.push(Source {
                    name: Some(name.to_string_lossy().into_owned()),
                    text,
                }),
                Err(e) => {
                    crate::common::perror(
                        "awk",
                        format!("can't open '{}'", name.to_string_lossy()),
                        &e,
                    );
                    return 2;
                }
            }
        }
    }
    let mut operands = p.operands.into_iter();
    if sources.is_empty() {
        let Some(text) = operands.next() else {
            return usage_error("awk", "no program given");
        };
        sources.push(Source {
            name: None,
            text: text.as_bytes().to_vec(),
        });
    }
    let mut argv: Vec<Vec<u8>> = vec![b"awk".to_vec()];
    argv.extend(operands.map(|o| o.as_bytes().to_vec()));
    let assigns: Vec<(char, Vec<u8>)> = p
        .opts
        .iter()
        .filter(|(c, _)| *c == 'v' || *c == 'F')
        .map(|(c, v)| {
            (
                *c,
                v.as_ref()
                    .map(|v| v.as_bytes().to_vec())
                    .unwrap_or_default(),
            )
        })
        .collect();
    let job = std::sync::Arc::new((sources, argv, assigns));
    let shared = job.clone();
    let worker = std::thread::Builder::new()
        .stack_size(STACK_SIZE)
        .spawn(move || run(&shared.0, &shared.1, &shared.2));
    match worker {
        Ok(h) => h.join().unwrap_or_else(|_| {
            crate::common::error_msg("awk", "internal error");
            2
        }),
        // No room for a large stack: run here, with the usual one.
        Err(_) => run(&job.0, &job.1, &job.2),
    }
}

/// Compiles and runs the program; returns the exit status.
fn run(sources: &[Source], argv: &[Vec<u8>], assigns: &[(char, Vec<u8>)]) -> i32 {
    let prog = match awk::compile(sources) {
        Ok(p) => p,
        Err(msg) => {
            crate::common::error_msg("awk", &msg);
            return 2;
        }
    };
    let mut interp = match Interp::new(prog, argv) {
        Ok(i) => i,
        Err(msg) => {
            crate::common::error_msg("awk", &msg);
            return 2;
        }
    };
    for (c, v) in assigns {
        let ok = if *c == 'F' {
            let mut a = b"FS=".to_vec();
            a.extend_from_slice(v);
            interp.cmdline_assign(&a)
        } else {
            interp.cmdline_assign(v)
        };
        match ok {
            Ok(true) => {}
            Ok(false) => {
                crate::common::error_msg(
                    "awk",
                    &format!("invalid -v argument '{}'", String::from_utf8_lossy(v)),
                );
                return 2;
            }
            Err(awk::interp::Flow::Err(m)) => {
                crate::common::error_msg("awk", &m);
                return 2;
            }
            Err(_) => return 2,
        }
    }
    interp.run()
}
