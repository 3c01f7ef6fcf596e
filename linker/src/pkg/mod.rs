//! The host side of Ibex's package layer: `ibex pkg keygen`, `build`,
//! `index` and `info`. Package and index files are written with the
//! `ibex-package` crate, the same code the device reads them with.

pub mod build;
pub mod elfcheck;
pub mod recipe;

use crate::Error;
use ibex_package::{FileKind, Index, IndexEntry, Metadata, PublicKey, SigningKey};
use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Writes a new key pair: `DIR/NAME.sec` (mode 0600, never overwriting)
/// and `DIR/NAME.pub`. Returns both paths.
pub fn keygen(dir: &Path, name: &str) -> Result<(PathBuf, PathBuf), Error> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(Error::Invalid(format!(
            "pkg keygen: '{name}' is not a key name"
        )));
    }
    let sec = dir.join(format!("{name}.sec"));
    let public = dir.join(format!("{name}.pub"));
    for p in [&sec, &public] {
        if fs::symlink_metadata(p).is_ok() {
            return Err(Error::Invalid(format!(
                "pkg keygen: {} already exists; refusing to overwrite a key",
                p.display()
            )));
        }
    }
    let mut seed = [0u8; 32];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .map_err(Error::io(Path::new("/dev/urandom")))?;
    let key = SigningKey::from_seed(seed);
    let write_new = |path: &Path, mode: u32, text: &str| -> Result<(), Error> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)
            .map_err(Error::io(path))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(Error::io(path))
    };
    write_new(&sec, 0o600, &key.to_text())?;
    if let Err(e) = write_new(&public, 0o644, &key.public().to_text()) {
        // Only the file this call created.
        let _ = fs::remove_file(&sec);
        return Err(e);
    }
    Ok((sec, public))
}

/// Reads a public key file, or the public half of a secret key file.
pub fn load_public_key(path: &Path) -> Result<PublicKey, Error> {
    let text = fs::read_to_string(path).map_err(Error::io(path))?;
    PublicKey::from_text(&text)
        .or_else(|| SigningKey::from_text(&text).map(|k| k.public()))
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{}: not an Ibex key (ibex-ed25519-public <64 hex digits>)",
                path.display()
            ))
        })
}

/// Writes `DIR/INDEX.ibx` listing every package in `dir`, each verified
/// with `key`'s public half. Returns the index.
pub fn index(dir: &Path, key: &SigningKey) -> Result<Index, Error> {
    let public = key.public();
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(Error::io(dir))?
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".ibx") && n != ibex_package::INDEX_FILE && !n.starts_with('.'))
        .collect();
    names.sort();
    let mut packages = Vec::new();
    for name in names {
        let path = dir.join(&name);
        let bytes = fs::read(&path).map_err(Error::io(&path))?;
        let pkg = ibex_package::decode_package(&bytes, &[public])
            .map_err(|e| Error::Invalid(format!("pkg index: {}: {e}", path.display())))?;
        let m = pkg.metadata;
        packages.push(IndexEntry {
            name: m.name,
            version: m.version,
            arch: m.arch,
            description: m.description,
            depends: m.depends,
            provides: m.provides,
            conflicts: m.conflicts,
            file: name,
            size: bytes.len() as u64,
            sha256: ibex_package::sha256(&bytes),
            installed_size: m.installed_size,
        });
    }
    packages.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then_with(|| ibex_package::version::compare(&a.version, &b.version))
            .then_with(|| a.arch.cmp(&b.arch))
    });
    for w in packages.windows(2) {
        if w[0].name == w[1].name && w[0].version == w[1].version && w[0].arch == w[1].arch {
            return Err(Error::Invalid(format!(
                "pkg index: {} and {} are both {} {} for {}",
                w[0].file, w[1].file, w[0].name, w[0].version, w[0].arch
            )));
        }
    }
    let index = Index { packages };
    let out = dir.join(ibex_package::INDEX_FILE);
    crate::build::write_atomic(&out, &ibex_package::encode_index(&index, key))?;
    Ok(index)
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "-".into();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// What `ibex pkg info` prints about a package file: verified with `key`
/// when given, else only its CRC is checked and it says so.
pub fn info(path: &Path, key: Option<&PublicKey>, files: bool) -> Result<String, Error> {
    let bytes = fs::read(path).map_err(Error::io(path))?;
    let bad = |e: ibex_package::Error| Error::Invalid(format!("pkg info: {}: {e}", path.display()));
    let (m, signature) = match key {
        Some(k) => {
            let pkg = ibex_package::decode_package(&bytes, &[*k]).map_err(bad)?;
            (
                pkg.metadata,
                format!("good (key {})", ibex_package::to_hex(&k.id())),
            )
        }
        None => {
            let (m, id) = ibex_package::inspect_package(&bytes).map_err(bad)?;
            (
                m,
                format!(
                    "NOT CHECKED (no --key); claims key {}",
                    ibex_package::to_hex(&id)
                ),
            )
        }
    };
    Ok(describe(&m, bytes.len() as u64, &signature, files))
}

