//! `sshd [-FEswB] [-p [ADDR:]PORT]... [-r KEYFILE] [-R] [-A FILE]`: the SSH
//! server, in the role dropbear plays on OpenWrt and Alpine, with dropbear's
//! option letters.
//!
//! Logins are by public key against `~USER/.ssh/authorized_keys` (the home
//! from /etc/passwd); passwords are refused unless `-B` turns them on, and
//! then checked against /etc/shadow with the same crypt code as `login`.
//! The host key is OpenSSH's format at /etc/ssh/ssh_host_ed25519_key
//! (`-R` makes it on first start). Run as root it serves every user and
//! each session becomes its user; run as anyone else it can only serve that
//! one user, whose home is then `$HOME` (so tests need no real account).
//!
//! The protocol is russh's, on a current-thread tokio runtime: one thread
//! serves every connection. Each connection's outcome is logged on stderr,
//! one line each, in syslog's `sshd[PID]: ...` style.

mod auth;
mod session;

use crate::common::{error_msg, getopt, lossy, Exit};
use crate::ssh::{keys, SshError};
use russh::server::Config;
use russh::MethodKind;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const NAME: &str = "sshd";

pub const USAGE: &str = "[-FEswB] [-p [ADDR:]PORT]... [-r KEYFILE] [-R] [-A FILE]\n\nSSH server (public-key logins)\n\n\t-F\t\tDon't daemonize\n\t-E\t\tLog to stderr (it always does; kept for dropbear's scripts)\n\t-p [ADDR:]PORT\tListen on ADDR:PORT (repeatable; default 22 on all addresses)\n\t-r KEYFILE\tHost key (default /etc/ssh/ssh_host_ed25519_key, OpenSSH format)\n\t-R\t\tCreate the host key if it is missing\n\t-s\t\tNo password logins (the default)\n\t-B\t\tAllow password logins, checked against /etc/shadow\n\t-w\t\tNo root logins\n\t-A FILE\t\tAuthorized keys file: %h is the user's home, %u the name\n\t\t\t(default %h/.ssh/authorized_keys)";

/// Where the host key lives unless `-r` says otherwise: OpenSSH's path, as
/// the file is in OpenSSH's format (dropbear's own path would suggest
/// dropbear's format, which this is not).
pub const DEFAULT_HOST_KEY: &str = "/etc/ssh/ssh_host_ed25519_key";

/// What the command line asked for.
struct Options {
    listen: Vec<SocketAddr>,
    host_key: PathBuf,
    create_key: bool,
    daemonize: bool,
    policy: auth::Policy,
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "FEp:r:RswBA:", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut listen = Vec::new();
    for (c, v) in &p.opts {
        if let ('p', Some(v)) = (c, v) {
            match parse_listen(&lossy(v)) {
                Some(a) => listen.push(a),
                None => {
                    error_msg(NAME, &format!("bad address '{}'", lossy(v)));
                    return 1;
                }
            }
        }
    }
    if listen.is_empty() {
        listen.push(SocketAddr::from(([0, 0, 0, 0], 22)));
    }
    let policy = match auth::Policy::new(
        !p.has('w'),
        p.has('B') && !p.has('s'),
        p.value('A').map(|a| lossy(a).into_owned()),
    ) {
        Ok(policy) => policy,
        Err(e) => {
            error_msg(NAME, &e.to_string());
            return 1;
        }
    };
    let o = Options {
        listen,
        host_key: PathBuf::from(p.value('r').unwrap_or(DEFAULT_HOST_KEY.as_ref())),
        create_key: p.has('R'),
        daemonize: !p.has('F'),
        policy,
    };
    match run(o) {
        Ok(()) => 0,
        Err(e) => {
            error_msg(NAME, &e.to_string());
            1
        }
    }
}

/// `PORT`, `ADDR:PORT` or `[V6ADDR]:PORT`.
fn parse_listen(text: &str) -> Option<SocketAddr> {
    if let Ok(port) = text.parse::<u16>() {
        return Some(SocketAddr::from(([0, 0, 0, 0], port)));
    }
    text.parse().ok()
}

