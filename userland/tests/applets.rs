//! Runs the built `ibox` on the host (it is a static x86_64 binary) and
//! checks what the applets print on stdout and stderr and how they exit.
//!
//! Nothing here mounts, unmounts or stops the host: mount, umount and
//! poweroff/reboot/halt are only run on arguments they must refuse before
//! acting, since the tests may well run as root.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

mod common;
use common::{assert_fails, ibox, ibox_stdin, is_root, scratch, stderr, stdout, Scratch};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Waits until `pid`'s state in /proc/PID/stat is `state`.
fn wait_for_state(pid: u32, state: char) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let now = stat.rsplit(") ").next().and_then(|f| f.chars().next());
        if now == Some(state) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{pid} never reached {state}: {stat}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// More than a pipe holds (64 KiB) goes through a filter and back: the
/// input is written while the output is read, so neither side blocks.
#[test]
fn large_input_through_a_filter() {
    let big: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let o = ibox_stdin(&["cat"], &big);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert!(o.stdout == big, "cat changed {} bytes of input", big.len());
}

#[test]
fn dispatch_list_install_and_unknown_applets() {
    let list = stdout(&ibox(&["--list"]));
    for name in [
        "cat", "echo", "kill", "ls", "mkdir", "mount", "ps", "sh", "sleep", "poweroff", "reboot",
        "halt", "true", "umount", "uname",
    ] {
        assert!(
            list.lines().any(|l| l == name),
            "{name} missing from --list"
        );
    }
    let o = ibox(&["no-such-applet"]);
    assert_eq!(o.status.code(), Some(127));
    assert!(stderr(&o).contains("applet not found: no-such-applet"));

    let dir = scratch("install");
    assert!(ibox(&["--install", s(&dir)]).status.success());
    let via_link = Command::new(dir.join("echo"))
        .arg("linked")
        .output()
        .unwrap();
    assert_eq!(stdout(&via_link), "linked\n");
    assert_eq!(ibox(&["false"]).status.code(), Some(1));
    assert_eq!(ibox(&["true"]).status.code(), Some(0));
}

#[test]
fn echo_options() {
    assert_eq!(stdout(&ibox(&["echo", "a", "b"])), "a b\n");
    assert_eq!(stdout(&ibox(&["echo", "-n", "a"])), "a");
    assert_eq!(
        stdout(&ibox(&["echo", "-e", "a\\tb\\101\\c", "x"])),
        "a\tbA"
    );
    assert_eq!(stdout(&ibox(&["echo", "-x"])), "-x\n");
}

#[test]
fn cat_files_stdin_and_errors() {
    let dir = scratch("cat");
    let a = dir.join("a file");
    std::fs::write(&a, "one\n\ntwo").unwrap();
    let a = s(&a);

    // A missing file is reported and skipped; the others are still copied.
    let o = ibox(&["cat", a, "/no/such", a]);
    assert_eq!(stdout(&o), "one\n\ntwoone\n\ntwo");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "cat: can't open '/no/such': No such file or directory\n"
    );

    // No operand and `-` both mean stdin; `-` may sit between files.
    assert_eq!(stdout(&ibox_stdin(&["cat"], b"in\n")), "in\n");
    let o = ibox_stdin(&["cat", a, "-", a], b"|mid|");
    assert_eq!(stdout(&o), "one\n\ntwo|mid|one\n\ntwo");
    assert!(o.status.success());

    let empty = dir.join("empty");
    std::fs::write(&empty, "").unwrap();
    let o = ibox(&["cat", s(&empty)]);
    assert_eq!((stdout(&o).as_str(), o.status.code()), ("", Some(0)));

    // A directory opens but cannot be read.
    let o = ibox(&["cat", s(&dir)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).ends_with(": Is a directory\n"), "{}", stderr(&o));

    // Larger than the copy buffer, with every byte value: copied exactly.
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 256) as u8).collect();
    let big_file = dir.join("big");
    std::fs::write(&big_file, &big).unwrap();
    let o = ibox(&["cat", "-u", s(&big_file)]);
    assert!(o.status.success());
    assert!(o.stdout == big, "big file differs");
}

