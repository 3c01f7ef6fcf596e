//! `basename [-a] [-s SUFFIX] NAME... | basename NAME [SUFFIX]`: strip the
//! directory (and a suffix) from file names.

use crate::common::{getopt, usage_error, Exit};
use crate::text;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[-s SUFFIX] [-a] FILE [SUFFIX]...\n\nStrip directory path and SUFFIX from FILE\n\n\t-a\t\tAll arguments are FILEs\n\t-s SUFFIX\tRemove SUFFIX (implies -a)";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "as:z",
        &[("multiple", 'a'), ("suffix", 's'), ("zero", 'z')],
        false,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.is_empty() {
        return usage_error("basename", "missing operand");
    }
    let all = p.has('a') || p.has('s');
    let (names, suffix): (&[OsString], Option<&[u8]>) = if all {
        (&p.operands, p.value('s').map(|s| s.as_bytes()))
    } else {
        match p.operands.len() {
            1 => (&p.operands[..1], None),
            2 => (&p.operands[..1], Some(p.operands[1].as_bytes())),
            _ => {
                return usage_error(
                    "basename",
                    &format!("extra operand '{}'", p.operands[2].to_string_lossy()),
                )
            }
        }
    };
    let end = if p.has('z') { b'\0' } else { b'\n' };
    let mut out = text::stdout();
    for name in names {
        let mut base = basename(name.as_bytes()).to_vec();
        if let Some(sfx) = suffix {
            if !sfx.is_empty() && base.len() > sfx.len() && base.ends_with(sfx) {
                base.truncate(base.len() - sfx.len());
            }
        }
        base.push(end);
        if let Err(e) = out.write_all(&base) {
            return text::write_failed("basename", &e);
        }
    }
    text::finish("basename", &mut out, 0)
}

/// The last component of `path` (POSIX: trailing slashes ignored, `/` for
/// a path of slashes only, empty for an empty path).
pub fn basename(path: &[u8]) -> &[u8] {
    let trimmed = match path.iter().rposition(|&b| b != b'/') {
        Some(last) => &path[..=last],
        None if path.is_empty() => return path,
        None => return b"/",
    };
    match trimmed.iter().rposition(|&b| b == b'/') {
        Some(slash) => &trimmed[slash + 1..],
        None => trimmed,
    }
}

#[cfg(test)]
mod tests {
    use super::basename;

    #[test]
    fn components() {
        assert_eq!(basename(b"/usr/lib/"), b"lib");
        assert_eq!(basename(b"///"), b"/");
        assert_eq!(basename(b"a"), b"a");
        assert_eq!(basename(b""), b"");
    }
}
