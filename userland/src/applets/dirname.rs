//! `dirname NAME...`: strip the last component from file names.

use crate::common::{getopt, usage_error, Exit};
use crate::text;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "FILENAME\n\nStrip non-directory suffix from FILENAME";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "z", &[("zero", 'z')], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    if p.operands.is_empty() {
        return usage_error("dirname", "missing operand");
    }
    let end = if p.has('z') { b'\0' } else { b'\n' };
    let mut out = text::stdout();
    for name in &p.operands {
        let mut d = dirname(name.as_bytes()).to_vec();
        d.push(end);
        if let Err(e) = out.write_all(&d) {
            return text::write_failed("dirname", &e);
        }
    }
    text::finish("dirname", &mut out, 0)
}

/// The directory part of `path`, by POSIX's rules: `.` when there is no
/// slash, `/` for the root, trailing slashes ignored.
pub fn dirname(path: &[u8]) -> &[u8] {
    // Drop trailing slashes, then the last component, then the slashes
    // before it.
    let Some(last) = path.iter().rposition(|&b| b != b'/') else {
        return if path.is_empty() { b"." } else { b"/" };
    };
    let Some(slash) = path[..=last].iter().rposition(|&b| b == b'/') else {
        return b".";
    };
    match path[..slash].iter().rposition(|&b| b != b'/') {
        Some(end) => &path[..=end],
        None => b"/",
    }
}

#[cfg(test)]
mod tests {
    use super::dirname;

    #[test]
    fn posix_cases() {
        assert_eq!(dirname(b"/usr/lib/"), b"/usr");
        assert_eq!(dirname(b"/usr//lib"), b"/usr");
        assert_eq!(dirname(b"lib"), b".");
        assert_eq!(dirname(b"/lib"), b"/");
        assert_eq!(dirname(b"//"), b"/");
        assert_eq!(dirname(b""), b".");
        assert_eq!(dirname(b"a/"), b".");
    }
}
