//! `gzip [-cdfkntqv1-9] [FILE]...`: compress FILEs to FILE.gz (or stdin to
//! stdout). Also the engine of `gunzip` and `zcat`.
//!
//! Output files are written to a temporary file in the same directory and
//! renamed into place when complete, so a failure (bad input, full disk)
//! never leaves half a file and never deletes the input.

use crate::archive::gzip::{GzDecoder, GzEncoder};
use crate::archive::{parent_dir, temp_file};
use crate::common::{error_msg, getopt, lossy, perror, Exit};
use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub const USAGE: &str = "[-cdfkntqv1-9] [FILE]...\n\nCompress FILEs (or stdin)\n\n\t-1..9\tCompression level (default 6)\n\t-c\tWrite to stdout\n\t-d\tDecompress\n\t-f\tForce: overwrite, write to a terminal\n\t-k\tKeep input files\n\t-n\tDon't store the original time\n\t-t\tTest integrity\n\t-q\tQuiet\n\t-v\tVerbose";

/// What one invocation does.
struct Opts {
    applet: &'static str,
    decompress: bool,
    stdout: bool,
    force: bool,
    keep: bool,
    test: bool,
    no_time: bool,
    quiet: bool,
    verbose: bool,
    level: u8,
}

/// Entry point for `gzip`.
pub fn main(args: Vec<OsString>) -> i32 {
    run("gzip", args, false, false)
}

/// Shared entry point: `decompress` for gunzip, `to_stdout` for zcat.
pub fn run(applet: &'static str, args: Vec<OsString>, decompress: bool, to_stdout: bool) -> i32 {
    let long = [
        ("stdout", 'c'),
        ("to-stdout", 'c'),
        ("decompress", 'd'),
        ("uncompress", 'd'),
        ("force", 'f'),
        ("keep", 'k'),
        ("no-name", 'n'),
        ("test", 't'),
        ("quiet", 'q'),
        ("verbose", 'v'),
        ("fast", '1'),
        ("best", '9'),
    ];
    let p = match getopt(&args, "cdfkntqv123456789", &long, true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let level = p
        .opts
        .iter()
        .rev()
        .find_map(|(c, _)| c.to_digit(10))
        .unwrap_or(6) as u8;
    let o = Opts {
        applet,
        decompress: decompress || p.has('d') || p.has('t'),
        stdout: to_stdout || p.has('c'),
        force: p.has('f'),
        keep: p.has('k'),
        test: p.has('t'),
        no_time: p.has('n'),
        quiet: p.has('q'),
        verbose: p.has('v') && !p.has('q'),
        level,
    };
    let operands = if p.operands.is_empty() {
        vec![OsString::from("-")]
    } else {
        p.operands
    };
    let mut status = 0;
    for name in &operands {
        let ok = if name.as_bytes() == b"-" {
            stream_stdin(&o)
        } else {
            one_file(&o, name)
        };
        if !ok {
            status = 1;
        }
    }
    status
}

/// Whether file descriptor `fd` is a terminal.
fn isatty(fd: i32) -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { nix::libc::isatty(fd) == 1 }
}

/// Refuses to write compressed data to, or read it from, a terminal
/// unless forced; returns whether to go on.
fn terminal_ok(o: &Opts, reading_stdin: bool) -> bool {
    if o.force || o.test {
        return true;
    }
    if !o.decompress && isatty(1) {
        error_msg(
            o.applet,
            "compressed data not written to a terminal. Use -f to force compression.",
        );
        return false;
    }
    if o.decompress && reading_stdin && isatty(0) {
        error_msg(
            o.applet,
            "compressed data not read from a terminal. Use -f to force decompression.",
        );
        return false;
    }
    true
}

/// stdin to stdout.
fn stream_stdin(o: &Opts) -> bool {
    if !terminal_ok(o, true) {
        return false;
    }
    let stdin = io::stdin();
    let input = stdin.lock();
    match convert(o, input, 0, !o.test) {
        Ok(_) => true,
        Err(e) => {
            report(o, None, &e);
            false
        }
    }
}

/// Why a conversion failed.
enum Failure {
    /// Reading or decoding the input.
    Read(io::Error),
    /// Writing the output.
    Write(io::Error),
}

