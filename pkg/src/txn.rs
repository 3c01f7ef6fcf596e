//! Transactions: the only code that changes files under the root.
//!
//! Every change is planned in full first (and refused as a whole if any
//! file is owned by two packages or would be written through a symlink),
//! then written in four phases, with a journal that lets any later run
//! finish or undo a transaction that was interrupted:
//!
//! 1. the journal (`lib/ibex/pkg/journal`) is written atomically: the list
//!    of operations and the SHA-256 of the database that will commit them;
//! 2. new directories are made and every new file is staged beside its
//!    target as `.ibex-new.NAME`, written and fsynced;
//! 3. each target is swapped: the old file (if any) is renamed to
//!    `.ibex-old.NAME`, the staged one renamed into place; files to delete
//!    are renamed to `.ibex-old.NAME` as well;
//! 4. the new database is written atomically: this is the commit point.
//!    Then the `.ibex-old` files, emptied directories and the journal go.
//!
//! [`recover`] runs before every command: if a journal is left, the
//! database says which side of the commit point the crash was on, and the
//! transaction is rolled forward (cleanup) or back (old files renamed back,
//! new ones removed). Either way the root holds exactly the old or exactly
//! the new set of files.
//!
//! For tests, `IBEX_PKG_CRASH_AT=N` aborts the process at the Nth step.

use crate::db::{self, Database, DB_PATH, WORLD_PATH};
use crate::Error;
use ibex_package::{sha256, Contents, FileEntry, FileKind, Metadata};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Journal path relative to the root.
pub const JOURNAL_PATH: &str = "lib/ibex/pkg/journal";
const JOURNAL_MAGIC: [u8; 4] = *b"IBXJ";
const NEW_PREFIX: &str = ".ibex-new.";
const OLD_PREFIX: &str = ".ibex-old.";

/// One planned change to one path (relative to the root).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
enum Op {
    /// Make a directory that does not exist.
    MkDir(String),
    /// Put a file or symlink at the path; `had_old` when something was
    /// there before and must be kept until the commit.
    Write { path: String, had_old: bool },
    /// Remove a file or symlink.
    Delete(String),
    /// Remove a directory after the commit if it is empty.
    RmDir(String),
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
struct Journal {
    /// SHA-256 of the database bytes that commit this transaction.
    new_db_sha256: [u8; 32],
    /// The world file to write once committed.
    world: Option<String>,
    ops: Vec<Op>,
}

/// A package being installed or upgraded, with its checked contents.
pub struct Incoming {
    /// Its metadata.
    pub metadata: Metadata,
    /// Its files' contents, checked.
    pub contents: Contents,
    /// SHA-256 of the package file.
    pub file_sha256: [u8; 32],
}

/// What a transaction did, for the user.
#[derive(Debug, Default)]
pub struct Report {
    /// Lines such as "Installing sqlite (3.45.1-r0)".
    pub lines: Vec<String>,
}

fn sibling(path: &str, prefix: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/{prefix}{name}"),
        None => format!("{prefix}{path}"),
    }
}

fn lstat(path: &Path) -> Option<fs::Metadata> {
    fs::symlink_metadata(path).ok()
}

/// Runs the steps of a transaction, counting them for crash injection.
struct Runner<'a> {
    root: &'a Path,
    crash_at: Option<u64>,
    step: u64,
}

impl Runner<'_> {
    fn step(&mut self) {
        self.step += 1;
        if self.crash_at == Some(self.step) {
            // Stands in for a power cut or a kill: no cleanup, no unwinding.
            std::process::abort();
        }
    }

    fn abs(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Makes everything written so far durable: one syncfs(2) of the
    /// root's filesystem instead of an fsync per file and directory, which
    /// costs a journal commit each (an install of 1,300 files spent most of
    /// its time there).
    fn sync(&self) -> Result<(), Error> {
        let root = fs::File::open(self.root).map_err(|e| Error::io(self.root, e))?;
        nix::unistd::syncfs(std::os::fd::AsRawFd::as_raw_fd(&root))
            .map_err(|e| Error::io(self.root, std::io::Error::from_raw_os_error(e as i32)))
    }
}

