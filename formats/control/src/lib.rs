//! init's control protocol: how `ibox svc` and `ibox logread` talk to PID 1
//! over the Unix socket at [`SOCKET`].
//!
//! Each message is one frame (layout in `docs/formats.md`):
//!
//! ```text
//! offset size  field
//! 0      4     length N of what follows, little endian (6 <= N <= MAX_FRAME)
//! 4      4     magic "IBXC"
//! 8      2     protocol version, little endian (currently 2)
//! 10     N-6   postcard encoding of a `Request` or a `Response`
//! ```
//!
//! A client sends one [`Request`] and reads [`Response`]s: one for most
//! requests, a stream of [`Response::Log`] frames for a followed log.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// The socket init listens on (mode 0600, root only).
pub const SOCKET: &str = "/run/ibex/control.sock";
/// First four bytes of every frame body.
pub const MAGIC: [u8; 4] = *b"IBXC";
/// The protocol version this code speaks. Version 2 added
/// [`Request::Reload`] and [`Response::Reloaded`]; init and `ibox` come
/// from the same image, so only one version is spoken at a time.
pub const VERSION: u16 = 2;
/// Largest frame body accepted; anything longer is refused unread.
pub const MAX_FRAME: usize = 1 << 20;

/// What a client asks init.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Every service and its state.
    List,
    /// One service's state.
    Status(String),
    /// Start a service that is stopped, failed or done (resets its failure
    /// count, as `rc-service NAME start` does).
    Start(String),
    /// Stop a service and keep it stopped.
    Stop(String),
    /// Stop then start a service.
    Restart(String),
    /// The log ring buffer of one service, or of all; with `follow`, new
    /// lines keep coming until the client hangs up.
    Log {
        /// Service name, or every service.
        service: Option<String>,
        /// Keep the connection open and send new lines.
        follow: bool,
    },
    /// Read the services directory (`/etc/ibex/services.d`) again: start
    /// the services of new plan files, stop those whose file or definition
    /// is gone, restart those whose definition changed.
    Reload,
}

/// What init answers.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// Answer to `List` and `Status`.
    Services(Vec<ServiceStatus>),
    /// The request was carried out (a start or stop has begun).
    Done,
    /// Log lines, oldest first.
    Log(Vec<LogLine>),
    /// No service or provided name by that name.
    NoSuchService(String),
    /// The client is not root.
    Denied,
    /// The request could not be carried out; the text says why.
    Error(String),
    /// Answer to `Reload`: the services started and the services stopped
    /// (a service whose definition changed is in both).
    Reloaded {
        /// Names of the services added, in the order they were added.
        started: Vec<String>,
        /// Names of the services stopped because they were removed or
        /// replaced.
        stopped: Vec<String>,
    },
}

/// One service as `svc` shows it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ServiceStatus {
    /// Its name.
    pub name: String,
    /// Where it is in its life.
    pub state: State,
    /// Its process while it has one.
    pub pid: Option<u32>,
    /// How long it has been in this state, in milliseconds.
    pub since_ms: u64,
    /// How many times it has been started again after exiting.
    pub restarts: u32,
    /// Why it is failed, what it waits for, when it restarts, or its last
    /// exit status.
    pub detail: String,
}

/// A service's state, as reported (OpenRC's words where they fit).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Waiting for its dependencies.
    Waiting,
    /// Running but not ready yet (readiness notification pending), or a
    /// oneshot still running.
    Starting,
    /// Running and ready.
    Started,
    /// Exited; it will be started again after a delay.
    Backoff,
    /// Asked to stop; waiting for it to exit.
    Stopping,
    /// Not running, and not to be started unless asked.
    Stopped,
    /// A oneshot that completed successfully.
    Done,
    /// Given up on, or not started because a needed service failed.
    Failed,
}

impl State {
    /// The word `svc` prints.
    pub fn word(self) -> &'static str {
        match self {
            State::Waiting => "waiting",
            State::Starting => "starting",
            State::Started => "started",
            State::Backoff => "backoff",
            State::Stopping => "stopping",
            State::Stopped => "stopped",
            State::Done => "done",
            State::Failed => "failed",
        }
    }
}

/// One line a service wrote.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// When init read it: milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// Which service wrote it.
    pub service: String,
    /// The line without its newline (bytes as written).
    pub text: Vec<u8>,
}

/// Why bytes are not a message this code can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Shorter than the header or longer than [`MAX_FRAME`].
    BadLength(usize),
    /// Not [`MAGIC`].
    BadMagic,
    /// Another protocol version.
    UnsupportedVersion(u16),
    /// Not a valid encoding of the expected message.
    Malformed,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::BadLength(n) => write!(f, "control message has impossible length {n}"),
            DecodeError::BadMagic => f.write_str("not a control message (bad magic)"),
            DecodeError::UnsupportedVersion(v) => write!(
                f,
                "control protocol version {v} is not supported (expected {VERSION})"
            ),
            DecodeError::Malformed => f.write_str("control message is malformed"),
        }
    }
}