/// Reports a failure on `name` (None: stdin).
fn report(o: &Opts, name: Option<&OsStr>, f: &Failure) {
    match f {
        Failure::Read(e) if e.kind() == io::ErrorKind::InvalidData => match name {
            Some(n) if o.test || o.verbose => error_msg(o.applet, &format!("{}: {e}", lossy(n))),
            _ => error_msg(o.applet, &e.to_string()),
        },
        Failure::Read(e) => perror(
            o.applet,
            format!("read error on '{}'", lossy(name.unwrap_or(OsStr::new("-")))),
            e,
        ),
        Failure::Write(e) => perror(o.applet, "write error", e),
    }
}

/// Compresses or decompresses `input` to stdout (when `to_stdout`) or to
/// the writer returned in the result. Returns the bytes in and out.
fn convert(o: &Opts, input: impl Read, mtime: u32, to_stdout: bool) -> Result<(u64, u64), Failure> {
    if to_stdout {
        let out = io::stdout();
        let mut out = io::BufWriter::with_capacity(64 * 1024, out.lock());
        let r = pump(o, input, &mut out, mtime)?;
        out.flush().map_err(Failure::Write)?;
        Ok(r)
    } else {
        pump(o, input, &mut io::sink(), mtime)
    }
}

/// Counts bytes read through it.
struct Counted<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// Copies `input` through the encoder or decoder into `out`.
fn pump(
    o: &Opts,
    input: impl Read,
    out: &mut dyn Write,
    mtime: u32,
) -> Result<(u64, u64), Failure> {
    let mut counted = Counted {
        inner: input,
        count: 0,
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut produced = 0u64;
    if o.decompress {
        let mut dec = GzDecoder::new(BufReader::with_capacity(64 * 1024, &mut counted));
        loop {
            let n = match dec.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Failure::Read(e)),
            };
            produced += n as u64;
            out.write_all(&buf[..n]).map_err(Failure::Write)?;
        }
        drop(dec);
        Ok((counted.count, produced))
    } else {
        let mut sink = CountingWriter {
            inner: out,
            count: 0,
        };
        let mut enc = GzEncoder::new(&mut sink, o.level, mtime).map_err(Failure::Write)?;
        loop {
            let n = match counted.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Failure::Read(e)),
            };
            enc.write_all(&buf[..n]).map_err(Failure::Write)?;
        }
        enc.finish().map_err(Failure::Write)?;
        Ok((counted.count, sink.count))
    }
}

/// Counts bytes written through it.
struct CountingWriter<'a> {
    inner: &'a mut dyn Write,
    count: u64,
}

impl Write for CountingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The name FILE decompresses to, if it has a known suffix.
fn decompressed_name(name: &[u8]) -> Option<Vec<u8>> {
    let base_start = name.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    let base = &name[base_start..];
    for (suffix, repl) in [
        (&b".gz"[..], &b""[..]),
        (b".tgz", b".tar"),
        (b".taz", b".tar"),
        (b"-gz", b""),
        (b"_gz", b""),
    ] {
        if base.len() > suffix.len() && base.ends_with(suffix) {
            let mut out = name[..name.len() - suffix.len()].to_vec();
            out.extend_from_slice(repl);
            return Some(out);
        }
    }
    None
}

