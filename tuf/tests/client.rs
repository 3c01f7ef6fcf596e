//! The client workflow against repositories made here with `repo`,
//! including the attacks the specification guards against.

use ibex_tuf::repo::{self, Key, RoleSpec};
use ibex_tuf::{Client, Error, Role, State};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

const NOW: i64 = 1_900_000_000;
const LATER: i64 = NOW + 86_400;

fn key(n: u8) -> Key {
    Key::from_seed([n; 32])
}

/// An in-memory repository: file name to bytes.
struct Repo {
    files: HashMap<String, Vec<u8>>,
    root_key: Key,
    targets_key: Key,
    snapshot_key: Key,
    timestamp_key: Key,
}

impl Repo {
    fn new() -> Repo {
        let mut r = Repo {
            files: HashMap::new(),
            root_key: key(1),
            targets_key: key(2),
            snapshot_key: key(3),
            timestamp_key: key(4),
        };
        let root = r.root_signed(1, LATER);
        let bytes = repo::sign(&root, &[&r.root_key]).unwrap();
        r.files.insert("1.root.json".into(), bytes.clone());
        r.files.insert("root.json".into(), bytes);
        r.publish(
            1,
            1,
            1,
            &[("qemu-x86_64/1.0/sysupgrade.ibx", b"image one")],
            LATER,
        );
        r
    }

    fn root_signed(&self, version: u64, expires: i64) -> Value {
        repo::root(
            version,
            expires,
            false,
            &[
                RoleSpec {
                    role: Role::Root,
                    keys: &[&self.root_key],
                    threshold: 1,
                },
                RoleSpec {
                    role: Role::Targets,
                    keys: &[&self.targets_key],
                    threshold: 1,
                },
                RoleSpec {
                    role: Role::Snapshot,
                    keys: &[&self.snapshot_key],
                    threshold: 1,
                },
                RoleSpec {
                    role: Role::Timestamp,
                    keys: &[&self.timestamp_key],
                    threshold: 1,
                },
            ],
        )
    }

    fn publish(&mut self, tv: u64, sv: u64, tsv: u64, targets: &[(&str, &[u8])], expires: i64) {
        let mut map = BTreeMap::new();
        for (name, bytes) in targets {
            map.insert(
                name.to_string(),
                repo::target(bytes, json!({ "board": "qemu-x86_64" })),
            );
            self.files.insert(format!("targets/{name}"), bytes.to_vec());
        }
        let t = repo::sign(&repo::targets(tv, expires, &map), &[&self.targets_key]).unwrap();
        let s = repo::sign(&repo::snapshot(sv, expires, &t, tv), &[&self.snapshot_key]).unwrap();
        let ts = repo::sign(
            &repo::timestamp(tsv, expires, &s, sv),
            &[&self.timestamp_key],
        )
        .unwrap();
        self.files.insert("targets.json".into(), t);
        self.files.insert("snapshot.json".into(), s);
        self.files.insert("timestamp.json".into(), ts);
    }

    fn root(&self) -> Vec<u8> {
        self.files["1.root.json"].clone()
    }

    fn client(&self) -> Client<impl FnMut(&str, u64) -> Result<Vec<u8>, String> + '_> {
        Client::new(
            |name: &str, _limit: u64| {
                self.files
                    .get(name)
                    .cloned()
                    .ok_or_else(|| "HTTP 404".to_string())
            },
            NOW,
        )
    }
}

#[test]
fn verifies_a_good_repository_and_its_target() {
    let r = Repo::new();
    let v = r.client().update(&r.root(), State::default()).unwrap();
    assert_eq!(
        v.state,
        State {
            timestamp: 1,
            snapshot: 1,
            targets: 1
        }
    );
    assert!(!v.root_changed);
    let name = "qemu-x86_64/1.0/sysupgrade.ibx";
    assert_eq!(
        v.target(name).unwrap().custom_str("board"),
        Some("qemu-x86_64")
    );
    assert_eq!(v.target_path(name).unwrap(), format!("targets/{name}"));
    v.verify_target(name, b"image one").unwrap();
    assert!(matches!(
        v.verify_target(name, b"image 1ne"),
        Err(Error::Hash { .. })
    ));
    assert!(matches!(
        v.verify_target(name, b"image"),
        Err(Error::Length { .. })
    ));
    assert!(matches!(v.target("nope"), Err(Error::NoTarget { .. })));
}

