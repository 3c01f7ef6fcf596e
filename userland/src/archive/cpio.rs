//! cpio "newc" (SVR4, `070701`) headers: 13 eight-digit hex fields, the
//! name with its NUL, data, each padded to four bytes; the archive ends
//! with a member named `TRAILER!!!`.

use super::{Entry, Kind};
use std::io::{self, Read, Write};

/// The magic of newc headers (070702, the variant with checksums, is read
/// too).
const MAGIC: &[u8] = b"070701";
/// The name of the member that ends an archive.
pub const TRAILER: &[u8] = b"TRAILER!!!";

/// An `InvalidData` error.
fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// One newc member with the fields `Entry` lacks.
#[derive(Clone, Debug)]
pub struct Member {
    /// The member.
    pub entry: Entry,
    /// Inode number, which ties hard links together.
    pub ino: u32,
    /// Link count.
    pub nlink: u32,
    /// Device of the file (major, minor), the other half of its identity.
    pub fsdev: (u32, u32),
}

/// Writes newc members.
pub struct CpioWriter<W: Write> {
    inner: W,
    written: u64,
}

impl<W: Write> CpioWriter<W> {
    /// A writer that has written nothing yet.
    pub fn new(inner: W) -> Self {
        CpioWriter { inner, written: 0 }
    }

    /// Writes bytes, counting them for padding and the block count.
    fn raw(&mut self, data: &[u8]) -> io::Result<()> {
        self.written += data.len() as u64;
        self.inner.write_all(data)
    }

    /// Zeros up to the next multiple of four.
    fn align(&mut self) -> io::Result<()> {
        let pad = (4 - self.written % 4) % 4;
        self.raw(&[0u8; 3][..pad as usize])
    }

    /// Writes member `m` and, for a regular file or a symlink, its data:
    /// `m.entry.size` bytes from `data` (a symlink's data is its target).
    pub fn append(&mut self, m: &Member, data: Option<&mut dyn Read>) -> io::Result<()> {
        let e = &m.entry;
        let size = match e.kind {
            Kind::Symlink => e.link.len() as u64,
            Kind::File | Kind::HardLink => e.size,
            _ => 0,
        };
        if size > u64::from(u32::MAX) {
            return Err(bad("file too large for cpio"));
        }
        let rdev = if matches!(e.kind, Kind::Char | Kind::Block) {
            e.dev
        } else {
            (0, 0)
        };
        let header = format!(
            "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            m.ino,
            e.type_bits() | (e.mode & 0o7777),
            e.uid,
            e.gid,
            m.nlink,
            e.mtime.clamp(0, i64::from(u32::MAX)) as u32,
            size,
            m.fsdev.0,
            m.fsdev.1,
            rdev.0,
            rdev.1,
            e.name.len() + 1,
            0
        );
        self.raw(header.as_bytes())?;
        self.raw(&e.name)?;
        self.raw(&[0])?;
        self.align()?;
        if e.kind == Kind::Symlink {
            let link = e.link.clone();
            self.raw(&link)?;
        } else if size > 0 {
            let mut copied = 0u64;
            if let Some(data) = data {
                let mut buf = vec![0u8; 64 * 1024];
                let mut limited = data.take(size);
                loop {
                    let n = match limited.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                        Err(err) => return Err(err),
                    };
                    self.raw(&buf[..n])?;
                    copied += n as u64;
                }
            }
            if copied < size {
                return Err(bad("file shrank while being read"));
            }
        }
        self.align()
    }

    /// Writes the trailer, pads to a 512-byte block and returns the writer
    /// with the number of blocks written.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        let mut t = Entry::new(TRAILER.to_vec(), Kind::File);
        t.mode = 0;
        let m = Member {
            entry: t,
            ino: 0,
            nlink: 1,
            fsdev: (0, 0),
        };
        self.append(&m, None)?;
        let pad = (512 - self.written % 512) % 512;
        self.raw(&vec![0u8; pad as usize])?;
        Ok((self.inner, self.written / 512))
    }
}

/// Reads newc members.
pub struct CpioReader<R: Read> {
    inner: R,
    read: u64,
    remaining: u64,
    padding: u64,
}

impl<R: Read> CpioReader<R> {
    /// A reader at the first header.
    pub fn new(inner: R) -> Self {
        CpioReader {
            inner,
            read: 0,
            remaining: 0,
            padding: 0,
        }
    }

