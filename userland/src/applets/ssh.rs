//! `ssh [-i KEYFILE] [-p PORT] [-l USER] [-y] [-t|-T] [USER@]HOST
//! [COMMAND...]`: the SSH client, with dropbear's dbclient's and OpenSSH's
//! basic options. It logs in by public key only (`-i`, else the first of
//! ~/.ssh/id_ed25519 and id_ecdsa), checks the host's key against
//! ~/.ssh/known_hosts (`-y` records an unknown one; a changed one is always
//! refused), and exits with the remote command's status, or 255 when the
//! connection or the login failed. As dropbear's dbclient, it tries the
//! password in `$DROPBEAR_PASSWORD` after the keys, if that is set.

use crate::common::{error_msg, getopt, lossy, usage_error, Exit};
use crate::ssh::known_hosts::{self, Verdict};
use crate::ssh::{keys, SshError};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::ChannelMsg;
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const NAME: &str = "ssh";

pub const USAGE: &str = "[-i KEYFILE] [-p PORT] [-l USER] [-y] [-t|-T] [USER@]HOST [COMMAND...]\n\nRun COMMAND (or a shell) on HOST over SSH\n\n\t-i KEYFILE\tPrivate key (default ~/.ssh/id_ed25519)\n\t-p PORT\t\tPort (default 22)\n\t-l USER\t\tUser to log in as\n\t-y\t\tAccept and record an unknown host key\n\t-t\t\tAsk for a terminal\n\t-T\t\tDon't ask for a terminal";

/// The status for a failed connection or login, as OpenSSH's.
const FAILED: i32 = 255;

/// What the command line asked for.
struct Target {
    user: String,
    host: String,
    port: u16,
    keys: Vec<PathBuf>,
    explicit_key: bool,
    accept_new: bool,
    tty: bool,
    command: Option<String>,
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let p = match getopt(&args, "i:p:l:ytTq", &[], false) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let Some((dest, rest)) = p.operands.split_first() else {
        return usage_error(NAME, "no host given");
    };
    let dest = lossy(dest).into_owned();
    let (user, host) = match dest.rsplit_once('@') {
        Some((u, h)) => (Some(u.to_string()), h.to_string()),
        None => (p.value('l').map(|l| lossy(l).into_owned()), dest.clone()),
    };
    let user = user.unwrap_or_else(own_name);
    let port = match p.value('p').map(|v| lossy(v).parse::<u16>()) {
        None => 22,
        Some(Ok(port)) => port,
        Some(Err(_)) => return usage_error(NAME, "bad port"),
    };
    let home = crate::ssh::own_home();
    let keys = match p.value('i') {
        Some(k) => vec![PathBuf::from(k)],
        None => ["id_ed25519", "id_ecdsa"]
            .iter()
            .map(|k| home.join(".ssh").join(k))
            .filter(|k| k.exists())
            .collect(),
    };
    let command = (!rest.is_empty()).then(|| {
        rest.iter()
            .map(|a| lossy(a).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    });
    let tty = p.has('t') || (command.is_none() && !p.has('T') && crate::fsutil::stdin_is_tty());
    let t = Target {
        user,
        host,
        port,
        keys,
        explicit_key: p.has('i'),
        accept_new: p.has('y'),
        tty,
        command,
    };
    let rt = match crate::ssh::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            error_msg(NAME, &e.to_string());
            return FAILED;
        }
    };
    let result = rt.block_on(session(&t));
    // Don't wait for the stdin reader thread: it may sit in read(2).
    rt.shutdown_background();
    match result {
        Ok(code) => code,
        Err(e) => {
            error_msg(NAME, &e.to_string());
            FAILED
        }
    }
}

/// The local user's name, the default login.
fn own_name() -> String {
    std::env::var("USER").unwrap_or_else(|_| {
        crate::fsutil::user_name(nix::unistd::getuid().as_raw()).unwrap_or_else(|| "root".into())
    })
}