#[test]
fn cat_numbers_lines() {
    let dir = scratch("cat-n");
    let a = dir.join("a");
    std::fs::write(&a, "one\n\ntwo").unwrap();
    let a = s(&a);
    let o = ibox(&["cat", "-n", a]);
    assert_eq!(stdout(&o), "     1\tone\n     2\t\n     3\ttwo");
    let o = ibox(&["cat", "-b", a]);
    assert_eq!(stdout(&o), "     1\tone\n\n     2\ttwo");
    // Numbering runs on across files; a file without a final newline joins
    // its last line to the next file's first.
    let o = ibox_stdin(&["cat", "-n", a, "-"], b"x\ny\n");
    assert_eq!(
        stdout(&o),
        "     1\tone\n     2\t\n     3\ttwox\n     4\ty\n"
    );
    // -b wins over -n, as in BusyBox and coreutils.
    let o = ibox_stdin(&["cat", "-nb"], b"\na\n");
    assert_eq!(stdout(&o), "\n     1\ta\n");

    let o = ibox(&["cat", "-z"]);
    assert_fails(&o, "cat: invalid option -- 'z'");
    assert!(stderr(&o).contains("Usage: cat "));
    let o = ibox(&["cat", "--help"]);
    assert!(o.status.success());
    assert!(stdout(&o).starts_with("Usage: cat [-nbu]"));
}

/// A directory with a mix of entries: regular files (one with a space, one
/// hidden, one executable), a subdirectory and a symbolic link.
fn ls_fixture(name: &str) -> Scratch {
    let dir = scratch(name);
    for name in ["b", "a b", ".hidden", "C"] {
        std::fs::write(dir.join(name), "12345").unwrap();
    }
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/inner"), "").unwrap();
    std::os::unix::fs::symlink("b", dir.join("link")).unwrap();
    dir
}

#[test]
fn ls_names_sorting_and_filters() {
    let dir = ls_fixture("ls");
    let d = s(&dir);
    // Byte order: upper case before lower case, space before letters.
    assert_eq!(stdout(&ibox(&["ls", d])), "C\na b\nb\nlink\nsub\n");
    assert_eq!(stdout(&ibox(&["ls", "-1", d])), "C\na b\nb\nlink\nsub\n");
    assert_eq!(
        stdout(&ibox(&["ls", "-A", d])),
        ".hidden\nC\na b\nb\nlink\nsub\n"
    );
    assert_eq!(
        stdout(&ibox(&["ls", "-a", d])),
        ".\n..\n.hidden\nC\na b\nb\nlink\nsub\n"
    );
    assert_eq!(stdout(&ibox(&["ls", "-rF", d])), "sub/\nlink@\nb\na b\nC\n");

    // -S: largest first, ties by name (file operands: a directory's size
    // depends on the filesystem).
    std::fs::write(dir.join("b"), "1234567890").unwrap();
    let files = ["a b", "b", "C"].map(|n| dir.join(n));
    let o = ibox(&["ls", "-S", s(&files[0]), s(&files[1]), s(&files[2])]);
    let names: Vec<PathBuf> = [&files[1], &files[2], &files[0]]
        .iter()
        .map(|p| p.to_path_buf())
        .collect();
    assert_eq!(
        stdout(&o),
        names
            .iter()
            .map(|p| format!("{}\n", p.display()))
            .collect::<String>()
    );
    // -t: newest first.
    let old = SystemTime::now() - Duration::from_secs(3600);
    for name in ["C", "a b", "b", "sub"] {
        let f = std::fs::File::options()
            .write(true)
            .open(dir.join(name))
            .or_else(|_| std::fs::File::open(dir.join(name)))
            .unwrap();
        f.set_modified(old).unwrap();
    }
    let newest = std::fs::File::options()
        .write(true)
        .open(dir.join("a b"))
        .unwrap();
    newest.set_modified(SystemTime::now()).unwrap();
    assert!(stdout(&ibox(&["ls", "-t", d])).starts_with("a b\n"));
    assert!(stdout(&ibox(&["ls", "-tr", d])).ends_with("a b\n"));

    // -i puts the inode number in front.
    let ino = std::fs::metadata(dir.join("C")).unwrap().ino();
    assert!(stdout(&ibox(&["ls", "-i", d])).starts_with(&format!("{ino} C\n")));

    // Off a terminal -C still makes columns, 80 wide.
    assert_eq!(
        stdout(&ibox(&["ls", "-C", d])),
        "C     a b   b     link  sub\n"
    );

    // An empty directory lists nothing.
    let empty = dir.join("sub/empty");
    std::fs::create_dir(&empty).unwrap();
    let o = ibox(&["ls", s(&empty)]);
    assert_eq!((stdout(&o).as_str(), o.status.code()), ("", Some(0)));
}

