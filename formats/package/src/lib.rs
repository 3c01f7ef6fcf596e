//! Ibex's package files and repository indexes: written by `ibex pkg` on
//! the host, read by `ibox pkg` on the device (and by the linker, which
//! installs an image's packages with the same code).
//!
//! A package file (layout in `docs/formats.md`):
//!
//! ```text
//! offset  size  field
//! 0       4     magic "IBXK"
//! 4       2     format version, little endian (currently 1)
//! 6       2     flags, zero
//! 8       8     key id: first 8 bytes of SHA-256 of the signer's public key
//! 16      4     metadata length M, little endian
//! 20      8     payload length P, little endian
//! 28      64    ed25519 signature over bytes 0..28 followed by the metadata
//! 92      M     metadata: postcard encoding of `Metadata`
//! 92+M    P     payload: raw DEFLATE of the regular files' contents,
//!               concatenated in the order of `Metadata::files`
//! 92+M+P  4     CRC32 (IEEE) of every byte before it, little endian
//! ```
//!
//! The metadata records the payload's SHA-256, so the signature covers the
//! payload too; every file's own SHA-256, size, mode and owner are in the
//! metadata as well. A repository index (`IBXI`) has the same shape
//! without a payload. Readers check, in this order: length, magic,
//! version, CRC32, the key, the signature, and only then decode the
//! metadata, so nothing unsigned is ever parsed.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod keys;
pub mod version;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use keys::{PublicKey, SigningKey};
pub use version::{Dependency, Op};

/// First four bytes of a package file.
pub const PACKAGE_MAGIC: [u8; 4] = *b"IBXK";
/// First four bytes of a repository index.
pub const INDEX_MAGIC: [u8; 4] = *b"IBXI";
/// The format version this code writes and the only one it reads.
pub const VERSION: u16 = 1;
/// Name of the index file in a repository directory.
pub const INDEX_FILE: &str = "INDEX.ibx";
/// Largest metadata or index body accepted (before any decoding).
pub const MAX_METADATA: usize = 16 << 20;
/// Mode bits that make a program run with its owner's or group's rights.
pub const SETID_BITS: u32 = 0o6000;

const SIG_LEN: usize = 64;
const PACKAGE_HEADER: usize = 28;
const INDEX_HEADER: usize = 20;

/// Everything about a package except its files' contents.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Metadata {
    /// Package name ([`version::valid_name`]).
    pub name: String,
    /// Package version ([`version::validate`]).
    pub version: String,
    /// Architecture (`x86_64`, `aarch64`, ...) or `noarch`.
    pub arch: String,
    /// One line that says what it is.
    pub description: String,
    /// SPDX licence expression.
    pub license: String,
    /// Upstream home page.
    pub url: String,
    /// What must be installed with it.
    pub depends: Vec<Dependency>,
    /// Other names this package answers to, each with an optional version.
    pub provides: Vec<Provide>,
    /// What must not be installed with it.
    pub conflicts: Vec<Dependency>,
    /// Files (paths as in `files`) the user may edit: an upgrade keeps the
    /// user's copy and writes the new one beside it as `PATH.new`.
    pub config: Vec<String>,
    /// Files (paths as in `files`) the recipe declares may carry set-user-
    /// or set-group-ID bits; any other file with them is refused.
    pub setuid: Vec<String>,
    /// Hardening checks the recipe waived, with its reasons.
    pub waivers: Vec<Waiver>,
    /// Services for init: an encoded boot plan (`ibex-plan` format), or
    /// empty when the package has none.
    pub services: Vec<u8>,
    /// Every file, directory and symlink, parents before children.
    pub files: Vec<FileEntry>,
    /// Sum of the sizes of the regular files: the payload's inflated size.
    pub installed_size: u64,
    /// SHA-256 of the (compressed) payload as it is in the file.
    pub payload_sha256: [u8; 32],
}

/// Another name a package can be depended on by.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Provide {
    /// The name.
    pub name: String,
    /// Its version, if it has one.
    pub version: Option<String>,
}

