//! UEFI load options — the contents of a `Boot####` variable (UEFI 2.x
//! section 3.1.3) — with the two device-path nodes Ibex boots from, the
//! `BootOrder`/`BootNext` arrays, and the framing of efivarfs files.
//!
//! A load option, all integers little endian:
//!
//! ```text
//! size  field
//! 4     attributes (LOAD_OPTION_ACTIVE = 1)
//! 2     FilePathListLength L: bytes of the device path below
//! 2n+2  description, UCS-2, NUL-terminated
//! L     device path: nodes of [type u8, subtype u8, length u16, data]
//!         hard drive  4/1, length 42: partition number u32, start LBA u64,
//!                     size in LBAs u64, partition GUID (16, on-disk order),
//!                     partition format u8 (2 = GPT), signature type u8 (2 = GUID)
//!         file path   4/4, length 4+2m+2: UCS-2 path, NUL-terminated
//!         end         0x7f/0xff, length 4
//! rest  optional data (for a Linux EFI stub: the kernel command line, UCS-2)
//! ```
//!
//! Ibex writes strings with [`str::encode_utf16`]: UCS-2 for every
//! character in the Basic Multilingual Plane, surrogate pairs beyond it
//! (which firmware shows as two unknown characters).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::gpt::Guid;
use crate::{array, le_u16, le_u32, le_u64};

/// Load option attribute: the firmware may boot it.
pub const LOAD_OPTION_ACTIVE: u32 = 1;
/// efivarfs attribute: the variable survives a reset.
pub const EFI_VARIABLE_NON_VOLATILE: u32 = 1;
/// efivarfs attribute: readable and writable during boot services.
pub const EFI_VARIABLE_BOOTSERVICE_ACCESS: u32 = 2;
/// efivarfs attribute: readable (and writable) by the running OS.
pub const EFI_VARIABLE_RUNTIME_ACCESS: u32 = 4;
/// The attributes `Boot####`, `BootOrder` and `BootNext` are written with.
pub const BOOT_VARIABLE_ATTRIBUTES: u32 =
    EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS;
/// The vendor GUID of the global variables (`Boot####`, `BootOrder`,
/// `BootNext`, ...), lower case as efivarfs file names spell it
/// (`/sys/firmware/efi/efivars/BootOrder-8be4df61-...`).
pub const GLOBAL_VARIABLE: &str = "8be4df61-93ca-11d2-aa0d-00e098032b8c";

const MEDIA: u8 = 4;
const HARD_DRIVE: u8 = 1;
const FILE_PATH: u8 = 4;
const END: u8 = 0x7f;
const END_ENTIRE: u8 = 0xff;
const HARD_DRIVE_LEN: u16 = 42;
const GPT_FORMAT: u8 = 2;
const GUID_SIGNATURE: u8 = 2;

/// A hard-drive device-path node for a GPT partition: where the firmware
/// finds the partition, checked by its GUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HardDrive {
    /// The partition's entry number (1-based, [`crate::gpt::Partition::number`]).
    pub partition_number: u32,
    /// Its first LBA.
    pub start_lba: u64,
    /// Its size in LBAs.
    pub size_lba: u64,
    /// Its unique GUID.
    pub partition_guid: Guid,
}

/// A load option: what one `Boot####` variable holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOption {
    /// Attribute bits ([`LOAD_OPTION_ACTIVE`], ...).
    pub attributes: u32,
    /// What the firmware's boot menu shows.
    pub description: String,
    /// The partition, if the device path has a GPT hard-drive node.
    pub hard_drive: Option<HardDrive>,
    /// The file on it, as in `\EFI\BOOT\BOOTX64.EFI`.
    pub file_path: Option<String>,
    /// Bytes passed to the loaded image (see [`ucs2`]).
    pub optional_data: Vec<u8>,
}