#[test]
fn ls_operands_headers_and_errors() {
    let dir = ls_fixture("ls-operands");
    let d = s(&dir);
    let sub = dir.join("sub");
    let file = dir.join("a b");

    // Files first, then each directory under a header, separated by blank lines.
    let o = ibox(&["ls", s(&sub), s(&file), d]);
    assert_eq!(
        stdout(&o),
        format!(
            "{}\n\n{d}:\nC\na b\nb\nlink\nsub\n\n{}:\ninner\n",
            file.display(),
            sub.display()
        )
    );
    // -d lists the directory itself.
    let o = ibox(&["ls", "-d", d, "/no/such"]);
    assert_eq!(stdout(&o), format!("{d}\n"));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "ls: cannot access '/no/such': No such file or directory\n"
    );
    // -R walks down, with a header for every directory.
    let o = ibox(&["ls", "-R", d]);
    assert_eq!(
        stdout(&o),
        format!("{d}:\nC\na b\nb\nlink\nsub\n\n{d}/sub:\ninner\n")
    );
    // A dangling link is still listed.
    std::os::unix::fs::symlink("/no/such/target", dir.join("dangling")).unwrap();
    let o = ibox(&["ls", s(&dir.join("dangling"))]);
    assert!(o.status.success());
    assert_eq!(stdout(&o), format!("{}\n", dir.join("dangling").display()));

    if !is_root() {
        let locked = dir.join("locked");
        std::fs::create_dir(&locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        let o = ibox(&["ls", s(&locked)]);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("Permission denied"), "{}", stderr(&o));
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    let o = ibox(&["ls", "-Z"]);
    assert_fails(&o, "ls: invalid option -- 'Z'");
}

#[test]
fn ls_long_format() {
    let dir = ls_fixture("ls-l");
    let d = s(&dir);
    std::fs::set_permissions(dir.join("C"), std::fs::Permissions::from_mode(0o4755)).unwrap();
    let long = stdout(&ibox(&["ls", "-l", d]));
    let lines: Vec<&str> = long.lines().collect();
    assert!(lines[0].starts_with("total "), "{long}");
    assert_eq!(lines.len(), 6, "{long}");

    let line = lines.iter().find(|l| l.ends_with(" b")).unwrap();
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[0], "-rw-r--r--", "{line}");
    assert_eq!(fields[1], "1");
    assert_eq!(fields[4], "5");
    // A file from now: `Mon DD HH:MM`.
    let date = &fields[5..8];
    assert_eq!(date[0].len(), 3, "{line}");
    assert!(date[1].parse::<u32>().is_ok(), "{line}");
    assert!(
        date[2].len() == 5 && date[2].as_bytes()[2] == b':',
        "{line}"
    );

    assert!(lines.iter().any(|l| l.starts_with("-rwsr-xr-x ")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("lrwxrwxrwx ") && l.ends_with(" link -> b")));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("drwx") && l.ends_with(" sub")));
    // The name keeps its space.
    assert!(lines.iter().any(|l| l.ends_with(" a b")));

    // -n: numbers instead of names.
    let uid = std::fs::metadata(dir.join("b")).unwrap().uid();
    let numeric = stdout(&ibox(&["ls", "-n", s(&dir.join("b"))]));
    assert_eq!(
        numeric.split_whitespace().nth(2),
        Some(uid.to_string().as_str()),
        "{numeric}"
    );
    // Files named as operands get no `total` line.
    assert!(numeric.starts_with('-'), "{numeric}");

    // Older than six months: `Mon DD  YYYY`.
    let old = dir.join("old");
    std::fs::write(&old, "").unwrap();
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000); // 2001-09-09
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(when)
        .unwrap();
    let o = stdout(&ibox(&["ls", "-l", s(&old)]));
    assert!(o.contains(" Sep  9  2001 "), "{o}");

    // -h: human-readable sizes.
    let big = dir.join("big");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(3 * 1024 * 1024 / 2)
        .unwrap();
    let o = stdout(&ibox(&["ls", "-lh", s(&big)]));
    assert_eq!(o.split_whitespace().nth(4), Some("1.5M"), "{o}");

    // -l shows the link itself, -F marks directories.
    let o = stdout(&ibox(&["ls", "-lF", s(&dir.join("sub"))]));
    assert!(o.starts_with("total "), "{o}");
    assert!(o.ends_with(" inner\n"), "{o}");
    let o = stdout(&ibox(&["ls", "-ldF", s(&dir.join("sub"))]));
    assert!(o.ends_with("sub/\n"), "{o}");
}

