//! The installed-package database and the world file, and the one way
//! this crate writes a whole file: atomically.
//!
//! The database is `lib/ibex/pkg/installed` under the root:
//!
//! ```text
//! offset size  field
//! 0      4     magic "IBXD"
//! 4      2     format version, little endian (currently 1)
//! 6      N     postcard encoding of `Database`
//! 6+N    4     CRC32 of bytes 0..6+N, little endian
//! ```
//!
//! The world file `etc/ibex/world` is text, one dependency per line
//! (`sqlite`, `lua>=5.4`), as apk's `/etc/apk/world`: what the user asked
//! for; everything else installed is there because something in the world
//! needs it.

use crate::Error;
use ibex_package::{Dependency, Metadata};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Database path relative to the root.
pub const DB_PATH: &str = "lib/ibex/pkg/installed";
/// World file path relative to the root.
pub const WORLD_PATH: &str = "etc/ibex/world";
const MAGIC: [u8; 4] = *b"IBXD";
const VERSION: u16 = 1;

/// Everything installed.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Default)]
pub struct Database {
    /// Installed packages, sorted by name.
    pub packages: Vec<Installed>,
}

/// One installed package.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// Its metadata as the package file carried it.
    pub metadata: Metadata,
    /// SHA-256 of the package file it came from.
    pub file_sha256: [u8; 32],
}

impl Database {
    /// Encodes with header and CRC.
    pub fn encode(&self) -> Vec<u8> {
        frame(MAGIC, self)
    }

    /// Decodes, refusing anything damaged.
    pub fn decode(bytes: &[u8]) -> Result<Database, String> {
        unframe(MAGIC, "package database", bytes)
    }

    /// Reads the database under `root`; none yet is an empty database.
    pub fn load(root: &Path) -> Result<Database, Error> {
        let path = root.join(DB_PATH);
        match fs::read(&path) {
            Ok(bytes) => Database::decode(&bytes).map_err(|e| Error::at(&path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Database::default()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    /// The installed package called `name`.
    pub fn get(&self, name: &str) -> Option<&Installed> {
        self.packages.iter().find(|p| p.metadata.name == name)
    }
}

/// Encodes `value` as magic, version, postcard body and CRC32: the layout
/// of the database and of the transaction journal.
pub(crate) fn frame<T: Serialize>(magic: [u8; 4], value: &T) -> Vec<u8> {
    let mut out = magic.to_vec();
    out.extend_from_slice(&VERSION.to_le_bytes());
    // Serializing owned data into a Vec cannot fail.
    out.extend_from_slice(&postcard::to_allocvec(value).unwrap_or_default());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Decodes what [`frame`] wrote, refusing anything damaged.
pub(crate) fn unframe<T: serde::de::DeserializeOwned>(
    magic: [u8; 4],
    what: &str,
    bytes: &[u8],
) -> Result<T, String> {
    if bytes.len() < 10 || bytes[..4] != magic {
        return Err(format!("not a {what}"));
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != VERSION {
        return Err(format!("{what} version {version} is not supported"));
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    if crc32fast::hash(body).to_le_bytes() != crc {
        return Err(format!("{what} CRC mismatch: the file is corrupted"));
    }
    match postcard::take_from_bytes::<T>(&body[6..]) {
        Ok((value, [])) => Ok(value),
        _ => Err(format!("{what} is malformed")),
    }
}

/// Reads the world file (missing: empty world).
pub fn load_world(root: &Path) -> Result<Vec<Dependency>, Error> {
    let path = root.join(WORLD_PATH);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&path, e)),
    };
    text.split_whitespace()
        .map(|w| Dependency::parse(w).map_err(|e| Error::at(&path, e.to_string())))
        .collect()
}

/// The world file's text for `world`.
pub fn world_text(world: &[Dependency]) -> String {
    world.iter().map(|d| format!("{d}\n")).collect()
}

/// Writes `data` to `path` so that a crash leaves either the old file or
/// the new one: a temporary file beside it, fsync, rename, fsync of the
/// directory.
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        fs::File::open(dir)?.sync_all()
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io(path, e)
    })
}
