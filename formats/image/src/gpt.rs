//! GUID partition tables (UEFI 2.x, chapter 5) on disks of 512-byte
//! sectors, as `ibex build` writes them for disk images and the device
//! reads them to find its A/B slots.
//!
//! The writer always makes the same shape: a protective MBR (LBA 0), the
//! primary header (LBA 1), 128 entries of 128 bytes (LBA 2..=33), the
//! usable range from LBA 34 to `disk_sectors - 34`, then the backup
//! entries and the backup header in the last 33 sectors. The reader
//! accepts any table that follows the specification (other entry counts
//! and locations included) but only 128-byte entries.
//!
//! Header (LBA 1; the backup's swaps `my_lba` and `alternate_lba` and
//! points at its own entries), all integers little endian:
//!
//! ```text
//! offset  size  field
//! 0       8     signature "EFI PART"
//! 8       4     revision 0x00010000
//! 12      4     header size (92)
//! 16      4     CRC32 of the header's bytes, this field taken as zero
//! 20      4     zero
//! 24      8     my_lba (1)
//! 32      8     alternate_lba (disk_sectors - 1)
//! 40      8     first usable LBA (34)
//! 48      8     last usable LBA (disk_sectors - 34)
//! 56      16    disk GUID
//! 72      8     partition entry LBA (2)
//! 80      4     number of entries (128)
//! 84      4     size of an entry (128)
//! 88      4     CRC32 of the entry array
//! 92      420   zero
//! ```
//!
//! Entry: type GUID (16), unique GUID (16), first LBA (8), last LBA
//! (8, inclusive), attributes (8), name (72: 36 UTF-16LE code units,
//! NUL-padded). An entry whose type GUID is zero is unused.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use ibex_package::sha256;

use crate::{array, le_u32, le_u64};

/// Bytes per sector (logical block).
pub const SECTOR: u64 = 512;
/// Number of partition entries the writer makes.
pub const ENTRIES: u32 = 128;
/// Bytes per partition entry (the only entry size the reader accepts).
pub const ENTRY_SIZE: usize = 128;
/// First usable LBA of a table written here (after MBR, header and entries).
pub const FIRST_USABLE: u64 = 34;
/// Where [`layout`] starts and aligns partitions: 1 MiB in sectors.
pub const ALIGN: u64 = 2048;
/// Bytes [`write()`] returns for the start of the disk (sectors 0..34) and
/// [`read`] needs for a table of this shape.
pub const PRIMARY_LEN: usize = 34 * SECTOR as usize;
/// Bytes [`write()`] returns for the end of the disk (the last 33 sectors).
pub const BACKUP_LEN: usize = 33 * SECTOR as usize;
/// Longest partition name, in UTF-16 code units.
pub const NAME_UNITS: usize = 36;
/// Smallest disk [`write()`] accepts: both tables and one usable sector.
pub const MIN_DISK_SECTORS: u64 = FIRST_USABLE + 1 + 33;

const SECTOR_LEN: usize = SECTOR as usize;
const SIGNATURE: [u8; 8] = *b"EFI PART";
const REVISION: u32 = 0x0001_0000;
const HEADER_SIZE: u32 = 92;
const ENTRIES_LEN: usize = ENTRIES as usize * ENTRY_SIZE;

/// A GUID, held in its on-disk byte order: the first three groups of the
/// text form little endian, the last two as written. `Display` gives the
/// canonical upper-case text form (`C12A7328-F81F-11D2-BA4B-00A0C93EC93B`),
/// `{:x}` the lower-case one (as efivarfs and `/dev/disk/by-partuuid` use).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Guid(pub [u8; 16]);

