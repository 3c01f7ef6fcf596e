//! The device's side of a fleet's TUF release repository (written by
//! `ibex release`), for `ibox sysupgrade --check/--from-repo`: the trusted
//! root and versions under /etc/ibex/tuf, fetching over HTTP, and picking
//! the newest release for this board.
//!
//! `IBEX_TUF_SYSROOT`, if set, is a directory that stands in for `/` when
//! reading /etc/ibex/tuf, /etc/ibex/board and /etc/os-release. It exists
//! for the host tests (userland/tests/tuf.rs), which have no such files;
//! a device has no reason to set it.

use ibex_tuf::{Client, State, TargetInfo, Verified};
use std::fs;
use std::path::{Path, PathBuf};

/// Largest release image accepted from a repository.
pub const MAX_TARGET: u64 = 256 << 20;

/// Where the files live.
pub struct Paths {
    root: PathBuf,
}

impl Paths {
    /// The running system's paths (or the test sysroot's).
    pub fn system() -> Paths {
        let root = std::env::var_os("IBEX_TUF_SYSROOT")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/"));
        Paths { root }
    }

    fn tuf(&self, name: &str) -> PathBuf {
        self.root.join(ibex_tuf::DEVICE_DIR).join(name)
    }

    /// This system's board (`/etc/ibex/board`).
    pub fn board(&self) -> String {
        fs::read_to_string(self.root.join("etc/ibex/board"))
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    /// The running release (`VERSION_ID` in `/etc/os-release`).
    pub fn running_version(&self) -> String {
        fs::read_to_string(self.root.join("etc/os-release"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VERSION_ID="))
            .unwrap_or_default()
            .trim_matches('"')
            .to_string()
    }
}

/// A newer release found in the repository.
pub struct Release {
    /// Its target name (`BOARD/VERSION/sysupgrade.ibx`).
    pub name: String,
    /// Its version, as the repository's custom metadata gives it.
    pub version: String,
}

/// `base` with exactly one `/` before `name`.
fn join(base: &str, name: &str) -> String {
    format!("{}/{name}", base.trim_end_matches('/'))
}

/// Runs the TUF client workflow against the repository at `base`
/// (`http://…`), starting from the trusted root and versions on this
/// system, and keeps the outcome (a rotated root, the new versions) for
/// next time.
pub fn verify(base: &str, paths: &Paths) -> Result<Verified, String> {
    let root_path = paths.tuf("root.json");
    let root = fs::read(&root_path).map_err(|e| {
        format!(
            "{}: {}: this system trusts no release repository",
            root_path.display(),
            crate::common::strerror(&e)
        )
    })?;
    let state_path = paths.tuf("state.json");
    let state = match fs::read(&state_path) {
        Ok(bytes) => {
            State::from_json(&bytes).map_err(|e| format!("{}: {e}", state_path.display()))?
        }
        // First contact: nothing trusted yet beyond the root.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
        Err(e) => {
            return Err(format!(
                "{}: {}",
                state_path.display(),
                crate::common::strerror(&e)
            ))
        }
    };
    let fetch = |name: &str, limit: u64| {
        ibex_pkg::http::get(&join(base, name), limit).map_err(|e| e.to_string())
    };
    let verified = Client::new(fetch, now())
        .update(&root, state)
        .map_err(|e| format!("{base}: refused: {e}"))?;
    // Keep what was learned even if nothing gets installed: the versions
    // are what refuses a later rollback, a rotated root what trusts the
    // repository's new keys.
    if verified.root_changed {
        write_atomic(&root_path, &verified.root)?;
    }
    if verified.state != state {
        write_atomic(&state_path, &verified.state.to_json())?;
    }
    Ok(verified)
}

/// The newest release for `board` newer than `running`, if any.
pub fn newest(verified: &Verified, board: &str, running: &str) -> Option<Release> {
    use ibex_package::version::compare;
    use std::cmp::Ordering;
    verified
        .targets
        .iter()
        .filter_map(|(name, info)| release_of(name, info, board))
        .filter(|r| compare(&r.version, running) == Ordering::Greater)
        .max_by(|a, b| compare(&a.version, &b.version))
}

fn release_of(name: &str, info: &TargetInfo, board: &str) -> Option<Release> {
    if info.custom_str("board") != Some(board) {
        return None;
    }
    Some(Release {
        name: name.to_string(),
        version: info.custom_str("version")?.to_string(),
    })
}

/// Downloads a verified target and checks its length and SHA-256.
pub fn download(base: &str, verified: &Verified, name: &str) -> Result<Vec<u8>, String> {
    let info = verified.target(name).map_err(|e| e.to_string())?;
    if info.length > MAX_TARGET {
        return Err(format!(
            "{name}: {} bytes is more than {MAX_TARGET}",
            info.length
        ));
    }
    let mut failed = Vec::new();
    let mut found = None;
    for path in verified.target_paths(name).map_err(|e| e.to_string())? {
        let url = join(base, &path);
        match ibex_pkg::http::get(&url, info.length) {
            Ok(bytes) => {
                found = Some(bytes);
                break;
            }
            Err(e) => failed.push(format!("{url}: {e}")),
        }
    }
    let bytes = found.ok_or_else(|| failed.join("; "))?;
    verified
        .verify_target(name, &bytes)
        .map_err(|e| format!("{name}: refused: {e}"))?;
    Ok(bytes)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Replaces `path` atomically (see [`crate::fsutil::write_atomic`]), with
/// the error as a message.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    crate::fsutil::write_atomic(path, bytes, 0o666)
        .map_err(|e| format!("{}: {}", path.display(), crate::common::strerror(&e)))
}
