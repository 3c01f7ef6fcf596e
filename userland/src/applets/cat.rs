//! `cat [-nbu] [FILE]...`: copy files (or standard input, `-`) to standard
//! output.

use crate::common::{getopt, perror, Exit};
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[-nbu] [FILE]...\n\nPrint FILEs to stdout\n\n\t-n\tNumber output lines\n\t-b\tNumber nonempty lines\n\t-u\tIgnored (output is unbuffered anyway)";

pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "nbu", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let numbering = if p.has('b') {
        Numbering::NonEmpty
    } else if p.has('n') {
        Numbering::All
    } else {
        Numbering::None
    };
    let operands = if p.operands.is_empty() {
        vec![OsString::from("-")]
    } else {
        p.operands
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut state = LineState {
        line: 0,
        at_start: true,
    };
    let mut status = 0;
    for name in &operands {
        let result = if name.as_bytes() == b"-" {
            copy(&mut io::stdin().lock(), &mut out, numbering, &mut state)
        } else {
            match std::fs::File::open(name) {
                Ok(mut f) => copy(&mut f, &mut out, numbering, &mut state),
                Err(e) => {
                    perror(
                        "cat",
                        format!("can't open '{}'", name.to_string_lossy()),
                        &e,
                    );
                    status = 1;
                    continue;
                }
            }
        };
        match result {
            Ok(()) => {}
            Err(Failure::Read(e)) => {
                perror(
                    "cat",
                    format!("read error on '{}'", name.to_string_lossy()),
                    &e,
                );
                status = 1;
            }
            Err(Failure::Write(e)) => {
                perror("cat", "write error", &e);
                return 1;
            }
        }
    }
    if let Err(e) = out.flush() {
        perror("cat", "write error", &e);
        return 1;
    }
    status
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Numbering {
    None,
    All,
    NonEmpty,
}

/// Line numbering continues across files, as in BusyBox and coreutils.
struct LineState {
    line: u64,
    at_start: bool,
}

enum Failure {
    Read(io::Error),
    Write(io::Error),
}

fn copy(
    input: &mut dyn Read,
    out: &mut dyn Write,
    numbering: Numbering,
    state: &mut LineState,
) -> Result<(), Failure> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failure::Read(e)),
        };
        if numbering == Numbering::None {
            out.write_all(&buf[..n]).map_err(Failure::Write)?;
            continue;
        }
        for &b in &buf[..n] {
            if state.at_start && !(numbering == Numbering::NonEmpty && b == b'\n') {
                state.line += 1;
                write!(out, "{:6}\t", state.line).map_err(Failure::Write)?;
            }
            out.write_all(&[b]).map_err(Failure::Write)?;
            state.at_start = b == b'\n';
        }
    }
}