impl Guid {
    /// All zeros: the type of an unused entry.
    pub const ZERO: Guid = Guid([0; 16]);
    /// EFI system partition, `C12A7328-F81F-11D2-BA4B-00A0C93EC93B`.
    pub const EFI_SYSTEM: Guid = Guid::from_fields(
        0xC12A_7328,
        0xF81F,
        0x11D2,
        [0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B],
    );
    /// Linux filesystem data, `0FC63DAF-8483-4772-8E79-3D69D8477DE4`.
    pub const LINUX_FILESYSTEM: Guid = Guid::from_fields(
        0x0FC6_3DAF,
        0x8483,
        0x4772,
        [0x8E, 0x79, 0x3D, 0x69, 0xD8, 0x47, 0x7D, 0xE4],
    );

    /// The GUID whose text form is `a-b-c-d[0..2]-d[2..8]` in hexadecimal
    /// (the fields of UEFI's `EFI_GUID`).
    pub const fn from_fields(a: u32, b: u16, c: u16, d: [u8; 8]) -> Guid {
        let a = a.to_le_bytes();
        let b = b.to_le_bytes();
        let c = c.to_le_bytes();
        Guid([
            a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d[0], d[1], d[2], d[3], d[4], d[5],
            d[6], d[7],
        ])
    }

    /// Reads the canonical text form (36 characters, either case).
    pub fn parse(text: &str) -> Option<Guid> {
        let text = text.as_bytes();
        if text.len() != 36 {
            return None;
        }
        let mut be = [0u8; 16];
        let mut n = 0;
        let mut i = 0;
        while i < 36 {
            if matches!(i, 8 | 13 | 18 | 23) {
                if text[i] != b'-' {
                    return None;
                }
                i += 1;
                continue;
            }
            let hi = hex_digit(text[i])?;
            let lo = hex_digit(*text.get(i + 1)?)?;
            be[n] = hi << 4 | lo;
            n += 1;
            i += 2;
        }
        Some(Guid([
            be[3], be[2], be[1], be[0], be[5], be[4], be[7], be[6], be[8], be[9], be[10], be[11],
            be[12], be[13], be[14], be[15],
        ]))
    }

    /// A GUID made from the SHA-256 of `seed`, shaped as an RFC 4122
    /// version 4 GUID: the same seed always gives the same GUID, so that
    /// images build reproducibly.
    pub fn from_hash(seed: &[u8]) -> Guid {
        let mut g = array::<16>(&sha256(seed), 0);
        // Version (high nibble of the third group, little endian on disk)
        // and variant (top bits of the fourth group, as written).
        g[7] = (g[7] & 0x0f) | 0x40;
        g[8] = (g[8] & 0x3f) | 0x80;
        Guid(g)
    }

    /// Whether this is [`Guid::ZERO`].
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, upper: bool) -> fmt::Result {
        let g = &self.0;
        let order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
        for (n, &i) in order.iter().enumerate() {
            if matches!(n, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            if upper {
                write!(f, "{:02X}", g[i])?;
            } else {
                write!(f, "{:02x}", g[i])?;
            }
        }
        Ok(())
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, true)
    }
}

impl fmt::LowerHex for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, false)
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Guid({self})")
    }
}

/// One partition (a used entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// Its 1-based entry index, which is the partition's number: `sda1`,
    /// and the partition number of an EFI hard-drive device path node.
    /// The writer puts the partition in this entry.
    pub number: u32,
    /// What the partition holds ([`Guid::EFI_SYSTEM`], ...); never zero.
    pub type_guid: Guid,
    /// This partition's own GUID (`PARTUUID`).
    pub unique_guid: Guid,
    /// First sector.
    pub first_lba: u64,
    /// Last sector, inclusive.
    pub last_lba: u64,
    /// Attribute bits (bit 0: required by the platform; 48..63 type-specific).
    pub attributes: u64,
    /// Name, at most 36 UTF-16 code units, without NUL.
    pub name: String,
}

impl Partition {
    /// Its size in sectors.
    pub fn sectors(&self) -> u64 {
        self.last_lba
            .saturating_sub(self.first_lba)
            .saturating_add(1)
    }
}

/// A partition table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The disk's GUID.
    pub disk_guid: Guid,
    /// Used entries, in entry order.
    pub partitions: Vec<Partition>,
}

