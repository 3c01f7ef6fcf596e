//! `od [-bcdosxv] [-A RADIX] [-t TYPE]... [-j SKIP] [-N LEN] [FILE]...`:
//! dump files in octal, decimal, hex or as characters, laid out as GNU od.

use crate::common::{error_msg, getopt, Exit};
use crate::text::{self, Concat};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[-bcdilosxv] [-t TYPE] [-A RADIX] [-N SIZE] [-j SKIP] [FILE]...\n\nPrint FILEs (or stdin) unambiguously, as octal bytes by default\n\n\t-A d|o|x|n\tAddress radix\n\t-t TYPE\t\ta, c, d[SIZE], o[SIZE], u[SIZE], x[SIZE] (SIZE 1, 2, 4, 8, C, S, I, L)\n\t-j SKIP\t\tSkip SKIP input bytes\n\t-N LEN\t\tDump at most LEN bytes\n\t-v\t\tShow repeated lines (default: *)\n\t-b -c -d -o -s -x\tSame as -t o1, c, u2, o2, d2, x2";

/// Bytes shown per line.
const LINE: usize = 16;

/// How one output line shows its bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Named characters (`nul`, `sp`).
    Named,
    /// C-style characters (`\n`, `001`).
    Char,
    Signed,
    Unsigned,
    Octal,
    Hex,
}

/// One -t type: kind, element size and printed width (separator included).
#[derive(Clone, Copy)]
struct Type {
    kind: Kind,
    size: usize,
    width: usize,
}

impl Type {
    fn new(kind: Kind, size: usize) -> Type {
        let idx = size.trailing_zeros() as usize;
        let width = match kind {
            Kind::Named | Kind::Char => 4,
            Kind::Signed => [5, 7, 12, 21][idx],
            Kind::Unsigned => [4, 6, 11, 21][idx],
            Kind::Octal => [4, 7, 12, 23][idx],
            Kind::Hex => [3, 5, 9, 17][idx],
        };
        Type { kind, size, width }
    }
}

