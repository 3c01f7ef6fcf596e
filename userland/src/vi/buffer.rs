//! The text being edited: a list of lines of bytes, with snapshots taken
//! before each change so that `u` and Ctrl-R can step back and forth.

/// One saved state of the text, for undo or redo.
struct Record {
    lines: Vec<Vec<u8>>,
    eol: bool,
    cursor: (usize, usize),
    state: u64,
}

/// Lines of bytes (without their newlines) and the undo history.
pub struct Buffer {
    /// The lines; never empty (an empty file is one empty line).
    pub lines: Vec<Vec<u8>>,
    /// Whether the last line ends with a newline in the file: a file
    /// without one is written back without one.
    pub eol: bool,
    undo: Vec<Record>,
    redo: Vec<Record>,
    /// The state before the change in progress, until it is committed.
    pending: Option<Record>,
    /// Which state the text is in: each committed change makes a new one.
    state: u64,
    last_state: u64,
    /// The state last written to (or read from) the file.
    saved: u64,
}

impl Buffer {
    /// A buffer holding the bytes of a file.
    pub fn from_bytes(data: &[u8]) -> Buffer {
        let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(|l| l.to_vec()).collect();
        let eol = data.is_empty() || data.ends_with(b"\n");
        if eol && lines.len() > 1 {
            lines.pop();
        }
        Buffer {
            lines,
            eol,
            undo: Vec::new(),
            redo: Vec::new(),
            pending: None,
            state: 0,
            last_state: 0,
            saved: 0,
        }
    }

    /// The bytes of `lines[from..=to]` as they go into a file.
    pub fn bytes_of(&self, from: usize, to: usize) -> Vec<u8> {
        if self.lines.len() == 1 && self.lines[0].is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (i, l) in self.lines[from..=to].iter().enumerate() {
            out.extend_from_slice(l);
            if from + i + 1 < self.lines.len() || self.eol {
                out.push(b'\n');
            }
        }
        out
    }

    /// The whole text as it goes into a file.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bytes_of(0, self.lines.len() - 1)
    }

    /// Notes the state before a change (once per command: a second call
    /// before [`Buffer::commit`] keeps the first snapshot).
    pub fn begin(&mut self, cursor: (usize, usize)) {
        if self.pending.is_none() {
            self.pending = Some(Record {
                lines: self.lines.clone(),
                eol: self.eol,
                cursor,
                state: self.state,
            });
        }
    }

    /// Ends a change: true when the text really changed (then it can be
    /// undone, and redo history is dropped).
    pub fn commit(&mut self) -> bool {
        let Some(rec) = self.pending.take() else {
            return false;
        };
        if rec.lines == self.lines && rec.eol == self.eol {
            return false;
        }
        if self.lines.is_empty() {
            self.lines.push(Vec::new());
        }
        self.undo.push(rec);
        self.redo.clear();
        self.last_state += 1;
        self.state = self.last_state;
        true
    }

    /// Swaps the text with a saved record; returns that record's cursor.
    fn swap(&mut self, rec: Record, cursor: (usize, usize), to_redo: bool) -> (usize, usize) {
        let cur = Record {
            lines: std::mem::replace(&mut self.lines, rec.lines),
            eol: std::mem::replace(&mut self.eol, rec.eol),
            cursor,
            state: std::mem::replace(&mut self.state, rec.state),
        };
        if to_redo {
            self.redo.push(cur);
        } else {
            self.undo.push(cur);
        }
        rec.cursor
    }

    /// Undoes the last change; the cursor to show, or None when there is
    /// nothing to undo.
    pub fn undo(&mut self, cursor: (usize, usize)) -> Option<(usize, usize)> {
        let rec = self.undo.pop()?;
        Some(self.swap(rec, cursor, true))
    }

    /// Redoes the last undone change.
    pub fn redo(&mut self, cursor: (usize, usize)) -> Option<(usize, usize)> {
        let rec = self.redo.pop()?;
        Some(self.swap(rec, cursor, false))
    }

    /// Whether the text differs from what was last read or written.
    pub fn modified(&self) -> bool {
        self.state != self.saved
    }

    /// Marks the current text as the one in the file.
    pub fn mark_saved(&mut self) {
        self.saved = self.state;
    }

    /// Number of lines and of bytes, as the status line reports them.
    pub fn counts(&self) -> (usize, usize) {
        let bytes = self.to_bytes().len();
        if bytes == 0 {
            return (0, 0);
        }
        (self.lines.len(), bytes)
    }
}