/// Compresses, decompresses or tests one named file.
fn one_file(o: &Opts, name: &OsStr) -> bool {
    let meta = match fs::metadata(name) {
        Ok(m) => m,
        Err(e) => {
            perror(o.applet, format!("can't open '{}'", lossy(name)), &e);
            return false;
        }
    };
    if meta.is_dir() {
        if !o.quiet {
            error_msg(
                o.applet,
                &format!("{} is a directory -- ignored", lossy(name)),
            );
        }
        return false;
    }
    let out_name: Option<Vec<u8>> = if o.test || o.stdout {
        None
    } else if o.decompress {
        match decompressed_name(name.as_bytes()) {
            Some(n) => Some(n),
            None => {
                if !o.quiet {
                    error_msg(
                        o.applet,
                        &format!("{}: unknown suffix -- ignored", lossy(name)),
                    );
                }
                return false;
            }
        }
    } else {
        if name.as_bytes().ends_with(b".gz") {
            if !o.quiet {
                error_msg(
                    o.applet,
                    &format!("{} already has .gz suffix -- unchanged", lossy(name)),
                );
            }
            return false;
        }
        let mut n = name.as_bytes().to_vec();
        n.extend_from_slice(b".gz");
        Some(n)
    };
    if out_name.is_none() && !o.test && !terminal_ok(o, false) {
        return false;
    }
    let input = match File::open(name) {
        Ok(f) => f,
        Err(e) => {
            perror(o.applet, format!("can't open '{}'", lossy(name)), &e);
            return false;
        }
    };
    let mtime = if o.no_time {
        0
    } else {
        meta.mtime().clamp(0, i64::from(u32::MAX)) as u32
    };
    let Some(out_name) = out_name else {
        return match convert(o, input, mtime, !o.test) {
            Ok(_) => {
                if o.test && o.verbose {
                    error_msg(o.applet, &format!("{}: OK", lossy(name)));
                }
                true
            }
            Err(f) => {
                report(o, Some(name), &f);
                false
            }
        };
    };
    let out_path = PathBuf::from(OsStr::from_bytes(&out_name));
    if fs::symlink_metadata(&out_path).is_ok() && !o.force {
        perror(
            o.applet,
            format!("can't open '{}'", out_path.to_string_lossy()),
            &io::Error::from_raw_os_error(nix::libc::EEXIST),
        );
        return false;
    }
    let base = out_path.file_name().unwrap_or_default().to_os_string();
    let (tmp_file, tmp) = match temp_file(parent_dir(&out_path), &base) {
        Ok(t) => t,
        Err(e) => {
            perror(
                o.applet,
                format!("can't create '{}'", out_path.to_string_lossy()),
                &e,
            );
            return false;
        }
    };
    let result = write_to(o, input, tmp_file, mtime, &meta, &tmp);
    let (inn, out) = match result {
        Ok(r) => r,
        Err(f) => {
            let _ = fs::remove_file(&tmp);
            report(o, Some(name), &f);
            return false;
        }
    };
    if let Err(e) = fs::rename(&tmp, &out_path) {
        let _ = fs::remove_file(&tmp);
        perror(
            o.applet,
            format!("can't create '{}'", out_path.to_string_lossy()),
            &e,
        );
        return false;
    }
    if o.verbose {
        let (big, small) = if o.decompress { (out, inn) } else { (inn, out) };
        let saved = if big == 0 {
            0.0
        } else {
            100.0 * (big as f64 - small as f64) / big as f64
        };
        eprintln!(
            "{}:\t{saved:5.1}% -- replaced with {}",
            lossy(name),
            out_path.to_string_lossy()
        );
    }
    if !o.keep {
        if let Err(e) = fs::remove_file(name) {
            perror(o.applet, format!("can't remove '{}'", lossy(name)), &e);
            return false;
        }
    }
    true
}

/// Converts `input` into the temporary file `tmp` and gives it the input's
/// mode, owner and times.
fn write_to(
    o: &Opts,
    input: File,
    file: File,
    mtime: u32,
    meta: &fs::Metadata,
    tmp: &Path,
) -> Result<(u64, u64), Failure> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, file);
    let r = pump(o, input, &mut out, mtime)?;
    let file = out
        .into_inner()
        .map_err(|e| Failure::Write(e.into_error()))?;
    // Owner first: chown clears setuid bits, which the mode then restores.
    let _ = std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()));
    file.set_permissions(fs::Permissions::from_mode(meta.mode() & 0o7777))
        .map_err(Failure::Write)?;
    drop(file);
    let atime = nix::sys::time::TimeSpec::new(meta.atime(), meta.atime_nsec());
    let mtime = nix::sys::time::TimeSpec::new(meta.mtime(), meta.mtime_nsec());
    crate::fsutil::set_times(tmp, &atime, &mtime, false).map_err(Failure::Write)?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes() {
        assert_eq!(decompressed_name(b"a.gz").as_deref(), Some(&b"a"[..]));
        assert_eq!(
            decompressed_name(b"d/x.tgz").as_deref(),
            Some(&b"d/x.tar"[..])
        );
        assert_eq!(decompressed_name(b"d.gz/.gz"), None);
        assert_eq!(decompressed_name(b"a.txt"), None);
    }
}
