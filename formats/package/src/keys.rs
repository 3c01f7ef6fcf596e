//! Signing keys (host) and trusted public keys (device), ed25519.
//!
//! Both are stored as one line of text so that they can be read, copied
//! and compared by people:
//!
//! ```text
//! ibex-ed25519-public <64 hex digits: the public key>
//! ibex-ed25519-secret <64 hex digits: the 32-byte seed>
//! ```
//!
//! Trusted keys live in `/etc/ibex/keys/*.pub` on the device, as apk's
//! live in `/etc/apk/keys`.

use crate::sha256;
use alloc::string::String;
use alloc::vec::Vec;

const PUBLIC_TAG: &str = "ibex-ed25519-public";
const SECRET_TAG: &str = "ibex-ed25519-secret";

/// Where the device keeps the public keys it trusts.
pub const TRUSTED_DIR: &str = "etc/ibex/keys";

/// A public key that signatures are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub [u8; 32]);

/// A key that signs packages and indexes (host only).
#[derive(Clone)]
pub struct SigningKey {
    seed: [u8; 32],
    pair: ed25519_compact::KeyPair,
}

fn parse_line(text: &str, tag: &str) -> Option<[u8; 32]> {
    let mut words = text.split_whitespace();
    if words.next()? != tag {
        return None;
    }
    let hex = words.next()?;
    if words.next().is_some() || hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

impl PublicKey {
    /// The first 8 bytes of the key's SHA-256: what a file names its signer by.
    pub fn id(&self) -> [u8; 8] {
        let mut id = [0; 8];
        id.copy_from_slice(&sha256(&self.0)[..8]);
        id
    }

    /// Whether `signature` is this key's signature of the concatenated `parts`.
    pub fn verify(&self, parts: &[&[u8]], signature: &[u8]) -> bool {
        let Ok(sig) = ed25519_compact::Signature::from_slice(signature) else {
            return false;
        };
        ed25519_compact::PublicKey::new(self.0)
            .verify(concat(parts), &sig)
            .is_ok()
    }

    /// The key as one line of text.
    pub fn to_text(&self) -> String {
        alloc::format!("{PUBLIC_TAG} {}\n", crate::to_hex(&self.0))
    }

    /// Reads a key written by [`PublicKey::to_text`].
    pub fn from_text(text: &str) -> Option<PublicKey> {
        parse_line(text, PUBLIC_TAG).map(PublicKey)
    }
}

impl SigningKey {
    /// The key made from a 32-byte seed (read from the system's random
    /// source by `ibex pkg keygen`).
    pub fn from_seed(seed: [u8; 32]) -> SigningKey {
        let pair = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(seed));
        SigningKey { seed, pair }
    }

    /// Its public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(*self.pair.pk)
    }

    /// Signs the concatenated `parts` (deterministic ed25519).
    pub fn sign(&self, parts: &[&[u8]]) -> [u8; 64] {
        *self.pair.sk.sign(concat(parts), None)
    }

    /// The secret seed as one line of text.
    pub fn to_text(&self) -> String {
        alloc::format!("{SECRET_TAG} {}\n", crate::to_hex(&self.seed))
    }

    /// Reads a key written by [`SigningKey::to_text`].
    pub fn from_text(text: &str) -> Option<SigningKey> {
        parse_line(text, SECRET_TAG).map(SigningKey::from_seed)
    }
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SigningKey({})", crate::to_hex(&self.public().id()))
    }
}
