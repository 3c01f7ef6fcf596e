//! The container base: an image's root filesystem as an OCI image layout
//! (OCI Image Spec v1.1): `oci-layout`, `index.json` and content-addressed
//! blobs under `blobs/sha256/` — one gzip-compressed tar layer, the image
//! config and the manifest — and the same layout as one tar archive.
//!
//! Determinism: the layer is written by the small ustar writer below from
//! the sorted [`Tree`], every owner is root (uid/gid 0, names "root"), every
//! mtime is the build's SOURCE_DATE_EPOCH, the gzip header has mtime 0 and
//! no file name, and the JSON documents have sorted keys (serde_json's map
//! is ordered). The same inputs give the same digests.
//!
//! Device nodes are left out of the layer: container runtimes give the
//! container its own /dev, and unprivileged unpackers cannot make them.

use crate::cpio::{Node, Tree};
use crate::definitions::{Board, Image};
use crate::Error;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Media types of the OCI Image Spec.
pub const MEDIA_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Image manifest.
pub const MEDIA_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Image config.
pub const MEDIA_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// gzip-compressed tar layer.
pub const MEDIA_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// The tag the layout's only manifest carries.
pub const TAG: &str = "latest";

/// What [`write`] produced.
#[derive(Debug, Clone)]
pub struct OciImage {
    /// The OCI image layout directory.
    pub layout: PathBuf,
    /// The same layout as one tar archive.
    pub archive: PathBuf,
    /// Digest (`sha256:…`) of the manifest.
    pub manifest_digest: String,
    /// Size of the uncompressed layer tar.
    pub layer_tar_size: u64,
    /// Size of the compressed layer blob.
    pub layer_size: u64,
    /// Bytes of regular files and symlink targets in the root filesystem.
    pub content_size: u64,
}

/// The process an image's container runs: init in container mode, which
/// runs the container's command (the config's Cmd, or what `docker run
/// IMAGE CMD…` gives) as its main service; an image with a main service of
/// its own runs that instead, with no command.
pub fn entrypoint(image: &Image) -> (Vec<String>, Vec<String>) {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    if image.main_service.is_some() {
        (strings(&["/sbin/init", "--container"]), Vec::new())
    } else {
        (
            strings(&["/sbin/init", "--container", "--"]),
            strings(&["/bin/sh"]),
        )
    }
}

/// OCI platform (architecture, variant) for a board's distribution
/// architecture name.
pub fn platform(arch: &str) -> Result<(&'static str, Option<&'static str>), Error> {
    Ok(match arch {
        "x86_64" => ("amd64", None),
        "aarch64" => ("arm64", None),
        "armhf" | "armv7" => ("arm", Some("v7")),
        "mipsel" => ("mipsle", None),
        "riscv64" => ("riscv64", None),
        other => {
            return Err(Error::Invalid(format!(
                "no OCI architecture name for '{other}'"
            )))
        }
    })
}

