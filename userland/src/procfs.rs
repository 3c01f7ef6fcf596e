//! Reading processes from /proc: the one parser of /proc/PID/stat, status
//! and cmdline that ps, pidof, pgrep, pkill and killall share, plus the
//! matching rules BusyBox's process applets use.

use std::os::unix::ffi::OsStringExt;

/// What the process applets need to know of one process.
#[derive(Debug, Clone, Default)]
pub struct Process {
    /// Process id.
    pub pid: i32,
    /// The kernel's command name (`comm`, at most 15 bytes).
    pub comm: Vec<u8>,
    /// State letter (`R`, `S`, `Z`, ...).
    pub state: String,
    /// Parent process id.
    pub ppid: i32,
    /// Session id.
    pub session: i32,
    /// Nice value.
    pub nice: i64,
    /// Start time in clock ticks after boot, to tell newest from oldest.
    pub start_time: u64,
    /// Virtual memory size in kilobytes.
    pub vsz_kb: u64,
    /// Real user id.
    pub uid: u32,
    /// Effective user id.
    pub euid: u32,
    /// The command line, NUL-separated (empty for kernel threads and zombies).
    pub cmdline: Vec<u8>,
    /// Where /proc/PID/exe points, if we may read it.
    pub exe: Option<Vec<u8>>,
    /// Process group id.
    pub pgid: i32,
    /// Controlling terminal as the kernel's device number (0: none).
    pub tty_nr: u64,
    /// User plus system CPU time in clock ticks.
    pub cpu_ticks: u64,
    /// Resident set size in kilobytes.
    pub rss_kb: u64,
    /// Real group id.
    pub gid: u32,
}

impl Process {
    /// Reads /proc/PID; `None` if the process is gone (it may exit while we
    /// read, which is normal).
    pub fn read(pid: i32) -> Option<Process> {
        let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
        let (comm, fields) = split_stat(&stat)?;
        let status = std::fs::read(format!("/proc/{pid}/status")).unwrap_or_default();
        let ids = |key: &[u8]| -> (u32, u32) {
            let line = status
                .split(|&b| b == b'\n')
                .find_map(|l| l.strip_prefix(key))
                .unwrap_or_default();
            let mut it = String::from_utf8_lossy(line)
                .split_whitespace()
                .map(|v| v.parse().unwrap_or(0))
                .collect::<Vec<u32>>()
                .into_iter();
            let real = it.next().unwrap_or(0);
            (real, it.next().unwrap_or(real))
        };
        let (uid, euid) = ids(b"Uid:");
        let (gid, _) = ids(b"Gid:");
        // SAFETY: sysconf only reads a system constant.
        let page_kb =
            (unsafe { nix::libc::sysconf(nix::libc::_SC_PAGESIZE) }).max(1024) as u64 / 1024;
        Some(Process {
            pid,
            comm: comm.to_vec(),
            state: fields.first()?.clone(),
            ppid: field(&fields, 4),
            session: field(&fields, 6),
            nice: field(&fields, 19),
            start_time: field(&fields, 22),
            vsz_kb: field::<u64>(&fields, 23) / 1024,
            uid,
            euid,
            cmdline: std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default(),
            exe: std::fs::read_link(format!("/proc/{pid}/exe"))
                .ok()
                .map(|p| p.into_os_string().into_vec()),
            pgid: field(&fields, 5),
            tty_nr: field(&fields, 7),
            cpu_ticks: field::<u64>(&fields, 14) + field::<u64>(&fields, 15),
            rss_kb: field::<u64>(&fields, 24) * page_kb,
            gid,
        })
    }

    /// The command line with NULs as spaces, or `[comm]` for kernel threads
    /// and zombies, whose cmdline is empty (as ps shows it).
    pub fn command(&self) -> Vec<u8> {
        if self.cmdline.is_empty() {
            let mut s = b"[".to_vec();
            s.extend_from_slice(&self.comm);
            s.push(b']');
            return s;
        }
        self.args_joined()
    }

    /// The command line with NULs as spaces and no trailing NUL; the comm
    /// when the command line is empty (what `pgrep -f` matches).
    pub fn args_joined(&self) -> Vec<u8> {
        if self.cmdline.is_empty() {
            return self.comm.clone();
        }
        let trimmed = self.cmdline.strip_suffix(b"\0").unwrap_or(&self.cmdline);
        trimmed
            .iter()
            .map(|&b| if b == 0 { b' ' } else { b })
            .collect()
    }

    /// `argv[0]` as the process set it (empty for kernel threads).
    pub fn argv0(&self) -> &[u8] {
        self.cmdline.split(|&b| b == 0).next().unwrap_or_default()
    }

