//! `hexdump [-Cv] [-n LEN] [-s OFFSET] [FILE]...`: dump files in hex, in
//! util-linux's (and BusyBox's) layouts: 16-bit words by default, bytes
//! and characters with -C.

use crate::common::{error_msg, getopt, Exit};
use crate::text::{self, Concat};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[-Cv] [-n LENGTH] [-s OFFSET] [FILE]...\n\nDisplay FILEs (or stdin) in a user specified format\n\n\t-C\t\tHex+ASCII 16 bytes per line\n\t-n LENGTH\tInterpret only LENGTH bytes of input\n\t-s OFFSET\tSkip OFFSET bytes\n\t-v\t\tDisplay all input data";

/// Bytes per line.
const LINE: usize = 16;

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "Cvn:s:",
        &[
            ("canonical", 'C'),
            ("no-squeezing", 'v'),
            ("length", 'n'),
            ("skip", 's'),
        ],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let number = |c: char| -> Result<Option<u64>, ()> {
        match p.value(c) {
            None => Ok(None),
            Some(v) => parse_number(v.as_bytes()).map(Some).ok_or_else(|| {
                error_msg(
                    "hexdump",
                    &format!("invalid number '{}'", v.to_string_lossy()),
                );
            }),
        }
    };
    let (Ok(length), Ok(skip)) = (number('n'), number('s')) else {
        return 1;
    };
    let canonical = p.has('C');
    let mut input = Concat::new("hexdump", &p.operands);
    let offset_start = skip.map_or(0, |s| input.skip(s));
    let mut offset = offset_start;
    let mut left = length.unwrap_or(u64::MAX);
    let mut out = text::stdout();
    let mut block = [0u8; LINE];
    let mut prev: Option<[u8; LINE]> = None;
    let mut starred = false;
    let mut buf = Vec::new();
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
                buf.extend_from_slice(b"*\n");
                starred = true;
            }
        } else {
            starred = false;
            if canonical {
                canonical_line(offset, &block[..n], &mut buf);
            } else {
                word_line(offset, &block[..n], &mut buf);
            }
        }
        prev = if n == LINE { Some(block) } else { None };
        offset += n as u64;
        if buf.len() > text::BUF_SIZE {
            if let Err(e) = out.write_all(&buf) {
                return text::write_failed("hexdump", &e);
            }
            buf.clear();
        }
        if n < want {
            break;
        }
    }
    // The final address, once anything was shown or skipped.
    if offset > 0 {
        let end = if canonical {
            format!("{offset:08x}\n")
        } else {
            format!("{offset:07x}\n")
        };
        buf.extend_from_slice(end.as_bytes());
    }
    if let Err(e) = out.write_all(&buf) {
        return text::write_failed("hexdump", &e);
    }
    text::finish("hexdump", &mut out, i32::from(input.failed))
}

/// `-n`/`-s` values: decimal, 0x hex or 0 octal, with b/k/m suffixes.
fn parse_number(s: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(s).ok()?;
    let hex = text.starts_with("0x") || text.starts_with("0X");
    let (digits, mult) = match text.as_bytes().last()? {
        b'b' if !hex => (&text[..text.len() - 1], 512),
        b'k' => (&text[..text.len() - 1], 1024),
        b'm' => (&text[..text.len() - 1], 1024 * 1024),
        _ => (text, 1),
    };
    let v = if hex {
        u64::from_str_radix(&digits[2..], 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse().ok()?
    };
    v.checked_mul(mult)
}

/// `-C`: `%08x  xx xx .. xx  xx .. xx  |text|`.
fn canonical_line(offset: u64, bytes: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(format!("{offset:08x} ").as_bytes());
    for i in 0..LINE {
        if i % 8 == 0 {
            out.push(b' ');
        }
        match bytes.get(i) {
            Some(&b) => {
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
                out.push(b' ');
            }
            None => out.extend_from_slice(b"   "),
        }
    }
    out.extend_from_slice(b" |");
    out.extend(
        bytes
            .iter()
            .map(|&b| if (0x20..0x7f).contains(&b) { b } else { b'.' }),
    );
    out.extend_from_slice(b"|\n");
}

/// Default: `%07x` then little-endian 16-bit words as ` %04x`, the line
/// padded to full width.
fn word_line(offset: u64, bytes: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("{offset:07x}").as_bytes());
    for i in 0..LINE / 2 {
        match bytes.get(2 * i) {
            Some(&lo) => {
                let hi = bytes.get(2 * i + 1).copied().unwrap_or(0);
                out.extend_from_slice(
                    format!(" {:04x}", u16::from(hi) << 8 | u16::from(lo)).as_bytes(),
                );
            }
            None => out.extend_from_slice(b"     "),
        }
    }
    out.push(b'\n');
}
