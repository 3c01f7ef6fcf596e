//! Tests of `ps -o` and of the fast paths in cat and grep -F, run on the
//! built `ibox`. ps is checked on the test's own child process, whose pid,
//! parent and name we know.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// `ibox ARGS...` with `input` on stdin; also returns the child's pid.
fn ibox_stdin(args: &[&str], input: &[u8]) -> (Output, u32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ibox");
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("stdin");
    let _ = stdin.write_all(input);
    drop(stdin);
    (child.wait_with_output().expect("wait for ibox"), pid)
}

/// `ibox ARGS...` with empty stdin.
fn ibox(args: &[&str]) -> (Output, u32) {
    ibox_stdin(args, b"")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn ps_o_pid_ppid_comm_shows_our_child() {
    let (o, pid) = ibox(&["ps", "-o", "pid,ppid,comm"]);
    assert!(o.status.success());
    let out = text(&o.stdout);
    assert!(out.starts_with("PID   PPID  COMMAND\n"), "{out}");
    let want = format!("{pid:>5} {:>5} ibox\n", std::process::id());
    assert!(out.contains(&want), "{want:?} not in {out}");
}

#[test]
fn ps_o_custom_headers_and_widths() {
    let (o, pid) = ibox(&["ps", "-o", "pid=X,comm="]);
    assert!(o.status.success());
    let out = text(&o.stdout);
    // A non-empty header sets the width; an empty one keeps the default.
    assert!(out.starts_with("X \n"), "{out}");
    assert!(out.contains(&format!("\n{pid} ibox\n")), "{out}");
    let (o, pid) = ibox(&["ps", "-o", "comm=,pid="]);
    let out = text(&o.stdout);
    // No header line at all; the numeric last column is padded.
    assert!(
        out.contains(&format!("ibox             {pid:>5}\n")),
        "{out}"
    );
    assert!(!out.contains("PID"), "{out}");
}

#[test]
fn ps_o_several_options_and_all_fields() {
    let (o, pid) = ibox(&[
        "ps",
        "-o",
        "pid,user",
        "-o",
        "stat,nice,sid,pgid,group,vsz,rss,tty,time,etime,args",
    ]);
    assert!(o.status.success());
    let out = text(&o.stdout);
    assert!(
        out.starts_with(
            "PID   USER     STAT NI    SID   PGID  GROUP    VSZ  RSS  TT     TIME   ELAPSED COMMAND\n"
        ),
        "{out}"
    );
    let line = out
        .lines()
        .find(|l| l.starts_with(&format!("{pid:>5} ")))
        .unwrap_or_default();
    assert!(
        line.ends_with("ps -o pid,user -o stat,nice,sid,pgid,group,vsz,rss,tty,time,etime,args"),
        "{line}"
    );
    // The running ps itself is in state R.
    assert_eq!(line.get(15..17), Some("R "), "{line}");
}

#[test]
fn ps_o_bad_field() {
    let (o, _) = ibox(&["ps", "-o", "pid,bogus"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert_eq!(
        text(&o.stderr),
        "ps: bad -o argument 'bogus', supported arguments: \
         user,group,comm,args,pid,ppid,pgid,sid,nice,tty,vsz,rss,stat,time,etime\n"
    );
    let (o, _) = ibox(&["ps", "-o"]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn ps_default_format_unchanged() {
    let (o, pid) = ibox(&["ps"]);
    let out = text(&o.stdout);
    assert!(
        out.starts_with("  PID USER       VSZ STAT COMMAND\n"),
        "{out}"
    );
    assert!(out.contains(&format!("{pid:>5} ")), "{out}");
}
