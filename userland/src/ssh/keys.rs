//! Key files: OpenSSH's private key format (`-----BEGIN OPENSSH PRIVATE
//! KEY-----`, what `ssh-keygen` writes and reads) and its one-line public
//! keys. Only unencrypted ed25519 keys are made here; reading also takes the
//! ecdsa keys, the other type this build of russh has (RSA is left out,
//! as it would bring its own big-integer code and is not needed here).

use super::SshError;
use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};
use russh::keys::ssh_key::LineEnding;
use russh::keys::PrivateKey;
use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

/// Reads a private key file; a passphrase-protected key is refused rather
/// than asked for, since nothing here can prompt for one unattended.
pub fn load_private(path: &Path) -> Result<PrivateKey, SshError> {
    let show = path.display().to_string();
    let text = fs::read_to_string(path).map_err(|e| SshError::Io(show.clone(), e))?;
    let key = PrivateKey::from_openssh(text.trim_start())
        .map_err(|e| SshError::BadKey(show.clone(), e.to_string()))?;
    if key.is_encrypted() {
        return Err(SshError::Encrypted(show));
    }
    Ok(key)
}

/// 32 bytes from the kernel's generator: the whole secret of an ed25519
/// key, so it must come from the kernel, never from a time-seeded one.
fn seed() -> Result<[u8; 32], SshError> {
    let mut seed = [0u8; 32];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .map_err(|e| SshError::Io("/dev/urandom".into(), e))?;
    Ok(seed)
}

/// A new ed25519 key with `comment`.
pub fn generate_ed25519(comment: &str) -> Result<PrivateKey, SshError> {
    let pair = Ed25519Keypair::from_seed(&seed()?);
    PrivateKey::new(KeypairData::Ed25519(pair), comment)
        .map_err(|e| SshError::Protocol(format!("key generation: {e}")))
}

/// The one-line public key (`ssh-ed25519 AAAA... comment`).
pub fn public_line(key: &PrivateKey) -> Result<String, SshError> {
    key.public_key()
        .to_openssh()
        .map_err(|e| SshError::Protocol(format!("public key: {e}")))
}

/// Writes `data` to `path` atomically with `mode`, so a crash never
/// leaves half a key (a host key that does not parse locks everyone out).
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> Result<(), SshError> {
    crate::fsutil::write_atomic(path, data, mode)
        .map_err(|e| SshError::Io(path.display().to_string(), e))
}

/// Writes `key` to `path` (mode 0600) in OpenSSH's format.
pub fn save_private(path: &Path, key: &PrivateKey) -> Result<(), SshError> {
    let text = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| SshError::Protocol(format!("encoding key: {e}")))?;
    write_atomic(path, text.as_bytes(), 0o600)
}

/// The host key at `path`; with `create`, a new ed25519 key is made and
/// saved there when the file does not exist yet (first boot).
pub fn host_key(path: &Path, create: bool) -> Result<(PrivateKey, bool), SshError> {
    if create && !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| SshError::Io(dir.display().to_string(), e))?;
        }
        let host = nix::unistd::gethostname()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default();
        let key = generate_ed25519(&format!("root@{host}"))?;
        save_private(path, &key)?;
        return Ok((key, true));
    }
    Ok((load_private(path)?, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_round_trips_through_the_file_format() {
        let key = generate_ed25519("me@here").unwrap();
        let text = key.to_openssh(LineEnding::LF).unwrap();
        assert!(text.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
        let back = PrivateKey::from_openssh(text.as_bytes()).unwrap();
        assert_eq!(back.public_key().key_data(), key.public_key().key_data());
        assert!(public_line(&key).unwrap().starts_with("ssh-ed25519 AAAA"));
        assert!(public_line(&key).unwrap().ends_with(" me@here"));
    }
}
