//! The local log file: appended to, rotated by size under BusyBox's names
//! (FILE → FILE.0 → FILE.1 …), reopened on SIGHUP. A line that cannot be
//! written (full disk, file removed under us) is dropped: the daemon must
//! go on receiving, or every client blocked on /dev/log would stall.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Log files are readable by root and the adm group only: messages may
/// carry authentication details.
const MODE: u32 = 0o640;

/// Where lines go.
pub struct LogFile {
    /// The file's path; None for standard output (`-O -`).
    path: Option<PathBuf>,
    /// The open file, when opening it worked.
    file: Option<File>,
    /// The file's size as far as this process knows.
    size: u64,
    /// Rotate before the file would grow past this many bytes (0: never).
    limit: u64,
    /// How many rotated files to keep (0: the file is emptied instead).
    keep: u32,
}

impl LogFile {
    /// Opens `path` (`-` for standard output) for appending. A file that
    /// cannot be opened yet is tried again at the next line.
    pub fn open(path: &Path, limit: u64, keep: u32) -> LogFile {
        let mut log = LogFile {
            path: (path != Path::new("-")).then(|| path.to_path_buf()),
            file: None,
            size: 0,
            limit,
            keep,
        };
        log.reopen();
        log
    }

    /// Closes and opens the file again (SIGHUP, after an outside rotation).
    pub fn reopen(&mut self) {
        self.file = None;
        let Some(path) = &self.path else { return };
        if let Ok(f) = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(MODE)
            .open(path)
        {
            self.size = f.metadata().map(|m| m.len()).unwrap_or(0);
            self.file = Some(f);
        }
    }

    /// Appends `line`, rotating first when the file is past its limit.
    /// Errors are dropped lines, reported to the caller for counting only.
    pub fn write(&mut self, line: &[u8]) -> io::Result<()> {
        let Some(path) = self.path.clone() else {
            return io::stdout().lock().write_all(line);
        };
        if self.limit > 0 && self.size > 0 && self.size + line.len() as u64 > self.limit {
            self.rotate(&path);
        }
        if self.file.is_none() {
            self.reopen();
        }
        let Some(file) = self.file.as_mut() else {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        };
        match file.write_all(line) {
            Ok(()) => {
                self.size += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                // A partial line may be in the file now: learn its real
                // size again at the next line.
                self.file = None;
                Err(e)
            }
        }
    }

    /// FILE.(k-2) → FILE.(k-1), …, FILE → FILE.0; each rename is atomic,
    /// so a reader always finds every line in some file. Without files to
    /// keep, the file is emptied.
    fn rotate(&mut self, path: &Path) {
        let name = |i: u32| {
            let mut p = path.as_os_str().to_os_string();
            p.push(format!(".{i}"));
            PathBuf::from(p)
        };
        if self.keep == 0 {
            if let Some(f) = &self.file {
                let _ = f.set_len(0);
            }
            self.size = 0;
            return;
        }
        for i in (1..self.keep).rev() {
            // A missing older file is normal.
            let _ = std::fs::rename(name(i - 1), name(i));
        }
        let _ = std::fs::rename(path, name(0));
        self.reopen();
    }
}