    /// Whether `name` names this process the way BusyBox's pidof and
    /// killall decide it: the comm (which the kernel cuts to 15 bytes, so a
    /// longer name needs the script operand `argv[1]` to agree, as for
    /// `sh long_script_name.sh`), or the base name of `argv[0]`, or the
    /// target of /proc/PID/exe (whole when `name` is an absolute path).
    pub fn is_named(&self, name: &[u8]) -> bool {
        if self.comm_matches(name) {
            return true;
        }
        if !self.cmdline.is_empty() && basename(self.argv0()) == name {
            return true;
        }
        match &self.exe {
            Some(exe) if name.starts_with(b"/") => exe.as_slice() == name,
            Some(exe) => basename(exe) == name,
            None => false,
        }
    }

    /// BusyBox's comm_match: the first 15 bytes agree, and when the comm
    /// was cut there, `argv[1]`'s base name is the whole name.
    fn comm_matches(&self, name: &[u8]) -> bool {
        const TASK_COMM: usize = 15;
        let prefix = &name[..name.len().min(TASK_COMM)];
        if self.comm != prefix {
            return false;
        }
        if self.comm.len() < TASK_COMM {
            return true;
        }
        let mut args = self.cmdline.split(|&b| b == 0);
        args.next();
        matches!(args.next(), Some(arg1) if basename(arg1) == name)
    }
}

/// The part of `path` after its last `/`.
pub fn basename(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// The ids of all processes now in /proc, in increasing order.
pub fn pids() -> std::io::Result<Vec<i32>> {
    let mut pids: Vec<i32> = std::fs::read_dir("/proc")?
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    ibex_sort::sort(&mut pids);
    Ok(pids)
}

/// All processes that can still be read, by increasing pid.
pub fn processes() -> std::io::Result<Vec<Process>> {
    Ok(pids()?.into_iter().filter_map(Process::read).collect())
}

/// Splits /proc/PID/stat into the command name and the fields after it,
/// where `fields[0]` is field 3 (the state). The name is in parentheses and
/// may itself contain `) `, so it ends at the last `)`.
pub fn split_stat(stat: &[u8]) -> Option<(&[u8], Vec<String>)> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let comm = stat.get(open + 1..close)?;
    let rest = String::from_utf8_lossy(stat.get(close + 1..)?);
    let fields = rest.split_whitespace().map(str::to_string).collect();
    Some((comm, fields))
}

/// Field `n` of /proc/PID/stat (numbered from 1 as in proc(5), so `n >= 3`)
/// as a number; 0 if missing.
pub fn field<T: std::str::FromStr + Default>(fields: &[String], n: usize) -> T {
    fields
        .get(n.saturating_sub(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

/// Where a system-wide /proc file is read from: `/proc/NAME`, or
/// `$IBOX_PROC_ROOT/NAME` so that tests of free and uptime can feed in
/// fixed numbers.
pub fn system_file(name: &str) -> std::path::PathBuf {
    match std::env::var_os("IBOX_PROC_ROOT") {
        Some(root) if !root.is_empty() => std::path::Path::new(&root).join(name),
        _ => std::path::Path::new("/proc").join(name),
    }
}

/// Our own process id, which pidof, pkill and killall leave out.
pub fn own_pid() -> i32 {
    std::process::id() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_parentheses_in_the_name() {
        let (comm, fields) = split_stat(b"42 (a) b) S 1 42 42 0").unwrap();
        assert_eq!(comm, b"a) b");
        assert_eq!(fields[0], "S");
        assert_eq!(field::<u32>(&fields, 4), 1);
        assert_eq!(field::<u32>(&fields, 40), 0);
    }

    #[test]
    fn names_and_commands() {
        let p = Process {
            comm: b"sh".to_vec(),
            cmdline: b"/bin/sh\0/etc/init.d/foo\0start\0".to_vec(),
            ..Process::default()
        };
        assert!(p.is_named(b"sh"));
        assert!(!p.is_named(b"foo"));
        assert!(!p.is_named(b"start"));
        let long = Process {
            comm: b"a_long_script_n".to_vec(),
            cmdline: b"sh\0/x/a_long_script_name.sh\0".to_vec(),
            ..Process::default()
        };
        assert!(long.is_named(b"a_long_script_name.sh"));
        assert!(!long.is_named(b"a_long_script_nX"));
        assert_eq!(p.args_joined(), b"/bin/sh /etc/init.d/foo start");
        let k = Process {
            comm: b"kthreadd".to_vec(),
            ..Process::default()
        };
        assert_eq!(k.command(), b"[kthreadd]");
        assert_eq!(k.args_joined(), b"kthreadd");
        assert!(k.is_named(b"kthreadd"));
        assert_eq!(basename(b"/a/b"), b"b");
    }
}