/// A hardening check a recipe switched off for one file, and why.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    /// The file (relative path) or `*` for every file.
    pub path: String,
    /// Name of the check (`pie`, `relro`, `bind-now`, `nx-stack`,
    /// `stack-protector`, `interpreter`).
    pub check: String,
    /// The recipe's written reason.
    pub reason: String,
}

/// One thing a package installs.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Path relative to the root, `/`-separated, without `.` or `..`.
    pub path: String,
    /// What it is.
    pub kind: FileKind,
    /// Permission bits (at most 0o7777; set-id bits only when declared).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

/// The kinds of file a package may carry: no device nodes, fifos or
/// sockets can be expressed at all.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// A directory.
    Dir,
    /// A regular file whose contents come next in the payload.
    File {
        /// Its size in bytes.
        size: u64,
        /// SHA-256 of its contents.
        sha256: [u8; 32],
    },
    /// A symbolic link.
    Symlink {
        /// Where it points.
        target: String,
    },
}

/// A repository's list of packages.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Index {
    /// Every package in the repository.
    pub packages: Vec<IndexEntry>,
}

/// What an index says of one package: enough to solve dependencies and
/// to fetch and check the file without opening it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// Package name.
    pub name: String,
    /// Package version.
    pub version: String,
    /// Architecture.
    pub arch: String,
    /// One-line description.
    pub description: String,
    /// Dependencies.
    pub depends: Vec<Dependency>,
    /// Provided names.
    pub provides: Vec<Provide>,
    /// Conflicts.
    pub conflicts: Vec<Dependency>,
    /// File name in the repository.
    pub file: String,
    /// Size of the package file.
    pub size: u64,
    /// SHA-256 of the whole package file.
    pub sha256: [u8; 32],
    /// Size once installed.
    pub installed_size: u64,
}

/// Why bytes are not a package or index this code accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Shorter than a header and checksum, or lengths that do not add up.
    Truncated,
    /// Not a package (or not an index).
    BadMagic,
    /// Written by another format version.
    UnsupportedVersion(u16),
    /// The CRC32 does not match: the file is damaged.
    BadChecksum,
    /// Signed by a key that is not trusted.
    UnknownKey([u8; 8]),
    /// The signature does not verify.
    BadSignature,
    /// Signed, yet not a valid encoding (a bug or a hostile signer).
    Malformed,
    /// The payload's SHA-256 differs from the metadata's.
    PayloadHashMismatch,
    /// The payload inflates to more than the metadata declares.
    PayloadTooLarge,
    /// The payload is not valid DEFLATE or ends early.
    BadPayload,
    /// A file's contents do not match its recorded SHA-256.
    FileHashMismatch(String),
    /// The metadata describes something unsafe; the text says what.
    Unsafe(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => f.write_str("truncated file"),
            Error::BadMagic => f.write_str("not an Ibex package or index (bad magic)"),
            Error::UnsupportedVersion(v) => {
                write!(
                    f,
                    "format version {v} is not supported (expected {VERSION})"
                )
            }
            Error::BadChecksum => f.write_str("CRC32 mismatch: the file is corrupted"),
            Error::UnknownKey(id) => {
                f.write_str("signed by an untrusted key ")?;
                hex(f, id)
            }
            Error::BadSignature => f.write_str("bad signature"),
            Error::Malformed => f.write_str("malformed metadata"),
            Error::PayloadHashMismatch => f.write_str("payload SHA-256 mismatch"),
            Error::PayloadTooLarge => {
                f.write_str("payload inflates beyond its declared size (decompression bomb)")
            }
            Error::BadPayload => f.write_str("payload is not valid DEFLATE data"),
            Error::FileHashMismatch(p) => write!(f, "{p}: SHA-256 mismatch"),
            Error::Unsafe(why) => f.write_str(why),
        }
    }
}

fn hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}

/// Lower-case hexadecimal of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

fn encode_body<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing owned strings and vectors into a Vec cannot fail.
    postcard::to_allocvec(value).unwrap_or_default()
}

