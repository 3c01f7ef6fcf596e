//! `ps`: list processes from /proc, in BusyBox's classic format with the
//! process state, so that zombies (`Z`) show; `-f` and `-e` give procps'
//! full (`UID PID PPID C STIME TTY TIME CMD`) and short formats.

use crate::accounts::id_names;
use crate::calendar::{civil_from_days, MONTH_ABBR};
use crate::common::{getopt, Exit};
use crate::procfs;
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;

pub const USAGE: &str = "[-efwA] [-o COL1,COL2=HEADER]\n\n\
Show list of processes (all of them)\n\n\
\t-f\tFull format: UID PID PPID C STIME TTY TIME CMD\n\
\t-e,-A\tPID TTY TIME CMD (unless -f)\n\
\t-w\tIgnored: lines are never cut\n\
\t-o COL1,COL2=HEADER\tSelect columns for display:\n\
\t\tpid ppid pgid sid user group comm args vsz rss stat tty time etime nice";

/// The header of BusyBox's default (non-desktop) format.
const HEADER: &str = "  PID USER       VSZ STAT COMMAND\n";

/// Entry point: one line per process, sorted by pid.
pub fn main(args: Vec<OsString>) -> i32 {
    let parsed = match getopt(&args, "efwAao:", &[], true) {
        Ok(p) => p,
        Err(Exit(code)) => return code,
    };
    let mut columns = Vec::new();
    for (o, v) in &parsed.opts {
        if let (&'o', Some(v)) = (o, v) {
            match parse_columns(&crate::common::lossy(v)) {
                Ok(mut c) => columns.append(&mut c),
                Err(bad) => {
                    crate::common::error_msg(
                        "ps",
                        &format!(
                            "bad -o argument '{bad}', supported arguments: {}",
                            FIELDS.iter().map(|f| f.0).collect::<Vec<_>>().join(",")
                        ),
                    );
                    return 1;
                }
            }
        }
    }
    let users = user_names();
    let procs = match procfs::processes() {
        Ok(procs) => procs,
        Err(e) => {
            crate::common::perror("ps", "/proc", &e);
            return 1;
        }
    };
    let text = if !columns.is_empty() {
        custom(&procs, &users, &columns)
    } else if parsed.has('f') {
        full(&procs, &users)
    } else if parsed.has('e') || parsed.has('A') {
        short(&procs)
    } else {
        classic(&procs, &users)
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(&text).and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            crate::common::perror("ps", "write error", &e);
            1
        }
    }
}

/// BusyBox's `-o` fields: name, default header, width, right-aligned.
const FIELDS: &[(&str, &str, usize, bool)] = &[
    ("user", "USER", 8, false),
    ("group", "GROUP", 8, false),
    ("comm", "COMMAND", 16, false),
    ("args", "COMMAND", 256, false),
    ("pid", "PID", 5, true),
    ("ppid", "PPID", 5, true),
    ("pgid", "PGID", 5, true),
    ("sid", "SID", 5, true),
    ("nice", "NI", 5, true),
    ("tty", "TT", 6, false),
    ("vsz", "VSZ", 4, true),
    ("rss", "RSS", 4, true),
    ("stat", "STAT", 4, false),
    ("time", "TIME", 6, true),
    ("etime", "ELAPSED", 7, true),
];

/// One `-o` column: its field, header and width.
#[derive(Debug, PartialEq)]
struct Column {
    field: &'static str,
    header: String,
    width: usize,
    right: bool,
}

/// Parses `pid,comm=NAME,...`: as in BusyBox a comma ends a header too,
/// and a non-empty header sets the column width to its own length. Returns the bad field name on error.
fn parse_columns(spec: &str) -> Result<Vec<Column>, String> {
    let mut columns = Vec::new();
    let mut rest = spec;
    loop {
        let (item, more) = match rest.split_once(',') {
            Some((item, more)) => (item, Some(more)),
            None => (rest, None),
        };
        let (name, header) = match item.split_once('=') {
            Some((n, h)) => (n, Some(h)),
            None => (item, None),
        };
        let &(field, default, width, right) = FIELDS
            .iter()
            .find(|f| f.0 == name)
            .ok_or_else(|| name.to_string())?;
        columns.push(Column {
            field,
            header: header.unwrap_or(default).to_string(),
            width: match header {
                Some(h) if !h.is_empty() => h.len(),
                _ => width,
            },
            right,
        });
        match more {
            Some(m) => rest = m,
            None => return Ok(columns),
        }
    }
}

