//! `tail [-n [+]N] [-c [+]N] [-fFqv] [-s SEC] [FILE]...`: print the last
//! lines or bytes of files, or everything from line/byte N on, optionally
//! following the files as they grow (-f) or are replaced (-F).

use crate::common::{error_msg, getopt, Exit};
use crate::text::{self, Count};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[OPTIONS] [FILE]...\n\nPrint last 10 lines of FILEs (or stdin).\nWith more than one FILE, precede each with a filename header.\n\n\t-c [+]N[bkm]\tPrint last N bytes\n\t-n N[bkm]\tPrint last N lines\n\t-n +N[bkm]\tStart on Nth line and print the rest\n\t\t\t(b:*512 k:*1024 m:*1024^2)\n\t-q\t\tNever print headers\n\t-v\t\tAlways print headers\n\t-f\t\tPrint data as file grows\n\t-F\t\tSame as -f, but keep retrying\n\t-s SECONDS\tWait SECONDS between reads with -f";

/// One file being followed.
struct Followed {
    name: OsString,
    file: Option<File>,
    /// Device and inode of the open file, to notice a replacement (-F).
    id: (u64, u64),
    /// Bytes of the file already printed.
    pos: u64,
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let args = text::expand_old_count(args, true);
    let p = match getopt(
        &args,
        "n:c:qvfFs:",
        &[
            ("lines", 'n'),
            ("bytes", 'c'),
            ("quiet", 'q'),
            ("silent", 'q'),
            ("verbose", 'v'),
            ("follow", 'f'),
            ("sleep-interval", 's'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut bytes = false;
    let mut count = Count {
        n: 10,
        plus: false,
        minus: false,
    };
    for (opt, value) in &p.opts {
        if let ('n' | 'c', Some(v)) = (opt, value) {
            match text::parse_count(v.as_bytes()) {
                Some(c) => count = c,
                None => {
                    error_msg("tail", &format!("invalid number '{}'", v.to_string_lossy()));
                    return 1;
                }
            }
            bytes = *opt == 'c';
        }
    }
    // -s: how long -f sleeps between looks at the files.
    let interval = match p.value('s') {
        None => Duration::from_secs(1),
        Some(s) => match s.to_str().and_then(|t| t.parse::<f64>().ok()) {
            Some(secs) if secs >= 0.0 && secs.is_finite() => Duration::from_secs_f64(secs),
            _ => {
                error_msg("tail", &format!("invalid number '{}'", s.to_string_lossy()));
                return 1;
            }
        },
    };
    let retry = p.has('F');
    let follow = p.has('f') || retry;
    let files = text::operands_or_stdin(&p.operands);
    let headers = p.has('v') || (files.len() > 1 && !p.has('q'));
    let mut out = text::stdout();
    let mut status = 0;
    let mut first = true;
    let mut followed = Vec::new();
    for name in &files {
        let stdin = text::is_stdin(name);
        let mut file = if stdin {
            None
        } else {
            match File::open(name) {
                Ok(f) => Some(f),
                Err(e) => {
                    text::report_open("tail", name, &e);
                    status = 1;
                    if retry {
                        followed.push(Followed {
                            name: name.clone(),
                            file: None,
                            id: (0, 0),
                            pos: 0,
                        });
                    }
                    continue;
                }
            }
        };
        if headers {
            if let Err(e) = text::header(&mut out, name, first) {
                return text::write_failed("tail", &e);
            }
        }
        first = false;
        let result = match file.as_mut() {
            Some(f) => print_tail(f, &mut out, count, bytes),
            None => print_tail(&mut io::stdin().lock(), &mut out, count, bytes),
        };
        if let Err(e) = result {
            if e.kind() == io::ErrorKind::BrokenPipe {
                return 1;
            }
            text::report_read("tail", name, &e);
            status = 1;
            continue;
        }
        if let Some(f) = file {
            let pos = f.metadata().map(|m| m.len()).unwrap_or(0);
            let id = f.metadata().map(|m| (m.dev(), m.ino())).unwrap_or((0, 0));
            followed.push(Followed {
                name: name.clone(),
                file: Some(f),
                id,
                pos,
            });
        }
    }
    if let Err(e) = out.flush() {
        return text::write_failed("tail", &e);
    }
    if !follow || followed.is_empty() {
        return status;
    }
    follow_files(&mut followed, &mut out, headers, retry, interval)
}

/// Where print_tail reads from: a regular file can be read from the end.
trait Input: Read {
    /// The file, when it is a seekable regular file.
    fn as_file(&mut self) -> Option<&mut File>;
}

impl Input for File {
    fn as_file(&mut self) -> Option<&mut File> {
        match self.metadata() {
            // Files in /proc and /sys claim size 0: read those as streams.
            Ok(m) if m.is_file() && m.len() > 0 => Some(self),
            _ => None,
        }
    }
}

impl Input for io::StdinLock<'_> {
    fn as_file(&mut self) -> Option<&mut File> {
        None
    }
}

/// Prints the part of `input` selected by `count`.
fn print_tail(
    input: &mut dyn Input,
    out: &mut impl Write,
    count: Count,
    bytes: bool,
) -> io::Result<()> {
    if count.plus {
        // From byte or line N on (N = 0 counts as 1).
        let skip = count.n.saturating_sub(1);
        let mut r = BufReader::with_capacity(text::BUF_SIZE, input);
        if bytes {
            io::copy(&mut (&mut r).take(skip), &mut io::sink())?;
        } else {
            let mut left = skip;
            while left > 0 {
                let buf = r.fill_buf()?;
                if buf.is_empty() {
                    break;
                }
                let mut used = buf.len();
                for (i, _) in buf.iter().enumerate().filter(|(_, &b)| b == b'\n') {
                    left -= 1;
                    if left == 0 {
                        used = i + 1;
                        break;
                    }
                }
                r.consume(used);
            }
        }
        return copy_all(&mut r, out);
    }
    if let Some(f) = input.as_file() {
        return tail_of_file(f, out, count.n, bytes);
    }
    // A pipe: keep only what may still be printed.
    let mut held: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; text::BUF_SIZE];
    let mut limit = 1 << 20;
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        held.extend_from_slice(&buf[..n]);
        if held.len() > limit {
            let start = start_of_tail(&held, count.n, bytes);
            held.drain(..start);
            limit = (held.len() * 2).max(1 << 20);
        }
    }
    let start = start_of_tail(&held, count.n, bytes);
    out.write_all(&held[start..])
}