fn set_owner_mode(path: &Path, entry: &FileEntry, is_link: bool) -> std::io::Result<()> {
    if nix::unistd::geteuid().is_root() {
        if is_link {
            std::os::unix::fs::lchown(path, Some(entry.uid), Some(entry.gid))?;
        } else {
            std::os::unix::fs::chown(path, Some(entry.uid), Some(entry.gid))?;
        }
    }
    if !is_link {
        // After chown, which clears set-id bits.
        fs::set_permissions(path, fs::Permissions::from_mode(entry.mode))?;
    }
    Ok(())
}

/// Writes a staged file or symlink, never following a symlink at its place.
fn stage(path: &Path, entry: &FileEntry, data: &[u8]) -> std::io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    match &entry.kind {
        FileKind::Symlink { target } => {
            std::os::unix::fs::symlink(target, path)?;
            set_owner_mode(path, entry, true)
        }
        _ => {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(nix::libc::O_NOFOLLOW)
                .open(path)?;
            // Made durable for all staged files at once by Runner::sync.
            f.write_all(data)?;
            set_owner_mode(path, entry, false)
        }
    }
}

/// Every file path of the database's packages, with its owner.
fn owners(db: &Database) -> BTreeMap<&str, (&str, &FileEntry)> {
    let mut map = BTreeMap::new();
    for p in &db.packages {
        for f in &p.metadata.files {
            map.insert(f.path.as_str(), (p.metadata.name.as_str(), f));
        }
    }
    map
}

/// Whether the file on disk still has the contents the package recorded.
fn unchanged_on_disk(root: &Path, entry: &FileEntry) -> bool {
    match &entry.kind {
        FileKind::File { sha256: want, .. } => fs::read(root.join(&entry.path))
            .map(|d| sha256(&d) == *want)
            .unwrap_or(false),
        _ => true,
    }
}

struct Plan<'a> {
    ops: Vec<Op>,
    /// Contents to stage for each `Write`, by its path.
    writes: BTreeMap<String, (&'a FileEntry, &'a [u8])>,
    dirs: BTreeMap<String, &'a FileEntry>,
    notes: Vec<String>,
}

