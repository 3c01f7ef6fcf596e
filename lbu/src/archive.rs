//! The archive a record carries: the saved files, typed, as postcard
//! compressed with raw DEFLATE.
//!
//! Paths are absolute and normalised (`/etc/motd`: no empty, `.` or `..`
//! components, no NUL), checked when decoding, so a damaged or hostile
//! archive cannot make a restore write outside the paths it names.

use crate::Error;
use serde::{Deserialize, Serialize};

/// Largest archive accepted once decompressed: bounds what a small
/// payload can make the decoder allocate.
pub const MAX_ARCHIVE: usize = 64 << 20;
/// Most entries (and most removed paths) accepted.
pub const MAX_ENTRIES: usize = 100_000;
/// Longest path or symlink target accepted, in bytes (Linux's PATH_MAX).
pub const MAX_PATH: usize = 4096;

/// The saved configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Archive {
    /// Files, directories and links to put in place, parents before
    /// children.
    pub entries: Vec<Entry>,
    /// Paths of the image that the user deleted; deleted again at restore.
    pub removed: Vec<String>,
}

/// One saved path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Absolute, normalised path.
    pub path: String,
    /// Permission bits (and setuid, setgid, sticky): `mode & 0o7777`.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// What it is.
    pub kind: Kind,
}

/// What an entry is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// A regular file and its contents.
    File(Vec<u8>),
    /// A directory.
    Dir,
    /// A symbolic link and its target.
    Symlink(String),
}

/// Whether `path` is absolute and normalised: starts with `/`, is not `/`
/// itself, and has no empty, `.` or `..` components and no NUL.
pub fn valid_path(path: &str) -> bool {
    path.len() <= MAX_PATH
        && path.len() > 1
        && path.starts_with('/')
        && !path.contains('\0')
        && path[1..]
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

impl Archive {
    /// Encodes: postcard, then raw DEFLATE.
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        let plain = postcard::to_allocvec(self)
            .map_err(|e| Error::Archive(format!("cannot encode: {e}")))?;
        Ok(miniz_oxide::deflate::compress_to_vec(&plain, 6))
    }

    /// Decodes what [`Archive::encode`] made, refusing anything larger than
    /// the limits above or with a path that is not valid.
    pub fn decode(bytes: &[u8]) -> Result<Archive, Error> {
        let plain = miniz_oxide::inflate::decompress_to_vec_with_limit(bytes, MAX_ARCHIVE)
            .map_err(|e| Error::Archive(format!("cannot decompress: {:?}", e.status)))?;
        let archive: Archive = postcard::from_bytes(&plain)
            .map_err(|e| Error::Archive(format!("cannot decode: {e}")))?;
        if archive.entries.len() > MAX_ENTRIES || archive.removed.len() > MAX_ENTRIES {
            return Err(Error::Archive("too many entries".into()));
        }
        for p in archive
            .entries
            .iter()
            .map(|e| &e.path)
            .chain(&archive.removed)
        {
            if !valid_path(p) {
                return Err(Error::Archive(format!("invalid path {p:?}")));
            }
        }
        for e in &archive.entries {
            if let Kind::Symlink(t) = &e.kind {
                if t.is_empty() || t.len() > MAX_PATH || t.contains('\0') {
                    return Err(Error::Archive(format!(
                        "invalid link target for {}",
                        e.path
                    )));
                }
            }
        }
        Ok(archive)
    }

    /// Number of regular files and links (what "restored N files" counts).
    pub fn files(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| !matches!(e.kind, Kind::Dir))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn path() -> impl Strategy<Value = String> {
        proptest::collection::vec("[a-zA-Z0-9_.-]{1,12}", 1..5).prop_filter_map(
            "normalised",
            |parts| {
                let p = format!("/{}", parts.join("/"));
                valid_path(&p).then_some(p)
            },
        )
    }

    fn entry() -> impl Strategy<Value = Entry> {
        let kind = prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..300).prop_map(Kind::File),
            Just(Kind::Dir),
            "[a-z/]{1,20}".prop_map(Kind::Symlink),
        ];
        (path(), 0u32..0o7777, any::<u32>(), any::<u32>(), kind).prop_map(
            |(path, mode, uid, gid, kind)| Entry {
                path,
                mode,
                uid,
                gid,
                kind,
            },
        )
    }

    proptest! {
        #[test]
        fn round_trip(entries in proptest::collection::vec(entry(), 0..8), removed in proptest::collection::vec(path(), 0..4)) {
            let a = Archive { entries, removed };
            prop_assert_eq!(Archive::decode(&a.encode().unwrap()).unwrap(), a);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let _ = Archive::decode(&bytes);
        }

        #[test]
        fn arbitrary_plain_postcard_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..500)) {
            let _ = Archive::decode(&miniz_oxide::deflate::compress_to_vec(&bytes, 1));
        }
    }

    #[test]
    fn paths() {
        assert!(valid_path("/etc/motd"));
        for bad in [
            "",
            "/",
            "etc",
            "/etc/",
            "/etc//x",
            "/etc/../x",
            "/./x",
            "/a\0b",
        ] {
            assert!(!valid_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn bad_paths_are_refused() {
        let a = Archive {
            entries: vec![Entry {
                path: "/etc/../root/.ssh/authorized_keys".into(),
                mode: 0o600,
                uid: 0,
                gid: 0,
                kind: Kind::File(b"x".to_vec()),
            }],
            removed: vec![],
        };
        assert!(Archive::decode(&a.encode().unwrap()).is_err());
    }

    #[test]
    fn decompression_bomb_is_refused() {
        let big = vec![0u8; MAX_ARCHIVE + 1];
        let packed = miniz_oxide::deflate::compress_to_vec(&big, 6);
        assert!(Archive::decode(&packed).is_err());
    }
}