#[test]
fn mkdir_parents_mode_and_errors() {
    let dir = scratch("mkdir");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;

    let deep = dir.join("x/y/z");
    assert!(ibox(&["mkdir", "-p", "-m", "700", s(&deep)])
        .status
        .success());
    assert_eq!(mode(&deep), 0o700);
    // The mode is for the last directory only: parents get the default, so
    // even `-m 500` can be given to a path with new parents.
    assert_ne!(mode(&dir.join("x")), 0o700);
    let ro = dir.join("p/q");
    assert!(ibox(&["mkdir", "-pm500", s(&ro)]).status.success());
    assert_eq!(mode(&ro), 0o500);
    assert_ne!(mode(&dir.join("p")), 0o500);
    // -m is exact, whatever the umask; special bits included.
    let sticky = dir.join("sticky");
    assert!(ibox(&["mkdir", "-m", "1777", s(&sticky)]).status.success());
    assert_eq!(mode(&sticky), 0o1777);

    // -p: an existing directory is fine.
    let o = ibox(&["mkdir", "-p", s(&deep), s(&dir)]);
    assert!(o.status.success(), "{}", stderr(&o));

    let o = ibox(&["mkdir", s(&deep)]);
    assert_fails(
        &o,
        &format!(
            "mkdir: can't create directory '{}': File exists",
            deep.display()
        ),
    );
    // One failure does not stop the other operands.
    let missing = dir.join("none/child");
    let ok = dir.join("with space");
    let o = ibox(&["mkdir", s(&missing), s(&ok)]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "mkdir: can't create directory '{}': No such file or directory\n",
            missing.display()
        )
    );
    assert!(ok.is_dir());
    // -p does not turn a file into a directory.
    let file = dir.join("file");
    std::fs::write(&file, "").unwrap();
    assert_eq!(ibox(&["mkdir", "-p", s(&file)]).status.code(), Some(1));
    assert_eq!(
        ibox(&["mkdir", "-p", s(&file.join("sub"))]).status.code(),
        Some(1)
    );

    let v = dir.join("verbose");
    let o = ibox(&["mkdir", "-v", s(&v)]);
    assert_eq!(
        stdout(&o),
        format!("mkdir: created directory '{}'\n", v.display())
    );

    assert_fails(&ibox(&["mkdir"]), "mkdir: missing operand");
    assert_fails(&ibox(&["mkdir", "-m", "9", "q"]), "mkdir: invalid mode '9'");
    assert_fails(
        &ibox(&["mkdir", "-m"]),
        "mkdir: option requires an argument -- 'm'",
    );
    assert_fails(&ibox(&["mkdir", "-x", "q"]), "mkdir: invalid option -- 'x'");
}

