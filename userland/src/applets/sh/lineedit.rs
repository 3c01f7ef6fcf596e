//! The line editor of an interactive shell on a terminal, in the manner of
//! BusyBox's lineedit: Emacs-style keys, history with Ctrl-R search, Tab
//! completion, and lines longer than the terminal wrapping across rows.
//!
//! It is used only when standard input and standard error are terminals
//! and `TERM` is not `dumb`; otherwise the shell reads plain lines and
//! writes no escape sequences. The terminal is in raw mode only while a
//! line is being read, and gets its modes back before any command runs.

use std::io::Write;
use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use nix::errno::Errno;
use nix::sys::termios::{
    tcgetattr, tcsetattr, InputFlags, LocalFlags, OutputFlags, SetArg, SpecialCharacterIndices,
    Termios,
};

use super::complete;
use super::exec::Shell;

/// What reading a line gave.
pub enum Edit {
    /// A line, without its newline.
    Line(Vec<u8>),
    /// Ctrl-D on an empty line, or the terminal went away.
    Eof,
    /// Ctrl-C: the line is dropped.
    Interrupted,
}

/// The editor's state that lasts from one line to the next.
#[derive(Debug, Default)]
pub struct Editor {
    /// The text last cut with Ctrl-K, Ctrl-U or Ctrl-W, for Ctrl-Y.
    yank: Vec<u8>,
}

/// Whether the line editor can be used: standard input and error are
/// terminals and `TERM` does not say the terminal cannot take escape
/// sequences.
pub fn usable(sh: &Shell) -> bool {
    nix::unistd::isatty(0).unwrap_or(false)
        && nix::unistd::isatty(2).unwrap_or(false)
        && sh.vars.get(b"TERM") != Some(b"dumb")
}

/// Standard input, where the keys come from.
fn stdin() -> BorrowedFd<'static> {
    // SAFETY: descriptor 0 stays open for the life of the shell; a
    // closed one only makes the calls fail.
    unsafe { BorrowedFd::borrow_raw(0) }
}

/// The terminal's width in columns (80 if it does not say).
fn width() -> usize {
    let mut ws = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct passed.
    let r = unsafe { nix::libc::ioctl(2, nix::libc::TIOCGWINSZ, &mut ws) };
    if r == 0 && ws.ws_col > 0 {
        ws.ws_col as usize
    } else {
        80
    }
}

/// The columns `s` takes on the screen: UTF-8 continuation bytes take none,
/// nor do escape sequences (`ESC [ ... letter`) and the `\1`/`\2` markers
/// of non-printing text.
fn display_width(s: &[u8]) -> usize {
    let mut w = 0;
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == 0x1b {
            i += 1;
            if s.get(i) == Some(&b'[') {
                i += 1;
                while i < s.len() && !s[i].is_ascii_alphabetic() {
                    i += 1;
                }
            }
        } else if c != 1 && c != 2 && !(0x80..0xc0).contains(&c) {
            w += 1;
        }
        i += 1;
    }
    w
}

/// Reads one byte of input; `None` at end of input or on an error.
fn read_byte() -> Option<u8> {
    let mut b = [0u8];
    loop {
        match nix::unistd::read(0, &mut b) {
            Ok(1) => return Some(b[0]),
            Ok(_) => return None,
            Err(Errno::EINTR) => {}
            Err(_) => return None,
        }
    }
}

/// Writes to the terminal (standard error).
fn emit(data: &[u8]) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(data);
    let _ = err.flush();
}

/// Whether the terminal is in raw mode now.
static RAW: AtomicBool = AtomicBool::new(false);

/// The terminal's modes from before the first line was edited, which
/// [`on_fatal_signal`] puts back.
static COOKED: OnceLock<nix::libc::termios> = OnceLock::new();