/// Why a table cannot be written, or bytes are not a table this code
/// accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Fewer bytes than the header and its entry array need.
    TooShort,
    /// LBA 1 does not start with "EFI PART": no GPT.
    BadSignature,
    /// A header revision other than 1.0.
    UnsupportedRevision(u32),
    /// A header size below 92 or above a sector.
    BadHeaderSize(u32),
    /// The header's CRC32 does not match: it is damaged.
    HeaderCrcMismatch,
    /// Reserved header bytes are not zero.
    ReservedNotZero,
    /// The primary header does not say it is at LBA 1.
    BadMyLba(u64),
    /// Entries of another size than 128 bytes.
    BadEntrySize(u32),
    /// The entry array overlaps the header or its size overflows.
    BadEntryArray,
    /// The entry array's CRC32 does not match: it is damaged.
    EntriesCrcMismatch,
    /// The usable range is empty, overlaps the entries or the backup header.
    BadUsableRange,
    /// A disk of this many sectors cannot hold two tables and a partition.
    DiskTooSmall(u64),
    /// A partition number outside 1..=entries, or used twice.
    BadNumber(u32),
    /// A partition (by number) ends before it starts or lies outside the
    /// usable range.
    BadRange(u32),
    /// Two partitions (by number) share sectors.
    Overlap(u32, u32),
    /// A partition's (by number) name is longer than 36 UTF-16 code units
    /// or contains NUL.
    BadName(u32),
    /// A partition's (by number) type GUID is zero, which marks unused
    /// entries.
    ZeroType(u32),
    /// [`layout`]: a size of zero, or "the rest" for a partition that is
    /// not the last.
    BadSize(u32),
    /// [`layout`]: the partition (by number) does not fit on the disk.
    DoesNotFit(u32),
    /// More partitions than entries.
    TooManyPartitions,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TooShort => f.write_str("too short for a GPT header and its entries"),
            Error::BadSignature => f.write_str("no GPT header (bad signature)"),
            Error::UnsupportedRevision(r) => write!(f, "GPT revision {r:#010x} is not supported"),
            Error::BadHeaderSize(s) => write!(f, "GPT header size {s} is invalid"),
            Error::HeaderCrcMismatch => f.write_str("GPT header CRC32 mismatch"),
            Error::ReservedNotZero => f.write_str("reserved GPT header bytes are not zero"),
            Error::BadMyLba(l) => write!(f, "primary GPT header claims to be at LBA {l}"),
            Error::BadEntrySize(s) => write!(f, "GPT entry size {s} is not supported"),
            Error::BadEntryArray => f.write_str("GPT entry array location or size is invalid"),
            Error::EntriesCrcMismatch => f.write_str("GPT entry array CRC32 mismatch"),
            Error::BadUsableRange => f.write_str("GPT usable range is invalid"),
            Error::DiskTooSmall(s) => write!(f, "a disk of {s} sectors is too small for a GPT"),
            Error::BadNumber(n) => write!(f, "partition number {n} is invalid or used twice"),
            Error::BadRange(n) => {
                write!(f, "partition {n} is empty or outside the usable sectors")
            }
            Error::Overlap(a, b) => write!(f, "partitions {a} and {b} overlap"),
            Error::BadName(n) => write!(
                f,
                "partition {n}: name longer than {NAME_UNITS} UTF-16 units or contains NUL"
            ),
            Error::ZeroType(n) => write!(f, "partition {n} has a zero type GUID"),
            Error::BadSize(n) => write!(
                f,
                "partition {n}: size zero, or \"the rest\" before the last partition"
            ),
            Error::DoesNotFit(n) => write!(f, "partition {n} does not fit on the disk"),
            Error::TooManyPartitions => write!(f, "more than {ENTRIES} partitions"),
        }
    }
}

impl core::error::Error for Error {}