/// The text of `ibex pkg info`.
pub fn describe(m: &Metadata, size: u64, signature: &str, files: bool) -> String {
    let mut s = String::new();
    let provides: Vec<String> = m
        .provides
        .iter()
        .map(|p| match &p.version {
            Some(v) => format!("{}={v}", p.name),
            None => p.name.clone(),
        })
        .collect();
    let setid: Vec<&str> = m
        .files
        .iter()
        .filter(|f| f.mode & ibex_package::SETID_BITS != 0)
        .map(|f| f.path.as_str())
        .collect();
    let services: Vec<String> = if m.services.is_empty() {
        Vec::new()
    } else {
        match ibex_plan::BootPlan::decode(&m.services) {
            Ok(plan) => plan.services.into_iter().map(|s| s.name).collect(),
            Err(e) => vec![format!("(undecodable: {e})")],
        }
    };
    let _ = writeln!(s, "name: {}", m.name);
    let _ = writeln!(s, "version: {}", m.version);
    let _ = writeln!(s, "arch: {}", m.arch);
    let _ = writeln!(s, "description: {}", m.description);
    let _ = writeln!(s, "license: {}", m.license);
    let _ = writeln!(s, "url: {}", m.url);
    let _ = writeln!(
        s,
        "size: {size} bytes, installed {} bytes in {} entries",
        m.installed_size,
        m.files.len()
    );
    let _ = writeln!(s, "signature: {signature}");
    let _ = writeln!(s, "depends: {}", list(&m.depends));
    let _ = writeln!(s, "provides: {}", list(&provides));
    let _ = writeln!(s, "conflicts: {}", list(&m.conflicts));
    let _ = writeln!(s, "config: {}", list(&m.config));
    let _ = writeln!(s, "setuid: {}", list(&setid));
    let _ = writeln!(s, "services: {}", list(&services));
    if m.waivers.is_empty() {
        let _ = writeln!(s, "waivers: -");
    } else {
        let _ = writeln!(s, "waivers:");
        for w in &m.waivers {
            let _ = writeln!(s, "  {} {}: {}", w.path, w.check, w.reason);
        }
    }
    if files {
        let _ = writeln!(s, "files:");
        for f in &m.files {
            let (c, extra) = match &f.kind {
                FileKind::Dir => ('d', String::new()),
                FileKind::File { size, .. } => ('f', format!(" ({size} bytes)")),
                FileKind::Symlink { target } => ('l', format!(" -> {target}")),
            };
            let _ = writeln!(
                s,
                "  {c} {:04o} {}:{} {}{extra}",
                f.mode, f.uid, f.gid, f.path
            );
        }
    }
    s
}

/// The checkout's development key pair (`target/ibex/keys/ibex-dev.sec`
/// and `.pub`), made on first use. A lock makes concurrent builds (tests
/// run in parallel) agree on one key instead of racing to make two.
pub fn dev_key(root: &Path) -> Result<(PathBuf, PathBuf), Error> {
    let keys = root.join("target/ibex/keys");
    fs::create_dir_all(&keys).map_err(Error::io(&keys))?;
    let (sec, public) = (keys.join("ibex-dev.sec"), keys.join("ibex-dev.pub"));
    let lock_path = keys.join("ibex-dev.lock");
    let lock = fs::File::create(&lock_path).map_err(Error::io(&lock_path))?;
    lock.lock().map_err(Error::io(&lock_path))?;
    if !sec.exists() {
        keygen(&keys, "ibex-dev")?;
    }
    Ok((sec, public))
}

/// A local repository built from the checkout's recipes.
#[derive(Debug, Clone)]
pub struct Repository {
    /// The directory with the packages and their signed index.
    pub dir: PathBuf,
    /// The public key that signed them.
    pub public_key: PathBuf,
}

/// Builds the recipes of `packages/` that `wanted` names, and everything
/// they depend on, into `target/ibex/repo/<arch>/`, signs its index with
/// the checkout's development key (`target/ibex/keys/ibex-dev.sec`, made on
/// first use) and returns the repository. Package files of this directory
/// that were not built now are removed, so the index lists exactly these.
pub fn build_repository(
    root: &Path,
    arch: &str,
    wanted: &[String],
    verbose: bool,
) -> Result<Repository, Error> {
    let (sec, public) = dev_key(root)?;
    let dir = root.join("target/ibex/repo").join(arch);
    fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let mut queue: Vec<String> = wanted
        .iter()
        .map(|w| {
            ibex_package::Dependency::parse(w)
                .map(|d| d.name)
                .map_err(|e| Error::Invalid(e.to_string()))
        })
        .collect::<Result<_, _>>()?;
    let mut done: Vec<String> = Vec::new();
    let mut files = Vec::new();
    while let Some(name) = queue.pop() {
        if done.contains(&name) {
            continue;
        }
        let recipe_dir = root.join("packages").join(&name);
        if !recipe_dir.join("recipe.toml").exists() {
            return Err(Error::Invalid(format!(
                "package '{name}' has no recipe (packages/{name}/recipe.toml)"
            )));
        }
        let built = build::build(
            root,
            &build::Options {
                recipe: recipe_dir,
                key: sec.clone(),
                out: Some(dir.clone()),
                arch: Some(arch.to_string()),
                verbose,
            },
        )?;
        queue.extend(built.metadata.depends.iter().map(|d| d.name.clone()));
        files.push(built.path);
        done.push(name);
    }
    for entry in fs::read_dir(&dir).map_err(Error::io(&dir))?.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "ibx")
            && path.file_name() != Some(std::ffi::OsStr::new(ibex_package::INDEX_FILE))
            && !files.contains(&path)
        {
            fs::remove_file(&path).map_err(Error::io(&path))?;
        }
    }
    index(&dir, &build::load_signing_key(&sec)?)?;
    Ok(Repository {
        dir,
        public_key: public,
    })
}
