//! Drives `ibox sh -i` through a pseudo-terminal, as a person at a
//! terminal would: line editing keys, history, Tab completion, Ctrl-C and
//! job control with Ctrl-Z, `jobs` and `fg`. Commands print text that
//! differs from what is typed (`echo a""b` prints `ab`), so that the echo
//! of the typed line is never mistaken for the command's output.

use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{find, Pty, Scratch, IBOX, TIMEOUT};

/// A fresh scratch directory for one test, with `bin/` holding the ibox
/// applets the tests run as programs.
fn scratch(name: &str) -> Scratch {
    let dir = common::scratch(name);
    std::fs::create_dir(dir.join("bin")).expect("create scratch bin");
    for applet in ["sleep", "basename"] {
        std::os::unix::fs::symlink(IBOX, dir.join("bin").join(applet)).expect("symlink");
    }
    dir
}

/// A shell running on a pseudo-terminal.
struct Session {
    pty: Pty,
    /// The terminal side, kept to look at its modes (dropped at exit, so
    /// that reads see the terminal close).
    slave: Option<OwnedFd>,
    child: Child,
}

impl std::ops::Deref for Session {
    type Target = Pty;
    fn deref(&self) -> &Pty {
        &self.pty
    }
}

impl std::ops::DerefMut for Session {
    fn deref_mut(&mut self) -> &mut Pty {
        &mut self.pty
    }
}

impl Session {
    /// Starts `ibox sh -i` in `dir` on a new 80x24 terminal, as the
    /// session leader with the terminal as its controlling terminal.
    fn start(dir: &Path, env: &[(&str, &str)]) -> Session {
        Self::start_with(dir, env, true)
    }

    /// [`Session::start`]; without `controlling`, the terminal is only
    /// the shell's standard input and output, not its controlling one.
    fn start_with(dir: &Path, env: &[(&str, &str)], controlling: bool) -> Session {
        let (pty, slave) = Pty::open(24, 80);
        let keep = slave.try_clone().expect("dup");
        let mut cmd = Command::new(IBOX);
        cmd.args(["sh", "-i"])
            .current_dir(dir)
            .env_clear()
            .env("PATH", dir.join("bin"))
            .env("HOME", dir)
            .env("TERM", "xterm")
            .env("PS1", "P> ")
            .stdin(Stdio::from(slave.try_clone().expect("dup")))
            .stdout(Stdio::from(slave.try_clone().expect("dup")))
            .stderr(Stdio::from(slave));
        for (k, v) in env {
            cmd.env(k, v);
        }
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                nix::unistd::setsid()?;
                if controlling && nix::libc::ioctl(0, nix::libc::TIOCSCTTY, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn ibox sh");
        Session {
            pty,
            slave: Some(keep),
            child,
        }
    }

    /// Types `keys` until `needle` appears: a key like Ctrl-Z reaches a
    /// command only once it has started and owns the terminal, which a
    /// slow machine may take a while to get to.
    #[track_caller]
    fn send_until(&mut self, keys: &str, needle: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            self.send(keys);
            let wait = Instant::now() + Duration::from_millis(700);
            while Instant::now() < wait {
                if let Some(i) = find(&self.out[self.seen..], needle.as_bytes()) {
                    self.seen += i + needle.len();
                    return;
                }
                self.pump();
            }
            assert!(
                Instant::now() < deadline,
                "expected {needle:?} after {keys:?}; got {:?}",
                String::from_utf8_lossy(&self.out[self.seen..])
            );
        }
    }

    /// Lets output arrive for a while (for a command to start).
    fn settle(&mut self, ms: u64) {
        let end = Instant::now() + Duration::from_millis(ms);
        while Instant::now() < end && self.pump() {}
    }