fn seal(mut out: Vec<u8>) -> Vec<u8> {
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Checks length, magic, version and CRC; returns the bytes without the CRC.
fn unseal(bytes: &[u8], magic: [u8; 4], header: usize) -> Result<&[u8], Error> {
    if bytes.len() < 6 {
        return Err(Error::Truncated);
    }
    if bytes[..4] != magic {
        return Err(Error::BadMagic);
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != VERSION {
        return Err(Error::UnsupportedVersion(version));
    }
    if bytes.len() < header + SIG_LEN + 4 {
        return Err(Error::Truncated);
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    if crc32fast::hash(body) != le_u32(crc) {
        return Err(Error::BadChecksum);
    }
    Ok(body)
}

/// Finds the signer among `keys` and verifies `signature` over the two parts.
fn verify(
    keys: &[PublicKey],
    key_id: &[u8],
    signed: &[&[u8]],
    signature: &[u8],
) -> Result<(), Error> {
    let mut id = [0; 8];
    id.copy_from_slice(key_id);
    let key = keys
        .iter()
        .find(|k| k.id() == id)
        .ok_or(Error::UnknownKey(id))?;
    key.verify(signed, signature)
        .then_some(())
        .ok_or(Error::BadSignature)
}

fn decode_exact<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    match postcard::take_from_bytes::<T>(body) {
        Ok((value, [])) => Ok(value),
        _ => Err(Error::Malformed),
    }
}

/// Writes a package file: `payload` is the compressed payload
/// ([`compress`]), and `metadata.payload_sha256` is set from it here.
pub fn encode_package(metadata: &Metadata, payload: &[u8], key: &SigningKey) -> Vec<u8> {
    let mut metadata = metadata.clone();
    metadata.payload_sha256 = sha256(payload);
    let body = encode_body(&metadata);
    let mut out = Vec::with_capacity(PACKAGE_HEADER + SIG_LEN + body.len() + payload.len() + 4);
    out.extend_from_slice(&PACKAGE_MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&key.public().id());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    let signature = key.sign(&[&out[..PACKAGE_HEADER], &body]);
    out.extend_from_slice(&signature);
    out.extend_from_slice(&body);
    out.extend_from_slice(payload);
    seal(out)
}

/// A package whose checksum, signature and metadata have been checked.
#[derive(Debug, Clone)]
pub struct Package<'a> {
    /// Its metadata, checked by [`check_metadata`].
    pub metadata: Metadata,
    /// The compressed payload, whose SHA-256 matched.
    pub payload: &'a [u8],
}

/// Reads and checks a package file against the trusted `keys`.
pub fn decode_package<'a>(bytes: &'a [u8], keys: &[PublicKey]) -> Result<Package<'a>, Error> {
    let body = unseal(bytes, PACKAGE_MAGIC, PACKAGE_HEADER)?;
    let meta_len = le_u32(&bytes[16..20]) as usize;
    let payload_len = le_u64(&bytes[20..28]);
    if meta_len > MAX_METADATA {
        return Err(Error::Truncated);
    }
    let meta_start = PACKAGE_HEADER + SIG_LEN;
    let payload_start = meta_start + meta_len;
    if payload_start as u64 + payload_len != body.len() as u64 {
        return Err(Error::Truncated);
    }
    let meta_bytes = &body[meta_start..payload_start];
    verify(
        keys,
        &bytes[8..16],
        &[&bytes[..PACKAGE_HEADER], meta_bytes],
        &bytes[PACKAGE_HEADER..meta_start],
    )?;
    let metadata: Metadata = decode_exact(meta_bytes)?;
    let payload = &body[payload_start..];
    if sha256(payload) != metadata.payload_sha256 {
        return Err(Error::PayloadHashMismatch);
    }
    check_metadata(&metadata)?;
    Ok(Package { metadata, payload })
}

/// Reads a package's metadata after checking only its length, magic,
/// version and CRC32, without any key: for showing what an unverified
/// file claims to be (`ibex pkg info` without `--key`). Returns the
/// metadata and the id of the key it says it is signed with. Nothing
/// read this way may be trusted or installed.
pub fn inspect_package(bytes: &[u8]) -> Result<(Metadata, [u8; 8]), Error> {
    let body = unseal(bytes, PACKAGE_MAGIC, PACKAGE_HEADER)?;
    let meta_len = le_u32(&bytes[16..20]) as usize;
    let meta_start = PACKAGE_HEADER + SIG_LEN;
    if meta_len > MAX_METADATA || meta_start + meta_len > body.len() {
        return Err(Error::Truncated);
    }
    let metadata = decode_exact(&body[meta_start..meta_start + meta_len])?;
    let mut id = [0; 8];
    id.copy_from_slice(&bytes[8..16]);
    Ok((metadata, id))
}

