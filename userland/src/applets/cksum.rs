//! `cksum [FILE]...`: print the POSIX CRC-32 checksum and byte count of
//! files, as GNU cksum does.

use crate::common::{getopt, Exit};
use crate::text;
use std::ffi::OsString;
use std::io::{BufRead, Write};
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "[FILE]...\n\nCalculate the CRC32 checksums of FILEs";

/// The CRC table for polynomial 0x04C11DB7, most significant bit first.
const TABLE: [u32; 256] = make_table();

const fn make_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 24;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x8000_0000 != 0 {
                (c << 1) ^ 0x04C1_1DB7
            } else {
                c << 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

/// Adds `data` to the running CRC.
fn update(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc = (crc << 8) ^ TABLE[((crc >> 24) as u8 ^ b) as usize];
    }
    crc
}

/// The final POSIX checksum: the length's bytes (low first) are fed in
/// after the data, then the result is inverted.
pub fn finish_crc(mut crc: u32, len: u64) -> u32 {
    let mut n = len;
    while n > 0 {
        crc = update(crc, &[n as u8]);
        n >>= 8;
    }
    !crc
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut out = text::stdout();
    let mut status = 0;
    let named = !p.operands.is_empty();
    for name in text::operands_or_stdin(&p.operands) {
        let Some(mut input) = text::open_or_report("cksum", &name) else {
            status = 1;
            continue;
        };
        let mut crc = 0u32;
        let mut len = 0u64;
        let mut failed = false;
        loop {
            let buf = match input.fill_buf() {
                Ok(b) => b,
                Err(e) => {
                    text::report_read("cksum", &name, &e);
                    failed = true;
                    break;
                }
            };
            if buf.is_empty() {
                break;
            }
            crc = update(crc, buf);
            len += buf.len() as u64;
            let n = buf.len();
            input.consume(n);
        }
        if failed {
            status = 1;
            continue;
        }
        let mut line = format!("{} {}", finish_crc(crc, len), len).into_bytes();
        if named {
            line.push(b' ');
            line.extend_from_slice(name.as_bytes());
        }
        line.push(b'\n');
        if let Err(e) = out.write_all(&line) {
            return text::write_failed("cksum", &e);
        }
    }
    text::finish("cksum", &mut out, status)
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_values() {
        assert_eq!(super::finish_crc(0, 0), 4294967295);
        assert_eq!(super::finish_crc(super::update(0, b"abc\n"), 4), 1112837078);
    }
}
