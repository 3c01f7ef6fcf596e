//! What the text applets share: opening `-` as standard input, a large
//! buffered standard output, reading records as bytes, parsing counts
//! (`-n +5`, `-c 2k`) and BusyBox-style reporting of open and write errors.
//! Everything works on bytes, since input may be binary or not UTF-8.

use crate::common::perror;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;

/// Buffer size for reading and writing: large buffers mean few system calls.
pub const BUF_SIZE: usize = 64 * 1024;

/// Buffered, locked standard output.
pub type Out = BufWriter<io::StdoutLock<'static>>;

/// Standard output, locked once and buffered with [`BUF_SIZE`] bytes, so
/// that per-line writes cost no system call.
pub fn stdout() -> Out {
    BufWriter::with_capacity(BUF_SIZE, io::stdout().lock())
}

/// Whether `name` means standard input.
pub fn is_stdin(name: &OsStr) -> bool {
    name.as_bytes() == b"-"
}

/// Opens `name` for buffered reading; `-` is standard input.
pub fn open(name: &OsStr) -> io::Result<Box<dyn BufRead>> {
    if is_stdin(name) {
        Ok(Box::new(BufReader::with_capacity(BUF_SIZE, io::stdin())))
    } else {
        Ok(Box::new(BufReader::with_capacity(
            BUF_SIZE,
            File::open(name)?,
        )))
    }
}

/// Standard input as a `File` of its own (a duplicate of descriptor 0,
/// sharing its offset), so that an applet can buffer it and then put
/// the unused part back with a seek.
pub fn stdin_file() -> io::Result<File> {
    use std::os::fd::AsFd;
    Ok(File::from(io::stdin().as_fd().try_clone_to_owned()?))
}

/// Opens `name` like [`open`], reporting a failure the BusyBox way
/// (`applet: can't open 'NAME': REASON`); `None` then.
pub fn open_or_report(applet: &str, name: &OsStr) -> Option<Box<dyn BufRead>> {
    match open(name) {
        Ok(r) => Some(r),
        Err(e) => {
            report_open(applet, name, &e);
            None
        }
    }
}

/// Prints `applet: can't open 'NAME': REASON`.
pub fn report_open(applet: &str, name: &OsStr, e: &io::Error) {
    perror(
        applet,
        format!("can't open '{}'", name.to_string_lossy()),
        e,
    );
}

/// Prints `applet: NAME: REASON` for a file that failed while being read.
pub fn report_read(applet: &str, name: &OsStr, e: &io::Error) {
    perror(applet, name.to_string_lossy(), e);
}

/// Reads all of `name` (`-` is standard input) into memory.
pub fn read_all(name: &OsStr) -> io::Result<Vec<u8>> {
    let mut data = Vec::new();
    if is_stdin(name) {
        io::stdin().lock().read_to_end(&mut data)?;
    } else {
        File::open(name)?.read_to_end(&mut data)?;
    }
    Ok(data)
}

/// Reports a failed write to standard output and returns exit status 1.
/// A closed pipe (`| head`) is not worth a message: the reader has gone.
pub fn write_failed(applet: &str, e: &io::Error) -> i32 {
    if e.kind() != io::ErrorKind::BrokenPipe {
        perror(applet, "write error", e);
    }
    1
}

/// Flushes `out`, turning a failure into exit status 1 and otherwise
/// returning `status`.
pub fn finish(applet: &str, out: &mut impl Write, status: i32) -> i32 {
    match out.flush() {
        Ok(()) => status,
        Err(e) => write_failed(applet, &e),
    }
}

/// Operands, or `-` (standard input) when there are none.
pub fn operands_or_stdin(operands: &[OsString]) -> Vec<OsString> {
    if operands.is_empty() {
        vec![OsString::from("-")]
    } else {
        operands.to_vec()
    }
}

/// Reads one record ending in `delim` into `buf` (cleared first), the
/// delimiter kept; `Ok(false)` at end of input.
pub fn read_record(r: &mut dyn BufRead, delim: u8, buf: &mut Vec<u8>) -> io::Result<bool> {
    buf.clear();
    Ok(r.read_until(delim, buf)? > 0)
}

/// Splits `data` into records ending in `delim`; the last one may lack it.
pub fn records(data: &[u8], delim: u8) -> impl Iterator<Item = &[u8]> {
    data.split_inclusive(move |&b| b == delim)
}

/// `line` without its trailing `delim`, if any.
pub fn chomp(line: &[u8], delim: u8) -> &[u8] {
    line.strip_suffix(&[delim]).unwrap_or(line)
}

/// A count as written after `-n`/`-c` of head and tail: a number with an
/// optional sign and BusyBox's size suffixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    /// The number itself.
    pub n: u64,
    /// Written with a leading `+` (tail: count from the start).
    pub plus: bool,
    /// Written with a leading `-` (head: all but the last N).
    pub minus: bool,
}