/// Checks the server's key against known_hosts, keeping the reason for a
/// refusal so that the user hears it rather than a bare protocol error.
struct HostCheck {
    host: String,
    port: u16,
    file: PathBuf,
    accept_new: bool,
    refusal: Arc<Mutex<Option<SshError>>>,
}

impl HostCheck {
    fn refuse(&self, e: SshError) -> bool {
        if let Ok(mut r) = self.refusal.lock() {
            *r = Some(e);
        }
        false
    }
}

impl russh::client::Handler for HostCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = key else {
            return Ok(self.refuse(SshError::Protocol(
                "host certificates are not supported".into(),
            )));
        };
        let fp = key.fingerprint(Default::default());
        Ok(match known_hosts::check(&self.file, &self.host, self.port, key) {
            Ok(Verdict::Known) => true,
            Ok(Verdict::Changed(line)) => self.refuse(SshError::HostKeyChanged(format!(
                "WARNING: the host key of '{}' has CHANGED (now {} {fp}); it does not match line {line} of {}. Someone may be impersonating the host; if the key was changed on purpose, remove that line. Refusing to connect.",
                self.host,
                key.algorithm(),
                self.file.display()
            ))),
            Ok(Verdict::Unknown) if self.accept_new => {
                match known_hosts::learn(&self.file, &self.host, self.port, key) {
                    Ok(()) => {
                        eprintln!(
                            "Host '{}' is not in the trusted hosts file.\n({} fingerprint {fp})\nAdded to {}",
                            self.host,
                            key.algorithm(),
                            self.file.display()
                        );
                        true
                    }
                    Err(e) => self.refuse(e),
                }
            }
            Ok(Verdict::Unknown) => self.refuse(SshError::HostKeyUnknown(format!(
                "host '{}' is not in {} ({} fingerprint {fp}); use -y to accept it",
                self.host,
                self.file.display(),
                key.algorithm()
            ))),
            Err(e) => self.refuse(e),
        })
    }
}

/// Puts the local terminal in raw mode for an interactive session and
/// restores it when dropped, however the session ends.
struct RawMode(Option<nix::sys::termios::Termios>);

impl RawMode {
    fn enter(on: bool) -> RawMode {
        use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg};
        if !on {
            return RawMode(None);
        }
        let stdin = std::io::stdin();
        let Ok(saved) = tcgetattr(&stdin) else {
            return RawMode(None);
        };
        let mut raw = saved.clone();
        cfmakeraw(&mut raw);
        let _ = tcsetattr(&stdin, SetArg::TCSADRAIN, &raw);
        RawMode(Some(saved))
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(t) = &self.0 {
            let _ = nix::sys::termios::tcsetattr(
                std::io::stdin(),
                nix::sys::termios::SetArg::TCSADRAIN,
                t,
            );
        }
    }
}

/// The terminal's size (columns, rows), 80x24 when unknown.
fn term_size() -> (u32, u32) {
    let mut ws = nix::pty::Winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize into `ws`.
    let r = unsafe { nix::libc::ioctl(0, nix::libc::TIOCGWINSZ, &mut ws) };
    if r < 0 || ws.ws_col == 0 {
        (80, 24)
    } else {
        (u32::from(ws.ws_col), u32::from(ws.ws_row))
    }
}

