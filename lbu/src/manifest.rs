//! What /etc holds in the image as built, so that `lbu` saves only what
//! differs from it. The linker writes it as `/etc/ibex/etc.manifest`.
//!
//! Text, one line per path under /etc (the directory itself included),
//! sorted by path, after a first line naming the format and its version:
//!
//! ```text
//! ibex-etc-manifest 1
//! d 0755 0 0 - /etc
//! f 0644 0 0 5b1c…(64 hex digits) /etc/hostname
//! l 0777 0 0 9f86…(64 hex digits) /etc/localtime
//! ```
//!
//! Fields: kind (`f` file, `d` directory, `l` symbolic link), permission
//! bits in octal, owner, group, SHA-256 of the contents (of the link's
//! target for a link; `-` for a directory), and the path, which is the rest
//! of the line (it may hold spaces; paths with a newline are refused).
//! Text because it is small, and reading it with `cat` helps.

use crate::archive::{Entry, Kind};
use crate::Error;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Where the manifest is, relative to the root.
pub const PATH: &str = "etc/ibex/etc.manifest";
/// The first line.
pub const FIRST_LINE: &str = "ibex-etc-manifest 1";

/// What a path is in the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// `f`, `d` or `l`.
    pub kind: char,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// SHA-256 of the contents or link target; zero for a directory.
    pub sha256: [u8; 32],
}

impl Item {
    /// The item describing `entry`, to compare with the image's.
    pub fn of(entry: &Entry) -> Item {
        let (kind, sha256) = match &entry.kind {
            Kind::File(data) => ('f', Sha256::digest(data).into()),
            Kind::Dir => ('d', [0; 32]),
            Kind::Symlink(t) => ('l', Sha256::digest(t.as_bytes()).into()),
        };
        Item {
            kind,
            // Links' permission bits mean nothing on Linux; compare them as
            // the linker writes them.
            mode: if kind == 'l' {
                0o777
            } else {
                entry.mode & 0o7777
            },
            uid: entry.uid,
            gid: entry.gid,
            sha256,
        }
    }
}

/// The image's /etc.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Path → what it is.
    pub items: BTreeMap<String, Item>,
}

impl Manifest {
    /// Adds or replaces the item for `entry`.
    pub fn insert(&mut self, entry: &Entry) {
        self.items.insert(entry.path.clone(), Item::of(entry));
    }

    /// The manifest as text. Fails on a path with a newline.
    pub fn to_text(&self) -> Result<String, Error> {
        let mut out = format!("{FIRST_LINE}\n");
        for (path, item) in &self.items {
            if path.contains('\n') {
                return Err(Error::Manifest(format!("path with a newline: {path:?}")));
            }
            let sum = if item.kind == 'd' {
                "-".to_string()
            } else {
                item.sha256.iter().map(|b| format!("{b:02x}")).collect()
            };
            out.push_str(&format!(
                "{} {:04o} {} {} {sum} {path}\n",
                item.kind, item.mode, item.uid, item.gid
            ));
        }
        Ok(out)
    }

    /// Parses [`Manifest::to_text`]'s output.
    pub fn parse(text: &str) -> Result<Manifest, Error> {
        let mut lines = text.lines();
        if lines.next() != Some(FIRST_LINE) {
            return Err(Error::Manifest(format!(
                "does not start with '{FIRST_LINE}'"
            )));
        }
        let mut m = Manifest::default();
        for (n, line) in lines.enumerate() {
            let bad = || Error::Manifest(format!("line {}: malformed", n + 2));
            let f: Vec<&str> = line.splitn(6, ' ').collect();
            let [kind, mode, uid, gid, sum, path] = f[..] else {
                return Err(bad());
            };
            let kind = match kind {
                "f" | "d" | "l" => kind.chars().next().unwrap_or('f'),
                _ => return Err(bad()),
            };
            let sha256 = if kind == 'd' {
                [0; 32]
            } else {
                parse_hex(sum).ok_or_else(bad)?
            };
            m.items.insert(
                path.to_string(),
                Item {
                    kind,
                    mode: u32::from_str_radix(mode, 8).map_err(|_| bad())?,
                    uid: uid.parse().map_err(|_| bad())?,
                    gid: gid.parse().map_err(|_| bad())?,
                    sha256,
                },
            );
        }
        Ok(m)
    }
}

fn parse_hex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, data: &[u8]) -> Entry {
        Entry {
            path: path.into(),
            mode: 0o644,
            uid: 0,
            gid: 0,
            kind: Kind::File(data.to_vec()),
        }
    }

    #[test]
    fn text_round_trip() {
        let mut m = Manifest::default();
        m.insert(&Entry {
            path: "/etc".into(),
            mode: 0o755,
            uid: 0,
            gid: 0,
            kind: Kind::Dir,
        });
        m.insert(&file("/etc/hostname", b"ibex\n"));
        m.insert(&file("/etc/with space", b""));
        m.insert(&Entry {
            path: "/etc/l".into(),
            mode: 0o777,
            uid: 0,
            gid: 0,
            kind: Kind::Symlink("hostname".into()),
        });
        let text = m.to_text().unwrap();
        assert!(text.starts_with("ibex-etc-manifest 1\nd 0755 0 0 - /etc\n"));
        assert_eq!(Manifest::parse(&text).unwrap(), m);
        assert!(Manifest::parse("junk\n").is_err());
        assert!(Manifest::parse("ibex-etc-manifest 1\nf 0644 0 0 zz /etc/x\n").is_err());
        m.insert(&file("/etc/new\nline", b""));
        assert!(m.to_text().is_err());
    }

    #[test]
    fn items_compare_contents_mode_and_owner() {
        let a = file("/etc/x", b"one");
        assert_eq!(Item::of(&a), Item::of(&file("/etc/x", b"one")));
        assert_ne!(Item::of(&a), Item::of(&file("/etc/x", b"two")));
        assert_ne!(
            Item::of(&a),
            Item::of(&Entry {
                mode: 0o600,
                ..a.clone()
            })
        );
        assert_ne!(
            Item::of(&a),
            Item::of(&Entry {
                uid: 1,
                ..a.clone()
            })
        );
    }
}
