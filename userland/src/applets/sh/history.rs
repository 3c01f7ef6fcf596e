//! Command history of the interactive line editor: kept in memory (at most
//! `HISTSIZE` lines, 1000 by default), loaded from `$HISTFILE` or
//! `~/.ash_history` at start-up and written back whole at exit, through a
//! temporary file renamed over the old one so that a crash never leaves it
//! half written.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use super::exec::{Shell, Status};

/// How many lines are kept when `HISTSIZE` does not say.
const DEFAULT_SIZE: usize = 1000;

/// The history list.
#[derive(Debug, Default)]
pub struct History {
    /// The lines, oldest first, without their newlines.
    pub lines: Vec<Vec<u8>>,
    /// The file it is saved to; `None` when history is not saved (the
    /// shell does not edit lines).
    pub file: Option<PathBuf>,
    /// The most lines kept.
    pub max: usize,
}

impl History {
    /// Turns history on for a shell that edits lines: reads the size and
    /// file from `HISTSIZE` and `HISTFILE` (or `$HOME/.ash_history`) and
    /// loads the lines saved there.
    pub fn init(sh: &mut Shell) {
        let max = sh
            .vars
            .get(b"HISTSIZE")
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(DEFAULT_SIZE);
        let file = match sh.vars.get(b"HISTFILE") {
            Some(f) if !f.is_empty() => Some(PathBuf::from(OsStr::from_bytes(f))),
            Some(_) => None,
            None => sh.vars.get(b"HOME").filter(|h| !h.is_empty()).map(|h| {
                let mut p = PathBuf::from(OsStr::from_bytes(h));
                p.push(".ash_history");
                p
            }),
        };
        // Saved where it was loaded from, even after `cd`.
        let file = file.map(|f| match std::env::current_dir() {
            Ok(cwd) if f.is_relative() => cwd.join(f),
            _ => f,
        });
        let mut h = History {
            lines: Vec::new(),
            file,
            max,
        };
        if let Some(data) = h.file.as_ref().and_then(|f| std::fs::read(f).ok()) {
            for line in data.split(|&c| c == b'\n').filter(|l| !l.is_empty()) {
                h.lines.push(line.to_vec());
            }
            h.trim();
        }
        sh.history = h;
    }

    /// Drops the oldest lines beyond the limit.
    fn trim(&mut self) {
        if self.lines.len() > self.max {
            let excess = self.lines.len() - self.max;
            self.lines.drain(..excess);
        }
    }

    /// Adds a line that was entered (without its newline); blank lines and
    /// repeats of the previous line are not kept.
    pub fn add(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) || self.lines.last().is_some_and(|l| l == line)
        {
            return;
        }
        self.lines.push(line.to_vec());
        self.trim();
    }

    /// Writes the history file: the whole list into a temporary file next
    /// to it, then renamed over it. Failures are silent, as in ash: the
    /// shell is exiting and has nowhere better to report them.
    pub fn save(&self) {
        let Some(file) = &self.file else { return };
        let mut tmp = file.clone().into_os_string();
        tmp.push(format!(".tmp{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let mut data = Vec::new();
        for line in &self.lines {
            data.extend_from_slice(line);
            data.push(b'\n');
        }
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut f| f.write_all(&data));
        if written.is_ok() && std::fs::rename(&tmp, file).is_ok() {
            return;
        }
        let _ = std::fs::remove_file(&tmp);
    }
}

/// `history`: lists the remembered lines, numbered from 0 as ash does.
pub fn history(sh: &mut Shell, _argv: &[Vec<u8>]) -> Status {
    let mut text = Vec::new();
    for (i, line) in sh.history.lines.iter().enumerate() {
        text.extend_from_slice(format!("{i:4} ").as_bytes());
        text.extend_from_slice(line);
        text.push(b'\n');
    }
    let mut out = std::io::stdout().lock();
    Ok(match out.write_all(&text).and_then(|()| out.flush()) {
        Ok(()) => 0,
        Err(e) => {
            crate::common::perror("sh", "write error", &e);
            1
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_skips_blanks_and_repeats() {
        let mut h = History {
            max: 2,
            ..History::default()
        };
        h.add(b"a\n");
        h.add(b"a\n");
        h.add(b"  \n");
        h.add(b"b");
        h.add(b"c");
        assert_eq!(h.lines, vec![b"b".to_vec(), b"c".to_vec()]);
    }
}
