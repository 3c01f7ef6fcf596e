//! `tee [-ai] [FILE]...`: copy standard input to standard output and files.

use crate::common::{getopt, perror, Exit};
use crate::text;
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[-ai] [FILE]...\n\nCopy stdin to each FILE, and also to stdout\n\n\t-a\tAppend to the given FILEs, don't overwrite\n\t-i\tIgnore interrupt signals (SIGINT)";

/// Entry point. Output is written as it is read (no buffering beyond one
/// read), so `tee` works in interactive pipelines.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "ai",
        &[("append", 'a'), ("ignore-interrupts", 'i')],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.has('i') {
        // SAFETY: ignoring a signal installs no handler code.
        let _ = unsafe {
            nix::sys::signal::signal(
                nix::sys::signal::Signal::SIGINT,
                nix::sys::signal::SigHandler::SigIgn,
            )
        };
    }
    let mut status = 0;
    let mut files: Vec<(OsString, Option<File>)> = Vec::new();
    for name in &p.operands {
        let mut opts = OpenOptions::new();
        opts.write(true).create(true);
        if p.has('a') {
            opts.append(true);
        } else {
            opts.truncate(true);
        }
        match opts.open(name) {
            Ok(f) => files.push((name.clone(), Some(f))),
            Err(e) => {
                text::report_open("tee", name, &e);
                status = 1;
            }
        }
    }
    let mut stdin = io::stdin().lock();
    let mut stdout = Some(io::stdout().lock());
    let mut buf = vec![0u8; text::BUF_SIZE];
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                perror("tee", "read error", &e);
                status = 1;
                break;
            }
        };
        // A failing output is reported once and dropped; the others go on.
        if let Some(out) = stdout.as_mut() {
            if let Err(e) = out.write_all(&buf[..n]).and_then(|_| out.flush()) {
                text::write_failed("tee", &e);
                stdout = None;
                status = 1;
            }
        }
        for (name, file) in files.iter_mut() {
            if let Some(f) = file {
                if let Err(e) = f.write_all(&buf[..n]) {
                    perror("tee", name.to_string_lossy(), &e);
                    *file = None;
                    status = 1;
                }
            }
        }
    }
    status
}