    /// Types `exit` and waits for the shell to end; returns its status.
    fn exit(mut self) -> (i32, Vec<u8>) {
        self.slave = None;
        self.send("exit\r");
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                while self.pump() && self.out.len() < 1 << 20 {
                    if Instant::now() > deadline {
                        break;
                    }
                }
                return (st.code().unwrap_or(-1), std::mem::take(&mut self.out));
            }
            self.pump();
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "shell did not exit: {:?}",
                    String::from_utf8_lossy(&self.out)
                );
            }
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Only the shell this test spawned, by its own pid.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn editing_keys() {
    let dir = scratch("edit");
    let mut s = Session::start(&dir, &[]);
    s.expect("P> ");
    // Insert in the middle after Ctrl-A and arrows.
    s.send("ech E\"\"1\x01\x1b[C\x1b[C\x1b[Co\r");
    s.expect("E1\r\n");
    s.expect("P> ");
    // Home/End in their other spellings, Ctrl-B/Ctrl-F, Backspace, Delete.
    s.send("cho H\"\"2x\x1b[1~e\x1b[4~\x7f\r");
    s.expect("H2\r\n");
    s.send("Xecho D\"\"3\x1bOH\x1b[3~\x1bOF\x02\x02\x06\x06!\r");
    s.expect("D3!\r\n");
    // Ctrl-U kills the whole line before the cursor, Ctrl-W a word,
    // Ctrl-K the rest of the line; Ctrl-Y yanks back.
    s.send("garbage words\x15echo U\"\"4\r");
    s.expect("U4\r\n");
    s.send("echo W\"\"5 junk\x17\r");
    s.expect("W5\r\n");
    s.send("echo K\"\"6 tail\x1b[D\x1b[D\x1b[D\x1b[D\x1b[D\x0b\r");
    s.expect("K6\r\n");
    s.send("Y\"\"7\x01\x0becho \x19\r");
    s.expect("Y7\r\n");
    // Ctrl-T swaps the two characters before the cursor at the end.
    s.send("echo T8\"\"\x14\x14\r");
    s.expect("T8\r\n");
    // Ctrl-D deletes under the cursor on a non-empty line.
    s.send("echo Dx\"\"9\x01\x06\x06\x06\x06\x06\x06\x04\r");
    s.expect("D9\r\n");
    let (code, _) = s.exit();
    assert_eq!(code, 0);
}

#[test]
fn long_lines_wrap() {
    let dir = scratch("wrap");
    let mut s = Session::start(&dir, &[]);
    s.expect("P> ");
    let word = "L".repeat(150);
    s.send(&format!(
        "echo {word}\"\"end\x01\x1b[C\x1b[C\x1b[C\x1b[C\x1b[C#\x05\r"
    ));
    // The `#` after `echo ` makes the rest a comment: nothing printed.
    s.send("echo \"\"after\r");
    s.expect("\r\nafter\r\n");
    assert!(find(&s.out, format!("{word}end\r\n").as_bytes()).is_none());
    // The redraw moved up across the wrapped rows.
    assert!(find(&s.out, b"\x1b[1A").is_some());
    s.exit();
}

#[test]
fn ctrl_d_and_ctrl_c_at_prompt() {
    let dir = scratch("ctrlc");
    let mut s = Session::start(&dir, &[]);
    s.expect("P> ");
    s.send("echo never\x03");
    s.expect("^C\r\n");
    s.expect("P> ");
    s.send("echo \"$?\"x\r");
    s.expect("130x\r\n");
    s.expect("P> ");
    s.send("\x04");
    let deadline = Instant::now() + TIMEOUT;
    while s.child.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "Ctrl-D did not end the shell");
        s.pump();
    }
}

#[test]
fn history_recall_and_file() {
    let dir = scratch("history");
    std::fs::write(dir.join(".ash_history"), "echo old\"\"line\n").expect("seed history");
    let mut s = Session::start(&dir, &[]);
    s.expect("P> ");
    s.send("echo fi\"\"rst\r");
    s.expect("first\r\n");
    s.send("echo se\"\"cond\r");
    s.expect("second\r\n");
    // Up twice goes back to the first line.
    s.send("\x1b[A\x1b[A\r");
    s.expect("first\r\n");
    // Up, Down returns to the (empty) new line.
    s.send("\x1b[A\x1b[Becho no\"\"thing\r");
    s.expect("nothing\r\n");
    // Lines from the file are there too.
    s.send("\x10\x10\x10\x10\x10\r");
    s.expect("oldline\r\n");
    // Ctrl-R finds the newest line containing the text typed.
    s.send("\x12se");
    s.expect("(reverse-i-search)`se': echo se\"\"cond");
    s.send("\r");
    s.expect("second\r\n");
    // Ctrl-R again goes further back; Ctrl-E leaves the search to edit.
    s.send("\x12fi\x12\x05X\r");
    s.expect("firstX\r\n");
    s.send("history\r");
    s.expect("   1 echo fi\"\"rst\r\n");
    let (code, _) = s.exit();
    assert_eq!(code, 0);
    let saved = std::fs::read_to_string(dir.join(".ash_history")).expect("history file");
    assert!(
        saved.starts_with("echo old\"\"line\necho fi\"\"rst\n"),
        "{saved}"
    );
    assert!(saved.ends_with("history\nexit\n"), "{saved}");
    // HISTFILE names another file (relative: to the starting directory).
    let mut s = Session::start(&dir, &[("HISTFILE", "hist2")]);
    s.expect("P> ");
    s.send("cd bin\r");
    s.exit();
    assert_eq!(
        std::fs::read_to_string(dir.join("hist2")).expect("HISTFILE"),
        "cd bin\nexit\n"
    );
}

