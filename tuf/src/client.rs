//! The client workflow of the TUF specification (section 5), with the
//! network and the clock left to the caller: a fetch callback, the time,
//! the trusted root and the versions trusted before.

use crate::error::{Error, Role};
use crate::hex;
use crate::metadata::{Common, Envelope, MetaFile, Root, Snapshot, TargetInfo, Targets, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Versions this device trusted before: a newer repository may move
/// forward from them, never back. The caller keeps it between runs
/// ([`State::to_json`], [`State::from_json`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Timestamp version last trusted.
    pub timestamp: u64,
    /// Snapshot version last trusted.
    pub snapshot: u64,
    /// Targets version last trusted.
    pub targets: u64,
}

impl State {
    /// Reads a state written by [`State::to_json`].
    pub fn from_json(bytes: &[u8]) -> Result<State, Error> {
        serde_json::from_slice(bytes).map_err(|_| Error::BadState)
    }

    /// The state as a line of JSON.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = format!(
            "{{\"snapshot\":{},\"targets\":{},\"timestamp\":{}}}",
            self.snapshot, self.targets, self.timestamp
        )
        .into_bytes();
        v.push(b'\n');
        v
    }
}

/// Largest metadata files accepted where no parent role gives a length
/// (the specification's "Z"/"Y"/"T" numbers); a fetcher must not read
/// more than the limit it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// A root file.
    pub root: u64,
    /// `timestamp.json`.
    pub timestamp: u64,
    /// `snapshot.json` when the timestamp gives no length.
    pub snapshot: u64,
    /// `targets.json` when the snapshot gives no length.
    pub targets: u64,
    /// Root versions fetched in one update, at most.
    pub max_root_rotations: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            root: 512 << 10,
            timestamp: 16 << 10,
            snapshot: 2 << 20,
            targets: 8 << 20,
            max_root_rotations: 32,
        }
    }
}

/// A repository as this client verified it.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The newest trusted root, as fetched: the caller stores it in place
    /// of the one it gave when `root_changed`.
    pub root: Vec<u8>,
    /// Whether `root` is newer than the one given.
    pub root_changed: bool,
    /// The versions to persist for the next run.
    pub state: State,
    /// The verified targets, by name.
    pub targets: BTreeMap<String, TargetInfo>,
    consistent_snapshot: bool,
}

impl Verified {
    /// A target by name.
    pub fn target(&self, name: &str) -> Result<&TargetInfo, Error> {
        self.targets.get(name).ok_or_else(|| Error::NoTarget {
            name: name.to_string(),
        })
    }

    /// The path to fetch a target from, relative to the repository:
    /// `targets/NAME`, or `targets/DIR/SHA256.BASENAME` with consistent
    /// snapshots.
    pub fn target_path(&self, name: &str) -> Result<String, Error> {
        let info = self.target(name)?;
        if !self.consistent_snapshot {
            return Ok(format!("targets/{name}"));
        }
        let sha = info.sha256().ok_or_else(|| Error::Hash {
            name: name.to_string(),
        })?;
        let (dir, base) = match name.rsplit_once('/') {
            Some((d, b)) => (format!("{d}/"), b),
            None => (String::new(), name),
        };
        Ok(format!("targets/{dir}{}.{base}", hex::encode(&sha)))
    }

    /// Where a target may be fetched from, in the order to try:
    /// [`Verified::target_path`], then, with consistent snapshots and a
    /// name with directories, `targets/SHA256.DIR/BASENAME`, which is where
    /// `tough` (the reference Rust implementation) puts it. Either is safe:
    /// the bytes are checked against the metadata whatever the path.
    pub fn target_paths(&self, name: &str) -> Result<Vec<String>, Error> {
        let mut paths = vec![self.target_path(name)?];
        if self.consistent_snapshot && name.contains('/') {
            if let Some(sha) = self.target(name)?.sha256() {
                paths.push(format!("targets/{}.{name}", hex::encode(&sha)));
            }
        }
        Ok(paths)
    }

