//! `cat [-nbu] [FILE]...`: copy files (or standard input, `-`) to standard
//! output.

use crate::common::{getopt, perror, Exit};
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::ffi::OsStrExt;

pub const USAGE: &str = "[-nbu] [FILE]...\n\nPrint FILEs to stdout\n\n\t-n\tNumber output lines\n\t-b\tNumber nonempty lines\n\t-u\tIgnored (output is unbuffered anyway)";

/// Entry point: each FILE in turn (stdin for `-` or none), numbering lines
/// continuously across files.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "nbu", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let numbering = if p.has('b') {
        Numbering::NonEmpty
    } else if p.has('n') {
        Numbering::All
    } else {
        Numbering::None
    };
    let operands = if p.operands.is_empty() {
        vec![OsString::from("-")]
    } else {
        p.operands
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut state = LineState {
        line: 0,
        at_start: true,
    };
    let mut status = 0;
    for name in &operands {
        let result = if name.as_bytes() == b"-" {
            let stdin = io::stdin();
            let fd = stdin.as_raw_fd();
            copy(&mut stdin.lock(), fd, &mut out, numbering, &mut state)
        } else {
            match std::fs::File::open(name) {
                Ok(mut f) => {
                    let fd = f.as_raw_fd();
                    copy(&mut f, fd, &mut out, numbering, &mut state)
                }
                Err(e) => {
                    perror(
                        "cat",
                        format!("can't open '{}'", name.to_string_lossy()),
                        &e,
                    );
                    status = 1;
                    continue;
                }
            }
        };
        match result {
            Ok(()) => {}
            Err(Failure::Read(e)) => {
                perror(
                    "cat",
                    format!("read error on '{}'", name.to_string_lossy()),
                    &e,
                );
                status = 1;
            }
            Err(Failure::Write(e)) => {
                perror("cat", "write error", &e);
                return 1;
            }
        }
    }
    if let Err(e) = out.flush() {
        perror("cat", "write error", &e);
        return 1;
    }
    status
}

/// Which lines -n / -b number.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Numbering {
    None,
    All,
    NonEmpty,
}

/// Where numbering stands: the last number given and whether the next
/// byte starts a line. It continues across files, as in BusyBox and
/// coreutils.
struct LineState {
    line: u64,
    at_start: bool,
}

/// Which side of a copy failed: a read error ends this file, a write error
/// ends cat.
enum Failure {
    Read(io::Error),
    Write(io::Error),
}

/// Copies `input` (whose descriptor is `fd`) to `out` (standard output),
/// numbering lines if asked. Plain copies go through the kernel first.
fn copy(
    input: &mut dyn Read,
    fd: RawFd,
    out: &mut dyn Write,
    numbering: Numbering,
    state: &mut LineState,
) -> Result<(), Failure> {
    if numbering == Numbering::None {
        out.flush().map_err(Failure::Write)?;
        if kernel_copy(fd, io::stdout().as_raw_fd()) {
            return Ok(());
        }
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut numbered = Vec::new();
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failure::Read(e)),
        };
        if numbering == Numbering::None {
            out.write_all(&buf[..n]).map_err(Failure::Write)?;
            continue;
        }
        // One write per chunk read: fast for files, and prompt for a
        // terminal, where each read returns one line.
        numbered.clear();
        number_lines(&buf[..n], numbering, state, &mut numbered);
        out.write_all(&numbered).map_err(Failure::Write)?;
    }
}

/// How many bytes one kernel copy call is asked for: large, but within
/// what sendfile and splice accept in one go.
const CHUNK: usize = 1 << 30;

/// The kernel's zero-copy ways, tried in turn.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Way {
    CopyFileRange,
    Splice,
    Sendfile,
}

/// Copies all of `from` to `to` inside the kernel, without passing the data
/// through user space: copy_file_range (file to file), splice (either end a
/// pipe), sendfile (from a file to anything). Returns true when `from` is
/// at its end; false when no way works (or one fails midway), in which case
/// the caller goes on with read and write from the current offset, which
/// all three calls keep up to date, and so reports any real error itself.
fn kernel_copy(from: RawFd, to: RawFd) -> bool {
    use nix::libc;
    for way in [Way::CopyFileRange, Way::Splice, Way::Sendfile] {
        let mut copied_any = false;
        loop {
            // SAFETY: both descriptors are open for the duration of the call,
            // and null offsets make the kernel use and advance the file
            // positions; no memory of ours is touched.
            let n = unsafe {
                match way {
                    Way::CopyFileRange => libc::copy_file_range(
                        from,
                        std::ptr::null_mut(),
                        to,
                        std::ptr::null_mut(),
                        CHUNK,
                        0,
                    ),
                    Way::Splice => libc::splice(
                        from,
                        std::ptr::null_mut(),
                        to,
                        std::ptr::null_mut(),
                        CHUNK,
                        libc::SPLICE_F_MOVE,
                    ),
                    Way::Sendfile => libc::sendfile(to, from, std::ptr::null_mut(), CHUNK),
                }
            };
            if n > 0 {
                copied_any = true;
                continue;
            }
            if n == 0 {
                // copy_file_range reports 0 at once for /proc and /sys files
                // on some kernels, though they are not empty: only trust an
                // end of file from it after some data.
                if way == Way::CopyFileRange && !copied_any {
                    break;
                }
                return true;
            }
            if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            // EINVAL, ENOSYS, EXDEV and the like: this way does not apply
            // to these files; a real error shows up again in read or write.
            break;
        }
    }
    false
}

/// Appends `input` to `out` with `%6u\t` line numbers in front of each line
/// (each non-empty line for -b); `state` carries over between chunks.
fn number_lines(input: &[u8], numbering: Numbering, state: &mut LineState, out: &mut Vec<u8>) {
    for line in input.split_inclusive(|&b| b == b'\n') {
        let blank = line == b"\n";
        if state.at_start && !(numbering == Numbering::NonEmpty && blank) {
            state.line += 1;
            out.extend_from_slice(format!("{:6}\t", state.line).as_bytes());
        }
        out.extend_from_slice(line);
        state.at_start = line.ends_with(b"\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers `chunks` as if read one after the other.
    fn numbered(chunks: &[&[u8]], numbering: Numbering) -> String {
        let mut state = LineState {
            line: 0,
            at_start: true,
        };
        let mut out = Vec::new();
        for chunk in chunks {
            number_lines(chunk, numbering, &mut state, &mut out);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbering_across_chunk_boundaries() {
        assert_eq!(
            numbered(&[b"a\n\nb", b"c\n", b"d"], Numbering::All),
            "     1\ta\n     2\t\n     3\tbc\n     4\td"
        );
        assert_eq!(
            numbered(&[b"a\n", b"\n", b"\nb\n"], Numbering::NonEmpty),
            "     1\ta\n\n\n     2\tb\n"
        );
    }
}
