//! `split [-l LINES | -b SIZE | -n CHUNKS] [-a LEN] [-d] [INPUT [PREFIX]]`:
//! split a file into pieces named PREFIXaa, PREFIXab, ...

use crate::common::{error_msg, getopt, lossy, usage_error, Exit};
use crate::text;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufWriter, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

pub const USAGE: &str = "[OPTIONS] [INPUT [PREFIX]]\n\nSplit INPUT (or stdin) into pieces PREFIXaa, PREFIXab...\n\n\t-b N[k|m|g]\tSplit by N (kilo|mega|giga)bytes\n\t-l N\t\tSplit by N lines (default 1000)\n\t-n N\t\tSplit into N chunks of equal size\n\t-a N\t\tUse N letters as suffix (default 2)\n\t-d\t\tUse numeric suffixes";

/// How the input is cut.
#[derive(Clone, Copy)]
enum By {
    Lines(u64),
    Bytes(u64),
    Chunks(u64),
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "l:b:n:a:d",
        &[
            ("lines", 'l'),
            ("bytes", 'b'),
            ("number", 'n'),
            ("suffix-length", 'a'),
            ("numeric-suffixes", 'd'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let num = |c: char, sizes: bool| -> Result<Option<u64>, i32> {
        let Some(v) = p.value(c) else {
            return Ok(None);
        };
        let t = lossy(v).replace('m', "M").replace('g', "G");
        let n = if sizes {
            crate::fsutil::parse_size(&t, false)
        } else {
            t.parse().ok()
        };
        match n {
            Some(n) if n > 0 => Ok(Some(n)),
            _ => {
                error_msg("split", &format!("invalid number '{}'", lossy(v)));
                Err(1)
            }
        }
    };
    let by = match (
        num('l', false),
        num('b', true),
        num('n', false),
        num('a', false),
    ) {
        (Err(c), ..) | (_, Err(c), ..) | (_, _, Err(c), _) | (.., Err(c)) => return c,
        (Ok(l), Ok(b), Ok(n), Ok(_)) => match (l, b, n) {
            (None, None, None) => By::Lines(1000),
            (Some(l), None, None) => By::Lines(l),
            (None, Some(b), None) => By::Bytes(b),
            (None, None, Some(n)) => By::Chunks(n),
            _ => return usage_error("split", "cannot split in more than one way"),
        },
    };
    let suffix_len = num('a', false).ok().flatten().unwrap_or(2) as usize;
    if p.operands.len() > 2 {
        return usage_error("split", "extra operand");
    }
    let input = p.operands.first().cloned().unwrap_or_else(|| "-".into());
    let prefix = p.operands.get(1).cloned().unwrap_or_else(|| "x".into());
    let mut s = Splitter {
        prefix: prefix.into_vec(),
        suffix_len,
        numeric: p.has('d'),
        index: 0,
        out: None,
    };
    let mut r = match text::open(&input) {
        Ok(r) => r,
        Err(e) => {
            text::report_open("split", &input, &e);
            return 1;
        }
    };
    let result = match by {
        By::Lines(n) => s.by_lines(&mut *r, n),
        By::Bytes(n) => s.by_bytes(&mut *r, n),
        By::Chunks(n) => s.by_chunks(&mut *r, n),
    };
    let result = result.and_then(|()| s.close());
    match result {
        Ok(()) => 0,
        Err(Failure::Exhausted) => {
            error_msg("split", "suffixes exhausted");
            1
        }
        Err(Failure::Io(what, e)) => {
            crate::common::perror("split", what, &e);
            1
        }
    }
}

/// What stopped the split.
enum Failure {
    /// More pieces than the suffix length allows.
    Exhausted,
    /// A file could not be read or written (what, why).
    Io(String, io::Error),
}

/// Writes the pieces.
struct Splitter {
    prefix: Vec<u8>,
    suffix_len: usize,
    numeric: bool,
    /// Number of the next piece.
    index: u64,
    out: Option<(BufWriter<File>, Vec<u8>)>,
}

impl Splitter {
    /// The name of piece `i`, if the suffix length allows it.
    fn name(&self, i: u64) -> Option<Vec<u8>> {
        let base: u64 = if self.numeric { 10 } else { 26 };
        let mut digits = vec![0u8; self.suffix_len];
        let mut n = i;
        for d in digits.iter_mut().rev() {
            let v = (n % base) as u8;
            *d = if self.numeric { b'0' + v } else { b'a' + v };
            n /= base;
        }
        if n > 0 {
            return None;
        }
        let mut name = self.prefix.clone();
        name.extend_from_slice(&digits);
        Some(name)
    }

    /// Closes the current piece and opens the next.
    fn next(&mut self) -> Result<(), Failure> {
        self.close()?;
        let name = self.name(self.index).ok_or(Failure::Exhausted)?;
        self.index += 1;
        let path = std::path::Path::new(std::ffi::OsStr::from_bytes(&name));
        let f = File::create(path).map_err(|e| {
            Failure::Io(
                format!("can't open '{}'", String::from_utf8_lossy(&name)),
                e,
            )
        })?;
        self.out = Some((BufWriter::with_capacity(text::BUF_SIZE, f), name));
        Ok(())
    }

    fn close(&mut self) -> Result<(), Failure> {
        if let Some((mut w, name)) = self.out.take() {
            w.flush()
                .map_err(|e| Failure::Io(String::from_utf8_lossy(&name).into_owned(), e))?;
        }
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), Failure> {
        if let Some((w, name)) = &mut self.out {
            w.write_all(data)
                .map_err(|e| Failure::Io(String::from_utf8_lossy(name).into_owned(), e))?;
        }
        Ok(())
    }

    fn by_lines(&mut self, r: &mut dyn BufRead, n: u64) -> Result<(), Failure> {
        let mut in_piece = n;
        loop {
            let buf = r
                .fill_buf()
                .map_err(|e| Failure::Io("read error".into(), e))?;
            if buf.is_empty() {
                return Ok(());
            }
            let buf = buf.to_vec();
            let mut rest = &buf[..];
            while !rest.is_empty() {
                if in_piece == n {
                    self.next()?;
                    in_piece = 0;
                }
                // Take whole lines up to the end of this piece.
                let mut end = 0;
                while end < rest.len() && in_piece < n {
                    match rest[end..].iter().position(|&c| c == b'\n') {
                        Some(i) => {
                            end += i + 1;
                            in_piece += 1;
                        }
                        None => end = rest.len(),
                    }
                }
                self.write(&rest[..end])?;
                rest = &rest[end..];
            }
            r.consume(buf.len());
        }
    }

    fn by_bytes(&mut self, r: &mut dyn BufRead, n: u64) -> Result<(), Failure> {
        let mut left = 0u64;
        loop {
            let buf = r
                .fill_buf()
                .map_err(|e| Failure::Io("read error".into(), e))?;
            if buf.is_empty() {
                return Ok(());
            }
            let buf = buf.to_vec();
            let mut rest = &buf[..];
            while !rest.is_empty() {
                if left == 0 {
                    self.next()?;
                    left = n;
                }
                let take = (left.min(rest.len() as u64)) as usize;
                self.write(&rest[..take])?;
                left -= take as u64;
                rest = &rest[take..];
            }
            r.consume(buf.len());
        }
    }

    /// N pieces of equal size, the last one taking the remainder; all N
    /// are created even when the input is short.
    fn by_chunks(&mut self, r: &mut dyn BufRead, n: u64) -> Result<(), Failure> {
        let mut data = Vec::new();
        r.read_to_end(&mut data)
            .map_err(|e| Failure::Io("read error".into(), e))?;
        let size = data.len() as u64 / n;
        let mut pos = 0usize;
        for i in 0..n {
            self.next()?;
            let end = if i == n - 1 {
                data.len()
            } else {
                pos + size as usize
            };
            let chunk = data[pos..end].to_vec();
            self.write(&chunk)?;
            pos = end;
        }
        Ok(())
    }
}
