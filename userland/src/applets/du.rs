//! `du [-aHLdclsxhmk] [FILE]...`: estimate file space usage.

use crate::common::{error_msg, getopt, lossy, perror, Exit};
use crate::fsutil::{self, show, Event, Follow};
use std::collections::HashSet;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub const USAGE: &str = "[-aHLdclsxhmk] [FILE]...\n\nSummarize disk space used for FILEs (or directories)\n\n\t-a\tShow file sizes too\n\t-L\tFollow all symlinks\n\t-H\tFollow symlinks on command line\n\t-d N\tLimit output to directories (and files with -a) of depth < N\n\t-c\tShow grand total\n\t-l\tCount sizes many times if hard linked\n\t-s\tDisplay only a total for each argument\n\t-x\tSkip directories on different filesystems\n\t-h\tSizes in human readable format (e.g., 1K 243M 2G)\n\t-m\tSizes in megabytes\n\t-k\tSizes in kilobytes (default)";

/// Entry point: `du [-aHLdclsxhmk] [FILE]...`.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "aHLd:clsxhmk",
        &[
            ("all", 'a'),
            ("dereference", 'L'),
            ("max-depth", 'd'),
            ("total", 'c'),
            ("count-links", 'l'),
            ("summarize", 's'),
            ("one-file-system", 'x'),
            ("human-readable", 'h'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    // Bytes per unit shown; 0 is -h. The last of -k, -m, -h wins.
    let unit = p
        .opts
        .iter()
        .rev()
        .find_map(|(c, _)| match c {
            'k' => Some(1024u64),
            'm' => Some(1024 * 1024),
            'h' => Some(0),
            _ => None,
        })
        .unwrap_or(1024);
    let max_depth = match p.value('d') {
        Some(d) => match d.to_str().and_then(|d| d.parse::<usize>().ok()) {
            Some(n) => n,
            None => {
                error_msg("du", &format!("invalid number '{}'", lossy(d)));
                return 1;
            }
        },
        None if p.has('s') => 0,
        None => usize::MAX,
    };
    let follow = if p.has('L') {
        Follow::Always
    } else if p.has('H') {
        Follow::CommandLine
    } else {
        Follow::Never
    };
    let operands = if p.operands.is_empty() {
        vec![OsString::from(".")]
    } else {
        p.operands.clone()
    };
    let mut out = std::io::stdout().lock();
    let mut line = |blocks: u64, path: &Path| {
        let mut text = size_text(blocks, unit).into_bytes();
        text.push(b'\t');
        text.extend_from_slice(path.as_os_str().as_bytes());
        text.push(b'\n');
        let _ = out.write_all(&text);
    };
    // Hard links are counted once across all operands, unless -l.
    let mut seen = HashSet::new();
    let mut status = 0;
    let mut total = 0u64;
    for name in &operands {
        // Sizes in 512-byte blocks of the directories being walked.
        let mut stack: Vec<u64> = Vec::new();
        let mut sum = 0u64;
        fsutil::walk(Path::new(name), follow, p.has('x'), &mut |ev| {
            match ev {
                Event::Enter(_, meta) => stack.push(meta.blocks()),
                Event::File(path, meta, depth) => {
                    let counted = meta.nlink() > 1 && !p.has('l');
                    let blocks = if counted && !seen.insert((meta.dev(), meta.ino())) {
                        0
                    } else {
                        meta.blocks()
                    };
                    if depth == 0 || (p.has('a') && depth <= max_depth) {
                        line(blocks, path);
                    }
                    match stack.last_mut() {
                        Some(parent) => *parent += blocks,
                        None => sum = blocks,
                    }
                }
                Event::Leave(path, depth) => {
                    let blocks = stack.pop().unwrap_or(0);
                    if depth <= max_depth {
                        line(blocks, path);
                    }
                    match stack.last_mut() {
                        Some(parent) => *parent += blocks,
                        None => sum = blocks,
                    }
                }
                Event::Error(path, e) => {
                    perror("du", show(path), &e);
                    status = 1;
                }
                Event::Loop(path) => {
                    error_msg("du", &format!("{}: recursive directory loop", show(path)));
                    status = 1;
                }
            }
            true
        });
        total += sum;
    }
    if p.has('c') {
        line(total, Path::new("total"));
    }
    if let Err(e) = out.flush() {
        perror("du", "write error", &e);
        return 1;
    }
    status
}

/// `blocks` (512 bytes each) in `unit`-byte units rounded up, or as `-h`
/// shows them when `unit` is 0.
fn size_text(blocks: u64, unit: u64) -> String {
    if unit == 0 {
        return fsutil::human(blocks, 512);
    }
    (u128::from(blocks) * 512)
        .div_ceil(u128::from(unit))
        .to_string()
}
