//! What the SSH applets share (`sshd`, `ssh`, `ssh-keygen`): key files,
//! the authorized_keys check, known hosts, the error type they report, and
//! the small tokio runtime the protocol runs on.
//!
//! The protocol itself is russh's (ring backend); this module only holds the
//! file formats and policies around it, so each applet stays about its
//! command line and its side of the conversation.

pub mod authorized;
pub mod keys;
#[cfg(any(feature = "ssh", feature = "sshd"))]
pub mod known_hosts;

use std::fmt;

/// Why an SSH applet failed; each applet prints it after its name.
#[derive(Debug)]
pub enum SshError {
    /// A file could not be read or written.
    Io(String, std::io::Error),
    /// A key file did not hold a key this build can use.
    BadKey(String, String),
    /// A key type other than ed25519 was asked for.
    UnsupportedType(String),
    /// The key file is protected by a passphrase (not supported).
    Encrypted(String),
    /// The protocol failed (connection, key exchange, channel).
    Protocol(String),
    /// The server refused every way of logging in.
    AuthFailed(String),
    /// The server's key is not the one recorded for it.
    HostKeyChanged(String),
    /// The server's key is unknown and `-y` was not given.
    HostKeyUnknown(String),
}

impl fmt::Display for SshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SshError::Io(what, e) => write!(f, "{what}: {}", crate::common::strerror(e)),
            SshError::BadKey(what, why) => write!(f, "{what}: not a usable key: {why}"),
            SshError::UnsupportedType(t) => {
                write!(f, "unsupported key type '{t}' (only ed25519)")
            }
            SshError::Encrypted(what) => {
                write!(f, "{what}: key has a passphrase (not supported)")
            }
            SshError::Protocol(why) => write!(f, "{why}"),
            SshError::AuthFailed(who) => write!(f, "{who}: permission denied (publickey)"),
            SshError::HostKeyChanged(text) | SshError::HostKeyUnknown(text) => {
                write!(f, "{text}")
            }
        }
    }
}

/// A current-thread tokio runtime: one thread is plenty for a device's
/// handful of sessions and keeps the binary and its memory small.
#[cfg(any(feature = "ssh", feature = "sshd"))]
pub fn runtime() -> Result<tokio::runtime::Runtime, SshError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| SshError::Io("runtime".into(), e))
}

/// The home directory of the user this process runs as: `$HOME` when set
/// (so tests and non-root daemons use the home they were given), else the
/// passwd entry's, else `/`.
pub fn own_home() -> std::path::PathBuf {
    use std::os::unix::ffi::OsStrExt;
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return h.into();
    }
    let uid = nix::unistd::getuid().as_raw();
    crate::accounts::Database::load("/etc/passwd")
        .ok()
        .and_then(|db| crate::accounts::passwd::by_uid(&db, uid))
        .map(|u| std::ffi::OsStr::from_bytes(&u.home).into())
        .unwrap_or_else(|| "/".into())
}
