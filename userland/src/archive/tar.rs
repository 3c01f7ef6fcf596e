//! tar headers: writing ustar with GNU `././@LongLink` records for names
//! and link targets that do not fit, and reading ustar, GNU (long names,
//! base-256 numbers) and pax (`path`, `linkpath`, `size`, owner, `mtime`)
//! archives.

use super::{Entry, Kind};
use std::io::{self, Read, Write};

/// tar's block size.
pub const BLOCK: usize = 512;
/// Archives are padded to a multiple of this (20 blocks), as GNU tar does.
const RECORD: u64 = 10240;

/// An `InvalidData` error.
fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Puts `value` in `field` as zero-padded octal with a NUL, or in
/// base-256 (GNU) when it does not fit.
fn put_num(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    if digits >= 22 || value < 1u64 << (3 * digits) {
        let s = format!("{value:0digits$o}");
        field[..digits].copy_from_slice(s.as_bytes());
        field[digits] = 0;
    } else {
        let mut v = value;
        for b in field.iter_mut().rev() {
            *b = v as u8;
            v >>= 8;
        }
        field[0] |= 0x80;
    }
}

/// Reads a numeric field: octal (spaces and NULs around it) or base-256.
fn get_num(field: &[u8]) -> io::Result<u64> {
    if field.first().is_some_and(|&b| b & 0x80 != 0) {
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            v = v.checked_mul(256).ok_or_else(|| bad("number too large"))? | u64::from(b);
        }
        return Ok(v);
    }
    let mut v: u64 = 0;
    let mut seen = false;
    for &b in field {
        match b {
            b'0'..=b'7' => {
                v = v
                    .checked_mul(8)
                    .and_then(|v| v.checked_add(u64::from(b - b'0')))
                    .ok_or_else(|| bad("number too large"))?;
                seen = true;
            }
            b' ' if !seen => {}
            0 | b' ' => break,
            _ => return Err(bad("invalid tar header")),
        }
    }
    Ok(v)
}

/// The bytes of a NUL-terminated (or full) field.
fn get_str(field: &[u8]) -> Vec<u8> {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    field[..end].to_vec()
}

/// Computes and stores a header's checksum.
fn set_checksum(h: &mut [u8; BLOCK]) {
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
}

/// Writes members as a tar stream.
pub struct TarWriter<W: Write> {
    inner: W,
    written: u64,
}

impl<W: Write> TarWriter<W> {
    /// A writer that has written nothing yet.
    pub fn new(inner: W) -> Self {
        TarWriter { inner, written: 0 }
    }

    /// Writes raw bytes, counting them for the final padding.
    fn raw(&mut self, data: &[u8]) -> io::Result<()> {
        self.written += data.len() as u64;
        self.inner.write_all(data)
    }

    /// Writes a GNU long-name record of type `kind` ('L' name, 'K' link).
    fn long_record(&mut self, kind: u8, value: &[u8]) -> io::Result<()> {
        let mut e = Entry::new(b"././@LongLink".to_vec(), Kind::File);
        e.size = value.len() as u64 + 1;
        let mut h = self.header(&e, b"././@LongLink", b"", kind);
        set_checksum(&mut h);
        self.raw(&h)?;
        let mut data = value.to_vec();
        data.push(0);
        data.resize(data.len().div_ceil(BLOCK) * BLOCK, 0);
        self.raw(&data)
    }