/// The handler of SIGHUP for a shell that edits lines: a signal that kills
/// the shell while the terminal is in raw mode must not leave it so. Puts
/// the modes back, then dies of the signal as it would have.
extern "C" fn on_fatal_signal(sig: nix::libc::c_int) {
    if RAW.load(Ordering::Relaxed) {
        if let Some(t) = COOKED.get() {
            // SAFETY: tcsetattr, signal and raise are async-signal-safe;
            // `t` is a fully initialized termios.
            unsafe {
                nix::libc::tcsetattr(0, nix::libc::TCSANOW, t);
            }
        }
    }
    // SAFETY: as above.
    unsafe {
        nix::libc::signal(sig, nix::libc::SIG_DFL);
        nix::libc::raise(sig);
    }
}

/// Installs [`on_fatal_signal`] for SIGHUP.
pub fn install_signal_restore() {
    let action = nix::sys::signal::SigAction::new(
        nix::sys::signal::SigHandler::Handler(on_fatal_signal),
        nix::sys::signal::SaFlags::empty(),
        nix::sys::signal::SigSet::empty(),
    );
    // SAFETY: the handler only makes async-signal-safe calls.
    let _ = unsafe { nix::sys::signal::sigaction(nix::sys::signal::Signal::SIGHUP, &action) };
}

/// Puts the terminal back in `modes` after raw mode.
fn restore_mode(modes: &Termios) {
    let _ = tcsetattr(stdin(), SetArg::TCSADRAIN, modes);
    RAW.store(false, Ordering::Relaxed);
}

/// Puts the terminal in raw mode; returns the modes to restore.
fn raw_mode() -> Option<Termios> {
    let orig = tcgetattr(stdin()).ok()?;
    let _ = COOKED.set(orig.clone().into());
    let mut raw = orig.clone();
    raw.local_flags
        .remove(LocalFlags::ICANON | LocalFlags::ECHO | LocalFlags::ISIG | LocalFlags::IEXTEN);
    raw.input_flags
        .remove(InputFlags::IXON | InputFlags::ICRNL | InputFlags::INLCR);
    // Output is written exactly as the editor composes it (`\r\n`).
    raw.output_flags.remove(OutputFlags::OPOST);
    raw.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
    raw.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
    RAW.store(true, Ordering::Relaxed);
    if tcsetattr(stdin(), SetArg::TCSADRAIN, &raw).is_err() {
        RAW.store(false, Ordering::Relaxed);
        return None;
    }
    Some(orig)
}

/// The line being edited and its display.
struct Line<'a> {
    /// The text.
    buf: Vec<u8>,
    /// The cursor, a byte offset at a character boundary.
    pos: usize,
    /// The last line of the prompt, redrawn with the text.
    prompt: &'a [u8],
    /// How many screen rows the cursor is below the prompt's row.
    row: usize,
}

/// Whether `c` continues a UTF-8 character.
fn is_cont(c: u8) -> bool {
    (0x80..0xc0).contains(&c)
}

