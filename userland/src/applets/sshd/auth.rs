//! Who may log in, and how: the account lookup, the authorized_keys and
//! password checks, and the russh handler that asks them and hands each
//! session channel to [`super::session`].

use super::log;
use crate::accounts::{self, passwd, Database};
use crate::ssh::{authorized, SshError};
use russh::keys::{HashAlg, PublicKey};
use russh::server::{Auth, ChannelOpenHandle, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId};
use std::ffi::OsStr;
use std::net::SocketAddr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;

/// The server's rules, fixed at start.
pub struct Policy {
    /// Whether root may log in (`-w` turns it off).
    pub root_ok: bool,
    /// Whether passwords are accepted (`-B`).
    pub passwords: bool,
    /// The authorized keys file pattern (`%h` home, `%u` name).
    keys_file: String,
    /// The one account served when not running as root.
    only: Option<Login>,
}

/// An account a session runs as.
#[derive(Clone, Debug)]
pub struct Login {
    /// Login name.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Login group.
    pub gid: u32,
    /// All its groups (login group included), for setgroups.
    pub groups: Vec<u32>,
    /// Home directory (also the session's working directory).
    pub home: PathBuf,
    /// Login shell.
    pub shell: PathBuf,
    /// Its passwd entry, for the password check (absent when not root).
    entry: Option<passwd::User>,
}

impl Policy {
    /// The rules; when not root, the account served is looked up now (its
    /// name from /etc/passwd by uid, else `$USER`; its home `$HOME`).
    pub fn new(
        root_ok: bool,
        passwords: bool,
        keys_file: Option<String>,
    ) -> Result<Policy, SshError> {
        let only = if nix::unistd::geteuid().is_root() {
            None
        } else {
            Some(own_login()?)
        };
        Ok(Policy {
            root_ok,
            passwords,
            keys_file: keys_file.unwrap_or_else(|| "%h/.ssh/authorized_keys".into()),
            only,
        })
    }

    /// The account `name`, if it may log in at all.
    pub fn lookup(&self, name: &str) -> Option<Login> {
        let login = match &self.only {
            Some(l) if l.name == name => l.clone(),
            Some(_) => return None,
            None => {
                let db = Database::load("/etc/passwd").ok()?;
                let u = passwd::by_name(&db, name.as_bytes())?;
                let groups = Database::load("/etc/group")
                    .map(|g| accounts::group::group_list(&g, &u.name, u.gid))
                    .unwrap_or_else(|_| vec![u.gid]);
                Login {
                    name: name.to_string(),
                    uid: u.uid,
                    gid: u.gid,
                    groups,
                    home: accounts::under_root(&u.home),
                    shell: PathBuf::from(OsStr::from_bytes(&accounts::shell_of(&u))),
                    entry: Some(u),
                }
            }
        };
        if login.uid == 0 && !self.root_ok {
            return None;
        }
        Some(login)
    }

    /// The authorized keys file of `login`.
    fn keys_path(&self, login: &Login) -> PathBuf {
        let home = login.home.to_string_lossy();
        PathBuf::from(
            self.keys_file
                .replace("%h", &home)
                .replace("%u", &login.name),
        )
    }

    /// Whether `key` may log in as `login`. The file must belong to the
    /// user or root and be writable by nobody else (as OpenSSH's
    /// StrictModes demands): otherwise another user could add a key.
    pub fn key_allowed(&self, login: &Login, key: &PublicKey) -> bool {
        let path = self.keys_path(login);
        let Ok(meta) = std::fs::metadata(&path) else {
            return false;
        };
        if (meta.uid() != login.uid && meta.uid() != 0) || meta.mode() & 0o022 != 0 {
            log(&format!("ignoring {}: bad owner or mode", path.display()));
            return false;
        }
        std::fs::read_to_string(&path).is_ok_and(|text| authorized::lists(&text, key))
    }

