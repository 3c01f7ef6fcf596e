//! The four roles' metadata files, parsed from untrusted bytes, and the
//! threshold-signature check over their canonical `signed` part.

use crate::error::{Error, Role};
use crate::{cjson, hex, time};
use ed25519_compact::{PublicKey, Signature};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A metadata file before its signatures are checked: the `signed` value
/// and its signatures.
#[derive(Debug)]
pub struct Envelope {
    /// The `signed` object, kept as a value so its canonical form can be
    /// rebuilt for the signature check.
    pub signed: Value,
    /// Its signatures.
    pub signatures: Vec<SignatureEntry>,
}

/// One entry of `signatures`.
#[derive(Debug, Clone, Deserialize)]
pub struct SignatureEntry {
    /// The key's id in the root's `keys`.
    pub keyid: String,
    /// The signature, hex.
    pub sig: String,
}

#[derive(Deserialize)]
struct RawEnvelope {
    signed: Value,
    signatures: Vec<SignatureEntry>,
}

impl Envelope {
    /// Parses a metadata file of `role`.
    pub fn parse(role: Role, bytes: &[u8]) -> Result<Envelope, Error> {
        let raw: RawEnvelope = serde_json::from_slice(bytes).map_err(|e| bad(role, e))?;
        Ok(Envelope {
            signed: raw.signed,
            signatures: raw.signatures,
        })
    }

    /// Checks that at least `keys.threshold` distinct keys of `keys`
    /// signed the canonical form of the signed part.
    pub fn verify(&self, role: Role, keys: &RoleKeys) -> Result<(), Error> {
        let message = cjson::to_vec(&self.signed).map_err(|_| Error::BadJson {
            role,
            what: "the signed part has no canonical form (a float, or nested too deep)".into(),
        })?;
        // Count keys, not signatures: the same key listed twice, or two key
        // ids for one key, must not reach a threshold alone.
        let mut signed_by: Vec<[u8; 32]> = Vec::new();
        for entry in &self.signatures {
            let Some(key) = keys.keys.get(&entry.keyid) else {
                continue;
            };
            let Some(sig) = hex::decode::<64>(&entry.sig) else {
                continue;
            };
            if key.verify(&message, &Signature::new(sig)).is_ok() && !signed_by.contains(&**key) {
                signed_by.push(**key);
            }
        }
        let valid = u32::try_from(signed_by.len()).unwrap_or(u32::MAX);
        if valid < keys.threshold {
            return Err(Error::Signature {
                role,
                valid,
                threshold: keys.threshold,
            });
        }
        Ok(())
    }

    /// Decodes the signed part as the role's metadata.
    pub fn decode<T: for<'de> Deserialize<'de> + Common>(&self, role: Role) -> Result<T, Error> {
        let t: T = T::deserialize(&self.signed).map_err(|e| bad(role, e))?;
        if t.type_name() != role.name() {
            return Err(Error::BadJson {
                role,
                what: format!("_type is '{}', not '{}'", t.type_name(), role.name()),
            });
        }
        if time::parse(t.expires()).is_none() {
            return Err(Error::BadJson {
                role,
                what: format!("expires '{}' is not a UTC time", t.expires()),
            });
        }
        Ok(t)
    }
}

fn bad(role: Role, e: serde_json::Error) -> Error {
    Error::BadJson {
        role,
        what: e.to_string(),
    }
}

/// What every role's signed part has.
pub trait Common {
    /// `_type`.
    fn type_name(&self) -> &str;
    /// `version`.
    fn version(&self) -> u64;
    /// `expires`, as written.
    fn expires(&self) -> &str;
    /// Whether `expires` is at or before `now` (Unix seconds).
    fn expired(&self, now: i64) -> bool {
        // `decode` refused unparsable times; treat one as expired anyway.
        match time::parse(self.expires()) {
            Some(t) => t <= now,
            None => true,
        }
    }
}

macro_rules! common {
    ($t:ty) => {
        impl Common for $t {
            fn type_name(&self) -> &str {
                &self.type_
            }
            fn version(&self) -> u64 {
                self.version
            }
            fn expires(&self) -> &str {
                &self.expires
            }
        }
    };
}

/// A key as the root lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyDef {
    /// `ed25519` is the one this client can use.
    pub keytype: String,
    /// `ed25519` as well.
    pub scheme: String,
    /// The public key.
    pub keyval: KeyVal,
}

/// `keyval` of a key.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyVal {
    /// The public key, hex.
    pub public: String,
}