impl Line<'_> {
    /// Redraws the prompt and the text, then puts the cursor in place.
    /// Rows are counted from the width of the terminal, so long lines
    /// wrap and the cursor can move across rows.
    fn refresh(&mut self) {
        self.refresh_with(None);
    }

    /// [`Line::refresh`], showing `prompt` instead of the line's own.
    fn refresh_with(&mut self, prompt: Option<&[u8]>) {
        let cols = width();
        let prompt = prompt.unwrap_or(self.prompt);
        let mut out = Vec::new();
        if self.row > 0 {
            out.extend_from_slice(format!("\x1b[{}A", self.row).as_bytes());
        }
        out.push(b'\r');
        out.extend_from_slice(prompt);
        out.extend_from_slice(&self.buf);
        out.extend_from_slice(b"\x1b[J");
        let pw = display_width(prompt);
        let total = pw + display_width(&self.buf);
        // A terminal leaves the cursor on the last column after filling a
        // row; move to the next row explicitly so counting rows stays right.
        if total > 0 && total.is_multiple_of(cols) {
            out.extend_from_slice(b"\r\n");
        }
        let end_row = total / cols;
        let cur = pw + display_width(&self.buf[..self.pos]);
        let (cur_row, cur_col) = (cur / cols, cur % cols);
        if end_row > cur_row {
            out.extend_from_slice(format!("\x1b[{}A", end_row - cur_row).as_bytes());
        }
        out.push(b'\r');
        if cur_col > 0 {
            out.extend_from_slice(format!("\x1b[{cur_col}C").as_bytes());
        }
        self.row = cur_row;
        emit(&out);
    }

    /// Moves the cursor to the end of the text (before a newline is
    /// printed after it).
    fn cursor_to_end(&mut self) {
        if self.pos != self.buf.len() {
            self.pos = self.buf.len();
            self.refresh();
        }
    }

    /// The offset of the character boundary before `i`.
    fn prev(&self, mut i: usize) -> usize {
        while i > 0 {
            i -= 1;
            if !is_cont(self.buf[i]) {
                break;
            }
        }
        i
    }

    /// The offset of the character boundary after `i`.
    fn next(&self, mut i: usize) -> usize {
        if i < self.buf.len() {
            i += 1;
            while i < self.buf.len() && is_cont(self.buf[i]) {
                i += 1;
            }
        }
        i
    }

    /// The start of the word before the cursor (words end at white space),
    /// for Ctrl-W.
    fn word_back(&self) -> usize {
        let mut i = self.pos;
        while i > 0 && self.buf[i - 1] == b' ' {
            i -= 1;
        }
        while i > 0 && self.buf[i - 1] != b' ' {
            i -= 1;
        }
        i
    }

    /// The start of the alphanumeric word before the cursor (Alt-B).
    fn alnum_back(&self) -> usize {
        let mut i = self.pos;
        while i > 0 && !self.buf[i - 1].is_ascii_alphanumeric() {
            i -= 1;
        }
        while i > 0 && self.buf[i - 1].is_ascii_alphanumeric() {
            i -= 1;
        }
        i
    }

    /// The end of the alphanumeric word after the cursor (Alt-F).
    fn alnum_forward(&self) -> usize {
        let mut i = self.pos;
        while i < self.buf.len() && !self.buf[i].is_ascii_alphanumeric() {
            i += 1;
        }
        while i < self.buf.len() && self.buf[i].is_ascii_alphanumeric() {
            i += 1;
        }
        i
    }

    /// Replaces the text, with the cursor at its end.
    fn set(&mut self, text: &[u8]) {
        self.buf = text.to_vec();
        self.pos = self.buf.len();
    }
}

/// A key, decoded from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    /// A byte of text (or a control character not decoded further).
    Byte(u8),
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    Delete,
    WordLeft,
    WordRight,
    /// An escape sequence the editor does not use.
    Unknown,
}

/// Reads one key, decoding the escape sequences of common terminals:
/// `ESC [ A`-`D`, `ESC [ H`/`F`, `ESC [ 1~`/`4~`/`7~`/`8~`/`3~` and the
/// `ESC O` forms.
fn read_key() -> Option<Key> {
    let c = read_byte()?;
    if c != 0x1b {
        return Some(Key::Byte(c));
    }
    let Some(c) = read_byte() else {
        return Some(Key::Unknown);
    };
    match c {
        b'[' | b'O' => {
            let mut params = Vec::new();
            let last = loop {
                let b = read_byte()?;
                if b.is_ascii_digit() || b == b';' {
                    params.push(b);
                } else {
                    break b;
                }
            };
            Some(match (last, params.as_slice()) {
                (b'A', _) => Key::Up,
                (b'B', _) => Key::Down,
                (b'C', _) => Key::Right,
                (b'D', _) => Key::Left,
                (b'H', _) => Key::Home,
                (b'F', _) => Key::End,
                (b'~', b"1" | b"7") => Key::Home,
                (b'~', b"4" | b"8") => Key::End,
                (b'~', b"3") => Key::Delete,
                _ => Key::Unknown,
            })
        }
        b'b' | b'B' => Some(Key::WordLeft),
        b'f' | b'F' => Some(Key::WordRight),
        _ => Some(Key::Unknown),
    }
}