/// Why bytes are not a load option or boot order, or a load option
/// cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Shorter than the fixed fields.
    TooShort,
    /// The description has no terminating NUL.
    UnterminatedDescription,
    /// The device path runs past the end of the option.
    BadFilePathListLength,
    /// A device-path node is shorter than its header, runs past the
    /// device path, or (hard drive, file path) has a wrong length.
    BadNode,
    /// The device path has no end node.
    MissingEnd,
    /// A boot order or efivarfs file of an impossible length.
    BadLength,
    /// A description or file path contains NUL (encoding).
    ContainsNul,
    /// The device path would exceed 65535 bytes (encoding).
    TooLong,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::TooShort => "load option too short",
            Error::UnterminatedDescription => "load option description is not NUL-terminated",
            Error::BadFilePathListLength => "load option device path runs past its end",
            Error::BadNode => "malformed device path node",
            Error::MissingEnd => "device path has no end node",
            Error::BadLength => "variable data has an impossible length",
            Error::ContainsNul => "description or file path contains NUL",
            Error::TooLong => "device path longer than 65535 bytes",
        })
    }
}

impl core::error::Error for Error {}

/// `s` as UTF-16 little endian (UCS-2 for the Basic Multilingual Plane),
/// followed by a NUL.
pub fn ucs2(s: &str) -> Vec<u8> {
    s.encode_utf16()
        .chain([0])
        .flat_map(|u| u.to_le_bytes())
        .collect()
}

/// Reads UTF-16 little endian up to the first NUL or the end: the
/// inverse of [`ucs2`]. `None` for an odd length or unpaired surrogates.
pub fn from_ucs2(bytes: &[u8]) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    char::decode_utf16(units(bytes).take_while(|&u| u != 0))
        .collect::<Result<String, _>>()
        .ok()
}

/// Encodes a load option: attributes, device-path length, description,
/// then a device path of the hard-drive node (if any), the file-path node
/// (if any) and the end node, then the optional data. Refuses a
/// description or path with NUL, or a path too long for a node.
pub fn encode_load_option(opt: &LoadOption) -> Result<Vec<u8>, Error> {
    if opt.description.contains('\0') || opt.file_path.as_deref().is_some_and(|p| p.contains('\0'))
    {
        return Err(Error::ContainsNul);
    }
    let mut path = Vec::new();
    if let Some(hd) = &opt.hard_drive {
        path.extend_from_slice(&[MEDIA, HARD_DRIVE]);
        path.extend_from_slice(&HARD_DRIVE_LEN.to_le_bytes());
        path.extend_from_slice(&hd.partition_number.to_le_bytes());
        path.extend_from_slice(&hd.start_lba.to_le_bytes());
        path.extend_from_slice(&hd.size_lba.to_le_bytes());
        path.extend_from_slice(&hd.partition_guid.0);
        path.extend_from_slice(&[GPT_FORMAT, GUID_SIGNATURE]);
    }
    if let Some(file) = &opt.file_path {
        let text = ucs2(file);
        let len = u16::try_from(4 + text.len()).map_err(|_| Error::TooLong)?;
        path.extend_from_slice(&[MEDIA, FILE_PATH]);
        path.extend_from_slice(&len.to_le_bytes());
        path.extend_from_slice(&text);
    }
    path.extend_from_slice(&[END, END_ENTIRE, 4, 0]);
    let path_len = u16::try_from(path.len()).map_err(|_| Error::TooLong)?;

    let mut out = Vec::new();
    out.extend_from_slice(&opt.attributes.to_le_bytes());
    out.extend_from_slice(&path_len.to_le_bytes());
    out.extend_from_slice(&ucs2(&opt.description));
    out.extend_from_slice(&path);
    out.extend_from_slice(&opt.optional_data);
    Ok(out)
}

