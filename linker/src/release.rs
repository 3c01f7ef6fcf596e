//! `ibex release`: publishes signed system images as a TUF repository
//! (The Update Framework, specification 1.0) that any static HTTP server
//! can serve, for `ibox sysupgrade --check/--from-repo` on a fleet.
//!
//! The repository uses consistent snapshots, so that a server never shows
//! a half-published release: targets and versioned metadata
//! (`N.targets.json`, `N.snapshot.json`) are written first under new
//! names, and `timestamp.json`, which points at them, last and atomically.
//!
//! ```text
//! REPO/root.json                   newest root (what images carry)
//! REPO/N.root.json                 every root version, for the chain
//! REPO/N.targets.json              the releases
//! REPO/N.snapshot.json             the targets version
//! REPO/timestamp.json              the snapshot version, re-signed often
//! REPO/targets/BOARD/VERSION/SHA256.sysupgrade.ibx
//! REPO/targets/SHA256.BOARD/VERSION/sysupgrade.ibx   the same, for tough
//! ```
//!
//! The metadata is written with `ibex_tuf::repo` rather than the `tough`
//! crate's editor: tough's editor needs an async runtime and aws-lc-rs,
//! far more than writing four small signed JSON files takes; tough's
//! client reads what this writes (see the interop test in `tuf/tests`).
//!
//! Keys: one ed25519 key per role in the keys directory, made on first
//! use. The default directory, `target/tuf-keys`, is for development
//! only: a fleet's root key belongs offline, and its files say so.

use crate::build::write_atomic;
use crate::Error;
use ibex_image::sysimage;
use ibex_tuf::metadata::{Envelope, Root};
use ibex_tuf::repo::{self, Key, RoleSpec};
use ibex_tuf::{hex, Client, Role, State};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The roles, in the order their keys are made.
const ROLES: [Role; 4] = [Role::Root, Role::Targets, Role::Snapshot, Role::Timestamp];

/// What `ibex release` is asked to do.
#[derive(Debug, Clone)]
pub struct ReleaseOptions {
    /// The repository directory (created on first use).
    pub repo: PathBuf,
    /// Where the role keys are (made on first use).
    pub keys: PathBuf,
    /// Days until targets, snapshot and timestamp expire; zero or less
    /// writes metadata that has already expired (for tests).
    pub expires_days: i64,
    /// Days until a new root expires.
    pub root_expires_days: i64,
    /// The time to count from, in Unix seconds.
    pub now: i64,
}

/// What a release published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Released {
    /// The target's name (`BOARD/VERSION/sysupgrade.ibx`), if an image was
    /// added.
    pub target: Option<String>,
    /// Whether this run created the repository.
    pub created: bool,
    /// The versions now published.
    pub state: State,
}

/// The target name under which a system image is published.
pub fn target_name(board: &str, version: &str) -> String {
    format!("{board}/{version}/sysupgrade.ibx")
}

