//! gzip framing (RFC 1952) around miniz_oxide's raw deflate: the member
//! header, CRC-32 and ISIZE trailer, and files of several members one after
//! the other (`cat a.gz b.gz`), which must decompress to the concatenation.

use miniz_oxide::deflate::core::{create_comp_flags_from_zip_params, CompressorOxide};
use miniz_oxide::inflate::stream::InflateState;
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};
use std::io::{self, BufRead, Read, Write};

/// The two bytes every gzip member starts with.
pub const MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Continues the CRC-32 (IEEE, as gzip uses) `crc` of earlier data over
/// `data`; start with 0. crc32fast's, whose tables `pkg` and the image
/// formats already bring in: a second set of tables here cost 8 KB.
pub fn crc32(crc: u32, data: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new_with_initial(crc);
    hasher.update(data);
    hasher.finalize()
}

/// An `InvalidData` error with gunzip's message for it.
fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// Writes one gzip member: everything written is compressed, and
/// [`GzEncoder::finish`] writes the trailer.
pub struct GzEncoder<W: Write> {
    inner: W,
    comp: Box<CompressorOxide>,
    crc: u32,
    size: u32,
    buf: Vec<u8>,
}

impl<W: Write> GzEncoder<W> {
    /// Starts a member at compression `level` (1..=9) whose header records
    /// `mtime` (0: none).
    pub fn new(mut inner: W, level: u8, mtime: u32) -> io::Result<Self> {
        let mut header = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        header[4..8].copy_from_slice(&mtime.to_le_bytes());
        // XFL: 2 for the slowest, 4 for the fastest, as gzip writes it.
        header[8] = match level {
            9 => 2,
            1 => 4,
            _ => 0,
        };
        inner.write_all(&header)?;
        // Negative window bits select raw deflate.
        let flags = create_comp_flags_from_zip_params(i32::from(level), -15, 0);
        Ok(GzEncoder {
            inner,
            comp: Box::new(CompressorOxide::new(flags)),
            crc: 0,
            size: 0,
            buf: vec![0; 64 * 1024],
        })
    }

    /// Compresses `data` and writes whatever output that produced.
    fn push(&mut self, mut data: &[u8], flush: MZFlush) -> io::Result<()> {
        loop {
            let r =
                miniz_oxide::deflate::stream::deflate(&mut self.comp, data, &mut self.buf, flush);
            self.inner.write_all(&self.buf[..r.bytes_written])?;
            data = &data[r.bytes_consumed..];
            let full = r.bytes_written == self.buf.len();
            match r.status {
                Ok(MZStatus::StreamEnd) => return Ok(()),
                Ok(_) => {}
                // No progress possible: all input taken, nothing to flush.
                Err(MZError::Buf) if data.is_empty() && flush == MZFlush::None => return Ok(()),
                Err(_) => return Err(io::Error::other("compression failed")),
            }
            if flush == MZFlush::None && data.is_empty() && !full {
                return Ok(());
            }
        }
    }

