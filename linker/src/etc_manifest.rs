//! The image's description of its own /etc (`/etc/ibex/etc.manifest`),
//! which `ibox lbu` compares the running system with to save only what the
//! user changed. The format is `ibex_lbu::manifest`'s.

use crate::cpio::{Node, Tree};
use crate::Error;
use ibex_lbu::archive::{Entry, Kind};
use ibex_lbu::manifest::{self, Manifest};

/// Adds the manifest of everything under `etc/` in `tree` (the manifest
/// itself aside) to `tree`. Call it last, once nothing else goes in /etc.
pub fn add(tree: &mut Tree) -> Result<(), Error> {
    let mut m = Manifest::default();
    for (path, node) in tree.entries() {
        if (path != "etc" && !path.starts_with("etc/")) || path == manifest::PATH {
            continue;
        }
        // Every owner in the archive is root (see `cpio`); links' bits are
        // always 0777 once the kernel unpacks them.
        let (mode, kind) = match node {
            Node::Dir { mode } => (*mode, Kind::Dir),
            Node::File { mode, data } => (*mode, Kind::File(data.clone())),
            Node::Symlink { target } => (0o777, Kind::Symlink(target.clone())),
            // Not configuration, and lbu does not save them either.
            Node::CharDev { .. } => continue,
        };
        m.insert(&Entry {
            path: format!("/{path}"),
            mode: mode & 0o7777,
            uid: 0,
            gid: 0,
            kind,
        });
    }
    let text = m
        .to_text()
        .map_err(|e| Error::Invalid(format!("cannot describe /etc: {e}")))?;
    tree.add(
        manifest::PATH,
        Node::File {
            mode: 0o644,
            data: text.into_bytes(),
        },
    )?;
    Ok(())
}