#[test]
fn tab_completion() {
    let dir = scratch("complete");
    std::fs::write(dir.join("my file.txt"), "").unwrap();
    std::fs::write(dir.join("alpha1"), "").unwrap();
    std::fs::write(dir.join("alpha2"), "").unwrap();
    std::fs::create_dir(dir.join("subdir")).unwrap();
    std::fs::write(dir.join("subdir").join("inner"), "").unwrap();
    let mut s = Session::start(&dir, &[("MYVARIABLE", "vv")]);
    s.expect("P> ");
    // An applet name (also a program in PATH) completes with a space.
    s.send("basena\t/x/a\"\"b\r");
    s.expect("basename ");
    s.expect("ab\r\n");
    // A file with a space is quoted.
    s.send("echo my\t\r");
    s.expect("my\\ file.txt");
    s.expect("my file.txt\r\n");
    // Several matches: the common part, then a list on the second Tab.
    s.send("echo al\t");
    s.expect("alpha");
    s.send("\t");
    s.expect("alpha1  alpha2\r\n");
    s.send("2\r");
    s.expect("alpha2\r\n");
    // A directory gets a slash and no space; then its contents.
    s.send("echo sub\tin\t\r");
    s.expect("subdir/inner\r\n");
    // Variable names after `$`.
    s.send("echo $MYVAR\t\r");
    s.expect("$MYVARIABLE ");
    s.expect("vv\r\n");
    s.exit();
}

#[test]
fn ctrl_c_interrupts_a_command() {
    let dir = scratch("intr");
    let mut s = Session::start(&dir, &[]);
    s.expect("P> ");
    let started = Instant::now();
    s.send("echo st\"\"arted; sleep 10; echo not\"\"reached\r");
    s.expect("started\r\n");
    s.send_until("\x03", "P> ");
    assert!(started.elapsed() < Duration::from_secs(8));
    s.send("echo \"$?\"y\r");
    s.expect("130y\r\n");
    assert!(find(&s.out, b"notreached").is_none());
    // A loop that runs only builtins is interrupted too.
    s.send("echo lo\"\"op; while :; do :; done; echo not\"\"reached\r");
    s.expect("loop\r\n");
    s.send_until("\x03", "\r\n\rP> ");
    s.send("echo \"$?\"w\r");
    s.expect("130w\r\n");
    assert!(find(&s.out, b"notreached").is_none());
    let (code, _) = s.exit();
    assert_eq!(code, 0);
}

#[test]
fn ctrl_z_jobs_fg_bg() {
    let dir = scratch("jobs");
    let mut s = Session::start(&dir, &[]);
    s.expect("P> ");
    s.send("echo st\"\"arted; sleep 10\r");
    s.expect("started\r\n");
    s.send_until("\x1a", "Stopped");
    s.expect("sleep 10\r\n");
    assert!(find(&s.out, b"[1]+  Stopped                    sleep 10\r\n").is_some());
    s.expect("P> ");
    s.send("echo \"$?\"z\r");
    s.expect("148z\r\n");
    s.send("jobs\r");
    s.expect("[1]+  Stopped                    sleep 10\r\n");
    s.send("jobs -p\r");
    s.expect("\r\n");
    // fg continues it in the foreground; Ctrl-C then ends it.
    s.send("fg\r");
    s.expect("sleep 10\r\n");
    s.send_until("\x03", "P> ");
    s.send("jobs; echo no\"\"jobs\r");
    s.expect("nojobs\r\n");
    // A stopped job continued in the background, then killed by job spec.
    s.send("echo ag\"\"ain; sleep 10\r");
    s.expect("again\r\n");
    s.send_until("\x1a", "Stopped");
    s.send("bg %1\r");
    s.expect("[1] sleep 10 &\r\n");
    s.send("jobs -l\r");
    s.expect("Running");
    s.send("kill %sle; wait %1; echo \"$?\"k\r");
    s.expect("143k\r\n");
    s.send("fg %3\r");
    s.expect("fg: No such job: %3\r\n");
    // With a stopped job, the first `exit` only warns.
    s.send("echo ag\"\"ain; sleep 10\r");
    s.expect("again\r\n");
    s.send_until("\x1a", "Stopped");
    s.send("exit\r");
    s.expect("You have stopped jobs.\r\n");
    s.send("kill %1; wait %1; echo \"$?\"t\r");
    s.expect("143t\r\n");
    let (code, _) = s.exit();
    assert_eq!(code, 0);
}

