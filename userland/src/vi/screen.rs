//! Drawing on the terminal with the few escapes every terminal and serial
//! console knows (CUP, EL, ED and SGR reverse), redrawing only the rows
//! that changed; raw mode and the signals that end or resize the editor.

use std::io::Write;

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg, Termios};

use super::keys::{TERM, WINCH};

/// The terminal size: (rows, columns), 24x80 when unknown.
pub fn winsize() -> (usize, usize) {
    let mut ws = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ fills in the winsize it is given.
    let r = unsafe { nix::libc::ioctl(1, nix::libc::TIOCGWINSZ, &mut ws) };
    if r != 0 || ws.ws_row < 2 || ws.ws_col < 2 {
        return (24, 80);
    }
    (ws.ws_row as usize, ws.ws_col as usize)
}

extern "C" fn on_signal(sig: nix::libc::c_int) {
    if sig == nix::libc::SIGWINCH {
        WINCH.store(true, std::sync::atomic::Ordering::Relaxed);
    } else {
        TERM.store(sig, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The terminal in raw mode; its modes come back when this is dropped.
pub struct Raw {
    saved: Option<Termios>,
}

impl Raw {
    /// Puts standard input in raw mode and catches the signals the editor
    /// must answer (without SA_RESTART, so that a waiting read returns).
    pub fn enter() -> Raw {
        let act = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::empty(),
            SigSet::empty(),
        );
        for sig in [Signal::SIGWINCH, Signal::SIGTERM, Signal::SIGHUP] {
            // SAFETY: the handler only stores to atomics.
            let _ = unsafe { sigaction(sig, &act) };
        }
        let stdin = std::io::stdin();
        let saved = tcgetattr(&stdin).ok();
        if let Some(t) = &saved {
            // Device builds abort on panic, skipping Drop: put the
            // terminal back from the panic hook too.
            let modes = nix::libc::termios::from(t.clone());
            let prev = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                // SAFETY: tcsetattr reads the termios it is given.
                unsafe { nix::libc::tcsetattr(0, nix::libc::TCSANOW, &modes) };
                prev(info);
            }));
            let mut raw = t.clone();
            cfmakeraw(&mut raw);
            let _ = tcsetattr(&stdin, SetArg::TCSADRAIN, &raw);
        }
        Raw { saved }
    }

    /// Restores the terminal's modes.
    pub fn leave(&mut self) {
        if let Some(t) = self.saved.take() {
            let _ = tcsetattr(std::io::stdin(), SetArg::TCSADRAIN, &t);
        }
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        self.leave();
    }
}

/// What a line of text looks like on screen: the bytes to show, and for
/// each byte of the line (and one past its end) the cell it starts at.
pub fn cells(line: &[u8]) -> (Vec<u8>, Vec<usize>) {
    let mut disp = Vec::with_capacity(line.len());
    let mut start = Vec::with_capacity(line.len() + 1);
    for &b in line {
        start.push(disp.len());
        match b {
            b'\t' => {
                disp.push(b' ');
                while disp.len() % 8 != 0 {
                    disp.push(b' ');
                }
            }
            0..=31 | 127 => {
                disp.push(b'^');
                disp.push(b ^ 0x40);
            }
            // Shown as one cell whatever the encoding, so that column
            // arithmetic stays right and no stray byte upsets the terminal.
            128..=255 => disp.push(b'?'),
            _ => disp.push(b),
        }
    }
    start.push(disp.len());
    (disp, start)
}

/// The screen as last drawn.
pub struct Screen {
    /// Terminal rows.
    pub rows: usize,
    /// Terminal columns.
    pub cols: usize,
    /// Each row as drawn (the status row last, with its reverse flag
    /// as a leading byte); empty after a resize, for a full redraw.
    prev: Vec<Vec<u8>>,
    /// Where the cursor was left.
    prev_cursor: (usize, usize),
}

impl Screen {
    /// A screen of the terminal's size, to be drawn in full.
    pub fn new() -> Screen {
        let (rows, cols) = winsize();
        Screen {
            rows,
            cols,
            prev: Vec::new(),
            prev_cursor: (usize::MAX, 0),
        }
    }

    /// Forgets what is shown: the next draw clears and redraws everything.
    pub fn invalidate(&mut self) {
        let (rows, cols) = winsize();
        self.rows = rows;
        self.cols = cols;
        self.prev.clear();
    }

    /// Draws the text rows, the status row (reversed if `rev`) and puts
    /// the cursor at (row, col).
    pub fn draw(&mut self, text: Vec<Vec<u8>>, status: &[u8], rev: bool, cursor: (usize, usize)) {
        let mut out = Vec::new();
        if self.prev.is_empty() {
            out.extend_from_slice(b"\x1b[H\x1b[2J");
            self.prev = vec![Vec::new(); self.rows];
        }
        let mut rows = text;
        let mut st = vec![rev as u8];
        // One cell short of the corner, so the terminal never scrolls.
        st.extend_from_slice(&status[..status.len().min(self.cols - 1)]);
        rows.truncate(self.rows - 1);
        rows.resize(self.rows - 1, Vec::new());
        rows.push(st);
        for (i, row) in rows.iter().enumerate() {
            if self.prev.get(i) == Some(row) {
                continue;
            }
            out.extend_from_slice(format!("\x1b[{};1H", i + 1).as_bytes());
            if i + 1 == self.rows {
                if row[0] == 1 {
                    out.extend_from_slice(b"\x1b[7m");
                    out.extend_from_slice(&row[1..]);
                    out.extend_from_slice(b"\x1b[0m");
                } else {
                    out.extend_from_slice(&row[1..]);
                }
                out.extend_from_slice(b"\x1b[K");
            } else {
                out.extend_from_slice(row);
                // A full row leaves the cursor on its last cell, which EL
                // would erase.
                if row.len() < self.cols {
                    out.extend_from_slice(b"\x1b[K");
                }
            }
        }
        self.prev = rows;
        if out.is_empty() && cursor == self.prev_cursor {
            return;
        }
        self.prev_cursor = cursor;
        out.extend_from_slice(format!("\x1b[{};{}H", cursor.0 + 1, cursor.1 + 1).as_bytes());
        let mut so = std::io::stdout().lock();
        let _ = so.write_all(&out);
        let _ = so.flush();
    }

    /// Leaves the screen: cursor to the last row, which is cleared.
    pub fn finish(&mut self) {
        let mut so = std::io::stdout().lock();
        let _ = write!(so, "\x1b[{};1H\x1b[K", self.rows);
        let _ = so.flush();
    }
}
