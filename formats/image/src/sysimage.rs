//! The signed system image ("sysupgrade file"): what `ibex build` writes
//! for a board and `ibox sysupgrade` writes into the inactive slot.
//!
//! ```text
//! offset  size  field
//! 0       4     magic "IBXS"
//! 4       2     format version, little endian (1)
//! 6       2     header length, little endian (512)
//! 8       32    board name, UTF-8, NUL-padded (non-empty, no NUL inside)
//! 40      32    version string, UTF-8, NUL-padded (non-empty, no NUL inside)
//! 72      32    build id: SHA-256 of the payload
//! 104     1     payload kind: 1 = EFI slot (FAT image), 2 = raw flash partition
//! 105     3     zero
//! 108     8     payload size P, little endian
//! 116     4     payload CRC32 (IEEE), little endian
//! 120     8     key id: first 8 bytes of SHA-256 of the signer's public key
//! 128     64    ed25519 signature over bytes 0..128
//! 192     320   zero (reserved)
//! 512     P     payload
//! ```
//!
//! The signature covers the payload's SHA-256, so a header that verifies
//! vouches for the payload too; the reader can refuse an image from the
//! wrong key or for the wrong board after reading 512 bytes
//! ([`verify_header`]), and checks the payload once it has it
//! ([`check_payload`], or [`open`] for a whole file in memory). The CRC32
//! is redundant with the SHA-256 and is there so that damage reads as
//! damage ([`Error::CrcMismatch`]) rather than as tampering.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use ibex_package::keys::{PublicKey, SigningKey};
use ibex_package::sha256;

use crate::{array, le_u16, le_u32, le_u64};

/// First four bytes of a system image.
pub const MAGIC: [u8; 4] = *b"IBXS";
/// The format version this code writes and the only one it reads.
pub const VERSION: u16 = 1;
/// Length of the header; the payload starts here.
pub const HEADER_LEN: usize = 512;
/// Size of the board and version fields; their text is at most this long.
pub const NAME_LEN: usize = 32;

/// The signed part of the header: bytes `0..SIGNED_LEN`.
const SIGNED_LEN: usize = 128;
const SIG_LEN: usize = 64;
const BOARD: usize = 8;
const VERSION_AT: usize = 40;
const BUILD_ID: usize = 72;
const KIND: usize = 104;
const SIZE: usize = 108;
const CRC: usize = 116;
const KEY_ID: usize = 120;

/// What the payload is, and so how it is written into a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum PayloadKind {
    /// A FAT filesystem image holding `EFI/BOOT/BOOTX64.EFI`, written
    /// over an EFI system partition of an A/B pair.
    EfiSlot = 1,
    /// A raw firmware image, written over a flash partition.
    Flash = 2,
}

impl PayloadKind {
    /// The kind with this on-disk byte, if any.
    pub fn from_u8(byte: u8) -> Option<PayloadKind> {
        match byte {
            1 => Some(PayloadKind::EfiSlot),
            2 => Some(PayloadKind::Flash),
            _ => None,
        }
    }
}

impl fmt::Display for PayloadKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PayloadKind::EfiSlot => "EFI slot",
            PayloadKind::Flash => "flash partition",
        })
    }
}

/// A system image's header, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The board the image is for (`qemu-x86_64`, `apu2`, ...).
    pub board: String,
    /// The image's version string, shown to people.
    pub version: String,
    /// SHA-256 of the payload: identifies the build.
    pub build_id: [u8; 32],
    /// What the payload is.
    pub kind: PayloadKind,
    /// Length of the payload in bytes.
    pub payload_size: u64,
    /// CRC32 (IEEE) of the payload.
    pub payload_crc32: u32,
    /// First 8 bytes of the SHA-256 of the signer's public key
    /// ([`PublicKey::id`]).
    pub key_id: [u8; 8],
}