/// Parses a -t argument (several types may be run together: `x1c`).
fn parse_types(s: &[u8], out: &mut Vec<Type>) -> bool {
    let mut i = 0;
    while i < s.len() {
        let kind = match s[i] {
            b'a' => Kind::Named,
            b'c' => Kind::Char,
            b'd' => Kind::Signed,
            b'u' => Kind::Unsigned,
            b'o' => Kind::Octal,
            b'x' => Kind::Hex,
            _ => return false,
        };
        i += 1;
        let mut size = if matches!(kind, Kind::Named | Kind::Char) {
            1
        } else {
            4
        };
        if !matches!(kind, Kind::Named | Kind::Char) {
            match s.get(i) {
                Some(b'C') => {
                    size = 1;
                    i += 1;
                }
                Some(b'S') => {
                    size = 2;
                    i += 1;
                }
                Some(b'I') => {
                    size = 4;
                    i += 1;
                }
                Some(b'L') => {
                    size = 8;
                    i += 1;
                }
                Some(c) if c.is_ascii_digit() => {
                    let d = s[i..].iter().take_while(|c| c.is_ascii_digit()).count();
                    size = match &s[i..i + d] {
                        b"1" => 1,
                        b"2" => 2,
                        b"4" => 4,
                        b"8" => 8,
                        _ => return false,
                    };
                    i += d;
                }
                _ => {}
            }
        }
        out.push(Type::new(kind, size));
    }
    true
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "A:t:j:N:vbcdosxil",
        &[
            ("address-radix", 'A'),
            ("format", 't'),
            ("skip-bytes", 'j'),
            ("read-bytes", 'N'),
            ("output-duplicates", 'v'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut types = Vec::new();
    for (opt, value) in &p.opts {
        let ok = match (opt, value) {
            ('t', Some(v)) => parse_types(v.as_bytes(), &mut types),
            ('b', _) => parse_types(b"o1", &mut types),
            ('c', _) => parse_types(b"c", &mut types),
            ('d', _) => parse_types(b"u2", &mut types),
            ('o', _) => parse_types(b"o2", &mut types),
            ('s', _) => parse_types(b"d2", &mut types),
            ('x', _) => parse_types(b"x2", &mut types),
            ('i', _) => parse_types(b"d4", &mut types),
            ('l', _) => parse_types(b"d8", &mut types),
            _ => true,
        };
        if !ok {
            if let Some(v) = value {
                error_msg(
                    "od",
                    &format!("invalid type string '{}'", v.to_string_lossy()),
                );
            }
            return 1;
        }
    }
    if types.is_empty() {
        types.push(Type::new(Kind::Octal, 2));
    }
    let radix = match p.value('A').map(|a| a.as_bytes()) {
        None | Some(b"o") => Some((8, 7)),
        Some(b"d") => Some((10, 7)),
        Some(b"x") => Some((16, 6)),
        Some(b"n") => None,
        Some(other) => {
            error_msg(
                "od",
                &format!(
                    "invalid output address radix '{}'",
                    String::from_utf8_lossy(other)
                ),
            );
            return 1;
        }
    };
    let count = |c: char| -> Result<Option<u64>, ()> {
        match p.value(c) {
            None => Ok(None),
            Some(v) => parse_offset(v.as_bytes()).map(Some).ok_or_else(|| {
                error_msg("od", &format!("invalid number '{}'", v.to_string_lossy()));
            }),
        }
    };
    let (Ok(skip), Ok(limit)) = (count('j'), count('N')) else {
        return 1;
    };
    let mut input = Concat::new("od", &p.operands);
    let mut offset = 0;
    if let Some(skip) = skip {
        offset = input.skip(skip);
        if offset < skip {
            error_msg("od", "cannot skip past end of combined input");
            return 1;
        }
    }
    // Fields are padded so that every type's line is as wide as the widest.
    let line_width = types
        .iter()
        .map(|t| t.width * LINE / t.size)
        .max()
        .unwrap_or(0);
    let mut out = text::stdout();
    let mut left = limit.unwrap_or(u64::MAX);
    let mut block = [0u8; LINE];
    let mut prev: Option<[u8; LINE]> = None;
    let mut starred = false;
    let mut line = Vec::new();
    loop {
        let want = left.min(LINE as u64) as usize;
        let n = if want == 0 {
            0
        } else {
            input.fill(&mut block[..want])
        };
        if n == 0 {
            break;
        }
        left -= n as u64;
        if n == LINE && !p.has('v') && prev == Some(block) {
            if !starred {
                line.extend_from_slice(b"*\n");
                starred = true;
            }
        } else {
            starred = false;
            block[n..].fill(0);
            for (i, t) in types.iter().enumerate() {
                match radix {
                    Some(_) if i > 0 => line.resize(line.len() + address_width(radix), b' '),
                    Some(r) => line.extend_from_slice(address(offset, r).as_bytes()),
                    None => {}
                }
                format_line(&block, n, t, line_width, &mut line);
                line.push(b'\n');
            }
        }
        prev = if n == LINE { Some(block) } else { None };
        offset += n as u64;
        if line.len() > text::BUF_SIZE {
            if let Err(e) = out.write_all(&line) {
                return text::write_failed("od", &e);
            }
            line.clear();
        }
        if n < want {
            break;
        }
    }
    if let Some(r) = radix {
        line.extend_from_slice(address(offset, r).as_bytes());
        line.push(b'\n');
    }
    if let Err(e) = out.write_all(&line) {
        return text::write_failed("od", &e);
    }
    text::finish("od", &mut out, i32::from(input.failed))
}

/// Width of the address column.
fn address_width(radix: Option<(u32, usize)>) -> usize {
    radix.map_or(0, |(_, w)| w)
}

/// An address in `radix`, zero-padded to its width.
fn address(offset: u64, (radix, width): (u32, usize)) -> String {
    match radix {
        8 => format!("{offset:0width$o}"),
        10 => format!("{offset:0width$}"),
        _ => format!("{offset:0width$x}"),
    }
}

/// -j/-N values: decimal, 0x hex or 0 octal, with b/k/m suffixes.
fn parse_offset(s: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(s).ok()?;
    let (digits, mult) = match text.as_bytes().last()? {
        b'b' if !text.starts_with("0x") => (&text[..text.len() - 1], 512),
        b'k' => (&text[..text.len() - 1], 1024),
        b'm' => (&text[..text.len() - 1], 1024 * 1024),
        _ => (text, 1),
    };
    let v = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        u64::from_str_radix(h, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse().ok()?
    };
    v.checked_mul(mult)
}

/// Names for -t a, by byte value (high bit ignored).
const NAMES: [&str; 33] = [
    "nul", "soh", "stx", "etx", "eot", "enq", "ack", "bel", "bs", "ht", "nl", "vt", "ff", "cr",
    "so", "si", "dle", "dc1", "dc2", "dc3", "dc4", "nak", "syn", "etb", "can", "em", "sub", "esc",
    "fs", "gs", "rs", "us", "sp",
];

/// Appends the fields of one line (`n` valid bytes of `block`) for type `t`,
/// spreading padding up to `line_width` over the fields as GNU od does.
fn format_line(block: &[u8; LINE], n: usize, t: &Type, line_width: usize, out: &mut Vec<u8>) {
    let fields = LINE / t.size;
    let shown = n.div_ceil(t.size);
    let pad = line_width - fields * t.width;
    let mut pad_remaining = pad;
    for i in 0..shown {
        let next_pad = pad * (fields - i - 1) / fields;
        let width = pad_remaining - next_pad + t.width;
        pad_remaining = next_pad;
        let bytes = &block[i * t.size..(i + 1) * t.size];
        let mut raw = [0u8; 8];
        raw[..t.size].copy_from_slice(bytes);
        let u = u64::from_le_bytes(raw);
        // Fields are built in a small buffer: no allocation per field.
        let mut tmp = [0u8; 24];
        let field: &[u8] = match t.kind {
            Kind::Named => {
                let b = bytes[0] & 0x7f;
                if b == 0x7f {
                    b"del"
                } else if b <= 0x20 {
                    NAMES[usize::from(b)].as_bytes()
                } else {
                    tmp[0] = b;
                    &tmp[..1]
                }
            }
            Kind::Char => match bytes[0] {
                0 => b"\\0",
                7 => b"\\a",
                8 => b"\\b",
                9 => b"\\t",
                10 => b"\\n",
                11 => b"\\v",
                12 => b"\\f",
                13 => b"\\r",
                b @ 0x20..=0x7e => {
                    tmp[0] = b;
                    &tmp[..1]
                }
                b => digits(u64::from(b), 8, 3, false, &mut tmp),
            },
            Kind::Signed => {
                let shift = 64 - 8 * t.size as u32;
                let v = ((u << shift) as i64) >> shift;
                digits(v.unsigned_abs(), 10, 1, v < 0, &mut tmp)
            }
            Kind::Unsigned => digits(u, 10, 1, false, &mut tmp),
            Kind::Octal => digits(u, 8, t.width - 1, false, &mut tmp),
            Kind::Hex => digits(u, 16, t.width - 1, false, &mut tmp),
        };
        out.resize(out.len() + width.saturating_sub(field.len()), b' ');
        out.extend_from_slice(field);
    }
}

/// Writes `v` in `radix` with at least `min` digits (and a minus sign if
/// `neg`) at the end of `buf`, returning the written part.
fn digits(mut v: u64, radix: u64, min: usize, neg: bool, buf: &mut [u8; 24]) -> &[u8] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = DIGITS[(v % radix) as usize];
        v /= radix;
        if v == 0 && buf.len() - i >= min {
            break;
        }
    }
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}