/// Writes a signed repository index.
pub fn encode_index(index: &Index, key: &SigningKey) -> Vec<u8> {
    let body = encode_body(index);
    let mut out = Vec::with_capacity(INDEX_HEADER + SIG_LEN + body.len() + 4);
    out.extend_from_slice(&INDEX_MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&key.public().id());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    let signature = key.sign(&[&out[..INDEX_HEADER], &body]);
    out.extend_from_slice(&signature);
    out.extend_from_slice(&body);
    seal(out)
}

/// Reads and checks a repository index against the trusted `keys`.
pub fn decode_index(bytes: &[u8], keys: &[PublicKey]) -> Result<Index, Error> {
    let body = unseal(bytes, INDEX_MAGIC, INDEX_HEADER)?;
    let len = le_u32(&bytes[16..20]) as usize;
    let start = INDEX_HEADER + SIG_LEN;
    if len > MAX_METADATA || start + len != body.len() {
        return Err(Error::Truncated);
    }
    let index_bytes = &body[start..];
    verify(
        keys,
        &bytes[8..16],
        &[&bytes[..INDEX_HEADER], index_bytes],
        &bytes[INDEX_HEADER..start],
    )?;
    let index: Index = decode_exact(index_bytes)?;
    for entry in &index.packages {
        if !version::valid_name(&entry.name)
            || version::validate(&entry.version).is_err()
            || !safe_file_name(&entry.file)
        {
            return Err(Error::Unsafe(alloc::format!(
                "index entry '{}' has a bad name, version or file name",
                entry.name
            )));
        }
    }
    Ok(index)
}

/// A repository file name: one path component, no hidden files.
fn safe_file_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\0'])
}

/// Checks a relative path: non-empty components, no `.` or `..`, no NUL,
/// not absolute, at most 4096 bytes.
pub fn check_path(path: &str) -> Result<(), Error> {
    let bad = |why: &str| Err(Error::Unsafe(alloc::format!("unsafe path '{path}': {why}")));
    if path.is_empty() || path.len() > 4096 {
        return bad("empty or too long");
    }
    if path.starts_with('/') {
        return bad("absolute");
    }
    if path.contains('\0') {
        return bad("contains NUL");
    }
    for part in path.split('/') {
        match part {
            "" => return bad("empty component"),
            "." | ".." => return bad("'.' or '..' component"),
            _ => {}
        }
    }
    Ok(())
}

/// Whether a symlink at `link` (relative path) pointing at `target` stays
/// inside the root. Absolute targets are resolved inside the root by the
/// system that uses it, as in any chroot; relative ones must not climb out.
pub fn symlink_stays_inside(link: &str, target: &str) -> bool {
    if target.is_empty() || target.contains('\0') {
        return false;
    }
    if target.starts_with('/') {
        return true;
    }
    let mut depth: usize = link.split('/').count() - 1;
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            _ => depth += 1,
        }
    }
    true
}

