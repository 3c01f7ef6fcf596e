//! Interop with `tough`, the reference Rust implementation of TUF (the
//! one Bottlerocket uses): a repository that tough's editor signs verifies
//! with ibex-tuf, and one that `ibex_tuf::repo` writes loads in tough's
//! client; tampering and expiry are refused on both sides.

use ibex_tuf::repo::{self, Key, RoleSpec};
use ibex_tuf::{Client, Error, Role, State};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use std::collections::BTreeMap;
use std::fs;
use std::num::NonZeroU64;
use std::path::{Path, PathBuf};
use tough::editor::signed::PathExists;
use tough::editor::RepositoryEditor;
use tough::key_source::{KeySource, LocalKeySource};
use tough::{RepositoryLoader, TargetName};
use url::Url;

const SEEDS: [[u8; 32]; 4] = [[31; 32], [32; 32], [33; 32], [34; 32]];
const NAME: &str = "qemu-x86_64/1.1/sysupgrade.ibx";
const IMAGE: &[u8] = b"a system image, as far as this test cares";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ibex-tuf-interop-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn now() -> i64 {
    Timestamp::now().as_second()
}

fn keys() -> Vec<Key> {
    SEEDS.iter().map(|s| Key::from_seed(*s)).collect()
}

/// Root, targets, snapshot, timestamp: one key each.
fn root_json(keys: &[Key], version: u64, consistent: bool, signers: &[&Key]) -> Vec<u8> {
    let roles = [Role::Root, Role::Targets, Role::Snapshot, Role::Timestamp];
    let refs: Vec<[&Key; 1]> = keys.iter().map(|k| [k]).collect();
    let specs: Vec<RoleSpec> = roles
        .iter()
        .zip(&refs)
        .map(|(&role, k)| RoleSpec {
            role,
            keys: k,
            threshold: 1,
        })
        .collect();
    repo::sign(
        &repo::root(version, now() + 86_400 * 30, consistent, &specs),
        signers,
    )
    .unwrap()
}

/// An ed25519 key as tough's `LocalKeySource` reads it: PKCS#8 v1 DER.
fn pkcs8(seed: &[u8; 32]) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(seed);
    der
}

fn read_fetch(dir: &Path) -> impl FnMut(&str, u64) -> Result<Vec<u8>, String> + '_ {
    move |name: &str, _limit: u64| fs::read(dir.join(name)).map_err(|e| e.to_string())
}

