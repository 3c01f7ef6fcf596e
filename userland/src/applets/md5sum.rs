//! `md5sum`, `sha1sum`, `sha256sum`, `sha512sum [-bt] [-c [-sw]] [FILE]...`:
//! print or check message digests. One file serves all four; the name
//! called picks the algorithm.

use crate::common::{error_msg, getopt, lossy, Exit};
use crate::digest::{hex, Algorithm};
use crate::text;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufRead, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

pub const USAGE: &str = "[-c[sw]] [-bt] [FILE]...\n\nPrint or check checksums\n\n\t-b\tMark files as binary (' *' before the name)\n\t-t\tMark files as text (the default)\n\t-c\tCheck sums against list in FILEs\n\t-s\tDon't output anything, status code shows success\n\t-w\tWarn about improperly formatted checksum lines";

/// Entry point: the algorithm comes from the name called (`args[0]`).
pub fn main(args: Vec<OsString>) -> i32 {
    let name = args
        .first()
        .map(|a| crate::fsutil::last_component(a).to_os_string())
        .unwrap_or_default();
    let (applet, algo) = match name.as_bytes() {
        b"sha1sum" => ("sha1sum", Algorithm::Sha1),
        b"sha256sum" => ("sha256sum", Algorithm::Sha256),
        b"sha512sum" => ("sha512sum", Algorithm::Sha512),
        _ => ("md5sum", Algorithm::Md5),
    };
    let p = match getopt(
        &args,
        "bctsw",
        &[
            ("binary", 'b'),
            ("check", 'c'),
            ("text", 't'),
            ("status", 's'),
            ("warn", 'w'),
            ("quiet", 'q'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let files = text::operands_or_stdin(&p.operands);
    let mut out = text::stdout();
    let status = if p.has('c') {
        let opts = CheckOptions {
            status_only: p.has('s'),
            warn: p.has('w'),
        };
        let mut status = 0;
        for f in &files {
            status |= check_list(applet, algo, f, opts, &mut out);
        }
        status
    } else {
        if p.has('s') || p.has('w') {
            error_msg(
                applet,
                "the --status and --warn options are meaningful only when verifying checksums",
            );
            return 1;
        }
        let marker = if p.has('b') { '*' } else { ' ' };
        let mut status = 0;
        for f in &files {
            match digest_file(algo, f) {
                Ok(d) => {
                    let mut line = hex(&d).into_bytes();
                    line.push(b' ');
                    line.push(marker as u8);
                    line.extend_from_slice(f.as_bytes());
                    line.push(b'\n');
                    if let Err(e) = out.write_all(&line) {
                        return text::write_failed(applet, &e);
                    }
                }
                Err(e) => {
                    report(applet, f, &e);
                    status = 1;
                }
            }
        }
        status
    };
    text::finish(applet, &mut out, status)
}

/// Reports a file that could not be hashed, BusyBox style.
fn report(applet: &str, f: &OsStr, e: &io::Error) {
    if e.kind() == io::ErrorKind::IsADirectory || e.raw_os_error() == Some(21) {
        crate::common::perror(applet, lossy(f), e);
    } else {
        text::report_open(applet, f, e);
    }
}

/// The digest of file `name` (`-` is standard input).
pub fn digest_file(algo: Algorithm, name: &OsStr) -> io::Result<Vec<u8>> {
    if text::is_stdin(name) {
        digest_reader(algo, &mut io::stdin().lock())
    } else {
        digest_reader(algo, &mut File::open(Path::new(name))?)
    }
}

/// The digest of everything `r` yields, read in large blocks.
pub fn digest_reader(algo: Algorithm, r: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut h = algo.hasher();
    let mut buf = vec![0u8; 128 * 1024];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(h.finish()),
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// What -c does besides checking.
#[derive(Clone, Copy)]
struct CheckOptions {
    /// `-s`: print nothing, only the exit status tells.
    status_only: bool,
    /// `-w`: name improperly formatted lines.
    warn: bool,
}

/// Splits a checksum line `HEX  NAME` or `HEX *NAME` into its digest and
/// file name; `None` if it is not one for a digest of `len` bytes.
fn parse_line(line: &[u8], len: usize) -> Option<(Vec<u8>, &[u8])> {
    let hexlen = len * 2;
    if line.len() < hexlen + 2 {
        return None;
    }
    let sep = line[hexlen + 1];
    if line[hexlen] != b' ' || (sep != b' ' && sep != b'*') {
        return None;
    }
    let mut digest = Vec::with_capacity(len);
    for pair in line[..hexlen].chunks_exact(2) {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        digest.push((hi * 16 + lo) as u8);
    }
    let name = &line[hexlen + 2..];
    if name.is_empty() {
        return None;
    }
    Some((digest, name))
}

/// Checks every line of checksum list `list`; returns the exit status.
fn check_list(
    applet: &str,
    algo: Algorithm,
    list: &OsStr,
    o: CheckOptions,
    out: &mut text::Out,
) -> i32 {
    let Some(mut r) = text::open_or_report(applet, list) else {
        return 1;
    };
    let mut failed = 0u64;
    let mut unreadable = 0u64;
    let mut bad_lines = 0u64;
    let mut good = 0u64;
    let mut line = Vec::new();
    let mut lineno = 0u64;
    loop {
        match text::read_record(&mut *r as &mut dyn BufRead, b'\n', &mut line) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                text::report_read(applet, list, &e);
                return 1;
            }
        }
        lineno += 1;
        let l = text::chomp(&line, b'\n');
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        let Some((want, name)) = parse_line(l, algo.len()) else {
            bad_lines += 1;
            if o.warn {
                error_msg(
                    applet,
                    &format!(
                        "{}: {lineno}: improperly formatted checksum line",
                        lossy(list)
                    ),
                );
            }
            continue;
        };
        let name = OsStr::from_bytes(name);
        let verdict = match digest_file(algo, name) {
            Ok(got) if got == want => {
                good += 1;
                "OK"
            }
            Ok(_) => {
                failed += 1;
                "FAILED"
            }
            Err(e) => {
                if !o.status_only {
                    report(applet, name, &e);
                }
                unreadable += 1;
                "FAILED open or read"
            }
        };
        if !o.status_only {
            let mut msg = name.as_bytes().to_vec();
            msg.extend_from_slice(b": ");
            msg.extend_from_slice(verdict.as_bytes());
            msg.push(b'\n');
            if let Err(e) = out.write_all(&msg) {
                return text::write_failed(applet, &e);
            }
        }
    }
    // Keep the warnings after the per-file lines they sum up.
    if let Err(e) = out.flush() {
        return text::write_failed(applet, &e);
    }
    let plural = |n: u64, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    if good == 0 && failed == 0 && unreadable == 0 {
        error_msg(
            applet,
            &format!(
                "{}: no properly formatted checksum lines found",
                lossy(list)
            ),
        );
        return 1;
    }
    if !o.status_only {
        if bad_lines > 0 {
            error_msg(
                applet,
                &format!(
                    "WARNING: {} improperly formatted",
                    plural(bad_lines, "line is", "lines are")
                ),
            );
        }
        if unreadable > 0 {
            error_msg(
                applet,
                &format!(
                    "WARNING: {} could not be read",
                    plural(unreadable, "listed file", "listed files")
                ),
            );
        }
        if failed > 0 {
            error_msg(
                applet,
                &format!(
                    "WARNING: {} did NOT match",
                    plural(failed, "computed checksum", "computed checksums")
                ),
            );
        }
    }
    i32::from(failed > 0 || unreadable > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_checksum_lines() {
        let hexd = "900150983cd24fb0d6963f7d28e17f72";
        let line = format!("{hexd}  a b");
        let (d, n) = parse_line(line.as_bytes(), 16).unwrap();
        assert_eq!(hex(&d), hexd);
        assert_eq!(n, b"a b");
        let line = format!("{hexd} *x");
        let (_, n) = parse_line(line.as_bytes(), 16).unwrap();
        assert_eq!(n, b"x");
        assert!(parse_line(format!("{hexd}  ").as_bytes(), 16).is_none());
        assert!(parse_line(format!("{hexd}x  a").as_bytes(), 16).is_none());
        assert!(parse_line(b"zz", 16).is_none());
    }
}