/// Checks partitions against a usable range and `entries` entries: what
/// the writer refuses to write and the reader refuses to return.
fn check(
    parts: &[Partition],
    first_usable: u64,
    last_usable: u64,
    entries: u32,
) -> Result<(), Error> {
    for p in parts {
        if p.number == 0 || p.number > entries {
            return Err(Error::BadNumber(p.number));
        }
        if p.type_guid.is_zero() {
            return Err(Error::ZeroType(p.number));
        }
        if p.name.contains('\0') || p.name.encode_utf16().count() > NAME_UNITS {
            return Err(Error::BadName(p.number));
        }
        if p.first_lba > p.last_lba || p.first_lba < first_usable || p.last_lba > last_usable {
            return Err(Error::BadRange(p.number));
        }
    }
    let mut numbers: Vec<u32> = parts.iter().map(|p| p.number).collect();
    ibex_sort::sort(&mut numbers);
    if let Some(w) = numbers.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::BadNumber(w[0]));
    }
    let mut spans: Vec<&Partition> = parts.iter().collect();
    ibex_sort::sort_by_key(&mut spans, |p| p.first_lba);
    if let Some(w) = spans.windows(2).find(|w| w[1].first_lba <= w[0].last_lba) {
        return Err(Error::Overlap(w[0].number, w[1].number));
    }
    Ok(())
}

/// The 512-byte protective MBR: one partition of type 0xEE covering the
/// disk from LBA 1 (or 2^32 - 1 sectors of it), so that MBR-only tools
/// see the disk as in use.
fn protective_mbr(disk_sectors: u64) -> [u8; SECTOR_LEN] {
    let mut mbr = [0u8; SECTOR_LEN];
    let size = u32::try_from(disk_sectors - 1).unwrap_or(u32::MAX);
    let record = &mut mbr[446..462];
    // Boot indicator 0; starting CHS 0/0/2; type 0xEE; ending CHS
    // 0xFFFFFF (not representable); starting LBA 1; size.
    record[..8].copy_from_slice(&[0x00, 0x00, 0x02, 0x00, 0xEE, 0xFF, 0xFF, 0xFF]);
    record[8..12].copy_from_slice(&1u32.to_le_bytes());
    record[12..16].copy_from_slice(&size.to_le_bytes());
    mbr[510] = 0x55;
    mbr[511] = 0xAA;
    mbr
}