    /// A header block for `e` with `name` (fitting 100 bytes, or split
    /// into prefix and name) and `link`, checksum not yet set.
    fn header(&self, e: &Entry, name: &[u8], link: &[u8], kind: u8) -> [u8; BLOCK] {
        let mut h = [0u8; BLOCK];
        if name.len() <= 100 {
            h[..name.len()].copy_from_slice(name);
        } else if let Some((prefix, rest)) = split_name(name) {
            h[..rest.len()].copy_from_slice(rest);
            h[345..345 + prefix.len()].copy_from_slice(prefix);
        } else {
            h[..100].copy_from_slice(&name[..100]);
        }
        put_num(&mut h[100..108], u64::from(e.mode & 0o7777));
        put_num(&mut h[108..116], u64::from(e.uid));
        put_num(&mut h[116..124], u64::from(e.gid));
        put_num(&mut h[124..136], e.size);
        put_num(&mut h[136..148], e.mtime.max(0) as u64);
        h[156] = kind;
        let l = link.len().min(100);
        h[157..157 + l].copy_from_slice(&link[..l]);
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        let u = e.uname.len().min(31);
        h[265..265 + u].copy_from_slice(&e.uname[..u]);
        let g = e.gname.len().min(31);
        h[297..297 + g].copy_from_slice(&e.gname[..g]);
        if matches!(e.kind, Kind::Char | Kind::Block) {
            put_num(&mut h[329..337], u64::from(e.dev.0));
            put_num(&mut h[337..345], u64::from(e.dev.1));
        }
        h
    }

    /// Writes member `e`'s header and, for a regular file, `e.size` bytes
    /// of `data` padded to a block. The outer error is a write error (the
    /// archive is broken); the inner one a problem reading `data`: if it
    /// fails or ends early the rest is zeros, so the archive stays
    /// readable.
    pub fn append(
        &mut self,
        e: &Entry,
        data: Option<&mut dyn Read>,
    ) -> io::Result<Option<io::Error>> {
        let kind = match e.kind {
            Kind::File => b'0',
            Kind::HardLink => b'1',
            Kind::Symlink => b'2',
            Kind::Char => b'3',
            Kind::Block => b'4',
            Kind::Dir => b'5',
            Kind::Fifo => b'6',
        };
        if e.link.len() > 100 {
            self.long_record(b'K', &e.link)?;
        }
        if e.name.len() > 100 && split_name(&e.name).is_none() {
            self.long_record(b'L', &e.name)?;
        }
        let mut h = self.header(e, &e.name, &e.link, kind);
        set_checksum(&mut h);
        self.raw(&h)?;
        if e.kind != Kind::File || e.size == 0 {
            return Ok(None);
        }
        let mut copied = 0u64;
        let mut problem = None;
        if let Some(data) = data {
            let mut buf = vec![0u8; 64 * 1024];
            let mut limited = data.take(e.size);
            loop {
                let n = match limited.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Err(err) => {
                        problem = Some(err);
                        break;
                    }
                };
                self.raw(&buf[..n])?;
                copied += n as u64;
            }
        }
        self.pad_to(e.size - copied)?;
        if problem.is_none() && copied < e.size {
            problem = Some(bad("file shrank while being read"));
        }
        Ok(problem)
    }

    /// Writes `missing` zero bytes of file data and the padding to a block.
    fn pad_to(&mut self, missing: u64) -> io::Result<()> {
        let zeros = [0u8; BLOCK];
        let mut left = missing;
        while left > 0 {
            let n = left.min(BLOCK as u64) as usize;
            self.raw(&zeros[..n])?;
            left -= n as u64;
        }
        let rem = (self.written % BLOCK as u64) as usize;
        if rem != 0 {
            self.raw(&zeros[..BLOCK - rem])?;
        }
        Ok(())
    }

    /// Writes the two zero blocks that end an archive, pads it to a whole
    /// record and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        let zeros = [0u8; BLOCK];
        self.raw(&zeros)?;
        self.raw(&zeros)?;
        while !self.written.is_multiple_of(RECORD) {
            self.raw(&zeros)?;
        }
        Ok(self.inner)
    }
}

/// Splits a long name at a `/` into ustar's prefix (≤ 155) and name
/// (≤ 100), if possible.
fn split_name(name: &[u8]) -> Option<(&[u8], &[u8])> {
    if name.len() > 256 {
        return None;
    }
    let min = name.len().saturating_sub(101);
    (min..name.len().min(156))
        .find(|&i| name[i] == b'/' && i > 0 && name.len() - i - 1 <= 100 && name.len() - i > 1)
        .map(|i| (&name[..i], &name[i + 1..]))
}

/// Reads members from a tar stream.
pub struct TarReader<R: Read> {
    inner: R,
    /// Data bytes of the current member not read yet.
    remaining: u64,
    /// Padding after them.
    padding: u64,
    /// Whether the end of the archive was seen.
    done: bool,
}

