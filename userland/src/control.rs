//! The client side of init's control socket, shared by `svc` and `logread`.

use ibex_control::{Request, Response};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

/// The socket path: `IBEX_CONTROL_SOCKET` if set (an init run for tests),
/// else the system's.
pub fn socket_path() -> String {
    std::env::var("IBEX_CONTROL_SOCKET").unwrap_or_else(|_| ibex_control::SOCKET.to_string())
}

/// A connection to init that has sent one request.
pub struct Connection {
    stream: UnixStream,
}

impl Connection {
    /// Connects and sends `request`; the error is a message for the user.
    pub fn request(request: &Request) -> Result<Connection, String> {
        let path = socket_path();
        let mut stream = UnixStream::connect(&path)
            .map_err(|e| format!("can't connect to {path}: {}", crate::common::strerror(&e)))?;
        stream
            .write_all(&ibex_control::encode(request))
            .map_err(|e| format!("can't send to init: {}", crate::common::strerror(&e)))?;
        Ok(Connection { stream })
    }

    /// Reads the next response; `Ok(None)` when init closed the connection.
    pub fn next(&mut self) -> Result<Option<Response>, String> {
        let mut prefix = [0u8; 4];
        match self.stream.read_exact(&mut prefix) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => {
                return Err(format!(
                    "reading from init: {}",
                    crate::common::strerror(&e)
                ))
            }
        }
        let len = ibex_control::frame_len(prefix).map_err(|e| e.to_string())?;
        let mut body = vec![0u8; len];
        self.stream
            .read_exact(&mut body)
            .map_err(|e| format!("reading from init: {}", crate::common::strerror(&e)))?;
        ibex_control::decode(&body)
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

/// Sends one request and returns its one response, turning init's refusals
/// into messages.
pub fn ask(request: &Request) -> Result<Response, String> {
    let response = Connection::request(request)?
        .next()?
        .ok_or("init closed the connection")?;
    match response {
        Response::Denied => Err("permission denied: only root may control services".into()),
        Response::Error(e) => Err(e),
        other => Ok(other),
    }
}