/// Reads a line from the terminal with `prompt` shown; the terminal is
/// back in its own modes when this returns.
pub fn read_line(sh: &Shell, ed: &mut Editor, prompt: &[u8]) -> Edit {
    // Lines of the prompt before its last are printed once; the last one
    // is redrawn with the text.
    let (head, tail) = match prompt.iter().rposition(|&c| c == b'\n') {
        Some(i) => (&prompt[..=i], &prompt[i + 1..]),
        None => (&prompt[..0], prompt),
    };
    let Some(orig) = raw_mode() else {
        // Not a terminal after all: a plain read.
        emit(prompt);
        return plain_read();
    };
    let mut head_out = Vec::new();
    for &c in head {
        if c == b'\n' {
            head_out.push(b'\r');
        }
        head_out.push(c);
    }
    emit(&head_out);
    let mut line = Line {
        buf: Vec::new(),
        pos: 0,
        prompt: tail,
        row: 0,
    };
    line.refresh();
    let result = edit(sh, ed, &mut line, &head_out);
    restore_mode(&orig);
    result
}

/// A line read without editing (when raw mode is refused).
fn plain_read() -> Edit {
    let mut buf = Vec::new();
    loop {
        match read_byte() {
            Some(b'\n') => return Edit::Line(buf),
            Some(c) => buf.push(c),
            None if buf.is_empty() => return Edit::Eof,
            None => return Edit::Line(buf),
        }
    }
}

