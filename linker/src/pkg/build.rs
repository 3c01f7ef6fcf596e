//! `ibex pkg build`: fetch a recipe's sources, run its build script into a
//! staging directory, check everything it installed, and write the signed
//! package.

use super::elfcheck;
use super::recipe::{recipe_file, Recipe, Source};
use crate::Error;
use ibex_package::{FileEntry, FileKind, Metadata, SigningKey, Waiver, SETID_BITS};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The C compiler recipes get.
pub const CC: &str = "musl-gcc";
/// Compiler flags every C build gets: PIE, stack protector, fortify.
pub const CFLAGS: &str = "-fPIE -pie -fstack-protector-strong -D_FORTIFY_SOURCE=2 -O2";
/// Linker flags: full RELRO, BIND_NOW, PIE.
pub const LDFLAGS: &str = "-Wl,-z,relro,-z,now -pie";

/// What `ibex pkg build` was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Recipe directory or file.
    pub recipe: PathBuf,
    /// Secret key file.
    pub key: PathBuf,
    /// Output directory [default: target/ibex/packages/ARCH].
    pub out: Option<PathBuf>,
    /// Architecture to build for [default: this machine's].
    pub arch: Option<String>,
    /// Show the build script's output as it runs.
    pub verbose: bool,
}

/// A package written.
#[derive(Debug, Clone)]
pub struct Built {
    /// The package file.
    pub path: PathBuf,
    /// What is in it.
    pub metadata: Metadata,
    /// Size of the package file.
    pub size: u64,
    /// Whether the build script's output was reused from an earlier build.
    pub cached: bool,
}

/// `pkg build: ...` as an error.
fn fail(msg: impl std::fmt::Display) -> Error {
    Error::Invalid(format!("pkg build: {msg}"))
}

/// Reads a secret key file written by `ibex pkg keygen`.
pub fn load_signing_key(path: &Path) -> Result<SigningKey, Error> {
    let text = fs::read_to_string(path).map_err(Error::io(path))?;
    if fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
        eprintln!(
            "pkg: warning: {} can be read by other users (chmod 600 it)",
            path.display()
        );
    }
    SigningKey::from_text(&text).ok_or_else(|| {
        Error::Invalid(format!(
            "{}: not an Ibex secret key (ibex-ed25519-secret <64 hex digits>)",
            path.display()
        ))
    })
}

/// The architecture of this machine, as packages name it.
pub fn host_arch() -> &'static str {
    std::env::consts::ARCH
}

/// Builds the package a recipe describes.
pub fn build(root: &Path, opts: &Options) -> Result<Built, Error> {
    // A bare package name means packages/NAME of the checkout.
    let arg = match opts.recipe.to_str() {
        Some(name) if !opts.recipe.exists() && ibex_package::version::valid_name(name) => {
            root.join("packages").join(name)
        }
        _ => opts.recipe.clone(),
    };
    let recipe = Recipe::load(&recipe_file(&arg))?;
    let key = load_signing_key(&opts.key)?;
    let build_arch = opts.arch.clone().unwrap_or_else(|| host_arch().to_string());
    let arch = recipe.arch(&build_arch);
    if arch != build_arch && arch != "noarch" {
        return Err(fail(format!(
            "{}: recipe is for {arch}, not {build_arch}",
            recipe.def.name
        )));
    }
    let name = &recipe.def.name;
    // The name is a valid package name: one path component, never empty.
    let builds = root.join("target/ibex/pkgbuild");
    let work = builds.join(name);
    let dest = work.join("dest");
    // One build of a package at a time: the work area is shared.
    fs::create_dir_all(&builds).map_err(Error::io(&builds))?;
    let lock_path = builds.join(format!("{name}.lock"));
    let lock = fs::File::create(&lock_path).map_err(Error::io(&lock_path))?;
    lock.lock().map_err(Error::io(&lock_path))?;
    let cached = prepare(root, &recipe, &arch, &work, opts.verbose)?;
    let staged = stage(&recipe, &arch, &dest)?;
    drop(lock);
    let services = compile_services(&recipe, &staged.entries)?;
    let mut staged = staged;
    if !services.is_empty() {
        // init loads package services from this directory (at boot, and on
        // `svc reload` after an install); as a file of the package it comes
        // and goes in the same transaction as the programs.
        let path = format!("etc/ibex/services.d/{name}.plan");
        if staged.entries.iter().any(|e| e.path == path) {
            return Err(fail(format!(
                "/{path} is written by init's loader, not by the build"
            )));
        }
        staged.entries.push(ibex_package::FileEntry {
            path,
            kind: ibex_package::FileKind::File {
                size: services.len() as u64,
                sha256: ibex_package::sha256(&services),
            },
            mode: 0o644,
            uid: 0,
            gid: 0,
        });
        staged.payload.extend_from_slice(&services);
    }
    let metadata = Metadata {
        name: name.clone(),
        version: recipe.def.version.clone(),
        arch: arch.clone(),
        description: recipe.def.description.clone(),
        license: recipe.def.license.clone(),
        url: recipe.def.url.clone(),
        depends: recipe.depends.clone(),
        provides: recipe.provides.clone(),
        conflicts: recipe.conflicts.clone(),
        config: recipe.config.clone(),
        setuid: recipe.setuid.clone(),
        waivers: staged.waivers,
        services,
        files: staged.entries,
        installed_size: staged.payload.len() as u64,
        payload_sha256: [0; 32],
    };
    ibex_package::check_metadata(&metadata).map_err(fail)?;
    let bytes =
        ibex_package::encode_package(&metadata, &ibex_package::compress(&staged.payload), &key);
    let out_dir = opts
        .out
        .clone()
        .unwrap_or_else(|| root.join("target/ibex/packages").join(&build_arch));
    fs::create_dir_all(&out_dir).map_err(Error::io(&out_dir))?;
    let path = out_dir.join(format!("{name}-{}.ibx", recipe.def.version));
    crate::build::write_atomic(&path, &bytes)?;
    Ok(Built {
        path,
        size: bytes.len() as u64,
        metadata: ibex_package::decode_package(&bytes, &[key.public()])
            .map_err(fail)?
            .metadata,
        cached,
    })
}