/// Connects, logs in, runs the command or shell, and returns its status.
async fn session(t: &Target) -> Result<i32, SshError> {
    let refusal = Arc::new(Mutex::new(None));
    let check = HostCheck {
        host: t.host.clone(),
        port: t.port,
        file: crate::ssh::own_home().join(".ssh/known_hosts"),
        accept_new: t.accept_new,
        refusal: Arc::clone(&refusal),
    };
    let config = Arc::new(russh::client::Config {
        inactivity_timeout: None,
        nodelay: true,
        ..Default::default()
    });
    let connect = russh::client::connect(config, (t.host.as_str(), t.port), check);
    let connected = tokio::time::timeout(Duration::from_secs(30), connect)
        .await
        .map_err(|_| {
            SshError::Protocol(format!("connect to {} port {}: timed out", t.host, t.port))
        })?;
    let mut handle = match connected {
        Ok(h) => h,
        Err(e) => {
            if let Some(r) = refusal.lock().ok().and_then(|mut r| r.take()) {
                return Err(r);
            }
            return Err(SshError::Protocol(format!(
                "connect to {} port {}: {e}",
                t.host, t.port
            )));
        }
    };
    let mut logged_in = false;
    for path in &t.keys {
        // A key named with -i must work; a default one that does not (a
        // passphrase, a type this build lacks) is only passed over.
        let key: PrivateKey = match keys::load_private(path) {
            Ok(k) => k,
            Err(e) if !t.explicit_key => {
                error_msg(NAME, &format!("skipping {e}"));
                continue;
            }
            Err(e) => return Err(e),
        };
        let hash = if key.algorithm().is_rsa() {
            handle
                .best_supported_rsa_hash()
                .await
                .ok()
                .flatten()
                .flatten()
        } else {
            None
        };
        let auth = handle
            .authenticate_publickey(&t.user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
            .await
            .map_err(|e| SshError::Protocol(format!("authentication: {e}")))?;
        if auth.success() {
            logged_in = true;
            break;
        }
    }
    // dbclient's way of scripting a password login, for servers that
    // allow them: tried only after every key, and never prompted for.
    if let (false, Ok(password)) = (logged_in, std::env::var("DROPBEAR_PASSWORD")) {
        let auth = handle
            .authenticate_password(&t.user, password)
            .await
            .map_err(|e| SshError::Protocol(format!("authentication: {e}")))?;
        logged_in = auth.success();
    }
    if !logged_in {
        return Err(SshError::AuthFailed(format!("{}@{}", t.user, t.host)));
    }
    let proto = |e: russh::Error| SshError::Protocol(e.to_string());
    let mut ch = handle.channel_open_session().await.map_err(proto)?;
    if t.tty {
        let term = std::env::var("TERM").unwrap_or_else(|_| "vt100".into());
        let (cols, rows) = term_size();
        ch.request_pty(false, &term, cols, rows, 0, 0, &[])
            .await
            .map_err(proto)?;
    }
    match &t.command {
        Some(c) => ch.exec(true, c.as_bytes()).await.map_err(proto)?,
        None => ch.request_shell(true).await.map_err(proto)?,
    }
    let _raw = RawMode::enter(t.tty && crate::fsutil::stdin_is_tty());
    // Standard input is read by a thread of its own: a read(2) on a
    // terminal or pipe blocks, and the runtime has one thread.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = vec![0u8; 16384];
        let mut stdin = std::io::stdin().lock();
        while let Ok(n) = stdin.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut stdin_open = true;
    let mut code = FAILED;
    // A resized local terminal resizes the remote one.
    let mut winch = if t.tty {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()).ok()
    } else {
        None
    };
    loop {
        tokio::select! {
            Some(()) = async { match winch.as_mut() { Some(w) => w.recv().await, None => std::future::pending().await } } => {
                let (cols, rows) = term_size();
                let _ = ch.window_change(cols, rows, 0, 0).await;
            }
            chunk = rx.recv(), if stdin_open => match chunk {
                Some(data) => ch.data_bytes(data).await.map_err(proto)?,
                None => {
                    stdin_open = false;
                    let _ = ch.eof().await;
                }
            },
            msg = ch.wait() => match msg {
                Some(ChannelMsg::Data { data }) => {
                    let mut out = std::io::stdout().lock();
                    let _ = out.write_all(&data);
                    let _ = out.flush();
                }
                Some(ChannelMsg::ExtendedData { data, .. }) => {
                    let _ = std::io::stderr().write_all(&data);
                }
                Some(ChannelMsg::ExitStatus { exit_status }) => {
                    code = i32::try_from(exit_status).unwrap_or(FAILED);
                }
                Some(ChannelMsg::Close) | None => break,
                Some(_) => {}
            },
        }
    }
    let _ = handle
        .disconnect(russh::Disconnect::ByApplication, "", "")
        .await;
    Ok(code)
}
