//! The `vi` editor: state, main loop, drawing and file I/O. Normal-mode
//! commands live in `command`, `:` commands in `ex`.

pub mod buffer;
pub mod command;
pub mod ex;
pub mod keys;
pub mod screen;

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use buffer::Buffer;
use keys::{Input, Key, NoKey};
use screen::Screen;

/// What keys do now.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Insert,
    Replace,
}

/// Yanked or deleted text.
#[derive(Default, Clone)]
pub struct Register {
    /// Whole lines, or pieces of text joined by newlines.
    pub text: Vec<Vec<u8>>,
    /// Whether `text` is whole lines.
    pub linewise: bool,
}

/// The editor.
pub struct Editor {
    /// The text.
    pub buf: Buffer,
    /// Cursor line.
    pub cy: usize,
    /// Cursor byte in the line.
    pub cx: usize,
    /// The column vertical moves try to keep (`usize::MAX`: line end).
    pub want: usize,
    /// First line on screen.
    pub top: usize,
    /// Last line wholly on screen, from the last draw.
    pub bottom: usize,
    /// The terminal.
    pub screen: Screen,
    /// The file being edited.
    pub filename: Option<Vec<u8>>,
    /// The status message, and whether it is an error.
    pub msg: Vec<u8>,
    /// Whether `msg` is an error (drawn reversed).
    pub msg_err: bool,
    /// The line being typed after `:`, `/` or `?`.
    pub cmdline: Option<Vec<u8>>,
    /// Current mode.
    pub mode: Mode,
    /// The unnamed register.
    pub reg: Register,
    /// Last search: pattern and whether it went forward.
    pub search: Option<(Vec<u8>, bool)>,
    /// Last `f`/`F`/`t`/`T`: the command and its character.
    pub find: Option<(u8, u8)>,
    /// Keys to run before reading the terminal (for `.`).
    pub pending: VecDeque<Key>,
    /// Keys of the command in progress.
    pub rec: Vec<Key>,
    /// Keys of the last change, for `.`.
    pub last_change: Vec<Key>,
    /// Count given to the insert command in progress.
    pub ins_count: usize,
    /// Text typed in the insert in progress (for counts).
    pub ins_text: Vec<u8>,
    /// Set by `:q` and friends.
    pub quit: bool,
    /// `:set nu`.
    pub number: bool,
    /// `-R`: the file is not written without `!`.
    pub readonly: bool,
    input: Input,
}

