//! What services write: init reads each service's standard output and
//! error from a pipe, splits it into lines, stamps each line with the time,
//! keeps the newest lines of every service in a ring buffer for
//! `ibox logread`, appends them to `/var/log/<service>.log` with size-based
//! rotation, and passes them on to clients following the log.

use ibex_control::{LogLine, Response};
use ibex_plan::LogPolicy;
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

/// Bytes of lines kept in memory per service; memory stays flat however
/// much a service writes.
const RING_BYTES: usize = 16 * 1024;
/// What a kept line costs beyond its text (its time stamp, the vector and
/// the ring slot), counted against [`RING_BYTES`] so that a flood of empty
/// or one-byte lines cannot grow init's memory either.
const LINE_OVERHEAD: usize = 48;
/// A line longer than this is cut and continued on the next one, so that a
/// service writing without newlines cannot grow init's memory.
const MAX_LINE: usize = 4096;

/// The log of one service.
struct ServiceLog {
    name: String,
    policy: LogPolicy,
    ring: VecDeque<(u64, Vec<u8>)>,
    ring_bytes: usize,
    /// Bytes after the last newline, waiting for the rest of their line.
    partial: Vec<u8>,
    /// `<dir>/<name>.log`.
    path: PathBuf,
    file: Option<File>,
    file_len: u64,
    /// Set after a write error, so it is reported once, not per line.
    file_broken: bool,
    /// Its service was retired by a reload and has stopped: nothing more
    /// will be written here.
    released: bool,
}

/// A client of `logread -f`.
struct Follower {
    stream: UnixStream,
    /// Only this service's lines, or all.
    service: Option<usize>,
}

/// The logs of all services.
pub struct Logs {
    /// Also write every line to init's standard output as `service: text`
    /// (in a container, where the runtime collects stdout as the log).
    pub echo: bool,
    services: Vec<ServiceLog>,
    followers: Vec<Follower>,
    /// Where the files are (`/var/log` on a device).
    dir: PathBuf,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Logs {
    /// Logs for services named `names` with their policies, written under
    /// `dir` (`/var/log` on a device).
    pub fn new(dir: PathBuf, services: impl Iterator<Item = (String, LogPolicy)>) -> Logs {
        Logs {
            echo: false,
            services: services
                .map(|(name, policy)| ServiceLog::new(&dir, name, policy))
                .collect(),
            followers: Vec::new(),
            dir,
        }
    }

    /// Adds the log of a service added at run time, at the next index.
    pub fn push(&mut self, name: String, policy: LogPolicy) {
        self.services.push(ServiceLog::new(&self.dir, name, policy));
    }

    /// Whether [`Logs::release`] was called for service `i`.
    pub fn released(&self, i: usize) -> bool {
        self.services.get(i).is_none_or(|log| log.released)
    }

    /// Service `i` was retired and has stopped: its last partial line is
    /// written, its file closed, and its ring handed to `successor` (the
    /// service that replaces it, which has not written yet) together with
    /// the followers of its log, or dropped.
    pub fn release(&mut self, i: usize, successor: Option<usize>) {
        self.flush(i);
        let Some(log) = self.services.get_mut(i) else {
            return;
        };
        log.released = true;
        log.file = None;
        let ring = std::mem::take(&mut log.ring);
        log.ring_bytes = 0;
        log.ring.shrink_to_fit();
        let Some(to) = successor.filter(|&to| to != i && to < self.services.len()) else {
            return;
        };
        for f in &mut self.followers {
            if f.service == Some(i) {
                f.service = Some(to);
            }
        }
        let log = &mut self.services[to];
        // The older lines go first; the ring's bound still holds. The old
        // service's last partial line was completed only now, after the
        // successor may have written: its stamp is capped at the
        // successor's first line, so that a view sorted by time keeps the
        // ring's order.
        let newer = std::mem::replace(&mut log.ring, ring);
        if let Some(&(first_new, _)) = newer.front() {
            for (time, _) in log.ring.iter_mut() {
                *time = (*time).min(first_new);
            }
        }
        log.ring.extend(newer);
        log.ring_bytes = log.ring.iter().map(|(_, t)| t.len() + LINE_OVERHEAD).sum();
        while log.ring_bytes > RING_BYTES {
            match log.ring.pop_front() {
                Some((_, old)) => log.ring_bytes -= old.len() + LINE_OVERHEAD,
                None => break,
            }
        }
    }

    /// Takes bytes read from service `i`'s output pipe.
    pub fn write(&mut self, i: usize, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let Some(log) = self.services.get_mut(i) else {
                return;
            };
            let room = MAX_LINE - log.partial.len();
            match bytes.iter().take(room).position(|&b| b == b'\n') {
                Some(n) => {
                    log.partial.extend_from_slice(&bytes[..n]);
                    bytes = &bytes[n + 1..];
                }
                None if bytes.len() < room => {
                    log.partial.extend_from_slice(bytes);
                    return;
                }
                None => {
                    log.partial.extend_from_slice(&bytes[..room]);
                    bytes = &bytes[room..];
                }
            }
            let line = std::mem::take(&mut log.partial);
            self.line(i, line);
        }
    }