/// Hashes everything the build script's output depends on: the recipe,
/// the sources, the architecture and the build environment.
fn cache_key(recipe: &Recipe, arch: &str) -> Result<String, Error> {
    let mut h = Sha256::new();
    h.update(b"ibex pkg build 2\0");
    for part in [CC, CFLAGS, LDFLAGS, arch, &recipe.text] {
        h.update(part.as_bytes());
        h.update(b"\0");
    }
    for s in &recipe.sources {
        match s {
            Source::Url { sha256, name, .. } => {
                h.update(sha256);
                h.update(name.as_bytes());
            }
            Source::Path { path, name } => {
                h.update(name.as_bytes());
                hash_tree(&mut h, path)?;
            }
        }
    }
    Ok(ibex_package::to_hex(&h.finalize()))
}

fn hash_tree(h: &mut Sha256, path: &Path) -> Result<(), Error> {
    let meta = fs::symlink_metadata(path).map_err(Error::io(path))?;
    h.update(meta.permissions().mode().to_le_bytes());
    if meta.is_dir() {
        for child in sorted_children(path)? {
            h.update(child.as_os_str().as_encoded_bytes());
            h.update(b"\0");
            hash_tree(h, &path.join(&child))?;
        }
    } else if meta.file_type().is_symlink() {
        let target = fs::read_link(path).map_err(Error::io(path))?;
        h.update(target.as_os_str().as_encoded_bytes());
    } else {
        let data = fs::read(path).map_err(Error::io(path))?;
        h.update((data.len() as u64).to_le_bytes());
        h.update(&data);
    }
    Ok(())
}

fn sorted_children(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut names: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(Error::io(dir))?
        .map(|e| e.map(|e| PathBuf::from(e.file_name())))
        .collect::<Result<_, _>>()
        .map_err(Error::io(dir))?;
    names.sort();
    Ok(names)
}

