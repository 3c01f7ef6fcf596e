//! The `test` and `[` builtins (XCU `test`): file tests, string and
//! integer comparisons, combined with `!`, `-a`, `-o` and parentheses.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};

use nix::unistd::{access, AccessFlags};

use super::exec::{Shell, Status};

/// Operators taking one operand.
const UNARY: &[&[u8]] = &[
    b"-e", b"-f", b"-d", b"-r", b"-w", b"-x", b"-s", b"-L", b"-h", b"-b", b"-c", b"-p", b"-S",
    b"-n", b"-z", b"-t", b"-g", b"-u", b"-k",
];

/// Whether `op` is an operator between two operands. A `match` rather
/// than a table: it is asked twice per `[ a OP b ]`, and each entry of a
/// table cost a `memcmp` call in the device build.
fn is_binary(op: &[u8]) -> bool {
    matches!(
        op,
        b"=" | b"=="
            | b"!="
            | b"<"
            | b">"
            | b"-eq"
            | b"-ne"
            | b"-lt"
            | b"-le"
            | b"-gt"
            | b"-ge"
            | b"-nt"
            | b"-ot"
            | b"-ef"
    )
}

/// `test EXPR` and `[ EXPR ]`: status 0 when true, 1 when false, 2 on a
/// malformed expression.
pub fn test(_: &mut Shell, argv: &[Vec<u8>]) -> Status {
    Ok(run("sh: ", argv))
}

/// `test EXPR` or `[ EXPR ]` (by `argv[0]`), shared by the shell builtin
/// and the standalone applets; `who` is put before the messages' `test:`
/// or `[:` (`"sh: "` or `""`). Returns the exit status.
pub fn run(who: &str, argv: &[Vec<u8>]) -> i32 {
    let Some(first) = argv.first() else {
        return 2;
    };
    let mut args: Vec<&[u8]> = argv[1..].iter().map(Vec::as_slice).collect();
    if first.as_slice() == b"[" {
        if args.last() != Some(&&b"]"[..]) {
            eprintln!("{who}[: missing ]");
            return 2;
        }
        args.pop();
    }
    let mut p = Test {
        args: &args,
        pos: 0,
    };
    let r = if args.is_empty() {
        Ok(false)
    } else {
        p.or().and_then(|v| {
            if p.pos < args.len() {
                Err(format!(
                    "{}: unexpected operator",
                    String::from_utf8_lossy(args[p.pos])
                ))
            } else {
                Ok(v)
            }
        })
    };
    match r {
        Ok(v) => i32::from(!v),
        Err(msg) => {
            eprintln!("{who}test: {msg}");
            2
        }
    }
}

/// A recursive-descent parser that evaluates as it goes.
struct Test<'a> {
    args: &'a [&'a [u8]],
    pos: usize,
}

impl<'a> Test<'a> {
    fn peek(&self, off: usize) -> Option<&'a [u8]> {
        self.args.get(self.pos + off).copied()
    }

    /// `and [-o and]...`
    fn or(&mut self) -> Result<bool, String> {
        let mut v = self.and()?;
        while self.peek(0) == Some(b"-o") {
            self.pos += 1;
            v |= self.and()?;
        }
        Ok(v)
    }

    /// `not [-a not]...`
    fn and(&mut self) -> Result<bool, String> {
        let mut v = self.not()?;
        while self.peek(0) == Some(b"-a") {
            self.pos += 1;
            v &= self.not()?;
        }
        Ok(v)
    }

    /// `! not` or a primary. A `!` with nothing after it, or before a
    /// binary operator, is a string.
    fn not(&mut self) -> Result<bool, String> {
        let binary_next = self.peek(2).is_some() && self.peek(1).is_some_and(is_binary);
        if self.peek(0) == Some(b"!") && self.peek(1).is_some() && !binary_next {
            self.pos += 1;
            return Ok(!self.not()?);
        }
        self.primary()
    }

    /// A binary test, `( expr )`, a unary test or a string. A binary
    /// operator in second place wins, so that `[ ! = x ]` compares strings.
    fn primary(&mut self) -> Result<bool, String> {
        let Some(a) = self.peek(0) else {
            return Err("argument expected".into());
        };
        if let (Some(op), Some(b)) = (self.peek(1), self.peek(2)) {
            if is_binary(op) {
                self.pos += 3;
                return binary(a, op, b);
            }
        }
        if a == b"(" && self.peek(1).is_some() {
            self.pos += 1;
            let v = self.or()?;
            if self.peek(0) != Some(b")") {
                return Err("missing )".into());
            }
            self.pos += 1;
            return Ok(v);
        }
        if UNARY.contains(&a) {
            if let Some(b) = self.peek(1) {
                self.pos += 2;
                return unary(a, b);
            }
        }
        self.pos += 1;
        Ok(!a.is_empty())
    }
}

