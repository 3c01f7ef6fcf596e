//! Drives `ibox vi FILE` through a pseudo-terminal with keystrokes, then
//! checks the bytes of the file it saved.

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use nix::pty::Winsize;

mod common;
use common::{scratch, Pty, IBOX, TIMEOUT};

/// `vi` running on a pseudo-terminal.
struct Vi {
    pty: Pty,
    /// The terminal side, kept to look at its modes.
    slave: OwnedFd,
    child: Child,
}

impl std::ops::Deref for Vi {
    type Target = Pty;
    fn deref(&self) -> &Pty {
        &self.pty
    }
}

impl std::ops::DerefMut for Vi {
    fn deref_mut(&mut self) -> &mut Pty {
        &mut self.pty
    }
}

impl Vi {
    /// Starts `ibox vi FILE` in `dir` on an 80x24 terminal and waits for
    /// its first screen (the file name on the status line).
    fn start(dir: &Path, file: &str) -> Vi {
        Self::start_args(dir, &[file])
    }

    /// Starts `ibox vi ARGS...`; waits for the last argument's name.
    fn start_args(dir: &Path, args: &[&str]) -> Vi {
        Self::start_with(dir, args, true)
    }

    /// [`Vi::start_args`]; without `session`, the terminal is only vi's
    /// standard input and output (so that it stays usable after vi ends,
    /// which a session leader's exit would hang up).
    fn start_with(dir: &Path, args: &[&str], session: bool) -> Vi {
        let file = args.last().copied().unwrap_or_default();
        let (pty, slave) = Pty::open(24, 80);
        let keep = slave.try_clone().expect("dup");
        let mut cmd = Command::new(IBOX);
        cmd.arg("vi")
            .args(args)
            .current_dir(dir)
            .env_clear()
            .env("TERM", "vt100")
            .stdin(Stdio::from(slave.try_clone().expect("dup")))
            .stdout(Stdio::from(slave.try_clone().expect("dup")))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                if !session {
                    return Ok(());
                }
                nix::unistd::setsid()?;
                if nix::libc::ioctl(0, nix::libc::TIOCSCTTY, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn ibox vi");
        let mut vi = Vi {
            pty,
            slave: keep,
            child,
        };
        let base = Path::new(file)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned());
        vi.expect(&base.unwrap_or_default());
        vi
    }

    /// Types `keys` and waits for vi to exit; its status.
    #[track_caller]
    fn finish(mut self, keys: &str) -> i32 {
        self.wait_exit(keys)
    }

    /// [`Vi::finish`], keeping the terminal open.
    #[track_caller]
    fn wait_exit(&mut self, keys: &str) -> i32 {
        self.send(keys);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                return st.code().unwrap_or(-1);
            }
            self.pump();
            assert!(
                Instant::now() < deadline,
                "vi did not exit: {:?}",
                String::from_utf8_lossy(&self.out)
            );
        }
    }
}

