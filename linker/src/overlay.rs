//! An image's own files (`images/<name>/files/`), copied into its root
//! filesystem as they are laid out there, as OpenWrt's `files/` directory
//! does: `/etc/network/interfaces`, `/etc/udhcpd.conf` and the like.
//!
//! Modes are normalised (0755 for directories and executables, 0644 for the
//! rest) and the walk is sorted, so the image does not depend on the
//! checkout's umask or directory order. A file the linker itself generates
//! (`/etc/hostname`, the boot plan…) cannot be replaced this way: the image
//! definition is where those are set.

use crate::cpio::{Node, Tree};
use crate::Error;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Adds everything under `dir` (if it exists) to `tree`, paths relative to
/// `dir` becoming paths from the root.
pub fn add(tree: &mut Tree, dir: &Path) -> Result<(), Error> {
    if !dir.is_dir() {
        return Ok(());
    }
    walk(tree, dir, "")
}

fn walk(tree: &mut Tree, dir: &Path, prefix: &str) -> Result<(), Error> {
    let mut entries = fs::read_dir(dir)
        .map_err(Error::io(dir))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(Error::Invalid(format!(
                "{}: file names in an image must be UTF-8",
                path.display()
            )));
        };
        let inside = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{name}")
        };
        let meta = fs::symlink_metadata(&path).map_err(Error::io(&path))?;
        let conflict = |e| {
            Error::Invalid(format!(
                "{}: cannot be added as /{inside}: {e}",
                path.display()
            ))
        };
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).map_err(Error::io(&path))?;
            let target = target.to_string_lossy().into_owned();
            tree.add(&inside, Node::Symlink { target })
                .map_err(conflict)?;
        } else if meta.is_dir() {
            tree.add_dir_all(&inside, 0o755).map_err(conflict)?;
            walk(tree, &path, &inside)?;
        } else if meta.is_file() {
            let mode = if meta.permissions().mode() & 0o111 != 0 {
                0o755
            } else {
                0o644
            };
            let data = fs::read(&path).map_err(Error::io(&path))?;
            tree.add(&inside, Node::File { mode, data })
                .map_err(conflict)?;
        } else {
            return Err(Error::Invalid(format!(
                "{}: only files, directories and symbolic links can be part of an image",
                path.display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_land_at_their_paths_with_normalised_modes() {
        let dir = tempfile::tempdir().unwrap();
        let files = dir.path();
        fs::create_dir_all(files.join("etc/network")).unwrap();
        fs::write(files.join("etc/network/interfaces"), "auto lo\n").unwrap();
        fs::write(files.join("etc/hook"), "#!/bin/sh\n").unwrap();
        fs::set_permissions(files.join("etc/hook"), fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::symlink("interfaces", files.join("etc/network/link")).unwrap();

        let mut tree = Tree::new();
        tree.add_dir_all("etc", 0o755).unwrap();
        add(&mut tree, files).unwrap();
        let nodes: std::collections::HashMap<&str, &Node> = tree.entries().collect();
        assert_eq!(
            nodes.get("etc/network/interfaces"),
            Some(&&Node::File {
                mode: 0o644,
                data: b"auto lo\n".to_vec()
            })
        );
        assert!(matches!(
            nodes.get("etc/hook"),
            Some(Node::File { mode: 0o755, .. })
        ));
        assert_eq!(
            nodes.get("etc/network/link"),
            Some(&&Node::Symlink {
                target: "interfaces".into()
            })
        );
    }

    #[test]
    fn a_generated_file_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("etc")).unwrap();
        fs::write(dir.path().join("etc/hostname"), "other\n").unwrap();
        let mut tree = Tree::new();
        tree.add(
            "etc/hostname",
            Node::File {
                mode: 0o644,
                data: b"ibex\n".to_vec(),
            },
        )
        .unwrap();
        let err = add(&mut tree, dir.path()).unwrap_err().to_string();
        assert!(err.contains("/etc/hostname"), "{err}");
    }

    #[test]
    fn no_directory_is_nothing_to_add() {
        let mut tree = Tree::new();
        add(&mut tree, Path::new("/nonexistent/files")).unwrap();
        assert_eq!(tree.entries().count(), 0);
    }
}