/// The `-o` table: a header line unless every header is empty, then one
/// line per process; columns are separated by a space and text is cut to
/// its width, except the last, which is never cut and padded only if numeric.
fn custom(procs: &[procfs::Process], users: &HashMap<u32, String>, columns: &[Column]) -> Vec<u8> {
    let groups = group_names();
    let (ticks, uptime) = clock();
    let mut text = Vec::new();
    let line = |cells: Vec<Vec<u8>>, text: &mut Vec<u8>| {
        for (i, (cell, col)) in cells.iter().zip(columns).enumerate() {
            if i + 1 == columns.len() {
                // The last column is never cut, and only numbers are padded.
                if col.right {
                    text.extend(std::iter::repeat_n(
                        b' ',
                        col.width.saturating_sub(cell.len()),
                    ));
                }
                text.extend_from_slice(cell);
                break;
            }
            // Text is cut to the column; a number never is (BusyBox does
            // not cut them either, though it spaces what follows oddly).
            let cell = if col.right {
                cell.as_slice()
            } else {
                &cell[..cell.len().min(col.width)]
            };
            let pad = vec![b' '; col.width.saturating_sub(cell.len())];
            if col.right {
                text.extend_from_slice(&pad);
                text.extend_from_slice(cell);
            } else {
                text.extend_from_slice(cell);
                text.extend_from_slice(&pad);
            }
            text.push(b' ');
        }
        text.push(b'\n');
    };
    if columns.iter().any(|c| !c.header.is_empty()) {
        let cells = columns
            .iter()
            .map(|c| c.header.clone().into_bytes())
            .collect();
        // Headers are left-aligned whatever the data.
        for (i, (cell, col)) in std::iter::zip::<Vec<Vec<u8>>, _>(cells, columns).enumerate() {
            text.extend_from_slice(&cell);
            if i + 1 < columns.len() {
                text.extend(std::iter::repeat_n(
                    b' ',
                    col.width.saturating_sub(cell.len()) + 1,
                ));
            }
        }
        text.push(b'\n');
    }
    for p in procs {
        let name = |map: &HashMap<u32, String>, id: u32| {
            map.get(&id)
                .cloned()
                .unwrap_or_else(|| id.to_string())
                .into_bytes()
        };
        let cells = columns
            .iter()
            .map(|c| match c.field {
                "user" => name(users, p.uid),
                "group" => name(&groups, p.gid),
                // The kernel's TASK_COMM_LEN, which BusyBox keeps to even
                // where /proc shows a longer kernel thread name.
                "comm" => p.comm[..p.comm.len().min(15)].to_vec(),
                "args" => p.command(),
                "pid" => p.pid.to_string().into_bytes(),
                "ppid" => p.ppid.to_string().into_bytes(),
                "pgid" => p.pgid.to_string().into_bytes(),
                "sid" => p.session.to_string().into_bytes(),
                "nice" => p.nice.to_string().into_bytes(),
                "tty" => tty(p.tty_nr).into_bytes(),
                "vsz" => size4(p.vsz_kb).into_bytes(),
                "rss" => size4(p.rss_kb).into_bytes(),
                // `-o stat` packs the flags (`S<`, `SWN`), unlike the classic column.
                "stat" => state(&p.state, p.vsz_kb, p.nice)
                    .replace(' ', "")
                    .into_bytes(),
                "time" => minutes(p.cpu_ticks / ticks).into_bytes(),
                _ => minutes(uptime.saturating_sub(p.start_time / ticks)).into_bytes(),
            })
            .collect();
        line(cells, &mut text);
    }
    text
}

/// Clock ticks per second and seconds since boot, for TIME and ELAPSED.
fn clock() -> (u64, u64) {
    // SAFETY: sysconf only reads a system constant.
    let ticks = unsafe { nix::libc::sysconf(nix::libc::_SC_CLK_TCK) }.max(1) as u64;
    let uptime = std::fs::read_to_string(procfs::system_file("uptime"))
        .ok()
        .and_then(|s| s.split('.').next().and_then(|v| v.trim().parse().ok()))
        .unwrap_or(0);
    (ticks, uptime)
}