/// Plans the change from `old` to `new` (whose changed packages are
/// `incoming`), refusing it as a whole if it is unsafe.
fn plan<'a>(
    root: &Path,
    old: &'a Database,
    new: &'a Database,
    incoming: &'a [Incoming],
) -> Result<Plan<'a>, Error> {
    let old_files = owners(old);
    let mut new_owner: BTreeMap<&str, (&str, &FileEntry)> = BTreeMap::new();
    for p in &new.packages {
        for f in &p.metadata.files {
            if let Some((other, prev)) = new_owner.insert(&f.path, (&p.metadata.name, f)) {
                let both_dirs = matches!(prev.kind, FileKind::Dir) && f.kind == FileKind::Dir;
                if !both_dirs {
                    return Err(Error::Other(format!(
                        "/{}: belongs to both {other} and {}",
                        f.path, p.metadata.name
                    )));
                }
            }
        }
    }
    let mut plan = Plan {
        ops: Vec::new(),
        writes: BTreeMap::new(),
        dirs: BTreeMap::new(),
        notes: Vec::new(),
    };
    let mut made: BTreeSet<String> = BTreeSet::new();
    for inc in incoming {
        let config: BTreeSet<&str> = inc.metadata.config.iter().map(String::as_str).collect();
        for (i, f) in inc.metadata.files.iter().enumerate() {
            // Parents: real directories, or made by this transaction.
            let mut prefix = String::new();
            for part in f
                .path
                .split('/')
                .collect::<Vec<_>>()
                .split_last()
                .map_or(&[][..], |(_, p)| p)
            {
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(part);
                if made.contains(&prefix) {
                    continue;
                }
                match lstat(&root.join(&prefix)) {
                    Some(m) if m.file_type().is_symlink() => {
                        return Err(Error::Other(format!(
                            "/{}: refusing to write through the symlink /{prefix}",
                            f.path
                        )))
                    }
                    Some(m) if !m.is_dir() => {
                        return Err(Error::Other(format!(
                            "/{}: /{prefix} is not a directory",
                            f.path
                        )))
                    }
                    Some(_) => {}
                    None => {
                        made.insert(prefix.clone());
                        plan.ops.push(Op::MkDir(prefix.clone()));
                    }
                }
            }
            let target = root.join(&f.path);
            let on_disk = lstat(&target);
            match &f.kind {
                FileKind::Dir => match on_disk {
                    Some(m) if m.file_type().is_symlink() || !m.is_dir() => {
                        return Err(Error::Other(format!(
                            "/{}: exists and is not a directory",
                            f.path
                        )))
                    }
                    Some(_) => {}
                    None => {
                        if made.insert(f.path.clone()) {
                            plan.ops.push(Op::MkDir(f.path.clone()));
                        }
                        plan.dirs.insert(f.path.clone(), f);
                    }
                },
                _ => {
                    if on_disk.as_ref().is_some_and(|m| m.is_dir()) {
                        return Err(Error::Other(format!(
                            "/{}: a directory is in the way",
                            f.path
                        )));
                    }
                    let mut path = f.path.clone();
                    if config.contains(f.path.as_str()) && on_disk.is_some() {
                        let pristine = old_files
                            .get(f.path.as_str())
                            .is_some_and(|(_, e)| unchanged_on_disk(root, e));
                        let same =
                            fs::read(&target).is_ok_and(|d| inc.contents.of(i) == d.as_slice());
                        if !pristine && !same {
                            path.push_str(".new");
                            plan.notes
                                .push(format!("keeping modified /{}, new one in /{path}", f.path));
                        }
                    }
                    let had_old = lstat(&root.join(&path)).is_some();
                    plan.ops.push(Op::Write {
                        path: path.clone(),
                        had_old,
                    });
                    plan.writes.insert(path, (f, inc.contents.of(i)));
                }
            }
        }
    }
    // What the old packages had and the new ones do not.
    let mut rmdirs = Vec::new();
    for (path, (_, entry)) in &old_files {
        if new_owner.contains_key(path) {
            continue;
        }
        match entry.kind {
            FileKind::Dir => rmdirs.push(path.to_string()),
            _ => {
                let is_config = old
                    .packages
                    .iter()
                    .any(|p| p.metadata.config.iter().any(|c| c == path));
                if is_config && !unchanged_on_disk(root, entry) {
                    plan.notes.push(format!("keeping modified /{path}"));
                } else if lstat(&root.join(path)).is_some() {
                    plan.ops.push(Op::Delete(path.to_string()));
                }
            }
        }
    }
    // Deepest first, so that children go before their parents.
    ibex_sort::sort_by(&mut rmdirs, |a, b| b.cmp(a));
    plan.ops.extend(rmdirs.into_iter().map(Op::RmDir));
    Ok(plan)
}

/// Applies the change from `old` to `new`: `incoming` are the packages of
/// `new` that are new or changed; `world` is the new world file, if it
/// changes. All or nothing.
pub fn apply(
    root: &Path,
    old: &Database,
    new: &Database,
    incoming: &[Incoming],
    world: Option<String>,
) -> Result<Report, Error> {
    let plan = plan(root, old, new, incoming)?;
    let new_db = new.encode();
    let journal = Journal {
        new_db_sha256: sha256(&new_db),
        world,
        ops: plan.ops.clone(),
    };
    let crash_at = std::env::var("IBEX_PKG_CRASH_AT")
        .ok()
        .and_then(|v| v.parse().ok());
    let mut run = Runner {
        root,
        crash_at,
        step: 0,
    };
    run.step();
    db::write_atomic(
        &root.join(JOURNAL_PATH),
        &db::frame(JOURNAL_MAGIC, &journal),
        0o600,
    )?;
    let result = execute(&mut run, &plan, &new_db);
    if let Err(e) = result {
        // Undo what was done; the database was not replaced.
        if let Err(again) = recover(root) {
            return Err(Error::Other(format!(
                "{e}; and rolling back failed: {again}"
            )));
        }
        return Err(e);
    }
    finish(&mut run, &journal)?;
    Ok(Report { lines: plan.notes })
}