/// Makes `work/dest` hold the build script's output: reused when the
/// stamp says it was built from the same inputs, else built afresh.
/// Returns whether it was reused.
fn prepare(
    root: &Path,
    recipe: &Recipe,
    arch: &str,
    work: &Path,
    verbose: bool,
) -> Result<bool, Error> {
    let key = cache_key(recipe, arch)?;
    let stamp = work.join("stamp");
    let dest = work.join("dest");
    if fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == key) && dest.is_dir() {
        return Ok(true);
    }
    if work.exists() {
        fs::remove_dir_all(work).map_err(Error::io(work))?;
    }
    let src = work.join("src");
    for dir in [&src, &dest] {
        fs::create_dir_all(dir).map_err(Error::io(dir))?;
    }
    for source in &recipe.sources {
        match source {
            Source::Url {
                url,
                sha256,
                name,
                extract,
            } => {
                let file = fetch(root, url, sha256)?;
                if *extract {
                    run_tool(
                        Command::new("tar")
                            .arg("-xf")
                            .arg(&file)
                            .arg("-C")
                            .arg(&src)
                            .arg("--no-same-owner"),
                        &format!("tar -xf {url}"),
                    )?;
                } else {
                    let to = src.join(name);
                    fs::copy(&file, &to).map_err(Error::io(&to))?;
                }
            }
            Source::Path { path, name } => copy_tree(path, &src.join(name))?,
        }
    }
    let log = work.join("build.log");
    let started = Instant::now();
    let mut cmd = Command::new("sh");
    // A fixed umask, locale and time zone: the modes and contents of what
    // the script installs must not depend on who runs it.
    cmd.arg("-eu")
        .arg("-c")
        .arg(format!("umask 022\n{}", recipe.def.build))
        .current_dir(&src)
        .stdin(Stdio::null())
        .env("CC", CC)
        .env("CFLAGS", CFLAGS)
        .env("LDFLAGS", LDFLAGS)
        .env("DESTDIR", &dest)
        .env("SRCDIR", &src)
        .env("RECIPEDIR", &recipe.dir)
        .env("JOBS", jobs().to_string())
        .env("ARCH", arch)
        .env("PKGNAME", &recipe.def.name)
        .env("PKGVER", &recipe.def.version)
        .env("SOURCE_DATE_EPOCH", "0")
        .env("LC_ALL", "C")
        .env("TZ", "UTC");
    if !verbose {
        let out = fs::File::create(&log).map_err(Error::io(&log))?;
        let err = out.try_clone().map_err(Error::io(&log))?;
        cmd.stdout(out).stderr(err);
    }
    let status = cmd
        .status()
        .map_err(|e| fail(format!("cannot run sh: {e}")))?;
    if !status.success() {
        let text = fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        return Err(fail(format!(
            "{}: build script failed ({status}); last lines of {}:\n{tail}",
            recipe.def.name,
            log.display()
        )));
    }
    eprintln!(
        "pkg build: {}: build script took {:.1}s",
        recipe.def.name,
        started.elapsed().as_secs_f64()
    );
    fs::write(&stamp, format!("{key}\n")).map_err(Error::io(&stamp))?;
    Ok(false)
}