/// procps' `ps -f`: UID PID PPID C STIME TTY TIME CMD, the command line
/// whole (kernel threads as `[name]`, zombies marked `<defunct>`).
fn full(procs: &[procfs::Process], users: &HashMap<u32, String>) -> Vec<u8> {
    let (ticks, uptime) = clock();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let boot = boot_time().unwrap_or(now.saturating_sub(uptime));
    let mut text = b"UID        PID  PPID  C STIME TTY          TIME CMD\n".to_vec();
    for p in procs {
        let started = p.start_time / ticks;
        let cpu = p.cpu_ticks / ticks;
        // Percent of the process's lifetime spent on a processor, whole,
        // at most 99 (procps' C).
        let c = match uptime.saturating_sub(started) {
            0 => 0,
            alive => (p.cpu_ticks * 100 / ticks / alive).min(99),
        };
        let line = format!(
            "{:<8} {:>5} {:>5} {:>2} {:<5} {:<8} {:>8} ",
            user_column(users, p.euid),
            p.pid,
            p.ppid,
            c,
            stime(boot + started, now),
            tty(p.tty_nr),
            clock_time(cpu),
        );
        text.extend_from_slice(line.as_bytes());
        text.extend_from_slice(&p.command());
        if p.state == "Z" {
            text.extend_from_slice(b" <defunct>");
        }
        text.push(b'\n');
    }
    text
}

/// procps' `ps -e`: PID TTY TIME CMD, the command being the kernel's name.
fn short(procs: &[procfs::Process]) -> Vec<u8> {
    let (ticks, _) = clock();
    let mut text = b"  PID TTY          TIME CMD\n".to_vec();
    for p in procs {
        let line = format!(
            "{:>5} {:<8} {:>8} ",
            p.pid,
            tty(p.tty_nr),
            clock_time(p.cpu_ticks / ticks)
        );
        text.extend_from_slice(line.as_bytes());
        text.extend_from_slice(&p.comm);
        if p.state == "Z" {
            text.extend_from_slice(b" <defunct>");
        }
        text.push(b'\n');
    }
    text
}

/// A user for an 8-wide column: the name, cut to 7 characters and `+` if
/// longer (as procps does), or the number when the id has no name.
fn user_column(users: &HashMap<u32, String>, uid: u32) -> String {
    match users.get(&uid) {
        Some(name) if name.chars().count() > 8 => {
            let mut cut: String = name.chars().take(7).collect();
            cut.push('+');
            cut
        }
        Some(name) => name.clone(),
        None => uid.to_string(),
    }
}

/// When the system booted, in seconds since the epoch (`btime` of
/// /proc/stat).
fn boot_time() -> Option<u64> {
    let stat = std::fs::read_to_string(procfs::system_file("stat")).ok()?;
    stat.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// A start time as procps' STIME shows it: `HH:MM` if it was today,
/// `MonDD` if this year, else the year (UTC: the image has no time zone
/// data).
fn stime(start: u64, now: u64) -> String {
    let day = |t: u64| (t / 86400) as i64;
    let (year, month, mday) = civil_from_days(day(start));
    if day(start) == day(now) {
        format!("{:02}:{:02}", start % 86400 / 3600, start % 3600 / 60)
    } else if civil_from_days(day(now)).0 == year {
        format!("{}{mday:02}", MONTH_ABBR[(month - 1) as usize])
    } else {
        year.to_string()
    }
}

/// CPU seconds as `[DD-]HH:MM:SS`, procps' TIME.
fn clock_time(secs: u64) -> String {
    let hms = format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    );
    match secs / 86400 {
        0 => hms,
        days => format!("{days}-{hms}"),
    }
}

/// Seconds as `M:SS` (minutes unbounded), BusyBox's TIME and ELAPSED.
fn minutes(secs: u64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// The terminal name from the kernel's device number: `pts/N`, `ttyN`,
/// `ttySN`, or `?` for none.
fn tty(nr: u64) -> String {
    let major = (nr >> 8) & 0xfff;
    let minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);
    match major {
        0 => "?".to_string(),
        136..=143 => format!("pts/{}", (major - 136) * 256 + minor),
        4 if minor < 64 => format!("tty{minor}"),
        4 => format!("ttyS{}", minor - 64),
        _ => format!("{major},{minor}"),
    }
}

/// A size in kilobytes in at most 4 characters (`7668`, `32m`, `1.5g`), as
/// BusyBox's `-o vsz`/`rss` show it.
fn size4(kb: u64) -> String {
    if kb < 10_000 {
        return kb.to_string();
    }
    let mut value = kb as f64 / 1024.0;
    let mut unit = 0;
    const UNITS: [char; 4] = ['m', 'g', 't', 'p'];
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1}{}", UNITS[unit])
    } else {
        format!("{value:.0}{}", UNITS[unit])
    }
}