fn execute(run: &mut Runner<'_>, plan: &Plan<'_>, new_db: &[u8]) -> Result<(), Error> {
    // Phase 2: directories and staged files.
    for op in &plan.ops {
        match op {
            Op::MkDir(path) => {
                run.step();
                let abs = run.abs(path);
                fs::create_dir(&abs).map_err(|e| Error::io(&abs, e))?;
                if let Some(entry) = plan.dirs.get(path) {
                    set_owner_mode(&abs, entry, false).map_err(|e| Error::io(&abs, e))?;
                }
            }
            Op::Write { path, .. } => {
                run.step();
                let (entry, data) = plan.writes[path];
                let staged = run.abs(&sibling(path, NEW_PREFIX));
                stage(&staged, entry, data).map_err(|e| Error::io(&staged, e))?;
            }
            _ => {}
        }
    }
    // Staged files must be durable before any old file is moved away.
    run.sync()?;
    // Phase 3: swaps.
    for op in &plan.ops {
        match op {
            Op::Write { path, had_old } => {
                let target = run.abs(path);
                if *had_old {
                    run.step();
                    let old = run.abs(&sibling(path, OLD_PREFIX));
                    fs::rename(&target, &old).map_err(|e| Error::io(&target, e))?;
                }
                run.step();
                let staged = run.abs(&sibling(path, NEW_PREFIX));
                fs::rename(&staged, &target).map_err(|e| Error::io(&target, e))?;
            }
            Op::Delete(path) => {
                run.step();
                let target = run.abs(path);
                let old = run.abs(&sibling(path, OLD_PREFIX));
                fs::rename(&target, &old).map_err(|e| Error::io(&target, e))?;
            }
            _ => {}
        }
    }
    run.sync()?;
    // Phase 4: the commit point.
    run.step();
    db::write_atomic(&run.abs(DB_PATH), new_db, 0o644)?;
    run.step();
    Ok(())
}

/// After the commit: drop the old files, empty directories and the journal.
fn finish(run: &mut Runner<'_>, journal: &Journal) -> Result<(), Error> {
    for op in &journal.ops {
        match op {
            Op::Write { path, .. } | Op::Delete(path) => {
                let old = run.abs(&sibling(path, OLD_PREFIX));
                if lstat(&old).is_some() {
                    run.step();
                    fs::remove_file(&old).map_err(|e| Error::io(&old, e))?;
                }
            }
            Op::RmDir(path) => {
                // Not empty (a user's file is there) is fine: it stays.
                let _ = fs::remove_dir(run.abs(path));
            }
            Op::MkDir(_) => {}
        }
    }
    if let Some(world) = &journal.world {
        run.step();
        db::write_atomic(&run.abs(WORLD_PATH), world.as_bytes(), 0o644)?;
    }
    run.step();
    let path = run.abs(JOURNAL_PATH);
    fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    Ok(())
}