    /// Whether `password` is `login`'s (never for an empty or locked one).
    pub fn password_ok(&self, login: &Login, password: &str) -> bool {
        let Some(entry) = &login.entry else {
            return false;
        };
        let hash = accounts::stored_hash(entry);
        !password.is_empty()
            && !hash.is_empty()
            && !accounts::is_locked(&hash)
            && accounts::crypt::verify(password.as_bytes(), &hash)
    }
}

/// The account of the user running a non-root server.
fn own_login() -> Result<Login, SshError> {
    let uid = nix::unistd::getuid().as_raw();
    let gid = nix::unistd::getgid().as_raw();
    let entry = Database::load("/etc/passwd")
        .ok()
        .and_then(|db| passwd::by_uid(&db, uid));
    let name = match &entry {
        Some(u) => String::from_utf8_lossy(&u.name).into_owned(),
        None => std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .map_err(|_| SshError::Protocol(format!("no account for uid {uid}")))?,
    };
    let shell = match &entry {
        Some(u) => PathBuf::from(OsStr::from_bytes(&accounts::shell_of(u))),
        None => std::env::var_os("SHELL").map_or("/bin/sh".into(), PathBuf::from),
    };
    Ok(Login {
        name,
        uid,
        gid,
        groups: Vec::new(),
        home: crate::ssh::own_home(),
        shell,
        entry: None,
    })
}

/// One connection's state: who it is from and, once known, who it is.
pub struct Client {
    policy: Arc<Policy>,
    peer: SocketAddr,
    login: Option<Arc<Login>>,
}

impl Client {
    /// A fresh connection from `peer`.
    pub fn new(policy: Arc<Policy>, peer: SocketAddr) -> Client {
        Client {
            policy,
            peer,
            login: None,
        }
    }

    fn refused(&self, method: &str, user: &str, detail: &str) -> Auth {
        log(&format!(
            "Failed {method} for {user} from {}{detail}",
            self.peer
        ));
        Auth::reject()
    }
}

fn fingerprint(key: &PublicKey) -> String {
    format!("{} {}", key.algorithm(), key.fingerprint(HashAlg::Sha256))
}

impl russh::server::Handler for Client {
    type Error = russh::Error;

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        // Answer the probe honestly so clients move on to their next key
        // without signing with this one.
        let ok = self
            .policy
            .lookup(user)
            .is_some_and(|l| self.policy.key_allowed(&l, offer.public_key));
        Ok(if ok {
            Auth::Accept
        } else {
            self.refused(
                "publickey",
                user,
                &format!(" {}", fingerprint(offer.public_key)),
            )
        })
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        match self.policy.lookup(user) {
            Some(l) if self.policy.key_allowed(&l, key.public_key) => {
                log(&format!(
                    "Accepted publickey for {user} from {} {}",
                    self.peer,
                    fingerprint(key.public_key)
                ));
                self.login = Some(Arc::new(l));
                Ok(Auth::Accept)
            }
            _ => Ok(self.refused("publickey", user, "")),
        }
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        if !self.policy.passwords {
            return Ok(self.refused("password", user, " (password logins are off)"));
        }
        match self.policy.lookup(user) {
            Some(l) if self.policy.password_ok(&l, password) => {
                log(&format!("Accepted password for {user} from {}", self.peer));
                self.login = Some(Arc::new(l));
                Ok(Auth::Accept)
            }
            _ => Ok(self.refused("password", user, "")),
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(login) = self.login.clone() else {
            return Ok(());
        };
        reply.accept().await;
        tokio::spawn(super::session::serve(channel, login, self.peer));
        Ok(())
    }

    // The requests themselves reach the channel's task; these only answer
    // them, as the client waits for an answer to each.
    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _cols: u32,
        _rows: u32,
        _pw: u32,
        _ph: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // No sftp here: say so rather than leave the client waiting.
        session.channel_failure(channel)
    }
}