/// The classic format: PID USER VSZ STAT COMMAND.
fn classic(procs: &[procfs::Process], users: &HashMap<u32, String>) -> Vec<u8> {
    let mut text = String::from(HEADER);
    for p in procs {
        let user = users
            .get(&p.uid)
            .cloned()
            .unwrap_or_else(|| p.uid.to_string());
        text.push_str(&format!(
            "{:>5} {:<8.8} {:>5} {:<4.4} {}\n",
            p.pid,
            user,
            vsz(p.vsz_kb),
            state(&p.state, p.vsz_kb, p.nice),
            String::from_utf8_lossy(&p.command())
        ));
    }
    text.into_bytes()
}

/// BusyBox's STAT column from the state letter, VSZ and nice value.
fn state(letter: &str, vsz_kb: u64, nice: i64) -> String {
    let mut s = letter.to_string();
    s.push(if vsz_kb == 0 && letter != "Z" {
        'W'
    } else {
        ' '
    });
    s.push(match nice {
        n if n < 0 => '<',
        0 => ' ',
        _ => 'N',
    });
    s.trim_end().to_string()
}

/// VSZ in at most 5-6 columns: kilobytes, or megabytes (`97.6m`) and up once
/// the number would not fit, like BusyBox.
fn vsz(kb: u64) -> String {
    if kb < 100_000 {
        return kb.to_string();
    }
    let mut value = kb as f64;
    let mut unit = 0;
    const UNITS: [char; 4] = ['m', 'g', 't', 'p'];
    value /= 1024.0;
    while value >= 100_000.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value < 100.0 {
        format!("{value:.1}{}", UNITS[unit])
    } else {
        format!("{value:.0}{}", UNITS[unit])
    }
}

/// uid → name from /etc/passwd; an absent file just means numbers.
fn user_names() -> HashMap<u32, String> {
    id_names("/etc/passwd")
}

/// gid → name from /etc/group.
fn group_names() -> HashMap<u32, String> {
    id_names("/etc/group")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_and_size_columns() {
        assert_eq!(state("S", 1000, 0), "S");
        assert_eq!(state("S", 0, 0), "SW");
        assert_eq!(state("I", 0, -20), "IW<");
        assert_eq!(state("S", 5, 19), "S N");
        assert_eq!(state("Z", 0, 0), "Z");
        assert_eq!(vsz(1968), "1968");
        assert_eq!(vsz(150_000), "146m");
        assert_eq!(vsz(100_000), "97.7m");
        assert_eq!(size4(7668), "7668");
        assert_eq!(size4(33_000), "32m");
        assert_eq!(tty(0), "?");
        assert_eq!(tty(136 << 8 | 3), "pts/3");
        assert_eq!(minutes(125), "2:05");
        assert_eq!(clock_time(0), "00:00:00");
        assert_eq!(clock_time(3 * 3600 + 62), "03:01:02");
        assert_eq!(clock_time(2 * 86400 + 5), "2-00:00:05");
    }

    #[test]
    fn start_times_and_users() {
        // 2026-11-24 23:10:05 UTC, and the next day.
        let t = 1_795_561_805;
        assert_eq!(stime(t, t + 60), "23:10");
        assert_eq!(stime(t, t + 3600), "Nov24");
        assert_eq!(stime(t - 23 * 86400, t), "Nov01");
        assert_eq!(stime(t - 365 * 86400, t), "2025");
        let users: HashMap<u32, String> = [(0, "root"), (100, "systemd-resolve"), (5, "eightchr")]
            .into_iter()
            .map(|(id, n)| (id, n.to_string()))
            .collect();
        assert_eq!(user_column(&users, 0), "root");
        assert_eq!(user_column(&users, 5), "eightchr");
        assert_eq!(user_column(&users, 100), "systemd+");
        assert_eq!(user_column(&users, 1234), "1234");
    }

    #[test]
    fn column_specs() {
        let c = parse_columns("pid=X,comm=").unwrap_or_default();
        assert_eq!((c[0].header.as_str(), c[0].width), ("X", 1));
        assert_eq!((c[1].header.as_str(), c[1].width), ("", 16));
        let c = parse_columns("comm=A,pid").unwrap_or_default();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].header, "A");
        assert_eq!(parse_columns("pid,bogus").err(), Some("bogus".to_string()));
    }
}