#[test]
fn uname_fields() {
    let field = |opt: &str| stdout(&ibox(&["uname", opt])).trim_end().to_string();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert_eq!(stdout(&ibox(&["uname"])), "Linux\n");
    assert_eq!(field("-s"), "Linux");
    assert_eq!(field("-n"), host.trim());
    assert_eq!(field("-r"), release.trim());
    assert_eq!(field("-m"), std::env::consts::ARCH);
    assert_eq!(field("-p"), "unknown");
    assert_eq!(field("-i"), "unknown");
    assert_eq!(field("-o"), "Linux");
    // Fields come in a fixed order whatever the order of the options.
    assert_eq!(
        field("-mrs"),
        format!("Linux {} {}", release.trim(), std::env::consts::ARCH)
    );
    let all = field("-a");
    assert!(
        all.starts_with(&format!("Linux {} {} ", host.trim(), release.trim())),
        "{all}"
    );
    assert!(
        all.ends_with(&format!(" {} Linux", std::env::consts::ARCH)),
        "{all}"
    );
    assert!(!all.contains("unknown"), "{all}");

    assert_fails(&ibox(&["uname", "x"]), "uname: extra operand 'x'");
    assert_fails(&ibox(&["uname", "-q"]), "uname: invalid option -- 'q'");
}

#[test]
fn ps_lists_processes_and_zombies() {
    let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
    // Exits at once and is not waited for until after ps: a zombie.
    let mut zombie = Command::new("true").spawn().unwrap();
    wait_for_state(zombie.id(), 'Z');

    let o = ibox(&["ps"]);
    assert!(o.status.success());
    let ps = stdout(&o);
    assert!(
        ps.starts_with("  PID USER       VSZ STAT COMMAND\n"),
        "{ps}"
    );
    let line_of = |pid: u32| {
        ps.lines()
            .find(|l| l.split_whitespace().next() == Some(pid.to_string().as_str()))
            .unwrap_or_else(|| panic!("{pid} missing:\n{ps}"))
    };
    // This test process, with its full command line.
    let me = line_of(std::process::id());
    let exe = std::env::args().next().unwrap();
    assert!(me.contains(&exe), "{me}");
    // Columns as BusyBox prints them: STAT at column 21, COMMAND at 26.
    // (STAT may carry an `N` if the tests run niced.)
    let line = line_of(sleeper.id());
    assert_eq!(line.get(20..22), Some(" S"), "{line}");
    assert_eq!(line.get(25..), Some(" sleep 30"), "{line}");
    // A zombie has no command line: its name in brackets, state Z.
    let line = line_of(zombie.id());
    assert_eq!(line.get(20..22), Some(" Z"), "{line}");
    assert_eq!(line.get(25..), Some(" [true]"), "{line}");

    // procps' full format, -e or not: UID PID PPID C STIME TTY TIME CMD
    // in columns 8 5 5 2 5 8 8 wide, the command line whole, a zombie
    // marked <defunct>.
    for args in [
        &["ps", "-ef"][..],
        &["ps", "-f"],
        &["ps", "-e", "-f", "-w", "-A"],
    ] {
        let o = ibox(args);
        assert!(o.status.success());
        let ps = stdout(&o);
        assert!(
            ps.starts_with("UID        PID  PPID  C STIME TTY          TIME CMD\n"),
            "{ps}"
        );
        let line_of = |pid: u32| {
            ps.lines()
                .find(|l| l.split_whitespace().nth(1) == Some(pid.to_string().as_str()))
                .unwrap_or_else(|| panic!("{pid} missing:\n{ps}"))
                .to_string()
        };
        let me = std::process::id();
        let line = line_of(sleeper.id());
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields[2], me.to_string(), "{line}");
        assert!(fields[3].parse::<u8>().is_ok_and(|c| c < 100), "{line}");
        // Started just now: HH:MM (UTC), unless the day turned meanwhile.
        let stime = fields[4];
        assert!(
            stime.len() == 5 && (stime.as_bytes()[2] == b':' || stime.ends_with(char::is_numeric)),
            "{line}"
        );
        assert_eq!(fields[6], "00:00:00", "{line}");
        assert!(line.ends_with(" 00:00:00 sleep 30"), "{line}");
        // Columns line up while the numbers fit their widths.
        if sleeper.id() < 100_000 && me < 100_000 {
            let want = format!(" {:>5} {me:>5} ", sleeper.id());
            assert_eq!(line.get(8..21), Some(want.as_str()), "{line}");
        }
        assert!(line_of(zombie.id()).ends_with(" 00:00:00 [true] <defunct>"));
        // Kernel threads show their name in brackets.
        if let Some(kthread) = ps
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some("2"))
        {
            assert!(kthread.ends_with("[kthreadd]"), "{kthread}");
        }
    }
    // -e alone: PID TTY TIME CMD with the kernel's name of the command.
    let o = ibox(&["ps", "-e"]);
    let ps = stdout(&o);
    assert!(ps.starts_with("  PID TTY          TIME CMD\n"), "{ps}");
    let want = format!("{:>5} ", sleeper.id());
    let line = ps.lines().find(|l| l.starts_with(&want)).unwrap();
    assert!(line.ends_with(" 00:00:00 sleep"), "{line}");
    assert_eq!(line.get(14..24), Some(" 00:00:00 "), "{line}");
    let want = format!("{:>5} ", zombie.id());
    let line = ps.lines().find(|l| l.starts_with(&want)).unwrap();
    assert!(line.ends_with(" true <defunct>"), "{line}");

    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    zombie.wait().unwrap();

    assert_fails(&ibox(&["ps", "-Q"]), "ps: invalid option -- 'Q'");
    let o = ibox(&["ps", "--help"]);
    assert!(
        stdout(&o).starts_with("Usage: ps [-efwA]"),
        "{}",
        stdout(&o)
    );
}