/// tough's editor signs targets, snapshot and timestamp under a root
/// written here; ibex-tuf verifies the result.
#[tokio::test(flavor = "current_thread")]
async fn ibex_verifies_what_tough_signs() {
    let dir = scratch("tough-writes");
    let keys = keys();
    let root = root_json(&keys, 1, true, &[&keys[0]]);
    fs::write(dir.join("root.json"), &root).unwrap();
    let mut sources: Vec<Box<dyn KeySource>> = Vec::new();
    for (i, seed) in SEEDS.iter().enumerate() {
        let path = dir.join(format!("{i}.der"));
        fs::write(&path, pkcs8(seed)).unwrap();
        sources.push(Box::new(LocalKeySource { path }));
    }
    let input = dir.join("in");
    fs::create_dir_all(input.join("qemu-x86_64/1.1")).unwrap();
    fs::write(input.join(NAME), IMAGE).unwrap();

    let expires = Timestamp::now() + SignedDuration::from_hours(24);
    let mut editor = RepositoryEditor::new(dir.join("root.json")).await.unwrap();
    let (_, target) = RepositoryEditor::build_target(input.join(NAME))
        .await
        .unwrap();
    editor
        .targets_version(NonZeroU64::new(7).unwrap())
        .unwrap()
        .targets_expires(expires)
        .unwrap()
        .snapshot_version(NonZeroU64::new(8).unwrap())
        .snapshot_expires(expires)
        .timestamp_version(NonZeroU64::new(9).unwrap())
        .timestamp_expires(expires)
        .add_target(TargetName::new(NAME).unwrap(), target)
        .unwrap();
    let signed = editor.sign(&sources).await.unwrap();
    let out = dir.join("repo");
    signed.write(&out).await.unwrap();
    // tough names the copy (`DIR/SHA256.NAME` with consistent snapshots).
    fs::create_dir_all(out.join("targets/qemu-x86_64/1.1")).unwrap();
    signed
        .copy_target(
            &input.join(NAME),
            &out.join("targets"),
            PathExists::Fail,
            Some(&TargetName::new(NAME).unwrap()),
        )
        .await
        .unwrap();

    let v = Client::new(read_fetch(&out), now())
        .update(&root, State::default())
        .unwrap();
    assert_eq!(
        v.state,
        State {
            timestamp: 9,
            snapshot: 8,
            targets: 7
        }
    );
    // tough prefixes the whole name with the hash, not the base name as
    // the specification does: the second path is tough's.
    let paths = v.target_paths(NAME).unwrap();
    let sha = "de21e1b43fdda3d089f586221a0b3549745f971ce6f5063351613c54fc385d22";
    assert_eq!(
        paths,
        [
            format!("targets/qemu-x86_64/1.1/{sha}.sysupgrade.ibx"),
            format!("targets/{sha}.{NAME}"),
        ]
    );
    assert!(!out.join(&paths[0]).exists());
    v.verify_target(NAME, &fs::read(out.join(&paths[1])).unwrap())
        .unwrap();

    // The same repository a day and more later: expired.
    let e = Client::new(read_fetch(&out), now() + 2 * 86_400)
        .update(&root, State::default())
        .unwrap_err();
    assert_eq!(
        e,
        Error::Expired {
            role: Role::Timestamp
        }
    );

    // Bytes changed in what tough signed: refused.
    let t = out.join("7.targets.json");
    let text = fs::read_to_string(&t)
        .unwrap()
        .replace("qemu-x86_64", "qemu-x86_65");
    fs::write(&t, text).unwrap();
    let e = Client::new(read_fetch(&out), now())
        .update(&root, State::default())
        .unwrap_err();
    assert!(
        matches!(e, Error::Hash { .. } | Error::Length { .. }),
        "{e:?}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

/// What `ibex_tuf::repo` writes (as `ibex release` does) loads in tough's
/// client, a root rotation signed by old and new keys included; an expired
/// timestamp is refused by both.
#[tokio::test(flavor = "current_thread")]
async fn tough_loads_what_ibex_writes() {
    let dir = scratch("ibex-writes");
    let mut keys = keys();
    let one = root_json(&keys, 1, false, &[&keys[0]]);
    fs::write(dir.join("1.root.json"), &one).unwrap();
    let old_root = keys[0].clone();
    keys[0] = Key::from_seed([40; 32]);
    let two = root_json(&keys, 2, false, &[&old_root, &keys[0]]);
    fs::write(dir.join("2.root.json"), &two).unwrap();

    let publish = |expires: i64, version: u64| {
        let mut targets = BTreeMap::new();
        targets.insert(
            NAME.to_string(),
            repo::target(IMAGE, json!({ "version": "1.1" })),
        );
        let t = repo::sign(&repo::targets(version, expires, &targets), &[&keys[1]]).unwrap();
        let s = repo::sign(&repo::snapshot(version, expires, &t, version), &[&keys[2]]).unwrap();
        let ts = repo::sign(&repo::timestamp(version, expires, &s, version), &[&keys[3]]).unwrap();
        fs::write(dir.join("targets.json"), t).unwrap();
        fs::write(dir.join("snapshot.json"), s).unwrap();
        fs::write(dir.join("timestamp.json"), ts).unwrap();
    };
    publish(now() + 86_400, 3);
    fs::create_dir_all(dir.join("targets/qemu-x86_64/1.1")).unwrap();
    fs::write(dir.join("targets").join(NAME), IMAGE).unwrap();

    let url = Url::from_directory_path(&dir).unwrap();
    let targets_url = Url::from_directory_path(dir.join("targets")).unwrap();
    let loaded = RepositoryLoader::new(&one, url.clone(), targets_url.clone())
        .load()
        .await
        .unwrap();
    assert_eq!(loaded.root().signed.version.get(), 2);
    let target = &loaded.targets().signed.targets[&TargetName::new(NAME).unwrap()];
    assert_eq!(target.length, IMAGE.len() as u64);

    // ibex-tuf agrees.
    let v = Client::new(read_fetch(&dir), now())
        .update(&one, State::default())
        .unwrap();
    assert_eq!(v.root, two);

    publish(now() - 60, 4);
    assert!(RepositoryLoader::new(&one, url, targets_url)
        .load()
        .await
        .is_err());
    let e = Client::new(read_fetch(&dir), now())
        .update(&one, State::default())
        .unwrap_err();
    assert_eq!(
        e,
        Error::Expired {
            role: Role::Timestamp
        }
    );
    fs::remove_dir_all(&dir).unwrap();
}
