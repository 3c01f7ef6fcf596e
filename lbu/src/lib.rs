//! Saved configuration for a system that runs from RAM, as Alpine's
//! diskless mode and `lbu` do it: Ibex's root filesystem is the initramfs
//! inside the kernel image, so whatever the user changes under /etc is lost
//! at reboot unless it is saved. `ibox lbu commit` saves what differs from
//! the image as built (and paths added with `lbu include`) as one archive
//! on a persistent medium; init restores it at boot before any service
//! starts.
//!
//! The pieces, each in its own module:
//!
//! - [`medium`]: which device holds the archive (`LBU_MEDIA` in
//!   /etc/lbu/lbu.conf; by default the GPT partition named `data`).
//! - [`record`]: the two records on it and committing one atomically.
//! - [`archive`]: the archive's typed, compressed encoding.
//! - [`manifest`]: the image's /etc as the linker describes it.
//! - [`tree`]: reading paths from the system and putting them back.
//!
//! Described in docs/formats.md, "Saved configuration (lbu)".

pub mod archive;
pub mod manifest;
pub mod medium;
pub mod record;
pub mod tree;

use archive::{Archive, Entry, Kind};
use manifest::Manifest;
use medium::Medium;
use record::Half;
use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

/// The directory always saved.
pub const ETC: &str = "/etc";
/// Paths the user added with `lbu include`, one a line, relative to the root.
pub const INCLUDE: &str = "etc/lbu/include";
/// Paths the user left out with `lbu exclude`, one a line.
pub const EXCLUDE: &str = "etc/lbu/exclude";

/// Why saving or restoring failed.
#[derive(Debug)]
pub enum Error {
    /// Reading or writing failed; what was being read or written.
    Io(String, std::io::Error),
    /// No medium was found; why.
    NoMedium(String),
    /// The medium (path, size) is smaller than a record needs (bytes,
    /// 0 when even a header does not fit).
    TooSmall(String, u64, u64),
    /// The medium (path) holds something else (what): lbu does not write
    /// over it.
    Foreign(String, &'static str),
    /// The archive could not be encoded or decoded.
    Archive(String),
    /// The image's manifest is malformed.
    Manifest(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(what, e) => write!(f, "{what}: {e}"),
            Error::NoMedium(why) => write!(f, "no medium for saved configuration: {why}"),
            Error::TooSmall(path, size, 0) => {
                write!(f, "{path}: medium too small ({size} bytes)")
            }
            Error::TooSmall(path, size, need) => write!(
                f,
                "{path}: medium too small: the archive needs {need} bytes, each half of the \
                 {size}-byte medium holds {}",
                record::half_len(*size)
            ),
            Error::Foreign(path, what) => write!(
                f,
                "{path} holds {what}, not saved configuration; not writing over it \
                 (set LBU_MEDIA in /etc/lbu/lbu.conf, or clear its first 64 KiB)"
            ),
            Error::Archive(why) => write!(f, "archive: {why}"),
            Error::Manifest(why) => write!(f, "{}: {why}", manifest::PATH),
        }
    }
}

impl std::error::Error for Error {}

/// How a path differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Not in the reference (the image, or the last commit).
    Added,
    /// Different contents, kind, permissions or owner.
    Modified,
    /// In the reference, gone now.
    Deleted,
}

impl Change {
    /// `A`, `M` or `D`, as `lbu status` prints it.
    pub fn letter(self) -> char {
        match self {
            Change::Added => 'A',
            Change::Modified => 'M',
            Change::Deleted => 'D',
        }
    }
}

/// What the next commit would save, and how it differs from the image.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Files and links that differ from the image, with how (directories
    /// are saved but not listed).
    pub paths: Vec<(Change, String)>,
    /// The archive a commit would write.
    pub archive: Archive,
    /// Paths that could not be read, and why; left out.
    pub problems: Vec<String>,
}

/// Reads a list file (`include`/`exclude`): absolute paths, one a line,
/// `#` comments and blank lines skipped, trailing slashes dropped.
pub fn read_list(root: &Path, rel: &str) -> Vec<String> {
    fs::read_to_string(root.join(rel))
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let t = l.trim_end_matches('/');
            if t.is_empty() {
                "/".to_string()
            } else {
                t.to_string()
            }
        })
        .collect()
}

