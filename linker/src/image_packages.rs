//! An image's packages, installed at build time by the same engine
//! (`ibex-pkg`) that `ibox pkg` runs on the device: into a scratch root
//! first, whose files, package database and world are then copied into the
//! image's tree. A device built this way can `pkg verify`, upgrade and
//! remove what the image came with.

use crate::cpio::{Node, Tree};
use crate::Error;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Installs `packages` from the repository directory `repo` (signed by the
/// key whose public half is `public_key`) into `tree`, using `scratch` as
/// the temporary root (emptied first). The image trusts that key.
pub fn install(
    tree: &mut Tree,
    scratch: &Path,
    repo: &Path,
    public_key: &Path,
    packages: &[String],
) -> Result<(), Error> {
    if scratch.exists() {
        fs::remove_dir_all(scratch).map_err(Error::io(scratch))?;
    }
    let keys = scratch.join(ibex_package::keys::TRUSTED_DIR);
    fs::create_dir_all(&keys).map_err(Error::io(&keys))?;
    let key_name = public_key
        .file_name()
        .ok_or_else(|| Error::Invalid(format!("{}: not a key file", public_key.display())))?;
    fs::copy(public_key, keys.join(key_name)).map_err(Error::io(public_key))?;
    let pkg = ibex_pkg::Pkg::open(ibex_pkg::Options {
        root: scratch.to_path_buf(),
        repositories: vec![repo.display().to_string()],
        ..Default::default()
    })
    .map_err(|e| Error::Invalid(format!("installing packages: {e}")))?;
    pkg.add(packages)
        .map_err(|e| Error::Invalid(format!("installing packages: {e}")))?;
    drop(pkg);
    copy_into(tree, scratch, "")
}

/// Copies the directory `dir` (path `rel` inside the image) into `tree`,
/// leaving out the download cache and the lock file.
fn copy_into(tree: &mut Tree, dir: &Path, rel: &str) -> Result<(), Error> {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(Error::io(dir))?
        .collect::<Result<_, _>>()
        .map_err(Error::io(dir))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let name = name
            .to_str()
            .ok_or_else(|| Error::Invalid(format!("{}: name is not UTF-8", path.display())))?;
        let image_path = if rel.is_empty() {
            name.to_string()
        } else {
            format!("{rel}/{name}")
        };
        if image_path == "var/cache/ibex" || image_path == ibex_pkg::LOCK_PATH {
            continue;
        }
        let meta = fs::symlink_metadata(&path).map_err(Error::io(&path))?;
        let mode = meta.mode() & 0o7777;
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).map_err(Error::io(&path))?;
            tree.add(
                &image_path,
                Node::Symlink {
                    target: target.display().to_string(),
                },
            )?;
        } else if meta.is_dir() {
            // Directories the base image already has keep their mode.
            if !tree.contains(&image_path) {
                tree.add(&image_path, Node::Dir { mode })?;
            }
            copy_into(tree, &path, &image_path)?;
        } else if meta.is_file() {
            let data = fs::read(&path).map_err(Error::io(&path))?;
            tree.add(&image_path, Node::File { mode, data })?;
        } else {
            return Err(Error::Invalid(format!(
                "{}: not a file, directory or symlink",
                path.display()
            )));
        }
    }
    Ok(())
}