/// The key loop of [`read_line`].
fn edit(sh: &Shell, ed: &mut Editor, line: &mut Line, head: &[u8]) -> Edit {
    let history = &sh.history.lines;
    // Where in the history the text comes from (`len` = the new line),
    // and the new line put aside while browsing.
    let mut hist = history.len();
    let mut saved = Vec::new();
    let mut last_tab = false;
    let mut pending = None;
    loop {
        let key = match pending.take() {
            Some(k) => k,
            None => match read_key() {
                Some(k) => k,
                None => {
                    line.cursor_to_end();
                    emit(b"\r\n");
                    return if line.buf.is_empty() {
                        Edit::Eof
                    } else {
                        Edit::Line(std::mem::take(&mut line.buf))
                    };
                }
            },
        };
        let was_tab = std::mem::replace(&mut last_tab, false);
        match key {
            Key::Byte(b'\r' | b'\n') => {
                line.cursor_to_end();
                emit(b"\r\n");
                return Edit::Line(std::mem::take(&mut line.buf));
            }
            Key::Byte(3) => {
                line.cursor_to_end();
                emit(b"^C\r\n");
                return Edit::Interrupted;
            }
            Key::Byte(4) if line.buf.is_empty() => {
                emit(b"\r\n");
                return Edit::Eof;
            }
            Key::Byte(4) | Key::Delete => {
                if line.pos < line.buf.len() {
                    let n = line.next(line.pos);
                    line.buf.drain(line.pos..n);
                    line.refresh();
                }
            }
            Key::Byte(1) | Key::Home => {
                line.pos = 0;
                line.refresh();
            }
            Key::Byte(5) | Key::End => {
                line.pos = line.buf.len();
                line.refresh();
            }
            Key::Byte(2) | Key::Left => {
                line.pos = line.prev(line.pos);
                line.refresh();
            }
            Key::Byte(6) | Key::Right => {
                line.pos = line.next(line.pos);
                line.refresh();
            }
            Key::WordLeft => {
                line.pos = line.alnum_back();
                line.refresh();
            }
            Key::WordRight => {
                line.pos = line.alnum_forward();
                line.refresh();
            }
            Key::Byte(8 | 0x7f) => {
                if line.pos > 0 {
                    let p = line.prev(line.pos);
                    line.buf.drain(p..line.pos);
                    line.pos = p;
                    line.refresh();
                }
            }
            Key::Byte(0x0b) => {
                ed.yank = line.buf.split_off(line.pos);
                line.refresh();
            }
            Key::Byte(0x15) => {
                ed.yank = line.buf.drain(..line.pos).collect();
                line.pos = 0;
                line.refresh();
            }
            Key::Byte(0x17) => {
                let start = line.word_back();
                ed.yank = line.buf.drain(start..line.pos).collect();
                line.pos = start;
                line.refresh();
            }
            Key::Byte(0x19) => {
                let pos = line.pos;
                line.buf.splice(pos..pos, ed.yank.iter().copied());
                line.pos += ed.yank.len();
                line.refresh();
            }
            Key::Byte(0x14) => {
                // Swap the characters before and at the cursor (the last
                // two at the end of the line) and move past them.
                if line.pos == line.buf.len() {
                    line.pos = line.prev(line.pos);
                }
                if line.pos > 0 {
                    let a = line.prev(line.pos);
                    let b = line.next(line.pos);
                    let mut swapped = line.buf[line.pos..b].to_vec();
                    swapped.extend_from_slice(&line.buf[a..line.pos]);
                    line.buf.splice(a..b, swapped);
                    line.pos = b;
                }
                line.refresh();
            }
            Key::Byte(0x0c) => {
                emit(b"\x1b[H\x1b[2J");
                emit(head);
                line.row = 0;
                line.refresh();
            }
            Key::Byte(0x10) | Key::Up => {
                if hist > 0 {
                    if hist == history.len() {
                        saved = std::mem::take(&mut line.buf);
                    }
                    hist -= 1;
                    line.set(&history[hist]);
                    line.refresh();
                }
            }
            Key::Byte(0x0e) | Key::Down => {
                if hist < history.len() {
                    hist += 1;
                    if hist == history.len() {
                        line.set(&std::mem::take(&mut saved));
                    } else {
                        line.set(&history[hist]);
                    }
                    line.refresh();
                }
            }
            Key::Byte(0x12) => match search(history, line) {
                Search::Accept => {
                    line.cursor_to_end();
                    emit(b"\r\n");
                    return Edit::Line(std::mem::take(&mut line.buf));
                }
                Search::Key(k) => {
                    hist = history.len();
                    pending = k;
                }
            },
            Key::Byte(b'\t') => {
                tab(sh, line, head, was_tab);
                last_tab = true;
            }
            Key::Byte(c) if c >= 0x20 => {
                let pos = line.pos;
                line.buf.insert(pos, c);
                line.pos += 1;
                // The rest of a multi-byte character comes next; draw the
                // character once it is whole.
                if c < 0x80 || line.pos == line.buf.len() || !is_cont(line.buf[line.pos]) {
                    line.refresh();
                }
            }
            Key::Byte(_) | Key::Unknown => {}
        }
    }
}

/// How a Ctrl-R search ended.
enum Search {
    /// Enter: run the line found.
    Accept,
    /// Another key: edit the line found, after acting on the key (if any).
    Key(Option<Key>),
}

