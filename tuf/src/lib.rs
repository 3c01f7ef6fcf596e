//! A client for The Update Framework (TUF, specification 1.0), small
//! enough for the device: `ibox sysupgrade --check/--from-repo` verifies
//! a fleet's release repository with it, and `ibex release` writes one
//! with [`repo`].
//!
//! What it checks is the specification's client workflow (section 5):
//! the root chain (`N.root.json`, each signed by a threshold of the old
//! and of the new root keys), then timestamp, snapshot and targets, each
//! signed by a threshold of its role's keys, none expired, none older than
//! what this device trusted before ([`State`]), each matching the version
//! (and, where given, length and SHA-256) its parent role names; then a
//! target's length and SHA-256.
//!
//! Only ed25519 keys, SHA-256 hashes and the top-level targets role are
//! supported: that is what `ibex release` writes. A repository with
//! delegations still verifies, but targets are looked up in the top-level
//! role only.

pub mod cjson;
pub mod client;
pub mod error;
pub mod hex;
pub mod metadata;
pub mod repo;
pub mod time;

/// Where a device keeps its trusted root (`root.json`, carried by its
/// image and replaced when the repository rotates root keys) and the
/// versions it trusted last (`state.json`), relative to `/`: under /etc
/// so that `lbu commit` saves them with the configuration.
pub const DEVICE_DIR: &str = "etc/ibex/tuf";

pub use client::{Client, Limits, State, Verified};
pub use error::{Error, Role};
pub use metadata::TargetInfo;
