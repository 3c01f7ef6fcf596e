//! The persistent medium: which block device holds the saved configuration,
//! and reading and writing it by offset.
//!
//! `/etc/lbu/lbu.conf` names it with Alpine's variable `LBU_MEDIA`: a device
//! path (`LBU_MEDIA=/dev/sdb1`), or a GPT partition name (`LBU_MEDIA=data`,
//! what the linker writes), found by reading the GPT of every disk in
//! /sys/block as `ibex-slots` finds the system slots. Without the file or
//! the variable, the partition named `data`.

use crate::Error;
use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Where the medium is configured, relative to the root.
pub const CONF: &str = "etc/lbu/lbu.conf";
/// The partition name used when nothing is configured.
pub const DEFAULT_PARTITION: &str = "data";

/// What `LBU_MEDIA` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Media {
    /// A device path (starts with `/`).
    Device(PathBuf),
    /// The GPT partition with this name, on any disk.
    Partition(String),
}

/// Reads `LBU_MEDIA` from the configuration text (shell-style `NAME=value`
/// lines, `#` comments, optional quotes); the default partition without it.
pub fn parse_conf(text: &str) -> Media {
    let mut media = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if let Some(value) = line.strip_prefix("LBU_MEDIA=") {
            let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
            if !value.is_empty() {
                media = Some(value.to_string());
            }
        }
    }
    match media {
        Some(v) if v.starts_with('/') => Media::Device(PathBuf::from(v)),
        Some(v) => Media::Partition(v),
        None => Media::Partition(DEFAULT_PARTITION.into()),
    }
}

/// The configured medium of the system whose root is `root`.
pub fn configured(root: &Path) -> Media {
    parse_conf(&fs::read_to_string(root.join(CONF)).unwrap_or_default())
}

/// Finds the device for `media`: a device path as it is, a partition name
/// by scanning the disks in /sys/block (in name order, the first match).
pub fn locate(media: &Media) -> Result<PathBuf, Error> {
    match media {
        Media::Device(p) => Ok(p.clone()),
        Media::Partition(name) => {
            let disks = ibex_slots::gpt_disks().map_err(|e| Error::NoMedium(e.to_string()))?;
            for (disk, table) in disks {
                if let Some(p) = table.partitions.iter().find(|p| &p.name == name) {
                    return Ok(ibex_slots::partition_device(&disk, p.number));
                }
            }
            Err(Error::NoMedium(format!(
                "no GPT partition named '{name}' on any disk"
            )))
        }
    }
}

/// An open medium: a block device, or in tests a file standing in for one.
#[derive(Debug)]
pub struct Medium {
    /// Its path, for messages.
    pub path: PathBuf,
    file: File,
    size: u64,
}

impl Medium {
    /// Opens `path` for reading, and for writing too when `write`.
    pub fn open(path: &Path, write: bool) -> Result<Medium, Error> {
        let io = |e| Error::Io(path.display().to_string(), e);
        let mut file = OpenOptions::new()
            .read(true)
            .write(write)
            .open(path)
            .map_err(io)?;
        // A block device's metadata says 0 bytes; its end says its size.
        let size = file.seek(SeekFrom::End(0)).map_err(io)?;
        Ok(Medium {
            path: path.to_path_buf(),
            file,
            size,
        })
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Reads exactly `buf.len()` bytes at `offset`.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), Error> {
        self.file.read_exact_at(buf, offset).map_err(|e| self.io(e))
    }

    /// Writes all of `buf` at `offset`.
    pub fn write_at(&self, offset: u64, buf: &[u8]) -> Result<(), Error> {
        self.file.write_all_at(buf, offset).map_err(|e| self.io(e))
    }

    /// Waits until what was written is on the medium.
    pub fn sync(&self) -> Result<(), Error> {
        self.file.sync_all().map_err(|e| self.io(e))
    }

    fn io(&self, e: std::io::Error) -> Error {
        Error::Io(self.path.display().to_string(), e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conf() {
        assert_eq!(parse_conf(""), Media::Partition("data".into()));
        assert_eq!(
            parse_conf("# saved here\nLBU_MEDIA=/dev/sdb1\n"),
            Media::Device("/dev/sdb1".into())
        );
        assert_eq!(
            parse_conf("LBU_MEDIA=\"cfg\"\n"),
            Media::Partition("cfg".into())
        );
    }
}
