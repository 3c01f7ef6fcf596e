//! The text being edited: a list of lines of bytes, with snapshots taken
//! before each change so that `u` and Ctrl-R can step back and forth.

/// What undoing (or redoing) one change does: put `lines` in place of the
/// `len` lines at `at`. Only the lines that differ are kept, so a long
/// file's history does not hold a copy of the file per change.
struct Record {
    at: usize,
    len: usize,
    lines: Vec<Vec<u8>>,
    eol: bool,
    cursor: (usize, usize),
    state: u64,
}

/// The text before the change in progress.
struct Snapshot {
    lines: Vec<Vec<u8>>,
    eol: bool,
    cursor: (usize, usize),
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
    pending: Option<Snapshot>,
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
            self.pending = Some(Snapshot {
                lines: self.lines.clone(),
                eol: self.eol,
                cursor,
            });
        }
    }

    /// Ends a change: true when the text really changed (then it can be
    /// undone, and redo history is dropped).
    pub fn commit(&mut self) -> bool {
        let Some(mut snap) = self.pending.take() else {
            return false;
        };
        if self.lines.is_empty() {
            self.lines.push(Vec::new());
        }
        if snap.lines == self.lines && snap.eol == self.eol {
            return false;
        }
        let (old, new) = (&snap.lines, &self.lines);
        let prefix = old
            .iter()
            .zip(new.iter())
            .take_while(|(a, b)| a == b)
            .count();
        let most = old.len().min(new.len()) - prefix;
        let suffix = old
            .iter()
            .rev()
            .zip(new.iter().rev())
            .take(most)
            .take_while(|(a, b)| a == b)
            .count();
        let len = new.len() - prefix - suffix;
        let end = snap.lines.len() - suffix;
        let lines: Vec<Vec<u8>> = snap.lines.drain(prefix..end).collect();
        self.undo.push(Record {
            at: prefix,
            len,
            lines,
            eol: snap.eol,
            cursor: snap.cursor,
            state: self.state,
        });
        self.redo.clear();
        self.last_state += 1;
        self.state = self.last_state;
        true
    }

    /// Applies a record; returns the record that reverses it, and the
    /// cursor to show.
    fn apply(&mut self, rec: Record, cursor: (usize, usize)) -> (Record, (usize, usize)) {
        let n = rec.lines.len();
        let removed: Vec<Vec<u8>> = self
            .lines
            .splice(rec.at..rec.at + rec.len, rec.lines)
            .collect();
        let back = Record {
            at: rec.at,
            len: n,
            lines: removed,
            eol: std::mem::replace(&mut self.eol, rec.eol),
            cursor,
            state: std::mem::replace(&mut self.state, rec.state),
        };
        (back, rec.cursor)
    }

    /// Undoes the last change; the cursor to show, or None when there is
    /// nothing to undo.
    pub fn undo(&mut self, cursor: (usize, usize)) -> Option<(usize, usize)> {
        let rec = self.undo.pop()?;
        let (back, cur) = self.apply(rec, cursor);
        self.redo.push(back);
        Some(cur)
    }

    /// Redoes the last undone change.
    pub fn redo(&mut self, cursor: (usize, usize)) -> Option<(usize, usize)> {
        let rec = self.redo.pop()?;
        let (back, cur) = self.apply(rec, cursor);
        self.undo.push(back);
        Some(cur)
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