/// Checks what a signed metadata block describes, so that even a package
/// signed by a trusted key cannot escape the root: names and versions well
/// formed; every path safe and unique; directories and files only under
/// directories the package or the system has (never under its own
/// symlinks); symlinks that stay inside; modes without file-type bits and
/// sizes that add up to `installed_size`.
pub fn check_metadata(m: &Metadata) -> Result<(), Error> {
    let unsafe_ = |why: String| Err(Error::Unsafe(why));
    if !version::valid_name(&m.name) {
        return unsafe_(alloc::format!("invalid package name '{}'", m.name));
    }
    if version::validate(&m.version).is_err() {
        return unsafe_(alloc::format!("invalid version '{}'", m.version));
    }
    let mut total: u64 = 0;
    let mut seen = alloc::collections::BTreeSet::new();
    let mut links = alloc::collections::BTreeSet::new();
    for f in &m.files {
        check_path(&f.path)?;
        if !seen.insert(f.path.as_str()) {
            return unsafe_(alloc::format!("{}: listed twice", f.path));
        }
        if f.mode & !0o7777 != 0 {
            return unsafe_(alloc::format!("{}: mode {:o} is not a permission mode (device nodes and other special files are refused)", f.path, f.mode));
        }
        // Nothing may be written through a symlink the package itself makes.
        let mut prefix = f.path.as_str();
        while let Some(cut) = prefix.rfind('/') {
            prefix = &prefix[..cut];
            if links.contains(prefix) {
                return unsafe_(alloc::format!(
                    "{}: would be written through the symlink {prefix}",
                    f.path
                ));
            }
        }
        if f.mode & SETID_BITS != 0 && !m.setuid.contains(&f.path) {
            return unsafe_(alloc::format!(
                "{}: set-id bits the recipe did not declare",
                f.path
            ));
        }
        match &f.kind {
            FileKind::File { size, .. } => {
                total = total
                    .checked_add(*size)
                    .ok_or(Error::Unsafe("file sizes overflow".into()))?;
            }
            FileKind::Symlink { target } => {
                if !symlink_stays_inside(&f.path, target) {
                    return unsafe_(alloc::format!(
                        "{}: symlink to '{target}' points out of the root",
                        f.path
                    ));
                }
                if f.mode & SETID_BITS != 0 {
                    return unsafe_(alloc::format!("{}: set-id symlink", f.path));
                }
                links.insert(f.path.as_str());
            }
            FileKind::Dir => {}
        }
    }
    if total != m.installed_size {
        return unsafe_(alloc::format!(
            "file sizes add up to {total}, not the declared {}",
            m.installed_size
        ));
    }
    for c in &m.config {
        if !m
            .files
            .iter()
            .any(|f| f.path == *c && matches!(f.kind, FileKind::File { .. }))
        {
            return unsafe_(alloc::format!(
                "config file {c} is not a file of the package"
            ));
        }
    }
    Ok(())
}

/// Compresses a payload (raw DEFLATE, level 6).
pub fn compress(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(data, 6)
}

/// The inflated payload of a checked package: the contents of each
/// regular file, every one checked against its recorded SHA-256.
#[derive(Debug, Clone)]
pub struct Contents {
    data: Vec<u8>,
    /// For each entry of `Metadata::files`, where its contents lie in `data`
    /// (empty for directories and symlinks).
    spans: Vec<core::ops::Range<usize>>,
}

impl Contents {
    /// The contents of `Metadata::files[i]` (empty for non-files).
    pub fn of(&self, i: usize) -> &[u8] {
        self.spans.get(i).map_or(&[], |r| &self.data[r.clone()])
    }
}

/// Inflates a checked package's payload, refusing to inflate beyond the
/// declared `installed_size`, and checks each file's SHA-256.
pub fn unpack(package: &Package<'_>) -> Result<Contents, Error> {
    let declared = package.metadata.installed_size;
    let limit = usize::try_from(declared).map_err(|_| Error::PayloadTooLarge)?;
    let data = match miniz_oxide::inflate::decompress_to_vec_with_limit(package.payload, limit) {
        Ok(data) => data,
        Err(e) if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
            return Err(Error::PayloadTooLarge)
        }
        Err(_) => return Err(Error::BadPayload),
    };
    if data.len() as u64 != declared {
        return Err(Error::BadPayload);
    }
    let mut spans = Vec::with_capacity(package.metadata.files.len());
    let mut at = 0usize;
    for f in &package.metadata.files {
        let span = match &f.kind {
            FileKind::File { size, sha256: want } => {
                // check_metadata made the sizes add up to data.len().
                let end = at + *size as usize;
                if sha256(&data[at..end]) != *want {
                    return Err(Error::FileHashMismatch(f.path.clone()));
                }
                core::mem::replace(&mut at, end)..end
            }
            _ => at..at,
        };
        spans.push(span);
    }
    Ok(Contents { data, spans })
}

#[cfg(test)]
mod tests;
