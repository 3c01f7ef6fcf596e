//! One session channel: the exec'd command or the login shell, run as the
//! logged-in user, on pipes (stdout as data, stderr as extended data) or
//! on a pseudo-terminal when the client asked for one, and its exit status
//! sent back.

use super::auth::Login;
use russh::server::Msg;
use russh::{Channel, ChannelMsg};
use std::ffi::{OsStr, OsString};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::process::Stdio;
use std::sync::Arc;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// Status reported when the session could not run at all, or the channel
/// went away under it.
const FAILED: u32 = 255;

/// A terminal the client asked for.
struct PtyRequest {
    term: String,
    size: nix::pty::Winsize,
}

fn winsize(cols: u32, rows: u32, pw: u32, ph: u32) -> nix::pty::Winsize {
    let clamp = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
    nix::pty::Winsize {
        ws_row: clamp(rows),
        ws_col: clamp(cols),
        ws_xpixel: clamp(pw),
        ws_ypixel: clamp(ph),
    }
}

/// Serves `ch` for `login` until its program ends or the client leaves.
pub async fn serve(mut ch: Channel<Msg>, login: Arc<Login>, peer: SocketAddr) {
    let mut pty = None;
    let command = loop {
        match ch.wait().await {
            None | Some(ChannelMsg::Close) => return,
            Some(ChannelMsg::RequestPty {
                term,
                col_width,
                row_height,
                pix_width,
                pix_height,
                ..
            }) => {
                pty = Some(PtyRequest {
                    term,
                    size: winsize(col_width, row_height, pix_width, pix_height),
                })
            }
            Some(ChannelMsg::Exec { command, .. }) => break Some(command),
            Some(ChannelMsg::RequestShell { .. }) => break None,
            Some(_) => {}
        }
    };
    let cmd = command_for(&login, command.as_deref(), pty.as_ref(), peer);
    let code = match pty {
        Some(p) => run_pty(&mut ch, cmd, &p).await,
        None => run_pipes(&mut ch, cmd).await,
    };
    let _ = ch.exit_status(code).await;
    let _ = ch.eof().await;
    let _ = ch.close().await;
}

/// The user's shell, as a login shell (`-sh`) or with `-c COMMAND`, in a
/// clean environment of the user's own, in the user's home.
fn command_for(
    login: &Login,
    command: Option<&[u8]>,
    pty: Option<&PtyRequest>,
    peer: SocketAddr,
) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(&login.shell);
    let base = login
        .shell
        .file_name()
        .map_or_else(|| OsString::from("sh"), OsStr::to_os_string);
    match command {
        Some(c) => {
            cmd.arg0(&base).arg("-c").arg(OsStr::from_bytes(c));
        }
        None => {
            let mut dash = OsString::from("-");
            dash.push(&base);
            cmd.arg0(dash);
        }
    }
    cmd.env_clear()
        .env("HOME", &login.home)
        .env("USER", &login.name)
        .env("LOGNAME", &login.name)
        .env("SHELL", &login.shell)
        .env(
            "PATH",
            if login.uid == 0 {
                "/sbin:/usr/sbin:/bin:/usr/bin"
            } else {
                "/bin:/usr/bin"
            },
        )
        .env("SSH_CLIENT", format!("{} {} 22", peer.ip(), peer.port()));
    if let Some(p) = pty {
        cmd.env("TERM", &p.term);
    }
    cmd.current_dir(if login.home.is_dir() {
        login.home.as_path()
    } else {
        std::path::Path::new("/")
    });
    let switch = nix::unistd::geteuid().is_root();
    let groups: Vec<nix::unistd::Gid> = login
        .groups
        .iter()
        .copied()
        .map(nix::unistd::Gid::from_raw)
        .collect();
    let (uid, gid) = (
        nix::unistd::Uid::from_raw(login.uid),
        nix::unistd::Gid::from_raw(login.gid),
    );
    let ctty = pty.is_some();
    let io = |e: nix::errno::Errno| std::io::Error::from_raw_os_error(e as i32);
    // SAFETY: runs in the child between fork and exec, and calls only
    // async-signal-safe system calls on data prepared before the fork.
    unsafe {
        cmd.pre_exec(move || {
            // A session of its own, so the terminal becomes its controlling
            // one and the client's ^C reaches it.
            nix::unistd::setsid().map_err(io)?;
            if ctty && nix::libc::ioctl(0, nix::libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if switch {
                // Groups and gid first: after setuid they can't change.
                nix::unistd::setgroups(&groups).map_err(io)?;
                nix::unistd::setgid(gid).map_err(io)?;
                nix::unistd::setuid(uid).map_err(io)?;
            }
            Ok(())
        });
    }
    cmd.kill_on_drop(true);
    cmd
}