/// A role's entry in the root's `roles`.
#[derive(Debug, Clone, Deserialize)]
pub struct RoleDef {
    /// Ids of the keys that may sign for the role.
    pub keyids: Vec<String>,
    /// How many of them must.
    pub threshold: u32,
}

/// The root role's signed part.
#[derive(Debug, Clone, Deserialize)]
pub struct Root {
    #[serde(rename = "_type")]
    type_: String,
    /// Version, one more for every new root.
    pub version: u64,
    /// Expiry, `YYYY-MM-DDTHH:MM:SSZ`.
    pub expires: String,
    /// Whether metadata and targets are also served under
    /// `VERSION.ROLE.json` and `HASH.NAME`.
    #[serde(default)]
    pub consistent_snapshot: bool,
    /// The keys, by id.
    pub keys: BTreeMap<String, KeyDef>,
    /// The roles' keys and thresholds.
    pub roles: BTreeMap<String, RoleDef>,
}
common!(Root);

/// The keys that may sign for a role, usable for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleKeys {
    /// Key id to key, for the ed25519 keys among the role's.
    pub keys: BTreeMap<String, PublicKey>,
    /// Valid signatures needed.
    pub threshold: u32,
}

impl Root {
    /// The keys and threshold of `role`; keys of types this client cannot
    /// use are left out (they then cannot count towards the threshold).
    pub fn role_keys(&self, role: Role) -> Result<RoleKeys, Error> {
        let def = self
            .roles
            .get(role.name())
            .ok_or(Error::Threshold { role })?;
        if def.threshold == 0 {
            return Err(Error::Threshold { role });
        }
        let mut keys = BTreeMap::new();
        for id in &def.keyids {
            let Some(k) = self.keys.get(id) else {
                return Err(Error::Threshold { role });
            };
            if k.keytype != "ed25519" || k.scheme != "ed25519" {
                continue;
            }
            if let Some(pk) = hex::decode::<32>(&k.keyval.public) {
                keys.insert(id.clone(), PublicKey::new(pk));
            }
        }
        Ok(RoleKeys {
            keys,
            threshold: def.threshold,
        })
    }
}

/// A file another role describes: `meta` entries of timestamp and
/// snapshot.
#[derive(Debug, Clone, Deserialize)]
pub struct MetaFile {
    /// Its version.
    pub version: u64,
    /// Its length in bytes, if given.
    #[serde(default)]
    pub length: Option<u64>,
    /// Its hashes by algorithm, hex, if given.
    #[serde(default)]
    pub hashes: Option<BTreeMap<String, String>>,
}

/// The timestamp role's signed part.
#[derive(Debug, Clone, Deserialize)]
pub struct Timestamp {
    #[serde(rename = "_type")]
    type_: String,
    /// Version.
    pub version: u64,
    /// Expiry.
    pub expires: String,
    /// `snapshot.json`'s version and, usually, length and hashes.
    pub meta: BTreeMap<String, MetaFile>,
}
common!(Timestamp);

/// The snapshot role's signed part.
#[derive(Debug, Clone, Deserialize)]
pub struct Snapshot {
    #[serde(rename = "_type")]
    type_: String,
    /// Version.
    pub version: u64,
    /// Expiry.
    pub expires: String,
    /// Every targets metadata file's version.
    pub meta: BTreeMap<String, MetaFile>,
}
common!(Snapshot);

/// A target as the targets role describes it.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TargetInfo {
    /// Length in bytes.
    pub length: u64,
    /// Hashes by algorithm, hex; `sha256` is the one checked.
    pub hashes: BTreeMap<String, String>,
    /// What the repository says about it (`ibex release`: board, version,
    /// build_id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<Value>,
}

impl TargetInfo {
    /// The SHA-256, if the metadata gives a well-formed one.
    pub fn sha256(&self) -> Option<[u8; 32]> {
        hex::decode::<32>(self.hashes.get("sha256")?)
    }

    /// A string field of `custom`, if there.
    pub fn custom_str(&self, key: &str) -> Option<&str> {
        self.custom.as_ref()?.get(key)?.as_str()
    }
}

/// The targets role's signed part.
#[derive(Debug, Clone, Deserialize)]
pub struct Targets {
    #[serde(rename = "_type")]
    type_: String,
    /// Version.
    pub version: u64,
    /// Expiry.
    pub expires: String,
    /// The targets, by name (a path relative to the repository's
    /// `targets/`).
    pub targets: BTreeMap<String, TargetInfo>,
}
common!(Targets);