fn jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn run_tool(cmd: &mut Command, what: &str) -> Result<(), Error> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| fail(format!("cannot run {what}: {e}")))?;
    if !out.status.success() {
        return Err(fail(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// Downloads `url` once into `target/ibex/sources/<sha256>`, checked.
fn fetch(root: &Path, url: &str, sha256: &[u8; 32]) -> Result<PathBuf, Error> {
    let cache = root.join("target/ibex/sources");
    fs::create_dir_all(&cache).map_err(Error::io(&cache))?;
    let want = ibex_package::to_hex(sha256);
    let file = cache.join(&want);
    if let Ok(data) = fs::read(&file) {
        if ibex_package::sha256(&data) == *sha256 {
            return Ok(file);
        }
        // A damaged cache entry: fetch it again.
        fs::remove_file(&file).map_err(Error::io(&file))?;
    }
    let tmp = cache.join(format!("{want}.part-{}", std::process::id()));
    let result = (|| {
        run_tool(
            Command::new("curl")
                .args(["-fsSL", "--retry", "2", "-o"])
                .arg(&tmp)
                .arg(url),
            &format!("curl {url}"),
        )?;
        let data = fs::read(&tmp).map_err(Error::io(&tmp))?;
        let got = ibex_package::to_hex(&ibex_package::sha256(&data));
        if got != want {
            return Err(fail(format!(
                "source {url}: sha256 mismatch: the recipe says {want}, the download is {got}"
            )));
        }
        fs::rename(&tmp, &file).map_err(Error::io(&file))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map(|()| file)
}

/// Copies a file, symlink or directory tree.
fn copy_tree(from: &Path, to: &Path) -> Result<(), Error> {
    let meta = fs::symlink_metadata(from).map_err(Error::io(from))?;
    if meta.is_dir() {
        fs::create_dir_all(to).map_err(Error::io(to))?;
        for child in sorted_children(from)? {
            copy_tree(&from.join(&child), &to.join(&child))?;
        }
    } else if meta.file_type().is_symlink() {
        let target = fs::read_link(from).map_err(Error::io(from))?;
        std::os::unix::fs::symlink(target, to).map_err(Error::io(to))?;
    } else {
        fs::copy(from, to).map_err(Error::io(to))?;
    }
    Ok(())
}

/// The staging directory turned into package entries, checked.
struct Staged {
    entries: Vec<FileEntry>,
    payload: Vec<u8>,
    waivers: Vec<Waiver>,
}

/// Every path under `dir`, relative, sorted, parents before children.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) -> Result<(), Error> {
    for child in sorted_children(dir)? {
        let name = child.to_str().ok_or_else(|| {
            fail(format!(
                "{prefix}{}: file name is not UTF-8",
                child.display()
            ))
        })?;
        let rel = format!("{prefix}{name}");
        let path = dir.join(&child);
        let is_dir = fs::symlink_metadata(&path)
            .map_err(Error::io(&path))?
            .is_dir();
        out.push((rel.clone(), path.clone()));
        if is_dir {
            walk(&path, &format!("{rel}/"), out)?;
        }
    }
    Ok(())
}

fn stage(recipe: &Recipe, arch: &str, dest: &Path) -> Result<Staged, Error> {
    let mut paths = Vec::new();
    walk(dest, "", &mut paths)?;
    let mut entries = Vec::new();
    let mut payload = Vec::new();
    let mut problems = Vec::new();
    let mut waivers = Vec::new();
    let mut used = BTreeSet::new();
    for (rel, path) in &paths {
        let meta = fs::symlink_metadata(path).map_err(Error::io(path))?;
        let ft = meta.file_type();
        let mode = meta.permissions().mode() & 0o7777;
        let (uid, gid) = recipe.owners.get(rel).copied().unwrap_or((0, 0));
        let kind = if ft.is_symlink() {
            let target = fs::read_link(path).map_err(Error::io(path))?;
            let target = target
                .to_str()
                .ok_or_else(|| fail(format!("{rel}: symlink target is not UTF-8")))?;
            FileKind::Symlink {
                target: target.to_string(),
            }
        } else if ft.is_dir() {
            FileKind::Dir
        } else if ft.is_file() {
            let data = fs::read(path).map_err(Error::io(path))?;
            if elfcheck::is_elf(&data) {
                let (_, failures) =
                    elfcheck::check(&data, arch).map_err(|what| fail(format!("{rel}: {what}")))?;
                for f in failures {
                    match recipe
                        .waivers
                        .iter()
                        .position(|w| (w.path == *rel || w.path == "*") && w.check == f.check)
                    {
                        Some(i) => {
                            used.insert(i);
                            waivers.push(Waiver {
                                path: rel.clone(),
                                check: f.check.to_string(),
                                reason: recipe.waivers[i].reason.clone(),
                            });
                        }
                        None => problems.push(format!("{rel}: {} [{}]", f.what, f.check)),
                    }
                }
            }
            let kind = FileKind::File {
                size: data.len() as u64,
                sha256: ibex_package::sha256(&data),
            };
            payload.extend_from_slice(&data);
            kind
        } else {
            let what = if ft.is_fifo() {
                "a fifo"
            } else if ft.is_socket() {
                "a socket"
            } else if ft.is_block_device() || ft.is_char_device() {
                "a device node"
            } else {
                "a special file"
            };
            return Err(fail(format!(
                "{rel}: is {what}; packages carry only directories, regular files and symlinks"
            )));
        };
        if mode & SETID_BITS != 0 && !recipe.setuid.contains(rel) {
            problems.push(format!(
                "{rel}: mode {mode:04o} has set-uid/set-gid bits, and the recipe's setuid list does not declare it"
            ));
        }
        let mode = if matches!(kind, FileKind::Symlink { .. }) {
            0o777
        } else {
            mode
        };
        entries.push(FileEntry {
            path: rel.clone(),
            kind,
            mode,
            uid,
            gid,
        });
    }
    for path in recipe.owners.keys() {
        if !entries.iter().any(|e| e.path == *path) {
            problems.push(format!("owners: /{path} is not installed by the build"));
        }
    }
    for path in &recipe.setuid {
        if !entries.iter().any(|e| e.path == *path) {
            problems.push(format!("setuid: /{path} is not installed by the build"));
        }
    }
    if !problems.is_empty() {
        return Err(fail(problems.join("\npkg build: ")));
    }
    for (i, w) in recipe.waivers.iter().enumerate() {
        if !used.contains(&i) {
            eprintln!(
                "pkg build: warning: waiver of {} for {} is not needed",
                w.check, w.path
            );
        }
    }
    Ok(Staged {
        entries,
        payload,
        waivers,
    })
}

/// Compiles the recipe's services into an encoded boot plan (empty when
/// it has none).
fn compile_services(recipe: &Recipe, entries: &[FileEntry]) -> Result<Vec<u8>, Error> {
    if recipe.def.services.is_empty() {
        return Ok(Vec::new());
    }
    let loaded: Vec<crate::services::Loaded> = recipe
        .def
        .services
        .iter()
        .map(|(name, def)| crate::services::Loaded {
            name: name.clone(),
            path: recipe.file.clone(),
            def: def.clone(),
        })
        .collect();
    let accounts = crate::accounts::Accounts::standard();
    let services = crate::services::compile(&loaded, "console", &accounts, |program| {
        let rel = program.trim_start_matches('/');
        let inside = entries
            .iter()
            .any(|e| e.path == rel && !matches!(e.kind, FileKind::Dir));
        if !inside {
            eprintln!(
                "pkg build: note: a service runs {program}, which is not in this package: \
                 a dependency or the base image must provide it"
            );
        }
        true
    })?;
    Ok(ibex_plan::BootPlan {
        hostname: String::new(),
        services,
        main: None,
        confirm: Default::default(),
        // Only the boot plan's counts: init ignores a package's.
        watchdog_secs: 0,
    }
    .encode())
}
