//! Reading keys from the terminal: bytes, and the escape sequences that
//! arrows and the editing keys send (CSI and SS3 forms).

use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicBool, AtomicI32};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

/// One key press.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// A plain byte (Esc is `Byte(27)`).
    Byte(u8),
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    Insert,
    Delete,
    PageUp,
    PageDown,
}

/// Set by SIGWINCH: the window size changed.
pub static WINCH: AtomicBool = AtomicBool::new(false);
/// Set by SIGTERM/SIGHUP: the signal to end with.
pub static TERM: AtomicI32 = AtomicI32::new(0);

/// Why no key came.
pub enum NoKey {
    /// A signal arrived: the caller looks at [`WINCH`] and [`TERM`].
    Signal,
    /// The terminal is gone.
    Eof,
}

/// Buffered key input from standard input.
#[derive(Default)]
pub struct Input {
    buf: Vec<u8>,
}

/// Whether fd 0 has input within `ms` milliseconds.
fn wait(ms: u16) -> bool {
    // SAFETY: fd 0 stays open for the whole run.
    let fd = unsafe { BorrowedFd::borrow_raw(0) };
    let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
    matches!(poll(&mut fds, PollTimeout::from(ms)), Ok(n) if n > 0)
}

impl Input {
    /// Whether a key can be read without waiting.
    pub fn ready(&self) -> bool {
        !self.buf.is_empty() || wait(0)
    }

    /// Reads more bytes; false at end of input.
    fn fill(&mut self) -> Result<(), NoKey> {
        let mut b = [0u8; 256];
        match nix::unistd::read(0, &mut b) {
            Ok(0) => Err(NoKey::Eof),
            Ok(n) => {
                self.buf.extend_from_slice(&b[..n]);
                Ok(())
            }
            Err(Errno::EINTR) | Err(Errno::EAGAIN) => Err(NoKey::Signal),
            Err(_) => Err(NoKey::Eof),
        }
    }

    /// The next key, waiting for it.
    pub fn key(&mut self) -> Result<Key, NoKey> {
        if self.buf.is_empty() {
            // Wait in slices: a signal landing between the caller's look
            // at the flags and a blocking read would go unseen until the
            // next key.
            if !wait(250) {
                return Err(NoKey::Signal);
            }
            self.fill()?;
        }
        if self.buf[0] == 27 {
            // A lone Esc and the start of a sequence look alike: a
            // sequence arrives at once, so wait briefly for its rest.
            if self.buf.len() < 3 && wait(50) {
                let _ = self.fill();
            }
            if let Some((key, len)) = decode(&self.buf) {
                self.buf.drain(..len);
                return Ok(key);
            }
        }
        let b = self.buf.remove(0);
        Ok(Key::Byte(b))
    }
}

/// Decodes an escape sequence at the start of `s`: the key and its length.
fn decode(s: &[u8]) -> Option<(Key, usize)> {
    if s.len() < 3 || (s[1] != b'[' && s[1] != b'O') {
        return None;
    }
    let letter = |c: u8| match c {
        b'A' => Some(Key::Up),
        b'B' => Some(Key::Down),
        b'C' => Some(Key::Right),
        b'D' => Some(Key::Left),
        b'H' => Some(Key::Home),
        b'F' => Some(Key::End),
        _ => None,
    };
    if let Some(k) = letter(s[2]) {
        return Some((k, 3));
    }
    if s[1] == b'[' && s[2].is_ascii_digit() {
        let mut i = 2;
        while i < s.len() && (s[i].is_ascii_digit() || s[i] == b';') {
            i += 1;
        }
        if i < s.len() && s[i] == b'~' {
            let key = match s[2] {
                b'1' | b'7' => Key::Home,
                b'2' => Key::Insert,
                b'3' => Key::Delete,
                b'4' | b'8' => Key::End,
                b'5' => Key::PageUp,
                b'6' => Key::PageDown,
                _ => return None,
            };
            return Some((key, i + 1));
        }
        // Modified arrows (`ESC [ 1 ; 5 A`) act as plain ones.
        if i < s.len() {
            if let Some(k) = letter(s[i]) {
                return Some((k, i + 1));
            }
        }
    }
    None
}
