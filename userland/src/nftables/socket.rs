//! The conversation with nf_tables over a NETLINK_NETFILTER socket:
//! sending a batch and collecting one answer per message, and dumping
//! tables, chains and rules.

use std::fmt;
use std::io;
use std::os::fd::AsFd;

use netlink_sys::{protocols::NETLINK_NETFILTER, Socket};

use super::message::{
    decode_chain, decode_rule, decode_table, dump_request, ChainInfo, Finished, RuleInfo,
    TableInfo, FAMILY_UNSPEC, MSG_GETCHAIN, MSG_GETRULE, MSG_GETTABLE, NLMSG_HEADER,
};

/// NLMSG_ERROR: an error or, with code 0, an acknowledgement.
const NLMSG_ERROR: u16 = 2;
/// NLMSG_DONE: the end of a dump.
const NLMSG_DONE: u16 = 3;
/// How long to wait for the kernel before giving up, in milliseconds. It
/// answers at once; this only keeps a lost answer from hanging `fw`.
const TIMEOUT_MS: u16 = 5000;

/// Why talking to nf_tables failed.
#[derive(Debug)]
pub enum Error {
    /// The socket itself failed (opening, sending, receiving).
    Socket(io::Error),
    /// The kernel refused a message: what it was, the errno and the
    /// extended-ack text when there was one.
    Kernel {
        /// What the refused message did ("adding chain input").
        what: String,
        /// The positive errno.
        errno: i32,
        /// The kernel's own explanation.
        message: Option<String>,
    },
    /// No answer came in time.
    Timeout,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Socket(e) => write!(
                f,
                "cannot talk to nf_tables: {}",
                crate::common::strerror(e)
            ),
            Error::Kernel {
                what,
                errno,
                message,
            } => {
                let text = crate::common::strerror(&io::Error::from_raw_os_error(*errno));
                write!(f, "{what}: {text}")?;
                if let Some(m) = message {
                    write!(f, " ({m})")?;
                }
                Ok(())
            }
            Error::Timeout => f.write_str("nf_tables did not answer"),
        }
    }
}

/// One message from the kernel.
struct Answer {
    kind: u16,
    seq: u32,
    flags: u16,
    payload: Vec<u8>,
}

/// An open nf_tables socket.
pub struct Nftables {
    socket: Socket,
    seq: u32,
    buffer: Vec<u8>,
}

impl Nftables {
    /// Opens and binds a netfilter netlink socket.
    pub fn open() -> Result<Nftables, Error> {
        let socket = crate::netlink::kernel_socket(NETLINK_NETFILTER).map_err(Error::Socket)?;
        // Answers are told apart by sequence number, and only this socket
        // gets them; starting from the clock, as nft does, only makes each
        // run's numbers distinct in a netlink trace.
        let seq = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(1);
        Ok(Nftables {
            socket,
            seq,
            buffer: vec![0; 64 * 1024],
        })
    }

    /// The sequence number to start the next request at, leaving room for
    /// `count` messages.
    pub fn next_seq(&mut self, count: u32) -> u32 {
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(count);
        seq
    }