impl<R: Read> TarReader<R> {
    /// A reader positioned at the first header.
    pub fn new(inner: R) -> Self {
        TarReader {
            inner,
            remaining: 0,
            padding: 0,
            done: false,
        }
    }

    /// Reads one block; `Ok(false)` at a clean end of input.
    fn block(&mut self, b: &mut [u8; BLOCK]) -> io::Result<bool> {
        let mut got = 0;
        while got < BLOCK {
            match self.inner.read(&mut b[got..]) {
                Ok(0) if got == 0 => return Ok(false),
                Ok(0) => return Err(bad("unexpected end of file")),
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Reads `size` bytes of a special record (long name, pax header).
    fn record_data(&mut self, size: u64) -> io::Result<Vec<u8>> {
        if size > 1 << 20 {
            return Err(bad("tar header record too large"));
        }
        let mut data = vec![0u8; size as usize];
        self.inner.read_exact(&mut data).map_err(eof)?;
        let pad = (BLOCK - size as usize % BLOCK) % BLOCK;
        let mut skip = vec![0u8; pad];
        self.inner.read_exact(&mut skip).map_err(eof)?;
        Ok(data)
    }

    /// Skips the rest of the current member.
    fn skip_rest(&mut self) -> io::Result<()> {
        let n = self.remaining + self.padding;
        self.remaining = 0;
        self.padding = 0;
        let copied = io::copy(&mut (&mut self.inner).take(n), &mut io::sink())?;
        if copied < n {
            return Err(bad("unexpected end of file"));
        }
        Ok(())
    }

    /// The next member's header, skipping any unread data of the previous
    /// one; `None` at the end of the archive.
    pub fn next_entry(&mut self) -> io::Result<Option<Entry>> {
        if self.done {
            return Ok(None);
        }
        self.skip_rest()?;
        let mut long_name: Option<Vec<u8>> = None;
        let mut long_link: Option<Vec<u8>> = None;
        let mut pax: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        loop {
            let mut h = [0u8; BLOCK];
            if !self.block(&mut h)? || h.iter().all(|&b| b == 0) {
                self.done = true;
                return Ok(None);
            }
            let stored = get_num(&h[148..156])?;
            let unsigned: u64 = h
                .iter()
                .enumerate()
                .map(|(i, &b)| {
                    if (148..156).contains(&i) {
                        32
                    } else {
                        u64::from(b)
                    }
                })
                .sum();
            let signed: i64 = h
                .iter()
                .enumerate()
                .map(|(i, &b)| {
                    if (148..156).contains(&i) {
                        32
                    } else {
                        i64::from(b as i8)
                    }
                })
                .sum();
            if stored != unsigned && stored as i64 != signed {
                return Err(bad("invalid tar header checksum"));
            }
            let size = get_num(&h[124..136])?;
            let kind = h[156];
            match kind {
                b'L' => {
                    long_name = Some(get_str(&self.record_data(size)?));
                    continue;
                }
                b'K' => {
                    long_link = Some(get_str(&self.record_data(size)?));
                    continue;
                }
                b'x' => {
                    pax = parse_pax(&self.record_data(size)?);
                    continue;
                }
                b'g' => {
                    self.record_data(size)?;
                    continue;
                }
                _ => {}
            }
            let posix = &h[257..263] == b"ustar\0";
            let mut name = get_str(&h[..100]);
            if posix && h[345] != 0 {
                let mut full = get_str(&h[345..500]);
                full.push(b'/');
                full.extend_from_slice(&name);
                name = full;
            }
            let mut e = Entry::new(long_name.take().unwrap_or(name), Kind::File);
            e.link = long_link.take().unwrap_or_else(|| get_str(&h[157..257]));
            e.mode = get_num(&h[100..108])? as u32 & 0o7777;
            e.uid = get_num(&h[108..116])? as u32;
            e.gid = get_num(&h[116..124])? as u32;
            e.size = size;
            e.mtime = get_num(&h[136..148])? as i64;
            e.uname = get_str(&h[265..297]);
            e.gname = get_str(&h[297..329]);
            e.dev = (get_num(&h[329..337])? as u32, get_num(&h[337..345])? as u32);
            e.kind = match kind {
                b'1' => Kind::HardLink,
                b'2' => Kind::Symlink,
                b'3' => Kind::Char,
                b'4' => Kind::Block,
                b'5' => Kind::Dir,
                b'6' => Kind::Fifo,
                _ => Kind::File,
            };
            for (key, value) in &pax {
                let text = String::from_utf8_lossy(value);
                match key.as_slice() {
                    b"path" => e.name = value.clone(),
                    b"linkpath" => e.link = value.clone(),
                    b"size" => e.size = text.parse().map_err(|_| bad("invalid pax size"))?,
                    b"uid" => e.uid = text.parse().unwrap_or(e.uid),
                    b"gid" => e.gid = text.parse().unwrap_or(e.gid),
                    b"uname" => e.uname = value.clone(),
                    b"gname" => e.gname = value.clone(),
                    b"mtime" => {
                        let whole = text.split('.').next().unwrap_or("");
                        e.mtime = whole.parse().unwrap_or(e.mtime);
                    }
                    _ => {}
                }
            }
            // An old-style directory is a "regular file" whose name ends
            // in a slash.
            if e.kind == Kind::File && e.name.ends_with(b"/") {
                e.kind = Kind::Dir;
            }
            // Only regular files (and unknown kinds, read as such) carry
            // data; a hard link's size field is ignored as GNU does.
            if e.kind != Kind::File {
                e.size = 0;
            }
            let data = e.size;
            self.remaining = data;
            self.padding = (BLOCK as u64 - data % BLOCK as u64) % BLOCK as u64;
            return Ok(Some(e));
        }
    }

    /// Reads data of the current member (up to its end).
    pub fn data(&mut self) -> DataReader<'_, R> {
        DataReader { tar: self }
    }
}

/// Turns an early end of input into "unexpected end of file".
fn eof(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        bad("unexpected end of file")
    } else {
        e
    }
}

/// The data of the current member of a [`TarReader`].
pub struct DataReader<'a, R: Read> {
    tar: &'a mut TarReader<R>,
}