/// The exit status the client gets: the program's, or 128 + the signal
/// that killed it, as shells report it.
fn status_code(status: std::io::Result<std::process::ExitStatus>) -> u32 {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(c), _) => c as u32,
            (None, Some(sig)) => 128 + sig as u32,
            (None, None) => FAILED,
        },
        Err(_) => FAILED,
    }
}

/// Reads from `r` while it is open; pends forever once it is closed, so a
/// `select!` arm goes quiet instead of spinning.
async fn read_open<R: AsyncRead + Unpin>(r: &mut Option<R>, buf: &mut [u8]) -> usize {
    match r {
        Some(r) => r.read(buf).await.unwrap_or(0),
        None => std::future::pending().await,
    }
}

/// The program on pipes. Input goes through a task of its own, so a child
/// that stops reading its stdin until its output is read cannot deadlock
/// against us.
async fn run_pipes(ch: &mut Channel<Msg>, mut cmd: tokio::process::Command) -> u32 {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let msg = format!("sshd: can't run shell: {}\r\n", crate::common::strerror(&e));
            let _ = ch.extended_data_bytes(1, msg.into_bytes()).await;
            return FAILED;
        }
    };
    drop(cmd);
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    if let Some(mut stdin) = child.stdin.take() {
        tokio::spawn(async move {
            while let Some(data) = rx.recv().await {
                if stdin.write_all(&data).await.is_err() {
                    break;
                }
            }
        });
    }
    let mut tx = Some(tx);
    let (mut out, mut err) = (child.stdout.take(), child.stderr.take());
    let (mut w_out, mut w_err) = (ch.make_writer(), ch.make_writer_ext(Some(1)));
    let (mut ob, mut eb) = (vec![0u8; 16384], vec![0u8; 16384]);
    while out.is_some() || err.is_some() {
        tokio::select! {
            msg = ch.wait() => match msg {
                Some(ChannelMsg::Data { data }) => {
                    if let Some(t) = &tx {
                        let _ = t.send(data.to_vec());
                    }
                }
                Some(ChannelMsg::Eof) => tx = None,
                None | Some(ChannelMsg::Close) => return FAILED,
                Some(_) => {}
            },
            n = read_open(&mut out, &mut ob) => {
                if n == 0 || w_out.write_all(&ob[..n]).await.is_err() {
                    out = None;
                }
            }
            n = read_open(&mut err, &mut eb) => {
                if n == 0 || w_err.write_all(&eb[..n]).await.is_err() {
                    err = None;
                }
            }
        }
    }
    drop(tx);
    let _ = w_out.flush().await;
    let _ = w_err.flush().await;
    status_code(child.wait().await)
}

/// Reads what the terminal has; `None` once it is closed (EIO when the
/// last process holding its other side has exited).
async fn read_master(fd: &AsyncFd<OwnedFd>, buf: &mut [u8]) -> Option<usize> {
    loop {
        let mut guard = fd.readable().await.ok()?;
        match guard.try_io(|f| {
            nix::unistd::read(f.get_ref().as_raw_fd(), buf)
                .map_err(|e| std::io::Error::from_raw_os_error(e as i32))
        }) {
            Ok(Ok(0)) | Ok(Err(_)) => return None,
            Ok(Ok(n)) => return Some(n),
            Err(_would_block) => continue,
        }
    }
}