/// The image's manifest; empty (everything counts as added) when the
/// image has none.
pub fn image_manifest(root: &Path) -> Result<Manifest, Error> {
    match fs::read_to_string(root.join(manifest::PATH)) {
        Ok(text) => Manifest::parse(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
        Err(e) => Err(Error::Io(manifest::PATH.into(), e)),
    }
}

/// Compares the system under `root` with the image: /etc and the included
/// paths, minus the excluded ones.
pub fn changes(root: &Path) -> Result<Changes, Error> {
    let image = image_manifest(root)?;
    let mut roots = vec![ETC.to_string()];
    roots.extend(read_list(root, INCLUDE));
    let mut excluded = read_list(root, EXCLUDE);
    // The manifest describes the image; it cannot list itself, and it is
    // never the user's configuration.
    excluded.push(format!("/{}", manifest::PATH));
    let mut problems = Vec::new();
    let now = tree::scan(root, &roots, &excluded, &mut problems);
    Ok(compare(&image, &now, &excluded, problems))
}

/// The changes between the image's `image` and the scanned `now`.
pub fn compare(
    image: &Manifest,
    now: &BTreeMap<String, Entry>,
    excluded: &[String],
    problems: Vec<String>,
) -> Changes {
    let mut out = Changes {
        problems,
        ..Changes::default()
    };
    for (path, entry) in now {
        let change = match image.items.get(path) {
            Some(item) if *item == manifest::Item::of(entry) => continue,
            Some(_) => Change::Modified,
            None => Change::Added,
        };
        if !matches!(entry.kind, Kind::Dir) {
            out.paths.push((change, path.clone()));
        }
        out.archive.entries.push(entry.clone());
    }
    for (path, item) in &image.items {
        if !now.contains_key(path) && !excluded.iter().any(|x| tree::under(path, x)) {
            if item.kind != 'd' {
                out.paths.push((Change::Deleted, path.clone()));
            }
            out.archive.removed.push(path.clone());
        }
    }
    ibex_sort::sort_by(&mut out.paths, |a, b| a.1.cmp(&b.1));
    out
}

/// The changes from archive `old` (the last commit) to `new`.
pub fn diff(old: &Archive, new: &Archive) -> Vec<(Change, String)> {
    let index = |a: &Archive| -> BTreeMap<String, Entry> {
        a.entries
            .iter()
            .map(|e| (e.path.clone(), e.clone()))
            .collect()
    };
    let (o, n) = (index(old), index(new));
    let mut out = Vec::new();
    for (path, e) in &n {
        match o.get(path) {
            Some(x) if x == e => {}
            Some(_) => out.push((Change::Modified, path.clone())),
            None => out.push((Change::Added, path.clone())),
        }
    }
    for path in o.keys() {
        if !n.contains_key(path) {
            // Gone from the archive: deleted, or back as the image has it.
            let change = if new.removed.contains(path) {
                Change::Deleted
            } else {
                Change::Modified
            };
            out.push((change, path.clone()));
        }
    }
    for path in &new.removed {
        if !old.removed.contains(path) && !o.contains_key(path) {
            out.push((Change::Deleted, path.clone()));
        }
    }
    for path in &old.removed {
        if !new.removed.contains(path) && !n.contains_key(path) {
            out.push((Change::Added, path.clone()));
        }
    }
    ibex_sort::sort_by(&mut out, |a, b| a.1.cmp(&b.1));
    out
}

/// Finds and opens the configured medium of the system under `root`.
pub fn open_medium(root: &Path, write: bool) -> Result<Medium, Error> {
    let device = medium::locate(&medium::configured(root))?;
    match Medium::open(&device, write) {
        Err(Error::Io(_, e)) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NoMedium(
            format!("{} does not exist", device.display()),
        )),
        other => other,
    }
}

