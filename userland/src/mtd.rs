//! Raw flash (MTD) partitions: finding them by name in `/proc/mtd`, and
//! erasing, writing and verifying them through `/dev/mtdN` with the MTD
//! character device's ioctls (`include/uapi/mtd/mtd-abi.h`). Used by the
//! `mtd` applet and by `sysupgrade` on flash boards.
//!
//! Flash is written in erase blocks: a block must be erased (every byte
//! 0xFF) before it is written, so each block is erased and then written
//! whole, the last one padded with 0xFF, and the whole image is read back
//! and compared at the end.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

/// `MEMGETINFO`: `_IOR('M', 1, struct mtd_info_user)`.
const MEMGETINFO: u64 = 0x8020_4d01;
/// `MEMERASE`: `_IOW('M', 2, struct erase_info_user)`.
const MEMERASE: u64 = 0x4008_4d02;
/// `MEMUNLOCK`: `_IOW('M', 6, struct erase_info_user)`.
const MEMUNLOCK: u64 = 0x4008_4d06;
/// `MTD_NANDFLASH` and `MTD_MLCNANDFLASH`: flash with bad blocks, which
/// takes UBI rather than raw writes.
const NAND_TYPES: [u8; 2] = [4, 8];

/// The kernel's `struct mtd_info_user`.
#[repr(C)]
#[derive(Default)]
struct MtdInfoUser {
    kind: u8,
    flags: u32,
    size: u32,
    erasesize: u32,
    writesize: u32,
    oobsize: u32,
    padding: u64,
}

/// The kernel's `struct erase_info_user`.
#[repr(C)]
struct EraseInfoUser {
    start: u32,
    length: u32,
}

/// One open MTD partition.
pub struct Mtd {
    /// `/dev/mtdN`.
    pub path: PathBuf,
    file: File,
    /// Its size in bytes.
    pub size: u64,
    /// Its erase block in bytes.
    pub erase_size: u64,
}

/// The device of partition `name`: a name from `/proc/mtd` (`firmware`),
/// `mtdN`, or a path (`/dev/mtdN`).
pub fn find(name: &str) -> Result<PathBuf, String> {
    if name.starts_with('/') {
        return Ok(PathBuf::from(name));
    }
    if name
        .strip_prefix("mtd")
        .is_some_and(|n| n.parse::<u32>().is_ok())
    {
        return Ok(PathBuf::from("/dev").join(name));
    }
    let table = std::fs::read_to_string("/proc/mtd").map_err(|e| {
        format!(
            "/proc/mtd: {} (no MTD support?)",
            crate::common::strerror(&e)
        )
    })?;
    partition_named(&table, name)
        .map(|dev| PathBuf::from("/dev").join(dev))
        .ok_or_else(|| format!("no MTD partition named '{name}' in /proc/mtd"))
}

/// The `mtdN` whose quoted name in a `/proc/mtd` table is `name`.
fn partition_named(table: &str, name: &str) -> Option<String> {
    table.lines().skip(1).find_map(|line| {
        let (dev, rest) = line.split_once(':')?;
        let quoted = rest.split_once('"')?.1.strip_suffix('"')?;
        (quoted == name).then(|| dev.trim().to_string())
    })
}

impl Mtd {
    /// Opens the partition at `path` for reading and writing and asks its
    /// geometry; NAND flash is refused.
    pub fn open(path: PathBuf) -> Result<Mtd, String> {
        let what = |e: io::Error| format!("{}: {}", path.display(), crate::common::strerror(&e));
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(what)?;
        let mut info = MtdInfoUser::default();
        // SAFETY: MEMGETINFO fills a `struct mtd_info_user`, which `info`
        // is, laid out as the kernel's.
        if unsafe { nix::libc::ioctl(file.as_raw_fd(), MEMGETINFO as _, &mut info) } < 0 {
            return Err(format!(
                "{}: not an MTD device ({})",
                path.display(),
                crate::common::strerror(&io::Error::last_os_error())
            ));
        }
        if NAND_TYPES.contains(&info.kind) {
            return Err(format!(
                "{}: NAND flash is written through UBI, not raw",
                path.display()
            ));
        }
        if info.erasesize == 0 {
            return Err(format!(
                "{}: the driver reports no erase block",
                path.display()
            ));
        }
        Ok(Mtd {
            path,
            file,
            size: info.size.into(),
            erase_size: info.erasesize.into(),
        })
    }