/// Parses a count like `5`, `+5`, `-5`, `2k`, `1MB`, `10b` (suffixes as
/// BusyBox's `xatoul_sfx`: b=512, k=1024, m=1024², kB=1000, KD/MD …).
pub fn parse_count(s: &[u8]) -> Option<Count> {
    let (plus, minus, rest) = match s.first() {
        Some(b'+') => (true, false, &s[1..]),
        Some(b'-') => (false, true, &s[1..]),
        _ => (false, false, s),
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let n: u64 = std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()?;
    let mult: u64 = match &rest[digits..] {
        b"" => 1,
        b"b" => 512,
        b"k" | b"K" | b"KiB" => 1024,
        b"kB" | b"KB" | b"kD" => 1000,
        b"m" | b"M" | b"MiB" => 1024 * 1024,
        b"MB" | b"mD" | b"MD" => 1000 * 1000,
        b"g" | b"G" | b"GiB" => 1024 * 1024 * 1024,
        b"GB" | b"GD" => 1000 * 1000 * 1000,
        _ => return None,
    };
    Some(Count {
        n: n.checked_mul(mult)?,
        plus,
        minus,
    })
}

/// Rewrites the obsolete `-5` first argument of head and tail (and, with
/// `plus`, tail's `+5`) into `-n 5` / `-n +5`, as BusyBox does, so that
/// getopt can then parse the rest.
pub fn expand_old_count(args: Vec<OsString>, plus: bool) -> Vec<OsString> {
    let Some(first) = args.get(1) else {
        return args;
    };
    let b = first.as_bytes();
    let count = match b {
        [b'-', d, ..] if d.is_ascii_digit() => &b[1..],
        [b'+', d, ..] if plus && d.is_ascii_digit() => b,
        _ => return args,
    };
    let mut out = vec![
        args[0].clone(),
        OsString::from("-n"),
        OsString::from(OsStr::from_bytes(count)),
    ];
    out.extend_from_slice(&args[2..]);
    out
}

/// Parses a decimal number argument for `applet`, reporting
/// `invalid number 'X'` on failure.
pub fn parse_num<T: std::str::FromStr>(applet: &str, s: &OsStr) -> Option<T> {
    match s.to_str().and_then(|t| t.parse().ok()) {
        Some(v) => Some(v),
        None => {
            crate::common::error_msg(applet, &format!("invalid number '{}'", s.to_string_lossy()));
            None
        }
    }
}

/// Writes `name` as `==> NAME <==` headers (head and tail with several files).
pub fn header(out: &mut impl Write, name: &OsStr, first: bool) -> io::Result<()> {
    if !first {
        out.write_all(b"\n")?;
    }
    let shown: &[u8] = if is_stdin(name) {
        b"standard input"
    } else {
        name.as_bytes()
    };
    out.write_all(b"==> ")?;
    out.write_all(shown)?;
    out.write_all(b" <==\n")
}

/// The named inputs read one after the other as one stream (od, hexdump).
/// A file that cannot be opened is reported and skipped; `failed` records
/// that for the exit status.
pub struct Concat {
    applet: &'static str,
    names: std::vec::IntoIter<OsString>,
    current: Option<(OsString, Box<dyn BufRead>)>,
    /// Whether some input could not be opened or read.
    pub failed: bool,
}

impl Concat {
    /// A stream over `names` (standard input if empty).
    pub fn new(applet: &'static str, names: &[OsString]) -> Concat {
        Concat {
            applet,
            names: operands_or_stdin(names).into_iter(),
            current: None,
            failed: false,
        }
    }

    /// Fills `buf` as far as the inputs allow; returns the bytes read (less
    /// than `buf.len()` only at the end of the last input).
    pub fn fill(&mut self, buf: &mut [u8]) -> usize {
        let mut got = 0;
        while got < buf.len() {
            if self.current.is_none() {
                let Some(name) = self.names.next() else {
                    break;
                };
                match open(&name) {
                    Ok(r) => self.current = Some((name, r)),
                    Err(e) => {
                        report_open(self.applet, &name, &e);
                        self.failed = true;
                    }
                }
                continue;
            }
            let Some((name, r)) = self.current.as_mut() else {
                break;
            };
            match r.read(&mut buf[got..]) {
                Ok(0) => self.current = None,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    report_read(self.applet, name, &e);
                    self.failed = true;
                    self.current = None;
                }
            }
        }
        got
    }

    /// Skips `n` bytes; returns how many could be skipped.
    pub fn skip(&mut self, mut n: u64) -> u64 {
        let mut buf = vec![0u8; BUF_SIZE];
        let mut skipped = 0;
        while n > 0 {
            let want = n.min(BUF_SIZE as u64) as usize;
            let got = self.fill(&mut buf[..want]);
            skipped += got as u64;
            n -= got as u64;
            if got < want {
                break;
            }
        }
        skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(
            parse_count(b"+5"),
            Some(Count {
                n: 5,
                plus: true,
                minus: false
            })
        );
        assert_eq!(parse_count(b"2k").map(|c| c.n), Some(2048));
        assert_eq!(parse_count(b"1b").map(|c| c.n), Some(512));
        assert_eq!(parse_count(b"x"), None);
        assert_eq!(parse_count(b""), None);
        assert_eq!(parse_count(b"99999999999999999999999"), None);
    }

    #[test]
    fn old_count_form() {
        let v = |l: &[&str]| l.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            expand_old_count(v(&["head", "-5", "f"]), false),
            v(&["head", "-n", "5", "f"])
        );
        assert_eq!(
            expand_old_count(v(&["head", "-q"]), false),
            v(&["head", "-q"])
        );
        assert_eq!(
            expand_old_count(v(&["tail", "+5"]), true),
            v(&["tail", "-n", "+5"])
        );
        assert_eq!(
            expand_old_count(v(&["head", "+5"]), false),
            v(&["head", "+5"])
        );
    }
}
