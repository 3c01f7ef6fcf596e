//! `~/.ssh/known_hosts`: the keys of hosts met before, in OpenSSH's format
//! (`host key` or `[host]:port key`, hashed entries read too), so the same
//! file serves `ibox ssh` and OpenSSH's. russh reads and appends it.

use super::SshError;
use russh::keys::PublicKey;
use std::path::Path;

/// What the file says about a host's key.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The key recorded for the host is this one.
    Known,
    /// No key of this type is recorded for the host.
    Unknown,
    /// A different key of this type is recorded, at this line.
    Changed(usize),
}

/// Looks `key` up for `host`:`port` in the file at `path` (a missing file
/// knows nobody).
pub fn check(path: &Path, host: &str, port: u16, key: &PublicKey) -> Result<Verdict, SshError> {
    if !path.exists() {
        return Ok(Verdict::Unknown);
    }
    match russh::keys::check_known_hosts_path(host, port, key, path) {
        Ok(true) => Ok(Verdict::Known),
        Ok(false) => Ok(Verdict::Unknown),
        Err(russh::keys::Error::KeyChanged { line }) => Ok(Verdict::Changed(line)),
        Err(e) => Err(SshError::Protocol(format!("{}: {e}", path.display()))),
    }
}

/// Records `key` for `host`:`port` at the end of the file. The first
/// entry of a new file is written here: russh would start it with a blank
/// line.
pub fn learn(path: &Path, host: &str, port: u16, key: &PublicKey) -> Result<(), SshError> {
    if std::fs::metadata(path).map_or(true, |m| m.len() == 0) {
        let who = if port == 22 {
            host.to_string()
        } else {
            format!("[{host}]:{port}")
        };
        let line = key
            .to_openssh()
            .map_err(|e| SshError::Protocol(format!("host key: {e}")))?;
        if let Some(dir) = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty() && !d.exists())
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| SshError::Io(dir.display().to_string(), e))?;
        }
        return std::fs::write(path, format!("{who} {line}\n"))
            .map_err(|e| SshError::Io(path.display().to_string(), e));
    }
    russh::keys::known_hosts::learn_known_hosts_path(host, port, key, path)
        .map_err(|e| SshError::Protocol(format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_then_knows_and_spots_a_change() {
        let dir = std::env::temp_dir().join(format!("ibox-kh-{}", std::process::id()));
        let path = dir.join("known_hosts");
        let a = crate::ssh::keys::generate_ed25519("").unwrap();
        let b = crate::ssh::keys::generate_ed25519("").unwrap();
        assert_eq!(
            check(&path, "h", 2222, a.public_key()).unwrap(),
            Verdict::Unknown
        );
        learn(&path, "h", 2222, a.public_key()).unwrap();
        assert_eq!(
            check(&path, "h", 2222, a.public_key()).unwrap(),
            Verdict::Known
        );
        assert!(matches!(
            check(&path, "h", 2222, b.public_key()).unwrap(),
            Verdict::Changed(_)
        ));
        assert_eq!(
            check(&path, "other", 22, b.public_key()).unwrap(),
            Verdict::Unknown
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