    /// Bytes consumed so far (for the "N blocks" report).
    pub fn position(&self) -> u64 {
        self.read
    }

    /// Reads exactly `buf.len()` bytes.
    fn exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.inner.read_exact(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                bad("unexpected end of file")
            } else {
                e
            }
        })?;
        self.read += buf.len() as u64;
        Ok(())
    }

    /// Skips `n` bytes.
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let copied = io::copy(&mut (&mut self.inner).take(n), &mut io::sink())?;
        self.read += copied;
        if copied < n {
            return Err(bad("unexpected end of file"));
        }
        Ok(())
    }

    /// The next member, skipping unread data of the previous one; `None`
    /// after the trailer. A symlink's target is read into `entry.link`.
    pub fn next_member(&mut self) -> io::Result<Option<Member>> {
        let rest = self.remaining + self.padding;
        self.remaining = 0;
        self.padding = 0;
        self.skip(rest)?;
        let mut h = [0u8; 110];
        // The magic first, so that another format is called that.
        self.exact(&mut h[..6])?;
        if &h[..6] != MAGIC && &h[..6] != b"070702" {
            return Err(bad("unsupported cpio format, use newc or crc"));
        }
        self.exact(&mut h[6..])?;
        let mut f = [0u32; 13];
        for (i, v) in f.iter_mut().enumerate() {
            let text = std::str::from_utf8(&h[6 + 8 * i..14 + 8 * i])
                .map_err(|_| bad("invalid cpio header"))?;
            *v = u32::from_str_radix(text, 16).map_err(|_| bad("invalid cpio header"))?;
        }
        let namesize = f[11] as usize;
        if namesize == 0 || namesize > 1 << 16 {
            return Err(bad("invalid cpio header"));
        }
        let mut name = vec![0u8; namesize];
        self.exact(&mut name)?;
        let pad = (4 - (110 + namesize) % 4) % 4;
        self.skip(pad as u64)?;
        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        name.truncate(end);
        if name == TRAILER {
            return Ok(None);
        }
        let mode = f[1];
        let kind = match mode & 0o170000 {
            0o040000 => Kind::Dir,
            0o120000 => Kind::Symlink,
            0o020000 => Kind::Char,
            0o060000 => Kind::Block,
            0o010000 => Kind::Fifo,
            0o100000 => Kind::File,
            _ => return Err(bad("unknown file type in cpio header")),
        };
        let mut e = Entry::new(name, kind);
        e.mode = mode & 0o7777;
        e.uid = f[2];
        e.gid = f[3];
        e.mtime = i64::from(f[5]);
        e.dev = (f[9], f[10]);
        let size = u64::from(f[6]);
        let data_pad = (4 - size % 4) % 4;
        if kind == Kind::Symlink {
            if size > 1 << 16 {
                return Err(bad("invalid cpio header"));
            }
            let mut link = vec![0u8; size as usize];
            self.exact(&mut link)?;
            self.skip(data_pad)?;
            e.link = link;
        } else if kind == Kind::File {
            e.size = size;
            self.remaining = size;
            self.padding = data_pad;
        } else {
            self.skip(size + data_pad)?;
        }
        Ok(Some(Member {
            entry: e,
            ino: f[0],
            nlink: f[4],
            fsdev: (f[7], f[8]),
        }))
    }

    /// Skips what is left of the archive after the trailer (its padding),
    /// counting it.
    pub fn drain(&mut self) {
        let mut sink = [0u8; 512];
        let pad = (512 - self.read % 512) % 512;
        if let Ok(()) = self.inner.read_exact(&mut sink[..pad as usize]) {
            self.read += pad;
        }
    }

    /// The data of the current member.
    pub fn data(&mut self) -> CpioData<'_, R> {
        CpioData { cpio: self }
    }
}

/// The data of the current member of a [`CpioReader`].
pub struct CpioData<'a, R: Read> {
    cpio: &'a mut CpioReader<R>,
}

impl<R: Read> Read for CpioData<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cpio.remaining == 0 {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(self.cpio.remaining.min(usize::MAX as u64) as usize);
        let n = self.cpio.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(bad("unexpected end of file"));
        }
        self.cpio.remaining -= n as u64;
        self.cpio.read += n as u64;
        Ok(n)
    }
}