/// The record in force on `m`: its sequence number and archive. None when
/// the medium holds no valid record.
pub fn last_commit(m: &Medium) -> Result<Option<(u64, Archive)>, Error> {
    let halves = record::read(m)?;
    let Some(n) = record::newest(&halves) else {
        return Ok(None);
    };
    match &halves[n] {
        Half::Valid { header, payload } => Ok(Some((header.seq, Archive::decode(payload)?))),
        Half::Invalid(_) => Ok(None),
    }
}

/// Saves the changes of the system under `root` as the next record on `m`.
/// Returns the commit's number and what was saved.
pub fn commit(root: &Path, m: &Medium) -> Result<(u64, Changes), Error> {
    let changes = changes(root)?;
    let payload = changes.archive.encode()?;
    let header = record::commit(m, &payload)?;
    Ok((header.seq, changes))
}

/// What init's restore did, for its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restored {
    /// No medium was found (or none configured that exists): nothing to do.
    NoMedium(String),
    /// The medium holds no record yet.
    Nothing(PathBuf),
    /// The archive in force was restored: device, commit number, files and
    /// links written, and the failures (restore went on after each).
    Done {
        /// The medium.
        device: PathBuf,
        /// The commit's sequence number.
        seq: u64,
        /// Files and links written.
        files: usize,
        /// Paths that could not be restored, and why.
        errors: Vec<String>,
    },
    /// The medium (device) holds a filesystem or volume (what), not
    /// records: nothing restored.
    Foreign(PathBuf, &'static str),
    /// Something is on the medium but no usable archive; why. The system
    /// boots with the image's configuration.
    Unusable(String),
}

impl fmt::Display for Restored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Restored::NoMedium(why) => write!(f, "lbu: {why}; nothing restored"),
            Restored::Nothing(d) => write!(f, "lbu: no saved configuration on {}", d.display()),
            Restored::Done {
                device, seq, files, ..
            } => write!(
                f,
                "lbu: restored {files} files from {} (commit #{seq})",
                device.display()
            ),
            Restored::Foreign(d, what) => write!(
                f,
                "lbu: {} holds {what}, not saved configuration; nothing restored",
                d.display()
            ),
            Restored::Unusable(why) => {
                write!(f, "lbu: {why}; booting with the image's configuration")
            }
        }
    }
}

/// At boot: finds the medium and restores the archive in force under
/// `root`. Never fails; what happened is in the result.
pub fn restore_at_boot(root: &Path) -> Restored {
    let m = match open_medium(root, false) {
        Ok(m) => m,
        Err(Error::NoMedium(why)) => return Restored::NoMedium(why),
        Err(e) => return Restored::Unusable(e.to_string()),
    };
    match record::foreign(&m) {
        Ok(Some(what)) => return Restored::Foreign(m.path.clone(), what),
        Ok(None) => {}
        Err(e) => return Restored::Unusable(e.to_string()),
    }
    let halves = match record::read(&m) {
        Ok(h) => h,
        Err(e) => return Restored::Unusable(e.to_string()),
    };
    let Some(n) = record::newest(&halves) else {
        return match (&halves[0], &halves[1]) {
            (Half::Invalid(record::Invalid::Empty), Half::Invalid(record::Invalid::Empty)) => {
                Restored::Nothing(m.path.clone())
            }
            (Half::Invalid(a), Half::Invalid(b)) => {
                let why = [a, b]
                    .into_iter()
                    .find_map(|x| match x {
                        record::Invalid::Corrupt(w) => Some(w.clone()),
                        record::Invalid::Empty => None,
                    })
                    .unwrap_or_default();
                Restored::Unusable(format!(
                    "no valid saved configuration on {} ({why})",
                    m.path.display()
                ))
            }
            _ => Restored::Nothing(m.path.clone()),
        };
    };
    let Half::Valid { header, payload } = &halves[n] else {
        return Restored::Nothing(m.path.clone());
    };
    let archive = match Archive::decode(payload) {
        Ok(a) => a,
        Err(e) => {
            return Restored::Unusable(format!(
                "commit #{} on {}: {e}",
                header.seq,
                m.path.display()
            ))
        }
    };
    let (files, errors) = tree::apply(root, &archive);
    Restored::Done {
        device: m.path.clone(),
        seq: header.seq,
        files,
        errors,
    }
}

#[cfg(test)]
mod tests;