#[test]
fn tampered_metadata_is_refused() {
    let mut r = Repo::new();
    // Change a byte inside the signed part of targets.json without
    // re-signing: snapshot's hash catches it first.
    let t = r.files.get_mut("targets.json").unwrap();
    let text = String::from_utf8(t.clone())
        .unwrap()
        .replace("x86_64", "x86_65");
    *t = text.into_bytes();
    let e = r.client().update(&r.root(), State::default()).unwrap_err();
    assert_eq!(
        e,
        Error::Hash {
            name: "targets.json".into()
        }
    );

    // A timestamp whose signed part changed after signing.
    let mut r = Repo::new();
    let ts = r.files.get_mut("timestamp.json").unwrap();
    let text = String::from_utf8(ts.clone())
        .unwrap()
        .replace("\"version\": 1\n", "\"version\": 7\n");
    assert_ne!(&text.as_bytes(), ts);
    *ts = text.into_bytes();
    let e = r.client().update(&r.root(), State::default()).unwrap_err();
    assert_eq!(
        e,
        Error::Signature {
            role: Role::Timestamp,
            valid: 0,
            threshold: 1
        }
    );
}

#[test]
fn expired_timestamp_is_refused() {
    let mut r = Repo::new();
    let s = r.files["snapshot.json"].clone();
    let ts = repo::sign(&repo::timestamp(2, NOW - 1, &s, 1), &[&r.timestamp_key]).unwrap();
    r.files.insert("timestamp.json".into(), ts);
    let e = r.client().update(&r.root(), State::default()).unwrap_err();
    assert_eq!(
        e,
        Error::Expired {
            role: Role::Timestamp
        }
    );
}

#[test]
fn expired_root_is_refused() {
    let mut r = Repo::new();
    let root = repo::sign(&r.root_signed(1, NOW - 1), &[&r.root_key]).unwrap();
    r.files.insert("1.root.json".into(), root);
    let e = r.client().update(&r.root(), State::default()).unwrap_err();
    assert_eq!(e, Error::Expired { role: Role::Root });
}

#[test]
fn rolled_back_versions_are_refused() {
    let mut r = Repo::new();
    r.publish(5, 5, 5, &[("a", b"a")], LATER);
    let v = r.client().update(&r.root(), State::default()).unwrap();
    assert_eq!(
        v.state,
        State {
            timestamp: 5,
            snapshot: 5,
            targets: 5
        }
    );

    // An attacker replays an older, still valid, snapshot behind a fresh
    // timestamp (say, with a stolen timestamp key).
    r.publish(5, 4, 6, &[("a", b"a")], LATER);
    let e = r.client().update(&r.root(), v.state).unwrap_err();
    assert_eq!(
        e,
        Error::Rollback {
            role: Role::Snapshot,
            trusted: 5,
            got: 4
        }
    );

    // An older timestamp.
    r.publish(5, 5, 4, &[("a", b"a")], LATER);
    let e = r.client().update(&r.root(), v.state).unwrap_err();
    assert_eq!(
        e,
        Error::Rollback {
            role: Role::Timestamp,
            trusted: 5,
            got: 4
        }
    );

    // Older targets.
    r.publish(3, 6, 6, &[("a", b"a")], LATER);
    let e = r.client().update(&r.root(), v.state).unwrap_err();
    assert_eq!(
        e,
        Error::Rollback {
            role: Role::Targets,
            trusted: 5,
            got: 3
        }
    );

    // A snapshot whose own version is not the one the timestamp names.
    r.publish(5, 6, 6, &[("a", b"a")], LATER);
    let s = r.files["snapshot.json"].clone();
    let other = repo::sign(
        &repo::snapshot(7, LATER, &r.files["targets.json"], 5),
        &[&r.snapshot_key],
    )
    .unwrap();
    let ts = repo::sign(&repo::timestamp(7, LATER, &other, 6), &[&r.timestamp_key]).unwrap();
    r.files.insert("snapshot.json".into(), other);
    r.files.insert("timestamp.json".into(), ts);
    let e = r.client().update(&r.root(), v.state).unwrap_err();
    assert_eq!(
        e,
        Error::Rollback {
            role: Role::Snapshot,
            trusted: 6,
            got: 7
        }
    );
    drop(s);
}

