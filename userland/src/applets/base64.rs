//! `base64 [-d] [-w COLS] [FILE]`: encode to or decode from Base64.

use crate::common::{error_msg, getopt, usage_error, Exit};
use crate::text;
use std::ffi::OsString;
use std::io::{BufRead, Write};

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[-d] [-w COL] [FILE]\n\nBase64 encode or decode FILE to standard output\n\n\t-d\tDecode data\n\t-w COL\tWrap lines at COL (default 76, 0 disables)";

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(
        &args,
        "dw:i",
        &[("decode", 'd'), ("wrap", 'w'), ("ignore-garbage", 'i')],
        true,
    ) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let wrap = match p.value('w') {
        Some(w) => match text::parse_num::<usize>("base64", w) {
            Some(w) => w,
            None => return 1,
        },
        None => 76,
    };
    if p.operands.len() > 1 {
        return usage_error(
            "base64",
            &format!("extra operand '{}'", p.operands[1].to_string_lossy()),
        );
    }
    let name = text::operands_or_stdin(&p.operands).remove(0);
    let Some(mut input) = text::open_or_report("base64", &name) else {
        return 1;
    };
    let mut out = text::stdout();
    let result = if p.has('d') {
        decode(&mut *input, &mut out, p.has('i'))
    } else {
        encode(&mut *input, &mut out, wrap)
    };
    match result {
        Ok(true) => text::finish("base64", &mut out, 0),
        Ok(false) => {
            let status = text::finish("base64", &mut out, 1);
            error_msg("base64", "invalid input");
            status
        }
        Err((true, e)) => text::write_failed("base64", &e),
        Err((false, e)) => {
            text::report_read("base64", &name, &e);
            1
        }
    }
}

/// An I/O failure: (true for a write, the error).
type Failure = (bool, std::io::Error);

/// Encodes all of `input`, wrapping lines at `wrap` columns (0: never).
fn encode(input: &mut dyn BufRead, out: &mut impl Write, wrap: usize) -> Result<bool, Failure> {
    let mut carry: Vec<u8> = Vec::with_capacity(3);
    let mut col = 0;
    let mut any = false;
    let mut encoded = Vec::with_capacity(text::BUF_SIZE * 2);
    let mut line = Vec::with_capacity(text::BUF_SIZE * 2);
    // Encode a whole chunk first, then cut it into lines with slice copies.
    let emit = |encoded: &[u8], line: &mut Vec<u8>, col: &mut usize| {
        if wrap == 0 {
            line.extend_from_slice(encoded);
            return;
        }
        let mut rest = encoded;
        while !rest.is_empty() {
            if *col == wrap {
                line.push(b'\n');
                *col = 0;
            }
            let take = (wrap - *col).min(rest.len());
            line.extend_from_slice(&rest[..take]);
            *col += take;
            rest = &rest[take..];
        }
    };
    loop {
        let buf = input.fill_buf().map_err(|e| (false, e))?;
        if buf.is_empty() {
            break;
        }
        any = true;
        let mut data = std::mem::take(&mut carry);
        data.extend_from_slice(buf);
        let n = buf.len();
        input.consume(n);
        let whole = data.len() / 3 * 3;
        encoded.clear();
        for g in data[..whole].chunks_exact(3) {
            encoded.extend_from_slice(&quad(g));
        }
        line.clear();
        emit(&encoded, &mut line, &mut col);
        carry = data[whole..].to_vec();
        out.write_all(&line).map_err(|e| (true, e))?;
    }
    line.clear();
    if !carry.is_empty() {
        emit(&quad(&carry), &mut line, &mut col);
    }
    // Without wrapping there is no final newline (as GNU and BusyBox).
    if any && wrap > 0 {
        line.push(b'\n');
    }
    out.write_all(&line).map_err(|e| (true, e))?;
    Ok(true)
}

/// Four Base64 characters for one to three bytes, `=`-padded.
fn quad(g: &[u8]) -> [u8; 4] {
    let b = [g[0], *g.get(1).unwrap_or(&0), *g.get(2).unwrap_or(&0)];
    let v = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
    let mut q = [b'='; 4];
    for (i, slot) in q.iter_mut().enumerate().take(g.len() + 1) {
        *slot = ALPHABET[(v >> (18 - 6 * i) & 63) as usize];
    }
    q
}

/// Value of a Base64 character.
fn value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    } as u32)
}

/// Decodes `input`, skipping white space (and, with `ignore`, any other
/// non-alphabet byte). Ok(false) when the input is not valid Base64.
fn decode(input: &mut dyn BufRead, out: &mut impl Write, ignore: bool) -> Result<bool, Failure> {
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut ended = false;
    let mut decoded = Vec::with_capacity(text::BUF_SIZE);
    loop {
        let buf = input.fill_buf().map_err(|e| (false, e))?;
        if buf.is_empty() {
            break;
        }
        decoded.clear();
        let mut bad = false;
        for &c in buf {
            if c.is_ascii_whitespace() {
                continue;
            }
            if c == b'=' {
                ended = true;
                continue;
            }
            match value(c) {
                Some(v) if !ended => {
                    acc = acc << 6 | v;
                    bits += 6;
                    if bits >= 8 {
                        bits -= 8;
                        decoded.push((acc >> bits) as u8);
                        acc &= (1 << bits) - 1;
                    }
                }
                _ if ignore => {}
                _ => {
                    bad = true;
                    break;
                }
            }
        }
        out.write_all(&decoded).map_err(|e| (true, e))?;
        if bad {
            return Ok(false);
        }
        let n = buf.len();
        input.consume(n);
    }
    // Six leftover bits cannot come from whole bytes.
    Ok(bits != 6)
}
