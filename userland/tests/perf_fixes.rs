//! Tests of `ps -o` and of the fast paths in cat and grep -F, run on the
//! built `ibox`. ps is checked on the test's own child process, whose pid,
//! parent and name we know.

use std::process::{Command, Output, Stdio};

mod common;
use common::{scratch, text};

/// `ibox ARGS...` with `input` on stdin; also returns the child's pid.
fn ibox_stdin(args: &[&str], input: &[u8]) -> (Output, u32) {
    common::output_and_pid(&mut common::ibox_cmd(args), input)
}

/// `ibox ARGS...` with empty stdin.
fn ibox(args: &[&str]) -> (Output, u32) {
    ibox_stdin(args, b"")
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

/// Bytes 0..=255 over and over, `len` of them: binary, no line structure.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 256) as u8).collect()
}

/// `ibox cat ARGS` with stdout into a regular file (copy_file_range's or
/// sendfile's case); returns the file's bytes and the exit status.
fn cat_to_file(dir: &std::path::Path, args: &[&str], stdin: Stdio) -> (Vec<u8>, Option<i32>) {
    let out = dir.join("out");
    let file = std::fs::File::create(&out).expect("create out");
    let status = Command::new(env!("CARGO_BIN_EXE_ibox"))
        .arg("cat")
        .args(args)
        .current_dir(dir)
        .stdin(stdin)
        .stdout(file)
        .stderr(Stdio::null())
        .status()
        .expect("run cat");
    (std::fs::read(&out).unwrap_or_default(), status.code())
}

#[test]
fn cat_file_into_pipe_and_file() {
    let dir = scratch("cat-kinds");
    let data = pattern(1_000_003);
    std::fs::write(dir.join("big"), &data).expect("write");
    std::fs::write(dir.join("empty"), b"").expect("write");
    std::fs::write(dir.join("short"), b"no newline").expect("write");
    let path = |n: &str| dir.join(n).to_string_lossy().into_owned();
    // Into a pipe: splice.
    let (o, _) = ibox(&["cat", &path("big")]);
    assert!(o.status.success());
    assert!(o.stdout == data, "pipe copy differs");
    // Into a file: copy_file_range; several operands in order.
    let (got, code) = cat_to_file(&dir, &["short", "empty", "big", "short"], Stdio::null());
    assert_eq!(code, Some(0));
    let mut want = b"no newline".to_vec();
    want.extend_from_slice(&data);
    want.extend_from_slice(b"no newline");
    assert!(got == want, "file copy differs");
    // Empty file alone.
    let (o, _) = ibox(&["cat", &path("empty")]);
    assert!(o.status.success());
    assert!(o.stdout.is_empty());
}

#[test]
fn cat_stdin_pipe_and_file() {
    let dir = scratch("cat-stdin");
    // Under a pipe buffer: the helper writes all of stdin before reading.
    let data = pattern(30_001);
    // A pipe on stdin, a pipe out: splice.
    let (o, _) = ibox_stdin(&["cat"], &data);
    assert!(o.status.success());
    assert!(o.stdout == data);
    // A file on stdin (`-` between operands), a file out.
    std::fs::write(dir.join("in"), &data).expect("write");
    std::fs::write(dir.join("a"), b"A\n").expect("write");
    let input = std::fs::File::open(dir.join("in")).expect("open");
    let (got, code) = cat_to_file(&dir, &["a", "-", "a"], Stdio::from(input));
    assert_eq!(code, Some(0));
    let mut want = b"A\n".to_vec();
    want.extend_from_slice(&data);
    want.extend_from_slice(b"A\n");
    assert!(got == want);
}

#[test]
fn cat_proc_file_is_not_empty() {
    // copy_file_range reports a /proc file as empty on some kernels; cat
    // must still copy it, into a file as into a pipe.
    let dir = scratch("cat-proc");
    let (got, code) = cat_to_file(&dir, &["/proc/self/status"], Stdio::null());
    assert_eq!(code, Some(0));
    assert!(got.starts_with(b"Name:\tibox\n"), "{}", text(&got));
    let (o, _) = ibox(&["cat", "/proc/self/status"]);
    assert!(o.stdout.starts_with(b"Name:\tibox\n"));
}

#[test]
fn cat_errors_keep_going() {
    let dir = scratch("cat-errors");
    std::fs::write(dir.join("f"), b"data\n").expect("write");
    let (o, _) = ibox(&[
        "cat",
        &dir.join("missing").to_string_lossy(),
        &dir.to_string_lossy(),
        &dir.join("f").to_string_lossy(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stdout), "data\n");
    let err = text(&o.stderr);
    assert!(
        err.contains("missing': No such file or directory\n"),
        "{err}"
    );
    assert!(err.contains("read error on '"), "{err}");
    assert!(err.ends_with("': Is a directory\n"), "{err}");
}

#[test]
fn cat_numbering_still_transforms() {
    let (o, _) = ibox_stdin(&["cat", "-n"], b"a\n\nb");
    assert_eq!(text(&o.stdout), "     1\ta\n     2\t\n     3\tb");
    let (o, _) = ibox_stdin(&["cat", "-b"], b"a\n\nb\n");
    assert_eq!(text(&o.stdout), "     1\ta\n\n     2\tb\n");
}
