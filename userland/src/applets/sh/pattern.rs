//! Shell pattern matching (XCU 2.13), shared by `case`, the `${x%pat}`
//! family and pathname expansion.
//!
//! A pattern is bytes in which a backslash makes the next byte literal: the
//! expander escapes every quoted byte that way, so "quoted parts match
//! literally" needs no separate representation of quoting.

use std::os::unix::ffi::OsStrExt;

/// Whether `p` has an unescaped `*`, `?` or `[` with a `]` after it: only
/// then can it match anything other than its own unescaped text. (A lone
/// `[`, as in the command `[`, must not cost a directory scan.)
pub fn has_meta(p: &[u8]) -> bool {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            b'\\' => i += 1,
            b'*' | b'?' => return true,
            b'[' if p[i + 1..].contains(&b']') => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

/// `p` with its escaping backslashes removed: the text it matches when it
/// has no metacharacters.
pub fn unescape(p: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(p.len());
    let mut i = 0;
    while i < p.len() {
        if p[i] == b'\\' && i + 1 < p.len() {
            i += 1;
        }
        out.push(p[i]);
        i += 1;
    }
    out
}

/// Removes the escaping backslashes of `p` where it is, as [`unescape`]
/// does; text without a backslash is left alone at no cost.
pub fn unescape_in_place(p: &mut Vec<u8>) {
    let Some(first) = p.iter().position(|&c| c == b'\\') else {
        return;
    };
    let (mut r, mut w) = (first, first);
    while r < p.len() {
        if p[r] == b'\\' && r + 1 < p.len() {
            r += 1;
        }
        p[w] = p[r];
        w += 1;
        r += 1;
    }
    p.truncate(w);
}

/// Whether the character class `[:name:]` contains `c`; `None` for an
/// unknown class name.
fn class(name: &[u8], c: u8) -> Option<bool> {
    Some(match name {
        b"alnum" => c.is_ascii_alphanumeric(),
        b"alpha" => c.is_ascii_alphabetic(),
        b"blank" => c == b' ' || c == b'\t',
        b"cntrl" => c.is_ascii_control(),
        b"digit" => c.is_ascii_digit(),
        b"graph" => c.is_ascii_graphic(),
        b"lower" => c.is_ascii_lowercase(),
        b"print" => c.is_ascii_graphic() || c == b' ',
        b"punct" => c.is_ascii_punctuation(),
        b"space" => c.is_ascii_whitespace() || c == 0x0b,
        b"upper" => c.is_ascii_uppercase(),
        b"xdigit" => c.is_ascii_hexdigit(),
        _ => return None,
    })
}

/// Matches the bracket expression starting at `p[0] == b'['` against `c`.
/// Returns whether it matched and its length, or `None` when there is no
/// closing `]` (the `[` is then an ordinary character).
fn bracket(p: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let mut lo = *p.get(i)?;
        if lo == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if lo == b'[' && p.get(i + 1) == Some(&b':') {
            if let Some(len) = p[i + 2..].windows(2).position(|w| w == b":]") {
                if let Some(m) = class(&p[i + 2..i + 2 + len], c) {
                    matched |= m;
                    i += len + 4;
                    continue;
                }
            }
        }
        if lo == b'\\' {
            i += 1;
            lo = *p.get(i)?;
        }
        i += 1;
        let mut hi = lo;
        if p.get(i) == Some(&b'-') && p.get(i + 1).is_some_and(|&e| e != b']') {
            i += 1;
            hi = p[i];
            if hi == b'\\' {
                i += 1;
                hi = *p.get(i)?;
            }
            i += 1;
        }
        matched |= lo <= c && c <= hi;
    }
}

/// Whether all of `s` matches pattern `p`.
pub fn matches(p: &[u8], s: &[u8]) -> bool {
    // Iterative matching with one backtrack point: on a mismatch after a
    // `*`, let that star swallow one more byte. This is linear in practice
    // and, unlike recursion, cannot exhaust the stack.
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    pi += 1;
                    star = Some((pi, si));
                    continue;
                }
                b'?' if si < s.len() => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                b'[' if si < s.len() => match bracket(&p[pi..], s[si]) {
                    Some((true, len)) => {
                        pi += len;
                        si += 1;
                        continue;
                    }
                    Some((false, _)) => {}
                    None if s[si] == b'[' => {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                    None => {}
                },
                b'?' | b'[' => {}
                c => {
                    let (c, len) = if c == b'\\' && pi + 1 < p.len() {
                        (p[pi + 1], 2)
                    } else {
                        (c, 1)
                    };
                    if s.get(si) == Some(&c) {
                        pi += len;
                        si += 1;
                        continue;
                    }
                }
            }
        } else if si == s.len() {
            return true;
        }
        match star {
            Some((sp, ss)) if ss < s.len() => {
                star = Some((sp, ss + 1));
                pi = sp;
                si = ss + 1;
            }
            _ => return false,
        }
    }
}