impl<R: Read> Read for DataReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.tar.remaining == 0 {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(self.tar.remaining.min(usize::MAX as u64) as usize);
        let n = self.tar.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(bad("unexpected end of file"));
        }
        self.tar.remaining -= n as u64;
        Ok(n)
    }
}

/// The `key=value` records of a pax extended header.
fn parse_pax(data: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let Some(sp) = rest.iter().position(|&b| b == b' ') else {
            break;
        };
        let Some(len) = std::str::from_utf8(&rest[..sp])
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            break;
        };
        if len <= sp + 1 || len > rest.len() {
            break;
        }
        let record = &rest[sp + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|&b| b == b'=') {
            out.push((record[..eq].to_vec(), record[eq + 1..].to_vec()));
        }
        rest = &rest[len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_octal_and_base256() {
        let mut f = [0u8; 12];
        put_num(&mut f, 0o644);
        assert_eq!(&f, b"00000000644\0");
        assert_eq!(get_num(&f).unwrap(), 0o644);
        put_num(&mut f, 1 << 40);
        assert_eq!(f[0] & 0x80, 0x80);
        assert_eq!(get_num(&f).unwrap(), 1 << 40);
        assert_eq!(get_num(b"   755 \0").unwrap(), 0o755);
    }

    #[test]
    fn pax_records() {
        let p = parse_pax(b"16 path=a/b/cde\n13 size=1234\n");
        assert_eq!(p[0], (b"path".to_vec(), b"a/b/cde".to_vec()));
        assert_eq!(p[1], (b"size".to_vec(), b"1234".to_vec()));
    }

    #[test]
    fn long_names_split_or_longlink() {
        let name = [b"d".repeat(120), b"/".to_vec(), b"f".repeat(90)].concat();
        let (p, n) = split_name(&name).unwrap();
        assert_eq!((p.len(), n.len()), (120, 90));
        assert!(split_name(&b"x".repeat(150)).is_none());
    }
}