/// Copies everything left in `r` to `out`.
fn copy_all(r: &mut dyn BufRead, out: &mut impl Write) -> io::Result<()> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(());
        }
        out.write_all(buf)?;
        let n = buf.len();
        r.consume(n);
    }
}

/// Offset in `data` where its last `n` lines (or bytes) start. A last line
/// without a newline counts as a line.
fn start_of_tail(data: &[u8], n: u64, bytes: bool) -> usize {
    if bytes {
        return data.len() - data.len().min(usize::try_from(n).unwrap_or(usize::MAX));
    }
    if n == 0 {
        return data.len();
    }
    let mut left = n;
    // A final newline ends the last line rather than starting another.
    let end = if data.last() == Some(&b'\n') {
        data.len() - 1
    } else {
        data.len()
    };
    for i in (0..end).rev() {
        if data[i] == b'\n' {
            left -= 1;
            if left == 0 {
                return i + 1;
            }
        }
    }
    0
}

/// Prints the last `n` lines or bytes of a regular file, reading it from
/// the end in blocks.
fn tail_of_file(f: &mut File, out: &mut impl Write, n: u64, bytes: bool) -> io::Result<()> {
    let size = f.seek(SeekFrom::End(0))?;
    let start = if bytes {
        size.saturating_sub(n)
    } else {
        let mut pos = size;
        let mut block = vec![0u8; text::BUF_SIZE];
        let mut left = n;
        let mut start = 0;
        let mut last_byte = true;
        'outer: while pos > 0 && left > 0 {
            let len = pos.min(block.len() as u64) as usize;
            pos -= len as u64;
            f.seek(SeekFrom::Start(pos))?;
            f.read_exact(&mut block[..len])?;
            for i in (0..len).rev() {
                if block[i] == b'\n' {
                    // The file's final newline ends the last line.
                    if last_byte {
                        last_byte = false;
                        continue;
                    }
                    left -= 1;
                    if left == 0 {
                        start = pos + i as u64 + 1;
                        break 'outer;
                    }
                }
                last_byte = false;
            }
        }
        if n == 0 {
            size
        } else {
            start
        }
    };
    f.seek(SeekFrom::Start(start))?;
    io::copy(&mut f.take(size - start), out)?;
    Ok(())
}