/// Spawns `sleep 30` and returns it.
fn sleeper() -> std::process::Child {
    Command::new("sleep").arg("30").spawn().unwrap()
}

/// Waits for `child` and returns the signal that ended it.
fn killed_by(mut child: std::process::Child) -> Option<i32> {
    child.wait().unwrap().signal()
}

#[test]
fn kill_sends_signals() {
    let child = sleeper();
    let pid = child.id().to_string();
    assert!(ibox(&["kill", &pid]).status.success());
    assert_eq!(killed_by(child), Some(15));

    for args in [
        &["-9"][..],
        &["-KILL"],
        &["-SIGKILL"],
        &["-s", "kill"],
        &["-s", "9"],
        &["-n", "9"],
    ] {
        let child = sleeper();
        let pid = child.id().to_string();
        let mut argv = vec!["kill"];
        argv.extend_from_slice(args);
        argv.push(&pid);
        let o = ibox(&argv);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert_eq!(killed_by(child), Some(9), "{args:?}");
    }

    // Signal 0 only checks that the process exists.
    let child = sleeper();
    let pid = child.id().to_string();
    assert!(ibox(&["kill", "-0", &pid]).status.success());
    assert!(ibox(&["kill", "-s", "0", &pid]).status.success());
    assert!(ibox(&["kill", "-USR1", &pid]).status.success());
    assert_eq!(killed_by(child), Some(10));

    // A negative pid is a process group: `kill -- -PGID`, `kill -9 -PGID`.
    for args in [&["--"][..], &["-9"]] {
        let child = Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        let group = format!("-{}", child.id());
        let mut argv = vec!["kill"];
        argv.extend_from_slice(args);
        argv.push(&group);
        let o = ibox(&argv);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert!(killed_by(child).is_some());
    }

    // One bad pid does not stop the others.
    let child = sleeper();
    let pid = child.id().to_string();
    let o = ibox(&["kill", "999999999", "abc", &pid]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "kill: can't kill pid 999999999: No such process\nkill: invalid number 'abc'\n"
    );
    assert_eq!(killed_by(child), Some(15));
}

#[test]
fn kill_lists_and_refuses() {
    let list = stdout(&ibox(&["kill", "-l"]));
    assert!(list.starts_with(" 1) HUP\n 2) INT\n"), "{list}");
    assert!(list.contains(" 9) KILL\n") && list.contains("15) TERM\n"));
    assert_eq!(stdout(&ibox(&["kill", "-l", "15"])), "TERM\n");
    assert_eq!(stdout(&ibox(&["kill", "-l", "137"])), "KILL\n");
    assert_eq!(stdout(&ibox(&["kill", "-l", "KILL", "sigterm"])), "9\n15\n");
    assert_eq!(stdout(&ibox(&["kill", "-l", "CLD"])), "17\n");
    assert_fails(
        &ibox(&["kill", "-l", "NOPE"]),
        "kill: bad signal name 'NOPE'",
    );

    assert_fails(
        &ibox(&["kill", "-s", "NOPE", "1"]),
        "kill: bad signal name 'NOPE'",
    );
    assert_fails(&ibox(&["kill", "-99", "1"]), "kill: bad signal name '99'");
    assert_fails(&ibox(&["kill"]), "kill: no PID given");
    assert_fails(&ibox(&["kill", "-9"]), "kill: no PID given");
    assert_fails(&ibox(&["kill", "-s"]), "kill: option requires an argument");
}