    /// Unlocks `len` bytes at `offset` where the chip locks; a chip that
    /// does not lock says so, which is not an error.
    fn unlock(&self, offset: u64, len: u64) {
        let region = EraseInfoUser {
            start: offset as u32,
            length: len as u32,
        };
        // SAFETY: MEMUNLOCK reads one `struct erase_info_user`.
        unsafe { nix::libc::ioctl(self.file.as_raw_fd(), MEMUNLOCK as _, &region) };
    }

    /// Unlocks the whole partition.
    pub fn unlock_all(&self) {
        self.unlock(0, self.size);
    }

    /// Unlocks and erases the erase block at `offset`.
    fn erase(&self, offset: u64) -> Result<(), String> {
        self.unlock(offset, self.erase_size);
        let region = EraseInfoUser {
            start: offset as u32,
            length: self.erase_size as u32,
        };
        // SAFETY: MEMERASE reads one `struct erase_info_user`.
        if unsafe { nix::libc::ioctl(self.file.as_raw_fd(), MEMERASE as _, &region) } < 0 {
            return Err(format!(
                "{}: erasing the block at {offset:#x}: {}",
                self.path.display(),
                crate::common::strerror(&io::Error::last_os_error())
            ));
        }
        Ok(())
    }

    /// Erases the whole partition.
    pub fn erase_all(&self) -> Result<(), String> {
        (0..self.size)
            .step_by(self.erase_size as usize)
            .try_for_each(|offset| self.erase(offset))
    }

    /// Erases and writes `data` from the start of the partition, one erase
    /// block at a time (the last padded with 0xFF), reporting the
    /// percentage done each time it reaches a further tenth, then reads it
    /// back and compares.
    pub fn write(&mut self, data: &[u8], mut progress: impl FnMut(u64)) -> Result<(), String> {
        if data.len() as u64 > self.size {
            return Err(format!(
                "{}: {} bytes do not fit the partition ({} bytes)",
                self.path.display(),
                data.len(),
                self.size
            ));
        }
        let block = self.erase_size as usize;
        let mut padded = Vec::with_capacity(block);
        let mut shown = 0;
        for (i, chunk) in data.chunks(block).enumerate() {
            let offset = (i * block) as u64;
            self.erase(offset)?;
            padded.clear();
            padded.extend_from_slice(chunk);
            padded.resize(block, 0xff);
            self.file.write_all_at(&padded, offset).map_err(|e| {
                format!(
                    "{}: writing at {offset:#x}: {}",
                    self.path.display(),
                    crate::common::strerror(&e)
                )
            })?;
            let done =
                (offset + block as u64).min(data.len() as u64) * 100 / data.len().max(1) as u64;
            if done / 10 > shown / 10 {
                shown = done;
                progress(done);
            }
        }
        self.verify(data)
    }

    /// Whether the partition starts with `data`.
    pub fn verify(&mut self, data: &[u8]) -> Result<(), String> {
        let what =
            |e: io::Error| format!("{}: {}", self.path.display(), crate::common::strerror(&e));
        self.file.seek(SeekFrom::Start(0)).map_err(what)?;
        let mut back = vec![0u8; data.len()];
        self.file.read_exact(&mut back).map_err(what)?;
        match back.iter().zip(data).position(|(a, b)| a != b) {
            None => Ok(()),
            Some(at) => Err(format!(
                "{}: differs from the image at byte {at:#x}",
                self.path.display()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_partitions_by_their_quoted_name() {
        let table = "dev:    size   erasesize  name\n\
                     mtd0: 00030000 00010000 \"u-boot\"\n\
                     mtd1: 00010000 00010000 \"u-boot-env\"\n\
                     mtd3: 00fb0000 00010000 \"firmware\"\n";
        assert_eq!(partition_named(table, "firmware").as_deref(), Some("mtd3"));
        assert_eq!(partition_named(table, "u-boot").as_deref(), Some("mtd0"));
        assert_eq!(partition_named(table, "u-boo"), None);
        assert_eq!(partition_named("dev: size erasesize name\n", "x"), None);
    }

    #[test]
    fn the_structures_are_the_kernels_size() {
        assert_eq!(std::mem::size_of::<MtdInfoUser>(), 32);
        assert_eq!(std::mem::size_of::<EraseInfoUser>(), 8);
    }
}