    /// Waits for and reads one datagram, splitting it into messages.
    fn receive(&mut self) -> Result<Vec<Answer>, Error> {
        let mut fds = [nix::poll::PollFd::new(
            self.socket.as_fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        let ready = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(TIMEOUT_MS))
            .map_err(|e| Error::Socket(io::Error::from_raw_os_error(e as i32)))?;
        if ready == 0 {
            return Err(Error::Timeout);
        }
        let size = self
            .socket
            .recv(&mut &mut self.buffer[..], 0)
            .map_err(Error::Socket)?;
        let mut answers = Vec::new();
        let mut rest = self.buffer.get(..size).unwrap_or(&[]);
        while rest.len() >= NLMSG_HEADER {
            let word = |at: usize| {
                u32::from_ne_bytes([rest[at], rest[at + 1], rest[at + 2], rest[at + 3]])
            };
            let len = word(0) as usize;
            if len < NLMSG_HEADER || len > rest.len() {
                break;
            }
            answers.push(Answer {
                kind: u16::from_ne_bytes([rest[4], rest[5]]),
                flags: u16::from_ne_bytes([rest[6], rest[7]]),
                seq: word(8),
                payload: rest[NLMSG_HEADER..len].to_vec(),
            });
            rest = rest.get(super::attr::align(len)..).unwrap_or(&[]);
        }
        Ok(answers)
    }

    /// Sends a batch and waits for the answer to its last message. The
    /// kernel answers every failed message and, when any failed, applies
    /// none; the first error is returned, saying which message it was.
    pub fn commit(&mut self, batch: Finished) -> Result<(), Error> {
        self.fit_send_buffer(batch.bytes.len());
        self.socket.send(&batch.bytes, 0).map_err(Error::Socket)?;
        let count = batch.what.len();
        if count == 0 {
            return Ok(());
        }
        let mut first_error: Option<Error> = None;
        loop {
            let answers = match self.receive() {
                Ok(a) => a,
                // Answers lost to a full socket buffer: what failed is known.
                Err(Error::Timeout) if first_error.is_some() => break,
                Err(e) => return Err(e),
            };
            let mut done = false;
            for answer in answers {
                if answer.kind != NLMSG_ERROR {
                    continue;
                }
                let index = answer.seq.wrapping_sub(batch.first_seq) as usize;
                let code = answer
                    .payload
                    .get(..4)
                    .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                    .unwrap_or(0);
                if index >= count {
                    // About the batch itself (its begin, when the kernel
                    // ran out of memory): nothing else will come.
                    if code != 0 {
                        return Err(Error::Kernel {
                            what: "sending the batch".into(),
                            errno: code.abs(),
                            message: error_text(answer.flags, &answer.payload),
                        });
                    }
                    continue;
                }
                if code != 0 && first_error.is_none() {
                    first_error = Some(Error::Kernel {
                        what: batch.what.get(index).cloned().unwrap_or_default(),
                        errno: code.abs(),
                        message: error_text(answer.flags, &answer.payload),
                    });
                }
                done |= index == count - 1;
            }
            if done {
                break;
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Makes the send buffer hold `len` bytes: a batch is one datagram,
    /// and netlink refuses one larger than the buffer (EMSGSIZE), which by
    /// default is a few hundred rules. Root may go past `wmem_max`; when
    /// even that is refused, the send reports the error.
    fn fit_send_buffer(&self, len: usize) {
        use nix::sys::socket::{getsockopt, setsockopt, sockopt};
        // The kernel doubles the value for its bookkeeping and keeps some
        // of that for itself.
        let fits =
            getsockopt(&self.socket, sockopt::SndBuf).is_ok_and(|size| size / 2 > len + 4096);
        if !fits {
            let want = len + 4096;
            if setsockopt(&self.socket, sockopt::SndBufForce, &want).is_err() {
                let _ = setsockopt(&self.socket, sockopt::SndBuf, &want);
            }
        }
    }

    /// Dumps every object of kind `op` (GETTABLE, GETCHAIN, GETRULE): the
    /// payloads of the answers.
    fn dump(&mut self, op: u8) -> Result<Vec<Vec<u8>>, Error> {
        let seq = self.next_seq(1);
        self.socket
            .send(&dump_request(op, FAMILY_UNSPEC, seq), 0)
            .map_err(Error::Socket)?;
        let mut payloads = Vec::new();
        loop {
            for answer in self.receive()? {
                if answer.seq != seq {
                    continue;
                }
                match answer.kind {
                    NLMSG_DONE => return Ok(payloads),
                    NLMSG_ERROR => {
                        let code = answer
                            .payload
                            .get(..4)
                            .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                            .unwrap_or(0);
                        if code == 0 {
                            return Ok(payloads);
                        }
                        return Err(Error::Kernel {
                            what: "listing the ruleset".into(),
                            errno: code.abs(),
                            message: error_text(answer.flags, &answer.payload),
                        });
                    }
                    _ => payloads.push(answer.payload),
                }
            }
        }
    }

    /// Every table, of every family.
    pub fn tables(&mut self) -> Result<Vec<TableInfo>, Error> {
        Ok(self
            .dump(MSG_GETTABLE)?
            .iter()
            .filter_map(|p| decode_table(p))
            .collect())
    }

    /// Every chain, of every table.
    pub fn chains(&mut self) -> Result<Vec<ChainInfo>, Error> {
        Ok(self
            .dump(MSG_GETCHAIN)?
            .iter()
            .filter_map(|p| decode_chain(p))
            .collect())
    }

    /// Every rule, of every chain.
    pub fn rules(&mut self) -> Result<Vec<RuleInfo>, Error> {
        Ok(self
            .dump(MSG_GETRULE)?
            .iter()
            .filter_map(|p| decode_rule(p))
            .collect())
    }
}

/// The extended-ack text of an error answer.
fn error_text(flags: u16, payload: &[u8]) -> Option<String> {
    // The error code comes first, then the echoed request's header.
    crate::netlink::ext_ack_message(flags, payload.get(4..)?)
}