/// The current time in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Adds `image` (a signed system image, if any) to the repository and
/// re-signs targets, snapshot and timestamp with new versions and expiry;
/// creates the repository and keys first if needed.
pub fn release(opts: &ReleaseOptions, image: Option<&[u8]>) -> Result<Released, Error> {
    let keys = load_or_make_keys(&opts.keys)?;
    fs::create_dir_all(&opts.repo).map_err(Error::io(&opts.repo))?;
    let root_path = opts.repo.join("root.json");
    let created = !root_path.exists();
    if created {
        let refs: [[&Key; 1]; 4] = ROLES.map(|role| [&keys[index(role)]]);
        let specs: Vec<RoleSpec> = ROLES
            .iter()
            .zip(&refs)
            .map(|(&role, k)| RoleSpec {
                role,
                keys: k,
                threshold: 1,
            })
            .collect();
        let signed = repo::root(1, opts.now + opts.root_expires_days * 86_400, true, &specs);
        let bytes = sign(&signed, &keys[index(Role::Root)])?;
        write_atomic(&opts.repo.join("1.root.json"), &bytes)?;
        write_atomic(&root_path, &bytes)?;
    }
    let root_bytes = fs::read(&root_path).map_err(Error::io(&root_path))?;
    let root = parse_root(&root_bytes)?;
    for role in ROLES {
        let ids = root.role_keys(role).map_err(tuf_error)?;
        if !ids.keys.contains_key(&keys[index(role)].id()) {
            return Err(Error::Invalid(format!(
                "{}: the {role} key there is not one of the repository's {role} keys",
                opts.keys.display()
            )));
        }
    }

    // What is published now, verified as a device would, except for expiry:
    // re-signing is how expired metadata is renewed.
    let (mut targets, state) = if opts.repo.join("timestamp.json").exists() {
        let v = Client::new(
            |name: &str, limit: u64| read_limited(&opts.repo, name, limit),
            0,
        )
        .update(&root_bytes, State::default())
        .map_err(|e| Error::Invalid(format!("{}: {e}", opts.repo.display())))?;
        let targets: BTreeMap<String, Value> = v
            .targets
            .iter()
            .map(|(k, t)| (k.clone(), serde_json::to_value(t).unwrap_or(Value::Null)))
            .collect();
        (targets, v.state)
    } else {
        (BTreeMap::new(), State::default())
    };

    let mut added = None;
    if let Some(image) = image {
        let header = sysimage::parse_header(image)
            .map_err(|e| Error::Invalid(format!("not a system image: {e}")))?;
        let name = target_name(&header.board, &header.version);
        let entry = repo::target(
            image,
            json!({
                "board": header.board,
                "version": header.version,
                "build_id": hex::encode(&header.build_id),
            }),
        );
        if let Some(old) = targets.get(&name) {
            if old.get("hashes") != entry.get("hashes") {
                return Err(Error::Invalid(format!(
                    "{name} is already published with other contents: devices compare \
                     versions, so give this build a new --release"
                )));
            }
        }
        let sha = hex::encode(&Sha256::digest(image));
        let dir = opts
            .repo
            .join("targets")
            .join(&header.board)
            .join(&header.version);
        fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
        let file = dir.join(format!("{sha}.sysupgrade.ibx"));
        write_atomic(&file, image)?;
        // Also where tough's client looks (`SHA256.NAME`, the whole name
        // prefixed), so tough-based tools can mirror the repository; a
        // hard link costs no space.
        let tough_dir = opts
            .repo
            .join("targets")
            .join(format!("{sha}.{}", header.board))
            .join(&header.version);
        fs::create_dir_all(&tough_dir).map_err(Error::io(&tough_dir))?;
        let tough_file = tough_dir.join("sysupgrade.ibx");
        if !tough_file.exists() && fs::hard_link(&file, &tough_file).is_err() {
            write_atomic(&tough_file, image)?;
        }
        targets.insert(name.clone(), entry);
        added = Some(name);
    }

    let expires = opts.now + opts.expires_days * 86_400;
    let next = State {
        targets: state.targets + 1,
        snapshot: state.snapshot + 1,
        timestamp: state.timestamp + 1,
    };
    let t = sign(
        &repo::targets(next.targets, expires, &targets),
        &keys[index(Role::Targets)],
    )?;
    write_atomic(
        &opts.repo.join(format!("{}.targets.json", next.targets)),
        &t,
    )?;
    let s = sign(
        &repo::snapshot(next.snapshot, expires, &t, next.targets),
        &keys[index(Role::Snapshot)],
    )?;
    write_atomic(
        &opts.repo.join(format!("{}.snapshot.json", next.snapshot)),
        &s,
    )?;
    let ts = sign(
        &repo::timestamp(next.timestamp, expires, &s, next.snapshot),
        &keys[index(Role::Timestamp)],
    )?;
    write_atomic(&opts.repo.join("timestamp.json"), &ts)?;
    Ok(Released {
        target: added,
        created,
        state: next,
    })
}

fn index(role: Role) -> usize {
    match role {
        Role::Root => 0,
        Role::Targets => 1,
        Role::Snapshot => 2,
        Role::Timestamp => 3,
    }
}

fn sign(signed: &Value, key: &Key) -> Result<Vec<u8>, Error> {
    repo::sign(signed, &[key])
        .map_err(|_| Error::Invalid("metadata with a float cannot be signed".into()))
}

fn tuf_error(e: ibex_tuf::Error) -> Error {
    Error::Invalid(e.to_string())
}

fn parse_root(bytes: &[u8]) -> Result<Root, Error> {
    let env = Envelope::parse(Role::Root, bytes).map_err(tuf_error)?;
    let root: Root = env.decode(Role::Root).map_err(tuf_error)?;
    env.verify(Role::Root, &root.role_keys(Role::Root).map_err(tuf_error)?)
        .map_err(tuf_error)?;
    Ok(root)
}