/// Finishes or undoes a transaction a crash interrupted; does nothing when
/// there is no journal. Safe to run again if it is itself interrupted.
pub fn recover(root: &Path) -> Result<Option<&'static str>, Error> {
    let path = root.join(JOURNAL_PATH);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
    };
    let journal: Journal = db::unframe(JOURNAL_MAGIC, "transaction journal", &bytes)
        .map_err(|e| Error::at(&path, e))?;
    let db_bytes = fs::read(root.join(DB_PATH)).unwrap_or_else(|_| Database::default().encode());
    let mut run = Runner {
        root,
        crash_at: None,
        step: 0,
    };
    if sha256(&db_bytes) == journal.new_db_sha256 {
        finish(&mut run, &journal)?;
        return Ok(Some("completed an interrupted transaction"));
    }
    let io = |p: &Path, e| Error::io(p, e);
    for op in journal.ops.iter().rev() {
        match op {
            Op::Write { path, had_old } => {
                let target = run.abs(path);
                let staged = run.abs(&sibling(path, NEW_PREFIX));
                let old = run.abs(&sibling(path, OLD_PREFIX));
                if lstat(&staged).is_some() {
                    fs::remove_file(&staged).map_err(|e| io(&staged, e))?;
                }
                if *had_old {
                    if lstat(&old).is_some() {
                        fs::rename(&old, &target).map_err(|e| io(&target, e))?;
                    }
                } else if lstat(&target).is_some_and(|m| !m.is_dir()) {
                    fs::remove_file(&target).map_err(|e| io(&target, e))?;
                }
            }
            Op::Delete(path) => {
                let old = run.abs(&sibling(path, OLD_PREFIX));
                if lstat(&old).is_some() {
                    let target = run.abs(path);
                    fs::rename(&old, &target).map_err(|e| io(&target, e))?;
                }
            }
            Op::MkDir(path) => {
                let _ = fs::remove_dir(run.abs(path));
            }
            Op::RmDir(_) => {}
        }
    }
    run.sync()?;
    fs::remove_file(&path).map_err(|e| io(&path, e))?;
    Ok(Some("rolled back an interrupted transaction"))
}

/// One problem `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The package.
    pub package: String,
    /// The path, absolute inside the root.
    pub path: String,
    /// What is wrong.
    pub what: String,
    /// A config file the user changed: reported, not an error.
    pub config: bool,
}

/// Checks every installed file against the database: kind, contents
/// (SHA-256), symlink target, mode and owner.
pub fn verify(root: &Path, db: &Database, only: Option<&str>) -> Vec<Problem> {
    let mut out = Vec::new();
    for p in &db.packages {
        if only.is_some_and(|n| n != p.metadata.name) {
            continue;
        }
        for f in &p.metadata.files {
            let config = p.metadata.config.contains(&f.path);
            let mut bad = |what: String, config: bool| {
                out.push(Problem {
                    package: p.metadata.name.clone(),
                    path: format!("/{}", f.path),
                    what,
                    config,
                })
            };
            let abs = root.join(&f.path);
            let Some(m) = lstat(&abs) else {
                bad("missing".into(), false);
                continue;
            };
            match &f.kind {
                FileKind::Dir if !m.is_dir() => bad("not a directory".into(), false),
                FileKind::Symlink { target } => match fs::read_link(&abs) {
                    Ok(t) if t.as_os_str() == target.as_str() => {}
                    Ok(t) => bad(format!("symlink points to {}", t.display()), false),
                    Err(_) => bad("not a symlink".into(), false),
                },
                FileKind::File { .. } if !m.is_file() => bad("not a regular file".into(), false),
                FileKind::File { .. } if !unchanged_on_disk(root, f) => {
                    bad("SHA-256 mismatch".into(), config)
                }
                _ => {}
            }
            if !matches!(f.kind, FileKind::Symlink { .. }) && m.mode() & 0o7777 != f.mode {
                bad(
                    format!("mode {:o}, expected {:o}", m.mode() & 0o7777, f.mode),
                    config,
                );
            }
            if nix::unistd::geteuid().is_root() && (m.uid() != f.uid || m.gid() != f.gid) {
                bad(
                    format!(
                        "owner {}:{}, expected {}:{}",
                        m.uid(),
                        m.gid(),
                        f.uid,
                        f.gid
                    ),
                    config,
                );
            }
        }
    }
    out
}
