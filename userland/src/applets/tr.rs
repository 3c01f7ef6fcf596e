//! `tr [-cdst] SET1 [SET2]`: translate, squeeze or delete bytes, with
//! ranges (`a-z`), classes (`[:alpha:]`), repeats (`[x*5]`) and
//! escapes (`\n \t \\ \NNN`).

use crate::common::{error_msg, getopt, usage_error, Exit};
use crate::text;
use std::ffi::OsString;
use std::io::{self, BufRead, Write};
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[-cdst] STRING1 [STRING2]\n\nTranslate, squeeze, or delete characters from stdin, writing to stdout\n\n\t-c, -C\tTake complement of STRING1\n\t-d\tDelete input characters coded STRING1\n\t-s\tSqueeze multiple output characters of STRING2 into one character\n\t-t\tTruncate STRING1 to the length of STRING2";

/// One parsed element of a set.
enum Item {
    /// Literal bytes (single characters, ranges, classes).
    Bytes(Vec<u8>),
    /// `[c*n]`; n = 0 (or missing) fills SET2 up to SET1's length.
    Repeat(u8, usize),
}

/// Reads one (possibly escaped) character at `s[*i]`.
fn one_char(s: &[u8], i: &mut usize) -> u8 {
    let c = s[*i];
    *i += 1;
    if c != b'\\' || *i >= s.len() {
        return c;
    }
    let e = s[*i];
    *i += 1;
    match e {
        b'a' => 7,
        b'b' => 8,
        b'f' => 12,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'v' => 11,
        b'0'..=b'7' => {
            let mut v = u32::from(e - b'0');
            let mut digits = 1;
            while digits < 3 && *i < s.len() && (b'0'..=b'7').contains(&s[*i]) {
                v = v * 8 + u32::from(s[*i] - b'0');
                *i += 1;
                digits += 1;
            }
            v as u8
        }
        other => other,
    }
}

/// The bytes of character class `name`, in ascending order.
fn class(name: &[u8]) -> Option<Vec<u8>> {
    let test: fn(&u8) -> bool = match name {
        b"alnum" => |c| c.is_ascii_alphanumeric(),
        b"alpha" => |c| c.is_ascii_alphabetic(),
        b"blank" => |c| *c == b' ' || *c == b'\t',
        b"cntrl" => |c| c.is_ascii_control(),
        b"digit" => |c| c.is_ascii_digit(),
        b"graph" => |c| c.is_ascii_graphic(),
        b"lower" => |c| c.is_ascii_lowercase(),
        b"print" => |c| (0x20..0x7f).contains(c),
        b"punct" => |c| c.is_ascii_punctuation(),
        b"space" => |c| c.is_ascii_whitespace() || *c == 11,
        b"upper" => |c| c.is_ascii_uppercase(),
        b"xdigit" => |c| c.is_ascii_hexdigit(),
        _ => return None,
    };
    Some((0u8..=255).filter(test).collect())
}

/// Parses a set into items.
fn parse(s: &[u8]) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'[' && i + 1 < s.len() {
            // [:class:], [=c=], [c*n]
            if s[i + 1] == b':' {
                if let Some(end) = find(s, i + 2, b":]") {
                    let name = &s[i + 2..end];
                    let Some(bytes) = class(name) else {
                        return Err(format!(
                            "invalid character class '{}'",
                            String::from_utf8_lossy(name)
                        ));
                    };
                    items.push(Item::Bytes(bytes));
                    i = end + 2;
                    continue;
                }
            } else if s[i + 1] == b'=' {
                if let Some(end) = find(s, i + 2, b"=]") {
                    let mut j = i + 2;
                    if j < end {
                        let c = one_char(s, &mut j);
                        if j == end {
                            items.push(Item::Bytes(vec![c]));
                            i = end + 2;
                            continue;
                        }
                    }
                }
            } else {
                let mut j = i + 1;
                let c = one_char(s, &mut j);
                if j < s.len() && s[j] == b'*' {
                    if let Some(end) = s[j..].iter().position(|&b| b == b']').map(|p| p + j) {
                        let digits = &s[j + 1..end];
                        if digits.iter().all(u8::is_ascii_digit) {
                            let radix = if digits.first() == Some(&b'0') { 8 } else { 10 };
                            let n = if digits.is_empty() {
                                0
                            } else {
                                std::str::from_utf8(digits)
                                    .ok()
                                    .and_then(|d| usize::from_str_radix(d, radix).ok())
                                    .ok_or_else(|| {
                                        format!(
                                            "invalid repeat count '{}'",
                                            String::from_utf8_lossy(digits)
                                        )
                                    })?
                            };
                            items.push(Item::Repeat(c, n));
                            i = end + 1;
                            continue;
                        }
                    }
                }
            }
        }
        let c = one_char(s, &mut i);
        if i + 1 < s.len() && s[i] == b'-' {
            let mut j = i + 1;
            let hi = one_char(s, &mut j);
            if hi < c {
                return Err(format!(
                    "range-endpoints of '{}-{}' are in reverse collating sequence order",
                    c as char, hi as char
                ));
            }
            items.push(Item::Bytes((c..=hi).collect()));
            i = j;
            continue;
        }
        items.push(Item::Bytes(vec![c]));
    }
    Ok(items)
}