/// A repository file, refused past `limit` bytes, for the verifying read.
fn read_limited(repo: &Path, name: &str, limit: u64) -> Result<Vec<u8>, String> {
    if name.split('/').any(|part| part == ".." || part.is_empty()) {
        return Err(format!("{name}: not a repository path"));
    }
    let f = fs::File::open(repo.join(name)).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    f.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

const KEY_HEADER: &str = "# ibex TUF key";

/// The four role keys from `dir` (`ROLE.key`), made first if none exist.
pub fn load_or_make_keys(dir: &Path) -> Result<[Key; 4], Error> {
    let path = |role: Role| dir.join(format!("{}.key", role.name()));
    if !path(Role::Root).exists() {
        make_dir_private(dir)?;
        for role in ROLES {
            let mut seed = [0u8; 32];
            let urandom = Path::new("/dev/urandom");
            fs::File::open(urandom)
                .and_then(|mut f| f.read_exact(&mut seed))
                .map_err(Error::io(urandom))?;
            let text = format!(
                "{KEY_HEADER} for the {role} role, made by `ibex release`.\n\
                 # A DEVELOPMENT key unless you moved it somewhere safe: whoever has\n\
                 # it can sign releases for every device that trusts this repository.\n{}\n",
                hex::encode(&seed)
            );
            write_private(&path(role), text.as_bytes())?;
        }
    }
    let load = |role: Role| -> Result<Key, Error> {
        let p = path(role);
        let text = fs::read_to_string(&p).map_err(Error::io(&p))?;
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| hex::decode::<32>(l.trim()))
            .map(Key::from_seed)
            .ok_or_else(|| Error::Invalid(format!("{}: no key in it", p.display())))
    };
    Ok([
        load(Role::Root)?,
        load(Role::Targets)?,
        load(Role::Snapshot)?,
        load(Role::Timestamp)?,
    ])
}

fn make_dir_private(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(Error::io(dir))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(Error::io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(board: &str, version: &str) -> Vec<u8> {
        let key = ibex_package::SigningKey::from_seed([7; 32]);
        sysimage::seal(
            board,
            version,
            sysimage::PayloadKind::EfiSlot,
            version.as_bytes(),
            &key,
        )
        .unwrap()
    }

    fn scratch() -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "ibex-release-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn releases_verify_as_a_device_would() {
        let dir = scratch();
        let opts = ReleaseOptions {
            repo: dir.join("repo"),
            keys: dir.join("keys"),
            expires_days: 7,
            root_expires_days: 365,
            now: 1_900_000_000,
        };
        let one = image("qemu-x86_64", "1.0");
        let r = release(&opts, Some(&one)).unwrap();
        assert!(r.created);
        assert_eq!(r.target.as_deref(), Some("qemu-x86_64/1.0/sysupgrade.ibx"));
        let two = image("qemu-x86_64", "1.1");
        let r = release(&opts, Some(&two)).unwrap();
        assert!(!r.created);
        assert_eq!(
            r.state,
            State {
                timestamp: 2,
                snapshot: 2,
                targets: 2
            }
        );
        // The same image again is fine; other bytes under its name are not.
        release(&opts, Some(&two)).unwrap();
        let mut other = image("qemu-x86_64", "1.1");
        other.push(0);
        assert!(release(&opts, Some(&other)).is_err());

        let root = fs::read(opts.repo.join("root.json")).unwrap();
        assert_eq!(root, fs::read(opts.repo.join("1.root.json")).unwrap());
        let v = Client::new(
            |name: &str, limit: u64| read_limited(&opts.repo, name, limit),
            opts.now + 3600,
        )
        .update(&root, State::default())
        .unwrap();
        let name = "qemu-x86_64/1.0/sysupgrade.ibx";
        let info = v.target(name).unwrap();
        assert_eq!(info.custom_str("version"), Some("1.0"));
        assert_eq!(info.custom_str("board"), Some("qemu-x86_64"));
        let path = v.target_path(name).unwrap();
        v.verify_target(name, &fs::read(opts.repo.join(path)).unwrap())
            .unwrap();
        // And where tough's client would look.
        for path in v.target_paths(name).unwrap() {
            v.verify_target(name, &fs::read(opts.repo.join(path)).unwrap())
                .unwrap();
        }
        assert_eq!(v.targets.len(), 2);

        // A week later everything but the root has expired; a release with
        // no image renews it.
        let later = opts.now + 8 * 86_400;
        let e = Client::new(
            |name: &str, limit: u64| read_limited(&opts.repo, name, limit),
            later,
        )
        .update(&root, v.state)
        .unwrap_err();
        assert_eq!(
            e,
            ibex_tuf::Error::Expired {
                role: Role::Timestamp
            }
        );
        release(
            &ReleaseOptions {
                now: later,
                ..opts.clone()
            },
            None,
        )
        .unwrap();
        Client::new(
            |name: &str, limit: u64| read_limited(&opts.repo, name, limit),
            later,
        )
        .update(&root, v.state)
        .unwrap();

        // Keys that are not the repository's are refused.
        let wrong = ReleaseOptions {
            keys: dir.join("other-keys"),
            ..opts.clone()
        };
        assert!(release(&wrong, None).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