/// Prints what is appended to the files, forever (until killed or a write
/// fails). With `retry` (-F) a file that is renamed, removed or replaced
/// is reopened by name.
fn follow_files(
    files: &mut [Followed],
    out: &mut impl Write,
    headers: bool,
    retry: bool,
    interval: Duration,
) -> i32 {
    let mut last_shown: Option<usize> = files.len().checked_sub(1);
    let mut buf = vec![0u8; text::BUF_SIZE];
    loop {
        for (idx, fl) in files.iter_mut().enumerate() {
            if retry {
                if let Err(e) = reopen_if_replaced(fl, out) {
                    return text::write_failed("tail", &e);
                }
            }
            let Some(file) = fl.file.as_mut() else {
                continue;
            };
            if let Ok(m) = file.metadata() {
                if m.is_file() && m.len() < fl.pos {
                    error_msg(
                        "tail",
                        &format!("{}: file truncated", fl.name.to_string_lossy()),
                    );
                    fl.pos = 0;
                    let _ = file.seek(SeekFrom::Start(0));
                }
            }
            loop {
                let n = match file.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if headers && last_shown != Some(idx) {
                    if let Err(e) = text::header(out, &fl.name, false) {
                        return text::write_failed("tail", &e);
                    }
                    last_shown = Some(idx);
                }
                fl.pos += n as u64;
                if let Err(e) = out.write_all(&buf[..n]) {
                    return text::write_failed("tail", &e);
                }
            }
        }
        if let Err(e) = out.flush() {
            return text::write_failed("tail", &e);
        }
        std::thread::sleep(interval);
    }
}

/// For -F: when the name now refers to another file (or to none), switch
/// to it and print it from the start.
fn reopen_if_replaced(fl: &mut Followed, out: &mut impl Write) -> io::Result<()> {
    let now = std::fs::metadata(&fl.name).map(|m| (m.dev(), m.ino()));
    match now {
        Ok(id) if fl.file.is_none() || id != fl.id => {
            // Drain what the old file still holds before switching.
            if let Some(old) = fl.file.as_mut() {
                let mut rest = Vec::new();
                if old.read_to_end(&mut rest).is_ok() {
                    out.write_all(&rest)?;
                }
            }
            if let Ok(f) = File::open(&fl.name) {
                if fl.file.is_some() {
                    error_msg(
                        "tail",
                        &format!("{} has been replaced; following new file", show(&fl.name)),
                    );
                } else {
                    error_msg(
                        "tail",
                        &format!("{} has appeared; following new file", show(&fl.name)),
                    );
                }
                fl.file = Some(f);
                fl.id = id;
                fl.pos = 0;
            }
        }
        Ok(_) => {}
        Err(_) => {
            if fl.file.is_some() && fl.id != (0, 0) {
                // Keep reading the old file until a new one appears; mark
                // it so that any new file counts as a replacement.
                fl.id = (u64::MAX, u64::MAX);
            }
        }
    }
    Ok(())
}

/// The name quoted for messages.
fn show(name: &OsStr) -> String {
    format!("'{}'", name.to_string_lossy())
}
