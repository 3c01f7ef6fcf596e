//! Runs the built `ibox` on the host (it is a static x86_64 binary) and
//! checks what the first applets print and return.

use std::path::PathBuf;
use std::process::{Command, Output};

fn ibox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ibox"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ibox-applets-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn dispatch_list_install_and_unknown_applets() {
    let list = stdout(&ibox(&["--list"]));
    for name in [
        "cat", "echo", "ls", "sh", "poweroff", "reboot", "halt", "true",
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
    assert!(ibox(&["--install", dir.to_str().unwrap()]).status.success());
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
fn cat_files_stdin_numbers_and_errors() {
    let dir = scratch("cat");
    let a = dir.join("a file");
    std::fs::write(&a, "one\n\ntwo").unwrap();
    let o = ibox(&["cat", a.to_str().unwrap(), "/no/such", a.to_str().unwrap()]);
    assert_eq!(stdout(&o), "one\n\ntwoone\n\ntwo");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "cat: can't open '/no/such': No such file or directory\n"
    );
    let o = ibox(&["cat", "-n", a.to_str().unwrap()]);
    assert_eq!(stdout(&o), "     1\tone\n     2\t\n     3\ttwo");
    let o = ibox(&["cat", "-b", a.to_str().unwrap()]);
    assert_eq!(stdout(&o), "     1\tone\n\n     2\ttwo");
    let empty = dir.join("empty");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(stdout(&ibox(&["cat", empty.to_str().unwrap()])), "");
    let o = ibox(&["cat", "-z"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("cat: invalid option -- 'z'"));
}

#[test]
fn ls_sorts_filters_and_formats() {
    let dir = scratch("ls");
    for name in ["b", "a b", ".hidden", "C"] {
        std::fs::write(dir.join(name), "12345").unwrap();
    }
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::os::unix::fs::symlink("b", dir.join("link")).unwrap();
    let d = dir.to_str().unwrap();
    assert_eq!(stdout(&ibox(&["ls", d])), "C\na b\nb\nlink\nsub\n");
    assert_eq!(
        stdout(&ibox(&["ls", "-A", d])),
        ".hidden\nC\na b\nb\nlink\nsub\n"
    );
    assert!(stdout(&ibox(&["ls", "-a", d])).starts_with(".\n..\n.hidden\n"));
    assert_eq!(stdout(&ibox(&["ls", "-rF", d])), "sub/\nlink@\nb\na b\nC\n");
    let long = stdout(&ibox(&["ls", "-l", d]));
    let line = long.lines().find(|l| l.ends_with(" b")).unwrap();
    assert!(line.starts_with("-rw-r--r--"), "{line}");
    assert!(line.contains(" 5 "), "{line}");
    assert!(long
        .lines()
        .any(|l| l.starts_with('l') && l.ends_with("link -> b")));
    assert!(long
        .lines()
        .any(|l| l.starts_with('d') && l.ends_with(" sub")));
    let o = ibox(&["ls", "-d", d, "/no/such"]);
    assert_eq!(stdout(&o), format!("{d}\n"));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("ls: cannot access '/no/such': No such file or directory"));
}

#[test]
fn mkdir_parents_mode_and_errors() {
    let dir = scratch("mkdir");
    let deep = dir.join("x/y/z");
    assert!(ibox(&["mkdir", "-p", "-m", "700", deep.to_str().unwrap()])
        .status
        .success());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&deep).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert!(ibox(&["mkdir", "-p", deep.to_str().unwrap()])
        .status
        .success());
    let o = ibox(&["mkdir", deep.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("File exists"));
    assert_eq!(ibox(&["mkdir"]).status.code(), Some(1));
    assert_eq!(ibox(&["mkdir", "-m", "9", "q"]).status.code(), Some(1));
}

#[test]
fn uname_ps_kill_sleep() {
    let s = stdout(&ibox(&["uname"]));
    assert_eq!(s, "Linux\n");
    let a = stdout(&ibox(&["uname", "-a"]));
    assert!(
        a.starts_with("Linux ") && a.trim_end().ends_with("GNU/Linux"),
        "{a}"
    );
    assert_eq!(
        stdout(&ibox(&["uname", "-m"])).trim(),
        std::env::consts::ARCH
    );

    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    let ps = stdout(&ibox(&["ps"]));
    assert!(ps.starts_with("  PID USER       VSZ STAT COMMAND\n"));
    let pid = child.id().to_string();
    assert!(
        ps.lines()
            .any(|l| l.split_whitespace().next() == Some(pid.as_str()) && l.ends_with("sleep 30")),
        "{ps}"
    );
    assert!(ibox(&["kill", "-KILL", &pid]).status.success());
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(9));
    let o = ibox(&["kill", "-s", "NOPE", "1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("bad signal name 'NOPE'"));
    assert_eq!(stdout(&ibox(&["kill", "-l", "15"])), "TERM\n");
    assert_eq!(stdout(&ibox(&["kill", "-l", "137"])), "KILL\n");
    let o = ibox(&["kill", "999999999"]);
    assert_eq!(o.status.code(), Some(1));

    let t = std::time::Instant::now();
    assert!(ibox(&["sleep", "0.2"]).status.success());
    assert!(t.elapsed().as_millis() >= 200);
    assert_eq!(ibox(&["sleep", "x"]).status.code(), Some(1));
    assert_eq!(ibox(&["sleep"]).status.code(), Some(1));
}

#[test]
fn mount_lists_and_refuses_bad_arguments() {
    let o = ibox(&["mount"]);
    assert!(o.status.success());
    assert!(stdout(&o)
        .lines()
        .any(|l| l.contains(" on /proc type proc (")));
    assert_eq!(ibox(&["mount", "a", "b", "c"]).status.code(), Some(1));
    assert_eq!(ibox(&["umount"]).status.code(), Some(1));
    let o = ibox(&["umount", "/no/such/mountpoint"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("umount: can't unmount /no/such/mountpoint"));
    // Arguments are checked before anything is signalled.
    assert_eq!(ibox(&["poweroff", "extra"]).status.code(), Some(1));
    assert_eq!(ibox(&["reboot", "-d", "x"]).status.code(), Some(1));
    assert_eq!(ibox(&["halt", "-q"]).status.code(), Some(1));
}
