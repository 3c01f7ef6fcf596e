//! `head [-n [-]N] [-c [-]N] [-qv] [FILE]...`: print the first lines or
//! bytes of files, or all but the last ones with a negative count.

use crate::common::{error_msg, getopt, Exit};
use crate::text::{self, Count};
use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[OPTIONS] [FILE]...\n\nPrint first 10 lines of FILEs (or stdin).\nWith more than one FILE, precede each with a filename header.\n\n\t-n N[bkm]\tPrint first N lines\n\t-n -N[bkm]\tPrint all except N last lines\n\t-c [-]N[bkm]\tPrint first N bytes\n\t\t\t(b:*512 k:*1024 m:*1024^2)\n\t-q\t\tNever print headers\n\t-v\t\tAlways print headers";

/// Entry point: each FILE in turn, with `==> NAME <==` headers for several.
pub fn main(args: Vec<OsString>) -> i32 {
    let args = text::expand_old_count(args, false);
    let p = match getopt(
        &args,
        "n:c:qv",
        &[
            ("lines", 'n'),
            ("bytes", 'c'),
            ("quiet", 'q'),
            ("silent", 'q'),
            ("verbose", 'v'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    // The last of -n and -c wins.
    let mut bytes = false;
    let mut count = Count {
        n: 10,
        plus: false,
        minus: false,
    };
    for (opt, value) in &p.opts {
        if let ('n' | 'c', Some(v)) = (opt, value) {
            match text::parse_count(std::os::unix::ffi::OsStrExt::as_bytes(v.as_os_str())) {
                Some(c) => count = c,
                None => {
                    error_msg("head", &format!("invalid number '{}'", v.to_string_lossy()));
                    return 1;
                }
            }
            bytes = *opt == 'c';
        }
    }
    let files = text::operands_or_stdin(&p.operands);
    let headers = p.has('v') || (files.len() > 1 && !p.has('q'));
    let mut out = text::stdout();
    let mut status = 0;
    let mut first = true;
    for name in &files {
        let file = if text::is_stdin(name) {
            text::stdin_file()
        } else {
            File::open(name)
        };
        let mut input = match file {
            Ok(f) => BufReader::with_capacity(text::BUF_SIZE, f),
            Err(e) => {
                text::report_open("head", name, &e);
                status = 1;
                continue;
            }
        };
        if headers {
            if let Err(e) = text::header(&mut out, name, first) {
                return text::write_failed("head", &e);
            }
        }
        first = false;
        let result = match (bytes, count.minus) {
            (false, false) => first_lines(&mut input, &mut out, count.n),
            (true, false) => first_bytes(&mut input, &mut out, count.n),
            (false, true) => all_but_last_lines(&mut input, &mut out, count.n),
            (true, true) => all_but_last_bytes(&mut input, &mut out, count.n),
        };
        // POSIX: leave a seekable standard input just past what was used,
        // so that `{ head -n 1; cat; } < file` goes on from there.
        let unused = input.buffer().len() as i64;
        if unused > 0 {
            let _ = input.get_mut().seek(SeekFrom::Current(-unused));
        }
        match result {
            Ok(()) => {}
            Err(Failure::Write(e)) => return text::write_failed("head", &e),
            Err(Failure::Read(e)) => {
                text::report_read("head", name, &e);
                status = 1;
            }
        }
    }
    text::finish("head", &mut out, status)
}

/// Which side of a copy failed: a read error ends this file, a write
/// error ends head.
enum Failure {
    Read(io::Error),
    Write(io::Error),
}

/// Copies the first `n` lines.
fn first_lines(input: &mut dyn BufRead, out: &mut impl Write, mut n: u64) -> Result<(), Failure> {
    while n > 0 {
        let buf = input.fill_buf().map_err(Failure::Read)?;
        if buf.is_empty() {
            break;
        }
        let mut end = buf.len();
        for (i, _) in buf.iter().enumerate().filter(|(_, &b)| b == b'\n') {
            n -= 1;
            if n == 0 {
                end = i + 1;
                break;
            }
        }
        out.write_all(&buf[..end]).map_err(Failure::Write)?;
        input.consume(end);
    }
    Ok(())
}

/// Copies the first `n` bytes.
fn first_bytes(input: &mut dyn BufRead, out: &mut impl Write, mut n: u64) -> Result<(), Failure> {
    while n > 0 {
        let buf = input.fill_buf().map_err(Failure::Read)?;
        if buf.is_empty() {
            break;
        }
        let take = buf.len().min(usize::try_from(n).unwrap_or(usize::MAX));
        out.write_all(&buf[..take]).map_err(Failure::Write)?;
        input.consume(take);
        n -= take as u64;
    }
    Ok(())
}

/// Copies all lines but the last `n`, holding `n` lines back.
fn all_but_last_lines(
    input: &mut dyn BufRead,
    out: &mut impl Write,
    n: u64,
) -> Result<(), Failure> {
    let mut held: VecDeque<Vec<u8>> = VecDeque::new();
    let mut line = Vec::new();
    while text::read_record(input, b'\n', &mut line).map_err(Failure::Read)? {
        if n == 0 {
            out.write_all(&line).map_err(Failure::Write)?;
            continue;
        }
        // The line leaving the window is printed and its buffer reused.
        let mut next = Vec::new();
        if held.len() as u64 == n {
            if let Some(old) = held.pop_front() {
                out.write_all(&old).map_err(Failure::Write)?;
                next = old;
            }
        }
        std::mem::swap(&mut next, &mut line);
        held.push_back(next);
    }
    Ok(())
}

/// Copies all bytes but the last `n`, holding `n` bytes back.
fn all_but_last_bytes(
    input: &mut dyn BufRead,
    out: &mut impl Write,
    n: u64,
) -> Result<(), Failure> {
    let keep = usize::try_from(n).unwrap_or(usize::MAX);
    let mut held: Vec<u8> = Vec::new();
    loop {
        let buf = input.fill_buf().map_err(Failure::Read)?;
        if buf.is_empty() {
            if held.len() > keep {
                out.write_all(&held[..held.len() - keep])
                    .map_err(Failure::Write)?;
            }
            return Ok(());
        }
        held.extend_from_slice(buf);
        let len = buf.len();
        input.consume(len);
        if held.len() > keep.saturating_add(text::BUF_SIZE) {
            let emit = held.len() - keep;
            out.write_all(&held[..emit]).map_err(Failure::Write)?;
            held.drain(..emit);
        }
    }
}
