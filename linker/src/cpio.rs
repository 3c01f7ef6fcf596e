//! A deterministic writer for the "newc" cpio format the kernel unpacks into
//! its initramfs (see the kernel's Documentation/driver-api/early-userspace/
//! buffer-format.rst; the layout is repeated in docs/formats.md).
//!
//! Determinism: entries are written sorted by path, inode numbers are assigned
//! in that order, every owner is root and every mtime is the one given, so
//! the same tree always gives the same bytes.

use std::collections::BTreeMap;
use std::fmt;

/// What a path in the archive is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A directory with permission bits.
    Dir { mode: u32 },
    /// A regular file with permission bits and contents.
    File { mode: u32, data: Vec<u8> },
    /// A symbolic link to `target`.
    Symlink { target: String },
    /// A character device node.
    CharDev { mode: u32, major: u32, minor: u32 },
}

/// Why a tree cannot be archived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpioError {
    /// Paths are relative, without `.` or `..` components or empty parts.
    BadPath(String),
    /// A file's parent directory was never added.
    MissingParent(String),
    /// Two different nodes for one path.
    Conflict(String),
    /// A field does not fit newc's 32-bit fields.
    TooLarge(String),
}

impl fmt::Display for CpioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CpioError::BadPath(p) => write!(f, "invalid archive path '{p}'"),
            CpioError::MissingParent(p) => {
                write!(f, "'{p}' has no parent directory in the archive")
            }
            CpioError::Conflict(p) => write!(f, "'{p}' is added twice with different contents"),
            CpioError::TooLarge(p) => write!(f, "'{p}' is too large for a newc archive"),
        }
    }
}

impl std::error::Error for CpioError {}

/// A file tree to be written as one newc archive.
#[derive(Debug, Default, Clone)]
pub struct Tree {
    nodes: BTreeMap<String, Node>,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Tree {
        Tree::default()
    }

    /// Adds `path` (relative, `/`-separated); adding the same node twice is
    /// allowed, adding a different one is an error.
    pub fn add(&mut self, path: &str, node: Node) -> Result<(), CpioError> {
        if path.is_empty()
            || path.starts_with('/')
            || path
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
        {
            return Err(CpioError::BadPath(path.to_string()));
        }
        match self.nodes.get(path) {
            Some(existing) if *existing == node => Ok(()),
            Some(_) => Err(CpioError::Conflict(path.to_string())),
            None => {
                self.nodes.insert(path.to_string(), node);
                Ok(())
            }
        }
    }

    /// Adds a directory and any missing parents, all with `mode`.
    pub fn add_dir_all(&mut self, path: &str, mode: u32) -> Result<(), CpioError> {
        let mut prefix = String::new();
        for part in path.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            if !matches!(self.nodes.get(&prefix), Some(Node::Dir { .. })) {
                self.add(&prefix, Node::Dir { mode })?;
            }
        }
        Ok(())
    }

    /// Whether `path` is in the tree.
    pub fn contains(&self, path: &str) -> bool {
        self.nodes.contains_key(path)
    }

    /// Every path and its node, sorted by path (so a directory comes
    /// before what it holds).
    pub fn entries(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.nodes.iter().map(|(p, n)| (p.as_str(), n))
    }

    /// Serializes the tree with every mtime set to `mtime`.
    pub fn write(&self, mtime: u32) -> Result<Vec<u8>, CpioError> {
        let mut out = Vec::new();
        // BTreeMap iteration is sorted, and a parent sorts before its
        // children ("a" < "a/b"), so the kernel always meets a directory
        // before what it contains.
        for (ino, (path, node)) in self.nodes.iter().enumerate() {
            if let Some((parent, _)) = path.rsplit_once('/') {
                if !matches!(self.nodes.get(parent), Some(Node::Dir { .. })) {
                    return Err(CpioError::MissingParent(path.clone()));
                }
            }
            let (mode, data, nlink, rdev): (u32, &[u8], u32, (u32, u32)) = match node {
                Node::Dir { mode } => (0o040000 | (mode & 0o7777), &[], 2, (0, 0)),
                Node::File { mode, data } => (0o100000 | (mode & 0o7777), data, 1, (0, 0)),
                Node::Symlink { target } => (0o120777, target.as_bytes(), 1, (0, 0)),
                Node::CharDev { mode, major, minor } => {
                    (0o020000 | (mode & 0o7777), &[], 1, (*major, *minor))
                }
            };
            let size = u32::try_from(data.len()).map_err(|_| CpioError::TooLarge(path.clone()))?;
            let ino = u32::try_from(ino + 1).map_err(|_| CpioError::TooLarge(path.clone()))?;
            header(&mut out, ino, mode, nlink, mtime, size, rdev, path);
            out.extend_from_slice(data);
            pad4(&mut out);
        }
        header(&mut out, 0, 0, 1, 0, 0, (0, 0), "TRAILER!!!");
        Ok(out)
    }
}