/// Pathname expansion: the existing paths `p` matches, sorted; empty when
/// none does. A leading `.` of a name must be matched explicitly, and `/`
/// only by a `/` in the pattern.
pub fn glob(p: &[u8]) -> Vec<Vec<u8>> {
    let absolute = p.first() == Some(&b'/');
    let comps: Vec<&[u8]> = p.split(|&c| c == b'/').filter(|c| !c.is_empty()).collect();
    let mut found = Vec::new();
    let start = if absolute { b"/".to_vec() } else { Vec::new() };
    walk(&start, &comps, &mut found);
    // A pattern ending in `/` matches directories only, written with it.
    if p.ends_with(b"/") && p.len() > 1 {
        found.retain(|f| is_dir(f));
        for f in &mut found {
            f.push(b'/');
        }
    }
    ibex_sort::sort(&mut found);
    found
}

/// Whether `path` names a directory (following symlinks).
fn is_dir(path: &[u8]) -> bool {
    std::fs::metadata(std::ffi::OsStr::from_bytes(path)).is_ok_and(|m| m.is_dir())
}

/// Extends `prefix` (empty or ending in `/`) by each way of matching the
/// remaining components, collecting the complete paths.
fn walk(prefix: &[u8], comps: &[&[u8]], found: &mut Vec<Vec<u8>>) {
    let Some((comp, rest)) = comps.split_first() else {
        return;
    };
    let join = |name: &[u8]| {
        let mut path = prefix.to_vec();
        path.extend_from_slice(name);
        path
    };
    let next = |path: Vec<u8>, found: &mut Vec<Vec<u8>>| {
        if rest.is_empty() {
            found.push(path);
        } else {
            let mut dir = path;
            dir.push(b'/');
            walk(&dir, rest, found);
        }
    };
    if !has_meta(comp) {
        let path = join(&unescape(comp));
        let os = std::ffi::OsStr::from_bytes(&path);
        // Only the final path has to exist: a missing directory on the way
        // fails at its `read_dir` anyway.
        if !rest.is_empty() || std::fs::symlink_metadata(os).is_ok() {
            next(path, found);
        }
        return;
    }
    let dir = if prefix.is_empty() { &b"."[..] } else { prefix };
    let Ok(entries) = std::fs::read_dir(std::ffi::OsStr::from_bytes(dir)) else {
        return;
    };
    let mut names: Vec<Vec<u8>> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().as_bytes().to_vec())
        .filter(|n| (n[0] != b'.' || comp.starts_with(b".")) && matches(comp, n))
        .collect();
    ibex_sort::sort(&mut names);
    for n in names {
        next(join(&n), found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(matches(b"*", b""));
        assert!(matches(b"a*c", b"abbbc"));
        assert!(!matches(b"a*c", b"abbb"));
        assert!(matches(b"a?c", b"abc"));
        assert!(!matches(b"a?c", b"ac"));
        assert!(matches(b"*.rs", b"main.rs"));
        assert!(matches(b"**a*", b"xxa"));
        assert!(matches(b"a\\*", b"a*"));
        assert!(!matches(b"a\\*", b"ab"));
    }

    #[test]
    fn brackets() {
        assert!(matches(b"[abc]", b"b"));
        assert!(!matches(b"[!abc]", b"b"));
        assert!(matches(b"[^abc]", b"d"));
        assert!(matches(b"[a-z]x", b"qx"));
        assert!(matches(b"[]]", b"]"));
        assert!(matches(b"[!]]", b"a"));
        assert!(matches(b"[[:digit:]]*", b"1a"));
        assert!(!matches(b"[[:alpha:]]", b"1"));
        assert!(matches(b"[a-]", b"-"));
        // No closing bracket: the `[` is literal.
        assert!(matches(b"[ab", b"[ab"));
        assert!(!matches(b"[ab", b"a"));
    }

    #[test]
    fn meta_and_unescape() {
        assert!(has_meta(b"a*"));
        assert!(!has_meta(b"a\\*"));
        assert_eq!(unescape(b"a\\*\\\\b"), b"a*\\b");
        for p in [&b"a\\*\\\\b"[..], b"plain", b"\\", b"x\\", b"\\\\\\"] {
            let mut v = p.to_vec();
            unescape_in_place(&mut v);
            assert_eq!(v, unescape(p));
        }
    }
}