/// Writes the OCI image layout of `tree` into `dir/oci/` and the same as
/// `dir/<image>-oci.tar`, replacing earlier ones only once the new ones are
/// complete.
pub fn write(
    dir: &Path,
    board: &Board,
    image: &Image,
    tree: &Tree,
    mtime: u32,
) -> Result<OciImage, Error> {
    let layer_tar = tar(tree, mtime, true)?;
    let layer = gzip(&layer_tar)?;
    let (arch, variant) = platform(&board.arch)?;
    let created = rfc3339(u64::from(mtime));
    let version = env!("CARGO_PKG_VERSION");
    let (entry, cmd) = entrypoint(image);
    let mut platform = json!({ "architecture": arch, "os": "linux" });
    if let Some(v) = variant {
        platform["variant"] = json!(v);
    }
    let mut config = json!({
        "created": created,
        "architecture": arch,
        "os": "linux",
        "config": {
            "Entrypoint": entry,
            "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
            "WorkingDir": "/",
            "StopSignal": "SIGTERM",
            "Labels": {
                "org.opencontainers.image.title": format!("ibex-{}", image.name),
                "org.opencontainers.image.description": image.description,
                "org.opencontainers.image.version": version,
            },
        },
        "rootfs": { "type": "layers", "diff_ids": [sha256(&layer_tar)] },
        "history": [{
            "created": created,
            "created_by": format!("ibex build --board {} --image {} --format oci", board.name, image.name),
        }],
    });
    if !cmd.is_empty() {
        config["config"]["Cmd"] = json!(cmd);
    }
    if let Some(v) = variant {
        config["variant"] = json!(v);
    }
    let config = to_json(&config);
    let manifest = to_json(&json!({
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": descriptor(MEDIA_CONFIG, &config),
        "layers": [descriptor(MEDIA_LAYER, &layer)],
        "annotations": {
            "org.opencontainers.image.created": created,
            "org.opencontainers.image.title": format!("ibex-{}", image.name),
            "org.opencontainers.image.version": version,
        },
    }));
    let mut manifest_desc = descriptor(MEDIA_MANIFEST, &manifest);
    manifest_desc["platform"] = platform;
    manifest_desc["annotations"] = json!({ "org.opencontainers.image.ref.name": TAG });
    let index = to_json(&json!({
        "schemaVersion": 2,
        "mediaType": MEDIA_INDEX,
        "manifests": [manifest_desc],
    }));

    let mut layout = Tree::new();
    let file = |data: &[u8]| Node::File {
        mode: 0o644,
        data: data.to_vec(),
    };
    layout.add("oci-layout", file(br#"{"imageLayoutVersion":"1.0.0"}"#))?;
    layout.add("index.json", file(&index))?;
    layout.add_dir_all("blobs/sha256", 0o755)?;
    for blob in [&layer, &config, &manifest] {
        let hex = sha256(blob);
        let hex = hex.trim_start_matches("sha256:");
        layout.add(&format!("blobs/sha256/{hex}"), file(blob))?;
    }

    let out = dir.join("oci");
    let tmp = dir.join("oci.tmp-ibex");
    if tmp.exists() {
        fs::remove_dir_all(&tmp).map_err(Error::io(&tmp))?;
    }
    unpack(&layout, &tmp)?;
    if out.exists() {
        fs::remove_dir_all(&out).map_err(Error::io(&out))?;
    }
    fs::rename(&tmp, &out).map_err(Error::io(&out))?;
    let archive = dir.join(format!("{}-oci.tar", image.name));
    crate::build::write_atomic(&archive, &tar(&layout, mtime, false)?)?;
    let content_size = tree
        .entries()
        .map(|(_, n)| match n {
            Node::File { data, .. } => data.len() as u64,
            Node::Symlink { target } => target.len() as u64,
            _ => 0,
        })
        .sum();
    Ok(OciImage {
        layout: out,
        archive,
        manifest_digest: sha256(&manifest),
        layer_tar_size: layer_tar.len() as u64,
        layer_size: layer.len() as u64,
        content_size,
    })
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::from("sha256:");
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn descriptor(media_type: &str, blob: &[u8]) -> Value {
    json!({ "mediaType": media_type, "digest": sha256(blob), "size": blob.len() })
}

fn to_json(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("a JSON value always serializes")
}

/// gzip with a fixed header: mtime 0, no name, so the same tar gives the
/// same bytes.
fn gzip(data: &[u8]) -> Result<Vec<u8>, Error> {
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), flate2::Compression::best());
    gz.write_all(data)
        .and_then(|()| gz.finish())
        .map_err(|e| Error::Tool(format!("gzip: {e}")))
}

/// Writes the files of `tree` (a small one: the layout) under `dir`.
fn unpack(tree: &Tree, dir: &Path) -> Result<(), Error> {
    fs::create_dir_all(dir).map_err(Error::io(dir))?;
    for (path, node) in tree.entries() {
        let p = dir.join(path);
        match node {
            Node::Dir { .. } => fs::create_dir_all(&p).map_err(Error::io(&p))?,
            Node::File { data, .. } => fs::write(&p, data).map_err(Error::io(&p))?,
            _ => return Err(Error::Invalid(format!("{path}: not a file or directory"))),
        }
    }
    Ok(())
}

/// A POSIX ustar archive of `tree`, sorted, owned by root, every mtime
/// `mtime`; device nodes are left out when `skip_devices`.
pub fn tar(tree: &Tree, mtime: u32, skip_devices: bool) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    for (path, node) in tree.entries() {
        let (kind, mode, data, link, dev): (u8, u32, &[u8], &str, (u32, u32)) = match node {
            Node::Dir { mode } => (b'5', *mode, &[], "", (0, 0)),
            Node::File { mode, data } => (b'0', *mode, data, "", (0, 0)),
            Node::Symlink { target } => (b'2', 0o777, &[], target, (0, 0)),
            Node::CharDev { .. } if skip_devices => continue,
            Node::CharDev { mode, major, minor } => (b'3', *mode, &[], "", (*major, *minor)),
        };
        let name = if kind == b'5' {
            format!("{path}/")
        } else {
            path.to_string()
        };
        let too_long = || Error::Invalid(format!("{path}: too long for a ustar header"));
        let (prefix, name) = split_name(&name).ok_or_else(too_long)?;
        if link.len() > 100 {
            return Err(too_long());
        }
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        octal(&mut h[100..108], u64::from(mode & 0o7777));
        octal(&mut h[108..116], 0);
        octal(&mut h[116..124], 0);
        octal(&mut h[124..136], data.len() as u64);
        octal(&mut h[136..148], u64::from(mtime));
        h[148..156].fill(b' ');
        h[156] = kind;
        h[157..157 + link.len()].copy_from_slice(link.as_bytes());
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[265..269].copy_from_slice(b"root");
        h[297..301].copy_from_slice(b"root");
        octal(&mut h[329..337], u64::from(dev.0));
        octal(&mut h[337..345], u64::from(dev.1));
        h[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        octal(&mut h[148..155], u64::from(sum));
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(512), 0);
    }
    out.resize(out.len() + 1024, 0);
    Ok(out)
}