/// Formats milliseconds since the Unix epoch as UTC in ISO 8601
/// (`2026-11-24T20:33:05.123Z`): how log lines are stamped in files and
/// shown by `logread`.
pub fn format_time(ms: u64) -> String {
    let secs = ms / 1000;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    alloc::format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        ms % 1000
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's algorithm); the one copy Ibex's tools share.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Encodes a message as a whole frame, length prefix included.
pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    // Serializing owned strings and vectors into a Vec cannot fail.
    let body = postcard::to_allocvec(message).unwrap_or_default();
    let len = (body.len() + 6) as u32;
    let mut out = Vec::with_capacity(body.len() + 10);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// Reads the length prefix of a frame: how many bytes follow it.
pub fn frame_len(prefix: [u8; 4]) -> Result<usize, DecodeError> {
    let n = u32::from_le_bytes(prefix) as usize;
    if !(6..=MAX_FRAME).contains(&n) {
        return Err(DecodeError::BadLength(n));
    }
    Ok(n)
}

/// Decodes a frame body (what follows the length prefix).
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    if body.len() < 6 || body.len() > MAX_FRAME {
        return Err(DecodeError::BadLength(body.len()));
    }
    if body[..4] != MAGIC {
        return Err(DecodeError::BadMagic);
    }
    let version = u16::from_le_bytes([body[4], body[5]]);
    if version != VERSION {
        return Err(DecodeError::UnsupportedVersion(version));
    }
    match postcard::take_from_bytes::<T>(&body[6..]) {
        Ok((message, [])) => Ok(message),
        _ => Err(DecodeError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + fmt::Debug>(m: T) {
        let frame = encode(&m);
        let n = frame_len([frame[0], frame[1], frame[2], frame[3]]).unwrap();
        assert_eq!(n, frame.len() - 4);
        assert_eq!(decode::<T>(&frame[4..]), Ok(m));
    }

    #[test]
    fn messages_round_trip() {
        round_trip(Request::List);
        round_trip(Request::Reload);
        round_trip(Response::Reloaded {
            started: vec!["web".into(), "db".into()],
            stopped: vec!["web".into()],
        });
        round_trip(Request::Log {
            service: Some("net".into()),
            follow: true,
        });
        round_trip(Response::Services(vec![ServiceStatus {
            name: "sshd".into(),
            state: State::Started,
            pid: Some(42),
            since_ms: 1234,
            restarts: 2,
            detail: String::new(),
        }]));
        round_trip(Response::Log(vec![LogLine {
            time_ms: 1,
            service: "a".into(),
            text: b"\xff binary".to_vec(),
        }]));
    }

    #[test]
    fn reload_is_appended_to_both_enums() {
        // Earlier variants keep their numbers: Reload and Reloaded are 6.
        assert_eq!(encode(&Request::Reload)[10..], [6]);
        let reloaded = Response::Reloaded {
            started: vec!["a".into()],
            stopped: vec![],
        };
        assert_eq!(encode(&reloaded)[10..], [6, 1, 1, b'a', 0]);
        assert_eq!(encode(&Request::List)[8..10], VERSION.to_le_bytes());
        assert_eq!(VERSION, 2);
    }

    #[test]
    fn formats_times() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_time(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(format_time(1_795_552_385_999), "2026-11-24T20:33:05.999Z");
    }

    #[test]
    fn refuses_bad_frames() {
        assert_eq!(frame_len([0, 0, 0, 0]), Err(DecodeError::BadLength(0)));
        assert_eq!(
            frame_len([0, 0, 0, 1]),
            Err(DecodeError::BadLength(1 << 24))
        );
        let frame = encode(&Request::List);
        let mut body = frame[4..].to_vec();
        body[0] = b'X';
        assert_eq!(decode::<Request>(&body), Err(DecodeError::BadMagic));
        let mut body = frame[4..].to_vec();
        body[4] = 1;
        assert_eq!(
            decode::<Request>(&body),
            Err(DecodeError::UnsupportedVersion(1))
        );
        let mut body = frame[4..].to_vec();
        body.push(0);
        assert_eq!(decode::<Request>(&body), Err(DecodeError::Malformed));
    }

    proptest! {
        #[test]
        fn random_bodies_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut body = MAGIC.to_vec();
            body.extend_from_slice(&VERSION.to_le_bytes());
            body.extend_from_slice(&tail);
            let _ = decode::<Request>(&body);
            let _ = decode::<Response>(&body);
            let _ = decode::<Request>(&tail);
        }

        #[test]
        fn any_status_round_trips(name in ".{0,16}", pid in any::<Option<u32>>(), since in any::<u64>(), restarts in any::<u32>(), detail in ".{0,30}") {
            round_trip(Response::Services(vec![ServiceStatus { name, state: State::Backoff, pid, since_ms: since, restarts, detail }]));
        }

        #[test]
        fn any_request_round_trips(name in ".{0,16}", follow in any::<bool>()) {
            round_trip(Request::Stop(name.clone()));
            round_trip(Request::Log { service: Some(name), follow });
        }
    }
}
