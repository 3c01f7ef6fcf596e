//! `tac [FILE]...`: print files with their lines in reverse order.

use crate::common::{getopt, Exit};
use crate::text;
use std::ffi::OsString;
use std::io::Write;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[FILE]...\n\nConcatenate FILEs and print them in reverse";

/// Entry point: each file is reversed on its own, in the order given.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut out = text::stdout();
    let mut status = 0;
    for name in text::operands_or_stdin(&p.operands) {
        let data = match text::read_all(&name) {
            Ok(d) => d,
            Err(e) => {
                text::report_open("tac", &name, &e);
                status = 1;
                continue;
            }
        };
        // Lines keep their own newline, so a last line without one runs
        // into the line printed after it (as GNU and BusyBox tac do).
        let lines: Vec<&[u8]> = text::records(&data, b'\n').collect();
        for line in lines.iter().rev() {
            if let Err(e) = out.write_all(line) {
                return text::write_failed("tac", &e);
            }
        }
    }
    text::finish("tac", &mut out, status)
}