    /// Checks downloaded target bytes against the metadata's length and
    /// SHA-256.
    pub fn verify_target(&self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        let info = self.target(name)?;
        check_length(name, info.length, bytes)?;
        let sha = info.sha256().ok_or_else(|| Error::Hash {
            name: name.to_string(),
        })?;
        if Sha256::digest(bytes).as_slice() != sha {
            return Err(Error::Hash {
                name: name.to_string(),
            });
        }
        Ok(())
    }
}

/// A client for one repository.
pub struct Client<F> {
    fetch: F,
    limits: Limits,
    now: i64,
}

impl<F> Client<F>
where
    F: FnMut(&str, u64) -> Result<Vec<u8>, String>,
{
    /// A client that fetches repository files with `fetch(path, limit)`
    /// (`path` relative to the repository, such as `timestamp.json`; the
    /// fetcher refuses bodies longer than `limit`), at Unix time `now`.
    pub fn new(fetch: F, now: i64) -> Client<F> {
        Client {
            fetch,
            limits: Limits::default(),
            now,
        }
    }

    /// Replaces the size limits.
    pub fn with_limits(mut self, limits: Limits) -> Client<F> {
        self.limits = limits;
        self
    }

    /// Runs the whole workflow from a trusted root (the bytes of a root
    /// file this device trusts, such as the one its image carries) and
    /// the versions trusted before.
    pub fn update(&mut self, trusted_root: &[u8], state: State) -> Result<Verified, Error> {
        let mut state = state;
        // 5.2: the trusted root is trusted as given, but must still be a
        // root signed by its own keys (a damaged file is not a root).
        let env = Envelope::parse(Role::Root, trusted_root)?;
        let mut root: Root = env.decode(Role::Root)?;
        env.verify(Role::Root, &root.role_keys(Role::Root)?)?;
        let mut root_bytes = trusted_root.to_vec();
        let first_version = root.version;

        // 5.3: walk the chain of newer roots.
        for _ in 0..self.limits.max_root_rotations {
            let next = root.version.saturating_add(1);
            let name = format!("{next}.root.json");
            // The specification stops at the first root that is "not
            // available"; a fetcher error is that.
            let Ok(bytes) = self.get(&name, self.limits.root) else {
                break;
            };
            let env = Envelope::parse(Role::Root, &bytes)?;
            env.verify(Role::Root, &root.role_keys(Role::Root)?)?;
            let new: Root = env.decode(Role::Root)?;
            env.verify(Role::Root, &new.role_keys(Role::Root)?)?;
            if new.version != next {
                return Err(Error::Rollback {
                    role: Role::Root,
                    trusted: next,
                    got: new.version,
                });
            }
            // 5.3.11: new timestamp or snapshot keys forget the versions
            // the old ones signed, so a repository can recover after a
            // key compromise pushed them far ahead.
            if new.role_keys(Role::Timestamp).ok() != root.role_keys(Role::Timestamp).ok() {
                state.timestamp = 0;
                state.snapshot = 0;
            }
            if new.role_keys(Role::Snapshot).ok() != root.role_keys(Role::Snapshot).ok() {
                state.snapshot = 0;
            }
            root = new;
            root_bytes = bytes;
        }
        if root.expired(self.now) {
            return Err(Error::Expired { role: Role::Root });
        }

        // 5.4: timestamp.
        let bytes = self.get("timestamp.json", self.limits.timestamp)?;
        let env = Envelope::parse(Role::Timestamp, &bytes)?;
        env.verify(Role::Timestamp, &root.role_keys(Role::Timestamp)?)?;
        let timestamp: Timestamp = env.decode(Role::Timestamp)?;
        if timestamp.version < state.timestamp {
            return Err(Error::Rollback {
                role: Role::Timestamp,
                trusted: state.timestamp,
                got: timestamp.version,
            });
        }
        let snap_meta = timestamp
            .meta
            .get("snapshot.json")
            .ok_or_else(|| Error::BadJson {
                role: Role::Timestamp,
                what: "no snapshot.json in meta".into(),
            })?
            .clone();
        if snap_meta.version < state.snapshot {
            return Err(Error::Rollback {
                role: Role::Snapshot,
                trusted: state.snapshot,
                got: snap_meta.version,
            });
        }
        if timestamp.expired(self.now) {
            return Err(Error::Expired {
                role: Role::Timestamp,
            });
        }

        // 5.5: snapshot.
        let name = self.meta_name(&root, snap_meta.version, Role::Snapshot);
        let bytes = self.get(&name, snap_meta.length.unwrap_or(self.limits.snapshot))?;
        check_meta(&name, &snap_meta, &bytes)?;
        let env = Envelope::parse(Role::Snapshot, &bytes)?;
        env.verify(Role::Snapshot, &root.role_keys(Role::Snapshot)?)?;
        let snapshot: Snapshot = env.decode(Role::Snapshot)?;
        if snapshot.version != snap_meta.version {
            return Err(Error::Rollback {
                role: Role::Snapshot,
                trusted: snap_meta.version,
                got: snapshot.version,
            });
        }
        let targets_meta = snapshot
            .meta
            .get("targets.json")
            .ok_or_else(|| Error::BadJson {
                role: Role::Snapshot,
                what: "no targets.json in meta".into(),
            })?
            .clone();
        if targets_meta.version < state.targets {
            return Err(Error::Rollback {
                role: Role::Targets,
                trusted: state.targets,
                got: targets_meta.version,
            });
        }
        if snapshot.expired(self.now) {
            return Err(Error::Expired {
                role: Role::Snapshot,
            });
        }

        // 5.6: targets.
        let name = self.meta_name(&root, targets_meta.version, Role::Targets);
        let bytes = self.get(&name, targets_meta.length.unwrap_or(self.limits.targets))?;
        check_meta(&name, &targets_meta, &bytes)?;
        let env = Envelope::parse(Role::Targets, &bytes)?;
        env.verify(Role::Targets, &root.role_keys(Role::Targets)?)?;
        let targets: Targets = env.decode(Role::Targets)?;
        if targets.version != targets_meta.version {
            return Err(Error::Rollback {
                role: Role::Targets,
                trusted: targets_meta.version,
                got: targets.version,
            });
        }
        if targets.expired(self.now) {
            return Err(Error::Expired {
                role: Role::Targets,
            });
        }

        Ok(Verified {
            root: root_bytes,
            root_changed: root.version != first_version,
            state: State {
                timestamp: timestamp.version,
                snapshot: snapshot.version,
                targets: targets.version,
            },
            targets: targets.targets,
            consistent_snapshot: root.consistent_snapshot,
        })
    }

    /// `snapshot.json`, or `N.snapshot.json` with consistent snapshots.
    fn meta_name(&self, root: &Root, version: u64, role: Role) -> String {
        if root.consistent_snapshot {
            format!("{version}.{}.json", role.name())
        } else {
            format!("{}.json", role.name())
        }
    }

    /// Fetches `name`, holding the fetcher to `limit`.
    pub fn get(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, Error> {
        let bytes = (self.fetch)(name, limit).map_err(|reason| Error::Fetch {
            name: name.to_string(),
            reason,
        })?;
        if bytes.len() as u64 > limit {
            return Err(Error::TooLarge {
                name: name.to_string(),
                limit,
            });
        }
        Ok(bytes)
    }
}

fn check_length(name: &str, expected: u64, bytes: &[u8]) -> Result<(), Error> {
    if bytes.len() as u64 != expected {
        return Err(Error::Length {
            name: name.to_string(),
            expected,
            got: bytes.len() as u64,
        });
    }
    Ok(())
}

/// The length and SHA-256 a parent role gives for a metadata file.
fn check_meta(name: &str, meta: &MetaFile, bytes: &[u8]) -> Result<(), Error> {
    if let Some(len) = meta.length {
        check_length(name, len, bytes)?;
    }
    if let Some(hashes) = &meta.hashes {
        let Some(want) = hashes.get("sha256").and_then(|h| hex::decode::<32>(h)) else {
            // Hashes this client cannot check are no assurance at all.
            return Err(Error::Hash {
                name: name.to_string(),
            });
        };
        if Sha256::digest(bytes).as_slice() != want {
            return Err(Error::Hash {
                name: name.to_string(),
            });
        }
    }
    Ok(())
}