/// Shows a file name for messages.
pub fn show(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

impl Editor {
    /// An editor on `file` (a new, empty buffer when it does not exist).
    pub fn new(file: Option<&[u8]>) -> Editor {
        let mut ed = Editor {
            buf: Buffer::from_bytes(b""),
            cy: 0,
            cx: 0,
            want: 0,
            top: 0,
            bottom: 0,
            screen: Screen::new(),
            filename: file.map(|f| f.to_vec()),
            msg: Vec::new(),
            msg_err: false,
            cmdline: None,
            mode: Mode::Normal,
            reg: Register::default(),
            search: None,
            find: None,
            pending: VecDeque::new(),
            rec: Vec::new(),
            last_change: Vec::new(),
            ins_count: 1,
            ins_text: Vec::new(),
            quit: false,
            number: false,
            readonly: false,
            input: Input::default(),
        };
        if let Some(f) = file {
            ed.load(f);
        }
        ed
    }

    /// Sets an informational message.
    pub fn info(&mut self, m: impl Into<String>) {
        self.msg = m.into().into_bytes();
        self.msg_err = false;
    }

    /// Sets an error message.
    pub fn error(&mut self, m: impl Into<String>) {
        self.msg = m.into().into_bytes();
        self.msg_err = true;
    }

    /// Replaces the buffer with the contents of `name`.
    pub fn load(&mut self, name: &[u8]) {
        match std::fs::read(OsStr::from_bytes(name)) {
            Ok(data) => {
                self.buf = Buffer::from_bytes(&data);
                let (l, c) = self.buf.counts();
                self.info(format!("'{}' {l}L, {c}C", show(name)));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.buf = Buffer::from_bytes(b"");
                self.info(format!("'{}' [New file]", show(name)));
            }
            Err(e) => {
                self.buf = Buffer::from_bytes(b"");
                self.error(format!("'{}' {}", show(name), crate::common::strerror(&e)));
            }
        }
        self.cy = 0;
        self.cx = 0;
        self.top = 0;
    }

    /// Writes `data` to `name` safely: into a new file in the same
    /// directory, renamed over the old one once complete, with the old
    /// one's mode; a failure leaves the old file as it was.
    pub fn write_file(name: &[u8], data: &[u8]) -> std::io::Result<()> {
        let mut path = PathBuf::from(OsStr::from_bytes(name));
        // Write through a symbolic link to its target, not over the link.
        if let Ok(real) = std::fs::canonicalize(&path) {
            path = real;
        }
        let old = std::fs::metadata(&path).ok();
        if let Some(m) = &old {
            if m.is_dir() {
                return Err(std::io::Error::from_raw_os_error(nix::libc::EISDIR));
            }
            // A file we may not write stays as it is, even though its
            // directory would let us replace it.
            if nix::unistd::access(&path, nix::unistd::AccessFlags::W_OK).is_err() {
                return Err(std::io::Error::from_raw_os_error(nix::libc::EACCES));
            }
        }
        let mode = old
            .as_ref()
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o666);
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let base = path
            .file_name()
            .map(|b| b.as_bytes().to_vec())
            .unwrap_or_default();
        let mut tmp_name = Vec::new();
        let mut file = None;
        for i in 0..100u32 {
            let mut n = b".".to_vec();
            n.extend_from_slice(&base);
            n.extend_from_slice(format!(".vi{}-{i}", std::process::id()).as_bytes());
            let p = dir.join(OsStr::from_bytes(&n));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&p)
            {
                Ok(f) => {
                    tmp_name = p.into_os_string().into_vec_bytes();
                    file = Some(f);
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        let Some(mut f) = file else {
            return Err(std::io::Error::from_raw_os_error(nix::libc::EEXIST));
        };
        let tmp = Path::new(OsStr::from_bytes(&tmp_name));
        let res = (|| {
            f.write_all(data)?;
            f.set_permissions(std::fs::Permissions::from_mode(mode))?;
            if let Some(m) = &old {
                use std::os::unix::fs::MetadataExt;
                // Keep the owner when we may (we may not as a normal user).
                let _ = std::os::unix::fs::fchown(&f, Some(m.uid()), Some(m.gid()));
                let _ = f.set_permissions(std::fs::Permissions::from_mode(mode));
            }
            f.sync_all()?;
            std::fs::rename(tmp, &path)
        })();
        if res.is_err() {
            let _ = std::fs::remove_file(tmp);
        }
        res
    }

    /// Writes lines `from..=to` to `name` (the current file when None);
    /// true on success.
    pub fn write(
        &mut self,
        name: Option<&[u8]>,
        range: Option<(usize, usize)>,
        force: bool,
    ) -> bool {
        let whole = range.is_none();
        let (from, to) = range.unwrap_or((0, self.buf.lines.len() - 1));
        let target = match (name, &self.filename) {
            (Some(n), _) => n.to_vec(),
            (None, Some(f)) => f.clone(),
            (None, None) => {
                self.error("No current filename");
                return false;
            }
        };
        let is_current = self.filename.as_deref() == Some(&target[..]);
        if is_current && self.readonly && !force {
            self.error(format!("'{}' is read only", show(&target)));
            return false;
        }
        if !is_current && !force && Path::new(OsStr::from_bytes(&target)).exists() {
            self.error(format!("'{}' exists (add ! to override)", show(&target)));
            return false;
        }
        let data = self.buf.bytes_of(from, to);
        match Self::write_file(&target, &data) {
            Ok(()) => {
                let lines = if data.is_empty() { 0 } else { to - from + 1 };
                self.info(format!("'{}' {lines}L, {}C", show(&target), data.len()));
                if self.filename.is_none() {
                    self.filename = Some(target.clone());
                }
                if whole && self.filename.as_deref() == Some(&target[..]) {
                    self.buf.mark_saved();
                }
                true
            }
            Err(e) => {
                self.error(format!(
                    "'{}' {}",
                    show(&target),
                    crate::common::strerror(&e)
                ));
                false
            }
        }
    }

    /// The next key: a replayed one, or one from the terminal (drawing
    /// the screen first when no input is waiting).
    pub fn key(&mut self) -> Key {
        if let Some(k) = self.pending.pop_front() {
            self.rec.push(k);
            return k;
        }
        loop {
            // A signal that came while we were busy (not waiting in read)
            // is seen here, before a read that could wait forever.
            if keys::WINCH.swap(false, Ordering::Relaxed) {
                self.screen.invalidate();
            }
            if keys::TERM.load(Ordering::Relaxed) != 0 {
                self.quit = true;
                return Key::Byte(27);
            }
            if !self.input.ready() {
                self.draw();
            }
            match self.input.key() {
                Ok(k) => {
                    self.rec.push(k);
                    return k;
                }
                Err(NoKey::Signal) => {}
                Err(NoKey::Eof) => {
                    self.quit = true;
                    return Key::Byte(27);
                }
            }
        }
    }

    /// Display width left for text (after line numbers).
    fn text_width(&self) -> usize {
        let w = if self.number {
            self.screen.cols.saturating_sub(8)
        } else {
            self.screen.cols
        };
        w.max(1)
    }

    /// Screen rows line `y` takes.
    fn height(&self, y: usize) -> usize {
        let (d, _) = screen::cells(&self.buf.lines[y]);
        d.len().div_ceil(self.text_width()).max(1)
    }

    /// Draws the text, the status line and the cursor.
    pub fn draw(&mut self) {
        let text_rows = self.screen.rows - 1;
        let width = self.text_width();
        let nu = if self.number { 8 } else { 0 };
        if self.cy < self.top {
            self.top = self.cy;
        }
        let mut used: usize = (self.top..=self.cy).map(|y| self.height(y)).sum();
        while used > text_rows && self.top < self.cy {
            used -= self.height(self.top);
            self.top += 1;
        }
        let mut rows: Vec<Vec<u8>> = Vec::new();
        let mut cursor = (0, nu);
        let mut y = self.top;
        self.bottom = self.top;
        while rows.len() < text_rows && y < self.buf.lines.len() {
            let (disp, start) = screen::cells(&self.buf.lines[y]);
            let first = rows.len();
            if y == self.cy {
                let cell = start[self.cx.min(start.len() - 1)];
                cursor = ((first + cell / width).min(text_rows - 1), nu + cell % width);
            }
            let chunks: Vec<&[u8]> = if disp.is_empty() {
                vec![&[][..]]
            } else {
                disp.chunks(width).collect()
            };
            let n = chunks.len();
            for (i, c) in chunks.into_iter().enumerate() {
                if rows.len() == text_rows {
                    break;
                }
                let mut row = Vec::new();
                if self.number {
                    if i == 0 {
                        row.extend_from_slice(format!("{:6} ", y + 1).as_bytes());
                    }
                    row.resize(8.min(self.screen.cols), b' ');
                }
                row.extend_from_slice(c);
                rows.push(row);
            }
            if rows.len() - first == n {
                self.bottom = y;
            }
            y += 1;
        }
        while rows.len() < text_rows {
            rows.push(b"~".to_vec());
        }
        let (status, rev) = if let Some(c) = &self.cmdline {
            let (d, _) = screen::cells(c);
            cursor = (text_rows, d.len().min(self.screen.cols - 2));
            (d, false)
        } else if !self.msg.is_empty() {
            (screen::cells(&self.msg).0, self.msg_err)
        } else {
            match self.mode {
                Mode::Insert => (b"-- INSERT --".to_vec(), false),
                Mode::Replace => (b"-- REPLACE --".to_vec(), false),
                Mode::Normal => (Vec::new(), false),
            }
        };
        self.screen.draw(rows, &status, rev, cursor);
    }

    /// Reads a line on the status row after `prompt`; None if abandoned.
    pub fn read_line(&mut self, prompt: u8) -> Option<Vec<u8>> {
        self.cmdline = Some(vec![prompt]);
        let res = loop {
            let k = self.key();
            if self.quit {
                break None;
            }
            let Some(line) = self.cmdline.as_mut() else {
                break None;
            };
            match k {
                Key::Byte(b'\r') | Key::Byte(b'\n') => break Some(line[1..].to_vec()),
                Key::Byte(27) => break None,
                Key::Byte(8) | Key::Byte(127) => {
                    line.pop();
                    if line.is_empty() {
                        break None;
                    }
                }
                Key::Byte(21) => line.truncate(1),
                Key::Byte(b) => line.push(b),
                _ => {}
            }
        };
        self.cmdline = None;
        res
    }

    /// Runs the editor until it quits.
    pub fn run(&mut self) {
        while !self.quit {
            match self.mode {
                Mode::Normal => {
                    self.rec.clear();
                    let k = self.key();
                    if self.quit {
                        break;
                    }
                    self.msg.clear();
                    self.normal(k);
                }
                Mode::Insert | Mode::Replace => {
                    let k = self.key();
                    self.insert_key(k);
                }
            }
            if self.mode == Mode::Normal && self.buf.commit() && !self.rec.is_empty() {
                self.last_change = std::mem::take(&mut self.rec);
            }
            self.clamp();
        }
        self.screen.finish();
    }
}

/// `OsString` to bytes.
trait IntoVecBytes {
    fn into_vec_bytes(self) -> Vec<u8>;
}

impl IntoVecBytes for std::ffi::OsString {
    fn into_vec_bytes(self) -> Vec<u8> {
        use std::os::unix::ffi::OsStringExt;
        self.into_vec()
    }
}