/// Loads the key, binds every address, daemonizes, and serves forever.
fn run(o: Options) -> Result<(), SshError> {
    let (key, made) = keys::host_key(&o.host_key, o.create_key)?;
    if made {
        log(&format!(
            "generated host key {} ({})",
            o.host_key.display(),
            key.public_key().fingerprint(Default::default())
        ));
    }
    // Bind before daemonizing, so the parent's status says whether the
    // ports could be had and a script can connect as soon as it returns.
    let mut sockets = Vec::new();
    for addr in &o.listen {
        let l = std::net::TcpListener::bind(addr)
            .map_err(|e| SshError::Io(format!("bind {addr}"), e))?;
        l.set_nonblocking(true)
            .map_err(|e| SshError::Io(format!("bind {addr}"), e))?;
        sockets.push(l);
    }
    if o.daemonize {
        // SAFETY: no other thread exists yet (the runtime starts below).
        match unsafe { nix::unistd::fork() } {
            Ok(nix::unistd::ForkResult::Parent { .. }) => return Ok(()),
            Ok(nix::unistd::ForkResult::Child) => {
                let _ = nix::unistd::setsid();
            }
            Err(e) => return Err(SshError::Io("fork".into(), e.into())),
        }
    }
    let config = Arc::new(Config {
        server_id: russh::SshId::Standard(
            concat!("SSH-2.0-ibox_sshd_", env!("CARGO_PKG_VERSION")).into(),
        ),
        methods: o.policy.methods(),
        keys: vec![key],
        // Failed attempts cost a second each (guessing is slow), but the
        // "none" probe every client starts with must not: it would add a
        // second to every login.
        auth_rejection_time: Duration::from_secs(1),
        auth_rejection_time_initial: Some(Duration::ZERO),
        // An idle interactive shell is not a dead peer: keepalives find
        // those instead of an inactivity limit.
        inactivity_timeout: None,
        keepalive_interval: Some(Duration::from_secs(60)),
        keepalive_max: 3,
        max_auth_attempts: 6,
        nodelay: true,
        ..Default::default()
    });
    let policy = Arc::new(o.policy);
    let rt = crate::ssh::runtime()?;
    rt.block_on(async move {
        let mut tasks = Vec::new();
        for l in sockets {
            let l = tokio::net::TcpListener::from_std(l)
                .map_err(|e| SshError::Io("listen".into(), e))?;
            let (config, policy) = (Arc::clone(&config), Arc::clone(&policy));
            tasks.push(tokio::spawn(accept_loop(l, config, policy)));
        }
        for t in tasks {
            let _ = t.await;
        }
        Ok(())
    })
}

/// Accepts connections on `l` forever, each served by a task of its own so
/// that a stuck or hostile client holds up nobody else.
async fn accept_loop(l: tokio::net::TcpListener, config: Arc<Config>, policy: Arc<auth::Policy>) {
    loop {
        let (stream, peer) = match l.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors and the like: wait rather than spin.
                log(&format!("accept: {}", crate::common::strerror(&e)));
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let handler = auth::Client::new(Arc::clone(&policy), peer);
        let config = Arc::clone(&config);
        tokio::spawn(async move {
            match russh::server::run_stream(config, stream, handler).await {
                Ok(session) => {
                    if let Err(e) = session.await {
                        if !is_hangup(&e) {
                            log(&format!("connection from {peer} ended: {e}"));
                        }
                    }
                }
                Err(e) => log(&format!("connection from {peer} failed: {e}")),
            }
        });
    }
}

/// Whether `e` is only the client going away, which every `ssh` does at
/// the end of a session and is not worth a log line.
fn is_hangup(e: &russh::Error) -> bool {
    matches!(e, russh::Error::IO(io) if io.kind() == std::io::ErrorKind::UnexpectedEof)
        || matches!(e, russh::Error::Disconnect)
}

/// One log line, syslog-style, on stderr (where init's service log and
/// `-E` users look for it).
pub fn log(msg: &str) {
    eprintln!("{NAME}[{}]: {msg}", std::process::id());
}

/// The methods offered: public key always, password only with `-B`.
impl auth::Policy {
    fn methods(&self) -> russh::MethodSet {
        let mut m = russh::MethodSet::empty();
        m.push(MethodKind::PublicKey);
        if self.passwords {
            m.push(MethodKind::Password);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        assert_eq!(
            parse_listen("22"),
            Some(SocketAddr::from(([0, 0, 0, 0], 22)))
        );
        assert_eq!(
            parse_listen("192.168.1.1:22"),
            Some(SocketAddr::from(([192, 168, 1, 1], 22)))
        );
        assert!(parse_listen("[::1]:2222").is_some());
        assert_eq!(parse_listen("nope"), None);
    }
}