fn header(
    table: &Table,
    [my_lba, alternate_lba, entry_lba, last_usable]: [u64; 4],
    entries_crc: u32,
) -> [u8; SECTOR_LEN] {
    let mut h = [0u8; SECTOR_LEN];
    h[..8].copy_from_slice(&SIGNATURE);
    h[8..12].copy_from_slice(&REVISION.to_le_bytes());
    h[12..16].copy_from_slice(&HEADER_SIZE.to_le_bytes());
    h[24..32].copy_from_slice(&my_lba.to_le_bytes());
    h[32..40].copy_from_slice(&alternate_lba.to_le_bytes());
    h[40..48].copy_from_slice(&FIRST_USABLE.to_le_bytes());
    h[48..56].copy_from_slice(&last_usable.to_le_bytes());
    h[56..72].copy_from_slice(&table.disk_guid.0);
    h[72..80].copy_from_slice(&entry_lba.to_le_bytes());
    h[80..84].copy_from_slice(&ENTRIES.to_le_bytes());
    h[84..88].copy_from_slice(&(ENTRY_SIZE as u32).to_le_bytes());
    h[88..92].copy_from_slice(&entries_crc.to_le_bytes());
    let crc = crc32fast::hash(&h[..HEADER_SIZE as usize]);
    h[16..20].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Writes `table` for a disk of `disk_sectors` sectors. Returns the bytes
/// of sectors 0..34 (protective MBR, primary header, entries;
/// [`PRIMARY_LEN`]) and of the last 33 sectors (backup entries, then the
/// backup header; [`BACKUP_LEN`]). Refuses partitions outside the usable
/// range `34..=disk_sectors - 34`, overlapping, empty, with a zero type,
/// a bad number or a name that does not fit.
pub fn write(table: &Table, disk_sectors: u64) -> Result<(Vec<u8>, Vec<u8>), Error> {
    if disk_sectors < MIN_DISK_SECTORS {
        return Err(Error::DiskTooSmall(disk_sectors));
    }
    if table.partitions.len() > ENTRIES as usize {
        return Err(Error::TooManyPartitions);
    }
    let last_usable = disk_sectors - FIRST_USABLE;
    check(&table.partitions, FIRST_USABLE, last_usable, ENTRIES)?;

    let mut entries = vec![0u8; ENTRIES_LEN];
    for p in &table.partitions {
        // check() bounded the number to 1..=ENTRIES.
        let at = (p.number as usize - 1) * ENTRY_SIZE;
        let e = &mut entries[at..at + ENTRY_SIZE];
        e[..16].copy_from_slice(&p.type_guid.0);
        e[16..32].copy_from_slice(&p.unique_guid.0);
        e[32..40].copy_from_slice(&p.first_lba.to_le_bytes());
        e[40..48].copy_from_slice(&p.last_lba.to_le_bytes());
        e[48..56].copy_from_slice(&p.attributes.to_le_bytes());
        for (slot, unit) in e[56..].chunks_exact_mut(2).zip(p.name.encode_utf16()) {
            slot.copy_from_slice(&unit.to_le_bytes());
        }
    }
    let entries_crc = crc32fast::hash(&entries);
    let last = disk_sectors - 1;
    let backup_entries = disk_sectors - 33;

    let mut primary = Vec::with_capacity(PRIMARY_LEN);
    primary.extend_from_slice(&protective_mbr(disk_sectors));
    primary.extend_from_slice(&header(table, [1, last, 2, last_usable], entries_crc));
    primary.extend_from_slice(&entries);

    let mut backup = entries;
    backup.extend_from_slice(&header(
        table,
        [last, 1, backup_entries, last_usable],
        entries_crc,
    ));
    Ok((primary, backup))
}

/// Reads the primary table from the start of a disk: at least sectors
/// 0..=1 and the entry array ([`PRIMARY_LEN`] bytes hold any table
/// [`write()`] makes). Checks the signature, revision, header size, header
/// CRC32, reserved bytes, `my_lba == 1`, 128-byte entries, the entry
/// array's CRC32, the usable range, and the partitions as [`write()`] does.
/// Returns the used entries in entry order, each with its entry number.
/// The protective MBR and the backup table are not read.
pub fn read(first_sectors: &[u8]) -> Result<Table, Error> {
    let h = first_sectors
        .get(SECTOR_LEN..2 * SECTOR_LEN)
        .ok_or(Error::TooShort)?;
    if h[..8] != SIGNATURE {
        return Err(Error::BadSignature);
    }
    let revision = le_u32(h, 8);
    if revision != REVISION {
        return Err(Error::UnsupportedRevision(revision));
    }
    let size = le_u32(h, 12);
    if size < HEADER_SIZE || size as usize > SECTOR_LEN {
        return Err(Error::BadHeaderSize(size));
    }
    let size = size as usize;
    let mut copy = [0u8; SECTOR_LEN];
    copy[..size].copy_from_slice(&h[..size]);
    copy[16..20].fill(0);
    if crc32fast::hash(&copy[..size]) != le_u32(h, 16) {
        return Err(Error::HeaderCrcMismatch);
    }
    if h[20..24].iter().chain(&h[size..]).any(|&b| b != 0) {
        return Err(Error::ReservedNotZero);
    }
    let my_lba = le_u64(h, 24);
    if my_lba != 1 {
        return Err(Error::BadMyLba(my_lba));
    }
    let entry_size = le_u32(h, 84);
    if entry_size as usize != ENTRY_SIZE {
        return Err(Error::BadEntrySize(entry_size));
    }
    let entry_lba = le_u64(h, 72);
    let count = le_u32(h, 80);
    let array_len = count as u64 * ENTRY_SIZE as u64;
    let start = entry_lba
        .checked_mul(SECTOR)
        .filter(|_| entry_lba >= 2)
        .ok_or(Error::BadEntryArray)?;
    let end = start.checked_add(array_len).ok_or(Error::BadEntryArray)?;
    let entries = usize::try_from(start)
        .ok()
        .zip(usize::try_from(end).ok())
        .and_then(|(s, e)| first_sectors.get(s..e))
        .ok_or(Error::TooShort)?;
    if crc32fast::hash(entries) != le_u32(h, 88) {
        return Err(Error::EntriesCrcMismatch);
    }

    let first_usable = le_u64(h, 40);
    let last_usable = le_u64(h, 48);
    let alternate = le_u64(h, 32);
    let entries_end_lba = end.div_ceil(SECTOR);
    if first_usable < entries_end_lba || first_usable > last_usable || last_usable >= alternate {
        return Err(Error::BadUsableRange);
    }

    let mut partitions = Vec::new();
    for (i, e) in entries.chunks_exact(ENTRY_SIZE).enumerate() {
        let type_guid = Guid(array(e, 0));
        if type_guid.is_zero() {
            continue;
        }
        let units: Vec<u16> = e[56..]
            .chunks_exact(2)
            .map(|u| u16::from_le_bytes([u[0], u[1]]))
            .take_while(|&u| u != 0)
            .collect();
        partitions.push(Partition {
            // i < count, which is a u32.
            number: i as u32 + 1,
            type_guid,
            unique_guid: Guid(array(e, 16)),
            first_lba: le_u64(e, 32),
            last_lba: le_u64(e, 40),
            attributes: le_u64(e, 48),
            name: String::from_utf16_lossy(&units),
        });
    }
    check(&partitions, first_usable, last_usable, count)?;
    Ok(Table {
        disk_guid: Guid(array(h, 56)),
        partitions,
    })
}

/// Lays partitions out on a disk of `disk_sectors` sectors, in the order
/// given, numbered from 1: the first at LBA 2048, each one at the next
/// 1 MiB boundary (multiple of 2048 sectors) after the previous. Each
/// request is `(name, type GUID, size in sectors)`, the size `None` for
/// "the rest of the disk" (up to the last usable sector), allowed for the
/// last request only. Unique GUIDs are derived from the disk's: partition
/// `n` gets `Guid::from_hash(disk_guid.0 ++ n as u32 little endian)`.
/// Fails with [`Error::DoesNotFit`] when a partition would end past the
/// last usable sector.
pub fn layout(
    disk_sectors: u64,
    disk_guid: &Guid,
    requests: &[(&str, Guid, Option<u64>)],
) -> Result<Vec<Partition>, Error> {
    if disk_sectors < MIN_DISK_SECTORS {
        return Err(Error::DiskTooSmall(disk_sectors));
    }
    if requests.len() > ENTRIES as usize {
        return Err(Error::TooManyPartitions);
    }
    let last_usable = disk_sectors - FIRST_USABLE;
    let mut next = ALIGN;
    let mut out = Vec::with_capacity(requests.len());
    for (i, &(name, type_guid, size)) in requests.iter().enumerate() {
        // At most ENTRIES requests, so this fits.
        let number = i as u32 + 1;
        let first = next
            .checked_next_multiple_of(ALIGN)
            .ok_or(Error::DoesNotFit(number))?;
        let last = match size {
            Some(0) => return Err(Error::BadSize(number)),
            Some(n) => first.checked_add(n - 1).ok_or(Error::DoesNotFit(number))?,
            None if i + 1 == requests.len() => last_usable,
            None => return Err(Error::BadSize(number)),
        };
        if first > last_usable || last > last_usable {
            return Err(Error::DoesNotFit(number));
        }
        let mut seed = [0u8; 20];
        seed[..16].copy_from_slice(&disk_guid.0);
        seed[16..].copy_from_slice(&number.to_le_bytes());
        out.push(Partition {
            number,
            type_guid,
            unique_guid: Guid::from_hash(&seed),
            first_lba: first,
            last_lba: last,
            attributes: 0,
            name: name.into(),
        });
        next = last.saturating_add(1);
    }
    check(&out, FIRST_USABLE, last_usable, ENTRIES)?;
    Ok(out)
}