/// Writes all of `data` to the terminal.
async fn write_master(fd: &AsyncFd<OwnedFd>, mut data: &[u8]) -> Option<()> {
    while !data.is_empty() {
        let mut guard = fd.writable().await.ok()?;
        match guard.try_io(|f| {
            nix::unistd::write(f.get_ref(), data)
                .map_err(|e| std::io::Error::from_raw_os_error(e as i32))
        }) {
            Ok(Ok(n)) => data = &data[n..],
            Ok(Err(_)) => return None,
            Err(_would_block) => continue,
        }
    }
    Some(())
}

/// The program on a new pseudo-terminal of the requested size.
async fn run_pty(ch: &mut Channel<Msg>, mut cmd: tokio::process::Command, p: &PtyRequest) -> u32 {
    let started = (|| {
        let pty = nix::pty::openpty(Some(&p.size), None).map_err(std::io::Error::from)?;
        cmd.stdin(Stdio::from(pty.slave.try_clone()?))
            .stdout(Stdio::from(pty.slave.try_clone()?))
            .stderr(Stdio::from(pty.slave));
        let child = cmd.spawn()?;
        nix::fcntl::fcntl(
            pty.master.as_raw_fd(),
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        )
        .map_err(std::io::Error::from)?;
        // SAFETY: the OwnedFd moved in keeps the descriptor open, and the
        // same, for as long as the AsyncFd lives.
        let master = unsafe { AsyncFd::register(pty.master) }?;
        Ok::<_, std::io::Error>((child, master))
    })();
    // The command holds our copies of the terminal's slave side; the
    // master only reads EOF once they are closed.
    drop(cmd);
    let (mut child, master) = match started {
        Ok(s) => s,
        Err(e) => {
            let msg = format!("sshd: can't run shell: {}\r\n", crate::common::strerror(&e));
            let _ = ch.data_bytes(msg.into_bytes()).await;
            return FAILED;
        }
    };
    let master = Arc::new(master);
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer = Arc::clone(&master);
    tokio::spawn(async move {
        while let Some(data) = rx.recv().await {
            if write_master(&writer, &data).await.is_none() {
                break;
            }
        }
    });
    let mut w_out = ch.make_writer();
    let mut buf = vec![0u8; 16384];
    let mut status = None;
    loop {
        tokio::select! {
            msg = ch.wait() => match msg {
                Some(ChannelMsg::Data { data }) => {
                    let _ = tx.send(data.to_vec());
                }
                Some(ChannelMsg::WindowChange { col_width, row_height, pix_width, pix_height }) => {
                    let ws = winsize(col_width, row_height, pix_width, pix_height);
                    // SAFETY: TIOCSWINSZ reads one winsize from the pointer.
                    unsafe { nix::libc::ioctl(master.get_ref().as_raw_fd(), nix::libc::TIOCSWINSZ, &ws) };
                }
                None | Some(ChannelMsg::Close) => return FAILED,
                Some(_) => {}
            },
            n = read_master(&master, &mut buf) => match n {
                Some(n) => {
                    if w_out.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                None => break,
            },
            s = child.wait(), if status.is_none() => {
                status = Some(s);
                // What the program wrote before exiting is still in the
                // terminal: take it without waiting for more (a background
                // job may keep the terminal open).
                while let Ok(n) = nix::unistd::read(master.get_ref().as_raw_fd(), &mut buf) {
                    if n == 0 || w_out.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                break;
            }
        }
    }
    let _ = w_out.flush().await;
    let status = match status {
        Some(s) => s,
        None => child.wait().await,
    };
    status_code(status)
}