/// Ctrl-R: incremental search backwards through the history; each typed
/// character narrows it, Ctrl-R again finds an older match, Ctrl-G or
/// Ctrl-C gives the line back as it was.
fn search(history: &[Vec<u8>], line: &mut Line) -> Search {
    let original = (line.buf.clone(), line.pos);
    let mut query: Vec<u8> = Vec::new();
    let mut at = history.len();
    let mut failed = false;
    let find = |query: &[u8], from: usize| -> Option<usize> {
        (0..from)
            .rev()
            .find(|&i| query.is_empty() || history[i].windows(query.len()).any(|w| w == query))
    };
    loop {
        let mut prompt = if failed {
            b"(failed reverse-i-search)`".to_vec()
        } else {
            b"(reverse-i-search)`".to_vec()
        };
        prompt.extend_from_slice(&query);
        prompt.extend_from_slice(b"': ");
        line.refresh_with(Some(&prompt));
        let Some(key) = read_key() else {
            return Search::Key(None);
        };
        match key {
            Key::Byte(0x12) => match find(&query, at) {
                Some(i) => {
                    at = i;
                    failed = false;
                    line.set(&history[i]);
                }
                None => failed = true,
            },
            Key::Byte(8 | 0x7f) => {
                query.pop();
                if let Some(i) = find(&query, history.len()) {
                    at = i;
                    failed = false;
                    line.set(&history[i]);
                }
            }
            Key::Byte(3 | 7) => {
                line.buf = original.0;
                line.pos = original.1;
                line.refresh();
                return Search::Key(None);
            }
            Key::Byte(b'\r' | b'\n') => {
                line.refresh();
                return Search::Accept;
            }
            Key::Byte(c) if c >= 0x20 => {
                query.push(c);
                match find(&query, (at + 1).min(history.len())) {
                    Some(i) => {
                        at = i;
                        failed = false;
                        line.set(&history[i]);
                    }
                    None => failed = true,
                }
            }
            k => {
                line.refresh();
                return Search::Key(Some(k));
            }
        }
    }
}

/// Tab: completes the word before the cursor. One match is inserted whole;
/// several complete as far as they agree, and a second Tab lists them.
fn tab(sh: &Shell, line: &mut Line, head: &[u8], second: bool) {
    let (start, cands) = complete::complete(sh, &line.buf, line.pos);
    if cands.is_empty() {
        emit(b"\x07");
        return;
    }
    let replace = |line: &mut Line, text: &[u8]| {
        let pos = line.pos;
        line.buf.splice(start..pos, text.iter().copied());
        line.pos = start + text.len();
        line.refresh();
    };
    if cands.len() == 1 {
        let mut text = cands[0].text.clone();
        if !cands[0].dir {
            text.push(b' ');
        }
        replace(line, &text);
        return;
    }
    let prefix = complete::common_prefix(&cands);
    if prefix.len() > line.pos - start && prefix.as_slice() != &line.buf[start..line.pos] {
        replace(line, &prefix);
        return;
    }
    if !second {
        emit(b"\x07");
        return;
    }
    line.cursor_to_end();
    let shown: Vec<Vec<u8>> = cands.into_iter().map(|c| c.show).collect();
    let mut out = b"\r\n".to_vec();
    out.extend_from_slice(&complete::columns(&shown, width()));
    out.extend_from_slice(head);
    emit(&out);
    line.row = 0;
    line.refresh();
}