/// Why bytes are not a system image this code accepts, or cannot be made
/// into one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Shorter than the 512-byte header.
    TooShort,
    /// Does not start with "IBXS": not a system image.
    BadMagic,
    /// Written in another format version.
    UnsupportedVersion(u16),
    /// The header length field is not 512.
    BadHeaderLength,
    /// A header field is invalid; names the field (`board`, `version`,
    /// `payload kind`).
    BadField(&'static str),
    /// A reserved byte is not zero.
    ReservedNotZero,
    /// Signed by a key that is not trusted; carries the signer's key id.
    UnknownKey([u8; 8]),
    /// The signature does not verify.
    BadSignature,
    /// The payload's length differs from the header's (trailing bytes
    /// included).
    SizeMismatch {
        /// The size the header declares.
        expected: u64,
        /// The size found.
        actual: u64,
    },
    /// The payload's CRC32 differs from the header's: the file is damaged.
    CrcMismatch,
    /// The payload's SHA-256 differs from the signed build id.
    DigestMismatch,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TooShort => f.write_str("too short for a system image header"),
            Error::BadMagic => f.write_str("not an Ibex system image (bad magic)"),
            Error::UnsupportedVersion(v) => write!(
                f,
                "system image format version {v} is not supported (expected {VERSION})"
            ),
            Error::BadHeaderLength => write!(f, "header length is not {HEADER_LEN}"),
            Error::BadField(field) => write!(f, "invalid {field} field in the header"),
            Error::ReservedNotZero => f.write_str("reserved header bytes are not zero"),
            Error::UnknownKey(id) => {
                f.write_str("signed by an untrusted key ")?;
                id.iter().try_for_each(|b| write!(f, "{b:02x}"))
            }
            Error::BadSignature => f.write_str("bad signature"),
            Error::SizeMismatch { expected, actual } => {
                write!(f, "payload is {actual} bytes, the header says {expected}")
            }
            Error::CrcMismatch => f.write_str("payload CRC32 mismatch: the file is damaged"),
            Error::DigestMismatch => f.write_str("payload SHA-256 does not match the build id"),
        }
    }
}

impl core::error::Error for Error {}

/// Writes `text` NUL-padded into a 32-byte field, checking it.
fn put_name(out: &mut [u8], text: &str, field: &'static str) -> Result<(), Error> {
    if text.is_empty() || text.len() > NAME_LEN || text.contains('\0') {
        return Err(Error::BadField(field));
    }
    out[..text.len()].copy_from_slice(text.as_bytes());
    Ok(())
}

/// Reads a NUL-padded 32-byte field: non-empty UTF-8, then only NULs.
fn get_name(field: &[u8], name: &'static str) -> Result<String, Error> {
    let len = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    let (text, pad) = field.split_at(len);
    if text.is_empty() || pad.iter().any(|&b| b != 0) {
        return Err(Error::BadField(name));
    }
    core::str::from_utf8(text)
        .map(String::from)
        .map_err(|_| Error::BadField(name))
}

/// Builds a signed system image: the header for `payload`, signed by
/// `key`, followed by the payload. `board` and `version` must be 1 to 32
/// bytes of UTF-8 without NUL ([`Error::BadField`] otherwise).
pub fn seal(
    board: &str,
    version: &str,
    kind: PayloadKind,
    payload: &[u8],
    key: &SigningKey,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.resize(HEADER_LEN, 0);
    out[..4].copy_from_slice(&MAGIC);
    out[4..6].copy_from_slice(&VERSION.to_le_bytes());
    out[6..8].copy_from_slice(&(HEADER_LEN as u16).to_le_bytes());
    put_name(&mut out[BOARD..BOARD + NAME_LEN], board, "board")?;
    put_name(
        &mut out[VERSION_AT..VERSION_AT + NAME_LEN],
        version,
        "version",
    )?;
    out[BUILD_ID..BUILD_ID + 32].copy_from_slice(&sha256(payload));
    out[KIND] = kind as u8;
    out[SIZE..SIZE + 8].copy_from_slice(&(payload.len() as u64).to_le_bytes());
    out[CRC..CRC + 4].copy_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out[KEY_ID..KEY_ID + 8].copy_from_slice(&key.public().id());
    let signature = key.sign(&[&out[..SIGNED_LEN]]);
    out[SIGNED_LEN..SIGNED_LEN + SIG_LEN].copy_from_slice(&signature);
    out.extend_from_slice(payload);
    Ok(out)
}