/// Splits a path into ustar's prefix (≤ 155 bytes) and name (≤ 100).
fn split_name(path: &str) -> Option<(&str, &str)> {
    if path.len() <= 100 {
        return Some(("", path));
    }
    let trimmed = path.trim_end_matches('/');
    path.char_indices()
        .filter(|&(i, c)| c == '/' && i < trimmed.len())
        .map(|(i, _)| (&path[..i], &path[i + 1..]))
        .find(|(p, n)| p.len() <= 155 && n.len() <= 100)
}

/// Zero-padded octal, NUL-terminated, filling `field`.
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let s = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(&s.as_bytes()[s.len() - digits..]);
    field[digits] = 0;
}

/// Seconds since the epoch as an RFC 3339 UTC time (the format TUF's
/// metadata uses too, hence one implementation in `ibex-tuf`).
pub fn rfc3339(secs: u64) -> String {
    ibex_tuf::time::format(i64::try_from(secs).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn long_names_use_the_prefix() {
        let long = format!("{}/{}", "a".repeat(120), "b".repeat(90));
        assert_eq!(split_name(&long).unwrap().1, "b".repeat(90));
        assert!(split_name(&"c".repeat(101)).is_none());
    }

    #[test]
    fn host_tar_lists_what_we_wrote() {
        let mut t = Tree::new();
        t.add_dir_all("usr/bin", 0o755).unwrap();
        t.add(
            "usr/bin/x",
            Node::File {
                mode: 0o755,
                data: b"hello".to_vec(),
            },
        )
        .unwrap();
        t.add("usr/bin/y", Node::Symlink { target: "x".into() })
            .unwrap();
        let deep = format!("usr/{}/{}", "d".repeat(60), "e".repeat(60));
        t.add_dir_all(&deep, 0o700).unwrap();
        let bytes = tar(&t, 86400, true).unwrap();
        assert_eq!(bytes.len() % 512, 0);
        let Ok(mut child) = std::process::Command::new("tar")
            .args(["-tvf", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
        else {
            return;
        };
        child.stdin.take().unwrap().write_all(&bytes).unwrap();
        let out = child.wait_with_output().unwrap();
        let listing = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{listing}");
        for needle in [
            "-rwxr-xr-x root/root         5 1970-01-02 00:00 usr/bin/x",
            "usr/bin/y -> x",
            &format!("drwx------ root/root         0 1970-01-02 00:00 {deep}/"),
        ] {
            assert!(listing.contains(needle), "{needle} missing in\n{listing}");
        }
    }
}