/// Expands a prompt: parameters (`$NAME`, `${NAME}`, `$?`, ...) and ash's
/// backslash escapes: `\u` user, `\h`/`\H` host name (short, full), `\w`
/// directory with `~` for home, `\W` its last part, `\$` `#` for root else
/// `$`, `\n`, `\t` time, `\e` escape, `\\`, and `\[`/`\]` around
/// non-printing text.
pub fn expand_prompt(sh: &Shell, ps: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ps.len());
    let mut i = 0;
    while i < ps.len() {
        let c = ps[i];
        i += 1;
        if c == b'\\' && i < ps.len() {
            let e = ps[i];
            i += 1;
            match e {
                b'u' => out.extend_from_slice(&user(sh)),
                b'h' | b'H' => {
                    let host = nix::unistd::gethostname()
                        .map(|h| h.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let host = if e == b'h' {
                        host.split('.').next().unwrap_or("")
                    } else {
                        &host
                    };
                    out.extend_from_slice(host.as_bytes());
                }
                b'w' | b'W' => {
                    let pwd = sh.vars.get(b"PWD").unwrap_or(b"").to_vec();
                    let home = sh.vars.get(b"HOME").unwrap_or(b"");
                    let in_home = !home.is_empty()
                        && home != b"/"
                        && pwd.starts_with(home)
                        && (pwd.len() == home.len() || pwd[home.len()] == b'/');
                    if e == b'w' && in_home {
                        out.push(b'~');
                        out.extend_from_slice(&pwd[home.len()..]);
                    } else if e == b'W' && in_home && pwd.len() == home.len() {
                        out.push(b'~');
                    } else if e == b'W' && pwd.len() > 1 {
                        let base = pwd.rsplit(|&c| c == b'/').next().unwrap_or(&pwd);
                        out.extend_from_slice(base);
                    } else {
                        out.extend_from_slice(&pwd);
                    }
                }
                b'$' => out.push(if nix::unistd::geteuid().is_root() {
                    b'#'
                } else {
                    b'$'
                }),
                b'n' => out.push(b'\n'),
                b't' => out.extend_from_slice(clock().as_bytes()),
                b'e' => out.push(0x1b),
                b'a' => out.push(7),
                b'[' => out.push(1),
                b']' => out.push(2),
                b'\\' => out.push(b'\\'),
                other => {
                    out.push(b'\\');
                    out.push(other);
                }
            }
        } else if c == b'$' && i < ps.len() {
            let (name, next) = if ps[i] == b'{' {
                match ps[i..].iter().position(|&c| c == b'}') {
                    Some(end) => (&ps[i + 1..i + end], i + end + 1),
                    None => (&ps[i..i], i),
                }
            } else if super::lexer::is_name_start(ps[i]) {
                let end = ps[i..]
                    .iter()
                    .position(|&c| !super::lexer::is_name_char(c))
                    .map_or(ps.len(), |n| i + n);
                (&ps[i..end], end)
            } else if b"?$!#-0123456789".contains(&ps[i]) {
                (&ps[i..i + 1], i + 1)
            } else {
                (&ps[i..i], i)
            };
            if name.is_empty() {
                out.push(b'$');
            } else {
                out.extend_from_slice(&sh.param(name).unwrap_or_default());
                i = next;
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The user name for `\u`.
fn user(sh: &Shell) -> Vec<u8> {
    if let Some(u) = sh.vars.get(b"USER").filter(|u| !u.is_empty()) {
        return u.to_vec();
    }
    // /etc/passwd read by ibox itself, as the account applets do: glibc's
    // getpwuid_r would bring its name-service switch into every ibox.
    crate::accounts::Database::load("/etc/passwd")
        .ok()
        .and_then(|db| crate::accounts::passwd::by_uid(&db, nix::unistd::geteuid().as_raw()))
        .map(|u| u.name)
        .unwrap_or_default()
}

/// The time as `HH:MM:SS`, for `\t`: in UTC, as everything in ibox
/// (`crate::calendar`; images carry no time zone data). glibc's
/// `localtime_r` would also bring its time zone file reader and `sscanf`,
/// about 60 KB, into every ibox.
fn clock() -> String {
    let t = crate::calendar::now().rem_euclid(86400);
    format!("{:02}:{:02}:{:02}", t / 3600, t % 3600 / 60, t % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(display_width(b"abc"), 3);
        assert_eq!(display_width("h\u{e9}".as_bytes()), 2);
        assert_eq!(display_width(b"\x1b[1;32m$\x1b[0m "), 2);
        assert_eq!(display_width(b"\x01\x1b[1m\x02x"), 1);
    }

    #[test]
    fn prompts() {
        let mut sh = Shell::new();
        sh.vars.set(b"HOME", b"/home/u".to_vec());
        sh.vars.set(b"PWD", b"/home/u/src".to_vec());
        sh.vars.set(b"USER", b"u".to_vec());
        sh.vars.set(b"X", b"ex".to_vec());
        assert_eq!(expand_prompt(&sh, b"\\u:\\w \\W"), b"u:~/src src");
        assert_eq!(expand_prompt(&sh, b"$X ${X}$ \\n"), b"ex ex$ \n");
        sh.vars.set(b"PWD", b"/home/u".to_vec());
        assert_eq!(expand_prompt(&sh, b"\\w \\W"), b"~ ~");
        sh.vars.set(b"PWD", b"/".to_vec());
        assert_eq!(expand_prompt(&sh, b"\\W"), b"/");
    }
}