    /// Ends the deflate stream, writes CRC-32 and size, and returns the
    /// writer (not flushed).
    pub fn finish(mut self) -> io::Result<W> {
        self.push(&[], MZFlush::Finish)?;
        self.inner.write_all(&self.crc.to_le_bytes())?;
        self.inner.write_all(&self.size.to_le_bytes())?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for GzEncoder<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.crc = crc32(self.crc, data);
        self.size = self.size.wrapping_add(data.len() as u32);
        self.push(data, MZFlush::None)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Where a [`GzDecoder`] stands.
#[derive(PartialEq, Eq)]
enum Phase {
    /// Before the first member's header.
    First,
    /// Inside a member's deflate data.
    Body,
    /// After a member's trailer: another member may follow.
    Between,
    /// At the end.
    Done,
}

/// Reads the data of every member in a gzip stream, checking each member's
/// CRC-32 and size. Errors carry gunzip's messages ("invalid magic",
/// "crc error", "unexpected end of file", "corrupted data").
pub struct GzDecoder<R: BufRead> {
    inner: R,
    state: Box<InflateState>,
    phase: Phase,
    crc: u32,
    size: u32,
}

impl<R: BufRead> GzDecoder<R> {
    /// A decoder reading from `inner`; nothing is read yet.
    pub fn new(inner: R) -> Self {
        GzDecoder {
            inner,
            state: InflateState::new_boxed(DataFormat::Raw),
            phase: Phase::First,
            crc: 0,
            size: 0,
        }
    }

    /// Reads exactly `buf.len()` bytes, or fails with "unexpected end of file".
    fn exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.inner.read_exact(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                bad("unexpected end of file")
            } else {
                e
            }
        })
    }

    /// Skips a NUL-terminated header field (name, comment).
    fn skip_string(&mut self) -> io::Result<()> {
        let mut sink = Vec::new();
        self.inner.read_until(0, &mut sink)?;
        if sink.last() != Some(&0) {
            return Err(bad("unexpected end of file"));
        }
        Ok(())
    }

    /// Reads a member header whose magic has not been consumed yet.
    fn header(&mut self) -> io::Result<()> {
        let mut h = [0u8; 10];
        // The magic first, so that a short non-gzip file is called that.
        self.exact(&mut h[..2])?;
        if h[..2] != MAGIC {
            return Err(bad("invalid magic"));
        }
        self.exact(&mut h[2..])?;
        if h[2] != 8 {
            return Err(bad("unknown compression method"));
        }
        let flags = h[3];
        if flags & 0xe0 != 0 {
            return Err(bad("unknown header flags"));
        }
        if flags & 4 != 0 {
            let mut len = [0u8; 2];
            self.exact(&mut len)?;
            let mut extra = vec![0u8; usize::from(u16::from_le_bytes(len))];
            self.exact(&mut extra)?;
        }
        if flags & 8 != 0 {
            self.skip_string()?;
        }
        if flags & 16 != 0 {
            self.skip_string()?;
        }
        if flags & 2 != 0 {
            let mut hcrc = [0u8; 2];
            self.exact(&mut hcrc)?;
        }
        self.state.reset(DataFormat::Raw);
        self.crc = 0;
        self.size = 0;
        self.phase = Phase::Body;
        Ok(())
    }

    /// Reads and checks a member's trailer.
    fn trailer(&mut self) -> io::Result<()> {
        let mut t = [0u8; 8];
        self.exact(&mut t)?;
        if u32::from_le_bytes([t[0], t[1], t[2], t[3]]) != self.crc {
            return Err(bad("crc error"));
        }
        if u32::from_le_bytes([t[4], t[5], t[6], t[7]]) != self.size {
            return Err(bad("incorrect length"));
        }
        self.phase = Phase::Between;
        Ok(())
    }
}

impl<R: BufRead> Read for GzDecoder<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            match self.phase {
                Phase::Done => return Ok(0),
                Phase::First => self.header()?,
                Phase::Between => {
                    // Another member follows only if it starts with the
                    // magic; anything else (tar's zero padding, garbage) is
                    // ignored as gzip does.
                    let next = self.inner.fill_buf()?;
                    if next.is_empty() || next[0] != MAGIC[0] {
                        self.phase = Phase::Done;
                    } else {
                        self.header()?;
                    }
                }
                Phase::Body => {
                    let input = self.inner.fill_buf()?;
                    let eof = input.is_empty();
                    let flush = if eof { MZFlush::Finish } else { MZFlush::None };
                    let r =
                        miniz_oxide::inflate::stream::inflate(&mut self.state, input, out, flush);
                    self.inner.consume(r.bytes_consumed);
                    let got = &out[..r.bytes_written];
                    self.crc = crc32(self.crc, got);
                    self.size = self.size.wrapping_add(got.len() as u32);
                    match r.status {
                        Ok(MZStatus::StreamEnd) => self.trailer()?,
                        Ok(_) => {}
                        Err(MZError::Buf) if !eof => {}
                        Err(MZError::Buf) => return Err(bad("unexpected end of file")),
                        Err(_) => return Err(bad("corrupted data")),
                    }
                    if r.bytes_written > 0 {
                        return Ok(r.bytes_written);
                    }
                    if eof && self.phase == Phase::Body {
                        return Err(bad("unexpected end of file"));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_of_known_strings() {
        assert_eq!(crc32(0, b""), 0);
        assert_eq!(crc32(0, b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(crc32(0, b"12345"), b"6789"), 0xcbf4_3926);
    }

    #[test]
    fn round_trip_and_multi_member() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut e = GzEncoder::new(Vec::new(), 6, 0).unwrap();
        e.write_all(&data).unwrap();
        let mut gz = e.finish().unwrap();
        let mut e = GzEncoder::new(Vec::new(), 1, 0).unwrap();
        e.write_all(b"tail").unwrap();
        gz.extend(e.finish().unwrap());
        let mut out = Vec::new();
        GzDecoder::new(&gz[..]).read_to_end(&mut out).unwrap();
        assert_eq!(out.len(), data.len() + 4);
        assert!(out.starts_with(&data) && out.ends_with(b"tail"));
        let mut bad = gz.clone();
        bad[0] = b'x';
        let err = GzDecoder::new(&bad[..]).read_to_end(&mut out).unwrap_err();
        assert_eq!(err.to_string(), "invalid magic");
        let cut = &gz[..gz.len() / 2];
        let err = GzDecoder::new(cut).read_to_end(&mut out).unwrap_err();
        assert_eq!(err.to_string(), "unexpected end of file");
    }
}