#[test]
fn wrong_key_is_refused() {
    let mut r = Repo::new();
    let t = repo::sign(&repo::targets(2, LATER, &BTreeMap::new()), &[&key(99)]).unwrap();
    let s = repo::sign(&repo::snapshot(2, LATER, &t, 2), &[&r.snapshot_key]).unwrap();
    let ts = repo::sign(&repo::timestamp(2, LATER, &s, 2), &[&r.timestamp_key]).unwrap();
    r.files.insert("targets.json".into(), t);
    r.files.insert("snapshot.json".into(), s);
    r.files.insert("timestamp.json".into(), ts);
    let e = r.client().update(&r.root(), State::default()).unwrap_err();
    assert_eq!(
        e,
        Error::Signature {
            role: Role::Targets,
            valid: 0,
            threshold: 1
        }
    );
}

#[test]
fn threshold_counts_distinct_keys() {
    let mut r = Repo::new();
    let (a, b, c) = (key(10), key(11), key(12));
    let root = repo::root(
        1,
        LATER,
        false,
        &[
            RoleSpec {
                role: Role::Root,
                keys: &[&r.root_key],
                threshold: 1,
            },
            RoleSpec {
                role: Role::Targets,
                keys: &[&a, &b, &c],
                threshold: 2,
            },
            RoleSpec {
                role: Role::Snapshot,
                keys: &[&r.snapshot_key],
                threshold: 1,
            },
            RoleSpec {
                role: Role::Timestamp,
                keys: &[&r.timestamp_key],
                threshold: 1,
            },
        ],
    );
    r.files.insert(
        "1.root.json".into(),
        repo::sign(&root, &[&r.root_key]).unwrap(),
    );
    let publish = |r: &mut Repo, signers: &[&Key]| {
        let t = repo::sign(&repo::targets(2, LATER, &BTreeMap::new()), signers).unwrap();
        let s = repo::sign(&repo::snapshot(2, LATER, &t, 2), &[&r.snapshot_key]).unwrap();
        let ts = repo::sign(&repo::timestamp(2, LATER, &s, 2), &[&r.timestamp_key]).unwrap();
        r.files.insert("targets.json".into(), t);
        r.files.insert("snapshot.json".into(), s);
        r.files.insert("timestamp.json".into(), ts);
    };
    // Below the threshold.
    publish(&mut r, &[&a]);
    let e = r.client().update(&r.root(), State::default()).unwrap_err();
    assert_eq!(
        e,
        Error::Signature {
            role: Role::Targets,
            valid: 1,
            threshold: 2
        }
    );
    // One key signing twice is still one key.
    publish(&mut r, &[&a, &a]);
    let e = r.client().update(&r.root(), State::default()).unwrap_err();
    assert_eq!(
        e,
        Error::Signature {
            role: Role::Targets,
            valid: 1,
            threshold: 2
        }
    );
    // A key from outside the role does not count.
    let outsider = r.root_key.clone();
    publish(&mut r, &[&a, &outsider]);
    assert!(r.client().update(&r.root(), State::default()).is_err());
    publish(&mut r, &[&c, &a]);
    r.client().update(&r.root(), State::default()).unwrap();
}

#[test]
fn root_rotation_needs_old_and_new_keys() {
    let mut r = Repo::new();
    let old = r.root_key.clone();
    let old_ts = r.timestamp_key.clone();
    r.root_key = key(20);
    r.timestamp_key = key(21);
    let two = r.root_signed(2, LATER);

    // Signed by the new key only: not trusted.
    r.files.insert(
        "2.root.json".into(),
        repo::sign(&two, &[&r.root_key]).unwrap(),
    );
    let e = r.client().update(&r.root(), State::default()).unwrap_err();
    assert_eq!(
        e,
        Error::Signature {
            role: Role::Root,
            valid: 0,
            threshold: 1
        }
    );
    // Signed by the old key only: not trusted either.
    r.files
        .insert("2.root.json".into(), repo::sign(&two, &[&old]).unwrap());
    let e = r.client().update(&r.root(), State::default()).unwrap_err();
    assert_eq!(
        e,
        Error::Signature {
            role: Role::Root,
            valid: 0,
            threshold: 1
        }
    );
    // Both: trusted, and the new timestamp key now signs.
    let two_bytes = repo::sign(&two, &[&old, &r.root_key]).unwrap();
    r.files.insert("2.root.json".into(), two_bytes.clone());
    r.publish(2, 2, 2, &[("a", b"a")], LATER);
    let v = r
        .client()
        .update(
            &r.root(),
            State {
                timestamp: 9,
                snapshot: 9,
                targets: 1,
            },
        )
        .unwrap();
    assert!(v.root_changed);
    assert_eq!(v.root, two_bytes);
    // The timestamp key changed: the old versions were forgotten.
    assert_eq!(
        v.state,
        State {
            timestamp: 2,
            snapshot: 2,
            targets: 2
        }
    );

    // The old timestamp key no longer signs.
    let s = r.files["snapshot.json"].clone();
    let ts = repo::sign(&repo::timestamp(3, LATER, &s, 2), &[&old_ts]).unwrap();
    r.files.insert("timestamp.json".into(), ts);
    let e = r.client().update(&v.root, v.state).unwrap_err();
    assert_eq!(
        e,
        Error::Signature {
            role: Role::Timestamp,
            valid: 0,
            threshold: 1
        }
    );

    // A root file whose version is not the one its name says.
    let mut r = Repo::new();
    let old = r.root_key.clone();
    let three = r.root_signed(3, LATER);
    r.files
        .insert("2.root.json".into(), repo::sign(&three, &[&old]).unwrap());
    let e = r.client().update(&r.root(), State::default()).unwrap_err();
    assert_eq!(
        e,
        Error::Rollback {
            role: Role::Root,
            trusted: 2,
            got: 3
        }
    );
}