    /// Service `i`'s output pipe has no more writers for now: a last line
    /// without a newline is complete.
    pub fn flush(&mut self, i: usize) {
        if let Some(log) = self.services.get_mut(i) {
            if !log.partial.is_empty() {
                let line = std::mem::take(&mut log.partial);
                self.line(i, line);
            }
        }
    }

    fn line(&mut self, i: usize, text: Vec<u8>) {
        let time = now_ms();
        let Some(log) = self.services.get_mut(i) else {
            return;
        };
        log.append_to_file(time, &text);
        if self.echo {
            let mut record = Vec::with_capacity(log.name.len() + text.len() + 3);
            record.extend_from_slice(log.name.as_bytes());
            record.extend_from_slice(b": ");
            record.extend_from_slice(&text);
            record.push(b'\n');
            // Nobody to tell if stdout is gone; the file and ring still have it.
            let _ = std::io::stdout().lock().write_all(&record);
        }
        if !self.followers.is_empty() {
            let frame = ibex_control::encode(&Response::Log(vec![LogLine {
                time_ms: time,
                service: log.name.clone(),
                text: text.clone(),
            }]));
            // A follower that cannot take the line within its write timeout
            // has gone away or is stuck: it is dropped, not waited for.
            self.followers.retain_mut(|f| {
                f.service.is_some_and(|s| s != i) || f.stream.write_all(&frame).is_ok()
            });
        }
        log.ring_bytes += text.len() + LINE_OVERHEAD;
        log.ring.push_back((time, text));
        while log.ring_bytes > RING_BYTES {
            match log.ring.pop_front() {
                Some((_, old)) => log.ring_bytes -= old.len() + LINE_OVERHEAD,
                None => break,
            }
        }
        // Dropped lines leave the ring's buffer at its high-water mark;
        // give back what a burst left behind.
        if log.ring.capacity() > 2 * log.ring.len() + 64 {
            log.ring.shrink_to_fit();
        }
    }

    /// The ring buffer of service `i`, or of every service merged by time.
    pub fn snapshot(&self, service: Option<usize>) -> Vec<LogLine> {
        let mut lines: Vec<LogLine> = self
            .services
            .iter()
            .enumerate()
            .filter(|(i, _)| service.is_none_or(|s| s == *i))
            .flat_map(|(_, log)| {
                log.ring.iter().map(|(time, text)| LogLine {
                    time_ms: *time,
                    service: log.name.clone(),
                    text: text.clone(),
                })
            })
            .collect();
        // Stable: lines of one service stay in the order they were written.
        ibex_sort::sort_by_key(&mut lines, |l| l.time_ms);
        lines
    }

    /// Adds a client that receives every new line of `service` (or all).
    pub fn follow(&mut self, stream: UnixStream, service: Option<usize>) {
        self.followers.push(Follower { stream, service });
    }

    /// The followers' sockets, to watch for hangups.
    pub fn follower_streams(&self) -> impl Iterator<Item = &UnixStream> {
        self.followers.iter().map(|f| &f.stream)
    }

    /// Drops the followers at these positions (they hung up).
    pub fn drop_followers(&mut self, gone: &[usize]) {
        let mut at = 0;
        self.followers.retain(|_| {
            at += 1;
            !gone.contains(&(at - 1))
        });
    }
}

impl ServiceLog {
    fn new(dir: &std::path::Path, name: String, policy: LogPolicy) -> ServiceLog {
        ServiceLog {
            path: dir.join(format!("{name}.log")),
            name,
            policy,
            ring: VecDeque::new(),
            ring_bytes: 0,
            partial: Vec::new(),
            file: None,
            file_len: 0,
            file_broken: false,
            released: false,
        }
    }

    /// Appends one stamped line to `/var/log/<name>.log`, rotating first
    /// if the line would take the file past its size.
    fn append_to_file(&mut self, time: u64, text: &[u8]) {
        if self.file_broken {
            return;
        }
        let mut record = Vec::with_capacity(text.len() + 26);
        record.extend_from_slice(ibex_control::format_time(time).as_bytes());
        record.push(b' ');
        record.extend_from_slice(text);
        record.push(b'\n');
        if let Err(e) = self.write_record(&record) {
            crate::log!(
                "{}: {e}; keeping {} logs in memory only",
                self.path.display(),
                self.name
            );
            self.file = None;
            self.file_broken = true;
        }
    }

