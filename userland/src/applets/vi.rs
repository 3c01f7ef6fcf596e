//! `vi [FILE]`: a screen editor, as BusyBox vi.

use crate::common::{getopt, Exit};
use crate::vi::{screen::Raw, Editor};
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str =
    "[-c CMD] [-R] [FILE]\n\nEdit FILE\n\n\t-c CMD\tInitial command to run\n\t-R\tRead-only: :w needs !";

/// Entry point: edits the first FILE (a new buffer without one).
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "c:R", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let file = p.operands.first().map(|f| f.as_bytes().to_vec());
    let mut raw = Raw::enter();
    let mut ed = Editor::new(file.as_deref());
    ed.readonly = p.has('R');
    if let Some(c) = p.value('c') {
        ed.ex(c.as_bytes());
    }
    ed.run();
    raw.leave();
    let sig = crate::vi::keys::TERM.load(std::sync::atomic::Ordering::Relaxed);
    if sig != 0 {
        return 128 + sig;
    }
    0
}