#[test]
fn background_job_done_notice() {
    let dir = scratch("done");
    let mut s = Session::start(&dir, &[]);
    s.expect("P> ");
    s.send("sleep 0.2 &\r");
    s.expect("[1] ");
    s.expect("P> ");
    s.send("echo \"$!\" | (read p; [ \"$p\" -gt 0 ] && echo pid\"\"ok)\r");
    s.expect("pidok\r\n");
    // Reported before the first prompt after it ended.
    s.send_until("\r", "[1]+  Done                       sleep 0.2\r\n");
    s.send("sleep 0.1 & wait; jobs; echo wa\"\"ited\r");
    s.expect("waited\r\n");
    // A background list is one job, shown with its text; killing it by
    // job spec reaches its whole process group.
    s.send("sleep 7 | sleep 8 && sleep 9 &\r");
    s.send("jobs\r");
    s.expect("[1]+  Running                    sleep 7 | sleep 8 && sleep 9\r\n");
    // A command substitution sees the shell's jobs.
    s.send("[ \"$(jobs -p)\" = \"$!\" ] && echo sa\"\"me\r");
    s.expect("same\r\n");
    s.send("kill %%; wait; echo \"$?\"; jobs; echo ki\"\"lled\r");
    s.expect("killed\r\n");
    s.exit();
}

#[test]
fn dumb_terminal_gets_no_escapes() {
    let dir = scratch("dumb");
    let mut s = Session::start(&dir, &[("TERM", "dumb")]);
    s.expect("P> ");
    s.send("echo du\"\"mb\r");
    s.expect("dumb\r\n");
    let (code, out) = s.exit();
    assert_eq!(code, 0);
    assert!(!out.contains(&0x1b), "{:?}", String::from_utf8_lossy(&out));
    // Nor when the input is not a terminal at all.
    let o = Command::new(IBOX)
        .args(["sh", "-i"])
        .env("TERM", "xterm")
        .env("PS1", "\\w \\$ ")
        .env("HOME", dir.as_os_str())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin
                .take()
                .expect("stdin")
                .write_all(b"echo hi\x1b[A\nsleep 0.1 &\nwait\n")?;
            c.wait_with_output()
        })
        .expect("run sh");
    assert!(!o.stderr.contains(&0x1b), "{:?}", o.stderr);
    assert_eq!(o.stdout, b"hi\x1b[A\n");
    assert!(!dir.join(".ash_history").exists());
}

#[test]
fn prompt_escapes_and_continuation() {
    let dir = scratch("prompt");
    let mut s = Session::start(&dir, &[("PS1", "[\\W]\\n${X}> "), ("X", "ex")]);
    // The directory is $HOME.
    s.expect("[~]\r\n");
    s.expect("ex> ");
    s.send("if true; then\r");
    s.expect("> ");
    s.send("echo co\"\"nt; fi\r");
    s.expect("cont\r\n");
    // Ctrl-D in an unfinished command drops it with a syntax error.
    s.send("if true; then\r\x04");
    s.expect("syntax error");
    s.send("echo st\"\"ill\r");
    s.expect("still\r\n");
    s.exit();
}

#[test]
fn raw_mode_only_while_editing() {
    use nix::sys::termios::{tcgetattr, LocalFlags};
    let dir = scratch("modes");
    let mut s = Session::start(&dir, &[]);
    s.expect("P> ");
    s.settle(200);
    let canon = |s: &Session| {
        tcgetattr(s.slave.as_ref().expect("slave"))
            .expect("tcgetattr")
            .local_flags
            .contains(LocalFlags::ICANON)
    };
    assert!(!canon(&s), "raw mode at the prompt");
    // Commands run with the terminal's own modes.
    s.send("sleep 1; echo do\"\"ne\r");
    let deadline = Instant::now() + TIMEOUT;
    while !canon(&s) {
        assert!(
            Instant::now() < deadline,
            "cooked mode while a command runs"
        );
        s.settle(20);
    }
    s.expect("done\r\n");
    s.expect("P> ");
    s.settle(200);
    assert!(!canon(&s));
    // A hang-up kills the shell but gives the terminal its modes back.
    let pid = nix::unistd::Pid::from_raw(s.child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGHUP).expect("signal own child");
    let status = s.child.wait().expect("wait");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(nix::libc::SIGHUP)
    );
    assert!(canon(&s), "modes restored after SIGHUP");
}

#[test]
fn no_controlling_terminal_means_no_job_control() {
    let dir = scratch("noctty");
    let mut s = Session::start_with(&dir, &[], false);
    s.expect("sh: can't access tty; job control turned off\r\n");
    s.expect("P> ");
    // Editing still works; job control builtins say why they cannot.
    s.send("ech\x01\x05o ed\"\"it\r");
    s.expect("edit\r\n");
    s.send("fg\r");
    s.expect("fg: job control not enabled\r\n");
    s.send("sleep 0.1 & wait $!; echo \"$?\"bg\r");
    s.expect("0bg\r\n");
    s.send("true\r");
    let (code, _) = s.exit();
    assert_eq!(code, 0);
}