    /// Opens the file if needed, rotates it first if the record would take
    /// it past its size, and appends the record.
    fn write_record(&mut self, record: &[u8]) -> std::io::Result<()> {
        let len = record.len() as u64;
        if self.file.is_none() {
            self.open()?;
        }
        if self.file_len > 0 && self.file_len + len > u64::from(self.policy.rotate_bytes) {
            self.file = None;
            rotate(&self.path, self.policy.keep);
            self.open()?;
        }
        if let Some(f) = &mut self.file {
            f.write_all(record)?;
            self.file_len += len;
        }
        Ok(())
    }

    /// Opens (creating) the log file for appending and notes its length.
    fn open(&mut self) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        self.file_len = f.metadata().map_or(0, |m| m.len());
        self.file = Some(f);
        Ok(())
    }
}

/// `name.log` becomes `name.log.1`, `.1` becomes `.2`, ... and the file
/// past `keep` is removed; with `keep` 0 the log simply starts over.
fn rotate(path: &std::path::Path, keep: u8) {
    let numbered = |n: u8| {
        let mut p = path.as_os_str().to_owned();
        p.push(format!(".{n}"));
        PathBuf::from(p)
    };
    if keep == 0 {
        let _ = std::fs::remove_file(path);
        return;
    }
    let _ = std::fs::remove_file(numbered(keep));
    for n in (1..keep).rev() {
        let _ = std::fs::rename(numbered(n), numbered(n + 1));
    }
    let _ = std::fs::rename(path, numbered(1));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logs(dir: &std::path::Path, rotate_bytes: u32, keep: u8) -> Logs {
        Logs::new(
            dir.to_path_buf(),
            [
                ("a".to_string(), LogPolicy { rotate_bytes, keep }),
                ("b".to_string(), LogPolicy::default()),
            ]
            .into_iter(),
        )
    }

    fn tempdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ibex-logs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn splits_lines_across_writes_and_caps_long_ones() {
        let d = tempdir("split");
        let mut l = logs(&d, 1 << 20, 1);
        l.write(0, b"one\ntw");
        l.write(0, b"o\n");
        l.write(1, b"other\n");
        l.write(0, &vec![b'x'; MAX_LINE + 10]);
        l.flush(0);
        let texts: Vec<Vec<u8>> = l.snapshot(Some(0)).into_iter().map(|l| l.text).collect();
        assert_eq!(texts[..2], [b"one".to_vec(), b"two".to_vec()]);
        assert_eq!(texts[2].len(), MAX_LINE);
        assert_eq!(texts[3].len(), 10);
        assert_eq!(l.snapshot(None).len(), 5);
        let file = std::fs::read_to_string(d.join("a.log")).unwrap();
        assert!(file.lines().next().unwrap().ends_with("Z one"), "{file}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_released_ring_goes_to_the_successor() {
        let d = tempdir("release");
        let mut l = logs(&d, 1 << 20, 1);
        l.write(0, b"old\nunfinished");
        l.push("a".into(), LogPolicy::default());
        l.write(2, b"new\n");
        // "unfinished" is completed at release, later than "new" was written.
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert!(!l.released(0));
        l.release(0, Some(2));
        assert!(l.released(0));
        assert!(l.snapshot(Some(0)).is_empty());
        let texts: Vec<Vec<u8>> = l.snapshot(Some(2)).into_iter().map(|l| l.text).collect();
        assert_eq!(texts, [&b"old"[..], b"unfinished", b"new"]);
        let file = std::fs::read_to_string(d.join("a.log")).unwrap();
        assert_eq!(file.lines().count(), 3, "{file}");
        l.release(1, None);
        assert!(l.snapshot(None).iter().all(|l| l.service == "a"));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn ring_stays_bounded() {
        let d = tempdir("ring");
        let mut l = logs(&d, 1 << 30, 0);
        for _ in 0..10_000 {
            l.write(0, b"0123456789012345678901234567890123456789\n");
        }
        let kept: usize = l.snapshot(Some(0)).iter().map(|l| l.text.len()).sum();
        assert!(kept <= RING_BYTES && kept > RING_BYTES / 3, "{kept}");
        // Empty lines count too: the number kept is bounded.
        for _ in 0..100_000 {
            l.write(0, b"\n");
        }
        let lines = l.snapshot(Some(0)).len();
        assert!(lines <= RING_BYTES / LINE_OVERHEAD, "{lines}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn rotation_keeps_the_configured_number_of_files() {
        let d = tempdir("rotate");
        let mut l = logs(&d, 1024, 2);
        for n in 0..200 {
            l.write(0, format!("line {n:04} {}\n", "x".repeat(40)).as_bytes());
        }
        let mut names: Vec<String> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a.log", "a.log.1", "a.log.2"]);
        for n in &names {
            let len = std::fs::metadata(d.join(n)).unwrap().len();
            assert!(len <= 1024, "{n}: {len}");
        }
        let newest = std::fs::read_to_string(d.join("a.log")).unwrap();
        assert!(newest.contains("line 0199"));
        let _ = std::fs::remove_dir_all(&d);
    }
}
