//! Writing a repository's metadata (host side: `ibex release`, and the
//! tests). The device only needs [`crate::Client`]; with LTO none of this
//! reaches its binary.
//!
//! Keys are ed25519, one file per role; files are written as pretty JSON,
//! signed over the canonical form of `signed`.

use crate::error::Role;
use crate::{cjson, hex, time};
use ed25519_compact::{KeyPair, Seed};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The TUF specification version written into every file.
pub const SPEC_VERSION: &str = "1.0.0";

/// A role's signing key.
#[derive(Clone)]
pub struct Key {
    pair: KeyPair,
}

impl Key {
    /// The key made from 32 secret random bytes.
    pub fn from_seed(seed: [u8; 32]) -> Key {
        Key {
            pair: KeyPair::from_seed(Seed::new(seed)),
        }
    }

    /// The 32 secret bytes the key was made from.
    pub fn seed(&self) -> [u8; 32] {
        *self.pair.sk.seed()
    }

    /// The public key as the root lists it.
    pub fn public_json(&self) -> Value {
        json!({
            "keytype": "ed25519",
            "scheme": "ed25519",
            "keyval": { "public": hex::encode(&self.pair.pk[..]) },
        })
    }

    /// The key id: SHA-256 of the canonical form of [`Key::public_json`],
    /// as the reference implementations compute it.
    pub fn id(&self) -> String {
        // A key object has no floats and is shallow: always canonical.
        let bytes = cjson::to_vec(&self.public_json()).unwrap_or_default();
        hex::encode(&Sha256::digest(bytes))
    }
}

/// Signs `signed` with each key and returns the whole metadata file.
/// Fails only if `signed` holds a float (which has no canonical form).
pub fn sign(signed: &Value, keys: &[&Key]) -> Result<Vec<u8>, cjson::NotCanonical> {
    let message = cjson::to_vec(signed)?;
    let signatures: Vec<Value> = keys
        .iter()
        .map(|k| {
            json!({
                "keyid": k.id(),
                "sig": hex::encode(&k.pair.sk.sign(&message, None)[..]),
            })
        })
        .collect();
    let mut out = serde_json::to_vec_pretty(&json!({
        "signed": signed,
        "signatures": signatures,
    }))
    .map_err(|_| cjson::NotCanonical)?;
    out.push(b'\n');
    Ok(out)
}

/// The keys and threshold of one role in a root.
pub struct RoleSpec<'a> {
    /// The role.
    pub role: Role,
    /// Its keys.
    pub keys: &'a [&'a Key],
    /// Signatures needed.
    pub threshold: u32,
}

/// A root's signed part.
pub fn root(version: u64, expires: i64, consistent_snapshot: bool, roles: &[RoleSpec]) -> Value {
    let mut keys = Map::new();
    let mut role_map = Map::new();
    for spec in roles {
        for k in spec.keys {
            keys.insert(k.id(), k.public_json());
        }
        role_map.insert(
            spec.role.name().to_string(),
            json!({
                "keyids": spec.keys.iter().map(|k| k.id()).collect::<Vec<_>>(),
                "threshold": spec.threshold,
            }),
        );
    }
    json!({
        "_type": "root",
        "spec_version": SPEC_VERSION,
        "consistent_snapshot": consistent_snapshot,
        "version": version,
        "expires": time::format(expires),
        "keys": keys,
        "roles": role_map,
    })
}

/// A `meta` entry for a metadata file: version, length and SHA-256.
pub fn meta_file(version: u64, bytes: &[u8]) -> Value {
    json!({
        "version": version,
        "length": bytes.len(),
        "hashes": { "sha256": hex::encode(&Sha256::digest(bytes)) },
    })
}

/// A timestamp's signed part, naming `snapshot.json` (its bytes and version).
pub fn timestamp(version: u64, expires: i64, snapshot: &[u8], snapshot_version: u64) -> Value {
    json!({
        "_type": "timestamp",
        "spec_version": SPEC_VERSION,
        "version": version,
        "expires": time::format(expires),
        "meta": { "snapshot.json": meta_file(snapshot_version, snapshot) },
    })
}

/// A snapshot's signed part, naming `targets.json` (its bytes and version).
pub fn snapshot(version: u64, expires: i64, targets: &[u8], targets_version: u64) -> Value {
    json!({
        "_type": "snapshot",
        "spec_version": SPEC_VERSION,
        "version": version,
        "expires": time::format(expires),
        "meta": { "targets.json": meta_file(targets_version, targets) },
    })
}

/// A target entry for `bytes`, with `custom` metadata.
pub fn target(bytes: &[u8], custom: Value) -> Value {
    json!({
        "length": bytes.len(),
        "hashes": { "sha256": hex::encode(&Sha256::digest(bytes)) },
        "custom": custom,
    })
}

/// A targets role's signed part.
pub fn targets(version: u64, expires: i64, targets: &BTreeMap<String, Value>) -> Value {
    json!({
        "_type": "targets",
        "spec_version": SPEC_VERSION,
        "version": version,
        "expires": time::format(expires),
        "targets": targets,
    })
}