/// An integer operand.
fn int(s: &[u8]) -> Result<i64, String> {
    // Plain digits, as in every loop's `[ $i -lt N ]`, skip the UTF-8
    // check, the trimming and the general parser.
    if let Some(v) = super::arith::small_decimal(s) {
        return Ok(v);
    }
    let t = std::str::from_utf8(s).unwrap_or("").trim();
    t.parse()
        .map_err(|_| format!("{}: bad number", String::from_utf8_lossy(s)))
}

/// Evaluates a unary test.
fn unary(op: &[u8], arg: &[u8]) -> Result<bool, String> {
    let path = std::ffi::OsStr::from_bytes(arg);
    let meta = || std::fs::metadata(path).ok();
    let can = |mode| !arg.is_empty() && access(path, mode).is_ok();
    Ok(match op {
        b"-n" => !arg.is_empty(),
        b"-z" => arg.is_empty(),
        b"-e" => meta().is_some(),
        b"-f" => meta().is_some_and(|m| m.is_file()),
        b"-d" => meta().is_some_and(|m| m.is_dir()),
        b"-s" => meta().is_some_and(|m| m.len() > 0),
        b"-b" => meta().is_some_and(|m| m.file_type().is_block_device()),
        b"-c" => meta().is_some_and(|m| m.file_type().is_char_device()),
        b"-p" => meta().is_some_and(|m| m.file_type().is_fifo()),
        b"-S" => meta().is_some_and(|m| m.file_type().is_socket()),
        b"-g" => meta().is_some_and(|m| m.mode() & 0o2000 != 0),
        b"-u" => meta().is_some_and(|m| m.mode() & 0o4000 != 0),
        b"-k" => meta().is_some_and(|m| m.mode() & 0o1000 != 0),
        b"-L" | b"-h" => std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()),
        b"-r" => can(AccessFlags::R_OK),
        b"-w" => can(AccessFlags::W_OK),
        b"-x" => can(AccessFlags::X_OK),
        b"-t" => {
            let fd = int(arg)?;
            i32::try_from(fd).is_ok_and(|fd| {
                // SAFETY: isatty only inspects the descriptor number.
                unsafe { nix::libc::isatty(fd) == 1 }
            })
        }
        _ => return Err("unknown operator".into()),
    })
}

/// Evaluates a binary test.
fn binary(a: &[u8], op: &[u8], b: &[u8]) -> Result<bool, String> {
    let mtime = |p: &[u8]| {
        std::fs::metadata(std::ffi::OsStr::from_bytes(p))
            .ok()
            .map(|m| (m.mtime(), m.mtime_nsec()))
    };
    Ok(match op {
        b"=" | b"==" => a == b,
        b"!=" => a != b,
        b"<" => a < b,
        b">" => a > b,
        b"-nt" => {
            matches!((mtime(a), mtime(b)), (Some(x), Some(y)) if x > y)
                || (mtime(a).is_some() && mtime(b).is_none())
        }
        b"-ot" => {
            matches!((mtime(a), mtime(b)), (Some(x), Some(y)) if x < y)
                || (mtime(a).is_none() && mtime(b).is_some())
        }
        b"-ef" => {
            let id = |p: &[u8]| {
                std::fs::metadata(std::ffi::OsStr::from_bytes(p))
                    .ok()
                    .map(|m| (m.dev(), m.ino()))
            };
            matches!((id(a), id(b)), (Some(x), Some(y)) if x == y)
        }
        _ => {
            let (x, y) = (int(a)?, int(b)?);
            match op {
                b"-eq" => x == y,
                b"-ne" => x != y,
                b"-lt" => x < y,
                b"-le" => x <= y,
                b"-gt" => x > y,
                _ => x >= y,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(args: &[&str]) -> Result<bool, String> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let mut t = Test {
            args: &args,
            pos: 0,
        };
        t.or()
    }

    #[test]
    fn expressions() {
        assert_eq!(eval(&["a"]), Ok(true));
        assert_eq!(eval(&[""]), Ok(false));
        assert_eq!(eval(&["!", "a"]), Ok(false));
        assert_eq!(eval(&["!", "=", "a"]), Ok(false));
        assert_eq!(eval(&["-n"]), Ok(true));
        assert_eq!(eval(&["1", "-lt", "2", "-a", "b", "!=", "c"]), Ok(true));
        assert_eq!(eval(&["(", "", ")", "-o", "x"]), Ok(true));
        assert!(eval(&["1", "-eq", "x"]).is_err());
        assert!(eval(&["(", "a"]).is_err());
    }
}
