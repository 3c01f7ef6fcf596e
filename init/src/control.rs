//! The control socket: `ibox svc` and `ibox logread` talk to init here.
//!
//! The socket is created mode 0600 in a directory only root can enter, and
//! every connection's peer credentials are checked as well: only root may
//! ask anything. One request per connection; requests are small and
//! answered at once, so a client can hold init up at most for the short
//! read and write timeouts set below.

use crate::logs::Logs;
use crate::supervisor::Supervisor;
use ibex_control::{Request, Response};
use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::time::Duration;

/// How long a client gets to send its request.
const READ_TIMEOUT: Duration = Duration::from_millis(200);
/// How long a client gets to take an answer (or a followed log line).
const WRITE_TIMEOUT: Duration = Duration::from_millis(500);

/// Creates the listening socket at `path`, replacing a stale one.
pub fn listen(path: &Path) -> Option<UnixListener> {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let _ = std::fs::remove_file(path);
    // The umask makes the socket 0600 from the moment it exists.
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o177));
    let listener = UnixListener::bind(path);
    nix::sys::stat::umask(old);
    match listener {
        Ok(l) => {
            if let Err(e) = l.set_nonblocking(true) {
                crate::log!("control socket: {e}");
            }
            Some(l)
        }
        Err(e) => {
            crate::log!("control socket {}: {e}; svc will not work", path.display());
            None
        }
    }
}

/// Answers every pending connection; `services_dir` is what `Reload`
/// reads.
pub fn serve(
    listener: &UnixListener,
    supervisor: &mut Supervisor,
    logs: &mut Logs,
    services_dir: &Path,
) {
    // Each accepted connection is answered before the next is taken; the
    // loop ends when no connection is pending.
    while let Ok((stream, _)) = listener.accept() {
        if let Err(e) = answer(stream, supervisor, logs, services_dir) {
            crate::log!("control: {e}");
        }
    }
}

fn answer(
    mut stream: UnixStream,
    supervisor: &mut Supervisor,
    logs: &mut Logs,
    services_dir: &Path,
) -> Result<(), String> {
    stream.set_nonblocking(false).map_err(|e| e.to_string())?;
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let root = getsockopt(&stream, PeerCredentials).is_ok_and(|c| c.uid() == 0);
    if !root {
        return send(&mut stream, &Response::Denied);
    }
    let request = match read_request(&mut stream) {
        Ok(r) => r,
        Err(e) => {
            let _ = send(&mut stream, &Response::Error(e.clone()));
            return Err(e);
        }
    };
    let by_name = |name: &str| {
        supervisor
            .find(name)
            .ok_or(Response::NoSuchService(name.into()))
    };
    let response = match request {
        Request::List => {
            Response::Services(supervisor.visible().map(|i| supervisor.status(i)).collect())
        }
        Request::Status(name) => match by_name(&name) {
            Ok(i) => Response::Services(vec![supervisor.status(i)]),
            Err(r) => r,
        },
        Request::Start(name) | Request::Stop(name) | Request::Restart(name)
            if !supervisor.restarting =>
        {
            Response::Error(format!("{name}: the system is shutting down"))
        }
        Request::Reload if !supervisor.restarting => {
            Response::Error("the system is shutting down".into())
        }
        Request::Start(name) | Request::Restart(name)
            if by_name(&name).is_ok_and(|i| supervisor.services[i].retired) =>
        {
            Response::Error(format!("{name}: removed by a reload, stopping"))
        }
        Request::Reload => {
            crate::log!("reload requested");
            match crate::packages::reload(supervisor, logs, services_dir) {
                Ok((started, stopped)) => Response::Reloaded { started, stopped },
                Err(e) => {
                    crate::log!("reload: {e}");
                    Response::Error(e)
                }
            }
        }
        Request::Start(name) => match by_name(&name) {
            Ok(i) => {
                crate::log!("{name}: start requested");
                supervisor.start_requested(i);
                Response::Done
            }
            Err(r) => r,
        },
        Request::Stop(name) => match by_name(&name) {
            Ok(i) => {
                crate::log!("{name}: stop requested");
                supervisor.stop(i);
                Response::Done
            }
            Err(r) => r,
        },
        Request::Restart(name) => match by_name(&name) {
            Ok(i) => {
                crate::log!("{name}: restart requested");
                supervisor.restart_requested(i);
                Response::Done
            }
            Err(r) => r,
        },
        Request::Log { service, follow } => {
            let index = match service.as_deref().map(by_name) {
                None => None,
                Some(Ok(i)) => Some(i),
                Some(Err(r)) => return send(&mut stream, &r),
            };
            send(&mut stream, &Response::Log(logs.snapshot(index)))?;
            if follow {
                logs.follow(stream, index);
            }
            return Ok(());
        }
    };
    send(&mut stream, &response)
}

fn read_request(stream: &mut UnixStream) -> Result<Request, String> {
    let mut prefix = [0u8; 4];
    stream
        .read_exact(&mut prefix)
        .map_err(|e| format!("reading request: {e}"))?;
    let len = ibex_control::frame_len(prefix).map_err(|e| e.to_string())?;
    let mut body = vec![0u8; len];
    stream
        .read_exact(&mut body)
        .map_err(|e| format!("reading request: {e}"))?;
    ibex_control::decode(&body).map_err(|e| e.to_string())
}

fn send(stream: &mut UnixStream, response: &Response) -> Result<(), String> {
    stream
        .write_all(&ibex_control::encode(response))
        .map_err(|e| format!("answering: {e}"))
}