/// Decodes a load option, as written here or by firmware and other tools.
/// Walks the first device path to its end node, skipping nodes it does
/// not know (the PCI and ACPI prefixes firmware adds); takes the first
/// GPT hard-drive node (hard-drive nodes for MBR partitions are skipped)
/// and the concatenation of the file-path nodes. Strict about lengths:
/// every node must lie inside the device path, which must lie inside the
/// option. Strings are decoded leniently (unpaired surrogates become
/// U+FFFD).
pub fn decode_load_option(bytes: &[u8]) -> Result<LoadOption, Error> {
    if bytes.len() < 6 {
        return Err(Error::TooShort);
    }
    let attributes = le_u32(bytes, 0);
    let path_len = usize::from(le_u16(bytes, 4));
    let (description, path_start) = utf16_until_nul(&bytes[6..])
        .map(|(text, used)| (text, 6 + used))
        .ok_or(Error::UnterminatedDescription)?;
    let path = bytes
        .get(path_start..path_start + path_len)
        .ok_or(Error::BadFilePathListLength)?;
    let optional_data = bytes[path_start + path_len..].to_vec();

    let mut hard_drive = None;
    let mut file_path: Option<String> = None;
    let mut rest = path;
    loop {
        let Some(&[kind, subtype, l0, l1]) = rest.get(..4) else {
            return Err(if rest.is_empty() {
                Error::MissingEnd
            } else {
                Error::BadNode
            });
        };
        let len = usize::from(u16::from_le_bytes([l0, l1]));
        // len >= 4 is what makes the walk advance on every node.
        if len < 4 {
            return Err(Error::BadNode);
        }
        let node = rest.get(..len).ok_or(Error::BadNode)?;
        rest = &rest[len..];
        match (kind, subtype) {
            (END, END_ENTIRE) => break,
            (MEDIA, HARD_DRIVE) => {
                if len != usize::from(HARD_DRIVE_LEN) {
                    return Err(Error::BadNode);
                }
                if hard_drive.is_none() && node[40] == GPT_FORMAT && node[41] == GUID_SIGNATURE {
                    hard_drive = Some(HardDrive {
                        partition_number: le_u32(node, 4),
                        start_lba: le_u64(node, 8),
                        size_lba: le_u64(node, 16),
                        partition_guid: Guid(array(node, 24)),
                    });
                }
            }
            (MEDIA, FILE_PATH) => {
                if !len.is_multiple_of(2) {
                    return Err(Error::BadNode);
                }
                // Some firmware leaves the NUL out: take the whole node.
                let text = match utf16_until_nul(&node[4..]) {
                    Some((text, _)) => text,
                    None => String::from_utf16_lossy(&units(&node[4..]).collect::<Vec<_>>()),
                };
                file_path.get_or_insert_with(String::new).push_str(&text);
            }
            _ => {}
        }
    }
    Ok(LoadOption {
        attributes,
        description,
        hard_drive,
        file_path,
        optional_data,
    })
}

/// The UTF-16LE code units of `bytes` (an odd last byte is ignored).
fn units(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .map(|u| u16::from_le_bytes([u[0], u[1]]))
}

/// Decodes UTF-16LE up to a NUL unit; returns the text and the bytes
/// used, NUL included. `None` when there is no NUL.
fn utf16_until_nul(bytes: &[u8]) -> Option<(String, usize)> {
    let end = units(bytes).position(|u| u == 0)?;
    let text: Vec<u16> = units(bytes).take(end).collect();
    Some((String::from_utf16_lossy(&text), 2 * end + 2))
}

/// Encodes a `BootOrder` (or, with one entry, `BootNext`) value: the
/// option numbers as u16 little endian.
pub fn encode_boot_order(entries: &[u16]) -> Vec<u8> {
    entries.iter().flat_map(|n| n.to_le_bytes()).collect()
}

/// Decodes a `BootOrder` or `BootNext` value; refuses an odd length.
pub fn decode_boot_order(bytes: &[u8]) -> Result<Vec<u16>, Error> {
    if !bytes.len().is_multiple_of(2) {
        return Err(Error::BadLength);
    }
    Ok(units(bytes).collect())
}

/// The name of load option `number`: `Boot0001` (four upper-case hex
/// digits, as the specification requires).
pub fn boot_variable(number: u16) -> String {
    alloc::format!("Boot{number:04X}")
}

/// The option number of a `Boot####` variable name (either case of hex
/// digits, as firmware varies), or `None` for any other name.
pub fn parse_boot_variable(name: &str) -> Option<u16> {
    let digits = name.strip_prefix("Boot")?;
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(digits, 16).ok()
}

/// The contents of an efivarfs file for a variable: the attributes as
/// u32 little endian, then the data.
pub fn variable_file(attributes: u32, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + data.len());
    out.extend_from_slice(&attributes.to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// Splits an efivarfs file into its attributes and data; refuses a file
/// shorter than the attributes.
pub fn split_variable_file(bytes: &[u8]) -> Result<(u32, &[u8]), Error> {
    match bytes.split_first_chunk::<4>() {
        Some((attributes, data)) => Ok((u32::from_le_bytes(*attributes), data)),
        None => Err(Error::BadLength),
    }
}