impl Drop for Vi {
    fn drop(&mut self) {
        // Only the editor this test spawned, by its own pid.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Writes `content` to `name` in a new scratch dir, runs vi on it with
/// `keys`, and returns the file's bytes afterwards.
#[track_caller]
fn edit(test: &str, content: &[u8], keys: &str) -> Vec<u8> {
    let dir = scratch(test);
    let f = dir.join("f.txt");
    std::fs::write(&f, content).expect("write");
    let vi = Vi::start(&dir, "f.txt");
    assert_eq!(vi.finish(keys), 0);
    std::fs::read(&f).expect("read back")
}

#[test]
fn insert_into_new_file() {
    let dir = scratch("new");
    let mut vi = Vi::start(&dir, "new.txt");
    vi.expect("[New file]");
    assert_eq!(vi.finish("ihello\rworld\x1b:wq\r"), 0);
    assert_eq!(
        std::fs::read(dir.join("new.txt")).unwrap(),
        b"hello\nworld\n"
    );
}

#[test]
fn status_line_counts() {
    let dir = scratch("status");
    std::fs::write(dir.join("s.txt"), "one\ntwo\nthree\n").unwrap();
    let mut vi = Vi::start(&dir, "s.txt");
    vi.expect("3L, 14C");
    vi.send("x:w\r");
    vi.expect("'s.txt' 3L, 13C");
    assert_eq!(vi.finish(":q\r"), 0);
    assert_eq!(
        std::fs::read(dir.join("s.txt")).unwrap(),
        b"ne\ntwo\nthree\n"
    );
}

#[test]
fn delete_put_yank() {
    assert_eq!(edit("ddp", b"1\n2\n3\n", "ddp:wq\r"), b"2\n1\n3\n");
    assert_eq!(edit("yyP", b"1\n2\n3\n", "jyyP:wq\r"), b"1\n2\n2\n3\n");
    assert_eq!(edit("yyp3", b"a\nb\n", "yy3p:wq\r"), b"a\na\na\na\nb\n");
    assert_eq!(edit("xp", b"abc\n", "xp:wq\r"), b"bac\n");
    assert_eq!(edit("dGundo", b"a\nb\n", "dG:wq\r"), b"");
    assert_eq!(edit("ywP", b"ab cd\n", "ywwP:wq\r"), b"ab ab cd\n");
    assert_eq!(edit("d$", b"ab cd\n", "ld$:wq\r"), b"a\n");
    assert_eq!(edit("de", b"ab cd\n", "de:wq\r"), b" cd\n");
    assert_eq!(edit("dj", b"1\n2\n3\n", "dj:wq\r"), b"3\n");
    assert_eq!(edit("last-dd", b"1\n2\n", "Gddp:wq\r"), b"1\n2\n");
    assert_eq!(
        edit("y-multi", b"ab\ncd\n", "lyjP:wq\r"),
        b"ab\ncd\nab\ncd\n"
    );
}

#[test]
fn counts() {
    assert_eq!(edit("3dd", b"a\nb\nc\nd\ne\n", "j3dd:wq\r"), b"a\ne\n");
    assert_eq!(edit("d3d", b"a\nb\nc\nd\ne\n", "d3d:wq\r"), b"d\ne\n");
    assert_eq!(
        edit("5j", b"1\n2\n3\n4\n5\n6\n7\n", "5jdd:wq\r"),
        b"1\n2\n3\n4\n5\n7\n"
    );
    assert_eq!(
        edit("2dw", b"one two three four\n", "2dw:wq\r"),
        b"three four\n"
    );
    assert_eq!(edit("3x", b"abcdef\n", "l3x:wq\r"), b"aef\n");
    assert_eq!(edit("3G", b"1\n2\n3\n4\n", "3Gdd:wq\r"), b"1\n2\n4\n");
    assert_eq!(edit("ggG", b"1\n2\n3\n", "Gddggdd:wq\r"), b"2\n");
}

#[test]
fn change_word_and_line() {
    assert_eq!(
        edit("cw", b"one two three\n", "wcwTWO\x1b:wq\r"),
        b"one TWO three\n"
    );
    assert_eq!(edit("cc", b"a\nb\nc\n", "jccX\x1b:wq\r"), b"a\nX\nc\n");
    assert_eq!(
        edit("C", b"hello world\n", "wCthere\x1b:wq\r"),
        b"hello there\n"
    );
    assert_eq!(edit("s", b"abc\n", "sX\x1b:wq\r"), b"Xbc\n");
    assert_eq!(edit("r", b"abc\n", "lrZ:wq\r"), b"aZc\n");
    assert_eq!(edit("R", b"abcdef\n", "lRXY\x1b:wq\r"), b"aXYdef\n");
    assert_eq!(edit("tilde", b"abC\n", "3~:wq\r"), b"ABc\n");
}

#[test]
fn motions() {
    assert_eq!(
        edit("dollar", b"one two three\n", "2wD:wq\r"),
        b"one two \n"
    );
    assert_eq!(edit("e", b"one two three\n", "wde:wq\r"), b"one  three\n");
    assert_eq!(edit("b", b"one two three\n", "$bdb:wq\r"), b"one three\n");
    assert_eq!(edit("f", b"abc(def)ghi\n", "f(d%:wq\r"), b"abcghi\n");
    assert_eq!(edit("t", b"a,b,c,d\n", "dt,;.:wq\r"), b",,c,d\n");
    assert_eq!(edit("caret", b"   abc\n", "$d^:wq\r"), b"   c\n");
    assert_eq!(
        edit("arrows", b"ab\ncd\n", "\x1b[B\x1b[Cx:wq\r"),
        b"ab\nc\n"
    );
    assert_eq!(edit("W", b"a.b c.d e\n", "dW:wq\r"), b"c.d e\n");
    assert_eq!(edit("L", b"1\n2\n3\n", "Ldd:wq\r"), b"1\n2\n");
    // L after lines went away, before the screen was redrawn.
    assert_eq!(edit("L-stale", b"1\n2\n3\n4\n5\n", "jdGLdd:wq\r"), b"");
}

#[test]
fn insert_commands() {
    assert_eq!(edit("a", b"ac\n", "ab\x1b:wq\r"), b"abc\n");
    assert_eq!(edit("A", b"ab\n", "Acd\x1b:wq\r"), b"abcd\n");
    assert_eq!(edit("I", b"  b\n", "$Ia\x1b:wq\r"), b"  ab\n");
    assert_eq!(edit("o", b"a\nc\n", "ob\x1b:wq\r"), b"a\nb\nc\n");
    assert_eq!(edit("O", b"b\n", "Oa\x1b:wq\r"), b"a\nb\n");
    assert_eq!(edit("count-i", b"\n", "3ix\x1b:wq\r"), b"xxx\n");
    assert_eq!(edit("bs", b"\n", "iabc\x7f\x7fd\x1b:wq\r"), b"ad\n");
    assert_eq!(edit("bs-join", b"a\nb\n", "ji\x7f\x1b:wq\r"), b"ab\n");
    assert_eq!(
        edit("enter-split", b"abcd\n", "lli\r\x1b:wq\r"),
        b"ab\ncd\n"
    );
    assert_eq!(edit("tab", b"\n", "i\tx\x1b:wq\r"), b"\tx\n");
}

#[test]
fn undo_redo() {
    assert_eq!(edit("u", b"abc\n", "xxu:wq\r"), b"bc\n");
    assert_eq!(edit("uu-redo", b"abc\n", "xxuu\x12:wq\r"), b"bc\n");
    assert_eq!(edit("undo-insert", b"a\n", "ox\x1bu:wq\r"), b"a\n");
    let five = b"1\n2\n3\n4\n5\n";
    assert_eq!(
        edit("multi-undo", five, "jddGxuu\x12:wq\r"),
        b"1\n3\n4\n5\n"
    );
    assert_eq!(
        edit("multi-redo", five, "Oa\x1bjjdduuu\x12\x12\x12:wq\r"),
        b"a\n1\n3\n4\n5\n"
    );
    assert_eq!(edit("undo-all", five, "ddddddu:%s/./x/\ruuu:wq\r"), five);
    assert_eq!(edit("redo-dropped", b"ab\n", "xu$X\x12:wq\r"), b"b\n");
}

#[test]
fn undo_back_to_original_is_unmodified() {
    let dir = scratch("unmod");
    std::fs::write(dir.join("u.txt"), "abc\n").unwrap();
    let vi = Vi::start(&dir, "u.txt");
    // After x and u the buffer is as read: :q needs no !.
    assert_eq!(vi.finish("xu:q\r"), 0);
}

#[test]
fn search_next_and_delete_word() {
    assert_eq!(
        edit(
            "search",
            b"foo bar\nbaz foo qux\nfoo end\n",
            "/foo\rndw:wq\r"
        ),
        b"foo bar\nbaz foo qux\nend\n"
    );
    assert_eq!(
        edit("search-re", b"x a1 b22 c\n", "/b[0-9]*\rdw:wq\r"),
        b"x a1 c\n"
    );
    assert_eq!(
        edit("search-back", b"ab ab ab\n", "$?ab\rx:wq\r"),
        b"ab ab b\n"
    );
    assert_eq!(
        edit("search-N", b"ab ab ab\n", "/ab\rNx:wq\r"),
        b"b ab ab\n"
    );
}

#[test]
fn substitute() {
    assert_eq!(
        edit("pct-s", b"aaa\nxa\nb\n", ":%s/a/b/g\r:wq\r"),
        b"bbb\nxb\nb\n"
    );
    assert_eq!(
        edit("s-first", b"aaa\naa\n", ":s/a/b/\r:wq\r"),
        b"baa\naa\n"
    );
    assert_eq!(
        edit("s-range", b"a\na\na\na\n", ":1,$s/a/c/\r:wq\r"),
        b"c\nc\nc\nc\n"
    );
    assert_eq!(
        edit("s-rel", b"a\na\na\na\na\n", "j:.,+2s/a/d/\r:wq\r"),
        b"a\nd\nd\nd\na\n"
    );
    assert_eq!(
        edit(
            "s-amp",
            b"foo bar\n",
            ":s/\\(o*\\) \\(b\\)/[&|\\2\\1]/\r:wq\r"
        ),
        b"f[oo b|boo]ar\n"
    );
}

#[test]
fn quit_modified_refused() {
    let dir = scratch("quit");
    std::fs::write(dir.join("q.txt"), "keep\n").unwrap();
    let mut vi = Vi::start(&dir, "q.txt");
    vi.send("x:q\r");
    vi.expect("No write since last change");
    assert_eq!(vi.finish(":q!\r"), 0);
    assert_eq!(std::fs::read(dir.join("q.txt")).unwrap(), b"keep\n");
}

#[test]
fn join_lines() {
    assert_eq!(edit("J", b"a\n  b\nc\n", "J:wq\r"), b"a b\nc\n");
    assert_eq!(edit("3J", b"a\nb\nc\nd\n", "3J:wq\r"), b"a b c\nd\n");
}

#[test]
fn dot_repeats() {
    assert_eq!(edit("dot-dw", b"a b c d\n", "dw..:wq\r"), b"d\n");
    assert_eq!(edit("dot-insert", b"1\n2\n", "A!\x1bj.:wq\r"), b"1!\n2!\n");
    assert_eq!(
        edit("dot-count", b"1\n2\n3\n4\n5\n", "dd2.:wq\r"),
        b"4\n5\n"
    );
}

#[test]
fn zz_and_x_write() {
    assert_eq!(edit("ZZ", b"abc\n", "xZZ"), b"bc\n");
    assert_eq!(edit("x-cmd", b"abc\n", "x:x\r"), b"bc\n");
}

#[test]
fn goto_line_and_delete_range() {
    assert_eq!(edit("goto", b"1\n2\n3\n", ":2\rdd:wq\r"), b"1\n3\n");
    assert_eq!(edit("d-range", b"1\n2\n3\n4\n", ":2,3d\r:wq\r"), b"1\n4\n");
}

#[test]
fn read_and_edit_other_files() {
    let dir = scratch("read");
    std::fs::write(dir.join("a.txt"), "a\n").unwrap();
    std::fs::write(dir.join("b.txt"), "b1\nb2\n").unwrap();
    let vi = Vi::start(&dir, "a.txt");
    assert_eq!(vi.finish(":r b.txt\r:wq\r"), 0);
    assert_eq!(std::fs::read(dir.join("a.txt")).unwrap(), b"a\nb1\nb2\n");
    let vi = Vi::start(&dir, "a.txt");
    assert_eq!(vi.finish(":e b.txt\rdd:wq\r"), 0);
    assert_eq!(std::fs::read(dir.join("b.txt")).unwrap(), b"b2\n");
    let vi = Vi::start(&dir, "a.txt");
    assert_eq!(vi.finish("dd:w c.txt\r:q!\r"), 0);
    assert_eq!(std::fs::read(dir.join("c.txt")).unwrap(), b"b1\nb2\n");
    assert_eq!(std::fs::read(dir.join("a.txt")).unwrap(), b"a\nb1\nb2\n");
}

#[test]
fn binary_file_survives() {
    let mut data: Vec<u8> = (0..=255u8).collect();
    data.extend_from_slice(b"\0\0\r\n\x1b[2J\xff");
    assert_eq!(edit("binary", &data, ":wq\r"), data);
}

#[test]
fn no_trailing_newline_kept() {
    assert_eq!(edit("noeol", b"abc", ":wq\r"), b"abc");
    assert_eq!(edit("noeol-edit", b"x\nabc", "jA!\x1b:wq\r"), b"x\nabc!");
    assert_eq!(edit("empty", b"", ":wq\r"), b"");
}

#[test]
fn long_line_wraps() {
    let line = "x".repeat(300) + "END\n";
    assert_eq!(
        edit("long", line.as_bytes(), "$x:wq\r"),
        ("x".repeat(300) + "EN\n").as_bytes()
    );
}

#[test]
fn mode_is_kept() {
    let dir = scratch("mode");
    let f = dir.join("m.txt");
    std::fs::write(&f, "abc\n").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
    let vi = Vi::start(&dir, "m.txt");
    assert_eq!(vi.finish("x:wq\r"), 0);
    assert_eq!(std::fs::read(&f).unwrap(), b"bc\n");
    assert_eq!(
        std::fs::metadata(&f).unwrap().permissions().mode() & 0o7777,
        0o640
    );
}

#[test]
fn failed_write_keeps_original() {
    let dir = scratch("fail");
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::write(dir.join("f.txt"), "orig\n").unwrap();
    // Writing over a directory fails, even as root.
    let mut vi = Vi::start(&dir, "f.txt");
    vi.send("x:w! sub\r");
    vi.expect("Is a directory");
    assert_eq!(vi.finish(":q!\r"), 0);
    assert_eq!(std::fs::read(dir.join("f.txt")).unwrap(), b"orig\n");
    assert!(std::fs::metadata(dir.join("sub")).unwrap().is_dir());
    if nix::unistd::geteuid().is_root() {
        // Root may write anywhere: no permission case to test.
        return;
    }
    let ro = dir.join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::write(ro.join("r.txt"), "orig\n").unwrap();
    std::fs::set_permissions(ro.join("r.txt"), std::fs::Permissions::from_mode(0o444)).unwrap();
    let mut vi = Vi::start(&ro, "r.txt");
    vi.send("x:wq\r");
    vi.expect("Permission denied");
    assert_eq!(vi.finish(":q!\r"), 0);
    assert_eq!(std::fs::read(ro.join("r.txt")).unwrap(), b"orig\n");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    std::fs::set_permissions(ro.join("r.txt"), std::fs::Permissions::from_mode(0o644))
        .unwrap_or(());
    let mut vi = Vi::start(&ro, "r.txt");
    vi.send("x:wq\r");
    vi.expect("Permission denied");
    assert_eq!(vi.finish(":q!\r"), 0);
    assert_eq!(std::fs::read(ro.join("r.txt")).unwrap(), b"orig\n");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn sigterm_restores_terminal_and_exits() {
    let dir = scratch("term");
    std::fs::write(dir.join("t.txt"), "abc\n").unwrap();
    let vi = Vi::start(&dir, "t.txt");
    let pid = nix::unistd::Pid::from_raw(vi.child.id() as i32);
    // Only the editor this test spawned, by its pid.
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    assert_eq!(vi.finish(""), 128 + 15);
    assert_eq!(std::fs::read(dir.join("t.txt")).unwrap(), b"abc\n");
}

#[test]
fn screen_shows_text_wraps_and_redraws_on_resize() {
    let dir = scratch("screen");
    let mut content = String::from("first line\n");
    content.push_str(&"y".repeat(100));
    content.push('\n');
    std::fs::write(dir.join("w.txt"), &content).unwrap();
    let mut vi = Vi::start(&dir, "w.txt");
    // Look again from the start: the status line came after the text.
    vi.seen = 0;
    vi.expect("first line");
    // The long line wraps: 80 cells on row 2, the other 20 on row 3.
    vi.expect(&format!("\x1b[2;1H{}", "y".repeat(80)));
    vi.expect(&format!("\x1b[3;1H{}\x1b[K", "y".repeat(20)));
    vi.expect("~");
    // A narrower window: the terminal tells vi with SIGWINCH.
    let ws = Winsize {
        ws_row: 10,
        ws_col: 40,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads the winsize it is given.
    let r = unsafe { nix::libc::ioctl(vi.master.as_raw_fd(), nix::libc::TIOCSWINSZ, &ws) };
    assert_eq!(r, 0);
    vi.expect("\x1b[2J");
    vi.expect(&format!("\x1b[2;1H{}", "y".repeat(40)));
    vi.expect(&format!("\x1b[4;1H{}\x1b[K", "y".repeat(20)));
    assert_eq!(vi.finish(":q\r"), 0);
}

#[test]
fn search_count_and_wrap() {
    assert_eq!(
        edit("n-count", b"a\nb\na\nb\na\n", "/b\r2nx:wq\r"),
        b"a\n\na\nb\na\n"
    );
    assert_eq!(edit("not-found", b"abc\n", "/zzz\rx:wq\r"), b"bc\n");
}

#[test]
fn page_and_half_page_keys() {
    let lines: Vec<String> = (1..=100).map(|i| format!("{i}\n")).collect();
    let without = |n: usize| -> Vec<u8> {
        let mut v = lines.clone();
        v.remove(n - 1);
        v.concat().into_bytes()
    };
    let all = lines.concat();
    // 23 text rows: Ctrl-F scrolls by 21 lines, Ctrl-D moves by 11.
    assert_eq!(edit("ctrl-f", all.as_bytes(), "\x06dd:wq\r"), without(22));
    assert_eq!(edit("ctrl-d", all.as_bytes(), "\x04dd:wq\r"), without(12));
    assert_eq!(
        edit("ctrl-u", all.as_bytes(), "\x04\x04\x15dd:wq\r"),
        without(12)
    );
    assert_eq!(edit("G", all.as_bytes(), "Gdd:wq\r"), without(100));
}

#[test]
fn raw_mode_while_running_restored_after() {
    use nix::sys::termios::{tcgetattr, LocalFlags};
    let dir = scratch("raw");
    std::fs::write(dir.join("r.txt"), "abc\n").unwrap();
    let mut vi = Vi::start_with(&dir, &["r.txt"], false);
    let before = tcgetattr(&vi.slave).unwrap();
    assert!(!before.local_flags.contains(LocalFlags::ICANON));
    assert!(!before.local_flags.contains(LocalFlags::ECHO));
    assert_eq!(vi.wait_exit(":q\r"), 0);
    let after = tcgetattr(&vi.slave).unwrap();
    assert!(after.local_flags.contains(LocalFlags::ICANON));
    assert!(after.local_flags.contains(LocalFlags::ECHO));
}

#[test]
fn initial_command_and_read_only() {
    let dir = scratch("opts");
    std::fs::write(dir.join("o.txt"), "aaa\n").unwrap();
    let vi = Vi::start_args(&dir, &["-c", "%s/a/b/g", "o.txt"]);
    assert_eq!(vi.finish(":wq\r"), 0);
    assert_eq!(std::fs::read(dir.join("o.txt")).unwrap(), b"bbb\n");
    let mut vi = Vi::start_args(&dir, &["-R", "o.txt"]);
    vi.send("x:w\r");
    vi.expect("read only");
    assert_eq!(vi.finish(":w!\r:q\r"), 0);
    assert_eq!(std::fs::read(dir.join("o.txt")).unwrap(), b"bb\n");
}

#[test]
fn directory_and_missing_name_errors() {
    let dir = scratch("errs");
    std::fs::create_dir(dir.join("d")).unwrap();
    let mut vi = Vi::start(&dir, "d");
    vi.expect("Is a directory");
    assert_eq!(vi.finish(":q\r"), 0);
    let mut vi = Vi::start_args(&dir, &["-c", "set nu", "n.txt"]);
    vi.send(":frob\r");
    vi.expect("not implemented");
    vi.send("ix\x1b:wq\r");
    assert_eq!(vi.finish(""), 0);
    assert_eq!(std::fs::read(dir.join("n.txt")).unwrap(), b"x\n");
}