#[test]
fn consistent_snapshots_are_fetched_by_version_and_hash() {
    let mut r = Repo::new();
    let root = repo::root(
        1,
        LATER,
        true,
        &[
            RoleSpec {
                role: Role::Root,
                keys: &[&r.root_key],
                threshold: 1,
            },
            RoleSpec {
                role: Role::Targets,
                keys: &[&r.targets_key],
                threshold: 1,
            },
            RoleSpec {
                role: Role::Snapshot,
                keys: &[&r.snapshot_key],
                threshold: 1,
            },
            RoleSpec {
                role: Role::Timestamp,
                keys: &[&r.timestamp_key],
                threshold: 1,
            },
        ],
    );
    r.files.insert(
        "1.root.json".into(),
        repo::sign(&root, &[&r.root_key]).unwrap(),
    );
    r.publish(3, 4, 5, &[("b/c", b"c")], LATER);
    let t = r.files.remove("targets.json").unwrap();
    let s = r.files.remove("snapshot.json").unwrap();
    r.files.insert("3.targets.json".into(), t);
    r.files.insert("4.snapshot.json".into(), s);
    let v = r.client().update(&r.root(), State::default()).unwrap();
    assert_eq!(
        v.target_path("b/c").unwrap(),
        "targets/b/2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6.c"
    );
}

#[test]
fn oversized_files_are_refused() {
    let r = Repo::new();
    let mut c =
        Client::new(|_: &str, _: u64| Ok(vec![b' '; 100]), NOW).with_limits(ibex_tuf::Limits {
            timestamp: 10,
            ..Default::default()
        });
    // The trusted root is good, the chain ends, then the timestamp is too big.
    let e = c.update(&r.root(), State::default()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::BadJson {
                role: Role::Root,
                ..
            } | Error::TooLarge { .. }
        ),
        "{e:?}"
    );
}

#[test]
fn state_round_trips() {
    let s = State {
        timestamp: 3,
        snapshot: 2,
        targets: 1,
    };
    assert_eq!(State::from_json(&s.to_json()), Ok(s));
    assert_eq!(State::from_json(b"{"), Err(Error::BadState));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes in any metadata file never panic the client.
    #[test]
    fn arbitrary_metadata_never_panics(
        which in 0usize..5,
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut r = Repo::new();
        let name = ["1.root.json", "2.root.json", "timestamp.json", "snapshot.json", "targets.json"][which];
        r.files.insert(name.into(), bytes.clone());
        let _ = r.client().update(&r.root(), State::default());
        let _ = r.client().update(&bytes, State::default());
        let _ = State::from_json(&bytes);
    }

    /// Mutating one byte of a good metadata file either still verifies
    /// (whitespace outside `signed`) or is refused, never panics.
    #[test]
    fn flipped_bytes_never_panic(which in 0usize..3, at in any::<prop::sample::Index>(), bit in 0u8..8) {
        let mut r = Repo::new();
        let name = ["timestamp.json", "snapshot.json", "targets.json"][which];
        let f = r.files.get_mut(name).unwrap();
        let i = at.index(f.len());
        f[i] ^= 1 << bit;
        let _ = r.client().update(&r.root(), State::default());
    }
}
