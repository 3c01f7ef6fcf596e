//! Filesystem identification by superblock (ext2/3/4, vfat, squashfs,
//! iso9660, swap): what `blkid` shows, and how `mount` finds the device
//! behind `LABEL=` and `UUID=`.

use std::ffi::OsString;
use std::io::{Read, Seek, SeekFrom};

/// What was found on one device.
#[derive(Debug, Default, PartialEq)]
pub struct Probe {
    /// Filesystem type as blkid names it.
    pub fstype: &'static str,
    /// Volume label, if any.
    pub label: Vec<u8>,
    /// UUID or serial number as text, if any.
    pub uuid: String,
}

/// /dev/NAME for every line of /proc/partitions.
pub fn partitions() -> Vec<OsString> {
    let text = std::fs::read_to_string("/proc/partitions").unwrap_or_default();
    text.lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().nth(3))
        .map(|n| OsString::from(format!("/dev/{n}")))
        .collect()
}

/// A device named by what is on it rather than by its path, as fstab's
/// first field may do.
#[derive(Debug, PartialEq)]
pub enum Tag<'a> {
    /// `LABEL=NAME`: the filesystem's volume label.
    Label(&'a [u8]),
    /// `UUID=ID`: the filesystem's UUID (or FAT serial), any letter case.
    Uuid(&'a str),
}

impl<'a> Tag<'a> {
    /// `LABEL=x` or `UUID=x` (the value may be in double quotes, as
    /// blkid prints it); anything else is a path, not a tag.
    pub fn parse(source: &'a [u8]) -> Option<Tag<'a>> {
        let unquote = |v: &'a [u8]| -> &'a [u8] {
            v.strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(v)
        };
        if let Some(v) = source.strip_prefix(b"LABEL=") {
            return Some(Tag::Label(unquote(v)));
        }
        let v = source.strip_prefix(b"UUID=")?;
        std::str::from_utf8(unquote(v)).ok().map(Tag::Uuid)
    }

    /// Whether a probed filesystem is the one this tag names.
    pub fn matches(&self, found: &Probe) -> bool {
        match self {
            Tag::Label(label) => !label.is_empty() && found.label == *label,
            Tag::Uuid(uuid) => !uuid.is_empty() && found.uuid.eq_ignore_ascii_case(uuid),
        }
    }

    /// The first device in /proc/partitions holding the filesystem this
    /// tag names; devices that cannot be read are passed over.
    pub fn find(&self) -> Option<OsString> {
        partitions().into_iter().find(|dev| {
            std::fs::File::open(dev)
                .ok()
                .and_then(|mut f| probe(&mut f))
                .is_some_and(|found| self.matches(&found))
        })
    }
}

/// Reads `len` bytes at `offset`; short or failed reads give `None`.
fn read_at<R: Read + Seek>(dev: &mut R, offset: u64, len: usize) -> Option<Vec<u8>> {
    dev.seek(SeekFrom::Start(offset)).ok()?;
    let mut buf = vec![0u8; len];
    dev.read_exact(&mut buf).ok()?;
    Some(buf)
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The first filesystem recognised on `dev`.
pub fn probe<R: Read + Seek>(dev: &mut R) -> Option<Probe> {
    ext(dev)
        .or_else(|| squashfs(dev))
        .or_else(|| vfat(dev))
        .or_else(|| iso9660(dev))
        .or_else(|| swap(dev))
}

/// A label field: up to the first NUL, trailing spaces dropped.
fn label(field: &[u8]) -> Vec<u8> {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    field[..end].trim_ascii_end().to_vec()
}

/// A 16-byte UUID as 8-4-4-4-12 hex digits; empty if all zero.
fn uuid(b: &[u8]) -> String {
    if b.iter().all(|&x| x == 0) {
        return String::new();
    }
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// ext2/3/4: the superblock at 1024 with magic 0xEF53. ext4 features
/// (extents, 64bit, flex_bg, huge files...) make it ext4; a journal
/// without them makes it ext3.
fn ext<R: Read + Seek>(dev: &mut R) -> Option<Probe> {
    let sb = read_at(dev, 1024, 1024)?;
    if le16(&sb, 56) != 0xEF53 {
        return None;
    }
    let compat = le32(&sb, 92);
    let incompat = le32(&sb, 96);
    let ro_compat = le32(&sb, 100);
    // What ext3 supports: filetype, recover, meta_bg / sparse_super,
    // large_file, btree_dir.
    const EXT3_INCOMPAT: u32 = 0x0002 | 0x0004 | 0x0010;
    const EXT3_RO_COMPAT: u32 = 0x0001 | 0x0002 | 0x0004;
    const HAS_JOURNAL: u32 = 0x0004;
    let fstype = if incompat & !EXT3_INCOMPAT != 0 || ro_compat & !EXT3_RO_COMPAT != 0 {
        "ext4"
    } else if compat & HAS_JOURNAL != 0 {
        "ext3"
    } else {
        "ext2"
    };
    Some(Probe {
        fstype,
        label: label(&sb[120..136]),
        uuid: uuid(&sb[104..120]),
    })
}

/// squashfs: "hsqs" at the start; no label or UUID.
fn squashfs<R: Read + Seek>(dev: &mut R) -> Option<Probe> {
    (read_at(dev, 0, 4)? == b"hsqs").then(|| Probe {
        fstype: "squashfs",
        ..Probe::default()
    })
}

/// FAT12/16/32: the boot sector's 0x55AA signature and file system type
/// string; the serial number is shown as the UUID (`ABCD-1234`).
fn vfat<R: Read + Seek>(dev: &mut R) -> Option<Probe> {
    let bs = read_at(dev, 0, 512)?;
    if bs[510..512] != [0x55, 0xAA] {
        return None;
    }
    let (serial_at, label_at) = if bs[82..87] == *b"FAT32" {
        (67, 71)
    } else if bs[54..59] == *b"FAT12" || bs[54..59] == *b"FAT16" || bs[54..57] == *b"FAT" {
        (39, 43)
    } else {
        return None;
    };
    let s = &bs[serial_at..serial_at + 4];
    let mut lbl = label(&bs[label_at..label_at + 11]);
    if lbl == b"NO NAME" {
        lbl.clear();
    }
    Some(Probe {
        fstype: "vfat",
        label: lbl,
        uuid: format!("{:02X}{:02X}-{:02X}{:02X}", s[3], s[2], s[1], s[0]),
    })
}

/// ISO 9660: the primary volume descriptor at 32 KiB ("\x01CD001"); the
/// label is the volume id and the UUID is the creation time, as
/// util-linux's blkid shows them.
fn iso9660<R: Read + Seek>(dev: &mut R) -> Option<Probe> {
    let pvd = read_at(dev, 32768, 2048)?;
    if pvd[0] != 1 || &pvd[1..6] != b"CD001" {
        return None;
    }
    let date = &pvd[813..829];
    let uuid = if date.iter().all(u8::is_ascii_digit) && date.iter().any(|&d| d != b'0') {
        let d = String::from_utf8_lossy(date);
        format!(
            "{}-{}-{}-{}-{}-{}-{}",
            &d[0..4],
            &d[4..6],
            &d[6..8],
            &d[8..10],
            &d[10..12],
            &d[12..14],
            &d[14..16]
        )
    } else {
        String::new()
    };
    Some(Probe {
        fstype: "iso9660",
        label: label(&pvd[40..72]),
        uuid,
    })
}

/// Linux swap: "SWAPSPACE2" (or the old "SWAP-SPACE") at the end of the
/// first page, for page sizes 4K to 64K; version 1 headers carry a UUID
/// and label.
fn swap<R: Read + Seek>(dev: &mut R) -> Option<Probe> {
    for page in [4096u64, 8192, 16384, 32768, 65536] {
        let Some(magic) = read_at(dev, page - 10, 10) else {
            continue;
        };
        if magic == b"SWAPSPACE2" {
            let hdr = read_at(dev, 1024, 48)?;
            return Some(Probe {
                fstype: "swap",
                label: label(&hdr[28..44]),
                uuid: uuid(&hdr[12..28]),
            });
        }
        if magic == b"SWAP-SPACE" {
            return Some(Probe {
                fstype: "swap",
                ..Probe::default()
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn nothing_on_zeros_or_short_input() {
        assert_eq!(probe(&mut Cursor::new(vec![0u8; 70000])), None);
        assert_eq!(probe(&mut Cursor::new(b"hs".to_vec())), None);
        assert_eq!(uuid(&[0; 16]), "");
        assert_eq!(label(b"ROOT  \0xx"), b"ROOT");
    }

    #[test]
    fn tags_name_filesystems_by_label_or_uuid() {
        assert_eq!(Tag::parse(b"/dev/vda"), None);
        assert_eq!(Tag::parse(b"LABEL=data"), Some(Tag::Label(b"data")));
        assert_eq!(
            Tag::parse(b"LABEL=\"my disk\""),
            Some(Tag::Label(b"my disk"))
        );
        let uuid = Tag::parse(b"UUID=ABCD-1234").expect("a UUID tag");
        let fat = Probe {
            fstype: "vfat",
            label: b"BOOT".to_vec(),
            uuid: "abcd-1234".into(),
        };
        assert!(uuid.matches(&fat));
        assert!(Tag::Label(b"BOOT").matches(&fat));
        assert!(!Tag::Label(b"").matches(&Probe::default()));
        assert!(!Tag::Uuid("").matches(&Probe::default()));
    }
}