/// Decodes a header and checks its structure only: magic, version,
/// header length, the fields and that reserved bytes are zero. The
/// signature is not checked, so nothing read this way may be trusted: it
/// is for showing what a file claims to be (`--info`). `bytes` is at
/// least the first 512 bytes of the file; anything after is ignored.
pub fn parse_header(bytes: &[u8]) -> Result<Header, Error> {
    // Magic and version first, so that a short file of another kind reads
    // as "not a system image" rather than "too short".
    if bytes.len() < 4 {
        return Err(Error::TooShort);
    }
    if bytes[..4] != MAGIC {
        return Err(Error::BadMagic);
    }
    if bytes.len() < 8 {
        return Err(Error::TooShort);
    }
    let version = le_u16(bytes, 4);
    if version != VERSION {
        return Err(Error::UnsupportedVersion(version));
    }
    if usize::from(le_u16(bytes, 6)) != HEADER_LEN {
        return Err(Error::BadHeaderLength);
    }
    let Some(h) = bytes.get(..HEADER_LEN) else {
        return Err(Error::TooShort);
    };
    if h[KIND + 1..SIZE].iter().any(|&b| b != 0)
        || h[SIGNED_LEN + SIG_LEN..].iter().any(|&b| b != 0)
    {
        return Err(Error::ReservedNotZero);
    }
    Ok(Header {
        board: get_name(&h[BOARD..BOARD + NAME_LEN], "board")?,
        version: get_name(&h[VERSION_AT..VERSION_AT + NAME_LEN], "version")?,
        build_id: array(h, BUILD_ID),
        kind: PayloadKind::from_u8(h[KIND]).ok_or(Error::BadField("payload kind"))?,
        payload_size: le_u64(h, SIZE),
        payload_crc32: le_u32(h, CRC),
        key_id: array(h, KEY_ID),
    })
}

/// Decodes a header ([`parse_header`]) and checks its signature against
/// the `trusted` keys: the key id must name one of them
/// ([`Error::UnknownKey`]) and the signature must verify with it. Needs
/// only the first 512 bytes, so a reader can refuse an image before
/// reading or downloading the payload; the payload is then checked with
/// [`check_payload`].
pub fn verify_header(bytes: &[u8], trusted: &[PublicKey]) -> Result<Header, Error> {
    let header = parse_header(bytes)?;
    let key = trusted
        .iter()
        .find(|k| k.id() == header.key_id)
        .ok_or(Error::UnknownKey(header.key_id))?;
    if !key.verify(
        &[&bytes[..SIGNED_LEN]],
        &bytes[SIGNED_LEN..SIGNED_LEN + SIG_LEN],
    ) {
        return Err(Error::BadSignature);
    }
    Ok(header)
}

/// Checks a payload against its (verified) header: size, CRC32, then
/// SHA-256.
pub fn check_payload(header: &Header, payload: &[u8]) -> Result<(), Error> {
    let actual = payload.len() as u64;
    if actual != header.payload_size {
        return Err(Error::SizeMismatch {
            expected: header.payload_size,
            actual,
        });
    }
    if crc32fast::hash(payload) != header.payload_crc32 {
        return Err(Error::CrcMismatch);
    }
    if sha256(payload) != header.build_id {
        return Err(Error::DigestMismatch);
    }
    Ok(())
}

/// Checks a whole system image in memory: header and signature
/// ([`verify_header`]), then the payload ([`check_payload`]); bytes after
/// the payload are a [`Error::SizeMismatch`]. Returns the header and the
/// payload.
pub fn open<'a>(file: &'a [u8], trusted: &[PublicKey]) -> Result<(Header, &'a [u8]), Error> {
    let header = verify_header(file, trusted)?;
    let payload = file.get(HEADER_LEN..).unwrap_or_default();
    check_payload(&header, payload)?;
    Ok((header, payload))
}
