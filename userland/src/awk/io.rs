//! Input records (RS as one byte, paragraphs or a regular expression) and
//! the output and input streams that print, printf and getline open.

use crate::regex::Regex;
use std::io::{self, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::rc::Rc;

/// How records are separated.
#[derive(Clone)]
pub enum RsMode {
    /// One byte (newline by default).
    Byte(u8),
    /// `RS = ""`: blank lines separate records.
    Para,
    /// A multi-byte RS, taken as a regular expression.
    Regex(Rc<Regex>),
}

/// Reads records from a byte stream, buffering it.
pub struct RecReader {
    src: Box<dyn Read>,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
}

impl RecReader {
    /// A reader over `src`.
    pub fn new(src: Box<dyn Read>) -> RecReader {
        RecReader {
            src,
            buf: vec![0; 64 * 1024],
            pos: 0,
            end: 0,
            eof: false,
        }
    }

    /// Reads more input after the unread part; false at end of input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            let n = self.buf.len() * 2;
            self.buf.resize(n, 0);
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads the next record into `out` (cleared first), without its
    /// terminator; false at end of input.
    pub fn read(&mut self, rs: &RsMode, out: &mut Vec<u8>) -> io::Result<bool> {
        out.clear();
        if let RsMode::Para = rs {
            // Leading newlines never start a paragraph.
            loop {
                while self.pos < self.end && self.buf[self.pos] == b'\n' {
                    self.pos += 1;
                }
                if self.pos < self.end || !self.fill()? {
                    break;
                }
            }
        }
        let mut searched = 0;
        loop {
            let data = &self.buf[self.pos..self.end];
            let found = match rs {
                RsMode::Byte(b) => crate::regex::memchr(*b, &data[searched..])
                    .map(|i| (searched + i, searched + i + 1)),
                RsMode::Para => data[searched..]
                    .windows(2)
                    .position(|w| w == b"\n\n")
                    .map(|i| (searched + i, searched + i + 2)),
                RsMode::Regex(re) => match re.find_at(data, 0) {
                    Some((s, e)) if e > s && (e < data.len() || self.eof) => Some((s, e)),
                    _ => None,
                },
            };
            if let Some((rec_end, next)) = found {
                out.extend_from_slice(&data[..rec_end]);
                self.pos += next;
                return Ok(true);
            }
            searched = match rs {
                RsMode::Byte(_) => data.len(),
                RsMode::Para => data.len().saturating_sub(1),
                RsMode::Regex(_) => 0,
            };
            if !self.fill()? {
                let data = &self.buf[self.pos..self.end];
                if data.is_empty() {
                    return Ok(false);
                }
                let mut d = data;
                if let RsMode::Para = rs {
                    while d.last() == Some(&b'\n') {
                        d = &d[..d.len() - 1];
                    }
                }
                out.extend_from_slice(d);
                self.pos = self.end;
                return Ok(true);
            }
        }
    }
}

/// An input stream opened by getline.
pub struct InStream {
    /// The records.
    pub reader: RecReader,
    /// The command, for `cmd | getline`.
    pub child: Option<Child>,
}

/// An output stream opened by print or printf.
pub enum OutStream {
    /// A file (`>` or `>>`).
    File(io::BufWriter<std::fs::File>),
    /// A command's standard input (`|`).
    Pipe(Child, io::BufWriter<ChildStdin>),
    /// Standard error ("/dev/stderr"), unbuffered.
    Stderr(io::Stderr),
}

impl OutStream {
    /// The writer.
    pub fn writer(&mut self) -> &mut dyn Write {
        match self {
            OutStream::File(f) => f,
            OutStream::Pipe(_, w) => w,
            OutStream::Stderr(e) => e,
        }
    }

    /// Flushes and closes; a command's exit status is returned.
    pub fn close(self) -> i32 {
        match self {
            OutStream::File(mut f) => {
                if f.flush().is_err() {
                    -1
                } else {
                    0
                }
            }
            OutStream::Pipe(mut child, mut w) => {
                let _ = w.flush();
                drop(w);
                wait_status(&mut child)
            }
            OutStream::Stderr(_) => 0,
        }
    }
}

/// Waits for `child`: its exit status, or 256 + signal.
pub fn wait_status(child: &mut Child) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match child.wait() {
        Ok(st) => st.code().unwrap_or_else(|| 256 + st.signal().unwrap_or(0)),
        Err(_) => -1,
    }
}

/// `sh -c cmd`.
pub fn shell(cmd: &[u8]) -> Command {
    use std::os::unix::ffi::OsStrExt;
    let mut c = Command::new("/bin/sh");
    c.arg("-c").arg(std::ffi::OsStr::from_bytes(cmd));
    c
}

/// Starts `cmd` with a pipe to its standard input.
pub fn open_pipe_out(cmd: &[u8]) -> io::Result<OutStream> {
    let mut child = shell(cmd).stdin(Stdio::piped()).spawn()?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| io::Error::other("no pipe"))?;
    Ok(OutStream::Pipe(child, io::BufWriter::new(stdin)))
}

/// Starts `cmd` with a pipe from its standard output.
pub fn open_pipe_in(cmd: &[u8]) -> io::Result<InStream> {
    let mut child = shell(cmd).stdout(Stdio::piped()).spawn()?;
    let out = child
        .stdout
        .take()
        .ok_or_else(|| io::Error::other("no pipe"))?;
    Ok(InStream {
        reader: RecReader::new(Box::new(out)),
        child: Some(child),
    })
}
