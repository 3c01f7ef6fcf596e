//! Repositories: where packages come from, the keys they must be signed
//! with, and the local cache of their indexes and package files.
//!
//! `etc/ibex/repositories` lists one repository per line, a directory or an
//! `http://` URL (`#` starts a comment), as `/etc/apk/repositories` does.
//! Plain HTTP is safe because every index and package is signed and every
//! package's SHA-256 is in the signed index.

use crate::{http, Error};
use ibex_package::{decode_index, keys::TRUSTED_DIR, Index, IndexEntry, PublicKey};
use std::fs;
use std::path::{Path, PathBuf};

/// Repository list path relative to the root.
pub const REPOSITORIES_PATH: &str = "etc/ibex/repositories";
/// Cache directory relative to the root.
pub const CACHE_DIR: &str = "var/cache/ibex";

/// The public keys in `etc/ibex/keys/*.pub` under the root.
pub fn trusted_keys(root: &Path) -> Result<Vec<PublicKey>, Error> {
    let dir = root.join(TRUSTED_DIR);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&dir, e)),
    };
    let mut keys = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "pub") {
            let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            let key = PublicKey::from_text(&text)
                .ok_or_else(|| Error::at(&path, "not an Ibex public key".into()))?;
            keys.push(key);
        }
    }
    Ok(keys)
}

/// Where one repository is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A directory on this system (resolved outside any `--root`).
    Dir(PathBuf),
    /// An `http://host[:port]/path` URL.
    Http(String),
}

impl Location {
    /// Parses one line of the repositories file.
    pub fn parse(line: &str) -> Result<Location, String> {
        if line.starts_with("http://") {
            http::Url::parse(&format!("{}/x", line.trim_end_matches('/')))
                .map_err(|e| e.to_string())?;
            Ok(Location::Http(line.trim_end_matches('/').to_string()))
        } else if line.starts_with('/') {
            Ok(Location::Dir(PathBuf::from(line)))
        } else if line.contains("://") {
            Err(format!(
                "repository '{line}': only directories and http:// are supported"
            ))
        } else {
            Err(format!("repository '{line}': not an absolute path or URL"))
        }
    }

    /// Reads the file `name` of this repository into memory, at most
    /// `limit` bytes.
    pub fn fetch(&self, name: &str, limit: u64) -> Result<Vec<u8>, Error> {
        match self {
            Location::Dir(dir) => {
                let path = dir.join(name);
                let len = fs::metadata(&path).map_err(|e| Error::io(&path, e))?.len();
                if len > limit {
                    return Err(Error::at(&path, format!("larger than {limit} bytes")));
                }
                fs::read(&path).map_err(|e| Error::io(&path, e))
            }
            Location::Http(base) => {
                let url = format!("{base}/{name}");
                http::get(&url, limit).map_err(|e| Error::Other(format!("{url}: {e}")))
            }
        }
    }

    /// A stable file name for this repository's cached index.
    fn cache_name(&self) -> String {
        let text = match self {
            Location::Dir(d) => d.display().to_string(),
            Location::Http(u) => u.clone(),
        };
        let hash = ibex_package::sha256(text.as_bytes());
        format!("index-{}.ibx", ibex_package::to_hex(&hash[..8]))
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Dir(d) => write!(f, "{}", d.display()),
            Location::Http(u) => f.write_str(u),
        }
    }
}

/// The repositories configured under the root, plus any given on the
/// command line.
pub fn configured(root: &Path, extra: &[String]) -> Result<Vec<Location>, Error> {
    let path = root.join(REPOSITORIES_PATH);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(Location::parse(line).map_err(|e| Error::at(&path, e))?);
    }
    for line in extra {
        out.push(Location::parse(line).map_err(Error::Other)?);
    }
    Ok(out)
}

/// One repository with its verified index.
#[derive(Debug, Clone)]
pub struct Repository {
    /// Where it is.
    pub location: Location,
    /// Its packages.
    pub index: Index,
}

/// Largest index accepted.
const MAX_INDEX: u64 = 64 << 20;

/// Fetches a repository's index, verifies it and stores it in the cache.
pub fn update(root: &Path, location: &Location, keys: &[PublicKey]) -> Result<Repository, Error> {
    let bytes = location.fetch(ibex_package::INDEX_FILE, MAX_INDEX)?;
    let index =
        decode_index(&bytes, keys).map_err(|e| Error::Other(format!("{location}: index: {e}")))?;
    let path = root.join(CACHE_DIR).join(location.cache_name());
    crate::db::write_atomic(&path, &bytes, 0o644)?;
    Ok(Repository {
        location: location.clone(),
        index,
    })
}

/// The repository's index from the cache, fetching it when there is none.
pub fn cached(root: &Path, location: &Location, keys: &[PublicKey]) -> Result<Repository, Error> {
    let path = root.join(CACHE_DIR).join(location.cache_name());
    match fs::read(&path) {
        Ok(bytes) => {
            let index = decode_index(&bytes, keys)
                .map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
            Ok(Repository {
                location: location.clone(),
                index,
            })
        }
        Err(_) => update(root, location, keys),
    }
}

/// Fetches a package named in an index and checks its size and SHA-256
/// against the index. Packages from HTTP repositories are kept in the cache
/// (a cached copy that still matches is used as it is); a local directory
/// is its own cache.
pub fn fetch_package(root: &Path, repo: &Repository, entry: &IndexEntry) -> Result<Vec<u8>, Error> {
    let path = root.join(CACHE_DIR).join("packages").join(&entry.file);
    if let Ok(bytes) = fs::read(&path) {
        if ibex_package::sha256(&bytes) == entry.sha256 {
            return Ok(bytes);
        }
    }
    let bytes = repo.location.fetch(&entry.file, entry.size)?;
    if bytes.len() as u64 != entry.size || ibex_package::sha256(&bytes) != entry.sha256 {
        return Err(Error::Other(format!(
            "{}/{}: does not match the signed index (size or SHA-256)",
            repo.location, entry.file
        )));
    }
    if let Location::Http(_) = repo.location {
        crate::db::write_atomic(&path, &bytes, 0o644)?;
    }
    Ok(bytes)
}