#[allow(clippy::too_many_arguments)]
fn header(
    out: &mut Vec<u8>,
    ino: u32,
    mode: u32,
    nlink: u32,
    mtime: u32,
    size: u32,
    rdev: (u32, u32),
    name: &str,
) {
    let namesize = name.len() as u32 + 1;
    let fields = [
        ino, mode, 0, 0, nlink, mtime, size, 0, 0, rdev.0, rdev.1, namesize, 0,
    ];
    out.extend_from_slice(b"070701");
    for field in fields {
        out.extend_from_slice(format!("{field:08X}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad4(out);
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Tree {
        let mut t = Tree::new();
        t.add_dir_all("bin", 0o755).unwrap();
        t.add(
            "bin/x",
            Node::File {
                mode: 0o755,
                data: b"hello".to_vec(),
            },
        )
        .unwrap();
        t.add(
            "init",
            Node::Symlink {
                target: "bin/x".into(),
            },
        )
        .unwrap();
        t.add_dir_all("dev", 0o755).unwrap();
        t.add(
            "dev/console",
            Node::CharDev {
                mode: 0o600,
                major: 5,
                minor: 1,
            },
        )
        .unwrap();
        t
    }

    #[test]
    fn same_tree_same_bytes_in_any_insertion_order() {
        let a = sample().write(0).unwrap();
        let mut t = Tree::new();
        t.add_dir_all("dev", 0o755).unwrap();
        t.add(
            "dev/console",
            Node::CharDev {
                mode: 0o600,
                major: 5,
                minor: 1,
            },
        )
        .unwrap();
        t.add(
            "init",
            Node::Symlink {
                target: "bin/x".into(),
            },
        )
        .unwrap();
        t.add_dir_all("bin", 0o755).unwrap();
        t.add(
            "bin/x",
            Node::File {
                mode: 0o755,
                data: b"hello".to_vec(),
            },
        )
        .unwrap();
        assert_eq!(a, t.write(0).unwrap());
        assert_eq!(a.len() % 4, 0);
    }

    #[test]
    fn host_cpio_lists_what_we_wrote() {
        // GNU cpio is an independent reader of the format, where installed.
        let Ok(mut child) = std::process::Command::new("cpio")
            .args(["-itv", "--quiet"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
        else {
            return;
        };
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(&sample().write(0).unwrap())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let listing = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success());
        for needle in ["bin/x", "init -> bin/x", "dev/console", "crw-------"] {
            assert!(listing.contains(needle), "{needle} missing in\n{listing}");
        }
    }

    #[test]
    fn refuses_bad_trees() {
        let mut t = Tree::new();
        assert!(t.add("/abs", Node::Dir { mode: 0o755 }).is_err());
        assert!(t.add("a/../b", Node::Dir { mode: 0o755 }).is_err());
        t.add(
            "orphan/file",
            Node::File {
                mode: 0o644,
                data: vec![],
            },
        )
        .unwrap();
        assert_eq!(
            t.write(0),
            Err(CpioError::MissingParent("orphan/file".into()))
        );
        t.add("x", Node::Dir { mode: 0o755 }).unwrap();
        assert_eq!(
            t.add("x", Node::Dir { mode: 0o700 }),
            Err(CpioError::Conflict("x".into()))
        );
    }
}