#[test]
fn sleep_sums_and_refuses() {
    let timed = |args: &[&str]| {
        let t = Instant::now();
        let o = ibox(args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        t.elapsed()
    };
    assert!(timed(&["sleep", "0.2"]) >= Duration::from_millis(200));
    // Arguments add up; suffixes and exponents work.
    assert!(timed(&["sleep", "0.1", ".1s", "0.001m", "1e-1"]) >= Duration::from_millis(360));
    assert!(timed(&["sleep", "0"]) < Duration::from_secs(2));

    // `inf` sleeps until killed.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .args(["sleep", "inf"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(child.try_wait().unwrap().is_none());
    child.kill().unwrap();
    child.wait().unwrap();

    assert_fails(&ibox(&["sleep", "x"]), "sleep: invalid number 'x'");
    assert_fails(&ibox(&["sleep", "1", "2x"]), "sleep: invalid number '2x'");
    assert_fails(&ibox(&["sleep", "nan"]), "sleep: invalid number 'nan'");
    assert_fails(&ibox(&["sleep"]), "sleep: missing operand");
    let o = ibox(&["sleep", "--help"]);
    assert!(o.status.success() && stdout(&o).starts_with("Usage: sleep "));
}

#[test]
fn mount_lists_and_refuses_bad_arguments() {
    let o = ibox(&["mount"]);
    assert!(o.status.success());
    let listed = stdout(&o);
    assert!(
        listed.lines().any(|l| l.contains(" on /proc type proc (")),
        "{listed}"
    );
    let proc_mounts = std::fs::read_to_string("/proc/mounts").unwrap();
    assert_eq!(listed.lines().count(), proc_mounts.lines().count());

    assert_fails(
        &ibox(&["mount", "a", "b", "c"]),
        "mount: wrong number of arguments",
    );
    assert_fails(
        &ibox(&["mount", "-T", "/nonexistent/fstab", "-t", "tmpfs", "/mnt"]),
        "mount: can't find /mnt in /nonexistent/fstab",
    );
    assert_fails(&ibox(&["mount", "-q"]), "mount: invalid option -- 'q'");
    assert_fails(
        &ibox(&["mount", "-t"]),
        "mount: option requires an argument -- 't'",
    );
    assert_fails(
        &ibox(&["mount", "--bogus"]),
        "mount: unrecognized option '--bogus'",
    );
}

#[test]
fn umount_refuses_bad_arguments() {
    assert_fails(&ibox(&["umount"]), "umount: missing operand");
    assert_fails(
        &ibox(&["umount", "-x", "/"]),
        "umount: invalid option -- 'x'",
    );
    // Not a mount point, so nothing happens; both operands are tried.
    let o = ibox(&["umount", "/no/such/mountpoint", "/no/such/either"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "umount: can't unmount /no/such/mountpoint: No such file or directory\n\
         umount: can't unmount /no/such/either: No such file or directory\n"
    );
}

#[test]
fn poweroff_reboot_halt_refuse_bad_arguments() {
    // Each of these fails before init is signalled or reboot(2) is called.
    for name in ["poweroff", "reboot", "halt"] {
        assert_fails(
            &ibox(&[name, "extra"]),
            &format!("{name}: extra operand 'extra'"),
        );
        assert_fails(
            &ibox(&[name, "-d", "x"]),
            &format!("{name}: invalid number 'x'"),
        );
        assert_fails(
            &ibox(&[name, "-q"]),
            &format!("{name}: invalid option -- 'q'"),
        );
        assert_fails(
            &ibox(&[name, "-d"]),
            &format!("{name}: option requires an argument -- 'd'"),
        );
        let o = ibox(&[name, "--help"]);
        assert!(o.status.success());
        assert!(stdout(&o).starts_with(&format!("Usage: {name} [-d DELAY]")));
    }
}