/// Position of `pat` in `s` at or after `from`.
fn find(s: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    s.get(from..)?
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| p + from)
}

/// Expands items to a byte sequence; `fill` is the length a `[c*]` fills
/// up to.
fn expand(items: &[Item], fill: usize) -> Vec<u8> {
    let fixed: usize = items
        .iter()
        .map(|it| match it {
            Item::Bytes(b) => b.len(),
            Item::Repeat(_, n) => *n,
        })
        .sum();
    let mut out = Vec::new();
    for it in items {
        match it {
            Item::Bytes(b) => out.extend_from_slice(b),
            Item::Repeat(c, 0) => out.resize(out.len() + fill.saturating_sub(fixed), *c),
            Item::Repeat(c, n) => out.resize(out.len() + (*n).min(1 << 20), *c),
        }
    }
    out
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "cCdst",
        &[
            ("complement", 'c'),
            ("delete", 'd'),
            ("squeeze-repeats", 's'),
            ("truncate-set1", 't'),
        ],
        // Sets may start with '-' (`tr a -x`): options come first only.
        false,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let (delete, squeeze) = (p.has('d'), p.has('s'));
    let complement = p.has('c') || p.has('C');
    let needed = if delete == squeeze && delete {
        2
    } else if delete || squeeze {
        1
    } else {
        2
    };
    if p.operands.is_empty() || p.operands.len() < needed {
        return usage_error("tr", "missing operand");
    }
    if p.operands.len() > 2 || (delete && !squeeze && p.operands.len() > 1) {
        return usage_error(
            "tr",
            &format!(
                "extra operand '{}'",
                p.operands[p.operands.len() - 1].to_string_lossy()
            ),
        );
    }
    let parsed: Result<Vec<Vec<Item>>, String> =
        p.operands.iter().map(|o| parse(o.as_bytes())).collect();
    let sets = match parsed {
        Ok(s) => s,
        Err(msg) => {
            error_msg("tr", &msg);
            return 1;
        }
    };
    let mut set1 = expand(&sets[0], 0);
    if complement {
        let mut member = [false; 256];
        for &b in &set1 {
            member[usize::from(b)] = true;
        }
        set1 = (0u8..=255).filter(|&b| !member[usize::from(b)]).collect();
    }
    let set2 = sets.get(1).map(|s| expand(s, set1.len()));
    let mut map: [u8; 256] = std::array::from_fn(|i| i as u8);
    let mut del = [false; 256];
    let mut squeeze_set = [false; 256];
    if delete {
        for &b in &set1 {
            del[usize::from(b)] = true;
        }
    }
    match &set2 {
        Some(s2) if !delete => {
            if s2.is_empty() && !set1.is_empty() {
                error_msg("tr", "when not truncating set1, string2 must be non-empty");
                return 1;
            }
            let n = if p.has('t') {
                set1.len().min(s2.len())
            } else {
                set1.len()
            };
            for (i, &b) in set1.iter().take(n).enumerate() {
                map[usize::from(b)] = s2[i.min(s2.len() - 1)];
            }
        }
        _ => {}
    }
    if squeeze {
        let which = match &set2 {
            Some(s2) => s2,
            None => &set1,
        };
        for &b in which {
            squeeze_set[usize::from(b)] = true;
        }
    }
    match run(&map, &del, &squeeze_set, squeeze) {
        Ok(()) => 0,
        Err((true, e)) => text::write_failed("tr", &e),
        Err((false, e)) => {
            crate::common::perror("tr", "read error", &e);
            1
        }
    }
}

/// Filters standard input to standard output. Errors say whether they
/// came from the write side.
fn run(
    map: &[u8; 256],
    del: &[bool; 256],
    squeeze_set: &[bool; 256],
    squeeze: bool,
) -> Result<(), (bool, io::Error)> {
    let mut input = io::BufReader::with_capacity(text::BUF_SIZE, io::stdin().lock());
    let mut out = text::stdout();
    let mut buf = Vec::with_capacity(text::BUF_SIZE);
    let mut last: Option<u8> = None;
    loop {
        let data = input.fill_buf().map_err(|e| (false, e))?;
        if data.is_empty() {
            break;
        }
        buf.clear();
        for &b in data {
            if del[usize::from(b)] {
                continue;
            }
            let c = map[usize::from(b)];
            if squeeze && squeeze_set[usize::from(c)] && last == Some(c) {
                continue;
            }
            last = Some(c);
            buf.push(c);
        }
        let n = data.len();
        input.consume(n);
        out.write_all(&buf).map_err(|e| (true, e))?;
    }
    out.flush().map_err(|e| (true, e))
}
